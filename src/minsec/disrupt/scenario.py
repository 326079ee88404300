"""Disruption scenarios: the spec (YAML/JSON or Python), named scenarios, simulation.

A scenario names a commodity, a baseline year and a list of **events** (export restriction,
production outage, chokepoint) with real dates, plus optional **responses** (stockpile
release, demand restraint, allied sharing) and **parameter** overrides. It is validated by
pydantic; every error names the field (``events[0].fraction: must be between 0 and 1``).

:func:`simulate` builds a baseline per stage (:func:`minsec.disrupt.baseline.build_baseline`),
turns the events into :class:`~minsec.disrupt.model.Shocks` on a monthly timeline, runs
:func:`minsec.disrupt.engine.propagate` and reports per month, importer and bloc: shortfall
(tonnes and % of apparent consumption), price change and value at risk, with a summary.

Timeline: month 0 starts at ``start`` (default: the first day of the month of the earliest
event); an event starting on day d of a month is active for the rest of that month
(fractional months), and runs ``duration_months`` (or to ``end``; open-ended by default).

:mod:`minsec.disrupt.backtest` compares the named real cases (scenarios with a
``backtest`` section) with the trade and prices observed after them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, cast

import numpy as np
import pandas as pd
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from minsec.assess import _trade
from minsec.catalog import blocs, commodities, countries
from minsec.catalog import tariffs as tf
from minsec.catalog._names import suggestion
from minsec.errors import DataMissingError, InputError, UnknownNameError
from minsec.store import Store

from . import baseline as bl
from . import tariff as tariff_mod
from . import tariff_report
from .engine import propagate
from .model import Baseline, Outcome, Parameters, Responses, ResultTable, Shocks

Stage = Literal["ore", "refined"]
Progress = Callable[[str], None]
ALL: Literal["all"] = "all"


# -- field validators --------------------------------------------------------------------------


def _fraction(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"must be between 0 and 1 (got {value})")
    return value


def _non_negative(value: float) -> float:
    if value < 0 or math.isnan(value):
        raise ValueError(f"must be 0 or more (got {value})")
    return value


def _negative(value: float) -> float:
    if not value < 0:
        raise ValueError(f"must be negative (demand falls when the price rises; got {value})")
    return value


def _at_least_one(value: float) -> float:
    if not value >= 1:
        raise ValueError(f"must be at least 1 (got {value})")
    return value


def _country(value: str) -> str:
    try:
        return countries.resolve(str(value))
    except UnknownNameError as exc:
        raise ValueError(str(exc)) from None


def _party(value: str) -> str:
    if str(value).strip().lower() == ALL:
        return ALL
    try:
        blocs.resolve_party(str(value))
    except UnknownNameError as exc:
        raise ValueError(str(exc)) from None
    return str(value)


def _commodity(value: str) -> str:
    try:
        return commodities.resolve(str(value))
    except UnknownNameError as exc:
        raise ValueError(str(exc)) from None


def _hs6(value: Any) -> str:
    text = str(value).strip()
    if not re.fullmatch(r"\d{1,6}", text):
        raise ValueError(f"an HS code has up to six digits (got {value!r})")
    return text.zfill(6)


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?", text)
    if not m:
        raise ValueError(f"expected a date like 2023-12-01 or a month like 2023-12 (got {value!r})")
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1))
    except ValueError as exc:
        raise ValueError(f"not a valid date {text!r}: {exc}") from None


def _names(value: Any) -> Any:
    return [value] if isinstance(value, str) and value.strip().lower() != ALL else value


def _all_or_list(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() == ALL:
        return ALL
    return _names(value)


Fraction = Annotated[float, AfterValidator(_fraction)]
NonNegative = Annotated[float, AfterValidator(_non_negative)]
CountryName = Annotated[str, AfterValidator(_country)]
PartyName = Annotated[str, AfterValidator(_party)]
HS6 = Annotated[str, BeforeValidator(_hs6)]
DateLike = Annotated[dt.date, BeforeValidator(_date)]
Targets = Annotated[Literal["all"] | list[PartyName], BeforeValidator(_all_or_list)]
PartyList = Annotated[list[PartyName], BeforeValidator(_names)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def resolve_parties(names: Iterable[str]) -> tuple[str, ...]:
    """Country ids of countries and blocs named (sorted, unique)."""
    out: set[str] = set()
    for name in names:
        out.update(blocs.resolve_party(name)[1])
    return tuple(sorted(out))


# -- events ------------------------------------------------------------------------------------


class _Event(_Model):
    start: DateLike = Field(description="first day in force")
    duration_months: NonNegative | None = Field(
        default=None, description="months in force (default: open-ended)"
    )
    end: DateLike | None = Field(default=None, description="last day in force (or duration)")
    stages: list[Stage] | None = Field(default=None, description="stages hit (default: all)")
    note: str | None = None
    source: str | None = None

    @model_validator(mode="after")
    def _one_end(self) -> _Event:
        if self.end is not None and self.duration_months is not None:
            raise ValueError("give either duration_months or end, not both")
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class ExportRestriction(_Event):
    """An exporter withholds a fraction of its exports to some or all importers."""

    type: Literal["export_restriction"] = "export_restriction"
    exporter: CountryName
    targets: Targets = ALL
    fraction: Fraction = 1.0
    announced: DateLike | None = Field(
        default=None,
        description="day the measure was announced; when the baseline year lies between "
        "the announcement and the start, imports above trend that year count as stock "
        "bought ahead (docs/disruption.md, Buying ahead)",
    )
    hs6: list[HS6] | None = Field(
        default=None, description="HS codes covered (default: the whole basket)"
    )

    @model_validator(mode="after")
    def _announced_first(self) -> ExportRestriction:
        if self.announced is not None and self.announced > self.start:
            raise ValueError(f"announced {self.announced} is after start {self.start}")
        return self


class ProductionOutage(_Event):
    """A country loses a fraction of its production (mine, plant)."""

    type: Literal["production_outage"] = "production_outage"
    country: CountryName
    stage: Stage | None = None
    fraction: Fraction


class Link(_Model):
    """Trade links from exporter(s) to importer(s): countries, blocs or ``all``."""

    exporter: PartyName
    importer: PartyName


class Chokepoint(_Event):
    """A share of the trade on a set of links is blocked (a strait, a port, a railway)."""

    type: Literal["chokepoint"] = "chokepoint"
    name: str | None = None
    links: list[Link] = Field(min_length=1)
    fraction: Fraction = 1.0


def _duty(value: float) -> float:
    from minsec.catalog.tariffs import check_duty

    return check_duty(value)


DutyValue = Annotated[float, AfterValidator(_duty)]
NamedParties = Annotated[
    list[PartyName], BeforeValidator(lambda v: [v] if isinstance(v, str) else v)
]


class Tariff(_Event):
    """An importer raises its duty on some exporters' goods: an Armington trade shift.

    See :mod:`minsec.disrupt.tariff` and docs/tariffs.md. ``duty`` is the new all-in ad
    valorem rate (0.935 = 93.5 %), ``increase`` the points added to the rate in force;
    the rate before is ``from_duty`` or the tariff data's on the day before ``start``.
    """

    type: Literal["tariff"] = "tariff"
    importer: NamedParties
    exporters: NamedParties
    hs6: list[HS6] | None = Field(default=None, description="HS codes taxed (default: basket)")
    duty: DutyValue | None = Field(default=None, description="new all-in duty, a fraction")
    increase: DutyValue | None = Field(default=None, description="points added to the duty")
    from_duty: DutyValue | None = Field(default=None, description="duty before (default: data)")
    elasticity: NonNegative | None = Field(default=None, description="Armington sigma")
    diversion: Fraction | None = Field(default=None, description="share of freed tonnes diverted")

    @model_validator(mode="after")
    def _check(self) -> Tariff:
        if (self.duty is None) == (self.increase is None):
            raise ValueError("give exactly one of duty (the new all-in rate) or increase")
        if ALL in (*self.importer, *self.exporters):
            raise ValueError("name the importer and exporters (countries or blocs), not 'all'")
        return self


Event = Annotated[
    ExportRestriction | ProductionOutage | Chokepoint | Tariff, Field(discriminator="type")
]


# -- responses ---------------------------------------------------------------------------------


class StockpileRelease(_Model):
    """A holder (country or bloc) releases a stockpile: tonnes or days of its consumption."""

    type: Literal["stockpile_release"] = "stockpile_release"
    holder: PartyName
    tonnes: NonNegative | None = None
    days_of_cover: NonNegative | None = None
    max_rate_t_per_month: NonNegative | None = None
    stage: Stage | None = None

    @model_validator(mode="after")
    def _amount(self) -> StockpileRelease:
        if (self.tonnes is None) == (self.days_of_cover is None):
            raise ValueError("give exactly one of tonnes or days_of_cover")
        if self.holder == ALL:
            raise ValueError("holder: name a country or a bloc")
        return self


class DemandRestraint(_Model):
    """Countries shed a fraction of their demand while the disruption lasts."""

    type: Literal["demand_restraint"] = "demand_restraint"
    countries: PartyList
    fraction: Fraction


class AlliedSharing(_Model):
    """Members of a bloc pool their stockpile releases (shared pro rata to need)."""

    type: Literal["allied_sharing"] = "allied_sharing"
    enabled: bool = True
    bloc: PartyName = "like-minded"


Response = Annotated[
    StockpileRelease | DemandRestraint | AlliedSharing, Field(discriminator="type")
]


class ParameterOverrides(_Model):
    """Overrides of the commodity defaults in ``disrupt/data/parameters.toml``."""

    leakage: Fraction | None = None
    ramp_months: NonNegative | None = None
    demand_elasticity: Annotated[float, AfterValidator(_negative)] | None = None
    supply_elasticity: NonNegative | None = None
    max_price_multiple: Annotated[float, AfterValidator(_at_least_one)] | None = None
    spot_share: Fraction | None = None
    spare_capacity: NonNegative | None = None
    spare_capacity_by_country: dict[CountryName, NonNegative] = Field(default_factory=dict)
    inventory_months: NonNegative | None = None
    inventory_draw_share: Fraction | None = None
    producer_inventory_months: NonNegative | None = None
    substitution_share: Fraction | None = None
    substitution_ramp_months: NonNegative | None = None
    transit_months: NonNegative | None = None
    long_run_elasticity_multiple: Annotated[float, AfterValidator(_at_least_one)] | None = None
    adjustment_months: NonNegative | None = None


class BacktestSpec(_Model):
    """How to compare the scenario with the trade observed after the measure."""

    observed_years: list[int] = Field(default_factory=list)
    targets: Targets | None = None
    measure: Literal["quantity", "value"] = "quantity"
    set: Literal["calibration", "holdout"] = Field(
        default="holdout",
        description="calibration: the fit of global parameters may use this case; "
        "holdout: its rows only measure the error",
    )
    note: str | None = None


class Scenario(_Model):
    """A disruption scenario (see the module docstring and docs/disruption.md)."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    title: str = ""
    description: str = ""
    sources: list[str] = Field(default_factory=list)
    commodity: Annotated[str, AfterValidator(_commodity)]
    baseline_year: Annotated[int, Field(ge=1995, le=2100)]
    start: DateLike | None = None
    months: Annotated[int, Field(ge=1, le=240)] = 12
    hs6: list[HS6] | None = None
    stages: list[Stage] | None = None
    trade_source: str | None = None
    events: list[Event] = Field(min_length=1)
    responses: list[Response] = Field(default_factory=list)
    parameters: ParameterOverrides = Field(default_factory=ParameterOverrides)
    report: PartyList | None = None
    backtest: BacktestSpec | None = None

    def first_start(self) -> dt.date:
        """The default start of the timeline: first of the month of the earliest event."""
        first = min(e.start for e in self.events)
        return first.replace(day=1)


