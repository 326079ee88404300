"""Dates from user input: a date, a datetime or ISO text (``2026-01-01``)."""

from __future__ import annotations

import datetime as dt
from typing import Any


def to_date(value: Any) -> dt.date:
    """A date from a date, a datetime (its day) or ISO text; ``ValueError`` otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())
