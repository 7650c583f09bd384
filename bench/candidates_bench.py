"""Large candidate tables end to end: time and peak memory of each stage, 10³ … 10⁶ rows.

    .venv/bin/python bench/candidates_bench.py                                  # 10³ 10⁴ 10⁵ 10⁶, 3 runs
    .venv/bin/python bench/candidates_bench.py --sizes 1000 100000 --repeats 5 --json out.json
    .venv/bin/python bench/candidates_bench.py --no-campaign                    # skip the KB / CLI stages

The candidate table is a realistic Si/C recipe space (names as in ``examples/spaces`` and the
virtual lab): ``pitch_wt_pct`` 0–50 in 0.1 steps, ``carbonization_temperature_C`` 600–1000 °C in
50 °C steps, ``dopamine_wt_pct`` 2–25 in 0.1 steps, ``coating_precursor`` ∈ {pitch, polydopamine,
none}: N distinct rows drawn from that 3.1 M-row grid (by index, the grid itself is never built),
written once to ``$TMPDIR/anodelab-candbench/``.  40 of them are "measured" by
:class:`anodelab.optimize.virtual_lab.VirtualSiCLab` (noisy, seed 0).

Each run is a fresh subprocess (so that peak memory is the stage's own); every stage's peak RSS
is read from ``/proc/self/status`` (VmHWM) after resetting it (``/proc/self/clear_refs``), and
reported as the peak during the stage and the growth over the RSS at its start.  Stages:

* ``load``: ``load_space`` of a YAML naming the CSV (read, rename, de-duplicate, check);
* ``violations``: ``Space.violations`` of the whole table again;
* ``propose 1 obj`` / ``propose 2 obj``: ``propose(..., q=4)`` with qLogNEI (capacity at 500
  cycles) and qLogNEHVI (capacity + ICE), split into the model fit, the untested-row filter, the
  acquisition optimisation (the greedy discrete search), the re-scoring of the batch, level
  exploration and the reasons (predictions, nearest measured recipes);
* with the campaign stages (default): ``campaign new`` (space file → KB), ``recommend`` (KB →
  training data → propose → stored proposals; 40 results and 4 pending proposals in the KB),
  ``record`` (one value), ``show`` (``campaign_summary``) and the KB file size.

Timings on a shared 2-core machine are noisy: the table prints medians of ``--repeats`` runs.
The chosen recipes are printed as a hash so runs before and after a change can be compared.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

PITCH = np.round(np.arange(0, 501) * 0.1, 1)  # 0 … 50 wt%
TEMPS = np.arange(600, 1001, 50).astype(float)  # 9 levels
DOPAMINE = np.round(2 + np.arange(0, 231) * 0.1, 1)  # 2 … 25 wt%
COATINGS = np.array(["pitch", "polydopamine", "none"])
GRID = len(PITCH) * len(TEMPS) * len(DOPAMINE) * len(COATINGS)
N_TRAIN = 40
OBJ_CAPACITY = {
    "property": "discharge_capacity",
    "at": {"cycle": 500, "current_density": "1 A/g"},
    "goal": "maximize",
}
OBJ_ICE = {"property": "initial_coulombic_efficiency", "goal": "maximize"}
WORK = Path(os.environ.get("TMPDIR", tempfile.gettempdir())) / "anodelab-candbench"


def candidate_table(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` distinct recipes of the grid, drawn by flat index (no Cartesian product in memory)."""
    rng = np.random.default_rng(seed)
    flat = np.sort(rng.choice(GRID, size=n, replace=False))
    flat, coat = np.divmod(flat, len(COATINGS))
    flat, dop = np.divmod(flat, len(DOPAMINE))
    pitch, temp = np.divmod(flat, len(TEMPS))
    return pd.DataFrame(
        {
            "pitch_wt_pct": PITCH[pitch],
            "carbonization_temperature_C": TEMPS[temp],
            "dopamine_wt_pct": DOPAMINE[dop],
            "coating_precursor": COATINGS[coat],
        }
    )


