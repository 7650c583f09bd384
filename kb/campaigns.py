"""Campaign state: design space + objectives, every proposal, its status and their history.

Tables (schema version 3, ``kb/sql/campaigns_v3.sql``); a proposal's recipe and results are
facts of the graph (:mod:`anodelab.kb.lab_results`), these tables keep only campaign state:

``campaigns``  one row per campaign: name, space and objectives (JSON), seed, settings.
``proposals``  one row per proposed recipe: its ``number`` within the campaign and ``sample``
               name (``pitch1-p1`` is pitch1's first proposal) and ``sample_id`` (the sample
               in the graph), the recipe as proposed (JSON), predictions, acquisition value,
               strategy, reasons, model version, data version (hash of the training data), seed,
               time, ``status`` ∈ proposed / running / done / abandoned.
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
(:func:`settle_status`, called by whoever records them), and a done proposal
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
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import sqlite_utils

from anodelab.kb.lab_results import add_proposal_sample, lab_results
from anodelab.kb.recipes import materialize_recipe_vectors
from anodelab.kb.tx import inserted_id, snapshot, transaction
from anodelab.schema.errors import AnodelabError, InputError

__all__ = [
    "STATUSES",
    "PENDING",
    "create_campaign",
    "get_campaign",
    "list_campaigns",
    "add_proposals",
    "proposals",
    "find_proposal",
    "set_status",
    "status_history",
    "settle_status",
    "results",
    "store_candidates",
    "candidate_table",
    "campaign_snapshot",
]

STATUSES = ("proposed", "running", "done", "abandoned")
PENDING = ("proposed", "running", "abandoned")  # kept out of the next batch


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


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

    Each proposal is numbered within its campaign and becomes a sample ``<campaign>-p<number>``
    of the graph with its recipe as process steps.  Returns the new proposal ids."""
    ids: list[int] = []
    with transaction(db):
        name = get_campaign(db, campaign_id)["name"]
        batch, number = db.execute(
            "SELECT COALESCE(MAX(batch), 0) + 1, COALESCE(MAX(number), 0) FROM proposals"
            " WHERE campaign_id = ?",
            [campaign_id],
        ).fetchone()
        for row in rows:
            now = _now()
            number += 1
            while db.execute(  # names of proposals made before per-campaign numbering
                "SELECT 1 FROM proposals WHERE sample = ?", [f"{name}-p{number}"]
            ).fetchone():
                number += 1
            sample = f"{name}-p{number}"
            sample_id = add_proposal_sample(db, name, sample, row["parameters"])
            cursor = db.execute(
                "INSERT INTO proposals (campaign_id, batch, number, sample, sample_id, parameters_json,"
                " predictions_json, acquisition_value, strategy, reasons_json, model_version,"
                " data_version, seed, status, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'proposed', ?, ?)",
                [campaign_id, batch, number, sample, sample_id, json.dumps(row["parameters"]),
                 json.dumps(row.get("predictions", {})), row.get("acquisition_value"),
                 row["strategy"], json.dumps(row.get("reasons", {}), default=str),
                 row.get("model_version"), row.get("data_version"), row.get("seed"), now, now],
            )  # fmt: skip
            pid = inserted_id(cursor)
            db.execute(
                "INSERT INTO proposal_events (proposal_id, from_status, to_status, note, at)"
                " VALUES (?, NULL, 'proposed', ?, ?)",
                [pid, f"batch {batch} ({row['strategy']})", now],
            )
            ids.append(pid)
        if ids:
            materialize_recipe_vectors(db)
    return ids


def proposals(db: sqlite_utils.Database, campaign_id: int | None = None) -> pd.DataFrame:
    """Proposals (one row each) with ``parameters``/``predictions``/``reasons`` decoded."""
    sql = "SELECT * FROM proposals" + (" WHERE campaign_id = ?" if campaign_id is not None else "")
    frame = pd.read_sql_query(
        sql + " ORDER BY id", db.conn, params=[] if campaign_id is None else [campaign_id]
    )
    for column in ("parameters", "predictions", "reasons"):
        frame[column] = [json.loads(v) for v in frame.pop(f"{column}_json")]
    return frame


def find_proposal(db: sqlite_utils.Database, proposal: int | str) -> dict[str, Any]:
    """The proposal (``id``, ``campaign_id``, ``campaign``, ``sample``, ``sample_id``, ``status``)
    whose id or sample name is ``proposal``."""
    row = db.execute(
        "SELECT p.id, p.campaign_id, p.sample, p.status, p.sample_id, c.name FROM proposals p"
        " JOIN campaigns c ON c.id = p.campaign_id WHERE CAST(p.id AS TEXT) = ? OR p.sample = ?",
        [str(proposal), str(proposal)],
    ).fetchone()
    if row is None:
        raise InputError(f"no proposal {proposal!r}; see `anodelab campaign show CAMPAIGN`")
    return {"id": int(row[0]), "campaign_id": int(row[1]), "sample": row[2], "status": row[3],
            "sample_id": None if row[4] is None else int(row[4]), "campaign": row[5]}  # fmt: skip


