"""Generic delimited-text and Excel cycler reader with header auto-detection.

Handles preamble lines before the header (BioLogic ``Nb header lines``, Maccor/Neware export
banners), the delimiters ``,`` ``;`` and tab, decimal commas, blank and NaN rows, truncated last
lines, time in s/min/h or as ``hh:mm:ss`` / timestamps, and units in the headers.  Only the
recognised columns are parsed (pyarrow's multithreaded CSV parser with ``include_columns``), so a
10 M-row file costs little more than its six numeric columns.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypedDict

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from anodelab.ingest.quantity_words import ColumnMatch, match_column, match_columns
from anodelab.schema.errors import InputError

__all__ = [
    "TextLayout",
    "ExcelTableInfo",
    "sniff_text",
    "read_delimited",
    "read_excel_table",
    "frame_from_columns",
]

_SNIFF_BYTES = 256 * 1024
_DELIMITERS = ("\t", ";", ",")
_DECIMAL_COMMA = re.compile(r"(?:^|[\t;])\s*-?\d+,\d+(?:[eE][-+]?\d+)?\s*(?=$|[\t;])")
_NUMERIC_KEYS = (
    "test_time_second",
    "voltage_volt",
    "current_ampere",
    "charge_capacity_ampere_hour",
    "discharge_capacity_ampere_hour",
    "capacity_ampere_hour",
    "net_capacity_ampere_hour",
    "charge_increment_ampere_hour",
    "step_time_second",
    "cycle_count",
    "step_id",
    "half_cycle",
    "ox_red",
    "record_index",
)
_COUNTERS = ("cycle_count", "step_id", "half_cycle", "ox_red", "record_index")


@dataclass
class TextLayout:
    """What :func:`sniff_text` found out about a text export."""

    encoding: str
    header_line: int  # 0-based line number of the header
    delimiter: str
    decimal: str
    headers: list[str]
    columns: dict[str, ColumnMatch] = field(default_factory=dict)
    preamble: list[str] = field(default_factory=list)


def _decode(raw: bytes) -> tuple[str, str]:
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1", errors="replace"), "latin-1"


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        name = name.strip().strip('"') or "unnamed"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out


def sniff_text(path: Path, overrides: dict[str, str] | None = None) -> TextLayout:
    """Find the header line, delimiter, decimal mark and recognised columns of a text export."""
    with open(path, "rb") as handle:
        raw = handle.read(_SNIFF_BYTES)
    if not raw.strip():
        raise InputError("the file is empty", file=str(path))
    if b"\x00" in raw[:4096]:
        kind = "gzip-compressed" if raw[:2] == b"\x1f\x8b" else "binary"
        raise InputError(
            f"the file is {kind}, not a delimited text export (looked for a header line; found "
            f"bytes {raw[:16]!r}); decompress it first, or give a binary cycler file its own "
            "extension (.res Arbin, .nda/.ndax Neware, .mpr BioLogic) or choose it with --preset",
            file=str(path),
        )
    text, encoding = _decode(raw)
    lines = text.splitlines()
    if len(raw) == _SNIFF_BYTES and lines:
        lines = lines[:-1]  # possibly cut in the middle
    hinted = None
    for line in lines[:5]:
        m = re.match(r"\s*Nb header lines\s*:\s*(\d+)", line, re.IGNORECASE)  # BioLogic .mpt
        if m:
            hinted = int(m.group(1)) - 1
    # a preamble may be of any length: every line of the sniffed block is a header candidate
    candidates = [hinted] if hinted is not None else range(len(lines))
    best: TextLayout | None = None
    for index in candidates:
        if index >= len(lines):
            continue
        line = lines[index]
        for delimiter in _DELIMITERS:
            if delimiter not in line:
                continue
            headers = _unique(line.rstrip("\r\n").split(delimiter))
            found = _match(headers, overrides)
            if "voltage_volt" not in found or not (
                {"current_ampere", "test_time_second"} & found.keys()
            ):
                continue
            if best is None or len(found) > len(best.columns):
                best = TextLayout(encoding, index, delimiter, ".", headers, found, lines[:index])
        if best is not None:
            break
    if best is None:
        raise InputError(_no_header_message(lines, overrides), file=str(path))
    data = lines[best.header_line + 1 : best.header_line + 200]
    best.headers = _fit_header_to_data(
        lines[best.header_line].rstrip("\r\n").split(best.delimiter),
        best.headers,
        data,
        best.delimiter,
    )
    if best.delimiter != "," and any(_DECIMAL_COMMA.search(line) for line in data):
        best.decimal = ","
    return best


def _no_header_message(lines: list[str], overrides: dict[str, str] | None) -> str:
    """One sentence: what was looked for, the most header-like line found and what would help."""
    best_line = ""
    best_found: dict[str, ColumnMatch] = {}
    for line in lines:
        for delimiter in _DELIMITERS:
            if delimiter in line:
                found = _match(_unique(line.split(delimiter)), overrides)
                if len(found) > len(best_found):
                    best_line, best_found = line, found
    looked = "header with a voltage column and a current or time column"
    where = f"in the first {len(lines)} lines"
    if best_found:
        seen = ", ".join(f"{m.header!r} = {k}" for k, m in best_found.items())
        got = f"the most header-like line {best_line.strip()[:200]!r} names only {seen}"
    else:
        sample = lines[0].strip()[:200] if lines else ""
        got = f"no line names a known quantity (first line: {sample!r})"
    return (
        f"no {looked} was found {where}: {got}; headers are recognised from a quantity word "
        "and a unit such as 'Voltage (V)', 'I/mA', 'test_time_s' (see docs/readers.md), "
        "or choose a vendor preset with --preset"
    )


def _fit_header_to_data(
    raw_fields: list[str], headers: list[str], data: list[str], delimiter: str
) -> list[str]:
    """Header names with as many fields as the data rows have, when they differ only by empty fields.

    Exporters end either the header line or every data line with a delimiter (EC-Lab writes
    ``...\tcycle number\t`` over rows without the trailing tab): then the header has one
    (empty) field more or fewer than the rows, and a parser given the header's names would reject
    every row.  Empty trailing header fields beyond the rows' width are dropped; rows wider than
    the header by empty trailing fields get ``unnamed`` names.  Anything else is left as it is.
    """
    rows = [row for row in csv.reader(data[:50], delimiter=delimiter) if any(row)]
    if not rows:
        return headers
    widths = Counter(len(row) for row in rows)
    width, _ = widths.most_common(1)[0]
    if width < len(headers) and all(not f.strip().strip('"') for f in raw_fields[width:]):
        return headers[:width]
    if width > len(headers) and all(
        not field.strip() for row in rows if len(row) == width for field in row[len(headers) :]
    ):
        return _unique([*headers, *[""] * (width - len(headers))])
    return headers


def _match(headers: list[str], overrides: dict[str, str] | None) -> dict[str, ColumnMatch]:
    found = match_columns(headers)
    if overrides:
        for header, key in overrides.items():
            if header in headers:
                match = match_column(header)
                factor = match.factor if match is not None and match.key == key else 1.0
                unit = match.unit if match is not None else ""
                found[key] = ColumnMatch(header, key, unit, factor)
    return found


def _failed_column(message: str, names: list[str]) -> str | None:
    m = re.search(r"column #(\d+)", message)
    if m and int(m.group(1)) < len(names):
        return names[int(m.group(1))]
    return None


# Cell texts that mean "no value" in cycler exports.
NULL_TEXTS = ["", "NaN", "nan", "NA", "N/A", "-", "#N/A", "inf", "-inf"]


def csv_options(
    layout: TextLayout, *, block_size: int
) -> tuple[pacsv.ReadOptions, pacsv.ParseOptions, dict[str, int]]:
    """pyarrow read/parse options for a sniffed text export; ``skipped["rows"]`` counts bad rows."""
    skipped = {"rows": 0}

    def on_invalid(row: pacsv.InvalidRow) -> str:
        skipped["rows"] += 1
        return "skip"

    read_options = pacsv.ReadOptions(
        skip_rows=layout.header_line + 1,
        column_names=layout.headers,
        encoding="utf8" if layout.encoding == "utf-8-sig" else layout.encoding,
        block_size=block_size,
    )
    parse_options = pacsv.ParseOptions(delimiter=layout.delimiter, invalid_row_handler=on_invalid)
    return read_options, parse_options, skipped


def read_delimited(path: Path, layout: TextLayout) -> tuple[pd.DataFrame, dict[str, int]]:
    """Parse the recognised columns of a text export with pyarrow; returns raw (file-unit) columns."""
    wanted = {match.header: key for key, match in layout.columns.items()}
    text_keys = {"timestamp", "mode"}
    types: dict[str, pa.DataType] = {
        header: (pa.string() if key in text_keys else pa.float64())
        for header, key in wanted.items()
    }
    read_options, parse_options, skipped = csv_options(layout, block_size=16 << 20)
    for _attempt in range(len(types) + 1):
        convert = pacsv.ConvertOptions(
            include_columns=list(wanted),
            column_types=types,
            decimal_point=layout.decimal,
            null_values=NULL_TEXTS,
            strings_can_be_null=True,
        )
        try:
            table = pacsv.read_csv(path, read_options, parse_options, convert)
            break
        except pa.ArrowInvalid as exc:
            column = _failed_column(str(exc), layout.headers)
            if column is None or types.get(column) == pa.string():
                raise InputError(f"cannot parse the data: {exc}", file=str(path)) from exc
            types[column] = pa.string()  # e.g. "01:02:03" times: parsed below
            skipped["rows"] = 0
    else:  # pragma: no cover - the loop always breaks or raises
        raise InputError("cannot parse the data", file=str(path))
    frame = table.to_pandas()
    frame.columns = [wanted[c] for c in frame.columns]
    return frame, {"skipped_invalid_rows": skipped["rows"]}


class ExcelTableInfo(TypedDict):
    """Where :func:`read_excel_table` found the table and which columns it recognised."""

    sheet: str
    header_line: int
    columns: dict[str, ColumnMatch]
    info_lines: list[
        str
    ]  # "key: value" lines from the other sheets (Arbin Global_Info), for metadata


def read_excel_table(
    path: Path, overrides: dict[str, str] | None = None
) -> tuple[pd.DataFrame, ExcelTableInfo]:
    """Read the first sheet of an .xlsx/.xls workbook whose header is recognisable."""
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, nrows=60, dtype=object)
    except Exception as exc:  # zipfile/openpyxl errors for garbage
        raise InputError(f"cannot open as an Excel workbook: {exc}", file=str(path)) from exc
    names = list(sheets)
    for position, sheet in enumerate(names):
        found_at = _excel_header(sheets[sheet], overrides)
        if found_at is None:
            continue
        index, headers, found = found_at
        parts = [_excel_part(path, sheet, index, headers, found)]
        used = [str(sheet)]
        # big exports continue the table on the next sheets under the same header
        # (Arbin "Channel_1-006_1", "_2"; Neware "record", "record1")
        for later in names[position + 1 :]:
            more = _excel_header(sheets[later], overrides)
            if more is None or more[1] != headers:
                break
            parts.append(_excel_part(path, later, more[0], headers, found))
            used.append(str(later))
        data = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        info = [
            line for name in names if name not in used for line in _info_lines(sheets[name], name)
        ]
        info += _info_lines(sheets[sheet].iloc[:index], str(sheet))  # rows above the header
        return data, {
            "sheet": ", ".join(used),
            "header_line": index,
            "columns": found,
            "info_lines": info,
        }
    raise InputError(
        "no sheet has a header with a voltage column and a current or time column "
        f"(sheets: {names}); headers are recognised from a quantity word and a unit such as "
        "'Voltage (V)', 'I/mA' (see docs/readers.md), or choose a vendor preset with --preset",
        file=str(path),
    )


def _info_lines(head: pd.DataFrame, sheet: object) -> list[str]:
    """``key: value`` lines from a sheet laid out as label rows over value rows (Arbin
    ``Global_Info``) or label/value pairs side by side, for :mod:`anodelab.ingest.readers.metadata`."""
    cells = head.astype(object).where(head.notna(), None).values.tolist()
    lines: list[str] = []
    for r, row in enumerate(cells):
        below = cells[r + 1] if r + 1 < len(cells) else [None] * len(row)
        texts = [v for v in row if v is not None]
        label_row = len(texts) > 2 and all(isinstance(v, str) for v in texts)
        for c, label in enumerate(row):
            if not isinstance(label, str) or not label.strip():
                continue
            right = row[c + 1] if c + 1 < len(row) and not label_row else None
            for value in (right, below[c] if label_row else None):
                if value is not None and not (isinstance(value, str) and not value.strip()):
                    lines.append(f"{label.strip()}: {value}")
    return lines


def _excel_header(
    head: pd.DataFrame, overrides: dict[str, str] | None
) -> tuple[int, list[str], dict[str, ColumnMatch]] | None:
    """The first row of a sheet's head that reads as a cycler header, its names and matches."""
    for index in range(len(head)):
        headers = _unique(
            [str(v) if v is not None and v == v else "" for v in head.iloc[index].tolist()]
        )
        found = _match(headers, overrides)
        if "voltage_volt" in found and ({"current_ampere", "test_time_second"} & found.keys()):
            return index, headers, found
    return None


