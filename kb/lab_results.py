"""A campaign's proposals and results as facts of the one graph.

A proposal is a sample: source ``campaign:<name>`` (kind ``lab_campaign``), label
``<name>-p<number>``, its recipe as process steps (:func:`anodelab.kb.recipes.write_recipe`).
A recorded result is a measurement of that sample (``origin = recorded``) with its conditions,
its cell (replicate cells are distinct cells, labelled ``<sample> | <cell>``, the label
``import-run --proposal`` gives its cells too), the note, and in ``options_json`` the campaign,
the proposal, the version (how often this cell's value was recorded) and the earlier values.
``relate``, ``measurements``, ``export``, ``fit``, Datasette and the models see these values
beside the literature, marked by their source.

Everything here runs inside the caller's transaction.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd
import sqlite_utils

from anodelab.kb.recipes import write_recipe
from anodelab.kb.tx import inserted_id
from anodelab.schema.errors import InputError
from anodelab.schema.vocabulary import load_vocabulary

__all__ = [
    "CAMPAIGN_SOURCE_KIND",
    "campaign_source_key",
    "campaign_source_id",
    "add_proposal_sample",
    "cell_label",
    "record_value",
    "lab_results",
]

CAMPAIGN_SOURCE_KIND = "lab_campaign"
CELL_SEPARATOR = " | "


def campaign_source_key(campaign: str) -> str:
    """The source key of a campaign's samples and results: ``campaign:pitch1``."""
    return f"campaign:{campaign}"


def campaign_source_id(db: sqlite_utils.Database, campaign: str) -> int:
    """The id of the campaign's source, created when missing."""
    key = campaign_source_key(campaign)
    row = db.execute("SELECT id FROM sources WHERE key = ?", [key]).fetchone()
    if row is not None:
        return int(row[0])
    return inserted_id(db.execute(
        "INSERT INTO sources (key, kind, title) VALUES (?, ?, ?)",
        [key, CAMPAIGN_SOURCE_KIND, f"optimization campaign {campaign} (this lab)"],
    ))  # fmt: skip


def add_proposal_sample(
    db: sqlite_utils.Database, campaign: str, label: str, parameters: dict[str, Any]
) -> int:
    """The sample of a proposal, with its recipe as process steps; returns its id.  A sample of
    that label already in the campaign's source (a re-run migration) is reused as it is."""
    source_id = campaign_source_id(db, campaign)
    row = db.execute(
        "SELECT id FROM samples WHERE source_id = ? AND label = ?", [source_id, label]
    ).fetchone()
    if row is not None:
        return int(row[0])
    locator = f"proposal {label} of campaign {campaign}"
    sample_id = inserted_id(db.execute(
        "INSERT INTO samples (source_id, label, kind, description, locator)"
        " VALUES (?, ?, 'material', ?, ?)",
        [source_id, label, f"recipe proposed by campaign {campaign}", locator],
    ))  # fmt: skip
    write_recipe(db, sample_id, parameters, locator=locator)
    return sample_id


def cell_label(sample: str, cell: str) -> str:
    """The KB label of a proposal's replicate cell ``c1``: ``pitch1-p1 | c1``."""
    return cell if cell.startswith(sample + CELL_SEPARATOR) else f"{sample}{CELL_SEPARATOR}{cell}"


def _cell_id(db: sqlite_utils.Database, source_id: int, sample_id: int, label: str) -> int:
    row = db.execute(
        "SELECT id FROM cells WHERE source_id = ? AND label = ?", [source_id, label]
    ).fetchone()
    if row is not None:
        return int(row[0])
    return inserted_id(db.execute(
        "INSERT INTO cells (source_id, label, sample_id, cell_type, note)"
        " VALUES (?, ?, ?, 'unknown', 'replicate cell of a campaign proposal (recorded by hand)')",
        [source_id, label, sample_id],
    ))  # fmt: skip


def _conditions_of(db: sqlite_utils.Database, measurement_id: int) -> dict[str, Any]:
    rows = db.execute(
        "SELECT name, value, text_value FROM measurement_conditions WHERE measurement_id = ?",
        [measurement_id],
    ).fetchall()
    return {name: (value if value is not None else text) for name, value, text in rows}


