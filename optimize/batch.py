"""Propose the next batch of recipes: fit one GP per outcome, maximise the acquisition.

``propose(space, objectives, training, q)`` is deterministic for a given ``seed`` (torch RNG forked,
QMC samplers seeded).  With fewer than ``min_observations`` measured recipes for an objective
(default: the batch size, at least 2 — one cold-start batch) it proposes a maximin space-filling
design (:mod:`~anodelab.optimize.design`) and says so; rows of other sources in the training data
(the literature, earlier campaigns) count, so related data in the KB replaces the design.  The pieces: :mod:`~anodelab.optimize.fitting`
(the GPs), :mod:`~anodelab.optimize.search` (maximising the acquisition over the box or a
candidate table), :mod:`~anodelab.optimize.exploration` (converged slots explore other levels),
:mod:`~anodelab.optimize.records` (the proposals and their reasons).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import torch
from botorch.models import ModelListGP

from anodelab.models.features import encode
from anodelab.models.gp import DTYPE
from anodelab.models.numerics import quiet_numerics
from anodelab.models.threads import torch_threads
from anodelab.optimize.acquisition import (
    SINGLE_OBJECTIVE,
    build_acquisition,
    check_acquisition,
    default_acquisition,
)
from anodelab.optimize.candidates import CandidateRows
from anodelab.optimize.design import space_filling_design
from anodelab.optimize.exploration import explore_converged_slots
from anodelab.optimize.fitting import fit_outcome_models
from anodelab.optimize.objectives import Assembled, ObjectiveSet
from anodelab.optimize.records import ProposalSet, proposal_set
from anodelab.optimize.search import (
    decode_rows,
    optimize_batch,
    repair_batch,
    sequential_values,
    unique_rows,
)
from anodelab.optimize.space import Space
from anodelab.schema.errors import InputError

__all__ = ["propose", "reference_point"]


def propose(
    space: Space,
    objectives: ObjectiveSet,
    training: Assembled,
    q: int = 1,
    *,
    pending: pd.DataFrame | None = None,
    seed: int = 0,
    min_observations: int | None = None,
    transfer: bool = False,
    target_source: str | None = None,
    acquisition: str | None = None,
    budget: str = "default",
    model_options: dict[str, Any] | None = None,
    explore_levels: bool = True,
) -> ProposalSet:
    """Next ``q`` recipes for ``space`` maximising ``objectives`` given ``training`` data.

    ``acquisition`` names a registered acquisition function (default: qLogNEI for one
    objective, qLogNEHVI for several); ``model_options`` go to every :class:`GPSurrogate`
    (``kernel``, ``categorical_encoding``).  ``explore_levels``: with one objective, slots whose
    expected improvement has fallen below a tenth of the measurement noise go to the most
    promising other level of a categorical parameter (:mod:`anodelab.optimize.levels`).

    Runs with one torch thread (``ANODELAB_TORCH_THREADS`` overrides; see
    :mod:`anodelab.models.threads`).
    """
    with torch_threads(), quiet_numerics() as caught:
        result = _propose(
            space,
            objectives,
            training,
            q,
            pending=pending,
            seed=seed,
            min_observations=min_observations,
            transfer=transfer,
            target_source=target_source,
            acquisition=acquisition,
            budget=budget,
            model_options=model_options,
            explore_levels=explore_levels,
        )
    return _with_caveats(result, space, caught.notes)


#: observations per outcome below which predictions are flagged as weak: parameters + 2
WEAK_MARGIN = 2


def _with_caveats(result: ProposalSet, space: Space, notes: list[str]) -> ProposalSet:
    """Say what limits the predictions: fewer observations than parameters + ``WEAK_MARGIN``
    (a GP has then barely more data than lengthscales to learn), and numerical trouble."""
    d = len(space.free)
    fewest = min(result.n_observations.values(), default=0)
    caveats = []
    if result.strategy != "design" and fewest < d + WEAK_MARGIN:
        caveats.append(
            f"predictions are weak: {fewest} observation(s) for {d} parameter(s) "
            f"(fewer than parameters + {WEAK_MARGIN}); treat means and stds as rough"
        )
    caveats += notes
    if caveats:
        result.message += "; " + "; ".join(caveats)
        for p in result.proposals:
            p.reasons["message"] = result.message
            p.reasons["caveats"] = caveats
    return result


def _propose(
    space: Space,
    objectives: ObjectiveSet,
    training: Assembled,
    q: int,
    *,
    pending: pd.DataFrame | None,
    seed: int,
    min_observations: int | None,
    transfer: bool,
    target_source: str | None,
    acquisition: str | None,
    budget: str,
    model_options: dict[str, Any] | None,
    explore_levels: bool,
) -> ProposalSet:
    if q < 1:
        raise InputError(f"batch size q must be ≥ 1, got {q}")
    name = acquisition or default_acquisition(objectives)
    check_acquisition(name, len(objectives.objectives))
    features = space.features()
    keys = [o.key for o in objectives.outcomes()]
    absent = [k for k in keys if k not in training.tables]
    if absent:
        raise InputError(f"training data has no table for outcome(s) {absent}")
    counts = {k: len(training.tables[k]) for k in keys}
    # every training row counts, the other sources' too: with related data in the KB the model
    # is informed before the campaign's own first result (transfer is what that data is for)
    fewest = min(counts[o.key] for o in objectives.objectives)
    tested = pd.concat(
        [t[space.names[:0] + [f.name for f in features]] for t in training.tables.values()]
    )
    done = tested if pending is None else pd.concat([tested, pending[[f.name for f in features]]])
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        models = fit_outcome_models(
            space,
            training,
            transfer=transfer,
            target_source=target_source,
            seed=seed,
            model_options=model_options,
        )
        needed = max(2, q) if min_observations is None else min_observations
        if fewest < needed or any(k not in models for k in keys):
            table, how = space_filling_design(space, q, seed, existing=done)
            message = (
                f"cold start: {fewest} measured recipe(s) for the objective(s) (< {needed}); "
                f"proposing a {how}"
            )
            return proposal_set(
                space, objectives, training, models, table, None, "design", message, seed, counts
            )
        model = ModelListGP(*[models[k].model_ for k in keys])
        X_base = unique_rows(torch.tensor(encode(tested, features), dtype=DTYPE))
        X_pend = None
        if pending is not None and len(pending):
            X_pend = torch.tensor(encode(pending, features), dtype=DTYPE)
        ref = reference_point(objectives, training) if name == "qLogNEHVI" else None

        def acquisition_with(pending: torch.Tensor | None):
            return build_acquisition(
                name,
                model=model,
                objectives=objectives,
                keys=keys,
                X_baseline=X_base,
                X_pending=pending,
                ref_point=ref,
                seed=seed,
            )

        acqf = acquisition_with(X_pend)
        candidates = None
        if space.candidates is not None:
            candidates = CandidateRows.untested(space, done, model, objectives, keys, ref)
        X, _ = optimize_batch(space, acqf, q, candidates, budget, baseline=X_base)
        table = space.snap(decode_rows(X, space))
        # qLogNEHVI folds pending points into its box decomposition (BoTorch's cache_pending),
        # which set_X_pending cannot undo: after the optimiser's greedy steps it would score
        # every slot against a front that already holds the batch, so it is built afresh
        rebuild = None if name in SINGLE_OBJECTIVE else acquisition_with
        table, repaired = repair_batch(
            space, lambda: acqf if rebuild is None else rebuild(X_pend), table, seed
        )
        values = sequential_values(acqf, table, features, X_pend, rebuild)
        exploring: list[dict[str, Any] | None] = [None] * len(table)
        labels = {o.key: o.label for o in objectives.outcomes()}
        message = "GP per outcome, fitted on " + ", ".join(
            f"{n} {labels.get(k, k)} row{'s' * (n != 1)}" for k, n in counts.items()
        )
        if candidates is not None and candidates.scored is not None:
            scored, exhaustive = candidates.scored
            message += (
                f"; candidate table searched lazily: {scored:,} acquisition evaluations instead"
                f" of {exhaustive:,} (rows whose bound was below the best were skipped)"
            )
        if explore_levels and (name in SINGLE_OBJECTIVE or ref is not None):
            own_source = target_source if transfer else None
            explored = explore_converged_slots(space, objectives, training, models, keys, name, table,
                                       values, candidates, X_pend, budget, seed, own_source, ref)  # fmt: skip
            if explored is not None:
                table, values, exploring = explored
                chosen = sorted({f"{e['parameter']}={e['level']}" for e in exploring if e})
                message += "; converged under the model: exploring " + ", ".join(chosen)
        if repaired:
            message += f"; {repaired} proposal(s) repaired to satisfy the constraints"
        result = proposal_set(
            space, objectives, training, models, table, values, name, message, seed, counts
        )
        for proposal, note in zip(result.proposals, exploring, strict=True):
            if note is not None:
                proposal.reasons["exploration"] = note
        if ref is not None:
            for p in result.proposals:
                p.reasons["reference_point"] = dict(
                    zip([o.key for o in objectives.objectives], ref, strict=True)
                )
        return result


def reference_point(objectives: ObjectiveSet, training: Assembled) -> list[float]:
    """Thresholds where given (signed), else the worst observation − 10 % of the observed range."""
    ref = []
    for o in objectives.objectives:
        if o.threshold is not None:
            ref.append(o.sign * o.threshold)
            continue
        y = o.sign * training.tables[o.key]["y"].to_numpy(dtype=float)
        span = float(y.max() - y.min()) or max(abs(float(y.max())), 1.0)
        ref.append(float(y.min() - 0.1 * span))
    return ref
