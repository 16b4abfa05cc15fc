"""Headroom inputs that used to give silent wrong plans (issue 11, section 4).

* A missing (NaN) or infinite headroom figure reached HiGHS as a bound it reads as "no
  limit": :class:`geoplan.optimise.Headroom` now refuses it, naming the substation and year,
  and :func:`geoplan.planning.solve.grid_limits` turns substations without figures into an error or
  the scenario's explicit ``grid.missing_headroom`` choice.
* A reinforcement ready after the only planning period counted in that period.

Every plan is checked against a brute force written here from the definitions (the module
docstrings of geoplan/optimise/constraints.py and geoplan/planning/solve.py), using none of
geoplan's model code: every assignment of a build period to each candidate and every choice
of at most one option per substation is enumerated.
"""

from __future__ import annotations

import itertools
import math
from types import SimpleNamespace

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geoplan.assumptions import read_assumptions
from geoplan.errors import GeoplanError, LayerSchemaError, ScenarioError
from geoplan.layers.grid import GRID_UNITS, power_factor
from geoplan.optimise import Budget, Headroom, MaximiseBenefit, PlanningProblem, SolverOptions
from geoplan.planning.solve import grid_limits, headroom_gaps
from geoplan.scenario.models import GridSection, PlanSection

EXACT = SolverOptions(mip_gap=0.0)
FEAS = 1e-6
HORIZON = 2050
PF = power_factor(read_assumptions(GRID_UNITS))  # kW per kVA, as the plan converts MVA
PARENTS = {"P1": "B", "P2": "B", "P3": "B", "B": "G", "G": None}
LEVELS = {"P1": "primary", "P2": "primary", "P3": "primary", "B": "bsp", "G": "gsp"}


def examples(n: int) -> settings:
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def chain(sub: str | None) -> list[str]:
    out, current = [], sub
    while current is not None:
        out.append(current)
        current = PARENTS[current]
    return out


# --------------------------------------------------------------------------------------------
# brute force


def brute_force(frame: pd.DataFrame, limit: dict[tuple[str, int], float], years: list[int],
                options: list[tuple[str, float, float, float]] | None = None,
                budget: float | None = None, weights: list[float] | None = None,
                only: tuple[int, ...] | None = None) -> float | None:
    """Best sum of weight(period) * b1 over every build plan and reinforcement choice.

    ``limit[(s, t)]``: headroom (kW) of constrained substation ``s`` in period ``t`` (absent:
    no limit). ``options``: (substation, capacity_kw, cost, ready_year); option k adds
    max(0, h + R) - max(0, h) at its substation from the first period whose year is at or
    after its ready year, and cannot be bought when there is none. ``only``: check this one
    assignment (period index per candidate, -1: not built). None: nothing feasible.
    """
    options = options or []
    n = len(frame)
    weights = weights or [HORIZON - y + 1 for y in years]
    load, benefit = frame["peak_kw_added"].to_numpy(float), frame["b1"].to_numpy(float)
    cost = frame["cost_gbp"].to_numpy(float)
    chains = [chain(s) for s in frame["substation_id"]]
    per_sub: dict[str, list[int]] = {}
    for k, option in enumerate(options):
        per_sub.setdefault(option[0], []).append(k)
    best = None
    plans = [only] if only is not None else itertools.product(range(-1, len(years)),
                                                                repeat=n)
    for assign in plans:
        for pick in itertools.product(*[[None, *ks] for ks in per_sub.values()]):
            bought = [k for k in pick if k is not None]
            if any(options[k][3] > years[-1] for k in bought):
                continue  # never ready within the plan
            spent = sum(cost[j] for j in range(n) if assign[j] >= 0) + sum(
                options[k][2] for k in bought)
            if budget is not None and spent > budget + FEAS:
                continue
            if not _fits(assign, bought, options, limit, years, load, chains):
                continue
            value = sum(weights[assign[j]] * benefit[j] for j in range(n) if assign[j] >= 0)
            best = value if best is None else max(best, value)
    return best


