"""Portfolio plans: a YAML spec → projects, instrument costs, Monte Carlo need → optimiser.

This links the layers end to end (``docs/finance.md``, "minsec plan"):

1. **Projects** come from the plan (inline fields) and/or the store's ``projects`` table
   (an id found in the store fills every field the plan leaves out; ``store_projects``
   adds every matching row). Operating projects are already in the baseline and skipped.
2. **Instrument options**: each project gets the plan's (or its own) instrument specs
   (:mod:`minsec.finance.spec`; ``grant:capex_share=0.2`` is a grant of 20 % of capex).
   :func:`minsec.finance.instruments.evaluate` gives per option the public cost (USD,
   expected present cost, floored at 0), public capital, private capital mobilised and
   whether the project is bankable after support; with ``require_bankable`` the
   non-bankable options are not allowed.
3. **Time to first output** per scenario = permitting + construction, then the ramp-up
   profile, by month: permitting ~ lognormal with median ``permit_expected_months`` and
   90th percentile ``permit_pessimistic_months`` (0 for projects under construction);
   construction = ``construction_years`` (half of it left for projects under
   construction); a row's ``start_year`` is the expected first year, and slower permitting
   than expected delays it. Output in year t = capacity × mean over its months of the
   ramp-up share × ``basket_t_per_t`` (Monte Carlo tonnes per tonne of product, default 1).
4. **Need**: for each mineral, :func:`minsec.disrupt.montecarlo.run_risk` on the store's
   data gives the annual shortfall per partner in ``runs × horizon_years`` independent
   simulated years, cut into ``runs`` scenarios of ``horizon_years`` years; the shortfall
   of year t is scaled by ``(1 + demand_growth)^t``. A project's output counts against a
   partner's shortfall by its offtake share to that partner (default: equal shares).
5. :func:`minsec.finance.portfolio.solve` chooses the portfolio; the value of one month of
   permitting acceleration of each chosen project is measured on the whole ensemble.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from minsec.errors import InputError
from minsec.finance import portfolio
from minsec.finance.netback import LandedCostSpec
from minsec.finance.portfolio import FloatArray

Progress = Callable[[str, float], None]
"""``progress(step description, fraction done in [0, 1])``."""

OBJECTIVE_ALIASES = {
    "expected": "expected",
    "cvar": "cvar",
    "cvar95": "cvar",
    "tonnes_per_dollar": "tonnes_per_dollar",
    "tonnes-per-dollar": "tonnes_per_dollar",
}
DEFAULT_INSTRUMENTS = (
    "loan:rate=0.03,tenor=12,grace=2",
    "guarantee:coverage=0.8,fee=0.01",
    "grant:capex_share=0.2",
)
P90_Z = 1.2815515655446004  # standard normal 90th percentile


class MineralSpec(BaseModel):
    """Per-mineral settings of a plan."""

    model_config = ConfigDict(extra="forbid")

    basket_t_per_t: float | None = Field(
        default=None,
        gt=0,
        description="Tonnes in the Monte Carlo's unit per tonne of project product, default 1. "
        "The baseline counts contained metal where the catalog has content factors "
        "(lithium: t Li, matching Busch's capacities) and gross weight of the trade basket "
        "otherwise; set this when the project's product differs (e.g. 5.32 for t LCE).",
    )
    demand_growth: float = Field(default=0.0, ge=-0.5, le=1.0, description="Per year.")
    price_usd_per_t: float | None = Field(default=None, gt=0, description="Flat price, USD/t.")
    year: int | None = Field(default=None, ge=1900, le=2100, description="Baseline year.")
    landed_cost: LandedCostSpec | None = Field(
        default=None,
        description="Price each project's output by its offtake destinations' netbacks "
        "against a rival origin's landed cost (duties and freight from the tariff data) "
        "instead of the flat price.",
    )


class ProjectSpec(BaseModel):
    """A candidate project; fields left out come from the store (same id) or defaults."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=100)
    name: str | None = None
    country: str | None = None
    commodity: str | None = None
    stage: str | None = None
    status: str | None = None
    capacity_tpy: float | None = Field(default=None, ge=0)
    capex_musd: float | None = Field(default=None, ge=0)
    opex_usd_per_t: float | None = Field(default=None, ge=0)
    start_year: int | None = Field(default=None, ge=1900, le=2100)
    construction_years: int | None = Field(default=None, ge=1, le=20)
    ramp_up: list[float] | None = Field(default=None, min_length=1)
    permit_expected_months: float | None = Field(default=None, ge=0)
    permit_pessimistic_months: float | None = Field(default=None, ge=0)
    offtake: dict[str, float] | None = None
    owner_country: str | None = None
    sponsor: str | None = None
    instruments: list[str] | None = Field(default=None, min_length=1)
    notes: str | None = None

    @field_validator("ramp_up")
    @classmethod
    def _shares(cls, v: list[float] | None) -> list[float] | None:
        if v is not None and not all(0.0 <= x <= 1.0 for x in v):
            raise ValueError("ramp-up shares must be in [0, 1]")
        return v

    @field_validator("offtake")
    @classmethod
    def _offtake(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is None:
            return v
        if any(not 0.0 <= x <= 1.0 for x in v.values()):
            raise ValueError("offtake shares must be in [0, 1]")
        if sum(v.values()) > 1.0 + 1e-9:
            raise ValueError(f"offtake shares sum to {sum(v.values()):g} > 1")
        return v


class StoreSelection(BaseModel):
    """Add every store project matching these filters."""

    model_config = ConfigDict(extra="forbid")

    commodity: str | None = None
    status: list[str] | None = None
    stage: str | None = None
    country: list[str] | None = None


class PlanSpec(BaseModel):
    """A portfolio plan (the YAML file of ``minsec plan``)."""

    model_config = ConfigDict(extra="forbid")

    name: str = "portfolio plan"
    start_year: int = Field(default=2026, ge=1990, le=2100)
    horizon_years: int = Field(default=10, ge=1, le=40)
    budget_usd: float = Field(default=2e9, ge=0)
    partners: list[str] = Field(default_factory=lambda: ["USA", "JPN"], min_length=1)
    partner_budget_usd: dict[str, float] | None = None
    cost_share: dict[str, float] | None = None
    objective: str = "expected"
    alpha: float = Field(default=0.95, gt=0, lt=1)
    runs: int = Field(default=1000, ge=1, le=1_000_000)
    seed: int = Field(default=42, ge=0)
    binary: bool = True
    buckets: int | None = Field(default=200, ge=2)
    require_bankable: bool = True
    min_offtake_share: float = Field(default=0.0, ge=0, le=1)
    max_share_country: float | None = Field(default=None, gt=0, le=1)
    weighting: Literal["tonnes", "consumption"] = "tonnes"
    mip_rel_gap: float = Field(default=1e-4, ge=0, le=1)
    time_limit_s: float | None = Field(default=300.0, gt=0)
    solver: str = "highs"
    discount_rate: float | None = Field(default=None, gt=-1, lt=1)
    instruments: list[str] = Field(default_factory=lambda: list(DEFAULT_INSTRUMENTS))
    minerals: dict[str, MineralSpec] = Field(default_factory=dict)
    projects: list[ProjectSpec] = Field(default_factory=list)
    store_projects: StoreSelection | None = None

    @field_validator("objective")
    @classmethod
    def _objective(cls, v: str) -> str:
        key = v.strip().lower()
        if key not in OBJECTIVE_ALIASES:
            raise ValueError(f"unknown objective {v!r}; use expected, cvar95 or tonnes_per_dollar")
        return OBJECTIVE_ALIASES[key]

    @field_validator("solver")
    @classmethod
    def _solver(cls, v: str) -> str:
        key = v.strip().lower()
        if key not in portfolio.SOLVERS:
            raise ValueError(f"unknown solver {v!r}; use {' or '.join(portfolio.SOLVERS)}")
        return key


def validation_error(exc: ValidationError, where: Path | str | None) -> InputError:
    """The first pydantic error as an :class:`InputError` naming the field path."""
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    more = len(exc.errors()) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return InputError(f"{first['msg']}{tail}", path=where, column=loc or None)


def load_spec(source: Path | str | dict[str, Any], **overrides: Any) -> PlanSpec:
    """A :class:`PlanSpec` from a YAML file, YAML text or a dict; ``overrides`` win.

    Errors name the file and the field (``projects.2.capacity_tpy``).
    """
    import yaml

    where: Path | str | None = None
    if isinstance(source, dict):
        data: Any = source
    else:
        path = Path(source) if not (isinstance(source, str) and "\n" in source) else None
        if path is not None:
            if not path.exists():
                raise InputError("plan file not found", path=path)
            where = path
            text = path.read_text("utf-8")
        else:
            text = str(source)
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            row = None if mark is None else int(mark.line) + 1
            raise InputError(f"not valid YAML: {exc}", path=where, row=row) from None
        if data is None:
            data = {}
    if not isinstance(data, dict):
        raise InputError("a plan is a YAML mapping (key: value lines)", path=where)
    data = {**data, **{k: v for k, v in overrides.items() if v is not None}}
    try:
        return PlanSpec.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, where) from None


