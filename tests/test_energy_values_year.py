"""Each fuel's value in a year, picked without copying the table's attrs for every fuel."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from geoplan.workstreams.energy import values_in_year


class _Tally:
    """A path that counts how often it is deep-copied."""

    copies = 0

    def __deepcopy__(self, memo: dict[int, Any]) -> _Tally:
        _Tally.copies += 1
        return self


def test_values_in_year_interpolates_each_fuel_and_copies_the_attrs_a_few_times() -> None:
    fuels = [f"fuel{i}" for i in range(20)]
    # each fuel listed in 2040 then 2020 (out of order): fuel i goes from i to i + 10
    table = pd.DataFrame({"year": [2040, 2020] * 20,
                          "fuel": [f for f in fuels for _ in range(2)],
                          "kgco2e_per_kwh": [v for i in range(20) for v in (i + 10.0, float(i))]})
    table.attrs["path"] = _Tally()
    _Tally.copies = 0
    values = values_in_year(table, 2025, fuels)
    copies = _Tally.copies
    # 2025 is a quarter of the way from 2020 to 2040: i + 2.5
    assert values == pytest.approx({f"fuel{i}": i + 2.5 for i in range(20)})
    assert values_in_year(table, 2050, ["fuel3"]) == {"fuel3": 13.0}  # clamped at the end
    assert copies < 20  # a few for the table; 80 or more when each fuel's rows were picked
