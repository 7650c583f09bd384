"""Consistency checks: recompute derived numbers from their stated ingredients.

Papers state derived numbers next to the numbers they come from.  After every import the KB
recomputes them and records both in the ``checks`` table, flagging disagreements beyond what the
printed rounding allows:

* ``ice_from_capacities``: ICE = first charge / first discharge (anode half-cell: delithiation /
  lithiation) or first discharge / first charge (full cell), × 100 %;
* ``fade_from_retention``: fade per cycle = (100 % − retention) / (n − n_ref);
* ``thickness_change``: 100 · (t_state − t_reference_state) / t_reference_state.

Ingredients are paired only when they were measured at the same conditions (every condition
column of ``v_measurements`` compared, except the ones a rule names).  When a paper states the
ingredients but not the derived number (capacities but no ICE), the recomputed value is stored as
a measurement with ``origin = 'computed'``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd
import sqlite_utils

from anodelab.kb.db import inserted_id
from anodelab.kb.views import condition_columns

__all__ = ["run_checks", "rounding_half_unit", "CHECKED_PROPERTIES"]


def rounding_half_unit(raw: Any, value: float | None) -> float:
    """Half of the last printed digit: ``"2213"`` → 0.5, ``"85.3"`` → 0.05 (no text → 0)."""
    text = (
        str(raw).strip()
        if raw not in (None, "") and not (isinstance(raw, float) and np.isnan(raw))
        else ""
    )
    if not text:
        return 0.0
    try:
        exponent = Decimal(text.replace(",", "").replace("−", "-")).as_tuple().exponent
    except (InvalidOperation, ValueError):
        return 0.0
    if not isinstance(exponent, int):
        return 0.0
    return 0.5 * 10.0**exponent


# the properties the rules read: a value of any other property never enters a check
CHECKED_PROPERTIES = (
    "discharge_capacity",
    "charge_capacity",
    "initial_coulombic_efficiency",
    "capacity_retention",
    "fade_rate",
    "electrode_thickness",
    "electrode_thickness_change",
)


def _values(db: sqlite_utils.Database, sample_ids: list[int] | None) -> pd.DataFrame:
    """The stated values the rules read, of every sample or of ``sample_ids``, one column per
    condition (as ``v_measurements`` has them).

    Read from the tables, not the view: the view pivots the conditions of every value of the
    KB before a filter applies, which made a 2-row import pay for the whole KB."""
    pivots = ", ".join(
        f"MAX(CASE WHEN mc.name = '{name}' THEN {'mc.value' if numeric else 'mc.text_value'} END)"
        f' AS "{name}"'
        for name, numeric in condition_columns()
    )
    props = ", ".join(f"'{p}'" for p in CHECKED_PROPERTIES)
    scope = "" if sample_ids is None else " AND m.sample_id IN (SELECT value FROM json_each(?))"
    return pd.read_sql_query(
        f"""SELECT m.id AS measurement_id, m.sample_id, m.cell_id, m.source_id, m.property,
                   m.value, m.raw_value, c.cell_type, {pivots}
            FROM measurements m LEFT JOIN cells c ON c.id = m.cell_id
            LEFT JOIN measurement_conditions mc ON mc.measurement_id = m.id
            WHERE m.value IS NOT NULL AND m.origin != 'computed' AND m.property IN ({props}){scope}
            GROUP BY m.id""",
        db.conn,
        params=None if sample_ids is None else [json.dumps(sample_ids)],
    )


def _same(a: Any, b: Any) -> bool:
    a_missing, b_missing = pd.isna(a), pd.isna(b)
    if a_missing or b_missing:
        return bool(a_missing and b_missing)
    if isinstance(a, str) or isinstance(b, str):
        return str(a) == str(b)
    return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)))


def _matching(frame: pd.DataFrame, row: pd.Series, ignore: set[str]) -> pd.DataFrame:
    """Rows of ``frame`` with the same sample, cell and every condition except ``ignore``."""
    keep = (frame["sample_id"] == row["sample_id"]).to_numpy().copy()
    keep &= np.array([_same(a, row["cell_id"]) for a in frame["cell_id"]], dtype=bool)
    for name, _ in condition_columns():
        if name in ignore or name not in frame.columns:
            continue
        keep &= np.array([_same(a, row[name]) for a in frame[name]], dtype=bool)
    return frame[keep]


def _norm(value: Any) -> Any:
    """A cell as a dictionary key: missing → None, text as text, a number to 9 significant
    digits (the tolerance :func:`_same` allows)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, str):
        return value
    return float(f"{float(value):.9g}")


