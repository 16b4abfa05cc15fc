"""Work done in a forked child process while this process goes on with other work.

A run spends most of its time in steps that do not need each other: the land cover scan
beside the EPC homes, the map beside the other output files. On a machine of two cores each
pair takes the longer of the two, not their sum, if one of them runs in a child process. A
fork shares this process's memory page by page until either side writes to a page, so the
child costs only what it allocates, not a second interpreter with its imports (about 250 MiB
for a run's libraries).

:func:`start` forks a child that calls ``work()``; :meth:`Forked.result` waits for it and
returns what ``work`` returned (pickled back through a pipe). The child's log records and
warnings are sent back with its result and handed to this process's loggers and warning
filters then, so the CLI's handlers see them as if the work had run here. The child never
reports a failure of its own: if ``work`` raises, cannot send its result, or the child dies,
:meth:`Forked.result` calls ``work()`` here, so an error is raised (and logged) exactly as it
would be without a fork.

No fork where one is unsafe or impossible: off Linux (macOS forbids it once its system
frameworks have started threads), in a thread other than the main one, or with
``GEOPLAN_FORK=0``; :meth:`Forked.result` then calls ``work()`` itself, at that point. A
child must not use HiGHS if this process has (a fork keeps the solver's thread pool's state
but not its threads); Arrow, OpenBLAS and glibc's allocator re-create theirs after a fork.

Examples
--------
>>> with start(lambda: sum(range(10))) as job:
...     here = sum(range(5))  # meanwhile, in this process
...     there = job.result()
>>> here, there
(10, 45)
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import pickle
import signal
import sys
import threading
import warnings
from collections.abc import Callable
from typing import Any, Generic, TypeVar

__all__ = ["Forked", "can_fork", "in_turn", "start"]

T = TypeVar("T")

logger = logging.getLogger(__name__)

_ENV = "GEOPLAN_FORK"


def in_turn() -> bool:
    """Whether ``GEOPLAN_FORK=0`` asks for every step in turn: no child, no thread beside."""
    return os.environ.get(_ENV, "1") == "0"


def can_fork() -> bool:
    """Whether :func:`start` forks here (Linux, the main thread, not :func:`in_turn`)."""
    return (sys.platform.startswith("linux") and hasattr(os, "fork")
            and threading.current_thread() is threading.main_thread() and not in_turn())


def start(work: Callable[[], T], *, fork: bool = True) -> Forked[T]:
    """Start ``work()`` in a forked child (or later, here, where :func:`can_fork` is false).

    Parameters
    ----------
    work : callable
        Called with no arguments; what it returns must be picklable. It must not write to
        anything this process reads before :meth:`Forked.result` (the child's writes to
        memory are its own; its files are shared).
    fork : bool
        False: call ``work()`` here when its result is asked for (work too small to be
        worth a child).

    Returns
    -------
    Forked
    """
    return Forked(work, fork=fork)


class Forked(Generic[T]):
    """A call of ``work()`` running in a forked child; :meth:`result` waits for it.

    Used as a context manager, a child whose result was never asked for (this process
    raised first) is ended on leaving the block.
    """

    def __init__(self, work: Callable[[], T], *, fork: bool = True) -> None:
        self._work = work
        self._pid: int | None = None
        self._pipe: Any = None
        if fork and can_fork():
            self._fork()

    def __enter__(self) -> Forked[T]:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            self._end()

    def _fork(self) -> None:
        read, write = os.pipe()
        gc.freeze()  # the child's collector leaves the shared objects' pages unwritten
        try:
            with warnings.catch_warnings():
                # Python 3.12 warns of forking beside other threads (Arrow's and OpenBLAS's
                # pools, which re-create themselves in the child); the child runs ``work`` only
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
        finally:
            gc.unfreeze()
        if pid == 0:  # the child: never returns
            os.close(read)
            _child(self._work, write)
        os.close(write)
        self._pid = pid
        self._pipe = os.fdopen(read, "rb")

    def result(self) -> T:
        """Wait for the child and return what ``work()`` returned.

        The child's log records and warnings are handed to this process's loggers and
        warning filters first.

        Raises
        ------
        Exception
            Whatever ``work()`` raises, raised by calling it here (see the module docstring).
        """
        forked = self._pid is not None
        outcome = self._collect()
        if outcome is None:
            if forked:
                logger.debug("a forked child gave no result; its work is done here instead")
            return self._work()
        value, records, caught = outcome
        for record in records:
            logging.getLogger(record.name).handle(record)
        for item in caught:
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)
        return value

    def _collect(self) -> _Outcome | None:
        """Return what the child sent; None if it sent nothing (it failed, or there is no child)."""
        if self._pid is None:
            return None
        try:
            outcome: _Outcome | None = pickle.load(self._pipe)
        except (EOFError, pickle.UnpicklingError):
            outcome = None
        finally:
            self._end()
        return outcome

    def _end(self) -> None:
        """Close the pipe and reap the child."""
        self._pipe.close()
        if self._pid is not None:
            os.waitpid(self._pid, 0)
            self._pid = None


_Outcome = tuple[Any, list[logging.LogRecord], list[warnings.WarningMessage]]


def _child(work: Callable[[], Any], write: int) -> None:
    """Run ``work`` in the child, send its result, records and warnings; end the child."""
    code = 1
    try:
        records = _keep_records()
        with warnings.catch_warnings(record=True) as caught:
            value = work()
        outcome = (value, [_picklable(r) for r in records], caught)
        with os.fdopen(write, "wb") as pipe:
            pickle.dump(outcome, pipe, protocol=pickle.HIGHEST_PROTOCOL)
        code = 0
    except BaseException:
        pass  # the parent calls ``work`` again and raises there
    finally:
        os._exit(code)  # no atexit handlers, no flushing of buffers the parent also holds


def _keep_records() -> list[logging.LogRecord]:
    """Keep every record the child's loggers make, and let no handler here emit one.

    The parent hands them to its own loggers, which filter and emit them as if they had
    been logged there.
    """
    kept: list[logging.LogRecord] = []
    make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        kept.append(record)
        return record

    logging.setLogRecordFactory(factory)
    manager = logging.Logger.manager
    for logger in [logging.getLogger(), *manager.loggerDict.values()]:
        if isinstance(logger, logging.Logger):
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
    logging.lastResort = None
    manager.emittedNoHandlerWarning = True
    return kept


def _picklable(record: logging.LogRecord) -> logging.LogRecord:
    """``record`` with its message formatted and its traceback dropped (both may not pickle)."""
    record.msg, record.args = record.getMessage(), None
    record.exc_info, record.exc_text = None, None
    return record
