"""Reading the KB into pandas DataFrames: samples, values, steps and composition–performance relations."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlite_utils

from anodelab.kb.recipes import lineage_steps, recipe_vectors
from anodelab.kb.views import condition_columns
from anodelab.schema.conditions import ConditionSpec
from anodelab.schema.errors import UnknownNameError, suggest
from anodelab.schema.vocabulary import load_vocabulary

__all__ = [
    "samples",
    "measurements",
    "steps",
    "relation",
    "Relation",
    "sources",
    "imports",
    "existing_source_and_sample",
    "checks",
]


def sources(db: sqlite_utils.Database) -> pd.DataFrame:
    return pd.read_sql_query(
        "SELECT key AS source, kind, doi, title, year, authors, journal, license FROM sources ORDER BY key",
        db.conn,
    )


def samples(
    db: sqlite_utils.Database, *, source: str | None = None, family: str | None = None
) -> pd.DataFrame:
    """All samples with their source, family, kind, parents, group members and value counts."""
    frame = pd.read_sql_query(
        """SELECT s.label AS sample, src.key AS source, s.family, s.kind,
                  (SELECT group_concat(p.label, '; ') FROM sample_parents sp JOIN samples p ON p.id = sp.parent_id
                   WHERE sp.sample_id = s.id ORDER BY sp.position) AS parents,
                  (SELECT group_concat(g.label, '; ') FROM group_members gm JOIN samples g ON g.id = gm.member_id
                   WHERE gm.group_id = s.id) AS members,
                  (SELECT COUNT(*) FROM measurements m WHERE m.sample_id = s.id) AS n_values,
                  s.description, s.locator
           FROM samples s JOIN sources src ON src.id = s.source_id ORDER BY src.key, s.id""",
        db.conn,
    )
    if source is not None:
        frame = frame[frame["source"] == source]
    if family is not None:
        frame = frame[frame["family"] == family]
    return frame.reset_index(drop=True)


def existing_source_and_sample(
    db: sqlite_utils.Database, source: str, sample: str
) -> tuple[bool, bool]:
    """Whether the KB has source ``source``, and a sample ``sample`` of that source."""
    row = db.execute(
        "SELECT src.id, (SELECT COUNT(*) FROM samples s WHERE s.source_id = src.id AND s.label = ?)"
        " FROM sources src WHERE src.key = ?",
        [sample, source],
    ).fetchone()
    return (row is not None, bool(row and row[1]))


def imports(db: sqlite_utils.Database) -> pd.DataFrame:
    """The ledger; ``rows_taken``/``rows_refused`` where the KB records them (issue 17)."""
    have = {row[1] for row in db.execute("PRAGMA table_info(imports)").fetchall()}
    rows = ", rows_taken, rows_refused" if "rows_refused" in have else ""
    return pd.read_sql_query(
        f"SELECT id, dataset, status, n_rows{rows}, started_at, file_path, file_sha256, importer, "
        "importer_version, replaces_import_id FROM imports ORDER BY id",
        db.conn,
    )


def checks(db: sqlite_utils.Database, *, status: str | None = None) -> pd.DataFrame:
    frame = pd.read_sql_query("SELECT * FROM v_checks ORDER BY id", db.conn)
    return frame if status is None else frame[frame["status"] == status].reset_index(drop=True)


def measurements(
    db: sqlite_utils.Database,
    *,
    property: str | None = None,
    sample: str | None = None,
    source: str | None = None,
    conditions: ConditionSpec | dict[str, Any] | None = None,
    include_computed: bool = True,
) -> pd.DataFrame:
    """Tidy values: one row per value, one column per condition (canonical units).

    ``property`` accepts any synonym (``"ICE"``).  ``conditions`` keeps only values measured at
    those conditions (``{"cycle": 500, "current_density": "1 A/g"}``).
    """
    vocab = load_vocabulary()
    where, params = [], []
    if property is not None:
        where.append("property = ?")
        params.append(vocab.get("property", property).name)
    if sample is not None:
        where.append("sample = ?")
        params.append(sample)
    if source is not None:
        _check_source(db, source)
        where.append("source = ?")
        params.append(source)
    if not include_computed:
        where.append("origin != 'computed'")
    sql = (
        "SELECT * FROM v_measurements"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY measurement_id"
    )
    frame = pd.read_sql_query(sql, db.conn, params=params)
    frame.attrs["units"] = _condition_units()
    if conditions:
        spec = (
            conditions if isinstance(conditions, ConditionSpec) else ConditionSpec.parse(conditions)
        )
        frame = frame[spec.mask(frame)].reset_index(drop=True)
    return frame


def _condition_units() -> dict[str, str]:
    """Canonical unit per condition (pint strings, for ``df.attrs["units"]``)."""
    vocab = load_vocabulary()
    return {name: vocab.conditions()[name].unit or "" for name, _ in condition_columns()}


def _condition_labels() -> dict[str, str]:
    """Unit per condition as researchers write it (``mA g⁻¹``; nothing for counts)."""
    vocab = load_vocabulary()
    labels = {name: vocab.conditions()[name].unit_label for name, _ in condition_columns()}
    return {
        name: "" if label == "cycles" else label for name, label in labels.items()
    }  # "cycle=500"


def steps(db: sqlite_utils.Database, *, sample: str | None = None) -> pd.DataFrame:
    """Every step parameter of a sample's full recipe (inherited steps first)."""
    return lineage_steps(db, sample)