def _fits(assign: tuple[int, ...], bought: list[int], options: list, limit: dict,
          years: list[int], load: np.ndarray, chains: list[list[str]]) -> bool:
    for (sub, t), h in limit.items():
        added = sum(load[j] for j in range(len(load)) if 0 <= assign[j] <= t and sub in chains[j])
        extra = sum(max(0.0, h + options[k][1]) - max(0.0, h) for k in bought
                    if options[k][0] == sub and options[k][3] <= years[t])
        if added - extra > max(h, 0.0) + FEAS:
            return False
    return True


def solve(frame: pd.DataFrame, limits: pd.DataFrame, years: list[int] | None = None, *,
          options: pd.DataFrame | None = None, budget: float | None = None,
          year: int | None = None) -> object:
    constraints: list[object] = [Headroom(limits, PARENTS, reinforcements=options, year=year)]
    if budget is not None:
        constraints.append(Budget(budget))
    kwargs = {"periods": tuple(years), "horizon": HORIZON} if years else {}
    return PlanningProblem(frame, MaximiseBenefit({"b1": 1.0}, normalise=False),
                           constraints, **kwargs).solve(EXACT)


def candidates(loads: list[float], subs: list[str | None], benefit: list[float] | None = None,
               cost: list[float] | None = None) -> pd.DataFrame:
    n = len(loads)
    return pd.DataFrame({"candidate_id": [f"c{i}" for i in range(n)],
                         "cost_gbp": cost or [1.0] * n, "b1": benefit or [1.0] * n,
                         "substation_id": subs, "peak_kw_added": loads})


# --------------------------------------------------------------------------------------------
# hostile headroom limits given to the optimiser: the corpus


def _limits(**columns: list) -> pd.DataFrame:
    return pd.DataFrame(columns)


BAD_LIMITS = [
    ("nan figure", _limits(substation_id=["P1"], headroom_kw=[np.nan]), r"P1 \(nan\)"),
    ("none figure", _limits(substation_id=["P1"], headroom_kw=[None]), r"P1 \(None\)"),
    ("pd.NA figure", _limits(substation_id=["P1"], headroom_kw=pd.array([pd.NA],
                                                                        dtype="Float64")),
     r"P1 \(<NA>\)"),
    ("+inf figure", _limits(substation_id=["P1"], headroom_kw=[np.inf]), r"P1 \(inf\)"),
    ("-inf figure", _limits(substation_id=["P1"], headroom_kw=[-np.inf]), r"P1 \(-inf\)"),
    ("text figure", _limits(substation_id=["P1"], headroom_kw=["n/a"]), r"P1 \('n/a'\)"),
    ("empty text figure", _limits(substation_id=["P1"], headroom_kw=[""]), r"P1 \(''\)"),
    ("nan in one year of two", _limits(substation_id=["P1", "P1"], year=[2025, 2030],
                                       headroom_kw=[50.0, np.nan]), r"P1 in 2030 \(nan\)"),
    ("nan at the BSP only", _limits(substation_id=["P1", "B"], headroom_kw=[50.0, np.nan]),
     r"B \(nan\)"),
    ("nan at two substations", _limits(substation_id=["P1", "P2"],
                                       headroom_kw=[np.nan, np.inf]),
     r"P1 \(nan\), P2 \(inf\)"),
    ("eleven bad rows", _limits(substation_id=[f"S{i:02d}" for i in range(11)],
                                headroom_kw=[np.nan] * 11), r"S09 \(nan\) and 1 more"),
    ("no headroom_kw column", _limits(substation_id=["P1"], headroom_mva=[0.05]),
     r"miss the columns \['headroom_kw'\]"),
    ("no substation_id column", _limits(headroom_kw=[50.0]),
     r"miss the columns \['substation_id'\]"),
    ("blank substation id", _limits(substation_id=["P1", ""], headroom_kw=[50.0, 10.0]),
     r"rows \[2\] have no substation_id"),
    ("missing substation id", _limits(substation_id=["P1", None], headroom_kw=[50.0, 10.0]),
     r"rows \[2\] have no substation_id"),
]


@pytest.mark.parametrize(("limits", "message"), [c[1:] for c in BAD_LIMITS],
                         ids=[c[0] for c in BAD_LIMITS])
