"""A silent HiGHS solver instance, shared by the optimisation models.

The public ``highspy.Highs`` class prints a banner to stdout once per process, which would
corrupt JSON written by the CLI; the raw binding ``highspy._core._Highs`` prints nothing,
so it is used where it exists (with ``highspy.Highs`` as the fallback).
"""

from __future__ import annotations

from typing import Any

from minsec.errors import MinsecError


def silent_highs(purpose: str, **options: float | bool | str) -> Any:
    """A HiGHS instance with output off, tolerances 1e-9 and the given extra ``options``.

    ``purpose`` names the model in the error raised when highspy is not installed.
    Tolerances are tighter than HiGHS' 1e-7 defaults because the models are scaled to
    O(1) values and multi-stage solves fix earlier objectives.
    """
    try:
        import highspy
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MinsecError(
            f"the {purpose} needs HiGHS: pip install 'highspy>=1.7' "
            "(or install minsec with the 'optimize' extra)"
        ) from exc
    core = getattr(highspy, "_core", None)
    factory = getattr(core, "_Highs", None) or highspy.Highs
    h = factory()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("primal_feasibility_tolerance", 1e-9)
    h.setOptionValue("dual_feasibility_tolerance", 1e-9)
    for name, value in options.items():
        h.setOptionValue(name, value)
    return h
