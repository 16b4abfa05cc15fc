"""Year-by-year removals of a time profile, read once for all the years a plan asks about.

Profile of the tiny frame (cumulative net tCO2e after a years): row 0 has 2 t at age 2 and
6 t at age 4 (so 1 t/yr in years 1-2, 2 t/yr in years 3-4, nothing after); row 1 has no
profile (a flat 3 t/yr measure).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoplan.planning.phasing import lifetime_tco2e, tonnes_in_years
from geoplan.workstreams import removals
from geoplan.workstreams.removals import removals_in_year, removals_in_years

FRAME = pd.DataFrame({"tco2e_per_yr": [9.0, 3.0], "lifetime_years": [60.0, 60.0],
                      "removed_tco2e_age_2": [2.0, None], "removed_tco2e_age_4": [6.0, None]})


def test_removals_in_years_follow_each_rows_own_planting_year():
    # row 0 planted 2030, row 1 (no profile) 2032: years 2029..2035
    years = list(range(2029, 2036))
    grown = removals_in_years(FRAME, np.array([2030, 2032]), years)
    assert grown.shape == (2, 7)
    # planted 2030: age 0 in 2030 grows C(1) - C(0) = 1, then 1, 2, 2, 0 (flat after age 4)
    assert grown[0].tolist() == [0.0, 1.0, 1.0, 2.0, 2.0, 0.0, 0.0]
    assert np.isnan(grown[1]).all()  # no profile: NaN, the caller uses its flat rate
    for column, year in enumerate(years):  # the one-year form gives the same numbers
        one = removals_in_year(FRAME, np.array([2030, 2032]), year)
        assert one[0] == grown[0, column]
        assert np.isnan(one[1])
    # rows in the other order (the profiled row last): the same rows, the same numbers
    flipped = removals_in_years(FRAME.iloc[::-1].reset_index(drop=True),
                                np.array([2032, 2030]), years)
    assert flipped[1].tolist() == grown[0].tolist()
    assert np.isnan(flipped[0]).all()


def test_tonnes_in_years_reads_the_age_columns_once_not_once_per_year(monkeypatch):
    calls = []
    real = removals._ages

    def counted(frame):
        calls.append(len(frame))
        return real(frame)

    monkeypatch.setattr(removals, "_ages", counted)
    tonnes = tonnes_in_years(FRAME, list(range(2030, 2090)), 2030)
    # profiled row: 1 + 1 + 2 + 2 = 6 t in all, the flat row 3 t in each of the 60 years
    assert tonnes[0, :5].tolist() == [1.0, 1.0, 2.0, 2.0, 0.0]
    assert tonnes[0].sum() == pytest.approx(6.0)
    assert tonnes[1].tolist() == [3.0] * 60
    assert lifetime_tco2e(FRAME, 2030, first_year=2030).tolist() == pytest.approx([6.0, 180.0])
    # one reading for "which rows have a profile" and one for the growth, per call (was
    # five readings per year: 60 years x 2 calls here would read them hundreds of times)
    assert len(calls) <= 4


def test_one_planting_year_for_every_row_looks_each_age_up_once(monkeypatch):
    # rows 0 and 2 have profiles (2 t at age 2, 6 t at age 4; 1 t at age 2, 1.5 t at age 4),
    # row 1 none; all planted in 2030. Row 0: 0 before 2030, 1, 1, 2, 2, then 0; row 2: 0.5,
    # 0.5, 0.25, 0.25, then 0 (by hand), and every cell bit for bit what per-row planting
    # years give
    frame = pd.concat([FRAME, pd.DataFrame({"tco2e_per_yr": [1.0], "lifetime_years": [60.0],
                                            "removed_tco2e_age_2": [1.0],
                                            "removed_tco2e_age_4": [1.5]})],
                      ignore_index=True)
    years = [2028, *range(2030, 2036), 2100]
    per_row = removals_in_years(frame, np.full(3, 2030), years)
    cells = []
    real = removals._interpolate
    monkeypatch.setattr(removals, "_interpolate",
                        lambda ages, values, when: cells.append(when.size) or real(ages, values,
                                                                                   when))
    grown = removals_in_years(frame, 2030, years)
    assert cells == []  # the per-cell look-up (rows x years) is not made
    assert grown[0].tolist() == [0.0, 1.0, 1.0, 2.0, 2.0, 0.0, 0.0, 0.0]
    assert np.isnan(grown[1]).all()
    assert grown[2].tolist() == [0.0, 0.5, 0.5, 0.25, 0.25, 0.0, 0.0, 0.0]
    assert grown.tobytes() == per_row.tobytes()
