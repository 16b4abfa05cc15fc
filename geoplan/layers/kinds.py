"""Readers for the kinds of layer beyond zones and substations, for :func:`read_layers`.

Each reader takes ``(source, within, **options)`` and returns a
:class:`~geoplan.layers.read.LayerSet` with a summary for ``geoplan layers validate``:

* ``buildings``: :func:`geoplan.layers.buildings.buildings_from_epc` (plus ``zone_buildings``);
* ``ev_demand``: :func:`geoplan.layers.ev.ev_demand_from_tables`;
* ``chargers``: :func:`geoplan.sources.chargepoint_registry.read_chargepoints`;
* ``sites``: :func:`geoplan.layers.sites.sites_from_layer`;
* ``land``: :func:`geoplan.layers.land.land_parcels_from_raster` for a raster,
  :func:`geoplan.layers.land_vector.land_parcels_from_polygons` for a vector file (by its
  suffix, :data:`~geoplan.layers.layer_set.VECTOR_SUFFIXES`).

The options each takes are listed in :mod:`geoplan.layers.read`; :data:`READERS` maps a kind to
its reader.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geoplan.errors import LayerSchemaError, ScenarioError
from geoplan.layers.layer_set import (
    VECTOR_SUFFIXES,
    LayerSet,
    PathLike,
    Source,
    ZonesInput,
    crs_name,
    rows_within,
    source_name,
    zones_layer,
)
from geoplan.schemas import EPC_BANDS

__all__ = ["READERS"]


def _one(source: Source, kind: str) -> Path:
    if not isinstance(source, str | Path):
        raise ValueError(f"{kind} are read from one file at a time")
    return Path(source)


def _share(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _buildings(source: Source, within: str | None, *, zones: ZonesInput = None,
               districts: PathLike | None = None, postcodes: PathLike | None = None,
               uprn: PathLike | None = None) -> LayerSet:
    from geoplan.layers.buildings import buildings_from_epc, zone_summary

    zone_layer = zones_layer(zones, districts)
    layer = buildings_from_epc(source, zone_layer, uprn_coordinates=uprn, postcodes=postcodes)
    report = layer.attrs["report"]
    if within is not None:
        layer, zone_layer = rows_within(layer, within, zone_layer, "home")
    layers: dict[str, pd.DataFrame] = {"buildings": layer}
    if zone_layer is not None:
        layers["zone_buildings"] = zone_summary(layer, zone_layer)
    geo = report.geocode
    warnings = []
    if geo.unmatched:
        warnings.append(f"{geo.unmatched:,} of {geo.homes:,} homes could not be located "
                        f"({geo.no_postcode:,} have no postcode); they are kept without "
                        "geometry or zone")
    if report.outside_zones:
        warnings.append(f"{report.outside_zones:,} located homes fall in no zone")
    if report.invalid:
        warnings.append(f"unreadable cells left empty: {dict(report.invalid)}")
    if report.implausible:
        warnings.append("certificates dropped for an implausible value, per column: "
                        f"{dict(report.implausible)}")
    if report.heat_demand_missing:
        warnings.append(f"heat demand unknown for {report.heat_demand_missing:,} homes")
    bands = layer["epc_band"].value_counts()
    summary = {
        "source": source_name(source), "format": "epc", "crs": crs_name(layer),
        "files": len(report.files), "certificates": report.rows_read,
        "duplicates_dropped": report.duplicates_dropped, "homes": len(layer),
        "by_uprn": geo.by_uprn, "by_postcode": geo.by_postcode, "unmatched": geo.unmatched,
        "by_uprn_pct": _share(geo.by_uprn, geo.homes),
        "by_postcode_pct": _share(geo.by_postcode, geo.homes),
        "unmatched_pct": _share(geo.unmatched, geo.homes),
        "outside_zones": report.outside_zones,
        "zones_with_homes": None if zone_layer is None else int(layer["zone_id"].nunique()),
        "bands": {b: int(bands.get(b, 0)) for b in EPC_BANDS},
        "no_band": int(layer["epc_band"].isna().sum()),
    }
    return LayerSet("buildings", layers, source_name(source), "epc", tuple(warnings), summary)


def _ev_demand(source: Source, within: str | None, *, zones: ZonesInput = None,
               districts: PathLike | None = None, households: PathLike | None = None,
               chargers: PathLike | gpd.GeoDataFrame | None = None,
               uptake: Mapping[int, float] | None = None, plan_year: int = 2030) -> LayerSet:
    from geoplan.layers.ev import ev_demand_from_tables

    zone_layer = zones_layer(zones, districts)
    if zone_layer is None:
        raise LayerSchemaError(f"{source_name(source)}: EV demand is counted per zone and needs "
                               "the zones (fix: pass zones=, or --zones ZONES.gpkg)")
    if chargers is not None and not isinstance(chargers, gpd.GeoDataFrame):
        chargers = _chargers(chargers, None).layers["chargers"]
    frame = ev_demand_from_tables(zone_layer, _one(source, "vehicle tables"),
                                  households=households, chargers=chargers, uptake=uptake,
                                  plan_year=plan_year)
    report, warnings = frame.attrs["report"], tuple(frame.attrs["warnings"])
    if within is not None:
        frame, zone_layer = rows_within(frame, within, zone_layer, "zone")
    summary = {
        "source": source_name(source), "format": "ev-tables", "crs": None, "zones": len(frame),
        "vehicle_columns": report.get("vehicle_columns", []),
        "codes_left_out": len(report.get("codes_left_out", [])),
        **{c: float(frame[c].sum()) for c in ("households", "households_no_offstreet",
                                              "evs_now", "evs_projected")},
        "public_chargers_now": None if frame["public_chargers_now"].isna().all() else
        int(frame["public_chargers_now"].sum()),
        "plan_year": plan_year,
    }
    return LayerSet("ev_demand", {"ev_demand": frame}, source_name(source), "ev-tables", warnings,
                    summary)


def _chargers(source: Source, within: str | None, *, layer: str | None = None,
              crs: str | None = None, zones: ZonesInput = None,
              districts: PathLike | None = None) -> LayerSet:
    from geoplan.sources.chargepoint_registry import read_chargepoints

    records = read_chargepoints(_one(source, "chargers"), layer=layer, crs=crs)
    frame = records.frame
    if within is not None:
        frame, _ = rows_within(frame, within, zones_layer(zones, districts), "charger")
    described = records.describe()
    warnings = [f"left out {len(lines)} rows: {reason} (lines {lines[:10]})"
                for reason, lines in records.rejected_by_reason().items()]
    summary = {**described, "format": "chargepoint-registry", "crs": crs_name(frame),
               "chargers": len(frame), "connectors": int(frame["connectors"].sum()),
               "kw_known": int(frame["kw"].notna().sum()),
               "kw_50_plus": int((frame["kw"] >= 50).sum())}
    return LayerSet("chargers", {"chargers": frame}, records.source.name,
                    "chargepoint-registry", (*warnings, *records.notes), summary)


def _sites(source: Source, within: str | None, *, site_kind: str | None = None,
           site_kind_column: str | None = None, layer: str | None = None,
           crs: str | None = None, zones: ZonesInput = None,
           districts: PathLike | None = None) -> LayerSet:
    from geoplan.layers.sites import sites_from_layer

    sites = sites_from_layer(_one(source, "sites"), kind=site_kind,
                             kind_column=site_kind_column, vector_layer=layer, crs=crs)
    report, warnings = sites.attrs["report"], tuple(sites.attrs.get("warnings", ()))
    if within is not None:
        sites, _ = rows_within(sites, within, zones_layer(zones, districts), "site")
    summary = {"source": source_name(source), "format": "vector", "crs": crs_name(sites),
               "features": report["features"], "sites": len(sites),
               "left_out": dict(report["left_out"]),
               "kinds": {str(k): int(v) for k, v in sites["kind"].value_counts().items()},
               "max_chargers": int(sites["max_chargers"].sum()),
               "cost_gbp": float(sites["cost_gbp"].sum())}
    return LayerSet("sites", {"sites": sites}, source_name(source), "vector", warnings, summary)


def _land(source: Source, within: str | None, *, exclusions: Mapping[str, Any] | None
          = None, zones: ZonesInput = None, districts: PathLike | None = None,
          method: str = "blocks", block_size_m: float = 500.0, min_area_ha: float = 1.0,
          mapping: str | PathLike | None = None, class_column: str | None = None) -> LayerSet:
    from geoplan.layers.land import exclusions_from_files

    path = _one(source, "land-cover files")
    zone_layer = zones_layer(zones, districts)
    specs = exclusions_from_files(exclusions or {})
    polygons = path.suffix.lower() in VECTOR_SUFFIXES
    if polygons:
        from geoplan.layers.land_vector import land_parcels_from_polygons

        land = land_parcels_from_polygons(path, mapping=mapping, class_column=class_column,
                                          exclusions=specs, zones=zone_layer, method=method,
                                          block_size_m=block_size_m, min_area_ha=min_area_ha)
    else:
        from geoplan.layers.land import land_parcels_from_raster

        if mapping is not None or class_column is not None:
            raise ScenarioError(f"{path.name}: a class mapping or class column applies to "
                                "polygon land cover; a raster's codes are read through "
                                "land_cover_classes.csv (fix: leave land_cover_classes and "
                                "land_cover_column unset for a GeoTIFF)")
        land = land_parcels_from_raster(path, exclusions=specs, zones=zone_layer,
                                        method=method, block_size_m=block_size_m,
                                        min_area_ha=min_area_ha)
    report = land.attrs["report"]
    if within is not None:
        land, _ = rows_within(land, within, zone_layer, "parcel")
    summary = {"source": source_name(source), "format": "vector" if polygons else "raster",
               "crs": crs_name(land), **_land_read(report),
               "eligible_ha": report.eligible_ha, "excluded_ha": dict(report.excluded_ha),
               "available_ha": report.available_ha, "parcels": len(land),
               "parcel_ha": float(land["area_ha"].sum()),
               "small_parcels_dropped": report.small_parcels_dropped,
               "seq_tco2e_per_yr": float(land["seq_tco2e_per_yr"].sum()),
               "without_zone": int(land["zone_id"].isna().sum())}
    return LayerSet("land", {"land": land}, source_name(source),
                    "vector" if polygons else "raster", tuple(report.warnings), summary)


def _land_read(report: Any) -> dict[str, object]:
    """Say what the land reader read: cells of a raster, or features and classes of polygons."""
    if hasattr(report, "cell_size_m"):
        return {"cell_size_m": report.cell_size_m, "windows": report.windows}
    return {"features": report.features, "mapping": report.mapping,
            "class_columns": list(report.columns), "unmapped_ha": dict(report.unmapped_ha),
            "overlap_ha": report.overlap_ha}


READERS: dict[str, Callable[..., LayerSet]] = {
    "buildings": _buildings, "ev_demand": _ev_demand, "chargers": _chargers, "sites": _sites,
    "land": _land,
}
