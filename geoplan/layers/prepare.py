"""Prepare every canonical layer a plan needs from one set of input files, in one call.

:func:`prepare_layers` reads each input given in a :class:`LayerInputs` with the reader of its
format (:func:`geoplan.layers.read.read_layers`), then gives zones, buildings, sites and land
parcels the ``substation_id`` of their serving primary substation:

* **zones**: the located primary nearest to the zone's representative point
  (:func:`geoplan.layers.supply.assign_zones`; ties to the smallest id); with licence areas
  (``LayerInputs.licence_areas``), nearest among the primaries of the DNO whose licence area
  holds that point. Each zone records ``serving_distance_km`` and ``serving_flag``
  (:data:`SERVING_FLAGS`); flagged zones are counted in the warnings;
* **buildings**: the primary serving their zone, so homes and their zone always agree; located
  homes outside every zone take the nearest primary; homes that could not be located have
  none (missing);
* **sites** and **land** parcels: the primary nearest to their representative point (within
  its licence area's DNO, as for zones).

``LayerInputs.grid`` may name several grid files, one per DNO: they are combined by
:func:`geoplan.layers.dno.combine_grids` (every id then prefixed by its file's DNO, e.g.
``"NGED:12774"``, so two DNOs' substations are never merged) and feed the rest unchanged.
With ``within`` a name (``"Oxfordshire"``), a file that lists no areas (NGED's capacity map)
keeps only the substations that can serve the zones in its DNO's licence area
(:func:`geoplan.layers.dno.select_served`: within ``max_serving_distance_km`` of them, or
nearest to one, and their parents), counted in the warnings.

:func:`sample_inputs` names the files of a folder written by ``geoplan sample``::

    layers = prepare_layers(sample_inputs("out/sample"))
    layers.zones[["zone_id", "substation_id"]]
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import networkx as nx
import pandas as pd

from geoplan.assumptions import read_assumptions
from geoplan.errors import SourceNotFoundError
from geoplan.forked import start
from geoplan.layers.apportion import AreaInput
from geoplan.layers.distributed import Compute
from geoplan.layers.grid import GRID_UNITS, graph_from_substations, power_factor
from geoplan.layers.read import LayerSet, read_layers
from geoplan.layers.serving import SERVING_FLAGS, serve, serving_notes, without_dno
from geoplan.layers.serving_check import check_serving
from geoplan.layers.stock import StockInputs
from geoplan.layers.stock_calibration import prebound_layers
from geoplan.layers.zones import ZoneFile
from geoplan.sample.region_grid import sample_grid
from geoplan.schemas import CRS, LEVELS
from geoplan.sources.numbers import DECIMAL_MARKS, declared_decimal

if TYPE_CHECKING:
    from geoplan.layers.land import Exclusion

__all__ = ["MAX_SERVING_DISTANCE_KM", "SERVING_FLAGS", "SERVING_LEVEL", "GridLayers",
           "LayerInputs", "PreparedLayers", "prepare_layers", "read_grid_layers",
           "sample_inputs"]

logger = logging.getLogger(__name__)

SERVING_LEVEL = "primary"
"""Level of the substation recorded in ``substation_id``."""

MAX_SERVING_DISTANCE_KM = 10.0
"""Default distance beyond which a zone's serving substation is flagged (scenario key
``grid.max_serving_distance_km``): a primary's 11 kV feeders rarely run further in England."""

Progress = Callable[[str], None]


