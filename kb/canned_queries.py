"""Canned SQL queries for browsing the KB in Datasette (``anodelab serve``): one form per recipe
parameter relating it to a property at optional conditions.  The SQL lives here, in kb/, like
every other SQL text of anodelab (``tools/check_sql.py``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["relation_queries"]

_RELATION_SQL = (
    "SELECT sample, source, origin, {param} AS x, value AS y, unit, uncertainty, cycle,"
    " current_density, c_rate, cell "
    "FROM v_relations WHERE property = :property AND {param} IS NOT NULL "
    "AND (:cycle = '' OR cycle = CAST(:cycle AS REAL)) "
    "AND (:current_density_mA_per_g = '' OR current_density = CAST(:current_density_mA_per_g AS REAL)) ORDER BY x"
)


def relation_queries(parameters: Iterable[str]) -> dict[str, dict[str, Any]]:
    """``relate_<param>``: a form (property, cycle, current density) → sample, source, origin
    (stated / analyzer / recorded …: literature and this lab's results side by side), x, y."""
    return {
        f"relate_{param}": {
            "title": f"{param} vs a property",
            "description": f"Values of a property (canonical name, e.g. initial_coulombic_efficiency) against {param}; "
            "leave cycle/current density empty to ignore them.",
            "sql": _RELATION_SQL.format(param='"' + param.replace('"', '""') + '"'),
        }
        for param in parameters
    }
