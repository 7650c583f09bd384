"""``anodelab campaign new|show|status|list``, ``recommend``, ``record``, ``fit``: the optimization loop.

``recommend --json`` prints the documented interface for scripts and lab robots (see
docs/optimization.md): a list of ``{"id", "sample", "parameters": {NAME: VALUE},
"predictions": {OUTCOME: {"mean", "std", "unit"}}, "reasons": {...}, ...}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.markup import escape

from anodelab.cli.common import (
    AtOption,
    DbOption,
    JsonOption,
    console,
    db_path,
    err_console,
    frame_records,
    print_frame,
    print_json,
    result_line,
)
from anodelab.export import EXPORT_FORMATS
from anodelab.schema.units import unit_label

__all__ = ["register"]

campaign_app = typer.Typer(
    help="Optimization campaigns: design space, objectives, proposals, results.",
    no_args_is_help=True,
)


def _kb(db: Path | None, *, readonly: bool = False):
    """The KB: read-only for commands that only read (no migration, no write lock)."""
    import anodelab

    return anodelab.open(db_path(db), readonly=readonly)


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

    with _kb(db, readonly=True) as kb:
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
    with _kb(db) as kb:
        change = kb.set_status(proposal, status, note)
    if as_json:
        print_json(change)
        return
    same = " (unchanged)" if change["from"] == change["to"] else ""
    console.print(f"{change['sample']}: {change['from']} → {change['to']}{same}")


@campaign_app.command("list")
def campaign_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Every campaign with its number of proposals and of done ones."""
    with _kb(db, readonly=True) as kb:
        frame = kb.campaigns()
    if as_json:
        print_json(frame_records(frame))
        return
    print_frame(frame, title="campaigns")


