"""`import_run`: a raw cycler file's metrics stored once, replaced when re-analysed with other
options (also when the sample has other cells), and removable with `undo`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import anodelab
from anodelab.ingest.runs import RunOptions, import_run
from anodelab.kb.write import undo_import

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "examples" / "cycling_half_cell.csv"


@pytest.fixture()
def kb(tmp_path: Path):
    with anodelab.init(tmp_path / "kb.db", literature=False) as handle:
        yield handle


def _first_capacity(kb, cell: str) -> float:
    values = kb.measurements("discharge_capacity", sample="S1", cycle=1)
    return float(values.loc[values["cell"] == cell, "value"].iloc[0])


def test_same_file_same_options_changes_nothing_other_options_replace(kb) -> None:
    _, first = import_run(
        kb.db, RUN, "cycling", sample="S1", options=RunOptions(mass_g=1.2e-3), cell_label="c1"
    )
    n = len(kb.measurements(sample="S1"))
    assert first.status == "imported" and n > 0
    _, again = import_run(
        kb.db, RUN, "cycling", sample="S1", options=RunOptions(mass_g=1.2e-3), cell_label="c1"
    )
    assert again.status == "unchanged" and len(kb.measurements(sample="S1")) == n
    before = _first_capacity(kb, "c1")
    # the active mass was weighed wrongly: re-analyse with the right one (sample created by the run)
    _, fixed = import_run(
        kb.db, RUN, "cycling", sample="S1", options=RunOptions(mass_g=1.5e-3), cell_label="c1"
    )
    assert fixed.status == "replaced"
    assert len(kb.measurements(sample="S1")) == n  # replaced, not added
    assert _first_capacity(kb, "c1") == pytest.approx(
        before * 1.2 / 1.5
    )  # mAh/g scales with 1/mass
    ledger = kb.imports().set_index("id")
    assert (
        ledger.loc[first.import_id, "status"] == "replaced"
        and ledger.loc[fixed.import_id, "status"] == "ok"
    )


def test_re_analysing_one_cell_keeps_the_samples_other_cells(kb, tmp_path: Path) -> None:
    second = tmp_path / "cell2.csv"
    shutil.copy(RUN, second)
    import_run(
        kb.db, RUN, "cycling", sample="S1", options=RunOptions(mass_g=1.2e-3), cell_label="c1"
    )
    _, c2 = import_run(
        kb.db, second, "cycling", sample="S1", options=RunOptions(mass_g=1.0e-3), cell_label="c2"
    )
    c2_capacity = _first_capacity(kb, "c2")
    _, fixed = import_run(
        kb.db, RUN, "cycling", sample="S1", options=RunOptions(mass_g=1.5e-3), cell_label="c1"
    )
    assert fixed.status == "replaced"
    assert _first_capacity(kb, "c2") == c2_capacity
    assert sorted(kb.measurements("initial_coulombic_efficiency", sample="S1")["cell"]) == [
        "c1",
        "c2",
    ]
    # undo of the second cell's import removes its values and leaves the first cell's
    undo_import(kb.db, c2.import_id)
    assert sorted(kb.measurements("initial_coulombic_efficiency", sample="S1")["cell"]) == ["c1"]
