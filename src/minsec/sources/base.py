"""What every parser returns, and helpers parsers share."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from minsec.errors import InputError
from minsec.store.store import ImportResult, Store, Writer


@dataclass
class Parsed:
    """A source file (or set of files) parsed into store tables, ready to import.

    ``tables`` holds frames with the store's column names (``source`` is filled in by the
    store). ``writer``, when set, streams further rows with SQL inside the import
    transaction (used for multi-GB BACI files that must not be held in memory).
    """

    source: str
    kind: str
    sha256: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    writer: Writer | None = None
    version: str | None = None
    path: str | None = None
    licence: str | None = None

    @property
    def notes(self) -> list[str]:
        """One-line remarks for the user about this import (e.g. names kept unmapped)."""
        return []

    def write(self, store: Store, *, force: bool = False) -> ImportResult:
        """Import into ``store`` in one transaction (no-op if this checksum is recorded)."""
        return store.write_source(
            source=self.source,
            kind=self.kind,
            sha256=self.sha256,
            tables=self.tables,
            writer=self.writer,
            version=self.version,
            path=self.path,
            licence=self.licence,
            force=force,
        )


def sha256_file(path: Path, *, chunk: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file, read in chunks."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def sha256_files(paths: Iterable[Path]) -> str:
    """One digest over several files (sorted by name; names and contents both count)."""
    h = hashlib.sha256()
    for p in sorted(Path(x) for x in paths):
        h.update(p.name.encode())
        h.update(sha256_file(p).encode())
    return h.hexdigest()


def require_columns(frame: pd.DataFrame, needed: Iterable[str], *, path: Path | str) -> None:
    """Raise :class:`InputError` naming the file and the missing header(s)."""
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise InputError(
            f"missing column(s) {missing}; the header has {list(map(str, frame.columns))}",
            path=path,
            row=1,
        )


def resolve_names(
    values: pd.Series,
    resolver: Callable[[str], str | None],
    *,
    path: Path | str,
    column: str,
    what: str,
    row_offset: int = 2,
    candidates: Callable[[], list[str]] | None = None,
) -> pd.Series:
    """Map each distinct name in ``values`` with ``resolver``; unknown names raise.

    The error names the first file row holding the unknown name (``row_offset`` is the
    file row of the frame's first record: 2 under a one-line header) and suggests the
    nearest known names.
    """
    from minsec.catalog._names import suggestion

    mapping: dict[str, str] = {}
    for name in pd.unique(values.dropna()):
        found = resolver(str(name))
        if found is None:
            pos = int((values == name).to_numpy().nonzero()[0][0])
            raise InputError(
                f"unknown {what} {name!r}",
                path=path,
                row=pos + row_offset,
                column=column,
                hint=suggestion(str(name), candidates()) if candidates else None,
            )
        mapping[str(name)] = found
    return values.map(lambda v: mapping.get(str(v)) if pd.notna(v) else None)
