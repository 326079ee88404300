"""The assumptions a sensitivity analysis varies: ranges as data, and how each reaches the engine.

Each range is one row of ``disrupt/data/sensitivity.toml`` (see the comments there): an id,
a label, a **target**, a ``field`` of that target, a low and a high value (absolute, or
multiples of the scenario's value with ``scale = true``), an optional ``clip`` and where
the range comes from (a ``source``, or ``judgement = true`` with its ``basis``). A
``sensitivity.toml`` in ``$MINSEC_HOME`` replaces rows of the same id key by key and
adds new ones.

The target maps a value to the engine's inputs (:class:`EngineInputs`):

* ``parameters`` — a field of :class:`~minsec.disrupt.model.Parameters` (elasticities,
  leakage, spot share, ramp, price cap, and any field the engine gains);
* ``events`` — the fraction of every event of the scenario (all layers of the shocks);
* ``baseline`` — an array field of the :class:`~minsec.disrupt.model.Baseline` (spare
  capacity, which ``parameters.toml`` sets per commodity and country);
* ``responses`` — an array field of the :class:`~minsec.disrupt.model.Responses` (the
  declared stockpiles).

The first two change only per-run quantities, so every case of them can run as one
engine call with one run per case (:func:`stack`); the others change the network or the
responses, which are shared by all runs of a call, and run one call per case.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from minsec import config
from minsec.errors import InputError

from .model import Baseline, FloatArray, Parameters, Responses, Shocks

PACKAGED = "minsec/disrupt/data/sensitivity.toml"


@dataclass(frozen=True)
class EngineInputs:
    """What one engine call takes (one run, or a stack of runs)."""

    baseline: Baseline
    shocks: Shocks
    params: Parameters
    responses: Responses


@dataclass(frozen=True)
class SensitivityRange:
    """One assumption of the tornado (a row of ``sensitivity.toml``).

    Attributes
    ----------
    id, label:
        Key and the text a reader sees.
    target, field:
        What the value changes (see the module docstring).
    scale:
        ``low``/``high`` multiply the scenario's value (else they are the values).
    low, high:
        The two ends of the range.
    clip:
        ``(min, max)`` the resulting values are kept within.
    unit:
        Unit of the value, shown with it.
    source:
        Where the range comes from, or ``"judgement"``.
    judgement:
        Whether the range is a modelling judgement.
    basis:
        Why this range (the footnote of the range).
    """

    id: str
    label: str
    target: str
    field: str | None
    scale: bool
    low: float
    high: float
    clip: tuple[float, float] = (-np.inf, np.inf)
    unit: str = ""
    source: str = "judgement"
    judgement: bool = True
    basis: str = ""

    @property
    def batched(self) -> bool:
        """Whether its cases can share one engine call (per-run parameters or shocks)."""
        return TARGETS[self.target].batched

    def apply(self, inputs: EngineInputs, value: float) -> EngineInputs:
        """The engine inputs with this assumption at ``value`` (others unchanged)."""
        return TARGETS[self.target].apply(inputs, self, value)

    def shown(self, inputs: EngineInputs, value: float | None) -> float:
        """The value a table shows: the parameter itself, or the multiple of arrays.

        ``None`` is the scenario's own value (1 for a multiple of arrays; NaN when an
        absolute value replaces arrays that differ between countries).
        """
        return TARGETS[self.target].shown(inputs, self, value)

    def clipped(self, inputs: EngineInputs, value: float) -> bool:
        """Whether ``value`` goes beyond ``clip`` for some of the scenario's values."""
        current = TARGETS[self.target].current(inputs, self)
        if self.target == "events":
            current = current[current > 0]
        wanted = current * value if self.scale else np.full(current.shape, value)
        return bool(np.any(_clip(self, wanted) != wanted))

    def current_is_zero(self, inputs: EngineInputs) -> bool:
        """Whether the scenario's value is 0 everywhere (then a multiple changes nothing)."""
        return not np.any(TARGETS[self.target].current(inputs, self))