@pytest.mark.parametrize("years", [None, [2030], [2030, 2040]], ids=["unphased", "one", "two"])
def test_bad_headroom_is_refused_naming_the_substation(limits: pd.DataFrame, message: str,
                                                       years: list[int] | None) -> None:
    frame = candidates([100.0, 100.0], ["P1", "P2"])
    with pytest.raises(LayerSchemaError, match=message):
        solve(frame, limits, years)


def test_a_nan_figure_is_never_read_as_no_limit() -> None:
    # Before: HiGHS read the NaN bound as +inf and both 100 kW loads went onto P1.
    frame = candidates([100.0, 100.0], ["P1", "P1"])
    with pytest.raises(LayerSchemaError, match=r"P1 \(nan\).*grid.missing_headroom") as error:
        solve(frame, _limits(substation_id=["P1"], headroom_kw=[np.nan]), [2030])
    assert isinstance(error.value, GeoplanError)
    assert not isinstance(error.value, RuntimeError)  # not an InfeasibleError


# --------------------------------------------------------------------------------------------
# reinforcement ready years


ISSUE_OPTION = pd.DataFrame({"substation_id": ["P1"], "capacity_kw": [100.0],
                             "cost_gbp": [0.0], "ready_year": [2035]})
ONE_PRIMARY = _limits(substation_id=["P1"], headroom_kw=[100.0])


@pytest.mark.parametrize(("years", "year", "ready", "expected"), [
    ([2030], None, 2035, 1),          # the issue: ready after the only period
    (None, 2030, 2035, 1),            # unphased, dated 2030
    ([2030], None, 2030, 2),          # ready in the period's year
    ([2030], None, 2029, 2),
    (None, 2035, 2035, 2),
    ([2030, 2040], None, 2035, 2),    # one load by 2030, the other from 2040
    ([2030, 2040], None, 2045, 1),    # after the last period
    ([2025, 2030, 2040], None, 2041, 1),
    ([2025, 2030, 2040], None, 2040, 2),
], ids=["one-period-late", "unphased-late", "one-period-same-year", "one-period-early",
        "unphased-same-year", "two-periods-between", "two-periods-late", "three-late",
        "three-last"])
def test_reinforcement_counts_only_from_its_ready_year(years: list[int] | None,
                                                       year: int | None, ready: int,
                                                       expected: int) -> None:
    frame = candidates([100.0, 100.0], ["P1", "P1"])
    option = ISSUE_OPTION.assign(ready_year=ready)
    plan = solve(frame, ONE_PRIMARY, years, options=option, year=year)
    assert plan.status == "optimal"
    assert len(plan.selected_ids) == expected
    dated = years or [year]
    limit = {("P1", t): 100.0 for t in range(len(dated))}
    best = brute_force(frame, limit, dated, [("P1", 100.0, 0.0, ready)],
                       weights=None if years else [1.0])
    assert plan.objective == pytest.approx(best)


def test_a_dated_option_in_an_undated_plan_is_refused() -> None:
    frame = candidates([100.0, 100.0], ["P1", "P1"])
    with pytest.raises(ScenarioError, match=r"ready in 2035, but the plan has no year"):
        solve(frame, ONE_PRIMARY, options=ISSUE_OPTION)


def test_a_ready_year_that_is_not_a_year_is_refused() -> None:
    frame = candidates([100.0, 100.0], ["P1", "P1"])
    with pytest.raises(ScenarioError, match=r"ready_year 'soon' is not a year"):
        solve(frame, ONE_PRIMARY, [2030], options=ISSUE_OPTION.assign(ready_year="soon"))


def test_a_blank_ready_year_means_ready_from_the_start() -> None:
    frame = candidates([100.0, 100.0], ["P1", "P1"])
    option = ISSUE_OPTION.assign(ready_year=np.nan)
    assert len(solve(frame, ONE_PRIMARY, [2030], options=option).selected_ids) == 2


