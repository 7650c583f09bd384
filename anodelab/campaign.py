"""The campaign loop: KB ↔ models/optimize.  ``recommend → measure → record → recommend``.

Every function takes an open ``sqlite_utils.Database`` (``anodelab.open(path).db``) and returns
plain data; the CLI (``anodelab.cli.campaign``) renders it.  A proposal is a sample of the KB
(source ``campaign:<name>``) with its recipe as process steps, and its results are
measurements of that sample: the training data is the KB itself.  Recording results:
:mod:`anodelab.campaign_record`; tables and summaries: :mod:`anodelab.campaign_tables`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlite_utils

from anodelab.campaign_record import parse_assignment, proposal_sample, record, set_status
from anodelab.campaign_tables import campaign_summary, proposal_table
from anodelab.jsontext import json_text
from anodelab.kb import campaigns as store
from anodelab.kb.db import transaction
from anodelab.kb.lab_results import campaign_source_key
from anodelab.kb.user_terms import add_user_terms
from anodelab.optimize.campaign_file import read_campaign_file
from anodelab.optimize.design import batch_seed
from anodelab.optimize.objectives import Assembled, ObjectiveSet, objectives_from_dict
from anodelab.optimize.space import Space, space_from_dict
from anodelab.optimize.training import data_version, training_set
from anodelab.schema.units import unit_label
from anodelab.schema.version import __version__
from anodelab.schema.vocabulary import active_user_terms, use_user_terms

if TYPE_CHECKING:
    from anodelab.optimize.records import ProposalSet

# torch, gpytorch and botorch (models.gp, models.kernels, optimize.acquisition, optimize.batch) are
# imported inside the functions that fit or propose: `campaign show`, `record` and `import-run` must
# start as fast as a plain KB read (tests/foundation/test_startup.py, bench/cli_latency.py).

__all__ = [
    "Campaign",
    "new_campaign",
    "load_campaign",
    "training_data",
    "recommend",
    "record",
    "campaign_summary",
    "proposal_table",
    "set_status",
    "parse_assignment",
    "proposal_sample",
]


def new_campaign(
    db: sqlite_utils.Database, path: str | Path, name: str | None = None, seed: int = 0
) -> dict[str, Any]:
    """Validate a campaign file (space + objectives) and store it; returns the campaign."""
    spec = read_campaign_file(path, name)
    before = active_user_terms()
    try:
        with transaction(db):  # the file's own terms and the campaign, or neither
            if spec.terms:
                add_user_terms(db, spec.terms, added_by=f"campaign:{spec.name}")
            store.create_campaign(
                db, spec.name, spec.space.to_dict(candidates=False), spec.objectives.to_dict(),
                seed=seed, settings=spec.settings, candidates=spec.space.candidates,
            )  # fmt: skip
    except BaseException:
        use_user_terms(before)
        raise
    return store.get_campaign(db, spec.name) | {
        "size": spec.space.size(),
        "parameters": spec.space.names,
    }


def load_campaign(
    db: sqlite_utils.Database, campaign: str | int, *, candidates: bool = True
) -> tuple[dict, Space, ObjectiveSet]:
    """The campaign row, its space and objectives.  ``candidates=False`` leaves a candidate table
    out of the space (its parameters stay): only proposing needs the rows, and a 10⁶-row table
    costs seconds to read and check."""
    row = store.get_campaign(db, campaign)
    data = dict(row["space"])
    table = data.pop("candidates", None)
    if candidates and table is not None:
        data["candidates"] = store.candidate_table(db, table) if isinstance(table, dict) else table
    return row, space_from_dict(data), objectives_from_dict(row["objectives"])


def training_data(
    db: sqlite_utils.Database, campaign: str | int
) -> tuple[Assembled, pd.DataFrame, pd.DataFrame]:
    """The KB's recipes ⨝ measurements — literature and this lab's results alike — as the
    campaign's surrogates see them (:func:`anodelab.optimize.training.training_set`).

    Returns the assembled training tables, the pending recipes (:data:`store.PENDING`: proposed,
    running or abandoned — kept out of the next batch) and the campaign's proposals."""
    snap = store.campaign_snapshot(db, campaign)
    row = snap["campaign"]
    training, pending = training_set(
        snap["recipes"], snap["measurements"], snap["proposals"], space_from_dict(row["space"]),
        objectives_from_dict(row["objectives"]), store.PENDING,
    )  # fmt: skip
    return training, pending, snap["proposals"]


