"""Vega-Lite specifications of the web UI's charts (rendered in the browser by the vendored
Vega-Lite in ``anodelab/web/static``; nothing is loaded from the network)."""

from __future__ import annotations

import math
from typing import Any

from anodelab.format import axis_label, words

__all__ = ["relation_chart", "campaign_chart"]

_WIDTH, _HEIGHT = 520, 320


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def relation_chart(data: dict[str, Any]) -> dict[str, Any]:
    """A scatter of a relation (:meth:`anodelab.kb.query.Relation.to_dict`): the parameter on x,
    the property on y (both with units), one colour per source, error bars where stated."""
    x_title = axis_label(data["parameter"]["name"], data["parameter"].get("unit") or "")
    y_title = axis_label(data["property"]["name"], data["property"].get("unit") or "")
    values = [
        {
            "sample": p["sample"],
            "source": p["source"],
            "x": _clean(p["x"]),
            "y": _clean(p["y"]),
            "low": _clean(p["y"] - p["uncertainty"]) if p.get("uncertainty") else None,
            "high": _clean(p["y"] + p["uncertainty"]) if p.get("uncertainty") else None,
            "cell": p.get("cell_type") or "",
        }
        for p in data["points"]
    ]
    x = {"field": "x", "type": "quantitative", "title": x_title, "scale": {"zero": False}}
    y = {"field": "y", "type": "quantitative", "title": y_title, "scale": {"zero": False}}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",  # an identifier, never fetched
        "title": f"{words(data['property']['name'])} vs {words(data['parameter']['name'])}",
        "width": _WIDTH,
        "height": _HEIGHT,
        "data": {"values": values},
        "layer": [
            {
                "transform": [{"filter": "datum.low != null"}],
                "mark": {"type": "rule"},
                "encoding": {
                    "x": x,
                    "y": {**y, "field": "low"},
                    "y2": {"field": "high"},
                    "color": {"field": "source", "type": "nominal", "title": "source"},
                },
            },  # fmt: skip
            {
                "mark": {"type": "point", "filled": True, "size": 90},
                "encoding": {
                    "x": x,
                    "y": y,
                    "color": {"field": "source", "type": "nominal", "title": "source"},
                    "shape": {"field": "cell", "type": "nominal", "title": "cell type"},
                    "tooltip": [
                        {"field": "sample", "title": "sample"},
                        {"field": "source", "title": "source"},
                        {"field": "x", "title": x_title, "format": ".4~g"},
                        {"field": "y", "title": y_title, "format": ".4~g"},
                    ],
                },
            },
        ],
    }


def campaign_chart(
    measured: list[dict[str, Any]], objectives: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The campaign's front (two objectives: one against the other) or its progress (one
    objective against the order of the proposals).  ``objectives`` carry ``key``, ``label``,
    ``unit`` and ``goal``; ``measured`` one row per proposal with ``sample`` and each key."""
    if not measured or not objectives:
        return None
    first = objectives[0]
    tooltip = [{"field": "sample", "title": "proposal"}]
    if len(objectives) >= 2:
        second = objectives[1]
        fields: tuple[dict[str, Any], ...] = (first, second)
        encoding = {
            "x": {"field": first["key"], "type": "quantitative", "scale": {"zero": False},
                  "title": f"{axis_label(first['label'], first.get('unit') or '')} → {first['goal']}"},
            "y": {"field": second["key"], "type": "quantitative", "scale": {"zero": False},
                  "title": f"{axis_label(second['label'], second.get('unit') or '')} → {second['goal']}"},
        }  # fmt: skip
        title = "measured objectives (the front is the upper envelope in the goals' directions)"
    else:
        fields = (first,)
        encoding = {
            "x": {"field": "order", "type": "ordinal", "title": "proposal (in order)"},
            "y": {"field": first["key"], "type": "quantitative", "scale": {"zero": False},
                  "title": f"{axis_label(first['label'], first.get('unit') or '')} → {first['goal']}"},
        }  # fmt: skip
        title = "measured objective per proposal"
    tooltip += [{"field": f["key"], "title": words(f["label"]), "format": ".4~g"} for f in fields]
    values = [
        {"order": i + 1, "sample": row["sample"], **{f["key"]: _clean(row.get(f["key"])) for f in fields}}
        for i, row in enumerate(measured)
    ]  # fmt: skip
    values = [v for v in values if all(v[f["key"]] is not None for f in fields)]
    if not values:
        return None
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": title,
        "width": _WIDTH,
        "height": _HEIGHT,
        "data": {"values": values},
        "mark": {"type": "point", "filled": True, "size": 90},
        "encoding": {**encoding, "tooltip": tooltip},
    }
