"""Benchmark: load + per-cycle summary of a large cycler CSV, anodelab vs baselines.

Generates an Arbin-style anode half-cell CSV (default 1,000 cycles, ~10 M rows) in /tmp, then runs
each contender in its own subprocess and reports wall time and peak RSS (ru_maxrss of the child):

* ``anodelab``   : ``read_cycler`` (sniff, pyarrow parse of the needed columns, sign check, steps,
                   cycles, sha256 of the file) + ``cycle_summary``;
* ``pandas``     : ``pandas.read_csv(engine="pyarrow")`` + groupby of the capacity columns;
* ``pyarrow``    : bare ``pyarrow.csv.read_csv`` of the same columns (the practical floor).

Usage: ``.venv/bin/python bench/cycler_bench.py [--cycles 1000] [--rows-per-cycle 10000]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

CONTENDERS = {
    "anodelab": """
from anodelab.ingest.readers import read_cycler
from anodelab.echem.cycling import cycle_summary
f = read_cycler(PATH)
s = cycle_summary(f)
out = (len(s), float(s['discharge_capacity_mAh'].iloc[1]))
""",
    "pandas": """
import pandas as pd
d = pd.read_csv(PATH, engine='pyarrow', usecols=['Test_Time(s)','Current(A)','Voltage(V)','Cycle_Index','Charge_Capacity(Ah)','Discharge_Capacity(Ah)'])
g = d.groupby('Cycle_Index')[['Charge_Capacity(Ah)','Discharge_Capacity(Ah)']].max()
out = (len(g), float(g['Discharge_Capacity(Ah)'].iloc[1]) * 1000)
""",
    "pyarrow": """
import pyarrow.csv as c
t = c.read_csv(PATH, convert_options=c.ConvertOptions(include_columns=['Test_Time(s)','Current(A)','Voltage(V)','Cycle_Index','Step_Index','Charge_Capacity(Ah)','Discharge_Capacity(Ah)']))
out = (t.num_rows, 0.0)
""",
}


def generate(path: Path, cycles: int, rows_per_cycle: int) -> int:
    """Write the CSV in chunks of 50 cycles (constant-current lithiation/delithiation + rests)."""
    half = rows_per_cycle // 2 - 5
    writer = None
    point = 0
    t0 = 0.0
    for chunk in range(0, cycles, 50):
        cols: dict[str, list[np.ndarray]] = {
            k: []
            for k in (
                "Data_Point",
                "Test_Time(s)",
                "Step_Index",
                "Cycle_Index",
                "Current(A)",
                "Voltage(V)",
                "Charge_Capacity(Ah)",
                "Discharge_Capacity(Ah)",
            )
        }
        for n in range(chunk + 1, min(chunk + 50, cycles) + 1):
            q = 2e-3 * (1 - 2e-4 * n)
            for step, (sign, count) in enumerate(((0, 5), (-1, half), (0, 5), (1, half)), start=1):
                dt = (q / 1e-3 * 3600 / count) if sign else 60.0
                t = t0 + dt * np.arange(count)
                t0 = t[-1] + dt
                frac = np.linspace(0, 1, count)
                volts = (
                    0.8 - 0.7 * frac
                    if sign < 0
                    else (0.1 + 0.8 * frac if sign > 0 else np.full(count, 0.5))
                )
                volts = volts + np.random.default_rng(n).normal(0, 2e-4, count)
                cols["Data_Point"].append(np.arange(point, point + count))
                point += count
                cols["Test_Time(s)"].append(t)
                cols["Step_Index"].append(np.full(count, step))
                cols["Cycle_Index"].append(np.full(count, n))
                cols["Current(A)"].append(np.full(count, sign * 1e-3))
                cols["Voltage(V)"].append(volts)
                qd = (
                    q * frac
                    if sign < 0
                    else (np.full(count, q) if sign > 0 or step == 3 else np.zeros(count))
                )
                qc = q * 0.99 * frac if sign > 0 else np.zeros(count)
                cols["Discharge_Capacity(Ah)"].append(qd)
                cols["Charge_Capacity(Ah)"].append(qc)
        table = pa.table({k: np.concatenate(v) for k, v in cols.items()})
        if writer is None:
            writer = pacsv.CSVWriter(str(path), table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()
    return point


def run(name: str, path: Path) -> dict[str, float | str]:
    code = f"import time; PATH={str(path)!r}; _t0=time.perf_counter()\n{CONTENDERS[name]}\nprint(time.perf_counter()-_t0, out)"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode:
        return {"name": name, "error": done.stderr[-500:]}
    inner, _, result = done.stdout.strip().partition(" ")
    return {
        "name": name,
        "process_s": wall,
        "work_s": float(inner),
        "peak_rss_MB": max(rss, before) / 1024,
        "result": result,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument("--rows-per-cycle", type=int, default=10000)
    parser.add_argument("--path", default="/tmp/anodelab_cycler_bench.csv")
    args = parser.parse_args()
    path = Path(args.path)
    if not path.exists():
        t = time.perf_counter()
        rows = generate(path, args.cycles, args.rows_per_cycle)
        print(
            f"generated {rows:,} rows, {path.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - t:.1f} s"
        )
    results = []
    for name in (
        "pyarrow",
        "pandas",
        "anodelab",
    ):  # ru_maxrss of children is a running max: smallest first
        results.append(run(name, path))
        print(json.dumps(results[-1]))
    floor = results[0]["work_s"]
    for r in results:
        if "work_s" in r:
            print(
                f"{r['name']:>9}: {r['work_s']:.2f} s work, {r['process_s']:.2f} s process, peak RSS <= {r['peak_rss_MB']:.0f} MB, {r['work_s'] / floor:.2f}x pyarrow parse"
            )


if __name__ == "__main__":
    main()
