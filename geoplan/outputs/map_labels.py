"""Place names on the plan map: districts, towns and zones, one toggleable label layer.

An offline map has no basemap, so without labels a reader cannot tell Banbury from Didcot.
:func:`label_layer` writes the names the run already has: district names (``districts``),
zone names (``zones``) and town names, which :func:`town_points` finds in the existing
chargers' ``town`` column (the National Chargepoint Registry's address town). Labels thin
out with zoom: districts always, towns from zoom :data:`TOWN_ZOOM`, zones from
:data:`ZONE_ZOOM` (a county has hundreds of zones).

Names are escaped (:func:`~geoplan.outputs.map_style.text`) and inserted by Leaflet as HTML
of a ``divIcon``; they are never read as a template.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from folium.template import Template
from folium.utilities import JsCode

from geoplan.outputs.map_elements import FeatureGroup, GeoJson, LiteralHtml, LiteralRender
from geoplan.outputs.map_layers import feature_collection
from geoplan.outputs.map_page import page_figure
from geoplan.outputs.map_style import text

__all__ = ["CORROBORATE_M", "LABEL_CSS", "TOWN_ZOOM", "ZONE_ZOOM", "label_layer", "label_points",
           "town_points"]

TOWN_ZOOM = 10
"""Zoom level from which town names show."""
ZONE_ZOOM = 13
"""Zoom level from which zone names show."""
TOWN_SPREAD_M = 3000.0
"""A town's devices must lie within this median distance (metres) of its label point; a
registry town that is an operator's address (devices all over the county) is left out."""
CORROBORATE_M = 6000.0
"""A town is labelled only when a place of the run (a substation) named after it lies
within this distance (metres) of its label point."""

LABEL_CSS = """<style>
.gp-label{pointer-events:none}
.gp-label span{position:absolute;transform:translate(-50%,-50%);white-space:nowrap;
 color:#222;text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff}
.gp-label-district span{font:700 14px/1 system-ui,sans-serif;letter-spacing:.06em;
 text-transform:uppercase;color:#555}
.gp-label-town span{font:600 12px/1 system-ui,sans-serif}
.gp-label-zone span{font:italic 10px/1 system-ui,sans-serif;color:#444}
.gp-hide-towns .gp-label-town,.gp-hide-zones .gp-label-zone{display:none}
.gp-label-clash{visibility:hidden}
@media (max-width:600px){.gp-label-district span{font-size:10px;letter-spacing:0}}
</style>"""
"""Styles of the labels (dark text with a white halo), the zoom rules, and smaller district
names on a phone (two long names side by side overlapped at 14 px); a label that would
overlap one placed before it is hidden (``gp-label-clash``, :class:`LabelZoom`)."""

_BIND = JsCode("""function (feature, layer) {
    var p = feature.properties;
    layer.setIcon(L.divIcon({className: "gp-label gp-label-" + p.k, html: "<span>" + p.n +
                             "</span>", iconSize: null}));
}""")
"""Turns each point into its label; ``p.n`` is escaped HTML, ``p.k`` a fixed kind word."""


class LabelZoom(LiteralRender):
    """Script that hides town and zone names below their zoom levels, and labels that clash.

    After each zoom or pan, labels are placed by rank (districts, then towns, then zones; in
    the layer's order within a kind): one whose box overlaps a label already placed is hidden
    until a later view has room for it.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (map) {
            var rank = {district: 0, town: 1, zone: 2};
            function kind(el) {
                return rank[(el.className.match(/gp-label-(district|town|zone)/) || [])[1]];
            }
            function apart(a, b) {
                return a.right <= b.left || b.right <= a.left || a.bottom <= b.top
                    || b.bottom <= a.top;
            }
            function declutter() {
                var labels = Array.prototype.slice.call(
                    map.getContainer().querySelectorAll(".gp-label"));
                labels.forEach(function (el) { el.classList.remove("gp-label-clash"); });
                labels = labels.map(function (el, i) { return [kind(el), i, el]; })
                    .sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
                var placed = [];
                labels.forEach(function (item) {
                    var span = item[2].firstChild;
                    var box = span && span.getBoundingClientRect();
                    if (!box || !box.width) { return; }  // not shown at this zoom
                    if (placed.every(function (p) { return apart(p, box); })) {
                        placed.push(box);
                    } else {
                        item[2].classList.add("gp-label-clash");
                    }
                });
            }
            function thin() {
                var z = map.getZoom(), box = map.getContainer().classList;
                box.toggle("gp-hide-towns", z < {{ this.town_zoom }});
                box.toggle("gp-hide-zones", z < {{ this.zone_zoom }});
                declutter();
            }
            map.on("zoomend", thin);
            map.on("moveend overlayadd", declutter);
            thin();
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self) -> None:
        super().__init__()
        self._name = "LabelZoom"
        self.town_zoom, self.zone_zoom = int(TOWN_ZOOM), int(ZONE_ZOOM)


def label_points(frame: gpd.GeoDataFrame | None, column: str) -> gpd.GeoDataFrame:
    """One point inside each named feature of ``frame`` (``name``, ``geometry``).

    Features without a name in ``column`` are left out; the point is the feature's
    representative point, computed in the layer's projected CRS.
    """
    if frame is None or column not in frame.columns or frame.crs is None or not len(frame):
        return gpd.GeoDataFrame({"name": []}, geometry=[], crs="EPSG:27700")
    names = frame[column].astype("string").str.strip()
    keep = names.notna() & (names != "") & frame.geometry.notna().to_numpy()
    kept = frame[keep.to_numpy()]
    return gpd.GeoDataFrame({"name": names[keep].to_numpy(dtype=object)},
                            geometry=kept.geometry.representative_point().to_numpy(),
                            crs=frame.crs)


def town_points(chargers: gpd.GeoDataFrame | None,
                skip: frozenset[str] = frozenset(),
                places: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Town label points from the ``town`` of existing chargers.

    Devices are grouped by town name (case and spaces ignored); a town's label sits at the
    median easting and northing of its devices, and is kept when it has at least two devices
    lying within a median :data:`TOWN_SPREAD_M` of that point. Its name is the spelling most
    devices use. Names in ``skip`` (case-folded: the district names, already labelled) are
    left out. With ``places`` (named points of the run, e.g. substations), a town is kept
    only when a place named like the town (one name starting with the other) lies within
    :data:`CORROBORATE_M` of its label: the registry's ``town`` is the address a device was
    registered with, sometimes an operator's ("London") or the county ("Oxon").

    Parameters
    ----------
    chargers : geopandas.GeoDataFrame, optional
        Points with a ``town`` column, in a projected CRS (metres).
    skip : frozenset of str
        Case-folded names not to label.
    places : geopandas.GeoDataFrame, optional
        ``name`` and point geometry, in the chargers' CRS.

    Returns
    -------
    geopandas.GeoDataFrame
        ``name`` and point geometry, sorted by name; empty without towns.
    """
    empty = gpd.GeoDataFrame({"name": []}, geometry=[], crs="EPSG:27700")
    if chargers is None or "town" not in chargers.columns or not len(chargers):
        return empty
    points = chargers[chargers.geometry.geom_type == "Point"]
    if points.crs is None or not points.crs.is_projected:
        return empty
    names = points["town"].astype("string").str.strip()
    table = pd.DataFrame({"name": names, "key": names.str.casefold().str.replace(
        r"\s+", " ", regex=True), "x": points.geometry.x, "y": points.geometry.y})
    table = table[table["name"].notna() & (table["name"] != "") & ~table["key"].isin(skip)]
    rows = []
    for _, town in table.groupby("key", sort=True):
        x, y = float(town["x"].median()), float(town["y"].median())
        spread = float(np.median(np.hypot(town["x"] - x, town["y"] - y)))
        if len(town) >= 2 and spread <= TOWN_SPREAD_M and _named_near(
                places, str(town["key"].iloc[0]), x, y):
            spelling = town["name"].value_counts().sort_index().idxmax()
            rows.append((str(spelling), x, y))
    if not rows:
        return empty
    frame = pd.DataFrame(rows, columns=["name", "x", "y"]).sort_values("name")
    return gpd.GeoDataFrame({"name": frame["name"].to_numpy()},
                            geometry=gpd.points_from_xy(frame["x"], frame["y"]),
                            crs=points.crs)


