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

