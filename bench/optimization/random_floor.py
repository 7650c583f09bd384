"""The exact expected number of experiments random search needs to reach the 95 % level.

The "⅓ of random search" goal compares anodelab's median with random search's expectation. Twenty
simulated random runs give that expectation only roughly (their median, besides, is not their
mean), so this script computes it from the problem itself:

* lookup table of N rows, k of them at or above the level, drawn without replacement:
  E = (N + 1) / (k + 1)  (the expected position of the first of k marked items in a random order);
* continuous or mixed space, drawn uniformly from the box as ``run.py``'s ``random`` does:
  the first hit is geometric with p = the box's fraction at or above the level, E = 1 / p; p is
  estimated from 2²⁰ scrambled Sobol points (its binomial standard error is printed).

    .venv/bin/python bench/optimization/random_floor.py [PROBLEM ...]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
from scipy.stats import qmc

sys.path.insert(0, str(Path(__file__).parent))

from problems import PROBLEMS, Problem  # noqa: E402
from run import level  # noqa: E402

SOBOL_POINTS = 2**20


def expected_random_experiments(p: Problem, points: int = SOBOL_POINTS) -> tuple[float, float]:
    """(E, standard error of E) for random search on ``p``; the error is 0 for a lookup table."""
    threshold = level(p)
    if p.space.candidates is not None:
        table = p.space.candidates
        k = int((p.score(table) >= threshold).sum())
        return (len(table) + 1) / (k + 1), 0.0
    u = qmc.Sobol(d=len(p.space.free), scramble=True, seed=0).random(points)
    hits = 0
    for chunk in np.array_split(u, max(1, points // 65536)):
        hits += int((p.score(p.space.from_unit(chunk)) >= threshold).sum())
    fraction = hits / points
    if hits == 0:
        return math.inf, math.inf
    error = math.sqrt(fraction * (1 - fraction) / points) / fraction**2
    return 1 / fraction, error


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("problems", nargs="*", default=list(PROBLEMS))
    args = parser.parse_args()
    print("| problem | random search: expected experiments to 95 % | ⅓ of it |")
    print("|---|---|---|")
    for key in args.problems:
        problem = PROBLEMS[key]()
        e, err = expected_random_experiments(problem)
        spread = f" ± {err:.2g}" if err else " (exact)"
        print(f"| {problem.name} | {e:.1f}{spread} | {e / 3:.1f} |")


if __name__ == "__main__":
    main()
