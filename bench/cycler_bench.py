"""Benchmark: load + per-cycle summary of a large Arbin CSV, anodelab vs BEEP, cellpy and pyarrow.

Generates an Arbin CSV export of an anode half cell (default 1,000 cycles, 10 M rows) in /tmp, then
runs each contender in its own subprocess and reports wall time and peak RSS (ru_maxrss of the
child).  The file has the 15 columns of the Arbin channel table as BEEP's Arbin reader documents
and its test files contain (``Data_Point, Test_Time, DateTime, Step_Time, Step_Index,
Cycle_Index, Current, Voltage, Charge_Capacity, Discharge_Capacity, Charge_Energy,
Discharge_Energy, dV/dt, Internal_Resistance, Temperature``; SI units, ``DateTime`` in Unix
seconds, current/voltage/dV/dt/resistance/temperature with float32 resolution as Arbin stores
them, capacities and energies cumulative within a cycle and equal to the integrals of |I| and
V|I| over time).  Contenders:

* ``anodelab``   : ``summarize_cycler_file`` (streaming) and ``read_cycler`` + ``analyze_cycling``;
* ``BEEP``       : ``ArbinDatapath.from_file`` + ``summarize_cycles`` (venv /work/venv-h1b-beep);
* ``cellpy``     : ``cellpy.get(..., instrument="custom")`` with ``bench/cellpy_arbin_csv.yml``
                   (load + step table + summary; venv /work/venv-h1b-cellpy);
* ``pandas``     : ``read_csv(engine="pyarrow")`` + groupby max of the capacity columns;
* ``pyarrow``    : bare ``pyarrow.csv.read_csv`` of the seven columns anodelab needs (the floor),
                   of all 15 columns, and the ``open_csv`` record-batch stream.

Every summarizing contender reports cycle 2's lithiation and delithiation capacity, which is
checked against the generator's analytic values (``q_lith = 2 mAh (1 - 2e-4 n)``,
``q_delith = 0.99 q_lith``).

Usage: ``.venv/bin/python bench/cycler_bench.py [--cycles 1000] [--rows-per-cycle 10000]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

ARBIN_COLUMNS = [
    "Data_Point",
    "Test_Time",
    "DateTime",
    "Step_Time",
    "Step_Index",
    "Cycle_Index",
    "Current",
    "Voltage",
    "Charge_Capacity",
    "Discharge_Capacity",
    "Charge_Energy",
    "Discharge_Energy",
    "dV/dt",
    "Internal_Resistance",
    "Temperature",
]
NEEDED = [
    "Test_Time",
    "Current",
    "Voltage",
    "Cycle_Index",
    "Step_Index",
    "Charge_Capacity",
    "Discharge_Capacity",
]
CURRENT_A = 1e-3
CELLPY_YAML = Path(__file__).with_name("cellpy_arbin_csv.yml")
# name -> (python executable or None for this interpreter, code); each sets
# ``out = (cycles, cycle-2 lithiation mAh, cycle-2 delithiation mAh)`` (None where not computed)
CONTENDERS: dict[str, tuple[str | None, str]] = {
    "pyarrow read_csv, 7 columns (floor)": (
        None,
        f"""
import pyarrow.csv as c
t = c.read_csv(PATH, convert_options=c.ConvertOptions(include_columns={NEEDED!r}))
out = (None, None, None)
""",
    ),
    "pyarrow read_csv, all 15 columns": (
        None,
        """
import pyarrow.csv as c
t = c.read_csv(PATH)
out = (None, None, None)
""",
    ),
    "pyarrow open_csv stream, 7 columns": (
        None,
        f"""
import pyarrow as pa, pyarrow.csv as c
n = 0
for b in c.open_csv(PATH, read_options=c.ReadOptions(block_size=8 << 20),
        convert_options=c.ConvertOptions(include_columns={NEEDED!r},
        column_types={{k: pa.float64() for k in {NEEDED!r}}})):
    n += b.num_rows
