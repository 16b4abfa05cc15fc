"""Shared fixtures: where the real public data lives (skipping cleanly without it), and the
embedded sample county written once per test session."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

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
