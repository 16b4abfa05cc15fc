"""The plan map in a real browser: Debian's headless Chromium driven by Playwright.

Loads map.html, finds the layers and drawn features, opens every popup and tooltip, and
checks that nothing errs, no dialog opens (the XSS site name shows as text) and, offline, no
request leaves the machine. A screenshot goes to the test's tmp dir and tests/artifacts/.
Skipped, with the reason, without Playwright (``pip install ".[test]"``) or Chromium
(``apt-get install chromium``; never ``playwright install``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from geoplan.outputs.map import plan_map, write_map
from geoplan.outputs.map_assets import leaflet_css, leaflet_js
from geoplan.outputs.map_page import NO_LIBRARY
from geoplan.outputs.map_style import HEADROOM_COLOURS
from tests.test_map import X0, XSS, Y0, districts, full_map, headroom, substations
from tests.test_map_colours import zone_plans
from tests.test_map_injection import NAME, context, plain_plans

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
FEATURES = "path.leaflet-interactive"
# one transparent 1x1 PNG, served for map tiles in the online test
BLANK_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (pip install '.[test]')")
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


class Watch:
    """What a page did: console errors, page errors, dialogs, requests."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))

        def dialog(d) -> None:
            self.dialogs.append(f"{d.type}: {d.message}")
            d.dismiss()

        page.on("dialog", dialog)

    def external(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(("file:", "data:", "about:"))]


def open_map(browser, path: Path):
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    watch = Watch(page)
    page.goto(path.as_uri(), wait_until="load", timeout=60_000)
    page.wait_for_timeout(300)
    return page, watch


def popup_and_tooltip_texts(page) -> tuple[list[str], list[str]]:
    """Hover and click every feature; collect the text of each tooltip and popup."""
    popups, tooltips = [], []
    for i in range(page.locator(FEATURES).count()):
        feature = page.locator(FEATURES).nth(i)
        feature.dispatch_event("mouseover")
        tooltips += page.locator(".leaflet-tooltip").all_inner_texts()
        feature.dispatch_event("mouseout")
        feature.dispatch_event("click")
        popups += page.locator(".leaflet-popup-content").all_inner_texts()
    return popups, tooltips


def save_screenshot(page, tmp_path: Path, name: str) -> Path:
    shot = tmp_path / name
    page.screenshot(path=str(shot))
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copyfile(shot, ARTIFACTS / name)
    return shot


def test_offline_map_in_browser(browser, tmp_path):
    path = write_map(full_map(offline=True), tmp_path / "map.html")
    page, watch = open_map(browser, path)
    assert page.evaluate("L.version") == "1.9.3"
    labels = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert [t.strip() for t in labels] == [
        "chargers", "retrofit", "Substations (headroom)", "EPC D-G share", "EV demand",
        "District boundaries", "Place names"]
    # 6 charger sites + 4 retrofit zones + 3 substations (districts are not interactive,
    # the choropleths are off until ticked)
    assert page.locator(FEATURES).count() == 13
    assert page.locator(".leaflet-control-scale-line").count() == 2  # metric and imperial
    assert XSS in page.locator(".gp-title").inner_text()
    page.locator(FEATURES).nth(9).dispatch_event("mouseover")  # the rank 1 charger site
    save_screenshot(page, tmp_path, "map-offline.png")

    popups, tooltips = popup_and_tooltip_texts(page)
    assert any(f"#1 {XSS}" in t for t in tooltips)  # the site named with the payload
    assert any(t.startswith(XSS) and "Rank\t1 of 6" in t for t in popups)
    assert any("Headroom 2030 (CT, winter)\t2.0 MVA" in t for t in popups)
    assert page.locator(".leaflet-popup-content img, .leaflet-tooltip img").count() == 0

    page.get_by_label("EPC D-G share").check()
    assert page.locator(FEATURES).count() == 13 + 3
    assert page.locator('.gp-ch[data-ch="0"]').is_visible()
    assert not page.locator('.gp-ch[data-ch="1"]').is_visible()

    assert watch.dialogs == []
    assert watch.errors == []
    assert watch.external() == []
    assert page.locator("img").count() == 0  # nothing injected, no tiles
    page.close()


