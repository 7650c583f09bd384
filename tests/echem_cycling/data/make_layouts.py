"""Write the same synthetic anode half-cell cycling test in several vendor-like layouts.

Ground truth is analytic: every half-cycle is a constant-current step whose first and last rows
sit exactly at the step's start and end, so its capacity is I·Δt (stored in ``layouts_truth.json``).
The voltage follows an OCV with a plateau at 0.50 V (dQ/dV peak) shifted by ∓20 mV overpotential.
Run: ``python tests/echem_cycling/data/make_layouts.py`` (numpy, pandas, openpyxl).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
DT = 60.0  # s between rows
CYCLES = 6
CURRENT_A = 1.0e-3
REST_S = 600.0


def ocv(x: np.ndarray) -> np.ndarray:
    """Anode OCV vs Li for lithiation fraction x: slope with a plateau at 0.50 V (x = 0.5)."""
    return 0.9 - 0.8 * x + 0.035 * np.tanh((x - 0.5) / 0.05)


def build() -> tuple[pd.DataFrame, list[dict]]:
    rows = []
    t = 0.0
    truth = []
    step_id = 0

    def add_step(duration: float, current: float, volt_fn, kind: str, cycle_vendor: int) -> None:
        nonlocal t, step_id
        step_id += 1
        n = int(round(duration / DT))
        times = t + DT * np.arange(n + 1)
        frac = np.arange(n + 1) / max(n, 1)
        for time, f in zip(times, frac, strict=True):
            rows.append((time, float(volt_fn(f)), current, kind, step_id, cycle_vendor))
        t = times[-1] + DT

    add_step(REST_S, 0.0, lambda f: 2.9, "R", 0)
    for n in range(1, CYCLES + 1):
        q_max = 1.0e-3 * (1.0 - 0.03 * (n - 1))  # Ah, fading
        lith = q_max * (1.25 if n == 1 else 1.0)  # extra first-cycle SEI capacity
        delith = q_max * (0.98 if n > 1 else 0.80 / 1.0)
        lith_s = round(lith / CURRENT_A * 3600 / DT) * DT
        delith_s = round(delith / CURRENT_A * 3600 / DT) * DT
        lith = CURRENT_A * lith_s / 3600
        delith = CURRENT_A * delith_s / 3600
        x_end = min(lith / 1.0e-3, 1.0)
        add_step(lith_s, -CURRENT_A, lambda f, x_end=x_end: ocv(f * x_end) - 0.02, "D", n)
        add_step(REST_S, 0.0, lambda f, x_end=x_end: ocv(x_end), "R", n)
        x_left = x_end - delith / 1.0e-3
        add_step(
            delith_s,
            CURRENT_A,
            lambda f, x_end=x_end, x_left=x_left: ocv(x_end - f * (x_end - x_left)) + 0.02,
            "C",
            n,
        )
        add_step(REST_S, 0.0, lambda f, x_left=x_left: ocv(max(x_left, 0.0)), "R", n)
        truth.append(
            {
                "cycle": n,
                "discharge_capacity_mAh": lith * 1000,
                "charge_capacity_mAh": delith * 1000,
            }
        )
    frame = pd.DataFrame(rows, columns=["t", "V", "I", "md", "step", "vcycle"])
    # cumulative per-cycle capacities, Arbin style (reset at each vendor cycle)
    dt = np.diff(frame["t"], prepend=frame["t"].iloc[0])
    same = frame["step"].eq(frame["step"].shift())
    dq = np.where(same, frame["I"] * dt / 3600, 0.0)
    frame["qch"] = pd.Series(np.where(dq > 0, dq, 0)).groupby(frame["vcycle"]).cumsum()
    frame["qdis"] = pd.Series(np.where(dq < 0, -dq, 0)).groupby(frame["vcycle"]).cumsum()
    frame["qstep"] = pd.Series(np.abs(dq)).groupby(frame["step"]).cumsum()
    frame["qnet"] = np.cumsum(dq)
    return frame, truth


def main() -> None:
    f, truth = build()
    (HERE / "layouts_truth.json").write_text(
        json.dumps({"cycles": truth, "plateau_V": 0.50, "overpotential_V": 0.02}, indent=1)
    )
    out = HERE / "layouts"
    out.mkdir(exist_ok=True)
    # 1 Arbin CSV; vendor cycle index counts from the first charge (differs from ours)
    arbin = pd.DataFrame(
        {
            "Data_Point": np.arange(1, len(f) + 1),
            "Test_Time(s)": f["t"],
            "Step_Index": f["step"],
            "Cycle_Index": f["vcycle"] + (f["md"] == "C").groupby(f["vcycle"]).cummax().astype(int),
            "Current(A)": f["I"],
            "Voltage(V)": f["V"].round(6),
            "Charge_Capacity(Ah)": f["qch"].round(10),
            "Discharge_Capacity(Ah)": f["qdis"].round(10),
        }
    )
    arbin.to_csv(out / "arbin.csv", index=False)
    # 2 BioLogic .mpt: preamble, tab, decimal commas, mA, net charge
    mpt = pd.DataFrame(
        {
            "mode": 1,
            "time/s": f["t"].map(lambda v: f"{v:.4f}"),
            "Ewe/V": f["V"].map(lambda v: f"{v:.6f}"),
            "<I>/mA": (f["I"] * 1000).map(lambda v: f"{v:.6f}"),
            "(Q-Qo)/mA.h": (f["qnet"] * 1000).map(lambda v: f"{v:.7f}"),
            "cycle number": f["vcycle"].astype(float).map(lambda v: f"{v:.6E}"),
            "Ns": f["step"] - 1,
        }
    )
    body = mpt.to_csv(sep="\t", index=False, lineterminator="\n").replace(".", ",")
    header_lines = [
        "EC-Lab ASCII FILE",
        "Nb header lines : 6",
        "",
        "Galvanostatic Cycling with Potential Limitation",
        "Mass of active material : 0,001 mg",
        "",
    ]
    header_lines[-1] = body.split("\n", 1)[0].replace(",", ".")
    text = "\n".join(header_lines[:-1]) + "\n" + header_lines[-1] + "\n" + body.split("\n", 1)[1]
    (out / "biologic.mpt").write_text(text, encoding="latin-1")

    # 3 Neware export: hh:mm:ss cumulative time, step-time, mA, per-step capacity, Step Type
    def hms(s: float) -> str:
        s = int(round(s))
        return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"

    step_start = f.groupby("step")["t"].transform("min")
    neware = pd.DataFrame(
        {
            "DataPoint": np.arange(1, len(f) + 1),
            "Cycle Index": f["vcycle"] + 1,
            "Step Index": f["step"],
            "Step Type": f["md"].map({"R": "Rest", "C": "CC Chg", "D": "CC DChg"}),
            "Time": (f["t"] - step_start).map(hms),
            "Cumulative Time": f["t"].map(hms),
            "Current(mA)": (f["I"] * 1000).round(5),
            "Voltage(V)": f["V"].round(5),
            "Capacity(mAh)": (f["qstep"] * 1000).round(7),
        }
    )
    neware.to_csv(out / "neware_export.csv", index=False)
    # 4 Maccor text: preamble, tab, unsigned Amps, Md column, per-step Amp-hr
    maccor = pd.DataFrame(
        {
            "Rec#": np.arange(1, len(f) + 1),
            "Cyc#": f["vcycle"],
            "Step": f["step"],
            "Test Time (sec)": f["t"],
            "Amp-hr": f["qstep"].round(10),
            "Amps": f["I"].abs(),
            "Volts": f["V"].round(6),
            "Md": f["md"],
        }
    )
    preamble = "Today's Date\t01/02/2026\nDate of Test:\t01/01/2026\nFilename:\tC:\\Data\\cell01.001\nProcedure:\tanode.000\n"
    (out / "maccor.txt").write_text(
        preamble + maccor.to_csv(sep="\t", index=False, lineterminator="\n")
    )
    # 5 minutes, mV, mA, ';' delimiter, decimal comma, no indexes, no capacity
    minutes = pd.DataFrame(
        {
            "Time (min)": (f["t"] / 60).map(lambda v: f"{v:.5f}".replace(".", ",")),
            "Voltage (mV)": (f["V"] * 1000).map(lambda v: f"{v:.3f}".replace(".", ",")),
            "Current (mA)": (f["I"] * 1000).map(lambda v: f"{v:.6f}".replace(".", ",")),
        }
    )
    minutes.to_csv(out / "minutes_mV_semicolon.csv", sep=";", index=False)
    # 6 opposite sign convention (positive = lithiation), BioLogic-like names, comma
    opposite = pd.DataFrame(
        {"time/s": f["t"], "Ewe/V": f["V"].round(6), "I/mA": (-f["I"] * 1000).round(6)}
    )
    opposite.to_csv(out / "opposite_sign.csv", index=False)
    # 7 hours, µA, tab, blank line and NaN rows in the middle
    hours = pd.DataFrame(
        {
            "Time(h)": (f["t"] / 3600).map(lambda v: f"{v:.8f}"),
            "Current(µA)": (f["I"] * 1e6).map(lambda v: f"{v:.3f}"),
            "Voltage(V)": f["V"].map(lambda v: f"{v:.6f}"),
        }
    )
    lines = hours.to_csv(sep="\t", index=False, lineterminator="\n").split("\n")
    lines.insert(300, "")
    lines.insert(500, "NaN\tNaN\tNaN")
    (out / "hours_uA.tsv").write_text("\n".join(lines), encoding="utf-8")
    # 8 Excel with a title row above the header
    xl = arbin.copy()
    with pd.ExcelWriter(out / "arbin.xlsx") as writer:
        pd.DataFrame([["Arbin export", "channel 3"]]).to_excel(
            writer, sheet_name="Channel_3", header=False, index=False
        )
        xl.to_excel(writer, sheet_name="Channel_3", index=False, startrow=1)
    # 9 timestamps instead of test time
    stamps = pd.Timestamp("2026-01-01 08:00:00") + pd.to_timedelta(f["t"], unit="s")
    pd.DataFrame(
        {
            "Date_Time": stamps.dt.strftime("%Y-%m-%d %H:%M:%S"),
            "Current(A)": f["I"],
            "Voltage(V)": f["V"].round(6),
        }
    ).to_csv(out / "timestamps.csv", index=False)


if __name__ == "__main__":
    main()
