"""BayBE / Ax as benchmark contenders, run in their own venv (``/work/venv-bench``).

Started by ``run.py`` as a subprocess; speaks JSON lines on stdin/stdout::

    argv: TOOL PROBLEM_JSON SEED
    PROBLEM_JSON: {"parameters": [...], "candidates": rows or null,
                   "constraints": [{"coefficients": {name: a}, "rhs": b}, ...]   (Σ a·x ≤ b; optional),
                   "targets": [name, ...]}   (all maximised; optional, default ["y"])
    in:   {"rows": [{name: value}], "y": [..], "q": 4}     new measurements + batch size
          (one target: y is a list of numbers; several: a list of [value per target])
    out:  {"rows": [{name: value}, ...]}                    the next batch

BayBE 0.15: Campaign with the default recommender (BO after the first measurements:
SingleTaskGP + qLogEI with its defaults; with several targets a ``ParetoObjective``, i.e.
qLogNEHVI), a discrete search space from the candidate table for lookup problems (already
measured rows excluded), continuous/discrete/categorical otherwise, linear constraints as
``ContinuousLinearConstraint``.  Ax 1.3: ``Client`` with default generation strategy; trials
attached and completed by hand (lookup tables: only full-factorial tables, as Ax cannot be
restricted to a row list); linear constraints as parameter constraints, several targets as a
multi-objective ``"a, b"``.
Never imports anodelab (not installed in that venv).
"""

from __future__ import annotations

import json
import logging
import sys
import warnings

import pandas as pd

warnings.filterwarnings("ignore")
logging.disable(logging.CRITICAL)


def baybe_session(problem: dict, seed: int):
    from baybe import Campaign
    from baybe.constraints import ContinuousLinearConstraint
    from baybe.objectives import ParetoObjective, SingleTargetObjective
    from baybe.parameters import (
        CategoricalParameter,
        NumericalContinuousParameter,
        NumericalDiscreteParameter,
    )
    from baybe.searchspace import SearchSpace
    from baybe.targets import NumericalTarget
    from baybe.utils.random import set_random_seed

    set_random_seed(seed)
    params = []
    for p in problem["parameters"]:
        if p["kind"] == "continuous":
            params.append(NumericalContinuousParameter(p["name"], (p["lower"], p["upper"])))
        elif p["kind"] == "discrete":
            params.append(NumericalDiscreteParameter(p["name"], values=tuple(p["values"])))
        else:
            params.append(
                CategoricalParameter(p["name"], values=tuple(p["values"]), encoding="OHE")
            )
    constraints = [
        ContinuousLinearConstraint(
            parameters=list(c["coefficients"]),
            operator="<=",
            coefficients=list(c["coefficients"].values()),
            rhs=c["rhs"],
        )
        for c in problem.get("constraints") or []
    ]
    if problem["candidates"] is not None:
        space = SearchSpace.from_dataframe(pd.DataFrame(problem["candidates"]), parameters=params)
    else:
        space = SearchSpace.from_product(params, constraints=constraints or None)
    flags = {"allow_recommending_already_measured": False} if problem["candidates"] else {}
    targets = _targets(problem)
    objective = (
        SingleTargetObjective(NumericalTarget(targets[0]))
        if len(targets) == 1
        else ParetoObjective([NumericalTarget(t) for t in targets])
    )
    campaign = Campaign(space, objective, **flags)

    def step(rows, y, q):
        if rows:
            campaign.add_measurements(pd.DataFrame(rows).assign(**_columns(targets, y)))
        rec = campaign.recommend(batch_size=q)
        return rec[[p["name"] for p in problem["parameters"]]].to_dict("records")

    return step


def ax_session(problem: dict, seed: int):
    from ax.api.client import Client
    from ax.api.configs import ChoiceParameterConfig, RangeParameterConfig

    client = Client(random_seed=seed)
    params = []
    for p in problem["parameters"]:
        if p["kind"] == "continuous":
            params.append(RangeParameterConfig(p["name"], (p["lower"], p["upper"]), "float"))
        elif p["kind"] == "discrete":
            params.append(
                ChoiceParameterConfig(p["name"], list(p["values"]), "float", is_ordered=True)
            )
        else:
            params.append(
                ChoiceParameterConfig(p["name"], list(p["values"]), "str", is_ordered=False)
            )
    constraints = [ax_constraint(c) for c in problem.get("constraints") or []]
    client.configure_experiment(parameters=params, parameter_constraints=constraints or None)
    targets = _targets(problem)
    client.configure_optimization(objective=", ".join(targets))
    pending: list[int] = []

    def step(rows, y, q):
        # rows are Ax's own previous trials (completed in place) or, first, the initial design
        kinds = {p["name"]: p["kind"] for p in problem["parameters"]}
        rows = [
            {k: (str(v) if kinds[k] == "categorical" else float(v)) for k, v in r.items()}
            for r in rows
        ]
        indices = pending if len(pending) == len(rows) else [client.attach_trial(r) for r in rows]
        for idx, value in zip(indices, y, strict=True):
            values = value if len(targets) > 1 else [value]
            raw = {t: float(v) for t, v in zip(targets, values, strict=True)}
            client.complete_trial(trial_index=idx, raw_data=raw)
        trials = client.get_next_trials(max_trials=q)
        pending[:] = list(trials)
        return list(trials.values())

    return step


def ax_constraint(constraint: dict) -> str:
    """``{"coefficients": {"a": 1, "b": 2}, "rhs": 4.5}`` → Ax's ``"1 * a + 2 * b <= 4.5"``."""
    terms = " + ".join(f"{a} * {name}" for name, a in constraint["coefficients"].items())
    return f"{terms} <= {constraint['rhs']}"


def _targets(problem: dict) -> list[str]:
    return list(problem.get("targets") or ["y"])


def _columns(targets: list[str], y: list) -> dict[str, list[float]]:
    """Measured values as one column per target (``y``: numbers, or one list per row)."""
    if len(targets) == 1:
        return {targets[0]: [float(v) for v in y]}
    return {t: [float(row[j]) for row in y] for j, t in enumerate(targets)}


def _plain(row: dict) -> dict:
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}


def main() -> None:
    tool, problem_file, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(problem_file) as fh:
        problem = json.load(fh)
    step = {"baybe": baybe_session, "ax": ax_session}[tool](problem, seed)
    for line in sys.stdin:
        msg = json.loads(line)
        rows = step(msg["rows"], msg["y"], msg["q"])
        sys.stdout.write(json.dumps({"rows": [_plain(r) for r in rows]}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
