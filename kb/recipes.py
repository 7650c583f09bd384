"""The flat recipe vector: one row per sample, one column per recipe parameter.

Derived from process steps.  A sample's recipe is its parents' recipes (in order) followed by its
own steps, so ``Si/HNC/AC@Pitch30`` (pitch coating + carbonization) inherits the dispersion,
spray drying and carbonization of its parent ``Si/HNC/AC``.  How each column is derived is stated
in ``schema/data/parameters.yaml`` (``from``, ``pick``, ``absent_value``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd
import sqlite_utils

from anodelab.kb.tx import inserted_id
from anodelab.schema.errors import InputError
from anodelab.schema.vocabulary import Term, load_vocabulary, name_key

__all__ = [
    "lineage_steps",
    "recipe_vectors",
    "materialize_recipe_vectors",
    "recipe_steps",
    "write_recipe",
    "RECIPE_TABLE",
]

RECIPE_TABLE = "recipe_vectors"
_COATING_STEPS = {
    "pitch_coating": "pitch",
    "pda_polymerization": "polydopamine",
    "cvd": "cvd carbon",
}


# The order in which a recipe written from parameters lists its steps: preparations, coatings,
# then the heat treatment that converts them (``pick: last`` reads the last carbonization).
RECIPE_STEP_ORDER = ("precursor_synthesis", "zif8_synthesis", "dispersion", "spray_drying",
                     "pda_polymerization", "pitch_coating", "cvd", "carbonization", "annealing",
                     "blending", "other")  # fmt: skip
_LEVEL_STEPS = {  # a derived categorical's level → the step that makes :func:`_derived` read it
    "coating_precursor": {precursor: step for step, precursor in _COATING_STEPS.items()},
    "template": {"ZIF-8": "zif8_synthesis"},
}


def _load(db: sqlite_utils.Database) -> tuple[pd.DataFrame, dict[int, list[int]], pd.DataFrame]:
    samples = pd.read_sql_query(
        "SELECT s.id, s.label AS sample, src.key AS source, s.family, s.kind FROM samples s JOIN sources src ON src.id = s.source_id",
        db.conn,
    )
    parents: dict[int, list[int]] = defaultdict(list)
    for sid, pid in db.execute(
        "SELECT sample_id, parent_id FROM sample_parents ORDER BY sample_id, position"
    ).fetchall():
        parents[int(sid)].append(int(pid))
    steps = pd.read_sql_query(
        """SELECT ps.sample_id, ps.step_order, ps.step_type, sp.quantity, sp.substance, sp.value, sp.unit,
                  sp.text_value, sp.value_min, sp.value_max, sp.qualifier, sp.basis, sp.raw
           FROM process_steps ps JOIN step_parameters sp ON sp.step_id = ps.id
           ORDER BY ps.sample_id, ps.step_order, sp.id""",
        db.conn,
    )
    return samples, parents, steps


def _lineage(
    sample_id: int, parents: dict[int, list[int]], seen: frozenset[int] = frozenset()
) -> list[int]:
    """Sample ids whose steps make up this sample's recipe, ancestors first (cycles are cut)."""
    order: list[int] = []
    for parent in parents.get(sample_id, []):
        if parent in seen or parent == sample_id:
            continue
        for ancestor in _lineage(parent, parents, seen | {sample_id}):
            if ancestor not in order:
                order.append(ancestor)
    order.append(sample_id)
    return order