@dataclass(frozen=True, kw_only=True)
class LayerInputs:
    """Paths of the input files, in their published formats; ``None`` means not given.

    Parameters
    ----------
    zones : pathlib.Path or ZoneFile
        Zone boundaries (any vector file, or a ``zones`` GeoPackage from ``geoplan layers``),
        or a :class:`geoplan.layers.zones.ZoneFile` naming the id, name and district columns.
    grid : pathlib.Path or sequence of pathlib.Path
        A grid headroom file (any format :func:`geoplan.sources.read_grid` reads), or one per
        DNO (module docstring; kept as a tuple).
    licence_areas : pathlib.Path, optional
        DNO licence-area polygons with a ``dno`` column: each zone, home, site and parcel is
        served by a substation of the DNO whose area holds it.
    max_serving_distance_km : float
        Flag (and count in the warnings) zones whose serving substation is further away.
    districts : pathlib.Path or ZoneFile, optional
        District boundaries (names the districts; else they are the zones' union); a
        ``ZoneFile`` names their code and name columns (``id_column``, ``name_column``) or
        layer.
    grid_format : str
        Grid format, ``"auto"`` to detect it.
    within : str, optional
        Keep the substations serving this DNO reference area (e.g. ``"Oxfordshire"``) or
        inside this boundary file.
    epc, postcodes, uprn : pathlib.Path, optional
        EPC certificates (file or folder), Code-Point Open postcodes, OS Open UPRN.
    building_stock : StockInputs, optional
        Aggregated stock tables (:mod:`geoplan.layers.stock`): without ``epc`` the buildings
        layer is the stock's archetypes; with it, the certificates are reweighted to the
        stock and its gaps filled (:mod:`geoplan.layers.stock_reweight`). Either way the
        zones get :data:`~geoplan.layers.stock_reweight.COVERAGE_COLUMNS`.
    chargers : pathlib.Path, optional
        National Chargepoint Registry CSV or GeoJSON.
    vehicles, households : pathlib.Path or AreaInput, optional
        Plug-in vehicles and households per zone (EV demand needs ``vehicles``), or tables of
        another geography with how to apportion them to the zones
        (:class:`geoplan.layers.apportion.AreaInput`: a lookup, area polygons, a weight).
    car_parks : pathlib.Path, optional
        Candidate charger sites (car parks) as any vector layer.
    roads : pathlib.Path, optional
        Road lines for walking distances.
    land_cover : pathlib.Path, optional
        Land-cover GeoTIFF (UKCEH classes), or a polygon land-cover or habitat layer (any
        vector file, by its suffix) with a class column.
    land_cover_classes : str or pathlib.Path, optional
        The class mapping of a polygon layer: ``"living-england"``, ``"corine"``, ``"osm"``
        or a mapping CSV (:mod:`geoplan.layers.land_mapping`); ``None``: detected.
    land_cover_column : str, optional
        The polygon layer's class column, instead of the mapping's.
    exclusions : Mapping[str, pathlib.Path or geoplan.layers.land.Exclusion]
        Label -> vector file of land to exclude (a file with a layer named like the label is
        read at that layer), or an :class:`~geoplan.layers.land.Exclusion` keeping only the
        features whose column holds given values (e.g. ALC grades 1, 2 and 3a).
    emissions : pathlib.Path, optional
        District emissions table, passed through for :mod:`geoplan.sources.emissions`.
    serving_level : {"primary", "bsp", "gsp", "secondary"}
        The level of the substations that serve zones, homes, sites and parcels: loads are
        added there and at every level above it (scenario key ``grid.level``).
    serving_overrides : Mapping[str, str]
        Zone id -> id of the ``serving_level`` substation that serves it, instead of the one
        found (scenario key ``grid.serving_overrides``); the zone's homes, sites and land
        parcels follow.
    decimal : {".", ","}
        The decimal mark of numbers written as text in the input files (CSV cells): with
        ``","``, ``"1,5"`` reads as 1.5 and a ``"1.5"`` is refused as ambiguous. geoplan's
        own assumption tables always use ``"."``.
    power_factor : float, optional
        Converts the MW of grid files published in MW (Northern Powergrid, UKPN, SPEN) to
        MVA; ``None``: the ``power_factor`` of the shipped ``grid_units`` table, the same one
        the plan uses to turn MVA back into kW, so a MW figure reaches the plan unchanged.
    compute : geoplan.layers.distributed.Compute
        Where the buildings layer is built: here, or per local authority on a dask cluster
        (scenario key ``compute``; :mod:`geoplan.layers.distributed`).
    """

    zones: Path | ZoneFile
    grid: Path | tuple[Path, ...]
    districts: Path | ZoneFile | None = None
    licence_areas: Path | None = None
    max_serving_distance_km: float = MAX_SERVING_DISTANCE_KM
    grid_format: str = "auto"
    within: str | None = None
    epc: Path | None = None
    building_stock: StockInputs | None = None
    postcodes: Path | None = None
    uprn: Path | None = None
    chargers: Path | None = None
    vehicles: Path | AreaInput | None = None
    households: Path | AreaInput | None = None
    car_parks: Path | None = None
    roads: Path | None = None
    land_cover: Path | None = None
    land_cover_classes: str | Path | None = None
    land_cover_column: str | None = None
    exclusions: Mapping[str, Path | Exclusion] = field(default_factory=dict)
    emissions: Path | None = None
    decimal: str = "."
    serving_level: str = SERVING_LEVEL
    serving_overrides: Mapping[str, str] = field(default_factory=dict)
    power_factor: float | None = None
    compute: Compute = field(default_factory=Compute)

    def __post_init__(self) -> None:
        if self.power_factor is not None and not 0 < self.power_factor <= 1:
            raise ValueError(f"power_factor must lie in (0, 1], not {self.power_factor!r}")
        if not isinstance(self.grid, str | Path):
            object.__setattr__(self, "grid", tuple(Path(p) for p in self.grid))
            if not self.grid:
                raise ValueError("grid needs at least one file")
        if not self.max_serving_distance_km > 0:
            raise ValueError("max_serving_distance_km must be above 0, not "
                             f"{self.max_serving_distance_km!r}")
        if self.serving_level not in LEVELS:
            raise ValueError(f"serving_level must be one of {list(LEVELS)}, not "
                             f"{self.serving_level!r}")
        if self.decimal not in DECIMAL_MARKS:
            raise ValueError(f"decimal must be one of {list(DECIMAL_MARKS)}, not "
                             f"{self.decimal!r}")


