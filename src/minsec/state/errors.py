"""Errors of the app-state repositories that interfaces map to HTTP statuses.

The API answers :class:`NotFoundError` with 404, :class:`ForbiddenError` with 403 and
:class:`ConflictError` with 409; the CLI prints the message and exits with code 2.
"""

from __future__ import annotations

from minsec.errors import MinsecError


class StateError(MinsecError):
    """An error about a record of the app state, with the field at fault and a hint."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.hint = hint


class NotFoundError(StateError):
    """No such record, or not visible to the caller's party (its existence does not leak)."""

    status = 404


class ForbiddenError(StateError):
    """The caller's party or role may not do this."""

    status = 403


class ConflictError(StateError):
    """A write lost a race (stale version) or is not allowed in the record's current state."""

    status = 409
