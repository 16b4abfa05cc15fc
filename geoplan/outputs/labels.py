"""Headings of summary keys for people, each with its unit.

Tonnes of different kinds (:mod:`geoplan.planning.carbon_lines`: emission reductions of
buildings, removals by sequestration, the EV switch attributed to chargers) have headings of
their own, and cost per tCO2e is the lifetime figure (capital cost over lifetime tCO2e),
called so. Lifetime tonnes are of two counts, always named apart
(:data:`~geoplan.planning.carbon_lines.UNDISCOUNTED`,
:data:`~geoplan.planning.carbon_lines.DISCOUNTED`): the finance summary's, undiscounted
(``lifetime_tco2e``, ``<kind>_lifetime_tco2e`` and the costs per tonne over them), and the
objective's, discounted at the carbon discount rate (``objective_lifetime_tco2e``, the
trade-off, the plan periods: :data:`OBJECTIVE_COLUMNS`; the sensitivity's figures:
:data:`geoplan.planning.sensitivity.FIGURES`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from geoplan.planning.carbon_lines import CARBON_WORDS, DISCOUNTED, OBJECTIVE_TONNES, UNDISCOUNTED
from geoplan.scenario.models import DELIVERY

__all__ = ["OBJECTIVE_COLUMNS", "OBJECTIVE_LIFETIME", "UNDISCOUNTED_LIFETIME", "assumption_label",
           "column_label", "distinct_sources", "field_title", "kind_heading", "stop_words"]

OBJECTIVE_LIFETIME = f"{OBJECTIVE_TONNES}, {DISCOUNTED}"
"""Name of the objective's lifetime tCO2e (a candidate's ``lifetime_tco2e_<year>``)."""
UNDISCOUNTED_LIFETIME = f"Lifetime tCO2e, {UNDISCOUNTED}"
"""Name of the finance summary's lifetime tCO2e (``lifetime_tco2e`` of a measure)."""
_KIND_WORDS = {kind: words[0].upper() + words[1:] for kind, words in CARBON_WORDS.items()}
_LABELS = {
    "tco2e_per_yr": "Tonnes of the workstream's kind (tCO2e/yr)", "cost_gbp": "Capital cost (£)",
    "capex_gbp": "Capital cost (£)", "homes": "Homes", "chargers": "Chargers",
    "area_ha": "Area (ha)", "selected": "Measures chosen", "candidates": "Candidates",
    "saving_gbp_per_yr": "Bill savings (£/yr)", "npv_gbp": "Net present value, bills only (£)",
    "social_npv_gbp": "Social NPV, Green Book (£)",
    "social_npv_low_gbp": "Social NPV, low carbon values (£)",
    "social_npv_high_gbp": "Social NPV, high carbon values (£)",
    "pv_carbon_value_gbp": "Carbon value, discounted (£)",
    "pv_capex_with_optimism_bias_gbp": "Capital cost with optimism bias, discounted (£)",
    "definitions": "Definitions",
    "cost_per_tco2e_gbp": f"Capital cost per lifetime tCO2e, {UNDISCOUNTED} (£/tCO2e)",
    "net_cost_per_tco2e_gbp": "Net cost per tCO2e in the appraisal period (£/tCO2e)",
    "lifetime_tco2e": f"{UNDISCOUNTED_LIFETIME} (tCO2e)",
    "appraisal_tco2e": "tCO2e in the appraisal period (tCO2e)",
    "objective_lifetime_tco2e": f"{OBJECTIVE_TONNES} of every kind, each year's factor, "
                                f"{DISCOUNTED} (tCO2e)",
    "gbp_per_lifetime_tco2e": f"Capital cost per {OBJECTIVE_LIFETIME[0].lower()}"
                              f"{OBJECTIVE_LIFETIME[1:]} (£/tCO2e)",
    "ev_switch_tco2e_per_yr": "Whole EV switch of the EVs the chosen chargers serve, shown "
                              "apart and in no total (tCO2e/yr)",
    **{f"{k}_tco2e_per_yr": f"{w} (tCO2e/yr)" for k, w in _KIND_WORDS.items()},
    **{f"{k}_tco2e_per_yr_added": f"{w} added (tCO2e/yr)" for k, w in _KIND_WORDS.items()},
    **{f"{k}_lifetime_tco2e": f"{w}, lifetime total, {UNDISCOUNTED} (tCO2e)"
       for k, w in _KIND_WORDS.items()},
    **{f"{k}_cost_per_lifetime_tco2e_gbp":
       f"Capital cost per lifetime tCO2e, {UNDISCOUNTED}, {w} (£/tCO2e)"
       for k, w in (("reduction", "buildings' emission reductions"),
                    ("removal", "sequestration's removals"),
                    ("ev_attributed", "EV switch attributed to chargers"))},
    "heat_mwh_per_yr": "Heat (MWh/yr)", "fuel_poor_homes": "Fuel-poor homes",
    "candidates_selected": "Candidates chosen",
    "homes_to_target": "Homes brought to the target band",
    "substations_binding": "Substations that limit the plan (headroom used up, or load blocked)",
    "candidates_blocked_by_grid": "Candidates blocked by grid headroom",
    "candidates_blocked_before_model": "Candidates left out before the model (no headroom "
                                       "at their substation, no reinforcement offered)",
    "load_adding_candidates": "Candidates that add peak load",
    "saved_tco2e": "Emission reductions, buildings (tCO2e)",
    "ev_attributed_tco2e": "EV switch attributed to chargers, apart from the nets (tCO2e)",
    **{f"{m}_cap": f"{m.replace('_', ' ')} cap (the period's capacity; capacity left unused "
       "in earlier periods may still be used)" for m in DELIVERY},
    "budget_gbp": "Budget (£)", "spent_gbp": "Spent (£)", "unspent_gbp": "Left unspent (£)",
    "candidates_not_chosen": "Candidates not chosen",
    "not_chosen_because": "Limits they would break (candidates naming each)",
    "substations_needing_flexibility": "Substations where blocked load could be unlocked "
                                       "only by flexibility (reinforcement not ready in time)",
    "flexibility_zones": "Zones whose chosen load needs flexibility (a substation short of "
                         "headroom before its reinforcement is ready)",
    "peak_kw_added": "Peak added (kW)",
    "homes_from_aggregated_data": "Homes from aggregated data (archetypes)",
    "tco2e_per_yr_low": "Emission reductions, low archetype heat demand (tCO2e/yr)",
    "tco2e_per_yr_high": "Emission reductions, high archetype heat demand (tCO2e/yr)",
    "share_d_to_g": "Homes in EPC bands D-G (share)",
    "evs_projected": "Plug-in vehicles, projected",
    "existing_chargers": "Existing chargers",
    "existing_connectors": "Connectors", "devices": "Charge devices", "connectors": "Connectors",
    "evs_already_served": "EVs already served", "evs_left_for_new_sites":
    "EVs left for new sites", "outside_zones": "Devices outside the zones (not counted)",
    "site_name": "Site", "source_id": "Id",
    "demand_covered": "EVs within reach (shared with nearby sites: do not add up)",
    "evs_within_reach_once": "EVs within reach of the chosen sites, each counted once",
    "evs_served": "EVs served (each counted at one chosen site; these add up)",
    "period": "Build year", "carbon_discount_rate": "carbon discount rate (per year)",
    "ev_attribution_share": "share of the EV switch credited to chargers",
    "simple_payback_years": "Simple payback (years)",
    "pv_capex_gbp": "Capital cost, present value (£)",
    "pv_savings_gbp": "Bill savings, present value (£)",
    "pv_residual_gbp": "Residual value at the appraisal's end, present value (£)",
    **{f"zones_heat_calibrated_{f}": f"Zones with heat calibrated to metered {f}"
       for f in ("gas", "electric")},
    **{f"heat_calibration_{f}_{s}": f"Heat calibration factor, {f} ({s} over zones)"
       for f in ("gas", "electric") for s in ("median", "min", "max")},
}
_UNITS = (("_gbp_per_yr", "£/yr"), ("_per_tco2e_gbp", "£/tCO2e"), ("_gbp", "£"),
          ("_tco2e_per_yr", "tCO2e/yr"), ("_tco2e", "tCO2e"), ("_mwh_per_yr", "MWh/yr"),
          ("_kw", "kW"), ("_mva", "MVA"), ("_ha", "ha"), ("_years", "years"))
