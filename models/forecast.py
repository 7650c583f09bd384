"""A learned, calibrated correction of per-cell fade forecasts across cells (DataFrames only).

Input: one row of early-cycle features per cell (:func:`anodelab.echem.fade_features.
early_features`) and, for training, the retention each cell really reached at the target cycle.

* **Mean**: the per-cell model-averaged forecast (column ``base``) plus a ridge regression of its
  error on the standardised features (Severson et al., Nat. Energy 4, 383, 2019 used a regularised
  linear model on early-cycle features for the same reason: tens of cells, correlated features).
  With uninformative features the ridge shrinks to zero and the per-cell physics is kept.
* **Interval**: locally weighted split-conformal prediction (Lei et al., JASA 113, 1094, 2018):
  a second ridge predicts the log absolute error from the per-cell difficulty (averaged fit std,
  model disagreement, fade slopes); out-of-fold errors divided by that scale are the conformity
  scores, and the interval is :math:`\\hat y \\pm \\hat q\\,\\hat\\sigma(x)` with :math:`\\hat q` the
  :math:`\\lceil (n+1)(1-\\alpha) \\rceil`-th smallest score.  Errors and scales are both out of
  fold (K-fold cross-conformal, Vovk 2015; Barber et al. 2021 "CV+"), so the interval holds about
  1 − α of *new* cells drawn like the training cells — not of cells unlike them.
* ``std`` is the normal-equivalent standard deviation :math:`\\hat q\\,\\hat\\sigma / z_{1-\\alpha/2}`,
  the noise a surrogate should give a forecast treated as a low-fidelity observation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.linear_model import Ridge, RidgeCV
from sklearn.model_selection import KFold

from anodelab.schema.errors import InputError

__all__ = ["ConformalFadeCorrector", "MIN_TRAINING_CELLS", "SCALE_FEATURES"]

MIN_TRAINING_CELLS = 12
SCALE_FEATURES = ("retention_forecast_std", "model_spread", "slope_last", "slope_ratio", "noise")
_ALPHAS = np.logspace(-2, 4, 13)


def _log_abs(values: np.ndarray) -> np.ndarray:
    return np.log(np.abs(values) + 1e-4)


@dataclass
class ConformalFadeCorrector:
    """``fit(features, retention_true)`` then ``predict(features)`` → mean/std/lower/upper."""

    alpha: float = 0.1
    n_folds: int = 10
    base: str = "retention_forecast"
    random_state: int = 0
    columns_: list[str] = field(default_factory=list)
    n_train_: int = 0
    quantile_: float = math.nan
    oof_coverage_: float = math.nan

    def _matrix(self, features: pd.DataFrame, columns: list[str]) -> np.ndarray:
        missing = [c for c in columns if c not in features.columns]
        if missing:
            raise InputError(f"feature table lacks column(s) {missing}")
        X = features[columns].to_numpy(dtype=float)
        return np.where(np.isfinite(X), X, self._fill[columns].to_numpy()[None, :])

    def _scale_matrix(self, features: pd.DataFrame) -> np.ndarray:
        X = self._matrix(features, self._scale_cols)
        out = X.copy()
        for j, c in enumerate(self._scale_cols):
            if c in ("retention_forecast_std", "model_spread", "noise"):
                out[:, j] = _log_abs(X[:, j])
        return out

    def fit(self, features: pd.DataFrame, retention_true: np.ndarray) -> ConformalFadeCorrector:
        y = np.asarray(retention_true, dtype=float)
        n = len(features)
        if n != len(y):
            raise InputError("features and retention_true differ in length")
        if n < MIN_TRAINING_CELLS:
            raise InputError(
                f"a calibrated forecast needs at least {MIN_TRAINING_CELLS} completed cells to learn "
                f"from, got {n}"
            )
        numeric = [
            c
            for c in features.columns
            if c != "sample" and pd.api.types.is_numeric_dtype(features[c])
        ]
        keep = [c for c in numeric if features[c].notna().mean() >= 0.9]
        self.columns_ = keep
        self._fill = features[keep].median(numeric_only=True)
        self._scale_cols = [c for c in SCALE_FEATURES if c in keep]
        X = self._matrix(features, keep)
        S = self._scale_matrix(features)
        base = features[self.base].to_numpy(dtype=float)
        target = y - base
        folds = list(
            KFold(min(self.n_folds, n), shuffle=True, random_state=self.random_state).split(X)
        )
        oof = np.empty(n)
        for train, test in folds:
            oof[test] = base[test] + self._mean_model(X[train], target[train]).predict(X[test])
        err = y - oof
        scale = np.empty(n)
        for train, test in folds:
            scale[test] = np.exp(self._scale_model(S[train], err[train]).predict(S[test]))
        scores = np.abs(err) / scale
        level = min(1.0, math.ceil((n + 1) * (1 - self.alpha)) / n)
        self.quantile_ = float(np.quantile(scores, level, method="higher"))
        self.oof_coverage_ = float(np.mean(scores <= self.quantile_))
        self._mean = self._mean_model(X, target)
        self._scale = self._scale_model(S, err)
        self.n_train_ = n
        return self

    def _mean_model(self, X: np.ndarray, target: np.ndarray) -> _Standardised:
        return _Standardised(RidgeCV(alphas=_ALPHAS)).fit(X, target)

    def _scale_model(self, S: np.ndarray, err: np.ndarray) -> _Standardised:
        return _Standardised(Ridge(alpha=10.0)).fit(S, _log_abs(err))

    def predict(self, features: pd.DataFrame) -> pd.DataFrame:
        """Mean, normal-equivalent std and the (1 − α) interval of the retention at the target."""
        if not self.columns_:
            raise InputError("the forecaster is not fitted")
        X = self._matrix(features, self.columns_)
        base = features[self.base].to_numpy(dtype=float)
        mean = base + self._mean.predict(X)
        half = self.quantile_ * np.exp(self._scale.predict(self._scale_matrix(features)))
        z = stats.norm.ppf(1 - self.alpha / 2)
        return pd.DataFrame(
            {"mean": mean, "std": half / z, "lower": mean - half, "upper": mean + half},
            index=features.index,
        )


class _Standardised:
    """A linear model on standardised inputs (constant columns left at zero)."""

    def __init__(self, model) -> None:
        self.model = model

    def fit(self, X: np.ndarray, y: np.ndarray) -> _Standardised:
        self.mu = X.mean(axis=0)
        sd = X.std(axis=0)
        self.sd = np.where(sd > 0, sd, 1.0)
        self.model.fit((X - self.mu) / self.sd, y)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.model.predict((X - self.mu) / self.sd)
