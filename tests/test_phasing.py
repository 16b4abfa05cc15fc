"""Phased plans: funding per period, delivery caps, build years and lifetime tCO2e.

The optimiser's choice and build years are checked against exhaustive enumeration of every
(not built, or built in period t) assignment of a small hand-built instance, and lifetime
tCO2e against sums worked out by hand.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from geoplan.optimise import (
    Budget,
    Headroom,
    MaximiseBenefit,
    MaximiseCoverage,
    PeriodBenefit,
    PeriodCap,
    PlanningProblem,
    SolverOptions,
)
from geoplan.optimise.objectives import Coverage
from geoplan.planning.phasing import (
    delivery_columns,
    delivery_limits,
    funding_by_period,
    funding_shortfall,
    lifetime_columns,
    lifetime_parts,
    lifetime_tco2e,
    period_lengths,
    period_table,
    phasing,
)
from geoplan.scenario.models import DELIVERY, PlanSection
from geoplan.workstreams.parts import ModelParts

YEARS = (2025, 2030, 2040)
PARENTS = {"P1": "B1", "P2": "B1", "B1": None}


def _instance(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Six candidates on two primaries under one BSP, values per build period."""
    rng = np.random.default_rng(seed)
    n = 6
    table = pd.DataFrame({
        "candidate_id": [f"c{i}" for i in range(n)],
        "cost_gbp": rng.integers(2, 9, n).astype(float),
        "substation_id": ["P1", "P1", "P2", "P2", "P1", "P2"],
        "peak_kw_added": rng.integers(0, 5, n).astype(float),
        "homes": rng.integers(1, 4, n).astype(float),
    })
    first = rng.uniform(5, 20, n)
    for t, year in enumerate(YEARS):  # later builds are worth less, at different rates
        table[f"value_{year}"] = first * (1 - rng.uniform(0.05, 0.4, n)) ** t
    limits = pd.DataFrame({"substation_id": ["P1", "P1", "P1", "P2", "P2", "P2", "B1", "B1",
                                             "B1"],
                           "year": [*YEARS, *YEARS, *YEARS],
                           "headroom_kw": [3.0, 6.0, 9.0, 2.0, 5.0, 8.0, 6.0, 9.0, 12.0]})
    return table, limits


def _feasible(table: pd.DataFrame, limits: pd.DataFrame, build: tuple[int, ...], *,
              funding: dict[int, float], carry: bool, cap: dict[int, float],
              cap_cumulative: bool) -> bool:
    """Whether ``build`` (-1: not built, else the period index) keeps every limit."""
    build_arr = np.array(build)
    cost, homes = table["cost_gbp"].to_numpy(), table["homes"].to_numpy()
    load, subs = table["peak_kw_added"].to_numpy(), table["substation_id"].to_numpy()
    room = {(s, y): h for s, y, h in limits.itertuples(index=False)}
    for t, year in enumerate(YEARS):
        spent = cost[build_arr == t].sum()
        if carry:
            spent = cost[(build_arr >= 0) & (build_arr <= t)].sum()
        money = sum(funding[y] for y in YEARS[:t + 1]) if carry else funding[year]
        if spent > money + 1e-9:
            return False
        made = homes[(build_arr >= 0) & (build_arr <= t)].sum() if cap_cumulative \
            else homes[build_arr == t].sum()
        limit = sum(cap[y] for y in YEARS[:t + 1]) if cap_cumulative else cap[year]
        if made > limit + 1e-9:
            return False
        built = (build_arr >= 0) & (build_arr <= t)
        for sub, below in (("P1", subs == "P1"), ("P2", subs == "P2"), ("B1", subs != "")):
            if load[below & built].sum() > max(room[(sub, year)], 0.0) + 1e-9:
                return False
    return True


def _brute_force(table: pd.DataFrame, limits: pd.DataFrame, **rules: object
                 ) -> tuple[float, tuple[int, ...]]:
    values = table[[f"value_{y}" for y in YEARS]].to_numpy()
    best, chosen = -1.0, ()
    for build in itertools.product(range(-1, len(YEARS)), repeat=len(table)):
        total = sum(values[j, t] for j, t in enumerate(build) if t >= 0)
        if total > best + 1e-9 and _feasible(table, limits, build, **rules):  # type: ignore[arg-type]
            best, chosen = total, build
    return best, chosen


@pytest.mark.parametrize(("seed", "carry", "cap_cumulative"),
                         [(0, True, True), (1, True, False), (2, False, True),
                          (3, False, False)])
