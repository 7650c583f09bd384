"""Wall time of one proposal: batch 4, 50 observations, 5 continuous parameters, 2 objectives.

Same protocol as /work/shared/notes/optimization.md §4 (y1 = −|x−0.3|² + 0.3 sin(5 x0),
y2 = −|x−0.7|² + 0.3 cos(4 x1), noise 0.01; fixed seed; imports excluded; 3 repetitions).

    .venv/bin/python bench/optimization/latency.py anodelab
    /work/venv-bench/bin/python bench/optimization/latency.py baybe     # BayBE 0.15, installed only there
    /work/venv-bench/bin/python bench/optimization/latency.py ax        # Ax 1.3.1 Client, installed only there

``latency_suite.sh`` runs the three interleaved, several rounds, so that they share the machine's load.
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")
rng = np.random.default_rng(0)
X = rng.random((50, 5))
Y1 = -((X - 0.3) ** 2).sum(1) + 0.3 * np.sin(5 * X[:, 0]) + 0.01 * rng.normal(size=50)
Y2 = -((X - 0.7) ** 2).sum(1) + 0.3 * np.cos(4 * X[:, 1]) + 0.01 * rng.normal(size=50)
NAMES = [f"x{i}" for i in range(5)]


def anodelab_once() -> float:
    from anodelab.optimize.batch import propose
    from anodelab.optimize.objectives import Assembled, Objective, ObjectiveSet, Outcome
    from anodelab.optimize.space import Parameter, Space

    t = time.perf_counter()
    space = Space(tuple(Parameter(n, "continuous", 0.0, 1.0) for n in NAMES))
    objs = ObjectiveSet((Objective(Outcome("y1")), Objective(Outcome("y2"))))
    base = pd.DataFrame(X, columns=NAMES).assign(sample=[f"s{i}" for i in range(50)], source="b")
    data = Assembled({"y1": base.assign(y=Y1), "y2": base.assign(y=Y2)})
    propose(space, objs, data, q=4, seed=0)
    return time.perf_counter() - t


def baybe_once() -> float:
    from baybe import Campaign
    from baybe.objectives import ParetoObjective
    from baybe.parameters import NumericalContinuousParameter
    from baybe.searchspace import SearchSpace
    from baybe.targets import NumericalTarget

    t = time.perf_counter()
    space = SearchSpace.from_product([NumericalContinuousParameter(n, (0.0, 1.0)) for n in NAMES])
    obj = ParetoObjective([NumericalTarget("y1"), NumericalTarget("y2")])
    campaign = Campaign(space, obj)
    campaign.add_measurements(pd.DataFrame(X, columns=NAMES).assign(y1=Y1, y2=Y2))
    campaign.recommend(4)
    return time.perf_counter() - t


def ax_once() -> float:
    from ax.api.client import Client
    from ax.api.configs import RangeParameterConfig

    t = time.perf_counter()
    client = Client(random_seed=0)
    client.configure_experiment(
        parameters=[
            RangeParameterConfig(name=n, bounds=(0.0, 1.0), parameter_type="float") for n in NAMES
        ]
    )
    client.configure_optimization(objective="y1, y2")
    for i in range(50):
        idx = client.attach_trial(parameters={n: float(X[i, j]) for j, n in enumerate(NAMES)})
        client.complete_trial(trial_index=idx, raw_data={"y1": float(Y1[i]), "y2": float(Y2[i])})
    trials = client.get_next_trials(max_trials=4)
    if len(trials) != 4:
        raise RuntimeError(f"Ax returned {len(trials)} trials, 4 requested")
    return time.perf_counter() - t


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "anodelab"
    fn = {"anodelab": anodelab_once, "baybe": baybe_once, "ax": ax_once}[which]
    first = fn()
    reps = [fn() for _ in range(3)]
    print(
        f"{which}: first call {first:.2f} s; then {', '.join(f'{r:.2f}' for r in reps)} s; median {np.median(reps):.2f} s"
    )
