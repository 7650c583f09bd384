"""``anodelab fit``: cross-validate a surrogate on the KB's recipes (literature and lab results)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import sqlite_utils

from anodelab.campaign_record import parse_assignment
from anodelab.kb import query
from anodelab.kb.recipes import recipe_vectors
from anodelab.models.inference import measured_features
from anodelab.optimize.objectives import assemble
from anodelab.optimize.training import comparable_recipes
from anodelab.schema.errors import InputError
from anodelab.schema.vocabulary import load_vocabulary

__all__ = ["fit_report"]


def fit_report(
    db: sqlite_utils.Database,
    property: str,
    at: list[str] | None = None,
    *,
    space_path: str | Path | None = None,
    inputs: list[str] | None = None,
    model: str = "gp",
    kernel: str = "matern",
    categorical_encoding: str = "one-hot",
) -> dict[str, Any]:
    """Cross-validate a surrogate for ``property`` (at conditions) on the KB's recipes.

    ``kernel`` and ``categorical_encoding`` choose the GP (see :class:`GPSurrogate`); the
    forest ignores them.

    Inputs: the free parameters of ``space_path`` if given; else the parameters named in
    ``inputs`` (recipes lacking one are left out and listed in ``missing``); else the recipe
    parameters known for every recipe with the property (the others are listed in ``left_out``
    with the reason).
    Returns metrics for leave-one-out and leave-one-source-out and their predictions."""
    from anodelab.models import ForestSurrogate, GPSurrogate, cross_validate, cv_metrics
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
        recipes, excluded = comparable_recipes(recipe_vectors(db), [f.name for f in features])
    else:  # blends and groups are not recipes (a graphite blend's full-cell ICE is not pitch's)
        recipes, excluded = comparable_recipes(recipe_vectors(db), list(vocab.parameters()))
        features, left_out = measured_features(vocab, recipes, meas, inputs)
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
