"""One exception family for anodelab.  Every message names what was wrong and where."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "AnodelabError",
    "UnitError",
    "UnknownNameError",
    "InputError",
    "SchemaVersionError",
    "suggest",
]


class AnodelabError(Exception):
    """Root of all errors raised on purpose by anodelab; the CLI prints these without a traceback."""


class UnitError(AnodelabError, ValueError):
    """A unit could not be read, or does not fit the quantity it was given for."""


class UnknownNameError(AnodelabError, KeyError):
    """A property, parameter, condition or sample name is not known; carries close suggestions."""

    def __init__(self, kind: str, name: str, suggestions: Iterable[str] = ()) -> None:
        self.kind = kind
        self.name = name
        self.suggestions = list(suggestions)
        hint = (
            f"; did you mean {', '.join(repr(s) for s in self.suggestions)}?"
            if self.suggestions
            else ""
        )
        super().__init__(f"unknown {kind} {name!r}{hint}")

    def __str__(self) -> str:  # KeyError would quote the whole message
        return self.args[0]


class InputError(AnodelabError, ValueError):
    """Bad input in a file: names the file, the row and the column, the value and what was expected."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        self.file = file
        self.row = row
        self.column = column
        self.value = value
        self.message = message
        where = ", ".join(
            part
            for part in (
                f"file {file}" if file else "",
                f"row {row}" if row is not None else "",
                f"column {column!r}" if column else "",
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)


class SchemaVersionError(AnodelabError):
    """The KB file was written by a newer anodelab, or cannot be migrated."""


def suggest(name: str, known: Iterable[str], n: int = 3) -> list[str]:
    """Closest known names to ``name`` (case-insensitive), for 'did you mean' hints."""
    known = list(known)
    if len(name) > 200:  # no name is this long; difflib would take seconds comparing it
        return []
    lower = {k.lower(): k for k in known}
    hits = difflib.get_close_matches(name.lower(), list(lower), n=n, cutoff=0.5)
    contains = [k for k in known if name.lower() in k.lower() and k not in hits]
    return [lower[h] for h in hits] + contains[: max(0, n - len(hits))]
