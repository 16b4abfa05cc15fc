"""The finance assumptions: ``layers/assumptions/finance.csv`` read, checked and overridden.

:func:`finance_assumptions` turns the table (:data:`FINANCE`) and a scenario's overrides into
:class:`FinanceAssumptions`, the numbers :mod:`geoplan.planning.finance` computes with (its
module docstring gives every formula). Each item has a plausible range; an unknown, missing or
out-of-range item is a :class:`~geoplan.errors.ScenarioError` naming the row and the fix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geoplan.assumptions import AssumptionTable, read_assumptions
from geoplan.errors import Problems, ScenarioError
from geoplan.sources.numbers import CellError, Quantity, parse_cell

__all__ = ["FINANCE", "FinanceAssumptions", "finance_assumptions", "read_finance"]

FINANCE = AssumptionTable("finance", key=("item",), numbers={"value": None}, text=("unit",))
"""The finance assumption table: item, value, unit, source."""

_RATE = Quantity("discount rate (a share: 3.5% is 0.035)", "", 0.0, 1.0)
_YEARS = Quantity("number of years", "", 0.0, 500.0)
_YEAR = Quantity("calendar year", "", 1900.0, 2200.0)
_SHARE = Quantity("share of baseline emissions cut (0.5 for half)", "", 0.0, 1.0)
_SCALARS = {  # item -> (plausible range, whole number)
    "discount_rate": (_RATE, False), "long_discount_rate": (_RATE, False),
    "long_rate_after_years": (_YEARS, True),
    "appraisal_years": (Quantity(_YEARS.name, "", 1.0, 500.0), True),
    "base_year": (_YEAR, True), "unphased_build_year": (_YEAR, True),
    "optimism_bias": (Quantity("optimism bias uplift on capital cost (0.24 for 24%)", "", 0.0,
                               3.0), False),
    "residual_value_share": (Quantity("share of the undepreciated capital cost counted (1 for "
                                      "all of it, 0 for none)", "", 0.0, 1.0), False),
}
_OPTIONAL = {"milestone_baseline_year": _YEAR}  # item -> range (whole years)
_DEFAULTED = frozenset({"residual_value_share"})
"""Items a table may leave out: they keep FinanceAssumptions' default (tables made before)."""
_MILESTONE = re.compile(r"^milestone_(\d{4})$")


