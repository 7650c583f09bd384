"""Guards for the root-folder → ``anodelab.*`` mapping (see docs/development.md)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("schema", "kb", "ingest", "echem", "models", "optimize")


def run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return result.stdout.strip()


def test_importing_anodelab_loads_no_bare_folder_module() -> None:
    out = run(
        "import sys, anodelab, anodelab.api, anodelab.cli; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FOLDERS!r}))"
    )
    assert out == "[]"


def test_light_layers_never_import_torch() -> None:
    out = run(
        "import sys, anodelab.schema.vocabulary, anodelab.schema.units, anodelab.kb.query, anodelab.ingest.table_import; "
        "import anodelab.echem.results; print('torch' in sys.modules)"
    )
    assert out == "False"


def test_every_package_folder_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    mapping = config["tool"]["setuptools"]["package-dir"]
    found = set()
    for init in ROOT.rglob("__init__.py"):
        rel = init.parent.relative_to(ROOT)
        if rel.parts[0] in (".venv", "tests", "bench", "build", ".typecheck") or rel.parts[
            0
        ].startswith("."):
            continue
        top = rel.parts[0]
        prefix = "anodelab" if top == "anodelab" else f"anodelab.{top}"
        assert prefix in mapping, f"{top} is not mapped in [tool.setuptools.package-dir]"
        found.add(".".join([prefix, *rel.parts[1:]]))
    assert found <= listed, f"packages missing from pyproject: {sorted(found - listed)}"


def test_ruff_bans_bare_folder_imports() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    banned = config["tool"]["ruff"]["lint"]["flake8-tidy-imports"]["banned-api"]
    assert set(FOLDERS) <= set(banned)
