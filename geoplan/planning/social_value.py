r"""Green Book social value of a plan: DESNZ carbon values and optimism bias.

:func:`geoplan.planning.finance.finance_summary` reports two net present values per measure
and workstream, with the discount factor :math:`D` and working weights :math:`w_{jy}` of
:mod:`geoplan.planning.finance` over the appraisal years :math:`y_0 \le y < y_0 + A`:

- the **bills-only NPV** :math:`NPV_j = S_j \sum_y w_{jy} D(y - y_0) - C_j D(b_j - y_0)`
  (bill savings :math:`S_j` at retail prices, standing charges included, signed);
- the **Green Book social NPV**

  .. math::

      SNPV_j = S_j \sum_y w_{jy} D(y - y_0)
             + \sum_y E_{jy}\, w_{jy}\, V_y\, D(y - y_0)
             - C_j\,(1 + \beta)\, D(b_j - y_0) + PV^R_j

  with :math:`E_{jy}` the measure's tCO2e saved or sequestered in year :math:`y` (as
  :mod:`geoplan.planning.finance` counts them: each year's carbon factor, time profiles of
  new woodland), :math:`V_y` the DESNZ carbon value for appraisal of
  year :math:`y` (``carbon_values.csv``, :data:`CARBON_VALUES`: central, and the low and high
  series for :math:`SNPV^{low}`, :math:`SNPV^{high}`; linear between listed years, held at
  the last listed year beyond it) and :math:`\beta` the optimism bias uplift on capital costs
  (``finance.csv`` item ``optimism_bias``, HM Treasury's upper bound for standard buildings;
  scenario ``finance.optimism_bias``), and :math:`PV^R_j` the residual value of
  :mod:`geoplan.planning.finance` (the capital cost not yet depreciated at the end of the
  appraisal period, on the cost before optimism bias).

Carbon values are in the price year of their table (``price_year``), not rebased to the
price base of the costs and bills.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoplan.assumptions import AssumptionTable, read_assumptions
from geoplan.errors import Problems, SourceFormatError

__all__ = ["CARBON_VALUES", "SERIES", "SocialValue", "carbon_values", "price_year",
           "read_carbon_values", "social_value"]

CARBON_VALUES = AssumptionTable(
    "carbon_values", key=("year",),
    numbers={"gbp_per_tco2e": 0.0, "gbp_per_tco2e_low": 0.0, "gbp_per_tco2e_high": 0.0,
             "price_year": 1900.0})
"""DESNZ carbon values for appraisal per year: central, low and high (£/tCO2e)."""

SERIES = {"central": "gbp_per_tco2e", "low": "gbp_per_tco2e_low",
          "high": "gbp_per_tco2e_high"}
"""Carbon value series -> column of :data:`CARBON_VALUES`."""



def read_carbon_values(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Read and check ``carbon_values.csv`` (the shipped table when ``path`` is None).

    Returns
    -------
    pandas.DataFrame
        ``year`` (int64), the three series, ``price_year``, ``source``; sorted by year.

    Raises
    ------
    SourceFormatError
        A year that is not whole, a low value above the central or a central above the high,
        or several price years, with the row named; and anything :func:`read_assumptions`
        refuses.
    """
    table = read_assumptions(CARBON_VALUES, path)
    problems = Problems(table.attrs["path"], sheet=CARBON_VALUES.name)
    years = pd.to_numeric(table["year"], errors="coerce")
    for index in table.index[years.isna() | (years % 1 != 0)]:
        problems.add(f"year {table.loc[index, 'year']!r} is not a whole year",
                     row=int(index) + 2, column="year", fix="write a year such as 2030")
    low, mid, high = (table[SERIES[s]].to_numpy(float) for s in ("low", "central", "high"))
    for index in np.flatnonzero((low > mid) | (mid > high)):
        problems.add(f"low {low[index]:g}, central {mid[index]:g}, high {high[index]:g} are "
                     "not in order", row=int(index) + 2, column="gbp_per_tco2e",
                     fix="give low <= central <= high, as the published table does")
    if table["price_year"].nunique() > 1:
        problems.add(f"price years {sorted(set(table['price_year']))} differ",
                     column="price_year", fix="give every value in one price year")
    problems.raise_if_any(SourceFormatError)
    out = table.assign(year=years.astype("int64")).sort_values("year").reset_index(drop=True)
    out.attrs["path"] = table.attrs["path"]
    return out


