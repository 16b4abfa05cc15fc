"""A phased plan's own files: the plan per milestone period and the trade-off curve.

``periods.csv``
    One row per milestone period: spend, cumulative spend against the funding profile,
    tCO2e/yr added of each kind (reductions, removals, attributed EV switch: never added up),
    objective lifetime tCO2e (discounted at the carbon discount rate) and each delivery measure
    beside its cap (:func:`geoplan.planning.phasing.period_table`).
``tradeoff.csv``, ``tradeoff.png``
    Cost against objective lifetime tCO2e (discounted), and against the main co-benefit (a
    second panel), when the plan's money is scaled by each fraction, the chosen plan marked
    (:func:`geoplan.planning.curve.tradeoff_curve`).
"""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from geoplan.files.atomic import atomic_path, refuse_existing, write_csv
from geoplan.outputs.labels import OBJECTIVE_COLUMNS, column_label
from geoplan.planning.carbon_lines import carbon_kinds
from geoplan.planning.phasing import LIFETIME_PREFIX, period_table
from geoplan.planning.solve import PlanResult

__all__ = ["lifetime_of_plan", "plan_periods", "tradeoff_figure", "write_phasing"]

logger = logging.getLogger(__name__)


def plan_periods(plans: PlanResult, years: list[int]) -> pd.DataFrame:
    """Return the plan per milestone period (see the module docstring)."""
    table = plans.stacked()
    chosen = table[table["selected"].astype(bool)]
    return period_table(chosen, years, funding=plans.funding, limits=plans.caps,
                        kinds=carbon_kinds(plans.tables))


def lifetime_of_plan(plans: PlanResult) -> float | None:
    """Lifetime tCO2e of the chosen candidates, each counted from its build year."""
    table = plans.stacked()
    chosen = table[table["selected"].astype(bool)]
    when = pd.to_numeric(chosen.get("build_year"), errors="coerce")
    total, found = 0.0, False
    for year in sorted(set(when.dropna().astype(int))):
        column = f"{LIFETIME_PREFIX}{year}"
        if column in chosen.columns:
            found = True
            total += float(pd.to_numeric(chosen.loc[(when == year).to_numpy(), column]).sum())
    return total if found else None


def _panel(ax: Axes, solved: pd.DataFrame, column: str, label: str) -> None:
    """One trade-off panel: cost (£m) against ``column``, one point per fraction."""
    cost = pd.to_numeric(solved["cost_gbp"]) / 1e6
    values = pd.to_numeric(solved[column])
    ax.plot(cost, values, marker="o", color="#31688e", label="plan at each budget fraction")
    mine = solved["chosen"].astype(bool).to_numpy()
    ax.scatter(cost[mine], values[mine], s=120, color="#d95f02", zorder=3,
               label="chosen plan")
    for x, y, f in zip(cost, values, solved["fraction"], strict=True):
        ax.annotate(f"x{float(f):g}", (x, y), textcoords="offset points", xytext=(5, -12),
                    fontsize=8)
    ax.set_xlabel("Capital cost (£m)")
    ax.set_ylabel(label)
    ax.set_ylim(bottom=0)  # from zero, so a flat co-benefit looks flat
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)


def _main_co_benefit(curve: pd.DataFrame) -> str | None:
    names = curve.get("main_co_benefit", pd.Series(dtype=object)).dropna().astype(str)
    name = names.iloc[0] if len(names) else ""
    return name if name in curve.columns else None


def tradeoff_figure(curve: pd.DataFrame, title: str = "") -> Figure:
    """Cost (£m) against lifetime tCO2e and against the main co-benefit, the plan marked.

    One panel per measure, one point per budget fraction; the second panel is drawn when the
    curve names its ``main_co_benefit``.
    """
    solved = curve[pd.to_numeric(curve["lifetime_tco2e"], errors="coerce").notna()]
    co_benefit = _main_co_benefit(curve)
    fig = Figure(figsize=(12 if co_benefit else 7, 4.5), dpi=120)
    axes = fig.subplots(1, 2 if co_benefit else 1, squeeze=False)[0]
    _panel(axes[0], solved, "lifetime_tco2e",
           textwrap.fill(OBJECTIVE_COLUMNS["lifetime_tco2e"], 60))
    axes[0].set_title("Cost against objective lifetime tCO2e", fontsize=9)
    if co_benefit:
        label = column_label(co_benefit)
        _panel(axes[1], solved, co_benefit, label)
        axes[1].set_title(f"Cost against the main co-benefit: {label.lower()}", fontsize=9)
    fig.suptitle(title.replace("$", r"\$")
                 or "Trade-off: cost against objective lifetime tCO2e",
                 fontsize=10)
    fig.tight_layout()
    return fig


def write_phasing(folder: Path, plans: PlanResult, years: list[int], *,
                  title: str = "") -> list[Path]:
    """Write ``periods.csv`` and, when the plan has a curve, ``tradeoff.csv`` and ``.png``."""
    written = [write_csv(plan_periods(plans, years), folder / "periods.csv")]
    if plans.curve is None:
        return written
    written.append(write_csv(plans.curve, folder / "tradeoff.csv"))
    path = folder / "tradeoff.png"
    refuse_existing(path, overwrite=False)
    with atomic_path(path, overwrite=False) as png:
        tradeoff_figure(plans.curve, title).savefig(png, format="png",
                                                    metadata={"Software": None})
    logger.info("wrote %s", path)
    written.append(path)
    return written
