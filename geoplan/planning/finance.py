r"""Green-finance figures for a chosen portfolio: capex, savings, payback, NPV, carbon path.

Input is a plan table (:meth:`geoplan.optimise.Plan.to_geodataframe` or a joint plan's
tables): every candidate with ``selected``, ``period`` (build year, NA when the plan is not
phased), ``cost_gbp`` (:math:`C_j`), ``saving_gbp_per_yr`` (:math:`S_j`), ``tco2e_per_yr``
(:math:`E_j`), ``lifetime_years`` (:math:`L_j`), ``workstream`` and ``district_id``. Only
selected rows count. Assumptions come from ``layers/assumptions/finance.csv``
(:data:`FINANCE`): discount rate :math:`r` (HM Treasury Green Book 3.5%), the rate
:math:`r'` after :math:`T` years, appraisal period :math:`A` years, base year :math:`y_0`, the
build year of an unphased plan, and the route-map milestones :math:`\sigma_m` (share of
baseline emissions cut by year :math:`m`).

Formulas, for a measure built in year :math:`b_j` (its plan period, else the unphased build
year):

- discount factor of year :math:`y`: :math:`D(k) = \prod_{i=1}^{k} (1 + r_i)^{-1}` with
  :math:`k = y - y_0`, :math:`r_i = r` for :math:`i \le T` and :math:`r'` after (for
  :math:`k < 0`, :math:`D(k) = (1 + r)^{-k}`); cash flows fall at the start of each year, so
  spending in the base year is not discounted;
- a measure works in years :math:`b_j \le y < b_j + L_j`, with weight
  :math:`w_{jy} = \min(1, \max(0, b_j + L_j - y))` for :math:`y \ge b_j` (a fractional last
  year counts in part);
- appraisal years :math:`y_0 \le y < y_0 + A`; savings beyond them are not counted:
  :math:`PV^S_j = S_j \sum_{y} w_{jy} D(y - y_0)`, :math:`PV^C_j = C_j D(b_j - y_0)` (0 when
  built after the appraisal period);
- residual value at the end of the appraisal period :math:`e = y_0 + A`, for a measure built
  before it: the share :math:`\rho` (``finance.csv`` item ``residual_value_share``) of its
  capital cost not yet depreciated, straight line over its lifetime,
  :math:`PV^R_j = \rho\, C_j \min(L_j, \max(0, b_j + L_j - e)) / L_j \; D(e - y_0)`;
  :math:`NPV_j = PV^S_j - PV^C_j + PV^R_j`;
- simple payback :math:`C / S` years (none when :math:`S \le 0`), for sums over measures;
- carbon in year :math:`y`: :math:`E_{jy}` from the measure's ``tco2e_per_yr_<year>`` columns
  (each year's carbon factor; linear between their years, flat beyond), else its flat
  :math:`E_j` (:func:`geoplan.planning.phasing.tco2e_in_years`); for a measure with a time
  profile (new woodland, ``removed_tco2e_age_<a>`` columns, :mod:`geoplan.workstreams.removals`)
  its cumulative removal's growth in that year of age,
  :math:`E_{jy} = C_j(y - b_j + 1) - C_j(y - b_j)` (near zero in the first years);
- lifetime carbon :math:`\sum_{y \ge b_j} E_{jy} w_{jy}` (profiled: :math:`C_j(L_j)`); cost
  per tCO2e :math:`\sum C_j / \sum` lifetime carbon; net cost per tCO2e
  :math:`-\sum NPV_j / \sum_j \sum_y E_{jy} w_{jy}` over the appraisal years (tonnes,
  undiscounted);
- trajectory, per district :math:`d` and year :math:`y \ge y_0`: reductions
  :math:`R_{dy} = \sum_{j \in d} E_{jy} w_{jy}` over measures that cut emissions, removals
  :math:`S_{dy}` the same over ``sequestration`` measures (a separate line, never netted into
  the baseline), net emissions :math:`B_d - R_{dy}` and net of removals
  :math:`B_d - R_{dy} - S_{dy}`, with :math:`B_d` the district's baseline (held flat: what it
  would emit without the plan; :mod:`geoplan.planning.baseline`);
- milestone :math:`m`: required cut :math:`\sigma_m B`, planned cut :math:`R_m`, share of the
  target met = planned / required, and with removals :math:`(R_m + S_m)` / required. The
  shares :math:`\sigma_m` are calibrated to one baseline year :math:`c` (item
  ``milestone_baseline_year``); for a baseline of another year :math:`b` they are rescaled to
  the same target tonnes, :math:`\sigma'_m = 1 - (1 - \sigma_m) E_c / E_b`, when the
  emissions table has year :math:`c`, else kept and warned of in ``warnings``
  (:func:`~geoplan.planning.baseline.rescaled_milestones`).
- beside the bills-only :math:`NPV_j`, the Green Book social NPV: discounted bill savings
  plus each year's tCO2e valued at the DESNZ carbon values, less capex uplifted by the
  optimism bias :math:`\beta` (:mod:`geoplan.planning.social_value`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geoplan.errors import LayerSchemaError, Problems
from geoplan.planning.baseline import Baseline, baseline_report
from geoplan.planning.carbon_lines import CARBON_KINDS
from geoplan.planning.finance_inputs import (
    FINANCE,
    FinanceAssumptions,
    finance_assumptions,
    read_finance,
)
from geoplan.planning.phasing import tonnes_in_years
from geoplan.planning.social_value import price_year, read_carbon_values, social_value
from geoplan.workstreams.removals import AGE_PREFIX

__all__ = [
    "FINANCE",
    "FinanceAssumptions",
    "FinanceSummary",
    "finance_assumptions",
    "finance_summary",
    "read_finance",
]

_YEARLY = re.compile(r"^tco2e_per_yr_\d{4}$")
_PLAN_COLUMNS = ("selected", "period", "cost_gbp", "tco2e_per_yr", "saving_gbp_per_yr",
                 "lifetime_years", "workstream", "district_id")


@dataclass(frozen=True)
class FinanceSummary:
    """Finance figures of one plan (see the module docstring for every formula).

    Attributes
    ----------
    assumptions : FinanceAssumptions
    measures : pandas.DataFrame
        One row per selected measure (and other capex): ``build_year``, ``pv_capex_gbp``,
        ``pv_savings_gbp``, ``pv_residual_gbp``, ``npv_gbp``, ``lifetime_tco2e``,
        ``appraisal_tco2e``, and the social value columns (``pv_carbon_value_gbp``,
        ``pv_capex_with_optimism_bias_gbp``, ``social_npv_gbp``, ``social_npv_low_gbp``,
        ``social_npv_high_gbp``).
    by_workstream : pandas.DataFrame
        Per workstream and a ``total`` row: ``measures``, ``capex_gbp``,
        ``saving_gbp_per_yr``, ``simple_payback_years``, ``pv_capex_gbp``,
        ``pv_savings_gbp``, ``pv_residual_gbp``, ``npv_gbp``, ``tco2e_per_yr``,
        ``lifetime_tco2e``,
        ``cost_per_tco2e_gbp``, ``appraisal_tco2e``, ``net_cost_per_tco2e_gbp``,
        ``pv_carbon_value_gbp``, ``pv_capex_with_optimism_bias_gbp``, ``social_npv_gbp``,
        ``social_npv_low_gbp``, ``social_npv_high_gbp``.
    capex_by_year : pandas.DataFrame
        ``workstream``, ``year``, ``capex_gbp``.
    trajectory, trajectory_by_district : pandas.DataFrame
        ``year`` (and ``district_id``), ``baseline_tco2e``, ``saved_tco2e`` (emission
        reductions of buildings), ``net_tco2e``, ``removals_tco2e``,
        ``net_after_removals_tco2e``, ``ev_attributed_tco2e`` (the EV switch credited to
        chargers: its own line, in no net and no milestone, as the headline keeps it)
        (baseline and nets are NaN without a baseline; the baseline's unit is
        ``baseline["unit"]``, and :meth:`to_dict` names the column ``baseline_tco2`` when
        it is tCO2).
    milestones, milestones_by_district : pandas.DataFrame
        ``year`` (and ``district_id``), ``target_share``, ``baseline_tco2e``,
        ``required_cut_tco2e``, ``planned_cut_tco2e``, ``target_tco2e``, ``planned_tco2e``,
        ``share_of_target_met``, ``met``, ``removals_tco2e``,
        ``share_met_with_removals``, ``ev_attributed_tco2e`` (shown apart: the planned cut
        is the buildings' reductions).
    baseline : Mapping
        The baseline's year, sectors, gases and unit (:meth:`Baseline.to_dict`) and the year
        the milestones are calibrated to; empty without a baseline.
    warnings : tuple of str
        E.g. milestone shares calibrated to another baseline year.
    carbon_value_price_year : int or None
        Price year of the carbon values (their table's ``price_year``).
    """

    assumptions: FinanceAssumptions
    measures: pd.DataFrame = field(repr=False)
    by_workstream: pd.DataFrame = field(repr=False)
    capex_by_year: pd.DataFrame = field(repr=False)
    trajectory: pd.DataFrame = field(repr=False)
    trajectory_by_district: pd.DataFrame = field(repr=False)
    milestones: pd.DataFrame = field(repr=False)
    milestones_by_district: pd.DataFrame = field(repr=False)
    baseline: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    carbon_value_price_year: int | None = None

    def npvs(self) -> dict[str, float]:
        """Return the plan's bills-only and social NPVs (the ``total`` row), £."""
        total = self.by_workstream.set_index("workstream").loc["total"]
        return {k: float(total[k]) for k in ("npv_gbp", "social_npv_gbp", "social_npv_low_gbp",
                                             "social_npv_high_gbp")}

    def definitions(self) -> dict[str, str]:
        """Say what each NPV and lifetime figure counts (this run's optimism bias, prices)."""
        a = self.assumptions
        prices = (f"real {self.carbon_value_price_year} prices"
                  if self.carbon_value_price_year else "the carbon value table's prices")
        window = f"{a.base_year} to {a.base_year + a.appraisal_years - 1}"
        residual = (f"{a.residual_value_share:.0%} of each measure's capital cost not yet "
                    "depreciated (straight line over its lifetime) at the end of "
                    f"{a.base_year + a.appraisal_years - 1}, discounted"
                    if a.residual_value_share > 0 else
                    "no residual value (finance.csv residual_value_share 0)")
        return {
            "npv_gbp": f"bills-only NPV: bill savings (standing charges included; negative "
                       f"where bills rise) in {window}, discounted at the Green Book rate "
                       f"({a.discount_rate:.1%}), less capital cost, plus {residual}; no "
                       "carbon value, no optimism bias",
            "social_npv_gbp": f"Green Book social NPV: the same discounted bill savings plus "
                              f"each year's tCO2e in {window} valued at the DESNZ central "
                              f"carbon value for appraisal (GBP/tCO2e, {prices}), less capital "
                              f"cost x (1 + optimism bias {a.optimism_bias:.0%}), plus the "
                              "same residual value",
            "pv_residual_gbp": f"residual value: {residual}",
            "lifetime_tco2e": "each measure's tCO2e over its lifetime from its build year, "
                              "undiscounted (the objective's lifetime tCO2e is discounted at "
                              "the carbon discount rate: a different count)",
            "cost_per_tco2e_gbp": "capital cost over the undiscounted lifetime tCO2e",
            "social_npv_low_gbp": "the social NPV with the DESNZ low carbon values",
            "social_npv_high_gbp": "the social NPV with the DESNZ high carbon values",
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-able values: pounds whole (per tonne: 2 places), tonnes 3, shares 4, years 2."""
        tables = ("by_workstream", "capex_by_year", "trajectory", "trajectory_by_district",
                  "milestones", "milestones_by_district")
        # a CO2-only baseline is labelled tCO2 (the savings stay tCO2e)
        unit = {"baseline_tco2e": "baseline_tco2"} if self.baseline.get("unit") == "tCO2" \
            else {}
        return {**{k: _rounded(k, v) for k, v in self.npvs().items()},
                "definitions": self.definitions(),
                "assumptions": {**self.assumptions.to_dict(),
                                "carbon_value_price_year": self.carbon_value_price_year},
                **({"baseline": dict(self.baseline)} if self.baseline else {}),
                **{name: _records(getattr(self, name).rename(columns=unit))
                   for name in tables}}


def _rounded(column: str, value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and not np.isfinite(value)):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        if column.endswith(("_gbp", "_gbp_per_yr")) and "per_tco2e" not in column:
            return round(float(value))
        digits = (4 if "share" in column else
                  2 if column.endswith("_years") or "per_tco2e" in column else 3)
        return round(float(value), digits)
    return str(value)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{c: _rounded(c, v) for c, v in zip(frame.columns, row, strict=True)}
            for row in frame.itertuples(index=False)]


def _selected_measures(plan: pd.DataFrame, a: FinanceAssumptions) -> pd.DataFrame:
    problems = Problems(sheet="plan")
    for column in _PLAN_COLUMNS:
        if column not in plan.columns:
            problems.add("column is missing", column=column,
                         fix=f"a plan table needs {list(_PLAN_COLUMNS)}")
    problems.raise_if_any(LayerSchemaError)
    chosen = plan[plan["selected"].fillna(False).astype(bool).to_numpy()].reset_index(drop=True)
    ids = (chosen["candidate_id"].astype(str) if "candidate_id" in chosen
           else pd.Series([str(i + 1) for i in range(len(chosen))]))
    out = pd.DataFrame({"candidate_id": ids, "workstream": chosen["workstream"].astype(str),
                        "district_id": chosen["district_id"].astype(str)})
    for column in ("cost_gbp", "tco2e_per_yr", "saving_gbp_per_yr", "lifetime_years"):
        values = pd.to_numeric(chosen[column], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values)
        if column == "cost_gbp":
            bad |= values < 0
        elif column == "lifetime_years":
            bad |= values <= 0
        for k in np.flatnonzero(bad)[:5]:
            shown = f"{values[k]:g}" if np.isfinite(values[k]) else repr(chosen[column].iloc[k])
            problems.add(f"{shown} for {ids.iloc[k]!r}", column=column,
                         fix="finite numbers, cost_gbp >= 0 and lifetime_years > 0")
        out[column] = values
    period = pd.to_numeric(chosen["period"], errors="coerce")
    if period.notna().any() and period.isna().any():
        for k in np.flatnonzero(period.isna().to_numpy())[:5]:
            problems.add(f"no build period for {ids.iloc[k]!r} in a phased plan",
                         column="period", fix="give every chosen measure its milestone year")
    problems.raise_if_any(LayerSchemaError)
    out["build_year"] = period.fillna(a.unphased_build_year).astype(int).to_numpy()
    for column in (c for c in chosen.columns if _YEARLY.match(str(c))):
        out[column] = pd.to_numeric(chosen[column], errors="coerce").to_numpy(dtype=float)
    for column in (c for c in chosen.columns if str(c).startswith(AGE_PREFIX)):
        out[column] = pd.to_numeric(chosen[column], errors="coerce").to_numpy(float)
    return out


def _other_measures(other: pd.DataFrame | None, a: FinanceAssumptions) -> pd.DataFrame:
    if other is None or other.empty:
        return pd.DataFrame()
    year = pd.to_numeric(other.get("year"), errors="coerce") if "year" in other else None
    return pd.DataFrame({
        "candidate_id": [f"other:{i + 1}" for i in range(len(other))],
        "workstream": other.get("workstream", pd.Series("grid", index=other.index)).astype(str),
        "district_id": "", "cost_gbp": other["cost_gbp"].to_numpy(dtype=float),
        "tco2e_per_yr": 0.0, "saving_gbp_per_yr": 0.0, "lifetime_years": 1.0,
        "build_year": (year.fillna(a.unphased_build_year).astype(int).to_numpy()
                       if year is not None else a.unphased_build_year)})


def _weights(measures: pd.DataFrame, years: np.ndarray) -> np.ndarray:
    """:math:`w_{jy}`: the share of year ``y`` each measure is working."""
    build = measures["build_year"].to_numpy(dtype=float)[:, None]
    end = build + measures["lifetime_years"].to_numpy(dtype=float)[:, None]
    return np.where(years[None, :] >= build, np.clip(end - years[None, :], 0.0, 1.0), 0.0)


def _tonnes(measures: pd.DataFrame, years: np.ndarray) -> np.ndarray:
    """:math:`E_{jy}` of each measure from its own build year (each year's factor, profiles)."""
    return tonnes_in_years(measures, years.tolist(), measures["build_year"].to_numpy(float))


def _appraise(measures: pd.DataFrame, a: FinanceAssumptions,
              values: pd.DataFrame | None = None) -> pd.DataFrame:
    years = np.arange(a.base_year, a.base_year + a.appraisal_years)
    w = _weights(measures, years)
    factor = a.discount(years - a.base_year)
    build = measures["build_year"].to_numpy(dtype=int)
    inside = build < a.base_year + a.appraisal_years
    out = measures.copy()
    out["pv_capex_gbp"] = np.where(inside, out["cost_gbp"] * a.discount(build - a.base_year),
                                   0.0)
    out["pv_savings_gbp"] = out["saving_gbp_per_yr"].to_numpy() * (w @ factor)
    out["pv_residual_gbp"] = _pv_residual(measures, a, inside)
    out["npv_gbp"] = out["pv_savings_gbp"] - out["pv_capex_gbp"] + out["pv_residual_gbp"]
    out["lifetime_tco2e"] = _lifetime_tco2e(measures)
    tonnes = _tonnes(out, years)
    out["appraisal_tco2e"] = (tonnes * w).sum(axis=1)
    if values is not None:
        social = social_value(tonnes, years, w, factor, out["pv_capex_gbp"].to_numpy(),
                              values=values, optimism_bias=a.optimism_bias)
        for column, numbers in social.columns(out["pv_savings_gbp"].to_numpy(),
                                              out["pv_residual_gbp"].to_numpy()).items():
            out[column] = numbers
    return out.drop(columns=[c for c in out.columns if str(c).startswith(AGE_PREFIX)])


def _pv_residual(measures: pd.DataFrame, a: FinanceAssumptions,
                 inside: np.ndarray) -> np.ndarray:
    """:math:`PV^R_j`: the undepreciated share of each measure's cost at the appraisal end."""
    end = a.base_year + a.appraisal_years
    build = measures["build_year"].to_numpy(dtype=float)
    life = measures["lifetime_years"].to_numpy(dtype=float)
    left = np.clip(build + life - np.maximum(end, build), 0.0, life)
    share = np.divide(left, life, out=np.zeros_like(life), where=life > 0)
    cost = measures["cost_gbp"].to_numpy(dtype=float)
    value = a.residual_value_share * cost * share * a.discount(np.array([end - a.base_year]))[0]
    return np.where(inside, value, 0.0)


def _lifetime_tco2e(measures: pd.DataFrame) -> np.ndarray:
    r""":math:`\sum_y E_{jy} w_{jy}` over every year each measure works."""
    if measures.empty:
        return np.zeros(0)
    build = measures["build_year"].to_numpy(dtype=int)
    end = build + np.ceil(measures["lifetime_years"].to_numpy(dtype=float)).astype(int)
    years = np.arange(int(build.min()), int(end.max()))
    return (_tonnes(measures, years) * _weights(measures, years)).sum(axis=1)


def _ratio(top: float, bottom: float) -> float:
    return top / bottom if bottom > 0 else float("nan")


_SOCIAL = ("pv_carbon_value_gbp", "pv_capex_with_optimism_bias_gbp", "social_npv_gbp",
           "social_npv_low_gbp", "social_npv_high_gbp")


def _by_workstream(measures: pd.DataFrame) -> pd.DataFrame:
    sums = ["cost_gbp", "saving_gbp_per_yr", "pv_capex_gbp", "pv_savings_gbp",
            "pv_residual_gbp", "npv_gbp", "tco2e_per_yr", "lifetime_tco2e", "appraisal_tco2e",
            *_SOCIAL]
    groups = measures.groupby("workstream", sort=True)[sums].sum()
    groups.insert(0, "measures", measures.groupby("workstream", sort=True).size())
    total = pd.DataFrame([[len(measures), *measures[sums].sum()]], index=["total"],
                         columns=["measures", *sums])
    table = pd.concat([groups, total]).rename(columns={"cost_gbp": "capex_gbp"})
    table["simple_payback_years"] = [_ratio(c, s) for c, s in
                                     zip(table["capex_gbp"], table["saving_gbp_per_yr"],
                                         strict=True)]
    table["cost_per_tco2e_gbp"] = [_ratio(c, t) for c, t in
                                   zip(table["capex_gbp"], table["lifetime_tco2e"], strict=True)]
    table["net_cost_per_tco2e_gbp"] = [_ratio(-n, t) if t > 0 else float("nan") for n, t in
                                       zip(table["npv_gbp"], table["appraisal_tco2e"],
                                           strict=True)]
    table["measures"] = table["measures"].astype(int)
    order = ["measures", "capex_gbp", "saving_gbp_per_yr", "simple_payback_years",
             "pv_capex_gbp", "pv_savings_gbp", "pv_residual_gbp", "npv_gbp", "tco2e_per_yr",
             "lifetime_tco2e", "cost_per_tco2e_gbp", "appraisal_tco2e",
             "net_cost_per_tco2e_gbp", *_SOCIAL]
    return table[order].rename_axis("workstream").reset_index()


def _baseline(baseline: pd.DataFrame | None, districts: list[str]) -> pd.Series | None:
    if baseline is None:
        return None
    problems = Problems(sheet="baseline emissions")
    for column in ("district_id", "tco2e"):
        if column not in baseline.columns:
            problems.add("column is missing", column=column,
                         fix="give district_id and tco2e (emissions per year) per district")
    problems.raise_if_any(LayerSchemaError)
    repeated = baseline["district_id"].astype(str).duplicated()
    if repeated.any():
        problems.add(f"district {baseline['district_id'].astype(str)[repeated].iloc[0]!r} has "
                     "several rows (several years?)", column="district_id",
                     fix="give one year per district, e.g. "
                         "geoplan.sources.emissions.latest_emissions(table)")
        problems.raise_if_any(LayerSchemaError)
    values = pd.to_numeric(baseline["tco2e"], errors="coerce")
    series = pd.Series(values.to_numpy(dtype=float),
                       index=baseline["district_id"].astype(str)).groupby(level=0).sum()
    for district in series.index[~np.isfinite(series.to_numpy())]:
        problems.add(f"district {district!r} has no number", column="tco2e")
    missing = sorted(set(districts) - set(series.index))
    if missing:
        problems.add(f"plan measures in districts without a baseline {missing[:10]}",
                     column="district_id", fix="add their emissions or pass baseline=None")
    problems.raise_if_any(LayerSchemaError)
    return series.sort_index()


def _trajectory(measures: pd.DataFrame, base: pd.Series | None,
                years: np.ndarray) -> pd.DataFrame:
    saved = _tonnes(measures, years) * _weights(measures, years)
    removal = measures["workstream"].isin(CARBON_KINDS["removal"]).to_numpy()
    ev = measures["workstream"].isin(CARBON_KINDS["ev_attributed"]).to_numpy()
    districts = sorted(set(measures["district_id"]) | set(base.index if base is not None
                                                           else []))
    rows = []
    for district in districts:
        mine = (measures["district_id"] == district).to_numpy()
        b = float(base.get(district, 0.0)) if base is not None else float("nan")
        cut = saved[mine & ~removal & ~ev].sum(axis=0)
        removed = saved[mine & removal].sum(axis=0)
        rows.append(pd.DataFrame({"district_id": district, "year": years, "baseline_tco2e": b,
                                  "saved_tco2e": cut, "net_tco2e": b - cut,
                                  "removals_tco2e": removed,
                                  "net_after_removals_tco2e": b - cut - removed,
                                  "ev_attributed_tco2e": saved[mine & ev].sum(axis=0)}))
    columns = ["district_id", "year", "baseline_tco2e", "saved_tco2e", "net_tco2e",
               "removals_tco2e", "net_after_removals_tco2e", "ev_attributed_tco2e"]
    if not rows:
        return pd.DataFrame(columns=columns)
    return pd.concat(rows, ignore_index=True)[columns]


def _milestones(trajectory: pd.DataFrame, milestones: Mapping[int, float],
                keys: list[str]) -> pd.DataFrame:
    rows = trajectory[trajectory["year"].isin(list(milestones))].copy()
    rows["target_share"] = rows["year"].map(milestones).astype(float)
    rows["required_cut_tco2e"] = rows["target_share"] * rows["baseline_tco2e"]
    rows["planned_cut_tco2e"] = rows["saved_tco2e"]
    rows["target_tco2e"] = rows["baseline_tco2e"] - rows["required_cut_tco2e"]
    rows["planned_tco2e"] = rows["net_tco2e"]
    required = rows["required_cut_tco2e"].to_numpy(dtype=float)
    planned = rows["planned_cut_tco2e"].to_numpy(dtype=float)
    rows["share_of_target_met"] = np.where(required > 0, planned / np.where(
        required > 0, required, 1.0), np.where(np.isfinite(required), 1.0, np.nan))
    rows["met"] = planned >= required - 1e-9 * np.maximum(1.0, np.abs(required))
    with_removals = planned + rows["removals_tco2e"].to_numpy(dtype=float)
    rows["share_met_with_removals"] = np.where(required > 0, with_removals / np.where(
        required > 0, required, 1.0), np.where(np.isfinite(required), 1.0, np.nan))
    order = [*keys, "target_share", "baseline_tco2e", "required_cut_tco2e",
             "planned_cut_tco2e", "target_tco2e", "planned_tco2e", "share_of_target_met",
             "met", "removals_tco2e", "share_met_with_removals", "ev_attributed_tco2e"]
    return rows[order].reset_index(drop=True)


def finance_summary(plan: pd.DataFrame, *, baseline: pd.DataFrame | Baseline | None = None,
                    assumptions: FinanceAssumptions | None = None,
                    other_capex: pd.DataFrame | None = None,
                    carbon_values: pd.DataFrame | None = None) -> FinanceSummary:
    """Finance figures of a solved plan (formulas in the module docstring).

    Parameters
    ----------
    plan : pandas.DataFrame
        A plan table (see the module docstring); only ``selected`` rows count.
    baseline : Baseline or pandas.DataFrame, optional
        :func:`geoplan.planning.baseline.baseline_emissions`, or a frame of ``district_id``,
        ``tco2e`` (emissions per year without the plan); without it the trajectory holds
        savings only and no milestone is judged.
    assumptions : FinanceAssumptions, optional
        Default: :func:`finance_assumptions` of the shipped table.
    other_capex : pandas.DataFrame, optional
        Spending that is not a candidate (e.g. grid reinforcement, see
        :meth:`geoplan.planning.joint.JointPlan.reinforcement_capex`): ``cost_gbp``,
        optional ``year`` and ``workstream`` (default "grid"); no savings, no carbon.
    carbon_values : pandas.DataFrame, optional
        :func:`geoplan.planning.social_value.read_carbon_values` (default: the shipped
        DESNZ table), for the social NPV.

    Raises
    ------
    LayerSchemaError
        A missing column, a negative cost, a lifetime <= 0, a number that is not finite, a
        missing build period in a phased plan, or districts missing from the baseline.
    """
    a = assumptions or finance_assumptions()
    values = read_carbon_values() if carbon_values is None else carbon_values
    chosen = _selected_measures(plan, a)
    frame = baseline.table if isinstance(baseline, Baseline) else baseline
    base = _baseline(frame, sorted(set(chosen["district_id"])))
    extra = _other_measures(other_capex, a)
    everything = _appraise(pd.concat([chosen, extra], ignore_index=True) if len(extra)
                           else chosen, a, values)
    capex = (everything.groupby(["workstream", "build_year"], sort=True)["cost_gbp"].sum()
             .rename("capex_gbp").reset_index().rename(columns={"build_year": "year"}))
    info, notes, shares = (baseline_report(baseline, a.milestone_baseline_year if a.milestones
                                           else None, a.milestones)
                           if isinstance(baseline, Baseline) else ({}, (), dict(a.milestones)))
    last = max([a.base_year, *shares])
    years = np.array(sorted(set(range(a.base_year, last + 1)) | set(shares)))
    by_district = _trajectory(chosen, base, years)
    total = (by_district.groupby("year", sort=True)[by_district.columns[2:]]
             .sum(min_count=1).reindex(years).reset_index())
    tonnes = ["saved_tco2e", "removals_tco2e", "ev_attributed_tco2e"]
    total[tonnes] = total[tonnes].fillna(0.0)
    return FinanceSummary(
        a, everything, _by_workstream(everything), capex, total, by_district,
        _milestones(total, shares, ["year"]),
        _milestones(by_district, shares, ["district_id", "year"]),
        info, notes, price_year(values))
