"""KB commands that bring data in and keep it sound: ``import-table``, ``vocabulary`` (and
``vocabulary add``), ``checks``, ``imports`` and ``undo``.  Each parses its options, calls one
documented API function, and renders (registered by :mod:`anodelab.cli.kb_commands`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

import anodelab
from anodelab.cli.common import (
    DbOption,
    JsonOption,
    console,
    db_path,
    print_frame,
    print_json,
)
from anodelab.schema.vocabulary import KINDS, load_vocabulary

if TYPE_CHECKING:
    pass

__all__ = ["import_table", "vocabulary_app", "checks", "imports", "undo"]


def import_table(
    file: Annotated[
        Path, typer.Argument(help="Table file: documented layout CSV, or a literature table.")
    ],
    db: DbOption = None,
    source: Annotated[
        str | None, typer.Option(help="Source key or DOI all rows belong to.")
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option("--map", help="YAML mapping file for literature tables.")
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="Worksheet of an Excel file.")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report how the table is understood; write nothing.")
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="All or nothing: one refused row refuses the table.")
    ] = False,
    rejects: Annotated[
        Path | None,
        typer.Option(help="Write the refused rows and why to this CSV (fix it, import it again)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Import a table: its sound rows in one transaction, the others refused and named.

    Exit status: 0 every row taken; 3 some rows refused (the others written); 1 nothing written.
    """
    from anodelab.kb.write import ImportRejected

    try:
        with anodelab.open(db_path(db), create=True) as kb:
            report = kb.import_table(
                file,
                source=source,
                mapping=mapping,
                sheet=sheet,
                dry_run=dry_run,
                strict=strict,
                rejects=rejects,
            )
    except ImportRejected as exc:
        rejected = getattr(exc, "report", None)
        if not as_json or rejected is None:
            raise
        print_json(rejected.to_dict())
        raise typer.Exit(1) from None
    data = report.to_dict()
    if as_json:
        print_json(data)
    else:
        _show_import(file, report, data)
    if report.rejected:
        raise typer.Exit(1)
    if report.refused:
        raise typer.Exit(3)


def _show_import(file: Path, report: anodelab.api.ImportReport, data: dict) -> None:  # type: ignore[name-defined]
    import pandas as pd

    if report.columns:
        columns = pd.DataFrame(report.columns)
        wanted = (
            "column",
            "header",
            "role",
            "term",
            "unit",
            "unit_from",
            "conditions",
            "problems",
            "understood_as",
        )
        columns = columns[[c for c in wanted if c in columns]]
        columns = columns.map(
            lambda v: "; ".join(map(str, v)) if isinstance(v, (list, tuple)) else v
        )
        print_frame(columns, title=f"how {file.name} was understood ({report.layout})")
    refused = {id(p) for p in report.refused}
    for problem in report.bundle.problems:
        if id(problem) in refused:
            continue
        console.print(f"[{'red' if problem.severity == 'error' else 'yellow'}]{problem}[/]")
    for problem in report.refused:
        console.print(f"[red]refused: {problem}[/]")
    note = f" ({report.write.note})" if report.write is not None and report.write.note else ""
    counts = ", ".join(f"{what.replace('_', ' ')} {n}" for what, n in data["counts"].items())
    rows = data["rows"]
    taken = f"; rows taken {rows['taken']}, refused {rows['refused']}" if rows["refused"] else ""
    console.print(f"{report.status}{note}: {counts}{taken}")
    if report.rejects_file:
        console.print(f"refused rows written to {report.rejects_file}")
    if report.write is not None:
        for label, items in (
            ("added", report.write.added),
            ("removed", report.write.removed),
            ("changed", report.write.changed),
        ):
            if items and report.write.status == "replaced":
                console.print(f"{label}: {len(items)}")
                for item in items[:20]:
                    console.print(f"  {item}")


vocabulary_app = typer.Typer(
    help="The controlled vocabulary: names, canonical units, plausible ranges and synonyms.",
    no_args_is_help=False,
)


