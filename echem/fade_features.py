"""Early-cycle features of one cell for a learned fade correction (in the spirit of Severson 2019).

Arrays in, a flat ``dict`` of floats out (one row of a feature table).  From the first ``N``
cycles of a cell:

* the per-model and model-averaged forecasts of :func:`anodelab.echem.fade.forecast_capacity`
  (retention at the target cycle), their spread (model disagreement) and the averaged std;
* fade slopes (retention per 100 cycles, least squares) over the first and the last fifth of the
  window and their ratio (curvature: > 1 means the fade is accelerating);
* the retention reached at cycle N (median of the last 5 cycles) and the noise about a smooth fit;
* Coulombic-efficiency trends (``ce`` in %): mean inefficiency 100 − CE over the last fifth and its
  slope over the second half — lithium lost to SEI per cycle (Smith et al., J. Electrochem. Soc.
  157, A196, 2010, high-precision CE as an early predictor);
* when two discharge curves Q(V) are given (an early cycle and cycle N on a shared voltage grid),
  the Severson features of :math:`\\Delta Q(V) = Q_N(V) - Q_{early}(V)`:
  :math:`\\log_{10}|\\mathrm{var}\\,\\Delta Q|`, :math:`\\log_{10}|\\min \\Delta Q|` and the mean
  (Severson et al., Nat. Energy 4, 383, 2019, "variance model").
"""

from __future__ import annotations

import math

import numpy as np

from anodelab.echem.fade import FadeForecast, forecast_capacity
from anodelab.schema.errors import InputError

__all__ = ["early_features", "delta_q_v_features", "FEATURE_NAMES"]

FEATURE_NAMES = (
    "retention_forecast",
    "retention_forecast_std",
    "model_spread",
    "forecast_power_law",
    "forecast_exponential",
    "forecast_double_exponential",
    "forecast_sei_lam",
    "forecast_sei_lam_accelerating",
    "slope_first",
    "slope_last",
    "slope_ratio",
    "retention_at_n",
    "noise",
    "log_reference_capacity",
    "knee_seen",
)
CE_FEATURE_NAMES = ("ce_loss_last", "ce_loss_slope", "forecast_ce_split")
DQV_FEATURE_NAMES = ("dqv_log_var", "dqv_log_min", "dqv_mean")


def _slope_per_100(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 3 or np.ptp(x) == 0:
        return 0.0
    return float(np.polyfit(x, y, 1)[0] * 100.0)


def _ce_split_forecast(
    n_ce: np.ndarray,
    inefficiency: np.ndarray,
    n: np.ndarray,
    y: np.ndarray,
    target: float,
    slope_per_cycle: float,
) -> float:
    """Retention at ``target`` from splitting the fade into its lithium (CE) and LAM parts.

    The Coulombic inefficiency of an SEI growing as √t falls as :math:`\\ell_n = \\alpha/\\sqrt n
    + \\beta` (β: parasitic reactions that do not cost capacity, e.g. a shuttle).  Fitted on the
    second half of the window, α gives the lithium-loss rate at cycle N, :math:`\\alpha/\\sqrt N`;
    the rest of the measured fade slope is loss of active material, continued linearly:

    .. math::

       y_T = y_N - 2\\alpha(\\sqrt T - \\sqrt N) - r_{LAM}(T - N), \\quad
       r_{LAM} = \\max(0, -s_N - \\alpha/\\sqrt N)
    """
    half = n_ce >= n_ce[len(n_ce) // 2]
    if half.sum() < 5:
        return float("nan")
    design = np.column_stack([1.0 / np.sqrt(n_ce[half]), np.ones(half.sum())])
    (alpha, _beta), *_ = np.linalg.lstsq(design, inefficiency[half], rcond=None)
    alpha = max(float(alpha), 0.0)
    n_last = float(n[-1])
    y_now = float(np.median(y[-5:]))
    lam = max(0.0, -slope_per_cycle - alpha / math.sqrt(n_last))
    return y_now - 2 * alpha * (math.sqrt(target) - math.sqrt(n_last)) - lam * (target - n_last)


def delta_q_v_features(q_early: np.ndarray, q_late: np.ndarray) -> dict[str, float]:
    """Severson's ΔQ(V) summary of two discharge curves sampled on the same voltage grid."""
    a = np.asarray(q_early, dtype=float)
    b = np.asarray(q_late, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or len(a) < 3:
        raise InputError("ΔQ(V) needs two 1-D capacity arrays on the same voltage grid")
    dq = b - a
    return {
        "dqv_log_var": math.log10(max(float(np.var(dq)), 1e-30)),
        "dqv_log_min": math.log10(max(abs(float(np.min(dq))), 1e-30)),
        "dqv_mean": float(np.mean(dq)),
    }


def early_features(
    cycles: np.ndarray,
    capacity: np.ndarray,
    target_cycle: int,
    *,
    ce_percent: np.ndarray | None = None,
    q_v_pair: tuple[np.ndarray, np.ndarray] | None = None,
    reference_cycle: int | None = None,
) -> tuple[dict[str, float], FadeForecast]:
    """Features of one cell's partial curve, and the per-cell forecast they were built from."""
    n = np.asarray(cycles, dtype=float)
    q = np.asarray(capacity, dtype=float)
    fc = forecast_capacity(n, q, target_cycle, reference_cycle=reference_cycle)
    ok = np.isfinite(n) & np.isfinite(q) & (n >= fc.reference_cycle)
    n, q = n[ok], q[ok]
    y = q / fc.reference_capacity
    fifth = max(5, len(n) // 5)
    first, last = _slope_per_100(n[:fifth], y[:fifth]), _slope_per_100(n[-fifth:], y[-fifth:])
    smooth = np.polyval(np.polyfit(np.sqrt(n - n[0]), y, 3), np.sqrt(n - n[0]))
    forecasts = [m for m, _ in fc.per_model.values()]
    feats = {
        "retention_forecast": fc.retention_mean,
        "retention_forecast_std": fc.retention_std,
        "model_spread": float(np.std(forecasts)),
        "slope_first": first,
        "slope_last": last,
        "slope_ratio": last / first if abs(first) > 1e-6 else 1.0,
        "retention_at_n": float(np.median(y[-5:])),
        "noise": float(np.std(y - smooth)),
        "log_reference_capacity": math.log(fc.reference_capacity),
        "knee_seen": 0.0 if fc.knee is None else 1.0,
    }
    for name in (
        "power_law",
        "exponential",
        "double_exponential",
        "sei_lam",
        "sei_lam_accelerating",
    ):
        feats[f"forecast_{name}"] = fc.per_model.get(name, (fc.retention_mean, 0.0))[0]
    if ce_percent is not None:
        ce = np.asarray(ce_percent, dtype=float)[ok] if len(ce_percent) == len(ok) else None
        if ce is not None and np.isfinite(ce).sum() >= 10:
            good = np.isfinite(ce)
            loss = 100.0 - ce[good]
            nc = n[good]
            half = nc >= nc[len(nc) // 2]
            feats["ce_loss_last"] = float(np.median(loss[-fifth:]))
            feats["ce_loss_slope"] = _slope_per_100(nc[half], loss[half])
            feats["forecast_ce_split"] = _ce_split_forecast(
                nc, loss / 100.0, n, y, float(target_cycle), last / 100.0
            )
    if q_v_pair is not None:
        feats.update(delta_q_v_features(*q_v_pair))
    return feats, fc
