"""Concurrency stress (issue 19, item 4): 4 writer processes and 2 reader processes on one KB.

Every writer runs its own list of ``import-table``, ``import-run``, ``record`` and
``campaign status`` commands; some commands are given to every writer at once (the same table,
the same run, the same status change), so that a read-decide-write outside the write
transaction would show as a duplicate.  The readers check, over and over, that every active
import's rows are all there (never a half-written import).  The result must equal a serial
replay of the same commands: 0 lost, 0 duplicated, the same histories.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import anodelab
from anodelab.campaign import new_campaign
from anodelab.kb import campaigns as store

ROOT = Path(__file__).resolve().parents[2]
WRITERS, READERS = 4, 2

WRITER = """
import json, sys
from anodelab.cli import main
failures = []
for args in json.loads(sys.argv[1]):
    code = main(args)
    if code != 0:
        failures.append([args, code])
print(json.dumps(failures))
"""

READER = """
import json, sqlite3, sys, time, os
db, stop = sys.argv[1], sys.argv[2]
reads, torn = 0, []
while not os.path.exists(stop):
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=60)
    try:
        conn.execute("BEGIN")  # one snapshot for both queries
        stored = dict(conn.execute(
            "SELECT import_id, COUNT(*) FROM measurements WHERE import_id IS NOT NULL GROUP BY import_id"))
        for import_id, n_rows, summary in conn.execute(
                "SELECT id, n_rows, summary_json FROM imports WHERE status = 'ok'"):
            expected = json.loads(summary)["counts"].get("measurements", 0) if summary else None
            if expected is not None and stored.get(import_id, 0) != expected:
                torn.append([import_id, stored.get(import_id, 0), expected])
        writing = conn.execute("SELECT COUNT(*) FROM imports WHERE status = 'writing'").fetchone()[0]
        if writing:
            torn.append(["writing", writing])
        conn.execute("COMMIT")
        reads += 1
    except sqlite3.OperationalError as exc:
        torn.append(["error", str(exc)])
    finally:
        conn.close()
    time.sleep(0.05)
print(json.dumps({"reads": reads, "torn": torn}))
"""

SOURCES = "source,kind,doi,title,year\nk1,paper,10.1/k1,Concurrency,2025\n"
SAMPLES = "source,sample,family,kind\n" + "".join(f"k1,S{i},fam,material\n" for i in range(40))
SPACE = """name: cc
parameters:
  pitch_wt_pct: {type: continuous, bounds: [0, 50], unit: wt%}
objectives:
  - {property: ICE, goal: maximize}
"""


def _table(samples: range, cycles: int = 5) -> str:
    return "source,sample,property,value,unit,conditions\n" + "".join(
        f"k1,S{i},{prop},{value + i + c},mAh/g,cycle={c}\n"
        for i in samples
        for c in range(1, cycles + 1)
        for prop, value in (("discharge_capacity", 2000), ("charge_capacity", 1600))
    )


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[list[list[str]]]]:
    """The base KB and each writer's commands ({db} stands for the KB path)."""
    folder = tmp_path_factory.mktemp("concurrency")
    (folder / "sources.csv").write_text(SOURCES)
    (folder / "samples.csv").write_text(SAMPLES)
    (folder / "space.yaml").write_text(SPACE)
    (folder / "shared.csv").write_text(_table(range(36, 40)))
    lines = (ROOT / "examples" / "cycling_half_cell.csv").read_text().splitlines()[:1500]
    (folder / "cycling.csv").write_text("\n".join(lines) + "\n")
    db = folder / "base.db"
    kb = anodelab.open(db, create=True)
    kb.import_table(folder / "sources.csv")
    kb.import_table(folder / "samples.csv")
    campaign = new_campaign(kb.db, folder / "space.yaml")
    store.add_proposals(kb.db, campaign["id"], [
        {"parameters": {"pitch_wt_pct": 5.0 * p}, "strategy": "test", "predictions": {}} for p in range(9)
    ])  # fmt: skip
    kb.close()
    writers = []
    for w in range(WRITERS):
        commands = []
        for t in range(3):  # own tables: samples 9w+3t … (no overlap between writers)
            path = folder / f"m{w}_{t}.csv"
            path.write_text(_table(range(9 * w + 3 * t, 9 * w + 3 * t + 3)))
            commands.append(["import-table", str(path), "--db", "{db}"])
        commands.append(["import-table", str(folder / "shared.csv"), "--db", "{db}"])  # everyone
        commands.append(["import-run", str(folder / "cycling.csv"), "--kind", "cycling", "--mass",
                         "2mg", "--sample", f"R{w}", "--source", "lab", "--db", "{db}"])  # fmt: skip
        commands.append(["import-run", str(folder / "cycling.csv"), "--kind", "cycling", "--mass",
                         "2mg", "--sample", "Rshared", "--source", "lab", "--db", "{db}"])  # fmt: skip
        commands.append(["record", f"cc-p{w + 1}", f"ICE={80 + w}%", "--db", "{db}"])
        commands.append(["campaign", "status", f"cc-p{w + 5}", "running", "--db", "{db}"])
        # every writer: one proposed → running event, not four (a status read before the write
        # lock let each of them log it)
        commands.append(["campaign", "status", "cc-p9", "running", "--db", "{db}"])
        writers.append(commands)
    return db, writers


