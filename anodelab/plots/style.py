"""The one style of anodelab's figures: axis labels in words with units, nothing clipped.

Every figure module labels its axes through :func:`label_axes` (names in words, units from the
vocabulary or given) and saves through :func:`save` (tight bounding box, so long labels and
legends below the axes are never cut off).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from anodelab.format import axis_label, conditions_text, words

__all__ = ["label_axes", "objective_label", "save", "DPI"]

DPI = 150


def label_axes(
    ax: Any, x: str, y: str, *, x_unit: str | None = None, y_unit: str | None = None
) -> None:
    """Set both axis labels from names (``pitch_wt_pct``) or text; units in parentheses."""
    ax.set_xlabel(x if " " in x else axis_label(x, x_unit))
    ax.set_ylabel(y if " " in y else axis_label(y, y_unit))


def objective_label(key: str) -> str:
    """A campaign objective key (``discharge_capacity@current_density=1000,cycle=500``) for an
    axis: ``discharge capacity (mA h g⁻¹) at current density 1000 mA g⁻¹, cycle 500``."""
    prop, _, conditions = key.partition("@")
    pairs: dict[str, float | str] = {}
    for item in filter(None, conditions.split(",")):
        name, _, value = item.partition("=")
        try:
            pairs[name] = float(value)
        except ValueError:
            pairs[name] = value
    shown = axis_label(prop)
    return f"{shown}\nat {conditions_text(pairs)}" if pairs else shown


def title_words(text: str) -> str:
    """A title built from names, in words."""
    return words(text)


def save(fig: Figure, path: str | Path | None) -> Figure:
    """Write ``fig`` (PNG/PDF/SVG by suffix) without clipping labels; return it."""
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=DPI, bbox_inches="tight")
    return fig
