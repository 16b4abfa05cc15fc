"""Readers for the kinds of layer beyond zones and substations, for :func:`read_layers`.

Each reader takes ``(source, within, **options)`` and returns a
:class:`~geoplan.layers.read.LayerSet` with a summary for ``geoplan layers validate``:

* ``buildings``: :func:`geoplan.layers.buildings.buildings_from_epc` (plus ``zone_buildings``),
  with the heat demand of bands F/G scaled for the prebound effect
  (:func:`geoplan.layers.stock_calibration.apply_prebound`);
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
from geoplan.layers.apportion import AreaInput, apportion_file
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
from geoplan.sources.canonical import FORMAT as OWN_FORMAT
from geoplan.sources.canonical import is_own_layer, open_layer
from geoplan.sources.numbers import COUNT, parse_column

__all__ = ["READERS", "epc_buildings_set"]


def _own(source: object, kind: str) -> pd.DataFrame | None:
    """Open geoplan's own ``kind`` layer in ``source`` as written; None for other files."""
    if isinstance(source, str | Path) and is_own_layer(source, kind):
        return open_layer(source, kind)
    return None


def _own_set(kind: str, layers: dict[str, pd.DataFrame], source: Source,
             warnings: tuple[str, ...] = ()) -> LayerSet:
    """Return a :class:`LayerSet` of geoplan's own layers, read as written."""
    main = layers[kind]
    summary = {"source": source_name(source), "format": OWN_FORMAT,
               "crs": crs_name(main) if isinstance(main, gpd.GeoDataFrame) else None,
               "rows": {name: len(frame) for name, frame in layers.items()},
               "warnings": list(warnings)}
    return LayerSet(kind, layers, source_name(source), OWN_FORMAT, warnings, summary)


def _zone_of(frame: gpd.GeoDataFrame, zones: gpd.GeoDataFrame | None,
             warnings: list[str], noun: str) -> gpd.GeoDataFrame:
    """Keep each feature's ``zone_id`` when it is one of ``zones``; else place it.

    A feature whose zone is not among ``zones`` takes the zone holding its representative
    point by the homes' rule (:func:`geoplan.layers.buildings.assign_zone_ids`: the
    smallest ``zone_id`` on a border, none outside every zone), counted in ``warnings``.
    """
    from geoplan.layers.buildings import assign_zone_ids

    if zones is None:
        return frame
    known = frame["zone_id"].astype(object).isin(set(zones["zone_id"].astype(str)))
    if known.all():
        return frame
    loose = frame[~known]
    points = gpd.GeoSeries(loose.geometry.values, crs=frame.crs).representative_point()
    ids = frame["zone_id"].astype(object).copy()
    ids[~known.to_numpy()] = assign_zone_ids(points, zones).astype(object).to_numpy()
    warnings.append(f"{len(loose):,} {noun}s had a zone not among the zones given and took "
                    "the zone holding them (none outside every zone)")
    return frame.assign(zone_id=ids.where(ids.notna(), None))


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
    own = _own(source, "buildings")
    if own is not None:  # geoplan's own buildings layer: read as written, zones refreshed
        notes: list[str] = []
        homes = _zone_of(own, zone_layer, notes, "home")
        if within is not None:
            homes, zone_layer = rows_within(homes, within, zone_layer, "home")
        kept: dict[str, pd.DataFrame] = {"buildings": homes}
        if zone_layer is not None:
            kept["zone_buildings"] = zone_summary(homes, zone_layer)
        return _own_set("buildings", kept, source, tuple(notes))
    layer = buildings_from_epc(source, zone_layer, uprn_coordinates=uprn, postcodes=postcodes)
    return epc_buildings_set(layer, source, within, zone_layer)