def _canonical(db: Path) -> dict[str, object]:
    """What the KB holds, independent of ids and of the order the writers happened to run in."""
    conn = sqlite3.connect(db)
    try:
        values = sorted(conn.execute(
            """SELECT src.key, s.label, m.property, round(m.value, 9), m.origin,
                      (SELECT group_concat(name || '=' || COALESCE(value, text_value), ';')
                       FROM (SELECT * FROM measurement_conditions mc WHERE mc.measurement_id = m.id
                             ORDER BY name))
               FROM measurements m JOIN samples s ON s.id = m.sample_id
               JOIN sources src ON src.id = m.source_id"""
        ).fetchall(), key=repr)  # fmt: skip
        imports = sorted(conn.execute(
            # not n_rows: it counts the source record too, and which run of the lab's source
            # comes first (and defines it) depends on the order the writers happened to run in
            "SELECT dataset, status, content_sha256 FROM imports"
        ).fetchall(), key=repr)  # fmt: skip
        statuses = sorted(conn.execute("SELECT sample, status FROM proposals").fetchall(), key=repr)
        events = sorted(conn.execute(
            """SELECT p.sample, e.from_status, e.to_status FROM proposal_events e
               JOIN proposals p ON p.id = e.proposal_id"""
        ).fetchall(), key=repr)  # fmt: skip
        checks = sorted(conn.execute(
            "SELECT ch.rule, s.label, ch.status, round(ch.recomputed, 6) FROM checks ch "
            "JOIN samples s ON s.id = ch.sample_id"
        ).fetchall(), key=repr)  # fmt: skip
        samples = sorted(conn.execute("SELECT label FROM samples").fetchall(), key=repr)
    finally:
        conn.close()
    return {"values": values, "imports": imports, "statuses": statuses, "events": events,
            "checks": checks, "samples": samples}  # fmt: skip


def _commands_for(commands: list[list[str]], db: Path) -> str:
    return json.dumps([[a.replace("{db}", str(db)) for a in args] for args in commands])


@pytest.mark.slow
def test_four_writers_two_readers_equal_a_serial_replay(setup, tmp_path: Path) -> None:
    base, writers = setup
    serial = tmp_path / "serial.db"
    shutil.copy(base, serial)
    every = [args for commands in writers for args in commands]
    out = subprocess.run([sys.executable, "-c", WRITER, _commands_for(every, serial)],
                         capture_output=True, text=True, check=True, cwd=ROOT)  # fmt: skip
    assert json.loads(out.stdout.splitlines()[-1]) == []

    db = tmp_path / "concurrent.db"
    shutil.copy(base, db)
    stop = tmp_path / "stop"
    readers = [
        subprocess.Popen([sys.executable, "-c", READER, str(db), str(stop)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        for _ in range(READERS)
    ]  # fmt: skip
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, _commands_for(commands, db)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        for commands in writers
    ]  # fmt: skip
    failures = []
    for proc in procs:
        out, err = proc.communicate(timeout=1200)
        assert proc.returncode == 0, err[-3000:]
        failures += json.loads(out.splitlines()[-1])
    stop.touch()
    reads = []
    for proc in readers:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
        reads.append(json.loads(out.splitlines()[-1]))
    assert failures == []
    assert all(r["torn"] == [] for r in reads), reads
    assert all(r["reads"] > 0 for r in reads)

    concurrent, replay = _canonical(db), _canonical(serial)
    for part in replay:
        assert concurrent[part] == replay[part], f"{part} differs from the serial replay"
    # the shared table and the shared run: one active import each, whoever came first
    datasets = [d for d, status, *_ in concurrent["imports"] if status == "ok"]
    assert len(datasets) == len(set(datasets))
    running = [e for e in concurrent["events"] if e[0] == "cc-p9" and e[2] == "running"]
    assert running == [("cc-p9", "proposed", "running")]
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    print(
        f"{len(every)} commands by {WRITERS} writers; reads per reader: {[r['reads'] for r in reads]}"
    )