out = (None, None, None)
""",
    ),
    "pandas read_csv(pyarrow) + groupby max": (
        None,
        """
import pandas as pd
d = pd.read_csv(PATH, engine='pyarrow', usecols=['Cycle_Index','Charge_Capacity','Discharge_Capacity'])
g = d.groupby('Cycle_Index')[['Charge_Capacity','Discharge_Capacity']].max()
out = (len(g), g.loc[2, 'Discharge_Capacity'] * 1e3, g.loc[2, 'Charge_Capacity'] * 1e3)
""",
    ),
    "anodelab read_cycler + analyze_cycling": (
        None,
        """
from anodelab.ingest.readers import read_cycler
from anodelab.echem.cycling import analyze_cycling
r = analyze_cycling(read_cycler(PATH))
c2 = next(c for c in r.results['cycles'] if c['cycle'] == 2)
out = (len(r.results['cycles']), c2['discharge_capacity_mAh'], c2['charge_capacity_mAh'])
""",
    ),
    "anodelab summarize_cycler_file": (
        None,
        """
from anodelab.ingest.readers import summarize_cycler_file
r = summarize_cycler_file(PATH)
assert r.options['file']['reader_path'] == 'streaming', r.options['file']
c2 = next(c for c in r.results['cycles'] if c['cycle'] == 2)
out = (len(r.results['cycles']), c2['discharge_capacity_mAh'], c2['charge_capacity_mAh'])
""",
    ),
    "BEEP ArbinDatapath.from_file + summarize_cycles": (
        "/work/venv-h1b-beep/bin/python",
        """
from beep.structure.arbin import ArbinDatapath
d = ArbinDatapath.from_file(PATH)
s = d.summarize_cycles(nominal_capacity=2e-3, cycle_complete_vmin=0.15, cycle_complete_vmax=0.85)
c2 = s[s['cycle_index'] == 2].iloc[0]
out = (len(s), float(c2['discharge_capacity']) * 1e3, float(c2['charge_capacity']) * 1e3)
""",
    ),
    "cellpy get(custom Arbin CSV) + steps + summary": (
        "/work/venv-h1b-cellpy/bin/python",
        f"""
import logging, cellpy
logging.disable(logging.CRITICAL)
c = cellpy.get(filename=PATH, instrument='custom', instrument_file={str(CELLPY_YAML)!r},
               mass=1.0, cycle_mode='anode', refuse_copying=True)
