"""Memory a run frees goes back to the system: allocator settings for one run's process.

A run reads and drops large tables (the EPC text, per-home option tables) before the solver
and the outputs allocate theirs. With the allocators' defaults the freed memory stays with
the process, so each step's peak stacks on the garbage of the steps before (county sample,
300,000 homes: 1.27 GiB peak for about 1 GiB ever live at once). :func:`lean_allocators`:

* **glibc** (Linux): blocks of 1 MiB and more (a column of 131,072 floats) are mapped on
  their own and unmapped when freed (``mallopt(M_MMAP_THRESHOLD)``; setting it also stops
  glibc from raising the threshold after each large free, its default, which keeps later
  columns in the heap it never hands back). Other C libraries are left as they are.
* **Arrow**: the system allocator becomes pyarrow's default memory pool (instead of
  mimalloc or jemalloc, which kept about 130 MiB of the EPC text's pages after
  ``release_unused``): Arrow's freed buffers follow the glibc rule above.

No figure changes: only where freed memory goes. The price is CPU time: fresh pages are
zeroed by the kernel on first use (county sample: peak 1,277 -> 1,019 MiB for 32.7 -> 35.6 s
of CPU). ``GEOPLAN_ALLOCATORS=default`` leaves both allocators as they are.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

import pyarrow as pa

__all__ = ["MMAP_THRESHOLD_BYTES", "lean_allocators"]

MMAP_THRESHOLD_BYTES = 1024 * 1024
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
    if os.environ.get("GEOPLAN_ALLOCATORS", "").strip().lower() == "default":
        return {"glibc": False, "arrow": False}
    return {"glibc": _glibc_mmap_threshold(MMAP_THRESHOLD_BYTES), "arrow": _arrow_system_pool()}


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
