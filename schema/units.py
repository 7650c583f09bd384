"""The one unit registry of anodelab, and unit parsing that survives literature spelling.

pint's default parser silently misreads units as printed in papers (measured with pint 0.25):

=================  ===============================  =================
as printed         pint's default reading           what it means
=================  ===============================  =================
``mA h g−1``        gram·hour·milliampere            mA h g⁻¹
``A g−1``           ampere·gram                      A g⁻¹
``mA cm−2``         2 centimeter·milliampere         mA cm⁻²
``at%``             percent·technical_atmosphere     atomic percent
``C``               coulomb                          C-rate
=================  ===============================  =================

:func:`normalize_unit_text` rewrites the text first (Unicode minus, superscripts, ``g-1`` →
``g^-1``, ``wt%`` → ``wt_percent``, ``C`` → ``C_rate`` ...) and :func:`parse_unit` then parses it
with the registry below, in which mass and atomic fractions and the C-rate have *their own
dimensions*, so that a temperature given in wt% or a C-rate given as a current fails the
dimensional check of :func:`to_canonical` instead of being stored.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import pint

from anodelab.schema.errors import UnitError

__all__ = [
    "ureg",
    "Q_",
    "normalize_unit_text",
    "parse_unit",
    "unit_label",
    "to_canonical",
    "convert_value",
    "is_dimensionless_percent",
]


def _unit_cache_folder() -> Path | None:
    """Where pint keeps its parsed definitions between runs (``$ANODELAB_UNIT_CACHE``, else the
    user cache folder; ``none`` switches the cache off).  Parsing pint's definition file costs
    ~0.35 s on every command; loading the pickled result ~0.05 s."""
    chosen = os.environ.get("ANODELAB_UNIT_CACHE")
    if chosen is not None:
        return None if chosen.lower() in ("", "none", "off") else Path(chosen)
    import platformdirs  # a dependency of pint

    return platformdirs.user_cache_path("anodelab") / f"pint-{pint.__version__}"


def _build_registry() -> pint.UnitRegistry:
    """pint's registry, loaded from the definition cache when it is there and sound.  The cache is
    written without locking by pint (flexcache), so a file another process is still writing is
    simply not used: any failure falls back to parsing the definitions again."""
    folder = _unit_cache_folder()
    if folder is not None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            return pint.UnitRegistry(autoconvert_offset_to_baseunit=True, cache_folder=folder)
        except Exception:  # noqa: BLE001 - an unusable cache must never stop a command
            pass
    return pint.UnitRegistry(autoconvert_offset_to_baseunit=True, cache_folder=None)


ureg: pint.UnitRegistry = _build_registry()
# Fractions with their own dimension: "wt%" and "at%" are not interchangeable with a bare percent
# of something else (an ICE).  A bare "%" is accepted for them by ``to_canonical``.
ureg.define("mass_fraction_unit = [mass_fraction] = wt_fraction")
ureg.define("wt_percent = 0.01 * mass_fraction_unit = wt_pct")
ureg.define("atomic_fraction_unit = [atomic_fraction] = at_fraction")
ureg.define("at_percent = 0.01 * atomic_fraction_unit = at_pct")
ureg.define("volume_fraction_unit = [volume_fraction] = vol_fraction")
ureg.define("vol_percent = 0.01 * volume_fraction_unit = vol_pct")
# C-rate: a current relative to the cell's nominal capacity.  Convertible to a current density only
# with the cell's 1C definition (see ``c_rate_to_current_density``), never by guessing.
ureg.define("C_rate = [c_rate] = Crate")
ureg.define("cycle_count = [] = cycles")
ureg.define("sccm = cm**3 / min")
Q_ = ureg.Quantity

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_MINUS_LIKE = re.compile("[\u2212\u2012\u2013\u2014\u2010\u2011\ufe63\uff0d]")
_MULTIPLY_LIKE = re.compile("[·⋅•∙×*]")
# A symbol directly followed by an integer exponent (g-1, cm2, s−1); not inside names like ZIF-8.
_EXPONENT = re.compile(r"([A-Za-zΩµμ])\s*(-?\d+)(?![\d.])")
_REFERENCE = re.compile(r"\b(vs\.?|versus)\s*.*$", re.IGNORECASE)
_WORD_ALIASES: dict[str, str] = {
    "wt%": "wt_percent",
    "wt.%": "wt_percent",
    "wt. %": "wt_percent",
    "wt %": "wt_percent",
    "mass%": "wt_percent",
    "at%": "at_percent",
    "at.%": "at_percent",
    "at. %": "at_percent",
    "at %": "at_percent",
    "vol%": "vol_percent",
    "vol.%": "vol_percent",
    "v/v%": "vol_percent",
    "%": "percent",
    "°c": "degC",
    "℃": "degC",
    "oc": "degC",
    "deg c": "degC",
    "°": "degree",
    "ω": "ohm",
    "Ω": "ohm",
    "Å": "angstrom",
    "å": "angstrom",
    "mω": "milliohm",
    "kω": "kiloohm",
    "ohm cm2": "ohm*cm**2",
    "c": "C_rate",
    "c-rate": "C_rate",
    "c rate": "C_rate",
    "crate": "C_rate",
    "h": "hour",
    "hr": "hour",
    "hrs": "hour",
    "min": "minute",
    "mins": "minute",
    "s": "second",
    "sec": "second",
    "d": "day",
    "days": "day",
    "cycle": "cycle_count",
    "cycles": "cycle_count",
    "no.": "dimensionless",
    "-": "dimensionless",
    "a.u.": "dimensionless",
    "ratio": "dimensionless",
}


def _strip_markup(text: str) -> str:
    text = text.replace("$", "")
    text = re.sub(r"\\(text|mathrm|rm|mathit)\s*\{([^}]*)\}", r"\2", text)
    text = text.replace("\\,", " ").replace("\\;", " ").replace("\\ ", " ").replace("~", " ")
    text = (
        text.replace("\\mu", "µ")
        .replace("\\Omega", "Ω")
        .replace("\\circ", "°")
        .replace("^\\circ", "°")
    )
    text = text.replace("\\cdot", "·").replace("\\times", "×").replace("\\%", "%")
    text = re.sub(r"\^\{([^}]*)\}", r"^\1", text)
    text = text.replace("{", "").replace("}", "")
    return text


def normalize_unit_text(text: str) -> str:
    """Rewrite a unit as printed in a paper into a string that pint parses correctly.

    >>> normalize_unit_text("mA h g−1")
    'mA * h * g^-1'
    >>> normalize_unit_text("m² g⁻¹")
    'm^2 * g^-1'
    >>> normalize_unit_text("at%")
    'at_percent'
    """
    raw = text
    text = unicodedata.normalize("NFKC", _strip_markup(text))
    text = _MINUS_LIKE.sub("-", text)
    text = text.translate(_SUPERSCRIPTS)
    text = "".join(" " if unicodedata.category(ch) == "Zs" else ch for ch in text).strip()
    text = _REFERENCE.sub("", text).strip()  # "V vs. Li/Li+" -> "V"
    text = text.strip("()[] ")
    if not text:
        raise UnitError(f"empty unit text {raw!r}")
    alias = _WORD_ALIASES.get(text.lower()) or _WORD_ALIASES.get(text)
    if alias:
        return alias
    for printed, canonical in sorted(_WORD_ALIASES.items(), key=lambda kv: -len(kv[0])):
        if "%" in printed and printed in text.lower():
            text = re.sub(re.escape(printed), canonical, text, flags=re.IGNORECASE)
    text = (
        text.replace("°C", "degC")
        .replace("℃", "degC")
        .replace("Ω", "ohm")
        .replace("Å", "angstrom")
        .replace("μ", "µ")
    )
    text = text.replace("µ", "u")
    # Glued literature spellings: "mAhg-1", "mAhcm-2", "Whkg-1".
    text = re.sub(r"\b(m?Ah|mWh|Wh)(?=(g|kg|cm|L)\b|(g|kg|cm|L)\^?-)", r"\1 ", text)
    # "mAh" -> "mA h": pint reads "mAh" as milli-ampere-hour fine, but "Ah" alone also fine.
    text = text.replace("**", "^")
    text = _MULTIPLY_LIKE.sub(" ", text)
    text = _EXPONENT.sub(r"\1^\2", text)
    text = re.sub(r"\^\s*\+?", "^", text)
    # Split "mA/g" into "mA / g" and tokens into an explicit product; a slash applies to the
    # single unit that follows it ("mA h/g" = mA h g^-1, "mA/cm^2" = mA cm^-2).
    tokens = re.findall(r"/|[A-Za-z_]+(?:\^-?\d+(?:\.\d+)?)?|\d+(?:\.\d+)?", text)
    if not tokens:
        raise UnitError(f"cannot read unit {raw!r}")
    out: list[str] = []
    divide_next = False
    for tok in tokens:
        if tok == "/":
            divide_next = True
            continue
        if divide_next:
            base, _, exp = tok.partition("^")
            power = -float(exp) if exp else -1.0
            tok = f"{base}^{power:g}"
            divide_next = False
        out.append(tok)
    if divide_next:
        raise UnitError(f"unit {raw!r} ends with '/'")
    parts = [_word_alias(tok) for tok in out]
    if len(parts) > 1:  # °C inside a rate (°C min⁻¹) is a temperature difference
        parts = [p.replace("degC", "delta_degC") for p in parts]
    return " * ".join(parts)


def _word_alias(token: str) -> str:
    base, sep, exp = token.partition("^")
    canonical = {
        "C": "C_rate",
        "wt_percent": "wt_percent",
        "h": "hour",
        "hr": "hour",
        "mAh": "mA * hour",
        "Ah": "A * hour",
        "uAh": "uA * hour",
        "Wh": "W * hour",
        "mWh": "mW * hour",
        "cc": "cm^3",
        "ohm": "ohm",
        "Ohm": "ohm",
        "ohms": "ohm",
        "oC": "degC",
    }.get(base, base)
    if sep and " * " in canonical:
        raise UnitError(f"cannot raise compound unit {base!r} to a power")
    return f"{canonical}{sep}{exp}"


@lru_cache(maxsize=4096)
def parse_unit(text: str | None) -> pint.Unit:
    """Parse a unit as printed (``"mA h g−1"``, ``"A/g"``, ``"°C"``, ``"wt%"``) into a pint unit.

    Empty text or ``None`` means dimensionless.  Raises :class:`UnitError` when the text is not a
    unit.
    """
    if text is None or not str(text).strip():
        return ureg.dimensionless
    normalized = normalize_unit_text(str(text))
    try:
        parsed = ureg.parse_expression(normalized)
    except Exception as exc:  # pint raises several unrelated error types
        raise UnitError(f"cannot read unit {text!r} (normalized to {normalized!r}): {exc}") from exc
    if isinstance(parsed, (int, float)):
        if parsed == 1:
            return ureg.dimensionless
        raise UnitError(f"unit {text!r} is a bare number")
    if not math.isclose(float(parsed.magnitude), 1.0):
        raise UnitError(
            f"unit {text!r} carries a factor {parsed.magnitude} (normalized {normalized!r})"
        )
    return parsed.units  # type: ignore[return-value]  # pint's PlainUnit is a Unit


_SUPERSCRIPT_OUT = str.maketrans("0123456789-.", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻·")
_LABEL_SYMBOLS = {
    "wt_percent": "wt%",
    "at_percent": "at%",
    "vol_percent": "vol%",
    "percent": "%",
    "C_rate": "C",
    "degree_Celsius": "°C",
    "cycle_count": "cycles",
    "wt_fraction": "(mass fraction)",
}


def unit_label(unit: str | pint.Unit | None) -> str:
    """Human label of a unit in the field's notation, e.g. ``mA h g⁻¹`` for ``mA*h/g``.

    Positive powers come first in the order written, negative powers follow with superscript
    exponents; ``""`` for dimensionless.
    """
    if unit is None or unit == "":
        return ""
    parsed = parse_unit(unit) if isinstance(unit, str) else unit
    if parsed == ureg.dimensionless:
        return ""
    items = [(name, float(power)) for name, power in parsed._units.items()]  # type: ignore[arg-type]
    parts: list[str] = []
    for name, power in sorted(items, key=lambda item: item[1] < 0):
        symbol = _LABEL_SYMBOLS.get(name) or ureg.get_symbol(name)
        symbol = symbol.replace("u", "µ") if symbol.startswith("u") and len(symbol) > 1 else symbol
        if power == 1:
            parts.append(symbol)
        else:
            exp = str(int(power)) if float(power).is_integer() else str(power)
            parts.append(symbol + exp.translate(_SUPERSCRIPT_OUT))
    return " ".join(parts)


def is_dimensionless_percent(unit: pint.Unit) -> bool:
    """True for ``%`` or a bare number, which a fraction-valued quantity may be printed as."""
    return unit.dimensionality == ureg.dimensionless.dimensionality


_FRACTION_DIMS = {
    ureg.wt_percent.dimensionality: "wt_fraction",
    ureg.at_percent.dimensionality: "at_fraction",
    ureg.vol_percent.dimensionality: "vol_fraction",
}


def to_canonical(
    value: float,
    unit: str | pint.Unit | None,
    canonical: str | pint.Unit | None,
    *,
    what: str = "value",
) -> float:
    """Convert ``value`` in ``unit`` to the ``canonical`` unit, refusing a dimensional mismatch.

    A bare ``%`` (or no unit) is accepted for mass/atomic/volume fractions (``"carbon content
    (%)"``): papers rarely write wt% in a column header.  Offset units (°C ↔ K) are handled.
    """
    src = parse_unit(unit) if not isinstance(unit, pint.Unit) else unit
    dst = parse_unit(canonical) if not isinstance(canonical, pint.Unit) else canonical
    if dst.dimensionality in _FRACTION_DIMS and is_dimensionless_percent(src):
        if src == ureg.dimensionless:
            return float(value)  # a bare number is read in the canonical unit
        fraction = Q_(value, src).to(ureg.dimensionless).magnitude
        whole = _FRACTION_DIMS[dst.dimensionality]  # the unit in which 1 means "all of it"
        return float(Q_(fraction, whole).to(dst).magnitude)
    if src.dimensionality != dst.dimensionality:
        raise UnitError(
            f"{what}: unit {unit_label(src) or 'dimensionless'!s} ({src.dimensionality}) cannot be "
            f"converted to {unit_label(dst) or 'dimensionless'} ({dst.dimensionality})"
        )
    return float(Q_(value, src).to(dst).magnitude)


def convert_value(value: float, unit: str, target: str) -> float:
    """Convenience wrapper: ``convert_value(1, "A/g", "mA/g") == 1000.0``."""
    return to_canonical(value, unit, target)