# -- targets -------------------------------------------------------------------------------


def _clip(rng: SensitivityRange, values: Any) -> Any:
    return np.clip(values, rng.clip[0], rng.clip[1])


def _new(rng: SensitivityRange, current: Any, value: float) -> Any:
    return _clip(rng, np.asarray(current, dtype=float) * value if rng.scale else value)


def _params_current(inputs: EngineInputs, rng: SensitivityRange) -> FloatArray:
    return np.asarray(getattr(inputs.params, str(rng.field)), dtype=float)


def _params_apply(inputs: EngineInputs, rng: SensitivityRange, value: float) -> EngineInputs:
    changes: dict[str, Any] = {
        str(rng.field): float(_new(rng, _params_current(inputs, rng), value))
    }
    params = dataclasses.replace(inputs.params, **changes)
    return dataclasses.replace(inputs, params=params)


def _params_shown(inputs: EngineInputs, rng: SensitivityRange, value: float | None) -> float:
    current = float(_params_current(inputs, rng))
    shown = current if value is None else float(_new(rng, current, value))
    return float(f"{shown:.12g}")  # 0.15, not 0.15000000000000002


def _layers(shocks: Shocks) -> list[Shocks]:
    return [shocks, *shocks.layers]


def _events_current(inputs: EngineInputs, rng: SensitivityRange) -> FloatArray:
    parts = [
        np.concatenate([np.ravel(s.export_fraction), np.ravel(s.outage_fraction)])
        for s in _layers(inputs.shocks)
    ]
    return np.concatenate(parts)


def _events_apply(inputs: EngineInputs, rng: SensitivityRange, value: float) -> EngineInputs:
    def change(fraction: FloatArray) -> FloatArray:
        f = np.asarray(fraction, dtype=float)
        # an absolute value replaces the fraction of each event, not the absent ones
        out = _new(rng, f, value) if rng.scale else np.where(f > 0, _clip(rng, value), 0.0)
        return np.asarray(_clip(rng, out), dtype=float)

    layers = [
        dataclasses.replace(
            s,
            export_fraction=change(s.export_fraction),
            outage_fraction=change(s.outage_fraction),
            layers=(),
        )
        for s in _layers(inputs.shocks)
    ]
    shocks = dataclasses.replace(layers[0], layers=tuple(layers[1:]))
    return dataclasses.replace(inputs, shocks=shocks)


def _array_shown(inputs: EngineInputs, rng: SensitivityRange, value: float | None) -> float:
    if value is not None:
        return float(value)
    if rng.scale:
        return 1.0
    current = TARGETS[rng.target].current(inputs, rng)
    present = current[current > 0]
    return float(present[0]) if len(present) and np.all(present == present[0]) else np.nan


def _field_array(obj: Any, rng: SensitivityRange) -> FloatArray:
    value = getattr(obj, str(rng.field))
    arr = np.asarray(value, dtype=float) if isinstance(value, np.ndarray) else None
    if arr is None:
        raise InputError(
            f"{rng.target}.{rng.field} is not an array of numbers",
            path=PACKAGED,
            column=f"range {rng.id}.field",
        )
    return arr


def _baseline_apply(inputs: EngineInputs, rng: SensitivityRange, value: float) -> EngineInputs:
    new = _new(rng, _field_array(inputs.baseline, rng), value)
    new = np.broadcast_to(new, _field_array(inputs.baseline, rng).shape).copy()
    changes: dict[str, Any] = {str(rng.field): new}
    baseline = dataclasses.replace(inputs.baseline, **changes)
    return dataclasses.replace(inputs, baseline=baseline)


def _responses_apply(inputs: EngineInputs, rng: SensitivityRange, value: float) -> EngineInputs:
    new = _new(rng, _field_array(inputs.responses, rng), value)
    new = np.broadcast_to(new, _field_array(inputs.responses, rng).shape).copy()
    changes: dict[str, Any] = {str(rng.field): new}
    responses = dataclasses.replace(inputs.responses, **changes)
    return dataclasses.replace(inputs, responses=responses)


