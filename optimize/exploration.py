"""Level exploration: converged slots of a batch go to the most promising other level.

When the expected improvement of a slot has fallen below a tenth of the measurement noise the
campaign has converged under the model; the slot then proposes the best recipe of the most
promising other level of a categorical parameter (:mod:`anodelab.optimize.levels` ranks them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from botorch.models import ModelListGP

from anodelab.models.features import encode
from anodelab.models.gp import DTYPE, GPSurrogate
from anodelab.optimize.acquisition import build_acquisition
from anodelab.optimize.candidates import CandidateRows
from anodelab.optimize.levels import (
    STAGNATION_NOISE_FRACTION,
    LevelChoice,
    box_probe,
    hypervolume_improvement,
    improvement_floor,
    noise_std,
    optimistic_prediction,
    rank_levels,
    stale_slots,
)
from anodelab.optimize.objectives import Assembled, ObjectiveSet
from anodelab.optimize.search import decode_rows, optimize_batch, unique_rows
from anodelab.optimize.space import Space
from anodelab.schema.errors import InputError

__all__ = ["explore_converged_slots"]


@dataclass
class _Frame:
    """What level exploration compares against: the campaign's own recipes and its best ones."""

    measured: np.ndarray  # encoded own recipes
    front: np.ndarray  # encoded incumbent (one objective) or Pareto-front recipes
    floor: float  # stagnation floor, in the acquisition's units
    optimistic: Any  # encoded rows -> optimistic score (levels.rank_levels)
    score_sign: float  # turns the score back into the objective's direction for the reason
    wording: dict[str, str]  # how the reason names the acquisition, the floor and the score


def _own_rows(table: pd.DataFrame, own_source: str | None) -> pd.DataFrame:
    if own_source is not None and (table["source"].astype(str) == own_source).any():
        return table[table["source"].astype(str) == own_source]
    return table


