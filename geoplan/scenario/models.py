"""The scenario file as validated models: every key, its type, its range and its default.

This module is the one place where scenario defaults live (each workstream's section extends
that workstream's settings model from :mod:`geoplan.scenario.workstreams` with ``enabled``).
Each section of the YAML file is a pydantic model that rejects unknown keys
(``extra="forbid"``), so a typo fails loudly instead of being ignored. Paths are resolved
relative to the scenario file that sets them by the loader (:mod:`geoplan.scenario.loader`) and
must exist when the scenario is loaded.

Examples
--------
>>> section = ChargersSection(walk_distance_m=300)
>>> section.settings().walk_distance_m, section.enabled
(300.0, True)
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from geoplan.scenario.workstreams import (
    FIRST_YEAR,
    LAST_YEAR,
    PATHWAYS,
    ChargerSettings,
    Gbp,
    LaepSettings,
    RetrofitSettings,
    SequestrationSettings,
    Share,
    WorkstreamSettings,
    Year,
    at_key,
    refuse_repeats,
)
from geoplan.schemas import (
    LAND_COVER_MAPPINGS,
    LEVELS,
    OPTIMALITY_GAP,
    SAMPLE_SCALES,
    SEASONS,
    SOLVERS,
    STRATEGIES,
)
from geoplan.sources import FORMATS

__all__ = [
    "CO_BENEFITS",
    "DELIVERY",
    "EXPORT_FORMATS",
    "FIRST_YEAR",
    "LAND_COVER_OPTIONS",
    "LAST_YEAR",
    "PATHWAYS",
    "WORKSTREAMS",
    "AreaTableInput",
    "AssumptionsSection",
    "BaselineSection",
    "BuildingStockSection",
    "CarbonSection",
    "ChargersSection",
    "DeliverySection",
    "DistrictsInput",
    "ExclusionInput",
    "FinanceSection",
    "FundingSection",
    "GridSection",
    "InputsSection",
    "LaepSection",
    "OutputsSection",
    "OverrideSection",
    "PlanSection",
    "ReinforcementSection",
    "RetrofitSection",
    "Scenario",
    "SequestrationSection",
    "SolverSection",
    "WorkstreamsSection",
    "ZonesInput",
]

WORKSTREAMS = ("retrofit", "laep", "chargers", "sequestration")
LAND_COVER_OPTIONS = ("land_cover_classes", "land_cover_column")
"""Keys of ``inputs`` that say how to read ``land_cover`` (not layer files themselves)."""
DELIVERY = ("homes_retrofitted", "heat_pumps_installed", "pv_installed",
            "chargers_commissioned", "hectares_planted")
"""Delivery measures capped per period (see :mod:`geoplan.planning.phasing`)."""
CO_BENEFITS = ("fuel_poor_homes", "homes_to_target", "ev_demand_covered")
"""Co-benefits the lifetime-carbon objective can weigh, in their own units."""
EXPORT_FORMATS = ("gpkg", "shp", "geojson", "parquet", "csv")


class Relative:
    """Marker: a path resolved relative to the scenario file that sets it."""

    def __init__(self, kind: str) -> None:
        self.kind = kind


def _existing(kind: str) -> Any:
    def check(path: Path) -> Path:
        ok = {"file": path.is_file, "folder": path.is_dir, "any": path.exists}[kind]()
        if not ok:
            noun = {"file": "file", "folder": "folder", "any": "file or folder"}[kind]
            raise ValueError(f"no such {noun}: {path} (a relative path is read from the "
                             "folder of the scenario file that gives it)")
        return path
    return AfterValidator(check)


InputFile = Annotated[Path, Relative("file"), _existing("file")]
InputFolder = Annotated[Path, Relative("folder"), _existing("folder")]
InputLayer = Annotated[Path, Relative("any"), _existing("any")]
InputLayers = Annotated[
    Annotated[InputLayer, Tag("one path")] | Annotated[list[InputLayer], Tag("list")],
    Relative("any"),
    Discriminator(lambda v: "list" if isinstance(v, list | tuple) else "one path")]
"""One path or a list of paths (each checked as :data:`InputLayer`)."""
Workstream = Literal[WORKSTREAMS]  # type: ignore[valid-type]
APPORTION_WEIGHTS = ("area", "households", "dwellings", "even")
"""Weights of ``inputs.vehicles.weight`` and the like (``geoplan.layers.apportion.WEIGHTS``)."""
UNION_TAGS = ("one path", "list", "mapping")
"""Tags of the path-or-mapping unions, which never appear in a scenario file."""


_at = at_key
_unique = refuse_repeats


class Section(BaseModel):
    """Base of every section: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _path_or_mapping(model: type[BaseModel]) -> Any:
    """One path (:data:`InputLayer`), or a mapping validated by ``model``."""
    return Annotated[
        Annotated[InputLayer, Tag("one path")] | Annotated[model, Tag("mapping")],
        Relative("any"),
        Discriminator(lambda v: "mapping" if isinstance(v, dict | BaseModel) else "one path")]


