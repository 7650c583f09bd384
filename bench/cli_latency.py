"""Start-up latency of anodelab's everyday commands against sqlite-utils' CLI on the same KB.

Issue 21's budget: ``anodelab --help``, ``samples``, ``relate``, ``measurements``, ``record``,
``campaign show`` and ``import-run`` each within 1.5× of ``sqlite-utils rows KB samples``.  The
commands are run *interleaved* (one round = every command once, in order), so that a change of
machine load hits all of them alike, and the medians of the rounds are compared.  Wall-clock time
of a fresh process, as a user waits for it; CPU time (user + system of the child) is shown too,
since it is what load does not inflate.

    nice -n 10 .venv/bin/python bench/cli_latency.py --rounds 15

Prints a Markdown table (median wall s, median CPU s, ratio to sqlite-utils) and the load.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BUDGET = 1.5


def _prepare(folder: Path) -> Path:
    """A KB as `anodelab init` builds it, with one campaign and two manual proposals."""
    sys.path.insert(0, str(ROOT))
    import anodelab
    from anodelab.campaign import new_campaign
    from anodelab.kb import campaigns as store

    path = folder / "kb.db"
    anodelab.init(path).close()
    with anodelab.open(path) as kb:
        new_campaign(kb.db, ROOT / "examples" / "spaces" / "si_c_pitch.yaml", name="loop")
        cid = store.get_campaign(kb.db, "loop")["id"]
        store.add_proposals(kb.db, cid, [
            {"parameters": {"pitch_wt_pct": 30.0, "carbonization_temperature_C": 900.0, "dextrin_g": 1.5, "zif8_g": 1.0}, "strategy": "manual"},
        ])  # fmt: skip
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def commands(kb: Path) -> dict[str, list[str]]:
    anodelab = str(BIN / "anodelab")
    sqlite_utils = shutil.which("sqlite-utils", path=str(BIN)) or "sqlite-utils"
    cycling = str(ROOT / "examples" / "cycling_half_cell.csv")
    return {
        "sqlite-utils rows KB samples": [sqlite_utils, "rows", str(kb), "samples"],
        "anodelab --help": [anodelab, "--help"],
        "anodelab samples": [anodelab, "samples", "--db", str(kb)],
        "anodelab relate pitch ICE": [anodelab, "relate", "pitch", "ICE", "--db", str(kb)],
        "anodelab measurements ICE": [anodelab, "measurements", "ICE", "--db", str(kb)],
        "anodelab record loop-p1 ICE=74.5%": [anodelab, "record", "loop-p1", "ICE=74.5%", "--db", str(kb)],
        "anodelab campaign show loop": [anodelab, "campaign", "show", "loop", "--db", str(kb)],
        "anodelab import-run (cycling, proposal)": [anodelab, "import-run", cycling, "--kind", "cycling",
                                                    "--mass", "1.2mg", "--proposal", "loop-p1", "--db", str(kb)],
    }  # fmt: skip


def _time(command: list[str]) -> tuple[float, float]:
    """(wall s, CPU s of the child) for one run; a failing command stops the benchmark."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="anodelab-latency-"))
    try:
        cmds = commands(_prepare(folder))
        for command in cmds.values():  # warm the page cache and pint's definition cache
            _time(command)
        walls: dict[str, list[float]] = {name: [] for name in cmds}
        cpus: dict[str, list[float]] = {name: [] for name in cmds}
        load_before = os.getloadavg()[0]
        for _ in range(args.rounds):
            for name, command in cmds.items():
                wall, cpu = _time(command)
                walls[name].append(wall)
                cpus[name].append(cpu)
        load_after = os.getloadavg()[0]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    base = "sqlite-utils rows KB samples"
    base_wall, base_cpu = statistics.median(walls[base]), statistics.median(cpus[base])
    print(f"{args.rounds} interleaved rounds; 1-min load {load_before:.1f} → {load_after:.1f}; "
          f"{os.cpu_count()} cores\n")  # fmt: skip
    print(
        "| command | median wall (s) | × sqlite-utils | median CPU (s) | × sqlite-utils | within 1.5× |"
    )
    print("|---|---:|---:|---:|---:|:---:|")
    worst = 0.0
    for name in cmds:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        ratio_wall, ratio_cpu = wall / base_wall, cpu / base_cpu
        if name != base:
            worst = max(worst, ratio_wall)
        ok = "—" if name == base else ("yes" if ratio_wall <= BUDGET else "no")
        print(f"| `{name}` | {wall:.2f} | {ratio_wall:.2f} | {cpu:.2f} | {ratio_cpu:.2f} | {ok} |")
    print(f"\nworst ratio (wall): {worst:.2f} (budget {BUDGET})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