def _named_near(places: gpd.GeoDataFrame | None, key: str, x: float, y: float) -> bool:
    """Whether a place named like ``key`` lies within :data:`CORROBORATE_M` (no places: yes).

    Names match when one starts with the other as whole words ("henley" and "henley on
    thames"), ignoring case, spaces and hyphens.
    """
    if places is None or not len(places):
        return True
    town = re.sub(r"[\s-]+", " ", key.casefold()).strip()
    near = np.hypot(places.geometry.x - x, places.geometry.y - y) <= CORROBORATE_M
    for name in places.loc[near.to_numpy(), "name"].dropna().astype(str):
        place = re.sub(r"[\s-]+", " ", name.casefold()).strip()
        if place and (re.match(rf"{re.escape(town)}\b", place)
                      or re.match(rf"{re.escape(place)}\b", town)):
            return True
    return False


def _place_names(substations: gpd.GeoDataFrame | None,
                 chargers: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """Substation names as points in the chargers' CRS (None without either)."""
    if substations is None or chargers is None or substations.crs is None or chargers.crs is None:
        return None
    points = substations[substations.geometry.geom_type == "Point"].to_crs(chargers.crs)
    return gpd.GeoDataFrame({"name": points["name"].to_numpy()}, geometry=points.geometry.values,
                            crs=chargers.crs) if "name" in points.columns else None


def _points(kinds: Mapping[str, gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    parts = [frame.to_crs("EPSG:27700").assign(kind=kind) for kind, frame in kinds.items()
             if len(frame)]
    if not parts:
        return gpd.GeoDataFrame({"name": [], "kind": []}, geometry=[], crs="EPSG:27700")
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs="EPSG:27700")


def label_layer(m: folium.Map, *, zones: gpd.GeoDataFrame | None,
                districts: gpd.GeoDataFrame | None,
                existing_chargers: gpd.GeoDataFrame | None,
                substations: gpd.GeoDataFrame | None = None, raw: bool = False
                ) -> FeatureGroup | None:
    """Add a "Place names" layer of district, town and zone names to ``m``.

    Zones are labelled after towns and towns after districts, so the larger names are drawn
    on top. Towns come from the existing chargers, corroborated by the substations' names
    (:func:`town_points`). Returns the layer (added to ``m``), or None when there is no name
    to show.
    """
    districts_at = label_points(districts, "district_name")
    skip = frozenset(str(n).casefold() for n in districts_at["name"])
    points = _points({"zone": label_points(zones, "zone_name"),
                      "town": town_points(existing_chargers, skip,
                                          _place_names(substations, existing_chargers)),
                      "district": districts_at})
    if not len(points):
        return None
    data = feature_collection(points, lambda row: {"n": text(row["name"], raw=raw),
                                                   "k": str(row["kind"])},
                              simplify_m=0, what="place names")
    group = FeatureGroup(name="Place names", show=True)
    GeoJson(data, control=False, on_each_feature=_BIND).add_to(group)
    group.add_to(m)
    page_figure(m).header.add_child(LiteralHtml(LABEL_CSS), name="geoplan_label_css")
    LabelZoom().add_to(m)
    return group