@dataclass(frozen=True)
class PreparedLayers:
    """Every canonical layer, in EPSG:27700 (see ``../shared/DESIGN.md``).

    Attributes
    ----------
    zones, districts : geopandas.GeoDataFrame
        Zones (plus ``substation_id``) and districts.
    substations : geopandas.GeoDataFrame
    headroom : pandas.DataFrame
    grid : networkx.DiGraph
        GSP -> BSP -> primary (:func:`geoplan.layers.grid.graph_from_substations`).
    buildings : geopandas.GeoDataFrame or None
        Homes (plus ``substation_id``).
    zone_buildings : pandas.DataFrame or None
        :func:`geoplan.layers.buildings.zone_summary` over every zone.
    ev_demand : pandas.DataFrame or None
    chargers : geopandas.GeoDataFrame or None
        Existing public charge devices.
    sites, land : geopandas.GeoDataFrame or None
        Candidate charger sites and land parcels (plus ``substation_id``).
    roads : networkx.Graph or None
    road_names : geopandas.GeoDataFrame or None
        Named road lines (``road_name``), to name candidate sites
        (:func:`geoplan.layers.site_names.named_roads`).
    emissions : pandas.DataFrame or None
        District emissions by year (:func:`geoplan.sources.emissions.read_district_emissions`).
    warnings : tuple of str
        Every reader's warnings, each prefixed by its layer.
    reports : Mapping[str, object]
        Per layer, what was read (as ``geoplan layers validate`` prints it), and
        ``"serving"``: how the substations were chosen.
    """

    zones: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    substations: gpd.GeoDataFrame
    headroom: pd.DataFrame
    grid: nx.DiGraph
    buildings: gpd.GeoDataFrame | None = None
    zone_buildings: pd.DataFrame | None = None
    ev_demand: pd.DataFrame | None = None
    chargers: gpd.GeoDataFrame | None = None
    sites: gpd.GeoDataFrame | None = None
    land: gpd.GeoDataFrame | None = None
    roads: nx.Graph | None = None
    road_names: gpd.GeoDataFrame | None = None
    emissions: pd.DataFrame | None = None
    warnings: tuple[str, ...] = ()
    reports: Mapping[str, object] = field(default_factory=dict)


