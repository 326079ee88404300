"""UN Comtrade records as tidy trade records (for back-test observations; no store table).

Three layouts are read:

* **Comtrade API / bulk** (UN Statistics Division): one record per reporter, partner,
  commodity and flow with the columns ``freqCode, refYear, refMonth, reporterCode,
  partnerCode, flowCode, cmdCode, netWgt, primaryValue`` among ~47 others (``partner2Code``,
  ``customsCode``, ``motCode`` are breakdowns: only their totals — 0, C00, 0 — are kept, so
  a file with breakdowns is not counted twice);
* **raw records** of the critical-materials-atlas (``comtrade_raw_<year>_*.csv.gz``):
  ``[year,] reporter, partner, cmd, flow, value, netwgt[, qty, qtyunit]`` with M49 codes,
  values in USD and net weight in kg. The files repeat some records exactly; those are
  separate declarations, not copies (each reporter's partner records add up to its World
  record only when all are summed), so nothing is dropped;
* **multi-source monthly flows** of the atlas (``multisource_flows_best_*.parquet``):
  ``source, freq, period (2024 or 202412), reporter, partner (ISO3), flow (import/export),
  hs6, value_usd, qty_kg``.

Tidy columns: ``period`` (``2024`` or ``2024-12``), ``reporter`` and ``partner`` (catalog
country ids; ``WLD`` for the World total; ``M49:<code>`` for areas the catalog does not
know, e.g. 899 "Areas, nes"), ``hs_code`` (the HS code at the level published: six
digits, or four for a heading such as ``2822``), ``flow`` (``M`` import, ``X`` export),
``value_usd`` and ``net_weight_kg`` (NaN where not reported).
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import pandas as pd

from minsec.catalog import countries
from minsec.errors import InputError
from minsec.sources.base import require_columns

WORLD = "WLD"
COLUMNS = ("period", "reporter", "partner", "hs_code", "flow", "value_usd", "net_weight_kg")
API_COLUMNS = (
    "freqCode",
    "refYear",
    "reporterCode",
    "partnerCode",
    "flowCode",
    "cmdCode",
    "netWgt",
    "primaryValue",
)
RAW_COLUMNS = ("reporter", "partner", "cmd", "flow", "value", "netwgt")
ATLAS_COLUMNS = ("freq", "period", "reporter", "partner", "flow", "hs6", "value_usd", "qty_kg")


def _m49(code: object) -> str:
    """Catalog id of an M49/BACI numeric code (0 = World)."""
    try:
        number = int(float(str(code)))
    except ValueError:
        return f"M49:{code}"
    if number == 0:
        return WORLD
    return countries.baci_to_id().get(number, f"M49:{number}")


def _iso3(code: object) -> str:
    text = str(code).strip()
    if text in {"", "WLD", "W00"}:
        return WORLD
    return countries.find(text) or f"ISO3:{text}"


def _hs_code(series: pd.Series, level: pd.Series | None = None) -> pd.Series:
    """Codes as text; a numeric file loses leading zeros, so pad to the level (4 or 6)."""
    text = series.astype(str).str.strip().str.replace(r"\.0$", "", regex=True)
    if level is None:
        return text.str.zfill(6)
    four = level.astype(str).str.strip() == "4"
    return text.where(~four, text.str.zfill(4)).where(four, text.str.zfill(6))


def _tidy(
    path: Path,
    period: pd.Series,
    reporter: pd.Series,
    partner: pd.Series,
    hs_code: pd.Series,
    flow: pd.Series,
    value: pd.Series,
    weight: pd.Series,
) -> pd.DataFrame:
    """The tidy frame of :data:`COLUMNS` (numbers parsed; blank weights are NaN)."""
    out = pd.DataFrame(
        {
            "period": period,
            "reporter": reporter,
            "partner": partner,
            "hs_code": hs_code,
            "flow": [_flow(f, path=path) for f in flow],
            "value_usd": pd.to_numeric(value, errors="coerce"),
            "net_weight_kg": pd.to_numeric(weight.replace("", math.nan), errors="coerce"),
        }
    )
    return out.reset_index(drop=True)


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        with warnings.catch_warnings():  # API records end with an empty trailing field
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            return pd.read_csv(path, dtype=str, keep_default_na=False, index_col=False,
                               encoding="latin-1")  # fmt: skip
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"not a readable CSV file ({exc})", path=path) from None


def _flow(code: str, *, path: Path) -> str:
    text = str(code).strip().lower()
    if text in {"m", "import"}:
        return "M"
    if text in {"x", "export"}:
        return "X"
    if text in {"rm", "rx", "dx", "fm"}:  # re-imports, re-exports, domestic/foreign
        return text.upper()
    raise InputError(
        f"unknown trade flow {code!r}: expected M, X, RM, RX, DX, FM, import or export", path=path
    )


def read_api(path: Path | str) -> pd.DataFrame:
    """Records in the Comtrade API / bulk layout (see the module docstring)."""
    p = Path(path)
    raw = _read_csv(p)
    require_columns(raw, API_COLUMNS, path=p)
    keep = pd.Series(True, index=raw.index)
    for column, total in (("partner2Code", {"0", ""}), ("customsCode", {"C00", ""}),
                          ("motCode", {"0", ""})):  # fmt: skip
        if column in raw:
            keep &= raw[column].str.strip().isin(total)
    raw = raw[keep]
    monthly = raw["freqCode"].str.strip().str.upper() == "M"
    months = raw.get("refMonth", pd.Series("", index=raw.index)).str.strip()
    bad = monthly & ~months.str.fullmatch(r"\d{1,2}")
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0]) + 2
        raise InputError("a monthly record needs refMonth 1-12", path=p, row=row, column="refMonth")
    years = raw["refYear"].str.strip()
    period = years.where(~monthly, years + "-" + months.str.zfill(2))
    return _tidy(
        p, period, raw["reporterCode"].map(_m49), raw["partnerCode"].map(_m49),
        _hs_code(raw["cmdCode"], raw.get("aggrLevel")), raw["flowCode"], raw["primaryValue"],
        raw["netWgt"],
    )  # fmt: skip


def read_raw_records(path: Path | str, *, year: int | None = None) -> pd.DataFrame:
    """Records in the atlas's raw Comtrade layout; ``year`` when the file has no year column."""
    p = Path(path)
    raw = _read_csv(p)
    require_columns(raw, RAW_COLUMNS, path=p)
    if "year" in raw:
        period = raw["year"].str.strip()
    elif year is not None:
        period = pd.Series(str(year), index=raw.index)
    else:
        raise InputError("the file has no year column: give the year", path=p, row=1)
    return _tidy(
        p, period, raw["reporter"].map(_m49), raw["partner"].map(_m49), _hs_code(raw["cmd"]),
        raw["flow"], raw["value"], raw["netwgt"],
    )  # fmt: skip


def read_atlas_flows(path: Path | str, *, sources: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The atlas's multi-source flows (parquet); ``sources`` keeps some (e.g. ``comtrade``)."""
    p = Path(path)
    try:
        raw = pd.read_parquet(p)
    except (OSError, ValueError) as exc:
        raise InputError(f"not a readable parquet file ({exc})", path=p) from None
    require_columns(raw, ATLAS_COLUMNS, path=p)
    if sources is not None:
        require_columns(raw, ("source",), path=p)
        raw = raw[raw["source"].isin(sources)]
    text = raw["period"].astype(str).str.strip()
    monthly = raw["freq"].astype(str).str.upper() == "M"
    bad = monthly & ~text.str.fullmatch(r"\d{6}")
    if bad.any():
        raise InputError(f"monthly period {text[bad].iloc[0]!r}: expected YYYYMM", path=p)
    period = text.where(~monthly, text.str[:4] + "-" + text.str[4:])
    return _tidy(
        p, period, raw["reporter"].map(_iso3), raw["partner"].map(_iso3), _hs_code(raw["hs6"]),
        raw["flow"], raw["value_usd"], raw["qty_kg"],
    )  # fmt: skip
