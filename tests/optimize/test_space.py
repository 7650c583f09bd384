"""Design-space validation: names, units, bounds, discrete levels, constraints, candidate tables."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from anodelab.optimize.space import load_space, space_from_dict
from anodelab.schema.errors import InputError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "spaces"


def test_units_are_converted_and_synonyms_resolved():
    space = space_from_dict(
        {
            "parameters": {
                "carbonization temperature": {
                    "type": "continuous",
                    "bounds": [873.15, 1273.15],
                    "unit": "K",
                },
                "pitch": {"bounds": [0, 0.5], "unit": "wt_fraction"},
            }
        }  # fmt: skip
    )
    temp, pitch = space.parameters
    assert temp.name == "carbonization_temperature_C"
    assert (temp.lower, temp.upper) == pytest.approx((600.0, 1000.0))
    assert (pitch.name, pitch.upper) == ("pitch_wt_pct", pytest.approx(50.0))


def test_discrete_levels_are_listed_per_parameter_and_size_is_computed_not_enumerated():
    space = space_from_dict(
        {
            "parameters": {
                "carbonization_temperature_C": {
                    "type": "discrete",
                    "bounds": [600, 1000],
                    "step": 50,
                },
                "coating_precursor": {"values": ["pitch", "polydopamine", "none"]},
                "template": {"values": ["ZIF-8", "none"]},
            }
        }  # fmt: skip
    )
    assert space.parameters[0].values == tuple(float(v) for v in range(600, 1001, 50))
    assert space.size() == 9 * 3 * 2
    huge = space_from_dict({"parameters": {n: {"type": "discrete", "bounds": [0, 9999], "step": 1}
                            for n in ("dextrin_g", "zif8_g", "si_g", "dopamine_g")}})  # fmt: skip
    assert huge.size() == pytest.approx(1e16)  # would be petabytes if enumerated
    assert len(huge.sample(3, seed=0)) == 3


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ({"parameters": {"pitch_wtpct_typo_xx": {"bounds": [0, 5]}}}, "unknown parameter"),
        ({"parameters": {"pitch_wt_pct": {"bounds": [50, 0]}}}, "bounds reversed"),
        ({"parameters": {"pitch_wt_pct": {"bounds": [0, 50], "unit": "degC"}}}, "pitch_wt_pct"),
        ({"parameters": {"coating_precursor": {"values": ["pitch", "graphene"]}}}, "graphene"),
        (
            {"parameters": {"pitch_wt_pct": {"type": "categorical", "values": ["a", "b"]}}},
            "numeric",
        ),
        (
            {
                "parameters": {"pitch_wt_pct": {"bounds": [0, 50]}},
                "constraints": ["pitch_wt_pct + dextrin_g <= 3"],
            },
            "not in the space",
        ),
        (
            {
                "parameters": {"pitch_wt_pct": {"bounds": [0, 50]}},
                "constraints": ["pitch_wt_pct ** 2 <= 3"],
            },
            "cannot read",
        ),
        (
            {
                "parameters": {
                    "carbonization_temperature_C": {"type": "discrete", "bounds": [600, 1000]}
                }
            },
            "step",
        ),
        (  # a product is not linear (it used to be read as a sum)
            {
                "parameters": {
                    "pitch_wt_pct": {"bounds": [0, 50]},
                    "dextrin_g": {"bounds": [1, 4]},
                },
                "constraints": ["dextrin_g * pitch_wt_pct <= 45"],
            },
            "not linear",
        ),
        (
            {
                "parameters": {
                    "pitch_wt_pct": {"bounds": [0, 50]},
                    "dextrin_g": {"bounds": [1, 4]},
                },
                "constraints": ["2 dextrin_g pitch_wt_pct <= 45"],
            },
            "not linear",
        ),
        ({"parameters": {"pitch_wt_pct": {"bounds": [0, 150]}}}, "plausible maximum 100"),
        (
            {
                "parameters": {"dextrin_g": {"bounds": [1, 4]}, "zif8_g": {"bounds": [0, 2]}},
                "constraints": ["dextrin_g + zif8_g <= 0.5"],
            },
            "no recipe satisfies",
        ),
    ],
)
def test_invalid_spaces_are_refused_with_a_clear_message(spec, fragment):
    with pytest.raises(InputError, match=fragment):
        space_from_dict(spec)


def test_unknown_parameter_suggests_close_names():
    with pytest.raises(InputError, match="pitch_wt_pct"):
        space_from_dict({"parameters": {"pitch_wt_pc": {"bounds": [0, 5]}}})


def test_feasible_constraints_pass_the_check_including_negative_coefficients():
    space = space_from_dict(
        {
            "parameters": {"dextrin_g": {"bounds": [1, 4]}, "zif8_g": {"bounds": [0, 2]}},
            "constraints": ["dextrin_g + zif8_g <= 1.2", "- dextrin_g + 3*zif8_g >= -1"],
        }  # fmt: skip
    )
    assert len(space.sample(5, seed=0)) == 5


def test_sobol_samples_respect_linear_constraints_and_are_deterministic():
    spec = {"parameters": {"dextrin_g": {"bounds": [0, 4]}, "zif8_g": {"bounds": [0, 4]}},
            "constraints": ["dextrin_g + zif8_g <= 4", "dextrin_g - 2*zif8_g >= -1"]}  # fmt: skip
    space = space_from_dict(spec)
    a, b = space.sample(20, seed=3), space.sample(20, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert space.violations(a) == []
    assert np.all(a["dextrin_g"] + a["zif8_g"] <= 4 + 1e-9)
    assert np.all(a["dextrin_g"] - 2 * a["zif8_g"] >= -1 - 1e-9)
    bad = pd.DataFrame({"dextrin_g": [3.5], "zif8_g": [1.0]})
    assert any("violates" in v for v in space.violations(bad))


def test_candidate_table_infers_parameters_and_checks_rows(tmp_path):
    (tmp_path / "cands.csv").write_text(
        "pitch,carbonization_temperature_C,coating_precursor\n10,800,pitch\n30,900,pitch\n0,900,none\n"
    )
    (tmp_path / "space.yaml").write_text("candidates: cands.csv\n")
    space = load_space(tmp_path / "space.yaml")
    assert space.names == ["pitch_wt_pct", "carbonization_temperature_C", "coating_precursor"]
    assert space.size() == 3
    assert len(space.sample(2, seed=0, exclude=space.candidates.iloc[:1])) == 2
    (tmp_path / "bad.yaml").write_text(
        "candidates: cands.csv\nparameters:\n  pitch_wt_pct: {bounds: [0, 20]}\n"
    )
    with pytest.raises(InputError, match="outside the space"):
        load_space(tmp_path / "bad.yaml")


def test_shipped_example_space_loads():
    space = load_space(EXAMPLES / "si_c_pitch.yaml")
    assert "pitch_wt_pct" in space.names and space.constraints


def test_violations_name_each_bad_row_and_value():
    """The check is vectorised (a 200 000-row candidate table took 12 s row by row, now 0.2 s);
    it must still name every bad row with its value, and accept 900 given as text or float."""
    space = space_from_dict(
        {
            "parameters": {
                "pitch_wt_pct": {"bounds": [0, 50]},
                "carbonization_temperature_C": {
                    "type": "discrete",
                    "bounds": [600, 1000],
                    "step": 50,
                },
                "coating_precursor": {"type": "categorical", "values": ["pitch", "none"]},
                "template": {"type": "fixed", "value": "none"},
            }
        }  # fmt: skip
    )
    table = pd.DataFrame(
        {
            "pitch_wt_pct": [10, 55, "n/a", 20],
            "carbonization_temperature_C": [900.0, 900, 925, "900"],
            "coating_precursor": ["pitch", "none", "pitch", "graphene"],
            "template": ["none"] * 4,
        }  # fmt: skip
    )
    assert space.violations(table) == [
        "row 2: pitch_wt_pct=55 outside [0.0, 50.0]",
        "row 3: pitch_wt_pct=n/a outside [0.0, 50.0]",
        "row 3: carbonization_temperature_C=925 not one of "
        "[600.0, 650.0, 700.0, 750.0, 800.0, 850.0, 900.0, 950.0, 1000.0]",
        "row 4: coating_precursor='graphene' not one of ['pitch', 'none']",
    ]
    assert space.violations(table.assign(template=[0, "none", "none", "none"])[:1].assign(
        pitch_wt_pct=1, coating_precursor="pitch")) == ["row 1: template=0 but it is fixed at 'none'"]  # fmt: skip


def test_untested_candidates_exclude_done_recipes_whatever_their_number_type():
    from anodelab.optimize.space import _anti_join

    pool = pd.DataFrame({"t": [600, 650, 700], "c": ["pitch", "none", "pitch"]})
    done = pd.DataFrame({"t": [600.0, 700.0000000001], "c": ["pitch", "none"]})
    assert _anti_join(pool, done, ["t", "c"]).to_dict("list") == {
        "t": [650, 700],
        "c": ["none", "pitch"],
    }


def test_untested_candidates_match_text_numbers_and_blank_conditional_values():
    """Pending recipes come back from JSON: a not-applicable value is None where the table has
    NaN, and a hand-made table may hold '800.0' as text; both are the same recipe."""
    from anodelab.optimize.space import _anti_join

    pool = pd.DataFrame(
        {"t": [600, 650, np.nan, 800], "c": ["pitch", "none", "pitch", "x"], "d": [1, 2, 3, 4]}
    )
    done = pd.DataFrame({"t": [None, "800.0", 650], "c": ["pitch", "x", "pitch"], "d": [3, 4, 2]})
    assert _anti_join(pool, done, ["t", "c", "d"])["t"].tolist() == [600, 650]
    assert len(_anti_join(pool, done.iloc[:0], ["t", "c", "d"])) == 4


def test_untested_candidates_with_many_distinct_values_per_column():
    """Row codes are folded column by column; wide tables of distinct values must not overflow."""
    from anodelab.optimize.space import _anti_join

    rng = np.random.default_rng(0)
    pool = pd.DataFrame(rng.random((3000, 9)))
    done = pool.sample(40, random_state=1)
    left = _anti_join(pool, done, list(pool.columns))
    assert len(left) == 2960 and not left.merge(done).shape[0]
