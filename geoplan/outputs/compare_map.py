"""The comparison map: two synchronised maps, run A's chosen candidates beside run B's.

:func:`compare_map` draws a :class:`~geoplan.outputs.compare.Comparison` as ``compare.html`` shows
it: A on the left, B on the right, each pane with its chosen candidates (areas under 1 ha as
circles), district boundaries, a caption of headline figures, a legend and a layer control.
Chosen LAEP zones are filled by pathway in both panes, whose legends key the pathways of
both runs; each pane's attribution is its run map's, with the synthetic-sample statement in
both when either run is on the sample (:func:`pane_attribution`).
Data strings are drawn and escaped as the run map (:func:`geoplan.outputs.map.plan_map`)
draws them. Render with :func:`geoplan.outputs.map_page.map_html` on ``result.get_root()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import folium
from branca.element import MacroElement
from folium.template import Template

from geoplan.outputs.attribution import SAMPLE_STATEMENT
from geoplan.outputs.map import DEFAULT_ATTRIBUTION, fit_to_layers, popup_context
from geoplan.outputs.map_elements import LayerControl, LiteralDualMap, LiteralHtml
from geoplan.outputs.map_layers import PopupContext, candidate_layer, district_layer
from geoplan.outputs.map_page import Control, MapScript, new_map, page_figure, remember_own
from geoplan.outputs.map_style import legend_html, legend_keys, number, stroke_colour, text
from geoplan.outputs.run_settings import RUN_SETTINGS, read_run_settings
from geoplan.planning.carbon_lines import CARBON_WORDS

if TYPE_CHECKING:  # geoplan.outputs.compare imports this module
    from geoplan.outputs.compare import Comparison, RunData

__all__ = ["SyncedMaps", "compare_map", "pane_attribution"]

class SyncedMaps(LiteralDualMap):
    """folium's :class:`~folium.plugins.DualMap` over two geoplan maps, kept in step.

    The maps come from :func:`geoplan.outputs.map_page.new_map` (so Leaflet is inlined when
    offline); panning or zooming one moves the other through a few lines of script here,
    instead of DualMap's Leaflet.Sync plugin, which would be fetched from a CDN.
    """

    # no Leaflet.Sync from a CDN: the script below keeps the maps in step (a list, as DualMap
    # declares it; never changed in place)
    default_js: list[tuple[str, str]] = []  # noqa: RUF012
    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (maps) {
            var busy = false;
            maps.forEach(function (from, i) {
                var to = maps[1 - i];
                from.on("move", function () {
                    if (busy) { return; }
                    busy = true;
                    to.setView(from.getCenter(), from.getZoom(), {animate: false});
                    busy = false;
                });
            });
        })([{{ this.m1.get_name() }}, {{ this.m2.get_name() }}]);
        {% endmacro %}
    """)

    def __init__(self, left: folium.Map, right: folium.Map) -> None:
        MacroElement.__init__(self)
        self._name = "DualMap"
        self.m1, self.m2 = left, right
        for m, x in ((left, 0.0), (right, 50.0)):  # as DualMap lays out its own maps
            m.width, m.height, m.left, m.top = (50.0, "%"), (100.0, "%"), (x, "%"), (0.0, "%")
            m.position = "absolute"
        figure = left.get_root()
        figure.add_child(right)
        figure.add_child(self)
        self.children_for_m2: list = []
        self.children_for_m2_copied: list = []


_PANE_CSS = ("<style>.gp-pane{background:rgba(255,255,255,.94);padding:5px 9px;"
             "border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3);font-size:12px}"
             ".gp-pane b{font-size:14px}</style>")


def _popups(run: RunData) -> PopupContext:
    """Popup names and headroom as the run's own map shows them."""
    scenario = run.summary.get("scenario", {})
    years = scenario.get("years") or [2030]
    grid = [*str(scenario.get("grid", "")).split(", "), "", ""]
    ctx = run.context
    return popup_context(ctx.get("substations"), ctx.get("headroom"),
                         int(years[min(1, len(years) - 1)]), grid[0] or None,
                         grid[1] or None, ctx.get("zones"), ctx.get("districts"))


def _statements(run: RunData) -> list[str]:
    """Return the data statements the run's own map carries (its ``run_settings``)."""
    return [str(line) for line in
            read_run_settings(run.context.get(RUN_SETTINGS)).get("attribution", [])]


