"""The one formatter for output meant for people: numbers, quantities, names and verdicts.

Every human-facing surface — console tables, command messages, plot labels, the web UI — goes
through these functions, so that a number always carries its unit, is shown to a sensible number
of significant figures (4 by default), and a name reads as words (``initial Coulombic
efficiency``, not ``initial_coulombic_efficiency``).  JSON output is *not* formatted: scripts get
full precision and the canonical names.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "SIGNIFICANT",
    "number",
    "quantity",
    "words",
    "axis_label",
    "cell_text",
    "conditions_text",
    "prose",
    "split_column",
    "column_label",
]

SIGNIFICANT = 4
"""Significant figures of every number shown to people (JSON keeps full precision)."""

# Tokens of snake_case names that are acronyms, proper names or symbols when written for people.
_TOKENS = {
    "bet": "BET", "sei": "SEI", "xrd": "XRD", "xps": "XPS", "ftir": "FTIR", "dsc": "DSC",
    "cv": "CV", "rms": "RMS", "ocv": "OCV", "eis": "EIS", "gitt": "GITT", "ice": "ICE",
    "coulombic": "Coulombic", "warburg": "Warburg", "randles": "Randles", "sevcik": "Ševčík",
    "raman": "Raman", "youngs": "Young's", "zif8": "ZIF-8", "si": "Si", "np": "N/P",
    "dqdv": "dQ/dV", "kk": "Kramers–Kronig", "cpe": "CPE", "soc": "SOC", "c": "C",
}  # fmt: skip
_PHRASES = {"raman_id_ig": "Raman I(D)/I(G)", "b_value": "b-value", "id_ig": "I(D)/I(G)",
            "tau_D_over_r2": "τ_D/r²", "n_rc_elements": "RC elements"}  # fmt: skip
# Unit suffixes of parameter names (``pitch_wt_pct``): the unit is shown beside the name instead.
_UNIT_SUFFIX = re.compile(
    r"_(wt_pct|at_pct|vol_pct|pct|C|K|h|min|s|g|mg|um|nm|K_per_min|mA_per_g|mA_per_cm2|V|mV|"
    r"mL|L|M|mM|rpm|cm2|mg_per_cm2|Ohm|F)$"
)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def number(value: Any, digits: int = SIGNIFICANT) -> str:
    """``value`` to ``digits`` significant figures, as a person writes it: ``1050``, ``72.3``,
    ``0.01235``, ``1.2e-14`` (scientific only below 10⁻³ or from 10⁶ on); integers stay whole;
    ``None``/NaN give ``""``; text is returned unchanged."""
    if value is None:
        return ""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar → Python
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, float):
        return str(value)
    if math.isnan(value):
        return ""
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    if value == 0:
        return "0"
    magnitude = abs(value)
    if 1e-3 <= magnitude < 1e6:
        decimals = max(digits - 1 - math.floor(math.log10(magnitude)), 0)
        text = f"{value:.{decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
    return f"{mantissa}e{int(exponent)}"


def quantity(
    value: Any,
    unit: str | None = None,
    *,
    uncertainty: Any = None,
    qualifier: str | None = None,
    value_min: Any = None,
    value_max: Any = None,
    digits: int = SIGNIFICANT,
) -> str:
    """A value with its unit as researchers write it: ``72.3 %``, ``≈ 1050 ± 20 mA h g⁻¹``,
    ``50–140 nm`` (a range when ``value`` is missing).  ``unit`` may be a pint string
    (``mA*h/g``) or a label; it is shown through :func:`anodelab.schema.units.unit_label`."""
    if _finite(value):
        text = number(value, digits)
        if qualifier and qualifier != "=":
            text = f"{qualifier} {text}"
        if _finite(uncertainty):
            text += f" ± {number(uncertainty, digits)}"
    elif _finite(value_min) and _finite(value_max):
        text = f"{number(value_min, digits)}–{number(value_max, digits)}"
    elif _finite(value_min):  # one bound of a range
        text = f"≥ {number(value_min, digits)}"
    elif _finite(value_max):
        text = f"≤ {number(value_max, digits)}"
    else:
        return ""
    shown = unit_text(unit)
    return f"{text} {shown}" if shown else text


_UNIT_WORDS = {"%/cycle_count": "% per cycle", "cycle_count": "cycles", "ohm/s**0.5": "Ω s⁻¹ᐟ²"}


def unit_text(unit: str | None) -> str:
    """The unit as researchers write it (``mA h g⁻¹``, ``Ω``); ``""`` for none/dimensionless."""
    if not unit:
        return ""
    if unit in _UNIT_WORDS:
        return _UNIT_WORDS[unit]
    from anodelab.schema.units import unit_label

    try:
        return unit_label(unit)
    except Exception:  # noqa: BLE001 - a label that is not a pint unit is shown as written
        return str(unit)


def words(name: str) -> str:
    """A snake_case name in plain words: ``initial_coulombic_efficiency`` → ``initial Coulombic
    efficiency``, ``pitch_wt_pct`` → ``pitch``, ``raman_id_ig`` → ``Raman I(D)/I(G)``,
    ``carbonization_temperature_C`` → ``carbonization temperature``.  Other text is unchanged
    apart from underscores."""
    text = str(name)
    if text in _PHRASES:
        return _PHRASES[text]
    stripped = _UNIT_SUFFIX.sub("", text) if "_" in text else text
    for phrase, shown in _PHRASES.items():
        stripped = stripped.replace(phrase, shown.replace(" ", "\0"))
    parts = [_TOKENS.get(token.lower(), token) for token in stripped.split("_") if token]
    return " ".join(parts).replace("\0", " ")


def axis_label(name: str, unit: str | None = None) -> str:
    """An axis or column label: the name in words with the unit in parentheses, ``pitch (wt%)``;
    the unit comes from the vocabulary when ``unit`` is not given and the name is a term."""
    if unit is None:
        unit = _vocabulary_unit(name)
    shown = unit_text(unit)
    return f"{words(name)} ({shown})" if shown else words(name)


def _vocabulary_unit(name: str) -> str | None:
    from anodelab.schema.vocabulary import load_vocabulary

    vocab = load_vocabulary()
    for kind in ("property", "parameter", "condition"):
        try:
            term = vocab.get(kind, name)
        except Exception:  # noqa: BLE001 - not a term of this kind
            continue
        return term.unit
    return None


def cell_text(value: Any, digits: int = SIGNIFICANT) -> str:
    """One table cell for people: numbers to ``digits`` figures, lists joined with ``; ``,
    mappings as ``key value`` pairs in words — never a Python repr."""
    if isinstance(value, Mapping):
        return "; ".join(f"{words(str(k))} {cell_text(v, digits)}" for k, v in value.items())
    if isinstance(value, (list, tuple, set)):
        return "; ".join(cell_text(v, digits) for v in value)
    return number(value, digits)


def conditions_text(conditions: Mapping[str, Any], digits: int = SIGNIFICANT) -> str:
    """Measurement conditions in words with units: ``cycle 500, current density 1000 mA g⁻¹``."""
    parts = []
    for name, value in conditions.items():
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if _finite(value) and name not in ("cycle", "reference_cycle", "half_cycle", "rate_step"):
            parts.append(f"{words(name)} {quantity(value, _vocabulary_unit(name), digits=digits)}")
        else:
            parts.append(f"{words(name)} {number(value, digits)}")
    return ", ".join(parts)


_SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def prose(text: str) -> str:
    """A sentence with every snake_case name in words: ``recipe does not define pitch_wt_pct`` →
    ``recipe does not define pitch``."""
    return _SNAKE.sub(lambda m: words(m.group(0)), str(text))


# Unit suffixes of result column names (``discharge_capacity_mAh_per_g``) and the unit they mean.
_COLUMN_UNITS = (
    ("_mAh_per_g_per_V", "mA*h/g/V"), ("_mAh_per_V", "mA*h/V"), ("_mAh_per_g", "mA*h/g"),
    ("_mAh_per_cm2", "mA*h/cm**2"), ("_mA_per_g", "mA/g"), ("_mA_per_cm2", "mA/cm**2"),
    ("_cm2_per_s", "cm**2/s"), ("_ohm_per_sqrt_s", "ohm/s**0.5"), ("_mAh", "mA*h"), ("_mA", "mA"),
    ("_percent_per_cycle", "%/cycle_count"), ("_cycles", "cycle_count"), ("_percent", "%"), ("_pct", "%"), ("_mV", "mV"), ("_V", "V"), ("_Hz", "Hz"), ("_ohm", "ohm"),
    ("_s", "s"), ("_h", "h"), ("_K", "K"), ("_C", "degC"), ("_mg", "mg"), ("_g", "g"),
    ("_cm2", "cm**2"), ("_um", "um"), ("_nm", "nm"), ("_mV_per_s", "mV/s"),
)  # fmt: skip


def split_column(name: str) -> tuple[str, str | None]:
    """A result column's name as (words, unit): ``discharge_capacity_mAh_per_g`` →
    (``discharge capacity``, ``mA*h/g``); (words, None) when the name carries no unit."""
    text = str(name)
    for suffix, unit in sorted(_COLUMN_UNITS, key=lambda su: -len(su[0])):
        if text.endswith(suffix) and len(text) > len(suffix):
            return words(text[: -len(suffix)]), unit
    return words(text), None


def column_label(name: str) -> str:
    """A result column's name for people, its unit from the name's suffix:
    ``discharge_capacity_mAh_per_g`` → ``discharge capacity (mA h g⁻¹)``,
    ``coulombic_efficiency_percent`` → ``Coulombic efficiency (%)``.  Names that already read
    as words (with spaces) are returned unchanged."""
    text = str(name)
    if " " in text or "_" not in text:
        return text
    label, unit = split_column(text)
    return f"{label} ({unit_text(unit)})" if unit else label
