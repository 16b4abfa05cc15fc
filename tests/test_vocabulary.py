"""One vocabulary: a column or a kind of tonnes has the same words wherever it is shown.

The summary's headings (:func:`geoplan.outputs.labels.column_label`) are the source; the QGIS
aliases of plan.gpkg, the map's popup rows, the trade-off chart and the CLI's carbon lines
take their words from there (or from :data:`geoplan.planning.carbon_lines.CARBON_WORDS`).
"""

from __future__ import annotations

import pandas as pd

from geoplan.outputs.labels import column_label, kind_heading
from geoplan.outputs.map_popups import PopupContext, candidate_rows
from geoplan.outputs.phasing import tradeoff_figure
from geoplan.outputs.qgis_style import field_title
from geoplan.planning.carbon_lines import CARBON_WORDS


def test_qgis_alias_is_the_summary_heading() -> None:
    for column in ("homes_to_target", "cost_gbp", "saving_gbp_per_yr", "share_d_to_g"):
        assert field_title(column) == column_label(column)
    # a per-candidate flag keeps a title of its own (the summary's heading is a count)
    assert (field_title("selected"), column_label("selected")) == ("Chosen", "Measures chosen")


def test_popup_carbon_row_is_the_summary_heading_of_its_kind() -> None:
    row = {"candidate_id": "sequestration:P1", "tco2e_per_yr": 12.0, "cost_gbp": 5000.0,
           "rank": 1, "selected": True}
    rows = dict(candidate_rows(row, workstream="sequestration", total=3, grid=PopupContext(),
                               raw=False, built=None))
    heading = column_label("removal_tco2e_per_yr").removesuffix(" (tCO2e/yr)")
    assert heading == "Removals, sequestration"
    assert rows[heading] == "12.0 tCO2e/yr"


def test_kind_words_are_the_cli_words_capitalised() -> None:
    for kind, words in CARBON_WORDS.items():
        assert kind_heading(kind).lower() == words.lower()
        assert column_label(f"{kind}_tco2e_per_yr") == f"{kind_heading(kind)} (tCO2e/yr)"


def test_tradeoff_chart_names_the_co_benefit_as_the_summary_does() -> None:
    curve = pd.DataFrame({"fraction": [0.5, 1.0], "cost_gbp": [4e5, 9e5],
                          "lifetime_tco2e": [10.0, 30.0], "homes_to_target": [2.0, 5.0],
                          "chosen": [False, True], "main_co_benefit": ["homes_to_target"] * 2})
    figure = tradeoff_figure(curve)
    assert figure.axes[1].get_ylabel() == column_label("homes_to_target")


def test_binding_substations_are_worded_as_what_they_count() -> None:
    # evidence_kpis counts substations whose headroom the plan uses up OR that block a
    # load-adding candidate (excluded before the model too): a region plan that chose no load
    # showed "Substations whose headroom the plan uses up 220"
    words = column_label("substations_binding").lower()
    assert "headroom used up" in words
    assert "load blocked" in words
