"""The ``vocabulary:`` section of a file: user terms written as a list of entries.

One format for every file that may add terms — table mapping files (``anodelab import-table
--map``) and campaign files (a space naming its own parameters and objectives)::

    vocabulary:
      - {name: toughness, kind: property, unit: J/m3, description: crossed-barrel toughness}
      - {name: theta, kind: parameter, unit: degree, min: 0, max: 200}
      - {name: n, kind: parameter, unit: 1, description: number of struts}

Each entry goes through :func:`anodelab.schema.vocabulary.user_term` (name, kind, pint unit or
``1`` for a dimensionless number, plausible range); the KB stores them with
:func:`anodelab.kb.user_terms.add_user_terms`.
"""

from __future__ import annotations

from typing import Any

from anodelab.schema.errors import InputError
from anodelab.schema.vocabulary import Term, user_term

__all__ = ["TERM_KEYS", "terms_from_entries"]

TERM_KEYS = frozenset(
    {"name", "kind", "unit", "synonyms", "description", "min", "max", "text", "step_type"}
)


def terms_from_entries(value: Any, file: str | None) -> tuple[Term, ...]:
    """The terms of a ``vocabulary:`` section (``None``: none); unknown keys are errors."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InputError(
            "'vocabulary' must be a list of terms (- {name: …, kind: …, unit: …})", file=file
        )
    terms = []
    for number, entry in enumerate(value, start=1):
        where = f"vocabulary entry {number}"
        if not isinstance(entry, dict) or "name" not in entry or "kind" not in entry:
            raise InputError(f"{where}: needs at least name and kind", file=file)
        bad = set(entry) - TERM_KEYS
        if bad:
            raise InputError(
                f"{where}: unknown keys {sorted(bad)}; allowed: {sorted(TERM_KEYS)}", file=file
            )
        synonyms = entry.get("synonyms") or []
        if isinstance(synonyms, str):
            synonyms = [synonyms]
        try:
            terms.append(
                user_term(
                    str(entry["name"]),
                    str(entry["kind"]),
                    None if entry.get("unit") is None else str(entry["unit"]),
                    synonyms=[str(s) for s in synonyms],
                    description=str(entry.get("description") or ""),
                    min=entry.get("min"),
                    max=entry.get("max"),
                    value_kind="text" if entry.get("text") else "number",
                    step_type=entry.get("step_type"),
                )
            )
        except InputError as exc:
            raise InputError(f"{where}: {exc.message}", file=file) from None
    return tuple(terms)