s = c.data.summary
out = (len(s), float(s.loc[2, 'discharge_capacity']) * 1e3, float(s.loc[2, 'charge_capacity']) * 1e3)
""",
    ),
}


def analytic_capacities_mAh(cycle: int) -> tuple[float, float]:
    """Lithiation and delithiation capacity the generator writes for ``cycle`` (mAh)."""
    lithiation = 2.0 * (1 - 2e-4 * cycle)
    return lithiation, 0.99 * lithiation


def _cycle_columns(n: int, rows_per_cycle: int, t0: float, v_rest: float, point: int) -> dict:
    """One cycle: rest, CC lithiation (I < 0), rest, CC delithiation (I > 0) at 1 mA."""
    half = rows_per_cycle // 2 - 5
    rng = np.random.default_rng(n)
    q_lith_Ah, q_delith_Ah = (q / 1e3 for q in analytic_capacities_mAh(n))
    r_ohm = 5.0 * (1 + 2e-4 * n)
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ARBIN_COLUMNS}
    q_ch = q_dis = e_ch = e_dis = 0.0
    steps = ((0, 5, 0.0), (-1, half, q_lith_Ah), (0, 5, 0.0), (1, half, q_delith_Ah))
    for step, (sign, count, q_Ah) in enumerate(steps, start=1):
        dt = q_Ah / CURRENT_A * 3600 / (count - 1) if sign else 60.0
        ts = dt * np.arange(count)
        if sign < 0:
            volts = 0.8 - 0.7 * np.sqrt(ts / ts[-1])
        elif sign > 0:
            volts = 0.1 + 0.8 * (ts / ts[-1]) ** 2
        else:  # relaxation towards 0.5 V
            volts = v_rest + (0.5 - v_rest) * (1 - np.exp(-ts / 120.0))
        volts = volts + rng.normal(0, 2e-4, count)
        v_rest = float(volts[-1])
        dq = CURRENT_A * ts / 3600 if sign else np.zeros(count)
        de = np.concatenate([[0.0], np.cumsum(0.5 * (volts[1:] + volts[:-1]) * np.diff(ts))])
        de = de * CURRENT_A / 3600 if sign else np.zeros(count)
        ch_q = q_ch + (dq if sign > 0 else 0 * dq)
        dis_q = q_dis + (dq if sign < 0 else 0 * dq)
        ch_e = e_ch + (de if sign > 0 else 0 * de)
        dis_e = e_dis + (de if sign < 0 else 0 * de)
        q_ch, q_dis, e_ch, e_dis = ch_q[-1], dis_q[-1], ch_e[-1], dis_e[-1]
        values = {
            "Data_Point": np.arange(point, point + count),
            "Test_Time": np.round(t0 + ts, 4),
            "DateTime": np.round(1.7e9 + t0 + ts, 4),
            "Step_Time": np.round(ts, 4),
            "Step_Index": np.full(count, step),
            "Cycle_Index": np.full(count, n),
            "Current": np.full(count, sign * CURRENT_A),
            "Voltage": volts,
            "Charge_Capacity": ch_q,
            "Discharge_Capacity": dis_q,
            "Charge_Energy": ch_e,
            "Discharge_Energy": dis_e,
            "dV/dt": np.concatenate([[0.0], np.diff(volts) / dt]),
            "Internal_Resistance": np.full(count, r_ohm),
            "Temperature": 25.0 + rng.normal(0, 0.05, count),
        }
        for key, value in values.items():
            cols[key].append(value)
        point += count
        t0 = t0 + ts[-1] + dt
    return {"cols": cols, "t0": t0, "v_rest": v_rest, "point": point}


def generate(path: Path, cycles: int, rows_per_cycle: int) -> int:
    """Write the Arbin CSV in chunks of 50 cycles; returns the number of data rows."""
    writer = None
    sink: BinaryIO | None = None
    t0, v_rest, point = 0.0, 0.8, 1
    for chunk in range(0, cycles, 50):
        cols: dict[str, list[np.ndarray]] = {k: [] for k in ARBIN_COLUMNS}
        for n in range(chunk + 1, min(chunk + 50, cycles) + 1):
            one = _cycle_columns(n, rows_per_cycle, t0, v_rest, point)
            t0, v_rest, point = one["t0"], one["v_rest"], one["point"]
            for key in ARBIN_COLUMNS:
                cols[key].extend(one["cols"][key])
        arrays = {k: np.concatenate(v) for k, v in cols.items()}
        for key in ("Current", "Voltage", "dV/dt", "Internal_Resistance", "Temperature"):
            arrays[key] = arrays[key].astype(np.float32).astype(np.float64)  # Arbin REAL columns
        table = pa.table(arrays)
        if writer is None:
            sink = open(path, "wb")  # noqa: SIM115 - closed below, shared with the CSV writer
            sink.write((",".join(ARBIN_COLUMNS) + "\n").encode())  # unquoted, as Arbin writes
            options = pacsv.WriteOptions(include_header=False, quoting_style="none")
            writer = pacsv.CSVWriter(sink, table.schema, write_options=options)
        writer.write_table(table)
    assert writer is not None and sink is not None
    writer.close()
    sink.close()
    return point - 1


_WRAP = """
import resource, sys, time
PATH = {path!r}
_t0 = time.perf_counter()
{code}
_work = time.perf_counter() - _t0
print("RESULT", _work, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
      [None if v is None else float(v) for v in out])
