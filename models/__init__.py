"""Surrogate models: predict measured properties (with uncertainty) from recipe tables.

DataFrames in, predictions out; never SQL.  See :mod:`anodelab.models.base` for the interface.
"""

from anodelab.models.features import Feature
from anodelab.models.gp import GPSurrogate
from anodelab.models.trees import ForestSurrogate
from anodelab.models.validation import cross_validate, cv_metrics

__all__ = ["Feature", "GPSurrogate", "ForestSurrogate", "cross_validate", "cv_metrics"]
