"""``anodelab campaign new|show|status|list`` and ``record``: a campaign and its results
(``recommend`` and ``fit``: :mod:`anodelab.cli.loop`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from anodelab.cli.common import (
    AtOption,
    DbOption,
    JsonOption,
    console,
    db_path,
    frame_records,
    open_kb,
    print_frame,
    print_json,
    result_line,
    working,
)
from anodelab.export import EXPORT_FORMATS
from anodelab.schema.units import unit_label

__all__ = ["register"]

campaign_app = typer.Typer(
    help="Optimization campaigns: design space, objectives, proposals, results.",
    no_args_is_help=True,
)


@campaign_app.command("new")
def campaign_new(
    space: Annotated[
        Path, typer.Argument(help="Campaign YAML: parameters, constraints, objectives.")
    ],
    name: Annotated[
        str | None, typer.Option(help="Campaign name (default: the file's 'name' or stem).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed: same KB + same seed = same proposals.")] = 0,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a campaign from a design-space file (validated against the vocabulary)."""
    from anodelab.api import create_campaign

    with working(f"checking {space.name} against the vocabulary and storing the campaign …"):
        c = create_campaign(db_path(db), space, name=name, seed=seed)
    if as_json:
        print_json({k: c[k] for k in ("id", "name", "size", "parameters")})
        return
    size = "infinite (continuous)" if c["size"] == float("inf") else f"{c['size']:.0f}"
    console.print(
        f"campaign [bold]{c['name']}[/] (id {c['id']}): parameters {', '.join(c['parameters'])}; recipes: {size}"
    )
    console.print(f"next: anodelab recommend {c['name']} --batch 4")


