"""Instrument column headers → quantity: one table of quantity words × one unit grammar.

A cycler or potentiostat header says *what* the column holds (a quantity word: ``Current``,
``I``, ``电流``, ``Ewe``, ``Re(Z)``…) and, usually, *in which unit*.  The unit may be written in
any of the common forms, and every form goes through the same grammar:

=====================  ============================  ===============================
form                   examples                      split into
=====================  ============================  ===============================
slash (BioLogic)       ``I/mA``, ``<I>/mA``,         ``I`` + ``mA``
                       ``(Q-Qo)/mA.h``, ``电压/V``
parentheses            ``Current (A)``,              ``Current`` + ``A``
                       ``Current(mA)``, ``电流(mA)``
brackets               ``Current [A]``               ``Current`` + ``A``
suffix after ``_``     ``current_A``, ``Current_mA``  ``current`` + ``A``
(Battery Data Format)  ``voltage_volt``,             ``voltage`` + ``V``
                       ``charging_capacity_ah``
prefixed unit word     ``mAmps``, ``Amp-hr``         current in mA, capacity in A h
(Maccor)
none                   ``Time``, ``Cycle_Index``     the quantity's default unit
=====================  ============================  ===============================

The unit text is parsed with :func:`anodelab.schema.units.parse_unit` (pint) and converted to the
quantity's canonical unit; a unit of the wrong dimension means "not this quantity"
(``Capacity(mAh/g)`` is no capacity in A h).  The name is compared, case-, space-, ``_``- and
``.``-insensitively, with the words of :data:`QUANTITIES`; the first quantity/word in table order
wins when two headers name the same key (``Test_Time`` over ``Time``, ``总时间`` over ``时间``).

The keys are Battery Data Format style with the canonical unit in the name (stated once);
:data:`CANONICAL_UNITS` lists them all.  The cycling ones:

======================================  =====================================================
key                                     meaning
======================================  =====================================================
``test_time_second``                    time since the start of the test, s
``step_time_second``                    time since the start of the step, s
``voltage_volt``                        cell voltage, V
``current_ampere``                      current, A; positive = the cell voltage rises (charge)
``cycle_count``                         the vendor's cycle number, as in the file
``step_id``                             the vendor's step number, as in the file
``charge_capacity_ampere_hour``         vendor's charge capacity column, Ah
``discharge_capacity_ampere_hour``      vendor's discharge capacity column, Ah
``capacity_ampere_hour``                vendor's single unsigned capacity column, Ah
``net_capacity_ampere_hour``            vendor's signed cumulative capacity (BioLogic Q-Qo), Ah
``charge_increment_ampere_hour``        vendor's per-row charge increment (BioLogic dq), Ah
``half_cycle`` / ``ox_red``             BioLogic half-cycle counter and oxidation(1)/reduction(0) flag
``mode``                                vendor's step type / state text
``record_index``                        the vendor's row counter (Arbin ``Data_Point``, Maccor ``Rec#``,
                                        Neware ``DataPoint``); used to restore the row order, then dropped
``step_index`` / ``cycle_index``        computed by anodelab (:mod:`anodelab.echem.steps`)
======================================  =====================================================
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from anodelab.schema.errors import UnitError
from anodelab.schema.units import Q_, parse_unit

__all__ = [
    "CANONICAL_UNITS",
    "QUANTITIES",
    "ColumnMatch",
    "Quantity",
    "match_column",
    "match_columns",
    "normalise_name",
    "split_header",
]

ValueKind = Literal["number", "counter", "text"]


@dataclass(frozen=True)
class Quantity:
    """One row of the table: a canonical key, its unit and the words that name it."""

    key: str
    unit: str  # canonical unit; "" for counters and texts
    words: tuple[str, ...]  # normalised (see normalise_name)
    default_unit: str = ""  # unit assumed when the header states none
    kind: ValueKind = "number"
    sign: float = 1.0  # -1 for headers such as "-Im(Z)" that hold the negated quantity


def _q(
    key: str, unit: str, words: str | tuple[str, ...], default: str | None = None, **kw: object
) -> Quantity:
    """A table row; ``words`` separated by ``|`` (or a tuple when a word contains ``|``)."""
    return Quantity(
        key,
        unit,
        words if isinstance(words, tuple) else tuple(w.strip() for w in words.split("|")),
        unit if default is None else default,
        **kw,  # type: ignore[arg-type]
    )


# Table order is rank order: earlier rows/words win over later ones for the same key.
QUANTITIES: tuple[Quantity, ...] = (
    _q("test_time_second", "s",
       "test time|total time|elapsed time|testtime|cumulative time|relative time|time elapsed|"
       "prog time|run time|总时间|测试时间|累计时间|time|t|tt|test|时间"),
    _q("step_time_second", "s", "step time|steptime|step time elapsed|工步时间|相对时间"),
    _q("timestamp", "", "date time|datetime|date|realtime|real time|systime|system time|"
       "timestamp|dpt time|abs time|absolute time|unix time|date time iso string|"
       "绝对时间|系统时间|实际时间", kind="text"),
    _q("voltage_volt", "V",
       "voltage|volts|volt|ewe|ecell|e cell|cell voltage|ewe-ece|we potential|potential|"
       "vf|u|v|e|电压|potential applied|control potential"),
    _q("current_ampere", "A", "current|amps|amp|i|cur|im|we current|电流"),
    _q("cycle_count", "", "cycle index|cycle|cycle number|cyc#|cycle id|cycle count|cycle p|"
       "cycle c|loop|循环号|循环|循环序号", kind="counter"),
    _q("step_id", "", "step index|step|step number|step id|ns|step count|step nr|工步号|工步|"
       "工步序号", kind="counter"),
    _q("charge_capacity_ampere_hour", "A*h",
       "charge capacity|chg cap|charge cap|q charge|charging capacity|chg capacity|"
       "spec chg cap|充电容量"),
    _q("discharge_capacity_ampere_hour", "A*h",
       "discharge capacity|dchg cap|discharge cap|q discharge|discharging capacity|"
       "dischg cap|dchg capacity|放电容量"),
    _q("net_capacity_ampere_hour", "A*h", "(q-qo)|q-qo|net capacity|q-q0|(q-q0)"),
    _q("charge_increment_ampere_hour", "A*h", "dq|dq/dt*dt|delta q"),
    _q("capacity_ampere_hour", "A*h", "capacity|cap|amp-hr|ah|容量"),
    _q("mode", "", "md|mode|status|state|step type|step name|工步类型|状态|工步名称", kind="text"),
    _q("half_cycle", "", "half cycle|half-cycle", kind="counter"),
    _q("ox_red", "", "ox/red", kind="counter"),
    _q("record_index", "", "data point|datapoint|rec#|record|record id|record index|记录序号|"
       "数据序号", kind="counter"),
    # impedance and voltammetry
    _q("frequency_hertz", "Hz", "frequency|freq|f"),
    _q("z_real_ohm", "ohm", "re(z)|z'|zreal|z real|z re|zre|real|real z|z real part"),
    _q("z_imag_ohm", "ohm", "-im(z)|-z''|-zimag|-z imag|-z im|-zim|-imag|-imaginary",
       sign=-1.0),
    _q("z_imag_ohm", "ohm", "im(z)|z''|zimag|z imag|z im|zim|imag|imaginary"),
    _q("z_modulus_ohm", "ohm", ("|z|", "z mod", "zmod", "modulus", "mod z", "z", "impedance")),
    _q("z_phase_degree", "deg", "-phase(z)|-phase|-zphz|-phz", sign=-1.0),
    _q("z_phase_degree", "deg", "phase(z)|phase|zphz|phz|phase angle|phi|theta"),
    _q("scan_rate_volt_per_second", "V/s", "scan rate|sweep rate|scanrate", default="mV/s"),
)  # fmt: skip

CANONICAL_UNITS: dict[str, str] = {q.key: q.unit for q in QUANTITIES}

# Unit spellings pint does not read, mapped to ones it does (lower-case keys).
_UNIT_WORDS = {
    "sec": "s",
    "secs": "s",
    "second": "s",
    "seconds": "s",
    "amp-hr": "A*h",
    "amps": "A",
    "amp": "A",
    "ampere": "A",
    "volt": "V",
    "volts": "V",
    "mah": "mA*h",
    "ah": "A*h",
    "wh": "W*h",
    "hr": "h",
    "°": "deg",
    "°c": "degC",
    "ohms": "ohm",
    "kohm": "kiloohm",
    "mohm": "milliohm",
}
# A unit word with an SI prefix used as the whole header: Maccor "mAmps" = Amps in mA.
_PREFIXED_WORD = re.compile(r"^([mµu])(Amps?|Amp-hr|Volts?)$")
_PARENS = re.compile(r"^(.*?)\s*[(\[]\s*([^()\[\]]*?)\s*[)\]]\s*$")
_INSTRUMENT_PREFIX = re.compile(r"^we\(\d+\)\.\s*")  # Autolab "WE(1).Current (A)"


@dataclass(frozen=True)
class ColumnMatch:
    """A file column recognised as a canonical key, with the factor to the canonical unit."""

    header: str
    key: str
    unit: str  # as found ("" when the header had none and a default was used)
    factor: float  # multiply file values by this to get the canonical unit (sign included)
    rank: int = 0  # position of the matching word in the table; a lower rank wins


def normalise_name(name: str) -> str:
    """``" Chg._Cap. "`` → ``"chg cap"``: NFKC, lower case, ``<…>`` and a leading ``~``/``#``
    dropped, ``_ . space`` → one space."""
    text = unicodedata.normalize("NFKC", name).strip().strip('"').lstrip("~#").strip().lower()
    text = _INSTRUMENT_PREFIX.sub("", text)
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    return re.sub(r"[\s_.]+", " ", text).strip()


def _unit_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip()
    text = text.replace("mA.h", "mA h").replace("A.h", "A h").replace("µ", "u")
    return _UNIT_WORDS.get(text.lower(), text)


def _parse(unit_text: str):  # type: ignore[no-untyped-def]
    """The pint unit of a header's unit text, or ``None`` when it is not one."""
    text = _unit_text(unit_text)
    if not text or len(text) > 16:
        return None
    try:
        return parse_unit(text)
    except (UnitError, Exception):  # pint raises many types for non-units
        return None