def recommend(
    db: sqlite_utils.Database,
    campaign: str | int,
    batch: int = 4,
    *,
    seed: int | None = None,
    budget: str = "default",
    store_proposals: bool = True,
) -> tuple[list[dict[str, Any]], ProposalSet]:
    """Propose ``batch`` recipes, store them as proposals, return the documented JSON records."""
    from anodelab.models.gp import DEFAULT_CATEGORICAL_ENCODING, DEFAULT_KERNEL
    from anodelab.optimize.batch import propose

    row, space, objectives = load_campaign(db, campaign)
    training, pending, props = training_data(db, campaign)
    settings = row["settings"]
    n_batches = int(props["batch"].max()) if len(props) else 0
    seed = batch_seed(row["seed"], n_batches) if seed is None else seed
    transfer = settings.get("transfer", "auto")
    sources = {s for t in training.tables.values() for s in t["source"].astype(str)}
    use_transfer = bool(transfer) and (transfer != "auto" or len(sources) > 1)
    result = propose(
        space,
        objectives,
        training,
        q=batch,
        pending=pending if len(pending) else None,
        seed=seed,
        min_observations=settings.get("min_observations"),
        transfer=use_transfer,
        target_source=campaign_source_key(row["name"]),
        budget=budget,
        acquisition=settings.get("acquisition"),
        model_options=settings.get("model") or None,
        explore_levels=bool(settings.get("explore_levels", True)),
    )
    import botorch

    defaults = {"kernel": DEFAULT_KERNEL, "categorical_encoding": DEFAULT_CATEGORICAL_ENCODING}
    options = defaults | (settings.get("model") or {})
    model_version = (
        f"anodelab {__version__}; botorch {botorch.__version__}; "
        f"GP{' multi-task' if use_transfer else ''} ({options['kernel']}, "
        f"{options['categorical_encoding']} categoricals)"
    )
    data_version_ = data_version(training)
    units = {o.key: o.unit for o in objectives.outcomes()}
    labels = {o.key: o.label for o in objectives.outcomes()}
    improvement_unit = _improvement_unit(objectives)
    for p in result.proposals:
        if {"expected_improvement", "expected_hypervolume_improvement"} & set(p.reasons):
            p.reasons["improvement_unit"] = improvement_unit
    records = [
        {
            "parameters": p.parameters,
            "predictions": {
                k: {**v, "unit": units.get(k), "label": labels.get(k, k)}
                for k, v in p.predictions.items()
            },
            "acquisition_value": p.acquisition_value,
            "strategy": result.strategy,
            "reasons": p.reasons,
            "model_version": model_version,
            "data_version": data_version_,
            "seed": seed,
        }
        for p in result.proposals
    ]
    ids = store.add_proposals(db, row["id"], records) if store_proposals else [None] * len(records)
    samples = {int(p["id"]): p["sample"] for p in _proposal_names(db, ids)}
    out = []
    for pid, rec in zip(ids, records, strict=True):
        out.append(
            {
                "id": pid,
                "sample": samples.get(pid) if pid is not None else None,
                "parameters": rec["parameters"],
                "predictions": rec["predictions"],
                "acquisition_value": rec["acquisition_value"],
                "reasons": rec["reasons"],
                "strategy": result.strategy,
                "message": result.message,
                "model_version": model_version,
                "data_version": data_version_,
                "seed": seed,
            }
        )
    return out, result


def _proposal_names(db: sqlite_utils.Database, ids: list[Any]) -> list[dict[str, Any]]:
    return [store.find_proposal(db, int(pid)) for pid in ids if pid is not None]


def _improvement_unit(objectives: ObjectiveSet) -> str:
    """Unit of an expected improvement: the objective's own unit; for several objectives the
    hypervolume's, the product of their units (e.g. ``mA h g⁻¹ · %``)."""
    return " · ".join(unit_label(o.outcome.unit) or "1" for o in objectives.objectives)