def carbon_values(table: pd.DataFrame, years: np.ndarray, series: str = "central"
                  ) -> np.ndarray:
    """£/tCO2e of ``series`` in each of ``years`` (linear between rows, held at the ends).

    Examples
    --------
    >>> t = pd.DataFrame({"year": [2025, 2030], "gbp_per_tco2e": [100.0, 150.0]})
    >>> carbon_values(t, np.array([2020, 2027, 2035])).tolist()
    [100.0, 120.0, 150.0]
    """
    rows = table.sort_values("year")
    return np.interp(np.asarray(years, dtype=float), rows["year"].to_numpy(float),
                     rows[SERIES[series]].to_numpy(float))


@dataclass(frozen=True)
class SocialValue:
    r"""Per-measure social value columns (see the module docstring).

    Attributes
    ----------
    pv_carbon_value_gbp, pv_carbon_value_low_gbp, pv_carbon_value_high_gbp : numpy.ndarray
        :math:`\sum_y E_{jy} w_{jy} V_y D(y - y_0)` with the central, low and high values.
    pv_capex_with_optimism_bias_gbp : numpy.ndarray
        :math:`C_j (1 + \beta) D(b_j - y_0)`.
    """

    pv_carbon_value_gbp: np.ndarray
    pv_carbon_value_low_gbp: np.ndarray
    pv_carbon_value_high_gbp: np.ndarray
    pv_capex_with_optimism_bias_gbp: np.ndarray

    def columns(self, pv_savings: np.ndarray,
                pv_residual: np.ndarray | float = 0.0) -> dict[str, np.ndarray]:
        """Return the value columns and the social NPVs (central, low, high).

        Given :math:`PV^S` and the residual value :math:`PV^R` (capital cost not yet
        depreciated at the appraisal's end, as :mod:`geoplan.planning.finance` counts it).
        """
        cost = self.pv_capex_with_optimism_bias_gbp
        net = pv_savings + pv_residual - cost
        return {
            "pv_carbon_value_gbp": self.pv_carbon_value_gbp,
            "pv_capex_with_optimism_bias_gbp": cost,
            "social_npv_gbp": net + self.pv_carbon_value_gbp,
            "social_npv_low_gbp": net + self.pv_carbon_value_low_gbp,
            "social_npv_high_gbp": net + self.pv_carbon_value_high_gbp,
        }


def social_value(tonnes: np.ndarray, years: np.ndarray, weights: np.ndarray,
                 factor: np.ndarray, pv_capex: np.ndarray, *, values: pd.DataFrame,
                 optimism_bias: float) -> SocialValue:
    r"""Carbon value and capex with optimism bias of each measure, discounted.

    Parameters
    ----------
    tonnes : numpy.ndarray
        :math:`E_{jy}`, each measure's tCO2e in each appraisal year, ``len(measures) x
        len(years)`` (each year's carbon factor and any time profile already applied, as
        :mod:`geoplan.planning.finance` computes them).
    years : numpy.ndarray
        The appraisal years.
    weights : numpy.ndarray
        :math:`w_{jy}`, ``len(measures) x len(years)``.
    factor : numpy.ndarray
        :math:`D(y - y_0)` of each appraisal year.
    pv_capex : numpy.ndarray
        :math:`C_j D(b_j - y_0)` (0 when built after the appraisal period).
    values : pandas.DataFrame
        :func:`read_carbon_values`.
    optimism_bias : float
        :math:`\beta` (0.24 adds 24% to every capital cost).
    """
    counted = np.asarray(tonnes, dtype=float) * weights * factor[None, :]
    pv = {s: counted @ carbon_values(values, years, s) for s in SERIES}
    return SocialValue(pv["central"], pv["low"], pv["high"],
                       np.asarray(pv_capex, dtype=float) * (1.0 + optimism_bias))


def price_year(values: pd.DataFrame) -> int | None:
    """Return the price year of a carbon value table (None when it has no rows)."""
    years = pd.to_numeric(values["price_year"], errors="coerce").dropna()
    return int(years.iloc[0]) if len(years) else None
