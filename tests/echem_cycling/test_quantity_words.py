"""Header recognition through one table of quantity words × one unit grammar (issue 16 item 2).

The synthetic anode half-cell of ``data/layouts`` (analytic capacities I·Δt) is rewritten with the
header spellings, preambles, separators and workbook layouts met in real exports; every variant
must give the same per-cycle capacities.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from anodelab.echem.cycling import cycle_summary
from anodelab.ingest.headers import match_column, match_columns
from anodelab.ingest.readers import read_cycler
from anodelab.schema.errors import InputError

DATA = Path(__file__).parent / "data"
TRUTH = json.loads((DATA / "layouts_truth.json").read_text())["cycles"]


@pytest.mark.parametrize(
    ("header", "key", "factor"),
    [
        ("I/mA", "current_ampere", 1e-3),
        ("<I>/mA", "current_ampere", 1e-3),
        ("Current (A)", "current_ampere", 1.0),
        ("Current(mA)", "current_ampere", 1e-3),
        ("Current [A]", "current_ampere", 1.0),
        ("current_A", "current_ampere", 1.0),
        ("Current_mA", "current_ampere", 1e-3),
        ("电流/mA", "current_ampere", 1e-3),
        ("电流（mA）", "current_ampere", 1e-3),  # full-width parentheses
        ("电压/V", "voltage_volt", 1.0),
        ("mAmps", "current_ampere", 1e-3),  # Maccor prefixed unit word
        ("WE(1).Current (A)", "current_ampere", 1.0),  # Autolab
        ("Ewe/V", "voltage_volt", 1.0),
        ("<Ewe>/mV", "voltage_volt", 1e-3),
        ("voltage_V", "voltage_volt", 1.0),
        ("voltage_volt", "voltage_volt", 1.0),  # BDF machine names
        ("current_ampere", "current_ampere", 1.0),
        ("test_time_second", "test_time_second", 1.0),
        ("test_time_s", "test_time_second", 1.0),
        ("Test Time / s", "test_time_second", 1.0),  # BDF labels
        ("Test Time / h", "test_time_second", 3600.0),
        ("time/s", "test_time_second", 1.0),
        ("Test (Sec)", "test_time_second", 1.0),
        ("Time (min)", "test_time_second", 60.0),
        ("Step_Time(s)", "step_time_second", 1.0),
        ("Charge_Capacity(Ah)", "charge_capacity_ampere_hour", 1.0),
        ("charge_capacity_Ah", "charge_capacity_ampere_hour", 1.0),
        ("charging_capacity_ah", "charge_capacity_ampere_hour", 1.0),
        ("Chg. Cap.(Ah)", "charge_capacity_ampere_hour", 1.0),
        ("Q charge/mA.h", "charge_capacity_ampere_hour", 1e-3),
        ("充电容量(mAh)", "charge_capacity_ampere_hour", 1e-3),
        ("DChg. Cap.(Ah)", "discharge_capacity_ampere_hour", 1.0),
        ("放电容量(mAh)", "discharge_capacity_ampere_hour", 1e-3),
        ("Capacity(mAh)", "capacity_ampere_hour", 1e-3),
        ("容量(mAh)", "capacity_ampere_hour", 1e-3),
        ("mAmp-hr", "capacity_ampere_hour", 1e-3),
        ("(Q-Qo)/mA.h", "net_capacity_ampere_hour", 1e-3),
        ("net_capacity_ah", "net_capacity_ampere_hour", 1.0),
        ("dq/mA.h", "charge_increment_ampere_hour", 1e-3),
        ("half cycle", "half_cycle", 1.0),
        ("ox/red", "ox_red", 1.0),
        ("Cycle_Index", "cycle_count", 1.0),
        ("cycle_count", "cycle_count", 1.0),
        ("Cycle Count / 1", "cycle_count", 1.0),
        ("Cyc#", "cycle_count", 1.0),
        ("循环号", "cycle_count", 1.0),
        ("Ns", "step_id", 1.0),
        ("工步类型", "mode", 1.0),
        ("step_name", "mode", 1.0),
        ("date_time_iso_string", "timestamp", 1.0),
        ("freq/Hz", "frequency_hertz", 1.0),
        ("Frequency (kHz)", "frequency_hertz", 1e3),
        ("Re(Z)/Ohm", "z_real_ohm", 1.0),
        ("Z' (Ω)", "z_real_ohm", 1.0),
        ("-Im(Z)/Ohm", "z_imag_ohm", -1.0),
        ("-Z'' (Ω)", "z_imag_ohm", -1.0),
        ("Zimag", "z_imag_ohm", 1.0),
        ("|Z|/Ohm", "z_modulus_ohm", 1.0),
        ("Phase(Z)/deg", "z_phase_degree", 1.0),
        ("Scan Rate (mV/s)", "scan_rate_volt_per_second", 1e-3),
        ("Potential (V)", "voltage_volt", 1.0),
    ],
)
def test_quantity_word_and_unit_in_any_common_form(header: str, key: str, factor: float) -> None:
    match = match_column(header)
    assert match is not None, header
    assert match.key == key
    assert match.factor == pytest.approx(factor)


@pytest.mark.parametrize(
    "header",
    ["Capacity(mAh/g)", "比容量(mAh/g)", "control/V/mA", "Step (Sec)", "Temperature (°C)", "x"],
)
def test_a_unit_of_the_wrong_dimension_or_an_unknown_word_is_no_match(header: str) -> None:
    """Specific capacity is no capacity in A h; a step clock in s is no step number."""
    assert match_column(header) is None


def test_the_better_word_wins_when_two_headers_name_one_quantity() -> None:
    found = match_columns(["时间", "总时间", "Step_Time(s)"])
    assert found["test_time_second"].header == "总时间"
    found = match_columns(["Time", "Test_Time(s)"])
    assert found["test_time_second"].header == "Test_Time(s)"


def _canonical_frame() -> pd.DataFrame:
    """The synthetic test in SI units, from the Arbin-style layout."""
    frame = pd.read_csv(DATA / "layouts" / "arbin.csv")
    return pd.DataFrame(
        {
            "t": frame["Test_Time(s)"],
            "I": frame["Current(A)"],
            "V": frame["Voltage(V)"],
            "cycle": frame["Cycle_Index"],
            "step": frame["Step_Index"],
            "qch": frame["Charge_Capacity(Ah)"],
            "qdis": frame["Discharge_Capacity(Ah)"],
        }
    )


def _assert_truth(path: Path, **kwargs: object) -> pd.DataFrame:
    frame = read_cycler(path, **kwargs)  # type: ignore[arg-type]
    table = cycle_summary(frame, cell="anode-half")
    np.testing.assert_allclose(
        table["discharge_capacity_mAh"], [t["discharge_capacity_mAh"] for t in TRUTH], rtol=2e-5
    )
    np.testing.assert_allclose(
        table["charge_capacity_mAh"], [t["charge_capacity_mAh"] for t in TRUTH], rtol=2e-5
    )
    return frame


def test_landt_export_with_preamble_bdf_suffixes_and_trailing_commas(tmp_path: Path) -> None:
    """The LANDT/LANHE layout of the issue: 6 preamble lines, `_A`/`_V`/`_Ah` names, rows end in `,`."""
    base = _canonical_frame()
    preamble = [
        "cell model:,LIR2032",
        "Nominal capacity used to define the C rate:Ah,0.001",
        "active material mass:g,",
        "channel:,3-1",
        "start time:,2024-01-05 10:00:00",
        "comment:,Si/C half cell",
    ]
    header = (
        "channel_index,cycle_index,step_index,date_time_iso_string,test_time_s,step_time_s,"
        "current_A,voltage_V,discharge_capacity_Ah,charge_capacity_Ah,step_name"
    )
    rows = [
        f"1,{r.cycle},{r.step},2024-01-05T10:00:00,{r.t},0,{r.I},{r.V},{r.qdis},{r.qch},CC,"
        for r in base.itertuples()
    ]
    path = tmp_path / "landt_export.csv"
    path.write_text("\n".join([*preamble, header, *rows]) + "\n")
    frame = _assert_truth(path)
    assert frame.attrs["format"]["header_line"] == 6


def test_a_preamble_longer_than_any_fixed_window(tmp_path: Path) -> None:
    base = _canonical_frame()
    lines = [f"# instrument log line {n}: setting {n}" for n in range(1500)]
    lines.append("Time (h);Potential (V);Current (mA)")
    lines += [
        f"{t / 3600:.9f};{v};{i * 1000:.6f}".replace(".", ",")
        for t, v, i in zip(base["t"], base["V"], base["I"], strict=True)
    ]
    path = tmp_path / "long_preamble_decimal_comma.csv"
    path.write_text("\n".join(lines) + "\n")
    frame = _assert_truth(path)
    assert frame.attrs["format"]["decimal"] == ","
    assert frame.attrs["format"]["delimiter"] == ";"


@pytest.mark.parametrize(
    ("names", "scale"),
    [
        (("时间/s", "电压/V", "电流/mA"), (1.0, 1.0, 1e3)),
        (("Time [s]", "Voltage [V]", "Current [A]"), (1.0, 1.0, 1.0)),
        (("test_time_second", "voltage_volt", "current_ampere"), (1.0, 1.0, 1.0)),
        (("time/s", "Ewe/V", "<I>/mA"), (1.0, 1.0, 1e3)),
    ],
)
def test_tab_separated_exports_with_several_header_grammars(
    tmp_path: Path, names: tuple[str, str, str], scale: tuple[float, float, float]
) -> None:
    base = _canonical_frame()
    frame = pd.DataFrame(
        {
            names[0]: base["t"] * scale[0],
            names[1]: base["V"] * scale[1],
            names[2]: base["I"] * scale[2],
        }
    )
    path = tmp_path / "export.txt"
    path.write_text(frame.to_csv(sep="\t", index=False), encoding="utf-8")
    _assert_truth(path)


def test_workbook_with_an_info_sheet_and_the_data_continued_on_later_sheets(
    tmp_path: Path,
) -> None:
    """Arbin/Neware split long records over several sheets under the same header."""
    base = _canonical_frame()[["t", "I", "V", "cycle"]].rename(
        columns={"t": "Test_Time(s)", "I": "Current(A)", "V": "Voltage(V)", "cycle": "Cycle_Index"}
    )
    path = tmp_path / "split.xlsx"
    third = len(base) // 3
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"Item": ["Channel", "Mass (mg)"], "Value": ["1-6", 0.85]}).to_excel(
            writer, sheet_name="Global_Info", index=False
        )
        base.iloc[:third].to_excel(writer, sheet_name="Channel_1-006_1", index=False)
        base.iloc[third : 2 * third].to_excel(writer, sheet_name="Channel_1-006_2", index=False)
        base.iloc[2 * third :].to_excel(writer, sheet_name="Channel_1-006_3", index=False)
        pd.DataFrame({"Cycle": [1], "Charge (Ah)": [0.001]}).to_excel(
            writer, sheet_name="Statistics_1-006", index=False
        )
    frame = _assert_truth(path)
    assert frame.attrs["format"]["sheet"] == "Channel_1-006_1, Channel_1-006_2, Channel_1-006_3"


def test_refusal_names_the_file_the_most_header_like_line_and_what_would_help(
    tmp_path: Path,
) -> None:
    path = tmp_path / "no_voltage.csv"
    path.write_text("run log\nTime (s),Current (mA),Temp\n0,1,25\n1,1,25\n")
    with pytest.raises(InputError) as err:
        read_cycler(path)
    message = str(err.value)
    assert "\n" not in message
    assert "no_voltage.csv" in message
    assert "voltage column" in message
    assert "'Time (s),Current (mA),Temp'" in message
    assert "--preset" in message


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("log.csv.gz", b"\x1f\x8b\x08\x00" + b"\x00" * 200, ["gzip-compressed", "decompress"]),
        (
            "rows.csv",
            "Time (s),Voltage (V),Temp\n0,3.1,25\n1,3.2,25\n",
            ["no current column", "--preset"],
        ),
        (
            "rows2.csv",
            "Step,Voltage (V),Current (A)\n1,3.1,0.1\n1,3.2,0.1\n",
            ["no time column", "--preset"],
        ),
    ],
)
def test_refusals_are_one_sentence_naming_file_found_and_remedy(
    tmp_path: Path, name: str, content: bytes | str, words: list[str]
) -> None:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(InputError) as err:
        read_cycler(path, preset="generic")
    message = str(err.value)
    assert name in message and "\n" not in message
    for word in words:
        assert word in message