def sample_inputs(folder: str | Path) -> LayerInputs:
    """Return the inputs of a sample county written by ``geoplan sample`` (its ``README.md``).

    A region sample (``--scale region``) names both DNOs' grid files and their licence areas
    (:func:`geoplan.sample.region_grid.sample_grid`).

    Raises
    ------
    SourceNotFoundError
        If ``folder`` holds no ``sample.json``.
    """
    root = Path(folder)
    if not (root / "sample.json").is_file():
        raise SourceNotFoundError(f"{root}: no sample.json, so not a geoplan sample folder "
                                  f"(fix: write one with `geoplan sample {root}`)")
    json.loads((root / "sample.json").read_text(encoding="utf-8"))  # refuse a broken one
    return LayerInputs(
        zones=root / "boundaries/zones.gpkg", districts=root / "boundaries/districts.gpkg",
        **sample_grid(root),  # type: ignore[arg-type]  # a region names two DNOs' files
        epc=root / "epc", postcodes=root / "postcodes/codepoint.csv",
        uprn=root / "uprn/osopenuprn.csv", chargers=root / "ev/chargepoints.csv",
        vehicles=root / "ev/vehicles_by_zone.csv", households=root / "ev/households_by_zone.csv",
        car_parks=root / "sites/car_parks.geojson", roads=root / "roads/roads.gpkg",
        land_cover=root / "land/land_cover.tif",
        exclusions={"protected_sites": root / "land/exclusions.gpkg",
                    "flood_zones": root / "land/exclusions.gpkg"},
        emissions=root / "emissions/district_emissions.csv",
    )


@dataclass(frozen=True)
class GridLayers:
    """The zones and the grid of a plan, read and with their serving substations.

    What the pre-flight (:func:`geoplan.planning.preflight.preflight`) checks before any
    heavy reading, and what :func:`prepare_layers` then reuses (``grid=``) instead of reading
    the zones and grid files again.

    Attributes
    ----------
    layers : PreparedLayers
        Zones (served), districts, substations, headroom and the grid graph; no other layer.
    licence : geopandas.GeoDataFrame or None
        The licence-area polygons read.
    sets : Mapping[str, LayerSet]
        The ``zones`` and ``substations`` reads (their warnings and summaries).
    """

    layers: PreparedLayers
    licence: gpd.GeoDataFrame | None
    sets: Mapping[str, LayerSet]


def read_grid_layers(inputs: LayerInputs, *, progress: Progress | None = None) -> GridLayers:
    """Read the zones, districts, licence areas and grid files of ``inputs`` and serve zones.

    Raises
    ------
    GeoplanError
        As raised by the readers.
    """
    with declared_decimal(inputs.decimal):
        return _read_grid(inputs, progress or _log)


def _read_grid(inputs: LayerInputs, step: Progress) -> GridLayers:
    step("zones")
    zone_file = inputs.zones if isinstance(inputs.zones, ZoneFile) else ZoneFile(inputs.zones)
    district_layer = _read_districts(inputs.districts)
    sets = {"zones": read_layers(zone_file.path, "zones", districts=district_layer,
                                 **zone_file.options())}
    zones = sets["zones"].layers["zones"]
    districts = _districts(district_layer, zones)
    step("grid")
    factor = inputs.power_factor
    if factor is None:
        factor = power_factor(read_assumptions(GRID_UNITS))
    licence = None
    if inputs.licence_areas is not None:
        from geoplan.layers.dno import read_licence_areas

        licence = read_licence_areas(inputs.licence_areas)
    sets["substations"] = read_layers(inputs.grid, "substations", fmt=inputs.grid_format,
                                      within=inputs.within, power_factor=factor,
                                      **_served_area(inputs, zones, licence))
    substations = sets["substations"].layers["substations"]
    served, serving = serve(zones, substations, {}, inputs.serving_level, licence,
                            inputs.max_serving_distance_km, inputs.serving_overrides)
    layers = PreparedLayers(
        zones=served["zones"], districts=districts, substations=substations,
        headroom=sets["substations"].layers["headroom"],
        grid=graph_from_substations(substations),
        warnings=_warnings(sets, inputs, served["zones"], substations, licence),
        reports={**{name: dict(s.summary) for name, s in sets.items()}, "serving": serving})
    return GridLayers(layers, licence, sets)