@dataclass
class Relation:
    """A composition–performance relation: points (x = parameter, y = property) and exclusions."""

    parameter: dict[str, Any]
    property: dict[str, Any]
    conditions: dict[str, Any]
    where: dict[str, Any] = field(default_factory=dict)
    points: list[dict[str, Any]] = field(default_factory=list)
    excluded: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "parameter": self.parameter,
            "property": self.property,
            "conditions": self.conditions,
            "where": self.where,
            "points": self.points,
            "excluded": self.excluded,
        }

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            self.points,
            columns=[
                "sample",
                "source",
                "x",
                "y",
                "uncertainty",
                "y_min",
                "y_max",
                "cell",
                "cell_type",
                "origin",
            ],
        )


def _clean(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _check_source(db: sqlite_utils.Database, source: str) -> None:
    """An unknown source key is an error with the closest known keys, not an empty answer."""
    known = [r[0] for r in db.execute("SELECT key FROM sources").fetchall()]
    if source not in known:
        raise UnknownNameError("source", source, suggest(source, known) or known)


def relation(
    db: sqlite_utils.Database,
    parameter: str,
    property: str,
    conditions: ConditionSpec | dict[str, Any] | None = None,
    *,
    source: str | None = None,
    family: str | None = None,
    cell_type: str | None = None,
    where: dict[str, Any] | list[str] | None = None,
) -> Relation:
    """Relate a recipe parameter to a property measured at matching conditions.

    Only values measured at the given conditions are related.  A sample is left out — and the
    answer says why — when its recipe lacks the parameter, when no value matches the conditions,
    when the value is a range stated for a group or measured on a blend, or when several values remain that differ in a
    condition you did not pin (pin it with ``--at``).
    """
    vocab = load_vocabulary()
    param = vocab.get("parameter", parameter)
    prop = vocab.get("property", property)
    spec = (
        conditions
        if isinstance(conditions, ConditionSpec)
        else ConditionSpec.parse(conditions or {})
    )
    vectors = recipe_vectors(db)
    values = measurements(db, property=prop.name, source=source)
    if family is not None:
        values = values[values["family"] == family]
        vectors = vectors[vectors["family"] == family]
    if cell_type is not None:
        values = values[values["cell_type"] == cell_type]
    recipe_filter = _parse_where(where)
    for name, wanted in recipe_filter.items():
        column = vectors[name]
        if isinstance(wanted, float):
            keep = pd.to_numeric(column, errors="coerce").apply(
                lambda v, w=wanted: v == v and math.isclose(v, w, rel_tol=1e-6)
            )
        else:
            keep = column.astype("string").str.lower() == wanted.lower()
        vectors = vectors[keep.fillna(False).astype(bool)]
    result = Relation(
        parameter={"name": param.name, "unit": param.unit_label or param.unit},
        property={"name": prop.name, "unit": prop.unit_label},
        conditions={**spec.to_dict(), **({"cell_type": cell_type} if cell_type else {})},
        where={k: v for k, v in recipe_filter.items()},
    )
    if values.empty:
        return result
    matching = values[spec.mask(values)]
    cond_names = [name for name, _ in condition_columns()]
    for (src, label), group in values.groupby(["source", "sample"], sort=False):
        if group["sample_kind"].iloc[0] == "group":
            rng = group.iloc[0]
            result.excluded.append(
                {"sample": label, "source": src, "reason": f"value stated for the group {label!r} "
                 f"({_clean(rng['value_min'])}–{_clean(rng['value_max'])}), not for one sample"}
            )  # fmt: skip
            continue
        if group["sample_kind"].iloc[0] == "blend":
            result.excluded.append(
                {"sample": label, "source": src, "reason": "a blend with other materials: its "
                 f"{prop.name} is the mixture's, not that of a recipe with this {param.name}"}
            )  # fmt: skip
            continue
        vec = vectors[(vectors["source"] == src) & (vectors["sample"] == label)]
        if vec.empty and recipe_filter:
            continue  # not in the requested recipe subset: not a relation candidate at all
        x = _clean(vec[param.name].iloc[0]) if not vec.empty else None
        if x is None:
            result.excluded.append(
                {"sample": label, "source": src, "reason": f"recipe does not define {param.name}"}
            )
            continue
        hits = matching[(matching["source"] == src) & (matching["sample"] == label)]
        if hits.empty:
            seen = sorted({_describe_conditions(r, cond_names) for _, r in group.iterrows()})
            result.excluded.append(
                {
                    "sample": label,
                    "source": src,
                    "reason": f"no {prop.name} at the requested conditions; measured at: "
                    + " | ".join(seen),
                }
            )
            continue
        stated = hits[hits["origin"] != "computed"]
        hits = stated if not stated.empty else hits
        differing = [
            c for c in cond_names if c not in spec.names and hits[c].nunique(dropna=False) > 1
        ]
        if len(hits) > 1 and differing:
            options = sorted({_describe_conditions(r, differing) for _, r in hits.iterrows()})
            result.excluded.append(
                {
                    "sample": label,
                    "source": src,
                    "reason": f"{len(hits)} values differing in {', '.join(differing)} ({' | '.join(options)}); pin with --at",
                }
            )
            continue
        for _, row in hits.iterrows():
            y = _clean(row["value"])
            if y is None and _clean(row["value_min"]) is not None:
                result.excluded.append(
                    {"sample": label, "source": src, "reason": "value is a range, not a number"}
                )
                continue
            result.points.append(
                {
                    "sample": label,
                    "source": src,
                    "x": float(x) if param.is_numeric else x,
                    "y": float(y),
                    "uncertainty": _clean(row["uncertainty"]),
                    "y_min": _clean(row["value_min"]),
                    "y_max": _clean(row["value_max"]),
                    "cell": _clean(row["cell"]),
                    "cell_type": _clean(row["cell_type"]),
                    "origin": row["origin"],
                }
            )
    return result


def _parse_where(where: dict[str, Any] | list[str] | None) -> dict[str, Any]:
    """Recipe filters ``{"T_carb": "700 °C"}`` or ``["dopamine=10 wt%"]`` → canonical values by parameter name."""
    from anodelab.schema.conditions import split_number_unit
    from anodelab.schema.errors import InputError

    if not where:
        return {}
    pairs = (
        list(where.items()) if isinstance(where, dict) else [tuple(w.split("=", 1)) for w in where]
    )
    vocab = load_vocabulary()
    out: dict[str, Any] = {}
    for pair in pairs:
        if len(pair) != 2:
            raise InputError(f"recipe filter {pair[0]!r} is not of the form parameter=value")
        name, raw = pair
        term = vocab.get("parameter", str(name).strip())
        if not term.is_numeric:
            out[term.name] = str(raw).strip()
            continue
        if isinstance(raw, (int, float)):
            value, unit = float(raw), ""
        else:
            try:
                value, unit = split_number_unit(str(raw))
            except ValueError as exc:
                raise InputError(f"recipe filter {term.name}: {exc}") from None
        out[term.name] = (
            term.canonical_value(value, unit) if unit else value
        )  # bare = canonical unit
    return out


def _describe_conditions(row: pd.Series, names: list[str]) -> str:
    units = _condition_labels()
    parts = []
    for name in names:
        value = row.get(name)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        unit = units.get(name, "")
        parts.append(
            f"{name}={value:g} {unit}".strip() if isinstance(value, float) else f"{name}={value}"
        )
    return ", ".join(parts) or "no conditions"
