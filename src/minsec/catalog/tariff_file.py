"""Writing the user's tariff file (``$MINSEC_HOME/tariffs.toml``), one transaction per change.

:func:`set_measure` adds a ``[[measure]]`` row (or replaces the user's row of the same
id); :func:`unset_measure` deletes one. The file is edited as text, block by block, so
a user's comments and layout survive; the new text is checked together with the packaged
rows (:func:`minsec.catalog.tariffs.parse_book`) and only then written, through a
temporary file and an atomic rename: a bad input changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from minsec.catalog import tariffs
from minsec.errors import InputError

HEADER = (
    "# Your tariff rows: they extend minsec's packaged tariffs.toml (a row with the id of a\n"
    "# packaged row replaces it). Written by `minsec tariffs set`; edit freely.\n"
    "# Fields: see `minsec tariffs show --help` and docs/tariffs.md.\n"
)
_HEADER_LINE = re.compile(r"^\s*\[\[?\s*[\w.-]+\s*\]\]?\s*(#.*)?$")
_ORDER = (
    "id", "kind", "applies_to", "hs", "origin", "destination", "duty", "specific",
    "valid_from", "valid_to", "legal_basis", "source", "confidence", "note",
)  # fmt: skip


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)


def render_measure(fields: Mapping[str, Any]) -> str:
    """A ``[[measure]]`` block in TOML (fields in a fixed order, empty ones left out)."""
    lines = ["[[measure]]"]
    for key in (*_ORDER, *sorted(set(fields) - set(_ORDER))):
        value = fields.get(key)
        if value is None or value == "":
            continue
        lines.append(f"{key} = {_value(value)}")
    return "\n".join(lines) + "\n"


def _blocks(text: str) -> list[str]:
    """The file cut before each table header (the first block is the preamble)."""
    blocks: list[list[str]] = [[]]
    for line in text.splitlines(keepends=True):
        if _HEADER_LINE.match(line):
            blocks.append([])
        blocks[-1].append(line)
    return ["".join(b) for b in blocks]


def _block_id(block: str) -> str | None:
    if not block.lstrip().startswith("[[measure]]"):
        return None
    try:
        data = tomllib.loads(block)
    except tomllib.TOMLDecodeError:
        return None
    rows = data.get("measure") or [{}]
    value = rows[0].get("id")
    return str(value) if value is not None else None


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tariffs-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _check(text: str, path: Path) -> tariffs.TariffBook:
    return tariffs.parse_book(tariffs._packaged_text(), text, path)


def set_measure(fields: Mapping[str, Any], path: Path | None = None) -> tariffs.Measure:
    """Add (or replace, by id) one measure in the user file; return the checked row.

    ``fields`` are those of a ``[[measure]]`` table (``valid_from`` as a date or text).
    Raises :class:`~minsec.errors.InputError` naming the field at fault, and then the
    file is as it was.
    """
    target = path or tariffs.user_path()
    current = target.read_text("utf-8") if target.exists() else HEADER
    packaged = tariffs.parse_book(tariffs._packaged_text())
    try:
        measure = tariffs.parse_measure(fields, packaged.hs_extra, file=str(target), user=True)
    except ValueError as exc:
        column = exc.field if isinstance(exc, tariffs.FieldError) else None
        raise InputError(str(exc), column=column) from None
    row = {**dict(fields), "id": measure.id, "valid_from": measure.valid_from}
    if measure.valid_to is not None:
        row["valid_to"] = measure.valid_to
    if "duty" in row and row["duty"] is not None:
        row["duty"] = float(row["duty"])
    row["confidence"] = measure.confidence
    block = render_measure(row)
    parts = _blocks(current)
    hits = [i for i, part in enumerate(parts) if _block_id(part) == measure.id]
    if hits:
        for i in hits:
            parts[i] = block + ("\n" if i < len(parts) - 1 else "")
    else:
        parts = [current.rstrip("\n") + "\n\n", block]
    text = "".join(parts)
    checked = _check(text, target)
    _write_atomic(target, text)
    return next(m for m in checked.measures if m.id == measure.id)


def unset_measure(measure_id: str, path: Path | None = None) -> None:
    """Delete the user's row ``measure_id`` (a packaged row cannot be removed, only replaced)."""
    target = path or tariffs.user_path()
    parts = _blocks(target.read_text("utf-8")) if target.exists() else []
    keep = [p for p in parts if _block_id(p) != measure_id]
    if len(keep) == len(parts):
        ids = [i for i in (_block_id(p) for p in parts) if i]
        packaged = {m.id for m in tariffs.parse_book(tariffs._packaged_text()).measures}
        why = (
            "it is a packaged row: replace it with `minsec tariffs set --id` instead"
            if measure_id in packaged
            else f"your rows are: {', '.join(ids) or 'none'}"
        )
        raise InputError(f"no row {measure_id!r} in {target}; {why}", column="ID")
    text = "".join(keep)
    _check(text, target)
    _write_atomic(target, text)
