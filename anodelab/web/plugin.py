"""The Datasette plugin of ``anodelab serve``: a read-only guard, values with units, labels with
hover titles, and pages for relations and campaigns.

Loaded by Datasette from ``anodelab/web/plugins/`` (``--plugins-dir``).  The relation page calls
the same function as ``anodelab relate`` (:meth:`anodelab.api.KnowledgeBase.relation`): synonyms,
conditions, exclusions and their reasons are the CLI's, not a second copy in SQL.  Every request
opens the KB anew, read-only (``mode=ro``), so a value written while serving shows on reload.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup

from anodelab.format import axis_label, conditions_text, number, prose, quantity, words
from anodelab.web.charts import campaign_chart, relation_chart

__all__ = ["PASSWORD_ENV", "READ_METHODS"]

PASSWORD_ENV = "ANODELAB_SERVE_PASSWORD"
"""When set (``anodelab serve --password``), every request needs HTTP basic auth with it."""
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""The only HTTP methods served: the KB is never written through the web UI."""

_VALUE_COLUMNS = ("value", "value_min", "value_max", "uncertainty")
_VALUE_TABLES = ("measurements", "v_measurements")


# -- the guard: read-only, optional password ---------------------------------------------------


async def _plain(send: Callable, status: int, text: str, headers: list | None = None) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), *(headers or [])]})  # fmt: skip
    await send({"type": "http.response.body", "body": text.encode("utf-8")})


def _authorized(scope: dict, password: str) -> bool:
    for name, value in scope.get("headers", []):
        if name.lower() == b"authorization" and value[:6].lower() == b"basic ":
            try:
                _, _, given = base64.b64decode(value[6:]).decode("utf-8").partition(":")
            except ValueError:
                return False
            return hmac.compare_digest(given, password)
    return False


@hookimpl
def asgi_wrapper(datasette: Any) -> Callable:
    def wrap(app: Callable) -> Callable:
        async def guarded(scope: dict, receive: Callable, send: Callable) -> None:
            if scope["type"] == "http":
                password = os.environ.get(PASSWORD_ENV)
                if password and not _authorized(scope, password):
                    await _plain(send, 401, "anodelab serve: sign in (HTTP basic auth)\n",
                                 [(b"www-authenticate", b'Basic realm="anodelab"')])  # fmt: skip
                    return
                if scope["method"] not in READ_METHODS:
                    await _plain(send, 403, "anodelab serve is read-only: write to the KB with the "
                                 "anodelab commands (import-table, import-run, record)\n")  # fmt: skip
                    return
            await app(scope, receive, send)

        return guarded

    return wrap


# -- cells: units beside values, labels with titles --------------------------------------------


def _kb_path(datasette: Any) -> Path:
    for database in datasette.databases.values():
        if getattr(database, "path", None):
            return Path(database.path)
    raise LookupError("no KB file is being served")


def _source_titles(path: Path) -> dict[str, str]:
    import anodelab

    with anodelab.open(path, readonly=True) as kb:
        frame = kb.sources()
    return {
        str(r["source"]): " — ".join(str(v) for v in (r["title"], r["journal"], r["year"], r["doi"]) if v == v and v)
        for _, r in frame.iterrows()
    }  # fmt: skip


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, datasette: Any) -> Any:
    if table in _VALUE_TABLES and column in _VALUE_COLUMNS and isinstance(value, (int, float)):
        unit = row["unit"] if "unit" in row.keys() else None
        qualifier = row["qualifier"] if column == "value" and "qualifier" in row.keys() else None
        return quantity(value, unit, qualifier=qualifier)
    if column == "source_id" and isinstance(value, dict) and value.get("label"):

        async def titled() -> Markup:
            titles = await asyncio.to_thread(_source_titles, _kb_path(datasette))
            key = str(value["label"])
            href = datasette.urls.row(datasette.get_database().name, "sources", value["value"])
            return Markup('<a href="{}" title="{}">{}</a>').format(href, titles.get(key, ""), key)

        return titled
    return None


# -- pages: relations and campaigns ------------------------------------------------------------


@hookimpl
def menu_links(datasette: Any) -> list[dict[str, str]]:
    return [
        {"href": datasette.urls.path("/-/relate"), "label": "Relations"},
        {"href": datasette.urls.path("/-/campaigns"), "label": "Campaigns"},
    ]


