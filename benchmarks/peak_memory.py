"""Peak resident memory of this process since it started (for the benchmarks' children).

The benchmarks run what they measure in a fresh subprocess so that its peak is its own. On
Linux ``getrusage``'s ``ru_maxrss`` is not: a child started by fork and exec keeps its
parent's peak as its own floor. ``bench_scale.py --homes 300000`` wrote the sample in the
benchmark's process, then reported a run peak of 984 MiB from the run's first step on; the
same run on the kept sample peaked at 869-871 MiB. ``VmHWM`` in ``/proc/self/status`` is the
process's own high-water mark, reset at exec.
"""

from __future__ import annotations

import resource
from pathlib import Path

__all__ = ["peak_mib"]


def peak_mib() -> float:
    """Return this process's peak resident memory in MiB (``VmHWM``; else ``ru_maxrss``)."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:  # no /proc (not Linux)
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
