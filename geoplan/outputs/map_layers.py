"""The layers of the plan map: candidates, substations, zone choropleths, district outlines.

Each builder takes a table in EPSG:27700, simplifies it in metres, reprojects it to
EPSG:4326 (the only place geoplan does), rounds coordinates to 6 decimals (about 0.1 m) and
embeds only what the map shows: per feature ``p`` (popup title and rows), ``t`` (tooltip),
both escaped HTML, and ``s`` (index of its Leaflet style); row labels and styles are stored
once per layer.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.utilities import JsCode
from shapely.geometry import mapping

from geoplan.errors import MissingCRSError
from geoplan.outputs.map_elements import FeatureGroup, GeoJson
from geoplan.outputs.map_popups import PopupContext, candidate_rows, named
from geoplan.outputs.map_style import (
    EXISTING_FILL,
    HEADROOM_COLOURS,
    HEADROOM_RINGS,
    Classes,
    candidate_style,
    headroom_class,
    number,
    rank_class,
    text,
)

__all__ = [
    "EXISTING_STYLE",
    "LATER_STYLE",
    "PANES",
    "SMALL_AREA_M2",
    "PopupContext",
    "build_year",
    "candidate_layer",
    "district_layer",
    "existing_charger_layer",
    "feature_collection",
    "small_areas_as_points",
    "substation_layer",
    "zone_layer",
]

logger = logging.getLogger(__name__)

PANES: Mapping[str, int] = {
    "geoplan-zones": 350, "geoplan-districts": 390, "geoplan-laep": 400, "geoplan-areas": 410,
    "geoplan-points": 450, "geoplan-existing": 455, "geoplan-substations": 460,
}
"""Leaflet panes (z-index) so that toggling a layer never buries points under polygons; LAEP
zones have a pane of their own under the other areas (a zone's popup lists the chosen
candidates of the other layers in the same zone, see ``geoplanBind``)."""

SMALL_AREA_M2 = 10_000.0
"""Candidate areas smaller than this (1 ha, e.g. car parks) are drawn as circles, which stay
visible at county zoom (:func:`small_areas_as_points`)."""

PROJECTED = "EPSG:27700"


def _map_geometries(frame: gpd.GeoDataFrame, simplify_m: float, what: str) -> gpd.GeoSeries:
    """Simplify in metres, reproject to EPSG:4326 and round to 6 decimals."""
    if frame.crs is None:
        raise MissingCRSError(
            f"the {what} layer has no CRS; set it with .set_crs('EPSG:27700') if the "
            "coordinates are British National Grid metres")
    geoms = frame.geometry
    if not frame.crs.is_projected:
        geoms = geoms.to_crs(PROJECTED)
    if simplify_m > 0:
        geoms = geoms.simplify(simplify_m, preserve_topology=True)
    geoms = geoms.to_crs("EPSG:4326")
    rounded = shapely.transform(np.asarray(geoms.array, dtype=object),
                                lambda xy: np.round(xy, 6))
    return gpd.GeoSeries(rounded, index=frame.index, crs="EPSG:4326")


def feature_collection(
    frame: gpd.GeoDataFrame,
    properties: Callable[[Mapping[str, object]], dict],
    *,
    simplify_m: float,
    what: str,
) -> dict:
    """GeoJSON FeatureCollection of ``frame`` with ``properties(row)`` for each feature.

    Rows without a geometry (or with an empty one) are left out with a log message.
    """
    geoms = _map_geometries(frame, simplify_m, what)
    drawable = geoms.notna() & ~geoms.is_empty
    if not drawable.all():
        logger.info("map: %d %s rows have no geometry and are not drawn",
                    int((~drawable).sum()), what)
    rows = pd.DataFrame(frame[drawable.to_numpy()])
    rows.attrs = {}  # a copy: the records need none of the frame's reports
    records = rows.to_dict("records")  # one pass, not a Series per row
    features = []
    for record, geom in zip(records, geoms[drawable], strict=True):
        features.append({"type": "Feature", "properties": properties(record),
                         "geometry": mapping(geom)})
    return {"type": "FeatureCollection", "features": features}


def _is_point(frame: gpd.GeoDataFrame) -> pd.Series:
    return frame.geometry.geom_type.isin(["Point", "MultiPoint"])


class _Lookup:
    """Values shared by many features, stored once per layer and referred to by index."""

    def __init__(self) -> None:
        self.items: list[object] = []
        self._index: dict[str, int] = {}

    def __call__(self, value: object) -> int:
        key = json.dumps(value, sort_keys=True)
        if key not in self._index:
            self._index[key] = len(self.items)
            self.items.append(value)
        return self._index[key]


def _script_json(value: object) -> str:
    """JSON that is safe inside a ``<script>`` element (as folium's own ``tojson``)."""
    return (json.dumps(value, sort_keys=True, separators=(",", ":"))
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("'", "\\u0027"))


def _geojson(data: dict, labels: _Lookup, styles: _Lookup, *, pane: str,
             **kwargs: Any) -> GeoJson:
    """Make a GeoJson layer whose features carry ``p`` (popup), ``t`` (tooltip), ``s`` (style).

    ``geoplanBind`` (defined once in the page by :mod:`geoplan.outputs.map`) applies the
    style and binds the popup and tooltip; the strings are already escaped HTML.
    """
    bind = JsCode(f"geoplanBind({_script_json(labels.items)}, {_script_json(styles.items)})")
    return GeoJson(data, control=False, pane=pane, on_each_feature=bind, **kwargs)


def _circle(pane: str) -> folium.CircleMarker:
    """Make the circle each point feature becomes, in ``pane`` (styled per feature)."""
    marker = folium.CircleMarker()
    marker.options = {"pane": pane, "radius": 5}
    return marker


def _popup(title: str, rows: list[tuple[str, str]], labels: _Lookup) -> list:
    return [title, [[labels(k), v] for k, v in rows if v != ""]]


def _flag(value: object) -> bool:
    return False if value is None or pd.isna(value) else bool(value)


def build_year(row: Mapping[str, object]) -> int | None:
    """Milestone year a candidate is built by (``build_year``, else ``period``); None if unknown.

    Examples
    --------
    >>> build_year({"build_year": 2030.0}), build_year({"period": 2040}), build_year({})
    (2030, 2040, None)
    """
    for key in ("build_year", "period"):
        value = row.get(key)
        try:
            year = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        if np.isfinite(year) and year > 0:
            return round(year)
    return None


LATER_STYLE: Mapping[str, object] = {"weight": 1.5, "opacity": 0.9, "fillOpacity": 0.04,
                                     "dashArray": "1 4"}
"""How a chosen candidate looks while the map shows a milestone before its build year:
outline only, dotted (unlike the dashed, pale candidates the plan does not choose)."""


def candidate_layer(
    name: str,
    plan: gpd.GeoDataFrame,
    *,
    stroke: str,
    grid: PopupContext,
    simplify_m: float,
    raw: bool,
    phased: bool = False,
) -> tuple[FeatureGroup, set[int]]:
    """One toggleable layer with every candidate of a workstream, coloured by rank.

    Selected candidates are drawn last (on top), solid and strongly filled; the others pale
    with a dashed outline (:func:`~geoplan.outputs.map_style.candidate_style`: LAEP zones
    filled by pathway in their own pane, sequestration hatched, charger sites sized by
    chargers). Points and areas under :data:`SMALL_AREA_M2` become circles, larger polygons
    stay polygons; polygons with a ``zone_id`` carry ``z`` (and ``c`` when chosen) so that a
    zone's popup can list the chosen candidates of other layers there. With ``phased``,
    each chosen candidate with a build year also carries ``y`` (the year) and ``l`` (the
    index of its :data:`LATER_STYLE` look), which the milestone selector of
    :mod:`geoplan.outputs.map_milestones` switches to before that year; its tooltip says
    "by <year>".

    Returns
    -------
    (FeatureGroup, set of int)
        The layer and the indices of the :data:`RANK_CLASSES` it uses (for the legend).
    """
    plan = small_areas_as_points(plan)
    order = plan.assign(_sel=plan["selected"].map(_flag),
                        _rank=pd.to_numeric(plan["rank"], errors="coerce"))
    order = order.sort_values(["_sel", "_rank"], ascending=[True, False], kind="stable",
                              na_position="first").drop(columns=["_sel", "_rank"])
    used: set[int] = set()
    labels, styles = _Lookup(), _Lookup()

    def props(row: Mapping[str, object]) -> dict:
        cls = rank_class(row.get("rank"))
        used.add(cls)
        chosen = _flag(row.get("selected"))
        style = candidate_style(row, workstream=name, stroke=stroke, rank_index=cls,
                                chosen=chosen)
        label = text(row.get("label") or row.get("candidate_id"), raw=raw)
        rank = number(row.get("rank"), 0)
        tip = (f"#{rank} " if rank else "") + label + ("" if chosen else " (not selected)")
        total = int(plan.attrs.get("candidates", len(plan)))  # all, when the map shows some
        rows = candidate_rows(row, workstream=name, total=total, grid=grid, raw=raw,
                              built=build_year(row) if chosen else None)
        out = {"p": _popup(label, rows, labels), "t": tip, "s": styles(style)}
        out.update(_zone_keys(row, chosen))
        year = build_year(row) if chosen and phased else None
        if year is not None:
            out.update(t=f"{tip} (by {year})", y=year,
                       l=styles({**style, **LATER_STYLE}))
        return out

    group = FeatureGroup(name=text(name, raw=raw), show=True)
    data = feature_collection(order, props, simplify_m=simplify_m, what=f"plan {name!r}")
    if data["features"]:
        _geojson(data, labels, styles, pane="geoplan-laep" if name == "laep" else "geoplan-areas",
                 marker=_circle("geoplan-points")).add_to(group)
    return group, used


def _zone_keys(row: Mapping[str, object], chosen: bool) -> dict[str, object]:
    """``z`` (zone id) of an area candidate, and ``c`` = 1 when chosen; {} for points."""
    geom, zone = row.get("geometry"), row.get("zone_id")
    if (geom is None or getattr(geom, "geom_type", "") in ("Point", "MultiPoint")
            or zone is None or pd.isna(zone) or str(zone) == ""):
        return {}
    return {"z": str(zone), "c": 1} if chosen else {"z": str(zone)}


def small_areas_as_points(frame: gpd.GeoDataFrame, below_m2: float = SMALL_AREA_M2
                          ) -> gpd.GeoDataFrame:
    """Replace areas smaller than ``below_m2`` by a point inside them (drawn as a circle).

    Areas are measured in EPSG:27700 metres (a frame in degrees is measured reprojected);
    a frame without a CRS is returned as it is (the map refuses it later with the reason).
    """
    if frame.crs is None or not len(frame):
        return frame
    metres = frame.geometry if frame.crs.is_projected else frame.geometry.to_crs(PROJECTED)
    polygons = frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    small = (polygons & (metres.area < below_m2)).to_numpy()
    if not small.any():
        return frame
    out = frame.copy()
    out.loc[small, out.geometry.name] = out.geometry[small].representative_point()
    return out


def _capital(caption: str) -> str:
    return caption[:1].upper() + caption[1:]


def substation_layer(
    substations: gpd.GeoDataFrame,
    grid: PopupContext,
    *,
    amber_below_mva: float,
    raw: bool,
    milestones: Sequence[PopupContext] = (),
) -> FeatureGroup:
    """Substations as circles coloured and ringed by headroom class in the plan year.

    With ``milestones`` (the headroom of each milestone year, in order), the popup lists each
    year's headroom instead, and each feature carries ``hy``: the index of its look in each
    year, which the milestone selector (:mod:`geoplan.outputs.map_milestones`) switches to.
    """
    radius = {"gsp": 9, "bsp": 7}
    labels, styles = _Lookup(), _Lookup()

    def look(mva: float | None, level: object) -> int:
        key = headroom_class(mva, amber_below_mva)
        weight, dash = HEADROOM_RINGS[key]
        return styles({"color": "#222222", "weight": weight, "dashArray": dash, "fill": True,
                       "fillOpacity": 0.95, "fillColor": HEADROOM_COLOURS[key],
                       "radius": radius.get(str(level).lower(), 5.5)})

    def props(row: Mapping[str, object]) -> dict:
        key = str(row.get("substation_id"))
        mva = grid.headroom_mva.get(key)
        name = text(row.get("name") or key, raw=raw)
        rows = [("Id", text(key, raw=raw)), ("Level", text(row.get("level"), raw=raw)),
                ("Firm capacity", _mva(row.get("firm_capacity_mva"))),
                ("Peak demand", _mva(row.get("peak_demand_mva"))),
                ("Per household served", _per_household(row))]
        rows += [(_capital(g.caption), _mva(g.headroom_mva.get(key)) or "no figure")
                 for g in (milestones or [grid])]
        tip = (f"{name}: {_mva(mva) or 'no headroom figure'}" if not milestones
               else f"{name} (headroom by milestone in the popup)")
        out = {"p": _popup(name, rows, labels), "t": tip, "s": look(mva, row.get("level"))}
        if milestones:
            out["hy"] = [look(g.headroom_mva.get(key), row.get("level")) for g in milestones]
        return out

    group = FeatureGroup(name="Substations (headroom)", show=True)
    points = substations[_is_point(substations).to_numpy()] if len(substations) else substations
    data = feature_collection(points, props, simplify_m=0, what="substations")
    if data["features"]:
        _geojson(data, labels, styles, pane="geoplan-substations",
                 marker=_circle("geoplan-substations")).add_to(group)
    return group


EXISTING_STYLE: Mapping[str, object] = {
    "color": "#ffffff", "weight": 1.5, "fill": True, "fillColor": EXISTING_FILL,
    "fillOpacity": 0.95, "opacity": 1.0, "radius": 4}
"""Existing public chargers: small black dots ringed in white (unlike ranked candidates)."""


def existing_charger_layer(chargers: gpd.GeoDataFrame, grid: PopupContext, *,
                           raw: bool) -> FeatureGroup:
    """Existing public chargers as small dots, each with a popup of what the registry says.

    Popup: the device's name (else its id), operator, connectors, highest rated power,
    connector types, status, zone and district names, device id; every value escaped.
    """
    labels, styles = _Lookup(), _Lookup()
    style = styles(dict(EXISTING_STYLE))

    def props(row: Mapping[str, object]) -> dict:
        given = row.get("name")
        name = text(given if isinstance(given, str) and given.strip() else row.get("device_id"),
                    raw=raw)
        kw = number(row.get("kw"), 1)
        rows = [("Operator", text(row.get("operator"), raw=raw)),
                ("Connectors", number(row.get("connectors"), 0)),
                ("Highest power", f"{kw} kW" if kw else ""),
                ("Connector types", text(row.get("connector_types"), raw=raw)),
                ("Status", text(row.get("status"), raw=raw)),
                ("Zone", named(row.get("zone_id"), grid.zone_names, raw)),
                ("District", named(row.get("district_id"), grid.district_names, raw)),
                ("Device id", text(row.get("device_id"), raw=raw))]
        return {"p": _popup(f"Existing charger: {name}", rows, labels),
                "t": f"Existing charger: {name}", "s": style}

    group = FeatureGroup(name="Existing public chargers", show=True)
    keep = [c for c in ("device_id", "name", "operator", "kw", "connectors", "connector_types",
                        "status", "zone_id", "district_id") if c in chargers.columns]
    points = chargers[_is_point(chargers).to_numpy()] if len(chargers) else chargers
    data = feature_collection(points[[*keep, "geometry"]], props, simplify_m=0,
                              what="existing chargers")
    if data["features"]:
        _geojson(data, labels, styles, pane="geoplan-existing",
                 marker=_circle("geoplan-existing")).add_to(group)
    return group


def _per_household(row: Mapping[str, object]) -> str:
    """``kva_per_household`` of the serving check (geoplan.layers.serving_check), in words."""
    ratio = number(row.get("kva_per_household"), 2)
    basis = _BASIS.get(str(row.get("capacity_basis")))
    if not ratio or basis is None:
        return ""
    return f"{ratio} kVA of {basis} ({number(row.get('households_served'), 0)} households)"


_BASIS = {"peak_demand_mva": "peak", "firm_capacity_mva": "firm capacity"}
"""The serving check's ``capacity_basis`` values, in the popup's words."""


def _mva(value: object) -> str:
    shown = number(value, 1)
    return f"{shown} MVA" if shown else ""


def zone_layer(
    zones: gpd.GeoDataFrame,
    column: str,
    label: str,
    classes: Classes,
    *,
    show: bool,
    simplify_m: float,
    raw: bool,
) -> FeatureGroup:
    """Draw a zone choropleth of ``column``; ``label`` is already escaped."""
    styles = _Lookup()

    def props(row: Mapping[str, object]) -> dict:
        colour = classes.colour(row.get(column))
        zone = text(row.get("zone_name") or row.get("zone_id"), raw=raw)
        value = number(row.get(column), 2) or "no figure"
        style = {"color": "#777777", "weight": 0.5, "fillColor": colour or "#ffffff",
                 "fillOpacity": 0.65 if colour else 0.1}
        return {"t": f"{zone}: {label} {value}", "s": styles(style)}

    group = FeatureGroup(name=label, show=show)
    keep = ["geometry", column] + [c for c in ("zone_id", "zone_name") if c in zones]
    data = feature_collection(zones[list(dict.fromkeys(keep))], props, simplify_m=simplify_m,
                              what="zones")
    if data["features"]:
        _geojson(data, _Lookup(), styles, pane="geoplan-zones").add_to(group)
    return group


def district_layer(districts: gpd.GeoDataFrame, *, simplify_m: float) -> FeatureGroup:
    """District boundaries as outlines that let clicks through to the layers beneath."""
    styles = _Lookup()
    style = styles({"color": "#333333", "weight": 2, "fill": False, "opacity": 0.9,
                    "interactive": False})
    group = FeatureGroup(name="District boundaries", show=True)
    data = feature_collection(districts[["geometry"]], lambda _: {"s": style},
                              simplify_m=simplify_m, what="districts")
    if data["features"]:
        _geojson(data, _Lookup(), styles, pane="geoplan-districts",
                 interactive=False).add_to(group)
    return group
