"""Writing a :class:`~anodelab.schema.records.Bundle` to the KB: one transaction, idempotent.

An import is identified by its *dataset* key (``"<source>:<file name>"``).  Writing the same
content again changes nothing; writing changed content replaces the previous version of that
dataset and reports what changed.  Samples and cells are kept by their natural keys (source,
label) so that values imported from other files keep pointing at them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from anodelab.kb.checks import run_checks
from anodelab.kb.db import inserted_id, transaction
from anodelab.kb.recipes import RECIPE_TABLE, materialize_recipe_vectors
from anodelab.schema.errors import AnodelabError, suggest
from anodelab.schema.records import (
    Bundle,
    MeasurementRecord,
    Problem,
    StepParameterRecord,
    bundle_from_json,
    bundle_to_json,
    step_parameter_key,
    step_value_difference,
)
from anodelab.schema.validation import validate_bundle

__all__ = ["WriteReport", "ImportRejected", "write_bundle", "undo_import", "measurement_key"]


class ImportRejected(AnodelabError):
    """An import had errors; nothing was written.  ``problems`` lists every one."""

    def __init__(self, problems: list[Problem], dataset: str = "", *, what: str = "") -> None:
        """``what`` replaces the lead ``import of <dataset> rejected, nothing was written``."""
        self.problems = problems
        lines = "\n  ".join(str(p) for p in problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        lead = what or f"import of {dataset or 'table'} rejected, nothing was written"
        super().__init__(f"{lead}:\n  {lines}{more}")


@dataclass
class WriteReport:
    """What an import did."""

    dataset: str
    status: str  # "imported" | "unchanged" | "replaced"
    import_id: int | None
    counts: dict[str, int] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    checks: dict[str, int] = field(default_factory=dict)
    note: str = ""  # e.g. "already imported as import 3 from A.csv"

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "status": self.status,
            "note": self.note,
            "import_id": self.import_id,
            "counts": self.counts,
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "warnings": [str(w) for w in self.warnings],
            "checks": self.checks,
        }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def measurement_key(m: MeasurementRecord | dict[str, Any]) -> str:
    """Natural key of a value: sample, property, cell, basis and conditions."""
    if isinstance(m, MeasurementRecord):
        conds = ";".join(f"{k}={v.display()}" for k, v in sorted(m.conditions.items()))
        return f"{m.source}|{m.sample}|{m.property}|{m.cell or ''}|{m.basis or ''}|{conds}"
    return str(m["key"])


def _step_shown(raw_value: str | None, raw_unit: str | None, sp: StepParameterRecord) -> str:
    """A step parameter's value as printed (``700 °C``), else in canonical units."""
    qualifier = "" if sp.qualifier in ("=", None) else f"{sp.qualifier} "
    if raw_value:
        return f"{qualifier}{raw_value} {raw_unit or ''}".strip()
    if sp.text_value is not None:
        return f"{qualifier}{sp.text_value}"
    return qualifier + _display_value(sp.value, sp.value_min, sp.value_max, sp.unit)


def _display_value(value: Any, vmin: Any, vmax: Any, unit: str | None) -> str:
    shown = f"{value:g}" if value is not None else f"{vmin:g}–{vmax:g}" if vmin is not None else "?"
    return f"{shown} {unit or ''}".strip()


def _stored_values(
    db: sqlite_utils.Database, where: str, params: list[Any]
) -> dict[str, tuple[str, int]]:
    """Values in the KB matching ``where`` (on ``m``): natural key → (value as shown, import id)."""
    rows = db.execute(
        f"""
        SELECT m.id, src.key, s.label, m.property, c.label, m.basis, m.value, m.value_min, m.value_max, m.unit,
               m.import_id
        FROM measurements m JOIN samples s ON s.id = m.sample_id JOIN sources src ON src.id = m.source_id
        LEFT JOIN cells c ON c.id = m.cell_id WHERE {where}
        """,
        params,
    ).fetchall()
    out: dict[str, tuple[str, int]] = {}
    for mid, source, sample, prop, cell, basis, value, vmin, vmax, unit, import_id in rows:
        conds = db.execute(
            "SELECT name, value, unit, text_value FROM measurement_conditions WHERE measurement_id = ? ORDER BY name",
            [mid],
        ).fetchall()
        cond_text = ";".join(
            f"{n}={t}" if t is not None else f"{n}={v:g}" + (f" {u}" if u else "")
            for n, v, u, t in conds
        )
        key = f"{source}|{sample}|{prop}|{cell or ''}|{basis or ''}|{cond_text}"
        out[key] = (_display_value(value, vmin, vmax, unit), import_id)
    return out


def _existing_measurements(db: sqlite_utils.Database, import_id: int) -> dict[str, str]:
    """Values one import wrote: natural key → value as shown."""
    return {k: v for k, (v, _) in _stored_values(db, "m.import_id = ?", [import_id]).items()}


