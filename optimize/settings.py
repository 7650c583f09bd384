"""Campaign files are strict: every key is known, every setting checked, typos named.

A misspelt setting (``min_observation: 2``, ``acquisiton: qLogEI``) used to be accepted and
ignored; now it is an error that names the key, where it is, and the closest valid key
(``difflib`` similarity, as Python's own "did you mean" suggestions).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from anodelab.schema.errors import InputError

__all__ = [
    "CAMPAIGN_KEYS",
    "PARAMETER_KEYS",
    "OBJECTIVE_KEYS",
    "CONSTRAINT_KEYS",
    "check_keys",
    "check_campaign_file",
    "campaign_settings",
]

#: top-level keys of a campaign file, with what each is for (docs/optimization.md)
CAMPAIGN_KEYS = {
    "name": "the campaign's name (default: the file name)",
    "description": "free text",
    "vocabulary": "the campaign's own parameters and objectives (user terms, as in mapping files)",
    "parameters": "the design space",
    "constraints": "linear constraints on the parameters",
    "candidates": "a finite table of recipes the lab can make",
    "objectives": "what to maximise or minimise",
    "outcome_constraints": "outcome thresholds such as 'ICE >= 80 %'",
    "transfer": "use other sources in the KB as a multi-task prior: auto, true or false",
    "min_observations": "observations before the model replaces the cold-start design",
    "acquisition": "acquisition function (default qLogNEI / qLogNEHVI)",
    "explore_levels": "explore other categorical levels once converged: true or false",
    "model": "surrogate options: kernel, categorical_encoding",
}
PARAMETER_KEYS = ("type", "bounds", "values", "value", "step", "unit", "when", "description")
OBJECTIVE_KEYS = ("property", "goal", "threshold", "name", "at", "unit", "description")
CONSTRAINT_KEYS = ("property", "op", "value", "at")
TRANSFER_CHOICES = ("auto", True, False)


def check_keys(
    mapping: Mapping[str, Any], allowed: Iterable[str], where: str, *, file: str | None = None
) -> None:
    """Refuse the first key of ``mapping`` not in ``allowed``, naming the closest valid one."""
    allowed = list(allowed)
    for key in mapping:
        if key in allowed:
            continue
        close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else f"; valid keys: {sorted(allowed)}"
        raise InputError(f"unknown key {key!r} in {where}{hint}", file=file, column=str(key))


def check_campaign_file(data: Any, *, file: str | None = None) -> None:
    """Every key of a campaign file — top level, parameters, objectives, outcome constraints —
    must be one the campaign reads."""
    if not isinstance(data, Mapping):
        raise InputError("a campaign file is a mapping of keys such as 'parameters'", file=file)
    check_keys(data, CAMPAIGN_KEYS, "the campaign file", file=file)
    parameters = data.get("parameters") or {}
    if not isinstance(parameters, Mapping):
        raise InputError("'parameters' must map parameter names to their specs", file=file)
    for name, spec in parameters.items():
        if isinstance(spec, Mapping):
            check_keys(spec, PARAMETER_KEYS, f"parameter {name!r}", file=file)
    for i, spec in enumerate(data.get("objectives") or []):
        if isinstance(spec, Mapping):
            check_keys(spec, OBJECTIVE_KEYS, f"objective {i + 1}", file=file)
    for i, spec in enumerate(data.get("outcome_constraints") or []):
        if isinstance(spec, Mapping):
            check_keys(spec, CONSTRAINT_KEYS, f"outcome constraint {i + 1}", file=file)


def campaign_settings(
    data: Mapping[str, Any], n_objectives: int, *, file: str | None = None
) -> dict[str, Any]:
    """The optimizer settings of a checked campaign file, validated: ``transfer``,
    ``min_observations`` (``None``: one cold-start batch), ``acquisition``, ``explore_levels``
    and ``model``."""
    from anodelab.optimize.acquisition import check_acquisition

    transfer = data.get("transfer", "auto")
    if transfer not in TRANSFER_CHOICES:
        raise InputError(
            f"transfer must be auto, true or false, got {transfer!r}", file=file, column="transfer"
        )
    minimum = data.get("min_observations")
    if minimum is not None and (
        isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 1
    ):
        raise InputError(
            f"min_observations must be a whole number ≥ 1, got {minimum!r}",
            file=file,
            column="min_observations",
        )
    settings: dict[str, Any] = {
        "transfer": transfer,
        "min_observations": minimum,
        "model": model_settings(data.get("model") or {}, file),
    }
    if data.get("acquisition") is not None:
        try:
            check_acquisition(str(data["acquisition"]), n_objectives)
        except InputError as exc:
            raise InputError(str(exc), file=file, column="acquisition") from exc
        settings["acquisition"] = str(data["acquisition"])
    if "explore_levels" in data:
        if not isinstance(data["explore_levels"], bool):
            raise InputError(
                f"explore_levels must be true or false, got {data['explore_levels']!r}",
                file=file,
                column="explore_levels",
            )
        settings["explore_levels"] = data["explore_levels"]
    return settings


def model_settings(model: Any, file: str | None) -> dict[str, str]:
    """The campaign file's ``model:`` block — ``kernel`` and ``categorical_encoding`` — checked."""
    from anodelab.models.gp import CATEGORICAL_ENCODINGS
    from anodelab.models.kernels import KERNELS

    choices = {"kernel": KERNELS, "categorical_encoding": CATEGORICAL_ENCODINGS}
    if not isinstance(model, Mapping):
        raise InputError("'model' must be a mapping such as {kernel: matern}", file=file)
    check_keys(model, choices, "the model settings", file=file)
    for key, value in model.items():
        if value not in choices[key]:
            raise InputError(
                f"unknown {key} {value!r}; choose one of {list(choices[key])}",
                file=file,
                column=f"model.{key}",
            )
    return dict(model)
