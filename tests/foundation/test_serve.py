"""`anodelab serve`: Datasette over the KB — read-only, live, stopped cleanly, made for this KB."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import anodelab
from anodelab.serve import datasette_app


@pytest.fixture(scope="module")
def kb_copy(shipped_kb, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = Path(tmp_path_factory.mktemp("serve")) / "kb.db"
    with sqlite3.connect(shipped_kb.path) as source, sqlite3.connect(path) as copy:
        source.backup(copy)
    return path


def _get(ds, url: str, method: str = "get"):
    async def run():
        await ds.invoke_startup()
        return await getattr(ds.client, method)(url)

    return asyncio.run(run())


def _title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1)


def test_relation_page_takes_synonyms_drops_empty_conditions_and_excludes_like_the_cli(
    kb_copy: Path,
) -> None:
    ds = datasette_app(kb_copy)
    page = _get(ds, "/-/relate?parameter=pitch&property=ICE&cycle=&current_density=&cell_type=")
    assert page.status_code == 200
    assert _title(page.text).startswith("initial Coulombic efficiency vs pitch")
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", page.text)
    for value in ("68.5", "69.2", "72.3"):
        assert value in cells
    assert "initial Coulombic efficiency (%)" in page.text and "pitch (wt%)" in page.text
    assert "graphite-blended Si/HNC/AC@Pitch30" not in cells  # left out, with its reason below
    assert "a blend with other materials" in page.text
    assert '<div id="relation-chart"' in page.text and "vega-lite.min.js" in page.text
    data = _get(ds, "/-/relate?parameter=pitch&property=ICE&cycle=&_format=json").json()
    with anodelab.open(kb_copy, readonly=True) as kb:
        cli = kb.relation("pitch", "ICE").to_dict()
    assert data == json.loads(json.dumps(cli, default=str))  # the CLI's own answer
    xs = [float(c) for c in cells[2::6]]
    assert xs == sorted(xs)  # sorted by x
    unknown = _get(ds, "/-/relate?parameter=pitchh&property=ICE")
    assert unknown.status_code == 400 and "pitch" in unknown.text


def test_tables_show_labels_units_facets_and_titles_in_words(kb_copy: Path) -> None:
    ds = datasette_app(kb_copy)
    name = kb_copy.stem
    page = _get(ds, f"/{name}/measurements?property=initial_coulombic_efficiency&_size=100")
    assert _title(page.text).startswith("Measured values")
    assert "select " not in _title(page.text).lower()
    assert re.search(
        r'title="[^"]*Batteries[^"]*">ji2025</a>', page.text
    )  # source key, title on hover
    assert ">mSi@NHC-700-10</a>" in page.text  # the sample's label, not its id
    assert re.search(r">\s*72\.3 %\s*<", page.text)  # unit beside the value
    facets = _get(ds, f"/{name}/v_measurements.json?_size=0").json()["facet_results"]
    assert {"property", "source", "family", "origin"} <= set(facets)
    home = _get(ds, "/")
    assert "/-/relate?parameter=pitch" in home.text and "/-/campaigns" in home.text
    assert _get(ds, "/anodelab-static/vega-lite.min.js").status_code == 200


def test_writes_answer_403(kb_copy: Path) -> None:
    ds = datasette_app(kb_copy)
    before = hashlib.sha256(kb_copy.read_bytes()).hexdigest()
    for url in ("/-/insert", f"/{kb_copy.stem}/measurements/-/insert", f"/{kb_copy.stem}/-/query"):
        assert _get(ds, url, "post").status_code == 403
    assert hashlib.sha256(kb_copy.read_bytes()).hexdigest() == before


def test_campaign_page_shows_proposals_status_and_best(kb_copy: Path, tmp_path: Path) -> None:
    from anodelab.campaign import new_campaign, record
    from anodelab.kb import campaigns as store

    path = tmp_path / "kb.db"
    with sqlite3.connect(kb_copy) as source, sqlite3.connect(path) as copy:
        source.backup(copy)
    root = Path(__file__).resolve().parents[2]
    with anodelab.open(path) as kb:
        new_campaign(kb.db, root / "examples" / "spaces" / "si_c_pitch.yaml", name="loop")
        cid = store.get_campaign(kb.db, "loop")["id"]
        store.add_proposals(kb.db, cid, [{"parameters": {"pitch_wt_pct": 30.0, "carbonization_temperature_C": 900.0,
                                                          "dextrin_g": 1.5, "zif8_g": 1.0}, "strategy": "manual"}])  # fmt: skip
        record(kb.db, "loop-p1", ["ICE=74.5%"])
    ds = datasette_app(path)
    listing = _get(ds, "/-/campaigns")
    assert 'href="/-/campaigns/loop"' in listing.text
    page = _get(ds, "/-/campaigns/loop")
    assert page.status_code == 200 and _title(page.text).startswith("Campaign loop")
    assert "loop-p1" in page.text and "74.5 %" in page.text
    assert _get(ds, "/-/campaigns/nope").status_code == 404


# -- the real command: live reads while importing, clean shutdown ------------------------------


def _count(port: int, name: str) -> int:
    url = f"http://127.0.0.1:{port}/{name}/measurements.json?_size=0"
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.load(response)["filtered_table_rows_count"]


def test_serve_reads_live_while_importing_and_sigterm_leaves_nothing(
    kb_copy: Path, tmp_path: Path, local_serve
) -> None:
    path = tmp_path / "kb.db"
    with sqlite3.connect(kb_copy) as source, sqlite3.connect(path) as copy:
        source.backup(copy)
    temp = tmp_path / "tmp"
    temp.mkdir()
    port = local_serve.free_port()
    proc = local_serve.start(path, port, env={**os.environ, "TMPDIR": str(temp)})
    try:
        assert list(temp.iterdir())  # the metadata folder exists while serving
        stale = reads = 0
        for round_ in range(3):
            expected = _count(port, path.stem)
            table = tmp_path / f"round{round_}.csv"
            table.write_text(
                f"Sample,ICE (%)\nlive-{round_}-a,70\nlive-{round_}-b,71\n", encoding="utf-8"
            )
            with anodelab.open(path) as kb:
                kb.import_table(table, source="lee2025")  # committed when this returns
            expected += 2
            for _ in range(5):
                reads += 1
                stale += _count(port, path.stem) != expected
        assert reads == 15 and stale == 0
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/-/insert", data=b"{}", method="POST"
        )
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(request, timeout=60)
        assert info.value.code == 403
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    deadline = time.monotonic() + 20
    while local_serve.port_open(port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not local_serve.port_open(port), "Datasette still listens after SIGTERM"
    assert proc.returncode == 0
    assert not list(temp.iterdir()), "temporary files left behind"


def test_serve_refuses_a_file_that_is_not_a_kb_and_never_writes_it(
    tmp_path: Path, local_serve
) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
    before = path.read_bytes()
    done = subprocess.run(
        [str(Path(sys.executable).parent / "anodelab"), "serve", "--db", str(path), "--port", str(local_serve.free_port())],
        capture_output=True, text=True, timeout=120, env={**os.environ, "TMPDIR": tempfile.gettempdir()},
    )  # fmt: skip
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "other.db" in done.stderr
    assert path.read_bytes() == before


def test_password_is_off_by_default_and_asked_for_when_set(kb_copy: Path, monkeypatch) -> None:
    import base64

    from anodelab.web.plugin import PASSWORD_ENV

    ds = datasette_app(kb_copy)
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    assert _get(ds, "/").status_code == 200
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    assert _get(ds, "/").status_code == 401

    async def with_auth(password: str) -> int:
        token = base64.b64encode(f"me:{password}".encode()).decode()
        response = await ds.client.get("/", headers={"authorization": f"Basic {token}"})
        return response.status_code

    assert asyncio.run(with_auth("wrong")) == 401
    assert asyncio.run(with_auth("s3cret")) == 200
