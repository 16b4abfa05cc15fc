"""The plan map (HTML, no browser needed) and the static PNG/PDF map.

The fixtures are tiny plans built here: six charger sites (points) and four retrofit zones
(squares) near Oxford in EPSG:27700, three primaries with headroom in 2025 and 2030.
tests/test_map_browser.py opens the same maps in Chromium.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import Point, box

from geoplan.cli.main import cli
from geoplan.errors import LayerSchemaError, MissingCRSError, OutputExistsError
from geoplan.files.atomic import write_geopackage
from geoplan.outputs import map_assets
from geoplan.outputs.map import map_html, plan_map, write_map
from geoplan.outputs.map_layers import PopupContext, substation_layer
from geoplan.outputs.map_page import NO_LIBRARY
from geoplan.outputs.map_style import HEADROOM_COLOURS, RANK_CLASSES
from geoplan.outputs.static_map import _nice_length, write_static_map

XSS = "<img src=x onerror=alert(1)>"
X0, Y0 = 450_000, 206_000  # British National Grid metres, central Oxford


def charger_plan() -> gpd.GeoDataFrame:
    """Six sites; the first (rank 1, selected) is named with an XSS payload."""
    n = 6
    return gpd.GeoDataFrame({
        "candidate_id": [f"chargers:s{i}" for i in range(n)],
        "label": [XSS] + [f"Car park {i}" for i in range(1, n)],
        "option": ["22 kW"] * n,
        "selected": [True, True, True, False, False, False],
        "rank": [1, 2, 3, 4, 5, 6],
        "score": [0.9, 0.8, 0.7, 0.5, 0.4, 0.3],
        "score_coverage": [0.6, 0.5, 0.4, 0.3, 0.2, 0.1],
        "score_tco2e": [0.3] * n,
        "cost_gbp": [20_000.0] * n,
        "tco2e_per_yr": [5.0] * n,
        "reason": ["chosen"] * 3 + ["over the budget by £4,000"] * 3,
        "substation_id": ["P1", "P2", "P1", "P2", "P3", ""],
        "zone_id": ["Z1"] * n,
        "district_id": ["D1"] * n,
        "chargers": [4] * n, "charger_kw": [22.0] * n, "demand_covered": [10.0] * n,
        "period": [2025, 2030, 2030, None, None, None],
        "secret_note": ["never-embed-this"] * n,
    }, geometry=[Point(X0 + 2000 * i, Y0 + 1500 * (i % 3)) for i in range(n)], crs=27700)


def retrofit_plan() -> gpd.GeoDataFrame:
    """Four 3 km squares in a row; ranks 1 and 2 selected, the rank 12 one not."""
    n = 4
    return gpd.GeoDataFrame({
        "candidate_id": [f"retrofit:Z{i}" for i in range(n)],
        "label": [f"Retrofit zone {i}" for i in range(n)],
        "option": ["fabric to EPC C"] * n,
        "selected": [True, False, True, False],
        "rank": [1, 3, 2, 12],
        "score": [1.0, 0.5, 0.7, 0.2],
        "cost_gbp": [1e6] * n, "tco2e_per_yr": [120.0] * n, "reason": ["r"] * n,
        "substation_id": ["P1"] * n, "zone_id": [f"Z{i}" for i in range(n)],
        "district_id": ["D1"] * n,
        "homes": [300] * n, "homes_to_target": [100] * n, "fuel_poor_homes": [20] * n,
    }, geometry=[box(X0 - 3000 + 3000 * i, Y0 - 6000, X0 + 3000 * i, Y0 - 3000)
                 for i in range(n)], crs=27700)


def plans() -> dict[str, gpd.GeoDataFrame]:
    return {"chargers": charger_plan(), "retrofit": retrofit_plan()}


def zones() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"zone_id": ["Z0", "Z1", "Z2"], "zone_name": ["Zone A", XSS, "Zone C"],
         "epc_dg_share": [0.2, 0.5, 0.8], "ev_demand": [10.0, 20.0, None]},
        geometry=[box(X0 - 4000 + 6000 * i, Y0 - 8000, X0 + 2000 + 6000 * i, Y0 + 5000)
                  for i in range(3)], crs=27700)


def districts() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"district_id": ["D1"], "district_name": ["Oxford"]},
                            geometry=[box(X0 - 5000, Y0 - 9000, X0 + 16000, Y0 + 6000)],
                            crs=27700)


def substations() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"substation_id": ["P1", "P2", "P3"], "name": ["Cowley", XSS, "Botley"],
         "level": ["primary"] * 3, "firm_capacity_mva": [20.0] * 3,
         "peak_demand_mva": [15.0] * 3},
        geometry=[Point(X0 + 1000, Y0 + 3000), Point(X0 + 6000, Y0 + 4000),
                  Point(X0 + 9000, Y0 - 1000)], crs=27700)


def headroom() -> pd.DataFrame:
    # 2030 winter: P1 6.0 (>= 5: green), P2 2.0 (amber), P3 -2.0 (red); 2025: 5, 1, -1.
    return pd.DataFrame({"substation_id": ["P1", "P2", "P3"] * 2, "scenario": ["CT"] * 6,
                         "year": [2025] * 3 + [2030] * 3, "season": ["winter"] * 6,
                         "headroom_mva": [5.0, 1.0, -1.0, 6.0, 2.0, -2.0]})


CHOROPLETHS = {"epc_dg_share": "EPC D-G share", "ev_demand": "EV demand"}


def full_map(**kwargs):
    options = {"zones": zones(), "districts": districts(), "substations": substations(),
               "headroom": headroom(), "plan_year": 2030, "choropleths": CHOROPLETHS,
               "title": f"Plan {XSS}"}
    options.update(kwargs)
    return plan_map(plans(), **options)


def overlays(html: str) -> list[str]:
    """Layer names in the layer control, as the page's script lists them."""
    block = re.search(r"overlays :\s*\{(.*?)\}", html, re.S).group(1)
    return re.findall(r'"((?:[^"\\]|\\.)*)" :', block)


