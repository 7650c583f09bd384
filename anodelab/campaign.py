"""The campaign loop: KB ↔ models/optimize.  ``recommend → measure → record → recommend``.

Every function takes an open ``sqlite_utils.Database`` (``anodelab.open(path).db``) and returns
plain data; the CLI (``anodelab.cli.campaign``) renders it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import sqlite_utils
import yaml

from anodelab.jsontext import json_text
from anodelab.kb import campaigns as store
from anodelab.kb import query
from anodelab.kb.db import transaction
from anodelab.kb.recipes import recipe_vectors
from anodelab.optimize.objectives import (
    Assembled,
    ObjectiveSet,
    assemble,
    objectives_from_dict,
    parse_quantity_text,
)
from anodelab.optimize.space import Space, space_from_dict
from anodelab.schema.errors import InputError, UnknownNameError
from anodelab.schema.units import unit_label
from anodelab.schema.version import __version__
from anodelab.schema.vocabulary import load_vocabulary

if TYPE_CHECKING:
    from anodelab.optimize.propose import ProposalSet

# torch, gpytorch and botorch (models.gp, models.kernels, optimize.acquisition, optimize.propose) are
# imported inside the functions that fit or propose: `campaign show`, `record` and `import-run` must
# start as fast as a plain KB read (tests/foundation/test_startup.py, bench/cli_latency.py).

__all__ = [
    "Campaign",
    "new_campaign",
    "load_campaign",
    "training_data",
    "recommend",
    "record",
    "campaign_summary",
    "proposal_table",
    "set_status",
    "parse_assignment",
]


def new_campaign(
    db: sqlite_utils.Database, path: str | Path, name: str | None = None, seed: int = 0
) -> dict[str, Any]:
    """Validate a campaign file (space + objectives) and store it; returns the campaign."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=str(path))  # worded as every reader words it
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read campaign file: {exc}", file=str(path)) from exc
    space = space_from_dict(data, file=str(path), base=path.parent)
    objectives = objectives_from_dict(data, file=str(path))
    name = name or data.get("name") or path.stem
    settings = {
        "transfer": data.get("transfer", "auto"),
        "min_observations": data.get("min_observations", 5),
        "model": _model_settings(data.get("model") or {}, str(path)),
    }
    if data.get("acquisition") is not None:
        from anodelab.optimize.acquisition import check_acquisition

        try:
            check_acquisition(str(data["acquisition"]), len(objectives.objectives))
        except InputError as exc:
            raise InputError(str(exc), file=str(path), column="acquisition") from exc
        settings["acquisition"] = str(data["acquisition"])
    if "explore_levels" in data:
        if not isinstance(data["explore_levels"], bool):
            raise InputError(
                f"explore_levels must be true or false, got {data['explore_levels']!r}",
                file=str(path),
                column="explore_levels",
            )
        settings["explore_levels"] = data["explore_levels"]
    store.create_campaign(
        db, name, space.to_dict(candidates=False), objectives.to_dict(), seed=seed,
        settings=settings, candidates=space.candidates,
    )  # fmt: skip
    return store.get_campaign(db, name) | {"size": space.size(), "parameters": space.names}


def _model_settings(model: Any, file: str) -> dict[str, str]:
    """The campaign file's ``model:`` block — ``kernel`` and ``categorical_encoding`` — checked."""
    from anodelab.models.gp import CATEGORICAL_ENCODINGS
    from anodelab.models.kernels import KERNELS

    choices = {"kernel": KERNELS, "categorical_encoding": CATEGORICAL_ENCODINGS}
    if not isinstance(model, dict):
        raise InputError("'model' must be a mapping such as {kernel: matern}", file=file)
    for key, value in model.items():
        if key not in choices:
            raise InputError(
                f"unknown model setting {key!r}; allowed: {sorted(choices)}", file=file
            )
        if value not in choices[key]:
            raise InputError(
                f"unknown {key} {value!r}; choose one of {list(choices[key])}",
                file=file,
                column=f"model.{key}",
            )
    return {str(k): str(v) for k, v in model.items()}


def load_campaign(
    db: sqlite_utils.Database, campaign: str | int, *, candidates: bool = True
) -> tuple[dict, Space, ObjectiveSet]:
    """The campaign row, its space and objectives.  ``candidates=False`` leaves a candidate table
    out of the space (its parameters stay): only proposing needs the rows, and a 10⁶-row table
    costs seconds to read and check."""
    row = store.get_campaign(db, campaign)
    data = dict(row["space"])
    table = data.pop("candidates", None)
    if candidates and table is not None:
        data["candidates"] = store.candidate_table(db, table) if isinstance(table, dict) else table
    return row, space_from_dict(data), objectives_from_dict(row["objectives"])


