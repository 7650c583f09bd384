"""Maximise an acquisition function over a space: the box (continuous, mixed) or a table.

Continuous spaces use ``optimize_acqf`` (L-BFGS-B / SLSQP with the linear constraints), spaces
with discrete or categorical parameters ``optimize_acqf_mixed_alternating`` (no enumeration of
combinations), candidate tables the greedy search of :mod:`anodelab.optimize.candidates`.
Batches are built sequentially (greedy), each point conditioned on the previous ones and on the
pending recipes.  A recipe that fails the space's checks after rounding is repaired (best
feasible point of a Sobol sample).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import torch
from botorch.optim import optimize_acqf
from botorch.optim.optimize_mixed import optimize_acqf_mixed_alternating

from anodelab.models.features import encode
from anodelab.models.gp import DTYPE
from anodelab.optimize.candidates import CandidateRows
from anodelab.optimize.space import Space

__all__ = [
    "OPTIMIZER_BUDGET",
    "MIXED_BUDGET",
    "optimize_batch",
    "decode_rows",
    "unique_rows",
    "sequential_values",
    "repair_batch",
]

#: (restarts, raw samples, alternating rounds); "fast" is for tests and quick benchmark runs.
#: Continuous spaces and candidate tables: 64 raw samples gave the same batch quality as 512 on
#: the latency problem (true hypervolume gain 0.5346 both, 6 seeds) in ~20 % less time.
OPTIMIZER_BUDGET = {"default": (10, 64, 8), "fast": (4, 64, 3)}
#: Mixed spaces (``optimize_acqf_mixed_alternating``): random feasible starts instead of the
#: constrained continuous relaxation (SLSQP) and a smaller budget — on the virtual lab
#: (30 observations, 2 objectives, a linear constraint) 10 s instead of 62 s per batch of 4,
#: with batches as good or better on the noise-free truth (docs/performance-optimization.md).
MIXED_BUDGET = {"default": (6, 256, 4), "fast": (4, 128, 3)}
MIXED_OPTIONS: dict = {"initialization_strategy": "random"}


def unique_rows(X: torch.Tensor) -> torch.Tensor:
    """The distinct rows of ``X`` (``X`` itself when empty)."""
    return torch.unique(X, dim=0) if len(X) else X


def decode_rows(X: torch.Tensor, space: Space) -> pd.DataFrame:
    """Model inputs back to recipes of the space, its fixed parameters included."""
    from anodelab.models.features import decode

    table = decode(X.detach().numpy(), space.features())
    for name, value in space.fixed.items():
        table[name] = value
    return table[space.names]


def optimize_batch(
    space: Space,
    acqf,
    q: int,
    candidates: CandidateRows | None,
    budget: str,
    fixed: dict[int, float] | None = None,
    baseline: torch.Tensor | None = None,
):
    """Maximise ``acqf`` over the space: the untested ``candidates`` of a candidate table
    (``baseline``: the acquisition's measured recipes, for the bounds), else the parameter box."""
    features = space.features()
    mixed = any(f.is_categorical for f in features) or any(p.kind == "discrete" for p in space.free)
    restarts, raw, rounds = (MIXED_BUDGET if mixed else OPTIMIZER_BUDGET)[budget]
    if space.candidates is not None:
        if candidates is None or baseline is None:
            raise ValueError("a candidate table is searched through its untested rows")
        return candidates.search(acqf, q, baseline, fixed)
    lower = [f.lower if not f.is_categorical else 0.0 for f in features]
    upper = [f.upper if not f.is_categorical else float(len(f.categories) - 1) for f in features]
    bounds = torch.tensor([lower, upper], dtype=DTYPE)
    names = [f.name for f in features]
    constraints = [_drop_fixed(space, names, c) for c in space.constraints]
    constraints = [c for c in constraints if c is not None]
    discrete = {j: list(p.values) for j, p in enumerate(space.free) if p.kind == "discrete"}
    categorical = {
        j: list(range(len(f.categories)))
        for j, f in enumerate(features)
        if f.is_categorical and len(f.categories) > 1
    }
    # a categorical parameter with a single level is a constant (BoTorch's mixed optimizer
    # cannot draw neighbours for it)
    single = {j: 0.0 for j, f in enumerate(features) if f.is_categorical and len(f.categories) == 1}
    fixed = {**single, **(fixed or {})} or None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if not discrete and not categorical:
            return optimize_acqf(
                acqf,
                bounds=bounds,
                q=q,
                num_restarts=restarts,
                raw_samples=raw,
                sequential=True,
                inequality_constraints=constraints or None,
                fixed_features=fixed,
                options={"maxiter": 100},
            )
        return optimize_acqf_mixed_alternating(
            acqf,
            bounds=bounds,
            discrete_dims=discrete or None,
            cat_dims=categorical or None,
            q=q,
            num_restarts=restarts,
            raw_samples=raw,
            inequality_constraints=constraints or None,
            fixed_features=fixed,
            options={"maxiter_alternating": rounds, **MIXED_OPTIONS},
        )


def _fixed_part(space: Space, constraint) -> float:
    return sum(
        c * float(space.fixed[n]) for n, c in constraint.coefficients.items() if n in space.fixed
    )


def _drop_fixed(space: Space, names: list[str], c):
    """``Σ a x ≤ b`` → BoTorch's ``Σ (−a) x ≥ −b + Σ a·fixed`` over free parameters only."""
    free = {n: v for n, v in c.coefficients.items() if n in names}
    if not free:
        return None
    return (
        torch.tensor([names.index(n) for n in free], dtype=torch.long),
        torch.tensor([-v for v in free.values()], dtype=DTYPE),
        float(-c.rhs + _fixed_part(space, c)),
    )


def sequential_values(acqf, table: pd.DataFrame, features, X_pend, rebuild=None) -> torch.Tensor:
    """Acquisition value of each proposal given the pending recipes and the proposals before it.

    ``rebuild(X_pending)``, if given, builds a fresh acquisition function to score with instead of
    ``acqf`` — needed where pending points are cached and cannot be taken back, as in qLogNEHVI:
    the fresh one is handed the earlier slots one at a time, as the optimiser's greedy steps did."""
    X = torch.tensor(encode(table, features), dtype=DTYPE)
    scorer = acqf if rebuild is None else rebuild(X_pend)
    values = []
    with torch.no_grad():
        for i in range(len(X)):
            before = [t for t in (X_pend, X[:i]) if t is not None and len(t)]
            scorer.set_X_pending(torch.cat(before) if before else None)
            values.append(float(scorer(X[i : i + 1].unsqueeze(0))))
    acqf.set_X_pending(X_pend)
    return torch.tensor(values, dtype=DTYPE)


def repair_batch(space: Space, scorer, table: pd.DataFrame, seed: int):
    """Replace proposals violating the space after rounding by the best feasible Sobol point.

    ``scorer()`` gives the acquisition function to rank the Sobol points by (built only when a
    repair is needed)."""
    bad = [i for i in range(len(table)) if space.violations(table.iloc[[i]])]
    if not bad:
        return table, 0
    acqf = scorer()
    pool = space.sample(256, seed=seed + 7919)
    X = torch.tensor(encode(pool, space.features()), dtype=DTYPE).unsqueeze(1)
    with torch.no_grad():
        scores = acqf(X).numpy()
    order = np.argsort(-scores)
    table = table.copy()
    for n, i in enumerate(bad):
        table.iloc[i] = pool.iloc[order[n]][table.columns].to_numpy()
    return table, len(bad)