class ConsumptionTableInput(Section):
    """The mapping form of ``inputs.building_stock.gas_consumption`` (and electricity)."""

    path: InputFile = Field(description="DESNZ sub-national domestic consumption table per "
                            "LSOA or MSOA (meters and total kWh; a year and a sector column "
                            "are optional).")
    year: int | None = Field(None, ge=2000, le=2100, description="The year kept (default: the "
                             "latest in the file; a year it lacks is refused).")
    lookup: InputFile | None = Field(
        None, description="An ONS code lookup from the table's codes to those of the areas "
        "or zones, e.g. MSOA11CD -> MSOA21CD (splits shared by the zones' households).")
    areas: InputLayer | None = Field(
        None, description="Polygons of the codes after the lookup (default: the building "
        "stock's areas holding them; none when the codes are zone ids).")

    def paths(self) -> list[Path]:
        """Every file and folder the mapping names."""
        return [p for p in (self.path, self.lookup, self.areas) if p is not None]

    def to_input(self) -> Any:
        """Return the ``geoplan.layers.stock_calibration.ConsumptionInput`` it describes."""
        from geoplan.layers.stock_calibration import ConsumptionInput

        return ConsumptionInput(Path(self.path), self.year,
                                None if self.lookup is None else Path(self.lookup),
                                None if self.areas is None else Path(self.areas))


class BuildingStockSection(Section):
    """Zone-level building stock from aggregated open tables (``geoplan.layers.stock``)."""

    households: InputFile = Field(
        description="Households per area (Census 2021 TS041 or an ONS custom table; any "
        "ONS geography, code column found by its values).")
    heating: InputFile | None = Field(
        None, description="Households by type of central heating per area (Census 2021 "
        "TS046 columns), e.g. the GB primaries' Census heating counts (split evenly between "
        "their NearestZone0/NearestZone1 MSOAs).")
    dwelling_types: InputFile | None = Field(
        None, description="Households by accommodation type per area (Census 2021 TS044).")
    tenure: InputFile | None = Field(
        None, description="Households by tenure per area (Census 2021 TS054): with inputs.epc, "
        "certificates are reweighted to it as well as to dwelling types.")
    epc_bands: InputFile | None = Field(
        None, description="EPC band counts per area ('Rating A'...'Rating G'), or the "
        "private-rented EPC summary (cumulative 'Rating D', 'Rating F'; biased to rented homes).")
    areas: list[InputLayer] = Field(
        default_factory=list, description="Polygons of the tables' areas (files or folders, "
        "e.g. MSOA 2021 and OA boundaries) when their codes are not zone ids.")
    weight: Literal["even", "area"] = Field(
        "even", description="How a households table coarser than the zones is split over "
        "them (other tables are split by the zones' households).")
    gas_consumption: _path_or_mapping(ConsumptionTableInput) | None = Field(  # type: ignore[valid-type]
        None, description="DESNZ sub-national domestic gas consumption per LSOA or MSOA (a "
        "path, or {path, year, lookup, areas}): gas-heated homes' modelled heat is calibrated "
        "to it per zone, bands F/G after a prebound correction (stock_calibration.csv).")
    electricity_consumption: _path_or_mapping(ConsumptionTableInput) | None = Field(  # type: ignore[valid-type]
        None, description="DESNZ sub-national domestic electricity consumption per LSOA or "
        "MSOA (a path, or {path, year, lookup, areas}): net of a non-heating baseline per "
        "home, calibrates electrically heated homes' modelled heat per zone.")

    def paths(self) -> list[Path]:
        """Every file and folder the section names."""
        named = [self.households, self.heating, self.dwelling_types, self.tenure,
                 self.epc_bands, *self.areas]
        for table in (self.gas_consumption, self.electricity_consumption):
            named += table.paths() if isinstance(table, ConsumptionTableInput) else [table]
        return [p for p in named if p is not None]

    def consumption_inputs(self) -> dict[str, Any]:
        """``gas_consumption``/``electricity_consumption`` as ``ConsumptionInput`` objects."""
        from geoplan.layers.stock_calibration import ConsumptionInput

        out: dict[str, Any] = {}
        for key in ("gas_consumption", "electricity_consumption"):
            value = getattr(self, key)
            out[key] = value.to_input() if isinstance(value, ConsumptionTableInput) else \
                None if value is None else ConsumptionInput(Path(value))
        return out


def _mapping_or_file(value: str) -> str:
    """Keep a shipped mapping's name, else check the file exists (resolved by the loader)."""
    path = Path(value)
    if path.is_file():
        return str(path)
    if path.name in LAND_COVER_MAPPINGS and not path.exists():
        return path.name
    raise ValueError(f"{value!r} is neither a shipped mapping {list(LAND_COVER_MAPPINGS)} nor "
                     "an existing mapping CSV (a relative path is read from the folder of the "
                     "scenario file that gives it)")


LandCoverClasses = Annotated[str, Relative("file"), AfterValidator(_mapping_or_file)]
"""``living-england``, ``corine``, ``osm`` or the path of a mapping CSV."""


