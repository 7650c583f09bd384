"""Arbin ``.res`` (Access database) files: both Access readers, checked against cellpy's summary."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from anodelab.echem.cycling import analyze_cycling
from anodelab.ingest.readers import arbin_res, read_cycler
from anodelab.schema.errors import InputError

REAL = Path(__file__).parent / "data" / "real"
RES = REAL / "cellpy_20160805_test001_45_cc_01.res"


@pytest.fixture
def without_mdbtools(monkeypatch):
    """Read with the pure-Python access-parser, as on a machine without mdbtools."""
    monkeypatch.setattr(arbin_res.shutil, "which", lambda name: None)


def test_res_cycles_match_cellpy_summary(without_mdbtools) -> None:
    frame = read_cycler(RES)
    assert frame.attrs["reader"] == "arbin-res"
    assert frame.attrs["format"]["library"] == "access-parser"
    cycles = pd.DataFrame(analyze_cycling(frame).results["cycles"]).set_index("cycle")
    truth = pd.read_csv(REAL / "cellpy_20160805_test001_45_cc_01_cellpy_summary.csv")
    truth = truth.set_index("cycle_num").loc[1:17]  # cycle 18 is cut off in the file
    assert list(cycles.index[:17]) == list(truth.index)
    # same numbering (lithiation first) and the same capacities as cellpy computes
    for ours, theirs in (("discharge_capacity_mAh", "discharge_capacity_Ah"),
                         ("charge_capacity_mAh", "charge_capacity_Ah")):  # fmt: skip
        np.testing.assert_allclose(cycles.loc[1:17, ours], 1000 * truth[theirs], rtol=1e-8)
    np.testing.assert_allclose(
        cycles.loc[1:17, "coulombic_efficiency_percent"],
        truth["coulombic_efficiency_percent"],
        rtol=1e-7,
    )
    assert not cycles.loc[18, "complete"]


@pytest.mark.skipif(shutil.which("mdb-export") is None, reason="mdbtools not installed")
def test_mdbtools_and_access_parser_read_the_same_records(monkeypatch) -> None:
    fast, meta = arbin_res.read_arbin_res(RES)
    assert meta["library"] == "mdbtools mdb-export" and meta["test_name"].startswith("20160805")
    monkeypatch.setattr(arbin_res.shutil, "which", lambda name: None)
    slow, _ = arbin_res.read_arbin_res(RES)
    assert list(fast.columns) == list(slow.columns) and len(fast) == len(slow) == 10261
    # mdb-export prints single-precision values with 8 digits
    for column in fast:
        np.testing.assert_allclose(fast[column], slow[column], rtol=1e-7, atol=0)


def test_a_res_that_is_not_an_access_database_is_refused(tmp_path: Path, without_mdbtools) -> None:
    bad = tmp_path / "export.res"
    bad.write_bytes(b"Test_Time,Voltage\n1,2\n" * 200)
    with pytest.raises(InputError, match="not an Arbin .res") as info:
        read_cycler(bad)
    assert "export.res" in str(info.value)
