"""Quirks of real cycler exports, reproduced on the synthetic layouts (analytic truth I·Δt).

The real files that showed them (EC-Lab .mpt from dgbowl/yadg, GPL-3) are not copied into the
repository; each test writes a minimal synthetic file with the same quirk.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from anodelab.echem.cycling import cycle_summary
from anodelab.ingest.readers import read_cycler
from anodelab.ingest.readers.streaming import summarize_cycler_file

DATA = Path(__file__).parent / "data"
TRUTH = json.loads((DATA / "layouts_truth.json").read_text())["cycles"]


def _assert_truth(path: Path) -> None:
    table = cycle_summary(read_cycler(path), cell="anode-half")
    np.testing.assert_allclose(
        table["discharge_capacity_mAh"], [t["discharge_capacity_mAh"] for t in TRUTH], rtol=2e-5
    )
    np.testing.assert_allclose(
        table["charge_capacity_mAh"], [t["charge_capacity_mAh"] for t in TRUTH], rtol=2e-5
    )
    streamed = summarize_cycler_file(path, cell="anode-half").results["cycles"]
    np.testing.assert_allclose(
        [c["charge_capacity_mAh"] for c in streamed],
        [t["charge_capacity_mAh"] for t in TRUTH],
        rtol=2e-5,
    )


def test_header_line_ending_with_the_delimiter(tmp_path: Path) -> None:
    """EC-Lab GCPL/MB/BCD exports end the header line with a tab, the data lines not."""
    lines = (DATA / "layouts" / "biologic.mpt").read_text(encoding="latin-1").splitlines()
    assert lines[5].startswith("mode\t")
    lines[5] += "\t"
    path = tmp_path / "trailing_tab_header.mpt"
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")
    _assert_truth(path)


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_data_lines_ending_with_the_delimiter(tmp_path: Path, ending: str) -> None:
    lines = (DATA / "layouts" / "arbin.csv").read_text().splitlines()
    body = [lines[0]] + [line + "," for line in lines[1:]]
    path = tmp_path / "trailing_comma_rows.csv"
    path.write_bytes((ending.join(body) + ending).encode())
    _assert_truth(path)
