"""Benchmark problems: lookup tables with a known optimum, standard functions, the virtual lab.

Each problem gives an anodelab :class:`Space` (built directly: benchmark parameter names such as
``Ligand`` are not recipe parameters of our vocabulary), an objective key, and ``evaluate(df)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from anodelab.optimize.objectives import Objective, ObjectiveSet, Outcome
from anodelab.optimize.space import Parameter, Space

DATA = Path(__file__).parent / "data"


@dataclass
class Problem:
    name: str
    space: Space
    objectives: ObjectiveSet
    evaluate: Callable[[pd.DataFrame], np.ndarray]
    optimum: float
    worst: float


def _single(key: str = "y") -> ObjectiveSet:
    return ObjectiveSet((Objective(Outcome(key)),))


def lookup(name: str, file: str, target: str) -> Problem:
    table = pd.read_csv(DATA / file)
    params = []
    for col in table.columns:
        if col == target:
            continue
        if pd.api.types.is_numeric_dtype(table[col]):
            vals = tuple(sorted(float(v) for v in table[col].unique()))
            params.append(Parameter(col, "discrete", vals[0], vals[-1], vals))
        else:
            params.append(
                Parameter(col, "categorical", values=tuple(sorted(table[col].astype(str).unique())))
            )
    names = [p.name for p in params]
    candidates = table[names].copy()

    def key(row) -> tuple:
        return tuple(
            f"{float(v):.10g}" if isinstance(v, (int, float, np.number)) else str(v) for v in row
        )

    lookup_y = {key(r[names]): r[target] for _, r in table.iterrows()}

    def evaluate(df: pd.DataFrame) -> np.ndarray:
        return np.array([lookup_y[key(r[names])] for _, r in df.iterrows()])

    space = Space(
        tuple(params),
        (),
        candidates.astype({n: str for n in names if not pd.api.types.is_numeric_dtype(table[n])}),
    )
    return Problem(
        name, space, _single(), evaluate, float(table[target].max()), float(table[target].min())
    )


def branin() -> Problem:
    space = Space(
        (Parameter("x1", "continuous", -5.0, 10.0), Parameter("x2", "continuous", 0.0, 15.0))
    )

    def evaluate(df):
        x1, x2 = df["x1"].to_numpy(float), df["x2"].to_numpy(float)
        b, c, t = 5.1 / (4 * np.pi**2), 5 / np.pi, 1 / (8 * np.pi)
        return -((x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * np.cos(x1) + 10)

    return Problem("branin (max −f)", space, _single(), evaluate, -0.397887, -308.13)


_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                      [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])  # fmt: skip
_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6() -> Problem:
    space = Space(tuple(Parameter(f"x{i}", "continuous", 0.0, 1.0) for i in range(6)))

    def evaluate(df):
        x = df[[f"x{i}" for i in range(6)]].to_numpy(float)
        inner = ((x[:, None, :] - _P[None]) ** 2 * _A[None]).sum(-1)
        return (_ALPHA[None] * np.exp(-inner)).sum(-1)

    return Problem("hartmann6", space, _single(), evaluate, 3.32237, 0.0)


def mixed() -> Problem:
    """Two continuous + one 3-level categorical: a shifted Branin per category (known optimum)."""
    space = Space((Parameter("x1", "continuous", -5.0, 10.0), Parameter("x2", "continuous", 0.0, 15.0),
                   Parameter("c", "categorical", values=("a", "b", "c"))))  # fmt: skip
    base = branin().evaluate
    offset = {"a": -20.0, "b": 0.0, "c": -10.0}

    def evaluate(df):
        return base(df) + np.array([offset[str(v)] for v in df["c"]])

    return Problem("mixed branin+cat", space, _single(), evaluate, -0.397887, -330.0)


PROBLEMS = {
    "direct_arylation": lambda: lookup("direct_arylation", "direct_arylation.csv", "yield"),
    "olymp_suzuki": lambda: lookup("olymp_suzuki", "olymp_suzuki.csv", "yield"),
    "olymp_hplc": lambda: lookup("olymp_hplc", "olymp_hplc.csv", "peak_area"),
    "branin": branin,
    "hartmann6": hartmann6,
    "mixed": mixed,
}