@dataclass(frozen=True)
class FinanceAssumptions:
    r"""The numbers the finance summary uses (see the module docstring).

    Attributes
    ----------
    discount_rate, long_discount_rate : float
        :math:`r` for the first ``long_rate_after_years`` years, :math:`r'` after.
    long_rate_after_years : int
    appraisal_years : int
    base_year : int
        Year 0 of discounting and first year of the trajectory.
    unphased_build_year : int
        Build year of every measure when the plan is not phased.
    milestones : Mapping[int, float]
        Milestone year -> share of baseline emissions cut by then.
    milestone_baseline_year : int or None
        Baseline year the milestone shares are calibrated to (None: not stated).
    optimism_bias : float
        Uplift :math:`\beta` on capital costs in the social NPV (0.24: +24%).
    residual_value_share : float
        :math:`\rho`: the share of a measure's capital cost still undepreciated (straight
        line over its lifetime) at the end of the appraisal period that counts as its
        residual value (1: all of it; 0: none, geoplan's convention before session 11).
    """

    discount_rate: float = 0.035
    long_discount_rate: float = 0.03
    long_rate_after_years: int = 30
    appraisal_years: int = 30
    base_year: int = 2025
    unphased_build_year: int = 2025
    milestones: Mapping[int, float] = field(default_factory=dict)
    milestone_baseline_year: int | None = None
    optimism_bias: float = 0.24
    residual_value_share: float = 1.0

    def discount(self, offsets: np.ndarray) -> np.ndarray:
        """Return :math:`D(k)` for integer year offsets ``k`` from the base year."""
        offsets = np.asarray(offsets, dtype=int)
        top = int(max(offsets.max(initial=0), 0))
        steps = np.arange(1, top + 1)
        rates = np.where(steps <= self.long_rate_after_years, self.discount_rate,
                         self.long_discount_rate)
        factors = np.concatenate([[1.0], np.cumprod(1.0 / (1.0 + rates))])
        before = (1.0 + self.discount_rate) ** (-np.minimum(offsets, 0).astype(float))
        return np.where(offsets >= 0, factors[np.maximum(offsets, 0)], before)

    def to_dict(self) -> dict[str, Any]:
        """Plain values (milestone years as text keys)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "milestones"}
        out["milestones"] = {str(y): float(s) for y, s in sorted(self.milestones.items())}
        return out


def read_finance(path: str | Path | None = None) -> pd.DataFrame:
    """Read and check ``finance.csv`` (the shipped table when ``path`` is None).

    Raises
    ------
    SourceFormatError
        A missing column or source, a blank or duplicated item, a value that is not a number.
    """
    return read_assumptions(FINANCE, path)


def finance_assumptions(table: pd.DataFrame | None = None, *,
                        discount_rate: float | None = None,
                        appraisal_years: int | None = None,
                        optimism_bias: float | None = None) -> FinanceAssumptions:
    """Assumptions from a finance table, with a scenario's overrides.

    Parameters
    ----------
    table : pandas.DataFrame, optional
        Columns item, value, unit, source (default: :func:`read_finance`).
    discount_rate, appraisal_years, optimism_bias : optional
        Scenario overrides of the table's values.

    Raises
    ------
    ScenarioError
        Naming every unknown or missing item and every value out of range.
    """
    table = read_finance() if table is None else table
    where = Path(str(table.attrs.get("path", "finance.csv"))).name
    problems = Problems(where, sheet="finance")
    values = _items(table, problems)
    if discount_rate is not None:
        values["discount_rate"] = (float(discount_rate), None)
    if appraisal_years is not None:
        values["appraisal_years"] = (float(appraisal_years), None)
    if optimism_bias is not None:
        values["optimism_bias"] = (float(optimism_bias), None)
    scalars: dict[str, Any] = {}
    for item, (quantity, whole) in _SCALARS.items():
        if item not in values:
            if item in _DEFAULTED:
                continue
            problems.add(f"item {item!r} is missing", column="item",
                         fix=f"add a row for {item!r} with its source")
            continue
        value, row = values[item]
        if not quantity.low <= value <= quantity.high or (whole and value != int(value)):
            kind = "a whole number " if whole else ""
            problems.add(f"{item} {value:g} is out of range: a {quantity.name} lies within "
                         f"{quantity.range_text()}", row=row, column="value",
                         fix=f"give {kind}between {quantity.low:g} and {quantity.high:g}")
        scalars[item] = int(value) if whole else value
    milestones = {int(m.group(1)): (v, row) for item, (v, row) in values.items()
                  if (m := _MILESTONE.match(item))}
    for year, (share, row) in milestones.items():
        if not _SHARE.low <= share <= _SHARE.high:
            problems.add(f"milestone_{year} {share:g} is not a share", row=row, column="value",
                         fix="give the share of baseline emissions cut, between 0 and 1 "
                             "(0.5 for half, not 50)")
    for item, quantity in _OPTIONAL.items():
        if item in values:
            value, row = values[item]
            if not quantity.low <= value <= quantity.high or value != int(value):
                problems.add(f"{item} {value:g} is not a whole calendar year", row=row,
                             column="value", fix="give the year the milestone shares are "
                                                 "calibrated to, e.g. 2022")
            scalars[item] = int(value)
    problems.raise_if_any(ScenarioError)
    return FinanceAssumptions(**scalars, milestones={y: v for y, (v, _) in
                                                     sorted(milestones.items())})


def _items(table: pd.DataFrame, problems: Problems) -> dict[str, tuple[float, int | None]]:
    values: dict[str, tuple[float, int | None]] = {}
    for index, (item, value) in enumerate(zip(table["item"].astype(str).str.strip(),
                                              table["value"], strict=True)):
        row = index + 2
        if item not in _SCALARS and item not in _OPTIONAL and not _MILESTONE.match(item):
            problems.add(f"unknown item {item!r}", row=row, column="item",
                         fix=f"use one of {sorted([*_SCALARS, *_OPTIONAL])} or "
                             "milestone_<year>")
            continue
        try:  # geoplan's own tables always use '.' decimals
            number = parse_cell(value, decimal=".")
        except CellError as exc:
            problems.add(f"{item}: {exc}", row=row, column="value", fix=exc.fix)
            continue
        if number is None:
            problems.add(f"{item} has no value", row=row, column="value",
                         fix="enter the number, with its source")
            continue
        values[item] = (number, row)
    return values
