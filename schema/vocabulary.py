"""The controlled vocabulary: the single place where names and canonical units are defined.

The vocabulary lives in YAML files beside this module (``schema/data/``):

* ``properties.yaml``      measured properties (``initial_coulombic_efficiency`` in %, ...)
* ``conditions.yaml``      conditions a value was measured at (``current_density`` in mA g⁻¹, ...)
* ``parameters.yaml``      recipe-vector parameters derived from process steps (``pitch_wt_pct``)
* ``step_quantities.yaml`` quantities a process step can carry (temperature, time, mass, fraction)
* ``step_types.yaml``      process-step types; ``fraction_bases.yaml`` what a fraction is of

Every name accepts its synonyms, case-insensitively and ignoring spaces, ``_``, ``-`` and ``.``:

>>> vocab = load_vocabulary()
>>> vocab.get("property", "ICE").name
'initial_coulombic_efficiency'
>>> vocab.get("parameter", "pitch").unit
'wt_percent'

**User terms.**  A knowledge base can extend the shipped vocabulary with terms of its own (a
column no shipped term covers, an optimizer objective, a space parameter).  They are stored in
the KB file (table ``user_terms``), so a KB stays self-describing and portable, and opening a KB
makes them part of :func:`load_vocabulary` for every command::

    from anodelab.schema.vocabulary import user_term
    term = user_term("plateau_capacity_low_v", "property", "mA h g-1",
                     synonyms=["Q below 0.1 V"], description="capacity below 0.1 V vs Li/Li+")
    vocab = load_vocabulary().with_terms([term])      # explicit, no KB involved

With a KB: ``anodelab.api.KnowledgeBase.add_term`` / ``anodelab vocabulary add`` store the term
and activate it (see ``anodelab.kb.user_terms``).  The unit is parsed with pint through
:func:`~anodelab.schema.units.parse_unit` (so ``mA h g−1`` is read correctly), the name must
not clash with a shipped name or synonym of the same kind, and every value later stored under
the term is dimension-checked against its unit.
"""

from __future__ import annotations

import contextlib
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import yaml

from anodelab.schema.errors import InputError, UnknownNameError, suggest
from anodelab.schema.units import normalize_unit_text, parse_unit, to_canonical, unit_label

__all__ = [
    "Term",
    "Vocabulary",
    "load_vocabulary",
    "builtin_vocabulary",
    "user_term",
    "use_user_terms",
    "active_user_terms",
    "name_key",
    "KINDS",
    "USER_KINDS",
]

Kind = Literal["property", "condition", "parameter", "step_quantity"]
KINDS: tuple[Kind, ...] = ("property", "condition", "parameter", "step_quantity")
_FILES: dict[Kind, str] = {
    "property": "properties.yaml",
    "condition": "conditions.yaml",
    "parameter": "parameters.yaml",
    "step_quantity": "step_quantities.yaml",
}
USER_KINDS: tuple[Kind, ...] = ("property", "parameter", "condition")
_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉ₐₑₒₓₕₖₗₘₙₚₛₜ", "0123456789aeoxhklmnpst")


def name_key(name: str) -> str:
    """Lookup key of a name: NFKC, lower case, no spaces, ``_``, ``-``, ``.``, subscripts folded."""
    text = unicodedata.normalize("NFKC", str(name)).translate(_SUBSCRIPTS).lower()
    return re.sub(r"[\s_\-.·]+", "", text)


@dataclass(frozen=True)
class Term:
    """One vocabulary entry (a property, condition, parameter or step quantity)."""

    name: str
    kind: Kind
    unit: str | None = None
    value_kind: Literal["number", "text", "categorical"] = "number"
    min: float | None = None
    max: float | None = None
    description: str = ""
    synonyms: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    derivation: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    match_rel_tol: float = 1e-6  # conditions: relative tolerance when matching measured values

    @property
    def unit_label(self) -> str:
        """The canonical unit as researchers write it (``mA h g⁻¹``)."""
        return unit_label(self.unit) if self.unit else ""

    @property
    def is_numeric(self) -> bool:
        return self.value_kind == "number"

    def canonical_value(
        self, value: float, unit: str | None, *, where: dict[str, Any] | None = None
    ) -> float:
        """Convert ``value`` given in ``unit`` to this term's canonical unit (dimension-checked)."""
        if not self.is_numeric:
            raise InputError(f"{self.kind} {self.name!r} takes text, not a number", **(where or {}))
        try:
            return to_canonical(value, unit, self.unit, what=f"{self.kind} {self.name!r}")
        except Exception as exc:
            raise InputError(str(exc), **({"value": value} | (where or {}))) from exc

    def check_range(self, value: float | None) -> str | None:
        """Return a reason when ``value`` (canonical unit) is not finite or outside the plausible
        range (``None``, no value, passes: whether a value is required is the caller's rule)."""
        if value is None:
            return None
        if not math.isfinite(value):
            return f"{self.name} = {value} is not a finite number"
        if self.min is not None and value < self.min:
            return f"{self.name} = {value:g} {self.unit_label} is below the plausible minimum {self.min:g}"
        if self.max is not None and value > self.max:
            return f"{self.name} = {value:g} {self.unit_label} is above the plausible maximum {self.max:g}"
        return None