def _exploration_frame(
    objectives: ObjectiveSet,
    training: Assembled,
    models: dict[str, GPSurrogate],
    keys: list[str],
    model: ModelListGP,
    features: list,
    own_source: str | None,
    ref: list[float] | None,
) -> _Frame:
    """One objective: the best own measurement and 0.1 σ.  Several: the Pareto front of the
    posterior means at the own recipes (replicates and missing outcomes need no joining) and the
    hypervolume floor of :func:`levels.improvement_floor`."""
    objs = objectives.objectives
    noises = [noise_std(models[o.key].model_) for o in objs]
    columns = [keys.index(o.key) for o in objs]
    signs = np.array([o.sign for o in objs], dtype=float)

    def signed_mean_std(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with torch.no_grad():
            post = model.posterior(torch.tensor(rows, dtype=DTYPE))
        mean = post.mean[..., columns].numpy() * signs
        return mean, post.variance[..., columns].clamp_min(0).sqrt().numpy()

    if len(objs) == 1:
        own = _own_rows(training.tables[objs[0].key], own_source)
        measured = encode(own, features)
        incumbent = measured[int(np.argmax(signs[0] * own["y"].to_numpy(dtype=float)))]
        return _Frame(
            measured,
            incumbent[None],
            improvement_floor(noises),
            lambda rows: optimistic_prediction(*signed_mean_std(rows))[:, 0],
            float(signs[0]),
            {
                "gain": "expected improvement",
                "floor": f"{STAGNATION_NOISE_FRACTION} × the measurement noise (σ ≈ {noises[0]:.3g})",
                "score": "optimistic prediction",
            },
        )
    from botorch.utils.multi_objective.pareto import is_non_dominated

    if ref is None:
        raise ValueError("several objectives need the hypervolume reference point")
    own = pd.concat([_own_rows(training.tables[o.key], own_source) for o in objs])
    measured = np.unique(encode(own, features), axis=0)
    mean, _ = signed_mean_std(measured)
    on_front = is_non_dominated(torch.tensor(mean)).numpy()
    front = mean[on_front]
    floor = improvement_floor(noises, front, ref)
    sigmas = ", ".join(f"{o.key} {n:.3g}" for o, n in zip(objs, noises, strict=True))
    return _Frame(
        measured,
        measured[on_front],
        floor,
        lambda rows: hypervolume_improvement(
            optimistic_prediction(*signed_mean_std(rows)), front, ref
        ),
        1.0,  # a hypervolume improvement has no direction
        {
            "gain": "expected hypervolume improvement",
            "floor": f"the hypervolume a Pareto-front recipe would add if it improved by "
            f"{STAGNATION_NOISE_FRACTION} × the measurement noise in every objective "
            f"(≈ {floor:.3g}; σ: {sigmas})",
            "score": "optimistic hypervolume improvement",
        },
    )


def _best_at_level(
    objectives: ObjectiveSet,
    training: Assembled,
    features: list,
    level: LevelChoice,
    own_source: str | None,
) -> float | None | dict[str, float | None]:
    """Best own measurement at the level: a number (one objective) or one per objective."""
    best: dict[str, float | None] = {}
    for o in objectives.objectives:
        own = _own_rows(training.tables[o.key], own_source)
        at_level = encode(own, features)[:, level.column] == level.code
        y = own["y"].to_numpy(dtype=float)[at_level]
        best[o.key] = None if not len(y) else float(y.max() if o.sign > 0 else y.min())
    return best[objectives.objectives[0].key] if len(best) == 1 else best


def explore_converged_slots(
    space: Space,
    objectives: ObjectiveSet,
    training: Assembled,
    models: dict[str, GPSurrogate],
    keys: list[str],
    name: str,
    table: pd.DataFrame,
    values: torch.Tensor,
    candidates: CandidateRows | None,
    X_pend: torch.Tensor | None,
    budget: str,
    seed: int,
    own_source: str | None = None,
    ref: list[float] | None = None,
) -> tuple[pd.DataFrame, torch.Tensor, list[dict[str, Any] | None]] | None:
    """Converged slots → the best recipe of the most promising other categorical level.

    See :mod:`anodelab.optimize.levels`.  With transfer, ``own_source`` names the campaign's own
    source: the incumbent (or front) and each level's best are taken from its rows, not the prior
    sources'.  ``ref``: the hypervolume reference point (several objectives).
    Returns ``(table, values, notes)`` with ``notes[i]``
    the exploration reason of slot ``i`` (``None`` where the slot is unchanged), or ``None``.
    """
    features = space.features()
    if not any(f.is_categorical for f in features):
        return None
    model = ModelListGP(*[models[k].model_ for k in keys])
    frame = _exploration_frame(objectives, training, models, keys, model, features, own_source, ref)
    stale = stale_slots(values.detach().numpy(), frame.floor)
    if not stale:
        return None
    levels = rank_levels(frame.optimistic, features, frame.front, box_probe(features, 512, seed))
    if not levels:  # every level is on the front, or every categorical has a single level
        return None
    table = table.copy()
    X = torch.tensor(encode(table, features), dtype=DTYPE)
    kept = [i for i in range(len(table)) if i not in stale]
    new_values = values.detach().clone()
    notes: list[dict[str, Any] | None] = [None] * len(table)
    words = frame.wording
    for n, i in enumerate(stale):
        level = levels[n % len(levels)]
        rows = frame.measured[:, level.column] == level.code
        baseline = frame.measured[rows] if rows.any() else frame.measured
        before = [t for t in (X_pend, X[kept]) if t is not None and len(t)]
        X_level = unique_rows(torch.tensor(baseline, dtype=DTYPE))
        acqf = build_acquisition(
            name,
            model=model,
            objectives=objectives,
            keys=keys,
            X_baseline=X_level,
            X_pending=torch.cat(before) if before else None,
            ref_point=ref,
            seed=seed,
        )
        try:
            x, value = optimize_batch(space, acqf, 1, candidates, budget,
                                 fixed={level.column: level.code}, baseline=X_level)  # fmt: skip
        except InputError:  # a candidate table with no untested recipe of this level
            continue
        row = space.snap(decode_rows(x, space))
        if space.violations(row):
            continue
        table.iloc[i] = row.iloc[0][table.columns].to_numpy()
        X[i] = torch.tensor(encode(row, features), dtype=DTYPE)[0]
        kept.append(i)
        new_values[i] = float(value.reshape(-1)[0])
        feature = features[level.column]
        label = feature.categories[level.code]
        score = level.optimistic_value * frame.score_sign
        notes[i] = {
            "parameter": feature.name,
            "level": label,
            "why": (
                f"{words['gain']} of this slot fell below {words['floor']}: the campaign has "
                f"converged under the model, so the slot explores {feature.name} = {label} "
                f"({words['score']} {score:.4g})"
            ),
            "best_measured_at_level": _best_at_level(
                objectives, training, features, level, own_source
            ),  # fmt: skip
            "acquisition_is_relative_to": "best measurement at this level"
            if rows.any()
            else "best measurement overall (level not yet measured)",
        }
    if not any(notes):
        return None
    return table, new_values, notes