def prepare_layers(inputs: LayerInputs, *, progress: Progress | None = None,
                   grid: GridLayers | None = None) -> PreparedLayers:
    """Read every input of ``inputs`` into canonical layers (module docstring).

    Parameters
    ----------
    inputs : LayerInputs
        The files; layers whose inputs are ``None`` come back as ``None``.
    progress : callable, optional
        Called with the name of each step as it starts (``"zones"``, ``"grid"``,
        ``"buildings"``, ``"chargers"``, ``"sites"``, ``"land"``, ``"roads"``,
        ``"emissions"``, ``"ev demand"``, ``"serving substations"``); on dask also with one
        line per local authority built (:mod:`geoplan.layers.distributed`), while
        chargers, sites and land are read.
    grid : GridLayers, optional
        The zones and grid of these same ``inputs`` already read (:func:`read_grid_layers`):
        they are not read again.

    Returns
    -------
    PreparedLayers

    Raises
    ------
    GeoplanError
        As raised by each reader, for the first input that fails.
    """
    with declared_decimal(inputs.decimal):
        return _prepare(inputs, progress or _log, grid)


def _prepare(inputs: LayerInputs, step: Progress, grid: GridLayers | None) -> PreparedLayers:
    if grid is None:
        grid = _read_grid(inputs, step)
    sets: dict[str, LayerSet] = dict(grid.sets)
    zones = sets["zones"].layers["zones"]
    substations = sets["substations"].layers["substations"]
    beside = _read_optional(inputs, zones, sets, step)  # the roads and emissions too, with EPC
    if "building_stock" in sets:
        coverage = sets.pop("building_stock").layers["coverage"]
        zones = zones.join(coverage, on="zone_id")
    roads, road_names, emissions = beside or _read_unrelated(inputs, step)
    step("serving substations")
    layers = {name: s.layers for name, s in sets.items()}
    served, serving = serve(zones, substations, layers, inputs.serving_level, grid.licence,
                            inputs.max_serving_distance_km, inputs.serving_overrides)
    substations, plausible, serving["plausibility"] = check_serving(
        served["zones"], substations, layers, inputs.serving_level, inputs.power_factor,
        inputs.max_serving_distance_km)
    reports: dict[str, object] = {name: dict(s.summary) for name, s in sets.items()}
    reports["serving"] = serving
    return PreparedLayers(
        zones=served["zones"], districts=grid.layers.districts, substations=substations,
        headroom=sets["substations"].layers["headroom"], grid=grid.layers.grid,
        buildings=served.get("buildings"), zone_buildings=_get(layers, "buildings",
                                                               "zone_buildings"),
        ev_demand=_get(layers, "ev_demand", "ev_demand"),
        chargers=_get(layers, "chargers", "chargers"), sites=served.get("sites"),
        land=served.get("land"), roads=roads, road_names=road_names, emissions=emissions,
        warnings=_warnings(sets, inputs, served["zones"], substations, grid.licence)
        + plausible, reports=reports)


_Unrelated = tuple[nx.Graph | None, gpd.GeoDataFrame | None, pd.DataFrame | None]
"""The roads' graph and names, and the district emissions (each None when not given)."""


