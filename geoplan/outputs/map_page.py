"""The page around the plan map: styles, the feature binding script, controls, rendering.

:func:`new_map` makes the folium map with only Leaflet (online from its CDN, or inlined from
the XStatic-Leaflet package when offline), the geoplan styles and panes. :func:`map_html`
renders a map to text that is the same for the same map (folium's element ids are random;
they are renumbered in order, and what an earlier render added is forgotten first).

No text is ever read as a template (see :mod:`geoplan.outputs.map_elements`): fixed HTML and
HTML built from data are placed with :class:`~geoplan.outputs.map_elements.LiteralHtml`; every
element's macros are rendered once, with data as values (``tojson``), and their output placed
as it is.
"""

from __future__ import annotations

import html
import itertools
import json
from collections.abc import Sequence

import folium
from branca.element import Element, Figure
from folium.elements import ElementAddToElement
from folium.template import Template

from geoplan.outputs.map_assets import leaflet_css, leaflet_js
from geoplan.outputs.map_elements import (
    CustomPane,
    LiteralHtml,
    LiteralRender,
    PlanMap,
    TileLayer,
)
from geoplan.outputs.map_layers import PANES
from geoplan.outputs.map_style import hatch_defs

__all__ = ["NO_LIBRARY", "NO_SCRIPT", "Control", "MapScript", "PhoneLayout", "library_check",
           "map_html", "new_map", "page_figure", "remember_own"]

_OWN_KEYS = "_geoplan_own_keys"

_CSS = """<style>
.leaflet-container{font:12px/1.35 system-ui,sans-serif}
.leaflet-container.gp-offline{background:#f5f5f2}
.gp-title{position:absolute;top:10px;left:50%;transform:translateX(-50%);z-index:1000;
 background:rgba(255,255,255,.92);padding:6px 14px;border-radius:4px;pointer-events:none;
 box-shadow:0 1px 4px rgba(0,0,0,.3);font:600 16px/1.3 system-ui,sans-serif;text-align:center}
.gp-title .gp-sub{font-weight:400;font-size:12px;color:#444}
.gp-legend{background:rgba(255,255,255,.94);padding:6px 9px;border-radius:4px;max-height:55vh;
 overflow:auto;box-shadow:0 1px 4px rgba(0,0,0,.3)}
.gp-legend{background:linear-gradient(#fff 30%,rgba(255,255,255,0)) top/100% 26px,
 linear-gradient(rgba(255,255,255,0),#fff 70%) bottom/100% 26px,
 radial-gradient(farthest-side at 50% 0,rgba(0,0,0,.35),rgba(0,0,0,0)) top/100% 12px,
 radial-gradient(farthest-side at 50% 100%,rgba(0,0,0,.35),rgba(0,0,0,0)) bottom/100% 12px,
 rgba(255,255,255,.94);background-repeat:no-repeat;
 background-attachment:local,local,scroll,scroll,scroll}
.gp-legend summary{font-weight:600;cursor:pointer}
.gp-head{font-weight:600;margin-top:5px}
.gp-row{white-space:nowrap}
.gp-swatch{display:inline-block;width:14px;height:11px;margin-right:6px;vertical-align:middle}
.gp-table th{text-align:left;padding:1px 8px 1px 0;font-weight:600;vertical-align:top}
.gp-table td{padding:1px 0;max-width:260px;overflow-wrap:anywhere}
.leaflet-popup-content{overflow-wrap:anywhere}
@media (max-width:600px){
 .leaflet-control-attribution{font-size:9px;max-width:calc(100vw - 110px)}
 .gp-title{left:52px;right:64px;transform:none;padding:4px 8px;font-size:13px}
 .gp-title .gp-sub{font-size:10.5px}
 .gp-legend{max-height:45vh;max-width:calc(100vw - 40px)}
 .gp-table td{max-width:none}
 .leaflet-tooltip{white-space:normal;width:max-content;max-width:calc(50vw - 30px);
  overflow-wrap:anywhere}
}
.gp-nolib{position:fixed;top:120px;left:0;right:0;margin:0 auto;z-index:2000;
 width:min(560px,90vw);box-sizing:border-box;background:#fff8e1;border:2px solid #8a6d00;
 border-radius:4px;padding:12px 16px;font:15px/1.45 system-ui,sans-serif;color:#222}
</style>"""
"""geoplan's page styles; below 600 px wide (a phone) the title sits between the zoom buttons
and the layer button, and popups, tooltips and the legend fit the screen (a tooltip opens on
the side of the pointer with more room, so half the width less its offset always fits)."""

