"""Consistency checks: recompute derived numbers from their stated ingredients.

Papers state derived numbers next to the numbers they come from.  After every import the KB
recomputes them and records both in the ``checks`` table, flagging disagreements beyond what the
printed rounding allows:

* ``ice_from_capacities``: ICE = first charge / first discharge (anode half-cell: delithiation /
  lithiation) or first discharge / first charge (full cell), × 100 %.
* ``fade_from_retention``: fade per cycle = (100 % − retention) / (n − n_ref).
* ``thickness_change``: 100 · (t_state − t_reference_state) / t_reference_state.

When a paper states the ingredients but not the derived number (capacities but no ICE), the
recomputed value is stored as a measurement with ``origin = 'computed'``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd
import sqlite_utils

__all__ = ["run_checks", "rounding_half_unit"]

_KEY = ["sample_id", "cell_id", "source_id"]


def rounding_half_unit(raw: Any, value: float | None) -> float:
    """Half of the last printed digit: ``"2213"`` → 0.5, ``"85.3"`` → 0.05 (exact values → 0)."""
    text = str(raw).strip() if raw not in (None, "") else (repr(value) if value is not None else "")
    try:
        exponent = Decimal(text.replace(",", "").replace("−", "-")).as_tuple().exponent
    except (InvalidOperation, ValueError):
        return 0.0
    if not isinstance(exponent, int):
        return 0.0
    return 0.5 * 10.0**exponent


def _values(db: sqlite_utils.Database) -> pd.DataFrame:
    frame = pd.read_sql_query(
        """SELECT m.id, m.sample_id, m.cell_id, m.source_id, m.property, m.value, m.raw_value, m.origin,
                  c.cell_type,
                  (SELECT value FROM measurement_conditions WHERE measurement_id = m.id AND name = 'cycle') AS cycle,
                  (SELECT value FROM measurement_conditions WHERE measurement_id = m.id AND name = 'reference_cycle') AS reference_cycle,
                  (SELECT value FROM measurement_conditions WHERE measurement_id = m.id AND name = 'current_density') AS current_density,
                  (SELECT value FROM measurement_conditions WHERE measurement_id = m.id AND name = 'c_rate') AS c_rate,
                  (SELECT text_value FROM measurement_conditions WHERE measurement_id = m.id AND name = 'state') AS state,
                  (SELECT text_value FROM measurement_conditions WHERE measurement_id = m.id AND name = 'reference_state') AS reference_state
           FROM measurements m LEFT JOIN cells c ON c.id = m.cell_id
           WHERE m.value IS NOT NULL AND m.origin != 'computed'""",
        db.conn,
    )
    return frame


def _same(a: Any, b: Any) -> bool:
    if pd.isna(a) and pd.isna(b):
        return True
    if pd.isna(a) or pd.isna(b):
        return False
    return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)))


def _eq(column: pd.Series, value: Any) -> np.ndarray:
    """Element-wise :func:`_same` (NaN equals NaN) as a boolean array."""
    return np.array([_same(a, value) for a in column], dtype=bool)


def _record(db: sqlite_utils.Database, rule: str, sample_id: int, stated_row: Any, inputs: Iterable[int],
            recomputed: float, unit: str, tolerance: float, note: str) -> str:  # fmt: skip
    if stated_row is None:
        status = "computed"
        stated, mid = None, None
    else:
        stated, mid = float(stated_row["value"]), int(stated_row["id"])
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


def _copy_conditions(db: sqlite_utils.Database, from_id: int, to_id: int, skip: set[str]) -> None:
    for name, value, unit, text in db.execute(
        "SELECT name, value, unit, text_value FROM measurement_conditions WHERE measurement_id = ?",
        [from_id],
    ).fetchall():
        if name not in skip:
            db.execute(
                "INSERT INTO measurement_conditions (measurement_id, name, value, unit, text_value) VALUES (?,?,?,?,?)",
                [to_id, name, value, unit, text],
            )


def _check_ice(db: sqlite_utils.Database, values: pd.DataFrame, counts: dict[str, int]) -> None:
    first = values[
        (values["cycle"] == 1) & values["property"].isin(["discharge_capacity", "charge_capacity"])
    ]
    stated_ice = values[values["property"] == "initial_coulombic_efficiency"]
    for _, group in first.groupby(_KEY, dropna=False):
        dis = group[group["property"] == "discharge_capacity"]
        ch = group[group["property"] == "charge_capacity"]
        for _, d in dis.iterrows():
            match = ch[
                _eq(ch["current_density"], d["current_density"]) & _eq(ch["c_rate"], d["c_rate"])
            ]
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
            candidates = stated_ice[
                (stated_ice["sample_id"] == d["sample_id"])
                & _eq(stated_ice["cell_id"], d["cell_id"])
            ]
            cand_same_rate = candidates[
                _eq(candidates["current_density"], d["current_density"])
                | candidates["current_density"].isna().to_numpy()
            ]
            stated = cand_same_rate.iloc[0] if len(cand_same_rate) else None
            if stated is not None:
                tol += rounding_half_unit(stated["raw_value"], stated["value"])
            convention = (
                "full cell: first discharge / first charge"
                if full
                else "anode half-cell: first delithiation (charge) / first lithiation (discharge)"
            )
            status = _record(
                db,
                "ice_from_capacities",
                int(d["sample_id"]),
                stated,
                [d["id"], c["id"]],
                ice,
                "percent",
                tol,
                convention,
            )
            counts[status] = counts.get(status, 0) + 1
            if stated is None:
                mid = db.execute(
                    """INSERT INTO measurements (sample_id, cell_id, source_id, property, value, unit, qualifier, origin, note, locator)
                       VALUES (?,?,?,?,?,?,?,?,?,?)""",
                    [int(d["sample_id"]), None if pd.isna(d["cell_id"]) else int(d["cell_id"]), int(d["source_id"]),
                     "initial_coulombic_efficiency", ice, "percent", "=", "computed",
                     f"computed from stated first-cycle capacities ({convention})", "computed"],
                ).lastrowid  # fmt: skip
                _copy_conditions(db, int(d["id"]), int(mid), skip=set())


def _check_fade(db: sqlite_utils.Database, values: pd.DataFrame, counts: dict[str, int]) -> None:
    fades = values[values["property"] == "fade_rate"]
    retentions = values[values["property"] == "capacity_retention"]
    for _, f in fades.iterrows():
        same = retentions[
            (retentions["sample_id"] == f["sample_id"])
            & _eq(retentions["cell_id"], f["cell_id"])
            & _eq(retentions["cycle"], f["cycle"])
            & _eq(retentions["current_density"], f["current_density"])
            & _eq(retentions["c_rate"], f["c_rate"])
        ]
        if len(same) != 1 or pd.isna(f["cycle"]):
            continue
        r = same.iloc[0]
        ref = (
            r["reference_cycle"]
            if not pd.isna(r["reference_cycle"])
            else (f["reference_cycle"] if not pd.isna(f["reference_cycle"]) else 1.0)
        )
        span = float(f["cycle"]) - float(ref)
        if span <= 0:
            continue
        fade = (100.0 - float(r["value"])) / span
        tol = rounding_half_unit(r["raw_value"], r["value"]) / span + rounding_half_unit(
            f["raw_value"], f["value"]
        )
        status = _record(db, "fade_from_retention", int(f["sample_id"]), f, [r["id"]], fade, "percent",
                         tol, f"(100 − retention)/(cycle − reference cycle {ref:g})")  # fmt: skip
        counts[status] = counts.get(status, 0) + 1


def _check_thickness(
    db: sqlite_utils.Database, values: pd.DataFrame, counts: dict[str, int]
) -> None:
    changes = values[values["property"] == "electrode_thickness_change"]
    thick = values[values["property"] == "electrode_thickness"]
    for _, ch in changes.iterrows():
        if pd.isna(ch["state"]) or pd.isna(ch["reference_state"]):
            continue
        rows = thick[(thick["sample_id"] == ch["sample_id"]) & _eq(thick["cell_id"], ch["cell_id"])]
        at = rows[rows["state"] == ch["state"]]
        ref = rows[rows["state"] == ch["reference_state"]]
        if len(at) != 1 or len(ref) != 1:
            continue
        t1, t0 = float(at.iloc[0]["value"]), float(ref.iloc[0]["value"])
        change = 100.0 * (t1 - t0) / t0
        d1, d0 = (
            rounding_half_unit(at.iloc[0]["raw_value"], t1),
            rounding_half_unit(ref.iloc[0]["raw_value"], t0),
        )
        tol = 100.0 * (d1 / t0 + t1 * d0 / t0**2) + rounding_half_unit(ch["raw_value"], ch["value"])
        status = _record(db, "thickness_change", int(ch["sample_id"]), ch, [at.iloc[0]["id"], ref.iloc[0]["id"]], change,
                         "percent", tol, f"100·(t[{ch['state']}] − t[{ch['reference_state']}])/t[{ch['reference_state']}]")  # fmt: skip
        counts[status] = counts.get(status, 0) + 1


def run_checks(db: sqlite_utils.Database) -> dict[str, int]:
    """Recompute every check (inside the caller's transaction); returns counts by status."""
    db.execute("DELETE FROM checks")
    db.execute(
        "DELETE FROM measurement_conditions WHERE measurement_id IN (SELECT id FROM measurements WHERE origin = 'computed')"
    )
    db.execute("DELETE FROM measurements WHERE origin = 'computed'")
    values = _values(db)
    counts: dict[str, int] = {}
    if values.empty:
        return counts
    _check_ice(db, values, counts)
    _check_fade(db, values, counts)
    _check_thickness(db, values, counts)
    return counts
