"""Cross-validation and uncertainty calibration of surrogates.

Two schemes: leave-one-out (every observation predicted by a model fitted on all others) and
leave-one-group-out with the group = source (every paper or lab predicted from the *other*
sources only — the honest test of transfer from the literature).  Metrics on the held-out
predictions :math:`\\hat y_i \\pm \\sigma_i`:

.. math::

    R^2 = 1 - \\frac{\\sum_i (y_i - \\hat y_i)^2}{\\sum_i (y_i - \\bar y)^2}, \\qquad
    \\mathrm{MAE} = \\frac{1}{n}\\sum_i |y_i - \\hat y_i|, \\qquad
    \\mathrm{coverage}_{p} = \\frac{1}{n}\\sum_i \\mathbf 1\\left[|y_i - \\hat y_i| \\le z_p\\,\\sigma_i\\right]

with :math:`z_{0.68} = 0.994`, :math:`z_{0.95} = 1.960`.  A calibrated model has coverages close
to 0.68 and 0.95 (Kuleshov et al., 2018, *Accurate uncertainties for deep learning using
calibrated regression*, ICML).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.stats import norm

from anodelab.models.base import Surrogate
from anodelab.schema.errors import InputError

__all__ = ["cross_validate", "cv_metrics"]


def _predict_observed(model: Surrogate, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    if "observation_noise" in inspect.signature(model.predict).parameters:
        mean, std = model.predict(X, return_std=True, observation_noise=True)  # type: ignore[call-arg]
    else:
        mean, std = model.predict(X, return_std=True)
    return np.asarray(mean), np.asarray(std)


def cross_validate(
    make_model: Callable[[], Surrogate],
    X: pd.DataFrame,
    y: np.ndarray,
    groups: np.ndarray | pd.Series | None = None,
    min_train: int = 3,
) -> pd.DataFrame:
    """Held-out predictions, one row per observation: ``y``, ``mean``, ``std``, ``group``.

    ``groups=None`` is leave-one-out; otherwise each group is held out in turn.  Folds whose
    training part has fewer than ``min_train`` rows are skipped (reported as NaN).
    """
    y = np.asarray(y, dtype=float).reshape(-1)
    if len(X) != len(y):
        raise InputError(f"X has {len(X)} rows but y has {len(y)} values")
    labels = np.arange(len(y)).astype(str) if groups is None else np.asarray(groups).astype(str)
    mean = np.full(len(y), np.nan)
    std = np.full(len(y), np.nan)
    X = X.reset_index(drop=True)
    for label in dict.fromkeys(labels):
        test = labels == label
        if (~test).sum() < min_train:
            continue
        model = make_model().fit(X[~test], y[~test])
        m, s = _predict_observed(model, X[test])
        mean[test], std[test] = m, s
    return pd.DataFrame({"y": y, "mean": mean, "std": std, "group": labels})


def cv_metrics(predictions: pd.DataFrame) -> dict[str, float]:
    """R², MAE and 68 %/95 % interval coverage of :func:`cross_validate` output."""
    done = predictions.dropna(subset=["mean", "std"])
    if done.empty:
        return {"n": 0, "r2": np.nan, "mae": np.nan, "coverage_68": np.nan, "coverage_95": np.nan}
    err = done["y"] - done["mean"]
    total = ((done["y"] - done["y"].mean()) ** 2).sum()
    z68, z95 = norm.ppf(0.84), norm.ppf(0.975)
    std = done["std"].clip(lower=1e-12)
    return {
        "n": int(len(done)),
        "r2": float(1 - (err**2).sum() / total) if total > 0 else np.nan,
        "mae": float(err.abs().mean()),
        "coverage_68": float((err.abs() <= z68 * std).mean()),
        "coverage_95": float((err.abs() <= z95 * std).mean()),
    }
