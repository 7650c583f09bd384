"""The web UI of `anodelab serve` in a real browser: what a researcher sees and clicks.

Screenshots go to tests/browser/screenshots/ (gitignored) for a person to look at.
"""

from __future__ import annotations

import re
import signal
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

import anodelab

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def served(
    shipped_kb, local_serve, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """`anodelab serve` on a copy of the shipped KB with one campaign and one recorded result."""
    from anodelab.campaign import new_campaign, record
    from anodelab.kb import campaigns as store

    path = Path(tmp_path_factory.mktemp("browser")) / "kb.db"
    with sqlite3.connect(shipped_kb.path) as source, sqlite3.connect(path) as copy:
        source.backup(copy)
    with anodelab.open(path) as kb:
        new_campaign(kb.db, ROOT / "examples" / "spaces" / "si_c_pitch.yaml", name="pitch-loop")
        cid = store.get_campaign(kb.db, "pitch-loop")["id"]
        store.add_proposals(kb.db, cid, [
            {"parameters": {"pitch_wt_pct": 30.0, "carbonization_temperature_C": 900.0, "dextrin_g": 1.5, "zif8_g": 1.0}, "strategy": "manual"},
            {"parameters": {"pitch_wt_pct": 15.0, "carbonization_temperature_C": 800.0, "dextrin_g": 1.0, "zif8_g": 0.5}, "strategy": "manual"},
        ])  # fmt: skip
        record(kb.db, "pitch-loop-p1", ["ICE=74.5%", "discharge_capacity=1050mAh/g"])
        record(kb.db, "pitch-loop-p2", ["ICE=71%", "discharge_capacity=1210mAh/g"])
    port = local_serve.free_port()
    proc = local_serve.start(path, port)
    yield f"http://127.0.0.1:{port}", path
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield launched
        launched.close()


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    offline: list[str] = []
    context.route(  # nothing may come from outside the server (no CDN)
        re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: (offline.append(route.request.url), route.abort())
    )  # fmt: skip
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not offline, f"requests outside the server: {offline}"
    assert not errors, f"JavaScript errors: {errors}"


def test_home_page_leads_to_relations_and_campaigns(served, page: Page, screenshots: Path) -> None:
    url, _ = served
    page.goto(url + "/")
    expect(page).to_have_title("anodelab knowledge base")
    expect(page.get_by_role("link", name="Relations")).to_be_visible()
    expect(page.get_by_role("link", name="Campaigns")).to_be_visible()
    page.screenshot(path=screenshots / "home.png", full_page=True)


def test_measurements_page_shows_labels_units_and_facets(
    served, page: Page, screenshots: Path
) -> None:
    url, path = served
    page.goto(f"{url}/{path.stem}/measurements?property=initial_coulombic_efficiency")
    assert page.title().startswith("Measured values")
    table = page.locator("table.rows-and-columns")
    expect(
        table.get_by_role("link", name="Si/HNC/AC@Pitch10").first
    ).to_be_visible()  # label, not an id
    source = table.get_by_role("link", name="lee2025").first
    assert "Batteries" in (source.get_attribute("title") or "") or source.get_attribute(
        "title"
    )  # title on hover
    values = table.locator("td.col-value").all_inner_texts()
    assert "68.5 %" in [v.strip() for v in values]
    page.goto(f"{url}/{path.stem}/v_measurements")
    facets = page.locator(".facet-info").all_inner_texts()
    for facet in ("property", "source", "family", "origin"):
        assert any(f.strip().startswith(facet) for f in facets), facets
    page.screenshot(path=screenshots / "measurements.png", full_page=False)


def test_pitch_ice_relation_by_synonym_with_its_chart(
    served, page: Page, screenshots: Path
) -> None:
    url, _ = served
    page.goto(url + "/-/relate")
    page.fill("input[name=parameter]", "pitch")
    page.fill("input[name=property]", "ICE")  # a synonym; conditions left empty
    page.click("input[type=submit]")
    page.wait_for_load_state("load")
    expect(page).to_have_title(re.compile(r"^initial Coulombic efficiency vs pitch"))
    cells = [c.strip() for c in page.locator("#relation-table td").all_inner_texts()]
    for stated in ("68.5", "69.2", "72.3"):
        assert stated in cells
    headers = page.locator("#relation-table th").all_inner_texts()
    assert "pitch (wt%)" in headers and "initial Coulombic efficiency (%)" in headers
    assert "graphite-blended Si/HNC/AC@Pitch30" not in cells
    expect(page.locator(".anodelab-left-out")).to_contain_text("graphite-blended Si/HNC/AC@Pitch30")
    chart = page.locator("#relation-chart svg")
    expect(chart).to_be_visible()
    expect(chart).to_contain_text("pitch (wt%)")
    assert (
        page.locator(
            "#relation-chart svg path[aria-roledescription='point'], #relation-chart svg .mark-symbol path"
        ).count()
        >= 3
    )
    page.screenshot(path=screenshots / "relation-pitch-ice.png", full_page=True)


def test_campaign_page(served, page: Page, screenshots: Path) -> None:
    url, _ = served
    page.goto(url + "/-/campaigns")
    page.get_by_role("link", name="pitch-loop").click()
    expect(page).to_have_title(re.compile(r"^Campaign pitch-loop"))
    expect(page.locator("#campaign-proposals")).to_contain_text("pitch-loop-p2")
    expect(page.locator("#campaign-best")).to_contain_text("74.5 %")
    expect(page.locator("#campaign-chart svg")).to_be_visible()  # the measured front
    expect(page.locator("#campaign-chart svg")).to_contain_text("initial Coulombic efficiency (%)")
    page.screenshot(path=screenshots / "campaign.png", full_page=True)


def test_a_value_written_while_serving_appears_on_reload(
    served, page: Page, tmp_path: Path
) -> None:
    url, path = served
    page.goto(f"{url}/{path.stem}/v_measurements?sample=live-sample")
    expect(page.locator("table.rows-and-columns")).to_have_count(0)  # no row yet
    table = tmp_path / "live.csv"
    table.write_text("Sample,ICE (%)\nlive-sample,71.7\n", encoding="utf-8")
    with anodelab.open(path) as kb:
        kb.import_table(table, source="lee2025")
    page.reload()
    expect(page.locator("table.rows-and-columns td.col-value")).to_contain_text("71.7 %")
