"""Shared fixtures: where the real public data lives (skipping cleanly without it), and the
embedded sample county written once per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep the tests that share a module's own expensive fixture on one xdist worker.

    A module- or session-scoped fixture defined in a test module (a scenario run, a parsed
    real file) is built once per worker that runs a test using it; with ``--dist loadgroup``
    (pyproject's addopts) the tests using one are grouped by module, so it is built once,
    while every other test is still shared out one by one.
    """
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        module = item.nodeid.split("::", 1)[0]
        if info is None:
            continue
        for name in item.fixturenames:
            defs = info.name2fixturedefs.get(name)
            if defs and defs[-1].scope in ("module", "session") and \
                    defs[-1].baseid == module:
                item.add_marker(pytest.mark.xdist_group(name=module))
                break
