"""Projecting each zone's EVs to future years along a county uptake curve."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from geoplan.errors import Problems, ScenarioError

__all__ = ["is_whole_year", "project_evs"]

def project_evs(evs_now: pd.Series, uptake: Mapping[int, float], years: Iterable[int], *,
                base_year: int | None = None) -> pd.DataFrame:
    """Scale each zone's EVs so the county totals follow an uptake curve.

    The county total in year ``y`` is read off the curve through ``uptake`` (plus
    ``(base_year, evs_now.sum())`` when ``base_year`` is given): linear between points, flat
    after the last. Each zone gets ``evs_now * total(y) / evs_now.sum()``.

    Parameters
    ----------
    evs_now : pandas.Series
        EVs per zone today.
    uptake : mapping of int to float
        County EV totals by year, e.g. ``{2025: 60000, 2030: 120000}``.
    years : iterable of int
        Years wanted.
    base_year : int, optional
        Year of ``evs_now``; needed for years before the first uptake year.

    Returns
    -------
    pandas.DataFrame
        One column ``evs_<year>`` per distinct year, in increasing order, aligned with
        ``evs_now``.

    Raises
    ------
    ScenarioError
        Years that are not whole, totals not numbers >= 0, a year before the curve starts, a
        ``base_year`` not before the first uptake year, or targets but no EVs now.

    Examples
    --------
    >>> now = pd.Series([10.0, 30.0], index=["Z1", "Z2"])
    >>> project_evs(now, {2025: 60, 2030: 120}, [2025, 2028, 2035]).to_dict("list")
    {'evs_2025': [15.0, 45.0], 'evs_2028': [24.0, 72.0], 'evs_2035': [30.0, 90.0]}
    """
    total_now = float(evs_now.sum())
    curve = _curve(uptake, total_now, base_year)
    columns = {}
    for year in sorted({int(y) for y in years}):
        if year < curve[0][0]:
            raise ScenarioError(f"uptake: year {year} is before the curve starts in "
                                f"{curve[0][0]} (fix: pass base_year=, the year of the vehicle "
                                "data, or add an earlier uptake year)")
        target = float(np.interp(year, [y for y, _ in curve], [t for _, t in curve]))
        if total_now <= 0 and target > 0:
            raise ScenarioError(f"uptake: {target:g} EVs in {year} cannot be spread over the "
                                "zones because no zone has EVs now (fix: check the vehicles "
                                "table)")
        factor = target / total_now if total_now > 0 else 0.0
        columns[f"evs_{year}"] = evs_now.astype(float) * factor
    return pd.DataFrame(columns, index=evs_now.index)


def is_whole_year(year: object) -> bool:
    """Tell whether ``year`` is a whole number (and not a bool)."""
    try:
        return not isinstance(year, bool) and float(year).is_integer()  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _curve(uptake: Mapping[int, float], total_now: float,
           base_year: int | None) -> list[tuple[int, float]]:
    """Check the uptake points; return them sorted, from ``base_year`` when given."""
    problems = Problems("uptake")
    if not uptake:
        problems.add("no years given", fix="give county EV totals, e.g. {2030: 120000}")
    totals = pd.to_numeric(pd.Series(list(uptake.values()), dtype=object), errors="coerce")
    for (year, total), value in zip(uptake.items(), totals, strict=True):
        if not is_whole_year(year):
            problems.add(f"year {year!r} is not a whole year", fix="use years like 2030")
        elif not np.isfinite(value) or value < 0:
            problems.add(f"total {total!r} for {int(year)} is not a number >= 0",
                         fix="give county EV totals, e.g. {2030: 120000}")
    problems.raise_if_any(ScenarioError)
    points = sorted((int(y), float(t)) for y, t in zip(uptake, totals, strict=True))
    if base_year is not None and int(base_year) >= points[0][0]:
        raise ScenarioError(f"uptake: base_year {base_year} must be before the first uptake "
                            f"year {points[0][0]} (fix: drop base_year= or those years)")
    return [(int(base_year), total_now), *points] if base_year is not None else points