def files(n: int) -> tuple[Path, Path, Path]:
    """The candidate CSV and space / campaign YAML files for ``n`` rows (written once)."""
    WORK.mkdir(parents=True, exist_ok=True)
    csv = WORK / f"candidates_{n}.csv"
    if not csv.exists():
        candidate_table(n).to_csv(csv.with_suffix(".tmp"), index=False)
        csv.with_suffix(".tmp").rename(csv)
    space = WORK / f"space_{n}.yaml"
    space.write_text(
        f"name: bench{n}\ncandidates: {csv.name}\nparameters:\n"
        "  coating_precursor: {type: categorical, values: [pitch, polydopamine, none]}\n"
    )
    campaign = WORK / f"campaign_{n}.yaml"
    campaign.write_text(
        space.read_text()
        + "min_observations: 5\nobjectives:\n"
        + "".join(f"  - {json.dumps(o)}\n" for o in (OBJ_CAPACITY,))
    )
    return csv, space, campaign


# -- measuring ------------------------------------------------------------------------------
def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024.0  # MB
    return float("nan")


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


@contextmanager
def stage(out: dict, name: str):
    """Wall time and peak RSS (VmHWM, reset at the start) of one stage."""
    reset = _reset_peak()
    rss0 = _status("VmRSS")
    t0 = time.perf_counter()
    yield
    seconds = time.perf_counter() - t0
    peak = _status("VmHWM") if reset else float("nan")
    out[name] = {"s": seconds, "peak_mb": peak, "added_mb": peak - rss0}


class Parts:
    """Inclusive wall time of named functions inside ``propose``, by caller path."""

    def __init__(self) -> None:
        self.times: dict[str, float] = defaultdict(float)
        self.stack: list[str] = []
        self.undo: list = []

    def wrap(self, module, attr: str, label: str) -> None:
        original = getattr(module, attr)

        def timed(*args, **kwargs):
            self.stack.append(label)
            path = "/".join(self.stack)
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.times[path] += time.perf_counter() - t0
                self.stack.pop()

        setattr(module, attr, timed)
        self.undo.append((module, attr, original))

    def restore(self) -> None:
        for module, attr, original in reversed(self.undo):
            setattr(module, attr, original)
        self.undo.clear()


def _instrument() -> Parts:
    import importlib

    batch = importlib.import_module("anodelab.optimize.batch")
    candidates = importlib.import_module("anodelab.optimize.candidates")
    records = importlib.import_module("anodelab.optimize.records")
    space = importlib.import_module("anodelab.optimize.space")

    parts = Parts()
    parts.wrap(batch, "fit_outcome_models", "fit")
    parts.wrap(space, "_anti_join", "untested")
    parts.wrap(candidates, "_rows_in", "untested")  # once per proposal
    parts.wrap(candidates, "posterior_moments", "screen")  # the bounds' moments (lazy search)
    for attr, label in (
        ("optimize_batch", "optimize"),
        ("sequential_values", "rescore"),
        ("explore_converged_slots", "levels"),
        ("proposal_set", "reasons"),
        ("repair_batch", "repair"),
    ):
        parts.wrap(batch, attr, label)
    for attr in ("optimize_acqf_discrete", "lazy_greedy_search"):
        parts.wrap(candidates, attr, "acqf")
    parts.wrap(records, "nearest_recipes", "nearest")
    return parts


def _training(table: pd.DataFrame, features, objectives):
    from anodelab.optimize.objectives import assemble
    from anodelab.optimize.virtual_lab import VirtualSiCLab

    rng = np.random.default_rng(1)
    recipes = table.iloc[np.sort(rng.choice(len(table), N_TRAIN, replace=False))].copy()
    recipes["sample"] = [f"vl-{i}" for i in range(len(recipes))]
    recipes["source"] = "virtual-lab"
    meas = VirtualSiCLab(noise=True, random_state=0).measure(recipes, list(recipes["sample"]))
    return assemble(recipes, meas.drop(columns=["source"]), objectives.outcomes(), features)


