"""Grammar of one table cell as printed in papers: a number, with what surrounds it.

:func:`parse_cell` turns the text of one cell into a :class:`CellValue` — never guessing:

================================  ===============================================================
as printed                        parsed
================================  ===============================================================
``651``, ``1,234``, ``1 234``     value (thousands separators: ``,`` or a thin/no-break space)
``≈91``, ``~1.0``, ``ca. 3``      value, qualifier ``≈``; ``<5``, ``≥ 99`` keep their qualifier
``651 ± 12``, ``85.3 (± 1.2)``    value + uncertainty (kind ``unspecified``); ``5.23(4)`` = 5.23 ± 0.04
``50–140``, ``0.2 to 0.45``       a range: ``value_min``/``value_max``, ``value`` stays ``None``
``2200/1589``                     a pair (``second``), only when the caller allows it (header says
                                  discharge/charge) — otherwise an error
``3.2 × 10−12``, ``3.2E-12``      3.2e-12
``651ᵃ``, ``651*``, ``651^a``     651, footnote marker kept in ``footnotes``
``–``, ``—``, ``-``, ``n/a``      no value (``kind="missing"``) with the reason; never 0
blank                             no value (``kind="blank"``)
``91 %``, ``3 µm``                value + the cell's own unit text (``unit_text``)
================================  ===============================================================

Anything else raises :class:`~anodelab.schema.errors.InputError` naming the text.  The grammar
follows ChemDataExtractor 2 (``chemdataextractor/parse/quantity.py``: approximate prefixes, range
separators ``- – − ~ to``, ``±`` errors) and the concise ``5(1)`` notation of MPContribs.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal, Required, TypedDict

from anodelab.schema.errors import InputError, UnitError
from anodelab.schema.units import parse_unit

__all__ = [
    "CellLocation",
    "CellValue",
    "parse_cell",
    "parse_number",
    "parse_quantity",
    "normalize_cell_text",
    "MISSING_MARKERS",
]

CellKind = Literal["number", "range", "pair", "missing", "blank"]


class CellLocation(TypedDict, total=False):
    """Where a cell sits, as :class:`~anodelab.schema.errors.InputError` takes it."""

    file: str | None
    row: int | None
    column: str | None


class _ParsedFields(TypedDict, total=False):
    """The :class:`CellValue` fields collected while parsing, before ``kind``/``value`` are known."""

    raw: Required[str]
    qualifier: str
    footnotes: tuple[str, ...]
    uncertainty: float
    uncertainty_kind: str
    value_min: float
    value_max: float
    second: float
    unit_text: str


MISSING_MARKERS: dict[str, str] = {
    "-": "not stated (printed '-')",
    "–": "not stated (printed '–')",
    "—": "not stated (printed '—')",
    "−": "not stated (printed '−')",
    "--": "not stated (printed '--')",
    "/": "not stated (printed '/')",
    "n/a": "not applicable / not available (printed 'n/a')",
    "na": "not available (printed 'NA')",
    "n.a.": "not available (printed 'n.a.')",
    "nd": "not determined (printed 'n.d.')",
    "n.d.": "not determined (printed 'n.d.')",
    "not reported": "not reported",
    "not given": "not reported",
    "nr": "not reported (printed 'NR')",
    "n.r.": "not reported (printed 'n.r.')",
    "?": "unknown (printed '?')",
}

_QUALIFIERS = [
    ("approximately", "≈"),
    ("approx.", "≈"),
    ("approx", "≈"),
    ("about", "≈"),
    ("ca.", "≈"),
    ("ca", "≈"),
    ("<=", "≤"),
    (">=", "≥"),
    ("≈", "≈"),
    ("~", "≈"),
    ("∼", "≈"),
    ("˜", "≈"),
    ("≃", "≈"),
    ("<", "<"),
    (">", ">"),
    ("≤", "≤"),
    ("≥", "≥"),
    ("⩽", "≤"),
    ("⩾", "≥"),
]
_SUPERSCRIPT_LETTERS = "ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ"
_SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUPER_TO_ASCII = str.maketrans(_SUPERSCRIPT_DIGITS + "⁻⁺", "0123456789-+")
_THIN_SPACES = "\u2009\u202f\u00a0\u2005\u2006\u2007\u2008\u200a"
_DASHES = "\u2212\u2012\u2013\u2014\u2010\u2011\ufe63\uff0d"
_FOOTNOTE_TAIL = re.compile(
    rf"(?:[*†‡§¶#]+|[{_SUPERSCRIPT_LETTERS}]+|\^\s*\{{?[a-z*†‡§]{{1,2}}\}}?|\[[a-z]\]|\([a-z]\))$"
)
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_TIMES_TEN = re.compile(rf"^({_NUMBER})\s*[×xX*·]\s*10\s*\^?\s*\(?([+-]?\d+)\)?")
_PLAIN = re.compile(rf"^{_NUMBER}")


@dataclass(frozen=True)
class CellValue:
    """One parsed cell.  ``value`` is ``None`` for ranges, missing and blank cells."""

    raw: str
    kind: CellKind
    value: float | None = None
    value_min: float | None = None
    value_max: float | None = None
    second: float | None = None  # second number of a pair ("2200/1589")
    qualifier: str = "="
    uncertainty: float | None = None
    uncertainty_kind: str | None = None
    unit_text: str | None = None  # unit printed in the cell itself ("91 %")
    footnotes: tuple[str, ...] = ()
    reason: str | None = None  # why there is no value (missing cells)
    number_text: str | None = None  # the number(s) exactly as printed, for provenance

    @property
    def has_value(self) -> bool:
        return self.kind in ("number", "range", "pair")


def normalize_cell_text(text: str, *, decimal: str = ".") -> str:
    """Fold the typographic variants of numbers: dashes → ``-``, thin spaces, thousands separators.

    With ``decimal="."`` a comma followed by exactly three digits is a thousands separator
    (``1,234``); with ``decimal=","`` the comma is the decimal mark (``85,3``) and a dot followed by
    three digits is the thousands separator.  Other commas are left alone (and later refused).
    """
    text = text.replace("\r", " ").replace("\n", " ").replace("\t", " ")
    # Thousands grouped by a thin or no-break space: "1 234" / "12 345".
    text = re.sub(rf"(?<!\d)(\d{{1,3}})(?:[{_THIN_SPACES}](\d{{3}}))+(?!\d)", _join_groups, text)
    text = "".join(" " if unicodedata.category(ch) == "Zs" else ch for ch in text)
    text = re.sub(f"[{_DASHES}]", "-", text)
    text = text.replace("\u00b1", "±").replace("+/-", "±").replace("+-", "±")
    if decimal == ",":
        text = re.sub(
            r"(?<![\d.])(\d{1,3})((?:\.\d{3})+)(?=,\d|(?![\d.,]))",
            lambda m: m.group(1) + m.group(2).replace(".", ""),
            text,
        )
        text = re.sub(r"(?<=\d),(?=\d)", ".", text)
    else:
        text = re.sub(
            r"(?<![\d.,])(\d{1,3})((?:,\d{3})+)(?![\d,])",
            lambda m: m.group(1) + m.group(2).replace(",", ""),
            text,
        )
    return re.sub(r"\s+", " ", text).strip()


def _join_groups(match: re.Match[str]) -> str:
    return re.sub(f"[{_THIN_SPACES}]", "", match.group(0))


def _strip_footnotes(text: str) -> tuple[str, list[str]]:
    notes: list[str] = []
    while True:
        stripped = text.rstrip()
        match = _FOOTNOTE_TAIL.search(stripped)
        if match and match.start() > 0:
            mark = match.group(0)
            notes.insert(0, mark.strip("^{}[]() "))
            text = stripped[: match.start()]
            continue
        # a superscript digit right after a plain number ("651¹") is a footnote, not a power
        match = re.search(rf"(?<=\d)([{_SUPERSCRIPT_DIGITS}]+)$", stripped)
        if match and not re.search(r"10\s*[⁻⁺]?[" + _SUPERSCRIPT_DIGITS + "]+$", stripped):
            notes.insert(0, match.group(1).translate(_SUPER_TO_ASCII))
            text = stripped[: match.start()]
            continue
        return stripped, notes


def parse_number(text: str) -> tuple[float, str, str]:
    """Read one number at the start of ``text``: ``(value, number_as_printed, rest)``.

    Understands ``3.2E-12``, ``3.2 × 10^-12`` and ``3.2 × 10⁻¹²`` (superscripts already folded by
    :func:`normalize_cell_text` or not).  Raises ``ValueError`` when ``text`` does not start with a
    number.
    """
    folded = text.translate(_SUPER_TO_ASCII)
    match = _TIMES_TEN.match(folded)
    if match:
        mantissa, exponent = match.group(1), match.group(2)
        value = float(mantissa) * 10.0 ** int(exponent)
        return value, folded[: match.end()].strip(), folded[match.end() :]
    match = _PLAIN.match(text)
    if not match:
        raise ValueError(f"no number at the start of {text!r}")
    printed = match.group(0)
    if printed in ("+", "-", "."):
        raise ValueError(f"no number at the start of {text!r}")
    return float(printed), printed, text[match.end() :]


def parse_quantity(text: str, *, decimal: str | None = None) -> tuple[float, str]:
    """The one reader of "a number with an optional unit": ``(value, unit_text)``.

    Every place that reads a quantity typed by a person — conditions (``--at``, map
    ``conditions:``, layout ``conditions`` cells), campaign objectives and ``record`` values,
    analyzer options — goes through here, so ``.5A/g``, ``0.5 A/g``, ``0,5 A/g``, ``5E-1 A g−1``,
    ``5 × 10⁻¹ A/g`` and ``1 234 mA/g`` (a thin space groups thousands) all read the same:

    >>> parse_quantity(".5A/g"), parse_quantity("0,5 A/g"), parse_quantity("500")
    ((0.5, 'A/g'), (0.5, 'A/g'), (500.0, ''))

    Typography is folded by :func:`normalize_cell_text` (Unicode minus and dashes, thin spaces,
    superscripts).  ``decimal`` is the table's decimal mark; by default a comma followed by
    exactly three digits groups thousands (``1,500``) and any other comma between digits is a
    decimal comma (``0,5``).  The unit text is returned as written (stripped); converting it is
    :func:`anodelab.schema.units.to_canonical`'s job.  Raises ``ValueError`` when ``text`` does not
    start with a number.
    """
    raw = str(text)
    if decimal is None:
        decimal = "," if re.search(r"\d,(?!\d{3}(?!\d))\d", raw) else "."
    folded = normalize_cell_text(raw, decimal=decimal)
    try:
        value, _, rest = parse_number(folded)
    except ValueError:
        raise ValueError(f"{raw.strip()!r} does not start with a number") from None
    return value, rest.strip()


def parse_cell(
    text: object,
    *,
    allow_pair: bool = False,
    decimal: str = ".",
    where: CellLocation | None = None,
) -> CellValue:
    """Parse the text of one table cell (see the module docstring for the grammar).

    ``allow_pair`` accepts ``A/B`` as a pair (the caller knows from the header which property each
    number is).  ``where`` (``file``, ``row``, ``column``) is put into the error raised for text
    that is not a value.
    """
    raw = "" if text is None else str(text)
    loc: CellLocation = where.copy() if where else {}
    if not raw.strip():
        return CellValue(raw=raw, kind="blank", reason="blank cell")
    stripped = raw.strip()
    missing = MISSING_MARKERS.get(stripped.lower()) or MISSING_MARKERS.get(
        normalize_cell_text(stripped).lower()
    )
    if missing:
        return CellValue(raw=raw, kind="missing", reason=missing)
    body, notes = _strip_footnotes(stripped)
    body = normalize_cell_text(body, decimal=decimal)
    if not body:
        raise InputError(f"cell {raw!r} holds only a footnote marker", value=raw, **loc)
    qualifier = "="
    for printed, meaning in _QUALIFIERS:
        if body.lower().startswith(printed) and (
            not printed[-1].isalpha()
            or len(body) == len(printed)
            or not body[len(printed)].isalpha()
        ):
            qualifier = meaning
            body = body[len(printed) :].lstrip(" .")
            break
    try:
        first, first_text, rest = parse_number(body)
    except ValueError:
        raise InputError(f"not a number: {raw!r}", value=raw, **loc) from None
    rest = rest.strip()
    result: _ParsedFields = {"raw": raw, "qualifier": qualifier, "footnotes": tuple(notes)}

    # 5.23(4): concise uncertainty on the last digits
    concise = re.match(r"^\((\d+)\)", rest)
    if concise and "." in first_text and "e" not in first_text.lower() and "10" not in rest:
        decimals = len(first_text.split(".")[1])
        result["uncertainty"] = int(concise.group(1)) * 10.0**-decimals
        result["uncertainty_kind"] = "unspecified"
        rest = rest[concise.end() :].strip()
        return _finish(result, "number", first, first_text, rest, loc)
    # 651 ± 12 / 85.3 (± 1.2) / 85.3 ± 1.2 %
    unc = re.match(r"^\(?\s*±\s*", rest)
    if unc:
        try:
            error, _, after = parse_number(rest[unc.end() :].lstrip())
        except ValueError:
            raise InputError(f"'±' without a number in {raw!r}", value=raw, **loc) from None
        after = after.strip()
        if rest.startswith("("):
            if not after.startswith(")"):
                raise InputError(f"unbalanced parenthesis in {raw!r}", value=raw, **loc)
            after = after[1:].strip()
        if error < 0:
            raise InputError(f"negative uncertainty in {raw!r}", value=raw, **loc)
        result["uncertainty"] = error
        result["uncertainty_kind"] = "unspecified"
        return _finish(result, "number", first, first_text, after, loc)
    # ranges: 50–140, 50 - 140 nm, 0.2 to 0.45, 50 nm – 140 nm
    rng = re.match(r"^(?P<unit>[^\d±()/]*?)(?P<sep>\s*(?:-|~|to\b)\s*)(?=[+-]?[\d.])", rest)
    if rng is not None and rng.group("unit").strip() and not rng.group("sep")[0].isspace():
        rng = None  # "g-1" is an exponent, not "g – 1"
    if rng is not None:
        unit_part = rng.group("unit").strip()
        try:
            second, second_text, after = parse_number(rest[rng.end() :])
        except ValueError:
            raise InputError(f"cannot read the range {raw!r}", value=raw, **loc) from None
        after = after.strip()
        if unit_part and after and unit_part != after:
            raise InputError(f"range {raw!r} has two different units", value=raw, **loc)
        if second < first:
            raise InputError(f"range {raw!r} runs backwards", value=raw, **loc)
        result["value_min"] = first
        result["value_max"] = second
        return _finish(
            result, "range", None, f"{first_text}–{second_text}", after or unit_part, loc
        )
    # pairs: 2200/1589
    pair = re.match(r"^/\s*(?=[\d.])", rest)
    if pair:
        if not allow_pair:
            raise InputError(
                f"two numbers {raw!r}: a discharge/charge pair? The column header does not say "
                "which number is which; map the column in a mapping file",
                value=raw,
                **loc,
            )
        second, second_text, after = parse_number(rest[pair.end() :])
        result["second"] = second
        return _finish(result, "pair", first, f"{first_text}/{second_text}", after.strip(), loc)
    return _finish(result, "number", first, first_text, rest, loc)


def _finish(
    result: _ParsedFields,
    kind: CellKind,
    value: float | None,
    number_text: str,
    rest: str,
    loc: CellLocation,
) -> CellValue:
    raw = result["raw"]
    rest = rest.strip()
    if rest:
        if re.match(r"^(st|nd|rd|th)\b", rest, re.IGNORECASE):
            raise InputError(
                f"{raw!r} is an ordinal (a cycle number?), not a value", value=raw, **loc
            )
        if re.match(r"^,\d", rest):
            raise InputError(
                f'comma in {raw!r}: a decimal comma? Declare `decimal: ","` in the mapping file',
                value=raw,
                **loc,
            )
        if not _looks_like_unit(rest):
            if re.search(r"\d", rest):
                raise InputError(
                    f"more than one value in {raw!r}; split it into separate cells",
                    value=raw,
                    **loc,
                )
            raise InputError(f"text {rest!r} after the number in {raw!r}", value=raw, **loc)
        result["unit_text"] = rest
    return CellValue(kind=kind, value=value, number_text=number_text, **result)


_UNITISH = re.compile(r"^[A-Za-zµμΩ°%℃⁰¹²³⁴⁵⁶⁷⁸⁹⁻·/\^\-\s\d.*()]+$")


def _looks_like_unit(text: str) -> bool:
    """A short run of unit symbols (``%``, ``mA h g−1``, ``m² g⁻¹``); checked later with pint."""
    text = text.strip()
    if not text or len(text) > 24 or not _UNITISH.match(text) or re.match(r"^[\d.]", text):
        return False
    try:
        parse_unit(text)
    except UnitError:
        return False
    return True
