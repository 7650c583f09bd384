"""The frequency range of a spectrum that passes the lin-KK test, for fitting there only.

When a spectrum fails Kramers–Kronig as a whole (:func:`anodelab.echem.kk.lin_kk`), the usual
cause is its low-frequency end: the slowest points take minutes each, and a cell that drifts or
a noisy low-current measurement spoils them, while the high-frequency arcs are sound.  Fitting a
circuit over the bad points drags every parameter (the issue-16 case: R0 fitted at 2.3 Ω where
the high-frequency intercept is 10.6 Ω).  :func:`kk_valid_range` finds the largest contiguous
range that starts at the highest frequency and passes lin-KK: a bisection on the number of
points kept (validity is monotone in practice: adding bad points never repairs a fit), followed
by a step-wise check of the neighbours of the boundary.  Each test refits lin-KK on the kept
points alone, so the residuals of the bad points cannot mask or fake the boundary.  Because
lin-KK's noise allowance grows with the scatter of the points it is given, one wild point at the
boundary can pass; the last kept point is therefore dropped while its residual exceeds
``outlier_sigma`` robust standard deviations (1.4826 × MAD) of the kept residuals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from anodelab.echem.kk import KramersKronigResult, lin_kk

__all__ = ["KKRange", "kk_valid_range"]


@dataclass
class KKRange:
    """``n_kept`` points from the highest frequency pass lin-KK (``kk``); ``n_total`` were given."""

    n_kept: int
    n_total: int
    kk: KramersKronigResult
    min_frequency_Hz: float
    max_frequency_Hz: float

    @property
    def n_dropped(self) -> int:
        return self.n_total - self.n_kept

    def to_dict(self) -> dict[str, float | int | str]:
        return {
            "selected_by": "lin-KK (largest valid range from the high-frequency end)",
            "min_frequency_Hz": self.min_frequency_Hz,
            "max_frequency_Hz": self.max_frequency_Hz,
            "n_points_used": self.n_kept,
            "n_points_dropped": self.n_dropped,
            "max_smoothed_residual_percent": self.kk.max_smoothed_residual_percent,
        }


def kk_valid_range(
    frequency_hz: np.ndarray, z: np.ndarray, *, min_points: int = 10, outlier_sigma: float = 4.0
) -> KKRange | None:
    """The largest prefix (``frequency_hz`` sorted high → low) of at least ``min_points`` points
    that passes lin-KK, or ``None`` when even ``min_points`` points fail."""
    f = np.asarray(frequency_hz, dtype=float)
    zz = np.asarray(z, dtype=complex)
    if np.any(np.diff(f) > 0):
        raise ValueError("kk_valid_range needs frequencies sorted from high to low")
    n_total = f.size
    cache: dict[int, KramersKronigResult] = {}

    def test(n: int) -> bool:
        if n not in cache:
            cache[n] = lin_kk(f[:n], zz[:n])
        return cache[n].valid

    lo = max(6, min(min_points, n_total))
    if not test(lo):
        return None
    hi = n_total
    if test(hi):
        good = hi
    else:
        good, bad = lo, hi  # invariant: good passes, bad fails
        while bad - good > 1:
            mid = (good + bad) // 2
            if test(mid):
                good = mid
            else:
                bad = mid
        for n in range(good + 1, min(good + 4, n_total + 1)):  # bisection may stop early
            if test(n):
                good = n
        while good > lo:  # a wild point at the boundary inflates lin-KK's noise allowance
            kk = cache[good]
            res = np.concatenate([kk.residual_real, kk.residual_imag])
            sigma = 1.4826 * float(np.median(np.abs(res - np.median(res))))
            last = max(abs(kk.residual_real[good - 1]), abs(kk.residual_imag[good - 1]))
            if last <= outlier_sigma * sigma or not test(good - 1):
                break
            good -= 1
    return KKRange(
        n_kept=good,
        n_total=n_total,
        kk=cache[good],
        min_frequency_Hz=float(f[good - 1]),
        max_frequency_Hz=float(f[0]),
    )
