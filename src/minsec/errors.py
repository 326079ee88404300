"""Errors that users see.

Every error raised on bad input names *where* (file, row, column or field) and *what was
expected*, so that a user can fix the input without reading the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class MinsecError(Exception):
    """Base class of all errors minsec raises on purpose (exit code 2 in the CLI)."""


@dataclass
class InputError(MinsecError):
    """Bad input: a file, a row, a column or a field does not hold what was expected.

    Parameters
    ----------
    message:
        What is wrong and what was expected, in words.
    path:
        The file, when the input came from one.
    row:
        1-based row number in the file as a user sees it (header = row 1), if known.
    column:
        Column name (or field path) at fault, if known.
    hint:
        Optional suggestion (e.g. the nearest valid name).
    """

    message: str
    path: Path | str | None = None
    row: int | None = None
    column: str | None = None
    hint: str | None = None

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.path is not None:
            where.append(str(self.path))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        text = (", ".join(where) + ": " if where else "") + self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class UnknownNameError(InputError):
    """A country, bloc or commodity name that the catalog does not know."""


class DataMissingError(MinsecError):
    """The store lacks data a computation needs; the message says how to get it."""


class DownloadError(MinsecError):
    """A download failed or produced a file that does not verify."""


class IntegrityError(MinsecError):
    """A file minsec ships or pins does not match its pinned SHA-256 (or its provenance)."""
