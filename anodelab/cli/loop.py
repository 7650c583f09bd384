"""``anodelab recommend`` and ``anodelab fit``: the next batch with its reasons, and how good the
surrogate is.

``recommend --json`` prints the documented interface for scripts and lab robots (see
docs/optimization.md): a list of ``{"id", "sample", "parameters": {NAME: VALUE},
"predictions": {OUTCOME: {"mean", "std", "unit"}}, "reasons": {...}, ...}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.markup import escape

from anodelab.cli.common import (
    AtOption,
    DbOption,
    JsonOption,
    console,
    open_kb,
    print_json,
    working,
)
from anodelab.schema.units import unit_label

__all__ = ["recommend", "fit"]


def recommend(
    campaign: Annotated[str, typer.Argument(help="Campaign name or id.")],
    batch: Annotated[int, typer.Option("--batch", "-q", help="Number of recipes to propose.")] = 4,
    seed: Annotated[
        int | None, typer.Option(help="Override the seed (default: campaign seed + batch number).")
    ] = None,
    fast: Annotated[
        bool, typer.Option(help="Smaller optimizer budget (quicker, a little worse).")
    ] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Propose the next batch of recipes, store them as proposals, print them with their reasons."""
    with (
        working(f"fitting surrogates and optimizing the acquisition for {batch} recipe(s) …"),
        open_kb(db) as kb,
    ):
        records, result = kb.campaign(campaign).recommend_with_result(
            batch, seed=seed, budget="fast" if fast else "default"
        )
    if as_json:
        print_json(records)
        return
    console.print(f"[bold]{result.strategy}[/]: {result.message}")
    for r in records:
        params = ", ".join(
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
            for k, v in r["parameters"].items()
        )
        console.print(f"\n[bold]proposal {r['id']}[/] ({r['sample']}): {params}")
        labels = {key: p.get("label") or key for key, p in r["predictions"].items()}
        for key, p in r["predictions"].items():
            unit = f" {unit_label(p['unit'])}" if p.get("unit") else ""
            console.print(f"  predicted {labels[key]}: {p['mean']:.4g} ± {p['std']:.3g}{unit}")
        reasons = r["reasons"]
        if "exploration" in reasons:
            console.print(f"  [yellow]exploration[/]: {reasons['exploration']['why']}")
        relative = reasons.get("exploration", {}).get("acquisition_is_relative_to")
        over = f" (over the {relative})" if relative else ""
        for key, label in (("expected_improvement", "expected improvement"),
                           ("expected_hypervolume_improvement", "expected hypervolume improvement")):  # fmt: skip
            if key in reasons:
                unit = f" {reasons['improvement_unit']}" if reasons.get("improvement_unit") else ""
                console.print(f"  {label}{over}: {reasons[key]:.3g}{unit}")
        for text, prob in reasons.get("constraint_probability", {}).items():
            console.print(f"  P({text}) = {prob:.2f}")
        for n in reasons.get("nearest_measured", [])[:2]:
            meas = ", ".join(
                f"{labels.get(k, k)} {v['mean']:.4g}" for k, v in n["measured"].items()
            )
            console.print(
                f"  near {n['sample']} ({n['source']}, distance {n['distance']:.2f}): {meas}"
            )
        for key, imp in list(reasons.get("parameter_importance", {}).items())[:2]:
            top = ", ".join(f"{k} {v:.0%}" for k, v in list(imp.items())[:3])
            console.print(f"  drivers of {labels.get(key, key)}: {top}")
    _print_missing(
        result.missing,
        "\n{} sample(s) not used for training (see --json or `anodelab fit`); reasons:",
    )


def _print_missing(missing: pd.DataFrame, heading: str) -> None:
    """Count the samples the training data could not use, by reason (``heading`` takes the count)."""
    if len(missing):
        console.print(heading.format(missing["sample"].nunique()))
        for reason, n in missing.groupby("reason")["sample"].nunique().items():
            console.print(f"  {n} × {escape(str(reason))}")


def fit(
    property: Annotated[str, typer.Argument(help="Property name or synonym, e.g. ICE.")],
    at: AtOption = None,
    space: Annotated[
        Path | None, typer.Option(help="Use the free parameters of this space as inputs.")
    ] = None,
    inputs: Annotated[
        list[str] | None,
        typer.Option(
            "--inputs",
            help="A recipe parameter to use as input (repeatable); recipes that lack one are "
            "left out. Default: the parameters every measured recipe has.",
        ),
    ] = None,
    model: Annotated[
        str, typer.Option(help="gp (BoTorch GP) or forest (random-forest baseline).")
    ] = "gp",
    kernel: Annotated[
        str, typer.Option(help="GP kernel: matern (Matérn-5/2 × SE on levels) or rbf.")
    ] = "matern",
    categorical_encoding: Annotated[
        str, typer.Option(help="GP categoricals: one-hot or hamming.")
    ] = "one-hot",
    plot: Annotated[Path | None, typer.Option(help="Write the parity plot here.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Cross-validate a surrogate on the KB: LOO and leave-one-source-out R², MAE, calibration."""
    from anodelab.plots.optimization import plot_parity

    if model not in ("gp", "forest"):
        raise typer.BadParameter("model must be gp or forest")
    with working("cross-validating the surrogate …"), open_kb(db, readonly=True) as kb:
        rep = kb.fit(
            property,
            at,
            space_path=space,
            inputs=inputs,
            model=model,
            kernel=kernel,
            categorical_encoding=categorical_encoding,
        )
    if plot is not None:
        plot_parity(rep["predictions"], f"{rep['outcome']} ({rep['unit']})", rep["loo"], plot)
    if as_json:
        print_json({k: v for k, v in rep.items() if k not in ("predictions", "missing")}
                   | {"predictions": rep["predictions"].to_dict("records")})  # fmt: skip
        return
    console.print(
        f"[bold]{rep['outcome']}[/] ({rep['unit']}), {rep['model']}, n = {rep['n']}, inputs: {', '.join(rep['features'])}"
    )
    for label in ("loo", "loso"):
        m = rep[label]
        if m:
            console.print(
                f"  {label.upper():5s} R² {m['r2']:.2f}  MAE {m['mae']:.3g}  coverage 68% → {m['coverage_68']:.0%}, 95% → {m['coverage_95']:.0%}  (n {m['n']})"
            )
    for name, why in rep.get("left_out", {}).items():
        console.print(f"  left out {name}: {why}")
    _print_missing(rep["missing"], "{} sample(s) not used; reasons:")
    if plot is not None:
        console.print(f"parity plot: {plot}")