def epc_buildings_set(layer: gpd.GeoDataFrame, source: Source, within: str | None,
                      zone_layer: gpd.GeoDataFrame | None) -> LayerSet:
    """Return the ``buildings`` layer set of homes built from EPC certificates.

    ``layer`` is :func:`geoplan.layers.buildings.buildings_from_epc`'s result (its
    ``attrs["report"]`` read), built here or by the partitions of
    :mod:`geoplan.layers.distributed`: heat demand is prebound, ``within`` applied, the zone
    totals, warnings and summary made the same way for both.
    """
    from geoplan.layers.buildings import zone_summary
    from geoplan.layers.stock_calibration import apply_prebound

    report = layer.attrs["report"]
    layer, prebound = apply_prebound(layer)  # SAP demand of bands F/G overstates metered use
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
    warnings += prebound
    panels = int((pd.to_numeric(layer["photo_supply_pct"], errors="coerce") > 0).sum())
    if panels:
        warnings.append(f"{panels:,} homes already have solar PV (photo_supply_pct > 0): "
                        "rooftop PV is not offered to them")
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
        "heat_demand": "prebound by band" if prebound else "as modelled",
    }
    return LayerSet("buildings", layers, source_name(source), "epc", tuple(warnings), summary)


def _ev_demand(source: Source | AreaInput, within: str | None, *, zones: ZonesInput = None,
               districts: PathLike | None = None,
               households: PathLike | AreaInput | None = None,
               chargers: PathLike | gpd.GeoDataFrame | None = None,
               uptake: Mapping[int, float] | None = None, plan_year: int = 2030,
               zone_households: pd.Series | None = None) -> LayerSet:
    from geoplan.layers.ev import ev_demand_from_tables

    zone_layer = zones_layer(zones, districts)
    name = source_name(source.path if isinstance(source, AreaInput) else source)
    if zone_layer is None:
        raise LayerSchemaError(f"{name}: EV demand is counted per zone and needs "
                               "the zones (fix: pass zones=, or --zones ZONES.gpkg)")
    own = _own(source, "ev_demand")
    if own is not None:
        return _own_ev_demand(own, str(source), within, zone_layer, households, chargers)
    if chargers is not None and not isinstance(chargers, gpd.GeoDataFrame):
        chargers = _chargers(chargers, None).layers["chargers"]
    homes, vehicles, columns, notes, apportioned = _per_zone(source, households, zone_layer,
                                                             zone_households)
    frame = ev_demand_from_tables(zone_layer, vehicles, vehicle_columns=columns,
                                  households=homes, chargers=chargers, uptake=uptake,
                                  plan_year=plan_year)
    report, warnings = frame.attrs["report"], (*notes, *frame.attrs["warnings"])
    if within is not None:
        frame, zone_layer = rows_within(frame, within, zone_layer, "zone")
    summary = {
        "source": name, "format": "ev-tables", "crs": None, "zones": len(frame),
        "vehicle_columns": report.get("vehicle_columns", []),
        "codes_left_out": len(report.get("codes_left_out", [])),
        **{c: float(frame[c].sum()) for c in ("households", "households_no_offstreet",
                                              "evs_now", "evs_projected")},
        "public_chargers_now": None if frame["public_chargers_now"].isna().all() else
        int(frame["public_chargers_now"].sum()),
        "plan_year": plan_year, "apportioned": apportioned,
    }
    if apportioned.get("vehicles"):
        summary["codes_left_out"] = len(apportioned["vehicles"]["codes_left_out"])
    return LayerSet("ev_demand", {"ev_demand": frame}, name, "ev-tables", warnings, summary)


def _own_ev_demand(frame: pd.DataFrame, source: PathLike, within: str | None,
                   zones: gpd.GeoDataFrame, households: object, chargers: object) -> LayerSet:
    """Keep geoplan's own ``ev_demand`` table for the given zones (read as written)."""
    notes = []
    ids = set(zones["zone_id"].astype(str))
    outside = ~frame["zone_id"].astype(str).isin(ids)
    if outside.any():
        notes.append(f"{int(outside.sum()):,} rows are for zones not among the zones given and "
                     f"were left out (e.g. {sorted(frame.loc[outside, 'zone_id'])[:5]})")
    frame = frame[~outside].reset_index(drop=True)
    absent = len(ids - set(frame["zone_id"].astype(str)))
    if absent:
        notes.append(f"{absent:,} zones have no row in the ev_demand layer: no EV demand there")
    if households is not None or chargers is not None:
        notes.append("households and chargers were not used: the ev_demand layer holds them")
    if within is not None:
        frame, _ = rows_within(frame, within, zones, "zone")
    return _own_set("ev_demand", {"ev_demand": frame}, source, tuple(notes))


