"""``make demo``: the main job on the embedded default, end to end.

1. build the knowledge base from the shipped literature (``anodelab init``);
2. print composition–performance relations and write their plots;
3. analyze an included raw cycler file and an EIS spectrum and store the results;
4. recommend the next batch of recipes with reasons.

Each step runs the same CLI command a researcher would type, so the demo doubles as a smoke test
of the command line.  Run ``python -m anodelab.demo --db anodelab.db --out demo-output``.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.rule import Rule

from anodelab.cli import main as cli

__all__ = ["run_demo", "EXAMPLES"]

EXAMPLES = (
    Path(__file__).resolve().parents[1] / "examples"
)  # the repository's examples/ (make demo)
console = Console()


def _run(args: list[str]) -> None:
    console.print(Rule(f"[bold]anodelab {shlex.join(args)}"))
    code = cli(args)
    if code != 0:
        raise SystemExit(f"demo step failed: anodelab {shlex.join(args)} (exit {code})")


def _kb_steps(db: Path, out: Path) -> list[list[str]]:
    return [
        ["init", "--db", str(db)],
        ["relate", "pitch", "ICE", "--db", str(db), "--cell-type", "half", "--plot", str(out / "pitch_vs_ice.png")],
        ["relate", "dopamine", "ICE", "--where", "T_carb=700", "--db", str(db), "--plot", str(out / "dopamine_vs_ice_700C.png")],
        ["relate", "T_carb", "I_D/I_G", "--where", "dopamine=10", "--db", str(db), "--plot", str(out / "tcarb_vs_raman.png")],
        ["relate", "pitch", "discharge_capacity", "--at", "cycle=500", "--at", "current_density=1A/g", "--db", str(db),
         "--plot", str(out / "pitch_vs_capacity_500cycles.png")],
    ]  # fmt: skip


def _analysis_steps(db: Path, out: Path) -> list[list[str]]:
    cycling = EXAMPLES / "cycling_half_cell.csv"
    eis = EXAMPLES / "eis_spectrum.csv"
    steps: list[list[str]] = []
    if cycling.exists():
        steps.append(
            [
                "analyze",
                str(cycling),
                "--kind",
                "cycling",
                "--mass",
                "1.2mg",
                "--plot",
                str(out / "cycling.png"),
            ]
        )
        steps.append(["import-run", str(cycling), "--kind", "cycling", "--sample", "demo-cell-1", "--source", "demo-lab",
                      "--mass", "1.2mg", "--db", str(db)])  # fmt: skip
    if eis.exists():
        steps.append(["analyze", str(eis), "--kind", "eis", "--plot", str(out / "nyquist.png")])
        steps.append(["import-run", str(eis), "--kind", "eis", "--sample", "demo-cell-1", "--source", "demo-lab",
                      "--db", str(db)])  # fmt: skip
    return steps


def _campaign_exists(db: Path, name: str) -> bool:
    if not db.exists():
        return False
    import anodelab
    from anodelab.kb.campaigns import get_campaign
    from anodelab.schema.errors import AnodelabError

    with anodelab.open(db) as kb:
        try:
            get_campaign(kb.db, name)
        except AnodelabError:
            return False
    return True


def _recommend_steps(db: Path, out: Path) -> list[list[str]]:
    space = EXAMPLES / "spaces" / "si_c_pitch.yaml"
    if not space.exists():
        return []
    steps = (
        []
        if _campaign_exists(db, "demo")
        else [["campaign", "new", str(space), "--name", "demo", "--db", str(db)]]
    )
    return [*steps, ["recommend", "demo", "--batch", "4", "--db", str(db)]]


def run_demo(db: Path, out: Path, *, log: Callable[..., None] = console.print) -> None:
    """Run every demo step; figures go to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    available = {name for name in _commands()}
    for group in (
        _kb_steps,
        _analysis_steps,
        _recommend_steps,
    ):  # each group sees the KB the previous left
        for args in group(db, out):
            if args[0] not in available:
                log(f"[yellow]skipping `anodelab {args[0]}`: not available in this build[/]")
                continue
            _run(args)
    log(Rule("[bold]done"))
    log(f"knowledge base: {db}   figures: {out}/")


def _commands() -> list[str]:
    import typer

    from anodelab.cli import app

    return list(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m anodelab.demo", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--db", type=Path, default=Path("anodelab.db"))
    parser.add_argument("--out", type=Path, default=Path("demo-output"))
    args = parser.parse_args(argv)
    run_demo(args.db, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
