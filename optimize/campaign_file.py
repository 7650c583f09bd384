"""Reading and checking a campaign file (design space + objectives + settings), before anything
is written: a refused file leaves no KB and no campaign behind."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from anodelab.optimize.objectives import ObjectiveSet, objectives_from_dict
from anodelab.optimize.settings import campaign_settings, check_campaign_file
from anodelab.optimize.space import Space, space_from_dict
from anodelab.schema.errors import InputError
from anodelab.schema.term_entries import terms_from_entries
from anodelab.schema.vocabulary import Term, active_user_terms, user_terms_in_use

__all__ = ["CampaignFile", "read_campaign_file"]


@dataclass(frozen=True)
class CampaignFile:
    """A checked campaign file: its name, space, objectives and the settings stored with it."""

    name: str
    space: Space
    objectives: ObjectiveSet
    settings: dict[str, Any]
    terms: tuple[Term, ...] = ()  # user-named parameters/objectives the file declares


#: the process step of a parameter a campaign file declares without ``step_type``: a proposal is a
#: sample whose recipe is written as process steps, so every parameter needs one
DEFAULT_STEP_TYPE = "other"


def _with_step_types(entries: Any) -> Any:
    """``vocabulary:`` entries with ``step_type: other`` added to parameters that name none."""
    if not isinstance(entries, list):
        return entries
    return [
        {**e, "step_type": e.get("step_type") or DEFAULT_STEP_TYPE}
        if isinstance(e, dict) and e.get("kind") == "parameter"
        else e
        for e in entries
    ]


def read_campaign_file(path: str | Path, name: str | None = None) -> CampaignFile:
    """Parse and check ``path``; ``name`` overrides the file's ``name`` (default: the stem).

    :raises InputError: naming the file (and the key) of the first problem."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=str(path))  # worded as every reader words it
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read campaign file: {exc}", file=str(path)) from exc
    check_campaign_file(data, file=str(path))  # unknown keys: refused, naming the closest
    # the file's own parameters and objectives (its `vocabulary:` section) join the KB's terms
    terms = terms_from_entries(_with_step_types(data.get("vocabulary")), str(path))
    with user_terms_in_use((*active_user_terms(), *terms)):
        space = space_from_dict(data, file=str(path), base=path.parent)
        objectives = objectives_from_dict(data, file=str(path))
    settings = campaign_settings(data, len(objectives.objectives), file=str(path))
    return CampaignFile(
        str(name or data.get("name") or path.stem), space, objectives, settings, terms
    )
