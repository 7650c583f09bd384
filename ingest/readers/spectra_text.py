"""Text tables of potentiostat exports: find the header above each run of numeric rows.

Shared by the impedance and voltammogram readers (:mod:`anodelab.ingest.readers.spectra`,
:mod:`anodelab.ingest.readers.spectra_cv`).  A table is a run of numeric rows (``;``/tab/``,``
separated, decimal commas handled) under a header found by looking back up to three lines (a
name row, an optional unit row as in Gamry ``.DTA``, an optional marker line as in ZPlot).
Binary files (BioLogic ``.mpr`` and others) are recognised and never parsed as text.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from anodelab.ingest.quantity_words import ColumnMatch, match_columns
from anodelab.schema.errors import InputError

__all__ = ["read_table", "tables", "spectra_columns", "column_values", "read_text", "is_binary"]


def _vendor_header(header: str) -> str:
    """Vendor spellings the shared table does not (and should not) know, rewritten to ones it
    does: ZPlot/Autolab axis labels ``Z'(a)``/``Z''(b)`` (not units), CH Instruments ``Z"``,
    PowerSuite ``Zimg``, Gamry's reference in the unit row ``V vs. Ref.``."""
    text = str(header).strip()
    text = re.sub(r"^(Z'{1,2})\s*\((?:a|b)\)$", r"\1", text, flags=re.IGNORECASE)
    text = text.replace('Z"', "Z''")
    text = re.sub(r"^zimg\b", "Zimag", text, flags=re.IGNORECASE)
    return re.sub(r"\s+vs\.?\s[^)\]]*", "", text)


def spectra_columns(columns: list[str]) -> dict[str, ColumnMatch]:
    """Canonical key → matched column (``header`` = the file's own header) through the one
    table of quantity words × unit grammar (:mod:`anodelab.ingest.quantity_words`)."""
    cleaned = {_vendor_header(c): str(c) for c in columns}
    found = match_columns(list(cleaned))
    return {key: replace(m, header=cleaned[m.header]) for key, m in found.items()}


def column_values(frame: pd.DataFrame, match: ColumnMatch) -> np.ndarray:
    """The column in the key's canonical unit (sign included: ``-Im(Z)`` gives Z″)."""
    return frame[match.header].to_numpy(dtype=float) * match.factor


_BINARY_MAGIC = {
    b"BIO-LOGIC MODULAR FILE": "a BioLogic EC-Lab binary .mpr",
    b"PK\x03\x04": "a zip archive (an .xlsx workbook or a Neware .ndax)",
    b"\x00\x01\x00\x00Standard Jet DB": "an Access database (Arbin .res)",
}


