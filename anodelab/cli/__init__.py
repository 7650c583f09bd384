"""The ``anodelab`` command line.  Every command is a thin wrapper over one documented API function.

Errors raised on purpose (:class:`anodelab.schema.errors.AnodelabError`) are printed as one clear
message naming file, row and column — never a traceback — and exit with status 1.
"""

from __future__ import annotations

import importlib
import sqlite3
import sys

import typer
from rich.markup import escape

from anodelab.cli.common import err_console
from anodelab.schema.errors import AnodelabError

__all__ = ["app", "main"]

app = typer.Typer(
    name="anodelab",
    help="Knowledge base, electrochemistry analyzers and Bayesian optimizer for Si/C anodes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Command modules, each with ``register(app)``; a module that is not there yet is skipped.
_COMMAND_MODULES = (
    "anodelab.cli.kb_commands",
    "anodelab.cli.analyze",
    "anodelab.cli.campaign",
    "anodelab.cli.forecast",
)
for _name in _COMMAND_MODULES:
    try:
        _module = importlib.import_module(_name)
    except ModuleNotFoundError as _exc:
        if _exc.name != _name:
            raise
        continue
    _module.register(app)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``anodelab`` script; returns the exit status.

    Usage errors are reported by typer/click; errors raised on purpose by anodelab become one
    red line (file, row, column) without a traceback.
    """
    command = typer.main.get_command(app)
    try:
        command.main(
            args=argv if argv is not None else sys.argv[1:],
            prog_name="anodelab",
            standalone_mode=True,
        )
    except AnodelabError as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        return 1
    except (
        sqlite3.DatabaseError
    ) as exc:  # a file that is not a KB, a full disk, a lock held too long
        err_console.print(f"[bold red]database error:[/] {escape(str(exc))}", highlight=False)
        return 1
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
