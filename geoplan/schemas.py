"""Canonical layer schemas (see DESIGN.md) and the checks every layer passes before it is used.

A canonical layer is a (Geo)DataFrame whose first columns are exactly the ones listed here, in
this order, with these dtypes; readers may add extra attribute columns after them. Spatial
layers are in :data:`CRS` (British National Grid).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geoplan.errors import LayerSchemaError, Problems
from geoplan.solver_choices import OPTIMALITY_GAP, SOLVERS, STRATEGIES

__all__ = [
    "BUILDINGS",
    "CANDIDATES",
    "CHARGERS",
    "CRS",
    "DISTRICTS",
    "EPC_BANDS",
    "EV_DEMAND",
    "HEADROOM",
    "LAND",
    "LAND_COVER_MAPPINGS",
    "LAYERS",
    "LEVELS",
    "OPTIMALITY_GAP",
    "SAMPLE_SCALES",
    "SEASONS",
    "SITES",
    "SOLVERS",
    "STRATEGIES",
    "SUBSTATIONS",
    "TENURES",
    "ZONES",
    "LayerSchema",
    "validate_layer",
]

CRS = "EPSG:27700"
"""Every analysis layer is in British National Grid."""

LEVELS = ("gsp", "bsp", "primary", "secondary")
"""Substation levels, from the transmission interface down."""

SEASONS = ("winter", "summer", "spring_autumn", "peak")
"""Headroom seasons; ``peak`` is an annual peak with no season given by the source."""

TENURES = ("owner-occupied", "private rented", "social rented", "unknown")
"""Normalised tenures (the buildings layer's ``tenure``; read by :mod:`geoplan.sources.epc`)."""

LAND_COVER_MAPPINGS = ("living-england", "corine", "osm")
"""Shipped class mappings of polygon land-cover layers (:mod:`geoplan.layers.land_mapping`)."""

SAMPLE_SCALES = ("small", "county", "region")
"""Scales of the synthetic sample county (sizes in :data:`geoplan.sample.build.SCALES`)."""


@dataclass(frozen=True)
class LayerSchema:
    """Column names and pandas dtypes of one canonical layer.

    Parameters
    ----------
    name : str
        Layer name, used as the GeoPackage layer name.
    columns : Mapping[str, str]
        Canonical column -> pandas dtype string (``"geometry"`` for the geometry column).
    key : tuple of str
        Columns whose combination must be unique.
    spatial : bool
        Whether the layer has a geometry column in :data:`CRS`.
    """

    name: str
    columns: Mapping[str, str]
    key: tuple[str, ...]
    spatial: bool = True


ZONES = LayerSchema(
    "zones",
    {
        "zone_id": "str",
        "zone_name": "str",
        "district_id": "str",
        "district_name": "str",
        "geometry": "geometry",
    },
    key=("zone_id",),
)

DISTRICTS = LayerSchema(
    "districts",
    {"district_id": "str", "district_name": "str", "geometry": "geometry"},
    key=("district_id",),
)

SUBSTATIONS = LayerSchema(
    "substations",
    {
        "substation_id": "str",
        "name": "str",
        "level": "str",
        "parent_id": "str",
        "firm_capacity_mva": "float64",
        "peak_demand_mva": "float64",
        "geometry": "geometry",
    },
    key=("substation_id",),
)

HEADROOM = LayerSchema(
    "headroom",
    {
        "substation_id": "str",
        "scenario": "str",
        "year": "Int64",
        "season": "str",
        "headroom_mva": "float64",
    },
    key=("substation_id", "scenario", "year", "season"),
    spatial=False,
)


EPC_BANDS = ("A", "B", "C", "D", "E", "F", "G")
"""Energy Performance Certificate bands, best first."""

BUILDINGS = LayerSchema(
    "buildings",
    {
        "building_id": "str",
        "uprn": "str",
        "zone_id": "str",
        "epc_band": "str",
        "sap_score": "float64",
        "property_type": "str",
        "built_form": "str",
        "age_band": "str",
        "floor_area_m2": "float64",
        "main_fuel": "str",
        "heat_demand_kwh": "float64",
        "co2_t": "float64",
        "tenure": "str",
        "geometry": "geometry",
    },
    key=("building_id",),
)

EV_DEMAND = LayerSchema(
    "ev_demand",
    {
        "zone_id": "str",
        "households": "float64",
        "households_no_offstreet": "float64",
        "evs_now": "float64",
        "evs_projected": "float64",
        "public_chargers_now": "Int64",
    },
    key=("zone_id",),
    spatial=False,
)

CHARGERS = LayerSchema(
    "chargers",
    {"device_id": "str", "kw": "float64", "connectors": "Int64", "geometry": "geometry"},
    key=("device_id",),
)

SITES = LayerSchema(
    "sites",
    {
        "site_id": "str",
        "kind": "str",
        "max_chargers": "Int64",
        "cost_gbp": "float64",
        "geometry": "geometry",
    },
    key=("site_id",),
)

LAND = LayerSchema(
    "land",
    {
        "parcel_id": "str",
        "land_class": "str",
        "area_ha": "float64",
        "seq_tco2e_per_yr": "float64",
        "cost_gbp": "float64",
        "zone_id": "str",
        "geometry": "geometry",
    },
    key=("parcel_id",),
)

CANDIDATES = LayerSchema(
    "candidates",
    {
        "candidate_id": "str",
        "workstream": "str",
        "group_id": "str",
        "zone_id": "str",
        "district_id": "str",
        "substation_id": "str",
        "cost_gbp": "float64",
        "tco2e_per_yr": "float64",
        "peak_kw_added": "float64",
        "geometry": "geometry",
    },
    key=("candidate_id",),
)
"""What every workstream hands to the optimiser; extra benefit columns may follow."""

LAYERS: dict[str, LayerSchema] = {
    schema.name: schema
    for schema in (ZONES, DISTRICTS, SUBSTATIONS, HEADROOM, BUILDINGS, EV_DEMAND, CHARGERS,
                   SITES, LAND, CANDIDATES)
}
"""Every canonical schema by layer name."""


def validate_layer(frame: pd.DataFrame, schema: LayerSchema, source: str | None = None) -> None:
    """Check ``frame`` against ``schema``, listing every problem at once.

    Parameters
    ----------
    frame : pandas.DataFrame or geopandas.GeoDataFrame
        The layer to check.
    schema : LayerSchema
        The canonical schema it must follow.
    source : str, optional
        File name to mention in messages.

    Raises
    ------
    LayerSchemaError
        When a column is missing or out of order, the key is not unique, a value is outside
        its allowed set, or the CRS is not :data:`CRS`.
    """
    problems = Problems(source, sheet=schema.name)
    expected = list(schema.columns)
    missing = [c for c in expected if c not in frame.columns]
    for column in missing:
        problems.add("canonical column is missing", column=column,
                     fix=f"the {schema.name} layer needs columns {expected}")
    if not missing and list(frame.columns[: len(expected)]) != expected:
        problems.add(f"columns are {list(frame.columns)}, expected {expected} first",
                     fix="reorder the columns")
    if schema.spatial:
        _check_crs(frame, schema, problems)
    if not missing:
        _check_key(frame, schema, problems)
        _check_values(frame, schema, problems)
    problems.raise_if_any(LayerSchemaError)


def _check_crs(frame: pd.DataFrame, schema: LayerSchema, problems: Problems) -> None:
    if not isinstance(frame, gpd.GeoDataFrame):
        problems.add("layer has no geometry", fix="read it with geoplan's readers")
    elif frame.crs is None or frame.crs != gpd.GeoSeries(crs=CRS).crs:
        problems.add(f"CRS is {frame.crs}, expected {CRS}", fix=f"reproject with to_crs({CRS!r})")


def _check_key(frame: pd.DataFrame, schema: LayerSchema, problems: Problems) -> None:
    key = list(schema.key)
    duplicated = _duplicated(frame, key)
    if duplicated.any():
        sample = frame.loc[duplicated, key].head(3).to_dict("records")
        problems.add(f"{int(duplicated.sum())} rows share a key, e.g. {sample}",
                     column=", ".join(key), fix="make the key unique")
    for column in key:
        if column != "year" and frame[column].isna().any():
            problems.add(f"{int(frame[column].isna().sum())} rows have no value", column=column,
                         fix="every row needs a key")


def _duplicated(frame: pd.DataFrame, key: list[str]) -> pd.Series:
    """``frame.duplicated(subset=key, keep=False)``, without its slow path.

    One column: none when the column's values are unique (``is_unique``, which finds
    them as ``duplicated`` does: two ``NaN`` repeat, ``None`` and ``NaN`` do not), else the
    column's own ``duplicated`` (pandas' route for one column, so ``None`` and ``NaN`` in an
    object column stay different, as there; a million text keys 0.95 -> 0.4 s). Several: on
    integer codes of each column, missing values equal to each other (as pandas has them
    for several columns).
    """
    if not key:
        return pd.Series(False, index=frame.index)
    if len(key) == 1:
        column = frame[key[0]]
        if isinstance(column, pd.Series) and (_increasing_text(column) or column.is_unique):
            return pd.Series(False, index=frame.index)  # the usual case, faster
        return column.duplicated(keep=False).rename(None)
    codes = pd.DataFrame({i: pd.factorize(frame[column])[0] for i, column in enumerate(key)})
    return pd.Series(codes.duplicated(keep=False).to_numpy(), index=frame.index)


def _increasing_text(column: pd.Series) -> bool:
    """Whether ``column`` is Arrow text without gaps, each value after the one before.

    Then no value repeats: a layer sorted by its key (the buildings, by ``building_id``) is
    checked in one pass of comparisons (1.2 million keys: 0.003 s, against 0.35 s for
    ``is_unique``, which hashes them). False says nothing: ``is_unique`` decides then.
    """
    dtype = column.dtype
    if not isinstance(dtype, pd.StringDtype) or dtype.storage != "pyarrow" or len(column) < 2:
        return False
    values = pa.array(column.array)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return values.null_count == 0 and bool(pc.all(pc.greater(values[1:], values[:-1])).as_py())


def _check_values(frame: pd.DataFrame, schema: LayerSchema, problems: Problems) -> None:
    allowed = {"level": LEVELS, "season": SEASONS, "epc_band": EPC_BANDS}
    for column, values in allowed.items():
        if column in schema.columns:
            bad = sorted(set(frame[column].dropna().unique()) - set(values))
            if bad:
                problems.add(f"values {bad} are not allowed", column=column,
                             fix=f"use one of {list(values)}")
    if "parent_id" in schema.columns and "substation_id" in schema.columns:
        orphans = sorted(set(frame["parent_id"].dropna().unique())
                         - set(frame["substation_id"].unique()))
        if orphans:
            problems.add(f"parents {orphans[:5]} are not substations of this layer",
                         column="parent_id", fix="add the parent substations")
