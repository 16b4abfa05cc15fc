"""geoplan.optimise against brute force over every subset of small random instances.

Each brute force below is written from the mathematical definitions in the docstrings of
geoplan/optimise/{problem,objectives,constraints,candidates}.py and uses none of geoplan's
model code: every subset (or, when phased, every assignment of a build period) and every choice
of grid reinforcement is enumerated with numpy, the constraints are checked row by row and the
objective is evaluated directly. The capacitated coverage value of a subset is its assignment LP
solved with scipy.optimize.linprog.

Every plan geoplan returns is also checked for invariants (budgets, headroom at each substation
and its ancestors, locks, one option per group, ranks 1..n with the chosen ones first) and its
reported objective is recomputed from the candidates it chose.

``GEOPLAN_BRUTE_EXAMPLES=1000 pytest tests/test_optimise_bruteforce.py`` runs a deeper search.
"""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from geoplan.optimise import (
    Budget,
    Compactness,
    Count,
    Coverage,
    CoverageFloor,
    DistrictMinimum,
    Headroom,
    MaximiseBenefit,
    MaximiseCoverage,
    MinimiseCost,
    PlanningProblem,
    SolverOptions,
)
from geoplan.optimise.starts import heuristic_plan

# Exact optima wanted: HiGHS's default relative gap (1e-4) may stop short of them.
EXACT = SolverOptions(mip_gap=0.0)
REL = 1e-6
FEAS = 1e-7
EXAMPLES = int(os.environ.get("GEOPLAN_BRUTE_EXAMPLES", "100"))


def examples(share: float = 1.0) -> settings:
    return settings(max_examples=max(10, int(share * EXAMPLES)), deadline=None,
                    derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


PARENTS = {"P1": "B", "P2": "B", "B": None}
"""Two primaries under one BSP."""

GROUPS = [None, None, "", "g1", "g1", "g2"]
DISTRICTS = ["d1", "d1", "d2", "d2", "d3", ""]
SUBSTATIONS = ["P1", "P1", "P2", "P2", "", None]
PERIODS = (2030, 2040)
HORIZON = 2050
YEARS = np.array([HORIZON - y + 1 for y in PERIODS], dtype=float)  # 21, 11 years of benefit


def ancestors(substation: object) -> list[str]:
    """The substation and every ancestor, from PARENTS (blank: none)."""
    chain, current = [], substation if substation else None
    while current is not None:
        chain.append(current)
        current = PARENTS.get(current)
    return chain


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL, abs_tol=1e-9)


def all_subsets(n: int) -> np.ndarray:
    """Every subset of n candidates as a 0/1 matrix (2**n x n)."""
    return ((np.arange(2 ** n)[:, None] >> np.arange(n)) & 1).astype(float)


def all_assignments(n: int) -> np.ndarray:
    """Every assignment of a period index (-1: not built) to n candidates (3**n x n)."""
    return np.array(list(itertools.product(range(-1, len(PERIODS)), repeat=n)),
                    dtype=int).reshape(-1, n)


def reinforcement_choices(options: pd.DataFrame | None) -> np.ndarray:
    """Every choice of at most one option per substation, as 0/1 rows over the options."""
    if options is None or options.empty:
        return np.zeros((1, 0))
    per_sub: dict[str, list[int]] = {}
    for k, sub in enumerate(options["substation_id"]):
        per_sub.setdefault(sub, []).append(k)
    rows = []
    for pick in itertools.product(*[[None, *ks] for ks in per_sub.values()]):
        row = np.zeros(len(options))
        row[[k for k in pick if k is not None]] = 1.0
        rows.append(row)
    return np.array(rows)