@campaign_app.command("show")
def campaign_show(
    campaign: Annotated[str, typer.Argument(help="Campaign name or id.")],
    plot: Annotated[
        Path | None,
        typer.Option(help="Write the Pareto front (2+ objectives) or progress plot here."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the proposal table (recipe, predictions, results) to this .csv/.xlsx/.json/.parquet file.",
        ),
    ] = None,
    history: Annotated[
        bool, typer.Option(help="Also list every status change with its note.")
    ] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Progress, best result so far per objective, proposals (recipe, predicted and measured
    values) and their status."""
    from anodelab.export import write_export

    with open_kb(db, readonly=True) as kb:
        c = kb.campaign(campaign)
        s, table = c.summary(), c.table()
        if plot is not None and len(s["measured"]):
            c.plot(plot)
        forecasts = _running_forecasts(kb, campaign)
    if output is not None:
        write_export(table, output, _format_of(output))
    if as_json:
        print_json({"campaign": s["campaign"], "status_counts": s["status_counts"], "best": s["best"],
                    "proposals": frame_records(table),
                    **({"forecasts": frame_records(forecasts[0])} if forecasts else {}),
                    **({"history": frame_records(s["history"])} if history else {})})  # fmt: skip
        return
    console.print(
        f"[bold]{s['campaign']}[/]: {s['batches']} batch(es); "
        + ", ".join(f"{k} {v}" for k, v in s["status_counts"].items())
    )
    for key, b in s["best"].items():
        console.print(
            f"best {b.get('label', key)} ({b['goal']}): {b['value']:.4g}"
            f"{' ' + unit_label(b['unit']) if b['unit'] else ''} — {b['sample']}"
        )
    print_frame(_compact(table), title="proposals")
    if forecasts:
        fc, info = forecasts
        cols = [
            "sample",
            "cycles_seen",
            "capacity_mean",
            "capacity_lower",
            "capacity_upper",
            "advice",
        ]
        print_frame(
            fc[cols].round(1),
            title=f"cells still cycling: forecast at cycle {info['target_cycle']}",
        )
    if history:
        print_frame(s["history"].drop(columns=["id", "proposal_id"]), title="status changes")
    for label, path in (("plot", plot), ("table", output)):
        if path is not None:
            console.print(f"{label}: {path}")


def _running_forecasts(kb, campaign: str):
    """Forecast and stop advice for the cells still cycling (docs/early-prediction.md), or None."""
    from anodelab.forecast import campaign_forecasts

    return campaign_forecasts(kb, campaign)


def _compact(table: pd.DataFrame) -> pd.DataFrame:
    """The console view of a proposal table: the recipe, then per outcome "mean ± std" predicted
    and the measured value (a partial one with its cycle count), headed by property and unit."""
    outcomes = table.attrs.get("outcomes", {})
    properties = [o["property"] for o in outcomes.values()]
    base = ["id", "sample", "batch", "status"]
    recipe = [c for c in table.columns if c not in base and c not in ("strategy", "proposed_at")
              and not any(c.startswith(f"{k} ") for k in outcomes)]  # fmt: skip
    view = table[base].copy()
    for name in recipe:
        view[name] = [f"{v:.4g}" if isinstance(v, float) else v for v in table[name]]
    for key, o in outcomes.items():
        label = o["property"] if properties.count(o["property"]) == 1 else key
        unit = f" [{o['unit']}]" if o["unit"] else ""
        col = f"{key} {{}}{unit}".format
        view[f"{label} predicted{unit}"] = [
            "" if pd.isna(m) else f"{m:.4g} ± {s:.3g}"
            for m, s in zip(table[col("predicted")], table[col("std")], strict=True)
        ]
        measured = [
            "" if pd.isna(v) else f"{v:.4g}" + (f" (mean of {n})" if n > 1 else "")
            for v, n in zip(table[col("measured")], table[f"{key} n"], strict=True)
        ]
        if col("partial") in table:
            for i, (v, n) in enumerate(
                zip(table[col("partial")], table[f"{key} cycles"], strict=True)
            ):
                if not measured[i] and not pd.isna(v):
                    measured[i] = f"{v:.4g} ({int(n)} cycles)"
        view[f"{label} measured{unit}"] = measured
    return view


def _format_of(path: Path) -> str:
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in EXPORT_FORMATS:
        raise typer.BadParameter(
            f"{path}: the file's suffix gives the format, one of {', '.join(EXPORT_FORMATS)}"
        )
    return fmt


@campaign_app.command("status")
def campaign_status(
    proposal: Annotated[str, typer.Argument(help="Proposal id or sample name, e.g. demo-p3.")],
    status: Annotated[str, typer.Argument(help="running, abandoned or proposed.")],
    note: Annotated[
        str | None, typer.Option(help="Why, e.g. 'coating cracked during carbonization'.")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Mark a proposal running (made, now cycling), abandoned (will not be measured) or proposed
    again; done follows from recording its final results."""
    with open_kb(db) as kb:
        change = kb.set_status(proposal, status, note)
    if as_json:
        print_json(change)
        return
    same = " (unchanged)" if change["from"] == change["to"] else ""
    console.print(f"{change['sample']}: {change['from']} → {change['to']}{same}")


@campaign_app.command("list")
def campaign_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Every campaign with its number of proposals and of done ones."""
    with open_kb(db, readonly=True) as kb:
        frame = kb.campaigns()
    if as_json:
        print_json(frame_records(frame))
        return
    print_frame(frame, title="campaigns")


def record(
    proposal: Annotated[str, typer.Argument(help="Proposal id or sample name.")],
    values: Annotated[
        list[str],
        typer.Argument(help="PROPERTY=VALUE[unit], e.g. discharge_capacity=1050mAh/g ICE=86%"),
    ],
    at: AtOption = None,
    cycles: Annotated[
        int | None, typer.Option(help="Cycles completed so far (a partial long-cycling result).")
    ] = None,
    planned: Annotated[
        int | None, typer.Option(help="Cycles planned (default: the objective's cycle).")
    ] = None,
    note: Annotated[str | None, typer.Option(help="Free-text note kept with the result.")] = None,
    cell: Annotated[
        str | None,
        typer.Option(
            help="Replicate cell, e.g. c2: other cells are replicates, the same cell an update."
        ),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record measured values for a proposal (conditions default to the objective's)."""
    with working(f"recording {len(values)} value(s) for {proposal} …"), open_kb(db) as kb:
        rows = kb.record(
            proposal, *values, at=at, cycles_completed=cycles, cycles_planned=planned, note=note,
            cell=cell,
        )  # fmt: skip
    if as_json:
        print_json(rows)
        return
    for r in rows:
        console.print(f"recorded {result_line(r)}")


def register(app: typer.Typer) -> None:
    """Add ``campaign``, ``recommend``, ``record`` and ``fit`` to the main app."""
    from anodelab.cli.loop import fit, recommend

    app.add_typer(campaign_app, name="campaign")
    app.command("recommend")(recommend)
    app.command("record")(record)
    app.command("fit")(fit)
