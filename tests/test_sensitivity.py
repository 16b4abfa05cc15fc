"""Tornado sensitivity: bounds found in any table, swings of a fixed plan computed by hand."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.image as mpimg
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from geoplan.errors import SourceFormatError
from geoplan.outputs.sensitivity import sensitivity_summary, tornado_figure, write_sensitivity
from geoplan.outputs.summary import summary_markdown
from geoplan.planning.finance import FinanceAssumptions
from geoplan.planning.sensitivity import (
    FIGURES,
    Bound,
    bounded_values,
    headline_figures,
    sensitivity_table,
)

# no residual value, so that the NPVs below are savings less cost by hand (residual values:
# test_finance.py)
FINANCE = FinanceAssumptions(discount_rate=0.0, long_discount_rate=0.0, appraisal_years=2,
                             base_year=2025, unphased_build_year=2025, residual_value_share=0.0)


def _rates() -> pd.DataFrame:
    """A sequestration table: woodland rate 5 with bounds 3-7, hedgerow 6 with 4-8."""
    return pd.DataFrame({"land_use": ["woodland_creation", "hedgerow"],
                         "seq_tco2e_per_ha_yr": [5.0, 6.0],
                         "seq_tco2e_per_ha_yr_low": ["3", "4"],
                         "seq_tco2e_per_ha_yr_high": ["7", "8"], "source": ["s", "s"]})


def _plan() -> pd.DataFrame:
    """Two chosen candidates: a woodland parcel (removals) and an energy pathway."""
    return pd.DataFrame({
        "candidate_id": ["seq:1", "laep:1"], "workstream": ["sequestration", "laep"],
        "option": ["woodland_creation", "heat_pump"], "district_id": ["D1", "D1"],
        "selected": [True, True], "period": [2025, 2025], "build_year": [2025, 2025],
        "cost_gbp": [1000.0, 3000.0], "saving_gbp_per_yr": [0.0, 100.0],
        "lifetime_years": [100.0, 20.0], "tco2e_per_yr": [10.0, 2.0],
        "tco2e_per_yr_2030": [10.0, 1.5], "lifetime_tco2e_2025": [500.0, 40.0]})


def test_bounds_are_found_in_any_table_by_the_column_convention() -> None:
    table = _rates()
    table.loc[2] = ["peat", 8.0, "8", "8", "s"]  # low == high: fixed, not indicative
    table.loc[3] = ["other", 1.0, "", "", "s"]  # no bounds
    bounds = bounded_values("sequestration", table, ("land_use",))
    assert bounds == [Bound("sequestration", "woodland_creation", "seq_tco2e_per_ha_yr", 0,
                            3.0, 5.0, 7.0),
                      Bound("sequestration", "hedgerow", "seq_tco2e_per_ha_yr", 1,
                            4.0, 6.0, 8.0)]


@pytest.mark.parametrize(("low", "high", "message"), [
    ("9", "7", r"row 2, column 'seq_tco2e_per_ha_yr_low': low bound 9 is above high bound 7"),
    ("three", "7", r"row 2, column 'seq_tco2e_per_ha_yr_low': 'three' is not a number"),
    ("3", "", r"row 2, column 'seq_tco2e_per_ha_yr_high': only one bound is given")])
def test_bad_bounds_are_refused_with_file_row_and_column(low: str, high: str,
                                                         message: str) -> None:
    table = _rates()
    table.loc[0, ["seq_tco2e_per_ha_yr_low", "seq_tco2e_per_ha_yr_high"]] = [low, high]
    table.attrs["path"] = "/somewhere/sequestration.csv"
    with pytest.raises(SourceFormatError, match=message) as caught:
        bounded_values("sequestration", table, ("land_use",))
    assert "sequestration.csv" in str(caught.value)
    assert "(fix: " in str(caught.value)
    assert len(caught.value.problems) == 1


def test_swing_of_a_two_candidate_plan_matches_the_hand_computation() -> None:
    plan, rates = _plan(), _rates()
    bounds = bounded_values("sequestration", rates, ("land_use",))
    table = sensitivity_table(plan, {"sequestration": rates}, bounds, FINANCE)
    rows = table[table["key"] == "woodland_creation"].set_index("figure")
    # woodland rate 5 -> 3 and 7 scales the parcel's carbon by 0.6 and 1.4
    assert rows.loc["removals_tco2e_per_yr", ["at_base", "at_low", "at_high"]].tolist() == \
        pytest.approx([10.0, 6.0, 14.0])
    assert rows.loc["reductions_tco2e_per_yr", "swing"] == 0.0  # the pathway is no removal
    assert rows.loc["lifetime_tco2e", ["at_low", "at_high"]].tolist() == \
        pytest.approx([300.0 + 40.0, 700.0 + 40.0])
    cost = rows.loc["cost_per_lifetime_tco2e_gbp"]
    assert cost["at_base"] == pytest.approx(4000.0 / 540.0)
    assert cost["swing"] == pytest.approx(4000.0 / 340.0 - 4000.0 / 740.0)
    # NPV at 0% over two years: the pathway saves 2 x 100; both are paid in 2025
    assert rows.loc["npv_gbp", ["at_base", "at_low", "at_high"]].tolist() == \
        pytest.approx([200.0 - 4000.0] * 3)
    assert rows.loc["capex_gbp", "swing"] == 0.0
    # the hedgerow bound touches no chosen candidate: every figure stays
    hedge = table[table["key"] == "hedgerow"]
    assert (hedge["swing"] == 0.0).all()
    assert (hedge["status"] == "recomputed").all()
    assert list(table.columns) == ["table", "key", "column", "low", "base", "high", "figure",
                                   "label", "at_base", "at_low", "at_high", "swing", "status"]


def test_a_finance_bound_recomputes_the_npv() -> None:
    finance = pd.DataFrame({"item": ["discount_rate"], "value": [0.0], "value_low": ["0"],
                            "value_high": ["0.1"], "unit": ["share"], "source": ["s"]})
    bounds = bounded_values("finance", finance, ("item",))
    table = sensitivity_table(_plan(), {"finance": finance}, bounds, FINANCE)
    npv = table.set_index("figure").loc["npv_gbp"]
    # at 10%: 100 + 100 / 1.1 of savings, capital paid undiscounted in the base year
    assert npv["at_high"] == pytest.approx(100.0 + 100.0 / 1.1 - 4000.0)
    assert npv["at_low"] == pytest.approx(200.0 - 4000.0)


def test_a_buffer_share_bound_scales_carbon_net_of_the_share() -> None:
    rates = _rates().assign(buffer_share=[0.2, 0.2], buffer_share_low=["0.1", ""],
                            buffer_share_high=["0.3", ""])
    bounds = [b for b in bounded_values("sequestration", rates, ("land_use",))
              if b.column == "buffer_share"]
    table = sensitivity_table(_plan(), {"sequestration": rates}, bounds, FINANCE)
    removals = table.set_index("figure").loc["removals_tco2e_per_yr"]
    # 10 t net of a 20% buffer is 12.5 t gross: 12.5 x 0.9 and 12.5 x 0.7
    assert [removals["at_low"], removals["at_high"]] == pytest.approx([11.25, 8.75])


def test_finance_items_outside_the_finance_assumptions_are_not_guessed() -> None:
    finance = pd.DataFrame({"item": ["milestone_2030", "fuel_duty_share"], "value": [0.5, 0.2],
                            "value_low": ["0.4", "0.1"], "value_high": ["0.6", "0.3"],
                            "unit": ["share", "share"], "source": ["s", "s"]})
    bounds = bounded_values("finance", finance, ("item",))
    table = sensitivity_table(_plan(), {"finance": finance}, bounds, FINANCE)
    milestone = table[table["key"] == "milestone_2030"]
    assert (milestone["status"] == "recomputed").all()
    assert (milestone["swing"] == 0.0).all()  # no headline figure uses the milestones
    bias = table[table["key"] == "fuel_duty_share"]
    assert bias["status"].str.startswith("not recomputed: finance item 'fuel_duty_share'").all()
    assert bias["swing"].isna().all()


def test_a_bound_without_a_response_is_listed_not_guessed() -> None:
    types = pd.DataFrame({"kw_class": ["7"], "cost_per_charger_gbp": [6300.0],
                          "cost_per_charger_gbp_low": ["5000"],
                          "cost_per_charger_gbp_high": ["8000"], "source": ["s"]})
    bounds = bounded_values("charger_types", types, ("kw_class",))
    table = sensitivity_table(_plan(), {"charger_types": types}, bounds, FINANCE)
    assert set(table["status"]) == {"not recomputed: no response is registered for this "
                                    "column (geoplan.planning.sensitivity.RESPONSES)"}
    assert table["at_low"].isna().all()
    assert table["swing"].isna().all()
    _, notes = sensitivity_summary(table)
    assert notes
    assert "charger_types.cost_per_charger_gbp (7)" in notes[0]
    assert "each with the reason in its status column" in notes[0]


def test_archetype_heat_bounds_give_one_entry() -> None:
    plan = _plan().assign(tco2e_per_yr_low=[10.0, 1.0], tco2e_per_yr_high=[10.0, 3.0])
    table = sensitivity_table(plan, {}, [], FINANCE).set_index("figure")
    assert set(table["table"]) == {"stock_bands"}
    # the pathway's carbon halves (low) and rises by half (high); the woodland keeps its own
    assert table.loc["reductions_tco2e_per_yr", ["at_low", "at_high"]].tolist() == \
        pytest.approx([1.0, 3.0])
    assert table.loc["lifetime_tco2e", ["at_low", "at_high"]].tolist() == \
        pytest.approx([520.0, 560.0])


def test_headline_figures_split_reductions_and_removals() -> None:
    figures = headline_figures(_plan(), FINANCE)
    assert set(figures) == set(FIGURES)
    assert figures["reductions_tco2e_per_yr"] == 2.0
    assert figures["removals_tco2e_per_yr"] == 10.0
    assert figures["capex_gbp"] == 4000.0


def test_csv_png_and_summary_section_are_written(tmp_path: Path) -> None:
    plan, rates = _plan(), _rates()
    table = sensitivity_table(plan, {"sequestration": rates},
                              bounded_values("sequestration", rates, ("land_use",)), FINANCE)
    csv, png = write_sensitivity(tmp_path, table, title="tiny")
    assert (csv.name, png.name) == ("sensitivity.csv", "tornado.png")
    again = pd.read_csv(csv, keep_default_na=False, na_values=[""])
    assert len(again) == len(table) == 2 * len(FIGURES)
    assert again["swing"].tolist() == pytest.approx(table["swing"].tolist())
    assert mpimg.imread(png).shape[0] > 100  # a real image
    section, notes = sensitivity_summary(table)
    assert notes == []
    cost = f"£{4000 / 540:,.0f} (range £{4000 / 740:,.0f} to £{4000 / 340:,.0f}"
    # capital cost over the objective's (discounted) tonnes, named apart from the summary's
    # undiscounted "Capital cost per lifetime tCO2e, undiscounted, ..."
    line = next(s for s in section["statements"]
                if s.startswith("Capital cost per objective lifetime tCO2e, every kind, "
                                "discounted at the carbon discount rate: "))
    assert cost in line
    assert ("largest swing is Sequestration, woodland creation: removal rate (tCO2e/ha/yr) "
            "[3 to 7]") in line
    assert "Capital cost: £4,000 (none of the 2 indicative values moves it)" in \
        section["statements"]
    assert [r["assumption"] for r in section["rows"]] == [
        "Sequestration, woodland creation: removal rate (tCO2e/ha/yr) [3 to 7]"]
    text = summary_markdown({"scenario": {"name": "tiny"}, "sensitivity": section})
    assert "## Sensitivity to the indicative assumptions (sensitivity.csv, tornado.png)" in text
    assert math.isclose(section["rows"][0]["swing_gbp_per_tco2e"],
                        4000 / 340 - 4000 / 740)


def test_a_growth_curves_bounds_are_one_entry_listed_not_scaled() -> None:
    # three ages of one profile, each with its own low/high: one entry, no figures
    profile = pd.DataFrame({"land_use": ["woodland_creation"] * 3, "age_years": [0, 5, 10],
                            "cumulative_tco2e_per_ha": [0.0, 1.6, 6.9],
                            "cumulative_tco2e_per_ha_low": ["0", "0.6", "2"],
                            "cumulative_tco2e_per_ha_high": ["0", "2.6", "11.8"],
                            "source": ["s"] * 3})
    bounds = bounded_values("woodland_profile", profile, ("land_use", "age_years"))
    assert len(bounds) == 2  # age 0 has low == high: fixed, not indicative
    table = sensitivity_table(_plan(), {"woodland_profile": profile}, bounds, FINANCE)
    assert set(table["key"]) == {"all rows"}
    assert len(table) == len(FIGURES)
    assert table["status"].str.startswith("not recomputed: the low and high columns").all()
    assert table["at_low"].isna().all()


def test_a_land_cost_bound_moves_capital_cost_and_npv_by_hand() -> None:
    """Land at £400/ha with bounds 200-800 on a 2.5 ha parcel: land cost £1,000 of its £1,000.

    The parcel's cost is planting £0 + land £1,000 (2.5 ha x £400); at £200/ha it is £500, at
    £800/ha £2,000. The pathway (£3,000) has no land cost. Tonnes do not move.
    """
    plan = _plan().assign(land_cost_gbp=[1000.0, 0.0], area_ha=[2.5, 0.0])
    rates = _rates().assign(land_cost_gbp_per_ha=[400.0, 300.0],
                            land_cost_gbp_per_ha_low=["200", ""],
                            land_cost_gbp_per_ha_high=["800", ""])
    bounds = [b for b in bounded_values("sequestration", rates, ("land_use",))
              if b.column == "land_cost_gbp_per_ha"]
    table = sensitivity_table(plan, {"sequestration": rates}, bounds, FINANCE)
    rows = table.set_index("figure")
    assert set(rows["status"]) == {"recomputed"}
    assert rows.loc["capex_gbp", ["at_base", "at_low", "at_high"]].tolist() == \
        pytest.approx([4000.0, 3500.0, 5000.0])
    # NPV at 0% over two years: savings 2 x 100 less the capital, paid in 2025
    assert rows.loc["npv_gbp", ["at_low", "at_high"]].tolist() == \
        pytest.approx([200.0 - 3500.0, 200.0 - 5000.0])
    assert rows.loc["cost_per_lifetime_tco2e_gbp", ["at_low", "at_high"]].tolist() == \
        pytest.approx([3500.0 / 540.0, 5000.0 / 540.0])
    assert rows.loc["lifetime_tco2e", "swing"] == 0.0
    assert rows.loc["removals_tco2e_per_yr", "swing"] == 0.0


def test_grid_flexibility_bounds_change_no_headline_figure() -> None:
    flex = pd.DataFrame({"service": ["peak_reduction"], "price_gbp_per_mwh": [200.0],
                         "price_gbp_per_mwh_low": ["100"], "price_gbp_per_mwh_high": ["300"],
                         "source": ["s"]})
    bounds = bounded_values("grid_flexibility", flex, ("service",))
    table = sensitivity_table(_plan(), {"grid_flexibility": flex}, bounds, FINANCE)
    assert set(table["status"]) == {"recomputed"}
    assert (table["swing"] == 0.0).all()


@pytest.mark.parametrize(("name", "key", "column", "reason"), [
    ("carbon_factors", ("year", "fuel", "basis"), "kgco2e_per_kwh",
     "whole alternative electricity trajectories"),
    ("carbon_values", ("year",), "gbp_per_tco2e", "move only the Green Book social NPV")])
def test_carbon_factor_and_value_series_are_one_entry_with_the_reason(
        name: str, key: tuple[str, ...], column: str, reason: str) -> None:
    """Two bounded years of a series give one entry, listed with why, never a scaled guess."""
    table = pd.DataFrame({"year": [2030, 2040], "fuel": ["electricity"] * 2,
                          "basis": ["long_run_marginal"] * 2, column: [0.09, 0.03],
                          f"{column}_low": ["0.045", "0.02"], f"{column}_high": ["0.2", "0.045"],
                          "source": ["s", "s"]})
    bounds = bounded_values(name, table, key)
    assert len(bounds) == 2
    result = sensitivity_table(_plan(), {name: table}, bounds, FINANCE)
    assert len(result) == len(FIGURES)
    assert set(result["key"]) == {"all rows"}
    assert result["status"].str.contains(reason).all()
    assert result["status"].str.startswith("not recomputed").all()
    assert result["at_low"].isna().all()


def test_the_ev_attribution_share_scales_the_chargers_attributed_tonnes_by_hand() -> None:
    """A charger credited 0.25 of a 10 t/yr switch (2.5 t/yr, 25 t over its life).

    At the bounds 0.1 and 0.5 it is credited 1 and 5 t/yr (10 and 50 t lifetime); the whole
    switch is not scaled; a charger on a scenario's own share (0.3) keeps its tonnes.
    """
    charger = {"candidate_id": "ev:1", "workstream": "chargers", "option": "7kW",
               "district_id": "D1", "selected": True, "period": 2025, "build_year": 2025,
               "cost_gbp": 500.0, "saving_gbp_per_yr": 0.0, "lifetime_years": 10.0,
               "tco2e_per_yr": 2.5, "tco2e_per_yr_2030": 2.5, "lifetime_tco2e_2025": 25.0,
               "ev_switch_tco2e_per_yr": 10.0, "ev_attribution_share": 0.25}
    own = {**charger, "candidate_id": "ev:2", "tco2e_per_yr": 3.0, "tco2e_per_yr_2030": 3.0,
           "lifetime_tco2e_2025": 30.0, "ev_attribution_share": 0.3}
    plan = pd.concat([_plan(), pd.DataFrame([charger, own])], ignore_index=True)
    shares = pd.DataFrame({"item": ["ev_attribution_share", "other_share"],
                           "value": [0.25, 0.5], "value_low": ["0.1", "0.4"],
                           "value_high": ["0.5", "0.6"], "unit": ["share"] * 2,
                           "source": ["s"] * 2})
    bounds = bounded_values("ev_attribution", shares, ("item",))
    table = sensitivity_table(plan, {"ev_attribution": shares}, bounds, FINANCE)
    rows = table[table["key"] == "ev_attribution_share"].set_index("figure")
    assert set(rows["status"]) == {"recomputed"}
    assert rows.loc["ev_attributed_tco2e_per_yr", ["at_base", "at_low", "at_high"]].tolist() \
        == pytest.approx([5.5, 1.0 + 3.0, 5.0 + 3.0])
    assert rows.loc["lifetime_tco2e", ["at_low", "at_high"]].tolist() == pytest.approx(
        [540.0 + 10.0 + 30.0, 540.0 + 50.0 + 30.0])
    assert rows.loc["reductions_tco2e_per_yr", "swing"] == 0.0
    other = table[table["key"] == "other_share"]
    assert other["status"].str.startswith("not recomputed: ev_attribution item 'other_share'"
                                          ).all()


def _overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_tornado_names_units_once_words_not_keys_and_the_key_covers_no_bar() -> None:
    plan = _plan().assign(land_cost_gbp=[1000.0, 0.0], area_ha=[2.5, 0.0])
    rates = _rates().assign(land_cost_gbp_per_ha=[400.0, 300.0],
                            land_cost_gbp_per_ha_low=["200", ""],
                            land_cost_gbp_per_ha_high=["800", ""])
    table = sensitivity_table(plan, {"sequestration": rates},
                              bounded_values("sequestration", rates, ("land_use",)), FINANCE)
    fig = tornado_figure(table, title="tiny")
    renderer = FigureCanvasAgg(fig).get_renderer()
    xlabels = [ax.get_xlabel() for ax in fig.axes]
    assert "Capital cost (£m)" in xlabels
    assert all(label.count("(") == 1 for label in xlabels)  # one unit each, said once
    names = [t.get_text().replace("\n", " ") for ax in fig.axes for t in ax.get_yticklabels()]
    assert "Sequestration, woodland creation: land cost (£/ha) [200 to 800]" in names
    assert not any("_" in name for name in names)  # no raw table, key or column names
    (legend,) = fig.legends
    box = legend.get_window_extent(renderer)
    assert [t.get_text() for t in legend.get_texts()] == [
        "assumption at its low bound", "assumption at its high bound", "the plan's own figure"]
    bars = [p.get_window_extent(renderer) for ax in fig.axes for p in ax.patches]
    assert bars
    assert not any(_overlap(box, bar) for bar in bars)
    assert not any(_overlap(box, ax.get_window_extent(renderer)) for ax in fig.axes)
    assert not _overlap(box, fig._suptitle.get_window_extent(renderer))
    page = fig.get_window_extent(renderer)
    assert page.x0 <= box.x0
    assert box.x1 <= page.x1
    assert box.y1 <= page.y1
