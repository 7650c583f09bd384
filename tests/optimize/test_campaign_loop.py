"""The campaign loop on the virtual lab: recommend → measure → record → recommend, through the
Python API and the CLI's JSON interface; reproducibility with a seed; constraint satisfaction."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from anodelab.campaign import campaign_summary, new_campaign, recommend, record, training_data
from anodelab.cli import app
from anodelab.kb import campaigns as store
from anodelab.kb.db import open_db
from anodelab.optimize.space import space_from_dict
from anodelab.optimize.virtual_lab import VirtualSiCLab
from anodelab.schema.errors import InputError

SPACE = """
name: loop
parameters:
  pitch_wt_pct: {type: continuous, bounds: [0, 50], unit: wt%}
  dextrin_g: {type: continuous, bounds: [1, 4], unit: g}
  zif8_g: {type: continuous, bounds: [0, 2], unit: g}
  coating_precursor: {type: fixed, value: pitch}
constraints:
  - dextrin_g + zif8_g <= 4.5
  - pitch_wt_pct + 10*zif8_g <= 55
min_observations: 4
objectives:
  - property: discharge_capacity
    at: {cycle: 500, current_density: 1 A/g}
    goal: maximize
"""


@pytest.fixture
def kb(tmp_path):
    (tmp_path / "space.yaml").write_text(SPACE)
    db = open_db(tmp_path / "kb.db")
    new_campaign(db, tmp_path / "space.yaml", seed=7)
    return db, tmp_path


def _measure(db, records, lab):
    recipes = pd.DataFrame([r["parameters"] for r in records])
    truth = lab.truth(recipes)["discharge_capacity"].to_numpy()
    for r, value in zip(records, truth, strict=True):
        record(
            db, r["id"], [f"discharge_capacity={value / 1000:.6f} A h/g"]
        )  # unit converted on record
    return truth


def test_loop_cold_start_then_model_based_with_constraints_and_pending(kb):
    db, _ = kb
    lab = VirtualSiCLab(noise=False)
    space = space_from_dict({"parameters": {"pitch_wt_pct": {"bounds": [0, 50]}, "dextrin_g": {"bounds": [1, 4]},
                             "zif8_g": {"bounds": [0, 2]}, "coating_precursor": {"type": "fixed", "value": "pitch"}},
                             "constraints": ["dextrin_g + zif8_g <= 4.5", "pitch_wt_pct + 10*zif8_g <= 55"]})  # fmt: skip
    first, result = recommend(db, "loop", 4, budget="fast")
    assert result.strategy == "design" and "cold start" in result.message
    assert "maximin design of 4 from" in result.message
    y1 = _measure(db, first, lab)
    training, pending, _ = training_data(db, "loop")
    assert len(training.tables[next(iter(training.tables))]) == 4 and pending.empty
    second, result = recommend(db, "loop", 3, budget="fast")
    assert result.strategy == "qLogNEI"
    # pending proposals are taken into account: the next batch differs from them
    third, _ = recommend(db, "loop", 2, budget="fast")
    for rec in second + third:
        assert space.violations(pd.DataFrame([rec["parameters"]])) == []
        pred = rec["predictions"]["discharge_capacity@current_density=1000,cycle=500"]
        assert pred["std"] > 0 and pred["unit"] == "mA*h/g"  # mean/std in the canonical unit
        assert pred["label"] == "discharge_capacity (current_density 1000 mA g⁻¹, cycle 500)"
        assert rec["reasons"]["nearest_measured"] and "expected_improvement" in rec["reasons"]
        assert rec["reasons"]["improvement_unit"] == "mA h g⁻¹"  # EI is in the objective's unit
    assert "fitted on 4 discharge_capacity (current_density 1000 mA g⁻¹, cycle 500) rows" in (
        result.message
    )
    # the two proposals still waiting for results are named as such, not as KB gaps
    waiting = training_data(db, "loop")[0].missing
    waiting = waiting[waiting["reason"].str.startswith("proposal of this campaign")]
    assert sorted(waiting["reason"].unique()) == [
        "proposal of this campaign (proposed), no result yet"
    ]
    assert waiting["sample"].nunique() == 5  # the 3 of batch 2 and 2 of batch 3
    p2 = np.array(
        [[r["parameters"][k] for k in ("pitch_wt_pct", "dextrin_g", "zif8_g")] for r in second]
    )
    p3 = np.array(
        [[r["parameters"][k] for k in ("pitch_wt_pct", "dextrin_g", "zif8_g")] for r in third]
    )
    assert np.min(np.abs(p2[:, None, :] - p3[None, :, :]).sum(-1)) > 1e-3
    y2 = _measure(db, second, lab)
    # the model-based batch beats the space-filling one on this smooth problem (truth, no noise)
    assert y2.max() > y1.max()
    summary = campaign_summary(db, "loop")
    assert summary["status_counts"] == {"proposed": 2, "running": 0, "done": 7, "abandoned": 0}
    best = summary["best"]["discharge_capacity@current_density=1000,cycle=500"]
    assert best["value"] == pytest.approx(max(y1.max(), y2.max()), rel=1e-5)


def test_same_seed_same_kb_gives_identical_proposals(tmp_path):
    lab = VirtualSiCLab(noise=False)
    runs = []
    for k in range(2):
        (tmp_path / f"s{k}.yaml").write_text(SPACE)
        db = open_db(tmp_path / f"kb{k}.db")
        new_campaign(db, tmp_path / f"s{k}.yaml", seed=11)
        _measure(db, recommend(db, "loop", 4, budget="fast")[0], lab)
        runs.append(recommend(db, "loop", 2, budget="fast")[0])
    for a, b in zip(*runs, strict=True):
        for name in a["parameters"]:
            assert a["parameters"][name] == pytest.approx(b["parameters"][name], abs=1e-9)


def test_partial_results_are_versioned_and_only_final_ones_train(kb):
    db, _ = kb
    recs, _ = recommend(db, "loop", 1, budget="fast")
    pid = recs[0]["id"]
    rows = record(db, pid, ["discharge_capacity=1200"], cycles_completed=100)
    assert rows[0]["is_final"] is False and rows[0]["conditions"]["cycle"] == 100
    record(db, pid, ["discharge_capacity=1100"], cycles_completed=200)
    assert store.proposals(db).loc[0, "status"] == "running"
    training, pending, _ = training_data(db, "loop")
    assert all(len(t) == 0 for t in training.tables.values()) and len(pending) == 1
    record(db, pid, ["discharge_capacity=900"], cycles_completed=500)
    assert store.proposals(db).loc[0, "status"] == "done"
    every = store.results(db)  # three measurements: at cycle 100, 200 and 500
    assert [o["is_final"] for o in every["options"]] == [False, False, True]
    assert [c["cycle"] for c in every["conditions"]] == [100.0, 200.0, 500.0]
    training, pending, _ = training_data(db, "loop")
    assert [t["y"].tolist() for t in training.tables.values()] == [[900.0]] and pending.empty


def test_cli_json_interface_drives_the_loop(kb, monkeypatch):
    db, tmp = kb
    monkeypatch.setenv("ANODELAB_DB", str(tmp / "kb.db"))
    runner = CliRunner()
    out = runner.invoke(app, ["recommend", "loop", "--batch", "2", "--fast", "--json"])
    assert out.exit_code == 0, out.output
    records = json.loads(out.stdout)
    assert {"id", "parameters", "predictions", "reasons"} <= set(records[0])
    assert set(records[0]["parameters"]) == {
        "pitch_wt_pct",
        "dextrin_g",
        "zif8_g",
        "coating_precursor",
    }
    out = runner.invoke(
        app, ["record", str(records[0]["id"]), "discharge_capacity=1.05 A h/g", "--json"]
    )
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)[0]["value"] == pytest.approx(1050.0)
    out = runner.invoke(app, ["record", str(records[1]["id"]), "nonsense_property=3"])
    assert out.exit_code != 0
    out = runner.invoke(app, ["campaign", "show", "loop", "--json"])
    shown = json.loads(out.stdout)
    assert shown["status_counts"]["done"] == 1 and shown["status_counts"]["proposed"] == 1
    # for people: conditions with their units, not a Python dict or the machine key
    out = runner.invoke(app, ["record", str(records[1]["id"]), "discharge_capacity=980mAh/g"])
    assert out.exit_code == 0, out.output
    assert (
        "recorded discharge_capacity = 980 mA h g⁻¹ at current_density 1000 mA g⁻¹, cycle 500 "
        "(final, version 1)" in " ".join(out.stdout.split())
    )
    out = runner.invoke(app, ["campaign", "show", "loop"])
    assert "best discharge_capacity (current_density 1000 mA g⁻¹, cycle 500) (maximize): 1050" in (
        " ".join(out.stdout.split())
    )


def test_campaign_file_chooses_model_and_acquisition(tmp_path, monkeypatch):
    """``model:``, ``acquisition:`` and ``explore_levels:`` in the campaign file reach propose."""
    import importlib

    # the module recommend imports propose from (optimize/batch.py since propose.py was split)
    propose_module = importlib.import_module("anodelab.optimize.batch")

    (tmp_path / "s.yaml").write_text(
        SPACE + "model: {kernel: rbf, categorical_encoding: hamming}\nacquisition: qLogEI\n"
        "explore_levels: false\n"
    )
    db = open_db(tmp_path / "kb.db")
    new_campaign(db, tmp_path / "s.yaml", name="choices", seed=3)
    seen = []
    real = propose_module.propose
    monkeypatch.setattr(propose_module, "propose", lambda *a, **k: seen.append(k) or real(*a, **k))
    lab = VirtualSiCLab(noise=False)
    first, _ = recommend(db, "choices", 4, budget="fast")
    _measure(db, first, lab)
    second, result = recommend(db, "choices", 2, budget="fast")
    assert result.strategy == "qLogEI"
    assert "(rbf, hamming categoricals)" in second[0]["model_version"]
    assert [k["explore_levels"] for k in seen] == [False, False]


@pytest.mark.parametrize(
    "extra, message",
    [
        ("model: {kernel: cubic}\n", "unknown kernel 'cubic'"),
        ("model: {categorical_encoding: ordinal}\n", "unknown categorical_encoding"),
        ("model: {depth: 3}\n", "unknown key 'depth' in the model settings"),
        ("acquisition: qUCB\n", "unknown acquisition 'qUCB'"),
        ("explore_levels: sometimes\n", "explore_levels must be true or false"),
    ],
)
def test_campaign_file_with_unknown_model_or_acquisition_is_refused(tmp_path, extra, message):
    from anodelab.schema.errors import InputError

    (tmp_path / "s.yaml").write_text(SPACE + extra)
    db = open_db(tmp_path / "kb.db")
    with pytest.raises(InputError, match=message) as info:
        new_campaign(db, tmp_path / "s.yaml")
    assert "s.yaml" in str(info.value)


def test_single_objective_acquisition_refused_for_two_objectives(tmp_path):
    from anodelab.schema.errors import InputError

    two = SPACE + "  - {property: ICE, goal: maximize}\nacquisition: qLogEI\n"
    (tmp_path / "s.yaml").write_text(two)
    with pytest.raises(InputError, match="optimises one objective"):
        new_campaign(open_db(tmp_path / "kb.db"), tmp_path / "s.yaml")


CONDITIONAL = """
name: coatings
parameters:
  coating_precursor: {type: categorical, values: [pitch, polydopamine]}
  pitch_wt_pct: {type: continuous, bounds: [0, 50], unit: wt%, when: {coating_precursor: pitch}}
  dopamine_wt_pct: {type: continuous, bounds: [2, 25], unit: wt%, when: {coating_precursor: polydopamine}}
  dextrin_g: {type: continuous, bounds: [1, 4], unit: g}
