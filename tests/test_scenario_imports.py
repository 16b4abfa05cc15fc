"""``import geoplan.scenario`` stays cheap: config sits below the stages it configures.

The scenario layer is read by every command, so it must not load the optimiser, the sample
generator, the workstreams, the plan or the outputs (issue 12). The check runs in a fresh
interpreter, so modules other tests imported cannot hide or fake a load.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("geoplan.optimise", "geoplan.sample", "geoplan.workstreams", "geoplan.outputs",
             "geoplan.planning", "geoplan.pipeline", "geoplan.scenario.tables")


def _loaded_after(statement: str) -> list[str]:
    """Geoplan modules loaded by ``statement`` in a fresh interpreter, sorted."""
    code = (f"import json, sys\n{statement}\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('geoplan'))))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=False, env={"PYTHONPATH": str(ROOT),
                                                       "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _forbidden(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]


@pytest.mark.parametrize("statement", [
    "import geoplan.scenario",
    "from geoplan.scenario import load_scenario, Scenario, ChargersSection",
    "import geoplan.scenario.models",
])
def test_scenario_loads_no_stage_above_it(statement: str) -> None:
    loaded = _loaded_after(statement)
    assert "geoplan.scenario.models" in loaded
    assert _forbidden(loaded) == [], f"{statement!r} loads modules above the scenario layer"


def test_known_tables_is_loaded_on_first_use() -> None:
    loaded = _loaded_after("from geoplan.scenario import known_tables\nknown_tables()")
    assert "geoplan.scenario.tables" in loaded
    assert "geoplan.planning.solve" in loaded