def _read_unrelated(inputs: LayerInputs, step: Progress) -> _Unrelated:
    """Read the roads and the district emissions, those given (they need no other layer)."""
    roads, road_names = None, None
    if inputs.roads is not None:
        from geoplan.layers.roads import graph_from_lines, road_lines
        from geoplan.layers.site_names import named_roads

        step("roads")
        lines = road_lines(inputs.roads)
        roads = graph_from_lines(lines.geometry, source=Path(inputs.roads).name)
        road_names = named_roads(lines)
    emissions = None
    if inputs.emissions is not None:
        from geoplan.sources.emissions import read_district_emissions

        step("emissions")
        emissions = read_district_emissions(inputs.emissions)
    return roads, road_names, emissions


def _unrelated_steps(inputs: LayerInputs) -> list[str]:
    """Return the step names :func:`_read_unrelated` reports for ``inputs``, in its order."""
    return [name for name, given in (("roads", inputs.roads), ("emissions", inputs.emissions))
            if given is not None]


def _warnings(sets: Mapping[str, LayerSet], inputs: LayerInputs, zones: gpd.GeoDataFrame,
              substations: gpd.GeoDataFrame, licence: gpd.GeoDataFrame | None
              ) -> tuple[str, ...]:
    """Every reader's warnings, each prefixed by its layer, then the serving notes."""
    notes = serving_notes(zones, inputs.max_serving_distance_km, inputs.serving_level)
    if licence is not None:
        notes += without_dno(substations, inputs.serving_level)
    return tuple(f"{name}: {w}" for name, s in sets.items() for w in s.warnings) + notes


def _served_area(inputs: LayerInputs, zones: gpd.GeoDataFrame,
                 licence: gpd.GeoDataFrame | None) -> dict[str, Any]:
    """``served_area=`` for several grid files selected by a name (module docstring)."""
    if inputs.within is None or isinstance(inputs.grid, str | Path):
        return {}
    from geoplan.layers.dno import ServedArea

    return {"served_area": ServedArea(zones, licence, inputs.max_serving_distance_km,
                                      inputs.serving_level)}


def _log(step: str) -> None:
    logger.info("preparing %s", step)


def _get(layers: Mapping[str, Mapping[str, pd.DataFrame]], kind: str, name: str
         ) -> pd.DataFrame | None:
    return layers[kind].get(name) if kind in layers else None


def _read_optional(inputs: LayerInputs, zones: gpd.GeoDataFrame, sets: dict[str, LayerSet],
                   step: Progress) -> _Unrelated | None:
    """Read the layers whose inputs were given, in dependency order.

    Chargers, sites and land need no other layer, nor do the roads and the district
    emissions: with EPC homes they are read while the homes are built (in a forked child,
    :mod:`geoplan.forked`, or here while dask's workers build the homes), and kept in the
    order one process gives. Returns what :func:`_read_unrelated` gave then (None without
    EPC homes: they are read afterwards, in turn).
    """
    alone: dict[str, LayerSet] = {}
    beside = None
    if inputs.epc is not None:
        sets["buildings"], beside = _epc_buildings(inputs, inputs.epc, zones, step, alone)
    else:
        alone = _read_alone(inputs, zones, step)
    if inputs.building_stock is not None:
        from geoplan.layers.stock_layers import stock_sets

        step("building stock")
        stock_sets(inputs.building_stock, zones, sets)
    given = inputs.building_stock
    if "buildings" in sets and not (given is not None and given.consumption()):
        sets["buildings"] = prebound_layers(sets["buildings"], zones)  # no meters: band F/G
    if "chargers" in alone:
        sets["chargers"] = alone.pop("chargers")
    if inputs.vehicles is not None:
        step("ev demand")
        chargers = sets["chargers"].layers["chargers"] if "chargers" in sets else None
        stock = sets.get("building_stock")
        homes = stock.layers["coverage"]["households_census"] if stock is not None else None
        sets["ev_demand"] = read_layers(inputs.vehicles, "ev_demand", zones=zones,
                                        households=inputs.households, chargers=chargers,
                                        zone_households=homes)
    sets.update(alone)  # sites, land
    return beside