def _excel_part(
    path: Path, sheet: object, index: int, headers: list[str], found: dict[str, ColumnMatch]
) -> pd.DataFrame:
    data = pd.read_excel(
        path,
        sheet_name=sheet,  # type: ignore[arg-type]
        header=None,
        skiprows=index + 1,
        names=headers,
        usecols=[m.header for m in found.values()],
    )
    data = data[[m.header for m in found.values()]]
    data.columns = list(found.keys())
    return data


def duration_seconds(text: pd.Series, errors: Literal["raise", "coerce"] = "raise") -> np.ndarray:
    """``[d.]hh:mm:ss[.f]`` / ``d-hh:mm:ss`` duration texts to seconds (hours may exceed 24).

    ``errors="coerce"`` gives NaN for unreadable texts; ``"raise"`` raises ``ValueError``.
    """
    text = text.astype("string").str.strip()
    day = text.str.extract(r"^(\d+)[.-](\d+:\d+:\d+(?:\.\d*)?)$")
    if day[0].notna().any():
        text = day[0].fillna("0") + " days " + day[1].fillna(text)
    delta = pd.to_timedelta(text.str.replace(",", ".", regex=False), errors=errors)
    return np.asarray(delta.dt.total_seconds().to_numpy(), dtype=float)


def _seconds(series: pd.Series, factor: float, file: str) -> np.ndarray:
    """Time column to seconds: numbers × factor, or ``[d.]hh:mm:ss[.f]`` durations."""
    if pd.api.types.is_numeric_dtype(series):
        return series.to_numpy(dtype=float) * factor
    try:
        return duration_seconds(series)
    except (ValueError, TypeError) as exc:
        # a time column holding date-times (BEEP's EC-Lab conversions): seconds since the first
        stamps = pd.to_datetime(series, errors="coerce", format="mixed")
        if stamps.notna().mean() > 0.99:
            return (stamps - stamps.dropna().iloc[0]).dt.total_seconds().to_numpy(dtype=float)
        raise InputError(
            f"cannot read the time column as numbers, durations (hh:mm:ss) or date-times: {exc}",
            file=file,
            column=str(series.name),
        ) from exc