def _page_context(datasette: Any) -> dict[str, Any]:
    return {"static": datasette.urls.path("/anodelab-static/")}


async def _render(
    datasette: Any, request: Any, template: str, context: dict[str, Any], status: int = 200
) -> Response:
    html = await datasette.render_template(
        template, {**_page_context(datasette), **context}, request=request
    )
    return Response.html(html, status=status)  # fmt: skip


def _relation_request(args: Any) -> dict[str, Any]:
    """The relation form's fields; empty ones are dropped (a condition left empty is no condition)."""
    form = {k: (args.get(k) or "").strip() for k in
            ("parameter", "property", "cycle", "current_density", "source", "family", "cell_type")}  # fmt: skip
    at = [f"{name}={form[name]}" for name in ("cycle", "current_density") if form[name]]
    at += [a.strip() for a in args.getlist("at") if a.strip()]
    return {"form": form, "at": at}


def relation_view(
    path: Path, parameter: str, property: str, at: list[str], **filters: str
) -> dict[str, Any]:
    """What the relation page shows, by the CLI's own code path: the relation as data, its rows
    for people (sorted by x, units in the headers) and the chart."""
    import anodelab

    with anodelab.open(path, readonly=True) as kb:
        rel = kb.relation(
            parameter, property, at or None, **{k: v for k, v in filters.items() if v}
        )
    data = rel.to_dict()
    x_head = axis_label(data["parameter"]["name"], data["parameter"].get("unit") or "")
    y_head = axis_label(data["property"]["name"], data["property"].get("unit") or "")
    rows = [
        {"sample": p["sample"], "source": p["source"], x_head: number(p["x"]),
         y_head: quantity(p["y"], None, uncertainty=p.get("uncertainty")),
         "cell type": p.get("cell_type") or "", "origin": p.get("origin") or ""}
        for p in sorted(data["points"], key=lambda p: (p["x"], p["sample"]))
    ]  # fmt: skip
    left_out = [{**item, "reason": prose(item["reason"])} for item in data["excluded"]]
    return {"data": data, "left_out": left_out, "headers": ["sample", "source", x_head, y_head, "cell type", "origin"],
            "rows": rows, "chart": relation_chart(data) if data["points"] else None,
            "title": f"{words(data['property']['name'])} vs {words(data['parameter']['name'])}"}  # fmt: skip


async def relate_page(datasette: Any, request: Any) -> Response:
    from anodelab.schema.errors import AnodelabError
    from anodelab.schema.vocabulary import load_vocabulary

    asked = _relation_request(request.args)
    form = asked["form"]
    vocab = load_vocabulary()
    context: dict[str, Any] = {
        "form": form,
        "parameters": [(n, words(n)) for n in vocab.parameters()],
        "properties": [(n, words(n)) for n in vocab.properties()],
        "title": "Relate a recipe parameter to a property",
        "view": None,
        "error": None,
    }
    if form["parameter"] and form["property"]:
        filters = {
            "source": form["source"],
            "family": form["family"],
            "cell_type": form["cell_type"],
        }
        try:
            view = await asyncio.to_thread(relation_view, _kb_path(datasette), form["parameter"],
                                           form["property"], asked["at"], **filters)  # fmt: skip
        except AnodelabError as exc:
            if request.args.get("_format") == "json":
                return Response.json({"error": str(exc)}, status=400)
            return await _render(datasette, request, "anodelab_relate.html", {**context, "error": str(exc)}, 400)  # fmt: skip
        if request.args.get("_format") == "json":
            return Response.json(view["data"], default=str)
        context.update(view=view, title=view["title"], chart_json=Markup(json.dumps(view["chart"])))
    return await _render(datasette, request, "anodelab_relate.html", context)


def campaigns_view(path: Path) -> list[dict[str, Any]]:
    import anodelab

    with anodelab.open(path, readonly=True) as kb:
        frame = kb.campaigns()
    return [
        {k: number(v) if k != "name" else v for k, v in r.items()} for r in frame.to_dict("records")
    ]


async def campaigns_page(datasette: Any, request: Any) -> Response:
    rows = await asyncio.to_thread(campaigns_view, _kb_path(datasette))
    return await _render(datasette, request, "anodelab_campaigns.html", {"title": "Optimization campaigns", "campaigns": rows})  # fmt: skip


