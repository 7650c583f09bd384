"""Random search's exact expectation (bench/optimization/random_floor.py) against closed forms."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "optimization"))
import random_floor  # noqa: E402  (bench/ is scripts, not a package)
from problems import Problem, _single  # noqa: E402

from anodelab.optimize.space import Parameter, Space


def _linear(upper: float = 2.0) -> Problem:
    """y = x on [0, upper]: the 95 % level between worst 0 and optimum ``upper`` leaves 5 % of the
    box above it, so random search needs 1 / 0.05 = 20 draws on average."""
    space = Space((Parameter("x", "continuous", 0.0, upper),))
    return Problem("line", space, _single(), lambda df: df["x"].to_numpy(float), upper, 0.0)


def test_continuous_space_gives_one_over_the_fraction_at_the_level():
    e, err = random_floor.expected_random_experiments(_linear(), points=2**16)
    assert e == pytest.approx(20.0, rel=1e-3)
    # binomial standard error of p carried to 1/p (delta method): sqrt(p(1 − p)/n) / p²
    assert err == pytest.approx((0.05 * 0.95 / 2**16) ** 0.5 / 0.05**2, rel=0.01)


def test_lookup_table_gives_the_first_marked_position_without_replacement():
    # 9 rows, 2 at or above the level: E = (N + 1) / (k + 1) = 10 / 3
    values = np.array([0, 1, 2, 3, 4, 5, 6, 99, 100], dtype=float)
    table = pd.DataFrame({"x": np.arange(9.0)})
    space = Space((Parameter("x", "discrete", 0.0, 8.0, tuple(np.arange(9.0))),), (), table)
    problem = Problem("t", space, _single(), lambda df: values[df["x"].astype(int)], 100.0, 0.0)
    assert random_floor.expected_random_experiments(problem) == (pytest.approx(10 / 3), 0.0)
