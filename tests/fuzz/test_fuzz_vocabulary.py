"""Fuzzing ``vocabulary add``: names, kinds, units, ranges (``nan``, ``inf``, reversed) and
synonyms that collide with shipped terms.  Invariant as in test_fuzz_import_table.py; a term
that was added has a finite range with min ≤ max."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

FUZZ = settings.get_profile("fuzz")

NAMES = ["plateau_x", "fz_term", "Plateau X", "discharge_capacity", "ice", "1abc", "", "a" * 300,
         "x'; DROP TABLE user_terms;--", "ünïcode_term", "cycle", "pitch_wt_pct", "t\u202e"]  # fmt: skip
UNITS = ["mA h g-1", "mAh/g", "g/cm3", "nm", "%", "1", "wt%", "°C", "kelvin", "bogus", "",
         "mA h g−1", "m**2/g", "1/0", "nan"]  # fmt: skip
BOUNDS = ["0", "-1", "100", "1e400", "nan", "inf", "-inf", "5", "1e308"]
SYNONYMS = ["ICE", "capacity", "plateau", "x", "", "T", "'; --"]


@FUZZ
@given(data=st.data())
def test_vocabulary_add(kb: Path, entry_point, data) -> None:
    args = ["vocabulary", "add", data.draw(st.sampled_from(NAMES), label="name")]
    args += ["--kind", data.draw(st.sampled_from(["property", "parameter", "condition", "x"]))]
    if data.draw(st.booleans(), label="text?"):
        args.append("--text")
    if data.draw(st.integers(0, 3), label="unit?"):
        args += ["--unit", data.draw(st.sampled_from(UNITS))]
    for bound in ("--min", "--max"):
        if data.draw(st.booleans(), label=bound):
            args += [bound, data.draw(st.sampled_from(BOUNDS))]
    for synonym in data.draw(st.lists(st.sampled_from(SYNONYMS), max_size=2), label="synonyms"):
        args += ["--synonym", synonym]
    code, _, _ = entry_point(*args, "--db", kb, db=kb)
    with sqlite3.connect(kb) as conn:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(user_terms)")]
        low_high = [c for c in ("min", "max", "min_value", "max_value") if c in columns]
        if len(low_high) == 2:
            for low, high in conn.execute(f"SELECT {low_high[0]}, {low_high[1]} FROM user_terms"):
                for bound in (low, high):
                    assert bound is None or math.isfinite(bound), (args, low, high)
                if low is not None and high is not None:
                    assert low <= high, (args, low, high)