def _digest(result) -> str:
    rows = json.dumps([p.parameters for p in result.proposals], sort_keys=True)
    return hashlib.sha256(rows.encode()).hexdigest()[:10]


def one_run(n: int, campaign: bool) -> dict:
    """Every stage once, in this process; returns ``{stage: {s, peak_mb, added_mb}, ...}``."""
    warnings.filterwarnings("ignore")
    from anodelab.models.threads import torch_threads
    from anodelab.optimize.batch import propose
    from anodelab.optimize.objectives import objectives_from_dict
    from anodelab.optimize.space import load_space

    csv, space_file, campaign_file = files(n)
    out: dict = {"rows": n, "csv_mb": csv.stat().st_size / 2**20}
    with stage(out, "load"):
        space = load_space(space_file)
    with stage(out, "violations"):
        bad = space.violations(space.candidates)
    assert not bad and len(space.candidates) == n, (len(bad), len(space.candidates))
    with torch_threads():  # what propose does; the warm-up import of BoTorch is not timed
        import botorch  # noqa: F401
    for label, objs, acq in (
        ("propose 1 obj", [OBJ_CAPACITY], "qLogNEI"),
        ("propose 2 obj", [OBJ_CAPACITY, OBJ_ICE], "qLogNEHVI"),
    ):
        objectives = objectives_from_dict({"objectives": objs})
        training = _training(space.candidates, space.features(), objectives)
        parts = _instrument()
        try:
            with stage(out, label):
                result = propose(space, objectives, training, q=4, seed=0)
        finally:
            parts.restore()
        assert result.strategy == acq, result.message
        out[label]["parts"] = dict(parts.times)
        out[label]["proposals"] = _digest(result)
        out[label]["recipes"] = [p.parameters for p in result.proposals]
        out[label]["acquisition"] = [p.acquisition_value for p in result.proposals]
        out[label]["message"] = result.message
    if campaign:
        out.update(_campaign_stages(n, campaign_file, space.candidates))
    return out


def _campaign_stages(n: int, campaign_file: Path, table: pd.DataFrame) -> dict:
    """``campaign new`` → 40 results + 4 pending proposals → ``recommend`` → ``record``."""
    import anodelab
    from anodelab.campaign import campaign_summary, new_campaign, recommend, record
    from anodelab.kb import campaigns as store
    from anodelab.optimize.virtual_lab import VirtualSiCLab

    out: dict = {}
    db_path = WORK / f"kb_{n}_{os.getpid()}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    kb = anodelab.open(db_path, create=True)
    try:
        with stage(out, "campaign new"):
            new_campaign(kb.db, campaign_file, name="bench")
        # setup (not timed): 40 measured recipes of the table as done proposals, 4 pending
        row = store.get_campaign(kb.db, "bench")
        rng = np.random.default_rng(1)
        picked = table.iloc[np.sort(rng.choice(len(table), N_TRAIN + 4, replace=False))]
        recipes = [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
                   for r in picked.to_dict("records")]  # fmt: skip
        ids = store.add_proposals(
            kb.db, row["id"], [{"parameters": r, "strategy": "setup"} for r in recipes]
        )
        truth = VirtualSiCLab(noise=True, random_state=0).truth(picked)
        noise = np.random.default_rng(0).normal(0, 15.0, len(picked))
        for pid, value in zip(ids[:N_TRAIN], truth["discharge_capacity"] + noise, strict=False):
            record(kb.db, pid, [f"discharge_capacity={float(value)!r}mAh/g"])
        with stage(out, "recommend"):
            records, result = recommend(kb.db, "bench", 4)
        out["recommend"]["proposals"] = _digest(result)
        out["recommend"]["message"] = result.message
        with stage(out, "record"):
            record(kb.db, records[0]["id"], ["discharge_capacity=900mAh/g"])
        with stage(out, "show"):
            campaign_summary(kb.db, "bench")
    finally:
        kb.close()
    out["kb_mb"] = sum(
        Path(f"{db_path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{db_path}{s}").exists()
    ) / 2**20  # fmt: skip
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    return out


