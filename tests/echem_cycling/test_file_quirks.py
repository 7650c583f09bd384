"""Quirks of real cycler exports, reproduced on the synthetic layouts (analytic truth I·Δt).

The real files that showed them (EC-Lab .mpt from dgbowl/yadg, GPL-3) are not copied into the
repository; each test writes a minimal synthetic file with the same quirk.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from anodelab.echem.cycling import analyze_cycling, cycle_summary
from anodelab.echem.rate import analyze_rate
from anodelab.ingest.readers import read_cycler
from anodelab.ingest.readers.streaming import summarize_cycler_file
from anodelab.schema.errors import InputError

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


def _cut_mid_last_charge(tmp_path: Path) -> Path:
    """arbin.csv cut halfway through its last charge (delithiation), as a test stopped mid-step."""
    source = pd.read_csv(DATA / "layouts" / "arbin.csv")
    charging = np.flatnonzero(source["Current(A)"].to_numpy() > 0)
    last_start = charging[np.flatnonzero(np.diff(charging) > 1)[-1] + 1]
    cut = last_start + (charging[-1] - last_start) // 2
    path = tmp_path / "cut_mid_charge.csv"
    source.iloc[: cut + 1].to_csv(path, index=False)
    return path


def test_last_half_cycle_cut_off_mid_step_is_incomplete(tmp_path: Path) -> None:
    path = _cut_mid_last_charge(tmp_path)
    for result in (analyze_cycling(read_cycler(path)), summarize_cycler_file(path)):
        cycles = result.results["cycles"]
        assert [c["complete"] for c in cycles] == [True] * (len(TRUTH) - 1) + [False]
        summary = result.results["summary"]
        assert summary["last_cycle"] == len(TRUTH) - 1
        assert len(result.results["retention_percent"]) == len(TRUTH) - 1
        assert any("stops at" in w and "mid-step" in w for w in result.warnings)
        assert not any(
            m.conditions.get("cycle") == (len(TRUTH), "cycle_count") for m in result.metrics
        )
    rate = analyze_rate(read_cycler(path))
    assert rate.results["steps"][-1]["cycles"][-1] == len(TRUTH) - 1


def test_completed_last_cycle_stays_complete() -> None:
    for path in (DATA / "layouts" / "arbin.csv", DATA / "pybamm_cycling.csv"):
        cell = "anode-half" if path.name == "arbin.csv" else "full"
        result = analyze_cycling(read_cycler(path, cell=cell), cell=cell)
        assert all(c["complete"] for c in result.results["cycles"]), path.name
        assert not any("mid-step" in w for w in result.warnings)


def test_real_neware_export_cut_mid_charge(tmp_path: Path) -> None:
    """Real Neware records (cellpy, MIT) cut inside the second delithiation: cycle 2 incomplete."""
    source = pd.read_csv(DATA / "real" / "cellpy_neware_uio_cycles1-2.csv")
    frame = read_cycler(DATA / "real" / "cellpy_neware_uio_cycles1-2.csv")
    charging = np.flatnonzero(
        (frame["current_ampere"].to_numpy() > 0) & (frame["cycle_index"].to_numpy() == 2)
    )
    assert charging.size > 10
    path = tmp_path / "uio_cut.csv"
    source.iloc[: charging[charging.size // 2] + 1].to_csv(path, index=False)
    full = analyze_cycling(read_cycler(path))
    assert [c["complete"] for c in full.results["cycles"]] == [True, False]
    assert analyze_cycling(frame).results["cycles"][-1]["complete"]


# ---- row order (an mdb-export of an Arbin .res writes blocks of rows out of order) -------------


def _blocks_swapped(tmp_path: Path, keep_record: bool) -> Path:
    source = pd.read_csv(DATA / "layouts" / "arbin.csv")
    n = len(source)
    order = np.r_[0 : n // 3, 2 * n // 3 : n, n // 3 : 2 * n // 3]
    shuffled = source.iloc[order]
    if not keep_record:
        shuffled = shuffled.drop(columns="Data_Point")
    path = tmp_path / f"swapped_{keep_record}.csv"
    shuffled.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("keep_record", [True, False], ids=["record-counter", "time-only"])
def test_rows_out_of_order_are_put_back(tmp_path: Path, keep_record: bool) -> None:
    path = _blocks_swapped(tmp_path, keep_record)
    _assert_truth(path)
    frame = read_cycler(path)
    assert np.all(np.diff(frame["test_time_second"].to_numpy()) >= 0)
    assert "record_index" not in frame.columns
    expected = "record counter" if keep_record else "sorted by test time"
    assert any(expected in w for w in frame.attrs["warnings"])


def test_step_clock_restarts_keep_file_order(tmp_path: Path) -> None:
    source = pd.read_csv(DATA / "layouts" / "arbin.csv").drop(columns="Data_Point")
    t = source["Test_Time(s)"].to_numpy()
    step = source["Step_Index"].to_numpy()
    starts = np.r_[0, np.flatnonzero(np.diff(step) != 0) + 1]
    begin = np.repeat(t[starts], np.diff(np.r_[starts, t.size]))
    source["Test_Time(s)"] = t - begin  # each step's clock starts at 0
    path = tmp_path / "step_clock.csv"
    source.to_csv(path, index=False)
    frame = read_cycler(path)
    assert any("step clock" in w for w in frame.attrs["warnings"])
    table = cycle_summary(frame)
    np.testing.assert_allclose(
        table["charge_capacity_mAh"], [t["charge_capacity_mAh"] for t in TRUTH], rtol=2e-5
    )


def test_time_going_backwards_inside_a_step_is_refused_with_the_row(tmp_path: Path) -> None:
    source = pd.read_csv(DATA / "layouts" / "arbin.csv").drop(columns="Data_Point")
    middle = len(source) // 2
    source.loc[middle, "Test_Time(s)"] = 1.5  # near the start of the test, inside a late step
    path = tmp_path / "backwards.csv"
    source.to_csv(path, index=False)
    with pytest.raises(InputError, match=r"goes backwards at data row") as info:
        read_cycler(path)
    assert info.value.row == middle + 1 and "backwards.csv" in str(info.value)


def test_a_current_blip_gives_no_coulombic_efficiency() -> None:
    """A 'lithiation' of 1e-11 Ah before a real charge gave CE = 3.6e10 %."""
    t = np.arange(0.0, 4000.0, 10.0)
    i = np.zeros(t.size)
    i[5:7] = -1e-6  # two samples: 2.8e-9 Ah
    i[10:200] = 1e-3
    i[210:390] = -1e-3
    i[395:] = 1e-3
    v = np.where(i > 0, 3.5, np.where(i < 0, 3.0, 3.2))
    frame = pd.DataFrame({"test_time_second": t, "voltage_volt": v, "current_ampere": i})
    warnings: list[str] = []
    table = cycle_summary(frame, cell="anode-half", rest_current=1e-9, warnings=warnings)
    first = table.iloc[0]
    assert np.isnan(first["coulombic_efficiency_percent"]) and not first["complete"]
    assert any("current blip" in w for w in warnings)


def test_ce_above_100_percent_suggests_another_cell_convention() -> None:
    """The layouts' anode test read as a full cell: 'CE' = delithiation-first ratio > 100 %."""
    frame = read_cycler(DATA / "layouts" / "arbin.csv", cell="full")
    result = analyze_cycling(frame, cell="full")
    assert result.results["summary"]["initial_coulombic_efficiency_percent"] > 100
    assert any("CE₁" in w and "--cell anode-half" in w for w in result.warnings)
    right = analyze_cycling(read_cycler(DATA / "layouts" / "arbin.csv"))
    assert not any("CE₁" in w for w in right.warnings)


