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
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

COLUMNS = [
    "Test_Time(s)",
    "Current(A)",
    "Voltage(V)",
    "Cycle_Index",
    "Step_Index",
    "Charge_Capacity(Ah)",
    "Discharge_Capacity(Ah)",
]
# name -> (python executable or None for this interpreter, code); each sets ``out``
CONTENDERS: dict[str, tuple[str | None, str]] = {
    "pyarrow read_csv (floor)": (
        None,
        f"""
import pyarrow.csv as c
t = c.read_csv(PATH, convert_options=c.ConvertOptions(include_columns={COLUMNS!r}))
out = (t.num_rows, 0.0)
""",
    ),
    "pyarrow open_csv stream": (
        None,
        f"""
import pyarrow as pa, pyarrow.csv as c
n = 0
for b in c.open_csv(PATH, read_options=c.ReadOptions(block_size=8 << 20),
        convert_options=c.ConvertOptions(include_columns={COLUMNS!r},
        column_types={{k: pa.float64() for k in {COLUMNS!r}}})):
    n += b.num_rows
out = (n, 0.0)
""",
    ),
    "pandas read_csv(pyarrow) + groupby": (
        None,
        """
import pandas as pd
d = pd.read_csv(PATH, engine='pyarrow', usecols=['Test_Time(s)','Current(A)','Voltage(V)','Cycle_Index','Charge_Capacity(Ah)','Discharge_Capacity(Ah)'])
g = d.groupby('Cycle_Index')[['Charge_Capacity(Ah)','Discharge_Capacity(Ah)']].max()
out = (len(g), float(g['Discharge_Capacity(Ah)'].iloc[1]) * 1000)
""",
    ),
    "anodelab read_cycler + analyze_cycling": (
        None,
        """
from anodelab.ingest.readers import read_cycler
from anodelab.echem.cycling import analyze_cycling
r = analyze_cycling(read_cycler(PATH))
out = (len(r.results['cycles']), r.results['cycles'][1]['discharge_capacity_mAh'])
""",
    ),
    "anodelab summarize_cycler_file": (
        None,
        """
from anodelab.ingest.readers import summarize_cycler_file
r = summarize_cycler_file(PATH)
assert r.options['file']['reader_path'] == 'streaming'
out = (len(r.results['cycles']), r.results['cycles'][1]['discharge_capacity_mAh'])
""",
    ),
    "BEEP ArbinDatapath.from_file + summarize_cycles": (
        "/work/venv-h1b-beep/bin/python",
        """
from beep.structure.arbin import ArbinDatapath
d = ArbinDatapath.from_file(PATH)
s = d.summarize_cycles(nominal_capacity=2e-3)
out = (len(s), float(s['discharge_capacity'].iloc[1]) * 1000)
""",
    ),
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
                "Date_Time",
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
                cols["Date_Time"].append(1.7e9 + t)
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


_WRAP = """
import resource, sys, time
PATH = {path!r}
_t0 = time.perf_counter()
{code}
_work = time.perf_counter() - _t0
print("RESULT", _work, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, out)
"""


def run(name: str, path: Path, repeats: int, timeout_s: float) -> dict[str, object]:
    """Best of ``repeats`` runs, each in a fresh subprocess; peak RSS is that child's ru_maxrss."""
    python, code = CONTENDERS[name]
    exe = python or sys.executable
    if not Path(exe).exists():
        return {"name": name, "error": f"{exe} not installed"}
    best: dict[str, object] | None = None
    for _ in range(repeats):
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
            return {
                "name": name,
                "error": done.stderr.strip().splitlines()[-1:] or done.stdout[-300:],
            }
        _, work, rss, result = line.split(" ", 3)
        row = {"name": name, "work_s": float(work), "peak_rss_MB": float(rss), "result": result}
        if best is None or row["work_s"] < best["work_s"]:  # type: ignore[operator]
            best = row
    assert best is not None
    return best


def warm(path: Path) -> None:
    """Read the file once so every contender starts from a warm page cache."""
    with open(path, "rb") as handle:
        while handle.read(1 << 24):
            pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument("--rows-per-cycle", type=int, default=10000)
    parser.add_argument("--path", default="/tmp/anodelab_cycler_bench.csv")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--only", nargs="*", default=None, help="contender names to run")
    args = parser.parse_args()
    path = Path(args.path)
    if not path.exists():
        t = time.perf_counter()
        rows = generate(path, args.cycles, args.rows_per_cycle)
        print(
            f"generated {rows:,} rows, {path.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - t:.1f} s"
        )
    results = []
    for name in args.only or CONTENDERS:
        warm(path)
        repeats = 1 if "BEEP" in name else args.repeats
        results.append(run(name, path, repeats, args.timeout))
        print(json.dumps(results[-1]), flush=True)
    times = {r["name"]: r["work_s"] for r in results if "work_s" in r}
    floor = times.get("pyarrow read_csv (floor)")
    ours = times.get("anodelab summarize_cycler_file")
    print(
        "\n| contender | work (s) | vs pyarrow read_csv | anodelab stream speed-up | peak RSS (MB) |"
    )
    print("|---|---|---|---|---|")
    for r in results:
        if "work_s" not in r:
            print(f"| {r['name']} | — | — | — | {r['error']} |")
            continue
        w = r["work_s"]
        ratio = f"{w / floor:.2f}×" if floor else "—"
        speed = f"{w / ours:.2f}×" if ours else "—"
        print(f"| {r['name']} | {w:.2f} | {ratio} | {speed} | {r['peak_rss_MB']:.0f} |")


if __name__ == "__main__":
    main()
