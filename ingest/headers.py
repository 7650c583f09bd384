"""Column headers of literature tables → vocabulary term, unit and conditions.

A header such as ``Capacity after 500 cycles at 1 A g−1 (mA h g−1)`` says three things: *what*
the column holds (a property, recipe parameter or condition of the vocabulary, found through its
synonyms), *in which unit* (in parentheses or brackets, after a slash ``Pitch content / wt%``,
after a comma, or in a unit row under the name row) and *at which conditions* (``after 500
cycles`` → ``cycle = 500``; ``at 1 A g−1`` / ``@2 A/g`` → ``current_density``; ``at 0.5 C (1 C =
516 mA g−1)`` → ``c_rate`` plus the 1C definition).

Units are parsed with :func:`anodelab.schema.units.parse_unit` and then *checked* against the
canonical unit of the term: this is what catches pint's silent misreadings of ``mA h g−1``,
``mA cm−2``, ``at%`` and a bare ``C``.  Nothing is guessed: an unknown header or a unit that does
not fit becomes a problem with suggestions.

Instrument exports (cyclers, potentiostats) name *measured quantities* rather than vocabulary
terms: their headers go through the one table of quantity words × unit grammar in
:mod:`anodelab.ingest.quantity_words`, re-exported here as :func:`match_column` /
:func:`match_columns` so that every reader finds both header parsers in one place.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Literal

from anodelab.ingest.quantity_words import (
    QUANTITIES,
    ColumnMatch,
    Quantity,
    match_column,
    match_columns,
    split_header,
)
from anodelab.schema.cells import parse_cell
from anodelab.schema.errors import AnodelabError, UnknownNameError
from anodelab.schema.records import ConditionValue
from anodelab.schema.units import parse_unit, to_canonical, unit_label, ureg
from anodelab.schema.vocabulary import Kind, Term, Vocabulary, load_vocabulary, name_key

__all__ = [
    "QUANTITIES",
    "ColumnMatch",
    "Quantity",
    "match_column",
    "match_columns",
    "split_header",
    "ColumnSpec",
    "header_name_part",
    "parse_header",
    "condition_from_text",
    "make_condition",
    "LABEL_NAMES",
    "SOURCE_NAMES",
]

Role = Literal[
    "label",
    "label_part",
    "cell_attribute",
    "conditions",
    "source",
    "property",
    "pair",
    "parameter",
    "condition",
    "property_name",
    "value",
    "unit",
    "ignore",
    "unknown",
]

LABEL_NAMES = {
    name_key(n)
    for n in (
        "material", "materials", "sample", "samples", "sample name", "anode", "anode material",
        "anode materials", "electrode", "composite", "active material", "name", "system",
        "electrode material", "materials system",
    )
}  # fmt: skip
SOURCE_NAMES = {
    name_key(n)
    for n in (
        "ref",
        "ref.",
        "refs",
        "refs.",
        "reference",
        "references",
        "doi",
        "source",
        "citation",
        "literature",
        "year/ref.",
    )
}
_LONG_NAMES: dict[str, Role] = {
    name_key("property"): "property_name",
    name_key("quantity"): "property_name",
    name_key("value"): "value",
    name_key("unit"): "unit",
    name_key("units"): "unit",
}
_PAIR = re.compile(
    r"\b(discharge|lithiation|Q_?dis|charge|delithiation|Q_?ch)\s*/\s*"
    r"(discharge|lithiation|Q_?dis|charge|delithiation|Q_?ch)\b",
    re.IGNORECASE,
)
_PAIR_TERMS = {
    "discharge": "discharge_capacity",
    "lithiation": "discharge_capacity",
    "qdis": "discharge_capacity",
    "charge": "charge_capacity",
    "delithiation": "charge_capacity",
    "qch": "charge_capacity",
}
_NUM = r"\d+(?:[.,]\d+)?"
_ONE_C = re.compile(rf"\(?\s*1\s*C\s*=\s*({_NUM})\s*([^)]*?)\s*(?:\)|$)")
_CYCLES = re.compile(
    r"(?:\b(?:after|over|for|at|@)\s*(?:the\s*)?)?\b(\d+)\s*(?:st|nd|rd|th)?\s*(?:cycles?|cyc\.?)\b"
    r"|\b(\d+)\s*(?:st|nd|rd|th)\b(?:\s*cycle)?",
    re.IGNORECASE,
)
_AT = re.compile(rf"(?:\bat\b|@)\s*({_NUM})\s*([^,;()@]*)", re.IGNORECASE)
_INITIAL = re.compile(r"^(initial|first[- ]cycle|first|1st[- ]cycle|1st)\s+", re.IGNORECASE)
_FOOTNOTE = re.compile(r"(?:[*†‡§]+|[ᵃᵇᶜᵈᵉᶠᵍ]+|\^\s*[a-z*†‡]|\[[a-z]\])$")


@dataclass
class ColumnSpec:
    """How one column of a table was understood."""

    index: int
    header: str
    role: Role = "unknown"
    term: Term | None = None
    pair_terms: tuple[Term, ...] = ()
    name_text: str = ""
    unit_text: str | None = None
    unit_from: str | None = None  # "header", "unit row", "mapping"
    conditions: dict[str, ConditionValue] = field(default_factory=dict)
    one_c_mA_per_g: float | None = None
    one_c_raw: str | None = None
    scale_fraction: bool = False  # values are 0–1 fractions of a % quantity (mapping says so)
    value_map: dict[str, str] = field(default_factory=dict)  # cell text → text (the map's)
    second: Any = (
        None  # what a cell's second number is (ingest.two_values.SecondValue), from the map
    )
    fill_down: bool = False
    suggestions: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def describe(self) -> dict[str, object]:
        """One row of the dry-run report."""
        terms = (
            [t.name for t in self.pair_terms]
            if self.pair_terms
            else ([self.term.name] if self.term else [])
        )
        return {
            "column": self.index + 1,
            "header": self.header,
            "role": self.role,
            "term": " / ".join(terms) or None,
            "unit": self.unit_text,
            "unit_from": self.unit_from,
            "canonical_unit": (self.term.unit_label if self.term else "") or None,
            "conditions": "; ".join(f"{k}={v.display()}" for k, v in self.conditions.items())
            or None,
            "one_c_mA_per_g": self.one_c_mA_per_g,
            "problems": list(self.problems),
            "warnings": list(self.warnings),
            "suggestions": list(self.suggestions),
        }


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(" " if unicodedata.category(ch) in ("Zs", "Cc") else ch for ch in text)
    text = re.sub(r"\s+", " ", text).strip()
    while True:
        new = _FOOTNOTE.sub("", text).strip()
        if new == text:
            return text
        text = new


def _try_unit(text: str) -> bool:
    text = text.strip()
    if not text or len(text) > 30 or re.fullmatch(r"[\d\s.,]+", text):
        return False
    try:
        parse_unit(text)
    except AnodelabError:
        return False
    return True


def make_condition(term: Term, value: float, unit_text: str | None, raw: str) -> ConditionValue:
    """A numeric condition in its canonical unit (dimension-checked against the vocabulary)."""
    canonical = term.canonical_value(value, unit_text)
    return ConditionValue(value=canonical, unit=term.unit, raw=raw)


def _longest_unit_prefix(text: str) -> str | None:
    words = text.strip().split()
    for n in range(len(words), 0, -1):
        candidate = " ".join(words[:n])
        if _try_unit(candidate):
            return candidate
    return None


def condition_from_text(
    text: str, vocab: Vocabulary | None = None, *, name: str | None = None
) -> tuple[str, ConditionValue]:
    """Read a condition such as ``1 A g−1``, ``0.5 C``, ``25 °C`` or ``100`` (with ``name``).

    Without ``name`` the condition is recognised from the unit's dimension (``A g−1`` →
    ``current_density``; ``C`` → ``c_rate``).  Raises :class:`AnodelabError` when it cannot.
    """
    vocab = vocab or load_vocabulary()
    cell = parse_cell(text)
    if cell.kind != "number" or cell.value is None:
        raise UnknownNameError("condition value", text)
    if name is not None:
        term = vocab.get("condition", name)
        if not term.is_numeric:
            return term.name, ConditionValue(text=text.strip(), raw=text)
        unit = cell.unit_text
        if unit is None and term.unit not in ("cycle_count", "dimensionless"):
            raise UnknownNameError(f"unit for condition {term.name} in", text)
        return term.name, make_condition(term, cell.value, unit, text)
    if not cell.unit_text:
        raise UnknownNameError("condition (no unit to recognise it by)", text)
    cell_unit = parse_unit(cell.unit_text)
    for term in vocab.conditions().values():
        if (
            term.is_numeric
            and term.unit
            and parse_unit(term.unit).dimensionality == cell_unit.dimensionality
        ):
            if cell_unit.dimensionality == ureg.dimensionless.dimensionality:
                continue  # a bare number or % says nothing about which condition it is
            return term.name, make_condition(term, cell.value, cell.unit_text, text)
    raise UnknownNameError("condition with unit", cell.unit_text)


def _extract_conditions(text: str, spec: ColumnSpec, vocab: Vocabulary) -> str:
    match = _ONE_C.search(text)
    if match:
        value = float(match.group(1).replace(",", "."))
        unit = match.group(2).strip() or None
        try:
            spec.one_c_mA_per_g = to_canonical(value, unit, "mA/g", what="1C definition")
            spec.one_c_raw = match.group(0).strip(" ()")
        except AnodelabError as exc:
            spec.problems.append(f"cannot read the 1C definition {match.group(0).strip()!r}: {exc}")
        text = (text[: match.start()] + " " + text[match.end() :]).strip()
    for match in list(_AT.finditer(text))[::-1]:
        number, tail = match.group(1), match.group(2)
        unit = _longest_unit_prefix(tail)
        if unit is None:
            continue
        phrase = f"{number} {unit}"
        try:
            name, cond = condition_from_text(phrase.replace(",", "."), vocab)
        except AnodelabError:
            continue
        spec.conditions[name] = cond
        end = match.start(2) + tail.find(unit) + len(unit)
        text = (text[: match.start()] + " " + text[end:]).strip()
    match = _CYCLES.search(text)
    if match:
        number = match.group(1) or match.group(2)
        spec.conditions["cycle"] = ConditionValue(
            value=float(number), unit="cycle_count", raw=match.group(0).strip()
        )
        text = (text[: match.start()] + " " + text[match.end() :]).strip()
    return re.sub(r"\s+", " ", text).strip(" ,;:-")


def _extract_unit(text: str) -> tuple[str, str | None]:
    for match in re.finditer(r"\(([^()]*)\)|\[([^\[\]]*)\]", text):
        inner = (match.group(1) if match.group(1) is not None else match.group(2)).strip()
        if _try_unit(inner):
            rest = (text[: match.start()] + " " + text[match.end() :]).strip()
            return re.sub(r"\s+", " ", rest), inner
    comma = re.match(r"^(.*?\S)\s*,\s*(.+)$", text)
    if comma and _try_unit(comma.group(2)):
        return comma.group(1).strip(), comma.group(2).strip()
    if _PAIR.search(text):
        return text, None
    for slash in [m.start() for m in re.finditer("/", text)]:
        name, unit = text[:slash].strip(), text[slash + 1 :].strip()
        # "I_D/I_G" is a ratio name, not a unit; a spaced " / " always separates the unit
        spaced = text[slash - 1 : slash + 2] == " / "
        if (
            name
            and _try_unit(unit)
            and (spaced or not re.fullmatch(r"[A-Za-z](_?[A-Za-z0-9+]*)?", unit))
        ):
            return name, unit
    return text, None


def _lookup(name: str, vocab: Vocabulary) -> Term | None:
    return vocab.find(name, ("property", "parameter", "condition"))


def header_name_part(header: str) -> str:
    """The header without its unit and footnote marks (``ICE (%)`` → ``ICE``), for matching."""
    return _extract_unit(_clean(header))[0].strip(" ,;:.")


def header_unit_part(header: str, unit_row: str | None = None) -> str | None:
    """The unit a header (or its unit row) prints: ``Loading (mg cm−2)`` → ``mg cm−2``."""
    unit = _extract_unit(_clean(header))[1]
    if unit is None and unit_row and unit_row.strip():
        unit = _clean(unit_row).strip("()[] ") or None
    return unit


def parse_header(
    header: str,
    index: int = 0,
    *,
    unit_row: str | None = None,
    vocab: Vocabulary | None = None,
    term: Term | None = None,
    unit: str | None = None,
) -> ColumnSpec:
    """Understand one column header (and the text of its unit row, if the table has one).

    ``term`` and ``unit`` (from a mapping file) pin what the column means and its unit; the
    conditions and, when ``unit`` is not given, the unit are still read from the header.
    """
    vocab = vocab or load_vocabulary()
    text = _clean(header)
    spec = ColumnSpec(index=index, header=text)
    key = name_key(text.strip(" .:"))
    if term is not None:
        rest = _extract_conditions(text, spec, vocab)
        name, header_unit = _extract_unit(rest)
        spec.name_text = name
        if unit is not None:
            spec.unit_text, spec.unit_from = unit, "mapping"
        elif header_unit is not None:
            spec.unit_text, spec.unit_from = header_unit, "header"
        elif unit_row and _try_unit(_clean(unit_row).strip("()[] ")):
            spec.unit_text, spec.unit_from = _clean(unit_row).strip("()[] "), "unit row"
        spec.term = term
        # Term.kind also admits "step_quantity", which is not a Role; mapping files name only
        # property/parameter/condition terms (ingest.mapping), so the kind is a valid role here.
        spec.role = "property" if term.kind == "property" else term.kind  # type: ignore[assignment]
        _check_unit(spec)
        return spec
    if not text:
        spec.role = "unknown"
        spec.problems.append("empty header")
        return spec
    if key in LABEL_NAMES or key.rstrip(".") in LABEL_NAMES:
        spec.role = "label"
        return spec
    if key in SOURCE_NAMES or key.rstrip(".") in SOURCE_NAMES:
        spec.role = "source"
        spec.fill_down = True
        return spec
    if key in _LONG_NAMES:
        spec.role = _LONG_NAMES[key]
        return spec
    rest = _extract_conditions(text, spec, vocab)
    name, unit = _extract_unit(rest)
    if unit is None and unit_row and _clean(unit_row):
        unit_text = _clean(unit_row).strip("()[] ")
        if _try_unit(unit_text):
            unit, spec.unit_from = unit_text, "unit row"
        else:
            spec.problems.append(f"unit row text {unit_row!r} is not a unit")
    elif unit is not None:
        spec.unit_from = "header"
    spec.unit_text = unit
    spec.name_text = name = name.strip(" ,;:.")
    pair = _PAIR.search(name)
    if pair:
        first = _PAIR_TERMS[name_key(pair.group(1)).replace("_", "")]
        second = _PAIR_TERMS[name_key(pair.group(2)).replace("_", "")]
        remainder = name_key(name[: pair.start()] + name[pair.end() :])
        if first != second and re.fullmatch(
            r"(initial|first|1st|specific)*(capacit(y|ies))?", remainder
        ):
            spec.role = "pair"
            spec.pair_terms = (vocab.get("property", first), vocab.get("property", second))
            spec.term = spec.pair_terms[0]
            if re.match(r"(initial|first|1st)", remainder):
                spec.conditions.setdefault(
                    "cycle", ConditionValue(value=1.0, unit="cycle_count", raw="initial")
                )
            _check_unit(spec)
            return spec
    term = _lookup(name, vocab)
    initial = _INITIAL.match(name) if term is None else None
    if initial is not None:
        term = _lookup(_INITIAL.sub("", name), vocab)
        if term is not None and term.kind == "property":
            spec.conditions.setdefault(
                "cycle",
                ConditionValue(value=1.0, unit="cycle_count", raw=initial.group(1)),
            )
    if term is None:
        spec.role = "unknown"
        hits: list[str] = []
        kinds: tuple[Kind, ...] = ("property", "parameter", "condition")
        for kind in kinds:
            try:
                vocab.get(kind, name)
            except UnknownNameError as exc:
                hits += [h for h in exc.suggestions if h not in hits]
        spec.suggestions = hits[:5]
        hint = f"; did you mean {', '.join(hits[:5])}?" if hits else ""
        spec.problems.append(
            f"unknown column {name!r}{hint} (map it in a mapping file or ignore it)"
        )
        return spec
    spec.term = term
    # _lookup finds only property/parameter/condition terms, all valid roles (see above)
    spec.role = "property" if term.kind == "property" else term.kind  # type: ignore[assignment]
    _check_unit(spec)
    return spec


def _check_unit(spec: ColumnSpec) -> None:
    """Refuse a unit whose dimension does not fit the term (pint's silent traps land here)."""
    term = spec.term
    if term is None or not term.is_numeric:
        return
    if spec.unit_text is None:
        return  # cells may carry their own unit; checked per cell
    try:
        to_canonical(1.0, spec.unit_text, term.unit, what=f"{term.kind} {term.name}")
    except AnodelabError:
        unit = parse_unit(spec.unit_text)
        c_rate = unit == ureg.C_rate
        if term.name == "current_density" and c_rate:
            spec.warnings.append(
                "header names a current density but the unit is a C-rate: read as c_rate"
            )
            spec.term = load_vocabulary().get("condition", "c_rate")
            return
        vocab = load_vocabulary()
        areal = vocab.find(f"areal_{term.name}", (term.kind,))
        if areal is not None:
            try:
                to_canonical(1.0, spec.unit_text, areal.unit)
            except AnodelabError:
                pass
            else:
                spec.warnings.append(f"unit {spec.unit_text!r} is per area: read as {areal.name}")
                spec.term = areal
                return
        spec.problems.append(
            f"unit {spec.unit_text!r} ({unit_label(unit) or 'dimensionless'}) does not fit "
            f"{term.name} (canonical {term.unit_label or 'dimensionless'})"
        )
