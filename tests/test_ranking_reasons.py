"""The reasons given to candidates not chosen, worked out for all of them at once."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import scipy.sparse as sp

from geoplan.optimise.ranking import blocked_reasons


def _model() -> Any:
    # rows: a budget (<= 10), a target (>= 5), a coverage row (<= 0, never quoted)
    matrix = sp.csr_matrix(np.array([[4.0, 7.0, 5.5],
                                     [0.0, -3.0, 0.5],
                                     [1.0, 0.0, 0.0]]))
    return SimpleNamespace(
        matrix=matrix, row_upper=np.array([10.0, np.inf, 0.0]),
        row_lower=np.array([-np.inf, 5.0, -np.inf]),
        row_family=np.array(["budget", "target", "coverage"]),
        row_label=np.array(["budget", "target", "cover z1"]))


def test_blocked_reasons_name_each_broken_row_in_the_order_asked() -> None:
    model = _model()
    activity = np.array([5.0, 6.0, 0.0])  # the plan's row values
    reasons = blocked_reasons(model, model.matrix.tocsc(), activity, np.array([2, 0, 1]),
                              np.array([0.25, 2.5, 1.0]))
    # column 2: budget 5 + 5.5 = 10.5 (over by 0.5); target 6 + 0.5 is met
    # column 0: budget 9 fits; the coverage row goes to 1 > 0 but coverage is not a limit
    # column 1: budget 12 (over by 2) and target 6 - 3 = 3 (short by 2)
    assert reasons == ["not chosen: would break budget (over by 0.5)",
                       "not chosen: fits, but adds only 2.5",
                       "not chosen: would break budget (over by 2); target (short by 2)"]


def test_blocked_reasons_of_no_candidate_is_empty() -> None:
    model = _model()
    assert blocked_reasons(model, model.matrix.tocsc(), np.zeros(3),
                           np.array([], dtype=int), np.array([])) == []