def _twin_import(
    db: sqlite_utils.Database, dataset: str, content_sha256: str
) -> tuple[int, str] | None:
    """An active import of another dataset with the same content (a copy under another name)."""
    row = db.execute(
        "SELECT id, COALESCE(file_path, dataset) FROM imports WHERE content_sha256 = ? AND status = 'ok' "
        "AND dataset != ? ORDER BY id LIMIT 1",
        [content_sha256, dataset],
    ).fetchone()
    return (int(row[0]), str(row[1])) if row else None


def _duplicated_values(db: sqlite_utils.Database, bundle: Bundle, import_id: int) -> list[Problem]:
    """Values of ``bundle`` whose natural key another active import already holds.

    A copy of a table under another file name (or a corrected copy) would otherwise store every
    value twice, side by side (1105 and 1125 mA h g⁻¹ for one sample at one condition)."""
    sources = sorted({m.source for m in bundle.measurements})
    if not sources:
        return []
    marks = ", ".join("?" for _ in sources)
    stored = _stored_values(
        db,
        f"src.key IN ({marks}) AND m.import_id IS NOT NULL AND m.import_id != ? "
        "AND m.import_id IN (SELECT id FROM imports WHERE status = 'ok')",
        [*sources, import_id],
    )
    if not stored:
        return []
    names = dict(db.execute("SELECT id, COALESCE(file_path, dataset) FROM imports").fetchall())
    problems = []
    for m in bundle.measurements:
        hit = stored.get(measurement_key(m))
        if hit is None:
            continue
        shown, other = hit
        conds = ", ".join(f"{k}={v.display()}" for k, v in sorted(m.conditions.items()))
        problems.append(
            Problem(
                f"{m.property} of {m.sample!r}{f' at {conds}' if conds else ''}"
                f"{f' in cell {m.cell!r}' if m.cell else ''} is already stored by import {other} "
                f"({names.get(other, '?')}) as {shown}; a corrected copy of that table replaces it "
                f"when imported under the same file name, or `anodelab undo {other}` first",
                file=m.provenance.file,
                row=m.provenance.row,
                column=m.provenance.column,
            )
        )
    return problems


def write_bundle(
    db: sqlite_utils.Database,
    bundle: Bundle,
    *,
    dataset: str,
    content_sha256: str,
    file_path: str | None = None,
    file_sha256: str | None = None,
    importer: str = "anodelab.ingest",
    importer_version: str = "",
    create_missing_samples: bool = False,
    refused: list[Problem] | None = None,
) -> WriteReport:
    """Write ``bundle`` as one import of ``dataset`` (all or nothing).

    ``refused`` are the problems of the rows the importer left out; the ledger (``imports``)
    records how many rows were taken and refused, and why (``refused_json``).

    :raises ImportRejected: when the bundle has errors or references unknown samples/cells.
    """
    errors = bundle.errors + validate_bundle(bundle)
    if errors:
        raise ImportRejected(errors, dataset)
    with transaction(db):
        previous = db.execute(
            "SELECT id, content_sha256 FROM imports WHERE dataset = ? AND status = 'ok' ORDER BY id DESC LIMIT 1",
            [dataset],
        ).fetchone()
        if previous and previous[1] == content_sha256:
            return WriteReport(
                dataset=dataset, status="unchanged", import_id=previous[0], warnings=bundle.warnings
            )
        twin = _twin_import(db, dataset, content_sha256)
        if twin is not None:
            return WriteReport(
                dataset=dataset,
                status="unchanged",
                import_id=twin[0],
                warnings=bundle.warnings,
                note=f"already imported as import {twin[0]} from {twin[1]}",
            )
        old_values = _existing_measurements(db, previous[0]) if previous else {}
        touched = _Touched.before_removal(db, previous[0] if previous else None)
        import_id = inserted_id(
            db.execute(
                """INSERT INTO imports (dataset, source_key, file_path, file_sha256, content_sha256, importer,
               importer_version, started_at, status, replaces_import_id) VALUES (?,?,?,?,?,?,?,?,?,?)""",
                [
                    dataset,
                    bundle.sources[0].key
                    if bundle.sources
                    else (bundle.measurements[0].source if bundle.measurements else None),
                    file_path,
                    file_sha256,
                    content_sha256,
                    importer,
                    importer_version,
                    _now(),
                    "writing",
                    previous[0] if previous else None,
                ],
            )
        )
        writer = _Writer(db, import_id, create_missing_samples)
        if previous:
            writer.remove_import(previous[0], keep_entities=True)
        writer.write(bundle)
        writer.problems += _duplicated_values(db, bundle, import_id)
        if writer.problems:
            raise ImportRejected(writer.problems, dataset)
        writer.settle_steps()
        writer.prune_entities(previous[0] if previous else None)
        if writer.problems:
            raise ImportRejected(writer.problems, dataset)
        checks = touched.recompute(writer, import_id)
        new_values = {
            measurement_key(m): _display_value(m.value, m.value_min, m.value_max, m.unit)
            for m in bundle.measurements
        }
        report = WriteReport(
            dataset=dataset,
            status="replaced" if previous else "imported",
            import_id=import_id,
            counts={
                "sources": len(bundle.sources),
                "samples": len(bundle.samples),
                "step_parameters": len(bundle.steps),
                "cells": len(bundle.cells),
                "measurements": len(bundle.measurements),
            },
            added=sorted(f"{k} = {v}" for k, v in new_values.items() if k not in old_values),
            removed=sorted(f"{k} = {v}" for k, v in old_values.items() if k not in new_values)
            if previous
            else [],
            changed=sorted(
                f"{k}: {old_values[k]} → {v}"
                for k, v in new_values.items()
                if k in old_values and old_values[k] != v
            ),
            warnings=bundle.warnings,
            checks=checks,
        )
        db.execute(
            "INSERT INTO import_bundles (import_id, bundle_json, create_missing_samples) VALUES (?,?,?)",
            [import_id, bundle_to_json(bundle), int(create_missing_samples)],
        )
        if previous:
            db.execute("UPDATE imports SET status = 'replaced' WHERE id = ?", [previous[0]])
        db.execute(
            "UPDATE imports SET status = 'ok', finished_at = ?, n_rows = ?, summary_json = ? WHERE id = ?",
            [_now(), len(bundle), json.dumps(report.to_dict(), ensure_ascii=False), import_id],
        )
        _record_rows(db, import_id, bundle, refused or [])
        return report


