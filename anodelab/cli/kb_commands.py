"""KB commands.  Each one parses its options, calls one documented API function, and renders."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

import anodelab
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
)
from anodelab.export import EXPORT_FORMATS
from anodelab.format import axis_label, conditions_text, prose, quantity, words
from anodelab.schema.vocabulary import load_vocabulary

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["register"]


def init(
    db: DbOption = None,
    empty: Annotated[
        bool, typer.Option("--empty", help="Create the KB without the shipped literature.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Create the KB (or bring it up to date) with the shipped literature: `anodelab init --db kb.db`;
    `anodelab init --empty --db lab.db` makes one with no data (`anodelab.init(path, literature=False)`)."""
    path = db_path(db)
    rows = []
    if empty:
        anodelab.init(path, literature=False).close()
        if as_json:
            print_json({"db": str(path), "imports": [], "checks": {}})
        else:
            console.print(f"empty knowledge base {path} (schema and vocabulary, no data)")
        return

    def progress(source: str, report: anodelab.api.ImportReport) -> None:  # type: ignore[name-defined]
        rows.append({"source": source, "table": Path(report.file).name, "status": report.status,
                     "rows": sum(report.to_dict()["counts"].values()), "warnings": len(report.bundle.warnings)})  # fmt: skip

    with err_console.status("loading the shipped literature …", spinner="dots"):
        kb = anodelab.init(path, progress=progress)
    checks = kb.checks()
    if as_json:
        print_json(
            {"db": str(path), "imports": rows, "checks": checks["status"].value_counts().to_dict()}
        )
        return
    import pandas as pd

    print_frame(pd.DataFrame(rows), title=f"knowledge base {path}")
    mismatches = checks[checks["status"] == "mismatch"]
    console.print(f"{len(checks)} consistency checks: {(checks['status'] == 'ok').sum()} ok, "
                  f"{len(mismatches)} mismatch, {(checks['status'] == 'computed').sum()} computed")  # fmt: skip
    if len(mismatches):
        print_frame(
            mismatches[["rule", "sample", "stated", "recomputed", "tolerance", "note"]],
            title="stated vs recomputed",
        )