def _cathode_with_top_up_charge(top_up_s: float) -> pd.DataFrame:
    """A cathode half cell whose protocol starts with a short top-up charge: +1 mA for
    ``top_up_s``, then five cycles of discharge 3500 s / charge 3600 s at 1 mA (1 s rows)."""
    segments = [(top_up_s, 1e-3, 4.2), (60, 0.0, 4.1)]
    for _ in range(5):
        segments += [(3500, -1e-3, 3.6), (60, 0.0, 3.7), (3600, 1e-3, 4.0), (60, 0.0, 4.1)]
    current = np.concatenate([np.full(int(n), i) for n, i, _ in segments])
    voltage = np.concatenate([np.full(int(n), v) for n, _, v in segments])
    return pd.DataFrame(
        {"test_time_second": np.arange(current.size, dtype=float), "voltage_volt": voltage,
         "current_ampere": current}
    )  # fmt: skip


def test_ce_above_100_percent_after_a_short_first_charge_names_the_top_up() -> None:
    """Found on a real Neware cathode export (cellpy's nw_regular_export_ife_example.csv): a
    2-minute top-up charge made CE₁ 1465 %, and the hint suggested --cell anode-half."""
    warnings: list[str] = []
    table = cycle_summary(_cathode_with_top_up_charge(120), cell="cathode-half", warnings=warnings)
    # one 1-s row of the 120-s top-up is an edge of the trapezoid: within 1 %
    assert table.iloc[0]["coulombic_efficiency_percent"] == pytest.approx(
        100 * 3500 / 120, rel=0.01
    )
    result = analyze_cycling(_cathode_with_top_up_charge(120), cell="cathode-half")
    hint = [w for w in result.warnings if "CE₁" in w]
    assert len(hint) == 1 and "partial first step" in hint[0] and "--reference-cycle 2" in hint[0]
    assert "cycle 1's charge (0.0331 mAh) is 3 % of the later cycles' median (1 mAh)" in hint[0]
    assert "--cell anode-half" not in hint[0]
    # a first charge as long as the others: CE₁ ≤ 100 %, no hint
    whole = analyze_cycling(_cathode_with_top_up_charge(3600), cell="cathode-half")
    assert not any("CE₁" in w for w in whole.warnings)