_BIND_JS = """<script>
function geoplanPopup(p, labels) {
    var rows = p[1].map(function (r) {
        return "<tr><th>" + labels[r[0]] + "</th><td>" + r[1] + "</td></tr>";
    }).join("");
    return '<div class="gp-popup"><b>' + p[0] + '</b><table class="gp-table">' + rows +
        "</table></div>";
}
var geoplanPad = [10, 80];  // popups open below this (PhoneLayout lowers it on a phone)
function geoplanPopupSize() {
    // popups fit the screen: at most 380 px wide (less on a phone), scrolling inside
    var w = window.innerWidth, h = window.innerHeight;
    return {maxWidth: Math.max(160, Math.min(380, w - 80)), minWidth: Math.min(200, w - 80),
            maxHeight: Math.max(160, Math.round(h * 0.55)), keepInView: true,
            autoPanPaddingTopLeft: geoplanPad, autoPanPaddingBottomRight: [10, 10]};
}
var geoplanZones = {};  // zone id -> chosen area candidates of every layer
function geoplanAlso(layer) {
    // the chosen candidates of the other layers in the clicked zone, when they are shown
    return (geoplanZones[layer.feature.properties.z] || []).filter(function (o) {
        return o.gpStyles !== layer.gpStyles && o._map;
    }).map(function (o) { return "<hr>" + o.gpPopup(); }).join("");
}
function geoplanBind(labels, styles) {
    return function (feature, layer) {
        var p = feature.properties;
        layer.gpStyles = styles;  // the milestone selector restyles features from these
        if (p.s !== undefined && layer.setStyle) { layer.setStyle(styles[p.s]); }
        if (p.t) { layer.bindTooltip(p.t, {sticky: true}); }
        if (p.z !== undefined && p.c) {
            (geoplanZones[p.z] = geoplanZones[p.z] || []).push(layer);
        }
        if (p.p) {
            layer.gpPopup = function () { return geoplanPopup(p.p, labels); };
            layer.bindPopup(function () {
                return layer.gpPopup() + (p.z !== undefined ? geoplanAlso(layer) : "");
            }, geoplanPopupSize());
        }
    };
}
</script>"""
"""Binds each feature's style, tooltip and popup; the strings it joins are escaped HTML."""


NO_LIBRARY: dict[bool, str] = {
    False: ("The map library (Leaflet) could not be loaded, so the map cannot be drawn. This "
            "file loads it from the internet (cdn.jsdelivr.net): open it with internet access, "
            "or make a self-contained copy that needs none with `geoplan map PLAN.gpkg` "
            "(without --cdn-map)."),
    True: ("The map library (Leaflet) built into this file did not start, so the map cannot "
           "be drawn; the file may be cut short or changed. Make it again with "
           "`geoplan map PLAN.gpkg`."),
}
"""What the page says when Leaflet is missing, by ``offline`` (inlined or from the CDN)."""

NO_SCRIPT = ("This map needs JavaScript: allow scripts for this file, or open it in a browser "
             "that runs them.")
"""What the page says when scripts do not run at all."""


def library_check(offline: bool) -> str:
    """Return a script that says :data:`NO_LIBRARY`'s words in the page when Leaflet is absent.

    It runs when the page is parsed (after the map's own script has failed on ``L``) and
    adds a ``div.gp-nolib`` (role ``alert``) to the body; with Leaflet loaded it does nothing.
    """
    message = json.dumps(NO_LIBRARY[offline]).replace("<", "\\u003c")
    return ("<script>document.addEventListener('DOMContentLoaded', function () {"
            "if (typeof L !== 'undefined') { return; }"
            "var box = document.createElement('div');"
            "box.className = 'gp-nolib'; box.setAttribute('role', 'alert');"
            f"box.textContent = {message}; document.body.appendChild(box);}});</script>")


