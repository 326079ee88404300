"""Data frames to HTTP bodies: JSON ``{"meta", "data"}``, CSV or Parquet files."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from enum import StrEnum
from typing import Any

import pandas as pd

from minsec.output import to_records


class Format(StrEnum):
    """Formats of every data endpoint (``format=`` query parameter)."""

    json = "json"
    csv = "csv"
    parquet = "parquet"


MEDIA_TYPES = {
    Format.json: "application/json",
    Format.csv: "text/csv; charset=utf-8",
    Format.parquet: "application/vnd.apache.parquet",
}

FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The rows: JSON `{meta, data}`, or a CSV or Parquet file (`format=`).",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
"""OpenAPI description of the file answers of data endpoints (besides JSON)."""


def json_safe(value: Any) -> Any:  # noqa: PLR0911
    """``value`` with NaN/±inf → None, tuples → lists, dates → ISO text, numpy → Python."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v) for v in value]
    if isinstance(value, (dt.datetime, dt.date, pd.Timestamp)):
        return value.isoformat()
    if hasattr(value, "item"):
        try:
            return json_safe(value.item())
        except (ValueError, TypeError):
            pass
    if isinstance(value, pd.DataFrame):
        return json_safe(to_records(value))
    return str(value)


def frame_meta(frame: pd.DataFrame, drop: tuple[str, ...] = ("method",)) -> dict[str, Any]:
    """The frame's ``attrs`` as JSON-safe metadata (long method texts dropped)."""
    return {str(k): json_safe(v) for k, v in frame.attrs.items() if k not in drop}


def body(frame: pd.DataFrame, fmt: Format, meta: dict[str, Any]) -> bytes:
    """The bytes of an answer in ``fmt``."""
    if fmt is Format.json:
        payload = {"meta": json_safe(meta), "data": json_safe(to_records(frame))}
        return json.dumps(payload, ensure_ascii=False, allow_nan=False).encode("utf-8")
    if fmt is Format.csv:
        return frame.to_csv(index=False).encode("utf-8")
    buf = io.BytesIO()
    plain = frame.copy()
    plain.attrs = {}
    plain.to_parquet(buf, index=False)
    return buf.getvalue()
