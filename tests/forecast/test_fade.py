"""Per-cell fade models, knee detection and ΔQ(V) features against curves with known parameters."""

from __future__ import annotations

import numpy as np
import pytest

from anodelab.echem.fade import FADE_MODELS, fit_fade_model, forecast_capacity
from anodelab.echem.fade_features import delta_q_v_features, early_features
from anodelab.echem.knee import find_knee
from anodelab.schema.errors import InputError


def _sei_lam_curve(n: np.ndarray, a: float = 0.02, b: float = 4e-4) -> np.ndarray:
    x = n - 1
    return 1000.0 * (1 - a * np.sqrt(x) - b * x)


@pytest.mark.parametrize(
    "name, params",
    [
        ("power_law", (0.99, 0.3, 0.6)),
        ("exponential", (1.0, 0.4)),
        ("double_exponential", (1.0, 0.15, 0.3, 8.0)),
        ("sei_lam", (0.99, 0.2, 0.15)),
        ("sei_lam_accelerating", (1.0, 0.1, 0.1, 0.05)),
    ],
)
def test_each_model_recovers_its_own_curve(name, params):
    model = {m.name: m for m in FADE_MODELS}[name]
    x = np.arange(0, 200, dtype=float)
    y = model.function(x / 199.0, np.array(params))
    rng = np.random.default_rng(0)
    fit = fit_fade_model(model, x, y + rng.normal(0, 0.001, len(x)))
    # extrapolate 2× beyond the data: the truth lies within 3 predictive sd and 1 % of the value
    truth = model.function(np.array([400 / 199.0]), np.array(params))[0]
    mean, sd = fit.predict(400.0)
    assert abs(mean[0] - truth) < max(3 * sd[0], 0.01)


def test_forecast_of_a_sqrt_plus_linear_cell_prefers_the_physics_model():
    n = np.arange(1, 101, dtype=float)
    rng = np.random.default_rng(1)
    q = _sei_lam_curve(n) * (1 + rng.normal(0, 0.002, len(n)))
    fc = forecast_capacity(n, q, 500)
    truth = _sei_lam_curve(np.array([500.0]))[0]
    assert fc.capacity_mean == pytest.approx(truth, rel=0.03)
    best = max(fc.weights, key=fc.weights.get)
    assert best in ("sei_lam", "sei_lam_accelerating", "power_law")
    assert abs(sum(fc.weights.values()) - 1) < 1e-9
    assert fc.knee is None


def test_knee_is_found_where_the_fade_accelerates():
    n = np.arange(1, 401, dtype=float)
    y = 1 - 2e-4 * n - 2e-3 * np.maximum(0, n - 250)
    y += np.random.default_rng(2).normal(0, 0.002, len(n))
    knee = find_knee(n, y)
    assert knee is not None
    assert abs(knee.cycle - 250) <= 15
    assert knee.slope_after < 5 * knee.slope_before < 0


def test_no_knee_in_a_decelerating_curve():
    n = np.arange(1, 401, dtype=float)
    y = 1 - 0.02 * np.sqrt(n) + np.random.default_rng(3).normal(0, 0.002, len(n))
    assert find_knee(n, y) is None


def test_after_a_knee_the_forecast_continues_the_late_slope():
    n = np.arange(1, 301, dtype=float)
    true = 1 - 2e-4 * (n - 1) - 1.5e-3 * np.maximum(0, n - 150)
    q = 800 * (true + np.random.default_rng(4).normal(0, 0.002, len(n)))
    fc = forecast_capacity(n, q, 400)
    assert fc.knee is not None and fc.fit_start_cycle > 100
    expected = 800 * (1 - 2e-4 * 399 - 1.5e-3 * 250)
    assert fc.capacity_mean == pytest.approx(expected, rel=0.05)


def test_bad_input_gives_one_clear_error():
    with pytest.raises(InputError, match="at least 8 cycles"):
        forecast_capacity([1, 2, 3], [1.0, 0.99, 0.98], 500)
    with pytest.raises(InputError, match="not beyond the last cycle"):
        forecast_capacity(np.arange(1, 51), np.linspace(1, 0.9, 50), 40)


def test_delta_q_v_features_of_a_uniform_shift():
    q = np.linspace(0, 1.0, 50)
    f = delta_q_v_features(q, q - 0.01)
    assert f["dqv_mean"] == pytest.approx(-0.01)
    assert f["dqv_log_min"] == pytest.approx(-2.0)
    assert f["dqv_log_var"] < -20  # no variance: every voltage lost the same capacity


def test_early_features_read_the_ce_trend():
    n = np.arange(1, 101, dtype=float)
    q = _sei_lam_curve(n)
    ce = 100 - 0.5 / np.sqrt(n)  # SEI loss per cycle falling as 1/√n
    feats, _ = early_features(n, q, 500, ce_percent=ce)
    assert feats["ce_loss_last"] == pytest.approx(0.5 / np.sqrt(90), rel=0.1)
    assert feats["ce_loss_slope"] < 0
    assert feats["slope_first"] < feats["slope_last"] < 0  # decelerating fade


def test_ce_split_forecast_separates_lithium_loss_from_lost_active_material():
    """Retention = 1 − 2α(√n − 1) − r·(n − 1); CE inefficiency = α/√n + 0.1 %: exact forecast."""
    alpha, r = 0.004, 3e-4
    n = np.arange(1, 101, dtype=float)
    y = 1 - 2 * alpha * (np.sqrt(n) - 1) - r * (n - 1)
    ce = 100 * (1 - alpha / np.sqrt(n) - 0.001)
    feats, _ = early_features(n, 1000 * y, 500, ce_percent=ce)
    truth = 1 - 2 * alpha * (np.sqrt(500) - 1) - r * 499
    assert feats["forecast_ce_split"] == pytest.approx(truth, abs=0.01)
