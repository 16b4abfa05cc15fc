"""Headings of summary keys for people, each with its unit.

Tonnes of different kinds (:mod:`geoplan.planning.carbon_lines`: emission reductions of
buildings, removals by sequestration, the EV switch attributed to chargers) have headings of
their own, and cost per tCO2e is the lifetime figure (capital cost over lifetime tCO2e),
called so.
"""

from __future__ import annotations

from geoplan.planning.carbon_lines import CARBON_WORDS

__all__ = ["column_label", "field_title", "kind_heading", "stop_words"]

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
    "cost_per_tco2e_gbp": "Lifetime cost per tCO2e (£/tCO2e)",
    "net_cost_per_tco2e_gbp": "Net cost per tCO2e in the appraisal period (£/tCO2e)",
    "lifetime_tco2e": "Lifetime tCO2e (tCO2e)",
    "appraisal_tco2e": "tCO2e in the appraisal period (tCO2e)",
    "objective_lifetime_tco2e": "Objective: lifetime tCO2e of every kind, each year's factor, "
                                "at the carbon discount rate (tCO2e)",
    "gbp_per_lifetime_tco2e": "Capital cost per objective lifetime tCO2e (£/tCO2e)",
    "ev_switch_tco2e_per_yr": "Whole EV switch of the EVs the chosen chargers serve, shown "
                              "apart and in no total (tCO2e/yr)",
    **{f"{k}_tco2e_per_yr": f"{w} (tCO2e/yr)" for k, w in _KIND_WORDS.items()},
    **{f"{k}_tco2e_per_yr_added": f"{w} added (tCO2e/yr)" for k, w in _KIND_WORDS.items()},
    **{f"{k}_lifetime_tco2e": f"{w}, lifetime total (tCO2e)" for k, w in _KIND_WORDS.items()},
    **{f"{k}_cost_per_lifetime_tco2e_gbp": f"Lifetime cost per tCO2e, {w} (£/tCO2e)"
       for k, w in (("reduction", "buildings' emission reductions"),
                    ("removal", "sequestration's removals"),
                    ("ev_attributed", "EV switch attributed to chargers"))},
    "heat_mwh_per_yr": "Heat (MWh/yr)", "fuel_poor_homes": "Fuel-poor homes",
    "candidates_selected": "Candidates chosen",
    "homes_to_target": "Homes brought to the target band",
    "substations_binding": "Substations that limit the plan (headroom used up, or load blocked)",
    "candidates_blocked_by_grid": "Candidates blocked by grid headroom",
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
    "period": "Build year", "carbon_discount_rate": "carbon discount rate (per year)",
    "ev_attribution_share": "share of the EV switch credited to chargers",
    "simple_payback_years": "Simple payback (years)",
    "pv_capex_gbp": "Capital cost, present value (£)",
    "pv_savings_gbp": "Bill savings, present value (£)",
    **{f"zones_heat_calibrated_{f}": f"Zones with heat calibrated to metered {f}"
       for f in ("gas", "electric")},
    **{f"heat_calibration_{f}_{s}": f"Heat calibration factor, {f} ({s} over zones)"
       for f in ("gas", "electric") for s in ("median", "min", "max")},
}
_UNITS = (("_gbp_per_yr", "£/yr"), ("_per_tco2e_gbp", "£/tCO2e"), ("_gbp", "£"),
          ("_tco2e_per_yr", "tCO2e/yr"), ("_tco2e", "tCO2e"), ("_mwh_per_yr", "MWh/yr"),
          ("_kw", "kW"), ("_mva", "MVA"), ("_ha", "ha"), ("_years", "years"))
"""Key endings and the unit a key without a label of its own is shown with."""

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