def test_maccor_milliamp_columns_are_read(tmp_path: Path) -> None:
    """Maccor export with mAmps / mAmp-hr (cellpy's maccor_three layout; values from layouts/)."""
    source = pd.read_csv(DATA / "layouts" / "arbin.csv")
    current = source["Current(A)"].to_numpy()
    table = pd.DataFrame(
        {
            "Rec#": source["Data_Point"],
            "Cyc#": source["Cycle_Index"],
            "Step": source["Step_Index"],
            "TestTime": source["Test_Time(s)"],
            "mAmp-hr": 0.0,
            "mAmps": np.abs(current) * 1000,
            "Volts": source["Voltage(V)"],
            "State": np.where(current > 0, "C", np.where(current < 0, "D", "R")),
        }
    )
    path = tmp_path / "maccor_ma.txt"
    path.write_text("Today's Date\t03/28/2022\n\n" + table.to_csv(sep="\t", index=False))
    _assert_truth_full(path)


def test_missing_current_lists_every_column(tmp_path: Path) -> None:
    path = tmp_path / "no_current.csv"
    path.write_text("Test_Time(s),Voltage(V),Power(W),Temp(C)\n0,3.0,0,25\n1,3.1,0,25\n")
    with pytest.raises(InputError, match=r"no current column.*Power\(W\).*Temp\(C\)"):
        read_cycler(path)


def _assert_truth_full(path: Path) -> None:
    table = cycle_summary(read_cycler(path), cell="anode-half", capacity_source="current")
    np.testing.assert_allclose(
        table["charge_capacity_mAh"], [t["charge_capacity_mAh"] for t in TRUTH], rtol=2e-5
    )


def _one_long_charge() -> pd.DataFrame:
    """A formation-style file that only charges (found in a real Neware .ndax: 68 h of CC_Chg)."""
    t = np.arange(0.0, 7200.0, 10.0)
    i = np.where(t < 60, 0.0, 1e-3)
    v = 3.0 + t / 7200.0
    return pd.DataFrame({"test_time_second": t, "voltage_volt": v, "current_ampere": i})


def test_a_lone_charge_read_as_an_anode_says_which_convention_would_read_it() -> None:
    """It said 'no cycle with current was found' although the file has an hour of current."""
    with pytest.raises(InputError, match="positive .* in every non-rest row") as info:
        analyze_cycling(_one_long_charge())
    assert "--cell cathode-half or --cell full" in str(info.value)
    with pytest.raises(InputError, match="zero \\(rest\\) in every row"):
        analyze_cycling(_one_long_charge().assign(current_ampere=0.0))


def test_a_lone_first_half_cycle_has_no_coulombic_efficiency() -> None:
    """Read as a full cell the charge is cycle 1's first half; its CE was printed as 0 %."""
    cycles = analyze_cycling(_one_long_charge(), cell="full").results["cycles"]
    assert len(cycles) == 1 and cycles[0]["charge_capacity_mAh"] == pytest.approx(1.98, rel=1e-3)
    assert cycles[0]["coulombic_efficiency_percent"] is None


