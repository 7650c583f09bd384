"""Per-cell capacity-fade models fitted with uncertainty, averaged by AICc, extrapolated to a cycle.

Arrays in, results out (numpy/scipy only).  Every model describes the *retention*
``y = Q_n / Q_ref`` as a function of ``x = n − n_ref`` (cycles after the reference cycle) and
carries its own intercept ``c`` (≈ 1) because the reference capacity is itself measured with noise:

* ``power_law`` — empirical, :math:`y = c\\,(1 - a\\,x^{b})`, :math:`0.2 \\le b \\le 2`
  (Wang et al., J. Power Sources 196, 3942, 2011, cycle-number power law).
* ``exponential`` — :math:`y = c\\,e^{-k x}`.
* ``double_exponential`` — :math:`y = c\\,[w\\,e^{-k_1 x} + (1 - w)\\,e^{-k_2 x}]`
  (He et al., J. Power Sources 196, 10314, 2011: fast early + slow late fade).
* ``sei_lam`` — physics-informed: loss of lithium inventory by SEI growth, whose thickness grows as
  :math:`\\sqrt t` (diffusion-limited SEI; Ploehn et al., J. Electrochem. Soc. 151, A456, 2004),
  plus a loss of active material linear in cycles (particle isolation per cycle):
  :math:`y = c\\,(1 - a\\sqrt{x} - b\\,x)`.
* ``sei_lam_accelerating`` — the same with a LAM rate that grows with cycles (cracking exposes
  fresh surface, the usual origin of a knee in Si anodes; Attia et al., J. Electrochem. Soc. 169,
  060517, 2022): :math:`y = c\\,(1 - a\\sqrt{x} - b\\,x - d\\,x^2)`.

Each model is fitted by bounded least squares (``scipy.optimize.least_squares``, TRF); its
parameter covariance is :math:`s^2 (J^T J)^{-1}` with :math:`s^2 = \\mathrm{RSS}/(n - k)`, and the
prediction at the target cycle has variance :math:`g^T \\Sigma g + s^2` (delta method, ``g`` the
gradient of the model at the target; ``s²`` because the target is one noisy measured cycle).
Models are averaged with Akaike weights from AICc (Burnham & Anderson 2002, §2.4 and §4.2):
:math:`w_m \\propto e^{-\\Delta_m/2}`, mixture mean :math:`\\sum w_m \\mu_m` and variance
:math:`\\sum w_m (\\sigma_m^2 + \\mu_m^2) - \\mu^2`.

These per-cell intervals describe the fit, not the error of a 5–10× extrapolation: they are
known to be too narrow far beyond the data.  :mod:`anodelab.models.forecast` corrects the mean
across cells and calibrates the interval on held-out cells (conformal prediction).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares

from anodelab.echem.knee import Knee, find_knee
from anodelab.schema.errors import InputError

__all__ = [
    "FadeModel",
    "FadeFit",
    "FadeForecast",
    "FADE_MODELS",
    "fit_fade_model",
    "forecast_capacity",
    "reference_capacity",
]


@dataclass(frozen=True)
class FadeModel:
    """A retention model ``y = f(x, p)``; ``x`` is scaled to [0, 1] over the fitted cycles."""

    name: str
    formula: str
    parameters: tuple[str, ...]
    function: Callable[[np.ndarray, np.ndarray], np.ndarray]
    start: Callable[[np.ndarray, np.ndarray], np.ndarray]
    lower: tuple[float, ...]
    upper: tuple[float, ...]


def _power(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    return p[0] * (1.0 - p[1] * np.power(x, p[2]))


def _exponential(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    return p[0] * np.exp(-p[1] * x)


def _double_exponential(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    c, w, k_slow, k_extra = p
    return c * (w * np.exp(-(k_slow + k_extra) * x) + (1.0 - w) * np.exp(-k_slow * x))


def _sei_lam(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    return p[0] * (1.0 - p[1] * np.sqrt(x) - p[2] * x)


def _sei_lam_accelerating(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    return p[0] * (1.0 - p[1] * np.sqrt(x) - p[2] * x - p[3] * x * x)


def _total_loss(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Intercept and fractional loss at the end of the window (starting values)."""
    n = max(3, len(y) // 10)
    c = float(np.median(y[:n]))
    end = float(np.median(y[-n:]))
    return c, float(np.clip(1.0 - end / max(c, 1e-9), 1e-4, 0.95))


FADE_MODELS: tuple[FadeModel, ...] = (
    FadeModel(
        "power_law",
        "c·(1 − a·x^b)",
        ("c", "a", "b"),
        _power,
        lambda x, y: np.array([_total_loss(x, y)[0], _total_loss(x, y)[1], 0.7]),
        (0.5, 0.0, 0.2),
        (1.5, 5.0, 2.0),
    ),
    FadeModel(
        "exponential",
        "c·exp(−k·x)",
        ("c", "k"),
        _exponential,
        lambda x, y: np.array([_total_loss(x, y)[0], -math.log(1 - _total_loss(x, y)[1])]),
        (0.5, 0.0),
        (1.5, 20.0),
    ),
    FadeModel(
        "double_exponential",
        "c·(w·exp(−(k₂+Δk)·x) + (1−w)·exp(−k₂·x))",
        ("c", "w", "k2", "dk"),
        _double_exponential,
        lambda x, y: np.array(
            [_total_loss(x, y)[0], 0.1, 0.8 * -math.log(1 - _total_loss(x, y)[1]), 5.0]
        ),
        (0.5, 0.0, 0.0, 0.0),
        (1.5, 0.6, 20.0, 200.0),
    ),
    FadeModel(
        "sei_lam",
        "c·(1 − a·√x − b·x)",
        ("c", "a", "b"),
        _sei_lam,
        lambda x, y: np.array(
            [_total_loss(x, y)[0], 0.5 * _total_loss(x, y)[1], 0.5 * _total_loss(x, y)[1]]
        ),
        (0.5, 0.0, 0.0),
        (1.5, 5.0, 5.0),
    ),
    FadeModel(
        "sei_lam_accelerating",
        "c·(1 − a·√x − b·x − d·x²)",
        ("c", "a", "b", "d"),
        _sei_lam_accelerating,
        lambda x, y: np.array(
            [_total_loss(x, y)[0], 0.4 * _total_loss(x, y)[1], 0.4 * _total_loss(x, y)[1], 0.05]
        ),
        (0.5, 0.0, 0.0, 0.0),
        (1.5, 5.0, 5.0, 5.0),
    ),
)
_BY_NAME = {m.name: m for m in FADE_MODELS}


@dataclass
class FadeFit:
    """One model fitted to one cell: parameters (x scaled by ``x_scale``), covariance, AICc."""

    model: FadeModel
    params: np.ndarray
    covariance: np.ndarray
    residual_std: float
    n_points: int
    aicc: float
    x_scale: float

    def predict(
        self, x_cycles_after_reference: np.ndarray | float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Retention mean and standard deviation of a *new measurement* at ``x`` (delta method)."""
        x = np.atleast_1d(np.asarray(x_cycles_after_reference, dtype=float)) / self.x_scale
        f = self.model.function
        mean = f(x, self.params)
        grad = np.empty((len(x), len(self.params)))
        for j, value in enumerate(self.params):
            h = 1e-6 * max(abs(value), 1e-3)
            up = self.params.copy()
            up[j] = value + h
            grad[:, j] = (f(x, up) - mean) / h
        var = np.einsum("ij,jk,ik->i", grad, self.covariance, grad) + self.residual_std**2
        return mean, np.sqrt(np.maximum(var, 0.0))


def fit_fade_model(model: FadeModel | str, x: np.ndarray, y: np.ndarray) -> FadeFit:
    """Fit ``model`` to retention ``y`` at cycles-after-reference ``x`` (bounded least squares)."""
    model = _BY_NAME[model] if isinstance(model, str) else model
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    k = len(model.parameters)
    if len(x) <= k + 1:
        raise InputError(f"{model.name} needs more than {k + 1} cycles, got {len(x)}")
    scale = float(max(x.max(), 1.0))
    xs = x / scale
    lower, upper = np.array(model.lower), np.array(model.upper)
    p0 = np.clip(model.start(xs, y), lower + 1e-9, upper - 1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = least_squares(
            lambda p: model.function(xs, p) - y, p0, bounds=(lower, upper), method="trf"
        )
    n = len(y)
    rss = float(np.sum(result.fun**2))
    dof = max(n - k, 1)
    s2 = max(rss / dof, 1e-12)
    jac = result.jac
    covariance = s2 * np.linalg.pinv(jac.T @ jac)
    aicc = n * math.log(max(rss, 1e-300) / n) + 2 * k + 2 * k * (k + 1) / max(n - k - 1, 1)
    return FadeFit(model, result.x, covariance, math.sqrt(s2), n, aicc, scale)


@dataclass
class FadeForecast:
    """Per-cell forecast of the capacity at ``target_cycle`` from the cycles seen so far."""

    target_cycle: int
    cycles_seen: int
    reference_cycle: int
    reference_capacity: float
    retention_mean: float
    retention_std: float
    weights: dict[str, float]
    per_model: dict[str, tuple[float, float]]
    knee: Knee | None
    fits: list[FadeFit] = field(repr=False, default_factory=list)
    fit_start_cycle: int = 0

    @property
    def capacity_mean(self) -> float:
        return self.retention_mean * self.reference_capacity

    @property
    def capacity_std(self) -> float:
        return self.retention_std * self.reference_capacity

    def curve(self, cycles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Model-averaged capacity mean and standard deviation at ``cycles`` (for plots)."""
        x = np.asarray(cycles, dtype=float) - self.fit_start_cycle
        means, sds = [], []
        for fit in self.fits:
            m, s = fit.predict(np.maximum(x, 0.0))
            means.append(m)
            sds.append(s)
        w = np.array([self.weights[f.model.name] for f in self.fits])[:, None]
        mu = np.sum(w * np.array(means), axis=0)
        var = np.sum(w * (np.array(sds) ** 2 + np.array(means) ** 2), axis=0) - mu**2
        scale = self.reference_capacity * self._anchor
        return mu * scale, np.sqrt(np.maximum(var, 0.0)) * scale

    _anchor: float = 1.0


def reference_capacity(cycles: np.ndarray, capacity: np.ndarray, reference_cycle: int) -> float:
    """Median capacity of the three cycles from ``reference_cycle`` on (robust to one outlier)."""
    mask = (cycles >= reference_cycle) & np.isfinite(capacity)
    if not mask.any():
        raise InputError(f"no capacity at or after the reference cycle {reference_cycle}")
    return float(np.median(capacity[mask][:3]))


def forecast_capacity(
    cycles: Sequence[float] | np.ndarray,
    capacity: Sequence[float] | np.ndarray,
    target_cycle: int,
    *,
    reference_cycle: int | None = None,
    models: Sequence[str] | None = None,
    detect_knee: bool = True,
) -> FadeForecast:
    """Fit every fade model to a partial curve and average their forecasts at ``target_cycle``.

    ``cycles``/``capacity``: per-cycle capacities (any unit; the forecast is in the same unit).
    ``reference_cycle`` (default: the first cycle) defines retention = Q/Q_ref.  With
    ``detect_knee``, a knee already passed (:func:`anodelab.echem.knee.find_knee`) restricts the
    fit to the cycles after it, whose fade rate is the one that continues.
    """
    n = np.asarray(cycles, dtype=float)
    q = np.asarray(capacity, dtype=float)
    if n.shape != q.shape or n.ndim != 1:
        raise InputError("cycles and capacity must be 1-D arrays of the same length")
    ok = np.isfinite(n) & np.isfinite(q) & (q > 0)
    n, q = n[ok], q[ok]
    order = np.argsort(n)
    n, q = n[order], q[order]
    if len(n) < 8:
        raise InputError(f"a forecast needs at least 8 cycles with a capacity, got {len(n)}")
    if target_cycle <= n.max():
        raise InputError(
            f"target cycle {target_cycle} is not beyond the last cycle seen ({int(n.max())})"
        )
    ref = int(n[0]) if reference_cycle is None else int(reference_cycle)
    q_ref = reference_capacity(n, q, ref)
    keep = n >= ref
    n, q = n[keep], q[keep]
    y = q / q_ref
    knee = find_knee(n, y) if detect_knee else None
    start = ref
    if knee is not None and knee.cycle - ref >= 5 and (n > knee.cycle).sum() >= 8:
        start = int(knee.cycle)
    sel = n >= start
    anchor = 1.0
    if start != ref:  # after a knee: retention relative to the knee's capacity
        anchor = float(np.median(y[sel][:3]))
    x, ys = n[sel] - start, y[sel] / anchor
    fits = []
    for name in models or [m.name for m in FADE_MODELS]:
        model = _BY_NAME[name]
        if len(x) > len(model.parameters) + 2:
            fits.append(fit_fade_model(model, x, ys))
    if not fits:
        raise InputError("too few cycles after the knee to fit any fade model")
    aicc = np.array([f.aicc for f in fits])
    w = np.exp(-(aicc - aicc.min()) / 2)
    w /= w.sum()
    per_model = {}
    means, sds = [], []
    for fit in fits:
        m, s = fit.predict(target_cycle - start)
        mean = float(np.clip(m[0], -0.5, 1.5)) * anchor
        sd = float(s[0]) * anchor
        per_model[fit.model.name] = (mean, sd)
        means.append(mean)
        sds.append(sd)
    mu = float(np.sum(w * np.array(means)))
    var = float(np.sum(w * (np.array(sds) ** 2 + np.array(means) ** 2)) - mu**2)
    result = FadeForecast(
        target_cycle=int(target_cycle),
        cycles_seen=int(n.max()),
        reference_cycle=ref,
        reference_capacity=q_ref,
        retention_mean=mu,
        retention_std=math.sqrt(max(var, 0.0)),
        weights={f.model.name: float(wi) for f, wi in zip(fits, w, strict=True)},
        per_model=per_model,
        knee=knee,
        fits=fits,
        fit_start_cycle=start,
    )
    result._anchor = anchor
    return result