def bound_layer(group) -> tuple[list[dict], list[dict]]:
    """Features and the style table of the GeoJson inside a layer group."""
    (layer,) = group._children.values()
    args = re.fullmatch(r"geoplanBind\((.*)\)", layer.on_each_feature.js_code).group(1)
    labels, styles = json.loads(f"[{args}]")
    del labels
    return layer.data["features"], styles


def test_layers_one_per_workstream_then_context():
    html = map_html(full_map())
    assert overlays(html) == ["chargers", "retrofit", "Substations (headroom)",
                              "EPC D-G share", "EV demand", "District boundaries",
                              "Place names"]
    assert "L.control.scale()" in html
    assert "addAttribution" in html
    # 6 + 4 candidates, 3 substations, 3 zones twice, 1 district; names of 3 zones, 1 district
    assert html.count('"type": "Feature"') == 6 + 4 + 3 + 3 * 2 + 1 + 3 + 1


def test_every_data_string_is_escaped():
    m = plan_map({XSS: charger_plan()}, zones=zones(), substations=substations(),
                 headroom=headroom(), choropleths={"ev_demand": XSS}, title=XSS)
    html = map_html(m)
    for injected in ("<img", "\\u003cimg", "\\x3cimg"):
        assert injected not in html.lower()
    # title (plain HTML), and inside script JSON (popups, tooltips, legend, layer names)
    assert '<div class="gp-title">&lt;img src=x onerror=alert(1)&gt;' in html
    assert html.count("\\u0026lt;img src=x onerror=alert(1)\\u0026gt;") >= 5
    assert f'"{XSS}"' not in html


def test_raw_html_only_on_request():
    plan = charger_plan().assign(label="<b>bold</b>")
    assert "\\u003cb\\u003ebold" not in map_html(plan_map({"chargers": plan}))
    assert "\\u003cb\\u003ebold" in map_html(plan_map({"chargers": plan}, raw_html=True))


def test_popup_evidence_and_headroom_in_plan_year():
    html = map_html(full_map())
    # site 1 is served by P2 (named XSS, escaped), 2.0 MVA in 2030 winter
    row = re.search(r'"p": \["Car park 1", (\[\[.*?\]\])\]', html).group(1)
    values = [v for _, v in json.loads(row)]
    assert values[:5] == ["chargers", "22 kW", "2 of 6", "yes", "2030 (in the plan from then on)"]
    assert "\\u00a320,000" in row  # £20,000
    assert "5.0 tCO2e/yr" in values
    # a charger's tonnes are the attributed EV switch (popup labels are shared by index)
    assert '"EV switch attributed to chargers"' in html
    assert "Carbon saved" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; (P2)" in values
    assert "2.0 MVA" in values
    assert "Headroom 2030 (CT, winter)" in html
    assert "never-embed-this" not in html


def substation_styles(year: int) -> dict[str, str]:
    grid = PopupContext(
        dict(zip(["P1", "P2", "P3"],
                 headroom().query("year == @year")["headroom_mva"], strict=True)))
    features, styles = bound_layer(substation_layer(substations(), grid,
                                                    amber_below_mva=5.0, raw=False))
    return {f["properties"]["t"].split(":")[0]: styles[f["properties"]["s"]]["fillColor"]
            for f in features}