# -- loading -----------------------------------------------------------------------------------

_TAGS = {
    "export_restriction",
    "tariff",
    "production_outage",
    "chokepoint",
    "stockpile_release",
    "demand_restraint",
    "allied_sharing",
}


def _loc(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in _TAGS or part.startswith(("function-after", "literal[")):
            continue
        else:
            out += ("." if out else "") + part
    return out or "(top level)"


def _message(error: Any) -> str:
    kind = error["type"]
    msg = str(error["msg"]).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        return "unknown field (check the spelling; see docs/disruption.md for the fields)"
    if kind == "union_tag_not_found":
        return "needs `type:` (export_restriction, production_outage, chokepoint, tariff; or for "
        "responses stockpile_release, demand_restraint, allied_sharing)"
    if kind == "union_tag_invalid":
        ctx = error.get("ctx", {})
        return f"unknown type {ctx.get('tag')!r}; expected one of {ctx.get('expected_tags')}"
    if kind == "missing":
        return "required field is missing"
    return msg


def format_errors(exc: ValidationError) -> str:
    """One line per error: ``events[0].fraction: must be between 0 and 1``."""
    seen: list[str] = []
    for error in exc.errors():
        text = f"{_loc(error['loc'])}: {_message(error)}"
        if text not in seen:
            seen.append(text)
    return "; ".join(seen)


def parse_scenario(data: Any, *, path: Path | str | None = None) -> Scenario:
    """Validate a mapping as a :class:`Scenario`; errors become one :class:`InputError`."""
    if not isinstance(data, dict):
        raise InputError("a scenario is a mapping with name, commodity, events, …", path=path)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise InputError(format_errors(exc), path=path) from None


def load_scenario(path: Path | str) -> Scenario:
    """Read a scenario from a YAML or JSON file."""
    p = Path(path)
    if not p.is_file():
        raise InputError("scenario file not found", path=p)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = None if mark is None else int(mark.line) + 1
        raise InputError(f"not valid YAML/JSON: {exc}", path=p, row=row) from None
    return parse_scenario(data, path=p)


def _scenario_files() -> dict[str, Any]:
    folder = resources.files("minsec.disrupt").joinpath("scenarios")
    return {
        f.name.rsplit(".", 1)[0]: f
        for f in sorted(folder.iterdir(), key=lambda f: f.name)
        if f.name.endswith((".yaml", ".yml"))
    }


def named_scenarios() -> dict[str, Scenario]:
    """The scenarios shipped with minsec (``disrupt/scenarios/*.yaml``), by name."""
    out: dict[str, Scenario] = {}
    for name, f in _scenario_files().items():
        data = yaml.safe_load(f.read_text(encoding="utf-8"))
        sc = parse_scenario(data, path=f"minsec/disrupt/scenarios/{f.name}")
        if sc.name != name:
            raise InputError(f"scenario name {sc.name!r} differs from its file name {name!r}")
        out[name] = sc
    return out


def scenario_text(name: str) -> str:
    """The YAML text of a named scenario."""
    files = _scenario_files()
    if name not in files:
        get_scenario(name)
    return str(files[name].read_text(encoding="utf-8"))


def get_scenario(name: str) -> Scenario:
    """A named scenario; unknown names raise with the nearest names."""
    found = named_scenarios()
    if name not in found:
        raise UnknownNameError(
            f"no named scenario {name!r}; `minsec scenarios list` shows them",
            hint=suggestion(name, list(found)),
        )
    return found[name]


# -- timeline ----------------------------------------------------------------------------------


def month_index(day: dt.date, start: dt.date) -> float:
    """Months from ``start`` (first day of month 0) to ``day``, fractional by day."""
    days = calendar.monthrange(day.year, day.month)[1]
    whole = (day.year - start.year) * 12 + day.month - start.month
    return whole + (day.day - 1) / days - (start.day - 1) / 31.0


def _add_months(day: dt.date, months: int) -> dt.date:
    total = day.month - 1 + months
    return dt.date(day.year + total // 12, total % 12 + 1, 1)


def _span(event: _Event, start: dt.date) -> tuple[float, float]:
    s = month_index(event.start, start)
    if event.end is not None:
        e = month_index(event.end + dt.timedelta(days=1), start)
        return s, max(e - s, 0.0)
    return s, math.inf if event.duration_months is None else float(event.duration_months)


# -- building shocks and responses ---------------------------------------------------------------


@dataclass
class _Slot:
    export_fraction: np.ndarray
    outage_fraction: np.ndarray
    start: np.ndarray
    duration: np.ndarray
    targets: np.ndarray
    used: set[int] = field(default_factory=set)


def _targets_mask(b: Baseline, exporter: int, targets: Any) -> np.ndarray:
    mask = np.zeros(b.n, dtype=bool)
    if targets == ALL:
        mask[:] = True
    else:
        ids = set(resolve_parties(targets))
        mask[[i for i, c in enumerate(b.countries) if c in ids]] = True
    mask[exporter] = False
    return mask


def _side(b: Baseline, name: str) -> np.ndarray:
    if name == ALL:
        return np.ones(b.n, dtype=bool)
    ids = set(blocs.resolve_party(name)[1])
    return np.array([c in ids for c in b.countries], dtype=bool)


def _coverage(
    store: Store, b: Baseline, source: str, codes: Sequence[str], exporter: str, targets: np.ndarray
) -> float:
    """Share (by value) of the exporter's flows to its targets that the event's codes carry."""

    def flows(hs: Sequence[str]) -> pd.DataFrame:
        basket = pd.DataFrame({"hs6": list(hs), "commodity": b.commodity, "hs_content": np.nan})
        return _trade.load_flows(store, basket, [b.year], source)

    tset = {c for c, t in zip(b.countries, targets, strict=True) if t}

    def value(frame: pd.DataFrame) -> float:
        rows = frame[(frame["exporter"] == exporter) & frame["importer"].isin(tset)]
        return float(rows["value_kusd"].sum())

    total = value(flows(b.hs6))
    covered = [c for c in codes if c in b.hs6]
    if total <= 0 or not covered:
        return 0.0
    return min(1.0, value(flows(covered)) / total)


def _source_of(b: Baseline) -> str:
    head = b.notes[0] if b.notes else ""
    m = re.match(r"trade: (\S+) ", head)
    return m.group(1) if m else _trade.DEFAULT_TRADE_SOURCE


def build_shocks(
    store: Store | None, scenario: Scenario, b: Baseline, start: dt.date
) -> tuple[Shocks, list[str]]:
    """The scenario's events as one run of engine shocks on baseline ``b`` (and notes)."""
    n = b.n
    notes: list[str] = []
    slots: list[_Slot] = []

    def slot_for(countries_: set[int]) -> _Slot:
        for s in slots:
            if not (s.used & countries_):
                s.used |= countries_
                return s
        s = _Slot(
            np.zeros((1, n)),
            np.zeros((1, n)),
            np.zeros((1, n)),
            np.zeros((1, n)),
            np.zeros((n, n), dtype=bool),
            set(countries_),
        )
        slots.append(s)
        return s

    pos = {c: i for i, c in enumerate(b.countries)}
    leak = tariff_mod.leakage_note(scenario.events, scenario.commodity, scenario.parameters.leakage)
    notes.extend([leak] if leak else [])

    def sigma(ev: Tariff) -> float:
        return tariff_mod.sigma_for(ev, scenario.commodity)

    for i, ev in enumerate(scenario.events):
        if ev.stages is not None and b.stage not in ev.stages:
            continue
        s0, dur = _span(ev, start)
        if isinstance(ev, ExportRestriction):
            if ev.exporter not in pos:
                notes.append(
                    f"events[{i}]: {countries.name_of(ev.exporter)} has no trade of "
                    f"{b.commodity} ({b.stage}) in {b.year}; the restriction changes nothing"
                )
                continue
            k = pos[ev.exporter]
            mask = _targets_mask(b, k, ev.targets)
            fraction = ev.fraction
            if ev.hs6 is not None and store is not None:
                cover = _coverage(store, b, _source_of(b), ev.hs6, ev.exporter, mask)
                notes.append(
                    f"events[{i}]: HS {', '.join(ev.hs6)} carry {cover:.0%} of the value of "
                    f"{ev.exporter}'s exports to its targets; fraction scaled to "
                    f"{fraction * cover:.3f}"
                )
                fraction *= cover
            slot = slot_for({k})
            slot.export_fraction[0, k] = fraction
            slot.targets[k] = mask
            slot.start[0, k], slot.duration[0, k] = s0, dur
        elif isinstance(ev, ProductionOutage):
            if ev.stage is not None and ev.stage != b.stage:
                continue
            if ev.country not in pos or b.production_t[pos[ev.country]] <= 0:
                notes.append(
                    f"events[{i}]: {countries.name_of(ev.country)} has no production of "
                    f"{b.commodity} ({b.stage}) in {b.year}; the outage changes nothing"
                )
                continue
            k = pos[ev.country]
            slot = slot_for({k})
            slot.outage_fraction[0, k] = ev.fraction
            slot.start[0, k], slot.duration[0, k] = s0, dur
        elif isinstance(ev, Tariff):
            plan = tariff_mod.translate(ev, f"events[{i}]", b, store, tf.book(), sigma(ev))
            notes.extend(plan.notes)
            for k, mask, fraction in plan.layers:
                slot = slot_for({k})
                slot.export_fraction[0, k] = fraction
                slot.targets[k] = mask
                slot.start[0, k], slot.duration[0, k] = s0, dur
        else:
            links = np.zeros((n, n), dtype=bool)
            for link in ev.links:
                links |= np.outer(_side(b, link.exporter), _side(b, link.importer))
            np.fill_diagonal(links, False)
            exporters = {int(k) for k in np.flatnonzero(links.any(axis=1))}
            if not exporters:
                notes.append(f"events[{i}]: the chokepoint's links carry no trade; no effect")
                continue
            slot = slot_for(exporters)
            for k in exporters:
                slot.export_fraction[0, k] = ev.fraction
                slot.targets[k] = links[k]
                slot.start[0, k], slot.duration[0, k] = s0, dur
    if not slots:
        slots.append(
            _Slot(
                np.zeros((1, n)),
                np.zeros((1, n)),
                np.zeros((1, n)),
                np.zeros((1, n)),
                np.zeros((n, n), dtype=bool),
            )
        )
    layers = [
        Shocks(s.export_fraction, s.targets, s.outage_fraction, s.start, s.duration) for s in slots
    ]
    shocks = Shocks(
        layers[0].export_fraction,
        layers[0].targets,
        layers[0].outage_fraction,
        layers[0].start_month,
        layers[0].duration_months,
        layers=tuple(layers[1:]),
    )
    return shocks, notes


def build_responses(
    scenario: Scenario, b: Baseline, stages: Sequence[str]
) -> tuple[Responses, list[str]]:
    """The scenario's responses on baseline ``b`` (stockpiles go to one stage)."""
    n = b.n
    notes: list[str] = []
    stock = np.zeros(n)
    rate = np.zeros(n)
    restraint = np.zeros(n)
    sharing: tuple[str, ...] = ()
    primary = "refined" if "refined" in stages else stages[0]
    pos = {c: i for i, c in enumerate(b.countries)}
    for i, r in enumerate(scenario.responses):
        if isinstance(r, StockpileRelease):
            if (r.stage or primary) != b.stage:
                continue
            members = [pos[c] for c in blocs.resolve_party(r.holder)[1] if c in pos]
            if not members:
                notes.append(f"responses[{i}]: {r.holder} is not in the {b.stage} network")
                continue
            weights = b.consumption_t[members]
            weights = (
                weights / weights.sum()
                if weights.sum() > 0
                else np.full(len(members), 1 / len(members))
            )
            if r.tonnes is not None:
                amount = r.tonnes * weights
            else:
                amount = b.consumption_t[members] * float(r.days_of_cover or 0) / 365.0
            stock[members] += amount
            limit = math.inf if r.max_rate_t_per_month is None else r.max_rate_t_per_month
            rate[members] = np.where(
                np.isinf(rate[members]) | np.isinf(limit),
                math.inf,
                rate[members] + limit * weights,
            )
        elif isinstance(r, DemandRestraint):
            ids = resolve_parties(r.countries)
            for c in ids:
                if c in pos:
                    restraint[pos[c]] = max(restraint[pos[c]], r.fraction)
        elif r.enabled:
            sharing = tuple(sorted(set(sharing) | set(blocs.resolve_party(r.bloc)[1])))
    return Responses(stock, rate, restraint, sharing), notes


def announced_ahead(scenario: Scenario, year: int) -> list[ExportRestriction]:
    """Restrictions announced by the end of ``year`` that start after it."""
    end = dt.date(year, 12, 31)
    return [
        e
        for e in scenario.events
        if isinstance(e, ExportRestriction)
        and e.announced is not None
        and e.announced <= end
        and e.start > end
    ]


def with_front_run(
    store: Store,
    scenario: Scenario,
    b: Baseline,
    responses: Responses,
    *,
    trade_source: str | None,
    parameters: bl.CommodityParameters,
    measure: Literal["quantity", "value"] = "quantity",
) -> tuple[Baseline, Responses, list[str]]:
    """Baseline and responses with the stocks bought ahead of announced restrictions.

    Imports from an announcing exporter in the baseline year above their mean over the two
    years before leave the baseline's consumption and become commercial stock at the
    start (:mod:`minsec.disrupt.frontrun`). Nothing changes without such an event, or
    when the store lacks the two earlier years (said in a note).
    """
    from . import frontrun

    end = dt.date(b.year, 12, 31)
    later = [
        f"{e.exporter}'s restriction was announced on {e.announced}, after the baseline year: "
        "what buyers bought ahead before its start is not in the model (see Buying ahead)"
        for e in scenario.events
        if isinstance(e, ExportRestriction) and e.announced is not None and e.announced > end
        and e.announced < e.start
    ]  # fmt: skip
    events = [e for e in announced_ahead(scenario, b.year) if e.exporter in b.countries]
    if not events:
        return b, responses, later
    no_production = pd.DataFrame({"country": pd.Series(dtype=str), "production_t": []})
    earlier = []
    for year in (b.year - 2, b.year - 1):
        try:
            before = bl.build_baseline(
                store, scenario.commodity, year, stage=b.stage, hs6=scenario.hs6,
                trade_source=trade_source or b.trade_source, measure=measure,
                parameters=parameters, production_data=no_production,
            )  # fmt: skip
        except DataMissingError as exc:
            missing = f"no stock bought ahead counted: no trade in {year} ({exc})"
            return b, responses, [*later, missing]
        earlier.append(before)
    pairs = [(e.exporter, _targets_mask(b, b.index(e.exporter), e.targets)) for e in events]
    ahead = frontrun.excess_imports(b, earlier, pairs)
    if not (ahead > 0).any():
        return b, responses, later
    return (
        frontrun.without_stockbuilding(b, ahead),
        replace(responses, commercial_stock_t=ahead.sum(axis=0)),
        later,
    )


@dataclass(frozen=True)
class StageInputs:
    """What the engine needs for one stage of a scenario (see :func:`stage_inputs`).

    ``observed`` is the baseline year as the store holds it; ``baseline`` the engine's
    (without the stocks bought ahead of an announced ban, which are in ``responses``);
    ``notes`` those of the events, responses and buying ahead (the baselines carry their
    own).
    """

    observed: Baseline
    baseline: Baseline
    shocks: Shocks
    responses: Responses
    notes: tuple[str, ...]


def stage_inputs(
    store: Store,
    scenario: Scenario,
    stage: str,
    year: int,
    start: dt.date,
    stages: Sequence[str],
    *,
    trade_source: str | None,
    parameters: bl.CommodityParameters,
    measure: Literal["quantity", "value"] = "quantity",
    production_data: pd.DataFrame | None = None,
) -> StageInputs:
    """Baseline, events and responses of one stage, with the stocks bought ahead.

    The one place :func:`simulate`, the sensitivity analysis and the back-test build what
    they hand to the engine.
    """
    b = bl.build_baseline(
        store, scenario.commodity, year, stage=stage, hs6=scenario.hs6,
        trade_source=trade_source, measure=measure, parameters=parameters,
        production_data=production_data,
    )  # fmt: skip
    shocks, shock_notes = build_shocks(store, scenario, b, start)
    resp, resp_notes = build_responses(scenario, b, stages)
    engine_b, resp, ahead = with_front_run(
        store, scenario, b, resp, trade_source=trade_source, parameters=parameters,
        measure=measure,
    )  # fmt: skip
    return StageInputs(b, engine_b, shocks, resp, (*shock_notes, *resp_notes, *ahead))


def engine_parameters(scenario: Scenario, stage_params: bl.CommodityParameters) -> Parameters:
    """Engine parameters: commodity defaults with the scenario's overrides."""
    o = scenario.parameters
    return stage_params.engine_parameters(
        scenario.months,
        leakage=tariff_mod.engine_leakage(scenario.events, scenario.commodity, o.leakage),
        ramp_months=o.ramp_months,
        demand_elasticity=o.demand_elasticity,
        supply_elasticity=o.supply_elasticity,
        max_price_multiple=o.max_price_multiple,
        spot_share=o.spot_share,
        **{k: getattr(o, k) for k in bl.BUFFER_KEYS},
    )


def _commodity_parameters(scenario: Scenario) -> bl.CommodityParameters:
    base = bl.commodity_parameters(scenario.commodity)
    o = scenario.parameters
    by_country = dict(base.spare_capacity_by_country)
    by_country.update(o.spare_capacity_by_country)
    return bl.CommodityParameters(
        commodity=base.commodity,
        demand_elasticity=base.demand_elasticity,
        supply_elasticity=base.supply_elasticity,
        spare_capacity=base.spare_capacity if o.spare_capacity is None else o.spare_capacity,
        ramp_months=base.ramp_months,
        leakage=base.leakage,
        max_price_multiple=base.max_price_multiple,
        spot_share=base.spot_share,
        **{k: getattr(base, k) for k in bl.BUFFER_KEYS},
        spare_capacity_by_country=by_country
        if o.spare_capacity is None
        else dict(o.spare_capacity_by_country),
        stages=base.stages,
    )


# -- simulation --------------------------------------------------------------------------------


@dataclass
class SimulationResult:
    """What :func:`simulate` returns.

    Attributes
    ----------
    monthly:
        One row per stage × month × party (country or bloc): ``baseline_t`` (monthly
        apparent consumption), ``supply_t``, ``shortfall_t``, ``shortfall_pct`` (of
        apparent consumption), ``price_index``, ``price_change_pct``, ``price_usd_per_t``,
        ``value_at_risk_usd`` (shortfall × price), ``extra_cost_usd`` (supply × price
        rise), ``stock_release_t`` (received from stockpiles), ``inventory_draw_t`` (drawn
        from the party's commercial inventories), ``substitute_t`` (met by a substitute
        product outside the basket), ``imports_change_t`` and
        ``imports_change_from_restricting_t``.
    summary:
        One row per stage × party over the horizon.
    market:
        One row per stage × month: price (``at_price_cap`` when it sits on the cap) and
        world totals (withheld, diverted, spare output, producers' stock sales, inventory
        draws, substitutes, stockpile releases, shortfall).
    """

    scenario: Scenario
    baseline_year: int
    start: dt.date
    monthly: pd.DataFrame
    summary: pd.DataFrame
    market: pd.DataFrame
    baselines: dict[str, Baseline]
    outcomes: dict[str, Outcome]
    parameters: dict[str, Parameters]
    notes: list[str]
    response: pd.DataFrame = field(default_factory=pd.DataFrame)
    """The coordinated allied allocation (when the scenario has ``allied_sharing``): one row
    per stage × month × source × partner with the tonnes shipped or released, for the
    coordinated (LP) and the uncoordinated outcome (``coordinated`` column)."""
    response_shortfall: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Shortfall per stage × month × partner with and without coordination."""
    trade_shift: pd.DataFrame = field(default_factory=pd.DataFrame)
    """With tariff events: per stage × party, imports from the taxed origins and from
    others over the horizon, baseline and change (:func:`minsec.disrupt.tariff.trade_shift`)."""
    tariff_sources: pd.DataFrame = field(default_factory=pd.DataFrame)
    """With tariff events: per event × taxing importer, origins by landed cost and the
    tonnes the importer turns to each (:func:`minsec.disrupt.tariff.sources`)."""

    def table(self, which: ResultTable | str) -> pd.DataFrame:
        """One of the result's tables by name (see :class:`ResultTable`)."""
        return cast(pd.DataFrame, getattr(self, ResultTable(which).name))

    def meta(self) -> dict[str, Any]:
        """JSON-ready description of the run (scenario, data, parameters, caveats)."""
        sc = self.scenario
        return {
            "scenario": sc.name,
            "title": sc.title,
            "commodity": sc.commodity,
            "baseline_year": self.baseline_year,
            "start": self.start.isoformat(),
            "months": sc.months,
            "stages": list(self.baselines),
            "hs6": {k: list(b.hs6) for k, b in self.baselines.items()},
            "baseline_price_usd_per_t": {k: b.price_usd_per_t for k, b in self.baselines.items()},
            "parameters": {
                k: {f: getattr(p, f) for f in p.__dataclass_fields__}
                for k, p in self.parameters.items()
            },
            "months_at_price_cap": {
                k: int(m["at_price_cap"].sum()) for k, m in self.market.groupby("stage")
            },
            "sources": list(sc.sources),
            "notes": list(self.notes),
        }


def _parties(scenario: Scenario, b: Baseline) -> dict[str, tuple[str, ...]]:
    if scenario.report:
        return dict(blocs.parties(list(scenario.report)))
    out: dict[str, tuple[str, ...]] = {
        c: (c,) for c, d in zip(b.countries, b.consumption_t, strict=True) if d > 0
    }
    for bloc in blocs.blocs().values():
        if len(bloc.members) > 1:
            out.setdefault(bloc.id, bloc.members)
    return out


def _frames(
    scenario: Scenario,
    b: Baseline,
    out: Outcome,
    start: dt.date,
    parties: dict[str, tuple[str, ...]],
    cap: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    months = out.price_index.shape[1]
    pos = {c: i for i, c in enumerate(b.countries)}
    labels = list(parties)
    member = np.zeros((len(labels), b.n))
    for r, label in enumerate(labels):
        for c in parties[label]:
            if c in pos:
                member[r, pos[c]] = 1.0
    keep = member.sum(axis=1) > 0
    labels = [lab for lab, k in zip(labels, keep, strict=True) if k]
    member = member[keep]

    def agg(arr: np.ndarray) -> np.ndarray:  # (M, n) -> (M, parties)
        return np.asarray(arr @ member.T)

    d0 = np.broadcast_to(member @ out.baseline_monthly_t, (months, len(labels)))
    price = out.price_index[0][:, None]
    p0 = b.price_usd_per_t
    short = agg(out.shortfall_t[0])
    supply = agg(out.supply_t[0])
    e = out.extra
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(d0 > 0, 100.0 * short / d0, np.nan)
    dates = [_add_months(start, m).strftime("%Y-%m") for m in range(months)]
    is_bloc = [len(parties[lab]) > 1 or lab not in pos for lab in labels]
    names = [
        (blocs.blocs()[lab].name if lab in blocs.blocs() and bloc_ else countries.name_of(lab))
        for lab, bloc_ in zip(labels, is_bloc, strict=True)
    ]
    n_p = len(labels)
    monthly = pd.DataFrame(
        {
            "stage": b.stage,
            "month": np.repeat(np.arange(months), n_p),
            "date": np.repeat(dates, n_p),
            "party": np.tile(labels, months),
            "party_type": np.tile(["bloc" if x else "country" for x in is_bloc], months),
            "name": np.tile(names, months),
            "baseline_t": d0.ravel(),
            "supply_t": supply.ravel(),
            "shortfall_t": short.ravel(),
            "shortfall_pct": pct.ravel(),
            "price_index": np.repeat(price[:, 0], n_p),
            "price_change_pct": np.repeat(100.0 * (price[:, 0] - 1.0), n_p),
            "price_usd_per_t": np.repeat(p0 * price[:, 0], n_p),
            "value_at_risk_usd": (short * price * p0).ravel(),
            "extra_cost_usd": (supply * (price - 1.0) * p0).ravel(),
            "stock_release_t": agg(e["stock_received_t"][0]).ravel(),
            "inventory_draw_t": agg(e["inventory_draw_t"][0]).ravel(),
            "substitute_t": agg(e["substitute_t"][0]).ravel(),
            "imports_change_t": agg(e["imports_change_t"][0]).ravel(),
            "imports_change_from_restricting_t": agg(
                e["imports_change_from_restricting_t"][0]
            ).ravel(),
        }
    )
    world_d0 = float(out.baseline_monthly_t.sum())
    world_short = out.shortfall_t[0].sum(axis=1)
    market = pd.DataFrame(
        {
            "stage": b.stage,
            "month": np.arange(months),
            "date": dates,
            "price_index": out.price_index[0],
            "price_change_pct": 100.0 * (out.price_index[0] - 1.0),
            "price_usd_per_t": p0 * out.price_index[0],
            "at_price_cap": out.price_index[0] >= cap * (1.0 - 1e-12),
            "withheld_t": e["withheld_t"][0].sum(axis=1),
            "diverted_t": e["diverted_t"][0].sum(axis=1),
            "outage_t": e["outage_t"][0].sum(axis=1),
            "spare_output_t": e["spare_output_t"][0].sum(axis=1),
            "producer_stock_sold_t": e["producer_stock_sold_t"][0].sum(axis=1),
            "inventory_draw_t": e["inventory_draw_t"][0].sum(axis=1),
            "substitute_t": e["substitute_t"][0].sum(axis=1),
            "stock_release_t": out.stock_release_t[0].sum(axis=1),
            "world_shortfall_t": world_short,
            "world_shortfall_pct": 100.0 * world_short / world_d0 if world_d0 > 0 else np.nan,
        }
    )
    return monthly, market


def _summary(monthly: pd.DataFrame) -> pd.DataFrame:
    keys = ["stage", "party", "party_type", "name"]
    g = monthly.groupby(keys, sort=False)
    out = g.agg(
        baseline_t=("baseline_t", "sum"),
        shortfall_t=("shortfall_t", "sum"),
        first_month_shortfall_t=("shortfall_t", "first"),
        peak_shortfall_pct=("shortfall_pct", "max"),
        months_with_shortfall=("shortfall_t", lambda s: int((s > 1e-9).sum())),
        peak_price_change_pct=("price_change_pct", "max"),
        value_at_risk_usd=("value_at_risk_usd", "sum"),
        extra_cost_usd=("extra_cost_usd", "sum"),
        stock_release_t=("stock_release_t", "sum"),
        inventory_draw_t=("inventory_draw_t", "sum"),
        substitute_t=("substitute_t", "sum"),
        imports_change_t=("imports_change_t", "sum"),
    ).reset_index()
    with np.errstate(divide="ignore", invalid="ignore"):
        out.insert(
            list(out.columns).index("shortfall_t") + 1,
            "shortfall_pct",
            np.where(out["baseline_t"] > 0, 100.0 * out["shortfall_t"] / out["baseline_t"], np.nan),
        )
    return out.sort_values(["stage", "shortfall_t"], ascending=[True, False]).reset_index(drop=True)


def stages_for(
    store: Store, scenario: Scenario, year: int, trade_source: str | None = None
) -> list[str]:
    """Stages to simulate: the scenario's, or every stage with trade data in ``year``."""
    if scenario.hs6:
        return [scenario.stages[0] if scenario.stages else "custom"]
    if scenario.stages:
        return list(scenario.stages)
    found = bl.available_stages(store, scenario.commodity, year, trade_source=trade_source)
    if not found:
        # raises DataMissingError that says which data to import
        bl.build_baseline(store, scenario.commodity, year, trade_source=trade_source)
    return found


def simulate(
    store: Store,
    scenario: Scenario,
    *,
    baseline_year: int | None = None,
    trade_source: str | None = None,
    progress: Progress | None = None,
) -> SimulationResult:
    """Run a scenario on the store's data (see :class:`SimulationResult`).

    Parameters
    ----------
    store:
        The data store.
    scenario:
        A :class:`Scenario` (from :func:`load_scenario`, :func:`get_scenario` or Python).
    baseline_year:
        Overrides the scenario's baseline year.
    trade_source:
        Overrides the scenario's trade source (default: the embedded HS92 data where it
        has the codes, else an imported source that has them).
    progress:
        Called with a short text before each step (for progress displays).
    """
    step = progress or (lambda _text: None)
    year = int(baseline_year or scenario.baseline_year)
    source = trade_source or scenario.trade_source
    start = scenario.start or scenario.first_start()
    cparams = _commodity_parameters(scenario)
    stages = stages_for(store, scenario, year, source)
    notes: list[str] = []
    baselines: dict[str, Baseline] = {}
    outcomes: dict[str, Outcome] = {}
    used: dict[str, Parameters] = {}
    monthly_frames, market_frames = [], []
    response_frames: list[pd.DataFrame] = []
    response_short: list[pd.DataFrame] = []
    shift_frames: list[pd.DataFrame] = []
    source_frames: list[pd.DataFrame] = []
    for stage in stages:
        step(f"baseline {scenario.commodity} {stage} {year}")
        inputs = stage_inputs(
            store, scenario, stage, year, start, stages, trade_source=source, parameters=cparams
        )
        b, shocks, resp = inputs.baseline, inputs.shocks, inputs.responses
        notes.extend(f"{stage}: {t}" for t in (*b.notes, *inputs.notes))
        params = engine_parameters(scenario, cparams)
        step(f"propagate {stage}: {b.n} countries × {params.months} months")
        out = propagate(b, shocks, params, resp, detail=True)
        baselines[stage], outcomes[stage], used[stage] = b, out, params
        if resp.sharing_bloc:
            step(f"allied allocation {stage} (HiGHS)")
            alloc, alloc_notes = _coordinated_response(b, out, resp, start, stage)
            notes.extend(alloc_notes)
            if alloc is not None:
                response_frames.append(alloc[0])
                response_short.append(alloc[1])
        monthly, market = _frames(
            scenario, b, out, start, _parties(scenario, b), float(params.max_price_multiple)
        )
        if any(tariff_mod.is_tariff(e) for e in scenario.events):
            shift, srcs = tariff_report.tables(
                store, scenario, b, out, shocks, _parties(scenario, b), monthly
            )
            shift_frames.append(shift)
            source_frames.append(srcs)
        monthly_frames.append(monthly)
        market_frames.append(market)
    monthly_all = pd.concat(monthly_frames, ignore_index=True)
    return SimulationResult(
        scenario=scenario,
        baseline_year=year,
        start=start,
        monthly=monthly_all,
        summary=_summary(monthly_all),
        market=pd.concat(market_frames, ignore_index=True),
        baselines=baselines,
        outcomes=outcomes,
        parameters=used,
        notes=notes,
        response=pd.concat(response_frames, ignore_index=True)
        if response_frames
        else pd.DataFrame(),
        response_shortfall=(
            pd.concat(response_short, ignore_index=True) if response_short else pd.DataFrame()
        ),
        trade_shift=pd.concat(shift_frames, ignore_index=True) if shift_frames else pd.DataFrame(),
        tariff_sources=(
            pd.concat(source_frames, ignore_index=True) if source_frames else pd.DataFrame()
        ),
    )


def _coordinated_response(
    b: Baseline, out: Outcome, resp: Responses, start: dt.date, stage: str
) -> tuple[tuple[pd.DataFrame, pd.DataFrame] | None, list[str]]:
    """Solve the allied allocation LP on run 0 of the outcome (see minsec.disrupt.allocation)."""
    from minsec.disrupt.allocation import allocation_from_outcome

    partners = [c for c in resp.sharing_bloc if c in b.countries]
    if not partners:
        return None, [f"{stage}: no member of the sharing bloc is in the trade data"]
    # an unlimited release rate (inf) means "all of the stock in one month"
    rate = np.minimum(resp.release_rate_t_per_month, resp.stockpile_t)
    alloc = allocation_from_outcome(b, out, replace(resp, release_rate_t_per_month=rate), partners)
    months = pd.date_range(start, periods=int(out.shortfall_t.shape[1]), freq="MS")
    flows = alloc.flows.assign(stage=stage, date=lambda d: months[d["month"]].date)
    short = alloc.shortfall.assign(stage=stage, date=lambda d: months[d["month"]].date)
    notes = [
        f"{stage}: allied allocation — worst partner-month shortfall "
        f"{100 * alloc.max_shortfall_frac:.1f} % coordinated vs "
        f"{100 * alloc.uncoordinated_max_shortfall_frac:.1f} % uncoordinated; total "
        f"{alloc.total_shortfall_t:,.0f} t vs {alloc.uncoordinated_total_shortfall_t:,.0f} t",
        *(f"{stage}: {n}" for n in alloc.notes),
    ]
    return (flows, short), notes


# -- back-test (moved to minsec.disrupt.backtest) ----------------------------------------------

_MOVED = ("backtest", "backtest_one", "backtest_markdown")


def __getattr__(name: str) -> Any:
    """The back-test lives in :mod:`minsec.disrupt.backtest`; its old names still import."""
    if name in _MOVED:
        from . import backtest as _backtest

        return getattr(_backtest, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