def frame_from_columns(
    raw: pd.DataFrame,
    columns: dict[str, ColumnMatch],
    file: str,
    headers: list[str] | None = None,
) -> pd.DataFrame:
    """Convert raw file columns (named by canonical key) to canonical units; drop unusable rows.

    ``headers`` (every column of the file) are listed when a needed column is missing.
    """
    listed = list(headers) if headers is not None else [m.header for m in columns.values()]
    out = pd.DataFrame(index=raw.index)
    if "test_time_second" in raw.columns:
        out["test_time_second"] = _seconds(
            raw["test_time_second"], columns["test_time_second"].factor, file
        )
    elif "timestamp" in raw.columns:
        stamps = pd.to_datetime(raw["timestamp"], errors="coerce")
        if stamps.isna().all():
            raise InputError(
                "the timestamp column cannot be read as dates",
                file=file,
                column=columns["timestamp"].header,
            )
        out["test_time_second"] = (stamps - stamps.dropna().iloc[0]).dt.total_seconds().to_numpy()
    else:
        raise InputError(
            f"no time column (a test time such as 'Test_Time(s)', 'time/s', 'Time (h)' or a "
            f"date-time column) among the columns {listed}; rename it or choose a vendor preset "
            "with --preset",
            file=file,
        )
    if "current_ampere" not in raw.columns:
        raise InputError(
            f"no current column (such as 'Current(A)', 'I/mA', 'current_A') and no charge counter "
            f"to derive it from among the columns {listed}; rename it or choose a vendor preset "
            "with --preset",
            file=file,
        )
    for key in _NUMERIC_KEYS[1:]:
        if key in raw.columns:
            values = pd.to_numeric(raw[key], errors="coerce").to_numpy(dtype=float)
            out[key] = values * columns[key].factor if key not in _COUNTERS else values
    if "mode" in raw.columns:
        out["mode"] = raw["mode"].astype("string").str.strip()
    usable = np.isfinite(out["test_time_second"].to_numpy()) & np.isfinite(
        out["voltage_volt"].to_numpy()
    )
    usable &= np.isfinite(out["current_ampere"].to_numpy())
    dropped = int((~usable).sum())
    if dropped:
        out = out[usable].reset_index(drop=True)
    if out.empty:
        raise InputError("no data row has time, voltage and current", file=file)
    for key in ("cycle_count", "step_id"):
        if key in out.columns:
            out[key] = (
                pd.array(out[key].to_numpy(), dtype="Int64")
                if out[key].isna().any()
                else out[key].astype(np.int64)
            )
    out.attrs["dropped_rows"] = dropped
    return out


def text_preview(path: Path, lines: int = 5) -> str:
    """First lines of a file, for error messages."""
    with open(path, "rb") as handle:
        head = handle.read(2048)
    text, _ = _decode(head)
    return "\n".join(io.StringIO(text).read().splitlines()[:lines])