def lineage_steps(db: sqlite_utils.Database, sample_label: str | None = None) -> pd.DataFrame:
    """Step parameters of every sample's full recipe (own and inherited), in recipe order."""
    samples, parents, steps = _load(db)
    by_sample = {sid: frame for sid, frame in steps.groupby("sample_id")}
    rows = []
    for _, s in samples.iterrows():
        if sample_label is not None and s["sample"] != sample_label:
            continue
        position = 0
        for ancestor in _lineage(int(s["id"]), parents):
            frame = by_sample.get(ancestor)
            if frame is None:
                continue
            origin = samples.loc[samples["id"] == ancestor, "sample"].iloc[0]
            for step_order, step_frame in frame.groupby("step_order", sort=True):
                position += 1
                for _, p in step_frame.iterrows():
                    rows.append(
                        {
                            "sample": s["sample"],
                            "source": s["source"],
                            "recipe_step": position,
                            "from_sample": origin,
                            "step": int(step_order),
                            **{k: p[k] for k in ("step_type", "quantity", "substance", "value", "unit", "text_value",
                                                 "value_min", "value_max", "qualifier", "basis", "raw")},
                        }
                    )  # fmt: skip
    columns = ["sample", "source", "recipe_step", "from_sample", "step", "step_type", "quantity", "substance",
               "value", "unit", "text_value", "value_min", "value_max", "qualifier", "basis", "raw"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def _matches(term: Term, row: dict[str, Any]) -> bool:
    spec = term.derivation.get("from", {})
    if "step_type" in spec and row["step_type"] != spec["step_type"]:
        return False
    if "quantity" in spec and row["quantity"] != spec["quantity"]:
        return False
    if "basis" in spec and row["basis"] != spec["basis"]:
        return False
    if "substance" in spec:
        return row["substance"] is not None and name_key(row["substance"]) == name_key(
            spec["substance"]
        )
    return True


def _pick(term: Term, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The step-parameter row a recipe parameter comes from.

    With ``from.step_type`` the parameter belongs to one step: the last (or first) step of that
    type in the recipe — its own value, or nothing when that step does not state it (the heating
    rate of an earlier carbonization is not the rate of the last one).  Otherwise the last (or
    first) row that matches quantity/substance/basis anywhere in the recipe.
    """
    spec = term.derivation.get("from", {})
    last = term.derivation.get("pick", "last") == "last"
    if "step_type" in spec:
        steps = [r["recipe_step"] for r in rows if r["step_type"] == spec["step_type"]]
        if not steps:
            return None
        chosen = steps[-1] if last else steps[0]
        rows = [r for r in rows if r["recipe_step"] == chosen]
    hits = [r for r in rows if _matches(term, r)]
    if not hits:
        return None
    return hits[-1] if last else hits[0]


def _mentions(rows: list[dict[str, Any]], ancestors: list[str], substance: str) -> bool:
    """Whether a recipe uses ``substance`` at all: in a step, or as an ancestor sample's name."""
    key = name_key(substance)
    if any(r["substance"] is not None and name_key(r["substance"]) == key for r in rows):
        return True
    return any(key in name_key(label) for label in ancestors)


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return float(value)


def _derived(kind: str, rows: list[dict[str, Any]]) -> str | None:
    if kind == "coating_precursor":
        coating = [_COATING_STEPS[r["step_type"]] for r in rows if r["step_type"] in _COATING_STEPS]
        return coating[-1] if coating else "none"
    if kind == "template":
        has_zif = any(
            r["step_type"] == "zif8_synthesis"
            or (r["substance"] and name_key(r["substance"]) == name_key("ZIF-8"))
            for r in rows
        )
        return "ZIF-8" if has_zif else "none"
    return None


def recipe_vectors(db: sqlite_utils.Database) -> pd.DataFrame:
    """One row per (non-group) sample: ``sample, source, family, kind`` + one column per parameter.

    Numeric columns are in the vocabulary's canonical unit (the unit is in the column name).
    ``absent_value`` (no pitch added = 0 wt% pitch) applies only within a family in which some
    sample does state the parameter, and only to recipes that never use that substance at all.
    """
    vocab = load_vocabulary()
    terms = list(vocab.parameters().values())
    lineage = lineage_steps(db)
    grouped = {
        key: frame.to_dict("records") for key, frame in lineage.groupby(["source", "sample"])
    }
    samples, parents, _ = _load(db)
    label_of = dict(zip(samples["id"], samples["sample"], strict=True))
    records: list[dict[str, Any]] = []
    absent_lists: list[list[str]] = []
    for _, s in samples.iterrows():
        if s["kind"] == "group":
            continue
        ancestors = [label_of[a] for a in _lineage(int(s["id"]), parents)[:-1]]
        rows = grouped.get((s["source"], s["sample"]), [])
        record: dict[str, Any] = {
            "sample": s["sample"],
            "source": s["source"],
            "family": s["family"],
            "kind": s["kind"],
        }
        absent: list[str] = []
        for term in terms:
            derived = term.derivation.get("from", {}).get("derived")
            if derived:
                record[term.name] = _derived(derived, rows)
                continue
            hit = _pick(term, rows)
            value: Any = None
            if hit is not None:
                if term.is_numeric:
                    value = _number(hit["value"])
                    low, high = _number(hit["value_min"]), _number(hit["value_max"])
                    if value is None and low is not None and high is not None:
                        value = (low + high) / 2  # a stated range enters the vector at its midpoint
                else:
                    value = hit["text_value"]
            elif "absent_value" in term.derivation:
                substance = term.derivation.get("from", {}).get("substance")
                if substance is None or not _mentions(rows, ancestors, substance):
                    absent.append(term.name)
            record[term.name] = value
        records.append(record)
        absent_lists.append(absent)
    frame = pd.DataFrame(
        records, columns=["sample", "source", "family", "kind", *[t.name for t in terms]]
    )
    for term in terms:
        if "absent_value" not in term.derivation or frame.empty:
            continue
        stated_families = set(
            frame.loc[frame[term.name].notna() & frame["family"].notna(), "family"]
        )
        for index, absent in enumerate(absent_lists):
            if term.name in absent and frame.at[index, "family"] in stated_families:
                frame.at[index, term.name] = term.derivation["absent_value"]
    return frame


def materialize_recipe_vectors(db: sqlite_utils.Database) -> None:
    """Store :func:`recipe_vectors` as the ``recipe_vectors`` table (for SQL and Datasette users)."""
    frame = recipe_vectors(db)
    db.execute("DROP VIEW IF EXISTS v_relations")
    db.execute(f"DROP TABLE IF EXISTS {RECIPE_TABLE}")
    vocab = load_vocabulary()
    cols = ['"sample" TEXT', '"source" TEXT', '"family" TEXT', '"kind" TEXT']
    for term in vocab.parameters().values():
        cols.append(f'"{term.name}" {"REAL" if term.is_numeric else "TEXT"}')
    db.execute(f"CREATE TABLE {RECIPE_TABLE} ({', '.join(cols)})")
    if not frame.empty:
        placeholders = ", ".join("?" for _ in frame.columns)
        values = frame.astype(object).where(frame.notna(), None).values.tolist()
        db.conn.executemany(f"INSERT INTO {RECIPE_TABLE} VALUES ({placeholders})", values)
    params = ", ".join(f'r."{t.name}"' for t in vocab.parameters().values())
    db.execute(
        f"""CREATE VIEW v_relations AS
        SELECT m.*, {params}
        FROM v_measurements m JOIN {RECIPE_TABLE} r ON r.sample = m.sample AND r.source = m.source"""
    )


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value))