@dataclass(frozen=True)
class Target:
    """How the value of a range reaches the engine (see the module docstring)."""

    batched: bool
    fields: Callable[[], frozenset[str]]
    current: Callable[[EngineInputs, SensitivityRange], FloatArray]
    apply: Callable[[EngineInputs, SensitivityRange, float], EngineInputs]
    shown: Callable[[EngineInputs, SensitivityRange, float | None], float]


def _fields_of(cls: type, *, drop: Sequence[str] = ()) -> Callable[[], frozenset[str]]:
    return lambda: frozenset(f.name for f in dataclasses.fields(cls) if f.name not in drop)


TARGETS: dict[str, Target] = {
    "parameters": Target(
        batched=True,
        fields=_fields_of(Parameters, drop=("months",)),
        current=_params_current,
        apply=_params_apply,
        shown=_params_shown,
    ),
    "events": Target(
        batched=True,
        fields=frozenset,
        current=_events_current,
        apply=_events_apply,
        shown=_array_shown,
    ),
    "baseline": Target(
        batched=False,
        fields=_fields_of(Baseline),
        current=lambda inputs, rng: _field_array(inputs.baseline, rng),
        apply=_baseline_apply,
        shown=_array_shown,
    ),
    "responses": Target(
        batched=False,
        fields=_fields_of(Responses, drop=("sharing_bloc",)),
        current=lambda inputs, rng: _field_array(inputs.responses, rng),
        apply=_responses_apply,
        shown=_array_shown,
    ),
}


# -- stacking runs -------------------------------------------------------------------------


def _stack_shocks(parts: Sequence[Shocks]) -> Shocks:
    layers = [_layers(s) for s in parts]
    if len({len(x) for x in layers}) != 1:
        raise ValueError("cannot stack shocks with different numbers of layers")
    stacked = []
    for k in range(len(layers[0])):
        same = [x[k] for x in layers]
        if not all(np.array_equal(s.targets, same[0].targets) for s in same):
            raise ValueError("cannot stack shocks with different targets")
        stacked.append(
            Shocks(
                export_fraction=np.concatenate([s.export_fraction for s in same]),
                targets=same[0].targets,
                outage_fraction=np.concatenate([s.outage_fraction for s in same]),
                start_month=np.concatenate([s.start_month for s in same]),
                duration_months=np.concatenate([s.duration_months for s in same]),
            )
        )
    return dataclasses.replace(stacked[0], layers=tuple(stacked[1:]))


def stack(cases: Sequence[EngineInputs]) -> EngineInputs:
    """One engine call for several cases that differ only in parameters and shocks.

    Run i of the result is case i: shock rows are stacked and each parameter that differs
    becomes an ``(R,)`` array (the engine takes scalars or one value per run). Cases must
    share the baseline and responses objects and the horizon.
    """
    first = cases[0]
    if any(c.baseline is not first.baseline or c.responses is not first.responses for c in cases):
        raise ValueError("cases to stack must share the baseline and the responses")
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Parameters):
        column = [getattr(c.params, f.name) for c in cases]
        if f.name == "months":
            if len(set(column)) != 1:
                raise ValueError("cases to stack must share the horizon")
            values[f.name] = column[0]
        else:
            arr = np.concatenate([np.atleast_1d(np.asarray(v, dtype=float)) for v in column])
            values[f.name] = arr
    return EngineInputs(
        baseline=first.baseline,
        shocks=_stack_shocks([c.shocks for c in cases]),
        params=Parameters(**values),
        responses=first.responses,
    )


# -- reading the table ---------------------------------------------------------------------

_KEYS = {
    "id", "label", "target", "field", "scale", "low", "high", "clip", "unit", "source",
    "judgement", "basis",
}  # fmt: skip