def test_build_years_match_brute_force(seed: int, carry: bool, cap_cumulative: bool) -> None:
    table, limits = _instance(seed)
    funding = {2025: 6.0, 2030: 9.0, 2040: 7.0}
    cap = {2025: 3.0, 2030: 4.0, 2040: 5.0}
    problem = PlanningProblem(
        table, PeriodBenefit({y: f"value_{y}" for y in YEARS}),
        [Budget(funding, by="period", name="funding", carry_over=carry),
         PeriodCap("homes", cap, cumulative=cap_cumulative), Headroom(limits, PARENTS)],
        periods=YEARS)
    plan = problem.solve(SolverOptions(mip_gap=0.0))
    best, build = _brute_force(table, limits, funding=funding, carry=carry, cap=cap,
                               cap_cumulative=cap_cumulative)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(best, rel=1e-7)
    got = plan.table["period"].map({y: t for t, y in enumerate(YEARS)}).fillna(-1)
    assert tuple(int(v) for v in got) == build  # random values: the optimum is unique


def test_carry_over_lets_unspent_money_be_spent_later() -> None:
    # one candidate costing 5 with a period budget of 3 then 3: only with carry-over
    table = pd.DataFrame({"candidate_id": ["a"], "cost_gbp": [5.0], "v_2025": [4.0],
                          "v_2030": [3.0]})
    for carry, chosen in ((True, 2030), (False, None)):
        plan = PlanningProblem(table, PeriodBenefit({2025: "v_2025", 2030: "v_2030"}),
                               [Budget({2025: 3.0, 2030: 3.0}, by="period",
                                       carry_over=carry)], periods=(2025, 2030)).solve()
        period = plan.table["period"].iloc[0]
        assert (None if pd.isna(period) else int(period)) == chosen


def test_lifetime_tco2e_by_hand() -> None:
    # tCO2e/yr 10 in 2025, 6 in 2030, 4 in 2035 (linear between, flat after); 7.5 years
    table = pd.DataFrame({"tco2e_per_yr_2025": [10.0], "tco2e_per_yr_2030": [6.0],
                          "tco2e_per_yr_2035": [4.0], "lifetime_years": [7.5],
                          "tco2e_per_yr": [99.0]})
    # built 2028: 7.6 + 6.8 + 6 + 5.6 + 5.2 + 4.8 + 4.4 + half of 4.0
    whole = lifetime_tco2e(table, 2028, first_year=2028)
    assert whole[0] == pytest.approx(42.4)
    # only to the horizon 2031: 7.6 + 6.8 + 6.0 + 5.6
    assert lifetime_tco2e(table, 2028, first_year=2028, horizon=2031)[0] == pytest.approx(26.0)
    # discounted at 10% from 2025, two years' life from 2028: 7.6/1.1^3 + 6.8/1.1^4
    short = table.assign(lifetime_years=2.0)
    expected = 7.6 / 1.1 ** 3 + 6.8 / 1.1 ** 4
    assert lifetime_tco2e(short, 2028, first_year=2025, discount_rate=0.1)[0] == \
        pytest.approx(expected)
    # no trajectory: the flat tCO2e/yr, 3 a year for 4 years
    flat = pd.DataFrame({"tco2e_per_yr": [3.0], "lifetime_years": [4.0]})
    assert lifetime_tco2e(flat, 2040, first_year=2025)[0] == pytest.approx(12.0)
    # a stacked table: a row whose trajectory is blank (another workstream) uses its flat
    mixed = pd.concat([table.assign(lifetime_years=2.0), flat], ignore_index=True)
    assert lifetime_tco2e(mixed, 2028, first_year=2028).tolist() == pytest.approx([14.4, 12.0])


def test_lifetime_columns_per_milestone_year() -> None:
    table = pd.DataFrame({"tco2e_per_yr": [2.0, 1.0], "lifetime_years": [3.0, 30.0]})
    out = lifetime_columns(table, [2025, 2040], until="horizon", horizon=2050)
    # built 2040, to 2050: 3 years for the first, 11 for the second
    assert out["lifetime_tco2e_2040"].tolist() == pytest.approx([6.0, 11.0])
    assert out["lifetime_tco2e_2025"].tolist() == pytest.approx([6.0, 26.0])


def test_periods_money_and_delivery_by_hand() -> None:
    assert period_lengths([2025, 2030, 2040, 2050]) == {2025: 1, 2030: 5, 2040: 10, 2050: 10}
    assert funding_by_period([2025, 2030], per_year=2.0, start_year=2021) == {2025: 10.0,
                                                                              2030: 10.0}
    capacity = pd.DataFrame({"measure": ["heat_pumps_installed", "hectares_planted"],
                             "per_year": [100.0, 10.0], "low": [50.0, 5.0],
                             "high": [200.0, 20.0]})
    caps = delivery_limits(capacity, [2025, 2030], scale=0.5, level="low",
                           per_year={"hectares_planted": 7.0})
    assert caps == {"heat_pumps_installed": {2025: 25.0, 2030: 125.0},
                    "hectares_planted": {2025: 7.0, 2030: 35.0}}


