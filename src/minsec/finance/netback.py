"""Offtake economics under tariffs: the price a project's output fetches against a rival origin.

A buyer in destination d can buy the rival origin r's material at its landed cost

    L_rd = P × (1 + τ_rd) + f_rd

(P the world FOB price, τ the duty on the date, f the freight; ``minsec.catalog.tariffs``).
The project in country c is worth as much to that buyer when its own landed cost matches,
so its netback (FOB) price in d is

    n_d = (L_rd − f_cd) / (1 + τ_cd)            (τ_cd = f_cd = 0 when d = c)

and the project's price is the offtake-weighted mean, the unsold share at the world price:

    price = Σ_d s_d n_d + (1 − Σ_d s_d) P

E.g. with a 35 % duty on Chinese graphite in the US and none on Australian, an Australian
project selling into the US earns P × 1.35 + f_CN,US − f_AU,US per tonne instead of P.
A destination named as a bloc is priced at its first member (right for a customs union such
as the EU; a note says so).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from minsec.catalog import blocs, commodities, countries
from minsec.catalog import tariffs as tf
from minsec.errors import InputError


class LandedCostSpec(BaseModel):
    """Price the projects' offtake against a rival origin's landed cost (finance/netback.py)."""

    model_config = ConfigDict(extra="forbid")

    rival: str = Field(
        description="The origin whose landed cost the output competes with in each offtake "
        "destination, e.g. CHN (a country)."
    )
    hs6: str | None = Field(
        default=None,
        description="HS6 code of the traded product (default: the first code "
        "of the commodity's basket).",
    )
    date: dt.date | None = Field(
        default=None, description="Day whose duties apply (default: 1 January of start_year)."
    )

    @field_validator("rival")
    @classmethod
    def _rival(cls, v: str) -> str:
        found = countries.find(v)
        if found is None:
            raise ValueError(f"unknown country {v!r}")
        return found

    @field_validator("hs6")
    @classmethod
    def _hs6(cls, v: str | None) -> str | None:
        if v is None:
            return v
        code = tf.check_hs(v, tf.book(user=False).hs_extra, allow_all=False)
        if len(code) != 6:
            raise ValueError(f"give a 6-digit HS code, got {v!r}")
        return code


@dataclass(frozen=True)
class Netback:
    """The netback of one offtake destination."""

    destination: str
    share: float
    rival_landed_usd_per_t: float
    own_duty: float
    own_freight_usd_per_t: float
    netback_usd_per_t: float


def _duty(b: tf.TariffBook, hs6: str, origin: str, dest: str, day: dt.date, where: str) -> float:
    d = tf.resolve(b, hs6, origin, dest, day)
    if d.total is None:
        raise InputError(
            f"the duty on HS {hs6} from {origin} to {dest} on {day} is not in the tariff data "
            f"({'; '.join(d.notes)}): add it with `minsec tariffs set --kind mfn --hs6 {hs6} "
            f"--origin all --destination {dest} --duty … --from … --source …`",
            column=where,
        )
    return d.total


def _freight(b: tf.TariffBook, origin: str, dest: str, hs6: str, where: str) -> float:
    cost = tf.freight_usd_per_t(b, origin, dest, hs6)
    if math.isnan(cost):  # no row for the lane
        raise InputError(f"no freight row from {origin} to {dest} in the tariff data", column=where)
    return cost


def netback_price(
    world_price_usd_per_t: float,
    origin: str,
    offtake: Mapping[str, float],
    *,
    hs6: str,
    rival: str,
    day: dt.date,
    book: tf.TariffBook,
    where: str = "landed_cost",
) -> tuple[float, list[Netback]]:
    """The project's price and the netback of each offtake destination (module docstring).

    ``origin`` and ``rival`` are country ids; ``offtake`` maps destinations (countries or
    blocs) to shares (summing to at most 1). Unknown duties or lanes raise
    :class:`~minsec.errors.InputError` naming ``where``.
    """
    p = float(world_price_usd_per_t)
    parts: list[Netback] = []
    for label, share in offtake.items():
        if share <= 0:
            continue
        members = blocs.resolve_party(label)[1]
        dest = label if countries.find(label) == label else sorted(members)[0]
        rival_landed = tf.landed_cost_usd_per_t(
            p, _duty(book, hs6, rival, dest, day, where), _freight(book, rival, dest, hs6, where)
        )
        own_duty = _duty(book, hs6, origin, dest, day, where)
        own_freight = _freight(book, origin, dest, hs6, where)
        value = (rival_landed - own_freight) / (1.0 + own_duty)
        parts.append(Netback(label, float(share), rival_landed, own_duty, own_freight, value))
    sold = sum(n.share for n in parts)
    price = sum(n.share * n.netback_usd_per_t for n in parts) + max(1.0 - sold, 0.0) * p
    return price, parts


def describe(price: float, parts: list[Netback], rival: str) -> str:
    """One line for a plan's notes: the price and each destination's netback."""
    each = ", ".join(f"{n.destination} {n.share:.0%} at {n.netback_usd_per_t:,.0f}" for n in parts)
    return f"price {price:,.0f} USD/t from netbacks against {rival}'s landed cost ({each})"


def project_price(
    row: Mapping[str, Any],
    offtake: Mapping[str, float],
    landed: LandedCostSpec,
    world_price_usd_per_t: float | None,
    start_year: int,
) -> tuple[float, str]:
    """A plan candidate's price from its offtake netbacks, and a note for the plan.

    ``row`` is the project (``project_id``, ``country``, ``commodity``); ``offtake`` its
    buyers' shares; the world price is ``world_price_usd_per_t`` or the commodity default
    of ``finance/data/defaults.toml``. Errors name ``minerals.<id>.landed_cost``.
    """
    from minsec.finance import projects

    cid = str(row["commodity"])
    where = f"minerals.{cid}.landed_cost"
    world = world_price_usd_per_t or projects.assumptions(dict(row)).get("price_usd_per_t")
    if world is None:
        raise InputError(f"no world price for {cid}: give price_usd_per_t", column=where)
    c = commodities.get(cid)
    hs6 = landed.hs6 or next(iter((*c.hs17, *c.hs92)), None)
    if hs6 is None:
        raise InputError(f"{cid} has no HS code in the catalog: give hs6", column=where)
    day = landed.date or dt.date(start_year, 1, 1)
    price, parts = netback_price(
        float(world), str(row["country"]), offtake, hs6=hs6, rival=landed.rival, day=day,
        book=tf.book(), where=where,
    )  # fmt: skip
    return price, f"{row['project_id']}: {describe(price, parts, landed.rival)}"