def _per_zone(vehicles: Source | AreaInput, households: PathLike | AreaInput | None,
              zones: gpd.GeoDataFrame, zone_households: pd.Series | None = None
              ) -> tuple[object, object, list[str] | None, tuple[str, ...], dict[str, dict]]:
    """Households and vehicles per zone, apportioned where given as :class:`AreaInput`.

    Vehicles weighted by ``households`` take the households per zone of ``households``,
    else ``zone_households`` (per zone id, e.g. the building stock's Census households),
    which also weigh ``dwellings`` (unless a ``weights`` table gives them).

    Returns the households and vehicle tables to pass on, the vehicle columns (None: found
    by name), the apportionment warnings and reports (per input).
    """
    from geoplan.layers.ev import pick_vehicle_columns
    from geoplan.layers.households import households_per_zone

    notes: list[str] = []
    reports: dict[str, dict] = {}
    homes: object = households
    if isinstance(households, AreaInput):
        result = apportion_file(households, zones, what="households",
                                pick_columns=_household_columns)
        homes = _zone_table(result.values, ["households", "households_no_offstreet"])
        notes += result.warnings
        reports["households"] = dict(result.report)
    if not isinstance(vehicles, AreaInput):
        return homes, _one(vehicles, "vehicle tables"), None, tuple(notes), reports
    weights = None
    if vehicles.weight == "households" and homes is not None:
        known = households_per_zone(zones, homes, None, None, [], offstreet=False)["households"]
        weights = pd.Series(known.to_numpy(), index=zones.index)
    elif vehicles.weight in ("households", "dwellings") and zone_households is not None:
        weights = pd.Series(zone_households.reindex(zones["zone_id"].astype(str)).to_numpy(
            dtype=float), index=zones.index)
    result = apportion_file(vehicles, zones, what="vehicles", pick_columns=pick_vehicle_columns,
                            zone_weights=weights)
    columns = [str(c) for c in result.values.columns]
    reports["vehicles"] = dict(result.report)
    return (homes, _zone_table(result.values, columns), columns,
            (*notes, *result.warnings), reports)


def _household_columns(table: pd.DataFrame, code: str, source: str) -> list[str]:
    """``households`` (and ``households_no_offstreet``) by name, else the one count column."""
    from geoplan.sources.cells import normalise_header

    named = {normalise_header(c).replace(" ", "_"): c for c in table.columns}
    if "households" in named:
        return [named[k] for k in ("households", "households_no_offstreet") if k in named]
    counts = [c for c in table.columns if c != code and not parse_column(table[c], COUNT)[1]]
    if len(counts) != 1:
        raise LayerSchemaError(f"{source}: no 'households' column and {len(counts)} count "
                               f"columns {counts} (fix: name the household count column with "
                               "columns: [COLUMN])")
    return counts


def _zone_table(values: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Return apportioned values as a table keyed by ``zone_id`` (zones without value left out)."""
    kept = values.dropna(how="all")
    frame = pd.DataFrame({"zone_id": kept.index.astype(str)})
    for name, column in zip(names, kept.columns, strict=False):
        frame[name] = kept[column].to_numpy()
    return frame


def _chargers(source: Source, within: str | None, *, layer: str | None = None,
              crs: str | None = None, zones: ZonesInput = None,
              districts: PathLike | None = None) -> LayerSet:
    from geoplan.sources.chargepoint_registry import read_chargepoints

    own = _own(source, "chargers")
    if own is not None:
        if within is not None:
            own, _ = rows_within(own, within, zones_layer(zones, districts), "charger")
        return _own_set("chargers", {"chargers": own}, source)
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

    own = _own(source, "sites")
    if own is not None:  # kinds, sizes and costs as written (e.g. edited by the user)
        if within is not None:
            own, _ = rows_within(own, within, zones_layer(zones, districts), "site")
        return _own_set("sites", {"sites": own}, source)
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

    zone_layer = zones_layer(zones, districts)
    own = _own(source, "land")
    if own is not None:  # parcels as written; exclusions were applied when they were made
        notes: list[str] = []
        if exclusions:
            notes.append("exclusions were not applied again: the land layer's parcels are "
                         "already what was left once they were")
        parcels = _zone_of(own, zone_layer, notes, "parcel")
        if within is not None:
            parcels, _ = rows_within(parcels, within, zone_layer, "parcel")
        return _own_set("land", {"land": parcels}, source, tuple(notes))
    path = _one(source, "land-cover files")
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
