"""Surrogates against ground truth they did not produce: a known function, CV metrics by hand."""

import numpy as np
import pandas as pd
import pytest

from anodelab.models import ForestSurrogate, GPSurrogate, cross_validate, cv_metrics
from anodelab.models.features import Feature

FEATURES = [Feature("x", "numeric", 0.0, 10.0), Feature("c", "categorical", categories=("a", "b"))]


def _data(n=24, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"x": rng.uniform(0, 10, n), "c": rng.choice(["a", "b"], n)})
    y = np.sin(X["x"].to_numpy() / 2) * 10 + np.where(X["c"] == "b", 5.0, 0.0)
    return X, y


@pytest.mark.parametrize(
    "make", [lambda: GPSurrogate(FEATURES), lambda: ForestSurrogate(FEATURES, n_estimators=50)]
)
def test_surrogates_fit_and_predict_with_uncertainty(make):
    X, y = _data()
    model = make().fit(X, y)
    X_new, y_new = _data(10, seed=1)
    mean, std = model.predict(X_new, return_std=True)
    assert mean.shape == std.shape == (10,)
    assert np.all(std >= 0)
    assert np.mean(np.abs(mean - y_new)) < 2.5  # the range of y is ~25


def test_gp_lengthscales_rank_the_relevant_input_first():
    rng = np.random.default_rng(2)
    X = pd.DataFrame({"x": rng.uniform(0, 10, 30), "z": rng.uniform(0, 10, 30)})
    y = 3 * X["x"].to_numpy() + 0.01 * rng.normal(size=30)
    gp = GPSurrogate([Feature("x", "numeric", 0, 10), Feature("z", "numeric", 0, 10)]).fit(X, y)
    imp = gp.importances()
    assert imp["x"] > imp["z"]


def test_cv_metrics_match_hand_computation():
    pred = pd.DataFrame(
        {
            "y": [1.0, 2.0, 3.0, 4.0],
            "mean": [1.5, 2.0, 2.0, 4.0],
            "std": [1.0, 0.1, 0.1, 1.0],
            "group": list("abcd"),
        }
    )
    m = cv_metrics(pred)
    assert m["mae"] == pytest.approx((0.5 + 0 + 1 + 0) / 4)
    assert m["r2"] == pytest.approx(1 - 1.25 / 5.0)
    assert m["coverage_68"] == pytest.approx(0.75) and m["coverage_95"] == pytest.approx(0.75)


def test_leave_one_group_out_never_trains_on_the_held_out_group():
    X, y = _data(12)
    groups = np.repeat(["p1", "p2", "p3"], 4)
    seen = []

    class Spy(ForestSurrogate):
        def fit(self, X, y):
            seen.append(len(X))
            return super().fit(X, y)

    out = cross_validate(lambda: Spy(FEATURES, n_estimators=10), X, y, groups=groups)
    assert seen == [8, 8, 8] and out["mean"].notna().all()


def test_multitask_gp_uses_a_related_source():
    rng = np.random.default_rng(3)
    feats = [Feature("x", "numeric", 0, 10)]
    x_lit = rng.uniform(0, 10, 20)
    x_lab = np.array([1.0, 9.0])
    X = pd.DataFrame({"x": np.r_[x_lit, x_lab], "source": ["paper"] * 20 + ["lab"] * 2})
    y = np.sin(X["x"].to_numpy() / 2) * 10 + np.where(X["source"] == "lab", 1.0, 0.0)
    mt = GPSurrogate(feats, task_column="source", target_task="lab").fit(X, y)
    cold = GPSurrogate(feats).fit(X[X.source == "lab"], y[-2:])
    grid = pd.DataFrame({"x": np.linspace(2, 8, 7)})
    truth = np.sin(grid["x"].to_numpy() / 2) * 10 + 1.0
    err_mt = np.abs(mt.predict(grid) - truth).mean()
    err_cold = np.abs(cold.predict(grid) - truth).mean()
    assert err_mt < 0.5 * err_cold


def test_encode_gives_level_codes_missing_values_and_names_an_unknown_level():
    from anodelab.models.features import encode
    from anodelab.schema.errors import InputError

    features = [Feature("c", "categorical", categories=("a", "b", "1.0")), Feature("x", "numeric")]
    table = pd.DataFrame({"c": ["a", None, "b", 1.0, np.nan], "x": [0.1, 0.2, 0.3, 0.4, 0.5]})
    codes = encode(table, features)
    np.testing.assert_array_equal(codes[:, 0], [0, np.nan, 1, 2, np.nan])
    np.testing.assert_array_equal(codes[:, 1], table["x"])
    with pytest.raises(InputError, match=r"row 3, column 'c': 'zz' is not a level"):
        encode(pd.DataFrame({"c": ["a", "b", "zz"], "x": [0, 1, 1]}), features)
