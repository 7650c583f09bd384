"""The worked examples of docs/how-to-import-a-table.md §5 (vocabulary) and §6 (rejects) run as
written: files are taken from the page, every `$ anodelab …` line is run, shown output lines that
carry no `…` must appear in the output."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

from anodelab.cli import main
from anodelab.ingest.mapping import mapping_from_dict
from anodelab.schema.vocabulary import use_user_terms

DOC = Path(__file__).resolve().parents[2] / "docs" / "how-to-import-a-table.md"
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)


def _section(number: int) -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"\n## {number}. ")
    end = text.find("\n## ", start + 5)
    return text[start : end if end > 0 else None]


def _run_console(block: str, capsys, cwd: Path) -> None:
    lines = block.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith("$ "):
            continue
        args = shlex.split(line[2:])
        expected = []
        for out in lines[i + 1 :]:
            if out.startswith("$ "):
                break
            expected.append(out)
        if args[0] != "anodelab":
            subprocess.run(args, cwd=cwd, check=True)
            continue
        capsys.readouterr()
        code = main(args[1:])
        assert code in (0, 3), line
        shown = capsys.readouterr().out
        flat = " ".join(shown.split())
        for out in expected:
            if "…" not in out and out.strip():
                assert " ".join(out.split()) in flat, (line, out)


@pytest.fixture()
def workdir(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ANODELAB_DB", str(tmp_path / "anodelab.db"))
    monkeypatch.setenv("COLUMNS", "250")
    yield tmp_path
    use_user_terms(())


def test_section_6_rejects_workflow_runs_as_written(workdir: Path, capsys) -> None:
    section = _section(6)
    name = re.search(r"`([\w.]+\.csv)`:\n", section).group(1)
    blocks = BLOCK.findall(section)
    (workdir / name).write_text(next(b for k, b in blocks if k == "csv"), encoding="utf-8")
    for kind, body in blocks:
        if kind == "console":
            _run_console(body, capsys, workdir)
    assert (workdir / "review_rejects.csv").exists()


def test_section_5_vocabulary_examples_run_as_written(workdir: Path, capsys) -> None:
    section = _section(5)
    for kind, body in BLOCK.findall(section):
        if kind == "console":
            _run_console(body, capsys, workdir)
        elif kind == "yaml":
            mapping = mapping_from_dict(yaml.safe_load(body))
            assert {t.name for t in mapping.terms} == {
                "plateau_capacity_low_v",
                "milling_speed_rpm",
            }
        elif kind == "python":
            exec(compile(body.replace('"kb.db"', repr(str(workdir / "py.db"))), "doc", "exec"), {})
