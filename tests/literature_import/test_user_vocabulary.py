"""A term a user adds (CLI or mapping file) works end to end: import → relate → export →
Datasette's canned query → a campaign objective; it is stored in the KB file and dimension-checked."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

import anodelab
from anodelab.campaign import new_campaign, training_data
from anodelab.cli import main
from anodelab.kb.db import open_db
from anodelab.schema.errors import InputError
from anodelab.schema.vocabulary import load_vocabulary, use_user_terms, user_term

TABLE = """Sample,Carbonization temperature (°C),Plateau capacity (mA h g-1),Ball milling speed (rpm),ICE (%)
HC-1100,1100,180.5,300,78.2
HC-1300,1300,220.1,300,84.0
HC-1500,1500,251.3,400,86.5
"""
MAP = """source: {doi: 10.1234/example.2024.1, table: Table 1}
label: Sample
columns:
  Plateau capacity: {property: plateau_capacity_x, conditions: {current_density: 20 mA g-1}}
  Ball milling speed: {parameter: milling_speed_rpm}
vocabulary:
  - {name: plateau_capacity_x, kind: property, unit: mA h g−1, synonyms: [Q plateau x], min: 0, max: 1000}
  - {name: milling_speed_rpm, kind: parameter, unit: rpm}
"""


@pytest.fixture(autouse=True)
def _no_terms_leak():
    yield
    use_user_terms(())  # the next test starts from the shipped vocabulary


@pytest.fixture()
def kb_path(tmp_path: Path) -> Path:
    (tmp_path / "hc.csv").write_text(TABLE, encoding="utf-8")
    (tmp_path / "hc.yaml").write_text(MAP, encoding="utf-8")
    path = tmp_path / "kb.db"
    assert (
        main(
            [
                "import-table",
                str(tmp_path / "hc.csv"),
                "--map",
                str(tmp_path / "hc.yaml"),
                "--db",
                str(path),
            ]
        )
        == 0
    )
    use_user_terms(())  # what follows must get the terms from the KB file, not from memory
    return path


def test_map_terms_are_stored_in_the_kb_and_used_by_relate_and_export(
    kb_path: Path, capsys
) -> None:
    capsys.readouterr()
    with anodelab.open(kb_path, readonly=True) as kb:
        rel = kb.relation("milling_speed_rpm", "Q plateau x").to_frame()
        assert sorted(zip(rel["x"], rel["y"], strict=True)) == [
            (300, 180.5),
            (300, 220.1),
            (400, 251.3),
        ]
        vocab = kb.vocabulary().set_index("name")
        assert vocab.loc["plateau_capacity_x", "origin"] == "user"
        assert vocab.loc["plateau_capacity_x", "unit_label"] == "mA h g⁻¹"  # U+2212 read as a minus
    assert (
        main(["export", "--db", str(kb_path), "--property", "plateau_capacity_x", "-f", "json"])
        == 0
    )
    rows = json.loads(capsys.readouterr().out)
    assert sorted(r["value"] for r in rows) == [180.5, 220.1, 251.3]
    assert {r["current_density_mA_per_g"] for r in rows} == {20.0}


def test_datasette_relation_page_for_a_user_parameter(kb_path: Path) -> None:
    """The web UI's relation page (the CLI's own code path) knows a user-named parameter and
    property, by name and by synonym."""
    from anodelab.web.plugin import relation_view

    anodelab.open(kb_path).close()  # `anodelab serve` opens the KB before serving it
    view = relation_view(kb_path, "milling_speed_rpm", "plateau_capacity_x", [])
    points = sorted((p["x"], p["y"]) for p in view["data"]["points"])
    assert points == [(300, 180.5), (300, 220.1), (400, 251.3)]
    assert view["chart"] is not None


def test_a_campaign_can_optimise_a_user_property_over_a_user_parameter(
    kb_path: Path, tmp_path: Path
) -> None:
    space = tmp_path / "space.yaml"
    space.write_text(
        "name: milling\nparameters:\n  milling_speed_rpm: {type: continuous, bounds: [100, 600], unit: rpm}\n"
        "  carbonization_temperature_C: {type: continuous, bounds: [900, 1600], unit: °C}\n"
        "objectives:\n  - property: Q plateau x\n    at: {current_density: 20 mA/g}\n    goal: maximize\n",
        encoding="utf-8",
    )
    with anodelab.open(kb_path) as kb:
        new_campaign(kb.db, space, name="milling")
        training, _, _ = training_data(kb.db, "milling")
    (table,) = training.tables.values()
    got = sorted(
        zip(
            table["milling_speed_rpm"],
            table["carbonization_temperature_C"],
            table["y"],
            strict=True,
        )
    )
    assert got == [(300, 1100, 180.5), (300, 1300, 220.1), (400, 1500, 251.3)]


def test_cli_add_refuses_clashes_and_bad_units_and_is_idempotent(tmp_path: Path, capsys) -> None:
    db = str(tmp_path / "kb.db")
    args = [
        "vocabulary",
        "add",
        "tap_density_x",
        "--kind",
        "property",
        "--unit",
        "g cm-3",
        "--synonym",
        "TD x",
        "--db",
        db,
    ]
    assert main(args) == 0
    assert main(args) == 0  # the same term again: nothing changes
    assert (
        main(
            [
                "vocabulary",
                "add",
                "td2",
                "--kind",
                "property",
                "--unit",
                "g cm-3",
                "--synonym",
                "ICE",
                "--db",
                db,
            ]
        )
        == 1
    )
    assert (
        main(
            [
                "vocabulary",
                "add",
                "td3",
                "--kind",
                "property",
                "--unit",
                "furlongs per gram",
                "--db",
                db,
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "initial_coulombic_efficiency" in err and "td3" in err
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT name, unit FROM user_terms").fetchall() == [
            ("tap_density_x", "g * cm^-3")
        ]
    use_user_terms(())
    db_handle = open_db(db)
    term = load_vocabulary().get("property", "TD x")
    assert term.canonical_value(1000.0, "kg/m3") == pytest.approx(1.0)
    with pytest.raises(InputError):
        term.canonical_value(1.0, "mA h g-1")  # the dimension check of every value stored under it
    db_handle.close()


def test_user_term_validation() -> None:
    with pytest.raises(InputError, match="must start with a letter"):
        user_term("1abc", "property", "nm")
    with pytest.raises(InputError, match="needs a unit"):
        user_term("abc", "property")
    with pytest.raises(InputError, match="kind must be one of"):
        user_term("abc", "substance", "nm")