def split_header(header: str) -> tuple[str, str]:
    """The first reading of ``header`` as (name, unit text); unit ``""`` when none is written.

    ``"Test_Time(s)"`` → ``("Test_Time", "s")``, ``"<I>/mA"`` → ``("<I>", "mA")``,
    ``"current_A"`` → ``("current", "A")``.
    """
    readings = _readings(header)
    return readings[1] if len(readings) > 1 else readings[0]


def _readings(header: str) -> list[tuple[str, str]]:
    """Every plausible (name, unit text) split of a header, the whole header first."""
    # a leading comment mark belongs to the line, not the name (BaSyTec "~Time[s]")
    text = unicodedata.normalize("NFKC", str(header)).strip().strip('"').lstrip("~#").strip()
    out = [(text, "")]
    prefixed = _PREFIXED_WORD.match(text)
    if prefixed:
        prefix = prefixed.group(1).replace("µ", "u")
        out.append((prefixed.group(2), prefix + _UNIT_WORDS.get(prefixed.group(2).lower(), "")))
    if "/" in text:
        name, _, unit = text.rpartition("/")
        if name.strip() and _parse(unit) is not None:
            out.append((name.strip(), unit.strip()))
    parens = _PARENS.match(text)
    if parens and parens.group(1) and _parse(parens.group(2)) is not None:
        out.append((parens.group(1).strip(), parens.group(2).strip()))
    suffix = re.match(r"^(.*?\S)[_ ]+([^\s_]+)$", text)
    if suffix and _parse(suffix.group(2)) is not None:
        out.append((suffix.group(1), suffix.group(2)))
    return out