"""Key endings and the unit a key without a label of its own is shown with."""

OBJECTIVE_COLUMNS = {"lifetime_tco2e": f"{OBJECTIVE_LIFETIME} (tCO2e)"}
"""Headings of tables whose ``lifetime_tco2e`` is the objective's (the plan periods, the
trade-off), where :func:`column_label` would name the finance summary's undiscounted count."""
def column_label(key: str) -> str:
    """Return the heading shown for a summary key, with its unit.

    A key's own label, else the key spaced with the unit its ending names (``spend_gbp`` ->
    ``spend (£)``, ``wanted_tco2e_per_yr`` -> ``wanted (tCO2e/yr)``), else the key spaced.

    Parameters
    ----------
    key : str
        A KPI or column name.

    Returns
    -------
    str
        Not escaped: pass it through :func:`escape_markdown` before writing Markdown.
    """
    if key in _LABELS:
        return _LABELS[key]
    for ending, unit in _UNITS:
        if key.endswith(ending) and len(key) > len(ending):
            return f"{key[:-len(ending)].replace('_', ' ')} ({unit})"
    return key.replace("_", " ")


_FIELD_TITLES = {
    "candidate_id": "Candidate", "workstream": "Workstream", "zone_id": "Zone code",
    "zone_name": "Zone", "district_id": "District code", "district_name": "District",
    "substation_id": "Substation", "label": "Name", "option": "Option", "selected": "Chosen",
    "rank": "Rank", "reason": "Reason", "charger_kw": "Charger power (kW)",
    "lifetime_years": "Lifetime (years)",
}
"""Titles of per-candidate columns whose summary heading (a total) would mislead."""


