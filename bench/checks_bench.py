"""How the consistency checks scale with an import (issue 19, item 6).

Builds a KB, imports a 20 000-row measurements table (200 samples × 50 cycles × charge and
discharge capacity, so every sample gets an ICE check), then a 2-row table; for each import it
prints the CPU time of the whole import (and its wall time) and of the checks it ran, next to
what recomputing the checks of the whole KB costs at that point (what every import paid before).

    .venv/bin/python bench/checks_bench.py [--rows 20000] [--background 20000]

``--background`` first imports that many rows under another source, so the KB is larger than
the import (the case where an O(KB) step shows).  Run under ``nice -n 10`` and note ``uptime``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import anodelab
from anodelab.kb import checks, write
from anodelab.kb.checks import run_checks


def _tables(folder: Path, source: str, rows: int, tag: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    n_samples = max(1, rows // 100)
    (folder / "sources.csv").write_text(f"source,kind,title,year\n{source},paper,{tag},2025\n")
    (folder / "samples.csv").write_text(
        "source,sample,family,kind\n"
        + "".join(f"{source},{tag}{i},fam,material\n" for i in range(n_samples))
    )
    lines = ["source,sample,property,value,unit,conditions"]
    for i in range(n_samples):
        for cycle in range(1, 51):
            fade = 1 - 0.002 * (cycle - 1)
            lines.append(
                f"{source},{tag}{i},discharge_capacity,{2000 * fade:.1f},mAh/g,cycle={cycle}"
            )
            lines.append(f"{source},{tag}{i},charge_capacity,{1600 * fade:.1f},mAh/g,cycle={cycle}")
    (folder / "measurements.csv").write_text("\n".join(lines[: rows + 1]) + "\n")
    return [folder / "sources.csv", folder / "samples.csv", folder / "measurements.csv"]


class _Timer:
    """CPU time spent in run_checks during one import (CPU, not wall: the machine is shared)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.original = write.run_checks

    def __enter__(self) -> _Timer:
        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            start = time.process_time()
            try:
                return self.original(*args, **kwargs)
            finally:
                self.seconds += time.process_time() - start

        write.run_checks = timed  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        write.run_checks = self.original  # type: ignore[assignment]


def _import(kb: anodelab.KnowledgeBase, path: Path, label: str) -> None:
    with _Timer() as timer:
        start, wall = time.process_time(), time.perf_counter()
        report = kb.import_table(path)
        total, wall = time.process_time() - start, time.perf_counter() - wall
    n = report.to_dict()["counts"]["measurements"]
    with kb.db.conn:  # what the whole-KB recomputation every import ran before costs now
        start = time.process_time()
        kb.db.execute("SAVEPOINT full_checks")
        run_checks(kb.db)
        kb.db.execute("ROLLBACK TO full_checks")
        kb.db.execute("RELEASE full_checks")
        full = time.process_time() - start
    values = kb.db.execute("SELECT COUNT(*) FROM measurements").fetchone()[0]
    print(
        f"{label:<24} {n:>6} rows  import {total:6.2f} s CPU ({wall:6.1f} s wall)  its checks "
        f"{timer.seconds:6.3f} s CPU  (whole-KB checks now {full:6.2f} s CPU; KB holds {values} values)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--background", type=int, default=20_000)
    args = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.2f} (1 min), cores: {os.cpu_count()}")
    print(f"rules read: {', '.join(checks.CHECKED_PROPERTIES)}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        kb = anodelab.open(root / "kb.db", create=True)
        if args.background:
            for path in _tables(root / "bg", "bg", args.background, "B"):
                kb.import_table(path)
            print(f"background: {args.background} rows under source 'bg'")
        sources, samples, big = _tables(root / "big", "big", args.rows, "S")
        kb.import_table(sources)
        kb.import_table(samples)
        _import(kb, big, "large import")
        small = root / "small" / "small.csv"  # another dataset: it must not replace the big one
        small.parent.mkdir()
        small.write_text(
            "source,sample,property,value,unit,conditions\n"
            "big,S0,capacity_retention,90,%,cycle=50\nbig,S0,fade_rate,0.2,%,cycle=50\n"
        )
        _import(kb, small, "small import after it")
        kb.close()


if __name__ == "__main__":
    main()
