"""The plan map as an officer uses it, in Chromium at desktop (1400x900) and phone (390x844).

One map is built (the tiny plans of tests/test_map.py, registry towns, a local tile basemap
made with PIL) and opened at both sizes: every layer in the layer control toggles its
features off and on, a popup shows its evidence with units, local tiles load with no request
leaving the machine and no error. On the phone the layer control and legend start folded,
the title is in view and clear of every control, and the popup fits the screen.
Screenshots go to the test's tmp dir and tests/artifacts/. Skipped, with the reason, without
Playwright or Chromium (see tests/test_map_browser.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from geoplan.outputs.map import write_map
from geoplan.outputs.map_basemap import read_tiles
from tests.test_map import full_map, substations
from tests.test_map_basemap import tile_folder
from tests.test_map_browser import FEATURES, Watch, save_screenshot
from tests.test_map_browser import browser as browser  # the module's Chromium fixture
from tests.test_map_use import chargers_with_towns

DRAWN = ".leaflet-pane path, .gp-label"
"""Everything a layer draws: shapes (district outlines too) and place names."""


@pytest.fixture(scope="module")
def built_map(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("map-use")
    # the fixtures lie within about 0.3 degrees of Oxford; tiles for the zooms both sizes use
    tile_folder(folder / "tiles", -1.40, 51.63, -1.05, 51.84, range(10, 14))
    # a long title (a scenario's name and description) and the milestone selector, which on
    # a phone must both stay in view
    m = full_map(existing_chargers=chargers_with_towns(), power_factor=0.95,
                 title="joint: All phase-1 workstreams planned together on the sample county.",
                 milestones=[2025, 2030],
                 substations=substations().assign(name=["Banbury Central", "Headington",
                                                        "Botley"]),
                 tiles=read_tiles(folder / "tiles", "Test tiles (c) geoplan tests"))
    return write_map(m, folder / "out" / "map.html")


def open_at(chromium, path: Path, width: int, height: int):
    page = chromium.new_page(viewport={"width": width, "height": height})
    watch = Watch(page)
    page.goto(path.as_uri(), wait_until="load", timeout=60_000)
    page.wait_for_timeout(500)
    return page, watch


def drawn(page) -> int:
    return page.locator(DRAWN).count()


def check_every_layer_toggles(page) -> list[str]:
    names = []
    boxes = page.locator(".leaflet-control-layers-overlays label")
    for i in range(boxes.count()):
        label = boxes.nth(i)
        names.append(label.inner_text().strip())
        before = drawn(page)
        label.locator("input").click()
        page.wait_for_timeout(50)
        after = drawn(page)
        assert after != before, f"layer {names[-1]!r} changed nothing"
        label.locator("input").click()
        page.wait_for_timeout(50)
        assert drawn(page) == before, f"layer {names[-1]!r} did not come back"
    return names


def popup_of_rank_one_site(page) -> str:
    page.locator(FEATURES).nth(9).dispatch_event("click")  # the rank 1 charger site
    page.wait_for_timeout(300)
    return page.locator(".leaflet-popup-content").inner_text()


def evidence_with_units(text: str) -> None:
    for row in ("Rank\t1 of 6", "Cost\t\u00a320,000",
                "EV switch attributed to chargers\t5.0 tCO2e/yr",
                "Charger power (kW)\t22.0", "Build year\t2025",
                "Headroom there in 2025 (CT, winter)\t5.0 MVA (4,750 kW at power factor 0.95)",
                "Reason\t"):
        assert row in text, row
    assert "Score" not in text


def tiles_loaded_locally(page, watch: Watch) -> None:
    sources = page.eval_on_selector_all("img.leaflet-tile-loaded", "els => els.map(e => e.src)")
    assert sources
    assert all("/out/map_tiles/" in s and s.startswith("file:") for s in sources)
    assert watch.external() == []
    assert watch.errors == []
    assert watch.dialogs == []


MAP = "Object.values(window).find(v => v instanceof L.Map)"
"""A page expression for the plan's Leaflet map."""


def clear_of_legend(page) -> None:
    """No drawn shape (the district outline: the county's edge) lies under the open legend."""
    legend = page.locator(".leaflet-bottom.leaflet-left .gp-legend").bounding_box()
    shapes = page.eval_on_selector_all(".leaflet-pane path", "els => els.map(e => {"
                                       "const r = e.getBoundingClientRect(); return {x: r.x, "
                                       "y: r.y, width: r.width, height: r.height}; })")
    assert shapes
    assert [s for s in shapes if overlap(s, legend)] == []


