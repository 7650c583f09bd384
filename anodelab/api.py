"""The Python API: ``anodelab.open(path)`` → :class:`KnowledgeBase`.

>>> import anodelab
>>> kb = anodelab.init("/tmp/anodelab-doctest.db")          # doctest: +SKIP
>>> kb.relation("pitch", "ICE").to_frame()                  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlite_utils

from anodelab.export import tidy_frame, write_export
from anodelab.ingest.runs import AnalyzedRun, Progress, RunOptions, import_run
from anodelab.ingest.table_import import ImportReport, import_folder, import_table
from anodelab.kb import query
from anodelab.kb.db import default_db_path, open_db
from anodelab.kb.literature_data import literature_folders
from anodelab.kb.recipes import recipe_vectors
from anodelab.kb.tx import transaction
from anodelab.kb.user_terms import add_user_terms, kb_vocabulary, load_user_terms
from anodelab.kb.write import WriteReport, undo_import
from anodelab.schema.conditions import ConditionSpec
from anodelab.schema.errors import InputError
from anodelab.schema.vocabulary import user_term

if TYPE_CHECKING:
    from anodelab.campaign import Campaign

__all__ = ["KnowledgeBase", "open", "init", "create_campaign"]

Conditions = ConditionSpec | dict[str, Any] | str | list[str] | None


def _spec(conditions: Conditions, extra: dict[str, Any]) -> ConditionSpec | None:
    if conditions is None and not extra:
        return None
    if isinstance(conditions, ConditionSpec):
        base = dict(conditions.values)
        return ConditionSpec({**base, **ConditionSpec.parse(extra).values})
    parsed = ConditionSpec.parse(conditions) if conditions is not None else ConditionSpec()
    return ConditionSpec({**parsed.values, **ConditionSpec.parse(extra).values})


class KnowledgeBase:
    """An open KB file.  Every query returns a pandas DataFrame (units in column names or a unit column)."""

    def __init__(self, db: sqlite_utils.Database, path: Path) -> None:
        self.db = db
        self.path = path

    def __repr__(self) -> str:
        return f"KnowledgeBase({str(self.path)!r})"

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ----------------------------------------------------------------------------
    def sources(self) -> pd.DataFrame:
        """Sources (papers, lab notebooks, lab runs) with DOI and bibliographic data."""
        return query.sources(self.db)

    def samples(self, *, source: str | None = None, family: str | None = None) -> pd.DataFrame:
        """Samples with source, family, kind, parents, group members and number of values."""
        return query.samples(self.db, source=source, family=family)

    def measurements(
        self,
        property: str | None = None,
        *,
        sample: str | None = None,
        source: str | None = None,
        conditions: Conditions = None,
        include_computed: bool = True,
        **at: Any,
    ) -> pd.DataFrame:
        """One row per value; one column per condition in canonical units (``df.attrs["units"]``).

        ``kb.measurements("ICE", source="lee2025")``;
        ``kb.measurements("discharge_capacity", cycle=500, current_density="1 A/g")``.
        """
        return query.measurements(
            self.db, property=property, sample=sample, source=source, conditions=_spec(conditions, at),
            include_computed=include_computed,
        )  # fmt: skip

    def steps(self, sample: str | None = None) -> pd.DataFrame:
        """Process-step parameters of a sample's full recipe (inherited steps first)."""
        return query.steps(self.db, sample=sample)

    def recipe_vectors(self) -> pd.DataFrame:
        """The flat recipe vector: one row per sample, one column per recipe parameter."""
        return recipe_vectors(self.db)

    def relation(
        self,
        parameter: str,
        property: str,
        conditions: Conditions = None,
        *,
        source: str | None = None,
        family: str | None = None,
        cell_type: str | None = None,
        where: dict[str, Any] | list[str] | None = None,
        **at: Any,
    ) -> query.Relation:
        """Relate a recipe parameter to a property at matching conditions (see :func:`anodelab.kb.query.relation`)."""
        return query.relation(
            self.db,
            parameter,
            property,
            _spec(conditions, at),
            source=source,
            family=family,
            cell_type=cell_type,
            where=where,
        )

    def checks(self, status: str | None = None) -> pd.DataFrame:
        """Consistency checks (ICE from capacities, fade from retention, thickness change)."""
        return query.checks(self.db, status=status)

    def imports(self) -> pd.DataFrame:
        """The import ledger: every import with its file hash, status and what it replaced."""
        return query.imports(self.db)

    def export(
        self, path: str | Path | None = None, format: str | None = None, **filters: Any
    ) -> str | None:
        """Tidy export (csv, json, parquet, xlsx) of every value; returns the text when ``path`` is None.

        Without ``format`` the format follows ``path``'s suffix (csv when ``path`` is None); a
        ``format`` that contradicts the suffix is an error."""
        return write_export(tidy_frame(self.measurements(**filters)), path, format)

    # -- campaigns --------------------------------------------------------------------------
    def campaigns(self) -> pd.DataFrame:
        """Every optimization campaign with its number of proposals and of done ones."""
        from anodelab.kb.campaigns import list_campaigns

        return list_campaigns(self.db)

    def campaign(self, name: str | int) -> Campaign:
        """An existing campaign (by name or id): recommend, record, table, plot."""
        from anodelab.campaign import Campaign

        return Campaign(self.db, name)

    def new_campaign(self, path: str | Path, name: str | None = None, seed: int = 0) -> Campaign:
        """Create a campaign from a design-space file (validated) and return it."""
        from anodelab.campaign import Campaign, new_campaign

        return Campaign(self.db, new_campaign(self.db, path, name=name, seed=seed)["id"])

    def record(self, proposal: int | str, *values: str, **options: Any) -> list[dict[str, Any]]:
        """Record ``PROPERTY=VALUE[unit]`` results of a proposal (by name, ``pitch1-p1``, or id)
        as measurements of its sample; see :func:`anodelab.campaign_record.record` for
        ``at``, ``cycles_completed``, ``cycles_planned``, ``note``, ``cell``."""
        from anodelab.campaign_record import record

        return record(self.db, proposal, list(values), **options)

    def set_status(
        self, proposal: int | str, status: str, note: str | None = None
    ) -> dict[str, Any]:
        """Mark a proposal running, abandoned or proposed (:func:`anodelab.campaign.set_status`)."""
        from anodelab.campaign_record import set_status

        return set_status(self.db, proposal, status, note)

    def import_run(
        self,
        files: str | Path | list[str | Path],
        kind: str,
        *,
        sample: str | None = None,
        proposal: int | str | None = None,
        source: str = "lab",
        cell_label: str | None = None,
        options: RunOptions | None = None,
        progress: Progress | None = None,
    ) -> tuple[AnalyzedRun, WriteReport, list[dict[str, Any]]]:
        """Analyze raw cycler/EIS/GITT/CV files and store the metrics as measurements of
        ``sample`` (of ``source``), or — with ``proposal`` — of that campaign proposal's sample,
        its status settled in the same transaction.  Returns the run, the import report and the
        campaign objectives' values the run measured (empty without ``proposal``)."""
        from anodelab.campaign_record import import_run_for_proposal

        paths = files if isinstance(files, list) else [files]
        if proposal is not None:
            if sample is not None or source != "lab":
                raise InputError(
                    "--proposal files the run under the proposal's sample and campaign;"
                    " leave out --sample and --source"
                )
            return import_run_for_proposal(
                self.db, paths, kind, proposal, options=options, cell=cell_label, progress=progress
            )
        if sample is None:
            raise InputError("give --sample LABEL (or --proposal of a campaign)")
        run, report = import_run(
            self.db, paths, kind, sample=sample, source=source, options=options,
            cell_label=cell_label, progress=progress,
        )  # fmt: skip
        return run, report, []

    def fit(self, property: str, at: list[str] | None = None, **options: Any) -> dict[str, Any]:
        """Cross-validate a surrogate for ``property`` on the KB's recipes, literature and lab
        results alike (:func:`anodelab.fit.fit_report`)."""
        from anodelab.fit import fit_report

        return fit_report(self.db, property, at, **options)

    # -- writing ----------------------------------------------------------------------------
    def import_table(self, path: str | Path, **options: Any) -> ImportReport:
        """Import one table (see :func:`anodelab.ingest.table_import.import_table`)."""
        return import_table(self.db, path, **options)

    def import_folder(self, folder: str | Path) -> list[ImportReport]:
        """Import a folder of documented-layout tables (sources, samples, steps, cells, measurements)."""
        return import_folder(self.db, folder)

    def add_term(
        self,
        name: str,
        kind: str,
        unit: str | None = None,
        *,
        synonyms: list[str] | tuple[str, ...] = (),
        description: str = "",
        min: float | None = None,
        max: float | None = None,
        value_kind: str = "number",
        step_type: str | None = None,
        added_by: str = "api",
    ) -> bool:
        """Add a user vocabulary term to this KB (stored in the file; every command sees it).

        ``kb.add_term("plateau_capacity_x", "property", "mA h g-1", synonyms=["Q plateau"])``.
        Returns ``False`` when the same term was already there; raises ``InputError`` on a clash
        or a unit pint cannot read.  See :func:`anodelab.schema.vocabulary.user_term`.
        """
        term = user_term(
            name,
            kind,
            unit,
            synonyms=synonyms,
            description=description,
            min=min,
            max=max,
            value_kind=value_kind,
            step_type=step_type,
        )
        return bool(add_user_terms(self.db, [term], added_by=added_by))

    def vocabulary(self) -> pd.DataFrame:
        """The KB's vocabulary (shipped terms plus its user terms) with an ``origin`` column."""
        user = {(t.kind, t.name) for t in load_user_terms(self.db)}
        frame = pd.DataFrame(kb_vocabulary(self.db).records())
        frame.insert(
            2,
            "origin",
            [
                "user" if (k, n) in user else "shipped"
                for k, n in zip(frame["kind"], frame["name"], strict=True)
            ],
        )
        return frame

    def undo_import(self, import_id: int) -> int | None:
        """Remove everything one import wrote; undoing a replacement brings back the version it
        replaced and returns that version's import id."""
        return undo_import(self.db, import_id)


