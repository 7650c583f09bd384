"""The cold-start design: a space-filling first batch, and independent seeds per batch.

Before a model can be trusted the campaign proposes a *maximin* design: of ``DESIGN_TRIES``
random subsets of ``n`` points drawn from a pool, the one whose smallest distance (between its
points, and to the recipes already measured or pending) is largest (maximin distance designs,
Johnson, Moore & Ylvisaker 1990, *J. Stat. Plan. Inference* 26:131; chosen by random search as
in Morris & Mitchell 1995).  The pool is the untested rows of a candidate table, or
``POOL_PER_POINT × n`` feasible points of a scrambled Sobol sequence (Owen scrambling; Sobol
1967) in a box.  Distances are taken in the unit cube of the parameters' bounds, a categorical
level being one-hot with levels 1 apart (:func:`unit_rows`).  Picking the best of random subsets
rather than a farthest-point sweep keeps the design away from the corners of the pool, where a
pure maximin sweep goes first.

:func:`batch_seed` maps a campaign seed and a batch number to an independent stream: numpy's
``SeedSequence(seed, spawn_key=(batch,))`` — what ``SeedSequence(seed).spawn`` gives the
``batch``-th child — so seed ``s`` batch ``b`` never repeats seed ``s'`` batch ``b'``
(``s + b`` did: seeds 1 and 3 drew almost the same cold-start rows).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from anodelab.models.features import Feature, encode
from anodelab.optimize.space import Space, _anti_join
from anodelab.schema.errors import InputError

__all__ = ["batch_seed", "unit_rows", "maximin_subset", "space_filling_design"]

#: random subsets compared by the maximin search
DESIGN_TRIES = 512
#: Sobol points in the pool per design point (continuous and mixed spaces)
POOL_PER_POINT = 64
#: largest pool of table rows the search looks at (a seeded random sample of bigger tables)
MAX_POOL = 20_000


def batch_seed(seed: int, batch: int) -> int:
    """An independent 31-bit seed for batch ``batch`` of a campaign seeded with ``seed``."""
    if seed < 0 or batch < 0:
        raise InputError(f"seeds and batch numbers are ≥ 0, got seed {seed}, batch {batch}")
    state = np.random.SeedSequence(seed, spawn_key=(batch,)).generate_state(1)[0]
    return int(state) & 0x7FFFFFFF


def unit_rows(table: pd.DataFrame, features: Sequence[Feature]) -> np.ndarray:
    """Recipes as points of the unit cube: numbers scaled by their bounds, each categorical
    parameter as one-hot columns scaled by 1/√2 (two levels are distance 1 apart), inactive
    conditional parameters at their lower bound."""
    codes = encode(table, features)
    columns = []
    for j, f in enumerate(features):
        if f.is_categorical:
            levels = np.arange(len(f.categories))
            columns.append((codes[:, j, None] == levels[None, :]) / np.sqrt(2.0))
        else:
            span = f.upper - f.lower
            scaled = (codes[:, j] - f.lower) / span if span > 0 else np.zeros(len(codes))
            columns.append(scaled[:, None])
    return np.hstack(columns) if columns else np.zeros((len(table), 0))


def maximin_subset(
    points: np.ndarray,
    n: int,
    rng: np.random.Generator,
    existing: np.ndarray | None = None,
    tries: int = DESIGN_TRIES,
) -> np.ndarray:
    """Indices of ``n`` rows of ``points`` whose smallest distance — among themselves and to
    ``existing`` — is the largest of ``tries`` random subsets (ties: the larger mean distance)."""
    if len(points) < n:
        raise InputError(f"only {len(points)} untested candidates left, {n} requested")
    if len(points) == n:
        return np.arange(n)
    subsets = np.stack([rng.choice(len(points), n, replace=False) for _ in range(tries)])
    chosen = points[subsets]  # tries × n × d
    inner = np.linalg.norm(chosen[:, :, None, :] - chosen[:, None, :, :], axis=-1)
    inner[:, np.arange(n), np.arange(n)] = np.inf
    nearest = inner.min(axis=2)  # tries × n
    if existing is not None and len(existing):
        rows, where = np.unique(subsets, return_inverse=True)
        away = _distance_to(points[rows], existing)[where.reshape(subsets.shape)]
        nearest = np.minimum(nearest, away)
    if n == 1 and (existing is None or not len(existing)):
        return subsets[0]  # one point and nothing to keep away from: a random pool point
    score = np.lexsort((nearest.mean(axis=1), nearest.min(axis=1)))
    return subsets[score[-1]]


def _distance_to(points: np.ndarray, existing: np.ndarray, chunk: int = 256) -> np.ndarray:
    """Distance of each row of ``points`` to its nearest row of ``existing`` (chunked)."""
    out = np.empty(len(points))
    for start in range(0, len(points), chunk):
        block = points[start : start + chunk]
        out[start : start + chunk] = np.linalg.norm(
            block[:, None, :] - existing[None, :, :], axis=-1
        ).min(axis=1)
    return out


def space_filling_design(
    space: Space,
    n: int,
    seed: int,
    existing: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, str]:
    """``n`` recipes spread over the space and away from ``existing`` ones; returns the table and
    one sentence saying how they were chosen."""
    rng = np.random.default_rng(seed)
    features = space.features()
    names = [f.name for f in features]
    if space.candidates is not None:
        pool = space.candidates
        if existing is not None and len(existing):
            pool = _anti_join(pool, existing, names)
        if len(pool) < n:
            raise InputError(f"only {len(pool)} untested candidates left, {n} requested")
        if len(pool) > MAX_POOL:
            pool = pool.iloc[np.sort(rng.choice(len(pool), MAX_POOL, replace=False))]
        what = f"{len(pool):,} untested rows of the candidate table"
    else:
        pool = space.sample(POOL_PER_POINT * n, seed=int(rng.integers(2**31)))
        what = f"{len(pool)} scrambled-Sobol points"
    old = None
    away = ""
    if existing is not None and len(existing):
        old = unit_rows(existing, features)
        away = f", away from {len(existing)} measured or pending recipe(s)"
    picked = maximin_subset(unit_rows(pool, features), n, rng, old)
    table = pool.iloc[np.sort(picked)].reset_index(drop=True)
    sentence = f"maximin design of {n} from {what}{away}"
    return table[space.names], sentence
