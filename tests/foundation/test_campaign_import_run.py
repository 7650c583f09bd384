"""A lab run imported with `anodelab import-run --proposal` closes the campaign loop."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

import anodelab
from anodelab.campaign import new_campaign
from anodelab.cli import main
from anodelab.kb import campaigns as store

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def campaign_kb(shipped_kb, tmp_path: Path) -> Path:
    path = tmp_path / "kb.db"
    with sqlite3.connect(shipped_kb.path) as source, sqlite3.connect(path) as copy:
        source.backup(copy)  # a file copy would miss what is still in the -wal file
    with anodelab.open(path) as kb:
        new_campaign(kb.db, ROOT / "examples" / "spaces" / "si_c_pitch.yaml", name="loop")
        cid = store.get_campaign(kb.db, "loop")["id"]
        store.add_proposals(kb.db, cid, [{"parameters": {"pitch_wt_pct": 30.0, "carbonization_temperature_C": 900.0,
                                                          "dextrin_g": 1.5, "zif8_g": 1.0}, "strategy": "manual"}])  # fmt: skip
    return path


def test_import_run_records_partial_long_cycling_and_final_ice(campaign_kb: Path) -> None:
    args = ["import-run", str(ROOT / "examples" / "cycling_half_cell.csv"), "--kind", "cycling", "--mass", "1.2mg",
            "--proposal", "loop-p1", "--db", str(campaign_kb)]  # fmt: skip
    assert main(args) == 0
    with anodelab.open(campaign_kb) as kb:
        results = store.results(kb.db)
        assert set(results["origin"]) == {"analyzer"} and set(results["sample"]) == {"loop-p1"}
        assert set(results["cell"]) == {"cycling_half_cell.csv"}  # cell <sample> | <file name>
        capacity = kb.measurements(
            "discharge_capacity", sample="loop-p1", cycle=40, current_density="1 A/g"
        )
        assert len(capacity) == 1 and capacity["source"].iloc[0] == "campaign:loop"
        assert kb.measurements("discharge_capacity", sample="loop-p1", cycle=500).empty
        ice = kb.measurements("ICE", sample="loop-p1")
        assert ice["value"].tolist() == [pytest.approx(75.0)]
        table = kb.campaign("loop").table().set_index("sample")
        partial = table.loc["loop-p1"]
        assert partial["initial_coulombic_efficiency measured [%]"] == pytest.approx(75.0)
        assert partial["discharge_capacity@current_density=1000,cycle=500 cycles"] == 40
        status = store.proposals(kb.db).set_index("sample").loc["loop-p1", "status"]
        assert status == "running"  # the 500-cycle objective is still partial
    assert main(args) == 0  # the same file again: nothing new
    with anodelab.open(campaign_kb) as kb:
        assert len(store.results(kb.db)) == len(results)


def test_two_cells_of_one_proposal_are_replicates_counted_once(
    campaign_kb: Path, tmp_path: Path
) -> None:
    from anodelab.campaign import proposal_table, training_data

    second = tmp_path / "cell_c2.csv"  # the second coin cell of the same recipe
    shutil.copy(ROOT / "examples" / "cycling_half_cell.csv", second)
    for path, label in ((ROOT / "examples" / "cycling_half_cell.csv", "c1"), (second, "c2")):
        args = ["import-run", str(path), "--kind", "cycling", "--mass", "1.2mg", "--cell-label", label,
                "--proposal", "loop-p1", "--db", str(campaign_kb)]  # fmt: skip
        assert main(args) == 0
    with anodelab.open(campaign_kb) as kb:
        ice = store.results(kb.db)
        ice = ice[ice["property"] == "initial_coulombic_efficiency"]
        assert sorted(ice["cell"]) == ["c1", "c2"] and set(ice["origin"]) == {"analyzer"}
        training, _, _ = training_data(kb.db, "loop")
        rows = training.tables["initial_coulombic_efficiency"]
        # one row per cell: the imported values are measurements of the proposal's sample
        assert len(rows[rows["sample"] == "loop-p1"]) == 2
        table = proposal_table(kb.db, "loop")
        assert table["initial_coulombic_efficiency n"].iloc[0] == 2