def _as_text(value: Any) -> Any:
    """Read a number written in YAML (``values: [3]``) as the text a file holds ("3")."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g}" if float(value).is_integer() else str(value)
    return value


class ExclusionInput(Section):
    """An exclusion layer keeping only the features whose column holds the values named."""

    path: InputLayer
    column: str | None = Field(
        None, min_length=1, description="Attribute to filter on, e.g. ALC_GRADE; None: every "
        "feature of the layer is excluded.")
    values: list[Annotated[str, BeforeValidator(_as_text), Field(min_length=1)]] | None = Field(
        None, min_length=1, description="Values of the column whose features are excluded, "
        "e.g. [Grade 1, Grade 2, Grade 3a] (trimmed, ignoring case).")
    layer: str | None = Field(None, min_length=1,
                              description="Layer of a multi-layer file (default: the layer "
                              "named like the exclusion, or the only one).")

    @model_validator(mode="after")
    def _column_with_values(self) -> ExclusionInput:
        if (self.column is None) != (self.values is None):
            raise ValueError("give column and values together (e.g. column: ALC_GRADE, "
                             "values: [Grade 1, Grade 2, Grade 3a]), or neither")
        return self


ExclusionLayer = Annotated[
    Annotated[InputLayer, Tag("path")] | Annotated[ExclusionInput, Tag("filter")],
    Relative("any"),
    Discriminator(lambda v: "filter" if isinstance(v, dict | ExclusionInput) else "path")]
"""A plain path, or ``{path, column, values, layer}``."""


class AreaTableInput(Section):
    """A table of counts per area of another geography, apportioned to the zones.

    The mapping form of ``inputs.vehicles`` and ``inputs.households``: the codes are brought
    to the zones through an ONS lookup and/or the areas' polygons, sharing counts by a named
    weight (``geoplan.layers.apportion``).
    """

    path: InputFile = Field(description="The CSV table, one row per area code.")
    code_column: str | None = Field(None, min_length=1, description="Its area code column "
                                    "(default: found by name, e.g. MSOA11CD).")
    columns: list[Annotated[str, Field(min_length=1)]] | None = Field(
        None, min_length=1, description="Its value columns (vehicles: added up as EVs, default "
        "the plug-in vehicle columns; households: the household count, then optionally those "
        "without off-street parking, default a 'households' column or the one count column).")
    lookup: InputFile | None = Field(
        None, description="An ONS code lookup from the table's codes to those of areas (or "
        "of the zones), e.g. MSOA11CD -> MSOA21CD with CHNGIND: U and M pass counts whole, S "
        "and X split them by weight.")
    lookup_columns: list[Annotated[str, Field(min_length=1)]] | None = Field(
        None, min_length=2, max_length=2, description="The lookup's [old, new] code columns "
        "(default: the one holding the table's codes, and the newest of its geography).")
    areas: InputLayer | None = Field(
        None, description="Polygons of the areas (after the lookup), a vector file or a "
        "folder of them: each area's count is spread over the zones it overlaps.")
    weight: Literal[APPORTION_WEIGHTS] = Field(  # type: ignore[valid-type]
        "area", description="How counts are shared between zones and new codes: area (land "
        "area), households or dwellings (from weights:, else, for vehicles, the households "
        "per zone of inputs.households (households only) or inputs.building_stock), or even "
        "(every zone the same).")
    weights: InputFile | None = Field(
        None, description="A table of the weight per area code or zone id (a column named "
        "like the weight, else its one count column), e.g. Census households per MSOA.")

    def paths(self) -> list[Path]:
        """Every file and folder the mapping names (the table, lookup, areas and weights)."""
        named = [self.path, self.lookup, self.areas, self.weights]
        return [p for p in named if p is not None]

    def to_input(self) -> Any:
        """Return the ``geoplan.layers.apportion.AreaInput`` this mapping describes."""
        from geoplan.layers.apportion import AreaInput

        pair = tuple(self.lookup_columns) if self.lookup_columns else None
        return AreaInput(self.path, code_column=self.code_column,
                         columns=tuple(self.columns) if self.columns else None,
                         lookup=self.lookup, lookup_columns=pair,  # type: ignore[arg-type]
                         areas=self.areas, weight=self.weight, weights=self.weights)


class ZonesInput(Section):
    """The mapping form of ``inputs.zones``: the file and the columns playing each role."""

    path: InputLayer = Field(description="Zone boundaries: a vector file or a folder of them.")
    id_column: str | None = Field(None, min_length=1, description="Zone id column (default: "
                                  "zone_id, else the finest ONS code such as LSOA21CD).")
    name_column: str | None = Field(None, min_length=1, description="Zone name column.")
    district_column: str | None = Field(None, min_length=1,
                                        description="Column of each zone's district code.")
    layer: str | None = Field(None, min_length=1, description="Layer of a multi-layer file "
                              "(default: the one named zones, if any).")

    def to_input(self) -> Any:
        """Return the ``geoplan.layers.zones.ZoneFile`` this mapping describes."""
        from geoplan.layers.zones import ZoneFile

        return ZoneFile(self.path, id_column=self.id_column, name_column=self.name_column,
                        district_column=self.district_column, layer=self.layer)


class DistrictsInput(Section):
    """The mapping form of ``inputs.districts``: the file and its code and name columns."""

    path: InputLayer = Field(description="District boundaries, a vector file.")
    id_column: str | None = Field(None, min_length=1, description="District code column "
                                  "(default: district_id, else the first LAD..CD column).")
    name_column: str | None = Field(None, min_length=1, description="District name column.")
    layer: str | None = Field(None, min_length=1, description="Layer of a multi-layer file "
                              "(default: the one named districts, if any).")

    def to_input(self) -> Any:
        """Return the ``geoplan.layers.zones.ZoneFile`` this mapping describes."""
        from geoplan.layers.zones import ZoneFile

        return ZoneFile(self.path, id_column=self.id_column, name_column=self.name_column,
                        layer=self.layer)


class InputsSection(Section):
    """Where the layers come from: the embedded sample, a folder, or one path per layer."""

    sample: Literal[SAMPLE_SCALES] | None = Field(  # type: ignore[valid-type]
        None, description="Build the synthetic sample county at this scale first.")
    seed: int | None = Field(None, ge=0, description="Sample seed (None: the default).")
    folder: InputFolder | None = Field(
        None, description="A folder in the layout `geoplan sample` writes.")
    zones: _path_or_mapping(ZonesInput) | None = Field(  # type: ignore[valid-type]
        None, description="Zone boundaries: a path, or {path:, id_column:, name_column:, "
        "district_column:, layer:} when the columns do not follow the ONS names.")
    districts: _path_or_mapping(DistrictsInput) | None = Field(  # type: ignore[valid-type]
        None, description="District boundaries: a path, or {path:, id_column:, name_column:, "
        "layer:}.")
    grid: InputLayers | None = Field(
        None, description="A grid headroom file, or a list of them (one per DNO, e.g. "
        "[sepd.xlsx, nged.csv]): with several, every substation id is prefixed by its file's "
        "DNO (SSEN:..., NGED:...) so no two substations merge.")
    licence_areas: InputLayer | None = Field(
        None, description="DNO licence-area polygons (any vector file with a 'dno' column): "
        "each zone is served by the nearest substation of the DNO whose area holds it.")
    grid_format: Literal[("auto", *FORMATS)] = "auto"  # type: ignore[valid-type]
    within: str | None = Field(None, description="District or DNO area to keep.")
    epc: InputLayer | None = None
    building_stock: BuildingStockSection | None = Field(
        None, description="Zone-level building stock from aggregated tables: retrofit and "
        "LAEP plan on its archetypes without inputs.epc, and reweight certificates to it "
        "with inputs.epc.")
    postcodes: InputLayer | None = None
    uprn: InputLayer | None = None
    chargers: InputLayer | None = None
    vehicles: _path_or_mapping(AreaTableInput) | None = Field(  # type: ignore[valid-type]
        None, description="Plug-in vehicles per zone: a path, or {path:, lookup:, areas:, "
        "weight:, ...} for a table of another geography (e.g. DfT MSOA 2011 figures), "
        "apportioned to the zones.")
    households: _path_or_mapping(AreaTableInput) | None = Field(  # type: ignore[valid-type]
        None, description="Households per zone: a path, or a mapping as for vehicles (e.g. "
        "Census households per MSOA, spread over LSOAs).")
    car_parks: InputLayer | None = None
    roads: InputLayer | None = None
    land_cover: InputLayer | None = Field(
        None, description="A UKCEH Land Cover Map GeoTIFF, or any polygon land-cover or "
        "habitat layer with a class column (Living England, CORINE, OpenStreetMap land use), "
        "told apart by the file's suffix.")
    land_cover_classes: LandCoverClasses | None = Field(
        None, description="Class mapping of a polygon land_cover: living-england, corine, osm "
        "or a mapping CSV (column, value, lcm_code, note, source); None: detected from the "
        "class values.")
    land_cover_column: str | None = Field(
        None, min_length=1, description="Class column of a polygon land_cover, instead of "
        "the mapping's (e.g. A_pred for Living England, Code_18 for CORINE).")
    exclusions: dict[str, ExclusionLayer] = Field(
        default_factory=dict, description="Label -> polygon layer of land to exclude, or "
        "{path, column, values} to exclude only the features whose column holds the values.")
    emissions: InputLayer | None = None
    decimal: Literal[".", ","] = Field(
        ".", description="Decimal mark of numbers written as text in the input files (CSV "
        "cells): ',' reads '1,5' as 1.5 (and '1.234,5' as 1234.5 where a column groups "
        "thousands that way) and refuses a '.' decimal as ambiguous. The sample county "
        "uses '.'.")

    @model_validator(mode="after")
    def _one_source(self) -> InputsSection:
        layers = [k for k in self.layer_keys() if getattr(self, k)]
        given = [k for k, v in (("sample", self.sample), ("folder", self.folder)) if v]
        if layers:
            given.append("layer paths")
        if len(given) > 1:
            raise ValueError(f"give one of sample, folder or layer paths, not {given} (to "
                             "replace a base scenario's sample, set sample: null)")
        if not given:
            raise ValueError("give sample: small, folder: DIR, or zones: and grid: paths")
        if self.sample and self.decimal != ".":
            raise _at("decimal", "must be '.' with sample: (the sample county writes '.' "
                      "decimals); set decimal for your own files only")
        if isinstance(self.grid, list):
            if not self.grid:
                raise _at("grid", "is an empty list; give one grid file or several")
            _unique(self.grid, "grid")
        if layers:
            missing = [k for k in ("zones", "grid") if not getattr(self, k)]
            if missing:
                raise _at(missing[0], "is required with layer paths (zones and grid at least)")
        for key in LAND_COVER_OPTIONS:
            if getattr(self, key) is not None and self.land_cover is None:
                raise _at(key, "applies to a polygon inputs.land_cover, which is not given "
                          "(the sample's and a folder's land cover is a UKCEH raster)")
        return self

    @model_validator(mode="after")
    def _dwellings_have_values(self) -> InputsSection:
        """``weight: dwellings`` needs ``weights:`` (vehicles: or the building stock)."""
        for key in ("households", "vehicles"):
            given = getattr(self, key)
            if not isinstance(given, AreaTableInput) or given.weight != "dwellings" or \
                    given.weights is not None:
                continue
            if key == "households" or self.building_stock is None:
                raise _at(f"{key}.weights", "is required with weight: dwellings (a table of "
                          "dwellings per area or zone" + (
                              ", or inputs.building_stock" if key == "vehicles" else "") + ")")
        return self

    @classmethod
    def layer_keys(cls) -> tuple[str, ...]:
        """Keys that name layer files (the fields of ``geoplan.layers.prepare.LayerInputs``)."""
        return tuple(k for k in cls.model_fields
                     if k not in ("sample", "seed", "folder", "grid_format", "within",
                                  "decimal", *LAND_COVER_OPTIONS))


class ReinforcementSection(Section):
    """Buying grid reinforcement at a primary as an option in the plan."""

    enabled: bool = False
    cost_gbp_per_mva: Gbp | None = Field(None, description="None: the assumption table.")
    earliest_year: Year | None = Field(None, description="First year reinforcement is ready.")


class EvidenceSection(Section):
    """Grid evidence: what headroom blocks, and what more headroom would be worth."""

    resolves: int | None = Field(
        None, ge=0, le=1000,
        description="Most substations valued by re-solving the plan with their headroom "
                    "raised by step_kw (those blocking the most kW first); the others are "
                    "listed as not evaluated. 0: value none. None: 5 for a plan with one "
                    "milestone year, 0 for a phased plan (several years), whose re-solves "
                    "each cost about as much as the plan itself.")
    step_kw: float = Field(
        50.0, gt=0, allow_inf_nan=False,
        description="Headroom added at a substation, in every milestone year, for its value "
                    "per kW (about two heat-pump zones or one rapid charger).")


class GridSection(Section):
    """Which published headroom figures constrain the plan."""

    scenario: str = Field("minimum", min_length=1,
                          description="Planning scenario (minimum, CT, LW, ST, SP, best_view): "
                                      "each grid file's own name for it comes from the "
                                      "dfes_scenarios assumption table and scenario_names.")
    scenario_names: dict[str, Annotated[str, Field(min_length=1)]] = Field(
        default_factory=dict,
        description="Publisher (ssen, northern-powergrid, neso-fes-2024, snapshot, or a label "
                    "of your own) -> the name the planning scenario has in that publisher's "
                    "files; replaces the dfes_scenarios table's name for that publisher.")
    unconstrained_levels: list[Literal[LEVELS]] = Field(  # type: ignore[valid-type]
        default_factory=list,
        description="Levels the grid file gives no headroom for that the plan may leave "
                    "unconstrained; any other such level on a served substation's chain stops "
                    "the run. The summary lists the substations left unconstrained.")
    accounting: Literal["on_top", "base_year"] = Field(
        "on_top", description="on_top: plan loads on top of each year's scenario headroom, "
                              "which already subtracts the scenario's own heat pumps and EVs "
                              "(conservative); base_year: plan loads against each "
                              "substation's first published year (the plan as the area's "
                              "whole growth).")
    season: Literal[SEASONS] = "winter"  # type: ignore[valid-type]
    level: Literal[LEVELS] = Field(  # type: ignore[valid-type]
        "primary", description="Level of the substations that serve zones, homes, sites and "
                               "land: each load counts there and at every level above it.")
    missing_headroom: Literal["error", "unconstrained", "zero"] = Field(
        "error", description="A substation with no headroom figure (no row, or only blank "
                             "ones) for the scenario and season, at a level where others have "
                             "figures: stop the run (error), plan it with no limit "
                             "(unconstrained) or with no headroom (zero). Either choice is "
                             "reported with the substations it applies to.")
    max_serving_distance_km: float = Field(
        10.0, gt=0, allow_inf_nan=False,
        description="Zones whose serving substation is further away are flagged (zones "
                    "layer column serving_flag) and counted in the summary's warnings.")
    serving_overrides: dict[Annotated[str, Field(min_length=1)],
                            Annotated[str, Field(min_length=1)]] = Field(
        default_factory=dict,
        description="Zone id -> substation id (of grid.level) that serves it, where the "
                    "DNO knows better than the nearest substation (e.g. a town whose own "
                    "primaries a grid file lacks); the zone's homes, sites and land parcels "
                    "follow. Zones layer column serving_flag says set_by_scenario.")
    reinforcement: ReinforcementSection = Field(default_factory=ReinforcementSection)
    evidence: EvidenceSection = Field(default_factory=EvidenceSection)

    @model_validator(mode="after")
    def _distinct_levels(self) -> GridSection:
        _unique(self.unconstrained_levels, "unconstrained_levels")
        return self


class FundingSection(Section):
    """Money per period: the funding profile of a phased plan."""

    per_year: Gbp | None = Field(None, description="Money per year; a period gets it times "
                                 "its years (the first period runs from start_year).")
    per_period: dict[Year, Gbp] = Field(default_factory=dict, description="Milestone year "
                                        "-> money for what is built in that period.")
    carry_over: bool = Field(True, description="Money unspent in a period may be spent in a "
                             "later one (false: it lapses).")
    start_year: Year | None = Field(None, description="First year of the first period "
                                    "(default: the first milestone year).")

    @model_validator(mode="after")
    def _one_profile(self) -> FundingSection:
        if (self.per_year is None) == (not self.per_period):
            raise ValueError("give one of per_year and per_period")
        return self


class DeliverySection(Section):
    """What can be built per year (caps per period; see geoplan.planning.phasing)."""

    enabled: bool = Field(True, description="Cap what each period builds (phased plans).")
    scale: float = Field(1.0, gt=0, allow_inf_nan=False,
                         description="Share of the delivery_capacity table's (county) "
                                     "figures available to the plan's area.")
    level: Literal["per_year", "low", "high"] = Field(
        "per_year", description="Column of the delivery_capacity table used.")
    per_year: dict[Literal[DELIVERY], Annotated[  # type: ignore[valid-type]
        float, Field(ge=0, allow_inf_nan=False)]] | None = Field(
        default_factory=dict, description="Measure -> yearly capacity of the plan's area "
                                          "(replaces the table's scaled figure); null: none "
                                          "given, the table's figures (e.g. to drop a base "
                                          "file's sample figures).")


class PlanSection(Section):
    """How the plan is solved: jointly or per workstream, when and with what money."""

    mode: Literal["joint", "separate"] = "joint"
    years: list[Year] = Field(default_factory=lambda: [2027, 2030, 2040, 2050], min_length=1,
                              description="Milestone years, ascending (default: 2027, the "
                                          "first year a plan agreed now can fund, then the "
                                          "route map's 2030, 2040 and 2050).")
    horizon: Year = 2050
    budget_gbp: Gbp | None = Field(None, description="Total capex budget (None: no limit).")
    budgets: dict[Workstream, Gbp] | None = Field(
        default_factory=dict, description="Budget per workstream (null: none, e.g. to drop a "
                                          "base file's envelopes).")
    district_minimum_share: Share | None = Field(
        None, description="Least share of the spend (or benefit) each district receives.")
    weights: dict[Workstream, Annotated[float, Field(ge=0, allow_inf_nan=False)]] = Field(
        default_factory=dict, description="Joint mode: weight of each workstream's objective "
                                          "(default 1 each).")
    objective: Literal["lifetime_carbon", "share_of_potential"] = Field(
        "lifetime_carbon", description="lifetime_carbon: lifetime tCO2e with each year's "
        "carbon factor plus weighted co_benefits; share_of_potential: each workstream's share "
        "of its own potential (the old objective).")
    carbon_until: Literal["lifetime", "horizon"] = Field(
        "lifetime", description="Count a measure's tonnes over its lifetime, or only to the "
                                "horizon.")
    carbon_discount_rate: Share | None = Field(
        None, description="Yearly discount of tonnes from the first milestone year, so a "
        "tonne saved sooner counts more (None: the finance discount rate, the Green Book's "
        "3.5%; 0: undiscounted tonnes).")
    co_benefits: dict[Literal[CO_BENEFITS], Annotated[  # type: ignore[valid-type]
        float, Field(ge=0, allow_inf_nan=False)]] = Field(
        default_factory=dict, description="Co-benefit -> lifetime tCO2e it is worth per "
                                          "unit (home, EV covered); default 0.")
    funding: FundingSection | None = Field(None, description="Funding profile (None: one "
                                           "total budget).")
    delivery: DeliverySection = Field(default_factory=DeliverySection)
    tradeoff_fractions: list[Annotated[float, Field(gt=0, allow_inf_nan=False)]] = Field(
        default_factory=lambda: [0.5, 1.5], description="Budget fractions the "
        "trade-off curve re-solves at (besides the plan itself); [] writes no curve.")

    @field_validator("years")
    @classmethod
    def _ascending(cls, years: list[int]) -> list[int]:
        if any(b <= a for a, b in pairwise(years)):
            raise ValueError(f"must be strictly ascending (got {years})")
        return years

    @field_validator("horizon")
    @classmethod
    def _after_years(cls, horizon: int, info: ValidationInfo) -> int:
        years = info.data.get("years")
        if years and horizon < years[-1]:
            raise ValueError(f"must be >= the last milestone year {years[-1]} (got {horizon})")
        return horizon

    @model_validator(mode="after")
    def _funding_years(self) -> PlanSection:
        funding = self.funding
        if funding is None:
            return self
        unknown = sorted(set(funding.per_period) - set(self.years))
        if unknown:
            raise _at("funding", f"per_period names years {unknown} that are not milestone "
                      f"years {self.years}; give money for the milestone years")
        if funding.start_year is not None and funding.start_year > self.years[0]:
            raise _at("funding", f"start_year {funding.start_year} is after the first "
                      f"milestone year {self.years[0]}")
        return self


class WorkstreamSection(Section):
    """Fields every workstream section has beyond its settings: ``enabled``."""

    enabled: bool = True

    def settings(self) -> Any:
        """Return the workstream's settings (this section without ``enabled``).

        An instance of the workstream's settings model, e.g. ``ChargerSettings``.
        """
        model = next(c for c in type(self).__mro__
                     if issubclass(c, WorkstreamSettings) and not issubclass(c, Section))
        return model(**{k: getattr(self, k) for k in model.model_fields})


class RetrofitSection(RetrofitSettings, WorkstreamSection):
    """Buildings retrofit (``RetrofitSettings``)."""

    __init__ = Section.__init__  # pydantic errors, so the loader reports each at its line


class LaepSection(LaepSettings, WorkstreamSection):
    """Local area energy planning pathways per zone (``LaepSettings``)."""

    __init__ = Section.__init__  # pydantic errors, so the loader reports each at its line


class ChargersSection(ChargerSettings, WorkstreamSection):
    """EV charger sites (``ChargerSettings``)."""

    __init__ = Section.__init__  # pydantic errors, so the loader reports each at its line


class SequestrationSection(SequestrationSettings, WorkstreamSection):
    """Land for sequestration (``SequestrationSettings``)."""

    __init__ = Section.__init__  # pydantic errors, so the loader reports each at its line


class WorkstreamsSection(Section):
    """The four phase-1 workstreams; at least one must be enabled."""

    retrofit: RetrofitSection = Field(default_factory=RetrofitSection)
    laep: LaepSection = Field(default_factory=LaepSection)
    chargers: ChargersSection = Field(default_factory=ChargersSection)
    sequestration: SequestrationSection = Field(default_factory=SequestrationSection)

    @model_validator(mode="after")
    def _any_enabled(self) -> WorkstreamsSection:
        if not self.enabled():
            raise ValueError("no workstream is enabled; set enabled: true on at least one")
        return self

    def enabled(self) -> tuple[str, ...]:
        """Names of the enabled workstreams, in the fixed order retrofit, laep, chargers, ..."""
        return tuple(name for name in WORKSTREAMS if getattr(self, name).enabled)


class FinanceSection(Section):
    """Overrides of the finance assumption table (None: the table's value)."""

    discount_rate: Share | None = None
    appraisal_years: int | None = Field(None, gt=0, le=200)
    optimism_bias: float | None = Field(
        None, ge=0, le=3, allow_inf_nan=False,
        description="Uplift on capital costs in the Green Book social NPV (0.24 adds 24%; "
                    "None: the finance table's HM Treasury upper bound for standard buildings).")


class CarbonSection(Section):
    """Which carbon factors value a change in electricity use."""

    electricity_factor: Literal["long_run_marginal", "grid_average"] = Field(
        "long_run_marginal", description="long_run_marginal: the Green Book appraisal factor "
        "for a change in electricity use (carbon_factors.csv rows of basis "
        "long_run_marginal); grid_average: the grid-average reporting factor.")


class BaselineSection(Section):
    """The emissions the trajectory and the milestones are measured against."""

    year: int | None = Field(
        None, ge=1970, le=LAST_YEAR, description="Baseline year of inputs.emissions (the "
        "real table has 2005-2020; None: the latest year, "
        "skipping 2020, the COVID year, when an earlier year is given).")
    sectors: list[Annotated[str, Field(min_length=1)]] | None = Field(
        None, min_length=1, description="Sectors counted, as the emissions table names them "
        "in snake case (domestic, transport, industry, commercial, public_sector, "
        "agriculture, waste_management, lulucf); None: every sector but land use.")
    land_use: bool = Field(
        False, description="Count land use (LULUCF) in the baseline (default: kept apart, "
        "shown on its own line; removals by the plan are always a separate line).")
    given_totals: dict[Annotated[int, Field(ge=1970, le=LAST_YEAR)],
                       Annotated[float, Field(gt=0)]] = Field(
        default_factory=dict, description="Year -> emissions of the counted sectors summed "
        "over the emissions table's districts (in its unit: tCO2 for the CO2-only DESNZ "
        "table), for years the table lacks, e.g. {2022: 4100000} for the year the route-map "
        "milestone shares are calibrated to (finance.csv milestone_baseline_year): the "
        "shares are then rescaled to the baseline year with it, and the summary says the "
        "figure was given. A year the table has is refused.")

    @field_validator("sectors")
    @classmethod
    def _no_repeats(cls, sectors: list[str] | None) -> list[str] | None:
        if sectors is not None and len(set(sectors)) < len(sectors):
            raise ValueError(f"names a sector twice ({sectors})")
        return sectors


class ComputeSection(Section):
    """Where layer preparation runs: here, or per local authority on a dask cluster.

    ``engine: dask`` builds the buildings layer (EPC reading, geocoding, zones, heat demand)
    per local authority on a local cluster of ``workers`` processes, or on the running
    cluster at ``scheduler``; the layers are the same as ``engine: local`` gives
    (:mod:`geoplan.layers.distributed`; needs ``pip install 'geoplan[scale]'``).
    """

    engine: Literal["local", "dask"] = Field(
        "local", description="local: one process; dask: per local authority on dask.")
    workers: int = Field(2, ge=1, description="Worker processes (1 thread each) of the local "
                                              "dask cluster started when no scheduler is given.")
    scheduler: str | None = Field(
        None, pattern=r"^[a-z]+://\S+$", description="Address of a running dask scheduler "
        "(e.g. tcp://10.0.0.5:8786) to use instead of a local cluster; engine dask only.")

    @model_validator(mode="after")
    def _scheduler_needs_dask(self) -> ComputeSection:
        if self.scheduler is not None and self.engine != "dask":
            raise ValueError("compute.scheduler is given but compute.engine is "
                             f"{self.engine!r}; set engine: dask (or drop the scheduler)")
        return self


class SolverSection(Section):
    """Solver choice and limits (always reported with the plan)."""

    solver: Literal[SOLVERS] = "highs"  # type: ignore[valid-type]
    time_limit_s: float = Field(60.0, gt=0, allow_inf_nan=False)
    gap: float = Field(OPTIMALITY_GAP, ge=0, lt=1)
    strategy: Literal[STRATEGIES] = "auto"  # type: ignore[valid-type]
    node_limit: int | None = Field(
        None, gt=0, description="Branch-and-bound nodes per MIP solve at most: a "
        "deterministic stop, so a run that ends on it repeats exactly (the summary's "
        "stopped_by says work_limit); the time limit stays the safety stop.")
    decompose: Literal["none", "by_gsp"] = Field(
        "none", description="none: one joint model; by_gsp: one sub-problem per grid supply "
        "point, the shared budgets priced by a Lagrange multiplier and the sub-plans repaired "
        "into one plan within the budgets (the summary reports the parts, the Lagrangian "
        "bound and the gap).")


class OverrideSection(Section):
    """One changed assumption: which rows of which table, new values, and why."""

    table: str = Field(min_length=1)
    where: dict[str, str | int | float] = Field(min_length=1,
                                                description="Key column -> value.")
    values: dict[str, float] = Field(min_length=1, description="Numeric column -> value.")
    source: str = Field(min_length=1, description="Public source of the new values.")


class AssumptionsSection(Section):
    """Replacement tables and single-value overrides."""

    tables: dict[str, InputFile] = Field(default_factory=dict,
                                         description="Table name -> replacement CSV.")
    set: list[OverrideSection] = Field(default_factory=list)


class OutputsSection(Section):
    """What a run writes."""

    map: bool = True
    static_map: bool = True
    formats: list[Literal[EXPORT_FORMATS]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: ["gpkg"], min_length=1)
    offline_map: bool = Field(True, description=(
        "Make map.html self-contained (Leaflet inlined, no web tiles), so it opens without "
        "internet; false loads Leaflet and OpenStreetMap tiles from the web (smaller file)."))
    sensitivity: bool = Field(True, description=(
        "Write sensitivity.csv and tornado.png: the headline figures of the chosen plan "
        "with each bounded assumption value at its low and high bound."))
    map_tiles: InputLayer | None = Field(None, description=(
        "A basemap for map.html from local tiles, for a map used offline: a folder of XYZ "
        "tiles ({z}/{x}/{y}.png, .jpg or .webp) or an .mbtiles file (raster). The tiles are "
        "copied beside the map (map_tiles/) and the map is self-contained."))
    map_tiles_attribution: str | None = Field(None, description=(
        "Credit text the tiles' licence asks for, shown on the map (required with "
        "map_tiles), e.g. '(c) OpenStreetMap contributors'."))

    @model_validator(mode="after")
    def _tiles_credited(self) -> OutputsSection:
        if self.map_tiles is not None and not (self.map_tiles_attribution or "").strip():
            raise ValueError("outputs.map_tiles needs outputs.map_tiles_attribution: the credit "
                             "the tiles' licence asks for")
        return self


class ReplacementCostSection(Section):
    """Replacement cost of the top chosen candidates."""

    top: int = Field(0, ge=0, description=(
        "Re-solve the plan without each of this many chosen candidates (largest loss if "
        "removed first) and report the objective lost; 0: off."))


class LimitValuesSection(Section):
    """Value of one more step of each binding budget and headroom limit, per milestone."""

    enabled: bool = False
    budget_step_gbp: float = Field(1_000_000.0, gt=0, allow_inf_nan=False)
    headroom_step_mva: float = Field(1.0, gt=0, allow_inf_nan=False)


class PortfolioSection(Section):
    """Distinct near-optimal plans (no-good cuts) and each candidate's frequency in them."""

    plans: int = Field(0, ge=0, description="Plans in the portfolio, the plan included; "
                                            "0 or 1: off.")
    within: float = Field(0.02, ge=0, lt=1, description="Share of the plan's objective "
                                                        "the other plans may fall short by.")


class RobustnessSection(Section):
    """Re-plans under sampled inputs and each candidate's selection frequency."""

    samples: int = Field(0, ge=0, description="Sampled re-plans; 0: off.")
    seed: int = Field(1, ge=0)
    workers: int = Field(1, ge=1, description="Worker processes (the same seed gives the "
                                              "same frequencies with any number).")
    core: float = Field(0.9, gt=0, le=1, description=(
        "Least selection frequency of a chosen candidate in the robust core."))
    floor_area_error: bool = Field(True, description=(
        "Sample the EPC floor-area error of epc_errors.csv for the buildings workstreams."))
    dfes_scenarios: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list, description="Other planning scenarios whose headroom a "
        "sample may draw (with the plan's own), e.g. [CT, LW, ST, SP].")