# ---- EC-Lab Modulo Bat with impedance sweeps between cycles ------------------------------------

_ECLAB_COLUMNS = (
    "mode\tox/red\tNs\ttime/s\tEwe/V\tI/mA\tfreq/Hz\tdq/mA.h\t(Q-Qo)/mA.h\t"
    "Q charge/discharge/mA.h\thalf cycle\tQ discharge/mA.h\tQ charge/mA.h\tcycle number\t"
)


def _eclab_modulo_bat(tmp_path: Path, cycles: int = 3) -> tuple[Path, pd.DataFrame]:
    """A cathode half-cell Modulo Bat .mpt laid out as EC-Lab writes one (yadg's mb.mpt quirk).

    Sequence per loop: Rest (Ns 0), PEIS at open circuit (Ns 1, EC-Lab mode 3, 25 frequencies,
    a DC current of ±10–20 % of the cycling current that changes sign within the sweep), Rest
    (Ns 2), CC charge +0.5 mA to 4.3 V (Ns 3), CC discharge −0.5 mA to 3.0 V (Ns 4), Rest (Ns 5).
    The bookkeeping columns follow EC-Lab: ``dq`` = I·Δt of the interval ending at the row,
    ``Q charge/discharge`` signed and reset when the controlled current changes direction
    (``half cycle`` + 1), ``Q charge`` / ``Q discharge`` its positive / negative part, ``cycle
    number`` + 1 at every charge after the first.  Returns the path and the rows as written.
    """
    rows: list[tuple[int, int, int, float, float, float, float]] = []  # mode, ox, Ns, t, E, I, f
    t = 0.0

    def add(mode: int, ns: int, times: np.ndarray, volts: np.ndarray, amps, freq=0.0) -> None:
        nonlocal t
        amps, freq = np.broadcast_to(amps, times.shape), np.broadcast_to(freq, times.shape)
        for k in range(times.size):
            ox = 1 if (mode != 3 and amps[k] > 0) else 0
            rows.append((mode, ox, ns, t + times[k], volts[k], float(amps[k]), float(freq[k])))
        t += float(times[-1]) + 1.0

    for _ in range(cycles):
        add(3, 0, np.arange(6) * 30.0, np.full(6, 3.55), 0.0)
        freq = np.logspace(5, -1, 25)
        dc = np.where(np.arange(25) < 3, 0.1, -0.05)  # mA: positive first, then negative
        add(3, 1, np.cumsum(np.maximum(3.0 / freq, 1.0)), np.full(25, 3.55), dc, freq)
        add(3, 2, np.arange(4) * 30.0, np.full(4, 3.55), 0.0)
        charge = np.arange(120) * 30.0
        add(1, 3, charge, 3.6 + 0.7 * charge / charge[-1], 0.5)
        discharge = np.arange(110) * 30.0
        add(1, 4, discharge, 4.2 - 1.2 * discharge / discharge[-1], -0.5)
        add(3, 5, np.arange(4) * 30.0, np.full(4, 3.4), 0.0)
    table = pd.DataFrame(rows, columns=["mode", "ox", "Ns", "t", "E", "I", "f"])
    dq = np.r_[0.0, table["I"].to_numpy()[1:] * np.diff(table["t"].to_numpy()) / 3600.0]
    half, q, direction, cycle = 0, 0.0, 0, 0
    half_col, q_col, cycle_col = [], [], []
    for mode, current, step_dq in zip(table["mode"], table["I"], dq, strict=True):
        sign = int(np.sign(current)) if mode != 3 else 0
        if sign and sign != direction:
            if direction:
                half += 1
                cycle += sign > 0
            direction, q = sign, 0.0
        q += step_dq
        half_col.append(half)
        q_col.append(q)
        cycle_col.append(cycle)
    table["dq"], table["half"], table["Qcd"], table["cycle"] = dq, half_col, q_col, cycle_col
    lines = [
        "EC-Lab ASCII FILE",
        "Nb header lines : 6",
        "",
        "Modulo Bat",
        "Cycle Definition : Charge/Discharge alternance",
        _ECLAB_COLUMNS,
    ]
    qo = np.cumsum(dq)
    for r, qq in zip(table.itertuples(index=False), qo, strict=True):
        lines.append(
            f"{r.mode}\t{r.ox}\t{r.Ns}\t{r.t:.6E}\t{r.E:.7E}\t{r.I:.7E}\t{r.f:.7E}\t{r.dq:.15E}\t"
            f"{qq:.15E}\t{r.Qcd:.15E}\t{r.half}\t{max(-r.Qcd, 0.0):.15E}\t{max(r.Qcd, 0.0):.15E}\t"
            f"{float(r.cycle):.6E}"
        )
    path = tmp_path / "eclab_mb_peis.mpt"
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")
    return path, table