def _key_columns(frame: pd.DataFrame, ignore: set[str]) -> list[str]:
    names = [n for n, _ in condition_columns() if n not in ignore and n in frame.columns]
    return ["sample_id", "cell_id", *names]


class _Index:
    """Rows of a frame by sample, cell and every condition except ``ignore``: what
    :func:`_matching` finds by scanning, found by one dictionary lookup per row (the checks of
    an import cost O(rows), not O(rows²))."""

    def __init__(self, frame: pd.DataFrame, ignore: set[str]) -> None:
        self.frame = frame
        self.columns = _key_columns(frame, ignore)
        self.rows: dict[tuple[Any, ...], list[int]] = {}
        cells = frame[self.columns].to_numpy(dtype=object) if len(frame) else []
        for position, row in enumerate(cells):
            self.rows.setdefault(tuple(_norm(v) for v in row), []).append(position)

    def matching(self, row: pd.Series) -> pd.DataFrame:
        key = tuple(_norm(row.get(c)) for c in self.columns)
        return self.frame.iloc[self.rows.get(key, [])]


def _record(db: sqlite_utils.Database, rule: str, sample_id: int, stated_row: Any, inputs: Iterable[int],
            recomputed: float, unit: str, tolerance: float, note: str) -> str:  # fmt: skip
    if stated_row is None:
        status, stated, mid = "computed", None, None
    else:
        stated, mid = float(stated_row["value"]), int(stated_row["measurement_id"])
        status = "ok" if abs(stated - recomputed) <= tolerance + 1e-9 else "mismatch"
    db.execute(
        "INSERT INTO checks (rule, sample_id, measurement_id, input_ids, stated, recomputed, unit, tolerance, status, note)"
        " VALUES (?,?,?,?,?,?,?,?,?,?)",
        [
            rule,
            sample_id,
            mid,
            json.dumps([int(i) for i in inputs]),
            stated,
            recomputed,
            unit,
            tolerance,
            status,
            note,
        ],
    )
    return status


def _copy_conditions(db: sqlite_utils.Database, from_id: int, to_id: int) -> None:
    db.execute(
        "INSERT INTO measurement_conditions (measurement_id, name, value, unit, text_value)"
        " SELECT ?, name, value, unit, text_value FROM measurement_conditions WHERE measurement_id = ?",
        [to_id, from_id],
    )


def _check_ice(db: sqlite_utils.Database, values: pd.DataFrame, counts: dict[str, int]) -> None:
    first = values[
        (values["cycle"] == 1) & values["property"].isin(["discharge_capacity", "charge_capacity"])
    ]
    charges = first[first["property"] == "charge_capacity"]
    stated_ice = values[values["property"] == "initial_coulombic_efficiency"]
    charges_at, stated_at = (
        _Index(charges, {"half_cycle"}),
        _Index(stated_ice, {"cycle", "half_cycle"}),
    )
    for _, d in first[first["property"] == "discharge_capacity"].iterrows():
        match = charges_at.matching(d)
        if len(match) != 1:
            continue
        c = match.iloc[0]
        full = d["cell_type"] == "full"
        num, den = (d, c) if full else (c, d)
        ice = 100.0 * num["value"] / den["value"]
        dn, dd = (
            rounding_half_unit(num["raw_value"], num["value"]),
            rounding_half_unit(den["raw_value"], den["value"]),
        )
        tol = 100.0 * (dn / den["value"] + num["value"] * dd / den["value"] ** 2)
        candidates = stated_at.matching(d)
        if candidates.empty:  # an ICE stated for this sample and cell with fewer conditions
            same_cell = stated_ice[(stated_ice["sample_id"] == d["sample_id"])]
            candidates = same_cell[
                np.array([_same(a, d["cell_id"]) for a in same_cell["cell_id"]], dtype=bool)
            ]
        stated = candidates.iloc[0] if len(candidates) == 1 else None
        if stated is not None:
            tol += rounding_half_unit(stated["raw_value"], stated["value"])
        convention = ("full cell: first discharge / first charge" if full
                      else "anode half-cell: first delithiation (charge) / first lithiation (discharge)")  # fmt: skip
        status = _record(db, "ice_from_capacities", int(d["sample_id"]), stated,
                         [d["measurement_id"], c["measurement_id"]], ice, "percent", tol, convention)  # fmt: skip
        counts[status] = counts.get(status, 0) + 1
        if stated is None and len(candidates) == 0:
            mid = inserted_id(db.execute(
                """INSERT INTO measurements (sample_id, cell_id, source_id, property, value, unit, qualifier, origin, note, locator)
                   VALUES (?,?,?,?,?,?,?,?,?,?)""",
                [int(d["sample_id"]), None if pd.isna(d["cell_id"]) else int(d["cell_id"]), int(d["source_id"]),
                 "initial_coulombic_efficiency", ice, "percent", "=", "computed",
                 f"computed from stated first-cycle capacities ({convention})", "computed"],
            ))  # fmt: skip
            _copy_conditions(db, int(d["measurement_id"]), int(mid))