# -- driver ---------------------------------------------------------------------------------
STAGES = ["load", "violations", "propose 1 obj", "propose 2 obj", "campaign new", "recommend",
          "record", "show"]  # fmt: skip
PARTS = [  # (column, caller paths summed)
    ("fit", ("fit",)),
    ("untested", ("untested", "optimize/untested")),
    ("screen", ("optimize/screen",)),
    ("acqf", ("optimize/acqf",)),
    ("rescore", ("rescore",)),
    ("levels", ("levels",)),
    ("reasons", ("reasons",)),
]


def _median(values: list[float]) -> float:
    values = [v for v in values if v == v]
    return statistics.median(values) if values else float("nan")


def summarize(runs: dict[int, list[dict]]) -> str:
    lines = [
        "| rows | stage | time (s), median | runs (s) | peak RSS (MB) | added (MB) |",
        "|---:|---|---:|---|---:|---:|",
    ]
    for n, results in runs.items():
        for name in STAGES:
            got = [r[name] for r in results if name in r]
            if not got:
                continue
            times = [g["s"] for g in got]
            lines.append(
                f"| {n:,} | {name} | {_median(times):.2f} | "
                + ", ".join(f"{t:.2f}" for t in times)
                + f" | {_median([g['peak_mb'] for g in got]):.0f}"
                + f" | {_median([g['added_mb'] for g in got]):.0f} |"
            )
    lines += ["", "propose, median seconds per part (`untested`: filtering the untested rows; "
              "`screen`: posterior moments at every row, for the bounds; `acqf`: the greedy "
              "discrete search of the batch; level exploration runs searches of its own):", ""]  # fmt: skip
    header = "| rows | objectives | " + " | ".join(p for p, _ in PARTS) + " | total | proposals |"
    lines += [header, "|" + "---:|" * (len(PARTS) + 3) + "---|"]
    for n, results in runs.items():
        for name in ("propose 1 obj", "propose 2 obj"):
            got = [r[name] for r in results if name in r]
            if not got:
                continue
            cells = [
                f"{_median([sum(g['parts'].get(p, 0.0) for p in paths) for g in got]):.2f}"
                for _, paths in PARTS
            ]
            digests = sorted({g["proposals"] for g in got})
            lines.append(
                f"| {n:,} | {name[-5:]} | " + " | ".join(cells)
                + f" | {_median([g['s'] for g in got]):.2f} | {', '.join(digests)} |"
            )  # fmt: skip
    extra = [(n, r) for n, rs in runs.items() for r in rs if "kb_mb" in r]
    if extra:
        lines.append("")
        for n in runs:
            sizes = [r["kb_mb"] for m, r in extra if m == n]
            if sizes:
                csv_mb = runs[n][0]["csv_mb"]
                lines.append(f"{n:,} rows: CSV {csv_mb:.1f} MB, KB file after the campaign "
                             f"stages {_median(sizes):.1f} MB")  # fmt: skip
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-campaign", action="store_true", help="skip the KB / CLI stages")
    parser.add_argument("--json", type=Path, help="write every run's figures here")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: one run
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(args.one, campaign=not args.no_campaign)))
        return 0
    runs: dict[int, list[dict]] = {}
    for n in args.sizes:
        files(n)  # generated once, outside the timed runs
        for r in range(args.repeats):
            cmd = [sys.executable, __file__, "--one", str(n)]
            cmd += ["--no-campaign"] if args.no_campaign else []
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode:
                print(done.stderr[-3000:], file=sys.stderr)
                return done.returncode
            result = json.loads(done.stdout.strip().splitlines()[-1])
            runs.setdefault(n, []).append(result)
            print(f"{n:,} rows, run {r + 1}: " + ", ".join(
                f"{k} {v['s']:.2f}s" for k, v in result.items() if isinstance(v, dict)
            ), flush=True)  # fmt: skip
            if args.json:
                args.json.write_text(json.dumps({str(k): v for k, v in runs.items()}, indent=1))
    print()
    print(summarize(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
