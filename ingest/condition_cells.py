"""A cell that packs several conditions, read with the header grammar.

Long tables (text-mined records) carry the conditions of a value in one cell, as a dict-like text
(``{'temperature': '25 °C', 'rate': '0.1C'}``) or as prose (``at 0.1 C and 25 °C``, ``after 100
cycles at 1 A g−1``).  Both become the row's conditions: dict keys through the vocabulary (an
unknown key such as ``rate`` is recognised from its value's unit), prose through the same grammar
that reads conditions from headers (:func:`anodelab.ingest.headers.condition_from_text` and
the header condition patterns), so a cell and a header never disagree about ``0.1 C``.
"""

from __future__ import annotations

import ast
import re

from anodelab.ingest.headers import ColumnSpec, condition_from_text, parse_header
from anodelab.schema.errors import AnodelabError
from anodelab.schema.records import ConditionValue
from anodelab.schema.vocabulary import Vocabulary

__all__ = ["conditions_from_cell"]

_SPLIT = re.compile(r"\s*(?:,|;|\band\b|&)\s*", re.IGNORECASE)


def _from_mapping(text: str, vocab: Vocabulary) -> dict[str, ConditionValue]:
    try:
        data = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise AnodelabError(
            f"cannot read the conditions {text!r} (not a {{name: value}} text)"
        ) from None
    if not isinstance(data, dict):
        raise AnodelabError(f"cannot read the conditions {text!r} (not a {{name: value}} text)")
    out: dict[str, ConditionValue] = {}
    for key, value in data.items():
        shown = str(value)
        known = vocab.find(str(key), ["condition"])
        name, cond = condition_from_text(shown, vocab, name=known.name if known else None)
        out[name] = cond
    return out


def _from_prose(text: str, vocab: Vocabulary) -> dict[str, ConditionValue]:
    # the header grammar reads "Capacity at 0.1 C after 100 cycles"; give it a neutral name
    spec: ColumnSpec = parse_header(f"value {text}", 0, vocab=vocab)
    out = dict(spec.conditions)
    rest = re.sub(r"^\s*(?:at|@)\s*", "", text.strip(), flags=re.IGNORECASE)
    for part in _SPLIT.split(rest):
        part = re.sub(r"^(?:at|@)\s*", "", part.strip(), flags=re.IGNORECASE)
        if not part or not part[0].isdigit() and part[0] not in "+-.":
            continue
        try:
            name, cond = condition_from_text(part, vocab)
        except AnodelabError:
            continue
        out.setdefault(name, cond)
    if not out:
        raise AnodelabError(f"no condition recognised in {text!r}")
    return out


def conditions_from_cell(text: str, vocab: Vocabulary) -> dict[str, ConditionValue]:
    """The conditions a cell states (``{'temperature': '25 °C'}`` or ``at 0.1 C and 25 °C``)."""
    stripped = text.strip()
    if not stripped or stripped.lower() in ("none", "{}", "-", "n/a"):
        return {}
    if stripped.startswith("{"):
        return _from_mapping(stripped, vocab)
    return _from_prose(stripped, vocab)