def _check_fade(db: sqlite_utils.Database, values: pd.DataFrame, counts: dict[str, int]) -> None:
    retentions = _Index(values[values["property"] == "capacity_retention"], {"reference_cycle"})
    for _, f in values[values["property"] == "fade_rate"].iterrows():
        same = retentions.matching(f)
        if len(same) != 1 or pd.isna(f["cycle"]):
            continue
        r = same.iloc[0]
        ref = next(
            (float(v) for v in (r["reference_cycle"], f["reference_cycle"]) if not pd.isna(v)), 1.0
        )
        span = float(f["cycle"]) - ref
        if span <= 0:
            continue
        fade = (100.0 - float(r["value"])) / span
        tol = rounding_half_unit(r["raw_value"], r["value"]) / span + rounding_half_unit(
            f["raw_value"], f["value"]
        )
        status = _record(db, "fade_from_retention", int(f["sample_id"]), f, [r["measurement_id"]], fade, "percent",
                         tol, f"(100 − retention)/(cycle − reference cycle {ref:g})")  # fmt: skip
        counts[status] = counts.get(status, 0) + 1


def _check_thickness(
    db: sqlite_utils.Database, values: pd.DataFrame, counts: dict[str, int]
) -> None:
    thick = values[values["property"] == "electrode_thickness"]
    thick_at = _Index(thick, {"reference_state"})
    for _, ch in values[values["property"] == "electrode_thickness_change"].iterrows():
        if pd.isna(ch["state"]) or pd.isna(ch["reference_state"]):
            continue
        at = thick_at.matching(ch)
        reference = thick[
            (thick["sample_id"] == ch["sample_id"]) & (thick["state"] == ch["reference_state"])
        ]
        reference = reference[
            np.array([_same(a, ch["cell_id"]) for a in reference["cell_id"]], dtype=bool)
        ]
        if len(reference) > 1:  # several reference thicknesses: take the one at the same conditions
            reference = _matching(reference, ch, ignore={"reference_state", "state"})
        if len(at) != 1 or len(reference) != 1:
            continue
        t1, t0 = float(at.iloc[0]["value"]), float(reference.iloc[0]["value"])
        change = 100.0 * (t1 - t0) / t0
        d1 = rounding_half_unit(at.iloc[0]["raw_value"], t1)
        d0 = rounding_half_unit(reference.iloc[0]["raw_value"], t0)
        tol = 100.0 * (d1 / t0 + t1 * d0 / t0**2) + rounding_half_unit(ch["raw_value"], ch["value"])
        status = _record(db, "thickness_change", int(ch["sample_id"]), ch,
                         [at.iloc[0]["measurement_id"], reference.iloc[0]["measurement_id"]], change, "percent", tol,
                         f"100·(t[{ch['state']}] − t[{ch['reference_state']}])/t[{ch['reference_state']}]")  # fmt: skip
        counts[status] = counts.get(status, 0) + 1


def run_checks(
    db: sqlite_utils.Database, sample_ids: Iterable[int] | None = None
) -> dict[str, int]:
    """Recompute the checks (inside the caller's transaction); returns counts by status.

    Every rule pairs values of one sample, so an import recomputes only the samples it touched
    (``sample_ids``: the samples of the values it wrote and removed, and of the cells and samples
    it changed) and the cost follows the import, not the KB.  ``None`` recomputes every sample.
    """
    scope = None if sample_ids is None else sorted({int(i) for i in sample_ids})
    if scope is None:
        where, params = "", []
    else:
        where, params = " AND sample_id IN (SELECT value FROM json_each(?))", [json.dumps(scope)]
    db.execute(f"DELETE FROM checks WHERE 1{where}", params)
    db.execute(
        "DELETE FROM measurement_conditions WHERE measurement_id IN"
        f" (SELECT id FROM measurements WHERE origin = 'computed'{where})",
        params,
    )
    db.execute(f"DELETE FROM measurements WHERE origin = 'computed'{where}", params)
    counts: dict[str, int] = {}
    if scope is not None and not scope:
        return counts
    values = _values(db, scope)
    if values.empty:
        return counts
    _check_ice(db, values, counts)
    _check_fade(db, values, counts)
    _check_thickness(db, values, counts)
    return counts