def open(
    path: str | os.PathLike[str] | None = None, *, readonly: bool = False, create: bool = False
) -> KnowledgeBase:  # noqa: A001
    """Open a KB file (default ``$ANODELAB_DB`` or ``./anodelab.db``)."""
    db_path = Path(path) if path is not None else default_db_path()
    return KnowledgeBase(open_db(db_path, readonly=readonly, create=create), db_path)


def init(
    path: str | os.PathLike[str] | None = None,
    *,
    literature: bool = True,
    progress: Callable[[str, ImportReport], None] | None = None,
) -> KnowledgeBase:
    """Create (or update) a KB holding the shipped literature (``literature=False``: an empty KB,
    schema and vocabulary only); re-running it is idempotent.  The literature is imported in one
    transaction: a killed ``init`` leaves the KB as it was."""
    db_path = Path(path) if path is not None else default_db_path()
    kb = KnowledgeBase(open_db(db_path, create=True), db_path)
    if literature:
        # one transaction (each table a savepoint): killed half-way, init leaves the KB as it
        # was, never with one paper's samples but not its values
        with transaction(kb.db):
            for folder in literature_folders():
                for report in import_folder(kb.db, folder):
                    if progress is not None:
                        progress(folder.name, report)
    return kb


def create_campaign(
    path: str | os.PathLike[str] | None,
    space_file: str | Path,
    name: str | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Create a campaign from ``space_file`` in the KB at ``path`` — made empty if missing, but
    only once the file has been checked: a refused campaign file writes nothing, no KB file
    included.  Returns the campaign (``id``, ``name``, ``size``, ``parameters``, …)."""
    from anodelab.campaign import new_campaign
    from anodelab.optimize.campaign_file import read_campaign_file

    db_path = Path(path) if path is not None else default_db_path()
    if not db_path.exists():  # refuse a bad file before a KB file is made for it
        read_campaign_file(space_file, name)  # (an existing KB's own terms count once it is open)
    with open(db_path, create=True) as kb:
        return new_campaign(kb.db, space_file, name=name, seed=seed)