def test_substations_red_amber_green():
    # 2030: Cowley 6.0 green, P2 2.0 amber, Botley -2.0 red
    assert substation_styles(2030) == {
        "Cowley": HEADROOM_COLOURS["green"], "&lt;img src=x onerror=alert(1)&gt;":
        HEADROOM_COLOURS["amber"], "Botley": HEADROOM_COLOURS["red"]}
    # 2025: Cowley 5.0 is green (threshold inclusive), P2 1.0 amber, Botley -1.0 red
    assert substation_styles(2025)["Cowley"] == HEADROOM_COLOURS["green"]


def test_plan_year_takes_latest_headroom_before_it():
    # 2027 -> the 2025 row: P2 1.0 MVA (site 3, not chosen, is shown in the plan year;
    # chosen sites in their build year, tests/test_map_popups.py)
    html = map_html(full_map(plan_year=2027))
    assert "Headroom 2027 (CT, winter)" in html
    assert re.search(r'"Car park 3".*?"1.0 MVA"', html)


def test_rank_colours_and_selection_styles():
    features = map_html(plan_map({"retrofit": retrofit_plan()}))
    args = re.search(r"geoplanBind\((.*?)\)\)", features).group(1)
    styles = json.loads(f"[{args}]")[1]
    fills = {s["fillColor"] for s in styles}
    # ranks 1..3 -> class 1-10, rank 12 -> class 11-25
    assert fills == {RANK_CLASSES[0][2], RANK_CLASSES[1][2]}
    solid = [s for s in styles if "dashArray" not in s]
    dashed = [s for s in styles if "dashArray" in s]
    assert solid
    assert dashed
    assert min(s["fillOpacity"] for s in solid) > max(s["fillOpacity"] for s in dashed)


def milestone_script(html: str) -> tuple[list[int], list[str]]:
    """Years and notes the milestone selector's script receives."""
    found = re.search(r"gp-milestone.*?\}\)\(\[[^\]]*\],\s*(\[[^\]]*\]), (\[[^\]]*\])\);",
                      html, re.S)
    return json.loads(found.group(1)), json.loads(found.group(2))


def test_milestone_selector_shows_the_plan_by_each_year():
    # chargers: s0 built by 2025, s1 and s2 by 2030 (period); retrofit Z0 and Z2 chosen
    # without a build year (counted from the first milestone)
    m = full_map(milestones=[2025, 2030])
    features, styles = bound_layer(m._children[next(
        k for k, v in m._children.items() if getattr(v, "layer_name", "") == "chargers")])
    years = {f["properties"]["t"].split(" (")[0]: f["properties"].get("y") for f in features}
    assert years == {"#1 &lt;img src=x onerror=alert(1)&gt;": 2025, "#2 Car park 1": 2030,
                     "#3 Car park 2": 2030, "#4 Car park 3": None, "#5 Car park 4": None,
                     "#6 Car park 5": None}
    for feature in features:
        p = feature["properties"]
        if "y" in p:  # chosen: its own look by the milestone, dotted outline before it
            assert p["t"].endswith(f"(by {p['y']})")
            assert "dashArray" not in styles[p["s"]]
            assert styles[p["l"]]["dashArray"] == "1 4"
            assert styles[p["l"]]["fillOpacity"] < styles[p["s"]]["fillOpacity"]
            assert styles[p["l"]]["color"] == styles[p["s"]]["color"]
    html = map_html(m)
    # cumulative by hand: by 2025 s0 (20,000) + Z0 + Z2 (1,000,000 each) = 3, 2.02m;
    # by 2030 also s1 and s2: 5, 2.06m
    assert milestone_script(html) == ([2025, 2030], ["3 chosen, \u00a32.0m",
                                                      "5 chosen, \u00a32.1m"])
    # the legend (JSON in the script) names the milestone shown, which the selector updates
    assert html.count(r'Plan by \u003cspan class=\"gp-milestone-year\"\u003e2030') == 1
    assert '<div class="gp-sub">Plan by <span class="gp-milestone-year">2030</span> ' \
           "(milestones 2025, 2030)" in html
    assert "layer.gpStyles = styles" in html


