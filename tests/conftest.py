"""Shared fixtures: where the real public data lives (skipping cleanly without it), and the
embedded sample county written once per test session."""

from __future__ import annotations

import os
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


@pytest.fixture(scope="session")
def small_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder of the embedded sample county (``geoplan sample --scale small``), written once.

    Read-only: tests that change files must copy them first.
    """
    from geoplan.sample import write_sample

    return write_sample(tmp_path_factory.mktemp("sample") / "small", scale="small").path
