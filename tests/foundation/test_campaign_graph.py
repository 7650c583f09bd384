"""One graph: a campaign's proposals are samples with recipes, their results measurements
(issue 18), written atomically (issue 19), and a KB file of the previous release migrates."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import pytest

import anodelab
from anodelab.cli import main
from anodelab.kb import campaigns as store
from anodelab.kb.db import SCHEMA_VERSION
from anodelab.kb.lab_results import add_proposal_sample
from anodelab.kb.recipes import recipe_steps, recipe_vectors
from anodelab.schema.errors import AnodelabError

ROOT = Path(__file__).resolve().parents[2]
SPACE = ROOT / "examples" / "spaces" / "si_c_pitch.yaml"
CYCLING = ROOT / "examples" / "cycling_half_cell.csv"
RECIPE = {"pitch_wt_pct": 30.0, "carbonization_temperature_C": 900.0, "dextrin_g": 1.5,
          "zif8_g": 1.0}  # fmt: skip


def _campaign(kb, name: str = "pitch1", n: int = 1) -> list[int]:
    kb.new_campaign(SPACE, name=name)
    cid = store.get_campaign(kb.db, name)["id"]
    rows = [{"parameters": {**RECIPE, "pitch_wt_pct": 10.0 * (i + 1)}, "strategy": "manual"}
            for i in range(n)]  # fmt: skip
    return store.add_proposals(kb.db, cid, rows)


@pytest.mark.parametrize(
    "parameters",
    [
        RECIPE,
        {**RECIPE, "pitch_wt_pct": 0.0, "carbonization_heating_rate_K_per_min": 5.0},
        {"dopamine_wt_pct": 20.0, "carbonization_temperature_C": 700.0, "si_particle_size_um": 5.0,
         "coating_precursor": "polydopamine", "carbonization_time_h": 2.0},
        {"graphite_wt_pct": 90.0, "spray_inlet_temperature_C": 180.0, "si_g": 1.0,
         "coating_precursor": "pitch", "pitch_wt_pct": 25.0, "template": "ZIF-8", "zif8_g": 0.5},
    ],
)  # fmt: skip
def test_a_recipe_written_as_steps_reads_back_as_the_same_vector(empty_kb, parameters) -> None:
    with store.transaction(empty_kb.db):
        add_proposal_sample(empty_kb.db, "rt", "rt-p1", parameters)
    row = recipe_vectors(empty_kb.db).set_index("sample").loc["rt-p1"]
    for name, value in parameters.items():
        assert row[name] == (pytest.approx(value) if isinstance(value, float) else value), name
    assert row["source"] == "campaign:rt"


def test_recipe_steps_follow_the_vocabulary_and_refuse_unknown_names() -> None:
    steps = dict(recipe_steps(RECIPE))
    assert list(steps) == ["dispersion", "pitch_coating", "carbonization"]
    assert steps["pitch_coating"] == [{"quantity": "fraction", "substance": "pitch",
                                       "basis": "mass_of_total", "value": 30.0,
                                       "unit": "wt_percent"}]  # fmt: skip
    with pytest.raises(AnodelabError):
        recipe_steps({"no_such_parameter": 1.0})


def test_proposal_names_count_within_each_campaign(empty_kb) -> None:
    _campaign(empty_kb, "demo", 3)
    _campaign(empty_kb, "pitch1", 2)
    names = store.proposals(empty_kb.db)["sample"].tolist()
    assert names == ["demo-p1", "demo-p2", "demo-p3", "pitch1-p1", "pitch1-p2"]
    samples = empty_kb.samples(source="campaign:pitch1")
    assert sorted(samples["sample"]) == ["pitch1-p1", "pitch1-p2"]


def test_recorded_results_are_measurements_that_relate_export_and_views_see(
    empty_kb, tmp_path: Path
) -> None:
    _campaign(empty_kb)
    empty_kb.record("pitch1-p1", "discharge_capacity=1050mAh/g", "ICE=84%", cell="c1")
    empty_kb.record("pitch1-p1", "ICE=75%", cell="c2", note="second cell")
    rel = empty_kb.relation("pitch", "ICE")
    points = sorted((p["sample"], p["x"], p["y"], p["origin"], p["cell"]) for p in rel.points)
    assert points == [("pitch1-p1", 10.0, 75.0, "recorded", "pitch1-p1 | c2"),
                      ("pitch1-p1", 10.0, 84.0, "recorded", "pitch1-p1 | c1")]  # fmt: skip
    ice = empty_kb.measurements("ICE", sample="pitch1-p1")
    assert sorted(ice["value"]) == [75.0, 84.0] and set(ice["source"]) == {"campaign:pitch1"}
    assert "second cell" in set(ice["note"])
    exported = empty_kb.export(format="csv")
    assert "pitch1-p1" in exported and "recorded" in exported
    view = empty_kb.db.execute(
        "SELECT value FROM v_relations WHERE sample = 'pitch1-p1' AND"
        " property = 'initial_coulombic_efficiency' ORDER BY value"
    ).fetchall()
    assert view == [(75.0,), (84.0,)]
    again = empty_kb.record("pitch1-p1", "ICE=85%", cell="c1", note="corrected")
    assert again[0]["version"] == 2
    options = json.loads(empty_kb.db.execute(
        "SELECT options_json FROM measurements WHERE value = 85"
    ).fetchone()[0])  # fmt: skip
    assert options["earlier_values"] == [84.0] and options["proposal"] == "pitch1-p1"
    assert len(empty_kb.measurements("ICE", sample="pitch1-p1")) == 2  # updated, not added


def test_import_run_adds_analyzed_values_to_the_proposals_sample(empty_kb) -> None:
    _campaign(empty_kb)
    empty_kb.record("pitch1-p1", "ICE=84%", cell="c1")
    run, report, measured = empty_kb.import_run(
        CYCLING, "cycling", proposal="pitch1-p1", cell_label="c2"
    )
    assert report.status == "imported" and measured
    values = empty_kb.measurements("ICE", sample="pitch1-p1")
    assert sorted(zip(values["origin"], values["cell"], strict=True)) == [
        ("analyzer", "pitch1-p1 | c2"), ("recorded", "pitch1-p1 | c1")]  # fmt: skip
    assert len(empty_kb.samples()) == 1  # no second, recipe-less sample
    assert {p["origin"] for p in empty_kb.relation("pitch", "ICE").points} == {
        "recorded", "analyzer"}  # fmt: skip


def test_import_run_with_proposal_is_one_transaction_and_a_rerun_completes_it(
    empty_kb, monkeypatch
) -> None:
    _campaign(empty_kb)
    before = empty_kb.db.execute("SELECT COUNT(*) FROM measurements").fetchone()[0]

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # killed between storing the values and settling the status

    monkeypatch.setattr(store, "settle_status", crash)
    with pytest.raises(KeyboardInterrupt):
        empty_kb.import_run(CYCLING, "cycling", proposal="pitch1-p1")
    assert empty_kb.db.execute("SELECT COUNT(*) FROM measurements").fetchone()[0] == before
    assert empty_kb.db.execute("SELECT COUNT(*) FROM imports").fetchone()[0] == 0
    monkeypatch.undo()
    _, report, _ = empty_kb.import_run(CYCLING, "cycling", proposal="pitch1-p1")
    assert report.status == "imported"
    assert store.find_proposal(empty_kb.db, "pitch1-p1")["status"] == "running"


def test_a_rerun_settles_what_an_older_release_left_half_done(empty_kb) -> None:
    from anodelab.ingest.runs import import_run

    _campaign(empty_kb)
    import_run(empty_kb.db, CYCLING, "cycling", sample="pitch1-p1", source="campaign:pitch1",
               cell_label="pitch1-p1 | cycling_half_cell.csv")  # fmt: skip
    assert store.find_proposal(empty_kb.db, "pitch1-p1")["status"] == "proposed"
    _, report, measured = empty_kb.import_run(CYCLING, "cycling", proposal="pitch1-p1")
    assert report.status == "unchanged" and measured
    assert store.find_proposal(empty_kb.db, "pitch1-p1")["status"] == "running"


def test_status_is_read_inside_the_write_transaction(empty_kb) -> None:
    _campaign(empty_kb)
    statements: list[str] = []
    empty_kb.db.conn.set_trace_callback(statements.append)
    empty_kb.set_status("pitch1-p1", "running")
    empty_kb.record("pitch1-p1", "ICE=80%")
    empty_kb.db.conn.set_trace_callback(None)
    for begin in [i for i, s in enumerate(statements) if s.startswith("BEGIN IMMEDIATE")]:
        assert "FROM proposals" in " ".join(statements[begin + 1 : begin + 3])
    first_status_read = next(i for i, s in enumerate(statements) if "p.status" in s)
    assert any(s.startswith("BEGIN IMMEDIATE") for s in statements[:first_status_read])


def test_a_kb_of_the_previous_release_migrates_with_its_results(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    fixture = Path(__file__).parent / "data" / "kb_v2_campaigns.db.gz"
    path.write_bytes(gzip.decompress(fixture.read_bytes()))
    with pytest.raises(AnodelabError, match="open it once for writing"):
        anodelab.open(path, readonly=True)  # read-only commands do not migrate
    with anodelab.open(path) as kb:
        assert kb.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
        assert "proposal_results" not in kb.db.table_names()
        props = store.proposals(kb.db).set_index("sample")
        assert list(props.index) == ["demo-p1", "demo-p2", "pitch1-p3", "pitch1-p4", "pitch1-p5"]
        assert props["status"].tolist() == ["abandoned", "proposed", "done", "running", "running"]
        assert props["number"].tolist() == [1, 2, 1, 2, 3]
        pitch = props.loc["pitch1-p3", "parameters"]["pitch_wt_pct"]
        rel = kb.relation("pitch", "ICE")
        points = sorted((p["sample"], p["y"], p["origin"]) for p in rel.points)
        assert ("pitch1-p3", 75.0, "recorded") in points and (
            "pitch1-p3",
            84.0,
            "recorded",
        ) in points
        assert ("pitch1-p4", 81.0, "recorded") in points
        assert (
            "pitch1-p5",
            75.0,
            "analyzer",
        ) in points  # import-run's values: the proposal's sample
        x = {p["sample"]: p["x"] for p in rel.points}
        assert math.isclose(x["pitch1-p3"], pitch)
        assert kb.samples(source="lab").empty  # the recipe-less twin sample is gone
        p4 = kb.measurements("ICE", sample="pitch1-p4")
        assert p4["note"].tolist() == ["corrected"] and p4["value"].tolist() == [81.0]
        partial = kb.measurements("discharge_capacity", sample="pitch1-p5", cycle=120)
        assert partial["value"].tolist() == [700.0] and partial["origin"].tolist() == ["recorded"]
        table = kb.campaign("pitch1").table().set_index("sample")
        assert table.loc["pitch1-p3", "initial_coulombic_efficiency measured [%]"] == 79.5
        assert table.loc["pitch1-p3", "initial_coulombic_efficiency n"] == 2
    with anodelab.open(path, readonly=True) as kb:  # migrated: now it opens read-only too
        assert len(kb.campaigns()) == 2


UNITLESS = """
parameters:
  pitch_wt_pct: {type: continuous, bounds: [0, 50]}