min_observations: 4
objectives:
  - property: discharge_capacity
    at: {cycle: 500, current_density: 1 A/g}
    goal: maximize
"""


def test_conditional_parameters_through_the_campaign_and_json(tmp_path):
    (tmp_path / "c.yaml").write_text(CONDITIONAL)
    db = open_db(tmp_path / "kb.db")
    new_campaign(db, tmp_path / "c.yaml", seed=2)
    lab = VirtualSiCLab(noise=False)
    first, _ = recommend(db, "coatings", 6, budget="fast")
    _measure(db, first, lab)
    training, _, _ = training_data(db, "coatings")
    assert len(next(iter(training.tables.values()))) == 6  # no row lost to "parameter unknown"
    runner = CliRunner()
    out = runner.invoke(
        app, ["recommend", "coatings", "--batch", "2", "--json", "--db", str(tmp_path / "kb.db")]
    )
    assert out.exit_code == 0, out.output
    assert "NaN" not in out.stdout  # standard JSON: empty parameters are null, also in the reasons
    for rec in json.loads(out.stdout):
        params = rec["parameters"]
        assert (params["pitch_wt_pct"] is None) == (params["coating_precursor"] != "pitch")
        assert (params["dopamine_wt_pct"] is None) == (
            params["coating_precursor"] != "polydopamine"
        )


def test_json_output_has_no_nan_tokens(capsys):
    """NaN is not JSON (jq and JavaScript refuse it): nested NaN/inf become null."""
    from anodelab.cli.common import print_json

    def refuse(token):
        raise ValueError(f"non-standard JSON token {token}")

    print_json({"a": [float("nan"), {"b": float("inf")}], "c": np.float64("nan"), "d": 1.5})
    out = json.loads(capsys.readouterr().out, parse_constant=refuse)
    assert out == {"a": [None, {"b": None}], "c": None, "d": 1.5}


def test_pareto_mask_by_hand():
    from anodelab.plots.optimization import pareto_mask

    points = np.array([[1, 5], [2, 4], [3, 3], [2, 2], [1, 1], [3, 3]], dtype=float)
    assert pareto_mask(points, [1.0, 1.0]).tolist() == [True, True, True, False, False, True]
    # minimise the second objective: (1, 5) is beaten by (2, 4), which is beaten by (2, 2)
    assert pareto_mask(points, [1.0, -1.0]).tolist() == [False, False, True, True, True, True]


def test_campaign_show_two_objectives_best_and_pareto_plot(tmp_path):
    two = SPACE + "  - {property: ICE, goal: maximize}\n"
    (tmp_path / "two.yaml").write_text(two)
    db = open_db(tmp_path / "kb.db")
    new_campaign(db, tmp_path / "two.yaml", name="two", seed=1)
    first, _ = recommend(db, "two", 5, budget="fast")
    truth = VirtualSiCLab(noise=False).truth(pd.DataFrame([r["parameters"] for r in first]))
    for r, (_, t) in zip(first, truth.iterrows(), strict=True):
        record(
            db,
            r["id"],
            [
                f"discharge_capacity={t['discharge_capacity']:.3f} mA h/g",
                f"ICE={t['initial_coulombic_efficiency']:.3f} %",
            ],
        )
    plot = tmp_path / "pareto.png"
    runner = CliRunner()
    out = runner.invoke(
        app,
        ["campaign", "show", "two", "--json", "--plot", str(plot), "--db", str(tmp_path / "kb.db")],
    )
    assert out.exit_code == 0, out.output
    best = json.loads(out.stdout)["best"]
    by_property = {k.partition("@")[0]: v["value"] for k, v in best.items()}
    assert by_property["discharge_capacity"] == pytest.approx(
        truth["discharge_capacity"].max(), abs=1e-3
    )
    assert by_property["initial_coulombic_efficiency"] == pytest.approx(
        truth["initial_coulombic_efficiency"].max(), abs=1e-3
    )
    assert plot.stat().st_size > 10_000
    nxt, _ = recommend(db, "two", 1, budget="fast")
    # a hypervolume is in the product of the objectives' units
    assert nxt[0]["reasons"]["improvement_unit"] == "mA h g⁻¹ · %"


def test_record_writes_all_values_or_none(kb):
    """One bad value in a call (a bare fraction for ICE) leaves nothing behind: before, the
    capacity before it was stored, and the corrected call then stored it as version 2."""
    db, tmp = kb
    text = SPACE + "  - {property: ICE, goal: maximize}\n"
    (tmp / "two.yaml").write_text(text)
    new_campaign(db, tmp / "two.yaml", name="two", seed=1)
    pid = recommend(db, "two", 1, budget="fast")[0][0]["id"]
    with pytest.raises(InputError, match="fraction"):
        record(db, pid, ["discharge_capacity=0.7 A h/g", "ICE=0.8"])
    assert store.results(db).empty
    rows = record(db, pid, ["discharge_capacity=0.7 A h/g", "ICE=80%"])
    assert [r["version"] for r in rows] == [1, 1]
    assert store.proposals(db).set_index("id").loc[pid, "status"] == "done"
