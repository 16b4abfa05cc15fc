"""Allocator settings of a run (geoplan.files.memory): freed memory goes back to the system."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from geoplan.files.memory import MMAP_THRESHOLD_BYTES, lean_allocators, release_freed


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
    big = np.ones(24 * 2**20 // 8)  # 24 MiB: glibc's default would then keep blocks up to
    del big  # this size in its heap after they are freed
    size = 4 * MMAP_THRESHOLD_BYTES
    before = _resident_bytes()
    column = np.ones(size // 8)
    held = _resident_bytes()
    del column
    after = _resident_bytes()
    assert held - before >= size * 0.9
    assert held - after >= size * 0.9  # handed back, not kept for later


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc settings: Linux only")
def test_freed_heap_blocks_go_back_when_released(arrow_pool, monkeypatch) -> None:
    """Columns under the threshold, freed between live blocks, stay until release_freed()."""
    monkeypatch.delenv("GEOPLAN_ALLOCATORS", raising=False)
    if not lean_allocators()["glibc"]:
        pytest.skip("the C library is not glibc")
    columns, pins = [], []
    for _ in range(16):
        columns.append(np.ones(MMAP_THRESHOLD_BYTES // 2 // 8))  # 2 MiB each, in the heap
        pins.append(np.ones(8_192))  # 64 KiB kept after each: the freed columns are holes
    before = _resident_bytes()
    del columns
    kept = _resident_bytes()
    release_freed()
    after = _resident_bytes()
    size = 16 * MMAP_THRESHOLD_BYTES // 2
    assert before - kept < size * 0.5  # the holes stay with the process ...
    assert kept - after >= size * 0.9  # ... until released
    assert len(pins) == 16
