"""A campaign's training set from the KB's tables: which recipes belong to the design space, the
rows the surrogates learn from, the recipes still pending, and a proposal's measured results.

DataFrames in, DataFrames out (no SQL): the KB hands over its recipe vectors, its tidy
measurements (lab results included, marked by source) and the campaign's proposals in one call
(:func:`anodelab.kb.campaigns.campaign_snapshot`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from typing import Any

import numpy as np
import pandas as pd

from anodelab.optimize.objectives import Assembled, ObjectiveSet, Outcome, assemble, matching_rows
from anodelab.optimize.space import Space
from anodelab.schema.vocabulary import load_vocabulary

__all__ = [
    "comparable_recipes",
    "training_set",
    "data_version",
    "outcome_results",
    "proposal_complete",
]


def comparable_recipes(
    recipes: pd.DataFrame, space_names: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """KB recipes that are points of the design space; the others with the reason they are not.

    A blend or a group is not a recipe of the space; neither is a recipe that adds an ingredient
    the space does not vary: a parameter outside the space whose value is not the vocabulary's
    ``absent_value`` (the value :func:`anodelab.kb.recipes.recipe_vectors` gives a recipe
    without that ingredient), e.g. ``graphite_wt_pct = 90`` when the space has no graphite —
    its measured values would be credited to the wrong recipe.
    """
    absent = {
        name: float(term.derivation["absent_value"])
        for name, term in load_vocabulary().parameters().items()
        if "absent_value" in term.derivation and name not in space_names and name in recipes
    }
    reasons: list[dict[str, Any]] = []
    keep = np.ones(len(recipes), dtype=bool)
    for i, r in enumerate(recipes.to_dict("records")):
        if r.get("kind") in ("blend", "group"):
            keep[i] = False
            reasons.append({"sample": r["sample"], "outcome": "*",
                            "reason": f"a {r['kind']}, not a recipe of this space"})  # fmt: skip
            continue
        for name, value in absent.items():
            given = r[name]
            if given is None or (isinstance(given, float) and np.isnan(given)):
                continue
            if float(given) != value:
                keep[i] = False
                reasons.append({"sample": r["sample"], "outcome": "*",
                                "reason": f"recipe has {name}={float(given):g}, which this space does not vary"})  # fmt: skip
                break
    return recipes[keep].reset_index(drop=True), pd.DataFrame(
        reasons, columns=["sample", "outcome", "reason"]
    )


def _unique_sample_keys(
    recipes: pd.DataFrame, measurements: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Make sample labels unique across sources (``Si [lee2025]``) so recipes join the right values."""
    counts = recipes.groupby("sample")["source"].nunique()
    shared = set(counts[counts > 1].index)
    if not shared:
        return recipes, measurements

    def rename(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        mask = frame["sample"].isin(shared)
        frame.loc[mask, "sample"] = (
            frame.loc[mask, "sample"] + " [" + frame.loc[mask, "source"] + "]"
        )
        return frame

    return rename(recipes), rename(measurements)


def _name_unmeasured_proposals(missing: pd.DataFrame, proposals: pd.DataFrame) -> pd.DataFrame:
    """A campaign's own recipe without a result is waiting, not unusable: say so (its status)
    instead of "no <property> value", which reads like a KB gap."""
    if missing.empty or proposals.empty:
        return missing
    status = dict(zip(proposals["sample"], proposals["status"], strict=True))
    waiting = missing["sample"].isin(status.keys()) & missing["reason"].str.startswith("no ")
    if waiting.any():
        missing = missing.copy()
        missing.loc[waiting, "reason"] = [
            f"proposal of this campaign ({status[s]}), no result yet"
            for s in missing.loc[waiting, "sample"]
        ]
    return missing


def training_set(
    recipes: pd.DataFrame,
    measurements: pd.DataFrame,
    proposals: pd.DataFrame,
    space: Space,
    objectives: ObjectiveSet,
    pending_statuses: Collection[str],
) -> tuple[Assembled, pd.DataFrame]:
    """The rows the surrogates learn from and the recipes the next batch must not repeat.

    ``recipes`` and ``measurements`` are the whole KB's (a campaign's proposals are samples of
    it, their results measurements); recipes outside the space are left out with the reason
    (:func:`comparable_recipes`).  ``pending`` holds the parameters of proposals whose status is
    in ``pending_statuses``."""
    names = [f.name for f in space.features()]
    recipes, excluded = comparable_recipes(recipes, names)
    if measurements.empty:
        measurements = pd.DataFrame(columns=["sample", "source", "property", "value", "unit"])
    recipes, measurements = _unique_sample_keys(recipes, measurements)
    for name in names:
        if name not in recipes.columns:
            recipes[name] = np.nan
    if "source" in measurements.columns:
        measurements = measurements.drop(columns=["source"])
    training = assemble(recipes, measurements, objectives.outcomes(), space.features())
    if not excluded.empty:
        training.missing = pd.concat([excluded, training.missing], ignore_index=True)
    training.missing = _name_unmeasured_proposals(training.missing, proposals)
    pending = pd.DataFrame(
        [p for p, s in zip(proposals.get("parameters", []), proposals.get("status", []),
                           strict=True) if s in pending_statuses]
    )  # fmt: skip
    return training, pending


def data_version(training: Assembled) -> str:
    """A short hash of the training tables (stored with each proposal)."""
    digest = hashlib.sha256()
    for key in sorted(training.tables):
        digest.update(key.encode())
        digest.update(training.tables[key].to_csv(index=False).encode())
    return digest.hexdigest()[:12]


def _flat(results: pd.DataFrame) -> pd.DataFrame:
    """Results with their conditions (dicts) spread into columns, and ``is_final``: a recorded
    value says so itself (``--cycles`` short of the plan); others count as final."""
    conditions = pd.DataFrame(list(results["conditions"]), index=results.index)
    flat = pd.concat([results.drop(columns=["conditions"]), conditions], axis=1)
    flat["is_final"] = [bool(o.get("is_final", True)) for o in results["options"]]
    return flat


def outcome_results(
    results: pd.DataFrame, outcome: Outcome
) -> tuple[dict[str, float], dict[str, tuple[float, int]], dict[str, int]]:
    """Per sample: the mean of the final values of ``outcome`` at its conditions (over replicate
    cells); for samples without one yet, the partial value with the most cycles (its conditions
    other than ``cycle`` must match) and that cycle count; and the number of final values.

    Conditions match as :func:`~anodelab.optimize.objectives.assemble` matches them."""
    if not len(results):
        return {}, {}, {}
    flat = _flat(results)
    final_rows = flat[matching_rows(flat, outcome) & flat["is_final"].to_numpy()]
    grouped = final_rows.groupby("sample")["value"]
    final = {str(k): float(v) for k, v in grouped.mean().items()}
    replicates = {str(k): int(v) for k, v in grouped.size().items()}
    partial: dict[str, tuple[float, int]] = {}
    if "cycle" in outcome.conditions():
        rows = flat[matching_rows(flat, outcome, skip=("cycle",))]
        rows = rows[~rows["sample"].astype(str).isin(final)]
        for sample, group in rows.groupby("sample"):
            last = (
                group.assign(c=pd.to_numeric(group["cycle"]))
                .sort_values(["c", "measurement_id"])
                .iloc[-1]
            )
            partial[str(sample)] = (float(last["value"]), int(last["c"]))
    return final, partial, replicates


def proposal_complete(results: pd.DataFrame, objectives: ObjectiveSet) -> bool:
    """Whether a proposal is done: every outcome has a final value, and no cell that measured an
    outcome waits on it (a partial value without a final one for that cell)."""
    if not len(results):
        return False
    flat = _flat(results)
    cells = flat["cell"].fillna("").astype(str)
    for outcome in objectives.outcomes():
        final = matching_rows(flat, outcome) & flat["is_final"].to_numpy()
        if not final.any():
            return False
        if "cycle" in outcome.conditions():
            started = matching_rows(flat, outcome, skip=("cycle",))
            if set(cells[started]) - set(cells[final]):
                return False
    return True
