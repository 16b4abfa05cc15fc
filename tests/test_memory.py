"""Allocator settings of a run (geoplan.files.memory): freed memory goes back to the system."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from geoplan.files.memory import MMAP_THRESHOLD_BYTES, lean_allocators


@pytest.fixture
def arrow_pool():
    """The process's Arrow pool, put back after the test."""
    before = pa.default_memory_pool()
    yield before
    pa.set_memory_pool(before)


def _resident_bytes() -> int:
    pages = Path("/proc/self/statm").read_text(encoding="ascii").split()[1]
    return int(pages) * os.sysconf("SC_PAGE_SIZE")


def test_arrow_allocates_from_the_system_pool(arrow_pool, monkeypatch) -> None:
    monkeypatch.delenv("GEOPLAN_ALLOCATORS", raising=False)
    applied = lean_allocators()
    assert applied["arrow"] is True
    assert pa.default_memory_pool().backend_name == "system"
    assert lean_allocators()["arrow"] is True  # calling again changes nothing
    assert pa.default_memory_pool().backend_name == "system"


def test_default_allocators_are_kept_when_asked(arrow_pool, monkeypatch) -> None:
    monkeypatch.setenv("GEOPLAN_ALLOCATORS", "default")
    assert lean_allocators() == {"glibc": False, "arrow": False}
    assert pa.default_memory_pool().backend_name == arrow_pool.backend_name


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc settings: Linux only")
def test_a_freed_large_column_leaves_the_process(arrow_pool, monkeypatch) -> None:
    """A block above the threshold, freed after a larger one was, is unmapped at once."""
    monkeypatch.delenv("GEOPLAN_ALLOCATORS", raising=False)
    if not lean_allocators()["glibc"]:
        pytest.skip("the C library is not glibc")
    big = np.ones(24 * MMAP_THRESHOLD_BYTES // 8)  # 24 MiB: glibc's default would then keep
    del big  # blocks up to this size in its heap after they are freed
    size = 16 * MMAP_THRESHOLD_BYTES
    before = _resident_bytes()
    column = np.ones(size // 8)
    held = _resident_bytes()
    del column
    after = _resident_bytes()
    assert held - before >= size * 0.9
    assert held - after >= size * 0.9  # handed back, not kept for later
