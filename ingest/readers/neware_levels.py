"""Neware BTSDA "regular" text export with interleaved levels (cycle, step and record rows).

BTSDA can export a test as one CSV in which each level has its own header line, indented by one
empty field per level, and the rows follow in time order under the row of the level above::

    Cycle Index,Chg. Cap.(Ah),DChg. Cap.(Ah),Chg.-DChg. Eff(%),...              <- level 0 header
    ,Step Index,Step Number,Step Type,Step Time,Capacity(Ah),...               <- level 1 header
    ,,DataPoint,Time,Total Time,Current(A),Voltage(V),Capacity(Ah),...         <- level 2 header
    1,0.02256,0.33067,1465.46,...,00:41:50,1,1,Rest,00:00:20,...               <- cycle 1 + its step 1
    ,,1,00:00:00,00:00:00,0.00000,4.3185,0.000000000,...                       <- record
    ,2,2,CC Chg,00:02:51,0.02256,...                                           <- step 2
    ,,12,00:00:00,00:00:20,0.50000,4.3734,...                                  <- record

A row's level is its number of leading empty fields.  A row with more fields than its level's
header carries the first row of the level below after them, without that row's indentation
(BTSDA writes cycle 1 and its first step on one line).  The deepest level (the records: time,
voltage, current, per-step capacity) becomes the canonical frame; each record takes the vendor
step (``Step Number``, the running step counter, else ``Step Index``) and step type (``Step Type``
→ ``mode``) of the step row above it and the cycle number (``Cycle Index``) of the cycle row above.
The step rows' capacities are a cross-check of the records (a warning names the step row where
they disagree beyond the step row's printed rounding).

Errors name the file, the line (1-based, as an editor shows it) and the column: a row indented
deeper than the header block, a row with more fields than its level's header, a record before
any step row, an empty or unreadable time, voltage or current.  A shorter last line (an export
cut off while writing) is skipped with a warning.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from anodelab.ingest.quantity_words import ColumnMatch, match_column, match_columns
from anodelab.ingest.readers.generic import (
    _decode,
    _unique,
    duration_seconds,
    frame_from_columns,
)
from anodelab.schema.errors import InputError

__all__ = ["LevelLayout", "sniff_levels", "read_neware_levels"]

_SNIFF_BYTES = 64 * 1024
_DELIMITERS = (",", "\t", ";")
_NEEDED = ("test_time_second", "voltage_volt", "current_ampere")


@dataclass(frozen=True)
class LevelLayout:
    """The header block of a multi-level export: one header (names, indentation removed) per level."""

    encoding: str
    delimiter: str
    header_line: int  # 0-based line of the level-0 header
    headers: tuple[tuple[str, ...], ...]

    @property
    def first_data_line(self) -> int:
        return self.header_line + len(self.headers)


def _level(fields: list[str]) -> int:
    """Number of leading empty fields (``len(fields)`` for an empty row)."""
    for index, value in enumerate(fields):
        if value.strip():
            return index
    return len(fields)


def _trimmed(fields: list[str]) -> list[str]:
    """``fields`` without trailing empty fields."""
    end = len(fields)
    while end and not fields[end - 1].strip():
        end -= 1
    return fields[:end]


def sniff_levels(path: Path) -> LevelLayout | None:
    """The header block of a multi-level (cycle/step/record) export, or ``None`` for other files.

    A header block is two or more consecutive lines, the ``k``-th of them indented by exactly
    ``k`` empty fields, whose deepest header has a voltage and a current column.
    """
    with open(path, "rb") as handle:
        raw = handle.read(_SNIFF_BYTES)
    if not raw.strip() or b"\x00" in raw[:4096]:
        return None
    text, encoding = _decode(raw)
    lines = text.splitlines()[:60]
    for delimiter in _DELIMITERS:
        rows = list(csv.reader(lines, delimiter=delimiter))
        for start in range(len(rows) - 1):
            headers: list[tuple[str, ...]] = []
            for depth, fields in enumerate(rows[start:]):
                if len(_trimmed(fields)) <= depth or _level(fields) != depth:
                    break
                names = _trimmed(fields)[depth:]
                if any(not name.strip() for name in names):
                    break
                headers.append(tuple(name.strip() for name in names))
            if len(headers) < 2:
                continue
            found = match_columns(list(headers[-1]))
            if "voltage_volt" in found and "current_ampere" in found:
                return LevelLayout(encoding, delimiter, start, tuple(headers))
    return None


@dataclass
class _Rows:
    """The rows of one level: file line (1-based) and the kept values (``keep`` positions)."""

    keep: list[int]
    lines: list[int]
    values: list[list[str]]


def _split_rows(path: Path, layout: LevelLayout, keep: list[list[int]]) -> tuple[list[_Rows], int]:
    """Every data row assigned to its level (merged rows split), streamed line by line.

    Only the fields at positions ``keep[level]`` of each level's header are stored.  Returns the
    rows per level and the number of skipped rows (a last line cut short while writing).
    """
    levels = [_Rows(keep[k], [], []) for k in range(len(layout.headers))]
    deepest = len(layout.headers) - 1
    skipped = 0
    # the last record row seen: stored once a later row shows it is not a last line cut short
    pending: tuple[int, list[str], int] | None = None  # (line, fields, field count)
    with open(path, encoding=layout.encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=layout.delimiter)
        for index, row in enumerate(reader):
            if index < layout.first_data_line:
                continue
            line = index + 1
            fields = _trimmed(row)
            if not fields:
                continue
            level = _level(fields)
            if level > deepest:
                raise InputError(
                    f"the row is indented by {level} empty fields; the header block has levels "
                    f"0–{deepest} ({', '.join(h[0] for h in layout.headers)})",
                    file=str(path),
                    row=line,
                    column=layout.headers[deepest][0],
                )
            if pending is not None:
                _store(levels[deepest], pending[0], pending[1])
                pending = None
            rest = fields[level:]
            while True:
                header = layout.headers[level]
                own, rest = rest[: len(header)], rest[len(header) :]
                if level == deepest:
                    if rest:
                        raise InputError(
                            f"the row has {len(fields)} fields, more than the {level} indentation "
                            f"fields and {len(header)} columns of its level's header",
                            file=str(path),
                            row=line,
                            column=header[-1],
                        )
                    pending = (line, own, len(row) - level)
                    break
                _store(levels[level], line, own)
                if not rest:
                    break
                level += 1  # the first row of the level below, written on the same line
    if pending is not None:
        line, own, width = pending
        if width < len(layout.headers[deepest]):  # cut off while writing: skipped, as elsewhere
            skipped += 1
        else:
            _store(levels[deepest], line, own)
    return levels, skipped


def _store(rows: _Rows, line: int, own: list[str]) -> None:
    """Append one row's kept fields (a field the row lacks, e.g. trailing empty ones, is "")."""
    rows.lines.append(line)
    rows.values.append([own[k] if k < len(own) else "" for k in rows.keep])


