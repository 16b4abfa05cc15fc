"""Memory a run frees goes back to the system: allocator settings for one run's process.

A run reads and drops large tables (the EPC text, per-home option tables) before the solver
and the outputs allocate theirs. With the allocators' defaults the freed memory stays with
the process, so each step's peak stacks on the garbage of the steps before (county sample,
300,000 homes: 1.28 GiB peak for about 1 GiB ever live at once).

:func:`lean_allocators` (once per run, :func:`geoplan.pipeline.run_scenario` calls it):

* **Arrow**: the system allocator becomes pyarrow's default memory pool (instead of
  mimalloc or jemalloc, which kept about 130 MiB of the EPC text's pages after
  ``release_unused``).
* **glibc** (Linux): blocks of 4 MiB and more (a column of 524,288 floats) are mapped on
  their own and unmapped when freed (``mallopt(M_MMAP_THRESHOLD)``; setting it also stops
  glibc from raising the threshold after each large free, its default, which keeps later
  large blocks in the heap). Other C libraries are left as they are.

:func:`release_freed` (between a run's steps) hands back what is free in the heap
(``malloc_trim``) and in Arrow's pool.

No figure changes: only where freed memory goes. County joint run (``bench_scale.py``):
peak 1,276 -> 1,003 MiB for the same CPU time (about 33 s; Arrow's pool alone: 1,057 MiB; a
1 MiB threshold: 998 MiB but 3 s more CPU, fresh pages being zeroed by the kernel).
``GEOPLAN_ALLOCATORS=default`` leaves both allocators as they are.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import os
import sys
import threading
from collections.abc import Iterator

import pyarrow as pa

__all__ = ["MMAP_THRESHOLD_BYTES", "lean_allocators", "no_collection", "release_freed"]

MMAP_THRESHOLD_BYTES = 4 * 1024 * 1024
"""Blocks at least this large get their own mapping, returned to the system when freed."""

_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number (malloc.h)


def lean_allocators() -> dict[str, bool]:
    """Make freed memory go back to the system (module docstring); safe to call again.

    Returns
    -------
    dict of str to bool
        ``{"glibc": ..., "arrow": ...}``: whether each setting was applied (False where the
        C library is not glibc, or with ``GEOPLAN_ALLOCATORS=default``).
    """
    if _defaults_asked():
        return {"glibc": False, "arrow": False}
    return {"glibc": _glibc_mmap_threshold(MMAP_THRESHOLD_BYTES), "arrow": _arrow_system_pool()}


def release_freed() -> None:
    """Hand the memory freed so far back to the system (glibc's ``malloc_trim``, Arrow's pool).

    Nothing with ``GEOPLAN_ALLOCATORS=default``.
    """
    if _defaults_asked():
        return
    pa.default_memory_pool().release_unused()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
            ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)


def _defaults_asked() -> bool:
    return os.environ.get("GEOPLAN_ALLOCATORS", "").strip().lower() == "default"


def _glibc_mmap_threshold(size: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others: no mallopt
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, size))


def _arrow_system_pool() -> bool:
    pool = pa.system_memory_pool()
    if pa.default_memory_pool().backend_name != pool.backend_name:
        pa.default_memory_pool().release_unused()
        pa.set_memory_pool(pool)
    return True


_pausing = threading.Lock()
_paused = 0  # how many no_collection blocks are open, in any thread
_was_enabled = True  # the collector's state when the first of them opened


@contextlib.contextmanager
def no_collection() -> Iterator[None]:
    """Pause Python's cyclic garbage collector in the block (as it was, after).

    For making many objects at once that hold no references, so form no cycles: a million
    shapely points each count towards the next collection, and every full collection scans
    all the points made so far (1.2 million homes: 7 full collections, 0.7 of the 1.0 s
    ``shapely.points`` took; 0.2 s in this block). Garbage is still freed as its last
    reference goes. Blocks may nest and overlap in several threads: the collector is as it
    was once the last one ends.
    """
    global _paused, _was_enabled
    with _pausing:
        if not _paused:
            _was_enabled = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _pausing:
            _paused -= 1
            if not _paused and _was_enabled:
                gc.enable()
