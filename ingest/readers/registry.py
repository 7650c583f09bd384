"""Registry of cycler readers, filled by the :func:`register_reader` decorator (no if/elif dispatch).

A reader is a function ``(path) -> (frame, meta)`` that returns a frame with canonical keys in
canonical units (``anodelab.ingest.quantity_words``) but the *file's* current sign, and a dict
of metadata (``vendor``, ``columns`` ...).  :func:`anodelab.ingest.readers.read_cycler` picks the
reader by ``preset`` name or by file extension and then applies the common post-processing
(current sign, step and cycle index, provenance).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from anodelab.schema.errors import InputError, suggest

__all__ = ["Reader", "ReaderFunc", "register_reader", "get_reader", "reader_for_path", "READERS"]

ReaderFunc = Callable[[Path], tuple[pd.DataFrame, dict[str, Any]]]


@dataclass(frozen=True)
class Reader:
    """A registered reader: its preset name, file extensions, vendor and function."""

    name: str
    func: ReaderFunc
    extensions: tuple[str, ...]
    vendor: str
    description: str


READERS: dict[str, Reader] = {}
_BY_EXTENSION: dict[str, str] = {}


def register_reader(
    name: str, *, extensions: tuple[str, ...] = (), vendor: str = "generic", description: str = ""
) -> Callable[[ReaderFunc], ReaderFunc]:
    """Register ``func`` as the reader for preset ``name`` (and default for ``extensions``).

    Refuses a second reader with the same name, or a second default for the same extension.
    """

    def decorate(func: ReaderFunc) -> ReaderFunc:
        if name in READERS:
            raise ValueError(f"a cycler reader named {name!r} is already registered")
        for ext in extensions:
            if ext.lower() in _BY_EXTENSION:
                raise ValueError(
                    f"extension {ext!r} already belongs to reader {_BY_EXTENSION[ext.lower()]!r}"
                )
        READERS[name] = Reader(
            name,
            func,
            tuple(e.lower() for e in extensions),
            vendor,
            description or (func.__doc__ or "").strip().split("\n")[0],
        )
        for ext in extensions:
            _BY_EXTENSION[ext.lower()] = name
        return func

    return decorate


def get_reader(name: str) -> Reader:
    """The reader registered as preset ``name``; :class:`InputError` with suggestions otherwise."""
    try:
        return READERS[name]
    except KeyError:
        hint = suggest(name, READERS)
        raise InputError(
            f"unknown cycler preset {name!r}; known presets: {sorted(READERS)}"
            + (f" (did you mean {hint[0]!r}?)" if hint else ""),
            value=name,
        ) from None


def reader_for_path(path: Path) -> Reader:
    """Default reader for a file by its extension (text exports of unknown extension: ``generic``)."""
    suffix = path.suffix.lower()
    return READERS[_BY_EXTENSION.get(suffix, "generic")]
