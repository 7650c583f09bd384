"""The literature shipped with anodelab: one folder of documented-layout tables per source."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["literature_folders"]


def literature_folders() -> list[Path]:
    """Folders under ``kb/literature/`` (one per source), sorted by name."""
    root = Path(str(resources.files("anodelab.kb").joinpath("literature")))
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))
