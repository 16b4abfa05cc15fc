"""One clock for every phase of a solve, and a record of what stopped each phase.

A time limit is a promise about the whole solve: the heuristics, the linear relaxation, the
restricted MIPs and the final MIP all draw on one :class:`Clock`. Each phase also has a
deterministic budget (swap iterations, interior-point iterations, branch-and-bound nodes);
the clock is the safety stop behind it, so a phase that ends on its budget ends at the same
point on any machine and load, and :attr:`Clock.stops` records which ended it.

Examples
--------
>>> clock = Clock(None)
>>> clock.remaining() is None, clock.expired()
(True, False)
>>> clock.record("work_limit"); clock.record("gap"); clock.stopped_by()
'work_limit'
>>> clock.record("time_limit"); clock.stopped_by()
'time_limit'
"""

from __future__ import annotations

import time

__all__ = ["MIN_PHASE_S", "Clock"]

MIN_PHASE_S = 0.05
"""A phase given less than this many seconds is skipped (it could not start a solver)."""

_SEVERITY = {"gap": 0, "work_limit": 1, "time_limit": 2, "wall_time": 3}


class Clock:
    """The wall-clock budget of one solve.

    Parameters
    ----------
    limit : float, optional
        Seconds for the whole solve (``None``: no limit).
    """

    def __init__(self, limit: float | None) -> None:
        self.limit = limit
        self.began = time.perf_counter()
        self.stops: list[str] = []

    def phase(self, fraction: float) -> Clock:
        """Return a clock for one phase: ``fraction`` of the seconds left, sharing :attr:`stops`.

        Without a limit the phase has none either.
        """
        child = Clock(self.share(fraction))
        child.stops = self.stops
        return child

    def elapsed(self) -> float:
        """Seconds since the clock started."""
        return time.perf_counter() - self.began

    def remaining(self) -> float | None:
        """Seconds left (never negative); ``None`` without a limit."""
        if self.limit is None:
            return None
        return max(self.limit - self.elapsed(), 0.0)

    def share(self, fraction: float) -> float | None:
        """``fraction`` of the seconds left; ``None`` without a limit."""
        left = self.remaining()
        return None if left is None else fraction * left

    def expired(self, reserve: float = 0.0) -> bool:
        """Whether fewer than ``reserve`` (+ :data:`MIN_PHASE_S`) seconds are left."""
        left = self.remaining()
        return left is not None and left < reserve + MIN_PHASE_S

    def record(self, stop: str) -> None:
        """Note what ended a phase: ``"gap"``, ``"work_limit"``, ``"time_limit"``, ``"wall_time"``.

        ``"wall_time"``: the hard stop killed the solver (:mod:`geoplan.optimise.hardstop`).
        """
        if stop not in _SEVERITY:
            raise ValueError(f"stop must be one of {list(_SEVERITY)}, not {stop!r}")
        self.stops.append(stop)

    def stopped_by(self) -> str:
        """Return the stop that decides whether the plan repeats (the clock over a budget)."""
        if not self.stops:
            return "gap"
        return max(self.stops, key=_SEVERITY.__getitem__)