def samples(
    db: DbOption = None,
    source: Annotated[str | None, typer.Option(help="Only this source key.")] = None,
    family: Annotated[str | None, typer.Option(help="Only this material family.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List samples with their source, family, parents and number of values."""
    with anodelab.open(db_path(db), readonly=True) as kb:
        frame = kb.samples(source=source, family=family)
    shown = frame if as_json else frame.drop(columns=["description", "locator"])
    print_frame(shown, title="samples", as_json=as_json)


def measurements(
    property: Annotated[
        str | None, typer.Argument(help="Property name or synonym (ICE, BET, …).")
    ] = None,
    db: DbOption = None,
    sample: Annotated[str | None, typer.Option(help="Only this sample label.")] = None,
    source: Annotated[str | None, typer.Option(help="Only this source key.")] = None,
    at: AtOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show values (with units and conditions), e.g. `anodelab measurements ICE --source lee2025`."""
    with anodelab.open(db_path(db), readonly=True) as kb:
        frame = kb.measurements(property, sample=sample, source=source, conditions=at or None)
    if as_json:
        print_frame(frame.dropna(axis=1, how="all"), as_json=True)
        return
    print_frame(values_display(frame), title="values")


def values_display(frame: pd.DataFrame) -> pd.DataFrame:
    """Readable value table: property in words, the value with qualifier, ± and unit, conditions in
    words with units, the cell only where its label says more than the sample's name."""
    import pandas as pd

    vocab = load_vocabulary()
    condition_names = [c for c in vocab.conditions() if c in frame.columns]
    rows = []
    for _, r in frame.iterrows():
        prop = vocab.properties().get(r["property"])
        unit = prop.unit if prop else r["unit"]
        shown = quantity(r["value"], unit, uncertainty=r["uncertainty"], qualifier=r["qualifier"],
                         value_min=r["value_min"], value_max=r["value_max"]) or "(no value)"  # fmt: skip
        conditions = {name: r[name] for name in condition_names if pd.notna(r[name])}
        rows.append({"sample": r["sample"], "source": r["source"], "property": words(r["property"]),
                     "value": shown, "conditions": conditions_text(conditions),
                     "cell": _cell_shown(r["cell"], r["sample"]), "origin": r["origin"]})  # fmt: skip
    table = pd.DataFrame(
        rows, columns=["sample", "source", "property", "value", "conditions", "cell", "origin"]
    )
    return table if (table["cell"] != "").any() else table.drop(columns=["cell"])


def _cell_shown(cell: object, sample: object) -> str:
    """A cell label unless it only repeats the sample (``half-Si/AC`` for sample ``Si/AC``)."""
    if cell is None or (isinstance(cell, float) and cell != cell):  # None or NaN
        return ""
    text = str(cell)
    return "" if text in (f"half-{sample}", f"full-{sample}", str(sample)) else text


def relate(
    parameter: Annotated[
        str, typer.Argument(help="Recipe parameter or synonym (pitch, T_carb, dopamine …).")
    ],
    property: Annotated[
        str, typer.Argument(help="Property or synonym (ICE, BET, discharge_capacity …).")
    ],
    db: DbOption = None,
    at: AtOption = None,
    source: Annotated[str | None, typer.Option(help="Only this source key.")] = None,
    family: Annotated[str | None, typer.Option(help="Only this material family.")] = None,
    cell_type: Annotated[
        str | None, typer.Option(help="Only values from half or full cells.")
    ] = None,
    where: Annotated[
        list[str] | None,
        typer.Option(
            "--where",
            help="Only samples whose recipe has PARAM=VALUE, e.g. --where T_carb=700 (repeatable).",
        ),
    ] = None,
    plot: Annotated[Path | None, typer.Option(help="Write a figure (PNG/PDF/SVG).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Relate a recipe parameter to a property at matching conditions.

    Example: `anodelab relate pitch ICE`, `anodelab relate T_carb I_D/I_G --at ...`,
    `anodelab relate dopamine discharge_capacity --at cycle=500 --at current_density=1A/g`.
    """
    with anodelab.open(db_path(db), readonly=True) as kb:
        rel = kb.relation(
            parameter,
            property,
            at or None,
            source=source,
            family=family,
            cell_type=cell_type,
            where=where,
        )
    data = rel.to_dict()
    if plot is not None:
        from anodelab.plots.relation import plot_relation

        plot_relation(data, plot)
    if as_json:
        print_json(data)
        return
    x_label, y_label = (
        axis_label(d["name"], d.get("unit") or "") for d in (data["parameter"], data["property"])
    )
    frame = rel.to_frame().sort_values(["x", "sample"], kind="stable").dropna(axis=1, how="all")
    if "cell" in frame.columns:
        frame["cell"] = [
            _cell_shown(c, s) for c, s in zip(frame["cell"], frame["sample"], strict=True)
        ]
        if not (frame["cell"] != "").any():
            frame = frame.drop(columns=["cell"])
    frame = frame.rename(columns={"x": x_label, "y": y_label, "cell_type": "cell type"})
    print_frame(
        frame, title=f"{words(data['property']['name'])} vs {words(data['parameter']['name'])}"
    )
    for item in data["excluded"]:
        console.print(
            f"[yellow]left out[/] {escape(item['sample'])} ({item['source']}): {escape(prose(item['reason']))}"
        )
    if plot is not None:
        console.print(f"figure written to {plot}")


def export(
    db: DbOption = None,
    format: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help=f"One of {', '.join(EXPORT_FORMATS)}; default: the output file's suffix, else csv.",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Output file (stdout for csv/json when omitted)."),
    ] = None,
    property: Annotated[str | None, typer.Option(help="Only this property.")] = None,
    source: Annotated[str | None, typer.Option(help="Only this source key.")] = None,
) -> None:
    """Tidy export: one row per value with sample, source, property, value, unit, uncertainty and one column per condition."""
    with anodelab.open(db_path(db), readonly=True) as kb:
        text = kb.export(output, format, property=property, source=source)
    if text is not None:
        typer.echo(text, nl=not text.endswith("\n"))  # stdout = the file's content, no blank line
    else:
        console.print(f"written {output}")


def serve(
    db: DbOption = None,
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8001,
    host: Annotated[
        str, typer.Option(help="Address to listen on; the default serves this computer only.")
    ] = "127.0.0.1",
    password: Annotated[
        str | None,
        typer.Option(
            envvar="ANODELAB_SERVE_PASSWORD",
            help="Ask for this password (HTTP basic auth); off by default.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Browse the KB in Datasette: read-only and live, with relations as charts and campaign pages.

    Example: `anodelab serve --db kb.db`, then open http://127.0.0.1:8001/ (Ctrl-C stops it)."""
    from anodelab.serve import LOCAL_HOSTS
    from anodelab.serve import serve as run

    path = db_path(db)
    if host not in LOCAL_HOSTS and not password:
        err_console.print(
            f"[yellow]warning:[/] serving {path} to the network ({host}) without --password"
        )

    def started(url: str) -> None:
        console.print(f"serving {path} read-only at {url} (Ctrl-C stops it)")

    raise typer.Exit(run(path, host=host, port=port, password=password, on_start=started))


def register(app: typer.Typer) -> None:
    """Add the KB commands to the ``anodelab`` app."""
    from anodelab.cli.curation import checks, import_table, imports, undo, vocabulary_app

    app.command()(init)
    app.command()(samples)
    app.command()(measurements)
    app.command()(relate)
    app.command()(export)
    app.command("import-table")(import_table)
    app.add_typer(vocabulary_app, name="vocabulary")
    app.command()(checks)
    app.command()(imports)
    app.command()(undo)
    app.command()(serve)


_ = frame_records  # re-exported for other command modules