class Control(LiteralRender):
    """A Leaflet control holding (already escaped) HTML, e.g. the legend."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var control = L.control({position: {{ this.position|tojson }}});
            control.onAdd = function () {
                var div = L.DomUtil.create("div", {{ this.css_class|tojson }});
                div.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            control.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
    """)

    def __init__(self, html: str, *, position: str, css_class: str) -> None:
        super().__init__()
        self._name = "Control"
        self.html, self.position, self.css_class = html, position, css_class


class MapScript(LiteralRender):
    """Extra script run on the map: attribution text and the offline background class."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution(
            {{ this.attribution|tojson }});
        {%- if this.offline %}
        {{ this._parent.get_name() }}.getContainer().classList.add("gp-offline");
        {%- endif %}
        (function (groups) {
            function toggle(e) {
                var i = groups.indexOf(e.layer);
                if (i < 0) { return; }
                document.querySelectorAll('.gp-ch[data-ch="' + i + '"]').forEach(
                    function (el) { el.style.display = e.type === "overlayadd" ? "" : "none"; });
            }
            {{ this._parent.get_name() }}.on("overlayadd overlayremove", toggle);
        })([{% for g in this.choropleths %}{{ g.get_name() }}, {% endfor %}]);
        {% endmacro %}
    """)

    def __init__(self, attribution: str, *, offline: bool,
                 choropleths: Sequence[folium.FeatureGroup]) -> None:
        super().__init__()
        self._name = "MapScript"
        self.attribution, self.offline, self.choropleths = attribution, offline, choropleths


class PhoneLayout(LiteralRender):
    """On a small screen (below 600 px wide), start with the layer control and legend folded.

    The layer control folds to its button (a tap opens it, a tap on the map folds it again)
    and the legend to its "Legend" line, so the title and the map stay in view. Runs after
    the page's other scripts, when every control exists.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        setTimeout(function () {
            if (!window.matchMedia || !window.matchMedia("(max-width: 600px)").matches) {
                return;
            }
            var map = {{ this._parent.get_name() }};
            map.getContainer().classList.add("gp-phone");
            {%- if this.control %}
            var control = {{ this.control.get_name() }};
            control.collapse();
            map.on("click", control.collapse, control);
            L.DomEvent.on(control.getContainer().querySelector(".leaflet-control-layers-toggle"),
                          "click", function () { control.expand(); });
            {%- endif %}
            map.getContainer().querySelectorAll(".gp-legend details").forEach(
                function (d) { d.open = false; });
            // controls at the top left below the zoom buttons (the milestone selector) move
            // down below a title of several lines
            var title = document.querySelector(".gp-title");  // in the page, over the map
            var below = title ? title.getBoundingClientRect().bottom + 8 : 0;
            map.getContainer().querySelectorAll(".leaflet-top.leaflet-left > .leaflet-control")
                .forEach(function (el) {
                    var box = el.getBoundingClientRect();
                    if (!el.classList.contains("leaflet-control-zoom") && box.top < below) {
                        el.style.marginTop = Math.ceil(below - box.top + 10) + "px";
                    }
                });
            // popups open below the title and the controls at the top left, and fit above
            // the folded legend: every popup shares geoplanPad and reads its height here
            var top = map.getContainer().getBoundingClientRect().top, low = 80;
            document.querySelectorAll(".gp-title, .leaflet-top.leaflet-left > *")
                .forEach(function (el) {
                    low = Math.max(low, el.getBoundingClientRect().bottom - top + 8);
                });
            geoplanPad[1] = Math.round(low);
            map.on("popupopen", function (e) {
                var room = map.getSize().y - geoplanPad[1] - 140;
                e.popup.options.maxHeight = Math.max(160, room);
                e.popup.update();
            });
        }, 0);
        {% endmacro %}
    """)

    def __init__(self, control: folium.LayerControl | None) -> None:
        super().__init__()
        self._name = "PhoneLayout"
        self.control = control


