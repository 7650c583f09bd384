"""Closing the campaign loop: results of a proposal into the graph, and its status.

``record`` writes hand-measured values, ``import_run_for_proposal`` analyzes raw cycler files:
both store measurements of the proposal's sample (:mod:`anodelab.kb.lab_results`) and settle
the proposal's status in the same transaction — a crash leaves all or nothing, and a re-run
completes what an older release left half done.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import sqlite_utils

from anodelab.ingest.runs import AnalyzedRun, Progress, RunOptions, analyze_files, store_run
from anodelab.kb import campaigns as store
from anodelab.kb.lab_results import campaign_source_key, cell_label, record_value
from anodelab.kb.tx import transaction
from anodelab.kb.write import WriteReport
from anodelab.optimize.objectives import ObjectiveSet, objectives_from_dict, parse_quantity_text
from anodelab.optimize.training import outcome_results, proposal_complete
from anodelab.schema.errors import InputError, UnknownNameError
from anodelab.schema.vocabulary import load_vocabulary

__all__ = [
    "parse_assignment",
    "record",
    "import_run_for_proposal",
    "set_status",
    "proposal_sample",
]


def parse_assignment(text: str, kind: str = "property") -> tuple[str, float | str, str | None]:
    """``"ICE=85%"`` → ``("initial_coulombic_efficiency", 85.0, "percent")`` (canonical unit)."""
    name, sep, raw = text.partition("=")
    if not sep or not name.strip() or not raw.strip():
        raise InputError(
            f"expected NAME=VALUE[unit], got {text!r} (e.g. discharge_capacity=1050mAh/g)"
        )
    try:
        term = load_vocabulary().get(kind, name.strip())  # type: ignore[arg-type]
    except UnknownNameError as exc:
        raise InputError(f"{text!r}: {exc}") from exc
    if not term.is_numeric:
        return term.name, raw.strip(), None
    value, unit = parse_quantity_text(raw.strip())
    if unit is None and term.unit == "percent" and 0 < abs(value) <= 1:
        raise InputError(
            f"{text!r}: {value:g} without a unit reads as {value:g} %, which looks like a fraction;"
            f" write {term.name}={value * 100:g}% (or {value:g}% if you mean {value:g} %)"
        )
    canonical = term.canonical_value(value, unit or term.unit, where={"value": text})
    reason = term.check_range(canonical)
    if reason:
        raise InputError(f"{text!r}: {reason}", value=text)
    return term.name, canonical, term.unit


# Conditions a value of the property has by its definition, stated as the analyzers state them
# (echem: ICE is stored at cycle = 1), so a recorded ICE and an analyzed one of the same
# proposal are values at the same conditions (relate pairs them instead of asking to pin cycle).
_IMPLIED: dict[str, dict[str, float]] = {"initial_coulombic_efficiency": {"cycle": 1.0}}


def _objectives(db: sqlite_utils.Database, campaign_id: int) -> ObjectiveSet:
    return objectives_from_dict(store.get_campaign(db, campaign_id)["objectives"])


def _settle(
    db: sqlite_utils.Database, found: dict[str, Any], objectives: ObjectiveSet, note: str
) -> None:
    """Set the proposal running, or done once every outcome has its final result."""
    res = store.results(db, found["campaign_id"])
    res = res[res["proposal_id"] == found["id"]]
    store.settle_status(db, found["id"], proposal_complete(res, objectives), note)


def record(
    db: sqlite_utils.Database,
    proposal: int | str,
    assignments: list[str],
    at: list[str] | None = None,
    *,
    cycles_completed: int | None = None,
    cycles_planned: int | None = None,
    note: str | None = None,
    cell: str | None = None,
) -> list[dict[str, Any]]:
    """Record measured values for a proposal: measurements of its sample (``origin =
    recorded``).  Conditions default to the campaign objective's (``cycle`` becomes
    ``cycles_completed`` for a partial long-cycling result).  ``cell`` names the replicate cell:
    values of different cells are replicates (all used, averaged in the table), the same cell
    again updates its value (the version counts up; earlier values are kept with it).  Every
    value is checked before any is written; all are written, and the status settled, in one
    transaction that begins before the proposal's status is read."""
    given = dict(parse_assignment(a, "condition")[:2] for a in (at or []))
    parsed = [parse_assignment(text) for text in assignments]
    out = []
    with transaction(db):
        found = store.find_proposal(db, proposal)
        objectives = _objectives(db, found["campaign_id"])
        for prop, value, unit in parsed:
            conditions, planned, final = _result_conditions(
                prop, objectives, given, cycles_completed, cycles_planned
            )
            provenance = {"campaign": found["campaign"], "proposal": found["sample"],
                          "is_final": final,
                          "cycles_completed": cycles_completed, "cycles_planned": planned}  # fmt: skip
            _, version = record_value(
                db, sample_id=found["sample_id"], property=prop, value=float(value), unit=unit,
                conditions=conditions, cell=cell, note=note,
                provenance={k: v for k, v in provenance.items() if v is not None},
            )  # fmt: skip
            out.append({"proposal": str(proposal), "property": prop, "value": value, "unit": unit,
                        "conditions": conditions, "is_final": final, "version": version,
                        "cell": cell})  # fmt: skip
        _settle(db, found, objectives, f"{', '.join(p for p, _, _ in parsed)} recorded")
    return out


