"""Datasette metadata for browsing a KB: table descriptions and canned relation queries."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from anodelab.kb.canned_queries import relation_queries
from anodelab.schema.vocabulary import load_vocabulary

__all__ = ["metadata", "write_metadata"]


def metadata(db_name: str) -> dict[str, Any]:
    """Datasette metadata: descriptions of the main tables/views and canned queries with forms."""
    params = list(load_vocabulary().parameters())
    queries = relation_queries(params)
    return {
        "title": "anodelab knowledge base",
        "description": "Synthesis recipes of Si/C anodes linked to measured properties with units, conditions and provenance.",
        "databases": {
            db_name: {
                "tables": {
                    "v_measurements": {
                        "description": "One row per value; one column per condition (canonical units)."
                    },
                    "v_relations": {
                        "description": "Values joined with the flat recipe vector of their sample."
                    },
                    "recipe_vectors": {
                        "description": "One row per sample, one column per recipe parameter."
                    },
                    "v_steps": {"description": "Process-step parameters of every sample."},
                    "vocabulary": {
                        "description": "Names, canonical units, plausible ranges and synonyms."
                    },
                    "imports": {
                        "description": "Import ledger: every file imported, its hash and what it replaced."
                    },
                    "v_checks": {
                        "description": "Stated derived numbers vs recomputed from their ingredients."
                    },
                },
                "queries": queries,
            }
        },
    }


def write_metadata(db_path: Path) -> Path:
    """Write the metadata JSON for ``db_path`` to a temporary file and return its path."""
    out = Path(tempfile.mkdtemp(prefix="anodelab-datasette-")) / "metadata.json"
    out.write_text(json.dumps(metadata(db_path.stem), indent=2), encoding="utf-8")
    return out
