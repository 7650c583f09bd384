"""Fuzzing ``import-table``: mutated layout tables, literature tables in every format the reader
takes (CSV, TSV, Markdown, HTML, PDF text, XLSX) and mapping YAML files.

The invariant (tests/conftest.py ``EntryPoint``): no traceback; a refusal is ``error:`` lines
naming the file and leaves the KB's rows, digest and integrity as they were; a success stores
only sound values.  One KB per test, built once and grown by the cases that succeed.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import anodelab

ROOT = Path(__file__).resolve().parents[2]
TABLES = ROOT / "tests" / "literature_import" / "data"
FUZZ = settings.get_profile("fuzz")

LAYOUTS = {
    "sources.csv": "source,kind,doi,title,year\nf1,paper,10.1/f1,Fuzz paper,2025\n",
    "samples.csv": (
        "source,sample,family,kind,parents,members\n"
        "f1,A,fam,material,,\nf1,A@P10,fam,material,A,\nf1,all,fam,group,,A;A@P10\n"
    ),
    "steps.csv": (
        "source,sample,step,step_type,quantity,substance,value,unit,basis\n"
        "f1,A,1,dispersion,mass,dextrin,2.0,g,\n"
        "f1,A,2,carbonization,temperature,,1000,°C,\n"
        "f1,A@P10,1,pitch_coating,fraction,pitch,10,wt%,mass_of_total\n"
    ),
    "cells.csv": (
        "source,cell,sample,cell_type,active_mass_loading,np_ratio,voltage_min,voltage_max,one_c\n"
        "f1,h1,A,half,1.2,,0.005,1.5,\nf1,f1c,A@P10,full,1.1,1.1,2.5,4.2,1 C = 200 mA g−1\n"
    ),
    "measurements.csv": (
        "source,sample,property,value,unit,value_min,value_max,uncertainty,qualifier,conditions,cell,locator\n"
        "f1,A,ICE,70.1,%,,,,,current_density=0.1 A g−1; cycle=1,,S2\n"
        "f1,A,discharge_capacity,2000,mA h g−1,,,,,current_density=0.1 A g−1; cycle=1,h1,S2\n"
        "f1,A,charge_capacity,1604,mAh/g,,,12,,current_density=100 mA/g; cycle=1,h1,S2\n"
        "f1,A@P10,capacity_retention,85,%,,,,,current_density=1 A/g; cycle=500,,S3\n"
        "f1,all,BET,,m² g⁻¹,1.8,7.9,,,,,S2\n"
    ),
}
LITERATURE = [
    "wide_acs_basic.csv",
    "bom_tab_thin_spaces.tsv",
    "markdown_pair.md",
    "html_two_row_header.html",
    "pdf_c_rate_diffusion.txt",
    "pdf_unit_row_multiline.txt",
    "multirow_unit_row.csv",
    "semicolon_decimal_comma_latin1.csv",
    "long_table.csv",
]
MAPPED = [("chinese_headers.csv", "chinese_mapping.yaml"), ("korean_headers.csv", "korean_mapping.yaml"),
          ("fractions_ice.csv", "fractions_mapping.yaml")]  # fmt: skip


@pytest.fixture(scope="module")
def base_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A KB holding the fuzz source with its samples, cells, steps and values."""
    folder = tmp_path_factory.mktemp("layouts")
    for name, text in LAYOUTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    db = folder / "base.db"
    with anodelab.open(db, create=True) as kb:
        kb.import_folder(folder)
    return db


@FUZZ
@given(data=st.data())
def test_layout_tables(kb: Path, tmp_path: Path, entry_point, mutate, data) -> None:
    name = data.draw(st.sampled_from(sorted(LAYOUTS)), label="layout")
    content = data.draw(mutate(LAYOUTS[name].encode()), label="content")
    path = tmp_path / name
    path.write_bytes(content)
    entry_point("import-table", path, "--db", kb, db=kb, names=(name,))


@functools.cache  # openpyxl stamps the save time into the file: one workbook per text, so a
def _xlsx(text: str) -> bytes:  # case replays with the same bytes (hypothesis checks it does)
    """A workbook whose first sheet holds the comma-separated ``text``."""
    import csv

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in csv.reader(io.StringIO(text.replace("\r\n", "\n").replace("\r", "\n"))):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@FUZZ
@given(data=st.data())
def test_literature_tables_in_every_format(kb: Path, tmp_path: Path, entry_point, mutate, data):
    name = data.draw(st.sampled_from([*LITERATURE, "as.xlsx"]), label="table")
    if name == "as.xlsx":
        text = (TABLES / "wide_acs_basic.csv").read_text(encoding="utf-8")
        mutated = data.draw(mutate(text.encode()), label="cells")
        content = _xlsx(mutated.decode("utf-8", errors="replace").replace("\x00", ""))
        if data.draw(st.booleans(), label="byte-level"):
            content = data.draw(mutate(content), label="bytes")
    else:
        content = data.draw(mutate((TABLES / name).read_bytes()), label="content")
    path = tmp_path / name
    path.write_bytes(content)
    source = data.draw(st.sampled_from(["f1", "10.1000/fuzz", "'; DROP TABLE sources;--"]))
    entry_point("import-table", path, "--db", kb, "--source", source, db=kb, names=(name,))


@FUZZ
@given(data=st.data())
def test_mapping_files(kb: Path, tmp_path: Path, entry_point, mutate, data) -> None:
    table, mapping = data.draw(st.sampled_from(MAPPED), label="pair")
    table_bytes = (TABLES / table).read_bytes()
    if data.draw(st.booleans(), label="mutate table too"):
        table_bytes = data.draw(mutate(table_bytes), label="table")
    map_bytes = data.draw(mutate((TABLES / mapping).read_bytes()), label="mapping")
    (tmp_path / table).write_bytes(table_bytes)
    (tmp_path / mapping).write_bytes(map_bytes)
    entry_point(
        "import-table", tmp_path / table, "--db", kb, "--map", tmp_path / mapping,
        db=kb, names=(table, mapping),
    )  # fmt: skip
