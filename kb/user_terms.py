"""User vocabulary terms stored in the KB file (table ``user_terms``).

A KB carries the terms its users added (``anodelab vocabulary add``, a mapping file's
``vocabulary:`` section, ``KnowledgeBase.add_term``, an optimizer space naming a new parameter),
so a KB file copied elsewhere still explains its own columns.  Opening a KB activates its terms:
:func:`anodelab.schema.vocabulary.load_vocabulary` then returns the shipped vocabulary plus them,
and every command (import, relate, export, Datasette views, models, campaigns) sees them.

Python API (the optimizer and the importer call these)::

    from anodelab.kb.db import open_db
    from anodelab.kb.user_terms import add_user_terms
    from anodelab.schema.vocabulary import user_term

    db = open_db("kb.db")
    add_user_terms(db, [user_term("tap_density_x", "property", "g/cm3")])

Re-adding an identical term changes nothing; a different definition under a stored name is
refused.  A stored term that a later anodelab release ships itself (same name, same kind) gives
way to the shipped one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime

import sqlite_utils

from anodelab.schema.errors import InputError
from anodelab.schema.vocabulary import (
    Term,
    Vocabulary,
    builtin_vocabulary,
    use_user_terms,
    user_term,
)

__all__ = [
    "ensure_user_terms_table",
    "load_user_terms",
    "add_user_terms",
    "activate_user_terms",
    "kb_vocabulary",
]

_TABLE = "user_terms"


def ensure_user_terms_table(db: sqlite_utils.Database) -> None:
    """Create ``user_terms`` when missing (idempotent migration step)."""
    db.execute(
        f"""CREATE TABLE IF NOT EXISTS {_TABLE} (
               kind TEXT NOT NULL,          -- property | parameter | condition
               name TEXT NOT NULL,
               unit TEXT,                   -- canonical unit (pint text); NULL for text terms
               value_kind TEXT NOT NULL DEFAULT 'number',
               min REAL,
               max REAL,
               description TEXT,
               synonyms_json TEXT NOT NULL DEFAULT '[]',
               values_json TEXT NOT NULL DEFAULT '[]',
               step_type TEXT,              -- parameters: the step the value belongs to
               added_by TEXT,               -- cli | map:<file> | api | campaign:<name>
               added_at TEXT,
               PRIMARY KEY (kind, name)
           )"""
    )


def _has_table(db: sqlite_utils.Database) -> bool:
    row = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [_TABLE]
    ).fetchone()
    return row is not None


def load_user_terms(db: sqlite_utils.Database) -> tuple[Term, ...]:
    """The KB's user terms, minus those a shipped term now covers (none when the table is absent)."""
    if not _has_table(db):
        return ()
    base = builtin_vocabulary()
    terms: list[Term] = []
    rows = db.execute(
        f"SELECT kind, name, unit, value_kind, min, max, description, synonyms_json, values_json, "
        f"step_type FROM {_TABLE} ORDER BY rowid"
    ).fetchall()
    for kind, name, unit, value_kind, low, high, description, synonyms, values, step_type in rows:
        term = user_term(
            name,
            kind,
            unit,
            synonyms=json.loads(synonyms or "[]"),
            description=description or "",
            min=low,
            max=high,
            value_kind=value_kind or "number",
            values=json.loads(values or "[]"),
            step_type=step_type,
        )
        try:
            base.with_terms([*terms, term])
        except InputError:
            continue  # a shipped term took this name since: the shipped one wins
        terms.append(term)
    return tuple(terms)


def activate_user_terms(db: sqlite_utils.Database) -> tuple[Term, ...]:
    """Make the KB's user terms part of :func:`load_vocabulary` (called by ``open_db``)."""
    terms = load_user_terms(db)
    use_user_terms(terms)
    return terms


def kb_vocabulary(db: sqlite_utils.Database) -> Vocabulary:
    """The vocabulary of this KB: shipped terms plus the KB's user terms."""
    return builtin_vocabulary().with_terms(load_user_terms(db))


def add_user_terms(
    db: sqlite_utils.Database, terms: Iterable[Term], *, added_by: str = "api"
) -> list[str]:
    """Store ``terms`` in the KB (one transaction), activate them and rebuild the views.

    :returns: the names newly added (an identical term already stored is not repeated).
    :raises InputError: a name or synonym that already names another term of its kind, or a
        different definition under a name the KB already has.
    """
    from anodelab.kb.db import transaction

    terms = list(terms)
    current = load_user_terms(db)
    stored: set[tuple[str, str]] = {(t.kind, t.name) for t in current}
    builtin_vocabulary().with_terms([*current, *terms])  # raises on any clash, before writing
    added: list[str] = []
    try:
        with transaction(db):
            _insert(db, terms, stored, added, added_by)
    except BaseException:
        use_user_terms(current)  # the write was rolled back: so is the activation
        raise
    return added


def _insert(
    db: sqlite_utils.Database,
    terms: list[Term],
    stored: set[tuple[str, str]],
    added: list[str],
    added_by: str,
) -> None:
    from anodelab.kb.db import refresh_vocabulary
    from anodelab.kb.recipes import materialize_recipe_vectors

    now = datetime.now(UTC).isoformat(timespec="seconds")
    ensure_user_terms_table(db)
    shipped = builtin_vocabulary().terms
    for term in terms:
        if (term.kind, term.name) in stored or term.name in shipped[term.kind]:
            continue  # already stored, or identical to a shipped term (with_terms checked)
        db.execute(
            f"INSERT INTO {_TABLE} (kind, name, unit, value_kind, min, max, description, "
            "synonyms_json, values_json, step_type, added_by, added_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                term.kind,
                term.name,
                term.unit,
                term.value_kind,
                term.min,
                term.max,
                term.description,
                json.dumps(list(term.synonyms), ensure_ascii=False),
                json.dumps(list(term.values), ensure_ascii=False),
                term.derivation.get("from", {}).get("step_type"),
                added_by,
                now,
            ],
        )
        stored.add((term.kind, term.name))
        added.append(term.name)
    if added:
        activate_user_terms(db)
        refresh_vocabulary(db)
        if any(t.kind == "parameter" for t in terms):
            materialize_recipe_vectors(db)
