"""Tree-ensemble baseline surrogate with an uncertainty estimate.

Random forest (Breiman, 2001, *Machine Learning* 45:5) on one-hot encoded inputs; the predictive
standard deviation is the spread of the individual trees' predictions,

.. math:: \\sigma(x) = \\sqrt{\\tfrac{1}{T}\\sum_t (f_t(x) - \\bar f(x))^2},

a common, if over-confident far from data, heuristic (Hutter et al., 2014, *Artificial
Intelligence* 206:79, SMAC's random-forest surrogate).  Used as a baseline in ``anodelab fit``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestRegressor

from anodelab.models.base import check_training_data
from anodelab.models.features import Feature, encode, one_hot
from anodelab.schema.errors import InputError

__all__ = ["ForestSurrogate"]


class ForestSurrogate:
    """Random-forest regression with tree-spread uncertainty (scikit-learn conventions)."""

    def __init__(
        self,
        features: Sequence[Feature],
        n_estimators: int = 200,
        min_samples_leaf: int = 1,
        random_state: int = 0,
    ) -> None:
        self.features = features
        self.n_estimators = n_estimators
        self.min_samples_leaf = min_samples_leaf
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> ForestSurrogate:
        """Fit the forest on one-hot / unit-cube inputs; returns ``self``."""
        matrix = encode(X, self.features)
        y = check_training_data(matrix, y)
        self.forest_ = RandomForestRegressor(
            n_estimators=self.n_estimators,
            min_samples_leaf=self.min_samples_leaf,
            random_state=self.random_state,
            n_jobs=1,
        ).fit(one_hot(matrix, self.features), y)
        self.n_train_ = len(y)
        return self

    def predict(
        self, X: pd.DataFrame, return_std: bool = False
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Mean of the trees (and their spread) at the recipes in ``X``."""
        if not hasattr(self, "forest_"):
            raise InputError("ForestSurrogate is not fitted; call fit(X, y) first")
        inputs = one_hot(encode(X, self.features), self.features)
        per_tree = np.stack([tree.predict(inputs) for tree in self.forest_.estimators_])
        mean = per_tree.mean(axis=0)
        return (mean, per_tree.std(axis=0)) if return_std else mean

    def importances(self) -> dict[str, float]:
        """Impurity importances, one-hot columns summed back to their parameter."""
        raw = self.forest_.feature_importances_
        result, k = {}, 0
        for f in self.features:
            width = len(f.categories) if f.is_categorical else 1
            result[f.name] = float(raw[k : k + width].sum())
            k += width
        return result
