"""Shared fixtures: where the real public data lives (skipping cleanly without it), and the
embedded sample county written once per test session."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

settings.register_profile("geoplan", deadline=None)
settings.load_profile("geoplan")
"""Property tests check results, never speed: hypothesis's default 200 ms deadline per example
failed test_cells.py on a loaded machine (376 and 595 ms), a timing assertion by another name."""

REAL_DATA = Path(
    os.environ.get("GEOPLAN_REAL_DATA", Path(__file__).resolve().parents[2] / "shared/data/real")
)


@pytest.fixture(scope="session")
def real_data() -> Path:
    """Folder of real public files (``../shared/data/real``); skip the test when absent."""
    if not REAL_DATA.is_dir():
        pytest.skip(f"real data folder {REAL_DATA} is absent (set GEOPLAN_REAL_DATA to use it)")
    return REAL_DATA


def real_file(real_data: Path, relative: str) -> Path:
    """Path of one real file, skipping the test when that file is missing."""
    path = real_data / relative
    if not path.exists():
        pytest.skip(f"real data file {path} is absent")
    return path


@pytest.fixture(scope="session", autouse=True)
def cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``$GEOPLAN_CACHE`` for the whole test session, shared by every xdist worker.

    The sample county is written into it once per session (the first worker to need it
    writes it under a file lock, see :func:`geoplan.pipeline.sample_folder`; the others wait
    and reuse it), never into the user's ``~/.cache/geoplan``.
    """
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / "geoplan-cache"
    folder.mkdir(exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GEOPLAN_CACHE", str(folder))
        yield folder


@pytest.fixture(scope="session")
def small_sample(cache: Path) -> Path:
    """Folder of the embedded sample county (``geoplan sample --scale small``), written once.

    Read-only: tests that change files must copy them first.
    """
    from geoplan.pipeline import sample_folder

    return sample_folder("small")



def shared_once(cache: Path, name: str, build: Callable[[Path], None]) -> Path:
    """Folder ``name`` built once per test session for every xdist worker, then reused.

    An expensive fixture (a scenario run, a real-data run) built per worker costs its time
    once for each worker that runs a test using it. Here the first worker to need it runs
    ``build(folder)`` under a lock in the session cache shared by every worker
    (:func:`cache`); the others wait, then reuse the folder. Tests must not change it.
    """
    from geoplan.pipeline import _exclusive

    root = cache / "shared-fixtures"
    root.mkdir(exist_ok=True)
    folder, done = root / name, root / f"{name}.done"
    with _exclusive(root / f".{name}.lock"):
        if not done.exists():
            if folder.exists():  # a build that failed in another worker: start again
                shutil.rmtree(folder)
            build(folder)
            done.touch()
    return folder


NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOK_CELL_TIMEOUT_S = 300


def execute_notebook(name: str, cache: Path, folder: Path) -> Any:
    """Run ``notebooks/<name>.ipynb`` top to bottom in a fresh ``python3`` kernel.

    The kernel's working folder is ``notebooks/`` (as when a user opens it there), its
    ``GEOPLAN_CACHE`` the session's cache and its ``TMPDIR`` ``folder/tmp`` (where the run
    folders the notebook creates go). The executed copy is written to
    ``folder/<name>.ipynb``, even when a cell fails (``CellExecutionError``, raised).
    """
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = NotebookClient(notebook, timeout=NOTEBOOK_CELL_TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}},
                            extra_arguments=["--InteractiveShell.colors=nocolor"])
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / "tmp"
    temp.mkdir()
    env = {**os.environ, "GEOPLAN_CACHE": str(cache), "TMPDIR": str(temp),
           "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    try:
        client.execute(env=env)  # raises CellExecutionError naming the cell on any error
    finally:
        nbformat.write(notebook, folder / f"{name}.ipynb")
    return notebook


@pytest.fixture(scope="session")
def quickstart_notebook(cache: Path) -> Path:
    """``notebooks/quickstart.ipynb`` executed once per session for every worker (read-only).

    Its folder holds the executed copy (``quickstart.ipynb``) and, under ``tmp/``, the run
    of ``scenarios/joint.yaml`` it makes through the public API in its own kernel, which the
    determinism test compares with the ``geoplan run`` of the same scenario.
    """
    return shared_once(cache, "quickstart-notebook",
                       lambda folder: execute_notebook("quickstart", cache, folder))


@pytest.fixture(scope="session")
def comparing_notebook(cache: Path) -> Path:
    """``notebooks/comparing-scenarios.ipynb`` executed once per session for every worker.

    Read-only. Its two runs (every output), ``tmp/geoplan-compare-*/leading-the-way`` and
    ``.../steady-progression``, are also the smoke runs of those shipped scenarios in
    tests/test_pipeline.py.
    """
    return shared_once(cache, "comparing-notebook",
                       lambda folder: execute_notebook("comparing-scenarios", cache, folder))


SHARED_RUNS = ("joint_run", "ev_run", "runs")
"""Fixtures that build an expensive run once per session (:func:`shared_once`); the
quickstart and comparing-scenarios notebooks' are built by the first of their tests (each
one of :data:`LONG_TESTS`)."""
LONG_TESTS = ("test_notebook_runs_top_to_bottom", "test_every_shipped_scenario_runs_on_the_sample")
"""Tests that each make a whole run of their own."""
BUILT_ELSEWHERE = ("quickstart_notebook", "comparing_notebook")
"""Shared runs built by tests/test_notebooks.py (its first tests): a test of another module that
reads one goes last in its module, so that its worker does not sit on the lock while the other
worker builds it."""


def long_first(items: list[Any]) -> list[Any]:
    """``items`` with the ones that start a long run moved to the front, in their order.

    Those are the first test to use each :data:`SHARED_RUNS` fixture of its module (which
    builds it; the module's other tests stay where they are and find it built) and the
    :data:`LONG_TESTS`. The suite runs with ``--dist loadscope --no-loadscope-reorder``
    (pyproject.toml): xdist hands out whole modules, in the order their first test appears
    here, so the modules holding the long runs start early on both workers instead of one
    long run ending the session on one worker while the other is idle, and a module-scoped
    fixture is built once, not once per worker. Tests reading a run another module builds
    (:data:`BUILT_ELSEWHERE`) go last, each module's still in one group.
    """
    seen: set[tuple[str, str]] = set()
    front = []
    for item in items:
        names = getattr(item, "fixturenames", ())
        builds = {(item.module.__name__, name) for name in SHARED_RUNS if name in names}
        if builds - seen or getattr(item, "originalname", "") in LONG_TESTS:
            front.append(item)
        seen |= builds
    chosen = {id(item) for item in front}
    # the real county's run (the longest, where the files are present) before the sample's
    front.sort(key=lambda item: "real_data" not in getattr(item, "fixturenames", ()))
    rest = [item for item in items if id(item) not in chosen]
    return front + sorted(rest, key=_reads_a_run_built_elsewhere)  # a stable sort


def _reads_a_run_built_elsewhere(item: Any) -> bool:
    """Whether ``item`` reads a :data:`BUILT_ELSEWHERE` run outside the module building it."""
    module = getattr(getattr(item, "module", None), "__name__", "")
    return (not module.endswith("test_notebooks")
            and any(name in getattr(item, "fixturenames", ()) for name in BUILT_ELSEWHERE))


def pytest_collection_modifyitems(config: pytest.Config, items: list[Any]) -> None:
    """Run the long tests first (:func:`long_first`); every test still runs once."""
    items[:] = long_first(items)
