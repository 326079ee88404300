"""A silent HiGHS solver instance, shared by the optimisation models.

The public ``highspy.Highs`` class prints a banner to stdout once per process, which would
corrupt JSON written by the CLI; the raw binding ``highspy._core._Highs`` prints nothing,
so it is used where it exists (with ``highspy.Highs`` as the fallback).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

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


def csc_arrays(
    rows: Sequence[npt.NDArray[np.int64]],
    cols: Sequence[npt.NDArray[np.int64]],
    vals: Sequence[npt.NDArray[np.float64]],
    n_cols: int,
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32], npt.NDArray[np.float64]]:
    """Column-wise (CSC) ``start, index, value`` arrays from COO triplets.

    Triplets must not repeat a (row, column) pair; zeros are dropped.
    """
    r = np.concatenate(rows)
    c = np.concatenate(cols)
    v = np.concatenate(vals).astype(np.float64)
    keep = v != 0.0
    r, c, v = r[keep], c[keep], v[keep]
    order = np.lexsort((r, c))
    r, c, v = r[order], c[order], v[order]
    start = np.searchsorted(c, np.arange(n_cols + 1)).astype(np.int32)
    return start, r.astype(np.int32), v


def highs_lp(
    cost: npt.NDArray[np.float64],
    col_bounds: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]],
    row_bounds: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]],
    matrix: tuple[npt.NDArray[np.int32], npt.NDArray[np.int32], npt.NDArray[np.float64]],
    integer: npt.NDArray[np.intp] | None = None,
) -> Any:
    """A ``highspy.HighsLp`` (minimise ``cost · x``) from arrays; ±inf bounds become HiGHS'.

    ``matrix`` is the CSC ``(start, index, value)`` of :func:`csc_arrays`; ``integer``
    lists the columns that are integer (a MIP), if any.
    """
    import highspy

    inf = highspy.kHighsInf
    lower, upper = col_bounds
    row_lower, row_upper = row_bounds
    start, index, value = matrix
    n_cols, n_rows = int(cost.size), int(row_lower.size)
    lp = highspy.HighsLp()
    lp.num_col_ = n_cols
    lp.num_row_ = n_rows
    lp.col_cost_ = cost
    lp.col_lower_ = np.clip(lower, -inf, inf)
    lp.col_upper_ = np.clip(upper, -inf, inf)
    lp.row_lower_ = np.clip(row_lower, -inf, inf)
    lp.row_upper_ = np.clip(row_upper, -inf, inf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = n_cols
    lp.a_matrix_.num_row_ = n_rows
    lp.a_matrix_.start_ = start
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    if integer is not None and integer.size:
        kinds = [highspy.HighsVarType.kContinuous] * n_cols
        for j in integer.tolist():
            kinds[j] = highspy.HighsVarType.kInteger
        lp.integrality_ = kinds
    return lp
