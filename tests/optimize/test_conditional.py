"""Conditional parameters: a dopamine fraction only for polydopamine coatings, pitch only for pitch."""

import numpy as np
import pandas as pd
import pytest
import torch

from anodelab.models import GPSurrogate
from anodelab.models.features import encode
from anodelab.optimize.batch import propose
from anodelab.optimize.objectives import Objective, ObjectiveSet, Outcome, assemble
from anodelab.optimize.space import space_from_dict
from anodelab.optimize.virtual_lab import VirtualSiCLab
from anodelab.schema.errors import InputError

SPACE = {
    "parameters": {
        "coating_precursor": {"type": "categorical", "values": ["pitch", "polydopamine", "none"]},
        "pitch_wt_pct": {"bounds": [0, 50], "when": {"coating_precursor": "pitch"}},
        "dopamine_wt_pct": {"bounds": [2, 25], "when": {"coating_precursor": "polydopamine"}},
        "dextrin_g": {"bounds": [1, 4]},
        "zif8_g": {"bounds": [0, 2]},
    },
    "constraints": ["dextrin_g + zif8_g <= 4.5", "pitch_wt_pct + dextrin_g <= 50"],
}


def test_space_reads_conditions_and_round_trips():
    space = space_from_dict(SPACE)
    by_name = {p.name: p for p in space.parameters}
    assert by_name["dopamine_wt_pct"].when == (("coating_precursor", ("polydopamine",)),)
    assert space_from_dict(space.to_dict()) == space
    features = {f.name: f for f in space.features()}
    assert features["pitch_wt_pct"].active_when == (("coating_precursor", ("pitch",)),)


def test_samples_leave_inactive_parameters_empty_and_pass_the_checks():
    space = space_from_dict(SPACE)
    table = space.sample(64, seed=1)
    pda = table["coating_precursor"] == "polydopamine"
    assert table.loc[pda, "dopamine_wt_pct"].notna().all()
    assert table.loc[~pda, "dopamine_wt_pct"].isna().all()
    assert table.loc[table["coating_precursor"] != "pitch", "pitch_wt_pct"].isna().all()
    assert space.violations(table) == []
    # an active parameter out of bounds is still caught, an inactive one is ignored
    bad = table.copy()
    bad.loc[pda, "dopamine_wt_pct"] = 99.0
    bad.loc[~pda, "dopamine_wt_pct"] = -5.0
    problems = space.violations(bad)
    assert len(problems) == int(pda.sum()) and all("dopamine_wt_pct=99" in p for p in problems)
    # without the controlling column the table is reported, not crashed on
    assert "column 'coating_precursor' is missing" in space.violations(
        table.drop(columns="coating_precursor")
    )


@pytest.mark.parametrize(
    "when, message",
    [
        ({"coating_precursor": "tar"}, "not among the levels"),
        ({"dextrin_g": 2}, "categorical parameter of the space"),
        ({"nonsense_parameter": "x"}, "unknown parameter"),
        ("pitch", "must map a categorical parameter"),
    ],
)
def test_bad_conditions_are_refused_with_the_place(when, message):
    params = {**SPACE["parameters"], "pitch_wt_pct": {"bounds": [0, 50], "when": when}}
    with pytest.raises(InputError, match=message) as info:
        space_from_dict({**SPACE, "parameters": params}, file="space.yaml")
    assert "space.yaml" in str(info.value) and "pitch_wt_pct.when" in str(info.value)


def test_condition_on_a_fixed_level_that_excludes_it_is_refused():
    spec = {
        "parameters": {
            "coating_precursor": {"type": "fixed", "value": "pitch"},
            "dopamine_wt_pct": {"bounds": [2, 25], "when": {"coating_precursor": "polydopamine"}},
            "dextrin_g": {"bounds": [1, 4]},
        }
    }
    with pytest.raises(InputError, match="fixed at 'pitch'"):
        space_from_dict(spec)


