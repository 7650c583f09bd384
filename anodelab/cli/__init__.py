"""The ``anodelab`` command line.  Every command is a thin wrapper over one documented API function.

Errors raised on purpose (:class:`anodelab.schema.errors.AnodelabError`) are printed as one clear
message naming file, row and column — never a traceback — and exit with status 1.
"""

from __future__ import annotations

import functools
import importlib
import re
import sqlite3
import sys
from typing import Any

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


@functools.cache
def _command() -> Any:  # typer's vendored click Command
    """The click command typer builds from ``app`` (0.2 s of signature inspection: built once
    per process, not once per call of :func:`main` — scripts and tests call it many times)."""
    command = typer.main.get_command(app)
    _plain_help_types(command)
    return command


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``anodelab`` script; returns the exit status.

    Usage errors are reported by typer/click; errors raised on purpose by anodelab become one
    red line (file, row, column) without a traceback.
    """
    command = _command()
    try:
        command.main(
            args=argv if argv is not None else sys.argv[1:],
            prog_name="anodelab",
            standalone_mode=True,
        )
    except AnodelabError as exc:
        # soft_wrap: one error stays one line (a wrapped path no longer reads as the file's name)
        err_console.print(
            f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
        )
        return 1
    except (
        sqlite3.DatabaseError
    ) as exc:  # a file that is not a KB, a full disk, a lock held too long
        err_console.print(
            f"[bold red]database error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
        )
        return 1
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


_LIST_TYPE = re.compile(r"^<list\[(\w+)\]>$")
_TYPE_WORDS = {"str": "TEXT", "Path": "FILE", "int": "INTEGER", "float": "NUMBER"}


def _plain_help_types(command: Any) -> None:
    """``--help`` in words: flags show no type (typer printed ``<bool>``), lists their item type
    (``TEXT...`` instead of ``<list[str]>``).  (typer bundles its own click: duck typing.)"""
    make_help = command.get_help_option

    def help_option(ctx: Any) -> Any:
        option = make_help(ctx)
        if option is not None:
            option.metavar = ""
        return option

    command.get_help_option = help_option
    for param in command.params:
        if getattr(param, "is_flag", False):
            param.metavar = ""
            continue
        if param.metavar is not None:
            continue
        shown = getattr(param, "display_type", None)
        label = shown(None) if callable(shown) else None
        match = _LIST_TYPE.match(label or "")
        if match:
            words = _TYPE_WORDS.get(match.group(1), match.group(1).upper()) + "..."
            param.display_type_rich = lambda ctx, words=words: words
    for sub in getattr(command, "commands", {}).values():
        _plain_help_types(sub)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
