"""Datasette loads every module of this folder as a plugin (``--plugins-dir``)."""

from anodelab.web.plugin import (  # noqa: F401 - hook implementations, found by Datasette
    asgi_wrapper,
    menu_links,
    register_routes,
    render_cell,
)