_WORD_RANK: dict[str, list[tuple[int, Quantity]]] = {}
for _rank, (_row, _word) in enumerate((row, word) for row in QUANTITIES for word in row.words):
    _WORD_RANK.setdefault(normalise_name(_word), []).append((_rank, _row))


def _factor(quantity: Quantity, unit_text: str) -> float | None:
    """File unit → canonical unit factor (sign included), ``None`` if the unit does not fit."""
    if quantity.kind == "text" or (quantity.kind == "counter" and not unit_text):
        return 1.0
    if quantity.kind == "counter":
        unit = _parse(unit_text)
        return 1.0 if unit is not None and unit.dimensionless else None
    source = _parse(unit_text) if unit_text else parse_unit(quantity.default_unit)
    if source is None:
        return None
    try:
        value = Q_(1.0, source).to(parse_unit(quantity.unit)).magnitude
    except Exception:  # pint DimensionalityError: a unit of another dimension
        return None
    return quantity.sign * float(value)


@lru_cache(maxsize=4096)
def match_column(header: str) -> ColumnMatch | None:
    """The canonical key of one header and the factor to the canonical unit, or ``None``."""
    for name, unit_text in _readings(str(header)):
        for rank, quantity in _WORD_RANK.get(normalise_name(name), []):
            factor = _factor(quantity, unit_text)
            if factor is not None:
                return ColumnMatch(str(header), quantity.key, unit_text, factor, rank)
    return None


def match_columns(headers: list[str]) -> dict[str, ColumnMatch]:
    """Map canonical key → best matching header (lowest rank, then first occurrence)."""
    found: dict[str, ColumnMatch] = {}
    for header in headers:
        match = match_column(header)
        if match is not None and (match.key not in found or match.rank < found[match.key].rank):
            found[match.key] = match
    return found
