"""Neware BTSDA three-level CSV export (cycle, step and record rows interleaved in one file).

Truth is the file's own cycle rows (``Chg. Cap.(Ah)``, ``DChg. Cap.(Ah)``, ``Chg.-DChg. Eff(%)``,
printed to 5 and 2 decimals), parsed here with the csv module, not with our reader.  The file is
cellpy's real ``nw_regular_export_ife_example.csv`` (MIT), cut after cycle 10 (see SOURCES.md).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from anodelab.echem.cycling import analyze_cycling
from anodelab.ingest.readers import read_cycler
from anodelab.ingest.readers.streaming import summarize_cycler_file
from anodelab.schema.errors import InputError

FILE = Path(__file__).parent / "data" / "real" / "cellpy_nw_regular_export_ife_cycles1-10.csv"
CELL = "cathode-half"  # 4.7 V / 3.9 V cut-offs, charge first: the vendor's cycles too


def _lines() -> list[str]:
    return FILE.read_text().splitlines()


def _cycle_rows() -> dict[int, list[float]]:
    """The file's cycle rows: cycle → [charge Ah, discharge Ah, efficiency %]."""
    with open(FILE, newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    at = [header.index(n) for n in ("Chg. Cap.(Ah)", "DChg. Cap.(Ah)", "Chg.-DChg. Eff(%)")]
    return {int(r[0]): [float(r[k]) for k in at] for r in rows[3:] if r and r[0].strip()}


def test_per_cycle_capacities_equal_the_files_cycle_rows() -> None:
    truth = _cycle_rows()
    assert len(truth) == 10
    for result in (
        analyze_cycling(read_cycler(FILE, cell=CELL), cell=CELL),
        summarize_cycler_file(FILE, cell=CELL),
    ):
        cycles = result.results["cycles"]
        assert [c["cycle"] for c in cycles] == sorted(truth)
        expected = np.array([truth[c["cycle"]] for c in cycles])
        # cycle rows print Ah to 5 decimals: agreement to half a unit of the last digit
        np.testing.assert_allclose(
            [c["charge_capacity_mAh"] / 1e3 for c in cycles], expected[:, 0], rtol=0, atol=5e-6
        )
        np.testing.assert_allclose(
            [c["discharge_capacity_mAh"] / 1e3 for c in cycles], expected[:, 1], rtol=0, atol=5e-6
        )
        np.testing.assert_allclose(
            [c["coulombic_efficiency_percent"] for c in cycles], expected[:, 2], atol=6e-3
        )
        assert all(c["complete"] for c in cycles)


def test_records_take_step_and_cycle_from_the_rows_above() -> None:
    frame = read_cycler(FILE, cell=CELL)
    assert len(frame) == sum(1 for line in _lines()[3:] if line.startswith(",,"))
    # line 4 holds cycle 1 *and* its step 1 (Rest, records 1–11); step 2 starts at record 12
    assert frame["step_id"].iloc[:11].tolist() == [1] * 11
    assert frame["step_id"].iloc[11] == 2
    # the vendor numbers cycles charge-first, as the cathode-half convention does
    np.testing.assert_array_equal(frame["cycle_count"], frame["cycle_index"])
    assert frame["test_time_second"].iloc[-1] == 14 * 3600 + 23 * 60 + 22  # Total Time 14:23:22
    assert frame.attrs["format"]["cross_check"]["steps_differing"] == 0
    steps = 1 + sum(1 for line in _lines()[3:] if line.startswith(",") and line[1] != ",")
    assert frame.attrs["format"]["cross_check"]["steps_checked"] == steps == 41
    assert frame.attrs["columns"]["current_ampere"]["header"] == "Current(A)"
    assert frame.attrs["columns"]["step_id"]["header"] == "Step Number (step row)"
    neware = read_cycler(FILE, preset="neware-export", cell=CELL)
    np.testing.assert_array_equal(neware["current_ampere"], frame["current_ampere"])


def _write(tmp_path: Path, lines: list[str], name: str = "levels.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _record_line(lines: list[str], n: int) -> int:
    """0-based index of the n-th record line (0-based n)."""
    return [k for k, line in enumerate(lines) if line.startswith(",,")][n + 1]  # +1: header


def test_unreadable_voltage_names_file_line_and_column(tmp_path: Path) -> None:
    lines = _lines()
    k = _record_line(lines, 100)
    fields = lines[k].split(",")
    fields[6] = "4.1x"  # Voltage(V): 2 indentation fields + DataPoint, Time, Total Time, Current
    lines[k] = ",".join(fields)
    path = _write(tmp_path, lines)
    with pytest.raises(InputError) as info:
        read_cycler(path)
    assert info.value.row == k + 1 and info.value.column == "Voltage(V)"
    assert str(path) in str(info.value) and "'4.1x'" in str(info.value)


def test_empty_time_names_file_line_and_column(tmp_path: Path) -> None:
    lines = _lines()
    k = _record_line(lines, 7)
    fields = lines[k].split(",")
    fields[4] = ""  # Total Time
    lines[k] = ",".join(fields)
    with pytest.raises(InputError, match="empty") as info:
        read_cycler(_write(tmp_path, lines))
    assert info.value.row == k + 1 and info.value.column == "Total Time"


def test_row_indented_too_deep_or_too_wide_is_refused(tmp_path: Path) -> None:
    lines = _lines()
    k = _record_line(lines, 50)
    deep = lines.copy()
    deep[k] = "," + deep[k]
    with pytest.raises(InputError, match="indented by 3") as info:
        read_cycler(_write(tmp_path, deep, "deep.csv"))
    assert info.value.row == k + 1
    wide = lines.copy()
    wide[k] += ",1.0"
    with pytest.raises(InputError, match="more than") as info:
        read_cycler(_write(tmp_path, wide, "wide.csv"))
    assert info.value.row == k + 1 and info.value.column == "Aux. ?T(?)"


def test_record_before_any_step_row_is_refused(tmp_path: Path) -> None:
    lines = _lines()
    cycle_one, step_one = lines[3].split(",")[:8], lines[3].split(",")[8:]
    record = lines[4]
    # cycle 1 alone, then a record, then step 1 on its own line
    edited = lines[:3] + [",".join(cycle_one), record, "," + ",".join(step_one)] + lines[4:]
    with pytest.raises(InputError, match="before any step row") as info:
        read_cycler(_write(tmp_path, edited))
    assert info.value.row == 5 and info.value.column == "Step Number"


def test_last_line_cut_short_is_skipped_with_a_warning(tmp_path: Path) -> None:
    lines = _lines()
    lines[-1] = ",".join(lines[-1].split(",")[:9])  # cut in the Date column
    frame = read_cycler(_write(tmp_path, lines))
    assert len(frame) == len(read_cycler(FILE)) - 1
    assert any("malformed row" in w for w in frame.attrs["warnings"])


def test_step_row_disagreeing_with_its_records_is_reported(tmp_path: Path) -> None:
    lines = _lines()
    k = next(k for k, line in enumerate(lines) if line.startswith(",4,4,CC DChg,"))
    fields = lines[k].split(",")
    assert fields[5] == "0.33067"  # Capacity(Ah) of the step row, as its records reach
    fields[5] = "0.34067"
    lines[k] = ",".join(fields)
    frame = read_cycler(_write(tmp_path, lines))
    check = frame.attrs["format"]["cross_check"]
    assert check["steps_differing"] == 1 and f"line {k + 1}" in check["first_differences"][0]
    assert any("step rows state a capacity" in w for w in frame.attrs["warnings"])
