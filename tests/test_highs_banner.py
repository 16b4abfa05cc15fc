"""HiGHS's banner stays out of geoplan's output (highspy >= 1.16 prints it on the first Highs)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _stdout_of(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=True, timeout=120)
    return done.stdout


def test_a_quiet_session_prints_nothing_but_what_geoplan_prints() -> None:
    code = ("from geoplan.optimise.solvers import new_highs\n"
            "print('before')\nnew_highs()\nnew_highs()\nprint('after')\n")
    assert _stdout_of(code) == "before\nafter\n"



def test_highs_through_pulp_prints_no_banner_either() -> None:
    """PuLP builds its own ``Highs``: the ``highs-pulp`` solver must not print the banner."""
    code = (
        "import numpy as np, scipy.sparse as sp\n"
        "from geoplan.optimise.matrix import MilpMatrix\n"
        "from geoplan.optimise.outcome import SolverOptions\n"
        "from geoplan.optimise.pulp_adapter import solve_with_pulp\n"
        "m = MilpMatrix(sense='max', cost=np.array([1.0, 2.0]), col_lower=np.zeros(2),\n"
        "    col_upper=np.ones(2), integer=np.array([True, True]),\n"
        "    matrix=sp.csr_matrix(np.array([[1.0, 1.0]])), row_lower=np.array([-np.inf]),\n"
        "    row_upper=np.array([1.0]), row_family=np.array(['budget']),\n"
        "    row_label=np.array(['b']))\n"
        "print('before')\n"
        "outcome = solve_with_pulp(m, SolverOptions(solver='highs-pulp'))\n"
        "print('after', outcome.status, [round(v) for v in outcome.x])\n")
    assert _stdout_of(code) == "before\nafter optimal [0, 1]\n"
