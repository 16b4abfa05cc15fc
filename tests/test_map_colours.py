"""The web map's colours stay apart for colour-blind readers, and each status has a second cue.

Method (implemented here, independently of geoplan): each sRGB colour is linearised (IEC
61966-2-1), multiplied by Machado, Oliveira and Fernandes (2009) full-severity (1.0) matrix for
deuteranopia or protanopia, clipped, converted to CIE XYZ (D65) and CIELAB, and two colours
are compared by their CIE76 difference (Euclidean distance in L*a*b*). Threshold: every status
pair differs by at least ``MIN_DELTA_E`` = 30 under normal vision, deuteranopia and
protanopia. The old palette, measured by issue 16 as 120 -> 23 (red/green substations) and
86 -> 10 (retrofit/sequestration outlines), is recomputed here to the same figures and fails
the threshold.

Also: the LAEP layer is filled by pathway in a pane of its own, sequestration areas are
hatched, charger sites are circles sized by chargers, and areas under 1 ha become circles.
"""

from __future__ import annotations

import itertools
import json
import re

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from geoplan.outputs.map import map_html, plan_map
from geoplan.outputs.map_layers import PANES, PopupContext, candidate_layer, substation_layer
from geoplan.outputs.map_style import (
    HEADROOM_COLOURS,
    HEADROOM_RINGS,
    PATHWAY_COLOURS,
    PATHWAY_LABELS,
    RANK_CLASSES,
    WORKSTREAM_COLOURS,
    candidate_style,
    charger_radius,
    hatch_defs,
)
from tests.test_map import X0, Y0, bound_layer, headroom, substations

MIN_DELTA_E = 30.0
"""Smallest CIE76 difference allowed between two status colours, for every vision."""
MIN_DELTA_E_ACROSS = 20.0
"""Smallest CIE76 difference between a substation fill and a candidate's rank fill (different
layers, also told apart by size and ring; the first blue "enough headroom" failed at 3.8)."""

MACHADO = {  # Machado et al. 2009, severity 1.0, applied to linear RGB
    "normal": np.eye(3),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                              [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                            [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
}
SRGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                        [0.0193, 0.1192, 0.9505]])
D65 = np.array([0.95047, 1.0, 1.08883])
OLD = {"red": "#d7191c", "green": "#1a9641", "retrofit": "#d95f02", "sequestration": "#66a61e"}
"""The palette before issue 16 (kept here only to show the test fails on it)."""


