"""What a cycler file says about its cell: active mass, electrode area, nominal capacity, name,
channel and start time, read from the lines above the data header (or a vendor's metadata table).

Each fact is ``{"value": …, "unit": canonical unit or "", "from": "<where it was read>"}`` under
one of the keys of :data:`FILE_FACTS`.  The analysis uses mass and area only when the user gives
none, and says so (:func:`anodelab.echem.cycling.analyze_cycling`).

Preamble lines are ``key : value unit`` (EC-Lab ``Mass of active material : 0.853 mg``),
``key (unit): value`` (Novonix ``Mass (g): 1.000``), ``key:unit,value`` (LANDT ``Nominal capacity
used to define the C rate:Ah,0.001``) or ``key,value`` / ``key<TAB>value`` (PEC, Maccor); a leading
``~`` or ``#`` is ignored (BaSyTec).  Values that are the instruments' unset defaults (EC-Lab
0.001 mg / 0.001 cm², Novonix 1.000 g / 1.000 cm²) are not facts and are skipped with a note.
"""

from __future__ import annotations

import re
from typing import Any

from anodelab.schema.units import Q_, parse_unit

__all__ = ["FILE_FACTS", "facts_from_preamble", "fact"]

#: key → (canonical unit, "number"/"text", name pattern), first matching pattern wins per line
FILE_FACTS: dict[str, tuple[str, str, str]] = {
    "active_mass_g": ("g", "number", r"mass of active material|active material mass|active mass|mass"),
    "area_cm2": ("cm**2", "number", r"electrode surface area|electrode area|area"),
    "nominal_capacity_Ah": (
        "A*h",
        "number",
        r"nominal capacity used to define the c rate|nominal capacity|battery capacity|capacity",
    ),
    "cell_name": ("", "text", r"cell model|cell id|cell name|cell|battery|test name|name"),
    "channel": ("", "text", r"run on channel|testchannel|channel"),
    "start_time": ("", "text", r"acquisition started on|start of test|started|date of test|start time|start datetime|start date"),
}  # fmt: skip

#: unset defaults of instrument software: (key, value in the canonical unit)
_PLACEHOLDERS = {
    ("active_mass_g", 1e-6),
    ("active_mass_g", 1.0),
    ("area_cm2", 1e-3),
    ("area_cm2", 1.0),
}
_LINE = re.compile(
    r"^\s*(?P<key>[^:=\t,()]+?)\s*(?:\((?P<unit>[^)]*)\))?\s*(?::|=|\t|,)\s*(?P<rest>.*?)\s*$"
)
_NUMBER_UNIT = re.compile(
    r"^(?P<number>[-+]?\d+(?:[.,]\d+)?(?:[eE][-+]?\d+)?)\s*(?P<unit>[^\s,;]*)"
)
_UNIT_THEN_VALUE = re.compile(r"^(?P<unit>[A-Za-zµ°².\*/]+)\s*[,;\t]\s*(?P<value>.*)$")


def fact(value: Any, unit: str, source: str) -> dict[str, Any]:
    """One file fact (see module docstring)."""
    return {"value": value, "unit": unit, "from": source}


def _to_canonical(number: str, unit_text: str, canonical: str) -> float | None:
    value = float(number.replace(",", "."))
    text = unit_text.strip().replace("A.h", "A*h").replace("²", "**2").replace("\ufffd", "**2")
    text = {"cm2": "cm**2", "mah": "mA*h", "ah": "A*h"}.get(text.lower(), text)
    try:
        return float(Q_(value, parse_unit(text)).to(parse_unit(canonical)).magnitude)
    except Exception:  # not a unit, or one of another dimension: not this fact
        return None


def facts_from_preamble(
    lines: list[str], where: str = "header"
) -> tuple[dict[str, Any], list[str]]:
    """File facts from preamble lines, and notes on values skipped as instrument defaults."""
    found: dict[str, Any] = {}
    notes: list[str] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip().lstrip("~#").strip()
        m = _LINE.match(line)
        if not m:
            continue
        key_text = m.group("key").strip().lower()
        rest = m.group("rest").strip().strip(",;\t ").strip()
        if not rest:
            continue
        for key, (canonical, kind, pattern) in FILE_FACTS.items():
            if key in found or not re.fullmatch(pattern, key_text):
                continue
            source = f"{where} line {number}: {raw.strip()[:80]!r}"
            if kind == "text":
                found[key] = fact(rest.split("\t")[0].strip(), "", source)
                break
            unit = m.group("unit") or ""
            value_text = rest
            swapped = _UNIT_THEN_VALUE.match(rest)
            if swapped and not unit:
                unit, value_text = swapped.group("unit"), swapped.group("value")
            nu = _NUMBER_UNIT.match(value_text.strip())
            if not nu:
                break
            value = _to_canonical(nu.group("number"), unit or nu.group("unit"), canonical)
            if value is None:
                break
            if any(key == k and abs(value - v) <= 1e-9 * v for k, v in _PLACEHOLDERS):
                notes.append(
                    f"{key} {value:g} {canonical} in {source} looks like the instrument's unset default; not used"
                )
                break
            if value > 0:
                found[key] = fact(value, canonical, source)
            break
    return found, notes
