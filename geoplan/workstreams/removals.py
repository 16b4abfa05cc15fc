r"""Removals that grow with age: the Woodland Carbon Code time profile of new woodland.

New woodland removes almost nothing in its first years, then most of its carbon between
about 15 and 50 years. ``layers/assumptions/woodland_profile.csv`` (:data:`WOODLAND_PROFILE`)
gives, per land use, the cumulative gross removal :math:`P(a)` (tCO2e/ha) after :math:`a`
years of growth, from the Woodland Carbon Code carbon lookup tables (5-year steps).

Rules, stated once:

* **Between table ages** :math:`P` is linear (the lookup tables spread each 5-year period's
  removal evenly over its years); :math:`P(0) = 0`; beyond the last age it stays flat.
* **A candidate** with area :math:`A` and net share
  :math:`n = (1 - \text{baseline} - \text{leakage}) (1 - \text{buffer})` carries the columns
  ``removed_tco2e_age_<a>`` :math:`= A\, n\, P(a)` for every table age :math:`a > 0`
  (:func:`profile_columns`): net tCO2e removed after :math:`a` years.
* **Planted in year** :math:`b`, its removal in calendar year :math:`y \ge b` is
  :math:`R(y) = C(y - b + 1) - C(y - b)` (:func:`removals_in_year`), with :math:`C` the
  candidate's cumulative columns: the build year is the first growing season. (In the
  notation :math:`p(k) - p(k - 1)` with :math:`k = y - b`, :math:`p(k) = C(k + 1)`.)
* **Headline rate**: ``tco2e_per_yr`` of a profiled candidate is :math:`C(T) / T`, its mean
  yearly net removal over the first :math:`T` years after planting
  (:func:`mean_rate`; ``average_years`` of the sequestration settings, default 30), never
  the mature rate credited from year one.

Planning (:mod:`geoplan.planning.phasing`, :mod:`geoplan.planning.finance`) reads the age
columns of any candidate that has them: lifetime carbon and the trajectory follow the profile.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from geoplan.assumptions import AssumptionTable, read_assumptions
from geoplan.errors import Problems, SourceFormatError

__all__ = [
    "AGE_PREFIX",
    "WOODLAND_PROFILE",
    "cumulative_at",
    "has_profile",
    "mean_rate",
    "profile_ages",
    "profile_columns",
    "read_woodland_profile",
    "removals_in_year",
    "removals_in_years",
]

AGE_PREFIX = "removed_tco2e_age_"
"""Prefix of a candidate's cumulative net removal columns, one per table age (years)."""

WOODLAND_PROFILE = AssumptionTable(
    "woodland_profile", key=("land_use", "age_years"),
    numbers={"cumulative_tco2e_per_ha": 0.0, "cumulative_tco2e_per_ha_low": 0.0,
             "cumulative_tco2e_per_ha_high": 0.0})
"""Per land use and age (years of growth): cumulative gross tCO2e/ha, with low/high bounds."""