def _result_conditions(
    prop: str,
    objectives: ObjectiveSet,
    given: dict[str, Any],
    cycles_completed: int | None,
    cycles_planned: int | None,
) -> tuple[dict[str, Any], int | None, bool]:
    """Conditions, planned cycles and finality of one recorded value: the objective's conditions
    unless ``given``; a partial long-cycling result is stored at ``cycle = cycles_completed`` and
    is final once the planned cycles (default: the objective's cycle) are reached."""
    outcomes = [o for o in objectives.outcomes() if o.property == prop]
    conditions = dict(_IMPLIED.get(prop, {}))
    conditions.update(dict(outcomes[0].at) if len(outcomes) == 1 and not given else {})
    conditions.update(given)
    planned = cycles_planned
    if planned is None and cycles_completed is not None and "cycle" in conditions:
        planned = int(conditions["cycle"])
    if cycles_completed is not None and "cycle" in conditions:
        conditions["cycle"] = float(cycles_completed)
    final = planned is None or cycles_completed is None or cycles_completed >= planned
    return conditions, planned, final


def import_run_for_proposal(
    db: sqlite_utils.Database,
    files: Sequence[str | Path],
    kind: str,
    proposal: int | str,
    *,
    options: RunOptions | None = None,
    cell: str | None = None,
    progress: Progress | None = None,
) -> tuple[AnalyzedRun, WriteReport, list[dict[str, Any]]]:
    """Analyze raw files of one cell of ``proposal`` and store the metrics as measurements of the
    proposal's sample (source ``campaign:<name>``, cell ``<sample> | <cell or file name>``).

    The import and the proposal's status change are one transaction; re-running the same files
    changes nothing but settles the status if an older release stored the values without it.
    Returns the run, the import report and the objectives' values this import measured (final,
    or partial below the objective's cycle)."""
    run = analyze_files(files, kind, options, progress=progress)  # before taking the write lock
    with transaction(db):
        found = store.find_proposal(db, proposal)
        sample = found["sample"]
        report = store_run(
            db, run, sample=sample, source=campaign_source_key(found["campaign"]),
            cell_label=cell_label(sample, cell or run.files[0].name),
        )  # fmt: skip
        objectives = _objectives(db, found["campaign_id"])
        res = store.results(db, found["campaign_id"])
        res = res[(res["proposal_id"] == found["id"]) & (res["import_id"] == report.import_id)]
        measured = _measured_outcomes(res, objectives)
        if measured:
            _settle(db, found, objectives, f"import {report.import_id} ({kind})")
    return run, report, measured


def _measured_outcomes(res: pd.DataFrame, objectives: ObjectiveSet) -> list[dict[str, Any]]:
    """The objectives' values among ``res``: final ones, else the partial one with most cycles."""
    out: list[dict[str, Any]] = []
    for outcome in objectives.outcomes():
        final, partial, _ = outcome_results(res, outcome)
        for sample, value in final.items():
            out.append({"property": outcome.property, "value": value, "unit": outcome.unit,
                        "conditions": outcome.conditions(), "is_final": True, "sample": sample})  # fmt: skip
        for sample, (value, cycles) in partial.items():
            out.append({"property": outcome.property, "value": value, "unit": outcome.unit,
                        "conditions": {**outcome.conditions(), "cycle": float(cycles)},
                        "is_final": False, "sample": sample})  # fmt: skip
    return out


def proposal_sample(db: sqlite_utils.Database, proposal: int | str) -> str:
    """The sample name of a proposal (``demo-p3``), given its id or name."""
    return str(store.find_proposal(db, proposal)["sample"])


def set_status(
    db: sqlite_utils.Database, proposal: int | str, status: str, note: str | None = None
) -> dict[str, Any]:
    """Mark a proposal ``running`` (synthesis or cycling started), ``abandoned`` (it will not be
    measured: the note says why) or back to ``proposed``.  ``done`` follows from recording final
    results.  Proposed, running and abandoned recipes all count as pending, so the next batch does
    not propose them again (as Ax does with abandoned trials); only results are training data.
    Every change is kept with its note (:func:`campaign_summary` → ``history``)."""
    with transaction(db):  # the read below happens under the write lock
        row = store.find_proposal(db, proposal)
        old, new = store.set_status(db, int(row["id"]), status, note)
    return {"id": int(row["id"]), "sample": str(row["sample"]), "from": old, "to": new,
            "note": note}  # fmt: skip
