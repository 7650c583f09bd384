"""File readers: CSV/TSV, Excel, Markdown, HTML and plain text pasted from a PDF."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from pathlib import Path

from anodelab.ingest.tables.grid import RawTable, split_header_rows
from anodelab.schema.errors import InputError

__all__ = ["read_table", "read_text_table", "decode_bytes"]

_TEXT_SUFFIXES = {".txt", ".text", ".pdf.txt"}


def decode_bytes(data: bytes, file: str | None = None) -> tuple[str, str]:
    """Decode UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252/Latin-1."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:  # a UTF-16 mark, then an odd byte count or a lone half
            raise InputError(
                f"not readable as UTF-16 (its byte-order mark): {exc.reason}", file=file
            ) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def read_table(
    path: str | Path,
    *,
    sheet: str | None = None,
    table_index: int = 0,
    header_rows: int | None = None,
    decimal: str | None = None,
) -> RawTable:
    """Read the table in ``path``; the reader is chosen by suffix (``.txt`` is sniffed).

    ``sheet`` selects an Excel sheet by name; ``table_index`` the n-th table of an HTML or
    Markdown file; ``header_rows`` overrides the header detection.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=str(path))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from anodelab.ingest.tables.excel import read_excel

        return read_excel(path, sheet=sheet, header_rows=header_rows, decimal=decimal)
    if suffix == ".xls":
        raise InputError(
            "old .xls workbooks are not supported; save the sheet as .xlsx", file=str(path)
        )
    text, encoding = decode_bytes(path.read_bytes(), str(path))
    kind = {
        ".csv": "csv",
        ".tsv": "csv",
        ".tab": "csv",
        ".md": "markdown",
        ".markdown": "markdown",
        ".html": "html",
        ".htm": "html",
    }.get(suffix, "auto")
    table = read_text_table(
        text,
        kind=kind,
        file=str(path),
        table_index=table_index,
        header_rows=header_rows,
        decimal=decimal,
    )
    table.encoding = encoding
    return table


def read_text_table(
    text: str,
    *,
    kind: str = "auto",
    file: str | None = None,
    table_index: int = 0,
    header_rows: int | None = None,
    decimal: str | None = None,
) -> RawTable:
    """Read a table from text: ``kind`` is ``csv``, ``markdown``, ``html``, ``pdf`` or ``auto``."""
    if kind == "auto":
        kind = _sniff_kind(text)
    if kind == "html":
        return _read_html(text, file, table_index, header_rows, decimal)
    if kind == "markdown":
        return _read_markdown(text, file, table_index, header_rows, decimal)
    if kind == "pdf":
        from anodelab.ingest.tables.pdf_text import read_pdf_text

        return read_pdf_text(text, file=file, header_rows=header_rows, decimal=decimal)
    return _read_csv(text, file, header_rows, decimal)


def _sniff_kind(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if re.search(r"<table\b", text, re.IGNORECASE):
        return "html"
    if sum(ln.lstrip().startswith("|") for ln in lines) >= 2:
        return "markdown"
    if any("\t" in ln for ln in lines) or sum(ln.count(";") >= 2 for ln in lines) >= 2:
        return "csv"
    if sum(bool(re.search(r"\S {2,}\S", ln)) for ln in lines) >= max(2, len(lines) // 2):
        return "pdf"
    return "csv"


def _caption_and_body(lines: list[str]) -> tuple[str | None, list[str]]:
    caption = None
    if lines and re.match(r"\s*(Table|Tab\.)\s*S?\d+", lines[0], re.IGNORECASE):
        caption = lines[0].strip()
        lines = lines[1:]
    return caption, lines


def _finish(
    grid: list[list[str]],
    file: str | None,
    name: str | None,
    caption: str | None,
    header_rows: int | None,
    decimal: str | None,
    line_numbers: list[int] | None = None,
    footnotes: list[str] | None = None,
) -> RawTable:
    grid = [[c.strip() for c in row] for row in grid]
    while grid and not any(grid[-1]):
        grid.pop()
    if not grid:
        raise InputError("the table is empty", file=file)
    width = max(len(row) for row in grid)
    grid = [row + [""] * (width - len(row)) for row in grid]
    dec = decimal or _guess_decimal(grid)
    names, unit, data, first = split_header_rows(grid, header_rows, dec)
    numbers = (line_numbers or list(range(1, len(grid) + 1)))[first:]
    keep = [i for i, row in enumerate(data) if any(c.strip() for c in row)]
    return RawTable(
        header_rows=names,
        rows=[data[i] for i in keep],
        file=file,
        name=name,
        caption=caption,
        decimal=dec,
        row_numbers=[numbers[i] for i in keep],
        unit_row=unit,
        footnotes=footnotes or [],
    )


def _guess_decimal(grid: list[list[str]]) -> str:
    cells = [c.strip() for row in grid[1:] for c in row]
    comma = sum(
        bool(re.fullmatch(r"[-−]?\d+,\d{1,2}|[-−]?\d+,\d{4,}|[-−]?0,\d+", c)) for c in cells
    )
    dot = sum(bool(re.fullmatch(r"[-−]?\d+\.\d+", c)) for c in cells)
    return "," if comma > 0 and dot == 0 else "."


def _read_csv(
    text: str, file: str | None, header_rows: int | None, decimal: str | None
) -> RawTable:
    lines = text.splitlines()
    caption, body = _caption_and_body(lines)
    offset = len(lines) - len(body)
    sample = "\n".join(body[:50])
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        counts = {d: sum(ln.count(d) for ln in body[:20]) for d in ",;\t|"}
        delimiter = max(counts, key=lambda d: counts[d])
        if counts[delimiter] == 0:
            delimiter = ","
    reader = csv.reader(io.StringIO("\n".join(body)), delimiter=delimiter, quotechar='"')
    try:
        grid = [row for row in reader]
    except csv.Error as exc:
        raise InputError(
            f"not a readable CSV: {exc}", file=file, row=offset + reader.line_num
        ) from None
    if decimal is None and delimiter != ",":
        decimal = None  # guessed from the cells
    elif decimal is None:
        decimal = "."  # a comma-separated file cannot use decimal commas unquoted
    numbers = [offset + i + 1 for i in range(len(grid))]
    return _finish(grid, file, None, caption, header_rows, decimal, numbers)


def _split_pipes(line: str) -> list[str]:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    return [c.replace("\\|", "|").strip() for c in re.split(r"(?<!\\)\|", line)]


def _read_markdown(
    text: str, file: str | None, table_index: int, header_rows: int | None, decimal: str | None
) -> RawTable:
    lines = text.splitlines()
    tables: list[tuple[str | None, list[tuple[int, str]]]] = []
    current: list[tuple[int, str]] = []
    caption: str | None = None
    last_text: str | None = None
    for number, line in enumerate(lines, start=1):
        if line.strip().startswith("|"):
            if not current:
                caption = (
                    last_text
                    if last_text and re.match(r"\s*\**\s*(Table|Tab\.)", last_text, re.I)
                    else None
                )
            current.append((number, line))
        else:
            if current:
                tables.append((caption, current))
                current = []
            if line.strip():
                last_text = line.strip().replace("**", "").strip("*_ ")
    if current:
        tables.append((caption, current))
    if not tables:
        raise InputError("no Markdown pipe table found", file=file)
    if table_index >= len(tables):
        raise InputError(
            f"table {table_index + 1} requested but the file has {len(tables)}", file=file
        )
    caption, rows = tables[table_index]
    sep = next(
        (
            i
            for i, (_, ln) in enumerate(rows)
            if re.fullmatch(r"\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*", ln)
        ),
        None,
    )
    grid = [_split_pipes(ln) for i, (_, ln) in enumerate(rows) if i != sep]
    numbers = [n for i, (n, _) in enumerate(rows) if i != sep]
    if header_rows is None and sep is not None and sep > 1:
        header_rows = sep
    name = f"table {table_index + 1}"
    return _finish(grid, file, name, caption, header_rows, decimal, numbers)


class _HTMLTables(HTMLParser):
    """Collect ``<table>`` cells with colspan/rowspan; ``<sup>x</sup>`` → ``^x``, ``<sub>`` → ``_``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict] = []
        self._stack: list[dict] = []
        self._cell: dict | None = None
        self._in_caption = False
        self._section = "body"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self._stack.append({"rows": [], "caption": "", "head_rows": 0})
        elif not self._stack:
            return
        elif tag == "caption":
            self._in_caption = True
        elif tag == "thead":
            self._section = "head"
        elif tag in ("tbody", "tfoot"):
            self._section = "body"
        elif tag == "tr":
            self._stack[-1]["rows"].append({"cells": [], "head": self._section == "head"})
        elif tag in ("td", "th"):
            if not self._stack[-1]["rows"]:
                self._stack[-1]["rows"].append({"cells": [], "head": self._section == "head"})
            self._cell = {
                "text": "",
                "th": tag == "th",
                "colspan": _int(a.get("colspan")),
                "rowspan": _int(a.get("rowspan")),
            }
            self._stack[-1]["rows"][-1]["cells"].append(self._cell)
        elif tag == "sup":
            self._emit("^")
        elif tag == "sub":
            self._emit("_")
        elif tag == "br":
            self._emit(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._stack:
            self.tables.append(self._stack.pop())
        elif tag in ("td", "th"):
            self._cell = None
        elif tag == "caption":
            self._in_caption = False
        elif tag == "thead":
            self._section = "body"

    def handle_data(self, data: str) -> None:
        self._emit(data)

    def _emit(self, text: str) -> None:
        if self._in_caption and self._stack:
            self._stack[-1]["caption"] += text
        elif self._cell is not None:
            self._cell["text"] += text


def _int(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 100))
    except ValueError:
        return 1