def field_title(column: str) -> str:
    """Return the title of a plan column (a QGIS alias): the summary's words for it.

    A per-candidate title of its own (``selected`` -> ``Chosen``), else
    :func:`column_label`'s heading, first letter capitalised.

    Examples
    --------
    >>> field_title("cost_gbp"), field_title("heat_mwh_per_yr"), field_title("x")
    ('Capital cost (£)', 'Heat (MWh/yr)', 'X')
    >>> field_title("selected"), column_label("selected")
    ('Chosen', 'Measures chosen')
    """
    if column in _FIELD_TITLES:
        return _FIELD_TITLES[column]
    text = column_label(str(column)) or str(column)
    return text[0].upper() + text[1:]


def kind_heading(kind: str | None) -> str:
    """Return the heading of a kind of tonnes (:data:`~geoplan.planning.carbon_lines.CARBON_WORDS`).

    Examples
    --------
    >>> kind_heading("removal"), kind_heading(None)
    ('Removals, sequestration', 'Carbon saved')
    """
    return _KIND_WORDS.get(kind or "", "Carbon saved")


def stop_words(stop: object) -> str | None:
    """Say what stopped a solve, in the words of summary.md and the CLI.

    ``"wall_time"`` is the hard stop, named as a safety stop; other stops lose their
    underscore; no stop gives None.

    Examples
    --------
    >>> stop_words("work_limit"), stop_words("wall_time"), stop_words("")
    ('work limit', 'wall time (safety stop)', None)
    """
    if stop == "wall_time":
        return "wall time (safety stop)"
    return str(stop or "").replace("_", " ") or None


_TABLE_WORDS = {"ev_attribution": "EV attribution", "charger_types": "Charger",
                "heat_loads": "Heat load", "peat_conditions": "Peat",
                "retrofit_measures": "Retrofit", "woodland_profile": "Woodland growth"}
