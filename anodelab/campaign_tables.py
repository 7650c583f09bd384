"""What a campaign looks like so far: the proposal table (recipe, predicted ± std, measured,
status) and the summary (progress, best result per objective, status history)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import sqlite_utils

from anodelab.kb import campaigns as store
from anodelab.optimize.objectives import objectives_from_dict
from anodelab.optimize.space import space_from_dict
from anodelab.optimize.training import outcome_results
from anodelab.schema.units import unit_label

__all__ = ["proposal_table", "campaign_summary"]


def _state(db: sqlite_utils.Database, campaign: str | int) -> dict[str, Any]:
    snap = store.campaign_snapshot(db, campaign, training=False)
    row = snap["campaign"]
    return snap | {"row": row, "space": space_from_dict(row["space"]),
                   "objectives": objectives_from_dict(row["objectives"])}  # fmt: skip


def proposal_table(db: sqlite_utils.Database, campaign: str | int) -> pd.DataFrame:
    """One row per proposal, for the lab and for Excel: ``id``, ``sample``, ``batch``, ``status``,
    ``strategy``, ``proposed_at``, the recipe (one column per free parameter, canonical units as
    in the parameter names), and per outcome ``KEY predicted [unit]``, ``KEY std [unit]``,
    ``KEY measured [unit]`` (mean over replicate cells of the final results), ``KEY n`` (how
    many) and, while long cycling runs,
    ``KEY partial [unit]`` with ``KEY cycles`` (the newest partial result and its cycle count).
    ``table.attrs["outcomes"]`` maps each KEY to its ``property`` and ``unit`` label."""
    state = _state(db, campaign)
    space, objectives = state["space"], state["objectives"]
    props, res = state["proposals"], state["results"]
    names = [p.name for p in space.free]
    table = pd.DataFrame(
        {"id": props["id"], "sample": props["sample"], "batch": props["batch"],
         "status": props["status"], "strategy": props["strategy"],
         "proposed_at": props["created_at"]}
    )  # fmt: skip
    for name in names:
        table[name] = [p.get(name) for p in props["parameters"]]
    table.attrs["outcomes"] = {}
    for outcome in objectives.outcomes():
        label = unit_label(outcome.unit) if outcome.unit else ""
        key, unit = outcome.key, f" [{label}]" if label else ""
        table.attrs["outcomes"][key] = {"property": outcome.property, "unit": label}
        pred = [p.get(key) or {} for p in props["predictions"]]
        table[f"{key} predicted{unit}"] = [d.get("mean", np.nan) for d in pred]
        table[f"{key} std{unit}"] = [d.get("std", np.nan) for d in pred]
        final, partial, replicates = outcome_results(res, outcome)
        table[f"{key} measured{unit}"] = table["sample"].map(final)
        table[f"{key} n"] = table["sample"].map(replicates).fillna(0).astype(int)
        if partial:
            table[f"{key} partial{unit}"] = table["sample"].map(
                {s: v for s, (v, _) in partial.items()}
            )
            table[f"{key} cycles"] = table["sample"].map({s: c for s, (_, c) in partial.items()})
    return table


def campaign_summary(db: sqlite_utils.Database, campaign: str | int) -> dict[str, Any]:
    """Progress (counts by status), best result per objective, and the measured objective table."""
    state = _state(db, campaign)
    row, space, objectives = state["row"], state["space"], state["objectives"]
    props, res = state["proposals"], state["results"]
    table = (
        pd.DataFrame({"sample": props["sample"]})
        if len(props)
        else pd.DataFrame(columns=["sample"])
    )
    best = {}
    for o in objectives.objectives:
        final, _, _ = outcome_results(res, o.outcome)
        table[o.key] = table["sample"].map(final).astype(float)
        if final:
            s, v = (max if o.sign > 0 else min)(final.items(), key=lambda t: t[1])
            best[o.key] = {"sample": s, "value": float(v), "goal": o.goal,
                           "unit": o.outcome.unit, "label": o.outcome.label}  # fmt: skip
    counts = props["status"].value_counts().to_dict() if len(props) else {}
    return {
        "campaign": row["name"],
        "parameters": space.names,
        "objectives": [o.key for o in objectives.objectives],
        "status_counts": {s: int(counts.get(s, 0)) for s in store.STATUSES},
        "batches": int(props["batch"].max()) if len(props) else 0,
        "best": best,
        "measured": table,
        "proposals": props,
        "goals": [o.goal for o in objectives.objectives],
        "history": state["history"],
    }