def _record_rows(
    db: sqlite_utils.Database, import_id: int, bundle: Bundle, refused: list[Problem]
) -> None:
    """Rows taken and refused, in the ledger (columns added by ``kb.db._migrate_ledger_rows``)."""
    taken = {
        r.provenance.row
        for group in (bundle.samples, bundle.steps, bundle.cells, bundle.measurements)
        for r in group
        if r.provenance.row is not None
    }
    refused_rows = {p.row for p in refused if p.row is not None}
    reasons = [
        {"row": p.row, "column": p.column, "value": p.value, "reason": p.message} for p in refused
    ]
    db.execute(
        "UPDATE imports SET rows_taken = ?, rows_refused = ?, refused_json = ? WHERE id = ?",
        [len(taken), len(refused_rows), json.dumps(reasons, ensure_ascii=False), import_id],
    )


def undo_import(db: sqlite_utils.Database, import_id: int) -> int | None:
    """Remove everything one import wrote; undoing a replacement brings back the version it replaced.

    :returns: the id of the import made current again, or None.
    :raises AnodelabError: when other imports still use its samples or cells, or when the
        replaced version's rows were not kept (imported before schema version 2).
    """
    with transaction(db):
        row = db.execute(
            "SELECT status, replaces_import_id FROM imports WHERE id = ?", [import_id]
        ).fetchone()
        if row is None:
            raise AnodelabError(f"no import with id {import_id}")
        if row[0] != "ok":
            raise AnodelabError(f"import {import_id} is {row[0]}, not active; nothing to undo")
        replaced = _replaced_version(db, import_id, row[1])
        touched = _Touched.before_removal(db, import_id)
        if replaced is None:
            writer = _Writer(db, import_id, False)
            writer.remove_import(import_id, keep_entities=False)
        else:
            writer = _restore(db, import_id, *replaced)
        if writer.problems:
            raise ImportRejected(
                writer.problems, what=f"undo of import {import_id} refused, nothing was changed"
            )
        db.execute(
            "UPDATE imports SET status = 'undone', finished_at = ? WHERE id = ?",
            [_now(), import_id],
        )
        if replaced is not None:
            db.execute("UPDATE imports SET status = 'ok' WHERE id = ?", [replaced[0]])
        touched.recompute(writer, replaced[0] if replaced is not None else None)
        return replaced[0] if replaced is not None else None


_RECIPE_TABLES = ("samples", "step_parameters", "sample_parents", "group_members")


def _has_recipe_rows(db: sqlite_utils.Database, import_id: int) -> bool:
    """Whether an import wrote samples, their links or process-step parameters (what recipe
    vectors are made of; values and cells are not)."""
    return any(
        db.execute(f"SELECT 1 FROM {table} WHERE import_id = ? LIMIT 1", [import_id]).fetchone()
        for table in _RECIPE_TABLES
    )


def _samples_of(db: sqlite_utils.Database, column: str, ids: list[int]) -> set[int]:
    """Samples of the stated values whose ``column`` (import_id, cell_id) is one of ``ids``."""
    if not ids:
        return set()
    rows = db.execute(
        f"SELECT DISTINCT sample_id FROM measurements WHERE {column} IN "
        "(SELECT value FROM json_each(?))",
        [json.dumps(ids)],
    ).fetchall()
    return {int(r[0]) for r in rows}


