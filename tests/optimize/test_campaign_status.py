"""Proposal status by hand (running / abandoned / proposed), its history, and the proposal table
that `campaign show` prints and writes for the lab (recipe, predicted, measured, partial)."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from anodelab.campaign import (
    campaign_summary,
    new_campaign,
    proposal_table,
    record,
    set_status,
    training_data,
)
from anodelab.cli import app
from anodelab.cli.common import print_frame
from anodelab.kb import campaigns as store
from anodelab.kb.db import open_db
from anodelab.schema.errors import InputError

SPACE = """
name: st
parameters:
  pitch_wt_pct: {type: continuous, bounds: [0, 50], unit: wt%}
  carbonization_temperature_C: {type: discrete, bounds: [600, 1000], step: 50, unit: °C}
objectives:
  - property: discharge_capacity
    at: {cycle: 500, current_density: 1 A/g}
    goal: maximize
  - property: ICE
    goal: maximize
"""
CAPACITY = "discharge_capacity@current_density=1000,cycle=500"


@pytest.fixture
def kb(tmp_path):
    (tmp_path / "space.yaml").write_text(SPACE)
    db = open_db(tmp_path / "kb.db")
    campaign = new_campaign(db, tmp_path / "space.yaml")
    rows = [
        {"parameters": {"pitch_wt_pct": p, "carbonization_temperature_C": t}, "strategy": "test",
         "predictions": {CAPACITY: {"mean": m, "std": 50.0},
                         "initial_coulombic_efficiency": {"mean": 80.0, "std": 2.0}}}
        for p, t, m in ((10.0, 700.0, 600.0), (30.0, 900.0, 700.0), (45.0, 800.0, 650.0))
    ]  # fmt: skip
    ids = store.add_proposals(db, campaign["id"], rows)
    return db, tmp_path, ids


def test_manual_status_moves_are_logged_and_done_comes_only_from_final_results(kb):
    db, _, (p1, p2, p3) = kb
    assert set_status(db, p1, "running", note="cell built 2026-12-01")["to"] == "running"
    assert set_status(db, "st-p2", "abandoned", note="coating cracked")["from"] == "proposed"
    assert set_status(db, p2, "abandoned")["from"] == "abandoned"  # same status: nothing logged
    with pytest.raises(InputError, match="final results are recorded"):
        set_status(db, p3, "done")
    with pytest.raises(InputError, match="status must be one of"):
        set_status(db, p3, "finished")
    with pytest.raises(InputError, match="campaign status .* running"):
        record(db, p2, ["ICE=80%"])  # abandoned: set it back first
    record(db, p1, ["discharge_capacity=900mAh/g", "ICE=85%"])
    with pytest.raises(InputError, match="is done"):
        set_status(db, p1, "proposed")
    history = store.status_history(db)
    moves = [(r.sample, r.from_status if isinstance(r.from_status, str) else None, r.to_status, r.note)
             for r in history.itertuples()]  # fmt: skip
    assert moves[:3] == [(f"st-p{i}", None, "proposed", "batch 1 (test)") for i in (p1, p2, p3)]
    assert moves[3:] == [
        ("st-p1", "proposed", "running", "cell built 2026-12-01"),
        ("st-p2", "proposed", "abandoned", "coating cracked"),
        ("st-p1", "running", "done", "discharge_capacity, initial_coulombic_efficiency recorded"),
    ]
    # abandoned stays pending (not proposed again) and is not training data; done is not pending
    training, pending, _ = training_data(db, "st")
    assert sorted(pending["pitch_wt_pct"]) == [30.0, 45.0]
    assert set(training.tables[CAPACITY]["sample"]) == {"st-p1"}


def test_proposal_table_has_recipe_predictions_final_and_partial_results(kb):
    db, _, (p1, p2, p3) = kb
    record(db, p1, ["discharge_capacity=0.9 A h/g"])  # unit converted to mAh/g
    record(db, p1, ["discharge_capacity=950mAh/g"])  # a corrected value: the newest version counts
    record(db, p2, ["discharge_capacity=800mAh/g"], cycles_completed=120)
    record(db, p2, ["discharge_capacity=760mAh/g"], cycles_completed=200)
    record(db, p3, ["discharge_capacity=700mAh/g"], cycles_completed=100)
    record(db, p3, ["discharge_capacity=640mAh/g", "ICE=81%"])
    table = proposal_table(db, "st").set_index("id")
    unit = " [mA h g⁻¹]"
    assert (
        table.loc[p1, "pitch_wt_pct"] == 10.0
        and table.loc[p2, "carbonization_temperature_C"] == 900
    )
    assert table.loc[p2, f"{CAPACITY} predicted{unit}"] == 700.0
    assert table.loc[p2, f"{CAPACITY} std{unit}"] == 50.0
    assert table.loc[p1, f"{CAPACITY} measured{unit}"] == 950.0
    assert pd.isna(table.loc[p2, f"{CAPACITY} measured{unit}"])
    assert table.loc[p2, f"{CAPACITY} partial{unit}"] == 760.0
    assert table.loc[p2, f"{CAPACITY} cycles"] == 200
    # a final result replaces the partial ones in the table
    assert table.loc[p3, f"{CAPACITY} measured{unit}"] == 640.0
    assert pd.isna(table.loc[p3, f"{CAPACITY} partial{unit}"])
    assert table.loc[p3, "initial_coulombic_efficiency measured [%]"] == 81.0
    # done needs a final result for every outcome: p1 still waits for its ICE
    assert list(table["status"]) == ["running", "running", "done"]
    best = campaign_summary(db, "st")["best"]
    assert best[CAPACITY]["value"] == 950.0 and best[CAPACITY]["sample"] == f"st-p{p1}"


def test_cli_status_list_and_show_writes_the_table(kb, tmp_path):
    db, folder, (p1, p2, _) = kb
    record(db, p1, ["discharge_capacity=900mAh/g", "ICE=85%"])
    runner = CliRunner()
    path = str(folder / "kb.db")
    out = runner.invoke(app, ["campaign", "status", str(p2), "abandoned", "--note", "no pitch left", "--db", path, "--json"])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == {"id": p2, "sample": f"st-p{p2}", "from": "proposed",
                                      "to": "abandoned", "note": "no pitch left"}  # fmt: skip
    bad = runner.invoke(app, ["campaign", "status", str(p1), "running", "--db", path])
    assert bad.exit_code != 0 and "is done" in str(bad.exception)
    listing = runner.invoke(app, ["campaign", "list", "--db", path, "--json"])
    assert json.loads(listing.output)[0] | {"created_at": None} == {
        "id": 1, "name": "st", "created_at": None, "proposals": 3, "done": 1}  # fmt: skip
    for suffix in ("csv", "xlsx", "json"):
        target = tmp_path / f"proposals.{suffix}"
        shown = runner.invoke(app, ["campaign", "show", "st", "-o", str(target), "--history", "--db", path])  # fmt: skip
        assert shown.exit_code == 0, shown.output
        assert "no pitch left" in shown.output and "900" in shown.output
        readers = {"csv": pd.read_csv, "xlsx": pd.read_excel,
                   "json": lambda p: pd.DataFrame(json.loads(p.read_text(encoding="utf-8")))}  # fmt: skip
        written = readers[suffix](target)
        assert pd.Timestamp(written["proposed_at"].iloc[0]).year >= 2025  # ISO text, not epoch ms
        assert list(written["status"]) == ["done", "abandoned", "proposed"]
        assert written[f"{CAPACITY} measured [mA h g⁻¹]"].iloc[0] == 900.0
    refused = runner.invoke(app, ["campaign", "show", "st", "-o", str(tmp_path / "p.txt"), "--db", path])  # fmt: skip
    assert refused.exit_code != 0 and "suffix" in refused.output
    shown = runner.invoke(app, ["campaign", "show", "st", "--json", "--history", "--db", path])
    document = json.loads(shown.output)
    assert document["proposals"][0]["pitch_wt_pct"] == 10.0
    assert document["history"][-1]["note"] == "no pitch left"


def test_print_frame_prints_brackets_as_text(capsys):
    print_frame(pd.DataFrame({"capacity [mA h g⁻¹]": [1.0], "note": ["[sic] [bold]"]}))
    text = capsys.readouterr().out
    assert "[mA h g⁻¹]" in text and "[sic] [bold]" in text


def test_error_line_prints_brackets_as_text(kb, monkeypatch, capsys):
    import importlib

    from anodelab.cli import main

    def refuse(*args, **kwargs):
        raise InputError("value 5 [mA h g⁻¹] is not a capacity [sic]")

    monkeypatch.setattr(importlib.import_module("anodelab.campaign_record"), "set_status", refuse)
    _, folder, _ = kb
    assert main(["campaign", "status", "1", "running", "--db", str(folder / "kb.db")]) == 1
    assert "[mA h g⁻¹] is not a capacity [sic]" in capsys.readouterr().err.replace("\n", " ")


def test_abandoned_candidates_are_not_proposed_again(tmp_path):
    from anodelab.campaign import recommend

    pd.DataFrame({"pitch_wt_pct": [0.0, 10.0, 20.0, 30.0, 40.0]}).to_csv(
        tmp_path / "can.csv", index=False
    )
    (tmp_path / "space.yaml").write_text(
        "name: table\ncandidates: can.csv\nmin_observations: 10\n"
        "objectives:\n  - {property: ICE, goal: maximize}\n"
    )
    db = open_db(tmp_path / "kb.db")
    new_campaign(db, tmp_path / "space.yaml")
    first, _ = recommend(db, "table", 2, budget="fast")
    for r in first:
        set_status(db, r["id"], "abandoned", note="precursor batch failed")
    second, _ = recommend(db, "table", 3, budget="fast")
    taken = {r["parameters"]["pitch_wt_pct"] for r in first}
    offered = {r["parameters"]["pitch_wt_pct"] for r in second}
    assert len(offered) == 3 and not taken & offered


def test_campaign_handle_from_the_knowledge_base(tmp_path):
    import matplotlib

    import anodelab

    matplotlib.use("Agg")
    (tmp_path / "space.yaml").write_text(SPACE)
    kb = anodelab.open(tmp_path / "kb.db", create=True)
    st = kb.new_campaign(tmp_path / "space.yaml", name="handle")
    assert kb.campaign("handle").id == st.id and list(kb.campaigns()["name"]) == ["handle"]
    assert repr(st) == "Campaign('handle': no proposals yet)"
    batch = st.recommend(2, budget="fast")  # cold start: a maximin design
    assert len(batch) == 2 and all(
        set(r["parameters"]) == {"pitch_wt_pct", "carbonization_temperature_C"} for r in batch
    )
    st.record(batch[0]["id"], "discharge_capacity=0.8 A h/g", "ICE=82%")
    st.set_status(batch[1]["id"], "running", note="cycling")
    table = st.table()
    assert list(table["status"]) == ["done", "running"]
    assert table[f"{CAPACITY} measured [mA h g⁻¹]"].iloc[0] == 800.0
    assert repr(st) == "Campaign('handle': 1 running, 1 done)"
    assert "<table" in st._repr_html_() and list(st.history()["to_status"])[-1] == "running"
    st.plot(tmp_path / "front.png")
    assert (tmp_path / "front.png").stat().st_size > 0
    with pytest.raises(Exception, match="no campaign 'other'"):
        kb.campaign("other")


def test_replicate_cells_are_averaged_and_each_cell_keeps_its_versions(kb):
    db, _, (p1, _, _) = kb
    record(db, p1, ["ICE=80%"], cell="c1")
    record(db, p1, ["ICE=84%"], cell="c2")
    assert record(db, p1, ["ICE=82%"], cell="c1")[0]["version"] == 2  # c1 corrected
    table = proposal_table(db, "st").set_index("id")
    assert table.loc[p1, "initial_coulombic_efficiency measured [%]"] == pytest.approx(83.0)
    assert table.loc[p1, "initial_coulombic_efficiency n"] == 2
    training, _, _ = training_data(db, "st")
    rows = training.tables["initial_coulombic_efficiency"]
    assert sorted(rows.loc[rows["sample"] == f"st-p{p1}", "y"]) == [82.0, 84.0]
    results = store.results(db)  # c1 corrected in place, its earlier value kept with it
    assert len(results) == 2
    c1 = results[results["cell"] == "c1"].iloc[0]
    assert c1["value"] == 82.0 and c1["options"]["earlier_values"] == [80.0]


def test_results_made_before_cells_existed_migrate_into_the_graph(tmp_path):
    """A KB whose proposal_results predates the replicate ``cell`` column migrates too."""
    import gzip
    import sqlite3
    from pathlib import Path

    fixture = Path(__file__).parents[1] / "foundation" / "data" / "kb_v2_campaigns.db.gz"
    path = tmp_path / "old.db"
    path.write_bytes(gzip.decompress(fixture.read_bytes()))
    with sqlite3.connect(path) as conn:
        conn.execute("ALTER TABLE proposal_results DROP COLUMN cell")
    db = open_db(path)
    ice = store.results(db)
    ice = ice[(ice["property"] == "initial_coulombic_efficiency") & (ice["origin"] == "recorded")]
    # without cells, pitch1-p3's two values were one cell's versions: the newer one stands
    assert sorted(zip(ice["sample"], ice["value"], strict=True)) == [
        ("pitch1-p3", 75.0), ("pitch1-p4", 81.0)]  # fmt: skip
    assert ice["cell"].isna().all()


def test_a_proposal_runs_while_any_cell_is_still_cycling(kb):
    db, _, (p1, _, _) = kb
    record(db, p1, ["discharge_capacity=900mAh/g", "ICE=85%"], cell="c1")
    record(db, p1, ["discharge_capacity=950mAh/g"], cell="c2", cycles_completed=120)
    status = store.proposals(db).set_index("id").loc[p1, "status"]
    assert status == "running"  # c2 has 120 of 500 cycles
    record(db, p1, ["discharge_capacity=880mAh/g"], cell="c2")  # c2 reached 500 cycles
    assert store.proposals(db).set_index("id").loc[p1, "status"] == "done"
    table = proposal_table(db, "st").set_index("id")
    assert table.loc[p1, f"{CAPACITY} measured [mA h g⁻¹]"] == pytest.approx(890.0)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("ICE=150%", "above the plausible maximum 100"),
        ("discharge_capacity=-5mAh/g", "below the plausible minimum 0"),
        ("ICE=78mAh/g", "cannot be converted"),  # used to end in a KeyError traceback
        ("ICE=0.78", "looks like a fraction"),
    ],
)
def test_record_refuses_implausible_values_and_wrong_units(kb, value, fragment):
    db, _, (p1, _, _) = kb
    with pytest.raises(InputError, match=fragment):
        record(db, p1, [value])
    assert store.results(db).empty
    assert record(db, p1, ["ICE=0.78%"])[0]["value"] == 0.78  # explicit unit: taken as written


def test_first_campaign_result_keeps_the_literature_in_the_model(shipped_kb, tmp_path):
    """Found by QA: after the first recorded result the campaign fell back to a Sobol design
    ("1 measured recipe(s)") and its multi-task GP predicted that one value everywhere, σ ≈ 0."""
    import sqlite3

    from anodelab.campaign import recommend

    path = tmp_path / "kb.db"
    with sqlite3.connect(shipped_kb.path) as source, sqlite3.connect(path) as copy:
        source.backup(copy)  # a file copy would miss what is still in the -wal file
    db = open_db(path)
    root = __import__("pathlib").Path(__file__).resolve().parents[2]
    new_campaign(db, root / "examples" / "spaces" / "si_c_pitch.yaml", name="lit")
    first, before = recommend(db, "lit", 1, budget="fast")
    assert before.strategy == "qLogNEHVI", before.message  # the literature informs the model
    record(db, first[0]["id"], ["discharge_capacity=640mAh/g", "ICE=78%"])
    second, after = recommend(db, "lit", 1, budget="fast")
    assert after.strategy == "qLogNEHVI", after.message
    capacity = second[0]["predictions"]["discharge_capacity@current_density=1000,cycle=500"]
    assert capacity["std"] > 10.0  # mA h g⁻¹: not a confident copy of the one result
    transfer = second[0]["reasons"]["transfer"]["outcomes"]
    assert all("pooled" in t["why"] for t in transfer.values())
