"""summary.json / summary.md and rankings.csv from hand-made plans."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from geoplan.errors import LayerSchemaError, OutputExistsError
from geoplan.outputs.summary import (
    LISTED_AT_MOST,
    RANKING_COLUMNS,
    ZONES_SHOWN,
    column_label,
    district_rows,
    json_ready,
    largest_remainder,
    markdown_table,
    rankings_csv,
    round_half_up,
    summary_markdown,
    whole_counts,
    write_rankings,
    write_summary,
)


def _summary() -> dict:
    return {
        "scenario": {"name": "joint <plan>", "description": "Sample county, all workstreams",
                     "mode": "joint", "years": [2030, 2040]},
        "kpis": {"reduction_tco2e_per_yr": np.float64(1234.5678), "cost_gbp": 2_500_000.0,
                 "homes": np.int64(410)},
        "by_district": [{"district_id": "E07000178", "district_name": "Oxford | City",
                         "tco2e_per_yr": 1000.0},
                        {"district_id": "E07000177", "district_name": "Cherwell",
                         "tco2e_per_yr": 234.5678}],
        "by_year": [{"year": 2030, "cost_gbp": 1e6}, {"year": 2040, "cost_gbp": 1.5e6}],
        "finance": {"npv_gbp": -125000.4, "discount_rate": 0.035,
                    "by_workstream": [{"workstream": "retrofit", "npv_gbp": -125000.4}]},
        "solver": {"joint": {"status": "feasible", "objective": 10.0, "bound": 10.5,
                             "gap": 0.05, "stopped_by": "time_limit", "time_s": 1.234}},
        "assumptions": {"carbon_factors": {"file": "carbon_factors.csv", "sha256": "ab" * 32,
                                           "overrides": [{"where": {"fuel": "mains_gas"},
                                                          "values": {"kgco2e_per_kwh": 0.2}}],
                                           "sources": ["DESNZ GHG conversion factors 2024"]}},
        "warnings": ["12 homes could not be located"],
    }


def test_json_is_sorted_stable_and_plain(tmp_path):
    json_path, md_path = write_summary(_summary(), tmp_path / "a")
    again, _ = write_summary(_summary(), tmp_path / "b")
    assert json_path.read_bytes() == again.read_bytes()
    assert md_path.read_bytes() == (tmp_path / "b" / "summary.md").read_bytes()
    data = json.loads(json_path.read_text())
    assert list(data) == sorted(data)
    assert data["kpis"] == {"cost_gbp": 2500000.0, "homes": 410,
                            "reduction_tco2e_per_yr": 1234.5678}
    assert data["by_district"][1]["tco2e_per_yr"] == 234.5678  # order of rows kept


def test_floats_rounded_to_nine_significant_digits_and_nan_to_null():
    # 0.1 + 0.2 = 0.30000000000000004 in binary: the summary shows 0.3 whatever the sum order
    assert json_ready({"a": 0.1 + 0.2, "b": float("nan"), "c": pd.NA, "d": (1, 2)}) == {
        "a": 0.3, "b": None, "c": None, "d": [1, 2]}


def test_markdown_has_every_section_with_tables(tmp_path):
    _, md_path = write_summary(_summary(), tmp_path)
    text = md_path.read_text()
    assert text.startswith("# Plan summary: joint &lt;plan&gt;\n")
    headings = ("## Headline figures", "## Scenario settings", "## By district",
                "## By milestone year", "## Finance", "## Solver", "## Assumptions used",
                "## Warnings")
    assert [text.index(h) for h in headings] == sorted(text.index(h) for h in headings)
    assert text.index("| mode | joint |") > text.index("## Scenario settings")  # results first
    assert "| Emission reductions, buildings (tCO2e/yr) | 1,234.57 |" in text
    # one district column, "name (code)"; a pipe cannot break the table
    assert "| Oxford \\| City (E07000178) | 1,000 |" in text
    assert "| 2030 | 1,000,000 |" in text  # years are not written 2,030
    assert "| joint | feasible | 10 | 10.5 | 5.00% | time limit | 1.234 |" in text
    assert "Stopped by: *gap*, the plan is within the gap" in text
    assert "for a phased plan, within 0.5% of it" in text  # strategy.PHASED_ENOUGH_GAP
    assert "| carbon\\_factors | carbon\\_factors.csv | abababababab | 1 |" in text
    assert "source DESNZ GHG conversion factors 2024" in text
    assert "- 12 homes could not be located" in text
    assert "-125,000 |" in text  # money in whole pounds in the page (summary.json keeps pence)
    assert "-125,000.40" not in text


def test_markdown_escapes_html_from_data():
    text = summary_markdown({"scenario": {"name": "x"},
                             "by_district": [{"district_name": "<img src=x onerror=alert(1)>"}]})
    assert "<img" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text


def test_unknown_summary_keys_and_wrong_shapes_are_refused(tmp_path):
    with pytest.raises(LayerSchemaError, match=r"summary keys \['kpi'\] are not known"):
        write_summary({"kpi": {}}, tmp_path)
    with pytest.raises(LayerSchemaError, match=r"summary\['by_year'\] must be a list"):
        write_summary({"by_year": {"2030": 1}}, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_summary_refuses_to_overwrite(tmp_path):
    write_summary(_summary(), tmp_path)
    with pytest.raises(OutputExistsError, match=r"summary\.json already exists"):
        write_summary({"scenario": {"name": "other"}}, tmp_path)
    assert json.loads((tmp_path / "summary.json").read_text())["scenario"]["mode"] == "joint"


def _plan(workstream: str, ids: list[str], ranks: list[int], selected: list[bool]):
    return pd.DataFrame({"candidate_id": ids, "workstream": workstream, "rank": ranks,
                         "selected": selected, "period": [2030.0 if s else np.nan
                                                          for s in selected],
                         "cost_gbp": [1.0] * len(ids), "tco2e_per_yr": [2.0] * len(ids),
                         "score": [0.5] * len(ids), "reason": ["r"] * len(ids),
                         "geometry": [None] * len(ids), "extra": [9] * len(ids)})


def test_rankings_sorted_by_workstream_then_rank():
    plans = {"retrofit": _plan("retrofit", ["r:b", "r:a"], [2, 1], [False, True]),
             "chargers": _plan("chargers", ["c:x"], [1], [True]).drop(columns="workstream")}
    table = rankings_csv(plans)
    assert list(table.columns) == list(RANKING_COLUMNS)
    assert table[["workstream", "rank", "candidate_id"]].to_numpy().tolist() == [
        ["chargers", 1, "c:x"], ["retrofit", 1, "r:a"], ["retrofit", 2, "r:b"]]
    assert table["label"].isna().all()  # missing optional column left blank
    assert table["period"].tolist() == [2030, 2030, pd.NA]


def test_joint_plan_takes_workstreams_from_its_table(tmp_path):
    joint = pd.concat([_plan("retrofit", ["r:a"], [2], [True]),
                       _plan("chargers", ["c:x"], [1], [True]).assign(build_year=2030)])
    path = write_rankings({"joint": joint}, tmp_path / "rankings.csv")
    again = write_rankings({"joint": joint}, tmp_path / "again.csv")
    assert path.read_bytes() == again.read_bytes()
    assert path.read_text().splitlines() == [
        "workstream,rank,candidate_id,label,selected,period,build_year,cost_gbp,tco2e_per_yr,"
        "score,reason",
        "chargers,1,c:x,,True,2030,2030,1.0,2.0,0.5,r",  # build_year: blank when absent
        "retrofit,2,r:a,,True,2030,,1.0,2.0,0.5,r",
    ]


def test_rankings_need_rank_and_selection():
    with pytest.raises(LayerSchemaError, match=r"plan 'retrofit' has no column\(s\) \['rank'\]"):
        rankings_csv({"retrofit": pd.DataFrame({"candidate_id": ["a"], "selected": [True]})})


# --- district names, whole counts, existing chargers ----------------------------------------

def test_largest_remainder_keeps_the_total_and_each_part_within_one() -> None:
    # hand computation: floors 3, 2, 1, 0 = 6; total 7.9 rounds to 8, so the 2 largest
    # remainders (0.7 of 1.7 and 0.6 of 2.6; not 0.4 or 0.2) get one more each
    values = [3.2, 2.6, 1.7, 0.4]
    assert largest_remainder(values) == [3, 3, 2, 0]
    for parts in ([0.5, 0.5, 0.5, 0.5], [10.0, 20.0], [0.3] * 7, [1234.49, 0.02]):
        whole = largest_remainder(parts)
        assert sum(whole) == round_half_up(sum(parts))
        assert all(abs(w - v) < 1 for w, v in zip(whole, parts, strict=True))
    assert largest_remainder([0.5, 0.5, 0.5, 0.5]) == [1, 1, 0, 0]  # ties: the first


def test_summary_md_shows_district_names_and_whole_homes_that_add_up(tmp_path) -> None:
    summary = {"scenario": {"name": "n"},
               "kpis": {"homes": 10.5, "cost_gbp": 1.5},
               "by_district": [
                   {"district_id": "E07000177", "district_name": "Cherwell", "homes": 3.4,
                    "cost_gbp": 0.5},
                   {"district_id": "E07000178", "district_name": "Oxford", "homes": 3.4,
                    "cost_gbp": 0.5},
                   {"district_id": "E07000179", "district_name": None, "homes": 3.7,
                    "cost_gbp": 0.5}]}
    json_path, md_path = write_summary(summary, tmp_path)
    text = md_path.read_text()
    # 10.5 rounds to 11: floors 3 + 3 + 3 = 9, the two units go to 0.7 then the first 0.4
    assert "| Homes | 11 |" in text
    assert "| Cherwell (E07000177) | 4 | 0.5 |" in text
    assert "| Oxford (E07000178) | 3 | 0.5 |" in text
    assert "| E07000179 | 4 | 0.5 |" in text  # no name: the code alone
    assert "| district | Homes | Capital cost (£) |" in text
    data = json.loads(json_path.read_text())  # the JSON keeps the exact figures
    assert [row["homes"] for row in data["by_district"]] == [3.4, 3.4, 3.7]
    assert data["by_district"][0]["district_name"] == "Cherwell"


def test_district_rows_put_the_name_where_the_code_was() -> None:
    rows = district_rows([{"year": 2030, "district_id": "E1", "district_name": "A", "x": 1}])
    assert rows == [{"year": 2030, "district": "A (E1)", "x": 1}]
    assert whole_counts([{"chargers": 1.5, "cost_gbp": 1.5}, {"chargers": 1.5}]) == [
        {"chargers": 2, "cost_gbp": 1.5}, {"chargers": 1}]


def test_existing_chargers_section_is_rendered_with_names_and_listed_zones(tmp_path) -> None:
    zones = [{"zone_id": f"Z{i:02d}", "zone_name": f"Zone <{i}>", "district_id": "E1",
              "district_name": "Cherwell", "existing_chargers": 1, "existing_connectors": 2}
             for i in range(ZONES_SHOWN + 2)]
    summary = {"scenario": {"name": "n"}, "existing_chargers": {
        "devices": ZONES_SHOWN + 2, "connectors": 2 * (ZONES_SHOWN + 2), "outside_zones": 3,
        "by_district": [{"district_id": "E1", "district_name": "Cherwell",
                         "existing_chargers": ZONES_SHOWN + 2,
                         "existing_connectors": 2 * (ZONES_SHOWN + 2),
                         "evs_already_served": 12.25}],
        "by_zone": zones}}
    _, md_path = write_summary(summary, tmp_path)
    text = md_path.read_text()
    assert "## Existing public chargers" in text
    assert f"| Charge devices | {ZONES_SHOWN + 2} |" in text
    assert "| Devices outside the zones (not counted) | 3 |" in text
    assert f"| Cherwell (E1) | {ZONES_SHOWN + 2} | {2 * (ZONES_SHOWN + 2)} | 12.25 |" in text
    assert "| Zone &lt;0&gt; (Z00) | Cherwell (E1) | 1 | 2 |" in text  # escaped
    assert f"Zone &lt;{ZONES_SHOWN - 1}&gt;" in text
    assert f"Zone &lt;{ZONES_SHOWN}&gt;" not in text
    assert "2 more zones in summary.json" in text


def test_reductions_removals_and_ev_attribution_are_separate_lines_with_units(tmp_path):
    # a joint plan: buildings cut 120 t/yr, land removes 300 t/yr, chargers are credited
    # with 0.25 of a 40 t/yr switch (10 t/yr); the whole switch is shown apart
    kpis = {"cost_gbp": 5_000_000.0, "reduction_tco2e_per_yr": 120.0,
            "removal_tco2e_per_yr": 300.0, "ev_attributed_tco2e_per_yr": 10.0,
            "ev_switch_tco2e_per_yr": 40.0, "reduction_lifetime_tco2e": 2400.0,
            "reduction_cost_per_lifetime_tco2e_gbp": 3_000_000.0 / 2400.0,
            "removal_cost_per_lifetime_tco2e_gbp": 1_000_000.0 / 30_000.0,
            "ev_attributed_cost_per_lifetime_tco2e_gbp": 1_000_000.0 / 100.0,
            "objective_lifetime_tco2e": 20_000.0, "homes": 12.0, "substations_binding": 3.0}
    _, md_path = write_summary({"scenario": {"name": "joint"}, "kpis": kpis}, tmp_path)
    text = md_path.read_text(encoding="utf-8")
    for line in ("| Emission reductions, buildings (tCO2e/yr) | 120 |",
                 "| Removals, sequestration (tCO2e/yr) | 300 |",
                 "| EV switch attributed to chargers (tCO2e/yr) | 10 |",
                 "| Whole EV switch of the EVs the chosen chargers serve, shown apart and in no "
                 "total (tCO2e/yr) | 40 |",
                 "| Emission reductions, buildings, lifetime total, undiscounted (tCO2e) | "
                 "2,400 |",
                 "| Capital cost per lifetime tCO2e, undiscounted, buildings' emission "
                 "reductions (£/tCO2e) | 1,250 |",
                 "| Capital cost per lifetime tCO2e, undiscounted, sequestration's removals "
                 "(£/tCO2e) | 33.33 |",
                 "| Capital cost per lifetime tCO2e, undiscounted, EV switch attributed to "
                 "chargers (£/tCO2e) | 10,000 |",
                 "| Objective lifetime tCO2e of every kind, each year's factor, discounted at "
                 "the carbon discount rate (tCO2e) | 20,000 |"):
        assert line in text
    # no line adds the kinds up (120 + 300 + 10 = 430) or calls tonnes "saved or sequestered"
    assert "430" not in text
    assert "sequestered" not in text


def test_every_figure_heading_names_its_unit():
    assert column_label("spend_gbp") == "spend (£)"
    assert column_label("cumulative_funding_gbp") == "cumulative funding (£)"
    assert column_label("blocked_tco2e_per_yr") == "blocked (tCO2e/yr)"
    assert column_label("baseline_tco2e") == "baseline (tCO2e)"
    assert column_label("blocked_kw") == "blocked (kW)"
    assert column_label("cost_per_tco2e_gbp") == \
        "Capital cost per lifetime tCO2e, undiscounted (£/tCO2e)"
    assert column_label("lifetime_tco2e") == "Lifetime tCO2e, undiscounted (tCO2e)"
    assert column_label("removal_tco2e_per_yr_added") == \
        "Removals, sequestration added (tCO2e/yr)"
    assert column_label("gbp_per_lifetime_tco2e") == \
        "Capital cost per objective lifetime tCO2e, discounted at the carbon discount rate " \
        "(£/tCO2e)"


def test_solver_table_names_the_hard_stop_as_a_safety_stop(tmp_path):
    data = _summary()
    data["solver"]["joint"]["stopped_by"] = "wall_time"
    _, md_path = write_summary(data, tmp_path)
    text = md_path.read_text()
    assert "| joint | feasible | 10 | 10.5 | 5.00% | wall time (safety stop) | 1.234 |" in text
    assert "*wall time (safety stop)*, the solver overran its time limit" in text


def test_solver_table_has_no_time_column_without_times(tmp_path):
    data = _summary()
    for run in data["solver"].values():
        run.pop("time_s", None)
    _, md_path = write_summary(data, tmp_path)
    text = md_path.read_text()
    assert "| model | status | objective | bound | gap | stopped by |\n" in text
    assert "time (s)" not in text


def test_a_long_list_shows_its_first_ids_and_how_many_more() -> None:
    ids = [f"primary-{i:03d}" for i in range(40)]
    text = summary_markdown({"scenario": {"name": "x", "constrained_at": ids,
                                          "unconstrained_at": ids[:LISTED_AT_MOST]}})
    [long] = [line for line in text.splitlines() if line.startswith("| constrained at |")]
    assert long.count("primary-") == LISTED_AT_MOST
    assert f"primary-{LISTED_AT_MOST - 1:03d}, primary" not in long  # stops at the limit
    assert f"and {40 - LISTED_AT_MOST} more (summary.json lists every one)" in long
    [whole] = [line for line in text.splitlines() if line.startswith("| unconstrained at |")]
    assert whole.count("primary-") == LISTED_AT_MOST
    assert "more" not in whole


def test_objective_and_undiscounted_lifetime_tonnes_never_share_a_heading(tmp_path):
    """``lifetime_tco2e`` is the objective's (discounted) in the periods and trade-off tables and
    the finance summary's (undiscounted) elsewhere: each table says which."""
    data = {"scenario": {"name": "s"},
            "by_period": [{"period": 2030, "lifetime_tco2e": 576.0}],
            "tradeoff": [{"fraction": 1.0, "lifetime_tco2e": 576.0}],
            "by_workstream": [{"workstream": "sequestration", "lifetime_tco2e": 4501.0}]}
    text = write_summary(data, tmp_path)[1].read_text(encoding="utf-8")
    objective = ("Objective lifetime tCO2e, discounted at the carbon discount rate (tCO2e)")
    tables = {block.splitlines()[0]: block for block in text.split("## ")[1:]}
    periods = next(b for t, b in tables.items() if t.startswith("Plan per milestone period"))
    tradeoff = next(b for t, b in tables.items() if t.startswith("Trade-off"))
    workstreams = tables["By workstream"]
    assert objective in periods
    assert objective in tradeoff
    assert "Lifetime tCO2e, undiscounted (tCO2e)" in workstreams
    assert objective not in workstreams
    assert "undiscounted" not in periods + tradeoff
    assert markdown_table([{"lifetime_tco2e": 1.0}])[0] == \
        "| Lifetime tCO2e, undiscounted (tCO2e) |"


def test_assumption_sources_differing_only_in_numbers_are_one_line():
    # a table citing one publication per year (the carbon values) lists it once, with how
    # many rows cite the same text with other numbers, as the bid pack does
    yearly = [f"DESNZ Table 3, year {y}" for y in range(2020, 2051)]
    text = summary_markdown({"scenario": {"name": "x"}, "assumptions": {"carbon_values": {
        "file": "carbon_values.csv", "sha256": "ab" * 32, "overrides": [],
        "sources": [*yearly, "Own survey"]}}})
    lines = [line for line in text.splitlines() if line.startswith("- carbon\\_values: source")]
    assert lines == ["- carbon\\_values: source DESNZ Table 3, year 2020 (+30 rows: the same "
                     "text with other numbers)", "- carbon\\_values: source Own survey"]
