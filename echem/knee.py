"""Knee detection in a capacity-fade curve: the cycle where fade accelerates.

Method (a continuous two-segment linear fit, the limit γ → 0 of the Bacon–Watts model used for
knees by Fermín-Cueto et al., Energy and AI 1, 100006, 2020):

.. math::

   y = \\beta_0 + \\beta_1 x + \\beta_2 \\max(0, x - x_k)

for every candidate breakpoint :math:`x_k` with at least ``min_fraction`` of the points on each
side; the best :math:`x_k` minimises the residual sum of squares.  A knee is reported only if the
extra term is significant against one straight line (F test, one extra parameter plus the searched
breakpoint, so the threshold is strict: ``p < p_max``) and the slope after it is at least
``min_ratio`` times steeper (more negative) than before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["Knee", "find_knee"]


@dataclass(frozen=True)
class Knee:
    """A detected knee: cycle, fade slopes before/after (retention per cycle) and the F-test p."""

    cycle: float
    slope_before: float
    slope_after: float
    p_value: float


def _rss(design: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    r = y - design @ coef
    return float(r @ r), coef


def find_knee(
    cycles: np.ndarray,
    retention: np.ndarray,
    *,
    min_fraction: float = 0.15,
    min_ratio: float = 2.0,
    p_max: float = 1e-3,
) -> Knee | None:
    """The knee of ``retention`` vs ``cycles``, or ``None`` when the fade does not accelerate."""
    x = np.asarray(cycles, dtype=float)
    y = np.asarray(retention, dtype=float)
    n = len(x)
    if n < 12:
        return None
    lo, hi = int(np.ceil(min_fraction * n)), int(np.floor((1 - min_fraction) * n))
    if hi <= lo:
        return None
    line = np.column_stack([np.ones(n), x])
    rss_line, _ = _rss(line, y)
    step = max(1, (hi - lo) // 60)
    rss_knee, xk, coef = np.inf, float("nan"), np.zeros(3)
    for i in range(lo, hi, step):
        design = np.column_stack([np.ones(n), x, np.maximum(0.0, x - x[i])])
        rss, c = _rss(design, y)
        if rss < rss_knee:
            rss_knee, xk, coef = rss, float(x[i]), c
    if not np.isfinite(rss_knee):
        return None
    dof = n - 4
    if rss_knee <= 0 or dof <= 0:
        return None
    f = (rss_line - rss_knee) / (rss_knee / dof)
    p = float(stats.f.sf(f, 1, dof))
    before, after = float(coef[1]), float(coef[1] + coef[2])
    if p >= p_max or after >= 0 or after > min_ratio * min(before, -1e-12):
        return None
    return Knee(cycle=float(xk), slope_before=before, slope_after=after, p_value=p)
