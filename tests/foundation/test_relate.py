"""Composition–performance relations on the shipped KB, through the API and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from anodelab.cli import main
from anodelab.schema.errors import UnknownNameError


def points(rel) -> dict[str, tuple[float, float]]:
    return {p["sample"]: (p["x"], p["y"]) for p in rel.to_dict()["points"]}


def test_pitch_vs_ice_across_the_pitch_coated_series(shipped_kb) -> None:
    rel = shipped_kb.relation("pitch", "ICE", family="Si/HNC/AC@Pitch", cell_type="half")
    pts = points(rel)
    assert pts, rel.to_dict()
    ice = shipped_kb.measurements("ICE", source="lee2025").set_index("sample")["value"]
    vectors = shipped_kb.recipe_vectors().set_index("sample")
    for sample, (x, y) in pts.items():
        assert x == pytest.approx(vectors.loc[sample, "pitch_wt_pct"])
        assert y == pytest.approx(ice.loc[sample])
    assert {x for x, _ in pts.values()} >= {0.0, 10.0, 20.0, 30.0}


def test_dopamine_vs_ice_for_the_700C_series(shipped_kb) -> None:
    rel = shipped_kb.relation("dopamine", "ICE", where={"T_carb": "700 °C"})
    pts = points(rel)
    assert set(pts) == {"mSi@NHC-700-5", "mSi@NHC-700-10", "mSi@NHC-700-20"}
    assert sorted(x for x, _ in pts.values()) == [5.0, 10.0, 20.0]
    assert rel.to_dict()["where"] == {"carbonization_temperature_C": 700.0}


def test_carbonization_temperature_vs_raman_for_the_10wt_series(shipped_kb) -> None:
    rel = shipped_kb.relation("T_carb", "I_D/I_G", where=["dopamine=10 wt%"])
    pts = points(rel)
    assert {x for x, _ in pts.values()} == {600.0, 700.0, 800.0}
    excluded = {e["sample"]: e["reason"] for e in rel.to_dict()["excluded"]}
    assert any(
        "carbonization_temperature_C" in reason for reason in excluded.values()
    )  # mSi@PDA-10: none


def test_only_values_at_matching_conditions_are_related(shipped_kb) -> None:
    at_500 = shipped_kb.relation("pitch", "discharge_capacity", cycle=500, current_density="1 A/g")
    for p in at_500.to_dict()["points"]:
        row = shipped_kb.measurements(
            "discharge_capacity", sample=p["sample"], cycle=500, current_density=1000
        )
        assert p["y"] in row["value"].tolist()
    unmatched = shipped_kb.relation("pitch", "discharge_capacity", cycle=12345)
    assert unmatched.to_dict()["points"] == []
    assert all("no discharge_capacity at the requested conditions" in e["reason"] or "recipe does not define" in e["reason"]
               or "a blend with other materials" in e["reason"]
               for e in unmatched.to_dict()["excluded"])  # fmt: skip


def test_a_blend_is_not_a_point_of_its_component_recipe(shipped_kb) -> None:
    """Found by QA: the 10:90 graphite blend's computed full-cell ICE appeared at 30 wt% pitch."""
    relation = shipped_kb.relation("pitch", "ICE").to_dict()
    assert not any("blend" in p["sample"] for p in relation["points"])
    reasons = {e["sample"]: e["reason"] for e in relation["excluded"]}
    assert "a blend" in reasons["graphite-blended Si/HNC/AC@Pitch30"]


def test_unknown_names_suggest_the_closest(shipped_kb) -> None:
    with pytest.raises(UnknownNameError, match="pitch_wt_pct"):
        shipped_kb.relation("pitchh", "ICE")


def test_cli_relate_json_and_plot(shipped_kb, tmp_path: Path, capsys) -> None:
    plot = tmp_path / "rel.png"
    code = main(
        [
            "relate",
            "dopamine",
            "ICE",
            "--db",
            str(shipped_kb.path),
            "--where",
            "T_carb=700",
            "--json",
            "--plot",
            str(plot),
        ]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"parameter", "property", "conditions", "points", "excluded"}
    assert data["parameter"] == {"name": "dopamine_wt_pct", "unit": "wt%"}
    assert data["property"]["name"] == "initial_coulombic_efficiency"
    assert {"sample", "source", "x", "y", "uncertainty"} <= set(data["points"][0])
    assert plot.stat().st_size > 10_000


def test_cli_errors_are_one_line_without_traceback(shipped_kb, capsys) -> None:
    code = main(["relate", "pitchh", "ICE", "--db", str(shipped_kb.path)])
    err = capsys.readouterr().err
    assert code == 1
    assert "unknown parameter 'pitchh'" in err and "Traceback" not in err


def test_export_formats(shipped_kb, tmp_path: Path) -> None:
    import pandas as pd

    text = shipped_kb.export(format="csv")
    assert text.splitlines()[0].startswith("sample,source,doi,property,value,unit")
    shipped_kb.export(tmp_path / "all.parquet", "parquet")
    frame = pd.read_parquet(tmp_path / "all.parquet")
    assert len(frame) == len(shipped_kb.measurements())
    assert "current_density_mA_per_g" in frame.columns and "cycle" in frame.columns
    records = json.loads(shipped_kb.export(format="json"))
    assert records[0]["source"] in {"lee2025", "ji2025"}


def test_reinit_is_idempotent(shipped_kb) -> None:
    import anodelab

    before = len(shipped_kb.measurements())
    again = anodelab.init(shipped_kb.path)
    assert len(again.measurements()) == before
    assert set(again.imports()["status"]) == {"ok"}


def test_an_unknown_source_is_an_error_with_a_suggestion(shipped_kb) -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'lee2025'"):
        shipped_kb.measurements("ICE", source="lee2052")