def _target(row: dict) -> str:
    return f"campaign:{row['name']}"


def training_data(
    db: sqlite_utils.Database, campaign: str | int
) -> tuple[Assembled, pd.DataFrame, pd.DataFrame]:
    """KB recipes + campaign recipes ⨝ KB measurements + final campaign results.

    Returns the assembled training tables, the pending recipes (:data:`store.PENDING`: proposed,
    running or abandoned — kept out of the next batch) and the campaign's proposals."""
    row, space, objectives = load_campaign(db, campaign, candidates=False)
    names = [f.name for f in space.features()]
    kb_recipes, kb_excluded = _comparable_recipes(recipe_vectors(db), names)
    props = pd.DataFrame(store.proposals(db, row["id"]))
    camp_recipes = pd.DataFrame(
        [
            {"sample": s, "source": _target(row), **p}
            for s, p in zip(props.get("sample", []), props.get("parameters", []), strict=True)
        ]
    )
    kb_meas = query.measurements(db)
    kb_recipes, kb_meas = _unique_sample_keys(kb_recipes, kb_meas)
    recipes = pd.concat([kb_recipes, camp_recipes], ignore_index=True)
    for n in names:
        if n not in recipes.columns:
            recipes[n] = np.nan
    if "source" not in recipes.columns:
        recipes["source"] = "unknown"
    res = store.results(db, row["id"])
    # final results; those imported with `import-run` are KB measurements already (kb_meas)
    res = res[(res["is_final"] == 1) & res["measurement_id"].isna()] if len(res) else res
    res_rows = pd.DataFrame(
        [
            {"sample": r["sample"], "source": _target(row), "property": r["property"],
             "value": r["value"], "unit": r["unit"], **r["conditions"]}
            for _, r in res.iterrows()
        ]
    )  # fmt: skip
    measurements = pd.concat([kb_meas, res_rows], ignore_index=True)
    if measurements.empty:
        measurements = pd.DataFrame(columns=["sample", "source", "property", "value", "unit"])
    if "source" in measurements.columns and "source" in recipes.columns:
        measurements = measurements.drop(columns=["source"])
    training = assemble(recipes, measurements, objectives.outcomes(), space.features())
    if not kb_excluded.empty:
        training.missing = pd.concat([kb_excluded, training.missing], ignore_index=True)
    training.missing = _name_unmeasured_proposals(training.missing, props)
    pending = pd.DataFrame(
        [
            p
            for p, s in zip(props.get("parameters", []), props.get("status", []), strict=True)
            if s in store.PENDING
        ]
    )
    return training, pending, props


def _name_unmeasured_proposals(missing: pd.DataFrame, props: pd.DataFrame) -> pd.DataFrame:
    """A campaign's own recipe without a result is waiting, not unusable: say so (its status)
    instead of "no <property> value", which reads like a KB gap."""
    if missing.empty or props.empty:
        return missing
    status = dict(zip(props["sample"], props["status"], strict=True))
    waiting = missing["sample"].isin(status.keys()) & missing["reason"].str.startswith("no ")
    if waiting.any():
        missing = missing.copy()
        missing.loc[waiting, "reason"] = [
            f"proposal of this campaign ({status[s]}), no result yet"
            for s in missing.loc[waiting, "sample"]
        ]
    return missing