def _read_html(
    text: str, file: str | None, table_index: int, header_rows: int | None, decimal: str | None
) -> RawTable:
    parser = _HTMLTables()
    parser.feed(text)
    parser.close()
    if not parser.tables:
        raise InputError("no <table> found in the HTML", file=file)
    if table_index >= len(parser.tables):
        raise InputError(
            f"table {table_index + 1} requested but the file has {len(parser.tables)}", file=file
        )
    table = parser.tables[table_index]
    grid: list[list[str]] = []
    pending: dict[tuple[int, int], str] = {}  # rowspan fills
    head = 0
    for r, row in enumerate(table["rows"]):
        out: list[str] = []
        c = 0
        cells = iter(row["cells"])
        cell = next(cells, None)
        while cell is not None or (r, c) in pending:
            if (r, c) in pending:
                out.append(pending.pop((r, c)))
                c += 1
                continue
            if cell is None:
                break
            value = re.sub(r"\s+", " ", cell["text"]).strip().replace("^ ", "^")
            for k in range(cell["colspan"]):
                out.append(value)
                for down in range(1, cell["rowspan"]):
                    pending[(r + down, c + k)] = value
            c += cell["colspan"]
            cell = next(cells, None)
        grid.append(out)
        if row["head"] or (r == head and out and all(x["th"] for x in row["cells"])):
            head = r + 1
    if header_rows is None and head > 1:
        header_rows = head
    caption = re.sub(r"\s+", " ", table["caption"]).strip() or None
    return _finish(grid, file, f"table {table_index + 1}", caption, header_rows, decimal)
