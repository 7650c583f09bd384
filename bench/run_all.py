"""Run every benchmark of docs/performance.md, one after the other (``make bench``).

Peers are installed in their own virtual environments, never in the project's:

* cycler files: BEEP and cellpy (``bench/cycler_bench.py`` finds them through ``--only`` names and
  the venv paths it documents; missing peers are reported, not faked);
* EIS: impedance.py in ``$ANODELAB_PEER_PYTHON`` (default ``/work/venv-peers/bin/python``);
* optimization: BayBE and Ax in ``$ANODELAB_BENCH_PYTHON`` (default ``/work/venv-bench/bin/python``).

Each step prints its own table with ratios; this script only sequences them and reports which
steps could not run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(title: str, command: list[str]) -> bool:
    print(f"\n=== {title}: {' '.join(command)}", flush=True)
    return subprocess.call(command, cwd=HERE.parent) == 0


def main() -> int:
    peer = os.environ.get("ANODELAB_PEER_PYTHON", "/work/venv-peers/bin/python")
    bench = os.environ.get("ANODELAB_BENCH_PYTHON", "/work/venv-bench/bin/python")
    results = {
        "cycler files": run("cycler files", [sys.executable, str(HERE / "cycler_bench.py")]),
        "EIS fits": run(
            "EIS fits",
            [sys.executable, str(HERE / "eis_bench.py"), "--n", "50"]
            + (["--peer-python", peer] if Path(peer).exists() else []),
        ),
        "optimization latency": run(
            "optimization latency", ["bash", str(HERE / "optimization" / "latency_suite.sh")]
        )
        if Path(bench).exists()
        else run(
            "optimization latency (anodelab only)",
            [sys.executable, str(HERE / "optimization" / "latency.py"), "anodelab"],
        ),
    }
    print("\nsummary:", ", ".join(f"{k}: {'ok' if v else 'FAILED'}" for k, v in results.items()))
    print("sample-efficiency runs take hours: bash bench/optimization/run_all.sh")
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