def pane_attribution(run: RunData, other: RunData) -> str:
    """Return the attribution of ``run``'s pane: its map's statements, then geoplan's.

    When either run is on the synthetic sample county, both panes say so
    (:data:`~geoplan.outputs.attribution.SAMPLE_STATEMENT`, as the sample's ``map.html``
    does), so a comparison of a sample run is never shown without it.
    """
    lines = _statements(run)
    if SAMPLE_STATEMENT in _statements(other) and SAMPLE_STATEMENT not in lines:
        lines.insert(0, SAMPLE_STATEMENT)
    return "; ".join([*lines, DEFAULT_ATTRIBUTION])


def _pane(m: folium.Map, run: RunData, side: str, offline: bool, simplify_m: float,
          attribution: str, pathways: list[str]) -> None:
    """Draw one run's chosen candidates, districts, caption, legend and layer control.

    ``pathways`` are the LAEP pathways the legend keys (both runs', so both legends match).
    """
    grid = _popups(run)
    ranks: set[int] = set()
    strokes = []
    for order, (name, plan) in enumerate(run.plans.items()):
        chosen = plan[plan["selected"].fillna(False).astype(bool).to_numpy()].copy()
        # areas under 1 ha (a car park would be a dot) become circles in candidate_layer
        chosen.attrs["candidates"] = len(plan)  # popups give the rank among all candidates
        stroke = stroke_colour(name, order)
        group, used = candidate_layer(name, chosen, stroke=stroke, grid=grid,
                                      simplify_m=simplify_m, raw=False)
        group.add_to(m)
        ranks |= used
        strokes.append((text(name), stroke))
    if run.context.get("districts") is not None:
        district_layer(run.context["districts"], simplify_m=simplify_m).add_to(m)
    kpis = run.summary.get("kpis", {})
    tonnes = "".join(f"<br>{text(words)}: {number(kpis.get(f'{kind}_tco2e_per_yr'), 1)} "
                     "tCO2e/yr" for kind, words in CARBON_WORDS.items()
                     if f"{kind}_tco2e_per_yr" in kpis)  # each kind apart, never added up
    caption = (f"<b>{side}: {text(run.name)}</b><br>{number(kpis.get('candidates_selected'), 0)}"
               f" chosen, &pound;{number(kpis.get('cost_gbp'), 0)}{tonnes}")
    Control(caption, position="topright", css_class="gp-pane").add_to(m)
    LayerControl(collapsed=True, position="topright").add_to(m)
    sizes = legend_keys(run.plans)[1]
    legend = legend_html(ranks_used=sorted(ranks), workstreams=strokes, headroom_title=None,
                         amber_below_mva=0.0, choropleths=[], pathways=pathways,
                         charger_sizes=sizes)
    Control(f"<details><summary>Legend</summary>{legend}</details>", position="bottomleft",
            css_class="gp-legend").add_to(m)
    MapScript(text(attribution), offline=offline, choropleths=[]).add_to(m)


def compare_map(comparison: Comparison, *, offline: bool = True, simplify_m: float = 10.0
                ) -> SyncedMaps:
    """Draw A's chosen candidates on the left map and B's on the right, in step.

    Areas under 1 ha (e.g. car parks) are drawn as circles so that they can be seen at
    county scale. Every data string is escaped; ``offline`` inlines Leaflet and draws no tiles, as
    :func:`geoplan.outputs.map.plan_map` does. Render with :func:`geoplan.outputs.map_page.
    map_html` on ``result.get_root()`` for reproducible text.
    """
    c = comparison
    dual = SyncedMaps(new_map(offline), new_map(offline))
    frames = [f for run in (c.a, c.b) for f in (*run.plans.values(), run.context.get("districts"))]
    # chosen LAEP zones are filled by pathway in both panes, with one key for both
    pathways = sorted({*legend_keys(c.a.plans)[0], *legend_keys(c.b.plans)[0]})
    for m, run, other, side in ((dual.m1, c.a, c.b, "A"), (dual.m2, c.b, c.a, "B")):
        _pane(m, run, side, offline, simplify_m, pane_attribution(run, other), pathways)
        fit_to_layers(m, [frames])
    root = page_figure(dual)
    root.header.add_child(LiteralHtml(_PANE_CSS), name="geoplan_pane_css")
    remember_own(root)
    return dual