def test_eclab_impedance_sweep_at_open_circuit_is_rest(tmp_path: Path) -> None:
    """EC-Lab logs the DC current of a PEIS at open circuit (mode 3); it split every cycle in two.

    Truth is the file's own bookkeeping: one cycle per EC-Lab ``cycle number``, and per half-cycle
    the ``Q charge/discharge`` reached at its last controlled (mode 1/2) row.
    """
    path, table = _eclab_modulo_bat(tmp_path)
    controlled = table[table["mode"] != 3]
    end_q = controlled.groupby("half")["Qcd"].last().to_numpy()  # mA h, signed
    for read in (
        lambda: analyze_cycling(read_cycler(path, cell="cathode-half"), cell="cathode-half"),
        lambda: summarize_cycler_file(path, cell="cathode-half"),
    ):
        result = read()
        cycles = result.results["cycles"]
        assert [c["cycle"] for c in cycles] == sorted(table["cycle"].unique() + 1)
        np.testing.assert_allclose(
            [c["charge_capacity_mAh"] for c in cycles], end_q[0::2], rtol=1e-9
        )
        np.testing.assert_allclose(
            [c["discharge_capacity_mAh"] for c in cycles], -end_q[1::2], rtol=1e-9
        )
        assert all(c["complete"] for c in cycles)
        assert not any("cycle 0" in w for w in result.warnings)
    frame = read_cycler(path, cell="cathode-half")
    assert "rest" in frame.attrs["conventions"]["vendor_rest"]
    assert any("marks as rest logged a current" in w for w in frame.attrs["warnings"])
    peis = table["f"].to_numpy() > 0
    assert np.all(frame["current_ampere"].to_numpy()[peis] == 0.0)
    assert np.any(table["I"].to_numpy()[peis] != 0.0)


def test_cell_below_zero_volt_keeps_energy_and_average_voltage_per_half_cycle(
    tmp_path: Path,
) -> None:
    """A Li | Li symmetric cell (yadg's mb.mpt) swings ±4 mV: V·I > 0 under discharge too.

    Energy was split by the sign of V·I, so the whole discharge energy went to charge: average
    discharge voltage 0 V, average charge voltage twice the true one.  Truth: V is constant in
    each half-cycle, so E = |V|·Q and the average voltage is V.
    """
    t = np.arange(0.0, 4 * 3600.0, 30.0)
    period = np.floor(t / 3600.0).astype(int) % 2  # 0: charge, 1: discharge, one hour each
    current = np.where(period == 0, 1e-3, -1e-3)
    voltage = np.where(period == 0, 0.004, -0.003)
    step = np.floor(t / 3600.0).astype(int) + 1
    path = tmp_path / "symmetric.csv"
    pd.DataFrame(
        {"Test_Time(s)": t, "Step_Index": step, "Current(A)": current, "Voltage(V)": voltage}
    ).to_csv(path, index=False)
    for result in (
        analyze_cycling(
            read_cycler(path, cell="full", current_sign="positive-charge"), cell="full"
        ),
        summarize_cycler_file(path, cell="full", current_sign="positive-charge"),
    ):
        for c in result.results["cycles"]:
            q = c["charge_capacity_mAh"]
            assert c["average_charge_voltage_V"] == pytest.approx(0.004, rel=1e-9)
            assert c["average_discharge_voltage_V"] == pytest.approx(-0.003, rel=1e-9)
            assert c["charge_energy_mWh"] == pytest.approx(0.004 * q, rel=1e-9)
            assert c["discharge_energy_mWh"] == pytest.approx(
                0.003 * c["discharge_capacity_mAh"], rel=1e-9
            )