_MANUAL_MOVES = {
    "proposed": ("running", "abandoned"),
    "running": ("proposed", "abandoned"),
    "abandoned": ("proposed", "running"),
    "done": (),
}


def log_status(
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
    with transaction(db):  # BEGIN IMMEDIATE before the read: no writer between read and write
        found = find_proposal(db, proposal)
        pid, old = found["id"], found["status"]
        if status == old:
            return old, status
        if status == "done":
            raise InputError(
                f"proposal {proposal} becomes done when its final results are recorded"
                " (`anodelab record` or `anodelab import-run --proposal`), not by hand"
            )
        if status not in _MANUAL_MOVES[old]:
            raise InputError(
                f"proposal {proposal} is done (its final results are recorded); its status does"
                " not change by hand — record a corrected value instead"
            )
        log_status(db, pid, old, status, note)
    return old, status


def status_history(db: sqlite_utils.Database, campaign_id: int | None = None) -> pd.DataFrame:
    """Every status change (``sample``, ``from_status``, ``to_status``, ``note``, ``at``), oldest first."""
    sql = (
        "SELECT e.id, e.proposal_id, p.sample, e.from_status, e.to_status, e.note, e.at"
        " FROM proposal_events e JOIN proposals p ON p.id = e.proposal_id"
    )
    params: list[Any] = []
    if campaign_id is not None:
        sql += " WHERE p.campaign_id = ?"
        params.append(campaign_id)
    return pd.read_sql_query(sql + " ORDER BY e.id", db.conn, params=params)


def settle_status(
    db: sqlite_utils.Database, proposal: int | str, complete: bool, note: str
) -> tuple[str, str]:
    """After results were stored: the proposal becomes ``done`` when ``complete`` (every outcome
    has a final result and no cell waits on a partial one), ``running`` otherwise; the change
    is logged.  Call it inside the transaction that stored the results.  An abandoned proposal
    takes no results: set it back first.  Returns ``(old, new)``."""
    found = find_proposal(db, proposal)
    old = found["status"]
    if old == "abandoned":
        raise InputError(
            f"proposal {proposal} was abandoned; set it back first"
            f" (`anodelab campaign status {found['sample']} running`)"
        )
    new = "done" if complete else "running"
    if new != old:
        log_status(db, found["id"], old, new, note)
    else:
        db.execute("UPDATE proposals SET updated_at = ? WHERE id = ?", [_now(), found["id"]])
    return old, new


def results(db: sqlite_utils.Database, campaign_id: int | None = None) -> pd.DataFrame:
    """Every value measured on the campaign's proposal samples (see
    :func:`anodelab.kb.lab_results.lab_results`)."""
    return lab_results(db, campaign_id)


def campaign_snapshot(
    db: sqlite_utils.Database,
    campaign: str | int,
    *,
    candidates: bool = False,
    training: bool = True,
) -> dict[str, Any]:
    """Everything a campaign's commands read, in one call and one read transaction:
    ``campaign`` (the row of :func:`get_campaign`; with ``candidates`` its space holds the
    candidate table's rows instead of the reference), ``proposals``, ``results`` (the values
    measured on its samples), ``history`` (status changes), and the whole KB as training data
    sees it: ``recipes`` (:func:`~anodelab.kb.recipes.recipe_vectors`, the campaign's samples
    included) and ``measurements`` (:func:`~anodelab.kb.query.measurements`, lab results
    included, marked by source) — unless ``training`` is false (then both are ``None``)."""
    from anodelab.kb.query import measurements
    from anodelab.kb.recipes import recipe_vectors

    with snapshot(db):
        row = get_campaign(db, campaign)
        table = row["space"].get("candidates")
        if candidates and isinstance(table, dict):
            row["space"] = {**row["space"], "candidates": candidate_table(db, table)}
        elif not candidates:
            row["space"] = {k: v for k, v in row["space"].items() if k != "candidates"}
        return {
            "campaign": row,
            "proposals": proposals(db, row["id"]),
            "results": results(db, row["id"]),
            "history": status_history(db, row["id"]),
            "recipes": recipe_vectors(db) if training else None,
            "measurements": measurements(db) if training else None,
        }
