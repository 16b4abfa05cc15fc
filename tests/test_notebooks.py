"""The notebooks in notebooks/ run top to bottom on the sample county, and are saved clean.

Each notebook is executed with nbclient in a fresh ``python3`` kernel whose working folder is
``notebooks/`` (as when a user opens it there). The kernel gets ``GEOPLAN_CACHE`` pointing at
the test session's cache (the ``cache`` fixture of ``conftest.py``), so the sample county is
written once for every test, and
``TMPDIR`` pointing at the test's folder, so the run folders the notebooks create go there.
The executed copy is written next to them for people to look at
(:func:`tests.conftest.execute_notebook`). The quickstart notebook is executed once per
session (``quickstart_notebook``): its run of ``scenarios/joint.yaml`` is also the second run
of the determinism test in tests/test_pipeline.py. The notebooks use geoplan's
public API, imported from ``geoplan`` alone (no submodule).
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

from tests.conftest import execute_notebook

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
NAMES = ("quickstart", "bring-your-own-data", "comparing-scenarios")
ONCE_PER_SESSION = {"quickstart": "quickstart_notebook",
                    "comparing-scenarios": "comparing_notebook"}
"""Notebooks executed once per session by a fixture of conftest.py (the same way)."""
QUICK_RUNS = {
    "bring-your-own-data": ("geoplan-byod-*/oxon-chargers", 1,
                            ("tradeoff.csv", "map.html", "map.png", "sensitivity.csv")),
}
"""Notebook -> (its quick run folders under ``TMPDIR``, how many, files they leave out)."""


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_top_to_bottom(name: str, cache: Path, tmp_path: Path,
                                     request: pytest.FixtureRequest) -> None:
    folder = tmp_path
    if name in ONCE_PER_SESSION:  # executed once, its run shared with another test
        folder = request.getfixturevalue(ONCE_PER_SESSION[name])
        notebook = nbformat.read(folder / f"{name}.ipynb", as_version=4)
    else:
        notebook = execute_notebook(name, cache, folder)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    assert all(cell.execution_count is not None for cell in code)
    errors = [out for cell in code for out in cell.outputs if out.output_type == "error"]
    assert errors == []
    # The run folders went to the test's temporary folder, not into notebooks/.
    assert any((folder / "tmp").iterdir())
    # Runs a notebook makes without some optional outputs to stay quick (it says how to write
    # them): the real Oxfordshire chargers run, made when the real files are there.
    pattern, expected, skipped = QUICK_RUNS.get(name, ("-", 0, ()))
    if name == "bring-your-own-data":  # a run from the clone's own data/oxfordshire, else
        # from the real-data folder laid out as the recipe in the temporary folder
        own = (NOTEBOOKS.parent / "data" / "oxfordshire").is_dir()
        expected = 1 if own else len(list((folder / "tmp").glob("geoplan-byod-*/recipe")))
    runs = sorted(path.parent for path in (folder / "tmp").glob(f"{pattern}/summary.json"))
    assert len(runs) == expected
    assert not [run / file for run in runs for file in skipped if (run / file).exists()]


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_saved_without_outputs(name: str) -> None:
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], cell.id
            assert cell.execution_count is None, cell.id
        assert "attachments" not in cell, cell.id  # no data stored in the notebook


def _geoplan_imports(source: str) -> list[str]:
    """Every module a cell imports from geoplan (``geoplan`` itself or a submodule)."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    found = []
    for node in ast.walk(ast.parse("\n".join(lines))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.startswith("geoplan")]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("geoplan"):
            found.append(str(node.module))
    return found


@pytest.mark.parametrize("name", NAMES)
def test_notebook_imports_from_geoplan_alone(name: str) -> None:
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    modules = [module for cell in notebook.cells if cell.cell_type == "code"
               for module in _geoplan_imports(cell.source)]
    assert modules
    assert set(modules) == {"geoplan"}, modules
