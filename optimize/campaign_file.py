"""Reading and checking a campaign file (design space + objectives + settings), before anything
is written: a refused file leaves no KB and no campaign behind."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from anodelab.optimize.objectives import ObjectiveSet, objectives_from_dict
from anodelab.optimize.space import Space, space_from_dict
from anodelab.schema.errors import InputError

__all__ = ["CampaignFile", "read_campaign_file"]


@dataclass(frozen=True)
class CampaignFile:
    """A checked campaign file: its name, space, objectives and the settings stored with it."""

    name: str
    space: Space
    objectives: ObjectiveSet
    settings: dict[str, Any]


def read_campaign_file(path: str | Path, name: str | None = None) -> CampaignFile:
    """Parse and check ``path``; ``name`` overrides the file's ``name`` (default: the stem).

    :raises InputError: naming the file (and the key) of the first problem."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read campaign file: {exc}", file=str(path)) from exc
    if not isinstance(data, dict):
        raise InputError("a campaign file must be a YAML mapping", file=str(path))
    space = space_from_dict(data, file=str(path), base=path.parent)
    objectives = objectives_from_dict(data, file=str(path))
    settings: dict[str, Any] = {
        "transfer": data.get("transfer", "auto"),
        "min_observations": data.get("min_observations", 5),
        "model": _model_settings(data.get("model") or {}, str(path)),
    }
    if data.get("acquisition") is not None:
        from anodelab.optimize.acquisition import check_acquisition  # torch: only when named

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
    return CampaignFile(str(name or data.get("name") or path.stem), space, objectives, settings)


def _model_settings(model: Any, file: str) -> dict[str, str]:
    """The campaign file's ``model:`` block — ``kernel`` and ``categorical_encoding`` — checked."""
    if not model:
        return {}
    from anodelab.models.gp import CATEGORICAL_ENCODINGS  # torch: only when a model is chosen
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