def recommend(
    campaign: Annotated[str, typer.Argument(help="Campaign name or id.")],
    batch: Annotated[int, typer.Option("--batch", "-q", help="Number of recipes to propose.")] = 4,
    seed: Annotated[
        int | None, typer.Option(help="Override the seed (default: campaign seed + batch number).")
    ] = None,
    fast: Annotated[
        bool, typer.Option(help="Smaller optimizer budget (quicker, a little worse).")
    ] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Propose the next batch of recipes, store them as proposals, print them with their reasons."""
    with (
        err_console.status(
            f"fitting surrogates and optimizing the acquisition for {batch} recipe(s) …"
        ),
        _kb(db) as kb,
    ):
        records, result = kb.campaign(campaign).recommend_with_result(
            batch, seed=seed, budget="fast" if fast else "default"
        )
    if as_json:
        print_json(records)
        return
    console.print(f"[bold]{result.strategy}[/]: {result.message}")
    for r in records:
        params = ", ".join(
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
            for k, v in r["parameters"].items()
        )
        console.print(f"\n[bold]proposal {r['id']}[/] ({r['sample']}): {params}")
        labels = {key: p.get("label") or key for key, p in r["predictions"].items()}
        for key, p in r["predictions"].items():
            unit = f" {unit_label(p['unit'])}" if p.get("unit") else ""
            console.print(f"  predicted {labels[key]}: {p['mean']:.4g} ± {p['std']:.3g}{unit}")
        reasons = r["reasons"]
        if "exploration" in reasons:
            console.print(f"  [yellow]exploration[/]: {reasons['exploration']['why']}")
        relative = reasons.get("exploration", {}).get("acquisition_is_relative_to")
        over = f" (over the {relative})" if relative else ""
        for key, label in (("expected_improvement", "expected improvement"),
                           ("expected_hypervolume_improvement", "expected hypervolume improvement")):  # fmt: skip
            if key in reasons:
                unit = f" {reasons['improvement_unit']}" if reasons.get("improvement_unit") else ""
                console.print(f"  {label}{over}: {reasons[key]:.3g}{unit}")
        for text, prob in reasons.get("constraint_probability", {}).items():
            console.print(f"  P({text}) = {prob:.2f}")
        for n in reasons.get("nearest_measured", [])[:2]:
            meas = ", ".join(
                f"{labels.get(k, k)} {v['mean']:.4g}" for k, v in n["measured"].items()
            )
            console.print(
                f"  near {n['sample']} ({n['source']}, distance {n['distance']:.2f}): {meas}"
            )
        for key, imp in list(reasons.get("parameter_importance", {}).items())[:2]:
            top = ", ".join(f"{k} {v:.0%}" for k, v in list(imp.items())[:3])
            console.print(f"  drivers of {labels.get(key, key)}: {top}")
    _print_missing(
        result.missing,
        "\n{} sample(s) not used for training (see --json or `anodelab fit`); reasons:",
    )


def _print_missing(missing: pd.DataFrame, heading: str) -> None:
    """Count the samples the training data could not use, by reason (``heading`` takes the count)."""
    if len(missing):
        console.print(heading.format(missing["sample"].nunique()))
        for reason, n in missing.groupby("reason")["sample"].nunique().items():
            console.print(f"  {n} × {escape(str(reason))}")


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
    with _kb(db) as kb:
        rows = kb.record(
            proposal, *values, at=at, cycles_completed=cycles, cycles_planned=planned, note=note,
            cell=cell,
        )  # fmt: skip
    if as_json:
        print_json(rows)
        return
    for r in rows:
        console.print(f"recorded {result_line(r)}")


def fit(
    property: Annotated[str, typer.Argument(help="Property name or synonym, e.g. ICE.")],
    at: AtOption = None,
    space: Annotated[
        Path | None, typer.Option(help="Use the free parameters of this space as inputs.")
    ] = None,
    inputs: Annotated[
        list[str] | None,
        typer.Option(
            "--inputs",
            help="A recipe parameter to use as input (repeatable); recipes that lack one are "
            "left out. Default: the parameters every measured recipe has.",
        ),
    ] = None,
    model: Annotated[
        str, typer.Option(help="gp (BoTorch GP) or forest (random-forest baseline).")
    ] = "gp",
    kernel: Annotated[
        str, typer.Option(help="GP kernel: matern (Matérn-5/2 × SE on levels) or rbf.")
    ] = "matern",
    categorical_encoding: Annotated[
        str, typer.Option(help="GP categoricals: one-hot or hamming.")
    ] = "one-hot",
    plot: Annotated[Path | None, typer.Option(help="Write the parity plot here.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Cross-validate a surrogate on the KB: LOO and leave-one-source-out R², MAE, calibration."""
    from anodelab.plots.optimization import plot_parity

    if model not in ("gp", "forest"):
        raise typer.BadParameter("model must be gp or forest")
    with err_console.status("cross-validating the surrogate …"), _kb(db, readonly=True) as kb:
        rep = kb.fit(
            property,
            at,
            space_path=space,
            inputs=inputs,
            model=model,
            kernel=kernel,
            categorical_encoding=categorical_encoding,
        )
    if plot is not None:
        plot_parity(rep["predictions"], f"{rep['outcome']} ({rep['unit']})", rep["loo"], plot)
    if as_json:
        print_json({k: v for k, v in rep.items() if k not in ("predictions", "missing")}
                   | {"predictions": rep["predictions"].to_dict("records")})  # fmt: skip
        return
    console.print(
        f"[bold]{rep['outcome']}[/] ({rep['unit']}), {rep['model']}, n = {rep['n']}, inputs: {', '.join(rep['features'])}"
    )
    for label in ("loo", "loso"):
        m = rep[label]
        if m:
            console.print(
                f"  {label.upper():5s} R² {m['r2']:.2f}  MAE {m['mae']:.3g}  coverage 68% → {m['coverage_68']:.0%}, 95% → {m['coverage_95']:.0%}  (n {m['n']})"
            )
    for name, why in rep.get("left_out", {}).items():
        console.print(f"  left out {name}: {why}")
    _print_missing(rep["missing"], "{} sample(s) not used; reasons:")
    if plot is not None:
        console.print(f"parity plot: {plot}")


def register(app: typer.Typer) -> None:
    """Add ``campaign``, ``recommend``, ``record`` and ``fit`` to the main app."""
    app.add_typer(campaign_app, name="campaign")
    app.command("recommend")(recommend)
    app.command("record")(record)
    app.command("fit")(fit)
