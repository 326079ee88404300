"""The risk target a stockpile is sized to: a CVaR cap or a probability cap.

Written as users type it on the command line (``minsec stockpile size --target …``):

* ``cvar95<=5%`` — CVaR at 95 % of each partner's annual shortfall at most 5 % of its
  consumption over the horizon (``cvar90<=3%``, ``cvar97.5<=2%`` …);
* ``p10<=5%`` or ``p(>10%)<=5%`` — the probability that the shortfall exceeds 10 % of
  consumption at most 5 %.

Percentages may be written with or without ``%`` (``cvar95<=5`` is the same) and with
``≤`` for ``<=``. Shortfall shares are fractions of consumption in :class:`Target`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from minsec.errors import InputError

Kind = Literal["cvar", "probability"]

_NUMBER = r"(\d+(?:\.\d*)?|\.\d+)"
_CVAR = re.compile(rf"^cvar{_NUMBER}<={_NUMBER}%?$")
_PROB = re.compile(rf"^p(?:\(>)?{_NUMBER}%?\)?<={_NUMBER}%?$")
EXAMPLES = (
    "cvar95<=5% (CVaR 95 % at most 5 % of consumption) or p10<=5% (P(shortfall > 10 %) ≤ 5 %)"
)


@dataclass(frozen=True)
class Target:
    """A cap on each partner's shortfall risk after stock releases.

    Attributes
    ----------
    kind:
        ``"cvar"``: CVaR_α of the annual shortfall ≤ ``level`` × consumption;
        ``"probability"``: P(shortfall > ``threshold`` × consumption) ≤ ``level``.
    level:
        The cap: a share of consumption (CVaR) or a probability, in [0, 1).
    alpha:
        The CVaR level α in (0, 1) (CVaR targets).
    threshold:
        The shortfall share x ≥ 0 (probability targets).
    """

    kind: Kind
    level: float
    alpha: float = 0.95
    threshold: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in ("cvar", "probability"):
            raise InputError(
                f"target kind {self.kind!r} is not cvar or probability", column="target"
            )
        if not math.isfinite(self.level) or self.level < 0:
            raise InputError(
                f"target {self.label()}: the cap must be a number ≥ 0, got {self.level!r}",
                column="target",
            )
        if self.kind == "cvar" and not 0.0 < self.alpha < 1.0:
            raise InputError(
                f"target {self.label()}: the CVaR level must be in (0, 100) %", column="target"
            )
        if self.kind == "probability":
            if not 0.0 <= self.level < 1.0:
                raise InputError(
                    f"target {self.label()}: a probability cap must be in [0, 100) %",
                    column="target",
                )
            if not math.isfinite(self.threshold) or self.threshold < 0:
                raise InputError(
                    f"target {self.label()}: the shortfall threshold must be ≥ 0 %",
                    column="target",
                )

    def label(self) -> str:
        """The target as typed: ``cvar95<=5%`` or ``p(>10%)<=5%``."""
        if self.kind == "cvar":
            return f"cvar{_pct(self.alpha)}<={_pct(self.level)}%"
        return f"p(>{_pct(self.threshold)}%)<={_pct(self.level)}%"

    def describe(self) -> str:
        """The target in words."""
        if self.kind == "cvar":
            return (
                f"CVaR {_pct(self.alpha)} % of each partner's shortfall at most "
                f"{_pct(self.level)} % of its consumption"
            )
        return (
            f"probability that a partner's shortfall exceeds {_pct(self.threshold)} % of its "
            f"consumption at most {_pct(self.level)} %"
        )

    def with_level(self, level: float) -> Target:
        """The same target with another cap (for the curve of cost vs risk)."""
        return Target(self.kind, level, self.alpha, self.threshold)


def _pct(x: float) -> str:
    return f"{x * 100:.6g}"


def parse_target(text: str) -> Target:
    """A :class:`Target` from ``cvar95<=5%``, ``p10<=5%`` or ``p(>10%)<=5%``."""
    raw = str(text).strip()
    norm = raw.lower().replace(" ", "").replace("≤", "<=")
    m = _CVAR.match(norm)
    if m:
        alpha, level = float(m.group(1)) / 100, float(m.group(2)) / 100
        return Target("cvar", level, alpha=alpha)
    m = _PROB.match(norm)
    if m:
        threshold, level = float(m.group(1)) / 100, float(m.group(2)) / 100
        return Target("probability", level, threshold=threshold)
    raise InputError(f"target {raw!r} is not understood", column="target", hint=EXAMPLES)