def new_map(offline: bool) -> folium.Map:
    """Make an empty map with Leaflet (inlined when ``offline``), geoplan's styles and panes."""
    m = PlanMap(location=(51.75, -1.25), zoom_start=10, tiles=None, control_scale=True,
                max_zoom=19, font_size="12px", zoom_snap=0.25)
    if not offline:  # the only base layer: not listed in the layer control
        TileLayer("OpenStreetMap", control=False).add_to(m)
    # Only Leaflet is used: no jQuery, Bootstrap or icon fonts (fewer requests, lighter file).
    m.default_js = [] if offline else [(n, u) for n, u in m.default_js if n == "leaflet"]
    m.default_css = [] if offline else [(n, u) for n, u in m.default_css if n == "leaflet_css"]
    header = page_figure(m).header
    if offline:
        header.add_child(LiteralHtml(f"<style>{leaflet_css()}</style>"), name="leaflet_css")
        header.add_child(LiteralHtml(f"<script>{leaflet_js()}</script>"), name="leaflet")
    header.add_child(LiteralHtml(_CSS), name="geoplan_css")
    header.add_child(LiteralHtml(_BIND_JS), name="geoplan_js")
    header.add_child(LiteralHtml(library_check(offline)), name="geoplan_library_check")
    page_figure(m).html.add_child(LiteralHtml(hatch_defs()), name="geoplan_hatches")
    page_figure(m).html.add_child(LiteralHtml(
        f'<noscript><div class="gp-nolib">{html.escape(NO_SCRIPT)}</div></noscript>'),
        name="geoplan_noscript")
    for name, z in PANES.items():
        CustomPane(name, z_index=z,
                   pointer_events=name != "geoplan-districts").add_to(m)
    return m


def _fix_ids(m: folium.Map) -> None:
    """Give the map's elements ids in order (folium draws random ones) so output is stable.

    The ids are the JavaScript names in the page; only the map and its descendants have
    names that appear in it.
    """
    counter = itertools.count(1)

    def walk(element: Element) -> None:
        element._id = f"{next(counter):06d}"
        for child in element._children.values():
            walk(child)

    walk(m)


def _forget_render(m: folium.Map) -> None:
    """Remove what an earlier render added, so that rendering again adds no copies.

    Rendering adds an ``ElementAddToElement`` child to every shown layer and the rendered
    text of every element to the figure's header, body and script, keyed by the element's
    name; the keys :func:`plan_map` itself added (recorded on the map) are kept.
    """

    def walk(element: Element) -> None:
        for key in [k for k, c in element._children.items()
                    if isinstance(c, ElementAddToElement)]:
            del element._children[key]
        for child in element._children.values():
            walk(child)

    walk(m)
    root = m.get_root()
    keep = getattr(m, _OWN_KEYS, {})
    for part in ("header", "html", "script"):
        children = getattr(root, part)._children
        for key in [k for k in children if k not in keep.get(part, ())]:
            del children[key]


def page_figure(m: Element) -> Figure:
    """Return the Figure (the HTML page) ``m`` is drawn in; a folium map always has one."""
    root = m.get_root()
    if not isinstance(root, Figure):
        raise TypeError(f"{type(m).__name__} is not drawn in a page (a branca Figure)")
    return root


def remember_own(m: Element) -> None:
    """Record the figure children the map was built with (kept by every render)."""
    root = m.get_root()
    setattr(m, _OWN_KEYS, {part: frozenset(getattr(root, part)._children)
                           for part in ("header", "html", "script")})


def map_html(m: folium.Map) -> str:
    """Render ``m`` to a complete HTML document; the same map gives the same text."""
    root = m.get_root()
    if not isinstance(root, Figure):
        raise TypeError("the map is not attached to a folium Figure")
    if not hasattr(m, _OWN_KEYS):
        remember_own(m)
    _forget_render(m)
    _fix_ids(m)
    return root.render()
