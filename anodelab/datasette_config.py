"""Datasette metadata for browsing a KB: titles in words, label columns, facets, column
descriptions with units, and a home page that leads to relations and campaigns.

No SQL lives here: the relation page calls the CLI's own code (:mod:`anodelab.web.plugin`), and
the tables and views are the KB's (:mod:`anodelab.kb.views`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from anodelab.format import words

__all__ = ["metadata", "write_metadata"]

# Example relations on the home page: (parameter, property) as a researcher types them.
_EXAMPLES = (
    ("pitch", "ICE"),
    ("dopamine", "ICE"),
    ("T_carb", "discharge_capacity"),
    ("pitch", "BET"),
)

_TABLES: dict[str, dict[str, Any]] = {
    "v_measurements": {
        "title": "Measured values with conditions",
        "description": "One row per value, with its sample, source, unit and one column per condition (canonical units).",
        "facets": ["property", "source", "family", "origin"],
    },
    "measurements": {
        "title": "Measured values",
        "description": "Every stored value; the unit is shown beside it, samples and sources by their labels.",
        "facets": ["property", "source_id", "origin"],
        "label_column": "property",
    },
    "samples": {
        "title": "Samples",
        "description": "Materials, electrodes, blends and groups as their papers or lab notebooks name them.",
        "facets": ["family", "kind", "source_id"],
        "label_column": "label",
    },
    "sources": {
        "title": "Sources",
        "description": "Papers, lab notebooks, lab runs and data sets; each value points to one.",
        "facets": ["kind", "year"],
        "label_column": "key",
    },
    "cells": {
        "title": "Test cells",
        "description": "Half and full cells with their setup (units in the column names).",
        "facets": ["cell_type", "source_id"],
        "label_column": "label",
    },
    "v_relations": {
        "title": "Values with the recipe of their sample",
        "description": "Each value joined with its sample's flat recipe vector (for relations use the Relations page).",
        "facets": ["property", "source", "family"],
    },
    "recipe_vectors": {
        "title": "Recipes",
        "description": "One row per sample, one column per recipe parameter (units in the column names).",
        "facets": ["family", "source"],
    },
    "v_steps": {
        "title": "Process steps",
        "description": "Every process-step parameter of every sample.",
        "facets": ["step_type", "source"],
    },  # fmt: skip
    "vocabulary": {
        "title": "Vocabulary",
        "description": "Names, canonical units, plausible ranges and synonyms.",
        "facets": ["kind"],
        "label_column": "name",
    },
    "imports": {
        "title": "Import ledger",
        "description": "Every file imported, its hash and what it replaced.",
        "facets": ["status"],
    },  # fmt: skip
    "v_checks": {
        "title": "Consistency checks",
        "description": "Stated derived numbers vs recomputed from their ingredients.",
        "facets": ["rule", "status"],
    },  # fmt: skip
    "campaigns": {"title": "Campaigns (table)", "label_column": "name"},
    "proposals": {"title": "Proposals (table)", "facets": ["status"], "label_column": "sample"},
}

_COLUMNS = {
    "value": "The value in the canonical unit of its property (shown beside it).",
    "unit": "Canonical unit of the property.",
    "uncertainty": "± as stated (kind in uncertainty_kind).",
    "qualifier": "= exact, ≈ approximate, < or > a bound.",
    "origin": "stated (from the source), computed (by anodelab from stated values), analyzer (from a raw file), recorded (a campaign result).",
    "sample_id": "The sample (its label).",
    "source_id": "The source (its short key; hover for the title).",
    "cell_id": "The test cell (its label).",
    "locator": "Where in the source: section, table, figure.",
    "raw": "The text as written in the source.",
}


def _home_html(db_name: str) -> str:
    links = "".join(
        f'<li><a href="/-/relate?parameter={p}&amp;property={q}">{words(q) if q != "ICE" else "ICE"} vs {p}</a></li>'
        for p, q in _EXAMPLES
    )
    return (
        "<p>Synthesis recipes of Si/C anodes linked to measured properties with units, conditions and provenance.</p>"
        f'<p><a href="/-/relate"><strong>Relations</strong></a>: a recipe parameter against a property, at the conditions you choose, '
        f"as a chart — for example</p><ul>{links}</ul>"
        f'<p><a href="/-/campaigns"><strong>Campaigns</strong></a>: proposals, their status, the best result so far and the front.</p>'
        f'<p>Browse <a href="/{db_name}/v_measurements">measured values</a>, <a href="/{db_name}/samples">samples</a>, '
        f'<a href="/{db_name}/sources">sources</a> and <a href="/{db_name}/recipe_vectors">recipes</a>.</p>'
    )


def metadata(db_name: str) -> dict[str, Any]:
    """Datasette metadata for the KB served under ``db_name``."""
    tables = {name: {**spec, "columns": _COLUMNS} for name, spec in _TABLES.items()}
    return {
        "title": "anodelab knowledge base",
        "description_html": _home_html(db_name),
        "databases": {
            db_name: {
                "title": "Si/C anode knowledge base",
                "description_html": _home_html(db_name),
                "tables": tables,
            }
        },
    }


def write_metadata(db_path: Path, folder: Path) -> Path:
    """Write the metadata JSON for ``db_path`` into ``folder`` and return its path."""
    out = Path(folder) / "metadata.json"
    out.write_text(json.dumps(metadata(db_path.stem), indent=2), encoding="utf-8")
    return out
