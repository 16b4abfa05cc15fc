"""Read any supported source as one kind of canonical layer, optionally limited to an area.

This is the one entry point the ``geoplan layers`` commands (and notebooks) use::

    tables = read_layers("sepd-network-headroom-report.xlsx", "substations",
                         within="Oxfordshire")
    tables.layers["substations"], tables.layers["headroom"]

Kinds (:data:`KINDS`) and what each gives:

* ``zones``: one ``zones`` layer (:func:`geoplan.layers.zones.zones_from_file`);
* ``substations``: a ``substations`` layer plus the non-spatial ``headroom`` table
  (:func:`geoplan.sources.read_grid`);
* ``buildings``: EPC ``certificates.csv`` files located by ``uprn=`` and ``postcodes=``
  (:func:`geoplan.layers.buildings.buildings_from_epc`), plus the ``zone_buildings`` table
  (:func:`geoplan.layers.buildings.zone_summary`) when ``zones=`` is given;
* ``ev_demand``: a vehicles-by-zone table with ``zones=`` (needed), ``households=``,
  ``zone_households=`` (households per zone id weighing apportioned vehicles without them),
  ``chargers=``, ``uptake=``, ``plan_year=`` (:func:`geoplan.layers.ev.ev_demand_from_tables`);
  the vehicles and the households may be an :class:`~geoplan.layers.apportion.AreaInput`
  (a table of another geography, apportioned to the zones first);
* ``chargers``: the Chargepoint Registry CSV or GeoJSON, ``layer=``, ``crs=``
  (:func:`geoplan.sources.chargepoint_registry.read_chargepoints`);
* ``sites``: candidate charger sites from any layer, ``site_kind=`` or ``site_kind_column=``,
  ``layer=``, ``crs=`` (:func:`geoplan.layers.sites.sites_from_layer`);
* ``land``: a land-cover raster, or a polygon land-cover layer (any vector file) with
  ``mapping=`` (``living-england``, ``corine``, ``osm`` or a CSV; default: detected) and
  ``class_column=``; both take ``exclusions=`` ({label: path or
  :class:`~geoplan.layers.land.Exclusion`}), ``zones=``, ``method=``, ``block_size_m=``,
  ``min_area_ha=`` (:func:`geoplan.layers.land.land_parcels_from_raster`,
  :func:`geoplan.layers.land_vector.land_parcels_from_polygons`).

geoplan's own GeoPackages are read back by every kind: a layer named after the kind holding
its canonical columns (written by ``geoplan layers convert``, or a run's ``plan.gpkg``) is
opened as written (:func:`geoplan.sources.canonical.is_own_layer`), with buildings and land
parcels put in the given zones where their zone is not one of them; zones and districts
recognise their canonical columns, and the ``zones``/``districts`` layer of a file of several.

The readers of the kinds after ``substations`` live in :mod:`geoplan.layers.kinds`, what
they share (:class:`LayerSet`, area selection) in :mod:`geoplan.layers.layer_set`.

``within`` keeps part of any layer: a boundary file (features inside it), or a name: a DNO
reference area for substations, a district code or name for zones and for the other kinds
when ``zones=`` is given.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from geoplan.errors import (
    SourceFormatError,
)
from geoplan.layers.apportion import AreaInput
from geoplan.layers.kinds import READERS
from geoplan.layers.layer_set import (
    VECTOR_SUFFIXES,
    LayerSet,
    Source,
    crs_name,
    rows_within,
    select_grid,
    source_name,
    zones_layer,
    zones_within,
)
from geoplan.sources import GridTables, read_grid
from geoplan.sources.canonical import open_layer
from geoplan.sources.numbers import declared_decimal

if TYPE_CHECKING:
    from geoplan.layers.dno import ServedArea

__all__ = [
    "KINDS",
    "LayerSet",
    "crs_name",
    "open_layer",
    "read_layers",
    "refuse_empty",
    "rows_within",
    "select_grid",
    "source_name",
    "zones_layer",
]

logger = logging.getLogger(__name__)

KINDS = ("zones", "substations", "buildings", "ev_demand", "chargers", "sites", "land")


def read_layers(
    source: Source | AreaInput,
    kind: str,
    *,
    fmt: str = "auto",
    within: str | None = None,
    decimal: str | None = None,
    **options: object,
) -> LayerSet:
    """Read ``source`` as canonical layers of ``kind`` (module docstring).

    Parameters
    ----------
    source : path, sequence of paths, or AreaInput
        A file, a folder (zones: vector files; buildings: EPC certificate folders), or
        several files (zones, buildings; substations: one grid file per DNO, combined by
        :func:`geoplan.layers.dno.combine_grids`, which prefixes their ids).
    kind : str
        One of :data:`KINDS`.
    fmt : str
        Grid format for ``substations`` (``"auto"`` detects it from the headers).
    within : str, optional
        Keep only part of the layer: a path to a polygon file (features inside it), or a
        name: for substations an area from the DNO's reference sheet (e.g.
        ``"Oxfordshire"``), for the other kinds a district code or name of the zones.
    decimal : {".", ","}, optional
        The decimal mark of numbers written as text in the source's files (CSV cells):
        with ``","``, ``"1,5"`` reads as 1.5 and ``"1.5"`` is refused as ambiguous. Default:
        the mark already declared (:func:`geoplan.sources.numbers.declared_decimal`), else
        ``"."``.
    **options
        Passed to the reader of ``kind``: zones and substations as their readers take them
        (``id_column=``, ``districts=``, ``columns=``, ``year=``, ``layer=``, ``crs=``...;
        substations also ``served_area=``, a :class:`geoplan.layers.dno.ServedArea`: with
        several files and ``within`` a name, a file that lists no areas is cut to the
        substations that can serve those zones, see :func:`geoplan.layers.dno.select_served`);
        the other kinds as named in the module docstring, plus ``zones=`` and
        ``districts=`` for ``within`` by district name.

    Returns
    -------
    LayerSet

    Raises
    ------
    ValueError
        For an unknown ``kind`` or ``decimal``; ``TypeError`` for an option the kind does not
        take.
    SourceFormatError
        If the main layer of the result has no rows (a header-only file, an empty collection,
        or every row left out): an empty layer is never returned as a success.
    GeoplanError
        As raised by the readers (every problem of one input listed at once).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {list(KINDS)}, not {kind!r}")
    if isinstance(source, AreaInput) and kind != "ev_demand":
        raise ValueError(f"an AreaInput is read as ev_demand vehicles, not as {kind}")
    with declared_decimal(decimal):
        if kind == "zones":
            result = _zones(source, within, options)
        elif kind == "substations" and not isinstance(source, AreaInput):
            result = _substations(source, fmt, within, options)
        else:
                result = READERS[kind](source, within, **options)
    return refuse_empty(result)


