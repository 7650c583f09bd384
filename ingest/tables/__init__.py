"""Readers that turn a table file into a :class:`RawTable`: header rows + a grid of strings.

No interpretation happens here (no units, no numbers): readers only recover the cells as printed,
so that :mod:`anodelab.ingest.headers` and :mod:`anodelab.ingest.wide` can report every cell with
its file, row and column.  :func:`read_table` picks the reader from the file suffix.
"""

from anodelab.ingest.tables.grid import RawTable, split_header_rows
from anodelab.ingest.tables.readers import read_table, read_text_table

__all__ = ["RawTable", "read_table", "read_text_table", "split_header_rows"]
