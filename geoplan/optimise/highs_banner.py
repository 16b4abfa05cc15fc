"""HiGHS's start-up banner kept off standard output (highspy >= 1.16 prints it).

highspy prints its name, version and licence to standard output when a process builds its
first ``Highs``, before any option can turn output off. Every ``Highs`` geoplan builds, directly
(:mod:`geoplan.optimise.solvers`) or through PuLP (:mod:`geoplan.optimise.pulp_adapter`), is
preceded by :func:`new_highs`, so the banner never lands in the CLI's report or breaks its
progress bar.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import highspy

__all__ = ["new_highs"]

_BANNER_SHOWN = False
"""Whether this process has built a ``highspy.Highs`` (the first prints HiGHS's banner)."""


@contextlib.contextmanager
def _stdout_silenced() -> Iterator[None]:
    """Send file descriptor 1 to the null device (C++ writes bypass ``sys.stdout``)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with Path(os.devnull).open("wb") as null:
            os.dup2(null.fileno(), 1)
            try:
                yield
            finally:
                with contextlib.suppress(OSError, AttributeError):
                    ctypes.CDLL(None).fflush(None)  # C stdio buffers go to the null device
                os.dup2(saved, 1)
    finally:
        os.close(saved)


def new_highs(verbose: bool = False) -> highspy.Highs:
    """Build a ``highspy.Highs``; unless ``verbose``, without the banner highspy >= 1.16 prints.

    highspy prints its name, version and licence to standard output when a process builds its
    first ``Highs``, before any option can turn output off: that line would land in the
    middle of the CLI's report.
    """
    global _BANNER_SHOWN
    if _BANNER_SHOWN or verbose:
        _BANNER_SHOWN = True
        return highspy.Highs()
    try:
        with _stdout_silenced():
            highs = highspy.Highs()
    except OSError:  # no file descriptor 1 to redirect (embedded interpreters)
        highs = highspy.Highs()
    _BANNER_SHOWN = True
    return highs
