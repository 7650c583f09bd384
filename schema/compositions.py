"""Material names vs chemical formulas, and theoretical capacities for plausibility checks.

Sample labels (``Si@C``, ``Si/HNC/AC@Pitch30``, ``mSi@NHC-700-10``) are *names*: pymatgen would
read ``Si@C`` as SiC and ``NCM811`` as ``M811 C N`` without complaint, so nothing is handed to
pymatgen unless it is a strict formula (only element symbols, counts and parentheses) or a known
alias (``NCM811`` → ``LiNi0.8Co0.1Mn0.1O2``).

Theoretical specific capacity of a host that takes up ``n`` Li per formula unit of molar mass
``M`` (Faraday's law):

.. math::

    Q_\\mathrm{th} = \\frac{n F}{3.6 M} \\;[\\mathrm{mA\\,h\\,g^{-1}}]

with ``M`` from pymatgen (Si → Li₁₅Si₄: n = 3.75, 3579 mA h g⁻¹; graphite → LiC₆: n = 1/6,
372 mA h g⁻¹; Obrovac & Chevrier, Chem. Rev. 114 (2014) 11444).  A composite's capacity is the
mass-weighted sum of its components' capacities.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = [
    "FORMULA_ALIASES",
    "formula_of",
    "is_strict_formula",
    "theoretical_capacity_mAh_per_g",
    "composite_capacity_mAh_per_g",
]

FARADAY_C_PER_MOL = 96485.33212

# Names used in battery papers for cathodes and common materials → a formula pymatgen can read.
FORMULA_ALIASES: dict[str, str] = {
    "NCM811": "LiNi0.8Co0.1Mn0.1O2",
    "NMC811": "LiNi0.8Co0.1Mn0.1O2",
    "NCM622": "LiNi0.6Co0.2Mn0.2O2",
    "NMC622": "LiNi0.6Co0.2Mn0.2O2",
    "NCM523": "LiNi0.5Co0.2Mn0.3O2",
    "NMC532": "LiNi0.5Co0.3Mn0.2O2",
    "NCM111": "LiNi0.333Co0.333Mn0.333O2",
    "NMC111": "LiNi0.333Co0.333Mn0.333O2",
    "NCA": "LiNi0.8Co0.15Al0.05O2",
    "LFP": "LiFePO4",
    "LCO": "LiCoO2",
    "LMO": "LiMn2O4",
    "LNMO": "LiNi0.5Mn1.5O4",
    "NI65": "LiNi0.65Co0.15Mn0.2O2",  # "Ni65" high-Ni NCM as named by suppliers (Ni 65 %)
    "GRAPHITE": "C",
    "SILICON": "Si",
}

# Li taken up per formula unit of the fully lithiated phase at room temperature.
_LI_PER_HOST: dict[str, float] = {"Si": 3.75, "C": 1 / 6, "Ge": 3.75, "Sn": 4.4, "SiO": 1.9}

_STRICT = re.compile(
    r"^(?:[A-Z][a-z]?(?:\d+(?:\.\d+)?)?|\((?:[A-Z][a-z]?(?:\d+(?:\.\d+)?)?)+\)\d*(?:\.\d+)?)+$"
)


def is_strict_formula(text: str) -> bool:
    """True when ``text`` is only element symbols, counts and parentheses, all real elements."""
    from pymatgen.core.periodic_table import Element

    text = text.strip()
    if not _STRICT.match(text):
        return False
    return all(Element.is_valid_symbol(sym) for sym in re.findall(r"[A-Z][a-z]?", text))


def formula_of(name: str) -> str | None:
    """Reduced formula for a material *name*, or ``None`` when the name is not a formula.

    >>> formula_of("NCM811")
    'LiNi0.8Co0.1Mn0.1O2'
    >>> formula_of("Si@C") is None
    True
    """
    from pymatgen.core import Composition

    key = re.sub(r"[\s\-]", "", name).upper()
    if key in FORMULA_ALIASES:
        text = FORMULA_ALIASES[key]
    elif is_strict_formula(name):
        text = name.strip()
    else:
        return None
    try:
        Composition(text)  # the formula must parse; it is returned as written
    except Exception:  # pymatgen raises ValueError and friends for odd input
        return None
    return text


def theoretical_capacity_mAh_per_g(host: str) -> float:
    """Theoretical gravimetric capacity of a host (``Si``, ``C``, ``Ge``, ``Sn``, ``SiO``).

    Faraday's law with the molar mass from pymatgen; raises ``KeyError`` for an unknown host.
    """
    from pymatgen.core import Composition

    n_li = _LI_PER_HOST[host]
    molar_mass = float(Composition(host).weight)
    return n_li * FARADAY_C_PER_MOL / (3.6 * molar_mass)


def composite_capacity_mAh_per_g(mass_fractions: Mapping[str, float]) -> float:
    """Mass-weighted theoretical capacity of a composite, e.g. ``{"Si": 0.3, "C": 0.7}``.

    .. math:: Q_\\mathrm{composite} = \\sum_i w_i\\, Q_{\\mathrm{th},i}

    Fractions must be in 0..1 and sum to at most 1 (a remainder is counted as inactive).
    """
    total = sum(mass_fractions.values())
    if any(w < 0 or w > 1 for w in mass_fractions.values()) or total > 1 + 1e-9:
        raise ValueError(
            f"mass fractions must lie in 0..1 and sum to ≤ 1, got {dict(mass_fractions)}"
        )
    return sum(w * theoretical_capacity_mAh_per_g(host) for host, w in mass_fractions.items())
