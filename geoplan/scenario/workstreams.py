"""Settings of each workstream: one pydantic model each, used by the scenario and the workstream.

The scenario's ``workstreams.<name>`` sections (:mod:`geoplan.scenario.models`) extend these
models with ``enabled``; the workstream modules (:mod:`geoplan.workstreams`) take them as their
settings. Defaults and ranges are written here once, as pydantic ``Field`` constraints.

Built directly, a bad value raises :class:`~geoplan.errors.ScenarioError` naming the workstream,
each bad key, its value and what it allows; inside a scenario file the loader reports the same
errors at their line.

Examples
--------
>>> ChargerSettings(walk_distance_m=300).walk_distance_m
300.0
>>> ChargerSettings(walk_distance_m=0)
Traceback (most recent call last):
...
geoplan.errors.ScenarioError: chargers settings: walk_distance_m=0: input should be greater than 0
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from geoplan.errors import ScenarioError
from geoplan.layers.site_names import SITE_ROAD_NAME_M
from geoplan.schemas import EPC_BANDS, TENURES

__all__ = [
    "CHARGER_KW",
    "FIRST_YEAR",
    "LAST_YEAR",
    "PATHWAYS",
    "ChargerSettings",
    "LaepSettings",
    "RetrofitSettings",
    "SequestrationSettings",
    "WorkstreamSettings",
]

FIRST_YEAR, LAST_YEAR = 2020, 2100
PATHWAYS = ("heat_pump", "heat_network", "fabric_first", "rooftop_pv", "do_nothing")
"""LAEP pathways per zone (``do_nothing`` keeps an explicit zero option)."""
CHARGER_KW = (7, 22, 50, 150)
"""Charger power classes a plan may offer (rows of ``charger_types.csv``)."""
_COMMON_WEIGHTS = ("tco2e_per_yr", "saving_gbp_per_yr", "cost_gbp", "peak_kw_added")

Year = Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR)]
Gbp = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0, le=1)]
Weight = Annotated[float, Field(allow_inf_nan=False)]


def at_key(key: str, message: str) -> ValueError:
    """Make an error reported at ``key`` inside the model being validated."""
    return ValueError(f"@{key}: {message}")


def refuse_repeats(values: Any, key: str) -> None:
    """Raise :func:`at_key` when ``values`` lists something more than once."""
    values = list(values)
    repeated = sorted({str(v) for v in values if values.count(v) > 1})
    if repeated:
        raise at_key(key, f"lists {', '.join(repeated)} more than once")


def _problem(error: Any, data: dict[str, Any]) -> tuple[str, str]:
    """``(key, text)`` of one pydantic error: the key, its value and what is allowed."""
    message = str(error["msg"]).removeprefix("Value error, ")
    if message.startswith("@"):
        key, _, message = message[1:].partition(": ")
        return key, f"{key} {message}"
    key = str(error["loc"][0]) if error["loc"] else ""
    if error["type"] == "extra_forbidden":
        return key, f"unknown setting {key!r}"
    value = data.get(key, error.get("input"))
    return key, f"{key}={value!r}: {message[:1].lower()}{message[1:]}"


class WorkstreamSettings(BaseModel):
    """Fields every workstream's settings have; unknown keys are errors, values immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    workstream: ClassVar[str] = ""

    budget_gbp: Gbp | None = Field(default=None, description="Budget for this workstream alone.")

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as error:
            problems: dict[str, str] = {}
            for item in error.errors():
                key, text = _problem(item, data)
                problems.setdefault(key, text)
            raise ScenarioError(f"{self.workstream} settings: "
                                + "; ".join(problems.values())) from None