def test_assembly_keeps_recipes_without_the_step_and_encoding_uses_a_constant():
    space = space_from_dict(SPACE)
    features = space.features()
    recipes = pd.DataFrame(
        {
            "sample": ["P30", "D10", "bare", "Dx"],
            "coating_precursor": ["pitch", "polydopamine", "none", "polydopamine"],
            "pitch_wt_pct": [30.0, np.nan, np.nan, np.nan],
            "dopamine_wt_pct": [np.nan, 10.0, np.nan, np.nan],  # Dx: PDA but fraction unknown
            "dextrin_g": [2.0, 2.0, 2.0, 2.0],
            "zif8_g": [1.0, 1.0, 1.0, 1.0],
        }
    )
    meas = pd.DataFrame({"sample": ["P30", "D10", "bare", "Dx"], "property": "ICE",
                         "value": [80.0, 82.0, 75.0, 81.0], "unit": "%"})  # fmt: skip
    data = assemble(recipes, meas, [Outcome("ICE")], features)
    assert sorted(data.tables["ICE"]["sample"]) == ["D10", "P30", "bare"]
    assert (
        data.missing.query("sample == 'Dx'")["reason"].str.contains("dopamine_wt_pct unknown").all()
    )
    table = data.tables["ICE"].set_index("sample")
    matrix = pd.DataFrame(
        encode(table, features), index=table.index, columns=[f.name for f in features]
    )
    # bare: neither step → the lower bounds (0 wt% pitch, 2 wt% dopamine); D10 keeps its 10 wt%
    assert matrix.loc["bare", ["pitch_wt_pct", "dopamine_wt_pct"]].tolist() == [0.0, 2.0]
    assert matrix.loc["D10", ["pitch_wt_pct", "dopamine_wt_pct"]].tolist() == [0.0, 10.0]
    assert matrix.loc["P30", ["pitch_wt_pct", "dopamine_wt_pct"]].tolist() == [30.0, 2.0]


def test_model_is_flat_along_an_inactive_parameter():
    """The acquisition optimiser's points, not only recipe tables, see the constant."""
    space = space_from_dict(SPACE)
    lab = VirtualSiCLab(noise=False)
    X = space.sample(20, seed=3)
    y = lab.truth(X)["discharge_capacity"].to_numpy()
    gp = GPSurrogate(space.features()).fit(X, y)
    names = [f.name for f in space.features()]
    base = torch.tensor(
        encode(X.iloc[:1].assign(coating_precursor="pitch", pitch_wt_pct=20.0), space.features())
    )
    moved = base.clone()
    moved[0, names.index("dopamine_wt_pct")] = 24.0  # dopamine fraction on a pitch-coated recipe
    with torch.no_grad():
        a, b = gp.model_.posterior(base), gp.model_.posterior(moved)
    assert torch.allclose(a.mean, b.mean) and torch.allclose(a.variance, b.variance)
    pda = base.clone()
    pda[0, names.index("coating_precursor")] = 1.0
    moved_pda = pda.clone()
    moved_pda[0, names.index("dopamine_wt_pct")] = 24.0
    with torch.no_grad():
        assert not torch.allclose(
            gp.model_.posterior(pda).mean, gp.model_.posterior(moved_pda).mean
        )


def test_proposals_leave_inactive_parameters_empty():
    space = space_from_dict(SPACE)
    lab = VirtualSiCLab(noise=False)
    X = space.sample(8, seed=5)
    table = X.assign(
        y=lab.truth(X)["discharge_capacity"].to_numpy(),
        sample=[f"s{i}" for i in range(8)],
        source="lab",
    )
    from anodelab.optimize.objectives import Assembled

    objectives = ObjectiveSet((Objective(Outcome("y")),))
    result = propose(space, objectives, Assembled({"y": table}), q=3, seed=0, budget="fast")
    for p in result.proposals:
        coat = p.parameters["coating_precursor"]
        assert (p.parameters["pitch_wt_pct"] is None) == (coat != "pitch")
        assert (p.parameters["dopamine_wt_pct"] is None) == (coat != "polydopamine")
    assert space.violations(result.table()) == []