def _outcome_words(key: str, prop: str) -> tuple[str, str]:
    """``discharge_capacity@current_density=1000,cycle=500`` → (``discharge capacity``,
    ``current density 1000, cycle 500``)."""
    _, _, conditions = key.partition("@")
    pairs = (c.partition("=") for c in conditions.split(",") if c)
    return words(prop), conditions_text({n: _number_or_text(v) for n, _, v in pairs})


def _number_or_text(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def campaign_view(path: Path, name: str) -> dict[str, Any]:
    """Proposals with statuses, the best result so far per objective and the measured front."""
    import anodelab
    from anodelab.campaign import campaign_summary, proposal_table

    with anodelab.open(path, readonly=True) as kb:
        summary = campaign_summary(kb.db, name)
        table = proposal_table(kb.db, name)
    outcomes = table.attrs.get("outcomes", {})
    objectives = [
        {"key": key, "label": outcomes.get(key, {}).get("property", key),
         "unit": outcomes.get(key, {}).get("unit", ""), "goal": goal}
        for key, goal in zip(summary["objectives"], summary["goals"], strict=False)
    ]  # fmt: skip
    best = [
        {"objective": words(b.get("label") or key), "goal": b["goal"],
         "value": quantity(b["value"], b.get("unit")), "sample": b["sample"]}
        for key, b in summary["best"].items()
    ]  # fmt: skip
    parameters = [c for c in summary["parameters"] if c in table.columns]
    headers = ["proposal", "batch", "status", "strategy", *(axis_label(p) for p in parameters)]
    legend = []
    for key, info in outcomes.items():
        label, conditions = _outcome_words(key, info["property"])
        headers += [f"{label} predicted", f"{label} measured"]
        legend.append({"outcome": label, "conditions": conditions})
    rows = []
    for _, r in table.iterrows():
        row = [
            r["sample"],
            number(r["batch"]),
            r["status"],
            r["strategy"],
            *(number(r[p]) for p in parameters),
        ]
        for key, info in outcomes.items():
            unit = f" [{info['unit']}]" if info["unit"] else ""
            row.append(
                quantity(
                    r.get(f"{key} predicted{unit}"),
                    info["unit"] or None,
                    uncertainty=r.get(f"{key} std{unit}"),
                )
            )
            n = int(r.get(f"{key} n") or 0)
            shown = quantity(r.get(f"{key} measured{unit}"), info["unit"] or None)
            row.append(f"{shown} ({n} cells)" if shown and n > 1 else shown)
        rows.append(row)  # fmt: skip
    fields = {o["key"]: f"objective{i}" for i, o in enumerate(objectives)}  # Vega-safe field names
    measured = [
        {"sample": m["sample"], **{fields[k]: m.get(k) for k in fields}}
        for m in summary["measured"].to_dict("records")
    ]
    chart_objectives = [{**o, "key": fields[o["key"]]} for o in objectives]
    return {
        "name": summary["campaign"],
        "status_counts": summary["status_counts"],
        "batches": summary["batches"],
        "best": best,
        "headers": headers,
        "rows": rows,
        "legend": legend,
        "chart": campaign_chart(measured, chart_objectives),
    }


async def campaign_page(datasette: Any, request: Any) -> Response:
    from anodelab.schema.errors import AnodelabError

    name = request.url_vars["name"]
    try:
        view = await asyncio.to_thread(campaign_view, _kb_path(datasette), name)
    except AnodelabError as exc:
        return await _render(datasette, request, "anodelab_campaigns.html",
                             {"title": "Optimization campaigns", "campaigns": [], "error": str(exc)}, 404)  # fmt: skip
    return await _render(datasette, request, "anodelab_campaign.html",
                         {**view, "title": f"Campaign {view['name']}",
                          "chart_json": Markup(json.dumps(view["chart"]))})  # fmt: skip


@hookimpl
def register_routes() -> list[tuple[str, Callable]]:
    return [
        (r"^/-/relate$", relate_page),
        (r"^/-/campaigns$", campaigns_page),
        (r"^/-/campaigns/(?P<name>[^/]+)$", campaign_page),
    ]