def _above(rows: _Rows, below: _Rows) -> np.ndarray:
    """For each row of ``below``, the index of the last row of ``rows`` at or before its line (-1: none).

    A row of the level above on the same line (a merged row) comes first.
    """
    return np.searchsorted(np.asarray(rows.lines), np.asarray(below.lines), side="right") - 1


def _pick(header: tuple[str, ...], preferred: tuple[str, ...], key: str) -> str | None:
    for name in preferred:
        if name in header:
            return name
    match = match_columns(list(header)).get(key)
    return match.header if match is not None else None


def _decimals(text: str) -> int:
    m = re.search(r"\.(\d+)", text)
    return len(m.group(1)) if m else 0


def read_neware_levels(
    path: Path, layout: LevelLayout | None = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read a multi-level Neware export: the record rows as the canonical frame (file current sign).

    Units come from the record header (``Current(A)``, ``Voltage(V)``, ``Capacity(Ah)``;
    ``Total Time`` as ``hh:mm:ss``, hours may exceed 24).  Returns ``(frame, meta)`` like every
    registered reader; ``meta["levels"]`` lists each level's header and row count.
    """
    layout = layout or sniff_levels(path)
    if layout is None:
        raise InputError(
            "not a multi-level export (no header block of cycle, step and record headers, each "
            "indented by one more empty field, with voltage and current in the last)",
            file=str(path),
        )
    record_header = _unique(list(layout.headers[-1]))
    columns: dict[str, ColumnMatch] = dict(match_columns(record_header))
    missing = [key for key in _NEEDED if key not in columns]
    if missing:
        raise InputError(
            f"the record header has no {', '.join(missing)} column; it is {record_header}",
            file=str(path),
            row=layout.first_data_line,
        )
    wanted = [m.header for m in columns.values()]
    keep = [list(range(len(h))) for h in layout.headers[:-1]]
    keep.append([record_header.index(name) for name in wanted])
    levels, skipped = _split_rows(path, layout, keep)
    records = levels[-1]
    if not records.lines:
        raise InputError("the file has a record header but no record rows", file=str(path))
    raw = pd.DataFrame(records.values, columns=wanted, dtype="string")
    data = _record_values(raw, columns, records.lines, str(path))
    # context from the levels above: the step row and the cycle row each record falls under
    context: dict[str, tuple[int, str, str]] = {}  # key -> (level, header name, what)
    step_level = _level_with(layout, ("Step Type", "Step Number", "Step Index", "Step ID"))
    if step_level is not None:
        header = layout.headers[step_level]
        step_name = _pick(header, ("Step Number", "Step ID"), "step_id")
        if step_name is not None and "step_id" not in columns:
            context["step_id"] = (step_level, step_name, "step row")
        type_name = _pick(header, ("Step Type", "Status"), "mode")
        if type_name is not None and "mode" not in columns:
            context["mode"] = (step_level, type_name, "step row")
    cycle_level = _level_with(layout, ("Cycle Index", "Cycle ID", "Cycle"))
    if cycle_level is not None and "cycle_count" not in columns:
        cycle_name = _pick(layout.headers[cycle_level], ("Cycle Index", "Cycle ID"), "cycle_count")
        if cycle_name is not None:
            context["cycle_count"] = (cycle_level, cycle_name, "cycle row")
    for key, (level, name, what) in context.items():
        rows = levels[level]
        owner = _above(rows, records)
        if np.any(owner < 0):
            first = int(np.flatnonzero(owner < 0)[0])
            raise InputError(
                f"a record comes before any {what}, so its {name!r} is unknown",
                file=str(path),
                row=records.lines[first],
                column=name,
            )
        position = layout.headers[level].index(name)
        values = np.asarray([row[position] for row in rows.values], dtype=object)
        if key != "mode":
            numbers = pd.to_numeric(pd.Series(values, dtype="string"), errors="coerce")
            if numbers.isna().any():
                bad = int(np.flatnonzero(numbers.isna().to_numpy())[0])
                raise InputError(
                    f"{what} value {values[bad]!r} is not a number",
                    file=str(path),
                    row=rows.lines[bad],
                    column=name,
                    value=values[bad],
                )
            values = numbers.to_numpy(dtype=float)
        data[key] = values[owner]
        columns[key] = ColumnMatch(f"{name} ({what})", key, "", 1.0)
    frame = frame_from_columns(data, columns, str(path), record_header)
    check = _cross_check(str(path), layout, levels, step_level, data, columns)
    meta: dict[str, Any] = {
        "vendor": "neware",
        "format": "text, multi-level export (cycle / step / record rows)",
        "header_line": layout.header_line,
        "delimiter": layout.delimiter,
        "decimal": ".",
        "encoding": layout.encoding,
        "levels": [
            {"header": list(h), "rows": len(levels[k].lines)} for k, h in enumerate(layout.headers)
        ],
        "skipped_invalid_rows": skipped,
        "dropped_rows": frame.attrs.pop("dropped_rows", 0),
        "cross_check": check,
        "columns": {
            key: {"header": m.header, "unit": m.unit, "factor": m.factor}
            for key, m in columns.items()
        },
    }
    if check["steps_differing"]:
        meta["reader_warnings"] = [
            f"{check['steps_differing']} of {check['steps_checked']} step rows state a capacity that "
            "their records do not reach (beyond the step row's rounding); first: "
            + "; ".join(check["first_differences"][:2])
        ]
    return frame, meta


def _level_with(layout: LevelLayout, names: tuple[str, ...]) -> int | None:
    """The first level above the records whose header has one of ``names``."""
    for level, header in enumerate(layout.headers[:-1]):
        if any(name in header for name in names):
            return level
    return None


def _record_values(
    raw: pd.DataFrame, columns: dict[str, ColumnMatch], lines: list[int], file: str
) -> pd.DataFrame:
    """The recognised record columns as numbers (times as text when ``hh:mm:ss``), by key.

    Time, voltage and current must be readable in every record row: the first that is not is an
    :class:`InputError` naming the file, line and column.  Other columns may be empty (NaN).
    """
    out = pd.DataFrame(index=raw.index)
    for key, match in columns.items():
        text = raw[match.header].str.strip()
        if key in ("mode", "timestamp"):
            out[key] = text
            continue
        numbers = pd.to_numeric(text, errors="coerce")
        value: pd.Series = numbers
        bad = numbers.isna()
        if key == "test_time_second" and bad.any() and text[bad].str.contains(":").any():
            value = pd.Series(duration_seconds(text, errors="coerce"), index=raw.index)
            value = value / match.factor  # frame_from_columns multiplies by the factor again
            bad = value.isna()
        if key in _NEEDED and bad.any():
            first = int(np.flatnonzero(bad.to_numpy())[0])
            cell = raw[match.header].iloc[first]
            empty = cell is pd.NA or not str(cell).strip()
            raise InputError(
                f"record value {'' if empty else repr(str(cell)) + ' '}is "
                f"{'empty' if empty else 'not readable'} (expected "
                f"{'seconds or hh:mm:ss' if key == 'test_time_second' else 'a number'})",
                file=file,
                row=lines[first],
                column=match.header,
                value=None if empty else str(cell),
            )
        out[key] = value.to_numpy(dtype=float)
    return out


def _cross_check(
    file: str,
    layout: LevelLayout,
    levels: list[_Rows],
    step_level: int | None,
    data: pd.DataFrame,
    columns: dict[str, ColumnMatch],
) -> dict[str, Any]:
    """Each step row's capacity against the last capacity of its records (Ah, within its rounding).

    Returns ``{"steps_checked", "steps_differing", "first_differences"}``; a difference is a step
    row whose printed capacity differs from max |record capacity| by more than half a unit of its
    last printed digit.
    """
    out: dict[str, Any] = {"steps_checked": 0, "steps_differing": 0, "first_differences": []}
    if step_level is None or "capacity_ampere_hour" not in columns:
        return out
    header = layout.headers[step_level]
    match = next(
        (m for m in map(match_column, header) if m and m.key == "capacity_ampere_hour"), None
    )
    if match is None:
        return out
    steps, records = levels[step_level], levels[-1]
    owner = _above(steps, records)
    capacity = np.abs(data["capacity_ampere_hour"].to_numpy(dtype=float))
    capacity *= columns["capacity_ampere_hour"].factor
    last = np.full(len(steps.lines), np.nan)
    inside = owner >= 0
    np.fmax.at(last, owner[inside], capacity[inside])
    position = header.index(match.header)
    for k, values in enumerate(steps.values):
        stated = pd.to_numeric(values[position], errors="coerce")
        if not np.isfinite(last[k]) or not np.isfinite(stated):
            continue
        out["steps_checked"] += 1
        rounding = 0.5 * 10.0 ** -_decimals(values[position]) * match.factor
        if abs(last[k] - abs(stated) * match.factor) > rounding * (1 + 1e-9):
            out["steps_differing"] += 1
            if len(out["first_differences"]) < 5:
                out["first_differences"].append(
                    f"file {file}, line {steps.lines[k]}: the step row states {values[position]} in "
                    f"{match.header!r}; its records reach {last[k]:.9g} Ah"
                )
    return out