def test_milestone_selector_recolours_substations_by_each_years_headroom():
    # P2 has 6.0 MVA in 2025 (green) and 2.0 in 2030 (amber); P1 green, P3 red both years
    changed = headroom().assign(headroom_mva=[5.0, 6.0, -1.0, 6.0, 2.0, -2.0])
    m = full_map(milestones=[2025, 2030], headroom=changed)
    group = m._children[next(k for k, v in m._children.items()
                             if getattr(v, "layer_name", "") == "Substations (headroom)")]
    features, styles = bound_layer(group)
    colours = {f["properties"]["p"][0]: [styles[i]["fillColor"] for i in f["properties"]["hy"]]
               for f in features}
    green, amber, red = (HEADROOM_COLOURS[c] for c in ("green", "amber", "red"))
    assert colours == {"Cowley": [green, green], "&lt;img src=x onerror=alert(1)&gt;":
                       [green, amber], "Botley": [red, red]}
    html = map_html(m)
    assert "Headroom 2025 (CT, winter)" in html
    assert "Headroom 2030 (CT, winter)" in html
    assert (r'Substation headroom \u003cspan class=\"gp-milestone-year\"\u003e2030'
            r'\u003c/span\u003e (CT, winter)') in html
    # without milestones: no per-year looks
    features, _ = bound_layer(substation_layer(substations(), PopupContext(), amber_below_mva=5.0,
                                               raw=False))
    assert all("hy" not in f["properties"] for f in features)


@pytest.mark.parametrize("milestones", [None, [2030], [2025, 2030]])
def test_no_milestone_selector_without_two_milestones_and_build_years(milestones):
    plan = charger_plan() if milestones != [2025, 2030] else charger_plan().drop(
        columns="period")
    html = map_html(plan_map({"chargers": plan}, milestones=milestones))
    assert "gp-milestones" not in html
    assert "gp-milestone-year" not in html
    assert '"y":' not in html


def test_same_input_same_bytes(tmp_path):
    first = write_map(full_map(), tmp_path / "a.html")
    second = write_map(full_map(), tmp_path / "b.html")
    assert first.read_bytes() == second.read_bytes()
    m = full_map()
    assert map_html(m) == map_html(m)  # rendering twice adds nothing
    assert not re.search(r"_[0-9a-f]{32}\b", first.read_text())


