"""Schema version 3: campaign tables in the versioned schema, campaign results in the graph.

Run by :func:`anodelab.kb.db.open_db` inside the migration's transaction.  Idempotent: a KB
that has the version-3 tables already is left as it is.

What a version-2 file changes:

* the campaign tables (until version 2 created by a hook outside the schema version, with an
  ``ALTER TABLE`` for the replicate ``cell``) come from ``kb/sql/campaigns_v3.sql``;
* every proposal gets its ``number`` within its campaign (its name is kept: lab notebooks cite
  it) and a sample of the graph with its recipe as process steps;
* every result of ``proposal_results`` moves into the graph: a value recorded by hand becomes a
  ``recorded`` measurement of the proposal's sample (its newest version per cell, property and
  conditions; the earlier values are kept in the measurement's ``options_json``), and the values
  ``import-run --proposal`` stored on a sample of the same name in another source (which had no
  recipe) move to the proposal's sample with their cells; ``proposal_results`` is dropped.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import sqlite_utils

from anodelab.kb.lab_results import (
    add_proposal_sample,
    campaign_source_id,
    cell_label,
    record_value,
)

__all__ = ["migrate_to_v3", "script_statements"]


def script_statements(name: str) -> list[str]:
    """The statements of ``kb/sql/<name>`` (comments dropped), to run one by one inside a
    transaction (``executescript`` would commit it)."""
    import sqlite3

    script = resources.files("anodelab.kb").joinpath("sql", name).read_text(encoding="utf-8")
    out, buffer = [], ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            out.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        raise ValueError(f"incomplete SQL statement in kb/sql/{name}: {buffer[:80]!r}")
    return out


def _columns(db: sqlite_utils.Database, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})").fetchall()}


def migrate_to_v3(db: sqlite_utils.Database) -> bool:
    """Bring the campaign tables to version 3 and move results into the graph; returns whether
    any proposal was moved (the caller then refreshes the stored recipe vectors)."""
    for statement in script_statements("campaigns_v3.sql"):
        db.execute(statement)
    columns = _columns(db, "proposals")
    if "number" not in columns:
        db.execute("ALTER TABLE proposals ADD COLUMN number INTEGER")
    if "sample_id" not in columns:
        db.execute("ALTER TABLE proposals ADD COLUMN sample_id INTEGER REFERENCES samples(id)")
    db.execute(
        "UPDATE proposals SET number = (SELECT COUNT(*) FROM proposals q WHERE"
        " q.campaign_id = proposals.campaign_id AND q.id <= proposals.id) WHERE number IS NULL"
    )
    moved = db.execute(
        "SELECT p.id, p.sample, p.parameters_json, c.name FROM proposals p"
        " JOIN campaigns c ON c.id = p.campaign_id WHERE p.sample_id IS NULL ORDER BY p.id"
    ).fetchall()
    for pid, sample, parameters, campaign in moved:
        sample_id = add_proposal_sample(db, campaign, sample, json.loads(parameters))
        db.execute("UPDATE proposals SET sample_id = ? WHERE id = ?", [sample_id, pid])
        _adopt_runs(db, sample, sample_id, campaign_source_id(db, campaign))
    if "proposal_results" in db.table_names():
        _move_recorded_results(db)
        db.execute("DROP TABLE proposal_results")
    db.execute("CREATE INDEX IF NOT EXISTS idx_proposals_sample ON proposals(sample_id)")
    return bool(moved)


def _adopt_runs(db: sqlite_utils.Database, sample: str, sample_id: int, source_id: int) -> None:
    """Values ``import-run --proposal`` stored under a sample of the proposal's name in another
    source (``lab``, no recipe) become values of the proposal's sample; so do their cells."""
    others = db.execute(
        "SELECT s.id FROM samples s WHERE s.label = ? AND s.id != ? AND NOT EXISTS"
        " (SELECT 1 FROM process_steps ps WHERE ps.sample_id = s.id)",
        [sample, sample_id],
    ).fetchall()
    for (other,) in others:
        for cell_id, label in db.execute(
            "SELECT id, label FROM cells WHERE sample_id = ?", [other]
        ).fetchall():
            name = label.split(" | ", 1)[1] if label.startswith(sample + " | ") else label
            db.execute(
                "UPDATE cells SET sample_id = ?, source_id = ?, label = ? WHERE id = ?",
                [sample_id, source_id, cell_label(sample, name), cell_id],
            )
        db.execute(
            "UPDATE measurements SET sample_id = ?, source_id = ? WHERE sample_id = ?",
            [sample_id, source_id, other],
        )
        db.execute("UPDATE checks SET sample_id = ? WHERE sample_id = ?", [sample_id, other])
        used = db.execute(
            "SELECT (SELECT COUNT(*) FROM sample_parents WHERE sample_id = ? OR parent_id = ?)"
            " + (SELECT COUNT(*) FROM group_members WHERE group_id = ? OR member_id = ?)",
            [other, other, other, other],
        ).fetchone()[0]
        if not used:
            db.execute("DELETE FROM samples WHERE id = ?", [other])


def _move_recorded_results(db: sqlite_utils.Database) -> None:
    """Hand-recorded results (no ``measurement_id``) → ``recorded`` measurements, newest version
    per (proposal, property, conditions, cell); the earlier versions' values are kept with it."""
    has_cell = "cell" in _columns(db, "proposal_results")
    cell = "r.cell" if has_cell else "''"
    rows = db.execute(
        f"SELECT r.proposal_id, p.sample_id, p.sample, c.name, r.property, r.conditions_json,"
        f" r.value, r.unit, {cell}, r.version, r.note, r.cycles_completed, r.cycles_planned,"
        f" r.is_final, r.recorded_at FROM proposal_results r JOIN proposals p ON p.id = r.proposal_id"
        f" JOIN campaigns c ON c.id = p.campaign_id WHERE r.measurement_id IS NULL"
        f" ORDER BY r.proposal_id, r.property, r.conditions_json, {cell}, r.version, r.id"
    ).fetchall()
    for row in rows:
        (_, sample_id, sample, campaign, prop, conditions, value, unit, cell_name, version,
         note, completed, planned, final, recorded_at) = row  # fmt: skip
        provenance: dict[str, Any] = {
            "campaign": campaign, "proposal": sample,
            "cycles_completed": completed, "cycles_planned": planned, "is_final": bool(final),
        }  # fmt: skip
        record_value(
            db, sample_id=sample_id, property=prop, value=value, unit=unit,
            conditions=json.loads(conditions or "{}"), cell=cell_name or None, note=note,
            provenance={k: v for k, v in provenance.items() if v is not None},
        )  # fmt: skip