def _same_conditions(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if set(a) != set(b):
        return False
    for key, value in a.items():
        other = b[key]
        if isinstance(value, int | float) and isinstance(other, int | float):
            if not math.isclose(float(value), float(other), rel_tol=1e-9, abs_tol=1e-12):
                return False
        elif str(value) != str(other):
            return False
    return True


def record_value(
    db: sqlite_utils.Database,
    *,
    sample_id: int,
    property: str,
    value: float,
    unit: str | None,
    conditions: dict[str, Any],
    cell: str | None,
    note: str | None,
    provenance: dict[str, Any],
) -> tuple[int, int]:
    """Store one recorded value of a proposal's sample; returns ``(measurement_id, version)``.

    The same (cell, property, conditions) recorded again is a correction or a longer run: its
    measurement takes the new value and counts the version up, keeping the earlier values in
    ``options_json``; the very same value and note again change nothing (a re-run of a command
    whose first run may or may not have committed ends in the same state).  Another cell is a replicate: a measurement of its own."""
    if not math.isfinite(float(value)):
        raise InputError(f"{property}: the value must be a finite number, got {value!r}")
    sample, source_id = db.execute(
        "SELECT label, source_id FROM samples WHERE id = ?", [sample_id]
    ).fetchone()
    cell_id = _cell_id(db, source_id, sample_id, cell_label(sample, cell)) if cell else None
    candidates = db.execute(
        "SELECT id, value, options_json, note FROM measurements WHERE sample_id = ?"
        " AND property = ? AND origin = 'recorded' AND cell_id IS ?",
        [sample_id, property, cell_id],
    ).fetchall()
    for measurement_id, old_value, options_text, old_note in candidates:
        if not _same_conditions(_conditions_of(db, measurement_id), conditions):
            continue
        options = json.loads(options_text or "{}")
        if (
            old_value == float(value)
            and old_note == note
            and all(options.get(k) == v for k, v in provenance.items())
        ):  # the same value recorded again (a re-run): nothing changes
            return int(measurement_id), int(options.get("version", 1))
        version = int(options.get("version", 1)) + 1
        options |= provenance | {
            "version": version,
            "earlier_values": [*options.get("earlier_values", []), old_value],
        }
        db.execute(
            "UPDATE measurements SET value = ?, unit = ?, note = ?, raw_value = ?, options_json = ?"
            " WHERE id = ?",
            [float(value), unit, note, f"{float(value):g}", json.dumps(options), measurement_id],
        )
        return int(measurement_id), version
    options = provenance | {"version": 1}
    measurement_id = inserted_id(db.execute(
        "INSERT INTO measurements (sample_id, cell_id, source_id, property, value, unit, origin,"
        " raw_value, raw_unit, note, locator, options_json) VALUES (?, ?, ?, ?, ?, ?, 'recorded',"
        " ?, ?, ?, ?, ?)",
        [sample_id, cell_id, source_id, property, float(value), unit, f"{float(value):g}", unit,
         note, f"recorded for proposal {sample}", json.dumps(options)],
    ))  # fmt: skip
    _write_conditions(db, measurement_id, conditions)
    return measurement_id, 1


def _write_conditions(db: sqlite_utils.Database, measurement_id: int, conditions: dict) -> None:
    vocab = load_vocabulary()
    for name, value in conditions.items():
        term = vocab.get("condition", name)
        if term.is_numeric:
            row = [measurement_id, term.name, float(value), term.unit, None, f"{value}"]
        else:
            row = [measurement_id, term.name, None, None, str(value), str(value)]
        db.execute(
            "INSERT INTO measurement_conditions (measurement_id, name, value, unit, text_value, raw)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            row,
        )


def lab_results(db: sqlite_utils.Database, campaign_id: int | None = None) -> pd.DataFrame:
    """Every value measured on a campaign's proposal samples — recorded by hand or stored by
    ``import-run`` — one row each: ``measurement_id, proposal_id, campaign_id, sample, property,
    value, unit, cell`` (the name given, ``c1``), ``origin``, ``note``, ``options`` (dict),
    ``conditions`` (dict, canonical units)."""
    sql = (
        "SELECT m.id AS measurement_id, p.id AS proposal_id, p.campaign_id, p.sample, m.property,"
        " m.value, m.unit, c.label AS cell, m.origin, m.note, m.options_json, m.import_id"
        " FROM proposals p JOIN measurements m ON m.sample_id = p.sample_id"
        " LEFT JOIN cells c ON c.id = m.cell_id WHERE m.value IS NOT NULL"
    )
    params: list[Any] = []
    if campaign_id is not None:
        sql += " AND p.campaign_id = ?"
        params.append(campaign_id)
    frame = pd.read_sql_query(sql + " ORDER BY m.id", db.conn, params=params)
    conditions: dict[int, dict[str, Any]] = {}
    if len(frame):
        ids = [int(i) for i in frame["measurement_id"]]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for mid, name, value, text in db.execute(
                "SELECT measurement_id, name, value, text_value FROM measurement_conditions"
                f" WHERE measurement_id IN ({', '.join('?' for _ in chunk)})",
                chunk,
            ).fetchall():
                conditions.setdefault(int(mid), {})[name] = value if value is not None else text
    frame["conditions"] = [conditions.get(int(i), {}) for i in frame["measurement_id"]]
    frame["options"] = [json.loads(t or "{}") for t in frame.pop("options_json")]
    frame["cell"] = [
        None if not isinstance(c, str)
        else c.split(CELL_SEPARATOR, 1)[1] if c.startswith(s + CELL_SEPARATOR) else c
        for c, s in zip(frame["cell"], frame["sample"], strict=True)
    ]  # fmt: skip
    return frame
