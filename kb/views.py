"""SQL views over the KB, generated from the vocabulary (one column per condition).

* ``v_measurements`` — tidy: one row per value with sample, source, property, value, unit,
  uncertainty, cell and one column per condition (canonical units; text conditions as text).
* ``v_steps`` — every process-step parameter with its sample and step.
* ``v_checks`` — consistency checks with sample labels.
"""

from __future__ import annotations

import sqlite_utils

from anodelab.schema.vocabulary import load_vocabulary

__all__ = ["create_views", "condition_columns"]


def condition_columns() -> list[tuple[str, bool]]:
    """``(name, is_numeric)`` for every condition of the vocabulary, in vocabulary order."""
    return [(t.name, t.is_numeric) for t in load_vocabulary().conditions().values()]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_views(db: sqlite_utils.Database) -> None:
    """(Re)create the views; called on every migration so new vocabulary terms appear."""
    pivots = []
    for name, numeric in condition_columns():
        column = "mc.value" if numeric else "mc.text_value"
        pivots.append(f"MAX(CASE WHEN mc.name = '{name}' THEN {column} END) AS {_quote(name)}")
    pivot_sql = ",\n    ".join(pivots)
    for view in ("v_measurements", "v_steps", "v_checks"):
        db.execute(f"DROP VIEW IF EXISTS {view}")
    db.execute(
        f"""
CREATE VIEW v_measurements AS
SELECT
    m.id AS measurement_id,
    m.sample_id, m.cell_id, m.source_id,
    s.label AS sample,
    s.kind AS sample_kind,
    s.family AS family,
    src.key AS source,
    src.doi AS doi,
    m.property, m.value, m.unit, m.value_min, m.value_max,
    m.uncertainty, m.uncertainty_kind, m.qualifier,
    c.label AS cell, c.cell_type AS cell_type,
    m.basis, m.origin, m.locator, m.raw, m.raw_value, m.raw_unit, m.note, m.flags,
    m.file, m.row, m.col, m.raw_file_sha256, m.analyzer, m.analyzer_version, m.import_id,
    {pivot_sql}
FROM measurements m
JOIN samples s ON s.id = m.sample_id
JOIN sources src ON src.id = m.source_id
LEFT JOIN cells c ON c.id = m.cell_id
LEFT JOIN measurement_conditions mc ON mc.measurement_id = m.id
GROUP BY m.id
"""
    )
    db.execute(
        """
CREATE VIEW v_steps AS
SELECT
    s.label AS sample, src.key AS source, ps.step_order AS step, ps.step_type,
    sp.quantity, sp.substance, sp.value, sp.unit, sp.text_value, sp.value_min, sp.value_max,
    sp.qualifier, sp.basis, sp.raw, sp.locator, sp.import_id
FROM step_parameters sp
JOIN process_steps ps ON ps.id = sp.step_id
JOIN samples s ON s.id = ps.sample_id
JOIN sources src ON src.id = s.source_id
ORDER BY src.key, s.label, ps.step_order
"""
    )
    db.execute(
        """
CREATE VIEW v_checks AS
SELECT ch.id, ch.rule, s.label AS sample, ch.stated, ch.recomputed, ch.unit, ch.tolerance,
       ch.status, ch.note, ch.measurement_id, ch.input_ids
FROM checks ch LEFT JOIN samples s ON s.id = ch.sample_id
"""
    )
