"""The cost of holding a tonne of stock for a year, per partner (data with sources).

``holding = storage_usd_per_t_year + capital_rate × price_usd_per_t``: warehousing, plus
the yearly opportunity cost of the money tied up in the stock at today's price. The
defaults are ``data/stockpile_costs.toml`` (each number sourced or marked as a
judgement); ``$MINSEC_HOME/stockpile_costs.toml`` and then a file given by the user replace
them key by key, table by table (``[default]``, ``[partner.USA]`` …).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from minsec import config
from minsec.errors import InputError

DATA_FILE = "data/stockpile_costs.toml"
USER_FILE = "stockpile_costs.toml"
KEYS = ("storage_usd_per_t_year", "storage_source", "capital_rate", "capital_source")
MAX_CAPITAL_RATE = 1.0
"""A capital rate above 100 %/year is taken for a typing error (5 instead of 0.05)."""


@dataclass(frozen=True)
class HoldingCost:
    """What a tonne held by one partner costs per year, with where each number comes from."""

    partner: str
    storage_usd_per_t_year: float
    capital_rate: float
    price_usd_per_t: float
    storage_source: str
    capital_source: str
    price_source: str

    @property
    def capital_usd_per_t_year(self) -> float:
        """capital_rate × price."""
        return self.capital_rate * self.price_usd_per_t

    @property
    def holding_usd_per_t_year(self) -> float:
        """Storage + capital, USD per tonne per year."""
        return self.storage_usd_per_t_year + self.capital_usd_per_t_year


def load_table(path: Path | str | None = None, *, user: bool = True) -> dict[str, Any]:
    """The cost table: packaged defaults, then ``$MINSEC_HOME`` (if ``user``), then ``path``."""
    text = resources.files("minsec.disrupt").joinpath(DATA_FILE).read_text("utf-8")
    table = _parse(text, f"minsec/disrupt/{DATA_FILE}")
    layers: list[Path] = []
    if user and (config.home() / USER_FILE).exists():
        layers.append(config.home() / USER_FILE)
    if path is not None:
        if not Path(path).exists():
            raise InputError("holding-cost file not found", path=path)
        layers.append(Path(path))
    for layer in layers:
        extra = _parse(layer.read_text("utf-8"), str(layer))
        table["default"].update(extra["default"])
        for name, entry in extra["partner"].items():
            table["partner"].setdefault(name, {}).update(entry)
    return table


def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", path=where) from exc
    unknown = sorted(set(raw) - {"default", "partner"})
    if unknown:
        raise InputError(
            f"unknown table(s) {unknown}; expected [default] and [partner.<id>]", path=where
        )
    out: dict[str, Any] = {
        "default": _entry(raw.get("default", {}), where, "default"),
        "partner": {},
    }
    partners = raw.get("partner", {})
    if not isinstance(partners, Mapping):
        raise InputError("[partner] must hold one table per partner", path=where, column="partner")
    for name, entry in partners.items():
        out["partner"][str(name)] = _entry(entry, where, f"partner.{name}")
    return out


def _entry(entry: Any, where: str, table: str) -> dict[str, Any]:
    if not isinstance(entry, Mapping):
        raise InputError(f"[{table}] must be a table", path=where, column=table)
    unknown = sorted(set(entry) - set(KEYS))
    if unknown:
        raise InputError(
            f"unknown key(s) {unknown} in [{table}]; expected some of {list(KEYS)}",
            path=where,
            column=table,
        )
    for key in ("storage_usd_per_t_year", "capital_rate"):
        if key in entry:
            value = entry[key]
            limit = MAX_CAPITAL_RATE if key == "capital_rate" else math.inf
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or not 0 <= value <= limit
            ):
                expected = "a fraction in [0, 1] per year" if key == "capital_rate" else "≥ 0"
                raise InputError(
                    f"{key} = {value!r}; expected a finite number, {expected}",
                    path=where,
                    column=f"{table}.{key}",
                )
    return dict(entry)


def holding_costs(
    partners: Sequence[str],
    price_usd_per_t: float,
    price_source: str,
    table: Mapping[str, Any] | None = None,
) -> list[HoldingCost]:
    """One :class:`HoldingCost` per partner: its own entry over the defaults."""
    if not math.isfinite(price_usd_per_t) or price_usd_per_t <= 0:
        raise InputError(
            f"the price must be a finite number of USD per tonne > 0, got {price_usd_per_t!r}",
            column="price_usd_per_t",
        )
    data = load_table() if table is None else table
    out = []
    for name in partners:
        entry = {**data["default"], **data["partner"].get(name, {})}
        missing = [k for k in KEYS if k not in entry]
        if missing:
            raise InputError(
                f"no {', '.join(missing)} for {name} (nor in [default])", column="costs"
            )
        out.append(
            HoldingCost(
                partner=name,
                storage_usd_per_t_year=float(entry["storage_usd_per_t_year"]),
                capital_rate=float(entry["capital_rate"]),
                price_usd_per_t=float(price_usd_per_t),
                storage_source=str(entry["storage_source"]),
                capital_source=str(entry["capital_source"]),
                price_source=price_source,
            )
        )
    return out


def costs_frame(costs: Sequence[HoldingCost]) -> pd.DataFrame:
    """One row per partner: the cost's parts, the total and the sources."""
    return pd.DataFrame(
        [
            {
                "partner": c.partner,
                "price_usd_per_t": c.price_usd_per_t,
                "storage_usd_per_t_year": c.storage_usd_per_t_year,
                "capital_rate": c.capital_rate,
                "capital_usd_per_t_year": c.capital_usd_per_t_year,
                "holding_usd_per_t_year": c.holding_usd_per_t_year,
                "price_source": c.price_source,
                "storage_source": c.storage_source,
                "capital_source": c.capital_source,
            }
            for c in costs
        ]
    )
