"""Virtual cells (synthetic, calibrated to the seeds) and the calibrated forecast across cells."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from anodelab.forecast import forecast_table, train_forecaster
from anodelab.models.forecast import ConformalFadeCorrector
from anodelab.optimize.space import space_from_dict
from anodelab.optimize.virtual_cells import VirtualCells
from anodelab.optimize.virtual_lab import SPACE_YAML, VirtualSiCLab
from anodelab.schema.errors import InputError


@pytest.fixture(scope="module")
def space():
    return space_from_dict(yaml.safe_load(SPACE_YAML))


def test_the_mean_cell_ends_at_the_virtual_labs_capacity(space):
    recipes = space.sample(16, seed=5)
    cells = VirtualCells(0, spread=0.0, noise=False)
    params = cells.fade_parameters(recipes, cell_spread=False)
    curves = cells.curves(recipes)
    end = curves[curves["cycle"] == 500]["true_capacity"].to_numpy()
    lab = VirtualSiCLab(noise=False).truth(recipes)["discharge_capacity"].to_numpy()
    # the generator draws a spread per cell; switched off, cycle 500 is the lab's value exactly
    np.testing.assert_allclose(params["capacity_500_recipe"].to_numpy(), lab, rtol=1e-12)
    assert np.all(np.isfinite(end))


def test_seed_calibration_loss_ratio(space):
    """Ji et al. 2025: loss after 150 / loss after 300 cycles ≈ 0.76 (four recipes, 0.74–0.79)."""
    recipes = space.sample(200, seed=6)
    params = VirtualCells(1).fade_parameters(recipes, cell_spread=False)
    curves = VirtualCells(1, spread=0.0, noise=False).curves(recipes)
    wide = curves.pivot(index="sample", columns="cycle", values="true_capacity")
    wide = wide.reindex([f"vc-{i}" for i in range(len(recipes))])
    ratio = ((1 - wide[150] / wide[1]) / (1 - wide[300] / wide[1])).to_numpy()
    knee_free = (params["loss_knee"] == 0).to_numpy()
    assert knee_free.sum() >= 50
    assert 0.73 <= np.median(ratio[knee_free]) <= 0.79
    assert 0.6 <= ratio[knee_free].min() and ratio[knee_free].max() <= 0.9
    # knees: the poorly protected cells lose more after cycle 300 than the knee-free ones
    late = (wide[300] - wide[500]).to_numpy() / wide[1].to_numpy()
    assert np.median(late[~knee_free]) > np.median(late[knee_free])


def test_ce_shows_lithium_loss_only(space):
    recipes = space.sample(4, seed=7)
    curves = VirtualCells(2, noise=False).curves(recipes)
    ce = curves.pivot(index="sample", columns="cycle", values="coulombic_efficiency")
    assert (ce.iloc[:, 1:] < 100).all().all()
    assert (ce[3] < ce[400]).all()  # the SEI loss per cycle falls with time


def test_conformal_corrector_covers_new_cells_at_the_nominal_rate():
    """Synthetic features with a known relation: the 90 % interval holds ~90 % of new cells."""
    rng = np.random.default_rng(0)

    def draw(n):
        f = pd.DataFrame(
            {
                "retention_forecast": rng.uniform(0.3, 0.9, n),
                "retention_forecast_std": rng.uniform(0.005, 0.05, n),
                "slope_last": rng.normal(-5, 1, n),
            }
        )
        noise = rng.normal(0, 1, n) * (0.01 + 0.5 * f["retention_forecast_std"])
        y = f["retention_forecast"] + 0.02 * (f["slope_last"] + 5) + noise
        return f, y.to_numpy()

    f_train, y_train = draw(150)
    f_test, y_test = draw(3000)
    model = ConformalFadeCorrector(alpha=0.1).fit(f_train, y_train)
    pred = model.predict(f_test)
    inside = (y_test >= pred["lower"]) & (y_test <= pred["upper"])
    assert 0.85 <= inside.mean() <= 0.95
    # the learned correction is used: better than the per-cell forecast alone
    err_model = np.abs(pred["mean"] - y_test).mean()
    err_base = np.abs(f_test["retention_forecast"] - y_test).mean()
    assert err_model < 0.8 * err_base
    with pytest.raises(InputError, match="at least 12 completed cells"):
        ConformalFadeCorrector().fit(f_train.iloc[:5], y_train[:5])


def test_forecast_from_100_cycles_is_calibrated_on_new_virtual_cells(space):
    train = VirtualCells(11).curves(space.sample(60, seed=21), samples=[f"t{i}" for i in range(60)])
    test = VirtualCells(12).curves(
        space.sample(100, seed=22), samples=[f"h{i}" for i in range(100)]
    )
    truth = test[test["cycle"] == 500].set_index("sample")["discharge_capacity"]
    forecaster = train_forecaster(train, 100, 500)
    pred = forecaster.predict(test[test["cycle"] <= 100]).set_index("sample")
    t = truth.reindex(pred.index)
    inside = (t >= pred["capacity_lower"]) & (t <= pred["capacity_upper"])
    assert 0.78 <= inside.mean() <= 0.98
    mape = (np.abs(pred["capacity_mean"] - t) / t).mean()
    mape_fit = (np.abs(pred["fit_only_mean"] - t) / t).mean()
    assert mape < mape_fit


def test_forecast_table_without_completed_cells_says_uncalibrated(space):
    curves = VirtualCells(13).curves(space.sample(2, seed=23), cycles=80)
    table, info = forecast_table(curves, 500)
    assert not table["calibrated"].any()
    assert "no completed curves" in info["why_uncalibrated"]
    assert (table["capacity_lower"] < table["capacity_mean"]).all()