@vocabulary_app.callback(invoke_without_command=True)
def vocabulary(
    ctx: typer.Context,
    kind: Annotated[str | None, typer.Option(help=f"One of {', '.join(KINDS)}.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the vocabulary: shipped terms plus the user terms of the KB (when the KB exists)."""
    if ctx.invoked_subcommand is not None:
        return
    path = db_path(db)
    if path.exists():
        with anodelab.open(path, readonly=True) as kb:
            frame = kb.vocabulary()
    else:
        import pandas as pd

        frame = pd.DataFrame(load_vocabulary().records())
        frame.insert(2, "origin", "shipped")
    if kind is not None:
        frame = frame[frame["kind"] == kind]
    print_frame(
        frame[["kind", "name", "origin", "unit_label", "min", "max", "synonyms"]]
        if not as_json
        else frame,
        title="vocabulary",
        as_json=as_json,
    )


@vocabulary_app.command("add")
def vocabulary_add(
    name: Annotated[str, typer.Argument(help="New term, snake_case (becomes a column name).")],
    kind: Annotated[str, typer.Option(help="property, parameter or condition.")],
    unit: Annotated[
        str | None,
        typer.Option(help="Canonical unit as printed (mA h g-1, g/cm3, nm, %; 1 = plain number)."),
    ] = None,
    synonym: Annotated[
        list[str] | None, typer.Option("--synonym", help="Another spelling (repeatable).")
    ] = None,
    description: Annotated[str, typer.Option(help="What the term means.")] = "",
    min: Annotated[float | None, typer.Option(help="Plausible minimum (in --unit).")] = None,
    max: Annotated[float | None, typer.Option(help="Plausible maximum (in --unit).")] = None,
    text: Annotated[
        bool, typer.Option("--text", help="The term takes text (no unit), e.g. a binder name.")
    ] = False,
    step_type: Annotated[
        str | None, typer.Option(help="Parameters: the process step the value belongs to.")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a term to the KB's vocabulary: `anodelab vocabulary add plateau_capacity_x --kind property --unit "mA h g-1"`."""
    with anodelab.open(db_path(db), create=True) as kb:
        added = kb.add_term(
            name,
            kind,
            unit,
            synonyms=synonym or [],
            description=description,
            min=min,
            max=max,
            value_kind="text" if text else "number",
            step_type=step_type,
            added_by="cli",
        )
        row = kb.vocabulary().query("name == @name and kind == @kind").iloc[0]
    if as_json:
        print_json({"name": name, "kind": kind, "added": added, "unit": row["unit"],
                    "unit_label": row["unit_label"], "synonyms": synonym or []})  # fmt: skip
        return
    what = "added" if added else "already in the vocabulary"
    console.print(f"{kind} {name} ({row['unit_label'] or 'text'}) {what}")


def checks(
    db: DbOption = None,
    status: Annotated[str | None, typer.Option(help="ok, mismatch or computed.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Consistency checks: stated derived numbers vs recomputed from their ingredients."""
    with anodelab.open(db_path(db), readonly=True) as kb:
        frame = kb.checks(status)
    print_frame(
        frame[["rule", "sample", "stated", "recomputed", "unit", "tolerance", "status", "note"]],
        title="checks",
        as_json=as_json,
    )


def imports(db: DbOption = None, as_json: JsonOption = False) -> None:
    """The import ledger: file hashes, status, what each import replaced."""
    with anodelab.open(db_path(db), readonly=True) as kb:
        frame = kb.imports()
    if not as_json:
        frame = frame[
            [
                c
                for c in (
                    "id",
                    "dataset",
                    "status",
                    "n_rows",
                    "rows_taken",
                    "rows_refused",
                    "started_at",
                    "file_sha256",
                    "replaces_import_id",
                )
                if c in frame
            ]  # fmt: skip
        ].assign(file_sha256=frame["file_sha256"].str[:12])
    print_frame(frame, title="imports", as_json=as_json)


def undo(
    import_id: Annotated[int, typer.Argument(help="Import id from `anodelab imports`.")],
    db: DbOption = None,
) -> None:
    """Undo one import: everything it wrote is removed; a replacement gives way to the version it replaced."""
    with anodelab.open(db_path(db)) as kb:
        restored = kb.undo_import(import_id)
    back = f"; import {restored} (the version it replaced) is current again" if restored else ""
    console.print(f"import {import_id} undone{back}")