class RetrofitSettings(WorkstreamSettings):
    """Settings of the retrofit workstream (buildings retrofit, per zone or per home).

    ``weights`` are objective weights over candidate columns (normalised, see
    :class:`~geoplan.optimise.MaximiseBenefit`); ``fuel_poverty_imd_column`` is the buildings
    (or zones) column of IMD deciles, used instead of tenure when present;
    ``trajectory_years`` are the years of the extra ``tco2e_per_yr_<year>`` columns.
    """

    workstream: ClassVar[str] = "retrofit"

    target_band: Literal[EPC_BANDS] = "C"  # type: ignore[valid-type]
    unit: Literal["zone", "home"] = "zone"
    min_homes: int = Field(default=1, ge=0,
                           description="Zone options helping fewer homes are dropped.")
    weights: dict[Literal[(*_COMMON_WEIGHTS, "homes", "homes_to_target",  # type: ignore[valid-type]
                           "fuel_poor_homes")], Weight] = Field(
        default_factory=lambda: {"tco2e_per_yr": 1.0})
    heat_pump_ready: bool = True
    fuel_poverty_sap_below: float = Field(default=55.0, ge=0, le=150,
                                          description="SAP score below which a home is "
                                                      "likely fuel poor (proxy).")
    year: Year = 2030
    fuel_poverty_tenures: tuple[Literal[TENURES], ...] = Field(  # type: ignore[valid-type]
        default_factory=lambda: ("private rented", "social rented"),
        description="Tenures counted as the low-income proxy when no IMD column is given.")
    fuel_poverty_imd_column: str = Field(default="imd_decile", min_length=1)
    fuel_poverty_imd_max: int = Field(default=3, ge=1, le=10,
                                      description="IMD deciles up to this one count as deprived.")
    trajectory_years: tuple[Year, ...] = Field(default_factory=lambda: (2025, 2030, 2040, 2050),
                                               min_length=1)
    ready_max_kwh_per_m2: float | None = Field(
        default=None, gt=0, allow_inf_nan=False,
        description="Heat-pump-ready heat demand intensity (None: heat_pathways.csv).")


class LaepSettings(WorkstreamSettings):
    """Settings of the LAEP workstream (local area energy planning pathways per zone).

    ``target_band`` is the band of the fabric first pathway and of heat pump packages.
    """

    workstream: ClassVar[str] = "laep"

    heat_network_min_density_gwh_per_km2: float | None = Field(
        default=None, ge=0, allow_inf_nan=False,
        description="Heat demand density a zone needs for the heat network pathway "
                    "(None: heat_pathways.csv).")
    pathways: tuple[Literal[PATHWAYS], ...] = Field(  # type: ignore[valid-type]
        default_factory=lambda: PATHWAYS, min_length=1)
    weights: dict[Literal[(*_COMMON_WEIGHTS, "homes",  # type: ignore[valid-type]
                           "heat_mwh_per_yr")], Weight] = Field(
        default_factory=lambda: {"tco2e_per_yr": 1.0})
    year: Year = 2030
    target_band: Literal[EPC_BANDS] = "C"  # type: ignore[valid-type]
    trajectory_years: tuple[Year, ...] = Field(default_factory=lambda: (2025, 2030, 2040, 2050),
                                               min_length=1)

    @model_validator(mode="after")
    def _distinct(self) -> LaepSettings:
        refuse_repeats(self.pathways, "pathways")
        return self


