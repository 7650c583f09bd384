"""Objectives with conditions and training-data assembly (replicates kept, missing reported)."""

import numpy as np
import pandas as pd
import pytest

from anodelab.models.features import Feature
from anodelab.optimize.objectives import assemble, objectives_from_dict
from anodelab.schema.errors import InputError

SPEC = {
    "objectives": [
        {"property": "discharge_capacity", "at": {"cycle": 500, "current_density": "1 A/g"}, "goal": "max",
         "threshold": "0.6 A h/g"},
        {"property": "ICE", "goal": "maximize"},
    ],
    "outcome_constraints": ["ICE >= 80 %"],
}  # fmt: skip


def test_objectives_convert_conditions_and_thresholds_to_canonical_units():
    objs = objectives_from_dict(SPEC)
    cap, ice = objs.objectives
    assert dict(cap.outcome.at) == {"cycle": 500.0, "current_density": pytest.approx(1000.0)}
    assert cap.threshold == pytest.approx(600.0)
    assert ice.outcome.property == "initial_coulombic_efficiency"
    assert objs.constraints[0].value == 80.0 and objs.constraints[0].op == ">="
    with pytest.raises(InputError, match="maximize or minimize"):
        objectives_from_dict({"objectives": [{"property": "ICE", "goal": "best"}]})
    with pytest.raises(InputError, match="unknown property"):
        objectives_from_dict({"objectives": [{"property": "capacityy_retention_x"}]})


def test_outcome_label_gives_conditions_with_their_canonical_units():
    cap, ice = objectives_from_dict(SPEC).objectives
    # 1 A/g was converted to the vocabulary's mA/g; a cycle number is a count, no unit word
    assert cap.outcome.label == "discharge_capacity (current_density 1000 mA g⁻¹, cycle 500)"
    assert cap.outcome.key == "discharge_capacity@current_density=1000,cycle=500"  # unchanged
    assert ice.outcome.label == "initial_coulombic_efficiency"
    hot = objectives_from_dict(
        {"objectives": [{"property": "ICE", "at": {"temperature": "318 K"}}]}
    ).objectives[0]
    assert hot.outcome.label == "initial_coulombic_efficiency (temperature 44.85 °C)"


def test_assembly_keeps_replicates_matches_conditions_and_reports_missing():
    objs = objectives_from_dict(SPEC)
    features = [Feature("pitch_wt_pct", "numeric", 0, 50)]
    recipes = pd.DataFrame(
        {"sample": ["a", "b", "c", "d"], "source": "lab", "pitch_wt_pct": [10, 20, 30, np.nan]}
    )
    meas = pd.DataFrame(
        [
            ("a", "discharge_capacity", 900.0, "mA*h/g", 500, 1000.0),
            ("a", "discharge_capacity", 920.0, "mA*h/g", 500, 1000.0),  # replicate
            ("b", "discharge_capacity", 1.1, "A*h/g", 500, 1000.0),  # other unit
            ("c", "discharge_capacity", 1500.0, "mA*h/g", 100, 1000.0),  # other cycle
            ("a", "initial_coulombic_efficiency", 85.0, "percent", np.nan, np.nan),
            ("d", "initial_coulombic_efficiency", 88.0, "percent", np.nan, np.nan),
        ],
        columns=["sample", "property", "value", "unit", "cycle", "current_density"],
    )
    got = assemble(recipes, meas, objs.outcomes(), features)
    cap = got.tables[objs.objectives[0].key]
    assert sorted(cap["y"]) == pytest.approx([900.0, 920.0, 1100.0])
    assert list(cap["sample"]).count("a") == 2
    ice = got.tables["initial_coulombic_efficiency"]
    assert list(ice["sample"]) == ["a"]
    reasons = {(r.sample, r.outcome): r.reason for r in got.missing.itertuples()}
    assert "not at" in reasons[("c", objs.objectives[0].key)]
    assert reasons[("d", "*")] == "pitch_wt_pct unknown"
    assert "no initial_coulombic_efficiency" in reasons[("b", "initial_coulombic_efficiency")]