def _comparable_recipes(
    recipes: pd.DataFrame, space_names: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """KB recipes that are points of the design space; the others with the reason they are not.

    A blend or a group is not a recipe of the space; neither is a recipe that adds an ingredient
    the space does not vary (``graphite_wt_pct = 90`` when the space has no graphite): its
    measured values would be credited to the wrong recipe.
    """
    vocab = load_vocabulary()
    reasons: list[dict[str, Any]] = []
    keep = np.ones(len(recipes), dtype=bool)
    for i, (_, r) in enumerate(recipes.iterrows()):
        if r.get("kind") in ("blend", "group"):
            keep[i] = False
            reasons.append(
                {
                    "sample": r["sample"],
                    "outcome": "*",
                    "reason": f"a {r['kind']}, not a recipe of this space",
                }
            )
            continue
        for name, term in vocab.parameters().items():
            absent = term.derivation.get("absent_value")
            if name in space_names or absent is None or name not in recipes.columns:
                continue
            value = r[name]
            if (
                value is not None
                and not (isinstance(value, float) and np.isnan(value))
                and float(value) != float(absent)
            ):
                keep[i] = False
                reasons.append({"sample": r["sample"], "outcome": "*",
                                "reason": f"recipe has {name}={float(value):g}, which this space does not vary"})  # fmt: skip
                break
    return recipes[keep].reset_index(drop=True), pd.DataFrame(
        reasons, columns=["sample", "outcome", "reason"]
    )


def _unique_sample_keys(
    recipes: pd.DataFrame, measurements: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Make sample labels unique across sources (``Si [lee2025]``) so recipes join the right values."""
    counts = recipes.groupby("sample")["source"].nunique()
    shared = set(counts[counts > 1].index)
    if not shared:
        return recipes, measurements

    def rename(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        mask = frame["sample"].isin(shared)
        frame.loc[mask, "sample"] = (
            frame.loc[mask, "sample"] + " [" + frame.loc[mask, "source"] + "]"
        )
        return frame

    return rename(recipes), rename(measurements)


def _data_version(training: Assembled) -> str:
    digest = hashlib.sha256()
    for key in sorted(training.tables):
        digest.update(key.encode())
        digest.update(training.tables[key].to_csv(index=False).encode())
    return digest.hexdigest()[:12]


def recommend(
    db: sqlite_utils.Database,
    campaign: str | int,
    batch: int = 4,
    *,
    seed: int | None = None,
    budget: str = "default",
    store_proposals: bool = True,
) -> tuple[list[dict[str, Any]], ProposalSet]:
    """Propose ``batch`` recipes, store them as proposals, return the documented JSON records."""
    from anodelab.models.gp import DEFAULT_CATEGORICAL_ENCODING, DEFAULT_KERNEL
    from anodelab.optimize.propose import propose

    row, space, objectives = load_campaign(db, campaign)
    training, pending, props = training_data(db, campaign)
    settings = row["settings"]
    n_batches = int(props["batch"].max()) if len(props) else 0
    seed = row["seed"] + n_batches if seed is None else seed
    transfer = settings.get("transfer", "auto")
    sources = {s for t in training.tables.values() for s in t["source"].astype(str)}
    use_transfer = bool(transfer) and (transfer != "auto" or len(sources) > 1)
    result = propose(
        space,
        objectives,
        training,
        q=batch,
        pending=pending if len(pending) else None,
        seed=seed,
        min_observations=int(settings.get("min_observations", 5)),
        transfer=use_transfer,
        target_source=_target(row),
        budget=budget,
        acquisition=settings.get("acquisition"),
        model_options=settings.get("model") or None,
        explore_levels=bool(settings.get("explore_levels", True)),
    )
    import botorch

    defaults = {"kernel": DEFAULT_KERNEL, "categorical_encoding": DEFAULT_CATEGORICAL_ENCODING}
    options = defaults | (settings.get("model") or {})
    model_version = (
        f"anodelab {__version__}; botorch {botorch.__version__}; "
        f"GP{' multi-task' if use_transfer else ''} ({options['kernel']}, "
        f"{options['categorical_encoding']} categoricals)"
    )
    data_version = _data_version(training)
    units = {o.key: o.unit for o in objectives.outcomes()}
    labels = {o.key: o.label for o in objectives.outcomes()}
    improvement_unit = _improvement_unit(objectives)
    for p in result.proposals:
        if {"expected_improvement", "expected_hypervolume_improvement"} & set(p.reasons):
            p.reasons["improvement_unit"] = improvement_unit
    records = [
        {
            "parameters": p.parameters,
            "predictions": {
                k: {**v, "unit": units.get(k), "label": labels.get(k, k)}
                for k, v in p.predictions.items()
            },
            "acquisition_value": p.acquisition_value,
            "strategy": result.strategy,
            "reasons": p.reasons,
            "model_version": model_version,
            "data_version": data_version,
            "seed": seed,
        }
        for p in result.proposals
    ]
    ids = store.add_proposals(db, row["id"], records) if store_proposals else [None] * len(records)
    out = []
    for pid, rec in zip(ids, records, strict=True):
        out.append(
            {
                "id": pid,
                "sample": f"{row['name']}-p{pid}" if pid is not None else None,
                "parameters": rec["parameters"],
                "predictions": rec["predictions"],
                "acquisition_value": rec["acquisition_value"],
                "reasons": rec["reasons"],
                "strategy": result.strategy,
                "message": result.message,
                "model_version": model_version,
                "data_version": data_version,
                "seed": seed,
            }
        )
    return out, result


def _improvement_unit(objectives: ObjectiveSet) -> str:
    """Unit of an expected improvement: the objective's own unit; for several objectives the
    hypervolume's, the product of their units (e.g. ``mA h g⁻¹ · %``)."""
    return " · ".join(unit_label(o.outcome.unit) or "1" for o in objectives.objectives)


def parse_assignment(text: str, kind: str = "property") -> tuple[str, float | str, str | None]:
    """``"ICE=85%"`` → ``("initial_coulombic_efficiency", 85.0, "percent")`` (canonical unit)."""
    name, sep, raw = text.partition("=")
    if not sep or not name.strip() or not raw.strip():
        raise InputError(
            f"expected NAME=VALUE[unit], got {text!r} (e.g. discharge_capacity=1050mAh/g)"
        )
    try:
        term = load_vocabulary().get(kind, name.strip())  # type: ignore[arg-type]
    except UnknownNameError as exc:
        raise InputError(f"{text!r}: {exc}") from exc
    if not term.is_numeric:
        return term.name, raw.strip(), None
    value, unit = parse_quantity_text(raw.strip())
    if unit is None and term.unit == "percent" and 0 < abs(value) <= 1:
        raise InputError(
            f"{text!r}: {value:g} without a unit reads as {value:g} %, which looks like a fraction;"
            f" write {term.name}={value * 100:g}% (or {value:g}% if you mean {value:g} %)"
        )
    canonical = term.canonical_value(value, unit or term.unit, where={"value": text})
    reason = term.check_range(canonical)
    if reason:
        raise InputError(f"{text!r}: {reason}", value=text)
    return term.name, canonical, term.unit


def record(
    db: sqlite_utils.Database,
    proposal: int | str,
    assignments: list[str],
    at: list[str] | None = None,
    *,
    cycles_completed: int | None = None,
    cycles_planned: int | None = None,
    note: str | None = None,
    cell: str | None = None,
) -> list[dict[str, Any]]:
    """Record measured values for a proposal.  Conditions default to the campaign objective's
    (``cycle`` becomes ``cycles_completed`` for a partial long-cycling result).  ``cell`` names
    the replicate cell: values of different cells are replicates (all used, averaged in the
    table), the same cell again updates its value."""
    campaign_id = int(store.find_proposal(db, proposal)["campaign_id"])
    _, _, objectives = load_campaign(db, campaign_id, candidates=False)
    required = {o.property for o in objectives.outcomes()}
    given = dict(parse_assignment(a, "condition")[:2] for a in (at or []))
    # every value is checked before any is written, and all are written in one transaction
    parsed = [parse_assignment(text) for text in assignments]
    out = []
    with transaction(db):
        for prop, value, unit in parsed:
            conditions, planned, final = _result_conditions(
                prop, objectives, given, cycles_completed, cycles_planned
            )
            version = store.add_result(
                db, proposal, prop, float(value), unit, conditions,
                cycles_completed=cycles_completed, cycles_planned=planned, is_final=final,
                note=note, required=required, cell=cell,
            )  # fmt: skip
            out.append({"proposal": str(proposal), "property": prop, "value": value, "unit": unit,
                        "conditions": conditions, "is_final": final, "version": version,
                        "cell": cell})  # fmt: skip
    return out


def _result_conditions(
    prop: str,
    objectives: ObjectiveSet,
    given: dict[str, Any],
    cycles_completed: int | None,
    cycles_planned: int | None,
) -> tuple[dict[str, Any], int | None, bool]:
    """Conditions, planned cycles and finality of one recorded value: the objective's conditions
    unless ``given``; a partial long-cycling result is stored at ``cycle = cycles_completed`` and
    is final once the planned cycles (default: the objective's cycle) are reached."""
    outcomes = [o for o in objectives.outcomes() if o.property == prop]
    conditions = dict(outcomes[0].at) if len(outcomes) == 1 and not given else {}
    conditions.update(given)
    planned = cycles_planned
    if planned is None and cycles_completed is not None and "cycle" in conditions:
        planned = int(conditions["cycle"])
    if cycles_completed is not None and "cycle" in conditions:
        conditions["cycle"] = float(cycles_completed)
    final = planned is None or cycles_completed is None or cycles_completed >= planned
    return conditions, planned, final


def campaign_summary(db: sqlite_utils.Database, campaign: str | int) -> dict[str, Any]:
    """Progress (counts by status), best result per objective, and the measured objective table."""
    row, space, objectives = load_campaign(db, campaign, candidates=False)
    props = store.proposals(db, row["id"])
    res = store.results(db, row["id"])
    table = (
        pd.DataFrame({"sample": props["sample"]})
        if len(props)
        else pd.DataFrame(columns=["sample"])
    )
    best = {}
    for o in objectives.objectives:
        final, _, _ = _outcome_results(res, o.outcome)
        table[o.key] = table["sample"].map(final).astype(float)
        if final:
            s, v = (max if o.sign > 0 else min)(final.items(), key=lambda t: t[1])
            best[o.key] = {"sample": s, "value": float(v), "goal": o.goal,
                           "unit": o.outcome.unit, "label": o.outcome.label}  # fmt: skip
    counts = props["status"].value_counts().to_dict() if len(props) else {}
    return {
        "campaign": row["name"],
        "parameters": space.names,
        "objectives": [o.key for o in objectives.objectives],
        "status_counts": {s: int(counts.get(s, 0)) for s in store.STATUSES},
        "batches": int(props["batch"].max()) if len(props) else 0,
        "best": best,
        "measured": table,
        "proposals": props,
        "goals": [o.goal for o in objectives.objectives],
        "history": store.status_history(db, row["id"]),
    }


def _same(a: Any, b: Any) -> bool:
    try:
        return abs(float(a) - float(b)) <= 0.02 * max(abs(float(b)), 1e-12)
    except (TypeError, ValueError):
        return str(a) == str(b)


def dumps(records: list[dict[str, Any]]) -> str:
    """JSON text of :func:`recommend` records: standard JSON, NaN → null, as ``recommend --json``
    prints it (:func:`anodelab.jsontext.json_text`)."""
    return json_text(records)


def _measured_features(
    vocab, recipes: pd.DataFrame, meas: pd.DataFrame, inputs: list[str] | None = None
) -> tuple[list, dict[str, str]]:
    """Model inputs for ``fit`` without a space: the recipe parameters known for every recipe
    with the property and varying among them; the others are returned with the reason.  With
    ``inputs`` (parameter names or synonyms), exactly those, ranged over the recipes that know
    them; recipes that do not are then left out of the data (and listed as missing).

    Papers describe different steps (one varies pitch, another dopamine and ZIF-8), so a
    parameter unknown for some recipes would drop those rows from the data altogether."""
    measured = set(zip(meas["sample"].astype(str), meas["source"].astype(str), strict=True))
    keys = zip(recipes["sample"].astype(str), recipes["source"].astype(str), strict=True)
    rows = recipes[[k in measured for k in keys]]
    wanted = [vocab.get("parameter", n).name for n in inputs] if inputs else None
    features, left_out = [], {}
    for name, t in vocab.parameters().items():
        if wanted is not None and name not in wanted:
            continue
        col = rows[name].dropna() if name in rows else pd.Series(dtype=object)
        if not len(col):
            if wanted is not None:
                raise InputError(f"--inputs {name}: not known for any recipe with this property")
            continue
        if wanted is None and len(col) < len(rows):
            left_out[name] = f"known for {len(col)} of {len(rows)} measured recipes"
            continue
        feature, reason = _feature_of(name, t, col)
        if feature is not None:
            features.append(feature)
        else:
            left_out[name] = reason
    if not features:
        raise InputError(
            "no recipe parameter is known and varies across the recipes with this property; "
            "name the inputs (--inputs) or give a space (--space)"
        )
    return features, left_out


def _feature_of(name: str, term, col: pd.Series):
    """A model input spanning the values in ``col``, or ``None`` and why (one value only)."""
    from anodelab.models.features import Feature

    if term.is_numeric:
        lo, hi = float(col.min()), float(col.max())
        if hi > lo:
            return Feature(name, "numeric", lo, hi), ""
        return None, f"the same value ({lo:g}) for every measured recipe"
    if col.nunique() > 1:
        return Feature(name, "categorical", categories=tuple(sorted(map(str, col.unique())))), ""
    return None, f"the same level ({col.iloc[0]}) for every measured recipe"


def fit_report(
    db: sqlite_utils.Database,
    property: str,
    at: list[str] | None = None,
    *,
    space_path: str | Path | None = None,
    inputs: list[str] | None = None,
    model: str = "gp",
    kernel: str | None = None,
    categorical_encoding: str | None = None,
) -> dict[str, Any]:
    """Cross-validate a surrogate for ``property`` (at conditions) on the KB's recipes.

    ``kernel`` and ``categorical_encoding`` choose the GP (see :class:`GPSurrogate`; ``None``:
    its defaults); the forest ignores them.

    Inputs: the free parameters of ``space_path`` if given; else the parameters named in
    ``inputs`` (recipes lacking one are left out and listed in ``missing``); else the recipe
    parameters known for every recipe with the property (the others are listed in ``left_out``
    with the reason).
    Returns metrics for leave-one-out and leave-one-source-out and their predictions."""
    from anodelab.models import ForestSurrogate, GPSurrogate, cross_validate, cv_metrics
    from anodelab.models.gp import DEFAULT_CATEGORICAL_ENCODING, DEFAULT_KERNEL

    kernel = kernel or DEFAULT_KERNEL
    categorical_encoding = categorical_encoding or DEFAULT_CATEGORICAL_ENCODING
    from anodelab.optimize.objectives import Outcome
    from anodelab.optimize.space import load_space

    vocab = load_vocabulary()
    term = vocab.get("property", property)
    conds = tuple(sorted(parse_assignment(a, "condition")[:2] for a in (at or [])))
    outcome = Outcome(term.name, conds, term.unit)
    meas = query.measurements(db, property=term.name)
    left_out: dict[str, str] = {}
    if space_path is not None:
        features = load_space(space_path).features()
        recipes, excluded = _comparable_recipes(recipe_vectors(db), [f.name for f in features])
    else:  # blends and groups are not recipes (a graphite blend's full-cell ICE is not pitch's)
        recipes, excluded = _comparable_recipes(recipe_vectors(db), list(vocab.parameters()))
        features, left_out = _measured_features(vocab, recipes, meas, inputs)
    if "source" in meas.columns:
        meas = meas.drop(columns=["source"])
    training = assemble(recipes, meas, [outcome], features)
    measured = set(meas["sample"].astype(str))
    excluded = excluded[excluded["sample"].astype(str).isin(measured)]
    training.missing = pd.concat([excluded, training.missing], ignore_index=True)
    table = training.tables[outcome.key]
    if len(table) < 4:
        raise InputError(
            f"only {len(table)} recipes with {outcome.key} and known parameters; need ≥ 4 to cross-validate"
        )

    def make_gp() -> GPSurrogate:
        return GPSurrogate(features, kernel=kernel, categorical_encoding=categorical_encoding)

    make_gp()  # refuses unknown choices before any fitting
    make = make_gp if model == "gp" else (lambda: ForestSurrogate(features))
    y = table["y"].to_numpy()
    loo = cross_validate(make, table, y)
    loso = (
        cross_validate(make, table, y, groups=table["source"])
        if table["source"].nunique() > 1
        else None
    )
    return {
        "outcome": outcome.key,
        "unit": term.unit_label,
        "model": model,
        "features": [f.name for f in features],
        "left_out": left_out,
        "n": len(table),
        "loo": cv_metrics(loo),
        "loso": cv_metrics(loso) if loso is not None else None,
        "predictions": loo.assign(sample=table["sample"].to_numpy()),
        "missing": training.missing,
    }


def proposal_sample(db: sqlite_utils.Database, proposal: int | str) -> str:
    """The sample name of a proposal (``demo-p3``), given its id or name."""
    return str(store.find_proposal(db, proposal)["sample"])


def set_status(
    db: sqlite_utils.Database, proposal: int | str, status: str, note: str | None = None
) -> dict[str, Any]:
    """Mark a proposal ``running`` (synthesis or cycling started), ``abandoned`` (it will not be
    measured: the note says why) or back to ``proposed``.  ``done`` follows from recording final
    results.  Proposed, running and abandoned recipes all count as pending, so the next batch does
    not propose them again (as Ax does with abandoned trials); only results are training data.
    Every change is kept with its note (:func:`campaign_summary` → ``history``)."""
    row = store.find_proposal(db, proposal)
    old, new = store.set_status(db, int(row["id"]), status, note)
    return {"id": int(row["id"]), "sample": str(row["sample"]), "from": old, "to": new,
            "note": note}  # fmt: skip


def proposal_table(db: sqlite_utils.Database, campaign: str | int) -> pd.DataFrame:
    """One row per proposal, for the lab and for Excel: ``id``, ``sample``, ``batch``, ``status``,
    ``strategy``, ``proposed_at``, the recipe (one column per free parameter, canonical units as
    in the parameter names), and per outcome ``KEY predicted [unit]``, ``KEY std [unit]``,
    ``KEY measured [unit]`` (mean over replicate cells of the final results), ``KEY n`` (how
    many) and, while long cycling runs,
    ``KEY partial [unit]`` with ``KEY cycles`` (the newest partial result and its cycle count).
    ``table.attrs["outcomes"]`` maps each KEY to its ``property`` and ``unit`` label."""
    row, space, objectives = load_campaign(db, campaign, candidates=False)
    props = store.proposals(db, row["id"])
    res = store.results(db, row["id"])
    names = [p.name for p in space.free]
    table = pd.DataFrame(
        {"id": props["id"], "sample": props["sample"], "batch": props["batch"],
         "status": props["status"], "strategy": props["strategy"],
         "proposed_at": props["created_at"]}
    )  # fmt: skip
    for name in names:
        table[name] = [p.get(name) for p in props["parameters"]]
    table.attrs["outcomes"] = {}
    for outcome in objectives.outcomes():
        key, unit = outcome.key, f" [{unit_label(outcome.unit)}]" if outcome.unit else ""
        table.attrs["outcomes"][key] = {"property": outcome.property, "unit": unit.strip(" []")}
        pred = [p.get(key) or {} for p in props["predictions"]]
        table[f"{key} predicted{unit}"] = [d.get("mean", np.nan) for d in pred]
        table[f"{key} std{unit}"] = [d.get("std", np.nan) for d in pred]
        final, partial, replicates = _outcome_results(res, outcome)
        table[f"{key} measured{unit}"] = table["sample"].map(final)
        table[f"{key} n"] = table["sample"].map(replicates).fillna(0).astype(int)
        if partial:
            table[f"{key} partial{unit}"] = table["sample"].map(
                {s: v for s, (v, _) in partial.items()}
            )
            table[f"{key} cycles"] = table["sample"].map({s: c for s, (_, c) in partial.items()})
    return table


def _outcome_results(
    res: pd.DataFrame, outcome: Any
) -> tuple[dict[str, float], dict[str, tuple[float, int]], dict[str, int]]:
    """Per sample, from the newest version of each cell's result: the mean of the final results
    of ``outcome`` at its conditions; for samples without one yet, the partial result with the
    most cycles (its conditions other than ``cycle`` must match) and that cycle count; and the
    number of final replicate values."""
    if not len(res):
        return {}, {}, {}
    wanted = outcome.conditions()
    rows = res[res["property"] == outcome.property]

    def matching(conditions: dict[str, Any], final: int) -> pd.DataFrame:
        keep = [f == final and all(_same(c.get(k), v) for k, v in conditions.items())
                for c, f in zip(rows["conditions"], rows["is_final"], strict=True)]  # fmt: skip
        return rows[np.array(keep, dtype=bool)]

    final_rows = matching(wanted, 1)
    grouped = final_rows.groupby("sample")["value"]
    final = {str(k): float(v) for k, v in grouped.mean().items()}
    replicates = {str(k): int(v) for k, v in grouped.size().items()}
    partial_rows = matching({k: v for k, v in wanted.items() if k != "cycle"}, 0)
    partial: dict[str, tuple[float, int]] = {}
    for sample, group in partial_rows.groupby("sample"):
        if str(sample) not in final:
            last = group.sort_values(["cycles_completed", "id"]).iloc[-1]
            partial[str(sample)] = (float(last["value"]), int(last["cycles_completed"]))
    return final, partial, replicates


def results_from_import(
    db: sqlite_utils.Database, proposal: int | str, import_id: int
) -> list[dict[str, Any]]:
    """Close the loop: record the objectives a stored analysis measured as results of ``proposal``.

    For every objective of the proposal's campaign, the values written by import ``import_id``
    (``anodelab import-run``) at the objective's conditions become a result linked to its
    measurement.  A long-cycling objective (``cycle = 500``) measured only to cycle N < 500 is
    recorded as a *partial* result at cycle N (cycles_completed = N, planned = 500); a later
    import of the same, longer file adds the next version, and the one at cycle 500 is final.
    """
    sample = proposal_sample(db, proposal)
    props = store.proposals(db)
    campaign_id = int(props[props["sample"] == sample].iloc[0]["campaign_id"])
    _, _, objectives = load_campaign(db, campaign_id, candidates=False)
    values = query.measurements(db)
    values = values[values["import_id"] == import_id]
    recorded: list[dict[str, Any]] = []
    for outcome in objectives.outcomes():
        rows = values[values["property"] == outcome.property]
        wanted = outcome.conditions()
        target_cycle = wanted.pop("cycle", None)
        if wanted:
            rows = rows[query.ConditionSpec.parse(wanted).mask(rows)]
        if rows.empty:
            continue
        if target_cycle is not None:
            cycles = pd.to_numeric(rows["cycle"], errors="coerce")
            reached = rows[cycles == float(target_cycle)]
            if reached.empty:
                below = rows[cycles < float(target_cycle)]
                if below.empty:
                    continue
                reached = below[
                    pd.to_numeric(below["cycle"]) == pd.to_numeric(below["cycle"]).max()
                ]
            row = reached.iloc[0]
            completed = int(row["cycle"])
            final = completed >= int(target_cycle)
            conditions = {**wanted, "cycle": float(completed)}
            planned: int | None = int(target_cycle)
        else:
            row = rows.iloc[0]
            completed, final, conditions, planned = None, True, wanted, None
        cell = str(row["cell"]) if isinstance(row.get("cell"), str) else None
        version = store.add_result(
            db, proposal, outcome.property, float(row["value"]), row["unit"], conditions,
            cycles_completed=completed, cycles_planned=planned, is_final=final,
            measurement_id=int(row["measurement_id"]), note=f"from import {import_id}",
            required={o.property for o in objectives.outcomes()}, cell=cell,
        )  # fmt: skip
        recorded.append({"property": outcome.property, "value": float(row["value"]), "unit": row["unit"],
                         "conditions": conditions, "is_final": final, "version": version,
                         "cell": cell})  # fmt: skip
    return recorded


class Campaign:
    """One campaign of an open KB, for notebooks: ``kb.campaign("pitch1")``.

    Each method is one of this module's functions with the KB and campaign filled in:

    >>> kb = anodelab.open("kb.db")                                   # doctest: +SKIP
    >>> pitch1 = kb.new_campaign("examples/spaces/si_c_pitch.yaml")   # doctest: +SKIP
    >>> batch = pitch1.recommend(4)  # doctest: +SKIP
    >>> # batch: a list of {"id", "parameters", "predictions", "reasons"}
    >>> pitch1.record(batch[0]["id"], "discharge_capacity=1050mAh/g", "ICE=84%")  # doctest: +SKIP
    >>> pitch1.set_status(batch[1]["id"], "abandoned", note="coating cracked")    # doctest: +SKIP
    >>> pitch1.table()  # recipe, predicted ± std, measured, status  # doctest: +SKIP
    >>> pitch1.plot("front.png")  # Pareto front or progress  # doctest: +SKIP
    """

    def __init__(self, db: sqlite_utils.Database, campaign: str | int) -> None:
        row = store.get_campaign(db, campaign)
        self.db, self.id, self.name = db, int(row["id"]), str(row["name"])

    def __repr__(self) -> str:
        counts = self.summary()["status_counts"]
        done = ", ".join(f"{v} {k}" for k, v in counts.items() if v)
        return f"Campaign({self.name!r}: {done or 'no proposals yet'})"

    def recommend(
        self, batch: int = 4, *, seed: int | None = None, budget: str = "default"
    ) -> list[dict[str, Any]]:
        """The next ``batch`` recipes, stored as proposals (see :func:`recommend`)."""
        records, _ = recommend(self.db, self.id, batch, seed=seed, budget=budget)
        return records

    def record(self, proposal: int | str, *values: str, **options: Any) -> list[dict[str, Any]]:
        """Record ``PROPERTY=VALUE[unit]`` results for a proposal; ``options`` are those of
        :func:`record`: ``at``, ``cycles_completed``, ``cycles_planned``, ``note``, ``cell``."""
        return record(self.db, proposal, list(values), **options)

    def set_status(
        self, proposal: int | str, status: str, note: str | None = None
    ) -> dict[str, Any]:
        """Mark a proposal running, abandoned or proposed (see :func:`set_status`)."""
        return set_status(self.db, proposal, status, note)

    def table(self) -> pd.DataFrame:
        """One row per proposal (see :func:`proposal_table`)."""
        return proposal_table(self.db, self.id)

    def summary(self) -> dict[str, Any]:
        """Status counts, best result per objective, measured table (see :func:`campaign_summary`)."""
        return campaign_summary(self.db, self.id)

    def history(self) -> pd.DataFrame:
        """Every status change with its note and time."""
        return store.status_history(self.db, self.id)

    def plot(self, path: str | Path | None = None):
        """The Pareto front (two or more objectives) or best-so-far progress; returns the figure."""
        from anodelab.plots.optimization import plot_pareto, plot_progress

        s = self.summary()
        if len(s["objectives"]) >= 2:
            return plot_pareto(s["measured"], s["objectives"], s["goals"], path)
        return plot_progress(s["measured"], s["objectives"][0], s["goals"][0], path)

    def _repr_html_(self) -> str:
        return f"<b>{self.name}</b>" + self.table().to_html(index=False, na_rep="")
