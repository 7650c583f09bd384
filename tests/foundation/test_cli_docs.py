"""Every CLI command has help and a worked example in docs/cli.md."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from anodelab.cli import app, main

DOCS = Path(__file__).resolve().parents[2] / "docs"


def command_names() -> list[str]:
    group = typer.main.get_command(app)
    return sorted(group.commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", command_names())
def test_command_has_help_and_is_documented(name: str, capsys) -> None:
    assert main([name, "--help"]) == 0
    assert "Usage" in capsys.readouterr().out
    text = "\n".join(p.read_text(encoding="utf-8") for p in DOCS.glob("*.md"))
    assert f"anodelab {name}" in text, f"docs/ has no example of `anodelab {name}`"
