"""One-hot categorical encoding inside the GP (level codes stay the optimiser's currency)."""

import numpy as np
import pandas as pd
import pytest
import torch

from anodelab.models import GPSurrogate
from anodelab.models.features import Feature
from anodelab.models.onehot import LevelCodesToOneHot
from anodelab.schema.errors import InputError


def test_transform_expands_codes_and_keeps_numeric_columns_first():
    tf = LevelCodesToOneHot(3, {1: 3})
    X = torch.tensor([[0.5, 2.0, 7.0], [0.1, 0.4, 8.0], [0.2, 5.0, 9.0]], dtype=torch.float64)
    out = tf.transform(X)
    expected = [[0.5, 7.0, 0, 0, 1], [0.1, 8.0, 1, 0, 0], [0.2, 9.0, 0, 0, 1]]  # 0.4→0, 5→2
    assert out.tolist() == expected
    assert tf.source_columns == [0, 2, 1, 1, 1] and tf.n_outputs == 5
    assert tf.transform(X.unsqueeze(0)).shape == (1, 3, 5)  # batch shapes pass through


def test_transform_refuses_a_column_outside_the_inputs():
    with pytest.raises(ValueError, match="not valid"):
        LevelCodesToOneHot(2, {2: 3})


def _levels_data(seed=0):
    """a and b behave alike, c is the opposite; b has only two measurements."""
    rng = np.random.default_rng(seed)
    x = np.r_[rng.uniform(0, 10, 12), rng.uniform(0, 10, 12), [2.0, 8.0]]
    c = ["a"] * 12 + ["c"] * 12 + ["b"] * 2
    y = np.where(np.array(c) == "c", -1.0, 1.0) * np.sin(x / 1.5) * 10
    return pd.DataFrame({"x": x, "c": c}), y


FEATURES = [
    Feature("x", "numeric", 0.0, 10.0),
    Feature("c", "categorical", categories=("a", "b", "c")),
]


def test_one_hot_gp_equals_a_plain_gp_fitted_on_one_hot_columns():
    """The expansion inside the model is exactly what a user would do by hand."""
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from botorch.models.transforms.outcome import Standardize
    from gpytorch.mlls import ExactMarginalLogLikelihood

    X, y = _levels_data()
    ours = GPSurrogate(FEATURES, kernel="rbf").fit(X, y)
    by_hand = np.column_stack([X["x"] / 10.0, pd.get_dummies(X["c"]).to_numpy(float)])
    with torch.random.fork_rng():
        torch.manual_seed(0)
        plain = SingleTaskGP(
            torch.tensor(by_hand),
            torch.tensor(y).unsqueeze(-1),
            outcome_transform=Standardize(m=1),
        )
        fit_gpytorch_mll(ExactMarginalLogLikelihood(plain.likelihood, plain))
    grid = pd.DataFrame({"x": np.linspace(0, 10, 7).repeat(3), "c": ["a", "b", "c"] * 7})
    grid_hand = np.column_stack([grid["x"] / 10.0, pd.get_dummies(grid["c"]).to_numpy(float)])
    with torch.no_grad():
        post = plain.posterior(torch.tensor(grid_hand))
    mean, std = ours.predict(grid, return_std=True)
    np.testing.assert_allclose(mean, post.mean.reshape(-1).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(std, post.variance.sqrt().reshape(-1).numpy(), rtol=1e-4)


def test_both_encodings_fit_a_level_dependent_function():
    X, y = _levels_data()
    grid = pd.DataFrame({"x": np.linspace(0.5, 9.5, 10), "c": "c"})
    truth = -np.sin(grid["x"].to_numpy() / 1.5) * 10
    for encoding in ("one-hot", "hamming"):
        gp = GPSurrogate(FEATURES, categorical_encoding=encoding).fit(X, y)
        assert np.abs(gp.predict(grid) - truth).mean() < 1.5, encoding  # y spans ±10


def test_one_hot_importance_is_reported_per_parameter():
    X, y = _levels_data()
    imp = GPSurrogate(FEATURES).fit(X, y).importances()
    assert set(imp) == {"x", "c"} and sum(imp.values()) == pytest.approx(1.0)


def test_unknown_encoding_or_kernel_is_refused():
    with pytest.raises(InputError, match="categorical encoding"):
        GPSurrogate(FEATURES, categorical_encoding="ordinal")
    with pytest.raises(InputError, match="kernel"):
        GPSurrogate(FEATURES, kernel="cubic")


def test_design_kernel_is_matern_on_numbers_times_squared_exponential_on_levels():
    """Against the closed forms: Matérn-5/2 (Rasmussen & Williams 2006, eq. 4.17) × exp(−Σδ/2ℓ²)."""
    from anodelab.models.kernels import design_kernel

    kernel = design_kernel(2, 3)
    with torch.no_grad():
        kernel.kernels[0].lengthscale = torch.tensor([[0.3, 0.7]])
        kernel.kernels[1].lengthscale = torch.tensor([[0.5, 1.0, 2.0]])
    a = torch.tensor([[0.1, 0.2, 1.0, 0.0, 0.0]], dtype=torch.float64)
    b = torch.tensor([[0.4, 0.9, 0.0, 0.0, 1.0]], dtype=torch.float64)
    r = np.sqrt((0.3 / 0.3) ** 2 + (0.7 / 0.7) ** 2)
    matern = (1 + np.sqrt(5) * r + 5 * r**2 / 3) * np.exp(-np.sqrt(5) * r)
    levels = np.exp(-0.5 * (1 / 0.5**2 + 1 / 2.0**2))
    value = kernel.to(torch.float64)(a, b).to_dense().item()
    assert value == pytest.approx(matern * levels, rel=1e-6)


def test_design_kernel_refuses_nonsense():
    from anodelab.models.kernels import design_kernel

    with pytest.raises(ValueError, match="unknown kernel"):
        design_kernel(2, 0, "cubic")
    with pytest.raises(ValueError, match="at least one"):
        design_kernel(0, 0)


def test_multitask_gp_expands_levels_too_and_reports_importances_per_parameter():
    X, y = _levels_data()
    lab = X.iloc[::4].copy()
    X = pd.concat([X.assign(source="paper"), lab.assign(source="lab")], ignore_index=True)
    y = np.r_[y, y[::4] + 0.5]
    gp = GPSurrogate(FEATURES, task_column="source", target_task="lab").fit(X, y)
    assert any(isinstance(m, LevelCodesToOneHot) for m in gp.model_.modules())
    assert set(gp.importances()) == {"x", "c"}
    grid = pd.DataFrame({"x": np.linspace(0.5, 9.5, 10), "c": "c"})
    truth = -np.sin(grid["x"].to_numpy() / 1.5) * 10 + 0.5
    assert np.abs(gp.predict(grid) - truth).mean() < 2.0
    assert np.isfinite(gp.loo_log_predictive_density()).all()
    assert len(gp.loo_log_predictive_density()) == len(lab)  # only the target task's rows
