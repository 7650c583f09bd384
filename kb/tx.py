"""Write transactions and inserted row ids — the two helpers every KB writer shares.

Kept apart from :mod:`anodelab.kb.db` (which opens and migrates files) so that the modules a
migration runs (campaign state, lab results) can use them without importing the opener.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

import sqlite_utils

from anodelab.schema.errors import AnodelabError

__all__ = ["transaction", "inserted_id", "snapshot"]


def inserted_id(cursor: sqlite3.Cursor) -> int:
    """The id of the row an INSERT just wrote (sqlite3 types ``lastrowid`` as optional)."""
    if cursor.lastrowid is None:  # pragma: no cover - always set after an INSERT
        raise AnodelabError("INSERT returned no row id")
    return int(cursor.lastrowid)


@contextlib.contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One write transaction: ``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any error.

    ``IMMEDIATE`` takes the write lock up front, so two writing processes queue on the busy
    timeout instead of deadlocking on a lock upgrade; a read-decide-write done inside it sees
    no other writer between its read and its write.  Nested use becomes a savepoint.
    """
    conn = db.conn
    if conn.in_transaction:
        with db.atomic():
            yield db
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


@contextlib.contextmanager
def snapshot(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """Several reads that see one state of the file (a deferred read transaction; inside a
    caller's transaction, that one)."""
    conn = db.conn
    if conn.in_transaction:
        yield db
        return
    conn.execute("BEGIN")
    try:
        yield db
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")