# --------------------------------------------------------------------------- projects


@dataclass(frozen=True)
class Candidate:
    """A resolved candidate project with its model inputs."""

    row: dict[str, Any]
    offtake: dict[str, float]  # partner label -> share
    like_minded_share: float
    instruments: tuple[str, ...]


def _store_rows(store: Any) -> pd.DataFrame:
    if store is None:
        return pd.DataFrame()
    try:
        frame: pd.DataFrame = store.table("projects")
    except Exception:  # an old or empty store: no registry
        return pd.DataFrame()
    return frame


def _clean(row: Mapping[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in row.items():
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
            out[str(k)] = None
        elif isinstance(v, np.generic):
            out[str(k)] = v.item()
        else:
            out[str(k)] = v
    return out


def offtake_shares(raw: dict[str, float] | str | None, pid: str) -> dict[str, float]:
    """Offtake shares per buyer label (countries or blocs); empty when none is given."""
    from minsec.catalog import blocs
    from minsec.sources.projects import parse_offtake

    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return {}
    try:
        items = parse_offtake(raw) if isinstance(raw, str) else {}
        if isinstance(raw, dict):
            for name, share in raw.items():
                label, _ = blocs.resolve_party(name)
                items[label] = items.get(label, 0.0) + float(share)
    except ValueError as exc:
        raise InputError(f"project {pid!r}: offtake: {exc}", column="offtake") from None
    return items


def _offtake_map(
    raw: dict[str, float] | str | None, partners: dict[str, tuple[str, ...]], pid: str
) -> tuple[dict[str, float], float]:
    """Offtake shares per partner label and the share going to like-minded buyers."""
    from minsec.catalog import blocs

    items = offtake_shares(raw, pid)
    if not items:
        equal = {label: 1.0 / len(partners) for label in partners}
        return equal, 1.0
    like = set(blocs.blocs()["like-minded"].members) if "like-minded" in blocs.blocs() else set()
    out = dict.fromkeys(partners, 0.0)
    like_share = 0.0
    for label, share in items.items():
        if label in out:
            out[label] += share
        members = set(blocs.resolve_party(label)[1])
        if label in partners or (members and members <= like):
            like_share += share
    return out, like_share


def resolve_projects(spec: PlanSpec, store: Any) -> tuple[list[Candidate], list[str]]:
    """Candidates of the plan (inline + store), with notes on projects skipped."""
    from minsec.catalog import blocs, commodities, countries

    partners = blocs.parties(spec.partners)
    table = _store_rows(store)
    by_id = (
        {str(r["project_id"]): _clean(r) for r in table.to_dict("records")}
        if not table.empty
        else {}
    )
    rows: list[tuple[dict[str, Any], list[str] | None]] = []
    seen: set[str] = set()
    for i, p in enumerate(spec.projects):
        base = dict(by_id.get(p.id, {}))
        given = p.model_dump(exclude_none=True)
        instruments = given.pop("instruments", None)
        base.update({("project_id" if k == "id" else k): v for k, v in given.items()})
        base["project_id"] = p.id
        if isinstance(base.get("ramp_up"), list):
            base["ramp_up"] = ";".join(f"{x:g}" for x in base["ramp_up"])
        for col in ("name", "country", "commodity", "stage"):
            if not base.get(col):
                raise InputError(
                    f"project {p.id!r} is not in the store and has no {col}",
                    column=f"projects.{i}.{col}",
                )
        try:
            base["country"] = countries.resolve(str(base["country"]))
            base["commodity"] = commodities.resolve(str(base["commodity"]))
            if base.get("owner_country"):
                base["owner_country"] = countries.resolve(str(base["owner_country"]))
        except InputError as exc:
            raise InputError(exc.message, column=f"projects.{i}", hint=exc.hint) from None
        if p.id in seen:
            raise InputError(f"project {p.id!r} is listed twice", column=f"projects.{i}.id")
        seen.add(p.id)
        rows.append((base, instruments))
    sel = spec.store_projects
    if sel is not None and not table.empty:
        frame = table
        if sel.commodity:
            frame = frame[frame["commodity"] == commodities.resolve(sel.commodity)]
        if sel.stage:
            frame = frame[frame["stage"] == sel.stage.lower()]
        if sel.status:
            frame = frame[frame["status"].isin([s.lower() for s in sel.status])]
        if sel.country:
            frame = frame[frame["country"].isin([countries.resolve(c) for c in sel.country])]
        for rec in frame.sort_values("project_id").to_dict("records"):
            if str(rec["project_id"]) not in seen:
                seen.add(str(rec["project_id"]))
                rows.append((_clean(rec), None))
    notes: list[str] = []
    out: list[Candidate] = []
    for row, inst in rows:
        pid = str(row["project_id"])
        if str(row.get("status") or "").lower() in {"operating", "producing"}:
            notes.append(f"{pid}: already operating (in the baseline); skipped")
            continue
        missing = [
            c for c in ("capacity_tpy", "capex_musd", "opex_usd_per_t") if row.get(c) is None
        ]
        if missing:
            notes.append(f"{pid}: no {', '.join(missing)}; skipped (give them in the plan)")
            continue
        offtake, like = _offtake_map(row.get("offtake"), partners, pid)
        out.append(Candidate(row, offtake, like, tuple(inst or spec.instruments)))
    if not out:
        raise InputError(
            "the plan has no usable candidate project (each needs capacity_tpy, capex_musd "
            "and opex_usd_per_t, and must not be operating)"
            + (f"; {'; '.join(notes[:5])}" if notes else ""),
            column="projects",
        )
    return out, notes


# --------------------------------------------------------------------------- options


def _instrument(spec_text: str, capex_usd: float) -> Any:
    from minsec.finance import spec as spec_mod

    text = spec_text.strip()
    kind, _, rest = text.partition(":")
    if kind.strip().lower() == "grant" and "capex_share" in rest:
        items = {k.strip(): v.strip() for k, _, v in (p.partition("=") for p in rest.split(","))}
        try:
            share = float(items.get("capex_share", ""))
        except ValueError:
            raise InputError(
                f"{text!r}: capex_share must be a number", column="instruments"
            ) from None
        if not 0.0 <= share <= 1.0:
            raise InputError(f"{text!r}: capex_share must be in [0, 1]", column="instruments")
        return spec_mod.parse(f"grant:amount={share * capex_usd:.6f}")
    return spec_mod.parse(text)


@dataclass(frozen=True)
class Option:
    """One (project, instrument) option and its finance figures."""

    spec: str
    public_cost_usd: float
    public_capital_usd: float
    private_capital_mobilised_usd: float
    bankable: bool
    sponsor_npv_usd: float


def evaluate_options(cand: Candidate, spec: PlanSpec) -> tuple[list[Option], bool, dict[str, Any]]:
    """Finance figures of each instrument option, bankability without support, assumptions."""
    from minsec.finance import instruments as ins
    from minsec.finance import netback, projects

    row = cand.row
    mineral = spec.minerals.get(str(row["commodity"])) or MineralSpec()
    price = mineral.price_usd_per_t
    note = None
    if mineral.landed_cost is not None:
        offtake = offtake_shares(row.get("offtake"), str(row["project_id"])) or cand.offtake
        price, note = netback.project_price(
            row, offtake, mineral.landed_cost, mineral.price_usd_per_t, spec.start_year
        )
    inputs = projects.inputs_for(
        row, price_usd_per_t=price, discount_rate=spec.discount_rate, start_year=spec.start_year
    )
    plain = ins.evaluate(inputs).summary()
    out = []
    for text in cand.instruments:
        try:
            inst = _instrument(text, inputs.capex_usd)
        except InputError as exc:
            raise InputError(
                f"project {row['project_id']!r}: {exc.message}", column="instruments", hint=exc.hint
            ) from None
        s = ins.evaluate(inputs, (inst,)).summary()
        out.append(
            Option(
                spec=text,
                public_cost_usd=max(float(s["public_cost_usd"] or 0.0), 0.0),
                public_capital_usd=float(s["public_capital_usd"] or 0.0),
                private_capital_mobilised_usd=float(s["private_capital_mobilised_usd"] or 0.0),
                bankable=bool(s["bankable"]),
                sponsor_npv_usd=float(s["sponsor_npv_usd"] or 0.0),
            )
        )
    assumed = projects.assumptions(row)
    assumed["price_used_usd_per_t"] = float(inputs.prices()[0])
    if note is not None:
        assumed["price_note"] = note
    return out, bool(plain["bankable"]), assumed


# --------------------------------------------------------------------------- timing


def first_output_months(
    row: dict[str, Any], assumed: dict[str, Any], spec: PlanSpec, rng: np.random.Generator
) -> FloatArray:
    """``(runs,)`` months from the plan start to first output (see the module doc)."""
    n = spec.runs
    status = str(row.get("status") or "").lower()
    expected = float(assumed["permit_expected_months"])
    pessimistic = float(assumed["permit_pessimistic_months"])
    construction = 12.0 * float(assumed["construction_years"])
    if status == "construction":
        permit = np.zeros(n)
        construction *= 0.5
    elif expected <= 0:
        permit = np.zeros(n)
    elif pessimistic > expected:
        sigma = math.log(pessimistic / expected) / P90_Z
        permit = expected * np.exp(sigma * rng.standard_normal(n))
    else:
        permit = np.full(n, expected)
    start = row.get("start_year")
    if start is not None:
        base = 12.0 * (int(start) - spec.start_year)
        return np.maximum(
            base + np.maximum(permit - (0.0 if status == "construction" else expected), 0.0), 0.0
        )
    return permit + construction


def monthly_supply(
    capacity: float, ramp: tuple[float, ...], start_months: FloatArray, years: int
) -> FloatArray:
    """``(runs, years)`` output (t/y) from first output at ``start_months`` (rounded)."""
    m = np.arange(12 * years)
    k = m[None, :] - np.round(start_months)[:, None]
    idx = np.clip(k // 12, 0, len(ramp) - 1).astype(np.int64)
    share = np.where(k >= 0, np.asarray(ramp)[idx], 0.0)
    out: FloatArray = capacity * share.reshape(start_months.size, years, 12).mean(axis=2)
    return out


# --------------------------------------------------------------------------- need


@dataclass(frozen=True)
class Need:
    """Monte Carlo need per mineral × partner: ``(runs, years, G)`` and its labels."""

    need_t: FloatArray
    groups: list[tuple[str, str]]  # (mineral, partner label)
    consumption_t: FloatArray  # (G,) annual apparent consumption
    meta: dict[str, Any]


def monte_carlo_need(
    spec: PlanSpec,
    minerals: list[str],
    store: Any,
    progress: Progress | None = None,
    *,
    simulate: Callable[..., Any] | None = None,
) -> Need:
    """Annual shortfall per scenario, year, mineral and partner from the disruption ensemble."""
    from minsec.catalog import blocs
    from minsec.disrupt.montecarlo import run_risk

    run = simulate or run_risk
    labels = list(blocs.parties(spec.partners))
    n_s, n_t = spec.runs, spec.horizon_years
    blocks: list[FloatArray] = []
    groups: list[tuple[str, str]] = []
    consumption: list[float] = []
    meta: dict[str, Any] = {}
    seeds = np.random.SeedSequence(spec.seed).spawn(len(minerals) + 1)
    for i, mineral in enumerate(minerals):
        ms = spec.minerals.get(mineral) or MineralSpec()

        def step(done: int, total: int, i: int = i, mineral: str = mineral) -> None:
            if progress is not None:
                progress(
                    f"Monte Carlo {mineral}", (i + done / max(total, 1)) / max(len(minerals), 1)
                )

        result = run(
            store,
            labels,
            commodity=mineral,
            runs=n_s * n_t,
            seed=int(seeds[i].generate_state(1)[0]),
            year=ms.year,
            keep_runs=True,
            workers=1,
            alpha=spec.alpha,
            progress=step,
        )
        runs_t = np.asarray(result.shortfall_runs_t, dtype=np.float64)
        importers = list(result.summary["importer"])
        cube = np.zeros((n_s, n_t, len(labels)))
        for j, label in enumerate(labels):
            if label in importers:
                cube[:, :, j] = runs_t[:, importers.index(label)].reshape(n_s, n_t)
        growth = (1.0 + ms.demand_growth) ** np.arange(n_t)
        blocks.append(cube * growth[None, :, None])
        by_label = dict(
            zip(result.summary["importer"], result.summary["consumption_t"], strict=True)
        )
        for label in labels:
            groups.append((mineral, label))
            consumption.append(float(by_label.get(label, 0.0)))
        meta[mineral] = {
            "baseline_year": result.meta.get("year"),
            "stage": result.meta.get("stage"),
            "seconds": result.meta.get("seconds"),
            "notes": result.meta.get("notes", []),
        }
    return Need(np.concatenate(blocks, axis=2), groups, np.asarray(consumption), meta)


def basket_factor(mineral: str, spec: PlanSpec) -> float:
    """Monte Carlo tonnes per tonne of project product (see :class:`MineralSpec`)."""
    given = (spec.minerals.get(mineral) or MineralSpec()).basket_t_per_t
    return 1.0 if given is None else given


# --------------------------------------------------------------------------- result


@dataclass
class PlanResult:
    """What :func:`run_plan` returns: tables and a summary (``meta``)."""

    portfolio: pd.DataFrame
    options: pd.DataFrame
    shortfall: pd.DataFrame
    accelerations: pd.DataFrame
    summary: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)

    def view(self, name: str) -> pd.DataFrame:
        """One table by name (portfolio, options, shortfall, accelerations, summary)."""
        tables = {
            "portfolio": self.portfolio,
            "options": self.options,
            "shortfall": self.shortfall,
            "accelerations": self.accelerations,
            "summary": self.summary,
        }
        if name not in tables:
            raise InputError(f"unknown view {name!r}; choose {', '.join(tables)}", column="--view")
        return tables[name]


def run_plan(
    spec: PlanSpec,
    store: Any,
    *,
    progress: Progress | None = None,
    simulate: Callable[..., Any] | None = None,
) -> PlanResult:
    """Run a plan end to end (see the module doc); ``simulate`` replaces ``run_risk``."""
    started = time.perf_counter()

    def say(text: str, frac: float) -> None:
        if progress is not None:
            progress(text, frac)

    cands, notes = resolve_projects(spec, store)
    say(f"{len(cands)} candidate projects", 0.0)
    from minsec.catalog import blocs

    labels = list(blocs.parties(spec.partners))
    # options
    options: list[list[Option]] = []
    bankable_plain: list[bool] = []
    assumed: list[dict[str, Any]] = []
    for c in cands:
        opts, plain, a = evaluate_options(c, spec)
        options.append(opts)
        bankable_plain.append(plain)
        assumed.append(a)
        if "price_note" in a:
            notes.append(str(a["price_note"]))
    n_p = len(cands)
    n_k = max(len(o) for o in options)
    cost = np.full((n_p, n_k), np.nan)
    for i, opts in enumerate(options):
        for k, o in enumerate(opts):
            if o.bankable or not spec.require_bankable:
                cost[i, k] = o.public_cost_usd
    for i, c in enumerate(cands):
        if c.like_minded_share + 1e-12 < spec.min_offtake_share:
            cost[i, :] = np.nan
            notes.append(
                f"{c.row['project_id']}: offtake to partners/like-minded {c.like_minded_share:.0%}"
                f" < {spec.min_offtake_share:.0%}; not allowed"
            )
    for i, c in enumerate(cands):
        if np.isnan(cost[i]).all() and c.like_minded_share + 1e-12 >= spec.min_offtake_share:
            notes.append(f"{c.row['project_id']}: no bankable option; not allowed")
    say("instrument costs", 0.05)
    # need
    minerals = sorted({str(c.row["commodity"]) for c in cands})

    def mc_progress(text: str, frac: float) -> None:
        say(text, 0.05 + 0.75 * frac)

    need = monte_carlo_need(spec, minerals, store, mc_progress, simulate=simulate)
    n_s, n_t, n_g = need.need_t.shape
    # supply and offtake
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(spec.seed).spawn(1)[0]))
    supply = np.zeros((n_s, n_t, n_p))
    offtake = np.zeros((n_p, n_g))
    starts: list[FloatArray] = []
    factors: list[float] = []
    for i, c in enumerate(cands):
        mineral = str(c.row["commodity"])
        f = basket_factor(mineral, spec)
        factors.append(f)
        start = first_output_months(c.row, assumed[i], spec, rng)
        starts.append(start)
        ramp = tuple(float(x) for x in assumed[i]["ramp_up"])
        supply[:, :, i] = monthly_supply(float(c.row["capacity_tpy"]) * f, ramp, start, n_t)
        for g, (m, label) in enumerate(need.groups):
            if m == mineral:
                offtake[i, g] = c.offtake.get(label, 0.0)
    if spec.weighting == "consumption":
        weight = np.where(need.consumption_t > 0, 1.0 / np.maximum(need.consumption_t, 1e-300), 0.0)
    else:
        weight = np.ones(n_g)
    partner_budget = None
    cost_share = None
    shares = spec.cost_share or {label: 1.0 / len(labels) for label in labels}
    resolved_shares = {blocs.resolve_party(k)[0]: v for k, v in shares.items()}
    unknown = [k for k in resolved_shares if k not in labels]
    if unknown:
        raise InputError(f"cost_share names {unknown}, not partners {labels}", column="cost_share")
    if spec.partner_budget_usd:
        pb = {blocs.resolve_party(k)[0]: v for k, v in spec.partner_budget_usd.items()}
        bad = [k for k in pb if k not in labels]
        if bad:
            raise InputError(
                f"partner_budget_usd names {bad}, not partners {labels}",
                column="partner_budget_usd",
            )
        partner_budget = np.array([pb.get(label, np.inf) for label in labels])
        partner_budget = np.where(np.isinf(partner_budget), spec.budget_usd, partner_budget)
        cost_share = np.tile([resolved_shares.get(label, 0.0) for label in labels], (n_p, 1))
    problem = portfolio.Problem(
        cost_usd=cost,
        supply_t=supply,
        need_t=need.need_t,
        offtake=offtake,
        weight=weight,
        budget_usd=spec.budget_usd,
        capacity_t=np.array(
            [float(c.row["capacity_tpy"]) * factors[i] for i, c in enumerate(cands)]
        ),
        partner_budget_usd=partner_budget,
        cost_share=cost_share,
        country=np.array([str(c.row["country"]) for c in cands], dtype=object),
    )
    say("optimise", 0.8)
    objective: portfolio.Objective = spec.objective  # type: ignore[assignment]
    solver: portfolio.Solver = spec.solver  # type: ignore[assignment]
    result = portfolio.solve(
        problem,
        objective=objective,
        alpha=spec.alpha,
        binary=spec.binary,
        max_share_country=spec.max_share_country,
        mip_rel_gap=spec.mip_rel_gap,
        time_limit=spec.time_limit_s,
        buckets=spec.buckets,
        solver=solver,
    )
    say("permitting accelerations", 0.95)
    accel = _accelerations(problem, result, cands, starts, assumed, factors, spec, n_t)
    tables = _tables(
        spec, cands, options, bankable_plain, assumed, starts, result, need, problem, accel
    )
    seconds = time.perf_counter() - started
    meta: dict[str, Any] = {
        "plan": spec.name,
        "objective": spec.objective,
        "alpha": spec.alpha,
        "budget_usd": spec.budget_usd,
        "partners": labels,
        "runs": spec.runs,
        "horizon_years": spec.horizon_years,
        "start_year": spec.start_year,
        "seed": spec.seed,
        "status": result.status,
        "solver": result.solver,
        "solver_status": result.solver_status,
        "model_size": result.model_size,
        "buckets": result.buckets,
        "build_seconds": round(result.build_seconds, 3),
        "solve_seconds": round(result.solve_seconds, 3),
        "seconds": round(seconds, 3),
        "budget_dual": result.budget_dual,
        "budget_dual_note": result.budget_dual_note,
        "monte_carlo": need.meta,
        "units": "shortfall and supply in the Monte Carlo's tonnes (contained metal where the "
        "catalog has content factors, else gross weight; see monte_carlo notes), summed over "
        "the horizon; costs in USD (expected present cost at the public discount rate)",
        "notes": notes + list(result.notes),
    }
    say("done", 1.0)
    return PlanResult(meta=meta, **tables)


