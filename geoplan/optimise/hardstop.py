"""A hard stop for a solver phase: run it in a child process and kill it at a deadline.

HiGHS checks its time limit only between units of work, and some units (presolve, an
interior-point iteration, the root LP of a large model) can take many times the limit on a
loaded machine. The clock (:mod:`geoplan.optimise.clock`) stays the solver's own safety
stop; this module adds the last one: a :class:`GuardedChild` runs a task in a child process
and, if the child has not answered by a deadline, kills it.

While it runs, the task may call the ``progress`` callable it is handed with anything
picklable (a plan found, a bound proven, its notes so far); the parent keeps every report,
so when the child is killed the caller still has the best plan and bound reported before.

The child is a fresh interpreter (never a fork: a fork could inherit a running HiGHS thread
pool, and multiprocessing's spawn would run an unguarded ``__main__`` script again). It
loads :mod:`geoplan.optimise` modules without ``geoplan/__init__.py`` (the optimiser imports
only the bottom layer), and starts when the solve starts, so its imports (about a second)
overlap the heuristics. POSIX only; elsewhere :func:`available` is false and the caller
solves in its own process.

``tests/test_optimise_clock.py`` shows it at work (a child costs about a second of imports,
too dear for a doctest): ``GuardedChild().run(task, args, kill_after=60.0)`` returns a
:class:`Guarded` with the task's result and reports, or ``killed`` set.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from geoplan.forked import widen_pipe

__all__ = ["Guarded", "GuardedChild", "available"]

_PACKAGE = Path(__file__).resolve().parents[1]
_BOOT = """\
import sys, types
for name, path in ((\"geoplan\", sys.argv[1]), (\"geoplan.optimise\", sys.argv[1] + \"/optimise\")):
    package = types.ModuleType(name)
    package.__path__ = [path]
    sys.modules[name] = package
from geoplan.optimise.hardstop import _serve
_serve(int(sys.argv[2]), int(sys.argv[3]))
"""
PRELOAD = "geoplan.optimise.lp_guided"
"""The module the child imports while it waits for its task."""


@dataclass(frozen=True)
class Guarded:
    """What a guarded task gave back.

    Attributes
    ----------
    result : Any
        The task's return value; ``None`` when it was killed.
    reports : list
        Everything the task passed to ``progress``, in order (also when it was killed).
    killed : bool
        Whether the deadline ended the child.
    """

    result: Any
    reports: list[Any] = field(default_factory=list)
    killed: bool = False


def available() -> bool:
    """Whether a guarded child can run here (POSIX: it is handed pipe descriptors)."""
    return os.name == "posix"


class GuardedChild:
    """A child interpreter, started at once, that runs one task under a deadline.

    Call :meth:`run` once, or :meth:`close` when the task is not needed.
    """

    def __init__(self) -> None:
        task_read, task_write = os.pipe()
        answer_read, answer_write = os.pipe()
        widen_pipe(task_write)  # the model goes in, and the solution comes out, in fewer turns
        widen_pipe(answer_write)
        self._process = subprocess.Popen(
            [sys.executable, "-c", _BOOT, str(_PACKAGE), str(task_read), str(answer_write)],
            pass_fds=(task_read, answer_write), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, close_fds=True)
        os.close(task_read)
        os.close(answer_write)
        self._tasks = Connection(task_write, readable=False)
        self._answers = Connection(answer_read, writable=False)
        self._sender: threading.Thread | None = None

    def run(self, task: Callable[..., Any], args: tuple[Any, ...],
            kill_after: float) -> Guarded:
        """Run ``task(*args, progress=...)`` in the child; kill it after ``kill_after`` s.

        Parameters
        ----------
        task : callable
            A module-level function of :mod:`geoplan.optimise` (pickled by name), taking
            ``progress`` by keyword.
        args : tuple
            Picklable arguments.
        kill_after : float
            Seconds from now after which the child is killed (a wall-time safety stop).

        Raises
        ------
        Exception
            Whatever the task raised, raised again here.
        """
        deadline = time.monotonic() + max(kill_after, 0.0)
        reports: list[Any] = []
        try:
            # sent from a thread: a large model fills the pipe while the child still imports,
            # and the deadline holds from now, not from when the child has read it all; only
            # the thread holds the pickled task, so it is freed once sent, not kept all solve
            self._sender = threading.Thread(target=self._send, daemon=True, args=(
                pickle.dumps((task, args), protocol=pickle.HIGHEST_PROTOCOL),))
            self._sender.start()
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not self._answers.poll(left):
                    return Guarded(None, reports, killed=True)
                kind, payload = self._receive()
                if kind == "report":
                    reports.append(payload)
                elif kind == "error":
                    raise payload
                else:
                    return Guarded(payload, reports)
        finally:
            self.close()

    def _send(self, task_bytes: bytes) -> None:
        with contextlib.suppress(OSError, ValueError):  # the child was killed mid-way
            self._tasks.send_bytes(task_bytes)

    def _receive(self) -> tuple[str, Any]:
        try:
            return self._answers.recv()
        except EOFError:  # the child died without a word (e.g. out of memory)
            code = self._process.wait()
            raise RuntimeError("the solver's child process ended without an answer "
                               f"(exit code {code})") from None

    def close(self) -> None:
        """Kill the child if it still runs, and release its pipes."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        if self._sender is not None:  # a write to the dead child's pipe fails at once
            self._sender.join(timeout=5.0)
        sending = self._sender is not None and self._sender.is_alive()
        for connection in (self._answers, *(() if sending else (self._tasks,))):
            if not connection.closed:  # a sender still writing keeps its pipe until it ends
                connection.close()


def _serve(task_fd: int, answer_fd: int) -> None:  # pragma: no cover - runs in the child
    """Serve in the child: import the optimiser, read one task, send reports and answer."""
    answers = Connection(answer_fd, readable=False)
    tasks = Connection(task_fd, writable=False)
    __import__(PRELOAD)
    try:
        task, args = pickle.loads(tasks.recv_bytes())
    except EOFError:  # the parent closed without a task
        return
    try:
        result = task(*args, progress=lambda report: answers.send(("report", report)))
    except BaseException as error:  # handed to the parent, which raises it
        answers.send(("error", error))
    else:
        answers.send(("done", result))
    answers.close()


def _sleepy(seconds: float, progress: Callable[[Any], None]) -> str:
    """Report once, sleep ``seconds``, return a sentence (for the examples and tests)."""
    progress("going to sleep")
    time.sleep(seconds)
    return f"slept {seconds} s"
