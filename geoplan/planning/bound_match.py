"""What the sensitivity table and the robustness scales share about an assumption bound.

Both turn one bounded assumption (a ``low``/``high`` range round a table cell) into a factor
on some candidates' carbon or cost: :func:`response_factor` is that factor, :func:`equal_rows`
finds the candidates a table row applies to, and :data:`CARBON_COLUMN` names the carbon
columns a factor scales. :mod:`geoplan.planning.sensitivity` and
:mod:`geoplan.planning.decision` both import them from here.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

__all__ = ["CARBON_COLUMN", "equal_rows", "response_factor"]

CARBON_COLUMN = re.compile(r"^(tco2e_per_yr(_.+)?|lifetime_tco2e_.+|sequestered_tco2e_per_yr|"
                           r"seq_gross_tco2e_per_yr)$")
"""Candidate columns holding carbon (tCO2e a year, over a lifetime, or sequestered)."""


def response_factor(base: float, value: float, form: str, other: float = 0.0) -> float:
    """Factor on a candidate figure when an assumption moves from ``base`` to ``value``.

    Parameters
    ----------
    base, value : float
        The assumption's central value and the value tried.
    form : str
        ``"net_of_share"`` when the figure scales with ``1 - value`` (a share taken off);
        ``"difference"`` when it scales with ``value - other`` (e.g. a peat condition's
        emission factor less the restored one); any other form scales with ``value`` itself.
    other : float
        The other term of a ``"difference"``.

    Returns
    -------
    float
        ``value / base`` (or ``(1 - value) / (1 - base)``, or
        ``(value - other) / (base - other)``); NaN when the denominator is 0.

    Examples
    --------
    >>> response_factor(2.0, 3.0, "proportional")
    1.5
    >>> response_factor(0.2, 0.6, "net_of_share")
    0.5
    >>> response_factor(10.0, 7.0, "difference", other=4.0)
    0.5
    """
    if form == "net_of_share":
        return (1.0 - value) / (1.0 - base) if base != 1.0 else math.nan
    if form == "difference":
        return (value - other) / (base - other) if base != other else math.nan
    return value / base if base != 0.0 else math.nan


def equal_rows(column: pd.Series, value: object) -> np.ndarray:
    """Candidates whose ``column`` equals a table cell (as numbers when both are numbers).

    Parameters
    ----------
    column : pandas.Series
        One candidate column.
    value : object
        The assumption table's cell.

    Returns
    -------
    numpy.ndarray
        Booleans, one per candidate: numbers within 1e-9, text equal once stripped.

    Examples
    --------
    >>> equal_rows(pd.Series(["1.0", "2", "x"]), 1).tolist()
    [True, False, False]
    >>> equal_rows(pd.Series([" cropland", "grass"]), "cropland ").tolist()
    [True, False]
    """
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    if not pd.isna(number):
        values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
        return np.isclose(values, float(number), rtol=0.0, atol=1e-9)
    return (column.astype(str).str.strip() == str(value).strip()).to_numpy()