def labels_do_not_clash(page) -> None:
    """A town label moved onto a district label is hidden; no two shown labels overlap."""
    page.evaluate(f"""() => {{
        const map = {MAP}, marks = {{}};
        map.eachLayer(l => {{
            const kind = ((l.options.icon || {{}}).options || {{}}).className || "";
            (marks[kind] = marks[kind] || []).push(l);
        }});
        marks["gp-label gp-label-town"][0].setLatLng(
            marks["gp-label gp-label-district"][0].getLatLng());
        map.panBy([1, 0], {{animate: false}});
    }}""")
    page.wait_for_timeout(100)
    shown = page.eval_on_selector_all(".gp-label span", "els => els.filter(e => "
                                      "getComputedStyle(e).visibility === 'visible' && "
                                      "e.getBoundingClientRect().width).map(e => {const r = "
                                      "e.getBoundingClientRect(); return {x: r.x, y: r.y, "
                                      "width: r.width, height: r.height, t: e.textContent}; })")
    assert len(page.locator(".gp-label-clash").all()) == 1
    assert [(a["t"], b["t"]) for i, a in enumerate(shown) for b in shown[i + 1:]
            if overlap(a, b)] == []
    assert "OXFORD" in [s["t"].upper() for s in shown]  # the district keeps its place


def test_desktop_layers_popup_and_basemap(browser, built_map, tmp_path):
    page, watch = open_at(browser, built_map, 1400, 900)
    assert page.locator(".leaflet-control-layers-expanded").count() == 1
    assert page.locator(".gp-legend details[open]").count() == 1
    # a legend taller than its box shows a shadow at the edge with more beyond it
    cue = page.locator(".leaflet-bottom.leaflet-left .gp-legend").evaluate(
        "e => getComputedStyle(e).backgroundAttachment")
    assert cue.split(", ")[:2] == ["local", "local"]
    names = check_every_layer_toggles(page)
    assert names == ["chargers", "retrofit", "Existing public chargers",
                     "Substations (headroom)", "EPC D-G share", "EV demand",
                     "District boundaries", "Place names"]
    labels = page.locator(".gp-label").all_inner_texts()
    assert "OXFORD" in labels  # district names in capitals (CSS), towns as written
    assert "Banbury" in labels
    clear_of_legend(page)
    evidence_with_units(popup_of_rank_one_site(page))
    save_screenshot(page, tmp_path, "map-use-desktop.png")
    page.locator(".leaflet-popup-close-button").click()
    labels_do_not_clash(page)
    tiles_loaded_locally(page, watch)
    page.close()


def overlap(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def tooltip_fits(page, width: int) -> None:
    """A long tooltip opened just right of the middle (so it opens leftwards) stays on screen."""
    box = page.evaluate(f"""() => {{
        const map = {MAP};
        let shape = null;
        map.eachLayer(l => {{ if (!shape && l.getTooltip && l.getTooltip()) shape = l; }});
        shape.setTooltipContent("Multi-storey car park, Gloucester Green bus station, " +
                                "Oxford (not selected)");
        const size = map.getSize();
        shape.openTooltip(map.containerPointToLatLng([size.x * 0.55, size.y * 0.5]));
        const r = document.querySelector(".leaflet-tooltip").getBoundingClientRect();
        return {{left: r.left, right: r.right}};
    }}""")
    assert box["left"] >= 0, box
    assert box["right"] <= width, box


def test_phone_controls_folded_title_clear_popup_fits(browser, built_map, tmp_path):
    page, watch = open_at(browser, built_map, 390, 844)
    assert page.locator(".leaflet-control-layers-expanded").count() == 0
    assert page.locator(".gp-legend details[open]").count() == 0
    title = page.locator(".gp-title").bounding_box()
    assert title["x"] >= 0
    assert title["x"] + title["width"] <= 390
    assert title["y"] >= 0
    for i in range(page.locator(".leaflet-control").count()):
        control = page.locator(".leaflet-control").nth(i).bounding_box()
        assert not overlap(title, control), f"control {i} covers the title"
    save_screenshot(page, tmp_path, "map-use-phone.png")

    text = popup_of_rank_one_site(page)
    evidence_with_units(text)
    popup = page.locator(".leaflet-popup").bounding_box()
    assert popup["x"] >= 0
    assert popup["x"] + popup["width"] <= 390
    assert popup["y"] >= 0
    assert popup["y"] + popup["height"] <= 844
    save_screenshot(page, tmp_path, "map-use-phone-popup.png")
    page.locator(".leaflet-popup-close-button").click()
    tooltip_fits(page, 390)

    page.locator(".leaflet-control-layers-toggle").click()  # a tap opens the list
    assert page.locator(".leaflet-control-layers-expanded").count() == 1
    assert len(check_every_layer_toggles(page)) == 8
    save_screenshot(page, tmp_path, "map-use-phone-layers.png")
    page.mouse.click(200, 600)  # a tap on the map folds it again
    assert page.locator(".leaflet-control-layers-expanded").count() == 0
    tiles_loaded_locally(page, watch)
    page.close()