class ChargerSettings(WorkstreamSettings):
    """Settings of the EV charger workstream.

    ``walk_distance_m`` is the reach of a charger from a home (along the roads graph when one
    is given and ``use_roads``); ``budget_gbp`` may be e.g. a LEVI allocation for new sites;
    ``coverage_weight`` weighs the coverage term (share of residual demand covered);
    ``capacitated`` limits the demand a site serves to its chargers' capacity;
    ``ev_attribution_share`` is the share of the petrol-to-EV switch carbon of the EVs a
    charger serves that the charger is credited with (None: the ``ev_attribution`` table's
    row).
    """

    workstream: ClassVar[str] = "chargers"

    walk_distance_m: float = Field(default=400.0, gt=0, allow_inf_nan=False)
    use_roads: bool = True
    charger_kw: tuple[Literal[CHARGER_KW], ...] = Field(  # type: ignore[valid-type]
        default_factory=lambda: (7, 22, 50), min_length=1)
    ev_year: Year = 2030
    coverage_floor_share: Share | dict[str, Share] | None = Field(
        default=None, description="Least share of each district's demand covered (one share, or "
                          "district id -> share).")
    locked_in: tuple[str, ...] = Field(default_factory=tuple,
                                       description="Site ids already funded.")
    coverage_weight: float = Field(default=1.0, ge=0, allow_inf_nan=False)
    capacitated: bool = True
    ev_attribution_share: Share | None = Field(
        default=None, description="Share of the petrol-to-EV switch carbon of the EVs a charger "
        "serves credited to it, in the plan's tCO2e and objective (None: the ev_attribution "
        "table, 0.25, indicative; 0: chargers carry no carbon and the switch is shown only "
        "beside the headline).")
    site_sizes: tuple[Annotated[int, Field(ge=1)], ...] = Field(
        default_factory=lambda: (2, 4, 8, 16), min_length=1,
        description="Numbers of chargers offered per site and class.")
    demand_cell_m: float | None = Field(
        default=100.0, gt=0, allow_inf_nan=False,
        description="Gather home demand points per square cell of this side (None: per home).")
    site_name_road_m: float | None = Field(
        default=SITE_ROAD_NAME_M, ge=0, allow_inf_nan=False,
        description="A site without a name of its own is called '<kind> off <road>' after the "
                    "nearest named road within this many metres (None: never; names are for "
                    "people only, see geoplan.layers.site_names).")

    @model_validator(mode="after")
    def _distinct(self) -> ChargerSettings:
        refuse_repeats(self.charger_kw, "charger_kw")
        refuse_repeats(self.locked_in, "locked_in")
        refuse_repeats(self.site_sizes, "site_sizes")
        return self


class SequestrationSettings(WorkstreamSettings):
    """Settings of the sequestration workstream (land for sequestration).

    ``mode`` ``"maximise"`` gives the most tCO2e/yr under the budget; ``"offset"`` the least
    cost to offset ``offset_share`` of each district's residual emissions.
    ``compactness_bonus_per_m`` is the objective value of one metre of boundary shared by two
    chosen parcels; ``min_area_ha`` the smallest parcel offered. ``include_land_cost`` adds the
    land's cost to the planting cost (false when the council owns the land);
    ``average_years`` is the period the headline tCO2e/yr of profiled woodland is averaged over;
    ``peat_condition`` the condition assumed for peat parcels the land layer gives none.
    """

    workstream: ClassVar[str] = "sequestration"

    mode: Literal["maximise", "offset"] = "maximise"
    offset_share: Share | None = Field(
        default=None, description="Share of district residual emissions to offset (mode offset).")
    compactness_bonus_per_m: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    land_uses: tuple[str, ...] | None = Field(default=None, description="None: every land use.")
    min_area_ha: float = Field(default=1.0, ge=0, allow_inf_nan=False)
    emissions_year: Year | None = Field(
        default=None, description="Year of the residual emissions (None: each district's latest).")
    include_land_cost: bool = Field(
        default=True, description="Add the land's cost (capitalised farm rent, "
        "land_cost_gbp_per_ha of sequestration.csv) to each parcel's planting cost; false when "
        "the council already owns the land.")
    peat_condition: str | None = Field(
        default=None, description="Condition (a row of peat_conditions.csv) of peat parcels "
        "whose land layer gives no peat_condition; None: such parcels are not offered (only "
        "degraded peat is additional).")
    average_years: int = Field(
        default=30, ge=1, le=200, description="Years after planting over which the headline "
        "tCO2e/yr of a land use with a time profile (woodland_profile.csv) is averaged; lifetime "
        "carbon and the trajectory follow the profile year by year.")

    @model_validator(mode="after")
    def _offset_needs_share(self) -> SequestrationSettings:
        if self.mode == "offset" and self.offset_share is None:
            raise at_key("offset_share", "is required when mode is offset (e.g. 0.5)")
        return self
