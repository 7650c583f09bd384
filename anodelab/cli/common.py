"""Shared CLI pieces: the ``--db`` option, output (rich tables or JSON) and error handling."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from anodelab.format import cell_text

if TYPE_CHECKING:
    import pandas as pd

# pandas and numpy load on first use (print_frame, JSON): `anodelab --help` needs neither.

__all__ = [
    "DbOption",
    "JsonOption",
    "AtOption",
    "console",
    "err_console",
    "print_frame",
    "print_json",
    "frame_records",
    "db_path",
    "open_kb",
    "working",
]

console = Console()
err_console = Console(stderr=True)

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db", help="KB file (default: $ANODELAB_DB or ./anodelab.db).", show_default=False
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON for scripts (see docs/cli-json.md).")
]
AtOption = Annotated[
    list[str] | None,
    typer.Option(
        "--at",
        help="Condition KEY=VALUE with unit, e.g. --at cycle=500 --at current_density=1A/g (repeatable).",
    ),
]


def db_path(db: Path | None) -> Path:
    return db if db is not None else Path(os.environ.get("ANODELAB_DB") or "anodelab.db")


def open_kb(db: Path | None, *, readonly: bool = False):  # -> anodelab.api.KnowledgeBase
    """The KB of ``--db`` through ``anodelab.open``: read-only for commands that only read (no
    migration, no write lock)."""
    import anodelab

    return anodelab.open(db_path(db), readonly=readonly)


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready records of a frame (:func:`anodelab.jsontext.frame_records`)."""
    from anodelab.jsontext import frame_records as records

    return records(frame)


def print_json(data: Any) -> None:
    """Print standard JSON to stdout (no rich markup, no NaN tokens, so it pipes cleanly to jq);
    the same serialiser as ``anodelab export --format json`` (:func:`anodelab.jsontext.json_text`)."""
    from anodelab.jsontext import json_text

    typer.echo(json_text(data))


def print_frame(
    frame: pd.DataFrame, *, title: str | None = None, as_json: bool = False, max_rows: int = 200
) -> None:
    """Render a DataFrame as a rich table (or JSON records).  Headers and cells are text, not
    markup: a unit in brackets (``[mA h g⁻¹]``) or a note like ``[sic]`` prints as written.
    Cells go through :func:`anodelab.format.cell_text` (4 significant figures, lists and
    mappings in words, never a Python repr)."""
    if as_json:
        print_json(frame_records(frame))
        return
    table = Table(title=title, show_lines=False, header_style="bold")
    cells = [[cell_text(v) for v in row] for row in frame.head(max_rows).itertuples(index=False)]
    # Labels and numbers (one word per cell) are never folded inside (``Si/HNC/AC@Pitc|h10``);
    # columns of words wrap between words.  Only while the table fits the console.
    widths = [
        max((len(r[i]) for r in cells if " " not in r[i]), default=0)
        if all(" " not in r[i] for r in cells) else 0
        for i in range(len(frame.columns))
    ]  # fmt: skip
    widths = [min(w, 20) for w in widths]
    room = console.width - 3 * len(widths) - 1 - 8 * widths.count(0)
    while sum(widths) > room and max(widths) > 4:
        widths[widths.index(max(widths))] -= 1
    for column, width in zip(frame.columns, widths, strict=True):
        table.add_column(escape(str(column)), overflow="fold", min_width=width or None)
    for row in cells:
        table.add_row(*(escape(v) for v in row))
    console.print(table)
    if len(frame) > max_rows:
        console.print(
            f"… {len(frame) - max_rows} more rows (use --json or `anodelab export` for all)"
        )


class byte_progress:  # noqa: N801 - used like a function: ``with byte_progress("reading") as update``
    """A rich progress bar (on stderr) for reading a file: ``update(bytes_read, total_bytes)``."""

    def __init__(self, description: str) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self._progress = Progress(
            "[progress.description]{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn(),
            TimeRemainingColumn(), console=err_console, transient=True,
        )  # fmt: skip
        self._task = self._progress.add_task(description, total=None)

    def __enter__(self):  # type: ignore[no-untyped-def]
        self._progress.__enter__()
        return self.update

    def update(self, done: int, total: int) -> None:
        self._progress.update(self._task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        self._progress.__exit__(None, None, None)


def result_line(item: dict[str, Any]) -> str:
    """One recorded campaign result as text — for ``record`` and ``import-run --proposal`` alike:
    ``discharge_capacity = 1050 mA h g⁻¹ at current_density 1000 mA g⁻¹, cycle 500 (final, cell
    c1, version 1)``."""
    from anodelab.schema.conditions import conditions_label
    from anodelab.schema.units import unit_label

    state = "final" if item["is_final"] else "partial"
    if item.get("cell"):
        state += f", cell {item['cell']}"
    unit = f" {unit_label(item['unit'])}" if item.get("unit") else ""
    return escape(
        f"{item['property']} = {item['value']:.4g}{unit}"
        + (f" at {conditions_label(item['conditions'])}" if item["conditions"] else "")
        + (f" ({state}, version {item['version']})" if item.get("version") else f" ({state})")
    )


@contextlib.contextmanager
def working(what: str) -> Iterator[None]:
    """Say what a slow step is doing: a spinner on a terminal, one line on stderr otherwise
    (a script or a pipe would see nothing for seconds), and how long it took when it was long."""
    if err_console.is_terminal:
        with err_console.status(what):
            yield
        return
    started = time.monotonic()
    err_console.print(f"{what}", highlight=False, soft_wrap=True)
    yield
    took = time.monotonic() - started
    if took >= 2:
        err_console.print(f"  done in {took:.0f} s", highlight=False)