def test_delivery_columns_count_each_measure_on_its_own_rows() -> None:
    laep = pd.DataFrame({"option": ["heat_pump", "fabric_first", "rooftop_pv", "do_nothing"],
                         "homes": [10.0, 4.0, 3.0, 0.0]})
    out = delivery_columns(laep, "laep")
    assert out["heat_pumps_installed"].tolist() == [10.0, 0.0, 0.0, 0.0]
    assert out["homes_retrofitted"].tolist() == [0.0, 4.0, 0.0, 0.0]
    assert out["pv_installed"].tolist() == [0.0, 0.0, 3.0, 0.0]
    chargers = pd.DataFrame({"chargers": [2.0, 4.0], "locked_in": [True, False]})
    assert delivery_columns(chargers, "chargers")["chargers_commissioned"].tolist() == [0, 4]
    assert set(DELIVERY) == {"homes_retrofitted", "heat_pumps_installed", "pv_installed",
                             "chargers_commissioned", "hectares_planted"}


def test_lifetime_objective_replaces_shares_and_keeps_the_old_one_by_name() -> None:
    table = pd.DataFrame({"candidate_id": ["a", "b"], "cost_gbp": [1.0, 1.0],
                          "tco2e_per_yr": [1.0, 2.0], "fuel_poor_homes": [3.0, 0.0]})
    coverage = MaximiseCoverage(Coverage(np.eye(2), np.ones(2)), weight=5.0, normalise=True)
    parts = ModelParts((MaximiseBenefit({"tco2e_per_yr": 1.0}), coverage), ())
    plan = PlanSection(years=[2025, 2030], co_benefits={"fuel_poor_homes": 2.0})
    phased = phasing(plan, {"retrofit": table}, {"retrofit": parts}, None)
    terms = phased.parts["retrofit"].objective
    assert [type(t).__name__ for t in terms] == ["PeriodBenefit", "PeriodBenefit",
                                                 "MaximiseCoverage"]
    assert terms[1].weight == 2.0
    assert terms[1].columns == {2025: "fuel_poor_homes", 2030: "fuel_poor_homes"}
    assert terms[2].weight == 0.0  # no EV weight given
    assert not terms[2].normalise
    old = phasing(plan.model_copy(update={"objective": "share_of_potential"}),
                  {"retrofit": table}, {"retrofit": parts}, None)
    assert old.parts["retrofit"] is parts
    assert lifetime_parts(parts, table, [2025], {}).objective[0].columns == {
        2025: "lifetime_tco2e_2025"}


def test_funding_profile_is_validated() -> None:
    with pytest.raises(ValidationError, match="not milestone years"):
        PlanSection(years=[2025, 2030], funding={"per_period": {2027: 1.0}})
    with pytest.raises(ValidationError, match="one of per_year and per_period"):
        PlanSection(funding={"per_year": 1.0, "per_period": {2025: 1.0}})
    with pytest.raises(ValidationError, match="after the first milestone"):
        PlanSection(years=[2025, 2030], funding={"per_year": 1.0, "start_year": 2026})


def test_period_table_adds_up_the_chosen_candidates() -> None:
    chosen = pd.DataFrame({"build_year": [2025, 2030, 2030], "cost_gbp": [1.0, 2.0, 3.0],
                           "tco2e_per_yr": [1.0, 1.0, 2.0],
                           "lifetime_tco2e_2025": [10.0, 0.0, 0.0],
                           "lifetime_tco2e_2030": [0.0, 8.0, 9.0],
                           "hectares_planted": [0.0, 4.0, 1.0]})
    table = period_table(chosen, [2025, 2030], funding={2025: 2.0, 2030: 4.0},
                         limits={"hectares_planted": {2025: 3.0, 2030: 6.0}})
    assert table["spend_gbp"].tolist() == [1.0, 5.0]
    assert table["cumulative_spend_gbp"].tolist() == [1.0, 6.0]
    assert table["lifetime_tco2e"].tolist() == [10.0, 17.0]
    assert table["hectares_planted"].tolist() == [0.0, 5.0]
    assert table["hectares_planted_cap"].tolist() == [3.0, 6.0]
    assert table["cumulative_funding_gbp"].tolist() == [2.0, 6.0]


def test_a_funding_profile_below_the_budget_is_named_with_what_can_be_spent() -> None:
    years = [2025, 2030, 2040]  # periods of 1, 5 and 10 years: 16 years of funding
    enough = PlanSection(years=years, horizon=2040, budget_gbp=16e6, funding={"per_year": 1e6})
    assert funding_shortfall(enough) is None  # 16 x 1m covers the 16m budget
    short = PlanSection(years=years, horizon=2040, budget_gbp=20e6, funding={"per_year": 1e6})
    message = funding_shortfall(short)
    assert message is not None
    assert "GBP 16,000,000 in all (GBP 1,000,000 a year, 2025-2040)" in message
    assert "plan.budget_gbp GBP 20,000,000" in message
    assert "fix: raise plan.funding" in message
    given = PlanSection(years=years, horizon=2040, budget_gbp=20e6,
                        funding={"per_period": {2030: 5e6, 2040: 7e6}})
    assert "GBP 12,000,000 in all (its per_period sums)" in str(funding_shortfall(given))
    assert funding_shortfall(PlanSection(years=years, horizon=2040, budget_gbp=20e6)) is None