@dataclass
class _Touched:
    """What one import (or undo) changed, so that checks and recipe vectors are recomputed for
    that and nothing else: an import's cost follows its rows, not the KB's."""

    db: sqlite_utils.Database
    samples: set[int]
    recipes: bool

    @classmethod
    def before_removal(cls, db: sqlite_utils.Database, removed_import: int | None) -> _Touched:
        """Note what the import about to be removed or replaced held (its rows go first)."""
        if removed_import is None:
            return cls(db, set(), False)
        return cls(
            db,
            _samples_of(db, "import_id", [removed_import]),
            _has_recipe_rows(db, removed_import),
        )

    def recompute(self, writer: _Writer, written_import: int | None) -> dict[str, int]:
        """Checks of the touched samples; recipe vectors only when recipe rows changed."""
        samples = self.samples | writer.touched_samples
        samples |= _samples_of(self.db, "cell_id", sorted(writer.touched_cells))
        if written_import is not None:
            samples |= _samples_of(self.db, "import_id", [written_import])
            self.recipes = self.recipes or _has_recipe_rows(self.db, written_import)
        checks = run_checks(self.db, samples)
        if self.recipes or RECIPE_TABLE not in self.db.table_names():
            materialize_recipe_vectors(self.db)
        return checks


def _replaced_version(
    db: sqlite_utils.Database, import_id: int, replaced_id: int | None
) -> tuple[int, Bundle, bool] | None:
    """The version ``import_id`` replaced (id, its records, create_missing_samples), or None.

    :raises AnodelabError: when that version's records were not kept: undoing would delete the
        table instead of going back to it."""
    if replaced_id is None:
        return None
    status = db.execute("SELECT status FROM imports WHERE id = ?", [replaced_id]).fetchone()
    if status is None or status[0] != "replaced":
        return None
    kept = db.execute(
        "SELECT bundle_json, create_missing_samples FROM import_bundles WHERE import_id = ?",
        [replaced_id],
    ).fetchone()
    if kept is None:
        raise AnodelabError(
            f"import {import_id} replaced import {replaced_id}, whose rows were not kept (it was "
            f"imported before anodelab kept them); undoing {import_id} would delete the table "
            f"instead of going back to import {replaced_id}, so it is refused: re-import the "
            f"earlier file under the same name to go back"
        )
    return replaced_id, bundle_from_json(kept[0]), bool(kept[1])


def _restore(
    db: sqlite_utils.Database,
    import_id: int,
    replaced_id: int,
    bundle: Bundle,
    create_missing_samples: bool,
) -> _Writer:
    """Replace import ``import_id``'s rows by those of the version it replaced (same machinery
    as a new version replacing an old one, the other way round; the rows carry ``replaced_id``)."""
    writer = _Writer(db, replaced_id, create_missing_samples)
    writer.remove_import(import_id, keep_entities=True)
    writer.write(bundle)
    writer.problems += _duplicated_values(db, bundle, replaced_id)
    if writer.problems:
        return writer
    writer.settle_steps()
    writer.prune_entities(import_id)
    return writer


