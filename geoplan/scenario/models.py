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
    "LAST_YEAR",
    "PATHWAYS",
    "WORKSTREAMS",
    "AssumptionsSection",
    "ChargersSection",
    "DeliverySection",
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
]

WORKSTREAMS = ("retrofit", "laep", "chargers", "sequestration")
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


_at = at_key
_unique = refuse_repeats


class Section(BaseModel):
    """Base of every section: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class InputsSection(Section):
    """Where the layers come from: the embedded sample, a folder, or one path per layer."""

    sample: Literal[SAMPLE_SCALES] | None = Field(  # type: ignore[valid-type]
        None, description="Build the synthetic sample county at this scale first.")
    seed: int | None = Field(None, ge=0, description="Sample seed (None: the default).")
    folder: InputFolder | None = Field(
        None, description="A folder in the layout `geoplan sample` writes.")
    zones: InputLayer | None = None
    districts: InputLayer | None = None
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
    postcodes: InputLayer | None = None
    uprn: InputLayer | None = None
    chargers: InputLayer | None = None
    vehicles: InputLayer | None = None
    households: InputLayer | None = None
    car_parks: InputLayer | None = None
    roads: InputLayer | None = None
    land_cover: InputLayer | None = None
    exclusions: dict[str, InputLayer] = Field(default_factory=dict)
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
        return self

    @classmethod
    def layer_keys(cls) -> tuple[str, ...]:
        """Keys that name layer files (the fields of ``geoplan.layers.prepare.LayerInputs``)."""
        return tuple(k for k in cls.model_fields
                     if k not in ("sample", "seed", "folder", "grid_format", "within",
                                  "decimal"))


class ReinforcementSection(Section):
    """Buying grid reinforcement at a primary as an option in the plan."""

    enabled: bool = False
    cost_gbp_per_mva: Gbp | None = Field(None, description="None: the assumption table.")
    earliest_year: Year | None = Field(None, description="First year reinforcement is ready.")


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
    reinforcement: ReinforcementSection = Field(default_factory=ReinforcementSection)

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
        float, Field(ge=0, allow_inf_nan=False)]] = Field(
        default_factory=dict, description="Measure -> yearly capacity of the plan's area "
                                          "(replaces the table's scaled figure).")


class PlanSection(Section):
    """How the plan is solved: jointly or per workstream, when and with what money."""

    mode: Literal["joint", "separate"] = "joint"
    years: list[Year] = Field(default_factory=lambda: [2025, 2030, 2040, 2050], min_length=1,
                              description="Milestone years, ascending.")
    horizon: Year = 2050
    budget_gbp: Gbp | None = Field(None, description="Total capex budget (None: no limit).")
    budgets: dict[Workstream, Gbp] = Field(default_factory=dict,
                                           description="Budget per workstream.")
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


class SolverSection(Section):
    """Solver choice and limits (always reported with the plan)."""

    solver: Literal[SOLVERS] = "highs"  # type: ignore[valid-type]
    time_limit_s: float = Field(60.0, gt=0, allow_inf_nan=False)
    gap: float = Field(OPTIMALITY_GAP, ge=0, lt=1)
    strategy: Literal[STRATEGIES] = "auto"  # type: ignore[valid-type]


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
    offline_map: bool = False


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
    solver: SolverSection = Field(default_factory=SolverSection)
    assumptions: AssumptionsSection = Field(default_factory=AssumptionsSection)
    outputs: OutputsSection = Field(default_factory=OutputsSection)

    _files: tuple[Path, ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _one_budget_each(self) -> Scenario:
        for name, amount in self.plan.budgets.items():
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