@st.composite
def ready_instances(draw: st.DrawFn) -> tuple:
    years = sorted(draw(st.lists(st.sampled_from([2025, 2030, 2035, 2040, 2045]),
                                 min_size=1, max_size=3, unique=True)))
    n = draw(st.integers(1, 4))
    frame = candidates([float(draw(st.integers(0, 40))) for _ in range(n)],
                       [draw(st.sampled_from(["P1", "P2"])) for _ in range(n)],
                       [float(draw(st.integers(1, 9))) for _ in range(n)],
                       [float(draw(st.integers(0, 3))) for _ in range(n)])
    heads = {s: float(draw(st.integers(-10, 30))) for s in ("P1", "P2", "B")}
    rows = [(s, k, float(draw(st.integers(1, 40))), float(draw(st.integers(0, 3))),
             draw(st.sampled_from([2020, 2025, 2030, 2035, 2040, 2045, 2050])))
            for s in ("P1", "P2", "B") for k in range(draw(st.integers(0, 2)))]
    budget = float(draw(st.integers(0, 10))) if draw(st.booleans()) else None
    return years, frame, heads, rows, budget


@examples(60)
@given(ready_instances())
def test_options_are_never_used_before_their_ready_year(instance: tuple) -> None:
    years, frame, heads, rows, budget = instance
    limits = _limits(substation_id=list(heads), headroom_kw=list(heads.values()))
    options = (pd.DataFrame(rows, columns=["substation_id", "option_id", "capacity_kw",
                                           "cost_gbp", "ready_year"]) if rows else None)
    plan = solve(frame, limits, years, options=options, budget=budget)
    limit = {(s, t): h for s, h in heads.items() for t in range(len(years))}
    best = brute_force(frame, limit, years, [(r[0], r[2], r[3], r[4]) for r in rows], budget)
    assert best is not None  # building nothing is always allowed
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(best, abs=1e-6)
    period = {y: t for t, y in enumerate(years)}
    chosen = tuple(period[int(p)] if s else -1
                   for s, p in zip(plan.table["selected"], plan.table["period"], strict=True))
    own = brute_force(frame, limit, years, [(r[0], r[2], r[3], r[4]) for r in rows], budget,
                      only=chosen)
    assert own is not None, "the plan needs an option before its ready year"
    assert own == pytest.approx(best, abs=1e-6)


# --------------------------------------------------------------------------------------------
# grid.missing_headroom through grid_limits


def scenario(choice: str, years: list[int]) -> SimpleNamespace:
    # the GSP never has figures here: listed as unconstrained, as the sample's base.yaml does
    return SimpleNamespace(grid=GridSection(missing_headroom=choice,
                                            unconstrained_levels=["gsp"]),
                           plan=PlanSection(years=years, horizon=HORIZON))


def layers(headroom: pd.DataFrame) -> SimpleNamespace:
    """Every primary serves a zone, so every substation lies on a served chain."""
    subs = pd.DataFrame({"substation_id": list(LEVELS), "level": list(LEVELS.values())})
    graph = nx.DiGraph([(parent, sub) for sub, parent in PARENTS.items() if parent])
    zones = pd.DataFrame({"zone_id": ["z1", "z2", "z3"], "substation_id": ["P1", "P2", "P3"]})
    return SimpleNamespace(headroom=headroom, substations=subs, grid=graph, zones=zones)