"""


def run(name: str, path: Path, repeats: int, timeout_s: float) -> dict[str, object]:
    """Best of ``repeats`` runs, each in a fresh subprocess; peak RSS is the max over the runs."""
    python, code = CONTENDERS[name]
    exe = python or sys.executable
    if not Path(exe).exists():
        return {"name": name, "error": f"{exe} not installed"}
    best: dict[str, object] | None = None
    for _ in range(repeats):
        warm(path)
        try:
            done = subprocess.run(
                [exe, "-c", _WRAP.format(path=str(path), code=code)],
                capture_output=True,
                text=True,
                check=False,
                timeout=timeout_s,
            )
        except subprocess.TimeoutExpired:
            return {"name": name, "error": f"timed out after {timeout_s:.0f} s"}
        line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
        if done.returncode or line is None:
            return {"name": name, "error": (done.stderr.strip().splitlines() or ["?"])[-1]}
        _, work, rss, result = line.split(" ", 3)
        row = {"name": name, "work_s": float(work), "peak_rss_MB": float(rss)}
        row["result"] = json.loads(result.replace("None", "null"))
        if best is None:
            best = row
        else:
            best["peak_rss_MB"] = max(best["peak_rss_MB"], row["peak_rss_MB"])  # type: ignore[type-var]
            best["work_s"] = min(best["work_s"], row["work_s"])  # type: ignore[type-var]
    assert best is not None
    return best


def warm(path: Path) -> None:
    """Read the file once so every run starts from a warm page cache."""
    with open(path, "rb") as handle:
        while handle.read(1 << 24):
            pass


def agreement(result: list[float | None]) -> str:
    """Compare cycle 2's capacities with the generator's analytic values (relative 1e-6)."""
    if result[1] is None:
        return "—"
    truth = analytic_capacities_mAh(2)
    ok = all(abs(got - want) <= 1e-6 * want for got, want in zip(result[1:], truth, strict=True))  # type: ignore[operator]
    return f"{'yes' if ok else 'NO'} ({int(result[0])} cycles, {result[1]:.6f}/{result[2]:.6f} mAh)"  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument("--rows-per-cycle", type=int, default=10000)
    parser.add_argument("--path", default="/tmp/anodelab_bench_CH1.csv")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--only", nargs="*", default=None, help="contender names to run")
    args = parser.parse_args()
    path = Path(args.path)
    if not path.exists():
        t = time.perf_counter()
        rows = generate(path, args.cycles, args.rows_per_cycle)
        size_MB = path.stat().st_size / 1e6
        print(f"generated {rows:,} rows, {size_MB:.0f} MB in {time.perf_counter() - t:.1f} s")
    results = []
    for name in CONTENDERS if args.only is None else args.only:
        results.append(run(name, path, args.repeats, args.timeout))
        print(json.dumps(results[-1]), flush=True)
    times = {r["name"]: r["work_s"] for r in results if "work_s" in r}
    floor = times.get("pyarrow read_csv, 7 columns (floor)")
    ours = times.get("anodelab summarize_cycler_file")
    print(
        "\n| contender | work (s) | vs pyarrow floor | vs anodelab stream | peak RSS (MB) | cycle 2 = analytic? |"
    )
    print("|---|---|---|---|---|---|")
    for r in results:
        if "work_s" not in r:
            print(f"| {r['name']} | — | — | — | — | failed: {r['error']} |")
            continue
        w = r["work_s"]
        ratio = f"{w / floor:.2f}×" if floor else "—"
        speed = f"{w / ours:.2f}×" if ours else "—"
        check = agreement(r["result"])  # type: ignore[arg-type]
        print(f"| {r['name']} | {w:.2f} | {ratio} | {speed} | {r['peak_rss_MB']:.0f} | {check} |")


if __name__ == "__main__":
    main()
