"""The ranking's reasons as a kind and numbers (geoplan/planning/reasons.py), and popups that
word a reason from its kind without reading the ranking's sentence."""

from __future__ import annotations

import pytest

from geoplan.outputs.map_popups import reason_words
from geoplan.planning.reasons import REASON_KINDS, Limit, Reason, parse_reason, reason_of


@pytest.mark.parametrize(("text", "expected"), [
    ("locked in", Reason("locked_in", text="locked in")),
    ("chosen; removing it loses 1,234.5", Reason("chosen_value", value=1234.5)),
    ("chosen at a cost of 2.5e+04; removing it alone leaves every minimum met",
     Reason("chosen_cost", value=25000.0)),
    ("not chosen: fits, but adds only -0.25", Reason("fits", value=-0.25)),
    ("chosen; without it: minimum homes D1 (short by 12); minimum share fuel_poor_homes D2 "
     "(short by 0.05)",
     Reason("chosen_needed", (Limit("minimum homes D1", "short", 12.0),
                              Limit("minimum share fuel_poor_homes D2", "short", 0.05)))),
    ("not chosen: would break budget total (over by 4.651e+05); headroom P2 2030 "
     "(over by 120.4)",
     Reason("blocked", (Limit("budget total", "over", 465100.0),
                        Limit("headroom P2 2030", "over", 120.4)))),
])
def test_each_ranking_reason_gives_its_kind_and_numbers(text, expected):
    got = parse_reason(text)
    assert (got.kind, got.limits, got.value) == (expected.kind, expected.limits, expected.value)
    assert got.kind in REASON_KINDS
    assert got.text == text


@pytest.mark.parametrize("text", ["over the budget by £4,000", "not chosen: would break x",
                                  "chosen; removing it loses a lot", "", None])
def test_text_that_is_not_a_ranking_reason_has_no_kind(text):
    assert parse_reason(text).kind is None


def test_popup_words_a_reason_from_its_kind_without_the_sentence():
    row = {"reason_kind": "blocked", "rank": 7,
           "reason_limits": '[{"row": "headroom P2 2030", "way": "over", "by": 120.4}]'}
    assert reason_of(row).limits == (Limit("headroom P2 2030", "over", 120.4),)
    assert reason_words(row, total=9, names={"P2": "Botley"}) == (
        "Not chosen: adding it, the headroom at Botley (P2) in 2030 would be exceeded by "
        "120 kW.")
    assert reason_words({"reason_kind": "locked_in"}, total=9) == (
        "Chosen: fixed in the plan by the scenario (locked in).")
    # an unknown kind falls back to the text
    assert reason_of({"reason_kind": "mystery", "reason": "locked out"}).kind == "locked_out"
