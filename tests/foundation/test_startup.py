"""Start-up budget: commands that fit or propose nothing never load torch, gpytorch or botorch.

Each command runs in a fresh interpreter (the only way to see what it imports); the timings
themselves live in bench/cli_latency.py and docs/performance.md, never in a test.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import anodelab
from anodelab.campaign import new_campaign
from anodelab.kb import campaigns as store

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "gpytorch", "botorch", "matplotlib")

# Run the CLI in-process of a fresh interpreter and report which heavy modules it loaded.
_PROBE = """
import importlib, json, os, sys
for name in filter(None, os.environ.get("PROBE_PRELOAD", "").split(",")):
    importlib.import_module(name)
from anodelab.cli import main
status = main(sys.argv[1:])
heavy = sorted({name.split(".")[0] for name in sys.modules} & set(HEAVY_NAMES))
print("\\n@@" + json.dumps({"status": status, "heavy": heavy}))
""".replace("HEAVY_NAMES", repr(HEAVY))


@pytest.fixture(scope="module")
def campaign_kb(shipped_kb, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = Path(tmp_path_factory.mktemp("startup")) / "kb.db"
    with sqlite3.connect(shipped_kb.path) as source, sqlite3.connect(path) as copy:
        source.backup(copy)
    with anodelab.open(path) as kb:
        new_campaign(kb.db, ROOT / "examples" / "spaces" / "si_c_pitch.yaml", name="loop")
        cid = store.get_campaign(kb.db, "loop")["id"]
        store.add_proposals(kb.db, cid, [{"parameters": {"pitch_wt_pct": 30.0, "carbonization_temperature_C": 900.0,
                                                          "dextrin_g": 1.5, "zif8_g": 1.0}, "strategy": "manual"}])  # fmt: skip
    return path


def _loaded(args: list[str], preload: str = "") -> dict:
    env = {**os.environ, "PROBE_PRELOAD": preload}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, timeout=300, env=env
    )
    assert "@@" in done.stdout, done.stderr[-2000:]
    return json.loads(done.stdout.rsplit("@@", 1)[1])


LIGHT_COMMANDS = {
    "help": ["--help"],
    "samples": ["samples"],
    "relate": ["relate", "pitch", "ICE"],
    "measurements": ["measurements", "ICE"],
    "campaign show": ["campaign", "show", "loop"],
    "record": ["record", "loop-p1", "ICE=74.5%"],
    "import-run": ["import-run", str(ROOT / "examples" / "cycling_half_cell.csv"), "--kind", "cycling",
                   "--mass", "1.2mg", "--proposal", "loop-p1"],
}  # fmt: skip


@pytest.mark.parametrize("name", list(LIGHT_COMMANDS))
def test_light_commands_never_import_torch(name: str, campaign_kb: Path) -> None:
    args = LIGHT_COMMANDS[name]
    found = _loaded(args if name == "help" else [*args, "--db", str(campaign_kb)])
    assert found["status"] == 0
    assert found["heavy"] == [], f"`anodelab {' '.join(args)}` imported {found['heavy']}"


def test_the_probe_sees_torch_when_it_is_loaded() -> None:
    """The probe can fail: with the GP module loaded first, torch must show up."""
    found = _loaded(["--help"], preload="anodelab.models.gp")
    assert found["status"] == 0 and {"torch", "gpytorch", "botorch"} <= set(found["heavy"])
