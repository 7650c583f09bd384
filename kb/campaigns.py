"""Campaign tables: design space + objectives, every proposal, and its (possibly partial) results.

Tables (created idempotently by :func:`create_tables`, run as a KB migration hook):

``campaigns``  one row per campaign: name, space and objectives (JSON), seed, settings.
``proposals``  one row per proposed recipe: the recipe (JSON), predictions, acquisition value,
               strategy, reasons, model version, data version (hash of the training data), seed,
               time, ``status`` ∈ proposed / running / done / abandoned, and the ``sample`` name
               under which its measurements are filed (so ``anodelab import-run --sample`` links
               them too).
``proposal_results``  every recorded value, never overwritten: property, conditions (JSON,
               canonical units), value in the canonical unit, ``cycles_completed`` of
               ``cycles_planned``, ``is_final`` and a ``version`` counting updates of the same
               (proposal, property, conditions, cell); different ``cell`` labels are replicate
               cells of one recipe.  Partial results (first N of 500 cycles) are kept
               beside the final one; models use final results only (a later early-prediction model
               can use the partial ones).
``proposal_events``  every status change of a proposal (from, to, note, time): why a recipe was
               abandoned ("coating cracked during carbonization") stays with the campaign.
``candidate_tables``  the finite candidate tables of campaigns (a space's ``candidates:``), each
               stored once, keyed by a hash of its content, as one Parquet blob (10⁶ rows of
               four parameters: ~1 MB, read back in a fraction of a second).  A campaign's
               ``space_json`` holds only the reference (``{"stored": HASH, "rows": N}``), so the
               commands that do not propose (record, status, show) no longer parse the table;
               campaigns created before kept it inline as JSON records, which still reads.

Status rules (:func:`set_status`): ``proposed`` ⇄ ``running``, either → ``abandoned`` and back;
``done`` is reached only by recording final results for every required property
(:func:`add_result`), and a done proposal
does not change status by hand (its results are data; record a corrected value instead).
:data:`PENDING` proposals — proposed, running, and abandoned — are the recipes the optimizer must
not propose again: an abandoned recipe usually failed in synthesis, so proposing it again would
waste a slot (Ax treats abandoned trials the same way).  Only results are training data; a
proposal is done when every outcome of its campaign has a final result.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import sqlite_utils

from anodelab.kb.db import inserted_id, register_migration_hook, transaction
from anodelab.schema.errors import AnodelabError, InputError

__all__ = [
    "STATUSES",
    "PENDING",
    "create_tables",
    "create_campaign",
    "get_campaign",
    "list_campaigns",
    "add_proposals",
    "proposals",
    "find_proposal",
    "set_status",
    "status_history",
    "add_result",
    "results",
    "store_candidates",
    "candidate_table",
]

STATUSES = ("proposed", "running", "done", "abandoned")
PENDING = ("proposed", "running", "abandoned")  # kept out of the next batch

_DDL = [
    """CREATE TABLE IF NOT EXISTS campaigns (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        space_json TEXT NOT NULL,
        objectives_json TEXT NOT NULL,
        seed INTEGER NOT NULL DEFAULT 0,
        settings_json TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS proposals (
        id INTEGER PRIMARY KEY,
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        batch INTEGER NOT NULL,
        sample TEXT NOT NULL UNIQUE,
        parameters_json TEXT NOT NULL,
        predictions_json TEXT NOT NULL DEFAULT '{}',
        acquisition_value REAL,
        strategy TEXT NOT NULL,
        reasons_json TEXT NOT NULL DEFAULT '{}',
        model_version TEXT,
        data_version TEXT,
        seed INTEGER,
        status TEXT NOT NULL DEFAULT 'proposed'
            CHECK (status IN ('proposed', 'running', 'done', 'abandoned')),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS proposal_results (
        id INTEGER PRIMARY KEY,
        proposal_id INTEGER NOT NULL REFERENCES proposals(id),
        property TEXT NOT NULL,
        conditions_json TEXT NOT NULL DEFAULT '{}',
        value REAL NOT NULL,
        unit TEXT,
        cycles_completed INTEGER,
        cycles_planned INTEGER,
        is_final INTEGER NOT NULL DEFAULT 1 CHECK (is_final IN (0, 1)),
        version INTEGER NOT NULL,
        measurement_id INTEGER,
        note TEXT,
        recorded_at TEXT NOT NULL,
        cell TEXT NOT NULL DEFAULT ''
    )""",
    """CREATE TABLE IF NOT EXISTS proposal_events (
        id INTEGER PRIMARY KEY,
        proposal_id INTEGER NOT NULL REFERENCES proposals(id),
        from_status TEXT,
        to_status TEXT NOT NULL,
        note TEXT,
        at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS candidate_tables (
        sha256 TEXT PRIMARY KEY,
        n_rows INTEGER NOT NULL,
        columns_json TEXT NOT NULL,
        format TEXT NOT NULL,
        data BLOB NOT NULL,
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS idx_proposals_campaign ON proposals(campaign_id)",
    "CREATE INDEX IF NOT EXISTS idx_events_proposal ON proposal_events(proposal_id)",
    "CREATE INDEX IF NOT EXISTS idx_results_proposal ON proposal_results(proposal_id)",
]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def create_tables(db: sqlite_utils.Database) -> None:
    """Create the campaign tables if they do not exist (idempotent; a migration hook).  KBs made
    before results had a ``cell`` (replicate) column get it, empty: one cell per proposal."""
    for statement in _DDL:
        db.execute(statement)
    columns = {row[1] for row in db.execute("PRAGMA table_info(proposal_results)").fetchall()}
    if "cell" not in columns:
        with transaction(db):
            db.execute("ALTER TABLE proposal_results ADD COLUMN cell TEXT NOT NULL DEFAULT ''")


register_migration_hook(create_tables)


def create_campaign(
    db: sqlite_utils.Database,
    name: str,
    space: dict[str, Any],
    objectives: dict[str, Any],
    *,
    seed: int = 0,
    settings: dict[str, Any] | None = None,
    candidates: pd.DataFrame | None = None,
) -> int:
    """Insert a campaign; its name must be new.  Returns the campaign id.  A candidate table is
    stored once (:func:`store_candidates`) and ``space["candidates"]`` becomes its reference."""
    create_tables(db)
    if db.execute("SELECT 1 FROM campaigns WHERE name = ?", [name]).fetchone():
        raise InputError(f"a campaign named {name!r} already exists; pick another --name")
    with transaction(db):
        if candidates is not None:
            space = {**space, "candidates": store_candidates(db, candidates)}
        cursor = db.execute(
            "INSERT INTO campaigns (name, space_json, objectives_json, seed, settings_json, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                name,
                json.dumps(space),
                json.dumps(objectives),
                seed,
                json.dumps(settings or {}),
                _now(),
            ],
        )
        return inserted_id(cursor)


def _content_hash(table: pd.DataFrame) -> str:
    """SHA-256 of a table's column names, types and values (row order included)."""
    digest = hashlib.sha256(
        json.dumps([[str(c), str(t)] for c, t in table.dtypes.items()]).encode()
    )
    digest.update(pd.util.hash_pandas_object(table, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def store_candidates(db: sqlite_utils.Database, table: pd.DataFrame) -> dict[str, Any]:
    """Store a candidate table unless the same table is stored already; returns the reference a
    campaign's space keeps: ``{"stored": HASH, "rows": N, "columns": [...]}``."""
    create_tables(db)
    table = table.reset_index(drop=True)
    key = _content_hash(table)
    with transaction(db):
        if not db.execute("SELECT 1 FROM candidate_tables WHERE sha256 = ?", [key]).fetchone():
            buffer = io.BytesIO()
            table.to_parquet(buffer, index=False, compression="zstd")
            db.execute(
                "INSERT INTO candidate_tables (sha256, n_rows, columns_json, format, data, created_at)"
                " VALUES (?, ?, ?, 'parquet', ?, ?)",
                [key, len(table), json.dumps(list(map(str, table.columns))), buffer.getvalue(), _now()],
            )  # fmt: skip
    return {"stored": key, "rows": len(table), "columns": list(map(str, table.columns))}


def candidate_table(db: sqlite_utils.Database, reference: dict[str, Any]) -> pd.DataFrame:
    """The candidate table a campaign's space refers to (:func:`store_candidates`)."""
    row = db.execute(
        "SELECT format, data FROM candidate_tables WHERE sha256 = ?", [reference.get("stored")]
    ).fetchone()
    if row is None:
        raise AnodelabError(
            f"the campaign's candidate table {str(reference.get('stored'))[:12]}… is missing from"
            " the knowledge base"
        )
    if row[0] != "parquet":
        raise AnodelabError(f"unknown candidate table format {row[0]!r}")
    return pd.read_parquet(io.BytesIO(row[1]))


def get_campaign(db: sqlite_utils.Database, campaign: str | int) -> dict[str, Any]:
    """A campaign by name or id, with ``space``/``objectives``/``settings`` decoded."""
    create_tables(db)
    row = db.execute(
        "SELECT id, name, space_json, objectives_json, seed, settings_json, created_at FROM campaigns"
        " WHERE name = ? OR CAST(id AS TEXT) = ?",
        [str(campaign), str(campaign)],
    ).fetchone()
    if row is None:
        known = [r[0] for r in db.execute("SELECT name FROM campaigns").fetchall()]
        raise AnodelabError(f"no campaign {campaign!r}; known campaigns: {known or 'none'}")
    return {
        "id": row[0],
        "name": row[1],
        "space": json.loads(row[2]),
        "objectives": json.loads(row[3]),
        "seed": row[4],
        "settings": json.loads(row[5]),
        "created_at": row[6],
    }


def list_campaigns(db: sqlite_utils.Database) -> pd.DataFrame:
    create_tables(db)
    return pd.read_sql_query(
        "SELECT c.id, c.name, c.created_at, COUNT(p.id) AS proposals,"
        " SUM(p.status = 'done') AS done FROM campaigns c LEFT JOIN proposals p"
        " ON p.campaign_id = c.id GROUP BY c.id ORDER BY c.id",
        db.conn,
    )


def add_proposals(
    db: sqlite_utils.Database, campaign_id: int, rows: list[dict[str, Any]]
) -> list[int]:
    """Store one batch of proposals (all or nothing).  Each row: ``parameters``, ``predictions``,
    ``acquisition_value``, ``strategy``, ``reasons``, ``model_version``, ``data_version``, ``seed``.
    Returns the new ids; each proposal's sample is named ``<campaign>-p<id>``."""
    name = get_campaign(db, campaign_id)["name"]
    ids: list[int] = []
    with transaction(db):
        batch = db.execute(
            "SELECT COALESCE(MAX(batch), 0) + 1 FROM proposals WHERE campaign_id = ?", [campaign_id]
        ).fetchone()[0]
        for row in rows:
            now = _now()
            cursor = db.execute(
                "INSERT INTO proposals (campaign_id, batch, sample, parameters_json, predictions_json,"
                " acquisition_value, strategy, reasons_json, model_version, data_version, seed,"
                " status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'proposed', ?, ?)",
                [
                    campaign_id,
                    batch,
                    f"pending-{now}-{len(ids)}",
                    json.dumps(row["parameters"]),
                    json.dumps(row.get("predictions", {})),
                    row.get("acquisition_value"),
                    row["strategy"],
                    json.dumps(row.get("reasons", {}), default=str),
                    row.get("model_version"),
                    row.get("data_version"),
                    row.get("seed"),
                    now,
                    now,
                ],
            )
            pid = inserted_id(cursor)
            db.execute("UPDATE proposals SET sample = ? WHERE id = ?", [f"{name}-p{pid}", pid])
            db.execute(
                "INSERT INTO proposal_events (proposal_id, from_status, to_status, note, at)"
                " VALUES (?, NULL, 'proposed', ?, ?)",
                [pid, f"batch {batch} ({row['strategy']})", now],
            )
            ids.append(pid)
    return ids


def proposals(db: sqlite_utils.Database, campaign_id: int | None = None) -> pd.DataFrame:
    """Proposals (one row each) with ``parameters``/``predictions``/``reasons`` decoded."""
    create_tables(db)
    sql = "SELECT * FROM proposals" + (" WHERE campaign_id = ?" if campaign_id is not None else "")
    frame = pd.read_sql_query(
        sql + " ORDER BY id", db.conn, params=[] if campaign_id is None else [campaign_id]
    )
    for column in ("parameters", "predictions", "reasons"):
        frame[column] = [json.loads(v) for v in frame.pop(f"{column}_json")]
    return frame


def find_proposal(db: sqlite_utils.Database, proposal: int | str) -> dict[str, Any]:
    """The proposal (``id``, ``campaign_id``, ``sample``, ``status``) whose id or sample name is
    ``proposal``."""
    create_tables(db)
    row = db.execute(
        "SELECT id, campaign_id, sample, status FROM proposals"
        " WHERE CAST(id AS TEXT) = ? OR sample = ?",
        [str(proposal), str(proposal)],
    ).fetchone()
    if row is None:
        raise InputError(f"no proposal {proposal!r}; see `anodelab campaign show CAMPAIGN`")
    return {"id": int(row[0]), "campaign_id": int(row[1]), "sample": row[2], "status": row[3]}


def _proposal(db: sqlite_utils.Database, proposal: int | str) -> tuple[int, str]:
    found = find_proposal(db, proposal)
    return found["id"], found["status"]


_MANUAL_MOVES = {
    "proposed": ("running", "abandoned"),
    "running": ("proposed", "abandoned"),
    "abandoned": ("proposed", "running"),
    "done": (),
}


def _log_status(
    db: sqlite_utils.Database, pid: int, old: str | None, new: str, note: str | None
) -> None:
    """Set a proposal's status and append the change to ``proposal_events`` (inside the caller's
    transaction)."""
    now = _now()
    db.execute("UPDATE proposals SET status = ?, updated_at = ? WHERE id = ?", [new, now, pid])
    db.execute(
        "INSERT INTO proposal_events (proposal_id, from_status, to_status, note, at)"
        " VALUES (?, ?, ?, ?, ?)",
        [pid, old, new, note, now],
    )


def set_status(
    db: sqlite_utils.Database, proposal: int | str, status: str, note: str | None = None
) -> tuple[str, str]:
    """Move a proposal to ``status`` by hand (see the module's status rules); returns
    ``(old, new)``.  Setting the status it already has changes nothing and logs nothing."""
    if status not in STATUSES:
        raise InputError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    pid, old = _proposal(db, proposal)
    if status == old:
        return old, status
    if status == "done":
        raise InputError(
            f"proposal {proposal} becomes done when its final results are recorded"
            " (`anodelab record` or `anodelab import-run --proposal`), not by hand"
        )
    if status not in _MANUAL_MOVES[old]:
        raise InputError(
            f"proposal {proposal} is done (its final results are recorded); its status does not"
            " change by hand — record a corrected value instead"
        )
    with transaction(db):
        _log_status(db, pid, old, status, note)
    return old, status


def status_history(db: sqlite_utils.Database, campaign_id: int | None = None) -> pd.DataFrame:
    """Every status change (``sample``, ``from_status``, ``to_status``, ``note``, ``at``), oldest first."""
    create_tables(db)
    sql = (
        "SELECT e.id, e.proposal_id, p.sample, e.from_status, e.to_status, e.note, e.at"
        " FROM proposal_events e JOIN proposals p ON p.id = e.proposal_id"
    )
    params: list[Any] = []
    if campaign_id is not None:
        sql += " WHERE p.campaign_id = ?"
        params.append(campaign_id)
    return pd.read_sql_query(sql + " ORDER BY e.id", db.conn, params=params)


def add_result(
    db: sqlite_utils.Database,
    proposal: int | str,
    property: str,
    value: float,
    unit: str | None,
    conditions: dict[str, Any] | None = None,
    *,
    cycles_completed: int | None = None,
    cycles_planned: int | None = None,
    is_final: bool = True,
    measurement_id: int | None = None,
    note: str | None = None,
    required: Collection[str] | None = None,
    cell: str | None = None,
) -> int:
    """Append a result version (earlier versions are kept).  Versions count per ``cell``: values
    of different cells are replicates, the same cell again is an update (a longer partial run or
    a correction; ``None`` is the proposal's one unnamed cell).  The proposal becomes ``done`` when
    no cell waits on a partial result and every ``required`` property (the campaign's outcomes)
    has a final one, ``running`` otherwise.  Returns the new version number."""
    pid, status = _proposal(db, proposal)
    if status == "abandoned":
        raise InputError(
            f"proposal {proposal} was abandoned; set it back first"
            f" (`anodelab campaign status {proposal} running`)"
        )
    cond = json.dumps(conditions or {}, sort_keys=True)
    with transaction(db):
        version = db.execute(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM proposal_results"
            " WHERE proposal_id = ? AND property = ? AND conditions_json = ? AND cell = ?",
            [pid, property, cond, cell or ""],
        ).fetchone()[0]
        db.execute(
            "INSERT INTO proposal_results (proposal_id, property, conditions_json, value, unit,"
            " cycles_completed, cycles_planned, is_final, version, measurement_id, note, recorded_at,"
            " cell) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [pid, property, cond, float(value), unit, cycles_completed, cycles_planned,
             int(is_final), version, measurement_id, note, _now(), cell or ""],
        )  # fmt: skip
        open_partial = db.execute(  # a cell still cycling: partial, and no final result yet
            "SELECT COUNT(*) FROM proposal_results r WHERE proposal_id = ?"
            " AND is_final = 0 AND NOT EXISTS (SELECT 1 FROM proposal_results s WHERE"
            " s.proposal_id = r.proposal_id AND s.property = r.property AND s.cell = r.cell"
            " AND s.is_final = 1)",
            [pid],
        ).fetchone()[0]
        final = {r[0] for r in db.execute(
            "SELECT DISTINCT property FROM proposal_results WHERE proposal_id = ? AND is_final = 1",
            [pid],
        ).fetchall()}  # fmt: skip
        complete = not open_partial and set(required or ()) <= final
        new_status = "done" if complete else "running"
        if new_status != status:
            _log_status(db, pid, status, new_status, f"{property} recorded (version {version})")
        else:
            db.execute("UPDATE proposals SET updated_at = ? WHERE id = ?", [_now(), pid])
    return int(version)


def results(
    db: sqlite_utils.Database, campaign_id: int | None = None, *, latest: bool = True
) -> pd.DataFrame:
    """Recorded results joined to their proposal's sample; ``latest`` keeps the newest version of
    each (proposal, property, conditions, cell) — one row per replicate cell."""
    create_tables(db)
    sql = (
        "SELECT r.*, p.sample, p.campaign_id FROM proposal_results r JOIN proposals p"
        " ON p.id = r.proposal_id"
    )
    where, params = [], []
    if campaign_id is not None:
        where.append("p.campaign_id = ?")
        params.append(campaign_id)
    if latest:
        where.append(
            "r.version = (SELECT MAX(version) FROM proposal_results s WHERE s.proposal_id ="
            " r.proposal_id AND s.property = r.property AND s.conditions_json = r.conditions_json"
            " AND s.cell = r.cell)"
        )
    if where:
        sql += " WHERE " + " AND ".join(where)
    frame = pd.read_sql_query(sql + " ORDER BY r.id", db.conn, params=params)
    frame["conditions"] = [json.loads(v) for v in frame.pop("conditions_json")]
    return frame