class _Writer:
    """Resolves labels to ids and inserts rows for one import."""

    def __init__(
        self, db: sqlite_utils.Database, import_id: int, create_missing_samples: bool
    ) -> None:
        self.db = db
        self.import_id = import_id
        self.create_missing_samples = create_missing_samples
        self.problems: list[Problem] = []
        self.touched_samples: set[int] = set()
        self.touched_cells: set[int] = set()
        self.touched_sources: set[int] = set()

    # -- removal --------------------------------------------------------------------------
    def remove_import(self, import_id: int, *, keep_entities: bool) -> None:
        db = self.db
        db.execute(
            "DELETE FROM measurement_conditions WHERE measurement_id IN (SELECT id FROM measurements WHERE import_id = ?)",
            [import_id],
        )
        db.execute(
            "DELETE FROM checks WHERE measurement_id IN (SELECT id FROM measurements WHERE import_id = ?)",
            [import_id],
        )
        db.execute("DELETE FROM measurements WHERE import_id = ?", [import_id])
        db.execute("DELETE FROM step_parameters WHERE import_id = ?", [import_id])
        self.settle_steps()
        db.execute("DELETE FROM sample_parents WHERE import_id = ?", [import_id])
        db.execute("DELETE FROM group_members WHERE import_id = ?", [import_id])
        if not keep_entities:
            self._delete_unused_entities(
                import_id, keep=set(), keep_cells=set(), keep_sources=set()
            )

    def settle_steps(self) -> None:
        """Drop process steps no parameter uses; give a step the import whose parameters use it.

        A step is created by the first import that gives one of its parameters; another import
        may add parameters to it.  Undoing the first import left the step behind, owned by an
        undone import, and the sample it belongs to could never be removed ("still used by 2
        row(s) of other imports")."""
        self.db.execute(
            "DELETE FROM process_steps WHERE id NOT IN (SELECT step_id FROM step_parameters)"
        )
        self.db.execute(
            """UPDATE process_steps SET import_id =
                   (SELECT MIN(sp.import_id) FROM step_parameters sp WHERE sp.step_id = process_steps.id)
               WHERE import_id IS NULL OR import_id NOT IN
                   (SELECT sp.import_id FROM step_parameters sp WHERE sp.step_id = process_steps.id)"""
        )

    def prune_entities(self, previous_import_id: int | None) -> None:
        """Drop samples/cells the previous version of this dataset defined and this one does not."""
        if previous_import_id is None:
            return
        self._delete_unused_entities(
            previous_import_id,
            keep=self.touched_samples,
            keep_cells=self.touched_cells,
            keep_sources=self.touched_sources,
            adopt_used=True,
        )
        # Entities the previous version defined and this one re-defined now belong to this import.

    # Entities other rows point at: what uses them, and what goes with them when they go.
    _ENTITIES = (
        ("cell", "cells", ("SELECT COUNT(*) FROM measurements WHERE cell_id = ?",), ()),
        (
            "sample",
            "samples",
            (
                "SELECT COUNT(*) FROM measurements WHERE sample_id = ?",
                "SELECT COUNT(*) FROM process_steps WHERE sample_id = ?",
                "SELECT COUNT(*) FROM cells WHERE sample_id = ?",
                "SELECT COUNT(*) FROM sample_parents WHERE parent_id = ?",
                "SELECT COUNT(*) FROM group_members WHERE member_id = ?",
            ),
            (
                "DELETE FROM sample_parents WHERE sample_id = ?",
                "DELETE FROM group_members WHERE group_id = ?",
            ),
        ),
        (  # last: the samples, cells and values above point at their source
            "source",
            "sources",
            (
                "SELECT COUNT(*) FROM samples WHERE source_id = ?",
                "SELECT COUNT(*) FROM cells WHERE source_id = ?",
                "SELECT COUNT(*) FROM measurements WHERE source_id = ?",
            ),
            (),
        ),
    )

    def _delete_unused_entities(
        self,
        import_id: int,
        keep: set[int],
        keep_cells: set[int],
        keep_sources: set[int],
        *,
        adopt_used: bool = False,
    ) -> None:
        """Delete the cells, samples and sources an import defined, unless still used by other
        imports.

        Undoing an import whose samples other imports still use is refused.  When a new version
        of the dataset replaces ``import_id`` (``adopt_used``), a sample or cell that is still
        used by the new version's rows (a run re-analysed with other options names its sample
        without re-defining it) is kept and now belongs to the new import.  One only other
        imports use is still refused: the new version dropped what they point at."""
        db = self.db
        for kind, table, usages, cleanups in self._ENTITIES:
            kept = {"cell": keep_cells, "source": keep_sources}.get(kind, keep)
            rows = db.execute(
                f"SELECT id, {'key' if table == 'sources' else 'label'} FROM {table} WHERE import_id = ?",
                [import_id],
            ).fetchall()
            for entity_id, label in rows:
                if entity_id in kept:
                    continue
                used = sum(db.execute(sql, [entity_id]).fetchone()[0] for sql in usages)
                if used and adopt_used and self._uses(kind, entity_id):
                    db.execute(
                        f"UPDATE {table} SET import_id = ? WHERE id = ?",
                        [self.import_id, entity_id],
                    )
                    continue
                if used and kind == "source":
                    # a source several imports file their rows under (lab runs of one lab):
                    # the earliest import still using it owns it now, and takes it when undone
                    heir = db.execute(
                        "SELECT MIN(import_id) FROM (SELECT import_id FROM samples WHERE source_id = ?1"
                        " UNION SELECT import_id FROM cells WHERE source_id = ?1"
                        " UNION SELECT import_id FROM measurements WHERE source_id = ?1)",
                        [entity_id],
                    ).fetchone()[0]
                    db.execute("UPDATE sources SET import_id = ? WHERE id = ?", [heir, entity_id])
                    continue
                if used:
                    self.problems.append(
                        Problem(
                            f"{kind} {label!r} is still used by {used} row(s) of other imports; remove those first"
                        )
                    )
                    continue
                for sql in cleanups:
                    db.execute(sql, [entity_id])
                db.execute(f"DELETE FROM {table} WHERE id = ?", [entity_id])

    def _uses(self, kind: str, entity_id: int) -> bool:
        """Whether this import's own rows point at the sample or cell ``entity_id``."""
        usages = {
            "cell": ("SELECT COUNT(*) FROM measurements WHERE cell_id = ? AND import_id = ?",),
            "source": (
                "SELECT COUNT(*) FROM samples WHERE source_id = ? AND import_id = ?",
                "SELECT COUNT(*) FROM cells WHERE source_id = ? AND import_id = ?",
                "SELECT COUNT(*) FROM measurements WHERE source_id = ? AND import_id = ?",
            ),
        }.get(
            kind,
            (
                "SELECT COUNT(*) FROM measurements WHERE sample_id = ? AND import_id = ?",
                "SELECT COUNT(*) FROM cells WHERE sample_id = ? AND import_id = ?",
                "SELECT COUNT(*) FROM process_steps WHERE sample_id = ? AND import_id = ?",
            ),
        )
        return any(
            self.db.execute(sql, [entity_id, self.import_id]).fetchone()[0] for sql in usages
        )

    # -- lookup ---------------------------------------------------------------------------
    def source_id(self, key: str, problem_at: Problem | None = None) -> int | None:
        row = self.db.execute("SELECT id FROM sources WHERE key = ?", [key]).fetchone()
        if row:
            return int(row[0])
        known = [r[0] for r in self.db.execute("SELECT key FROM sources").fetchall()]
        self._problem(
            f"unknown source {key!r}"
            + (
                f"; known sources: {', '.join(known)}"
                if known
                else "; import its sources table first"
            ),
            problem_at,
        )
        return None

    def sample_id(
        self, source_id: int, label: str, problem_at: Problem | None, *, source_key: str
    ) -> int | None:
        row = self.db.execute(
            "SELECT id FROM samples WHERE source_id = ? AND label = ?", [source_id, label]
        ).fetchone()
        if row:
            return int(row[0])
        rows = self.db.execute("SELECT id FROM samples WHERE label = ?", [label]).fetchall()
        if len(rows) == 1:
            return int(rows[0][0])
        if self.create_missing_samples:
            sid = inserted_id(
                self.db.execute(
                    "INSERT INTO samples (source_id, label, kind, import_id) VALUES (?, ?, 'material', ?)",
                    [source_id, label, self.import_id],
                )
            )
            self.touched_samples.add(int(sid))
            return int(sid)
        known = [
            r[0]
            for r in self.db.execute(
                "SELECT label FROM samples WHERE source_id = ?", [source_id]
            ).fetchall()
        ]
        hint = suggest(label, known)
        self._problem(
            f"unknown sample {label!r} in source {source_key!r}"
            + (
                f"; did you mean {', '.join(repr(h) for h in hint)}?"
                if hint
                else "; define it in a samples table first"
            ),
            problem_at,
        )
        return None

    def _problem(self, message: str, at: Problem | None) -> None:
        if at is None:
            self.problems.append(Problem(message))
        else:
            self.problems.append(
                Problem(message, file=at.file, row=at.row, column=at.column, value=at.value)
            )

    # -- writing --------------------------------------------------------------------------
    def write(self, bundle: Bundle) -> None:
        for src in bundle.sources:
            self._write_source(src)
        for sample in bundle.samples:
            self._write_sample(sample)
        for sample in bundle.samples:
            self._write_links(sample)
        for cell in bundle.cells:
            self._write_cell(cell)
        steps: dict[tuple[int, int], int] = {}
        for sp in bundle.steps:
            self._write_step_parameter(sp, steps)
        for m in bundle.measurements:
            self._write_measurement(m)

    def _resolve(self, record: Any, label: str) -> tuple[Problem, int, int] | None:
        """Where a record came from, its source id and the id of the sample ``label`` (or None, reported)."""
        at = self._at(record.provenance)
        source_id = self.source_id(record.source, at)
        if source_id is None:
            return None
        sid = self.sample_id(source_id, label, at, source_key=record.source)
        if sid is None:
            return None
        return at, source_id, sid

    @staticmethod
    def _at(prov: Any) -> Problem:
        return Problem("", file=prov.file, row=prov.row, column=prov.column)

    def _write_source(self, src: Any) -> None:
        row = self.db.execute("SELECT id FROM sources WHERE key = ?", [src.key]).fetchone()
        values = [src.kind, src.doi, src.title, src.year, src.authors, src.journal, src.license]
        if row:
            self.db.execute(
                "UPDATE sources SET kind=?, doi=?, title=?, year=?, authors=?, journal=?, license=? WHERE id = ?",
                [*values, row[0]],
            )
            self.touched_sources.add(int(row[0]))
        else:
            self.touched_sources.add(
                inserted_id(
                    self.db.execute(
                        "INSERT INTO sources (key, kind, doi, title, year, authors, journal, license, import_id) VALUES (?,?,?,?,?,?,?,?,?)",
                        [src.key, *values, self.import_id],
                    )
                )
            )

    def _write_sample(self, sample: Any) -> None:
        at = self._at(sample.provenance)
        source_id = self.source_id(sample.source, at)
        if source_id is None:
            return
        row = self.db.execute(
            "SELECT id, import_id FROM samples WHERE source_id = ? AND label = ?",
            [source_id, sample.label],
        ).fetchone()
        values = [sample.kind, sample.family, sample.description, sample.provenance.locator]
        if row:
            self.db.execute(
                "UPDATE samples SET kind=?, family=?, description=?, locator=?, import_id=? WHERE id = ?",
                [*values, self.import_id, row[0]],
            )
            self.touched_samples.add(int(row[0]))
        else:
            sid = inserted_id(
                self.db.execute(
                    "INSERT INTO samples (source_id, label, kind, family, description, locator, import_id) VALUES (?,?,?,?,?,?,?)",
                    [source_id, sample.label, *values, self.import_id],
                )
            )
            self.touched_samples.add(int(sid))

    def _write_links(self, sample: Any) -> None:
        resolved = self._resolve(sample, sample.label)
        if resolved is None:
            return
        at, source_id, sid = resolved
        for position, parent in enumerate(sample.parents, start=1):
            pid = self.sample_id(source_id, parent, at, source_key=sample.source)
            if pid is not None:
                if pid == sid:
                    self._problem(f"sample {sample.label!r} cannot be its own parent", at)
                    continue
                self.db.execute(
                    "INSERT OR REPLACE INTO sample_parents (sample_id, parent_id, position, import_id) VALUES (?,?,?,?)",
                    [sid, pid, position, self.import_id],
                )
        for member in sample.members:
            mid = self.sample_id(source_id, member, at, source_key=sample.source)
            if mid is not None:
                self.db.execute(
                    "INSERT OR REPLACE INTO group_members (group_id, member_id, import_id) VALUES (?,?,?)",
                    [sid, mid, self.import_id],
                )

    def _write_cell(self, cell: Any) -> None:
        resolved = self._resolve(cell, cell.sample)
        if resolved is None:
            return
        at, source_id, sid = resolved
        columns = [
            "cell_type", "format", "counter_electrode", "cathode", "cathode_formula", "electrolyte", "separator",
            "binder", "electrode_composition", "active_mass_loading_mg_per_cm2", "cathode_loading_mg_per_cm2",
            "np_ratio", "voltage_min_V", "voltage_max_V", "one_c_mA_per_g",
            "one_c_mA_per_cm2", "one_c_raw", "blend_ratio",
            "temperature_C", "note",
        ]  # fmt: skip
        values = [getattr(cell, c) for c in columns] + [cell.provenance.locator]
        row = self.db.execute(
            "SELECT id FROM cells WHERE source_id = ? AND label = ?", [source_id, cell.label]
        ).fetchone()
        if row:
            sets = ", ".join(f"{c} = ?" for c in [*columns, "locator"])
            self.db.execute(
                f"UPDATE cells SET sample_id = ?, {sets}, import_id = ? WHERE id = ?",
                [sid, *values, self.import_id, row[0]],
            )
            self.touched_cells.add(int(row[0]))
        else:
            cid = inserted_id(
                self.db.execute(
                    f"INSERT INTO cells (source_id, label, sample_id, {', '.join(columns)}, locator, import_id) "
                    f"VALUES ({', '.join('?' for _ in range(len(columns) + 5))})",
                    [source_id, cell.label, sid, *values, self.import_id],
                )
            )
            self.touched_cells.add(int(cid))

    def _write_step_parameter(self, sp: Any, steps: dict[tuple[int, int], int]) -> None:
        resolved = self._resolve(sp, sp.sample)
        if resolved is None:
            return
        at, source_id, sid = resolved
        key = (sid, sp.step)
        step_id = steps.get(key)
        if step_id is None:
            row = self.db.execute(
                "SELECT id, step_type FROM process_steps WHERE sample_id = ? AND step_order = ?",
                [sid, sp.step],
            ).fetchone()
            if row:
                if row[1] != sp.step_type:
                    self._problem(
                        f"step {sp.step} of sample {sp.sample!r} is already a {row[1]!r} step (from another import), not {sp.step_type!r}",
                        at,
                    )
                    return
                step_id = int(row[0])
            else:
                step_id = inserted_id(
                    self.db.execute(
                        "INSERT INTO process_steps (sample_id, step_order, step_type, import_id) VALUES (?,?,?,?)",
                        [sid, sp.step, sp.step_type, self.import_id],
                    )
                )
            steps[key] = step_id
        else:
            existing = self.db.execute(
                "SELECT step_type FROM process_steps WHERE id = ?", [step_id]
            ).fetchone()[0]
            if existing != sp.step_type:
                self._problem(
                    f"step {sp.step} of sample {sp.sample!r} is a {existing!r} step in an earlier row, not {sp.step_type!r}",
                    at,
                )
                return
        clash = self._contradicted_step_parameter(step_id, sp)
        if clash is not None:
            other, name, row, shown, column = clash
            where = f"{name}, row {row}" if row is not None else name
            self._problem(
                f"{sp.quantity}{f' of {sp.substance}' if sp.substance else ''}"
                f"{f' (basis {sp.basis})' if sp.basis else ''} of step {sp.step} ({sp.step_type}) "
                f"of sample {sp.sample!r} is {_step_shown(sp.raw_value, sp.raw_unit, sp)} here but "
                f"{shown} in import {other} ({where}); a step has one {sp.quantity}: correct the "
                f"wrong table (re-importing a table under its file name replaces it), or "
                f"`anodelab undo {other}` first",
                Problem("", file=at.file, row=at.row, column=at.column or column),
            )
            return
        self.db.execute(
            """INSERT INTO step_parameters (step_id, quantity, substance, value, unit, text_value, value_min, value_max,
               qualifier, basis, raw_value, raw_unit, raw, locator, file, row, col, import_id)
               VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
            [
                step_id, sp.quantity, sp.substance, sp.value, sp.unit, sp.text_value, sp.value_min, sp.value_max,
                sp.qualifier, sp.basis, sp.raw_value, sp.raw_unit, sp.raw, sp.provenance.locator,
                sp.provenance.file, sp.provenance.row, sp.provenance.column, self.import_id,
            ],
        )  # fmt: skip

    def _contradicted_step_parameter(
        self, step_id: int, sp: StepParameterRecord
    ) -> tuple[int, str, int | None, str, str] | None:
        """The same parameter of this step (:func:`step_parameter_key`) as another active import
        stored it with another value: (import id, its file, row, value as printed, the column
        that differs), or None.

        Another import may add a parameter to a step (the time of a carbonization whose
        temperature another table gave) and may state one it already has with the same value
        (literature tables repeat a sample's recipe columns); a different value would be stored
        next to the first and the recipe vector would take whichever came last."""
        rows = self.db.execute(
            """SELECT sp.substance, sp.basis, sp.value, sp.unit, sp.text_value, sp.value_min, sp.value_max,
                      sp.qualifier, sp.raw_value, sp.raw_unit, sp.row, sp.import_id,
                      COALESCE(i.file_path, i.dataset)
               FROM step_parameters sp JOIN imports i ON i.id = sp.import_id
               WHERE sp.step_id = ? AND sp.quantity = ? AND sp.import_id != ? AND i.status = 'ok'
               ORDER BY sp.id""",
            [step_id, sp.quantity, self.import_id],
        ).fetchall()
        for (substance, basis, value, unit, text, vmin, vmax, qualifier, raw_value, raw_unit,
             row, other, name) in rows:  # fmt: skip
            stored = replace(
                sp, substance=substance, basis=basis, value=value, unit=unit, text_value=text,
                value_min=vmin, value_max=vmax, qualifier=qualifier or "=",
            )  # fmt: skip
            if step_parameter_key(stored) != step_parameter_key(sp):
                continue
            column = step_value_difference(stored, sp)
            if column is not None:
                return int(other), str(name), row, _step_shown(raw_value, raw_unit, stored), column
        return None

    def _write_measurement(self, m: MeasurementRecord) -> None:
        resolved = self._resolve(m, m.sample)
        if resolved is None:
            return
        at, source_id, sid = resolved
        cell_id = None
        if m.cell:
            row = self.db.execute(
                "SELECT id FROM cells WHERE source_id = ? AND label = ?", [source_id, m.cell]
            ).fetchone()
            if row is None:
                known = [
                    r[0]
                    for r in self.db.execute(
                        "SELECT label FROM cells WHERE source_id = ?", [source_id]
                    ).fetchall()
                ]
                hint = suggest(m.cell, known)
                self._problem(
                    f"unknown cell {m.cell!r} in source {m.source!r}"
                    + (f"; did you mean {', '.join(repr(h) for h in hint)}?" if hint else ""),
                    at,
                )
                return
            cell_id = int(row[0])
        prov = m.provenance
        mid = inserted_id(self.db.execute(
            """INSERT INTO measurements (sample_id, cell_id, source_id, property, value, unit, value_min, value_max,
               uncertainty, uncertainty_kind, qualifier, basis, origin, raw_value, raw_unit, raw, note, flags, locator,
               file, row, col, raw_file_sha256, analyzer, analyzer_version, options_json, import_id)
               VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
            [
                sid, cell_id, source_id, m.property, m.value, m.unit, m.value_min, m.value_max, m.uncertainty,
                m.uncertainty_kind, m.qualifier or "=", m.basis, m.origin, m.raw_value, m.raw_unit, m.raw, m.note,
                ";".join(m.flags) or None, prov.locator, prov.file, prov.row, prov.column, prov.raw_file_sha256,
                prov.analyzer, prov.analyzer_version, json.dumps(prov.options) if prov.options else None, self.import_id,
            ],
        ))  # fmt: skip
        for name, cond in m.conditions.items():
            self.db.execute(
                "INSERT INTO measurement_conditions (measurement_id, name, value, unit, text_value, raw) VALUES (?,?,?,?,?,?)",
                [mid, name, cond.value, cond.unit, cond.text, cond.raw],
            )