@dataclass(frozen=True)
class Vocabulary:
    """All terms by kind, with synonym lookup."""

    terms: dict[Kind, dict[str, Term]]
    step_types: dict[str, str]
    fraction_bases: dict[str, str]
    _index: dict[Kind, dict[str, str]] = field(repr=False, compare=False)

    def get(self, kind: Kind, name: str) -> Term:
        """The term of ``kind`` named ``name`` or one of its synonyms; raises with suggestions."""
        if kind not in self.terms:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        key = name_key(name)
        canonical = self._index[kind].get(key)
        if canonical is None:
            names = list(self.terms[kind])
            syns = [s for t in self.terms[kind].values() for s in t.synonyms]
            hits = suggest(str(name), names + syns)
            hits = list(dict.fromkeys(self._index[kind].get(name_key(h), h) for h in hits))
            raise UnknownNameError(kind.replace("_", " "), str(name), hits)
        return self.terms[kind][canonical]

    def find(self, name: str, kinds: Iterable[Kind] = KINDS) -> Term | None:
        """The first term of the given kinds matching ``name``, or ``None``."""
        key = name_key(name)
        for kind in kinds:
            canonical = self._index[kind].get(key)
            if canonical is not None:
                return self.terms[kind][canonical]
        return None

    def properties(self) -> dict[str, Term]:
        return self.terms["property"]

    def conditions(self) -> dict[str, Term]:
        return self.terms["condition"]

    def parameters(self) -> dict[str, Term]:
        return self.terms["parameter"]

    def step_quantities(self) -> dict[str, Term]:
        return self.terms["step_quantity"]

    def check_step_type(self, name: str) -> str:
        if name in self.step_types:
            return name
        raise UnknownNameError("step type", name, suggest(name, self.step_types))

    def check_fraction_basis(self, name: str) -> str:
        if name in self.fraction_bases:
            return name
        raise UnknownNameError("fraction basis", name, suggest(name, self.fraction_bases))

    def with_terms(self, extra: Iterable[Term]) -> Vocabulary:
        """A new vocabulary: this one plus ``extra`` terms (user terms).

        A term equal to one already present is skipped (re-adding is harmless); a term whose name
        or synonym already names another term of its kind raises ``InputError`` naming both.
        """
        terms = {kind: dict(by_name) for kind, by_name in self.terms.items()}
        index = {kind: dict(keys) for kind, keys in self._index.items()}
        for term in extra:
            existing = terms[term.kind].get(term.name)
            if existing is not None:
                if _same_definition(existing, term):
                    continue
                raise InputError(
                    f"{term.kind} {term.name!r} is already defined "
                    f"(unit {existing.unit_label or 'none'}); choose another name"
                )
            for alias in (term.name, *term.synonyms):
                owner = index[term.kind].get(name_key(alias))
                if owner is not None and owner != term.name:
                    raise InputError(
                        f"{term.kind} {term.name!r}: {alias!r} already names the {term.kind} "
                        f"{owner!r}; drop that synonym or use {owner!r}"
                    )
            terms[term.kind][term.name] = term
            for alias in (term.name, *term.synonyms):
                index[term.kind][name_key(alias)] = term.name
        return Vocabulary(
            terms=terms,  # type: ignore[arg-type]
            step_types=self.step_types,
            fraction_bases=self.fraction_bases,
            _index=index,  # type: ignore[arg-type]
        )

    def records(self) -> list[dict[str, Any]]:
        """All terms as flat dicts (for the KB's ``vocabulary`` table and the docs)."""
        rows = []
        for kind, terms in self.terms.items():
            for term in terms.values():
                rows.append(
                    {
                        "name": term.name,
                        "kind": kind,
                        "unit": term.unit,
                        "unit_label": term.unit_label,
                        "value_kind": term.value_kind,
                        "min": term.min,
                        "max": term.max,
                        "description": term.description,
                        "synonyms": ", ".join(term.synonyms),
                        "allowed_values": ", ".join(term.values),
                    }
                )
        return rows


