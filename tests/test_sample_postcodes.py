"""New postcodes of moved homes in the sample EPC files: the pool never runs dry silently."""

from __future__ import annotations

import pandas as pd
import pytest

from geoplan.errors import ScenarioError
from geoplan.sample.epc import _new_postcodes

_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


def _unit(sector: str, n: int) -> str:
    """The n-th unit (0-399) of a sector, written by hand from the letter order."""
    return f"{sector}{_LETTERS[n // 20]}{_LETTERS[n % 20]}"


def test_first_four_hundred_homes_get_sector_nine_in_order_skipping_listed_units():
    listed = pd.DataFrame({"postcode": ["OX9 9AA", "OX9 9AD"]})
    fresh = _new_postcodes(pd.Series(["OX9 1AB"] * 5), listed)
    # home n starts at unit n; units 0 and 1 (9AA, 9AD) are listed or already given
    assert fresh == ["OX9 9AB", "OX9 9AE", "OX9 9AF", "OX9 9AG", "OX9 9AH"]


def test_past_four_hundred_homes_an_outward_code_moves_on_to_sector_zero_then_eight():
    homes = pd.Series(["OX9 1AB"] * 801 + ["OX1 2AA"])
    fresh = _new_postcodes(homes, pd.DataFrame({"postcode": []}))
    assert fresh[:400] == [f"OX9 {_unit('9', n)}" for n in range(400)]
    # home 400 starts at unit 400 % 400 = 0 of the next free sector
    assert fresh[400:800] == [f"OX9 {_unit('0', n)}" for n in range(400)]
    assert fresh[800] == f"OX9 {_unit('8', 0)}"
    assert fresh[801] == f"OX1 {_unit('9', 801 % 400)}"
    assert len(set(fresh)) == len(fresh)


def test_a_full_outward_code_is_a_clear_error_not_a_hang():
    with pytest.raises(ScenarioError, match=r"4,000 units of outward code OX9 .*--scale"):
        _new_postcodes(pd.Series(["OX9 1AB"] * 4001), pd.DataFrame({"postcode": []}))