objectives:
  - property: raman_id_ig
    goal: minimize
"""


def test_campaign_show_works_for_a_dimensionless_objective(tmp_path: Path, capsys) -> None:
    space = tmp_path / "raman.yaml"
    space.write_text(UNITLESS)
    db = tmp_path / "kb.db"
    assert main(["campaign", "new", str(space), "--name", "r", "--db", str(db)]) == 0
    with anodelab.open(db) as kb:
        cid = store.get_campaign(kb.db, "r")["id"]
        store.add_proposals(kb.db, cid, [{"parameters": {"pitch_wt_pct": 20.0}, "strategy": "manual",
                                          "predictions": {"raman_id_ig": {"mean": 1.1, "std": 0.1}}}])  # fmt: skip
        kb.record("r-p1", "raman_id_ig=1.05")
    out = tmp_path / "r.csv"
    assert main(["campaign", "show", "r", "--db", str(db), "-o", str(out)]) == 0
    header = out.read_text(encoding="utf-8").splitlines()[0]
    assert "raman_id_ig predicted," in header and "[]" not in header
    assert "1.05" in capsys.readouterr().out


def test_a_refused_campaign_file_leaves_no_kb_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("parameters:\n  no_such_thing: {type: continuous, bounds: [0, 1]}\n")
    db = tmp_path / "new.db"
    assert main(["campaign", "new", str(bad), "--db", str(db)]) != 0
    assert not db.exists()
