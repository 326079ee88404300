"""The Monte Carlo risk model: who restricts, how likely, how long, how much.

Defaults live in ``data/risk.toml`` (every number sourced or marked as a judgement); a
``risk.toml`` in ``$MINSEC_HOME`` and an optional extra file are read on top, and
:meth:`RiskModel.with_override` pins single probabilities from Python.

The model (see ``docs/montecarlo.md``)
---------------------------------------
* Governance score W_i (0 = best, 10 = worst) of exporter i: the EU rescaling
  W = 5 − 2·x of the WGI estimate x (:func:`minsec.assess.supply.wgi_scores`), using
  Political Stability alone (``basis = "PV"``, the default) or the mean of the six WGI
  estimates (``"all"``); the WGI year is the latest at or before the baseline year.
* Annual probability of a new export restriction of the mineral by exporter i:
  p_i = min(cap, p_best · (p_worst / p_best)^(W_i / 10) · h_i), with h_i the history
  multiplier when i restricted the same mineral within ``window_years`` (list in the data
  file), then per-country overrides (a fixed probability or a further multiplier).
* Given an event: start month uniform over the horizon, duration lognormal (months),
  magnitude Beta (fraction of exports to the targets withheld).
* Optional within-bloc dependence: one-factor Gaussian copula with latent correlation ρ.
* Optional production outages: fixed annual probability, Beta magnitude, lognormal months.

:func:`compile_model` turns a :class:`RiskModel` into a :class:`ShockModel`: the same
model as arrays over a baseline's countries, which is all the sampler needs (it is small
and is what the Dask backend ships to workers).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from minsec import config
from minsec.assess import concentration as conc
from minsec.catalog import blocs as blocs_catalog
from minsec.catalog import commodities as commodity_catalog
from minsec.catalog import countries as country_catalog
from minsec.disrupt.model import Baseline, BoolArray, FloatArray
from minsec.errors import InputError, UnknownNameError

DATA_FILE = "data/risk.toml"
"""The default parameters, inside the ``minsec.disrupt`` package."""
ALL = "*"
"""Commodity of an override that applies to every mineral."""


@dataclass(frozen=True)
class Lognormal:
    """Lognormal duration in months: ln(D) ~ N(ln(median_months), sigma²), D ≤ max_months."""

    median_months: float
    sigma: float
    max_months: float = math.inf

    def __post_init__(self) -> None:
        if not (self.median_months > 0 and self.sigma >= 0 and self.max_months > 0):
            raise InputError(
                "a lognormal duration needs median_months > 0, sigma ≥ 0 and max_months > 0, "
                f"got {self.median_months}, {self.sigma}, {self.max_months}",
                column="duration",
            )

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        """``size`` durations in months."""
        out = rng.lognormal(math.log(self.median_months), self.sigma, size=size)
        return np.minimum(out, self.max_months)

    @property
    def mean_months(self) -> float:
        """Mean of the uncapped distribution, months."""
        return self.median_months * math.exp(self.sigma**2 / 2)


@dataclass(frozen=True)
class BetaFraction:
    """Beta(a, b) fraction in [0, 1] (mean a / (a + b))."""

    a: float
    b: float

    def __post_init__(self) -> None:
        if not (self.a > 0 and self.b > 0):
            raise InputError(
                f"a Beta distribution needs a > 0 and b > 0, got a={self.a}, b={self.b}",
                column="magnitude",
            )

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        """``size`` fractions."""
        return rng.beta(self.a, self.b, size=size)

    @property
    def mean(self) -> float:
        """Mean fraction."""
        return self.a / (self.a + self.b)


@dataclass(frozen=True)
class PastRestriction:
    """An observed export restriction (country id, commodity id, first day in force)."""

    country: str
    commodity: str
    start: dt.date
    source: str = ""


@dataclass(frozen=True)
class Override:
    """A user's override of an exporter's annual probability (or a multiplier on it)."""

    country: str
    commodity: str = ALL
    probability: float | None = None
    multiplier: float | None = None

    def __post_init__(self) -> None:
        if (self.probability is None) == (self.multiplier is None):
            raise InputError(
                f"override of {self.country}: give exactly one of probability or multiplier",
                column="override",
            )
        if self.probability is not None and not 0.0 <= self.probability <= 1.0:
            raise InputError(
                f"override of {self.country}: probability {self.probability} is not in [0, 1]",
                column="override",
            )
        if self.multiplier is not None and not self.multiplier >= 0.0:
            raise InputError(
                f"override of {self.country}: multiplier {self.multiplier} is negative",
                column="override",
            )


@dataclass(frozen=True)
class RiskModel:
    """Parameters of the Monte Carlo risk model (units: probabilities per year, months).

    Load the documented defaults with :meth:`load`; change fields with
    :func:`dataclasses.replace` or :meth:`with_override`.
    """

    governance_basis: str = "PV"
    missing_score: float = conc.WGI_DEFAULT_SCORE
    p_best: float = 0.002
    p_worst: float = 0.20
    cap: float = 0.9
    history_enabled: bool = True
    history_multiplier: float = 4.0
    history_window_years: int = 10
    duration: Lognormal = field(default_factory=lambda: Lognormal(12.0, 0.7, 120.0))
    magnitude: BetaFraction = field(default_factory=lambda: BetaFraction(2.0, 2.0))
    targets: str = "all"
    rho: float = 0.0
    correlated_blocs: tuple[str, ...] = ("countries-of-concern",)
    outage_enabled: bool = False
    outage_probability: float = 0.03
    outage_magnitude: BetaFraction = field(default_factory=lambda: BetaFraction(1.5, 6.0))
    outage_duration: Lognormal = field(default_factory=lambda: Lognormal(3.0, 0.8, 24.0))
    past_restrictions: tuple[PastRestriction, ...] = ()
    overrides: tuple[Override, ...] = ()
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.governance_basis not in {"PV", "all"}:
            raise InputError(
                f"governance basis {self.governance_basis!r} must be 'PV' or 'all'",
                column="governance.basis",
            )
        if not 0.0 < self.p_best <= self.p_worst <= 1.0:
            raise InputError(
                f"need 0 < p_best ≤ p_worst ≤ 1, got p_best={self.p_best}, p_worst={self.p_worst}",
                column="probability",
            )
        if not 0.0 <= self.cap <= 1.0:
            raise InputError(f"cap {self.cap} is not in [0, 1]", column="probability.cap")
        if not 0.0 <= self.rho < 1.0:
            raise InputError(
                f"correlation rho {self.rho} must be in [0, 1)", column="correlation.rho"
            )
        if not 0.0 <= self.outage_probability <= 1.0:
            raise InputError(
                f"outage probability {self.outage_probability} is not in [0, 1]",
                column="outage.probability",
            )
        if self.history_multiplier < 0:
            raise InputError("history multiplier must be ≥ 0", column="history.multiplier")
        if not 0.0 <= self.missing_score <= conc.WGI_SCORE_MAX:
            raise InputError(
                f"missing_score {self.missing_score} is not in [0, 10]",
                column="governance.missing_score",
            )

    # -- loading -------------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path | str | None = None, *, user: bool = True) -> RiskModel:
        """Read the model: defaults, then the user's file, then ``path``.

        The defaults are ``data/risk.toml``; then ``$MINSEC_HOME/risk.toml`` (if ``user``
        and present), then ``path``: tables replace defaults key by key; ``override`` and
        ``past_restriction`` lists add up.
        """
        text = resources.files("minsec.disrupt").joinpath(DATA_FILE).read_text("utf-8")
        data = tomllib.loads(text)
        layers: list[Path] = []
        if user and (config.home() / "risk.toml").exists():
            layers.append(config.home() / "risk.toml")
        if path is not None:
            if not Path(path).exists():
                raise InputError("risk model file not found", path=path)
            layers.append(Path(path))
        for layer in layers:
            try:
                extra = tomllib.loads(layer.read_text("utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise InputError(f"not valid TOML: {exc}", path=layer) from exc
            data = _merge(data, extra, layer)
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "risk model") -> RiskModel:
        """Build from the TOML structure of ``data/risk.toml`` (missing keys: defaults)."""
        known = {
            "governance",
            "probability",
            "history",
            "duration",
            "magnitude",
            "timing",
            "targets",
            "correlation",
            "outage",
            "past_restriction",
            "override",
        }
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(f"{where}: unknown table(s) {unknown}; expected {sorted(known)}")
        default = cls()

        def get(table: str, key: str, value: Any) -> Any:
            section = data.get(table, {})
            if not isinstance(section, Mapping):
                raise InputError(f"{where}: [{table}] must be a table", column=table)
            return section.get(key, value)

        try:
            timing = str(get("timing", "start", "uniform"))
            if timing != "uniform":
                raise InputError(
                    f"{where}: timing.start {timing!r}: only 'uniform' is implemented",
                    column="timing.start",
                )
            model = cls(
                governance_basis=str(get("governance", "basis", default.governance_basis)),
                missing_score=float(get("governance", "missing_score", default.missing_score)),
                p_best=float(get("probability", "p_best", default.p_best)),
                p_worst=float(get("probability", "p_worst", default.p_worst)),
                cap=float(get("probability", "cap", default.cap)),
                history_enabled=bool(get("history", "enabled", default.history_enabled)),
                history_multiplier=float(get("history", "multiplier", default.history_multiplier)),
                history_window_years=int(
                    get("history", "window_years", default.history_window_years)
                ),
                duration=Lognormal(
                    float(get("duration", "median_months", default.duration.median_months)),
                    float(get("duration", "sigma", default.duration.sigma)),
                    float(get("duration", "max_months", default.duration.max_months)),
                ),
                magnitude=BetaFraction(
                    float(get("magnitude", "a", default.magnitude.a)),
                    float(get("magnitude", "b", default.magnitude.b)),
                ),
                targets=str(get("targets", "mode", default.targets)),
                rho=float(get("correlation", "rho", default.rho)),
                correlated_blocs=tuple(
                    str(b) for b in get("correlation", "blocs", default.correlated_blocs)
                ),
                outage_enabled=bool(get("outage", "enabled", default.outage_enabled)),
                outage_probability=float(get("outage", "probability", default.outage_probability)),
                outage_magnitude=BetaFraction(
                    float(get("outage", "a", default.outage_magnitude.a)),
                    float(get("outage", "b", default.outage_magnitude.b)),
                ),
                outage_duration=Lognormal(
                    float(get("outage", "median_months", default.outage_duration.median_months)),
                    float(get("outage", "sigma", default.outage_duration.sigma)),
                    float(get("outage", "max_months", default.outage_duration.max_months)),
                ),
                past_restrictions=tuple(
                    _past(item, where) for item in data.get("past_restriction", [])
                ),
                overrides=tuple(_override(item, where) for item in data.get("override", [])),
            )
        except (TypeError, ValueError) as exc:
            raise InputError(f"{where}: {exc}") from exc
        return model

    def with_override(
        self,
        country: str,
        *,
        probability: float | None = None,
        multiplier: float | None = None,
        commodity: str = ALL,
    ) -> RiskModel:
        """A copy with one more override (later overrides win over earlier ones)."""
        item = _override(
            {
                "country": country,
                "commodity": commodity,
                "probability": probability,
                "multiplier": multiplier,
            },
            "override",
        )
        return dataclasses.replace(self, overrides=(*self.overrides, item))

    # -- the mapping -----------------------------------------------------------------------
    def base_probability(self, score: FloatArray | float) -> FloatArray:
        """p(W) = min(cap, p_best · (p_worst/p_best)^(W/10)) for governance scores W (0–10).

        Non-decreasing in W (worse governance → higher probability). W outside [0, 10] is
        clipped; NaN (no WGI) uses ``missing_score``.
        """
        w = np.asarray(score, dtype=np.float64)
        w = np.where(np.isnan(w), self.missing_score, w)
        w = np.clip(w, 0.0, conc.WGI_SCORE_MAX)
        p = self.p_best * (self.p_worst / self.p_best) ** (w / conc.WGI_SCORE_MAX)
        return np.minimum(p, self.cap)

    def describe(self) -> dict[str, Any]:
        """The model in words and numbers, for result metadata."""
        return {
            "probability": (
                f"p = min({self.cap}, {self.p_best} * ({self.p_worst}/{self.p_best})^(W/10)"
                " * history * overrides); W = 5 - 2 * WGI estimate "
                f"({'Political Stability' if self.governance_basis == 'PV' else 'mean of six'}"
                f"), missing W = {self.missing_score}"
            ),
            "history": (
                f"x{self.history_multiplier} when the exporter restricted the mineral within "
                f"{self.history_window_years} years"
                if self.history_enabled
                else "off"
            ),
            "duration_months": (
                f"lognormal(median {self.duration.median_months}, sigma {self.duration.sigma}),"
                f" at most {self.duration.max_months}"
            ),
            "magnitude": f"Beta({self.magnitude.a}, {self.magnitude.b}) of exports withheld",
            "start": "uniform month over the horizon",
            "targets": self.targets,
            "correlation": (
                f"Gaussian copula rho={self.rho} within {list(self.correlated_blocs)}"
                if self.rho > 0
                else "independent"
            ),
            "outage": (
                f"p={self.outage_probability}/yr per producer, Beta({self.outage_magnitude.a},"
                f" {self.outage_magnitude.b}), lognormal(median "
                f"{self.outage_duration.median_months}, sigma {self.outage_duration.sigma})"
                if self.outage_enabled
                else "off"
            ),
            "overrides": [dataclasses.asdict(o) for o in self.overrides],
        }


def _merge(base: dict[str, Any], extra: Mapping[str, Any], path: Path) -> dict[str, Any]:
    out = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in base.items()}
    for key, value in extra.items():
        if key in {"override", "past_restriction"}:
            if not isinstance(value, list):
                raise InputError(f"[[{key}]] must be an array of tables", path=path, column=key)
            out[key] = [*out.get(key, []), *value]
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def _country(name: Any, where: str) -> str:
    return country_catalog.resolve(str(name), field=f"country of {where}")


def _commodity(name: Any) -> str:
    text = str(name).strip()
    return ALL if text in {"", ALL} else commodity_catalog.resolve(text)


def _past(item: Mapping[str, Any], where: str) -> PastRestriction:
    try:
        start = item["start"]
        if isinstance(start, str):
            start = dt.date.fromisoformat(start)
        if isinstance(start, dt.datetime):
            start = start.date()
        if not isinstance(start, dt.date):
            raise TypeError(f"start {start!r} is not a date")
        return PastRestriction(
            country=_country(item["country"], where),
            commodity=_commodity(item["commodity"]),
            start=start,
            source=str(item.get("source", "")),
        )
    except KeyError as exc:
        raise InputError(
            f"{where}: a past_restriction needs {exc}", column="past_restriction"
        ) from None


def _override(item: Mapping[str, Any], where: str) -> Override:
    if "country" not in item:
        raise InputError(f"{where}: an override needs a country", column="override")
    prob = item.get("probability")
    mult = item.get("multiplier")
    return Override(
        country=_country(item["country"], where),
        commodity=_commodity(item.get("commodity", ALL)),
        probability=None if prob is None else float(prob),
        multiplier=None if mult is None else float(mult),
    )


# -- governance ------------------------------------------------------------------------


def governance_scores(store: Any, year: int, *, basis: str = "PV") -> pd.DataFrame:
    """Governance score W (0–10, 10 = worst) per country for ``year``.

    ``basis="all"`` is :func:`minsec.assess.supply.wgi_scores` (mean of the WGI estimates
    the chosen source has); ``"PV"`` applies the same rescaling to Political Stability
    alone, from the same source. The WGI year is the latest at or before ``year`` (or the
    earliest available when all are later). Returns ``country, wgi_score, wgi_year,
    wgi_basis, wgi_source``; empty when the store has no WGI.
    """
    from minsec.assess.supply import wgi_scores

    cols = ["country", "wgi_score", "wgi_year", "wgi_basis", "wgi_source"]
    scores = wgi_scores(store)
    if scores.empty:
        return pd.DataFrame(columns=cols)
    source = str(scores["wgi_source"].iloc[0])
    if basis == "PV":
        raw = store.query(
            "SELECT country, year, value FROM governance WHERE source = ? AND indicator = 'PV' "
            "AND value IS NOT NULL",
            [source],
        )
        if raw.empty:
            return pd.DataFrame(columns=cols)
        raw["wgi_score"] = conc.wgi_score(raw["value"].to_numpy(dtype=np.float64))
        raw["wgi_basis"] = "PV"
        scores = raw.assign(wgi_source=source)
    years = sorted(int(y) for y in set(scores["year"]))
    earlier = [y for y in years if y <= year]
    chosen = earlier[-1] if earlier else years[0]
    out = scores[scores["year"] == chosen].copy()
    out["wgi_year"] = chosen
    return out[cols].reset_index(drop=True)


# -- compiled model --------------------------------------------------------------------


@dataclass(frozen=True)
class ShockModel:
    """A :class:`RiskModel` resolved for one baseline: arrays over ``countries``.

    Attributes
    ----------
    countries:
        The baseline's country ids (the axis of every array).
    p_restrict:
        ``(n,)`` annual probability of an export restriction (0 for non-exporters).
    p_outage:
        ``(n,)`` annual probability of a production outage (0 when off or no production).
    group:
        ``(n,)`` int: index of the correlated bloc of each country, −1 for none.
    rho:
        Latent correlation within a group (0 = independent).
    duration, magnitude, outage_duration, outage_magnitude:
        The distributions of :class:`RiskModel`.
    targets:
        ``(n, n)`` bool, exporter k → importer j targeted.
    table:
        One row per country with the inputs of ``p_restrict`` (score, history, override).
    """

    countries: tuple[str, ...]
    p_restrict: FloatArray
    p_outage: FloatArray
    group: np.ndarray[Any, np.dtype[np.int64]]
    rho: float
    duration: Lognormal
    magnitude: BetaFraction
    outage_duration: Lognormal
    outage_magnitude: BetaFraction
    targets: BoolArray
    table: pd.DataFrame

    @property
    def n(self) -> int:
        """Number of countries."""
        return len(self.countries)

    def thresholds(self) -> FloatArray:
        """Φ⁻¹(p_restrict): the copula threshold of each exporter (−inf for p = 0)."""
        normal = NormalDist()
        out = np.empty(self.n)
        for i, p in enumerate(self.p_restrict):
            out[i] = -np.inf if p <= 0 else (np.inf if p >= 1 else normal.inv_cdf(float(p)))
        return out


def target_matrix(countries: tuple[str, ...], mode: str) -> BoolArray:
    """``(n, n)`` targets for ``mode`` "all" or a bloc id (see ``data/risk.toml``)."""
    n = len(countries)
    targets = ~np.eye(n, dtype=bool)
    if mode == "all":
        return targets
    bloc = blocs_catalog.find(mode)
    if bloc is None:
        raise UnknownNameError(
            f"targets {mode!r} is neither 'all' nor a bloc; blocs are "
            f"{sorted(blocs_catalog.blocs())}",
            column="targets",
        )
    member = np.isin(np.asarray(countries, dtype=object), list(bloc.members))
    targets[~member, :] &= member[None, :]
    return targets


def _history_factor(
    model: RiskModel, countries: Iterable[str], commodity: str, year: int
) -> tuple[FloatArray, list[str]]:
    countries = list(countries)
    factor = np.ones(len(countries))
    why = [""] * len(countries)
    if not model.history_enabled:
        return factor, why
    pos = {c: i for i, c in enumerate(countries)}
    for past in model.past_restrictions:
        if past.commodity not in {commodity, ALL} or past.country not in pos:
            continue
        if past.start.year < year - model.history_window_years:
            continue
        i = pos[past.country]
        factor[i] = model.history_multiplier
        text = f"{past.start.isoformat()} {past.source}".strip()
        why[i] = f"{why[i]}; {text}" if why[i] else text
    return factor, why


def compile_model(
    model: RiskModel,
    baseline: Baseline,
    scores: Mapping[str, float] | pd.DataFrame | None = None,
) -> ShockModel:
    """Resolve ``model`` for ``baseline``: probabilities, groups and targets per country.

    ``scores`` are governance scores W (0–10) per country id (a mapping, or the frame of
    :func:`governance_scores`); countries without one get ``model.missing_score``. An
    exporter without exports in the baseline gets probability 0 (it has nothing to
    withhold); overrides apply after governance and history.
    """
    countries = baseline.countries
    n = baseline.n
    commodity = baseline.commodity
    score = np.full(n, np.nan)
    wgi_year: list[Any] = [None] * n
    if isinstance(scores, pd.DataFrame):
        lookup = dict(zip(scores["country"], scores["wgi_score"], strict=True))
        years = dict(
            zip(scores["country"], scores.get("wgi_year", [None] * len(scores)), strict=True)
        )
        for i, c in enumerate(countries):
            if c in lookup and lookup[c] is not None and not pd.isna(lookup[c]):
                score[i] = float(lookup[c])
                wgi_year[i] = years.get(c)
    elif scores is not None:
        for i, c in enumerate(countries):
            if c in scores:
                score[i] = float(scores[c])
    p_gov = model.base_probability(score)
    hist, hist_why = _history_factor(model, countries, commodity, baseline.year)
    p = np.minimum(p_gov * hist, model.cap)
    note = [""] * n
    pos = {c: i for i, c in enumerate(countries)}
    for o in model.overrides:
        if o.commodity not in {ALL, commodity}:
            continue
        if o.country not in pos:
            continue
        i = pos[o.country]
        if o.probability is not None:
            p[i] = o.probability
            note[i] = f"probability = {o.probability}"
        else:
            assert o.multiplier is not None
            p[i] = min(1.0, p[i] * o.multiplier)
            note[i] = f"x{o.multiplier}"
    exports = baseline.trade_t.sum(axis=1)
    p_restrict = np.where(exports > 0, p, 0.0)

    production = baseline.production_t
    p_outage = (
        np.where(production > 0, model.outage_probability, 0.0)
        if model.outage_enabled
        else np.zeros(n)
    )

    group = np.full(n, -1, dtype=np.int64)
    if model.rho > 0:
        catalog = blocs_catalog.blocs()
        for g, name in enumerate(model.correlated_blocs):
            bloc = blocs_catalog.find(name)
            if bloc is None:
                raise UnknownNameError(
                    f"correlated bloc {name!r} is not a bloc; blocs are {sorted(catalog)}",
                    column="correlation.blocs",
                )
            for member in bloc.members:
                if member in pos and group[pos[member]] < 0:
                    group[pos[member]] = g

    table = pd.DataFrame(
        {
            "country": list(countries),
            "exports_t": exports,
            "production_t": production,
            "wgi_score": score,
            "wgi_year": pd.array(wgi_year, dtype="Int64"),
            "p_governance": p_gov,
            "history_factor": hist,
            "history": hist_why,
            "override": note,
            "p_restrict": p_restrict,
            "p_outage": p_outage,
            "group": group,
        }
    )
    return ShockModel(
        countries=countries,
        p_restrict=p_restrict.astype(np.float64),
        p_outage=p_outage.astype(np.float64),
        group=group,
        rho=model.rho,
        duration=model.duration,
        magnitude=model.magnitude,
        outage_duration=model.outage_duration,
        outage_magnitude=model.outage_magnitude,
        targets=target_matrix(countries, model.targets),
        table=table,
    )