def canonical(rows: list[tuple[str, str, int | None, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["substation_id", "scenario", "year", "headroom_mva"])
    return frame.assign(year=pd.array(frame["year"], dtype="Int64"), season="winter")[
        ["substation_id", "scenario", "year", "season", "headroom_mva"]]


def expected_limits(headroom: pd.DataFrame, choice: str, years: list[int]
                    ) -> dict[tuple[str, int], float] | None:
    """The documented rule, from the canonical table: None when the run must stop."""
    rows = headroom[(headroom["scenario"] == "minimum") & headroom["headroom_mva"].notna()]
    figures = {s: sorted((int(y), 1000.0 * PF * h) for s2, y, h in
                         rows[["substation_id", "year", "headroom_mva"]].itertuples(index=False)
                         if s2 == s) for s in LEVELS}
    covered = {LEVELS[s] for s, f in figures.items() if f}
    if "bsp" not in covered:  # a served level without any figure stops the run unless listed
        return None
    limit = {}
    for s, found in figures.items():
        if not found and LEVELS[s] in covered:
            if choice == "error":
                return None
            found = [(0, 0.0)] if choice == "zero" else []
        for t, year in enumerate(years):
            if found:
                earlier = [h for y, h in found if y <= year]
                limit[(s, t)] = earlier[-1] if earlier else found[0][1]
    return limit


@st.composite
def missing_instances(draw: st.DrawFn) -> tuple:
    years = draw(st.sampled_from([[2030], [2030, 2040]]))
    rows = [("P3", "minimum", 2023, 0.5)]  # primaries always have figures
    for sub in ("P1", "P2", "B"):
        kind = draw(st.sampled_from(["full", "blank", "absent", "partial", "late"]))
        for year in draw(st.lists(st.sampled_from([2023, 2028, 2035]), min_size=1,
                                  max_size=3, unique=True)):
            figure = float(draw(st.integers(-5, 40))) / 1000.0
            blank = kind == "blank" or (kind == "partial" and draw(st.booleans()))
            if kind == "absent":
                rows.append((sub, "CT", year, figure))  # figures, but not for this scenario
            elif kind == "late":
                rows.append((sub, "minimum", year + 20, figure))  # after every plan year
            else:
                rows.append((sub, "minimum", year, math.nan if blank else figure))
    n = draw(st.integers(1, 4))
    frame = candidates([float(draw(st.integers(-10, 40))) for _ in range(n)],
                       [draw(st.sampled_from(["P1", "P2", "B", "G"])) for _ in range(n)],
                       [float(draw(st.integers(1, 9))) for _ in range(n)])
    choice = draw(st.sampled_from(["error", "unconstrained", "zero"]))
    return years, canonical(rows), frame, choice


@examples(80)
@given(missing_instances())
def test_each_missing_headroom_choice_gives_the_brute_force_plan(instance: tuple) -> None:
    years, headroom, frame, choice = instance
    limit = expected_limits(headroom, choice, years)
    if limit is None:
        # either rule that stops the run names the scenario key that would let it proceed
        with pytest.raises(LayerSchemaError,
                           match=r"grid\.(missing_headroom|unconstrained_levels)"):
            grid_limits(scenario(choice, years), layers(headroom))
        return
    limits = grid_limits(scenario(choice, years), layers(headroom))
    assert np.isfinite(limits["headroom_kw"]).all()
    plan = solve(frame, limits, years)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(brute_force(frame, limit, years), abs=1e-6)


def _one_missing(choice: str) -> tuple:
    # P1 has only a blank figure; P2 has 100 kW; two 60 kW loads at P1, one 60 kW at P2
    headroom = canonical([("P1", "minimum", 2023, math.nan), ("P2", "minimum", 2023, 0.1),
                          ("P3", "minimum", 2023, 0.1), ("B", "minimum", 2023, 1.0)])
    frame = candidates([60.0, 60.0, 60.0], ["P1", "P1", "P2"])
    return headroom, frame, scenario(choice, [2030])


def test_missing_headroom_error_names_the_substation() -> None:
    headroom, _, chosen = _one_missing("error")
    with pytest.raises(LayerSchemaError, match=r"minimum, winter at 1 substation.*P1 "
                                               r"\(primary\).*grid.missing_headroom"):
        grid_limits(chosen, layers(headroom))


@pytest.mark.parametrize(("choice", "chosen"), [("unconstrained", 3), ("zero", 1)])
def test_missing_headroom_choices_on_a_hand_case(choice: str, chosen: int) -> None:
    headroom, frame, picked = _one_missing(choice)
    plan = solve(frame, grid_limits(picked, layers(headroom)), [2030])
    assert len(plan.selected_ids) == chosen
    gaps = headroom_gaps(picked, layers(headroom))
    assert dict(gaps.missing) == {"P1": "primary"}
    assert dict(gaps.bare_levels) == {"gsp": 1}
    assert any("P1 (primary)" in note and f"grid.missing_headroom: {choice}" in note
               for note in gaps.notes())


def test_figures_only_after_the_plan_still_limit_it() -> None:
    # P1's only figure is for 2045, after the 2030 plan year: it is its limit (20 kW), not
    # "no limit" as when the year rule left it out of every plan year.
    headroom = canonical([("P1", "minimum", 2045, 0.02), ("P2", "minimum", 2023, 0.1),
                          ("P3", "minimum", 2023, 0.1), ("B", "minimum", 2023, 1.0)])
    frame = candidates([60.0], ["P1"])
    limits = grid_limits(scenario("error", [2030]), layers(headroom))
    assert solve(frame, limits, [2030]).selected_ids == ()
