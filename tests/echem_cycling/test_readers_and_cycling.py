"""Readers and the cycling analyzer against ground truth our code did not produce.

* layouts/: one synthetic anode test in nine vendor-like layouts, analytic capacities (I·Δt);
* pybamm_cycling.csv: PyBaMM SPM + SEI, per-cycle capacities from PyBaMM's own variables;
* real/: a real Neware export (cellpy test data, MIT) whose vendor capacity columns must agree
  with our integration of the current, and Neware binaries (NewareNDA test data, BSD-3).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from anodelab.echem.cycling import analyze_cycling, cycle_summary
from anodelab.echem.steps import current_state, cycle_index_from_steps, step_index_from_current
from anodelab.ingest.readers import read_cycler, register_reader
from anodelab.schema.errors import InputError

DATA = Path(__file__).parent / "data"
LAYOUTS = sorted((DATA / "layouts").iterdir())
TRUTH = json.loads((DATA / "layouts_truth.json").read_text())["cycles"]


@pytest.mark.parametrize("path", LAYOUTS, ids=lambda p: p.name)
def test_every_layout_gives_the_analytic_capacities(path: Path) -> None:
    frame = read_cycler(path)
    table = cycle_summary(frame, cell="anode-half")
    assert table["cycle"].tolist() == [t["cycle"] for t in TRUTH]
    np.testing.assert_allclose(
        table["discharge_capacity_mAh"], [t["discharge_capacity_mAh"] for t in TRUTH], rtol=2e-5
    )
    np.testing.assert_allclose(
        table["charge_capacity_mAh"], [t["charge_capacity_mAh"] for t in TRUTH], rtol=2e-5
    )
    assert frame.attrs["sha256"] and frame.attrs["source_file"] == str(path)


def test_opposite_sign_file_is_detected_and_negated() -> None:
    frame = read_cycler(DATA / "layouts" / "opposite_sign.csv")
    assert "negated" in frame.attrs["conventions"]["current_sign"]
    given = read_cycler(DATA / "layouts" / "opposite_sign.csv", current_sign="positive-charge")
    # forcing the wrong convention makes delithiation lead: a different (wrong) cycle split
    assert not np.allclose(given["current_ampere"], frame["current_ampere"])


def test_vendor_cycle_numbers_are_kept_and_ours_are_lithiation_first() -> None:
    frame = read_cycler(DATA / "layouts" / "arbin.csv")
    assert "cycle_count" in frame.columns and "cycle_index" in frame.columns
    lith_rows = frame["current_ampere"] < 0
    # every lithiation starts a new cycle of ours; the vendor's counter changes elsewhere
    starts = frame.index[lith_rows & ~lith_rows.shift(fill_value=False)]
    assert frame.loc[starts, "cycle_index"].tolist() == [1, 2, 3, 4, 5, 6]
    assert not frame["cycle_count"].equals(frame["cycle_index"])


def test_anode_half_cell_result_contract_and_formulas() -> None:
    frame = read_cycler(DATA / "layouts" / "arbin.csv")
    result = analyze_cycling(frame, mass_g=1.0e-3, area_cm2=2.0, reference_cycle=2)
    cycles = result.results["cycles"]
    summary = result.results["summary"]
    first = TRUTH[0]
    assert cycles[0]["coulombic_efficiency_percent"] == pytest.approx(
        100 * first["charge_capacity_mAh"] / first["discharge_capacity_mAh"], rel=1e-6
    )
    assert summary["initial_coulombic_efficiency_percent"] == pytest.approx(64.0, rel=1e-4)
    ref = TRUTH[1]["charge_capacity_mAh"]
    last = TRUTH[-1]["charge_capacity_mAh"]
    assert summary["capacity_retention_percent"] == pytest.approx(100 * last / ref, rel=1e-6)
    assert summary["fade_rate_percent_per_cycle"] == pytest.approx(
        100 * (1 - last / ref) / (6 - 2), rel=1e-6
    )
    assert cycles[0]["discharge_capacity_mAh_per_g"] == pytest.approx(1250.0, rel=1e-5)
    assert cycles[0]["discharge_capacity_mAh_per_cm2"] == pytest.approx(0.625, rel=1e-5)
    assert (
        summary["convention"]["coulombic_efficiency"]
        == "delithiation / lithiation of the same cycle"
    )
    assert summary["cycle_life_cycles"] is None  # 87.7 % > 80 %
    json.dumps(result.to_json_dict(file="arbin.csv"))  # JSON-ready
    names = {m.property for m in result.metrics}
    assert {
        "discharge_capacity",
        "charge_capacity",
        "initial_coulombic_efficiency",
        "capacity_retention",
        "fade_rate",
        "coulombic_efficiency",
    } <= names
    # average voltages: plateau-symmetric OCV ± 20 mV overpotential
    cyc = cycles[1]
    assert cyc["average_charge_voltage_V"] - cyc["average_discharge_voltage_V"] == pytest.approx(
        0.04, abs=0.01
    )


def test_metric_names_are_in_the_vocabulary() -> None:
    from anodelab.schema.vocabulary import load_vocabulary

    vocab = load_vocabulary()
    frame = read_cycler(DATA / "layouts" / "arbin.csv")
    for mass in (None, 1e-3):
        result = analyze_cycling(
            frame, mass_g=mass, area_cm2=1.0, retention_threshold_percent=90, reference_cycle=2
        )
        for metric in result.metrics:
            assert vocab.get("property", metric.property).name == metric.property
            for condition in metric.conditions:
                assert vocab.get("condition", condition).name == condition
    assert any(m.property == "cycle_life" for m in result.metrics)


def test_cycle_life_is_the_first_cycle_below_threshold() -> None:
    frame = read_cycler(DATA / "layouts" / "arbin.csv")
    result = analyze_cycling(frame, retention_threshold_percent=90, reference_cycle=2)
    ratios = [t["charge_capacity_mAh"] / TRUTH[1]["charge_capacity_mAh"] for t in TRUTH[1:]]
    expected = next(t["cycle"] for t, r in zip(TRUTH[1:], ratios, strict=True) if r < 0.9)
    assert result.results["summary"]["cycle_life_cycles"] == expected


def test_pybamm_full_cell_capacities_ce_and_retention_within_half_percent() -> None:
    truth = json.loads((DATA / "pybamm_cycling_truth.json").read_text())
    frame = read_cycler(DATA / "pybamm_cycling.csv", cell="full")
    assert "negated" in frame.attrs["conventions"]["current_sign"]  # PyBaMM: + = discharge
    result = analyze_cycling(frame, cell="full")
    ours = result.results["cycles"]
    assert len(ours) == len(truth["cycles"])
    for mine, ref in zip(ours, truth["cycles"], strict=True):
        assert mine["charge_capacity_mAh"] == pytest.approx(ref["charge_capacity_mAh"], rel=5e-3)
        assert mine["discharge_capacity_mAh"] == pytest.approx(
            ref["discharge_capacity_mAh"], rel=5e-3
        )
        assert mine["coulombic_efficiency_percent"] == pytest.approx(
            ref["coulombic_efficiency_percent"], rel=5e-3
        )
    summary = result.results["summary"]
    assert summary["capacity_retention_percent"] == pytest.approx(
        truth["retention_discharge_percent_last_vs_1"], rel=5e-3
    )
    assert summary["convention"]["coulombic_efficiency"] == "discharge / charge of the same cycle"


def test_real_neware_export_columns_agree_with_integrated_current() -> None:
    frame = read_cycler(DATA / "real" / "cellpy_neware_uio_cycles1-2.csv")
    assert frame.attrs["vendor"] == "neware"
    columns = cycle_summary(frame, capacity_source="columns")
    integrated = cycle_summary(frame, capacity_source="current")
    np.testing.assert_allclose(
        columns["charge_capacity_mAh"], integrated["charge_capacity_mAh"], rtol=1e-3
    )
    np.testing.assert_allclose(
        columns["discharge_capacity_mAh"], integrated["discharge_capacity_mAh"], rtol=1e-3
    )
    # our lithiation-first cycles coincide with Neware's cycle index in this file
    assert (frame["cycle_count"] == frame["cycle_index"]).all()
    assert columns["coulombic_efficiency_percent"].iloc[0] == pytest.approx(
        100 * 4.24934 / 5.08628, rel=1e-4
    )


@pytest.mark.parametrize("name", ["neware_new_nda_file.nda", "neware_Unit27_example.ndax"])
def test_neware_binaries_read_through_newarenda(name: str) -> None:
    frame = read_cycler(DATA / "real" / name)
    assert frame.attrs["vendor"] == "neware" and len(frame) > 100
    assert np.all(np.diff(frame["test_time_second"]) >= 0)
    assert frame["voltage_volt"].between(-1, 6).all()


def test_coarse_capacity_column_falls_back_to_integration(tmp_path: Path) -> None:
    source = pd.read_csv(DATA / "layouts" / "arbin.csv")
    source["Charge_Capacity(Ah)"] = source["Charge_Capacity(Ah)"].round(3)  # 1 mAh steps
    source["Discharge_Capacity(Ah)"] = source["Discharge_Capacity(Ah)"].round(3)
    path = tmp_path / "coarse.csv"
    source.to_csv(path, index=False)
    warnings: list[str] = []
    table = cycle_summary(read_cycler(path), warnings=warnings)
    assert any("integrated from the current" in w for w in warnings)
    np.testing.assert_allclose(
        table["discharge_capacity_mAh"], [t["discharge_capacity_mAh"] for t in TRUTH], rtol=1e-5
    )


def test_file_starting_with_delithiation_puts_it_in_cycle_zero() -> None:
    current = np.array([0, 1, 1, 0, -1, -1, 0, 1, 1, 0, -1, -1, 1, 1], dtype=float)
    state = current_state(current, 0.1)
    step = step_index_from_current(current, rest_current=0.1)
    cycles = cycle_index_from_steps(state, step, "anode-half")
    assert cycles.tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2]
    assert cycle_index_from_steps(state, step, "full").tolist() == [
        1,
        1,
        1,
        1,
        1,
        1,
        1,
        2,
        2,
        2,
        2,
        2,
        3,
        3,
    ]


def test_registry_refuses_duplicate_names() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register_reader("generic")(lambda path: (pd.DataFrame(), {}))


def test_unknown_preset_is_named() -> None:
    with pytest.raises(InputError, match="unknown cycler preset 'arbn'.*arbin"):
        read_cycler(DATA / "layouts" / "arbin.csv", preset="arbn")


# ---- malformed files: InputError naming the file and what is missing -------------------------


def _write(tmp_path: Path, name: str, content: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", "", "empty"),
        ("blank.csv", "\n\n  \n", "empty"),
        ("garbage.csv", bytes(range(256)) * 20, "binary"),
        (
            "no_voltage.csv",
            "Test_Time(s),Current(A),Charge_Capacity(Ah)\n0,0.1,0\n1,0.1,0.1\n",
            "no header with a voltage column",
        ),
        ("text.csv", "hello world\nthis is not a cycler file\n", "no header with a voltage column"),
        ("header_only.csv", "Test_Time(s),Current(A),Voltage(V)\n", "no data row"),
        ("nan_rows.csv", "Test_Time(s),Current(A),Voltage(V)\nNaN,NaN,NaN\n,,\n", "no data row"),
        ("one_row.csv", "Test_Time(s),Current(A),Voltage(V)\n0,0.1,3.0\n", "fewer than two"),
    ],
)
def test_malformed_files_raise_input_error_with_file_name(
    tmp_path: Path, name: str, content: bytes | str, message: str
) -> None:
    path = _write(tmp_path, name, content)
    with pytest.raises(InputError, match=message) as info:
        read_cycler(path)
    assert name in str(info.value)


def test_missing_file_and_bad_excel(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_cycler(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="bad.xlsx"):
        read_cycler(_write(tmp_path, "bad.xlsx", b"PK\x03\x04 not really a zip"))


def test_truncated_last_line_is_skipped_with_a_warning(tmp_path: Path) -> None:
    text = (DATA / "layouts" / "arbin.csv").read_text()
    path = _write(tmp_path, "truncated.csv", text[: len(text) - 25])
    frame = read_cycler(path)
    assert any("malformed row" in w for w in frame.attrs["warnings"])
    assert len(frame) == len(pd.read_csv(DATA / "layouts" / "arbin.csv")) - 1


def test_mpr_without_galvani_names_the_gpl_extra(tmp_path: Path) -> None:
    pytest.importorskip("pandas")
    try:
        import galvani  # noqa: F401
    except ImportError:
        with pytest.raises(InputError, match=r"anodelab\[gpl\]"):
            read_cycler(_write(tmp_path, "x.mpr", b"BIO-LOGIC MODULAR FILE\x1a" + b"\x00" * 100))
    else:  # pragma: no cover - galvani installed: it must still fail on a bogus file with our error
        with pytest.raises(InputError, match="x.mpr"):
            read_cycler(_write(tmp_path, "x.mpr", b"BIO-LOGIC MODULAR FILE\x1a" + b"\x00" * 100))


def test_neware_binary_garbage_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="bad.nda"):
        read_cycler(_write(tmp_path, "bad.nda", b"\x00\x01garbage" * 50))