DOTTED = "els => els.filter(e => e.getAttribute('stroke-dasharray') === '1 4').length"
AMBER = f"els => els.filter(e => e.getAttribute('fill') === '{HEADROOM_COLOURS['amber']}').length"


def test_milestone_selector_in_browser(browser, tmp_path):
    # chargers s1 and s2 are built by 2030: by 2025 they take the dotted "later" outline;
    # substation P2 has 6.0 MVA in 2025 (green), 2.0 in 2030 (amber)
    changed = headroom().assign(headroom_mva=[5.0, 6.0, -1.0, 6.0, 2.0, -2.0])
    path = write_map(full_map(offline=True, milestones=[2025, 2030], headroom=changed),
                     tmp_path / "map.html")
    page, watch = open_map(browser, path)
    assert page.eval_on_selector_all(FEATURES, DOTTED) == 0  # opens on the whole plan
    assert page.eval_on_selector_all(FEATURES, AMBER) == 1
    page.check("input[name=gp-milestone][value='2025']")
    assert page.eval_on_selector_all(FEATURES, DOTTED) == 2
    assert page.eval_on_selector_all(FEATURES, AMBER) == 0
    # title and legend: the plan and the substation headroom, each by 2025
    assert page.locator(".gp-milestone-year").all_inner_texts() == ["2025"] * 4
    save_screenshot(page, tmp_path, "map-milestone-2025.png")
    page.check("input[name=gp-milestone][value='2030']")
    assert page.eval_on_selector_all(FEATURES, DOTTED) == 0
    assert page.locator(".gp-milestone-year").all_inner_texts() == ["2030"] * 4
    assert watch.errors == []
    assert watch.dialogs == []
    page.close()


def serve_offline_copies(route) -> None:
    """Answer the page's CDN and tile requests from local copies (the sandbox has no web)."""
    url = route.request.url
    if url.endswith("/leaflet.js"):
        route.fulfill(body=leaflet_js(), content_type="application/javascript")
    elif url.endswith("/leaflet.css"):
        route.fulfill(body=leaflet_css(), content_type="text/css")
    elif "tile.openstreetmap.org" in url:
        route.fulfill(body=BLANK_PNG, content_type="image/png")
    else:
        route.abort()


def test_online_map_loads_only_leaflet_and_tiles(browser, tmp_path):
    path = write_map(full_map(offline=False), tmp_path / "map.html")
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    watch = Watch(page)
    page.route(lambda url: url.startswith(("http:", "https:")), serve_offline_copies)
    page.goto(path.as_uri(), wait_until="load", timeout=60_000)
    page.wait_for_timeout(300)
    assert page.locator(FEATURES).count() == 13
    hosts = {u.split("/")[2] for u in watch.external()}
    assert hosts <= {"cdn.jsdelivr.net", "tile.openstreetmap.org"}
    assert "cdn.jsdelivr.net" in hosts
    save_screenshot(page, tmp_path, "map-online.png")
    popup_and_tooltip_texts(page)
    assert watch.dialogs == []
    assert watch.errors == []
    assert page.locator(".gp-nolib").count() == 0  # Leaflet loaded: no message
    page.close()


def test_map_without_its_library_says_so_in_words(browser, tmp_path):
    # the CDN map with the network blocked: Leaflet never arrives
    path = write_map(full_map(offline=False), tmp_path / "map.html")
    page = browser.new_page(viewport={"width": 390, "height": 844})
    watch = Watch(page)
    page.route(lambda url: url.startswith(("http:", "https:")), lambda route: route.abort())
    page.goto(path.as_uri(), wait_until="load", timeout=60_000)
    message = page.get_by_role("alert")
    assert message.is_visible()
    assert message.inner_text() == NO_LIBRARY[False]
    assert "internet access" in message.inner_text()
    assert "L is not defined" in " ".join(watch.errors)  # the map's own script failed
    save_screenshot(page, tmp_path, "map-no-library.png")
    page.close()


