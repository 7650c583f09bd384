"""The web UI of ``anodelab serve``: a Datasette plugin, templates and vendored Vega-Lite."""