def _read_yaml(filename: str) -> list[dict[str, Any]]:
    text = resources.files("anodelab.schema").joinpath("data", filename).read_text(encoding="utf-8")
    data = yaml.safe_load(text) or []
    if not isinstance(data, list):
        raise ValueError(f"schema/data/{filename} must hold a YAML list")
    return data


def _float_or_none(value: Any, filename: str, name: str) -> float | None:
    # PyYAML reads "1.0e6" (no exponent sign) as a string: accept it as the number it means.
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"schema/data/{filename}: {name}: min/max must be numbers, got {value!r}"
        ) from None


def _build_term(kind: Kind, entry: dict[str, Any], filename: str) -> Term:
    if "name" not in entry:
        raise ValueError(f"schema/data/{filename}: an entry has no name: {entry}")
    declared = entry.get("kind")
    value_kind = {"text": "text", "categorical": "categorical"}.get(str(declared), "number")
    unit = entry.get("unit")
    if value_kind == "number":
        if unit is None:
            raise ValueError(f"schema/data/{filename}: {entry['name']} needs a unit")
        parse_unit(unit)  # fail loudly at load if a canonical unit does not parse
    derivation: dict[str, Any] = {
        k: entry[k] for k in ("from", "pick", "absent_value", "step") if k in entry
    }
    low = _float_or_none(entry.get("min"), filename, entry["name"])
    high = _float_or_none(entry.get("max"), filename, entry["name"])
    if value_kind == "number" and unit in _SHARE_UNITS:  # a share of a whole: 0–100 %
        low = 0.0 if low is None else low
        high = 100.0 if high is None else high
    return Term(
        name=entry["name"],
        kind=kind,
        unit=unit if value_kind == "number" else None,
        value_kind=value_kind,  # type: ignore[arg-type]
        min=low,
        max=high,
        description=entry.get("description", ""),
        synonyms=tuple(str(s) for s in entry.get("synonyms", ())),
        values=tuple(str(v) for v in entry.get("values", ())),
        derivation=derivation,
        match_rel_tol=float(entry.get("match_rel_tol", 1e-6)),
    )


# mass, atomic and volume percentages are shares of a whole; a term in one of these units
# without its own range is plausible from 0 to 100
_SHARE_UNITS = ("wt_percent", "at_percent", "vol_percent")


def _same_definition(a: Term, b: Term) -> bool:
    return (a.kind, a.unit, a.value_kind, a.synonyms, a.min, a.max) == (
        b.kind,
        b.unit,
        b.value_kind,
        b.synonyms,
        b.min,
        b.max,
    )


_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def user_term(
    name: str,
    kind: str,
    unit: str | None = None,
    *,
    synonyms: Iterable[str] = (),
    description: str = "",
    min: float | None = None,
    max: float | None = None,
    value_kind: str = "number",
    values: Iterable[str] = (),
    step_type: str | None = None,
) -> Term:
    """Build and validate a user term (not stored anywhere: see ``anodelab.kb.user_terms``).

    :param name: snake_case identifier (``plateau_capacity_low_v``); it becomes a column name.
    :param kind: ``property`` (a measured value), ``parameter`` (a recipe/space parameter) or
        ``condition`` (what a value was measured at).
    :param unit: canonical unit as printed (``mA h g-1``, ``g/cm3``, ``nm``, ``%``); stored as
        pint reads it after :func:`~anodelab.schema.units.normalize_unit_text`; ``1`` for a
        dimensionless number.  Required for numbers; omitted for ``value_kind`` text/categorical.
    :param min: plausible minimum in ``unit`` (values below are refused); ``max`` likewise.
    :param step_type: parameters only: the process step the value belongs to (a parameter with
        no step type is read from a step parameter named like the term anywhere in the recipe).
    :raises InputError: bad name, kind or unit, or a unit pint does not read.
    """
    name = str(name).strip()
    if not _NAME.match(name):
        raise InputError(
            f"vocabulary term name {name!r} must start with a letter and use only letters, "
            "digits and _ (it becomes a column name)"
        )
    if kind not in USER_KINDS:
        raise InputError(
            f"vocabulary term {name!r}: kind must be one of {', '.join(USER_KINDS)}, not {kind!r}"
        )
    if value_kind not in ("number", "text", "categorical"):
        raise InputError(
            f"vocabulary term {name!r}: value kind must be number, text or categorical"
        )
    canonical: str | None = None
    if value_kind == "number":
        if unit is None or not str(unit).strip():
            raise InputError(f"vocabulary term {name!r} needs a unit (use 1 for a plain number)")
        try:
            parse_unit(str(unit))  # pint must read it (after the literature-spelling fixes)
        except Exception as exc:
            raise InputError(f"vocabulary term {name!r}: unit {unit!r}: {exc}") from None
        canonical = normalize_unit_text(str(unit))
    derivation: dict[str, Any] = {}
    if kind == "parameter":
        source: dict[str, Any] = {"quantity": name}
        if step_type:
            source["step_type"] = step_type
        derivation = {"from": source, "pick": "last"}
    low = None if min is None else float(min)
    high = None if max is None else float(max)
    for bound, number in (("min", low), ("max", high)):
        if number is not None and not math.isfinite(number):
            raise InputError(
                f"vocabulary term {name!r}: {bound} must be a finite number, got {number}"
            )
    if low is not None and high is not None and low > high:
        raise InputError(f"vocabulary term {name!r}: min {low:g} is above max {high:g}")
    return Term(
        name=name,
        kind=kind,  # type: ignore[arg-type]
        unit=canonical,
        value_kind=value_kind,  # type: ignore[arg-type]
        min=low,
        max=high,
        description=str(description or ""),
        synonyms=tuple(dict.fromkeys(str(s).strip() for s in synonyms if str(s).strip())),
        values=tuple(str(v) for v in values),
        derivation=derivation,
    )