def test_template_and_markup_text_shows_literally_in_browser(browser, tmp_path):
    # every hostile string of tests/test_map_injection.py at once, in every text field
    m = plan_map({NAME: plain_plans(label=NAME)["chargers"]},
                 **context(zone=NAME, district=NAME, substation=NAME), title=NAME,
                 attribution=NAME, offline=True)
    page, watch = open_map(browser, write_map(m, tmp_path / "map.html"))
    assert page.locator(".gp-title").inner_text().startswith(NAME)  # then the subtitle
    assert NAME in page.locator(".leaflet-control-attribution").inner_text()
    labels = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert labels[0].strip() == NAME
    popups, tooltips = popup_and_tooltip_texts(page)
    assert f"#1 {NAME}" in tooltips
    assert f"{NAME}: 6.0 MVA" in tooltips  # the substation
    chosen = next(t for t in popups if t.startswith(NAME) and "Rank\t1 of 6" in t)
    for row in (f"Workstream\t{NAME}", f"Zone\t{NAME} (Z1)", f"District\t{NAME} (D1)",
                f"Substation\t{NAME} (P1)"):
        assert row in chosen
    save_screenshot(page, tmp_path, "map-template-text.png")
    # no element made from the text: no image, no <b> in the title, nothing in the popup
    assert page.locator("img").count() == 0
    assert page.locator(".gp-title > :not(.gp-sub)").count() == 0
    assert page.locator(".leaflet-popup-content b b, .leaflet-popup-content script").count() == 0
    assert watch.dialogs == []
    assert watch.errors == []
    page.close()


def styled_plans() -> dict:
    """tests/test_map_colours.py's zones (retrofit, LAEP, chargers) and one 4 ha woodland."""
    plans = zone_plans()
    plans["sequestration"] = gpd.GeoDataFrame(
        {"candidate_id": ["sequestration:w"], "label": ["Wood"], "rank": [1],
         "selected": [True], "zone_id": ["Z1"]},
        geometry=[box(X0 + 2200, Y0 + 1200, X0 + 2400, Y0 + 1400)], crs=27700)
    return plans


@pytest.mark.parametrize("size", [(1400, 900), (390, 844)], ids=["desktop", "phone"])
def test_default_map_styles_render_offline(browser, tmp_path, size):
    # the default map (self-contained) with every request blocked
    m = plan_map(styled_plans(), substations=substations(), headroom=headroom(),
                 districts=districts(), title="Styles")
    path = write_map(m, tmp_path / "map.html")
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    watch = Watch(page)
    page.route(lambda url: url.startswith(("http:", "https:")), lambda route: route.abort())
    page.goto(path.as_uri(), wait_until="load", timeout=60_000)
    page.wait_for_timeout(300)
    assert page.evaluate("typeof L") == "object"
    assert page.get_by_role("alert").count() == 0
    # the LAEP pane lies under the other areas; the woodland is filled with its hatch
    panes = page.evaluate("[...document.querySelectorAll('.leaflet-pane')].map("
                          "p => [p.className, getComputedStyle(p).zIndex])")
    z = {c.split("leaflet-")[-1].split(" ")[0]: int(v) for c, v in panes
         if "geoplan-" in c}
    assert z["geoplan-laep-pane"] < z["geoplan-areas-pane"]
    assert page.locator('path[fill="url(#gp-hatch-0)"]').count() == 1
    assert page.locator("#gp-hatch-0").count() == 1
    # substations: the constrained one has the thick ring, the low one a dashed ring
    assert page.locator('path[stroke-width="3"]').count() >= 1
    assert page.locator('path[stroke-dasharray="3 2"]').count() == 1
    save_screenshot(page, tmp_path, f"map-styles-{size[0]}x{size[1]}.png")
    # one click on retrofit zone Z0 shows its popup and LAEP's chosen pathway there
    retrofit = page.locator(".leaflet-geoplan-areas-pane path.leaflet-interactive").nth(1)
    retrofit.dispatch_event("click")
    popup = page.locator(".leaflet-popup-content").inner_text()
    assert popup.startswith("Retrofit Z0")
    assert "LAEP Z0 heat pump" in popup
    assert "LAEP Z0 heat network" not in popup  # not chosen: not listed
    assert watch.external() == [] or all(u.startswith("http") for u in watch.external())
    assert watch.errors == []
    assert watch.dialogs == []
    page.close()
