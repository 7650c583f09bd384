"""``anodelab forecast SAMPLE|CAMPAIGN``: the capacity at a late cycle from the cycles run so far."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

import anodelab
from anodelab.cli.common import DbOption, JsonOption, console, db_path, frame_records, print_json

__all__ = ["register", "forecast"]


def _fmt(value: float, digits: int = 0) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def forecast(
    target: Annotated[str, typer.Argument(help="A KB sample, or a campaign (every running cell).")],
    cycle: Annotated[int, typer.Option("--cycle", help="Cycle whose capacity is forecast.")] = 500,
    property: Annotated[
        str, typer.Option("--property", help="Per-cycle capacity property stored in the KB.")
    ] = "discharge_capacity",
    train_on: Annotated[
        str,
        typer.Option(
            "--train-on",
            help="kb: calibrate on the KB's completed curves; virtual: on synthetic virtual cells; "
            "none: per-cell fit only (uncalibrated).",
        ),
    ] = "kb",
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write a figure (PNG/SVG/PDF) to this path.")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Forecast the capacity at --cycle of a sample's partial curve (or a campaign's cells), with a
    90 % interval calibrated on completed curves (docs/early-prediction.md).

    Example: `anodelab forecast cell-A --cycle 500 --train-on virtual --plot forecast.png`.
    """
    from anodelab.forecast import forecast_target

    with anodelab.open(db_path(db)) as kb:
        table, info, curves = forecast_target(
            kb, target, target_cycle=cycle, capacity=property, train_on=train_on
        )
    if plot is not None:
        from anodelab.plots.forecast import plot_forecast

        fig = plot_forecast(curves, table, cycle, property)
        fig.savefig(plot, dpi=150)
    if as_json:
        print_json({"info": info, "forecasts": frame_records(table)})
        return
    label = property.replace("_", " ")
    title = f"{label} at cycle {cycle} — {info['kind']} {target}"
    out = Table(title=escape(title))
    for col in ("sample", "cycles seen", "now", "forecast", "90 % interval", "fit only", "knee at",
                "advice"):  # fmt: skip
        out.add_column(col)
    last = curves.sort_values("cycle").groupby("sample")[property].last()
    for row in table.itertuples():
        out.add_row(
            escape(str(row.sample)),
            str(int(row.cycles_seen)),
            _fmt(float(last.get(row.sample, math.nan))),
            _fmt(row.capacity_mean),
            f"{_fmt(row.capacity_lower)} – {_fmt(row.capacity_upper)}",
            _fmt(row.fit_only_mean),
            _fmt(row.knee_cycle),
            escape(str(row.advice)),
        )
    console.print(out)
    if not table["calibrated"].all():
        why = info.get("why_uncalibrated", "")
        console.print(
            f"[yellow]uncalibrated: {escape(why)}; the interval is the per-cell fit's own and is too "
            "narrow far beyond the data (try --train-on virtual for a first look)[/]"
        )
    elif "trained_on" in info:
        console.print(f"calibrated on {escape(str(info['trained_on']))}")
    if plot is not None:
        console.print(f"figure written to {escape(str(plot))}")


def register(app: typer.Typer) -> None:
    app.command("forecast")(forecast)
