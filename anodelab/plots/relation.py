"""Plot a composition–performance relation: points labelled by sample, coloured by source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

__all__ = ["plot_relation"]


def _axis_label(entry: dict[str, Any]) -> str:
    name = str(entry["name"]).replace("_", " ")
    unit = entry.get("unit")
    return f"{name} ({unit})" if unit else name


def plot_relation(relation: dict[str, Any], path: str | Path | None = None) -> Figure:
    """Scatter of ``relation.to_dict()``: error bars where an uncertainty is stated, one colour per source.

    The excluded samples are listed under the axes so that nothing disappears silently.
    """
    fig, ax = plt.subplots(figsize=(7.0, 5.0), layout="constrained")
    points = relation["points"]
    sources = sorted({p["source"] for p in points})
    colours = plt.get_cmap("tab10")
    for index, source in enumerate(sources):
        pts = [p for p in points if p["source"] == source]
        xs = [p["x"] for p in pts]
        ys = [p["y"] for p in pts]
        errors = [p["uncertainty"] or 0.0 for p in pts]
        ax.errorbar(xs, ys, yerr=errors if any(errors) else None, fmt="o", ms=7, capsize=3,
                    color=colours(index % 10), label=source)  # fmt: skip
        for p in pts:
            marker = " (computed)" if p.get("origin") == "computed" else ""
            ax.annotate(
                p["sample"] + marker,
                (p["x"], p["y"]),
                textcoords="offset points",
                xytext=(5, 5),
                fontsize=8,
            )
    ax.set_xlabel(_axis_label(relation["parameter"]))
    ax.set_ylabel(_axis_label(relation["property"]))
    conditions = relation.get("conditions") or {}
    cond_text = ", ".join(
        f"{k} = {v['value']:g} {'' if v['unit'] == 'cycles' else v['unit']}".strip()
        if isinstance(v, dict)
        else f"{k} = {v}"
        for k, v in conditions.items()
    )
    ax.set_title(
        f"{relation['property']['name']} vs {relation['parameter']['name']}"
        + (f"\nat {cond_text}" if cond_text else ""),
        fontsize=11,
    )
    if sources:
        ax.legend(title="source", fontsize=8)
    ax.grid(alpha=0.3)
    excluded = relation.get("excluded") or []
    if excluded:

        def short(text: str, limit: int = 110) -> str:
            return text if len(text) <= limit else text[: limit - 1] + "…"

        shown = "; ".join(f"{e['sample']}: {short(e['reason'])}" for e in excluded[:4])
        more = f" (+{len(excluded) - 4} more)" if len(excluded) > 4 else ""
        fig.text(0.01, -0.02, f"left out: {shown}{more}", fontsize=7, wrap=True, va="top")
    if not points:
        ax.text(0.5, 0.5, "no values at these conditions", transform=ax.transAxes, ha="center")
    if path is not None:
        fig.savefig(path, dpi=150, bbox_inches="tight")
    return fig
