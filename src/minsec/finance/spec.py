"""Parse instrument specs such as ``loan:rate=0.03,tenor=12,grace=2``.

Grammar: ``KIND[:FIELD=VALUE[,FIELD=VALUE…]]``. Kinds and fields (units):

=========== ==========================================================================
grant       ``amount`` (USD, required)
loan        ``rate`` (required), ``tenor`` (years, required), ``grace`` (years), ``share``
guarantee   ``coverage``, ``fee`` (per year), ``pd`` (per year), ``recovery``, ``rate``
equity      ``stake`` (required), ``return`` (required equity return)
offtake     ``volume`` (t/y, required), ``price`` (USD/t, required)
floor       ``price`` (USD/t, required), ``volume`` (t/y), ``vol`` (volatility)
cfd         ``strike`` (USD/t, required), ``volume`` (t/y)
insurance   ``cover``, ``premium``, ``pd``, ``spread_cut``
=========== ==========================================================================

Errors name the spec and the field at fault.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from minsec.catalog._names import suggestion
from minsec.errors import InputError
from minsec.finance.instruments import (
    ConcessionalLoan,
    Equity,
    Grant,
    Guarantee,
    Instrument,
    Insurance,
    Offtake,
    PriceFloor,
)


@dataclass(frozen=True)
class Field:
    """One spec field: the dataclass attribute, range and whether it is required."""

    attr: str
    lo: float = 0.0
    hi: float = math.inf
    required: bool = False
    integer: bool = False


SPECS: dict[str, tuple[Callable[..., Instrument], dict[str, Field], dict[str, object]]] = {
    "grant": (Grant, {"amount": Field("amount_usd", required=True)}, {}),
    "loan": (
        ConcessionalLoan,
        {
            "rate": Field("rate", -0.5, 1.0, required=True),
            "tenor": Field("tenor_years", 1, 100, required=True, integer=True),
            "grace": Field("grace_years", 0, 99, integer=True),
            "share": Field("share", 0, 1),
        },
        {},
    ),
    "guarantee": (
        Guarantee,
        {
            "coverage": Field("coverage", 0, 1),
            "fee": Field("fee", 0, 1),
            "pd": Field("pd_annual", 0, 1),
            "recovery": Field("recovery", 0, 1),
            "rate": Field("guaranteed_rate", -0.5, 1),
        },
        {},
    ),
    "equity": (
        Equity,
        {"stake": Field("stake", 0, 1, required=True), "return": Field("required_return", -0.5, 5)},
        {},
    ),
    "offtake": (
        Offtake,
        {
            "volume": Field("volume_t", required=True),
            "price": Field("price_usd_per_t", required=True),
        },
        {},
    ),
    "floor": (
        PriceFloor,
        {
            "price": Field("floor_usd_per_t", required=True),
            "volume": Field("volume_t"),
            "vol": Field("volatility", 0, 5),
        },
        {},
    ),
    "cfd": (
        PriceFloor,
        {"strike": Field("floor_usd_per_t", required=True), "volume": Field("volume_t")},
        {"two_sided": True},
    ),
    "insurance": (
        Insurance,
        {
            "cover": Field("cover", 0, 1),
            "premium": Field("premium", 0, 1),
            "pd": Field("pd_annual", 0, 1),
            "spread_cut": Field("spread_cut", 0, 1),
        },
        {},
    ),
}


def parse(spec: str) -> Instrument:
    """``"loan:rate=0.03,tenor=12"`` → :class:`~minsec.finance.instruments.ConcessionalLoan`."""
    where = f"--instrument {spec!r}"
    kind, _, rest = spec.strip().partition(":")
    kind = kind.strip().lower()
    if kind not in SPECS:
        raise InputError(
            f"unknown instrument {kind!r}; instruments are {', '.join(SPECS)}",
            column=where,
            hint=suggestion(kind, list(SPECS)),
        )
    factory, fields, fixed = SPECS[kind]
    values: dict[str, object] = dict(fixed)
    seen: set[str] = set()
    for item in (p for p in rest.split(",") if p.strip()):
        key, sep, text = item.partition("=")
        key = key.strip().lower()
        if not sep:
            raise InputError(f"{item.strip()!r} must be FIELD=VALUE", column=where)
        if key not in fields:
            raise InputError(
                f"{kind} has no field {key!r}; its fields are {', '.join(fields)}",
                column=where,
                hint=suggestion(key, list(fields)),
            )
        if key in seen:
            raise InputError(f"field {key!r} is given twice", column=where)
        seen.add(key)
        f = fields[key]
        try:
            value = float(text.strip().replace("_", ""))
        except ValueError:
            raise InputError(
                f"field {key!r} must be a number, found {text.strip()!r}", column=where
            ) from None
        if not math.isfinite(value) or not f.lo <= value <= f.hi:
            raise InputError(
                f"field {key!r} = {text.strip()} is outside [{f.lo:g}, {f.hi:g}]", column=where
            )
        if f.integer and not value.is_integer():
            raise InputError(f"field {key!r} must be a whole number of years", column=where)
        values[f.attr] = int(value) if f.integer else value
    missing = [k for k, f in fields.items() if f.required and k not in seen]
    if missing:
        raise InputError(
            f"{kind} needs field(s) {', '.join(missing)} (e.g. "
            f"{kind}:{','.join(f'{m}=…' for m in missing)})",
            column=where,
        )
    if kind == "loan":
        grace, tenor = values.get("grace_years", 0), values["tenor_years"]
        assert isinstance(grace, int) and isinstance(tenor, int)
        if grace >= tenor:
            raise InputError(
                f"field 'grace' = {grace} must be below the tenor {tenor}", column=where
            )
    return factory(**values)