def refuse_empty(result: LayerSet) -> LayerSet:
    """Refuse a result whose main layer has no rows: never write an empty layer with success.

    Raises
    ------
    SourceFormatError
        Naming the source, saying what was left out (the reader's warnings) and the fix.
    """
    name, frame = next(iter(result.layers.items()))
    if len(frame):
        return result
    left = "; ".join(result.warnings[:3])
    why = f" ({left})" if left else " (it holds a header or an empty collection, but no data)"
    raise SourceFormatError(f"{result.source}: no rows: nothing was read into the {name} "
                            f"layer{why} (fix: give a file that holds data; download it again "
                            "if it was cut short)")


def _substations(source: Source, fmt: str, within: str | None,
                 options: dict[str, object]) -> LayerSet:
    """One grid file, or several combined (:func:`geoplan.layers.dno.combine_grids`)."""
    from geoplan.layers.dno import ServedArea, combine_grids

    paths = [source] if isinstance(source, str | Path) else list(source)
    if not paths:
        raise ValueError("substations need at least one grid file")
    several = len(paths) > 1
    served = options.pop("served_area", None)
    if served is not None and not isinstance(served, ServedArea):
        raise TypeError(f"served_area must be a ServedArea, not {type(served).__name__}")
    grids = [_select(read_grid(p, fmt, **options), within, several, served) for p in paths]
    grid, tags = combine_grids(grids)
    summary = grid.describe()
    if several:
        summary["source"] = source_name(paths)
        summary["files"] = [{**g.describe(), "id_prefix": f"{tag}:"}
                            for g, tag in zip(grids, tags, strict=True)]
    return LayerSet("substations", {"substations": grid.substations, "headroom": grid.headroom},
                    source_name(source if several else paths[0]), grid.format, grid.warnings,
                    summary)


def _select(grid: GridTables, within: str | None, several: bool,
            served: ServedArea | None = None) -> GridTables:
    """:func:`select_grid`, except for one of several files that lists no areas.

    Another DNO's file may name the area; this one cannot be selected by the name. With the
    plan's zones (``served``) it is cut to the substations that can serve them
    (:func:`geoplan.layers.dno.select_served`); without, it is kept whole. The warnings say
    which, with counts.
    """
    from geoplan.layers.dno import select_served

    path = Path(within) if within is not None else None
    named = path is not None and not (path.suffix.lower() in VECTOR_SUFFIXES and path.exists())
    if several and named and "areas" not in grid.substations.columns:
        if served is not None:
            selected, note = select_served(grid, served)
            logger.warning("%s: %s", grid.source.name, note)
            return selected
        note = (f"lists no areas and no zones were given to select its substations by "
                f"place, so all {len(grid.substations)} of its substations are kept for "
                f"--within {within!r}: its whole licence area, far beyond that area "
                "(fix: give the plan's zones, e.g. a scenario's inputs.zones, or a boundary "
                "file to within)")
        logger.warning("%s: %s", grid.source.name, note)
        return replace(grid, warnings=(*grid.warnings, note))
    return select_grid(grid, within)


def _zones(source: object, within: str | None, options: dict[str, object]) -> LayerSet:
    from geoplan.layers.zones import zones_from_file

    zones = zones_from_file(source, **options)  # type: ignore[arg-type]
    warnings = tuple(zones.attrs.get("warnings", ()))
    if within is not None:
        zones = zones[zones_within(zones, within)].reset_index(drop=True)
    name = source_name(source)
    summary = {
        "source": name, "format": "vector", "crs": crs_name(zones), "zones": len(zones),
        "districts": {str(k): int(v) for k, v in
                      zones.groupby("district_name", dropna=False).size().items()},
        "area_km2": round(float(zones.area.sum()) / 1e6, 1), "warnings": list(warnings),
    }
    return LayerSet("zones", {"zones": zones}, name, "vector", warnings, summary)