def step_quantity_for(term: Term) -> Term:
    """The step quantity under which a user *parameter* is stored in a recipe step."""
    return Term(
        name=term.name,
        kind="step_quantity",
        unit=term.unit,
        value_kind=term.value_kind,
        min=term.min,
        max=term.max,
        description=term.description,
        values=term.values,
    )


_ACTIVE: ContextVar[tuple[Term, ...]] = ContextVar("anodelab_user_terms", default=())


def active_user_terms() -> tuple[Term, ...]:
    """The user terms :func:`load_vocabulary` currently adds to the shipped vocabulary."""
    return _ACTIVE.get()


def use_user_terms(terms: Iterable[Term]) -> None:
    """Make ``terms`` the user terms of :func:`load_vocabulary` (opening a KB calls this)."""
    terms = tuple(terms)
    _vocabulary_with(terms)  # validate now: a clash fails here, not in a later command
    _ACTIVE.set(terms)


@contextlib.contextmanager
def user_terms_in_use(terms: Iterable[Term]) -> Iterator[Vocabulary]:
    """Temporarily use ``terms`` as the user terms (tests, one-off imports)."""
    token = _ACTIVE.set(tuple(terms))
    try:
        yield load_vocabulary()
    finally:
        _ACTIVE.reset(token)


def load_vocabulary() -> Vocabulary:
    """The shipped vocabulary plus the user terms of the open KB (see :func:`use_user_terms`)."""
    return _vocabulary_with(_ACTIVE.get())


@lru_cache(maxsize=16)
def _vocabulary_with(extra: tuple[Term, ...]) -> Vocabulary:
    base = builtin_vocabulary()
    if not extra:
        return base
    with_steps = [*extra, *(step_quantity_for(t) for t in extra if t.kind == "parameter")]
    return base.with_terms(with_steps)


@lru_cache(maxsize=1)
def builtin_vocabulary() -> Vocabulary:
    """Load and validate the shipped vocabulary (cached).  Duplicate names or synonyms within a kind fail."""
    terms: dict[Kind, dict[str, Term]] = {}
    index: dict[Kind, dict[str, str]] = {}
    for kind, filename in _FILES.items():
        terms[kind] = {}
        index[kind] = {}
        for entry in _read_yaml(filename):
            term = _build_term(kind, entry, filename)
            if term.name in terms[kind]:
                raise ValueError(f"schema/data/{filename}: {term.name!r} is defined twice")
            terms[kind][term.name] = term
            for alias in (term.name, *term.synonyms):
                key = name_key(alias)
                owner = index[kind].get(key)
                if owner is not None and owner != term.name:
                    raise ValueError(
                        f"schema/data/{filename}: synonym {alias!r} of {term.name!r} "
                        f"already names {owner!r}"
                    )
                index[kind][key] = term.name
    step_types = {e["name"]: e.get("description", "") for e in _read_yaml("step_types.yaml")}
    bases = {e["name"]: e.get("description", "") for e in _read_yaml("fraction_bases.yaml")}
    return Vocabulary(terms=terms, step_types=step_types, fraction_bases=bases, _index=index)
