"""Plot a composition–performance relation: points labelled by sample, coloured by source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from anodelab.format import number, prose, words  # noqa: E402
from anodelab.plots.style import label_axes, save  # noqa: E402

__all__ = ["plot_relation"]


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
    label_axes(ax, relation["parameter"]["name"], relation["property"]["name"],
               x_unit=relation["parameter"].get("unit") or "", y_unit=relation["property"].get("unit") or "")  # fmt: skip
    conditions = relation.get("conditions") or {}
    cond_text = ", ".join(
        f"{words(k)} {number(v['value'])} {'' if v['unit'] == 'cycles' else v['unit']}".strip()
        if isinstance(v, dict)
        else f"{words(k)} {v}"
        for k, v in conditions.items()
    )
    ax.set_title(
        f"{words(relation['property']['name'])} vs {words(relation['parameter']['name'])}"
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

        shown = "; ".join(f"{e['sample']}: {short(prose(e['reason']))}" for e in excluded[:4])
        more = f" (+{len(excluded) - 4} more)" if len(excluded) > 4 else ""
        fig.text(0.01, -0.02, f"left out: {shown}{more}", fontsize=7, wrap=True, va="top")
    if not points:
        ax.text(0.5, 0.5, "no values at these conditions", transform=ax.transAxes, ha="center")
    return save(fig, path)
