"""The vocabulary is the single place names and units are defined."""

from __future__ import annotations

import pytest

from anodelab.schema.errors import UnknownNameError
from anodelab.schema.units import parse_unit
from anodelab.schema.vocabulary import KINDS, load_vocabulary, name_key


@pytest.mark.parametrize(
    ("kind", "given", "canonical"),
    [
        ("property", "ICE", "initial_coulombic_efficiency"),
        ("property", "initial Coulombic efficiency", "initial_coulombic_efficiency"),
        ("property", "BET", "bet_surface_area"),
        ("property", "I_D/I_G", "raman_id_ig"),
        ("property", "R_ct", "charge_transfer_resistance"),
        ("parameter", "pitch", "pitch_wt_pct"),
        ("parameter", "T_carb", "carbonization_temperature_C"),
        ("parameter", "Dopamine", "dopamine_wt_pct"),
        ("condition", "C-rate", "c_rate"),
        ("condition", "current density", "current_density"),
    ],
)
def test_synonyms_resolve_case_insensitively(kind: str, given: str, canonical: str) -> None:
    assert load_vocabulary().get(kind, given).name == canonical  # type: ignore[arg-type]


def test_unknown_names_get_close_suggestions() -> None:
    with pytest.raises(UnknownNameError) as info:
        load_vocabulary().get("property", "initial_coulombic_efficency")
    assert "initial_coulombic_efficiency" in info.value.suggestions
    assert "did you mean" in str(info.value)


def test_every_numeric_term_has_a_parseable_unit_and_sane_range() -> None:
    vocab = load_vocabulary()
    for kind in KINDS:
        for term in vocab.terms[kind].values():
            if term.is_numeric:
                parse_unit(term.unit)
                if term.min is not None and term.max is not None:
                    assert term.min < term.max, term.name
            else:
                assert term.unit is None


def test_no_synonym_names_two_terms_of_one_kind() -> None:
    vocab = load_vocabulary()
    for kind in KINDS:
        seen: dict[str, str] = {}
        for term in vocab.terms[kind].values():
            for alias in (term.name, *term.synonyms):
                key = name_key(alias)
                assert seen.setdefault(key, term.name) == term.name, (kind, alias)


def test_plausibility_ranges() -> None:
    ice = load_vocabulary().get("property", "ICE")
    assert ice.check_range(101.0) is not None
    assert ice.check_range(89.0) is None
    assert load_vocabulary().get("property", "discharge_capacity").check_range(-1.0) is not None