def _accelerations(
    problem: portfolio.Problem,
    result: portfolio.Portfolio,
    cands: list[Candidate],
    starts: list[FloatArray],
    assumed: list[dict[str, Any]],
    factors: list[float],
    spec: PlanSpec,
    n_t: int,
) -> list[dict[str, Any]]:
    """Value of one month of permitting acceleration per candidate still in permitting.

    For a chosen project: the gain of shortening its permitting by 1 month (and by 12
    months, per month) with the portfolio as chosen. For one not chosen: the same gain if
    it were added to the portfolio (the value of acceleration once backed). Gains are in
    objective units and, separately, in tonnes of expected shortfall avoided, evaluated on
    every Monte Carlo scenario; ``standalone_…`` is the tonnes avoided if the project were
    the only new one (its value when the rest of the portfolio already covers the need).
    """
    out = []
    objective: portfolio.Objective = spec.objective  # type: ignore[assignment]
    for i, c in enumerate(cands):
        if str(c.row.get("status") or "").lower() == "construction":
            continue  # permitting is done
        if float(assumed[i]["permit_expected_months"]) <= 0 or c.row.get("start_year"):
            continue
        share = result.share.copy()
        chosen = bool(share[i] > 0)
        if not chosen:
            share[i] = 1.0
        ramp = tuple(float(x) for x in assumed[i]["ramp_up"])
        cap = float(c.row["capacity_tpy"]) * factors[i]
        row: dict[str, Any] = {
            "project_id": c.row["project_id"],
            "name": c.row.get("name"),
            "in_portfolio": chosen,
            "permit_expected_months": float(assumed[i]["permit_expected_months"]),
            "permit_pessimistic_months": float(assumed[i]["permit_pessimistic_months"]),
        }
        for months, suffix in ((1, "1m"), (12, "12m_per_month")):
            faster = np.maximum(starts[i] - months, 0.0)
            acc = monthly_supply(cap, ramp, faster, n_t)
            gain = portfolio.acceleration_value(
                problem, share, acc, i, objective=objective, alpha=spec.alpha
            )
            tonnes = portfolio.acceleration_value(
                problem, share, acc, i, objective="expected", alpha=spec.alpha
            )
            row[f"objective_gain_{suffix}"] = gain / months
            row[f"shortfall_avoided_t_{suffix}"] = tonnes / months
            alone = np.zeros_like(share)
            alone[i] = 1.0
            row[f"standalone_shortfall_avoided_t_{suffix}"] = (
                portfolio.acceleration_value(problem, alone, acc, i, objective="expected") / months
            )
        out.append(row)
    out.sort(
        key=lambda r: (
            -float(r["objective_gain_12m_per_month"]),
            -float(r["standalone_shortfall_avoided_t_12m_per_month"]),
            str(r["project_id"]),
        )
    )
    return out