def _read(text: str, where: str) -> list[dict[str, Any]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", path=where) from exc
    unknown = sorted(set(data) - {"range"})
    if unknown:
        raise InputError(f"unknown table(s) {unknown}; rows are [[range]]", path=where)
    rows = data.get("range", [])
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise InputError("`range` must be an array of tables ([[range]])", path=where)
    return rows


def _number(row: dict[str, Any], key: str, where: str, label: str) -> float:
    value = row.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{key} must be a number (got {value!r})", path=where, column=label)
    return float(value)


def parse_range(row: dict[str, Any], where: str, index: int) -> SensitivityRange:
    """Validate one ``[[range]]`` row; errors name the file, the row and the key."""
    rid = row.get("id")
    label = f"range {rid}" if isinstance(rid, str) else f"range[{index}]"
    unknown = sorted(set(row) - _KEYS)
    if unknown:
        raise InputError(f"unknown key(s) {unknown}; keys are {sorted(_KEYS)}", path=where,
                         column=label)  # fmt: skip
    for key in ("id", "label", "target"):
        if not isinstance(row.get(key), str) or not row[key].strip():
            raise InputError(f"{key} is required (a text)", path=where, column=label)
    target = TARGETS.get(row["target"])
    if target is None:
        raise InputError(
            f"target {row['target']!r} is not one of {sorted(TARGETS)}",
            path=where,
            column=f"{label}.target",
        )
    field = row.get("field")
    allowed = target.fields()
    if allowed and field not in allowed:
        raise InputError(
            f"field {field!r} is not a field of the engine's {row['target']} "
            f"({', '.join(sorted(allowed))})",
            path=where,
            column=f"{label}.field",
        )
    if not allowed and field is not None:
        raise InputError(f"target {row['target']!r} takes no field", path=where,
                         column=f"{label}.field")  # fmt: skip
    low = _number(row, "low", where, f"{label}.low")
    high = _number(row, "high", where, f"{label}.high")
    clip = row.get("clip", [-np.inf, np.inf])
    if not (isinstance(clip, list) and len(clip) == 2 and clip[0] <= clip[1]):
        raise InputError("clip must be [min, max]", path=where, column=f"{label}.clip")
    judgement = row.get("judgement", True)
    source = str(row.get("source", "judgement" if judgement else "")).strip()
    if not isinstance(judgement, bool) or (not judgement and not source):
        raise InputError(
            "a range is sourced (source = the citation, judgement = false) or a judgement "
            "(judgement = true)",
            path=where,
            column=f"{label}.source",
        )
    return SensitivityRange(
        id=row["id"].strip(),
        label=row["label"].strip(),
        target=row["target"],
        field=field,
        scale=bool(row.get("scale", False)),
        low=low,
        high=high,
        clip=(float(clip[0]), float(clip[1])),
        unit=str(row.get("unit", "")),
        source=source,
        judgement=judgement,
        basis=str(row.get("basis", "")).strip(),
    )


@cache
def _packaged_text() -> str:
    return resources.files("minsec.disrupt").joinpath("data/sensitivity.toml").read_text("utf-8")


def load_ranges(path: Path | str | None = None) -> tuple[SensitivityRange, ...]:
    """The ranges: the packaged table, ``$MINSEC_HOME/sensitivity.toml`` and ``path``.

    A later file replaces rows of the same id key by key and appends rows with new ids.
    """
    rows: dict[str, tuple[dict[str, Any], str]] = {}
    sources: list[tuple[str, str]] = [(_packaged_text(), PACKAGED)]
    files = [config.home() / "sensitivity.toml"]
    if path is not None:
        if not Path(path).is_file():
            raise InputError("sensitivity ranges file not found", path=path)
        files.append(Path(path))
    sources.extend((f.read_text("utf-8"), str(f)) for f in files if f.is_file())
    for text, where in sources:
        for i, row in enumerate(_read(text, where)):
            rid = row.get("id")
            if isinstance(rid, str) and rid in rows:
                merged = {**rows[rid][0], **row}
                rows[rid] = (merged, where)
            else:
                rows[str(rid) if rid is not None else f"#{i}"] = (row, where)
    return tuple(parse_range(row, where, i) for i, (row, where) in enumerate(rows.values()))
