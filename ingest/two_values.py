"""Cells that hold two values, read the way the map says.

Comparison tables pack a second number into a cell: ``1560 @ 100`` (capacity @ cycle),
``1700.0 (90.0%)`` (first reversible capacity, initial CE in brackets), ``521.4 and 448.0``.
Without a map such a cell is refused (``more than one value``).  A column's ``second:`` in the
map says what the second number is:

* ``second: {condition: cycle}`` — a condition of the first value (``1560 @ 100`` → 1560 at
  cycle 100);
* ``second: {property: initial_coulombic_efficiency, unit: "%"}`` — another value of the same
  sample at the same conditions (``1700.0 (90.0%)`` → a capacity and an ICE);
* ``second: {as: range}`` — the two numbers are a low–high range of the column's own quantity
  (``448.0 and 521.4``); without a ``second:`` the cell is refused with the reason;
* ``second: {condition: cycle, row: true}`` — a condition of the row's other electrochemical
  values too (``QdN (N)`` = ``800.0 (120)`` and the retention column of the same N).

A cell with one value is read as usual (the second part is optional).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from anodelab.schema.cells import parse_cell
from anodelab.schema.errors import AnodelabError
from anodelab.schema.vocabulary import Term, Vocabulary

__all__ = ["SecondValue", "second_value_spec", "split_two"]

_AT = re.compile(r"^(?P<first>.*?\S)\s*@\s*(?P<second>\S.*)$")
_BRACKET = re.compile(
    r"^(?P<first>.*?\S)\s*\(\s*(?P<second>[^()]*?\d[^()]*?)\s*\)\s*(?P<tail>[a-z*†‡]?\)?)$"
)
_AND = re.compile(r"^(?P<first>.*?\S)\s+(?:and|&|;)\s+(?P<second>\S.*)$", re.IGNORECASE)


@dataclass(frozen=True)
class SecondValue:
    """What the second number of a column's cells is: a condition or another property."""

    kind: str  # "condition" | "property" | "range" (low–high of the column's own quantity)
    term: Term | None
    unit: str | None = None
    row: bool = False  # a condition of every electrochemical value of the row (``row: true``)


def second_value_spec(spec: dict[str, str], vocab: Vocabulary) -> SecondValue:
    """The map's ``second:`` entry, checked against the vocabulary."""
    if "as" in spec:
        if set(spec) != {"as"} or spec["as"] != "range":
            raise AnodelabError(
                "`second: {as: range}` is the one `as:` (two values of one quantity at the same "
                "conditions cannot both be stored: give each its own row or condition)"
            )
        return SecondValue(kind=spec["as"], term=None)
    kinds = [k for k in ("condition", "property") if k in spec]
    if len(kinds) != 1 or set(spec) - {"condition", "property", "unit", "row"}:
        raise AnodelabError(
            "`second:` takes one of condition or property (optionally unit and row), or as"
        )
    kind = kinds[0]
    term = vocab.get(kind, spec[kind])  # type: ignore[arg-type]
    row = str(spec.get("row", "")).lower() in ("true", "yes", "1")
    if row and kind != "condition":
        raise AnodelabError("`second: {row: true}` needs a condition")
    return SecondValue(kind=kind, term=term, unit=spec.get("unit"), row=row)


def split_two(text: str) -> tuple[str, str | None]:
    """``"1560 @ 100"`` → ``("1560", "100")``; ``"1700.0 (90.0%)"`` → ``("1700.0", "90.0%")``;
    a cell with one value → ``(text, None)``.  A footnote mark after the second value stays
    with the first (``1625 @ 100a)`` → ``("1625a)", "100")``)."""
    stripped = " ".join(text.split())
    for pattern in (_AT, _BRACKET, _AND):
        match = pattern.match(stripped)
        if match:
            second = match.group("second")
            tail = match.groupdict().get("tail") or ""
            mark = re.search(r"([a-z*†‡]\))$", second)
            if mark and pattern is _AT:
                second, tail = second[: mark.start()].strip(), mark.group(1)
            return match.group("first") + tail, second
    return text, None


def read_second(second: SecondValue, text: str, decimal: str) -> tuple[float, str | None]:
    """The second number in its term's canonical unit (its unit from the cell, else the map's,
    else the term's own)."""
    cell = parse_cell(text, decimal=decimal)
    if cell.value is None:
        raise AnodelabError(f"the second value {text!r} is not one number")
    if second.term is None:  # a range: converted with the first value's unit by the caller
        return cell.value, cell.unit_text
    unit = cell.unit_text or second.unit or second.term.unit
    return second.term.canonical_value(cell.value, unit), unit