def lab(colour: str, vision: str) -> np.ndarray:
    """CIELAB of ``colour`` ('#rrggbb') as seen with ``vision``."""
    rgb = np.array([int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    seen = np.clip(MACHADO[vision] @ linear, 0.0, 1.0)
    t = SRGB_TO_XYZ @ seen / D65
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(a: str, b: str, vision: str) -> float:
    return float(np.linalg.norm(lab(a, vision) - lab(b, vision)))


def over_white(colour: str, opacity: float) -> str:
    """The colour a fill of ``colour`` at ``opacity`` shows over a white page."""
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(opacity * c + (1 - opacity) * 255):02x}" for c in rgb)


def test_simulation_reproduces_the_issue_figures_for_the_old_palette():
    # independent check of the conversion: the figures issue 16 measured with its own tool
    assert round(delta_e(OLD["red"], OLD["green"], "normal")) == 120
    assert round(delta_e(OLD["red"], OLD["green"], "deuteranopia")) == 23
    assert round(delta_e(OLD["red"], OLD["green"], "protanopia")) == 23
    assert round(delta_e(OLD["retrofit"], OLD["sequestration"], "normal")) == 86
    assert round(delta_e(OLD["retrofit"], OLD["sequestration"], "deuteranopia")) == 10
    assert delta_e(OLD["red"], OLD["green"], "deuteranopia") < MIN_DELTA_E  # it would fail


STATUS_SETS = {
    "substation headroom": dict(HEADROOM_COLOURS),
    "workstream outlines": dict(WORKSTREAM_COLOURS),
    "LAEP pathways": dict(PATHWAY_COLOURS),
    # a chosen candidate's fill (opacity 0.75) and a not chosen one's (0.2), rank 1 class
    "chosen or not": {"chosen": over_white(RANK_CLASSES[0][2], 0.75),
                      "not chosen": over_white(RANK_CLASSES[0][2], 0.2)},
}


@pytest.mark.parametrize("vision", MACHADO)
@pytest.mark.parametrize("name", STATUS_SETS)
def test_status_colours_stay_apart_for_colour_blind_readers(name: str, vision: str):
    colours = STATUS_SETS[name]
    worst = min((delta_e(colours[a], colours[b], vision), a, b)
                for a, b in itertools.combinations(colours, 2))
    assert worst[0] >= MIN_DELTA_E, f"{name}: {worst[1]} vs {worst[2]} under {vision}"


@pytest.mark.parametrize("vision", MACHADO)
def test_pathway_fills_stay_apart_from_the_blue_rank_fills(vision: str):
    # a chosen LAEP zone must not read as a retrofit zone's rank; "do nothing" is meant to
    # look like no action (pale), so it is left out
    worst = min((delta_e(colour, fill, vision), pathway, fill)
                for pathway, colour in PATHWAY_COLOURS.items() if pathway != "do_nothing"
                for _, _, fill in RANK_CLASSES)
    assert worst[0] >= MIN_DELTA_E, f"{worst[1]} vs rank fill {worst[2]} under {vision}"


@pytest.mark.parametrize("vision", MACHADO)
def test_substations_stay_apart_from_candidate_circles(vision: str):
    # a substation circle must not pass for a chosen candidate circle (ranks 1 to 100)
    worst = min((delta_e(colour, fill, vision), status, fill)
                for status, colour in HEADROOM_COLOURS.items()
                for _, _, fill in RANK_CLASSES[:4])
    assert worst[0] >= MIN_DELTA_E_ACROSS, f"{worst[1]} vs rank fill {worst[2]} under {vision}"


def test_substation_status_has_a_second_cue_besides_colour():
    # every pair of headroom classes differs in ring weight or dash pattern too
    assert len(set(HEADROOM_RINGS.values())) == len(HEADROOM_RINGS) == len(HEADROOM_COLOURS)
    # 2030: P1 6.0 (enough), P2 2.0 (low), P3 -2.0 (constrained)
    year = headroom().query("year == 2030")
    grid = PopupContext(dict(zip(year["substation_id"], year["headroom_mva"], strict=True)))
    features, styles = bound_layer(substation_layer(substations(), grid, amber_below_mva=5.0,
                                                    raw=False))
    looks = [styles[f["properties"]["s"]] for f in features]
    assert [(s["weight"], s["dashArray"]) for s in looks] == [
        HEADROOM_RINGS["green"], HEADROOM_RINGS["amber"], HEADROOM_RINGS["red"]]
    assert [s["fillColor"] for s in looks] == [HEADROOM_COLOURS[k]
                                               for k in ("green", "amber", "red")]
    assert looks[2]["weight"] == 3.0  # constrained: the thick ring


def test_candidate_style_by_workstream():
    row = {"option": "heat_network", "chargers": 9}
    laep = candidate_style(row, workstream="laep", stroke="#000000", rank_index=2, chosen=True)
    assert laep["fillColor"] == PATHWAY_COLOURS["heat_network"]
    unchosen = candidate_style(row, workstream="laep", stroke="#000", rank_index=2, chosen=False)
    assert unchosen["fillColor"] == RANK_CLASSES[2][2]  # a pale rank fill, as other options
    wood = candidate_style(row, workstream="sequestration", stroke="#000000", rank_index=2,
                           chosen=False)
    assert wood["fillColor"] == "url(#gp-hatch-2)"
    assert wood["dashArray"] == "4 3"
    assert 'id="gp-hatch-2"' in hatch_defs()
    assert f'fill="{RANK_CLASSES[2][2]}"' in hatch_defs()
    # 4 + 2 * sqrt(9) = 10 px chosen, 0.6 * 10 = 6 px not chosen; other workstreams 7 / 4 px
    site = candidate_style(row, workstream="chargers", stroke="#000", rank_index=0, chosen=True)
    assert site["radius"] == 10.0
    assert charger_radius(9, chosen=False) == 6.0
    assert candidate_style(row, workstream="retrofit", stroke="#000", rank_index=0,
                           chosen=True)["radius"] == 7.0


def zone_plans() -> dict[str, gpd.GeoDataFrame]:
    """Two zones: retrofit chooses Z0; LAEP chooses heat pump in Z0 and heat network in Z1.

    Chargers: a 40 m x 40 m car park (0.16 ha: drawn as a circle) with 16 chargers and a
    200 m x 100 m one (2 ha: stays a polygon) with 4.
    """
    squares = [box(X0, Y0, X0 + 2000, Y0 + 2000), box(X0 + 2000, Y0, X0 + 4000, Y0 + 2000)]
    retrofit = gpd.GeoDataFrame(
        {"candidate_id": ["retrofit:Z0", "retrofit:Z1"], "label": ["Retrofit Z0", "Retrofit Z1"],
         "rank": [1, 2], "selected": [True, False], "zone_id": ["Z0", "Z1"]},
        geometry=squares, crs=27700)
    laep = gpd.GeoDataFrame(
        {"candidate_id": ["laep:Z0:heat_pump", "laep:Z0:heat_network", "laep:Z1:heat_network"],
         "label": ["LAEP Z0 heat pump", "LAEP Z0 heat network", "LAEP Z1 heat network"],
         "option": ["heat_pump", "heat_network", "heat_network"], "rank": [1, 3, 2],
         "selected": [True, False, True], "zone_id": ["Z0", "Z0", "Z1"]},
        geometry=[squares[0], squares[0], squares[1]], crs=27700)
    chargers = gpd.GeoDataFrame(
        {"candidate_id": ["chargers:a", "chargers:b"], "label": ["Small park", "Big park"],
         "rank": [1, 2], "selected": [True, True], "chargers": [16, 4], "zone_id": ["Z0", "Z1"]},
        geometry=[Point(X0 + 500, Y0 + 500).buffer(20, cap_style="square"),
                  box(X0 + 2500, Y0 + 500, X0 + 2700, Y0 + 600)], crs=27700)
    return {"retrofit": retrofit, "laep": laep, "chargers": chargers}


def layer_of(m, name: str):
    return m._children[next(k for k, v in m._children.items()
                            if getattr(v, "layer_name", "") == name)]


def test_laep_filled_by_pathway_in_its_own_pane():
    m = plan_map(zone_plans())
    (laep,) = layer_of(m, "laep")._children.values()
    (retrofit,) = layer_of(m, "retrofit")._children.values()
    assert laep.options["pane"] == "geoplan-laep"
    assert retrofit.options["pane"] == "geoplan-areas"
    assert PANES["geoplan-laep"] != PANES["geoplan-areas"]
    features, styles = bound_layer(layer_of(m, "laep"))
    fills = {f["properties"]["t"]: styles[f["properties"]["s"]]["fillColor"] for f in features}
    assert fills["#1 LAEP Z0 heat pump"] == PATHWAY_COLOURS["heat_pump"]
    assert fills["#2 LAEP Z1 heat network"] == PATHWAY_COLOURS["heat_network"]
    # zone keys: every area carries its zone, the chosen ones are marked for the shared popup
    keys = {f["properties"]["t"]: (f["properties"].get("z"), f["properties"].get("c"))
            for f in features}
    assert keys == {"#1 LAEP Z0 heat pump": ("Z0", 1), "#3 LAEP Z0 heat network (not selected)":
                    ("Z0", None), "#2 LAEP Z1 heat network": ("Z1", 1)}
    html = map_html(m)
    legend = json.loads(re.search(r"div\.innerHTML = (\".*?\");", html).group(1))
    assert "LAEP pathway" in legend
    # both chosen pathways in the legend, in PATHWAY_COLOURS order; the unchosen one's
    # colour is shared by Z1's chosen heat network, the rooftop PV one is absent
    assert legend.index(PATHWAY_LABELS["heat_pump"]) < legend.index(
        PATHWAY_LABELS["heat_network"])
    assert PATHWAY_LABELS["rooftop_pv"] not in legend


def test_charger_sites_are_circles_sized_by_chargers():
    plans = zone_plans()
    group, _ = candidate_layer("chargers", plans["chargers"], stroke="#222222",
                               grid=PopupContext(), simplify_m=0, raw=False)
    features, styles = bound_layer(group)
    kinds = {f["properties"]["t"]: f["geometry"]["type"] for f in features}
    assert kinds == {"#1 Small park": "Point", "#2 Big park": "Polygon"}  # 0.16 ha vs 2 ha
    small = next(f for f in features if f["properties"]["t"] == "#1 Small park")
    assert styles[small["properties"]["s"]]["radius"] == 4 + 2 * 4  # sqrt(16) = 4
    assert "z" not in small["properties"]  # points are not part of a zone's shared popup
    legend = map_html(plan_map(plans))
    assert "Charger sites (circle size)" in legend
    assert "16 chargers" in legend
    assert "4 chargers" in legend
    assert "10 chargers" not in legend  # only counts some chosen site has