def dumps(records: list[dict[str, Any]]) -> str:
    """JSON text of :func:`recommend` records: standard JSON, NaN → null, as ``recommend --json``
    prints it (:func:`anodelab.jsontext.json_text`)."""
    return json_text(records)


class Campaign:
    """One campaign of an open KB, for notebooks: ``kb.campaign("pitch1")``.

    Each method is one of this module's functions with the KB and campaign filled in:

    >>> kb = anodelab.open("kb.db")                                   # doctest: +SKIP
    >>> pitch1 = kb.new_campaign("examples/spaces/si_c_pitch.yaml")   # doctest: +SKIP
    >>> batch = pitch1.recommend(4)  # doctest: +SKIP
    >>> # batch: a list of {"id", "parameters", "predictions", "reasons"}
    >>> pitch1.record(batch[0]["id"], "discharge_capacity=1050mAh/g", "ICE=84%")  # doctest: +SKIP
    >>> pitch1.set_status(batch[1]["id"], "abandoned", note="coating cracked")    # doctest: +SKIP
    >>> pitch1.table()  # recipe, predicted ± std, measured, status  # doctest: +SKIP
    >>> pitch1.plot("front.png")  # Pareto front or progress  # doctest: +SKIP
    """

    def __init__(self, db: sqlite_utils.Database, campaign: str | int) -> None:
        row = store.get_campaign(db, campaign)
        self.db, self.id, self.name = db, int(row["id"]), str(row["name"])

    def __repr__(self) -> str:
        counts = self.summary()["status_counts"]
        done = ", ".join(f"{v} {k}" for k, v in counts.items() if v)
        return f"Campaign({self.name!r}: {done or 'no proposals yet'})"

    def recommend(
        self, batch: int = 4, *, seed: int | None = None, budget: str = "default"
    ) -> list[dict[str, Any]]:
        """The next ``batch`` recipes, stored as proposals (see :func:`recommend`)."""
        records, _ = recommend(self.db, self.id, batch, seed=seed, budget=budget)
        return records

    def recommend_with_result(
        self, batch: int = 4, *, seed: int | None = None, budget: str = "default"
    ) -> tuple[list[dict[str, Any]], ProposalSet]:
        """:meth:`recommend`, with the optimizer's :class:`ProposalSet` (strategy, message,
        samples it could not use) beside the records."""
        return recommend(self.db, self.id, batch, seed=seed, budget=budget)

    def record(self, proposal: int | str, *values: str, **options: Any) -> list[dict[str, Any]]:
        """Record ``PROPERTY=VALUE[unit]`` results for a proposal; ``options`` are those of
        :func:`record`: ``at``, ``cycles_completed``, ``cycles_planned``, ``note``, ``cell``."""
        return record(self.db, proposal, list(values), **options)

    def set_status(
        self, proposal: int | str, status: str, note: str | None = None
    ) -> dict[str, Any]:
        """Mark a proposal running, abandoned or proposed (see :func:`set_status`)."""
        return set_status(self.db, proposal, status, note)

    def table(self) -> pd.DataFrame:
        """One row per proposal (see :func:`proposal_table`)."""
        return proposal_table(self.db, self.id)

    def summary(self) -> dict[str, Any]:
        """Status counts, best result per objective, measured table (see :func:`campaign_summary`)."""
        return campaign_summary(self.db, self.id)

    def history(self) -> pd.DataFrame:
        """Every status change with its note and time."""
        return store.status_history(self.db, self.id)

    def plot(self, path: str | Path | None = None):
        """The Pareto front (two or more objectives) or best-so-far progress; returns the figure."""
        from anodelab.plots.optimization import plot_pareto, plot_progress

        s = self.summary()
        if len(s["objectives"]) >= 2:
            return plot_pareto(s["measured"], s["objectives"], s["goals"], path)
        return plot_progress(s["measured"], s["objectives"][0], s["goals"][0], path)

    def _repr_html_(self) -> str:
        return f"<b>{self.name}</b>" + self.table().to_html(index=False, na_rep="")