def recipe_steps(parameters: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Recipe parameters → process steps: the derivation of :func:`recipe_vectors`, reversed.

    Each parameter becomes a step parameter of the step its ``from`` names (``from.step_type``,
    else the vocabulary's ``step``), with ``from``'s quantity, substance and basis, in the
    canonical unit; a derived categorical (``coating_precursor = pitch``) becomes the step that
    implies it.  Steps are ordered by :data:`RECIPE_STEP_ORDER`; a value of 0 is written as
    stated (0 wt% pitch), not left out.  ``recipe_vectors`` of a sample with these steps gives
    back ``parameters`` (tested round trip).  Returns ``[(step_type, [row, ...]), ...]``.
    """
    vocab = load_vocabulary()
    steps: dict[str, list[dict[str, Any]]] = {}
    for name, value in parameters.items():
        if _missing(value):
            continue
        term = vocab.get("parameter", name)
        spec = term.derivation.get("from", {})
        if "derived" in spec:
            step_type = _LEVEL_STEPS.get(spec["derived"], {}).get(str(value))
            if step_type is None:  # "none": no coating / no template step
                continue
            row: dict[str, Any] = {"quantity": term.name, "text_value": str(value)}
        else:
            if "quantity" not in spec:
                raise InputError(
                    f"parameter {term.name!r} does not say which step quantity holds it"
                    " (schema/data/parameters.yaml: from.quantity)"
                )
            # a user term without a step type is read from any step: it goes to an "other" step
            step_type = spec.get("step_type") or term.derivation.get("step") or "other"
            row = {"quantity": spec["quantity"], "substance": spec.get("substance"),
                   "basis": spec.get("basis")}  # fmt: skip
            if term.is_numeric:
                row |= {"value": float(value), "unit": term.unit}
            else:
                row["text_value"] = str(value)
        steps.setdefault(step_type, []).append(row)
    rank = {t: i for i, t in enumerate(RECIPE_STEP_ORDER)}
    return sorted(steps.items(), key=lambda item: rank.get(item[0], len(rank)))


def write_recipe(
    db: sqlite_utils.Database, sample_id: int, parameters: dict[str, Any], *, locator: str = ""
) -> int:
    """Write ``parameters`` as the process steps of sample ``sample_id`` (:func:`recipe_steps`),
    inside the caller's transaction.  Returns the number of steps written."""
    steps = recipe_steps(parameters)
    for order, (step_type, rows) in enumerate(steps, start=1):
        step_id = inserted_id(db.execute(
            "INSERT INTO process_steps (sample_id, step_order, step_type) VALUES (?, ?, ?)",
            [sample_id, order, step_type],
        ))  # fmt: skip
        for row in rows:
            db.execute(
                "INSERT INTO step_parameters (step_id, quantity, substance, value, unit,"
                " text_value, basis, raw, locator) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [step_id, row["quantity"], row.get("substance"), row.get("value"), row.get("unit"),
                 row.get("text_value"), row.get("basis"), "proposed", locator],
            )  # fmt: skip
    return len(steps)