class DecisionSupportSection(Section):
    """Decision support on the solved plan (geoplan.planning.decision); all off by default."""

    replacement_cost: ReplacementCostSection = Field(default_factory=ReplacementCostSection)
    limit_values: LimitValuesSection = Field(default_factory=LimitValuesSection)
    portfolio: PortfolioSection = Field(default_factory=PortfolioSection)
    robustness: RobustnessSection = Field(default_factory=RobustnessSection)
    time_limit_s: float = Field(120.0, gt=0, allow_inf_nan=False, description=(
        "Seconds for each analysis of each model (its re-solves share them)."))

    def any(self) -> bool:
        """Whether any analysis is asked for."""
        return bool(self.replacement_cost.top or self.limit_values.enabled
                    or self.portfolio.plans > 1 or self.robustness.samples)


class Scenario(Section):
    """A whole scenario: load it with :func:`geoplan.scenario.load_scenario`."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="geoplan scenario")

    name: str = Field(min_length=1)
    description: str = ""
    extends: str | None = Field(None, description="Base scenario, relative to this file.")
    inputs: InputsSection
    grid: GridSection = Field(default_factory=GridSection)
    plan: PlanSection = Field(default_factory=PlanSection)
    workstreams: WorkstreamsSection = Field(default_factory=WorkstreamsSection)
    finance: FinanceSection = Field(default_factory=FinanceSection)
    carbon: CarbonSection = Field(default_factory=CarbonSection)
    baseline: BaselineSection = Field(default_factory=BaselineSection)
    solver: SolverSection = Field(default_factory=SolverSection)
    compute: ComputeSection = Field(default_factory=ComputeSection)
    assumptions: AssumptionsSection = Field(default_factory=AssumptionsSection)
    outputs: OutputsSection = Field(default_factory=OutputsSection)
    decision_support: DecisionSupportSection = Field(default_factory=DecisionSupportSection)

    _files: tuple[Path, ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _one_budget_each(self) -> Scenario:
        for name, amount in (self.plan.budgets or {}).items():
            if getattr(self.workstreams, name).budget_gbp is not None:
                raise ValueError(f"the {name} budget is set twice (plan.budgets.{name} = "
                                 f"{amount:g} and workstreams.{name}.budget_gbp); keep one")
        return self

    @property
    def files(self) -> tuple[Path, ...]:
        """Scenario files read, the loaded one first, then its bases."""
        return self._files

    def resolved(self) -> dict[str, Any]:
        """Return the scenario as resolved (defaults filled, paths absolute), JSON-able.

        For run manifests. Keys keep the model's order, so the same scenario always gives
        the same dict.
        """
        data = self.model_dump(mode="json")
        data["files"] = [str(p) for p in self._files]
        return data
