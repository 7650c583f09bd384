"""Hypothesis: garbage and near-miss tables never crash, never import in part, never invent values."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import anodelab
from anodelab.ingest.tables import read_text_table
from anodelab.ingest.wide import bundle_from_table
from anodelab.schema.cells import parse_cell
from anodelab.schema.errors import AnodelabError

HEADERS = [
    "Material", "Reversible capacity (mA h g−1)", "Current density (A g−1)", "Cycles", "ICE (%)",
    "Retention (%) after 100 cycles", "Pitch content / wt%", "T_carb (°C)", "Ref.", "Capacity (mA cm−2)",
    "Discharge/charge capacity (mA h g−1)", "R_ct (Ω)", "Notes", "", "N content (at%)", "Rate (C)",
]  # fmt: skip
CELLS = [
    "1520", "≈91", "651 ± 12", "50–140", "2200/1589", "3.2 × 10−12", "1,234", "651ᵃ", "–", "n/a", "",
    "-3", "104", "0.72", "abc", "10.1021/acs.1", "Si@C", "1 234", "85,3", "1st", "~", "±", "1e999",
    "nan", "inf", "∞", "-", "0", "1e-320", "12 and 14",
]  # fmt: skip
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
cell_text = st.one_of(st.sampled_from(CELLS), st.text(max_size=12))


def _numbers_in(text: str) -> bool:
    return bool(re.search(r"\d", text))


@SETTINGS
@given(st.text(max_size=40))
def test_parse_cell_never_crashes_and_never_invents(text):
    try:
        cell = parse_cell(text, allow_pair=True)
    except AnodelabError:
        return
    if cell.has_value:
        assert _numbers_in(text)  # a value needs digits in the input
    else:
        assert cell.value is None


@st.composite
def near_miss_tables(draw):
    width = draw(st.integers(1, 6))
    header = [draw(st.one_of(st.sampled_from(HEADERS), st.text(max_size=10))) for _ in range(width)]
    rows = draw(
        st.lists(st.lists(cell_text, min_size=width, max_size=width), min_size=0, max_size=5)
    )
    delim = draw(st.sampled_from([",", ";", "\t"]))
    clean = [
        [c.replace(delim, " ").replace('"', " ").replace("\n", " ").replace("\r", " ") for c in r]
        for r in [header, *rows]
    ]
    return "\n".join(delim.join(r) for r in clean), clean


@SETTINGS
@given(near_miss_tables(), st.sampled_from([None, "10.1000/test"]))
def test_tables_never_crash_and_every_number_is_in_the_input(table, source):
    text, grid = table
    try:
        raw = read_text_table(text, kind="csv", file="t.csv")
        bundle = bundle_from_table(raw, source=source)
    except AnodelabError:
        return
    if bundle.errors:
        return  # rejected whole: nothing of it would be stored
    for record in bundle.measurements + bundle.steps:
        row = raw.row_numbers.index(record.provenance.row)
        col = raw.headers.index(record.provenance.column)
        printed = raw.rows[row][col]
        assert record.raw_value == printed.strip()  # the stored number came from this very cell
        cell = parse_cell(printed, allow_pair=True, decimal=raw.decimal)
        assert cell.has_value
        numbers = [
            x for x in (cell.value, cell.second, cell.value_min, cell.value_max) if x is not None
        ]
        assert numbers and _numbers_in(printed)


@pytest.fixture(scope="module")
def kb_path(tmp_path_factory):
    return tmp_path_factory.mktemp("kb") / "kb.sqlite"


def _counts(kb) -> tuple[int, int, int]:
    db = kb.db
    return tuple(
        db.execute(f"select count(*) from {t}").fetchone()[0]
        for t in ("samples", "measurements", "sources")
    )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(near_miss_tables(), st.booleans())
def test_strict_is_all_or_nothing_and_refused_rows_are_never_written(
    kb_path, tmp_path_factory, table, strict
):
    text, _ = table
    path = tmp_path_factory.mktemp("t") / "table.csv"
    path.write_text(text, encoding="utf-8")
    with anodelab.open(kb_path, create=True) as kb:
        before = _counts(kb)
        try:
            report = kb.import_table(path, source="10.1000/prop", strict=strict)
        except AnodelabError:
            assert _counts(kb) == before  # rejected: nothing written
            return
        assert not report.kept.errors
        if strict:
            assert not report.bundle.errors and not report.refused
        after = _counts(kb)
        assert after[1] - before[1] <= len(report.kept.measurements)
        refused = {p.row for p in report.refused}
        if report.write is not None and report.write.status != "unchanged":
            stored_rows = {
                r[0]
                for r in kb.db.execute(
                    "SELECT row FROM measurements WHERE import_id = ?", [report.write.import_id]
                ).fetchall()
            }
            assert not stored_rows & refused  # no value of a refused row is stored