def cross(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of a row of ``a`` with a row of ``b``."""
    return np.repeat(a, len(b), axis=0), np.tile(b, (len(a), 1))


# --------------------------------------------------------------------------------------------
# random instances, described without any geoplan object


@dataclass
class Instance:
    frame: pd.DataFrame
    weights: dict[str, float] = field(default_factory=dict)
    normalise: bool = False
    budget: float | None = None
    district_budget: float | dict[str, float] | None = None
    headroom: pd.DataFrame | None = None  # substation_id, headroom_kw (the least row applies)
    reinforcements: pd.DataFrame | None = None  # substation_id, capacity_kw, cost_gbp
    graph: bool = False  # give the grid to Headroom as a networkx graph
    minimum: tuple[str, object] | None = None
    targets: dict[str, float] | None = None
    pairs: pd.DataFrame | None = None
    bonus: float = 0.0
    order: tuple[int, ...] = ()  # order in which the constraints are given

    @property
    def n(self) -> int:
        return len(self.frame)

    def col(self, name: str) -> np.ndarray:
        return self.frame[name].to_numpy(dtype=float)

    def flags(self, name: str) -> np.ndarray:
        return self.frame[name].to_numpy(dtype=bool)

    def labels(self, name: str) -> np.ndarray:
        return np.array(["" if v is None or v != v else str(v) for v in self.frame[name]],
                        dtype=object)


@st.composite
def candidate_frames(draw: st.DrawFn, min_n: int = 2, max_n: int = 9) -> pd.DataFrame:
    n = draw(st.integers(min_n, max_n))
    ints = st.integers
    frame = pd.DataFrame({
        "candidate_id": [f"c{j}" for j in range(n)],
        "cost_gbp": [float(draw(ints(0, 20))) / 2 for _ in range(n)],
        "b1": [float(draw(ints(0, 20))) for _ in range(n)],
        "b2": [float(draw(ints(0, 12))) for _ in range(n)],
        "group_id": [draw(st.sampled_from(GROUPS)) for _ in range(n)],
        "district_id": [draw(st.sampled_from(DISTRICTS)) for _ in range(n)],
        "substation_id": [draw(st.sampled_from(SUBSTATIONS)) for _ in range(n)],
        "peak_kw_added": [float(draw(ints(0, 12))) for _ in range(n)],
    })
    lock = [draw(st.sampled_from(["free"] * 6 + ["in", "out"])) for _ in range(n)]
    seen: set[str] = set()
    for j, group in enumerate(frame["group_id"]):  # at most one locked-in option per group
        if lock[j] == "in" and group:  # blank ("" or None): a group of its own
            if group in seen:
                lock[j] = "free"
            seen.add(group)
    frame["locked_in"] = [s == "in" for s in lock]
    frame["locked_out"] = [s == "out" for s in lock]
    return frame


@st.composite
def headroom_limits(draw: st.DrawFn) -> pd.DataFrame:
    """0-2 rows per substation (the least applies), some negative (= constrained)."""
    rows = []
    for substation in ("P1", "P2", "B"):
        for _ in range(draw(st.integers(0, 2))):
            rows.append((substation, float(draw(st.integers(-5, 30)))))
    return pd.DataFrame(rows, columns=["substation_id", "headroom_kw"])


@st.composite
def reinforcement_options(draw: st.DrawFn, substations: list[str],
                          phased: bool = False) -> pd.DataFrame | None:
    """0-2 options at some limited substations (ready years 2030-2045 when phased)."""
    rows = []
    for sub in substations:
        for _ in range(draw(st.sampled_from([0, 1, 1, 2]))):
            row = {"substation_id": sub, "capacity_kw": float(draw(st.integers(1, 20))),
                   "cost_gbp": float(draw(st.integers(0, 8))) / 2}
            if phased:
                row["ready_year"] = draw(st.sampled_from([2030, 2035, 2040, 2045]))
            rows.append(row)
    return pd.DataFrame(rows) if rows else None


def district_keys(frame: pd.DataFrame) -> list[str]:
    return sorted({d for d in frame["district_id"] if d})


@st.composite
def benefit_instances(draw: st.DrawFn, max_n: int = 9) -> Instance:
    frame = draw(candidate_frames(max_n=max_n))
    keys = district_keys(frame)
    inst = Instance(frame)
    inst.weights = draw(st.sampled_from([{"b1": 1.0}, {"b1": 0.7, "b2": 0.3},
                                         {"b1": 2.0, "b2": 1.0}]))
    inst.normalise = draw(st.booleans())
    if draw(st.booleans()):
        inst.budget = float(draw(st.integers(0, int(frame["cost_gbp"].sum()) + 1)))
    if keys and draw(st.booleans()):
        if draw(st.booleans()):
            inst.district_budget = float(draw(st.integers(0, 15)))
        else:
            chosen = draw(st.lists(st.sampled_from(keys), min_size=1, unique=True))
            inst.district_budget = {k: float(draw(st.integers(0, 15))) for k in chosen}
    if draw(st.booleans()):
        inst.headroom = draw(headroom_limits())
        inst.graph = draw(st.booleans())
        subs = sorted(set(inst.headroom["substation_id"]))
        if draw(st.booleans()):
            inst.reinforcements = draw(reinforcement_options(subs))
    if keys and draw(st.integers(0, 2)) == 0:
        kind = draw(st.sampled_from(["amount", "amount_map", "share"]))
        if kind == "amount":
            inst.minimum = ("amount", float(draw(st.integers(0, 12))))
        elif kind == "amount_map":
            chosen = draw(st.lists(st.sampled_from(keys), min_size=1, unique=True))
            inst.minimum = ("amount", {k: float(draw(st.integers(0, 20))) for k in chosen})
        else:
            inst.minimum = ("share", draw(st.sampled_from([0.1, 0.2, 0.3])))
    inst.order = tuple(draw(st.permutations(range(4))))
    return inst


# --------------------------------------------------------------------------------------------
# brute force: constraints as boolean masks over rows of S (subsets x candidates) and of R
# (reinforcement choices x options)


def mask_locks_groups(inst: Instance, s: np.ndarray) -> np.ndarray:
    ok = (s[:, inst.flags("locked_in")] > 0.5).all(axis=1)
    ok &= (s[:, inst.flags("locked_out")] < 0.5).all(axis=1)
    groups = inst.labels("group_id")
    for g in set(groups) - {""}:
        ok &= s[:, groups == g].sum(axis=1) <= 1
    return ok


def least_headroom(limits: pd.DataFrame) -> dict[str, float]:
    """The least headroom of each substation's rows (no year column)."""
    least: dict[str, float] = {}
    for sub, h in zip(limits["substation_id"], limits["headroom_kw"], strict=True):
        least[sub] = min(least.get(sub, math.inf), h)
    return least


def headroom_load(inst: Instance, substation: str) -> np.ndarray:
    """Load of each candidate that counts at ``substation`` (its own or an ancestor)."""
    member = np.array([substation in ancestors(s) for s in inst.labels("substation_id")])
    return inst.col("peak_kw_added") * member


def extra_headroom(options: pd.DataFrame | None, sub: str, h: float,
                   ready: np.ndarray | None = None) -> np.ndarray:
    """e_sk = max(0, h + R_sk) - max(0, h) per option (0 elsewhere or when not ready)."""
    if options is None:
        return np.zeros(0)
    gain = np.maximum(0.0, h + options["capacity_kw"].to_numpy(float)) - max(0.0, h)
    here = options["substation_id"].to_numpy() == sub
    return np.where(here & (True if ready is None else ready), gain, 0.0)


def mask_constraints(inst: Instance, s: np.ndarray, r: np.ndarray | None = None) -> np.ndarray:
    r = np.zeros((len(s), 0)) if r is None else r
    ok = mask_locks_groups(inst, s)
    cost = inst.col("cost_gbp")
    spent_r = r @ reinforcement_cost(inst)
    districts = inst.labels("district_id")
    keys = sorted(set(districts) - {""})
    if inst.budget is not None:
        ok &= s @ cost + spent_r <= inst.budget + FEAS
    if inst.district_budget is not None:
        limits = (inst.district_budget if isinstance(inst.district_budget, dict)
                  else dict.fromkeys(keys, inst.district_budget))
        for key, limit in limits.items():
            ok &= s @ (cost * (districts == key)) <= limit + FEAS
    if inst.headroom is not None:
        for sub, h in least_headroom(inst.headroom).items():
            extra = r @ extra_headroom(inst.reinforcements, sub, h) if r.shape[1] else 0.0
            ok &= s @ headroom_load(inst, sub) - extra <= max(h, 0.0) + FEAS
    if inst.minimum is not None:
        kind, value = inst.minimum
        b = inst.col("b1")
        if kind == "amount":
            amounts = value if isinstance(value, dict) else dict.fromkeys(keys, value)
            for key, amount in amounts.items():
                ok &= s @ (b * (districts == key)) >= amount - FEAS
        else:
            for key in keys:
                ok &= s @ (b * (districts == key)) >= value * (s @ b) - FEAS
    if inst.targets is not None:
        for column, target in inst.targets.items():
            ok &= s @ inst.col(column) >= target - FEAS
    return ok


def reinforcement_cost(inst: Instance) -> np.ndarray:
    if inst.reinforcements is None:
        return np.zeros(0)
    return inst.reinforcements["cost_gbp"].to_numpy(float)


def benefit_per_candidate(inst: Instance) -> np.ndarray:
    total = np.zeros(inst.n)
    for column, weight in inst.weights.items():
        values = inst.col(column)
        scale = values.sum() if inst.normalise and values.sum() > 0 else 1.0
        total += weight * values / scale
    return total


def pair_bonus(inst: Instance, s: np.ndarray) -> np.ndarray:
    """Compactness bonus of each subset: bonus * shared_m of each pair chosen together."""
    out = np.zeros(len(s))
    if inst.pairs is None:
        return out
    index = {cid: j for j, cid in enumerate(inst.frame["candidate_id"])}
    for a, b, shared in inst.pairs[["a", "b", "shared_m"]].itertuples(index=False):
        out += inst.bonus * shared * s[:, index[a]] * s[:, index[b]]
    return out


def value_max(inst: Instance, s: np.ndarray, r: np.ndarray | None = None) -> np.ndarray:
    return s @ benefit_per_candidate(inst) + pair_bonus(inst, s)


def value_min(inst: Instance, s: np.ndarray, r: np.ndarray | None = None) -> np.ndarray:
    spent_r = 0.0 if r is None or not r.shape[1] else r @ reinforcement_cost(inst)
    return s @ inst.col("cost_gbp") + spent_r - pair_bonus(inst, s)


def brute_force(inst: Instance, value: object, sense: str) -> tuple[float | None, object]:
    """Best value over every subset and reinforcement choice (None: nothing feasible).

    Also returns ``best_for(subset)``: the best value of one subset over the reinforcement
    choices that make it feasible (None when none does), to check geoplan's own plan.
    """
    choices = reinforcement_choices(inst.reinforcements)

    def evaluate(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        big_s, big_r = cross(s, choices)
        ok = mask_constraints(inst, big_s, big_r)
        values = value(inst, big_s, big_r)
        worst = -np.inf if sense == "max" else np.inf
        values = np.where(ok, values, worst).reshape(len(s), len(choices))
        best = values.max(axis=1) if sense == "max" else values.min(axis=1)
        return ok.reshape(len(s), len(choices)).any(axis=1), best

    feasible, values = evaluate(all_subsets(inst.n))
    if not feasible.any():
        return None, evaluate
    return float(values[feasible].max() if sense == "max" else values[feasible].min()), evaluate


# --------------------------------------------------------------------------------------------
# geoplan side


def geoplan_constraints(inst: Instance) -> list[object]:
    slots: list[object | None] = [None] * 4
    if inst.budget is not None:
        slots[0] = Budget(inst.budget)
    if inst.district_budget is not None:
        slots[1] = Budget(inst.district_budget, by="district_id", name="district")
    if inst.headroom is not None:
        parents: object = PARENTS
        if inst.graph:
            parents = nx.DiGraph([(p, c) for c, p in PARENTS.items() if p is not None])
        slots[2] = Headroom(inst.headroom, parents, load_column="peak_kw_added",
                            reinforcements=inst.reinforcements)
    if inst.minimum is not None:
        kind, value = inst.minimum
        slots[3] = DistrictMinimum("b1", **{kind: value})
    order = inst.order or tuple(range(4))
    return [slots[i] for i in order if slots[i] is not None]


def selected_vector(plan: object) -> np.ndarray:
    return plan.table["selected"].to_numpy(dtype=bool).astype(float)


def check_ranks(plan: object) -> None:
    table = plan.table
    ranks = table["rank"].to_numpy(dtype=int)
    selected = table["selected"].to_numpy(dtype=bool)
    assert sorted(ranks.tolist()) == list(range(1, len(table) + 1))
    assert sorted(ranks[selected].tolist()) == list(range(1, int(selected.sum()) + 1))
    assert table["reason"].map(lambda r: isinstance(r, str) and r != "").all()


def check_plan(plan: object, inst: Instance, best: float | None, best_for: object,
               sense: str) -> None:
    """Compare geoplan's plan with the brute-force optimum and check invariants."""
    assert list(plan.table["candidate_id"]) == list(inst.frame["candidate_id"])
    event(f"n={inst.n}, feasible: {best is not None}")
    if best is None:
        assert plan.status == "infeasible", (plan.status, plan.objective)
        assert not plan.table["selected"].any()
        return
    assert plan.status == "optimal", (plan.status, plan.detail, best)
    assert close(plan.objective, best), (plan.objective, best)
    feasible, value = best_for(selected_vector(plan)[None, :])
    assert feasible[0], "geoplan's plan breaks a constraint (for every reinforcement choice)"
    assert close(float(value[0]), plan.objective), ("objective misreported", value, plan)
    if plan.bound is not None:
        slack = 1e-6 * max(1.0, abs(best))
        assert plan.bound >= best - slack if sense == "max" else plan.bound <= best + slack
    check_ranks(plan)


# --------------------------------------------------------------------------------------------
# (a) MaximiseBenefit with budgets, groups, locks, headroom (+ reinforcement), minimums


@examples()
@given(benefit_instances())
def test_maximise_benefit_matches_brute_force(inst: Instance) -> None:
    best, best_for = brute_force(inst, value_max, "max")
    plan = PlanningProblem(inst.frame, MaximiseBenefit(inst.weights, normalise=inst.normalise),
                           geoplan_constraints(inst)).solve(EXACT)
    check_plan(plan, inst, best, best_for, "max")


# --------------------------------------------------------------------------------------------
# (b) MinimiseCost with targets


@st.composite
def cost_instances(draw: st.DrawFn) -> Instance:
    inst = draw(benefit_instances())
    inst.weights = {}
    inst.targets = {"b1": float(draw(st.integers(0, int(inst.frame["b1"].sum()) + 2)))}
    if draw(st.booleans()):
        inst.targets["b2"] = float(draw(st.integers(0, int(inst.frame["b2"].sum()) + 2)))
    return inst


@examples()
@given(cost_instances())
def test_minimise_cost_matches_brute_force(inst: Instance) -> None:
    best, best_for = brute_force(inst, value_min, "min")
    plan = PlanningProblem(inst.frame, MinimiseCost(inst.targets),
                           geoplan_constraints(inst)).solve(EXACT)
    check_plan(plan, inst, best, best_for, "min")


# --------------------------------------------------------------------------------------------
# (c) maximal covering, uncapacitated and capacitated


@dataclass
class CoverInstance:
    inst: Instance
    matrix: np.ndarray  # demand points x candidates, 0/1
    demand: np.ndarray
    count: int | None = None
    count_by_district: int | None = None
    capacity: np.ndarray | None = None
    weight: float = 1.0
    normalise: bool = False
    benefit: float = 0.0
    demand_district: np.ndarray | None = None
    floor: float | dict[str, float] | None = None


@st.composite
def cover_instances(draw: st.DrawFn, capacitated: bool = False) -> CoverInstance:
    frame = draw(candidate_frames(max_n=7 if capacitated else 9))
    if draw(st.booleans()):
        frame["group_id"] = None
    n = len(frame)
    n_demand = draw(st.integers(1, 8 if capacitated else 12))
    density = draw(st.sampled_from([0.15, 0.3, 0.5]))
    matrix = np.array([[draw(st.integers(0, 99)) < 100 * density for _ in range(n)]
                       for _ in range(n_demand)], dtype=float)
    demand = np.array([float(draw(st.integers(1 if capacitated else 0, 10)))
                       for _ in range(n_demand)])
    cover = CoverInstance(Instance(frame), matrix, demand)
    kind = draw(st.sampled_from(["count", "budget", "both", "district count"]))
    if kind in ("count", "both"):
        cover.count = draw(st.integers(0, n))
    if kind in ("budget", "both"):
        cover.inst.budget = float(draw(st.integers(0, int(frame["cost_gbp"].sum()) + 1)))
    if kind == "district count":
        cover.count_by_district = draw(st.integers(0, 3))
    if capacitated:
        cover.capacity = np.array([float(draw(st.integers(0, 15))) for _ in range(n)])
    else:
        cover.weight = draw(st.sampled_from([1.0, 2.5]))
        cover.normalise = draw(st.booleans())
        cover.benefit = draw(st.sampled_from([0.0, 0.0, 0.1]))
        if draw(st.integers(0, 2)) == 0:
            cover.demand_district = np.array([draw(st.sampled_from(["n", "s"]))
                                              for _ in range(n_demand)], dtype=object)
            cover.floor = draw(st.sampled_from([0.3, 0.6, {"n": 0.5}, {"s": 1.0}]))
    return cover


def cover_mask(cover: CoverInstance, s: np.ndarray) -> np.ndarray:
    ok = mask_constraints(cover.inst, s)
    if cover.count is not None:
        ok &= s.sum(axis=1) <= cover.count + FEAS
    if cover.count_by_district is not None:
        districts = cover.inst.labels("district_id")
        for key in set(districts) - {""}:
            ok &= s[:, districts == key].sum(axis=1) <= cover.count_by_district + FEAS
    if cover.floor is not None:
        covered = ((s @ cover.matrix.T) > 0.5).astype(float)
        keys = sorted(set(cover.demand_district))
        floors = cover.floor if isinstance(cover.floor, dict) else dict.fromkeys(keys,
                                                                                 cover.floor)
        for key, share in floors.items():
            in_d = cover.demand * (cover.demand_district == key)
            ok &= covered @ in_d >= share * in_d.sum() - FEAS
    return ok


def cover_value(cover: CoverInstance, s: np.ndarray) -> np.ndarray:
    """sum_i w_i [point i covered by a chosen candidate], scaled, plus any benefit term."""
    covered = (s @ cover.matrix.T) > 0.5
    total = cover.demand.sum()
    scale = cover.weight / (total if cover.normalise and total > 0 else 1.0)
    return scale * (covered @ cover.demand) + cover.benefit * (s @ cover.inst.col("b1"))


def capacitated_value(cover: CoverInstance, chosen: np.ndarray) -> float:
    """max sum_ij w_i z_ij: sum_j z_ij <= 1, sum_i w_i z_ij <= u_j, z >= 0 on covering pairs."""
    pairs = [(i, j) for i, j in zip(*np.nonzero(cover.matrix), strict=True) if chosen[j] > 0.5]
    if not pairs:
        return 0.0
    rows, sites = np.array(pairs).T
    k, w = len(pairs), cover.demand
    per_point = sp.csr_matrix((np.ones(k), (rows, np.arange(k))), shape=(len(w), k))
    per_site = sp.csr_matrix((w[rows], (sites, np.arange(k))), shape=(cover.inst.n, k))
    result = linprog(-w[rows], A_ub=sp.vstack([per_point, per_site]).toarray(),
                     b_ub=np.concatenate([np.ones(len(w)), cover.capacity]),
                     bounds=(0, None), method="highs")
    assert result.status == 0
    return -result.fun


def geoplan_cover(cover: CoverInstance) -> PlanningProblem:
    coverage = Coverage(sp.csr_matrix(cover.matrix), cover.demand, capacity=cover.capacity,
                        demand_district=cover.demand_district)
    objective: list[object] = [MaximiseCoverage(coverage, weight=cover.weight,
                                                normalise=cover.normalise)]
    if cover.benefit:
        objective.append(MaximiseBenefit({"b1": cover.benefit}, normalise=False))
    constraints = geoplan_constraints(cover.inst)
    if cover.count is not None:
        constraints.append(Count(cover.count))
    if cover.count_by_district is not None:
        constraints.append(Count(cover.count_by_district, by="district_id"))
    if cover.floor is not None:
        constraints.append(CoverageFloor(cover.floor))
    return PlanningProblem(cover.inst.frame, objective, constraints)


def check_cover_plan(plan: object, cover: CoverInstance, best: float | None,
                     evaluate: object) -> None:
    assert list(plan.table["candidate_id"]) == list(cover.inst.frame["candidate_id"])
    event(f"n={cover.inst.n}, feasible: {best is not None}")
    if best is None:
        assert plan.status == "infeasible", (plan.status, plan.objective)
        return
    assert plan.status == "optimal", (plan.status, plan.notes, best)
    assert close(plan.objective, best), (plan.objective, best)
    chosen = selected_vector(plan)
    assert cover_mask(cover, chosen[None, :])[0], "geoplan's plan breaks a constraint"
    assert close(evaluate(chosen), plan.objective), "objective misreported"
    check_ranks(plan)


@examples()
@given(cover_instances())
def test_maximal_covering_matches_brute_force(cover: CoverInstance) -> None:
    s = all_subsets(cover.inst.n)
    feasible = cover_mask(cover, s)
    value = cover_value(cover, s)
    best = float(value[feasible].max()) if feasible.any() else None
    plan = geoplan_cover(cover).solve(EXACT)
    check_cover_plan(plan, cover, best, lambda x: float(cover_value(cover, x[None, :])[0]))


@examples(0.7)
@given(cover_instances(capacitated=True))
def test_capacitated_covering_matches_brute_force(cover: CoverInstance) -> None:
    s = all_subsets(cover.inst.n)
    feasible = cover_mask(cover, s)
    best = None
    if feasible.any():
        # The capacitated value only grows with the subset, and the feasible subsets here are
        # those holding the locked-in ones within a down-closed family: the optimum is at a
        # feasible subset to which no single candidate can be added.
        feasible_set = {tuple(row) for row in s[feasible].astype(int)}
        maximal = [row for row in s[feasible].astype(int)
                   if not any(tuple(np.where(np.arange(len(row)) == j, 1, row)) in feasible_set
                              for j in np.flatnonzero(row == 0))]
        best = max(capacitated_value(cover, row) for row in maximal)
    plan = geoplan_cover(cover).solve(EXACT)
    check_cover_plan(plan, cover, best, lambda x: capacitated_value(cover, x))


@examples(0.7)
@given(cover_instances(capacitated=True))
def test_capacitated_greedy_start_is_feasible_and_honestly_valued(cover: CoverInstance) -> None:
    """The capacitated start keeps every constraint, and its value is that of its own choice.

    Checked independently: feasibility by the brute-force mask, the value by the assignment LP
    of the chosen sites (the start's assignment is polished to that LP's optimum), and never
    above the brute-force optimum.
    """
    compiled = geoplan_cover(cover).compile()
    start = heuristic_plan(compiled, EXACT)
    if start.x is None:
        event(f"no capacitated start: {start.notes}")
        return
    assert start.kind == "capacitated"
    block = compiled.context.x
    chosen = start.x[block.start:block.stop] > 0.5
    assert cover_mask(cover, chosen[None, :].astype(float))[0], "start breaks a constraint"
    value = compiled.model.objective(start.x)
    assert close(value, capacitated_value(cover, chosen.astype(float))), (value, start.notes)
    s = all_subsets(cover.inst.n)
    feasible = cover_mask(cover, s)
    best = max(capacitated_value(cover, row) for row in s[feasible])
    assert value <= best + 1e-6


# --------------------------------------------------------------------------------------------
# (d) compactness bonus (maximising) and discount (minimising)


@st.composite
def compact_instances(draw: st.DrawFn, minimise: bool = False) -> Instance:
    inst = draw(cost_instances() if minimise else benefit_instances())
    possible = [(a, b) for a in range(inst.n) for b in range(a + 1, inst.n)]
    rows = []
    for a, b in draw(st.lists(st.sampled_from(possible), unique=True)):
        a, b = (b, a) if draw(st.booleans()) else (a, b)
        rows.append((f"c{a}", f"c{b}", float(draw(st.integers(1, 30)))))
    inst.pairs = pd.DataFrame(rows, columns=["a", "b", "shared_m"])
    inst.bonus = draw(st.sampled_from([0.05, 0.2, 1.0]))
    return inst


@examples()
@given(compact_instances())
def test_compactness_bonus_matches_brute_force(inst: Instance) -> None:
    best, best_for = brute_force(inst, value_max, "max")
    objective = [MaximiseBenefit(inst.weights, normalise=inst.normalise),
                 Compactness(inst.pairs, bonus_per_m=inst.bonus)]
    plan = PlanningProblem(inst.frame, objective, geoplan_constraints(inst)).solve(EXACT)
    check_plan(plan, inst, best, best_for, "max")


@examples(0.6)
@given(compact_instances(minimise=True))
def test_compactness_discount_matches_brute_force(inst: Instance) -> None:
    best, best_for = brute_force(inst, value_min, "min")
    objective = [MinimiseCost(inst.targets), Compactness(inst.pairs, bonus_per_m=inst.bonus)]
    plan = PlanningProblem(inst.frame, objective, geoplan_constraints(inst)).solve(EXACT)
    check_plan(plan, inst, best, best_for, "min")


# --------------------------------------------------------------------------------------------
# phased: periods (2030, 2040), horizon 2050


@dataclass
class PhasedInstance:
    inst: Instance
    period_budget: dict[int, float]
    total_budget: float | None
    limits: pd.DataFrame | None  # substation_id, year, headroom_kw
    reinforcements: pd.DataFrame | None = None  # ... and ready_year
    targets: dict[int, float] | None = None
    headroom_first: bool = False


@st.composite
def phased_instances(draw: st.DrawFn, minimise: bool = False) -> PhasedInstance:
    frame = draw(candidate_frames(max_n=7))
    inst = Instance(frame, weights={"b1": 1.0, "b2": 0.5}, normalise=draw(st.booleans()))
    total = int(frame["cost_gbp"].sum())
    budget = {y: float(draw(st.integers(0, total + 1))) for y in PERIODS}
    total_budget = float(draw(st.integers(0, total + 1))) if draw(st.booleans()) else None
    ph = PhasedInstance(inst, budget, total_budget, None)
    if draw(st.booleans()):
        rows = []
        for substation in ("P1", "P2", "B"):
            years = draw(st.lists(st.sampled_from([2025, 2030, 2035, 2045]), unique=True,
                                  max_size=3))
            rows += [(substation, y, float(draw(st.integers(-5, 30)))) for y in years]
        ph.limits = pd.DataFrame(rows, columns=["substation_id", "year", "headroom_kw"])
        if draw(st.integers(0, 2)) == 0 and len(ph.limits):
            ph.reinforcements = draw(reinforcement_options(
                sorted(set(ph.limits["substation_id"])), phased=True))
            if ph.reinforcements is not None and inst.n > 6:
                inst.frame = inst.frame.iloc[:6]
    if minimise:
        b1 = int(inst.frame["b1"].sum())
        first = draw(st.integers(0, b1 + 2))
        ph.targets = {2030: float(first), 2040: float(draw(st.integers(first, b1 + 2)))}
    ph.headroom_first = draw(st.booleans())
    return ph


def headroom_for_year(limits: pd.DataFrame, substation: str, year: int) -> float:
    """That year's value, else the latest earlier one, else the earliest (docstring rule)."""
    rows = sorted((int(y), h) for s, y, h in limits[["substation_id", "year", "headroom_kw"]]
                  .itertuples(index=False) if s == substation)
    earlier = [h for y, h in rows if y <= year]
    return earlier[-1] if earlier else rows[0][1]


def ready_period(options: pd.DataFrame) -> np.ndarray:
    """Index of the first period whose year is at or after each option's ready year (-1)."""
    return np.array([next((t for t, y in enumerate(PERIODS) if y >= ready), -1)
                     for ready in options["ready_year"]])


def phased_mask(ph: PhasedInstance, assign: np.ndarray, r: np.ndarray) -> np.ndarray:
    inst = ph.inst
    ok = mask_locks_groups(inst, (assign >= 0).astype(float))
    cost = inst.col("cost_gbp")
    rcost = np.zeros(0) if ph.reinforcements is None else ph.reinforcements["cost_gbp"].to_numpy()
    ready = np.zeros(0, int) if ph.reinforcements is None else ready_period(ph.reinforcements)
    if r.shape[1]:
        ok &= (r[:, ready < 0] < 0.5).all(axis=1)  # never ready within the plan
    for t, year in enumerate(PERIODS):
        spent = (assign == t).astype(float) @ cost + (r @ (rcost * (ready == t)) if r.shape[1]
                                                      else 0.0)
        ok &= spent <= ph.period_budget[year] + FEAS
    if ph.total_budget is not None:
        spent = (assign >= 0).astype(float) @ cost + (r @ rcost if r.shape[1] else 0.0)
        ok &= spent <= ph.total_budget + FEAS
    if ph.limits is not None:
        for t, year in enumerate(PERIODS):
            by_then = ((assign >= 0) & (assign <= t)).astype(float)
            for sub in sorted(set(ph.limits["substation_id"])):
                h = headroom_for_year(ph.limits, sub, year)
                extra = (r @ extra_headroom(ph.reinforcements, sub, h, (ready >= 0) & (ready <= t))
                         if r.shape[1] else 0.0)
                ok &= by_then @ headroom_load(inst, sub) - extra <= max(h, 0.0) + FEAS
    if ph.targets is not None:
        for t, year in enumerate(PERIODS):
            by_then = ((assign >= 0) & (assign <= t)).astype(float)
            ok &= by_then @ inst.col("b1") >= ph.targets[year] - FEAS
    return ok


def phased_value(ph: PhasedInstance, assign: np.ndarray, r: np.ndarray) -> np.ndarray:
    if ph.targets is not None:
        rcost = (r @ ph.reinforcements["cost_gbp"].to_numpy() if r.shape[1] else 0.0)
        return (assign >= 0).astype(float) @ ph.inst.col("cost_gbp") + rcost
    per_candidate = benefit_per_candidate(ph.inst)
    return sum(YEARS[t] * ((assign == t).astype(float) @ per_candidate)
               for t in range(len(PERIODS)))


def phased_problem(ph: PhasedInstance) -> PlanningProblem:
    constraints: list[object] = [Budget(ph.period_budget, by="period")]
    if ph.total_budget is not None:
        constraints.append(Budget(ph.total_budget, name="total"))
    if ph.limits is not None:
        headroom = Headroom(ph.limits, PARENTS, load_column="peak_kw_added",
                            reinforcements=ph.reinforcements)
        constraints = [headroom, *constraints] if ph.headroom_first else [*constraints,
                                                                           headroom]
    objective = (MinimiseCost({"b1": ph.targets}) if ph.targets is not None
                 else MaximiseBenefit(ph.inst.weights, normalise=ph.inst.normalise))
    return PlanningProblem(ph.inst.frame, objective, constraints, periods=PERIODS,
                           horizon=HORIZON)


def check_phased(ph: PhasedInstance, sense: str) -> None:
    choices = reinforcement_choices(ph.reinforcements)

    def evaluate(assign: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        big_a, big_r = cross(assign, choices)
        ok = phased_mask(ph, big_a, big_r)
        worst = -np.inf if sense == "max" else np.inf
        values = np.where(ok, phased_value(ph, big_a, big_r), worst).reshape(
            len(assign), len(choices))
        best = values.max(axis=1) if sense == "max" else values.min(axis=1)
        return ok.reshape(len(assign), len(choices)).any(axis=1), best

    feasible, values = evaluate(all_assignments(ph.inst.n))
    plan = phased_problem(ph).solve(EXACT)
    event(f"n={ph.inst.n}, feasible: {feasible.any()}")
    if not feasible.any():
        assert plan.status == "infeasible", (plan.status, plan.objective)
        return
    best = values[feasible].max() if sense == "max" else values[feasible].min()
    assert plan.status == "optimal", (plan.status, plan.detail, best)
    assert close(plan.objective, best), (plan.objective, best)
    table = plan.table
    period_of = {y: t for t, y in enumerate(PERIODS)}
    chosen = np.array([period_of[int(p)] if s else -1
                       for s, p in zip(table["selected"], table["period"], strict=True)])
    ok, value = evaluate(chosen[None, :])
    assert ok[0], "geoplan's phased plan breaks a constraint"
    assert close(float(value[0]), plan.objective), "objective misreported"
    check_ranks(plan)


@examples(0.8)
@given(phased_instances())
def test_phased_benefit_matches_brute_force(ph: PhasedInstance) -> None:
    check_phased(ph, "max")


@examples(0.5)
@given(phased_instances(minimise=True))
def test_phased_cost_with_milestone_targets_matches_brute_force(ph: PhasedInstance) -> None:
    check_phased(ph, "min")


@st.composite
def phased_cover_instances(draw: st.DrawFn) -> tuple[CoverInstance, dict[int, float]]:
    cover = draw(cover_instances())
    n = min(cover.inst.n, 6)
    cover.inst.frame = cover.inst.frame.iloc[:n]
    cover.matrix = cover.matrix[:, :n]
    cover.count = None if cover.count is None else min(cover.count, n)
    cover.inst.budget = None
    cover.count_by_district = None
    total = int(cover.inst.frame["cost_gbp"].sum())
    return cover, {y: float(draw(st.integers(0, total + 1))) for y in PERIODS}


@examples(0.5)
@given(phased_cover_instances())
def test_phased_coverage_counts_the_plan_built_by_the_last_period(
        case: tuple[CoverInstance, dict[int, float]]) -> None:
    # Coverage (not weighted by years) of every candidate built in any period, plus the
    # year-weighted benefit term; budgets per period; count over the whole plan.
    cover, budget = case
    assign = all_assignments(cover.inst.n)
    built = (assign >= 0).astype(float)
    ok = cover_mask(cover, built)
    cost = cover.inst.col("cost_gbp")
    for t, year in enumerate(PERIODS):
        ok &= (assign == t).astype(float) @ cost <= budget[year] + FEAS
    total = cover.demand.sum()
    scale = cover.weight / (total if cover.normalise and total > 0 else 1.0)
    value = scale * (((built @ cover.matrix.T) > 0.5) @ cover.demand)
    value = value + sum(YEARS[t] * cover.benefit * ((assign == t).astype(float)
                                                    @ cover.inst.col("b1"))
                        for t in range(len(PERIODS)))
    problem = geoplan_cover(cover)
    plan = PlanningProblem(problem.candidates, problem.objective,
                           [*problem.constraints, Budget(budget, by="period")],
                           periods=PERIODS, horizon=HORIZON).solve(EXACT)
    if not ok.any():
        assert plan.status == "infeasible", (plan.status, plan.objective)
        return
    assert plan.status == "optimal", (plan.status, plan.notes)
    assert close(plan.objective, float(value[ok].max())), (plan.objective, value[ok].max())
    check_ranks(plan)


# --------------------------------------------------------------------------------------------
# default solver options: a plan within the documented gap, never better than the optimum


@examples(0.4)
@given(benefit_instances())
def test_default_options_within_stated_gap(inst: Instance) -> None:
    best, _ = brute_force(inst, value_max, "max")
    plan = PlanningProblem(inst.frame, MaximiseBenefit(inst.weights, normalise=inst.normalise),
                           geoplan_constraints(inst)).solve()
    if best is None:
        assert plan.status == "infeasible"
        return
    slack = 1e-6 * max(1.0, abs(best))
    assert plan.has_plan
    assert plan.objective <= best + slack
    assert plan.bound >= best - slack
    if plan.status == "optimal":
        assert plan.objective >= best - 1e-4 * abs(best) - slack


# --------------------------------------------------------------------------------------------
# hand-made cases of documented behaviour, most of them bugs the random search found


def test_period_budget_with_one_amount_applies_to_every_period() -> None:
    # Budget docstring: "with ``by``, a mapping key -> amount (or one amount for every key)".
    # Budget(3.0, by="period") should allow spending 3 in 2030 and 3 in 2040; brute force:
    # a (benefit 5) in 2030 for 21 years + b (4) in 2040 for 11 years = 149.
    frame = pd.DataFrame({"candidate_id": ["a", "b", "c"], "cost_gbp": [3.0, 3.0, 3.0],
                          "b1": [5.0, 4.0, 3.0]})
    assign = all_assignments(3)
    ok = np.ones(len(assign), dtype=bool)
    for t in range(len(PERIODS)):
        ok &= (assign == t).astype(float) @ frame["cost_gbp"].to_numpy() <= 3.0
    value = sum(YEARS[t] * ((assign == t).astype(float) @ frame["b1"].to_numpy())
                for t in range(len(PERIODS)))
    assert float(value[ok].max()) == 149.0
    plan = PlanningProblem(frame, MaximiseBenefit({"b1": 1.0}, normalise=False),
                           [Budget(3.0, by="period")], periods=PERIODS,
                           horizon=HORIZON).solve(EXACT)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(149.0, rel=REL)


def test_two_locked_in_candidates_with_blank_group_ids() -> None:
    # candidates.py: "group_id: ... Blank means a group of its own." Two locked-in candidates
    # whose group_id is "" share no group, so both must be chosen (as they are with None).
    frame = pd.DataFrame({"candidate_id": ["a", "b"], "cost_gbp": [1.0, 1.0],
                          "b1": [1.0, 2.0], "group_id": ["", ""], "locked_in": [True, True]})
    plan = PlanningProblem(frame, MaximiseBenefit({"b1": 1.0}, normalise=False)).solve(EXACT)
    assert plan.status == "optimal"
    assert sorted(plan.selected_ids) == ["a", "b"]
    assert plan.objective == pytest.approx(3.0)


def test_proven_optimum_not_downgraded_by_equal_heuristic_plan() -> None:
    # A coverage model (so the greedy start is used) whose optimum is every candidate:
    # 0.1 * (9 + 14 + 20) = 4.3. HiGHS proves it optimal (bound = objective, gap 0); the
    # greedy plan is the same plan, its value summed in another order is 1 ulp higher, and
    # the plan must still be reported "optimal", not "feasible".
    frame = pd.DataFrame({"candidate_id": ["a", "b", "c"], "cost_gbp": [0.0, 0.0, 0.0],
                          "b1": [9.0, 14.0, 20.0]})
    coverage = Coverage(sp.csr_matrix(np.ones((1, 3))), np.array([0.0]))
    plan = PlanningProblem(frame, [MaximiseCoverage(coverage),
                                   MaximiseBenefit({"b1": 0.1}, normalise=False)]).solve()
    assert plan.objective == pytest.approx(4.3, rel=REL)
    assert plan.gap == pytest.approx(0.0, abs=1e-9)
    assert plan.status == "optimal", (plan.status, plan.notes)


@pytest.mark.parametrize("headroom_first", [True, False])
def test_budget_counts_reinforcement_whatever_the_constraint_order(
        headroom_first: bool) -> None:
    # Budget: sum_j c_j s_j + sum_r c_r r_r <= B. Candidate a (cost 1, load 10 kW) needs the
    # only reinforcement at P1 (+10 kW, cost 5): 6 > budget 2, so nothing can be chosen and
    # the optimum is 0, whether Budget is listed before or after Headroom.
    frame = pd.DataFrame({"candidate_id": ["a"], "cost_gbp": [1.0], "b1": [1.0],
                          "substation_id": ["P1"], "peak_kw_added": [10.0]})
    limits = pd.DataFrame({"substation_id": ["P1"], "headroom_kw": [0.0]})
    options = pd.DataFrame({"substation_id": ["P1"], "capacity_kw": [10.0], "cost_gbp": [5.0]})
    constraints = [Headroom(limits, PARENTS, reinforcements=options), Budget(2.0)]
    if not headroom_first:
        constraints.reverse()
    plan = PlanningProblem(frame, MaximiseBenefit({"b1": 1.0}, normalise=False),
                           constraints).solve(EXACT)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(0.0, abs=1e-9)
    assert plan.selected_ids == ()


def test_unphased_headroom_without_year_uses_the_least_row() -> None:
    # headroom_in_year: "the least of every row when ... year is None"; Headroom.year defaults
    # to None. P1 has 20 kW (2025) and 5 kW (2035): 5 kW applies -> only c (4 kW).
    frame = pd.DataFrame({"candidate_id": ["a", "b", "c"], "cost_gbp": [1.0, 1.0, 1.0],
                          "b1": [5.0, 4.0, 3.0], "substation_id": ["P1", "P1", "P1"],
                          "peak_kw_added": [10.0, 10.0, 4.0]})
    limits = pd.DataFrame({"substation_id": ["P1", "P1"], "year": [2025, 2035],
                           "headroom_kw": [20.0, 5.0]})
    plan = PlanningProblem(frame, MaximiseBenefit({"b1": 1.0}, normalise=False),
                           [Headroom(limits, PARENTS)]).solve(EXACT)
    assert plan.status == "optimal"
    assert plan.selected_ids == ("c",)


@pytest.mark.parametrize(("year", "expected"), [(2030, 12.0), (2020, 12.0), (2040, 3.0)])
def test_unphased_headroom_in_a_given_year(year: int, expected: float) -> None:
    # P1: 20 kW from 2025, 5 kW from 2035; B: 100 kW. 2030 -> the latest earlier (20 kW);
    # 2020 -> the earliest (20 kW); 2040 -> 5 kW, so only c (at P2) with a or b out.
    frame = pd.DataFrame({"candidate_id": ["a", "b", "c"], "cost_gbp": [1.0, 1.0, 1.0],
                          "b1": [5.0, 4.0, 3.0], "substation_id": ["P1", "P1", "P2"],
                          "peak_kw_added": [10.0, 10.0, 4.0]})
    limits = pd.DataFrame({"substation_id": ["P1", "P1", "B"], "year": [2025, 2035, 2025],
                           "headroom_kw": [20.0, 5.0, 100.0]})
    plan = PlanningProblem(frame, MaximiseBenefit({"b1": 1.0}, normalise=False),
                           [Headroom(limits, PARENTS, year=year)]).solve(EXACT)
    assert plan.objective == pytest.approx(expected)


def test_lp_guided_restriction_keeps_locked_in_candidates() -> None:
    # lp_guided.py, lp-guided step 3: "a restricted MIP over the candidates the relaxation
    # uses ...: its plans are plans of the full model". When the interior-point relaxation
    # stops at its time limit, the values it hands back are not a solution: on the charger
    # benchmark (benchmarks/bench_coverage.py) locked-in sites had values 0.01-0.2. The
    # restriction then sets their upper bound to 0 below their lower bound 1, every restricted
    # MIP is "infeasible in 0.0 s" and the solve ends with no plan. Here the relaxation values
    # are all 0 (nothing learnt); locked-in a and c must stay in, and a plan exists.
    from geoplan.optimise.clock import Clock
    from geoplan.optimise.lp_guided import restricted

    frame = pd.DataFrame({"candidate_id": ["a", "b", "c", "d"], "cost_gbp": 1.0,
                          "locked_in": [True, False, True, False]})
    matrix = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]], dtype=float))
    coverage = Coverage(matrix, np.array([5.0, 3.0, 2.0]), capacity=np.array([4.0] * 4))
    compiled = PlanningProblem(frame, MaximiseCoverage(coverage), [Count(3)]).compile()
    notes: list[str] = []
    values = np.zeros(compiled.model.shape[1])
    best = restricted(compiled, EXACT, values, 0.5, None, Clock(None), notes)
    assert best is not None, notes
    x = compiled.context.x
    assert (np.asarray(best)[x.start:x.stop][[0, 2]] > 0.5).all()
