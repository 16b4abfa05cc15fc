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
  large blocks in the heap). The heap's top is handed back once 2 MiB of it is free
  (``M_TRIM_THRESHOLD``: setting one threshold freezes the other where the process's
  history had left it, so both are set). Other C libraries are left as they are.

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
from collections.abc import Callable, Iterator

import pyarrow as pa

__all__ = ["MMAP_THRESHOLD_BYTES", "REUSED_BYTES", "TRIM_THRESHOLD_BYTES", "lean_allocators",
           "no_collection", "release_freed", "reused_blocks"]

MMAP_THRESHOLD_BYTES = 4 * 1024 * 1024
"""Blocks at least this large get their own mapping, returned to the system when freed."""

TRIM_THRESHOLD_BYTES = 2 * 1024 * 1024
"""Free memory at the heap's top beyond this is handed back to the system (about where a
run's imports had left it before it was set: 1.9 MB; at 8 MiB, twice the mmap threshold as
glibc's own rule pairs them, the county run's peak was 869-873 MiB against 857-861)."""

REUSED_BYTES = 32 * 1024 * 1024
"""In a :func:`reused_blocks` block: blocks below this come from the heap, and up to this
much free memory stays at the heap's top, for the next block of the same size (32 MiB:
the upper limit mallopt(3) documents on 64-bit systems, ``4*1024*1024*sizeof(long)``; this
machine's glibc 2.36 took 64 MiB too, and measured the same)."""

_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter numbers (malloc.h)
_M_TRIM_THRESHOLD = -1
_lean = False  # whether lean_allocators set glibc's thresholds in this process


def lean_allocators() -> dict[str, bool]:
    """Make freed memory go back to the system (module docstring); safe to call again.

    Returns
    -------
    dict of str to bool
        ``{"glibc": ..., "arrow": ...}``: whether each setting was applied (False where the
        C library is not glibc, or with ``GEOPLAN_ALLOCATORS=default``).
    """
    global _lean
    if _defaults_asked():
        return {"glibc": False, "arrow": False}
    _lean = _glibc_thresholds(MMAP_THRESHOLD_BYTES, TRIM_THRESHOLD_BYTES)
    return {"glibc": _lean, "arrow": _arrow_system_pool()}


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


def _glibc_thresholds(size: int, trim: int) -> bool:
    """Set glibc's mmap and trim thresholds; whether it took both."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others: no mallopt
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    mmap_set = bool(mallopt(_M_MMAP_THRESHOLD, size))
    return bool(mallopt(_M_TRIM_THRESHOLD, trim)) and mmap_set


def _arrow_system_pool() -> bool:
    pool = pa.system_memory_pool()
    if pa.default_memory_pool().backend_name != pool.backend_name:
        pa.default_memory_pool().release_unused()
        pa.set_memory_pool(pool)
    return True


class _Blocks:
    """Blocks open at once in any thread: the first to open acts, and the last to close.

    ``first()`` runs as the first block opens and ``last()`` as the last one closes, under
    one lock, so blocks may nest and overlap in several threads and the state is put back
    once, by the last.
    """

    def __init__(self, first: Callable[[], None], last: Callable[[], None]) -> None:
        self._first, self._last = first, last
        self._lock = threading.Lock()
        self._open = 0

    @contextlib.contextmanager
    def block(self) -> Iterator[None]:
        with self._lock:
            if not self._open:
                self._first()
            self._open += 1
        try:
            yield
        finally:
            with self._lock:
                self._open -= 1
                if not self._open:
                    self._last()


def _reuse() -> None:
    if _lean:
        _glibc_thresholds(REUSED_BYTES, REUSED_BYTES)


def _lean_again() -> None:
    if _lean:
        _glibc_thresholds(MMAP_THRESHOLD_BYTES, TRIM_THRESHOLD_BYTES)
        release_freed()


_reusing = _Blocks(_reuse, _lean_again)


def reused_blocks() -> contextlib.AbstractContextManager[None]:
    """Keep freed large blocks in the heap for the next ones, in the block.

    Only after a run's :func:`lean_allocators`; otherwise nothing changes. For loops that
    make and drop the same large arrays again and again, e.g. the land-cover scan's windows
    (about 30 MB of arrays per window of a million cells). With blocks of 4 MiB and more
    mapped on their own, each window's arrays are fresh pages the kernel faults in and
    zeroes: on the county sample, 346,000 page faults and 0.85 s of system time in a 3 s
    scan. In the block, blocks below :data:`REUSED_BYTES` come from the heap and freed
    memory stays there (18,600 faults, 0.04 s; the same peak). After the last block ends,
    both thresholds are the lean ones again (:data:`MMAP_THRESHOLD_BYTES`,
    :data:`TRIM_THRESHOLD_BYTES`) and the heap's free memory goes back (``malloc_trim``).
    Blocks may nest and overlap in several threads.
    """
    return _reusing.block()


_was_enabled = True  # the collector's state when the first no_collection block opened


def _pause() -> None:
    global _was_enabled
    _was_enabled = gc.isenabled()
    gc.disable()


def _resume() -> None:
    if _was_enabled:
        gc.enable()


_pausing = _Blocks(_pause, _resume)


def no_collection() -> contextlib.AbstractContextManager[None]:
    """Pause Python's cyclic garbage collector in the block (as it was, after).

    For making many objects at once that hold no references, so form no cycles: a million
    shapely points each count towards the next collection, and every full collection scans
    all the points made so far (1.2 million homes: 7 full collections, 0.7 of the 1.0 s
    ``shapely.points`` took; 0.2 s in this block). Garbage is still freed as its last
    reference goes. Blocks may nest and overlap in several threads: the collector is as it
    was once the last one ends.
    """
    return _pausing.block()