def _read_alone(inputs: LayerInputs, zones: gpd.GeoDataFrame, step: Progress
                ) -> dict[str, LayerSet]:
    """Read the chargers, sites and land (they need no other layer), those given."""
    alone: dict[str, LayerSet] = {}
    for name, read in _alone_readers(inputs, zones).items():
        step(name)
        alone[name] = read()
    return alone


def _alone_readers(inputs: LayerInputs, zones: gpd.GeoDataFrame
                   ) -> dict[str, Callable[[], LayerSet]]:
    """Step name -> the reader of each layer of :func:`_read_alone` whose input is given."""
    readers: dict[str, Callable[[], LayerSet]] = {}
    if inputs.chargers is not None:
        readers["chargers"] = partial(read_layers, inputs.chargers, "chargers")
    if inputs.car_parks is not None:
        readers["sites"] = partial(read_layers, inputs.car_parks, "sites", site_kind="car_park")
    if inputs.land_cover is not None:
        readers["land"] = partial(read_layers, inputs.land_cover, "land", zones=zones,
                                  exclusions=dict(inputs.exclusions),
                                  mapping=inputs.land_cover_classes,
                                  class_column=inputs.land_cover_column)
    return readers


def _epc_buildings(inputs: LayerInputs, epc: Path, zones: gpd.GeoDataFrame,
                   step: Progress, alone: dict[str, LayerSet]) -> tuple[LayerSet, _Unrelated]:
    """Build the EPC buildings here, or per local authority on dask; read the others meanwhile.

    The layers that need no other (``alone``, then the roads and emissions, which are
    returned) are read meanwhile: in one process in a forked child, which reports no steps of
    its own: all start now and are reported so, the buildings first (a progress that times
    each step from its name to the next counts the time of all under the last name); on dask
    here, while the workers build the homes.
    """
    if inputs.compute.engine == "dask":
        from geoplan.layers.distributed import partitioned_buildings

        read: list[_Unrelated] = []

        def beside_the_workers() -> None:
            alone.update(_read_alone(inputs, zones, step))
            read.append(_read_unrelated(inputs, step))

        step("buildings")
        built = partitioned_buildings(
            epc, zones, compute=inputs.compute, decimal=inputs.decimal,
            postcodes=inputs.postcodes, uprn=inputs.uprn, progress=step,
            meanwhile=beside_the_workers)
        return built, read[0] if read else _read_unrelated(inputs, step)
    for name in ["buildings", *_alone_readers(inputs, zones), *_unrelated_steps(inputs)]:
        step(name)

    def elsewhere() -> tuple[dict[str, LayerSet], _Unrelated]:
        return _read_alone(inputs, zones, _quiet), _read_unrelated(inputs, _quiet)

    with start(elsewhere) as others:
        found = read_layers(epc, "buildings", zones=zones, postcodes=inputs.postcodes,
                            uprn=inputs.uprn)
        read_alone, unrelated = others.result()
    alone.update(read_alone)
    return found, unrelated


def _quiet(_step: str) -> None:
    """Report nothing (the progress of work done in a forked child)."""


def _read_districts(given: Path | ZoneFile | None) -> gpd.GeoDataFrame | None:
    """District polygons of ``LayerInputs.districts`` (None when not given)."""
    if given is None:
        return None
    from geoplan.layers.zones import districts_from_file

    named = given if isinstance(given, ZoneFile) else ZoneFile(given)
    return districts_from_file(named.path, id_column=named.id_column,
                               name_column=named.name_column, layer=named.layer)


def _districts(layer: gpd.GeoDataFrame | None, zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if layer is not None:
        return layer
    dissolved = zones.dissolve(by=["district_id", "district_name"], as_index=False)
    return gpd.GeoDataFrame(dissolved[["district_id", "district_name", "geometry"]],
                            geometry="geometry", crs=CRS).sort_values("district_id",
                                                                      ignore_index=True)