def read_woodland_profile(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Read and check the time profile table (the shipped one when ``path`` is None).

    Raises
    ------
    SourceFormatError
        Besides the shared checks: an age that is negative or not whole, or a cumulative
        removal that falls as the age rises (named by row).
    """
    table = read_assumptions(WOODLAND_PROFILE, path)
    problems = Problems(table.attrs["path"], sheet=WOODLAND_PROFILE.name)
    for index, age in table["age_years"].items():
        number = pd.to_numeric(age, errors="coerce")
        if not np.isfinite(number) or number < 0 or number != int(number):
            problems.add(f"age {age!r} is not a whole number of years >= 0",
                         row=int(index) + 2, column="age_years", fix="give 0, 5, 10, ...")
    problems.raise_if_any(SourceFormatError)
    table["age_years"] = table["age_years"].astype(float).astype(int)
    for _use, rows in table.groupby("land_use", sort=True):
        rows = rows.sort_values("age_years")
        values = rows["cumulative_tco2e_per_ha"].to_numpy(float)
        for index in rows.index[1:][np.diff(values) < 0]:
            problems.add(f"{table.loc[index, 'cumulative_tco2e_per_ha']:g} is below the value "
                         "of a younger age", row=int(index) + 2,
                         column="cumulative_tco2e_per_ha",
                         fix="cumulative removals never fall: check the age and the value")
    problems.raise_if_any(SourceFormatError)
    return table


def profile_ages(profile: pd.DataFrame, land_use: str) -> tuple[np.ndarray, np.ndarray]:
    """Ages (> 0) and cumulative tCO2e/ha of one land use (empty arrays when it has none)."""
    ages = _whole_ages(profile)
    rows = (profile["land_use"].astype(str) == land_use).to_numpy() & (ages > 0)
    order = np.argsort(ages[rows], kind="stable")
    return (ages[rows][order],
            pd.to_numeric(profile["cumulative_tco2e_per_ha"]).to_numpy(float)[rows][order])


def _whole_ages(profile: pd.DataFrame) -> np.ndarray:
    """Return ``age_years`` as whole numbers (a key column may be read as text)."""
    return pd.to_numeric(profile["age_years"], errors="coerce").fillna(-1).to_numpy(float) \
        .astype(int)


def profile_columns(uses: np.ndarray, scale: np.ndarray,
                    profile: pd.DataFrame) -> pd.DataFrame:
    """``removed_tco2e_age_<a>`` columns: ``scale`` (ha x net share) x P(a), NaN without profile.

    Examples
    --------
    >>> table = pd.DataFrame({"land_use": ["w", "w"], "age_years": [5, 10],
    ...                       "cumulative_tco2e_per_ha": [1.0, 4.0]})
    >>> profile_columns(np.array(["w", "x"]), np.array([2.0, 3.0]), table)
       removed_tco2e_age_5  removed_tco2e_age_10
    0                  2.0                   8.0
    1                  NaN                   NaN
    """
    ages = sorted({int(a) for a in _whole_ages(profile) if a > 0})
    out = pd.DataFrame(np.nan, index=range(len(uses)), columns=[f"{AGE_PREFIX}{a}"
                                                                 for a in ages])
    for use in sorted(set(uses.astype(str))):
        own, values = profile_ages(profile, use)
        if not len(own):
            continue
        rows = uses.astype(str) == use
        filled = np.interp(ages, np.concatenate([[0], own]), np.concatenate([[0.0], values]))
        out.loc[rows, :] = scale[rows, None] * filled[None, :]
    return out


def _ages(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Table ages with 0 prepended, and the ``n x ages`` cumulative values (0 at age 0)."""
    ages = sorted(int(c[len(AGE_PREFIX):]) for c in frame.columns
                  if c.startswith(AGE_PREFIX) and c[len(AGE_PREFIX):].isdigit())
    values = np.column_stack([pd.to_numeric(frame[f"{AGE_PREFIX}{a}"], errors="coerce")
                              .to_numpy(float) for a in ages]) if ages else \
        np.zeros((len(frame), 0))
    return (np.array([0, *ages], dtype=float),
            np.column_stack([np.zeros(len(frame)), values]))


def _profiled(values: np.ndarray) -> np.ndarray:
    """Rows of a :func:`_ages` value matrix that carry some profile value."""
    return ~np.isnan(values[:, 1:]).all(axis=1) if values.shape[1] > 1 else \
        np.zeros(len(values), dtype=bool)


def has_profile(frame: pd.DataFrame) -> np.ndarray:
    """Rows that carry a time profile (some ``removed_tco2e_age_<a>`` value)."""
    return _profiled(_ages(frame)[1])


def _interpolate(ages: np.ndarray, values: np.ndarray, when: np.ndarray) -> np.ndarray:
    """Each row's cumulative value at ``when`` (rows, or rows x years), ignoring blanks.

    Linear between table ages, 0 at or before age 0, flat beyond the last.
    """
    clipped = np.clip(when, 0.0, ages[-1])
    hi = np.clip(np.searchsorted(ages, clipped, side="left"), 1, len(ages) - 1)
    lo = hi - 1
    share = (clipped - ages[lo]) / (ages[hi] - ages[lo])
    rows = np.arange(len(values)).reshape((-1,) + (1,) * (clipped.ndim - 1))
    return values[rows, lo] + (values[rows, hi] - values[rows, lo]) * share


def cumulative_at(frame: pd.DataFrame, age: np.ndarray | float) -> np.ndarray:
    """Each row's cumulative net removal after ``age`` years (per row or one for all).

    Linear between table ages, 0 at or before age 0, flat beyond the last; NaN for rows
    without a profile.
    """
    ages, values = _ages(frame)
    n = len(frame)
    when = np.broadcast_to(np.asarray(age, dtype=float), (n,))
    if len(ages) == 1:
        return np.full(n, np.nan)
    return np.where(_profiled(values), _interpolate(ages, values, when), np.nan)


def removals_in_year(frame: pd.DataFrame, build_year: np.ndarray | int,
                     year: int) -> np.ndarray:
    """Net removal of each row in calendar ``year`` when planted in ``build_year``.

    :math:`C(y - b + 1) - C(y - b)` (module docstring); 0 before planting; NaN for rows
    without a profile.
    """
    return removals_in_years(frame, build_year, [year])[:, 0]


def removals_in_years(frame: pd.DataFrame, build_year: np.ndarray | int,
                      years: Sequence[int]) -> np.ndarray:
    """:func:`removals_in_year` for each of ``years`` at once: rows x years.

    The age columns are read once for all years (a plan asks for every year of a
    lifetime).

    Examples
    --------
    >>> t = pd.DataFrame({"removed_tco2e_age_2": [4.0, None]})
    >>> removals_in_years(t, 2030, [2029, 2030, 2031, 2032]).tolist()
    [[0.0, 2.0, 2.0, 0.0], [nan, nan, nan, nan]]
    """
    ages, values = _ages(frame)
    n = len(frame)
    age = np.asarray(years, dtype=float)[None, :] - \
        np.broadcast_to(np.asarray(build_year, dtype=float), (n,))[:, None]
    profiled = _profiled(values)
    growth = np.full(age.shape, np.nan)
    if len(ages) > 1 and profiled.any():  # only the rows with a profile (woodland) grow
        own = values[profiled]
        if np.ndim(build_year) == 0:  # one age a year for every row: each age once
            common = age[0]
            at = np.unique(np.concatenate([common, common + 1.0]))
            cumulative = _at_ages(ages, own, at)
            growth[profiled] = (cumulative[:, np.searchsorted(at, common + 1.0)]
                                - cumulative[:, np.searchsorted(at, common)])
        else:
            mine = age[profiled]
            growth[profiled] = (_interpolate(ages, own, mine + 1.0)
                                - _interpolate(ages, own, mine))
    return np.where(age >= 0, growth, np.where(profiled[:, None], 0.0, np.nan))


def _at_ages(ages: np.ndarray, values: np.ndarray, when: np.ndarray) -> np.ndarray:
    """Every row's cumulative value at each of ``when`` (the same ages for all rows).

    :func:`_interpolate` with one row of ages shared by every row: the same arithmetic on
    the same numbers, with the table ages looked up once per age instead of once per cell
    (so each cell's value is bit for bit the one :func:`_interpolate` gives).
    """
    clipped = np.clip(when, 0.0, ages[-1])
    hi = np.clip(np.searchsorted(ages, clipped, side="left"), 1, len(ages) - 1)
    lo = hi - 1
    share = (clipped - ages[lo]) / (ages[hi] - ages[lo])
    return values[:, lo] + (values[:, hi] - values[:, lo]) * share[None, :]


def mean_rate(frame: pd.DataFrame, years: float) -> np.ndarray:
    """Mean yearly net removal over the first ``years`` years after planting (NaN: none)."""
    return cumulative_at(frame, float(years)) / float(years)
