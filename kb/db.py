"""Opening a KB file: WAL, busy timeout, schema version and migrations.

The KB is one SQLite file.  Every connection runs in WAL mode with a busy timeout, so several
processes can read while one writes, and two writers wait for each other instead of failing with
"database is locked".  ``PRAGMA user_version`` holds the schema version: an older file is migrated
on open, a newer one is refused with a clear message.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import sqlite_utils

from anodelab.kb.migrations import migrate_to_v3, script_statements
from anodelab.kb.recipes import materialize_recipe_vectors
from anodelab.kb.tx import inserted_id, transaction
from anodelab.kb.user_terms import activate_user_terms, ensure_user_terms_table
from anodelab.schema.errors import AnodelabError, SchemaVersionError
from anodelab.schema.vocabulary import load_vocabulary

__all__ = [
    "SCHEMA_VERSION",
    "DEFAULT_DB",
    "open_db",
    "transaction",
    "default_db_path",
    "inserted_id",
]

Database = sqlite_utils.Database  # the KB handle other layers may name in type hints

SCHEMA_VERSION = 4
DEFAULT_DB = "anodelab.db"
BUSY_TIMEOUT_MS = 30_000


def default_db_path() -> Path:
    """``$ANODELAB_DB`` if set, else ``./anodelab.db``."""
    return Path(os.environ.get("ANODELAB_DB") or DEFAULT_DB)


def _connect(path: Path, readonly: bool) -> sqlite3.Connection:
    if readonly:
        uri = f"file:{path.resolve()}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    else:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def open_db(
    path: str | os.PathLike[str] | None = None, *, create: bool = True, readonly: bool = False
) -> sqlite_utils.Database:
    """Open (and, unless ``readonly``, create or migrate) the KB at ``path``.

    :param path: KB file; default :func:`default_db_path`.
    :param create: create the file when missing (else raise).
    :param readonly: open read-only (no migration; refuses an old schema).
    """
    db_path = Path(path) if path is not None else default_db_path()
    if not db_path.exists() and (readonly or not create):
        raise AnodelabError(
            f"no knowledge base at {db_path}; create one with `anodelab init --db {db_path}`"
        )
    conn = _connect(db_path, readonly)
    db = sqlite_utils.Database(conn)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"{db_path} has schema version {version}, newer than this anodelab supports "
            f"({SCHEMA_VERSION}); upgrade anodelab"
        )
    if readonly:
        if version == 0 and "schema_meta" not in db.table_names():
            raise SchemaVersionError(f"{db_path} is not an anodelab knowledge base")
        if version < SCHEMA_VERSION:
            raise SchemaVersionError(
                f"{db_path} has schema version {version}; open it once for writing to migrate it to {SCHEMA_VERSION}"
            )
        activate_user_terms(db)
        return db
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    _migrate(db, version, db_path)
    return db


def _migrate(db: sqlite_utils.Database, version: int, db_path: Path) -> None:
    if version == 0 and db.table_names() and "schema_meta" not in db.table_names():
        raise SchemaVersionError(f"{db_path} is an SQLite file but not an anodelab knowledge base")
    with transaction(db):
        if version < 1:
            for statement in script_statements("schema_v1.sql"):
                db.execute(statement)
        if version < 2:
            _migrate_to_v2(db)
        if version < 4:
            # independent of v3's changes, and run before it: v3 reads campaign recipes, which
            # may name user terms (their table must exist and be active first)
            _migrate_to_v4(db)
        activate_user_terms(db)  # before v3: a proposal's recipe may use a user-named parameter
        moved = migrate_to_v3(db) if version < 3 else False
        db.execute(
            "INSERT OR REPLACE INTO schema_meta(key, value) VALUES ('schema_version', ?)",
            [str(SCHEMA_VERSION)],
        )
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        refresh_vocabulary(db)
        if moved:
            materialize_recipe_vectors(db)


def _migrate_to_v2(db: sqlite_utils.Database) -> None:
    """Version 2: documented-layout rows are numbered as a spreadsheet shows them (header = row 1),
    and ``import_bundles`` keeps the records of every import (undo of a replacement restores them).

    Version 1 stored them counting data rows (the first data row was row 1) while the literature
    importer stored file rows; values a documented-layout import wrote move down one row.  A new
    KB (nothing imported yet) is unchanged by this."""
    layout_imports = (
        "SELECT id FROM imports WHERE importer LIKE 'anodelab.ingest.table_import[%' "
        "AND importer != 'anodelab.ingest.table_import[literature]'"
    )
    for table in ("measurements", "step_parameters"):
        db.execute(
            f"UPDATE {table} SET row = row + 1 WHERE row IS NOT NULL AND import_id IN ({layout_imports})"
        )
    # What each import wrote, so that undoing the import that replaced it can bring it back.
    db.execute(
        """CREATE TABLE IF NOT EXISTS import_bundles (
               import_id INTEGER PRIMARY KEY REFERENCES imports(id),
               bundle_json TEXT NOT NULL,
               create_missing_samples INTEGER NOT NULL DEFAULT 0
           )"""
    )


def _migrate_to_v4(db: sqlite_utils.Database) -> None:
    """Version 4 (issue 17): user vocabulary terms (table ``user_terms``) and row-level imports
    (``imports.rows_taken``, ``rows_refused``, ``refused_json``).  Idempotent."""
    ensure_user_terms_table(db)
    _migrate_ledger_rows(db)


def _migrate_ledger_rows(db: sqlite_utils.Database) -> None:
    """The ledger records rows taken and refused and why (adds the columns when missing)."""
    have = {row[1] for row in db.execute("PRAGMA table_info(imports)").fetchall()}
    for column, sql_type in (
        ("rows_taken", "INTEGER"),
        ("rows_refused", "INTEGER"),
        ("refused_json", "TEXT"),
    ):
        if column not in have:
            db.execute(f"ALTER TABLE imports ADD COLUMN {column} {sql_type}")


def refresh_vocabulary(db: sqlite_utils.Database) -> None:
    """Copy the vocabulary into the ``vocabulary`` table and regenerate the views built from it."""
    from anodelab.kb.views import create_views  # local: views import this module's helpers

    db.execute("DELETE FROM vocabulary")
    rows = load_vocabulary().records()
    if rows:
        columns = list(rows[0])
        placeholders = ", ".join("?" for _ in columns)
        db.conn.executemany(
            f"INSERT INTO vocabulary ({', '.join(columns)}) VALUES ({placeholders})",
            [[r[c] for c in columns] for r in rows],
        )
    create_views(db)
