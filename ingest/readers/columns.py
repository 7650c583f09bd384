"""Recognise cycler column headers and their units; the canonical (Battery Data Format) column keys.

The canonical frame uses Battery Data Format keys with the unit in the name (stated once):

======================================  =====================================================
key                                     meaning
======================================  =====================================================
``test_time_second``                    time since the start of the test, s
``voltage_volt``                        cell voltage, V
``current_ampere``                      current, A; positive = the cell voltage rises (charge)
``cycle_count``                         the vendor's cycle number, as in the file
``step_id``                             the vendor's step number, as in the file
``charge_capacity_ampere_hour``         vendor's charge capacity column, Ah
``discharge_capacity_ampere_hour``      vendor's discharge capacity column, Ah
``capacity_ampere_hour``                vendor's single unsigned capacity column, Ah
``net_capacity_ampere_hour``            vendor's signed cumulative capacity (BioLogic Q-Qo), Ah
``record_index``                        the vendor's row counter (Arbin ``Data_Point``, Maccor ``Rec#``,
                                        Neware ``DataPoint``); used to restore the row order, then dropped
``step_index`` / ``cycle_index``        computed by anodelab (:mod:`anodelab.echem.steps`)
======================================  =====================================================

Headers such as ``Test_Time(s)``, ``Current(A)``, ``Voltage(V)``, ``Cycle_Index``, ``time/s``,
``Ewe/V``, ``<I>/mA``, ``Capacity(mAh)``, ``Charge_Capacity(Ah)``, ``Q charge/mA.h`` are split into
a name and a unit (parsed with :func:`anodelab.schema.units.parse_unit`) and the name is matched
against the alias table below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from anodelab.schema.errors import UnitError
from anodelab.schema.units import Q_, parse_unit

__all__ = [
    "CANONICAL_UNITS",
    "ColumnMatch",
    "split_header",
    "match_column",
    "match_columns",
]

# canonical key -> canonical unit of its values
CANONICAL_UNITS: dict[str, str] = {
    "test_time_second": "s",
    "voltage_volt": "V",
    "current_ampere": "A",
    "cycle_count": "",
    "step_id": "",
    "charge_capacity_ampere_hour": "A*h",
    "discharge_capacity_ampere_hour": "A*h",
    "capacity_ampere_hour": "A*h",
    "net_capacity_ampere_hour": "A*h",
    "timestamp": "",
    "mode": "",
    "record_index": "",
}

# Ordered: the first pattern that matches the (lower-case, unit-stripped) name wins.
_ALIASES: list[tuple[str, str]] = [
    (
        r"^(test_?time|total_?time|elapsed_?time|testtime|test time|total time|cumulative time|cumulative_time|test_time_second|relative time|time elapsed|prog time)$",
        "test_time_second",
    ),
    (r"^(time|time_s|t|tt)$", "test_time_second"),
    (
        r"^(date_?time|datetime|date|realtime|real time|systime|system time|timestamp|dpt time|abs time|absolute time|unix_time_second)$",
        "timestamp",
    ),
    (
        r"^(voltage|volts?|ewe|ecell|e_?cell|potential|u|v|cell voltage|voltage_volt|ewe-ece|ecell/v)$",
        "voltage_volt",
    ),
    (r"^(current|amps?|i|<i>|current_ampere|cur|current\(a\))$", "current_ampere"),
    (
        r"^(cycle[ _]?index|cycle|cycle_?number|cycle number|cyc#|cycle id|cycle_?id|cycle_count|cycle p|cycle c|loop)$",
        "cycle_count",
    ),
    (r"^(step[ _]?index|step|step_?number|step id|step_?id|ns|step_count|step nr)$", "step_id"),
    (
        r"^(charge_?capacity|chg\.? ?cap\.?|charge cap\.?|q charge|charging_capacity_ah|charging_capacity|charge_capacity_ampere_hour|chg_cap|spec\. chg\. cap\.?)$",
        "charge_capacity_ampere_hour",
    ),
    (
        r"^(discharge_?capacity|dchg\.? ?cap\.?|discharge cap\.?|q discharge|discharging_capacity_ah|discharging_capacity|discharge_capacity_ampere_hour|dchg_cap|dischg_cap)$",
        "discharge_capacity_ampere_hour",
    ),
    (
        r"^(\(?q-qo\)?|net_capacity_ah|net_capacity|net capacity|net_capacity_ampere_hour)$",
        "net_capacity_ampere_hour",
    ),
    (r"^(capacity|cap\.?|amp-hr|amp_hr|ah|capacity_ampere_hour)$", "capacity_ampere_hour"),
    (r"^(md|mode|status|state|step_type|step type)$", "mode"),
    (
        r"^(data_?point|data point|datapoint|rec#|record|record_?id|record id|record_?index)$",
        "record_index",
    ),
]
_COMPILED = [(re.compile(pattern), key) for pattern, key in _ALIASES]
# "Unitless" default units per key when a header carries none (Arbin/BDF convention)
_DEFAULT_UNITS = {
    "test_time_second": "s",
    "voltage_volt": "V",
    "current_ampere": "A",
    "charge_capacity_ampere_hour": "A*h",
    "discharge_capacity_ampere_hour": "A*h",
    "capacity_ampere_hour": "A*h",
    "net_capacity_ampere_hour": "A*h",
}
_UNIT_WORDS = {
    "sec": "s",
    "secs": "s",
    "amp-hr": "A*h",
    "amps": "A",
    "amp": "A",
    "volt": "V",
    "volts": "V",
    "mah": "mA*h",
    "ah": "A*h",
    "hr": "h",
}


# A unit word with an SI prefix used as the whole header: "mAmps" = Amps in mA.
_PREFIXED_WORD = re.compile(r"^([mµu])(Amps?|Amp-hr|Volts?)$")


@dataclass(frozen=True)
class ColumnMatch:
    """A file column recognised as a canonical key, with the factor to the canonical unit."""

    header: str
    key: str
    unit: str  # as found ("" when the header had none and a default was used)
    factor: float  # multiply file values by this to get the canonical unit
    rank: int = 0  # index of the alias pattern; a lower rank wins when two headers match a key


def _clean_unit(text: str) -> str:
    text = text.strip().replace("mA.h", "mA h").replace("A.h", "A h").replace("µ", "u")
    return _UNIT_WORDS.get(text.lower(), text)


def split_header(header: str) -> tuple[str, str]:
    """Split ``"Test_Time(s)"`` → ``("Test_Time", "s")``, ``"<I>/mA"`` → ``("<I>", "mA")``.

    Returns ``(name, unit_text)``; unit text is ``""`` when none is written.  A trailing part after
    ``/`` is taken as a unit only if it parses as one.
    """
    text = header.strip().strip('"').strip()
    prefixed = _PREFIXED_WORD.match(text)  # Maccor "mAmps", "mAmp-hr", "mWatt-hr"
    if prefixed:
        return prefixed.group(2), prefixed.group(1).replace("µ", "u") + _UNIT_WORDS.get(
            prefixed.group(2).lower(), prefixed.group(2)
        )
    bracket = re.match(r"^(.*?)\s*[\(\[]\s*([^()\[\]]*?)\s*[\)\]]\s*$", text)
    if bracket and bracket.group(1):
        return bracket.group(1).strip(), bracket.group(2).strip()
    if "/" in text:
        name, _, unit = text.rpartition("/")
        if name and _is_unit(unit):
            return name.strip(), unit.strip()
    if "_" in text:  # BDF-like "test_time_second" or "Current_mA"
        name, _, unit = text.rpartition("_")
        if name and unit.lower() in {"ma", "ua", "mv", "mah", "ah", "min", "h"} and _is_unit(unit):
            return name.strip(), unit.strip()
    return text, ""


def _is_unit(text: str) -> bool:
    text = _clean_unit(text)
    if not text or len(text) > 12:
        return False
    try:
        unit = parse_unit(text)
    except (UnitError, Exception):  # pint raises many types for non-units
        return False
    return str(unit) != "dimensionless"


def match_column(header: str) -> ColumnMatch | None:
    """The canonical key of one header and the factor to the canonical unit, or ``None``."""
    name, unit_text = split_header(str(header))
    lowered = re.sub(r"\s+", " ", name.lower()).strip()
    hit = next(
        ((rank, key) for rank, (pattern, key) in enumerate(_COMPILED) if pattern.match(lowered)),
        None,
    )
    if hit is None:
        return None
    rank, key = hit
    canonical = CANONICAL_UNITS[key]
    if not canonical:
        return ColumnMatch(str(header), key, unit_text, 1.0, rank)
    unit = _clean_unit(unit_text) if unit_text else _DEFAULT_UNITS[key]
    try:
        factor = float(Q_(1.0, parse_unit(unit)).to(parse_unit(canonical)).magnitude)
    except Exception:  # a unit of the wrong dimension: not this quantity (e.g. "Capacity(mAh/g)")
        return None
    return ColumnMatch(str(header), key, unit_text, factor, rank)


def match_columns(headers: list[str]) -> dict[str, ColumnMatch]:
    """Map canonical key → best matching header (best alias rank, then first occurrence)."""
    found: dict[str, ColumnMatch] = {}
    for header in headers:
        match = match_column(header)
        if match is not None and (match.key not in found or match.rank < found[match.key].rank):
            found[match.key] = match
    return found