"""Assumption tables whose name, spaced, reads badly."""
_ASSUMPTION_COLUMNS = {
    "kgco2e_per_kwh": "carbon factor (kgCO2e/kWh)", "gbp_per_tco2e": "carbon value (£/tCO2e)",
    "tco2e_per_ev_yr": "carbon saved per EV (tCO2e/yr)", "price_gbp_per_mwh": "price (£/MWh)",
    "hours_per_yr": "hours a year", "kw_per_home": "peak per home (kW)",
    "emission_tco2e_per_ha_yr": "emissions (tCO2e/ha/yr)",
    "restored_tco2e_per_ha_yr": "emissions once restored (tCO2e/ha/yr)",
    "saving_share": "share of heat saved", "seq_tco2e_per_ha_yr": "removal rate (tCO2e/ha/yr)",
    "land_cost_gbp_per_ha": "land cost (£/ha)", "pence_per_day": "standing charge (p/day)",
    "cumulative_tco2e_per_ha": "cumulative removal (tCO2e/ha)",
    "heat_kwh_per_m2": "heat demand (kWh/m2)",
}
"""Words of the bounded assumption columns the sensitivity varies."""
_UNIT_WORDS = {"gbp": "£", "tco2e": "tCO2e", "kgco2e": "kgCO2e", "kwh": "kWh", "mwh": "MWh",
               "kw": "kW", "mva": "MVA", "yr": "year", "ev": "EV", "m2": "m2"}


def assumption_label(table: str, key: str, column: str) -> str:
    """Return an assumption value in words: table, row and column, the column's unit named.

    Parameters
    ----------
    table, key, column : str
        The assumption table's name, the row's key (``a/b`` for a key of two columns, ``all
        rows`` for every row at once) and the column.

    Examples
    --------
    >>> assumption_label("sequestration", "woodland_creation", "land_cost_gbp_per_ha")
    'Sequestration, woodland creation: land cost (£/ha)'
    >>> assumption_label("ev_attribution", "ev_attribution_share", "value")
    'EV attribution: share of the EV switch credited to chargers'
    >>> assumption_label("charger_types", "22", "tco2e_per_ev_yr")
    'Charger, 22 kW: carbon saved per EV (tCO2e/yr)'
    >>> assumption_label("retrofit_measures", "loft_insulation/house", "cost_gbp_per_kw")
    'Retrofit, loft insulation, house: cost £ per kW'
    """
    name = _TABLE_WORDS.get(table) or table.replace("_", " ").capitalize()
    if column == "value":
        return f"{name}: {column_label(key)}"
    row = "" if key == "all rows" else ", ".join(part.replace("_", " ")
                                                for part in key.split("/"))
    if table == "charger_types" and row.isdigit():
        row = f"{row} kW"
    words = _ASSUMPTION_COLUMNS.get(column) or " ".join(
        _UNIT_WORDS.get(token, token) for token in column.split("_"))
    return f"{name}{', ' + row if row else ''}: {words}"


def distinct_sources(sources: Sequence[str]) -> list[str]:
    """Each source once: rows whose source texts differ only in their numbers are one line.

    A table such as the carbon values cites the same publication for every year, changing
    only the year and the value; summary.md and the bid pack list the first row's source and
    say how many more rows cite the same text with other numbers (years, values, table
    numbers); the table itself, named beside it, has every row.

    Examples
    --------
    >>> distinct_sources(["Table 3, year 2020", "Table 3, year 2021", "Own survey"])
    ['Table 3, year 2020 (+1 row: the same text with other numbers)', 'Own survey']
    """
    groups: dict[str, list[str]] = {}
    for source in sources:
        groups.setdefault(re.sub(r"\d+(?:[.,]\d+)*", "#", source), []).append(source)
    lines = []
    for members in groups.values():
        more = len(members) - 1
        lines.append(members[0] if not more else
                     f"{members[0]} (+{more} row{'s' if more > 1 else ''}: the same text "
                     "with other numbers)")
    return lines