def is_binary(path: Path) -> str | None:
    """What kind of binary file ``path`` is (``None`` for text): magic bytes, or NUL bytes in
    the first 4 kB."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    for magic, kind in _BINARY_MAGIC.items():
        if head.startswith(magic):
            return kind
    return "a binary file" if b"\x00" in head else None


def read_text(path: Path) -> str:
    kind = is_binary(path)
    if kind is not None:
        raise InputError(
            f"is {kind}, not a text export; export it from the instrument software as text "
            "(EC-Lab: Export as Text → .mpt; Gamry: .DTA) or use a reader for that format",
            file=str(path),
        )
    raw = path.read_bytes()
    for enc in ("utf-8", "latin-1"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputError("cannot decode file as text", file=str(path))


_NUMBER = re.compile(r"^\s*[-+]?(\d+[.,]?\d*|[.,]\d+)([eE][-+]?\d+)?\s*$|^\s*nan\s*$", re.I)


def _fields(line: str, sep: str) -> list[str]:
    """Fields of ``line`` with trailing separators dropped and spaces/quotes stripped."""
    text = line.rstrip().rstrip(sep).rstrip()
    return [x.strip().strip('"').strip() for x in text.split(sep)]


def _numeric_row(fields: list[str]) -> bool:
    """At least two numbers and numbers in most filled fields (a text status column such as
    Gamry's ``Over`` = ``..........a`` does not hide the row)."""
    filled = [x for x in fields if x]
    numbers = sum(bool(_NUMBER.match(x)) for x in filled)
    return numbers >= 2 and 2 * numbers > len(filled)


def _header_for(lines: list[str], start: int, sep: str, width: int) -> list[str] | None:
    """Column names for the numeric block starting at ``lines[start]``, looking back up to
    three lines: a name row, optionally followed by a unit row (Gamry ``.DTA``: ``Freq`` over
    ``Hz``) and/or a one-field marker line (ZPlot ``End Comments``); a one-field name row split
    on runs of spaces (Scribner/Autolab ``"  Freq (Hz)    Ampl ..."`` over comma data); a
    VersaStudio ``.par`` segment's ``Definition=Segment #, Point #, ..., AC Amplitude, 0`` row."""
    units: list[str] | None = None
    for k in range(start - 1, max(start - 4, -1), -1):
        fields = _fields(lines[k], sep)
        if fields[0].startswith("Definition="):  # VersaStudio: the names, then a count
            fields = [fields[0][len("Definition=") :], *fields[1:]]
            while len(fields) > 1 and _NUMBER.match(fields[-1]):
                fields.pop()
        if len(fields) == 1:
            spaced = re.split(r"\s{2,}", fields[0].strip())
            if abs(len(spaced) - width) <= 1 and not any(_NUMBER.match(x) for x in spaced):
                fields = spaced
            elif units is None:
                continue  # a marker or count line between header and data
            else:
                break
        if abs(len(fields) - width) > 1 or any(_NUMBER.match(x) for x in fields if x):
            break
        prev = _fields(lines[k - 1], sep) if k > 0 else []
        looks_like_units = all(len(x) <= 10 for x in fields)
        if (
            units is None
            and looks_like_units
            and len(prev) == len(fields)
            and not any(_NUMBER.match(x) for x in prev if x)
            and sum(bool(x) for x in prev) >= 2
        ):
            units = fields  # this row holds units; the row above holds the names
            continue
        if units is not None:
            return [
                f"{n} ({u})" if n and u and u != "#" else n
                for n, u in zip(fields, units, strict=True)
            ]
        return fields
    return None


def tables(path: Path):
    """Yield every table of a text export as a numeric DataFrame, in file order.

    A table is a run of numeric rows (``;``/tab/``,``/whitespace separated, decimal commas
    handled) under a header found by :func:`_header_for`.  A file that is numbers only (no
    header at all, e.g. impedance.py's ``exampleData.csv``) gives one table with columns
    ``column_1``, ``column_2``, ... and ``frame.attrs["headerless"] = True``.  Rows inside a
    table whose fields do not line up with its first row (text where the first row has numbers)
    are skipped and listed in ``frame.attrs["skipped_rows"]`` (their first 60 characters).
    """
    lines = [line for line in read_text(path).splitlines() if line.strip()]
    for sep in ("\t", ";", ","):
        found = False
        i = 0
        while i < len(lines):
            first = _fields(lines[i], sep)
            if not _numeric_row(first):
                i += 1
                continue
            names = _header_for(lines, i, sep, len(first))
            width = max(len(first), len(names or []))
            numeric_at = [k for k, x in enumerate(first) if not x or _NUMBER.match(x)]
            kept, skipped = [lines[i]], []
            j = i + 1
            while j < len(lines):
                row = _fields(lines[j], sep)
                if not (2 <= len(row) <= width and _numeric_row(row)):
                    break
                if any(k < len(row) and row[k] and not _NUMBER.match(row[k]) for k in numeric_at):
                    skipped.append(j)  # fields shifted against the header (Gamry '  6 8 10')
                else:
                    kept.append(lines[j])
                j += 1
            headerless = names is None and i == 0 and j == len(lines)
            if names is None and not headerless:
                i = j
                continue
            if names is None:
                names = [f"column_{n + 1}" for n in range(width)]
            names = [n or f"unnamed_{c}" for c, n in enumerate(names)]
            names += [f"unnamed_{c}" for c in range(len(names), width)]
            body = "\n".join(sep.join(_fields(line, sep)) for line in kept)
            decimal = "," if sep != "," and re.search(r"\d,\d", lines[i]) else "."
            frame = pd.read_csv(
                io.StringIO(body),
                sep=sep,
                header=None,
                names=names[:width],
                decimal=decimal,
                skipinitialspace=True,
                engine="c",
            )
            frame = frame.apply(pd.to_numeric, errors="coerce").dropna(axis=1, how="all")
            frame = frame.dropna(how="all").reset_index(drop=True)
            frame.attrs["headerless"] = headerless
            frame.attrs["first_line"] = i
            frame.attrs["skipped_rows"] = [lines[k].strip()[:60] for k in skipped]
            found = True
            yield frame
            i = j
        if found:
            return


def read_table(path: str | Path) -> pd.DataFrame:
    """The first table of a text export (see :func:`_tables`): header line found above the first
    run of numeric rows, unit rows merged into the names, decimal commas and ``;``/tab/``,``
    separators handled."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=str(path))
    for frame in tables(path):
        return frame
    raise InputError("no header line followed by numeric rows found", file=str(path))
