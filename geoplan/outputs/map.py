"""The plan map: a Folium (Leaflet) web map a funding bid can use.

:func:`plan_map` draws one toggleable layer per workstream (every candidate, coloured by
rank, the selected ones solid and the others pale and dashed, each with a popup of its
evidence), substations coloured by headroom class in the plan year, zone
choropleths and district boundaries, with a layer control, title, legend, scale bar and
attribution. :func:`write_map` writes it to an HTML file, atomically and byte-for-byte
reproducibly.

Safety: every string that comes from data (names, labels, reasons, layer names, the title) is
HTML-escaped once, so a site called ``<img src=x onerror=alert(1)>`` shows as that text; pass
``raw_html=True`` only for trusted tables whose strings are meant as HTML. No data string is
ever read as a template (see :mod:`geoplan.outputs.map_page`): a title ``{{7*7}}`` shows as
``{{7*7}}``.

Offline (the default): ``offline=True`` inlines Leaflet (from the XStatic-Leaflet package, see
:mod:`geoplan.outputs.map_assets`) and draws no web tiles, so the file opens without a
network connection and makes no request.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd

from geoplan.errors import LayerSchemaError, Problems
from geoplan.files.atomic import atomic_path, refuse_existing
from geoplan.layers.grid import headroom_for
from geoplan.outputs.map_basemap import (
    LocalTiles,
    basemap_layer,
    local_basemap,
    tiles_folder,
    write_tiles,
)
from geoplan.outputs.map_elements import LayerControl, LiteralHtml
from geoplan.outputs.map_grid import evidence_legend, evidence_map_layer
from geoplan.outputs.map_labels import label_layer
from geoplan.outputs.map_layers import (
    PopupContext,
    candidate_layer,
    district_layer,
    existing_charger_layer,
    substation_layer,
    zone_layer,
)
from geoplan.outputs.map_milestones import (
    MilestoneControl,
    milestone_legend,
    milestone_notes,
    milestone_years,
)
from geoplan.outputs.map_page import (
    Control,
    MapScript,
    PhoneLayout,
    map_html,
    new_map,
    page_figure,
    remember_own,
)
from geoplan.outputs.map_popups import HeadroomYears
from geoplan.outputs.map_style import (
    choropleth_classes,
    legend_html,
    legend_keys,
    stroke_colour,
    text,
)
from geoplan.outputs.map_view import FitClear

__all__ = ["DEFAULT_ATTRIBUTION", "fit_to_layers", "map_files", "map_html", "plan_map",
           "popup_context", "write_map"]

logger = logging.getLogger(__name__)

DEFAULT_ATTRIBUTION = "Plan: geoplan; data sources are listed in the run's manifest.json"
"""Attribution shown on the map when the caller gives none."""

PLAN_COLUMNS = ("candidate_id", "rank", "selected")
"""Columns a plan table needs for the map (others are shown when present)."""


def _check_inputs(plans: Mapping[str, gpd.GeoDataFrame], zones: gpd.GeoDataFrame | None,
                  choropleths: Mapping[str, str]) -> None:
    problems = Problems()
    for name, plan in plans.items():
        if not isinstance(plan, gpd.GeoDataFrame):
            problems.add(f"plan {name!r} is a {type(plan).__name__}, not a GeoDataFrame",
                         fix="pass Plan.to_geodataframe()")
            continue
        missing = [c for c in PLAN_COLUMNS if c not in plan.columns]
        if missing:
            problems.add(f"plan {name!r} misses columns {missing}",
                         fix="pass the table of a solved plan (Plan.to_geodataframe())")
    if choropleths and zones is None:
        problems.add(f"choropleths {sorted(choropleths)} were asked for but no zones given",
                     fix="pass zones=")
    elif choropleths and zones is not None:
        absent = sorted(c for c in choropleths if c not in zones.columns)
        if absent:
            problems.add(f"zones have no columns {absent} for choropleths; available: "
                         f"{sorted(c for c in zones.columns if c != 'geometry')}",
                         fix="name zone columns in choropleths= (column -> label)")
    problems.raise_if_any(LayerSchemaError)


def _pick(headroom: pd.DataFrame, column: str, given: str | None,
          preferred: str | None) -> str:
    values = sorted(headroom[column].dropna().astype(str).unique())
    if given is not None:
        return given
    if preferred in values:
        return str(preferred)
    if len(values) == 1:
        return values[0]
    raise LayerSchemaError(
        f"the headroom table holds several {column}s {values}; the map needs one "
        f"(pass headroom_{column}=, e.g. {values[0]!r}; the CLI option is "
        f"--{'grid-scenario' if column == 'scenario' else 'season'})")


def _names(frame: pd.DataFrame | None, key: str, name: str) -> dict[str, str]:
    if frame is None or key not in frame.columns or name not in frame.columns:
        return {}
    return {str(k): str(v) for k, v in zip(frame[key], frame[name], strict=True)
            if v is not None and not pd.isna(v) and str(v)}


def popup_context(substations: gpd.GeoDataFrame | None, headroom: pd.DataFrame | None,
                  year: int, scenario: str | None, season: str | None,
                  zones: pd.DataFrame | None, districts: pd.DataFrame | None,
                  power_factor: float | None = None, yearly: HeadroomYears | None = None
                  ) -> PopupContext:
    """Collect what candidate popups show besides the plan: place names and grid headroom.

    Parameters
    ----------
    substations : geopandas.GeoDataFrame, optional
        Canonical substations; ``substation_id`` -> ``name`` for popups.
    headroom : pandas.DataFrame, optional
        Canonical headroom table; without one (or when empty) popups show no headroom.
    year : int
        Plan year; headroom is the latest at or before it
        (:func:`geoplan.layers.grid.headroom_for`).
    scenario, season : str, optional
        Which headroom rows to use. When omitted: the table's only scenario, and ``winter``
        (or the only season).
    zones, districts : pandas.DataFrame, optional
        ``zone_id`` -> ``zone_name`` and ``district_id`` -> ``district_name`` for popups.
    power_factor : float, optional
        kW per kVA: popups state headroom in kW beside MVA when given.
    yearly : HeadroomYears, optional
        The headroom of every year of the same scenario and season, when already built
        (the milestones' contexts share the plan year's); built here otherwise.

    Returns
    -------
    PopupContext
        Headroom by substation id (MVA), its caption (escaped) and the three name lookups.

    Raises
    ------
    LayerSchemaError
        The table holds several scenarios (or seasons without ``winter``) and none was given,
        or has no row for ``year``.
    """
    names = PopupContext(names=_names(substations, "substation_id", "name"),
                         zone_names=_names(zones, "zone_id", "zone_name"),
                         district_names=_names(districts, "district_id", "district_name"))
    if headroom is None or headroom.empty:
        return dataclasses.replace(names, caption=f"headroom {year} (no table)")
    scenario = _pick(headroom, "scenario", scenario, None)
    season = _pick(headroom, "season", season, "winter")
    values = headroom_for(headroom, scenario, year, season)
    caption = text(f"headroom {year} ({scenario}, {season})")
    rows = headroom[(headroom["scenario"].astype(str) == scenario)
                    & (headroom["season"].astype(str) == season)]
    return dataclasses.replace(
        names, headroom_mva={str(k): float(v) for k, v in values.items()}, caption=caption,
        year=int(year), yearly=HeadroomYears(rows) if yearly is None else yearly,
        grid_words=text(f"{scenario}, {season}"),
        power_factor=power_factor)


def _milestone_grids(substations: gpd.GeoDataFrame | None, headroom: pd.DataFrame | None,
                     years: list[int], scenario: str | None, season: str | None,
                     yearly: HeadroomYears | None = None) -> list[PopupContext]:
    """Headroom of each milestone year for the selector ([]: none, or a year has no row).

    ``yearly``: the plan year's headroom of every year (the same scenario and season).
    """
    if substations is None or headroom is None or headroom.empty or not years:
        return []
    try:
        return [popup_context(None, headroom, year, scenario, season, None, None,
                              yearly=yearly) for year in years]
    except LayerSchemaError:  # a year before the table starts: keep the plan year's colours
        return []


def plan_map(
    plans: Mapping[str, gpd.GeoDataFrame],
    *,
    zones: gpd.GeoDataFrame | None = None,
    districts: gpd.GeoDataFrame | None = None,
    substations: gpd.GeoDataFrame | None = None,
    headroom: pd.DataFrame | None = None,
    plan_year: int = 2030,
    choropleths: Mapping[str, str] | None = None,
    title: str = "Net-zero investment plan",
    offline: bool = True,
    raw_html: bool = False,
    headroom_scenario: str | None = None,
    headroom_season: str | None = None,
    amber_below_mva: float = 5.0,
    simplify_m: float = 10.0,
    attribution: str = DEFAULT_ATTRIBUTION,
    grid_evidence: gpd.GeoDataFrame | None = None,
    existing_chargers: gpd.GeoDataFrame | None = None,
    milestones: Sequence[int] | None = None,
    power_factor: float | None = None,
    labels: bool = True,
    tiles: LocalTiles | None = None,
) -> folium.Map:
    """Draw plans, substations, zones and districts on one web map.

    Parameters
    ----------
    plans : Mapping[str, geopandas.GeoDataFrame]
        Workstream name -> plan table (``Plan.to_geodataframe()``: ``candidate_id``, ``rank``,
        ``selected`` and, when present, ``label``, ``option``, ``score``, ``score_*``,
        ``cost_gbp``, ``tco2e_per_yr``, benefit columns, ``zone_id``, ``district_id``,
        ``substation_id``, ``period``, ``reason``), in EPSG:27700. Points become circles,
        polygons stay polygons. One toggleable layer each, in this order.
    zones, districts, substations : geopandas.GeoDataFrame, optional
        Canonical layers (EPSG:27700).
    headroom : pandas.DataFrame, optional
        Canonical headroom table; substations are coloured by it in ``plan_year``.
    plan_year : int
        Year whose headroom colours substations and fills popups (the latest year at or
        before it, as :func:`geoplan.layers.grid.headroom_for`).
    choropleths : Mapping[str, str], optional
        Zone column -> legend label, e.g. ``{"epc_dg_share": "EPC D-G share"}``; one layer
        each, off until ticked in the layer control.
    title : str
        Map title (escaped unless ``raw_html``).
    offline : bool
        Inline Leaflet and draw no web tiles: the file makes no request (the default);
        false loads Leaflet from its CDN and draws OpenStreetMap tiles.
    raw_html : bool
        Insert data strings as HTML, unescaped. Only for trusted tables.
    headroom_scenario, headroom_season : str, optional
        Which headroom rows to use. When omitted: the table's only scenario, and ``winter``
        (or the only season); several scenarios without a choice is an error.
    amber_below_mva : float
        Substations with headroom in [0, this) are amber, above green, below 0 red
        (indicative display threshold, not a planning rule).
    simplify_m : float
        Polygon simplification tolerance in metres, applied before reprojecting.
    attribution : str
        Attribution text (escaped unless ``raw_html``); tile credits are added by Leaflet.
    grid_evidence : geopandas.GeoDataFrame, optional
        The ``all`` rows of the grid evidence layer (one per substation and year, points):
        a layer of substations sized by the kW their headroom blocks
        (:mod:`geoplan.outputs.map_grid`), with its legend.
    existing_chargers : geopandas.GeoDataFrame, optional
        Existing public chargers (points, EPSG:27700; ``device_id``, ``name``, ``operator``,
        ``kw``, ``connectors``, ``connector_types``, ``status``, ``zone_id``,
        ``district_id`` when known, as :func:`geoplan.layers.existing_chargers.
        place_chargers` gives them): one toggleable layer of small dots with a legend entry.
    milestones : sequence of int, optional
        The plan's milestone years. With two or more, and chosen candidates with a build year
        (``build_year`` or ``period``), the map gets a milestone selector
        (:mod:`geoplan.outputs.map_milestones`): the plan by each milestone, cumulative,
        named in the legend and the title.
    power_factor : float, optional
        kW per kVA of the plan (``grid_units``): popups state a substation's headroom in kW
        beside MVA.
    labels : bool
        Add the "Place names" layer: district, town (from the existing chargers' ``town``)
        and zone names (:mod:`geoplan.outputs.map_labels`).
    tiles : LocalTiles, optional
        A basemap of local tiles (:func:`geoplan.outputs.map_basemap.read_tiles`) instead
        of web tiles; the map is then self-contained (Leaflet inlined) and
        :func:`write_map` copies the tiles beside the HTML file.

    Returns
    -------
    folium.Map

    Raises
    ------
    LayerSchemaError
        A plan misses ``candidate_id``/``rank``/``selected``, a choropleth column is absent,
        or the headroom scenario/season is ambiguous or has no row for ``plan_year``.
    MissingCRSError
        A layer has no CRS.
    ImportError
        ``offline=True`` but the XStatic-Leaflet package is missing.
    """
    choropleths = dict(choropleths or {})
    _check_inputs(plans, zones, choropleths)
    grid = popup_context(substations, headroom, plan_year, headroom_scenario, headroom_season,
                         zones, districts, power_factor)
    offline = offline or tiles is not None  # a local basemap is for a map used offline
    m = new_map(offline)
    if tiles is not None:
        basemap_layer(m, tiles)
    ranks: set[int] = set()
    strokes: list[tuple[str, str]] = []
    years = milestone_years(plans, milestones)
    yearly = _milestone_grids(substations, headroom, years, headroom_scenario, headroom_season,
                              grid.yearly)
    headroom_caption = (yearly[-1].caption.replace(
        f"headroom {years[-1]}", f'headroom <span class="gp-milestone-year">{years[-1]}</span>',
        1) if yearly else grid.caption)
    restyled = []  # layers the milestone selector restyles
    for order, (name, plan) in enumerate(plans.items()):
        stroke = stroke_colour(name, order)
        group, used = candidate_layer(name, plan, stroke=stroke, grid=grid,
                                      simplify_m=simplify_m, raw=raw_html, phased=bool(years))
        group.add_to(m)
        restyled.append(group)
        ranks |= used
        strokes.append((text(name, raw=raw_html), stroke))
    if existing_chargers is not None:
        existing_charger_layer(existing_chargers, grid, raw=raw_html).add_to(m)
    if substations is not None:
        restyled.append(substation_layer(substations, grid, amber_below_mva=amber_below_mva,
                                         raw=raw_html, milestones=yearly))
        restyled[-1].add_to(m)
    evidence_legend_html = ""
    if grid_evidence is not None and len(grid_evidence):
        evidence_map_layer(grid_evidence, raw=raw_html).add_to(m)
        evidence_legend_html = evidence_legend(grid_evidence)
    legends, groups = [], []
    for column, label in choropleths.items():
        classes = choropleth_classes(zones[column])  # type: ignore[index]
        legends.append((text(label, raw=raw_html), classes))
        groups.append(zone_layer(zones, column, text(label, raw=raw_html),
                                 classes, show=False, simplify_m=simplify_m, raw=raw_html))
        groups[-1].add_to(m)
    if districts is not None:
        district_layer(districts, simplify_m=simplify_m).add_to(m)
    if labels:
        label_layer(m, zones=zones, districts=districts, existing_chargers=existing_chargers,
                    substations=substations, raw=raw_html)
    control = LayerControl(collapsed=False, position="topright")
    control.add_to(m)
    pathways, sizes = legend_keys(plans)
    legend = legend_html(ranks_used=sorted(ranks), workstreams=strokes,
                         pathways=pathways, charger_sizes=sizes,
                         headroom_title=(f"Substation {headroom_caption}"
                                         if substations is not None else None),
                         amber_below_mva=amber_below_mva, choropleths=legends,
                         existing_chargers=None if existing_chargers is None
                         else len(existing_chargers))
    shown = milestone_legend(years) if years else ""
    Control(f"<details open><summary>Legend</summary>{shown}{legend}{evidence_legend_html}"
            "</details>", position="bottomleft", css_class="gp-legend").add_to(m)
    MapScript(text(attribution, raw=raw_html), offline=offline, choropleths=groups).add_to(m)
    subtitle = f"Plan year {int(plan_year)}; substations by {grid.caption}"
    if years:
        MilestoneControl(restyled, years, milestone_notes(plans, years)).add_to(m)
        subtitle = (f'Plan by <span class="gp-milestone-year">{years[-1]}</span> (milestones '
                    f"{', '.join(map(str, years))}); substations by {headroom_caption}")
    page_figure(m).html.add_child(LiteralHtml(  # never a template: {{ }} in a title is text
        f'<div class="gp-title">{text(title, raw=raw_html)}'
        f'<div class="gp-sub">{subtitle}</div></div>'), name="geoplan_title")
    PhoneLayout(control).add_to(m)
    fit_to_layers(m, [plans.values(), [substations, zones, districts]])
    remember_own(m)
    return m


def fit_to_layers(m: folium.Map, groups: Iterable[Iterable[gpd.GeoDataFrame | None]]
                  ) -> None:
    """Centre ``m`` on the layers and fit its view to their combined bounds.

    Bounds are taken in EPSG:4326 and rounded to 6 decimals (about 0.1 m), so the same layers
    give the same page. Layers that are None, empty, without a CRS or with empty geometry
    are skipped; when none is left the map keeps its view.

    Parameters
    ----------
    m : folium.Map
        The map to move.
    groups : Iterable of Iterable of geopandas.GeoDataFrame or None
        Layers, in any grouping (e.g. ``[plans.values(), [substations, zones]]``).
    """
    frames = [f for group in groups for f in group if f is not None and len(f) and f.crs]
    boxes = [f.to_crs("EPSG:4326").total_bounds for f in frames]
    boxes = [b for b in boxes if all(pd.notna(b))]
    if not boxes:
        return
    west, south = min(b[0] for b in boxes), min(b[1] for b in boxes)
    east, north = max(b[2] for b in boxes), max(b[3] for b in boxes)
    m.location = [round((south + north) / 2, 6), round((west + east) / 2, 6)]
    bounds = [[round(south, 6), round(west, 6)], [round(north, 6), round(east, 6)]]
    # once the controls are drawn, clear of them (a second fit would race the first's zoom)
    m.add_child(FitClear(bounds))


def write_map(m: folium.Map, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write ``m`` to an HTML file, atomically; an existing file is kept unless ``overwrite``.

    A map with local tiles (``plan_map(tiles=...)``) also gets its tiles in a folder beside
    the file (``map.html`` -> ``map_tiles/``, :func:`geoplan.outputs.map_basemap.write_tiles`).

    Parameters
    ----------
    m : folium.Map
        A map from :func:`plan_map`.
    path : str or pathlib.Path
        The ``.html`` file to write.
    overwrite : bool
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    OutputExistsError
        ``path`` exists and ``overwrite`` is false.
    """
    path = Path(path)
    refuse_existing(path, overwrite=overwrite)
    write_tiles(m, path, overwrite=overwrite)  # a local basemap: its tiles beside the page
    html = map_html(m)
    with atomic_path(path, overwrite=overwrite) as temporary:
        temporary.write_text(html, encoding="utf-8", newline="\n")
    logger.info("wrote %s (%.0f kB)", path, path.stat().st_size / 1000)
    return path


def map_files(m: folium.Map, path: str | Path) -> list[Path]:
    """Return what :func:`write_map` writes for ``m`` at ``path``, for a run's manifest.

    The page, and the folder of its local tiles when the map has a local basemap (the
    manifest lists a folder file by file).

    Parameters
    ----------
    m : folium.Map
        A map from :func:`plan_map`.
    path : str or pathlib.Path
        The ``.html`` file the map was written to.

    Returns
    -------
    list of pathlib.Path
        ``[path]``, then ``map_tiles/`` beside it when ``m`` draws local tiles.
    """
    path = Path(path)
    return [path, *([tiles_folder(path)] if local_basemap(m) is not None else [])]