def _tables(
    spec: PlanSpec,
    cands: list[Candidate],
    options: list[list[Option]],
    bankable_plain: list[bool],
    assumed: list[dict[str, Any]],
    starts: list[FloatArray],
    result: portfolio.Portfolio,
    need: Need,
    problem: portfolio.Problem,
    accel: list[dict[str, Any]],
) -> dict[str, pd.DataFrame]:
    rows = []
    opt_rows = []
    for i, c in enumerate(cands):
        k = int(result.instrument[i])
        chosen = k >= 0
        o = options[i][k] if chosen else None
        x = float(result.share[i])
        p50, p90 = np.quantile(starts[i], [0.5, 0.9])
        rows.append(
            {
                "project_id": c.row["project_id"],
                "name": c.row.get("name"),
                "country": c.row.get("country"),
                "commodity": c.row.get("commodity"),
                "stage": c.row.get("stage"),
                "status": c.row.get("status"),
                "capacity_tpy": c.row.get("capacity_tpy"),
                "capex_usd": float(c.row["capex_musd"]) * 1e6,
                "price_usd_per_t": assumed[i].get("price_used_usd_per_t"),
                "chosen": chosen,
                "participation": x,
                "instrument": o.spec if o else None,
                "public_cost_usd": o.public_cost_usd * x if o else 0.0,
                "public_capital_usd": o.public_capital_usd * x if o else 0.0,
                "private_capital_mobilised_usd": o.private_capital_mobilised_usd * x if o else 0.0,
                "bankable_without_support": bankable_plain[i],
                "bankable_with_support": o.bankable if o else None,
                "first_output_p50_year": spec.start_year + p50 / 12.0,
                "first_output_p90_year": spec.start_year + p90 / 12.0,
                "offtake_partners_share": sum(c.offtake.values()),
                "expected_supply_counted_t": x
                * float(problem.supply_t[:, :, i].sum(axis=1).mean() * problem.offtake[i].sum()),
            }
        )
        for k2, opt in enumerate(options[i]):
            opt_rows.append(
                {
                    "project_id": c.row["project_id"],
                    "option": k2,
                    "instrument": opt.spec,
                    "public_cost_usd": opt.public_cost_usd,
                    "public_capital_usd": opt.public_capital_usd,
                    "private_capital_mobilised_usd": opt.private_capital_mobilised_usd,
                    "bankable": opt.bankable,
                    "sponsor_npv_usd": opt.sponsor_npv_usd,
                    "allowed": bool(not np.isnan(problem.cost_usd[i, k2])),
                    "chosen": bool(result.instrument[i] == k2),
                }
            )
    port = pd.DataFrame(rows)
    port = port.sort_values(["chosen", "public_cost_usd"], ascending=[False, False]).reset_index(
        drop=True
    )
    p = np.full(problem.need_t.shape[0], 1.0 / problem.need_t.shape[0])
    added = portfolio.group_added(problem.supply_t, problem.offtake, result.share)
    short_rows = []
    for g, (mineral, label) in enumerate(need.groups):
        before = problem.need_t[:, :, g].sum(axis=1)
        after = np.maximum(problem.need_t[:, :, g] - added[:, :, g], 0.0).sum(axis=1)
        short_rows.append(
            {
                "commodity": mineral,
                "partner": label,
                "consumption_t_per_y": need.consumption_t[g],
                "expected_shortfall_before_t": float(np.dot(p, before)),
                "expected_shortfall_after_t": float(np.dot(p, after)),
                f"cvar{round(spec.alpha * 100):d}_before_t": portfolio.cvar(before, spec.alpha, p),
                f"cvar{round(spec.alpha * 100):d}_after_t": portfolio.cvar(after, spec.alpha, p),
                "supply_counted_t": float(np.dot(p, added[:, :, g].sum(axis=1))),
            }
        )
    public = float(port["public_cost_usd"].sum())
    summary: dict[str, float] = {
        "objective_value": result.objective_value,
        "projects_chosen": len(result.chosen),
        "public_cost_usd": public,
        "public_capital_usd": float(port["public_capital_usd"].sum()),
        "private_capital_mobilised_usd": float(port["private_capital_mobilised_usd"].sum()),
        "budget_usd": spec.budget_usd,
        "expected_shortfall_before_t": result.expected_shortfall_before_t,
        "expected_shortfall_after_t": result.expected_shortfall_after_t,
        f"cvar{round(spec.alpha * 100):d}_before_t": result.cvar_before_t,
        f"cvar{round(spec.alpha * 100):d}_after_t": result.cvar_after_t,
        "budget_dual_per_usd": result.budget_dual,
        "budget_dual_per_billion_usd": result.budget_dual * 1e9,
    }
    labels = list(dict.fromkeys(label for _, label in need.groups))
    for q, d in enumerate(result.partner_budget_dual):
        summary[f"budget_dual_{labels[q]}_per_usd"] = float(d)
    summary_frame = pd.DataFrame(
        {"metric": list(summary), "value": [float(v) for v in summary.values()]}
    )
    accel_frame = pd.DataFrame(
        accel,
        columns=[
            "project_id",
            "name",
            "in_portfolio",
            "permit_expected_months",
            "permit_pessimistic_months",
            "objective_gain_1m",
            "shortfall_avoided_t_1m",
            "objective_gain_12m_per_month",
            "shortfall_avoided_t_12m_per_month",
            "standalone_shortfall_avoided_t_1m",
            "standalone_shortfall_avoided_t_12m_per_month",
        ],
    )
    return {
        "portfolio": port,
        "options": pd.DataFrame(opt_rows),
        "shortfall": pd.DataFrame(short_rows),
        "accelerations": accel_frame,
        "summary": summary_frame,
    }
