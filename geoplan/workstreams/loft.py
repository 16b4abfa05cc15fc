r"""Loft insulation savings that depend on the depth already there.

Heat lost through a loft floor is proportional to its U-value :math:`U` times its area, so a
top-up from depth :math:`d` to the installed depth saves :math:`(U_d - U'_d)\,A_{roof}` of
heat loss, where :math:`U'_d` is the U-value after the top-up. The ``loft_insulation`` rows
of ``retrofit_measures.csv`` give the saving share :math:`s_0` (and SAP points) of insulating
an *uninsulated* loft, which carries the roof area share of the home's heat loss; a home
with :math:`d` mm already gets

.. math::

    s(d) = s_0\,r(d), \qquad r(d) = \frac{U_d - U'_d}{U_0 - U'_0} \ (\ge 0)

with :math:`U_d` the U-value of the deepest row of ``loft_insulation.csv``
(:data:`LOFT_INSULATION`, RdSAP Table S9) at or below :math:`d`. A top-up from 100 mm
(:math:`U` 0.40 to 0.16) thus saves about a ninth of what insulating a bare loft (2.30 to
0.16) saves.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from geoplan.assumptions import AssumptionTable, read_assumptions
from geoplan.errors import Problems, SourceFormatError

__all__ = ["LOFT_INSULATION", "loft_ratio", "read_loft_insulation"]

PathLike = str | os.PathLike[str]

LOFT_INSULATION = AssumptionTable(
    "loft_insulation", key=("depth_mm",),
    numbers={"u_value_w_m2k": 0.0, "u_after_w_m2k": 0.0})
"""Roof U-value by existing loft insulation depth, and after the top-up
(``layers/assumptions/loft_insulation.csv``)."""


def read_loft_insulation(path: PathLike | None = None) -> pd.DataFrame:
    """Read and check the loft table: depths are numbers >= 0 and one row is for 0 mm.

    Returns
    -------
    pandas.DataFrame
        Sorted by ``depth_mm`` (float).

    Raises
    ------
    SourceFormatError
        Naming the file, row and column of every depth that is not a number >= 0, or when
        no row is for 0 mm (the uninsulated loft the measure's saving share refers to).
    """
    table = read_assumptions(LOFT_INSULATION, path)
    problems = Problems(table.attrs["path"], sheet=LOFT_INSULATION.name)
    depth = pd.to_numeric(table["depth_mm"], errors="coerce")
    for index in table.index[~(depth >= 0)]:
        problems.add(f"depth {table.loc[index, 'depth_mm']!r} is not a number >= 0",
                     row=int(index) + 2, column="depth_mm", fix="give the depth in mm")
    if not (depth == 0).any():
        problems.add("no row for a loft with 0 mm of insulation", column="depth_mm",
                     fix="add the U-value of an uninsulated loft (RdSAP Table S9: 2.3)")
    problems.raise_if_any(SourceFormatError)
    out = table.assign(depth_mm=depth.astype(float)).sort_values("depth_mm",
                                                                 ignore_index=True)
    out.attrs = dict(table.attrs)
    return out


def loft_ratio(depth_mm: np.ndarray, table: pd.DataFrame) -> np.ndarray:
    """Share :math:`r(d)` of a bare loft's saving that a top-up from each depth gives.

    Parameters
    ----------
    depth_mm : numpy.ndarray
        Existing insulation per home (NaN: unknown, giving NaN).
    table : pandas.DataFrame
        From :func:`read_loft_insulation`.
    """
    depths = table["depth_mm"].to_numpy(float)
    cut = table["u_value_w_m2k"].to_numpy(float) - table["u_after_w_m2k"].to_numpy(float)
    bare = float(cut[depths == 0][0])
    depth = np.asarray(depth_mm, dtype=float)
    at = np.searchsorted(depths, np.nan_to_num(depth, nan=-1.0), side="right") - 1
    ratio = np.clip(cut[np.maximum(at, 0)] / bare, 0.0, None) if bare > 0 else np.zeros(
        len(depth))
    return np.where(np.isfinite(depth) & (at >= 0), ratio, np.nan)