def test_file_is_light(tmp_path):
    # 200 round zones of 500 m radius with 257 vertices each: simplified at 10 m they keep
    # about 2*pi/acos(1 - 10/500)/2 ~ 16 vertices; coordinates have 6 decimals.
    centres = [Point(X0 + 1500 * (i % 20), Y0 + 1500 * (i // 20)) for i in range(200)]
    plan = gpd.GeoDataFrame(
        {"candidate_id": [f"retrofit:{i}" for i in range(200)], "rank": range(1, 201),
         "selected": [i < 50 for i in range(200)], "label": [f"Zone {i}" for i in range(200)]},
        geometry=[c.buffer(500, quad_segs=64) for c in centres], crs=27700)
    path = write_map(plan_map({"retrofit": plan}, offline=False), tmp_path / "map.html")
    assert path.stat().st_size < 200_000  # the data alone (Leaflet from the CDN)
    assert not re.search(r"\d\.\d{7,}", path.read_text())


def test_write_refuses_existing_and_is_atomic(tmp_path):
    target = tmp_path / "map.html"
    write_map(full_map(), target)
    before = target.read_bytes()
    with pytest.raises(OutputExistsError, match="already exists; pass --overwrite"):
        write_map(full_map(), target)
    write_map(full_map(title="Another"), target, overwrite=True)
    assert target.read_bytes() != before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.html"]


def test_offline_map_is_self_contained():
    html = map_html(full_map())  # offline is the default
    # no element that loads anything (Leaflet's own attribution link to its site is text)
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=", html)
    assert "tile.openstreetmap.org" not in html
    assert "L.tileLayer" not in html
    assert 'url(images/' not in html  # Leaflet's CSS images are inlined
    assert "data:image/png;base64," in html
    assert "sourceMappingURL" not in html
    online = map_html(full_map(offline=False))
    assert '<script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js">' in online
    # each page says in words what to do when Leaflet does not load (shown in Chromium by
    # tests/test_map_browser.py); the online page names the self-contained way out
    assert json.dumps(NO_LIBRARY[False]).replace("<", "\\u003c") in online
    assert "without --cdn-map" in NO_LIBRARY[False]
    assert json.dumps(NO_LIBRARY[True]) in html
    assert NO_LIBRARY[False] not in html
    assert "<noscript>" in html


def test_offline_without_leaflet_package_says_how_to_install(monkeypatch):
    monkeypatch.setattr(map_assets, "LEAFLET_PACKAGE", "geoplan_no_such_package")
    map_assets.leaflet_js.cache_clear()
    map_assets.leaflet_css.cache_clear()
    try:
        with pytest.raises(ImportError, match="pip install XStatic-Leaflet"):
            plan_map(plans(), offline=True)
    finally:
        map_assets.leaflet_js.cache_clear()
        map_assets.leaflet_css.cache_clear()


def test_bad_inputs_listed_at_once():
    broken = charger_plan().drop(columns=["rank"])
    with pytest.raises(LayerSchemaError, match=r"(?s)misses columns \['rank'\].*no columns "
                                               r"\['nope'\]"):
        plan_map({"chargers": broken}, zones=zones(), choropleths={"nope": "Nope"})
    with pytest.raises(LayerSchemaError, match="no zones given"):
        plan_map(plans(), choropleths={"ev_demand": "EV"})


def test_headroom_scenario_must_be_chosen_when_several():
    two = pd.concat([headroom(), headroom().assign(scenario="LW")])
    with pytest.raises(LayerSchemaError, match=r"several scenarios \['CT', 'LW'\]"):
        full_map(headroom=two)
    assert "Headroom 2030 (LW, winter)" in map_html(full_map(headroom=two,
                                                             headroom_scenario="LW"))


def test_layer_without_crs_is_refused():
    with pytest.raises(MissingCRSError, match="set_crs"):
        plan_map({"chargers": charger_plan().set_crs(None, allow_override=True)})


def test_static_map_png_pdf_deterministic(tmp_path):
    a = write_static_map(plans(), tmp_path / "a.png", tmp_path / "a.pdf",
                         districts=districts(), zones=zones(), title="Plan $1m")
    b = write_static_map(plans(), tmp_path / "b.png", tmp_path / "b.pdf",
                         districts=districts(), zones=zones(), title="Plan $1m")
    assert a[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert a[1].read_bytes()[:5] == b"%PDF-"
    assert a[0].read_bytes() == b[0].read_bytes()
    assert a[1].read_bytes() == b[1].read_bytes()
    assert b"CreationDate" not in a[1].read_bytes()
    with pytest.raises(OutputExistsError, match=r"a\.png already exists"):
        write_static_map(plans(), a[0], tmp_path / "c.pdf")
    assert not (tmp_path / "c.pdf").exists()


def test_scale_bar_length_is_round():
    # a 23 km wide view: a fifth is 4.6 km -> 2 km (5 km would be longer than a fifth)
    assert _nice_length(23_000) == 2_000
    assert _nice_length(60_000) == 10_000


def write_plan_package(path: Path) -> Path:
    return write_geopackage({**plans(), "zones": zones(), "districts": districts(),
                             "substations": substations(), "headroom": headroom()}, path)


def test_cli_map_from_plan_geopackage(tmp_path):
    package = write_plan_package(tmp_path / "plan.gpkg")
    runner = CliRunner()
    result = runner.invoke(cli, ["map", str(package),
                                 "--choropleth", "epc_dg_share=EPC D-G share"])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "map.html").read_text()
    assert "cdn.jsdelivr.net" not in html  # offline by default
    assert "L.tileLayer" not in html
    assert overlays(html) == ["chargers", "retrofit", "Substations (headroom)",
                              "EPC D-G share", "District boundaries", "Place names"]
    assert "wrote" in result.output
    assert "chargers: 3 of 6 selected" in result.output
    # the milestone selector offers the build years of the chosen candidates
    assert milestone_script(html)[0] == [2025, 2030]
    again = runner.invoke(cli, ["map", str(package)])
    assert again.exit_code == 2
    assert "already exists" in again.output
    online = runner.invoke(cli, ["map", str(package), "--cdn-map", "-o",
                                 str(tmp_path / "online.html")])
    assert online.exit_code == 0, online.output
    assert "cdn.jsdelivr.net" in (tmp_path / "online.html").read_text()
    for name in ("map.svg", "map"):  # neither a web map nor a static one: nothing written
        wrong = runner.invoke(cli, ["map", str(package), "-o", str(tmp_path / name)])
        assert wrong.exit_code == 2, wrong.output
        assert f"{name!r} ends" in wrong.output
        assert ".html (web map), .pdf or .png" in wrong.output
        assert not (tmp_path / name).exists()


def test_cli_map_without_plan_layer(tmp_path):
    package = write_geopackage({"zones": zones()}, tmp_path / "plan.gpkg")
    result = CliRunner().invoke(cli, ["map", str(package), "-o", str(tmp_path / "m.html")])
    assert result.exit_code == 2
    assert "no plan layer" in result.output
