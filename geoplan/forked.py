"""Work done in a forked child process while this process goes on with other work.

A run spends most of its time in steps that do not need each other: the land cover scan
beside the EPC homes, the map beside the other output files. On a machine of two cores each
pair takes the longer of the two, not their sum, if one of them runs in a child process. A
fork shares this process's memory page by page until either side writes to a page, so the
child costs only what it allocates, not a second interpreter with its imports (about 250 MiB
for a run's libraries).

:func:`start` forks a child that calls ``work()``; :meth:`Forked.result` waits for it and
returns what ``work`` returned (pickled back through a pipe). The child's log records and
warnings are sent back with it and handed to this process's loggers and warning filters
then, so the CLI's handlers see them as if the work had run here (later than the lines
logged here meanwhile). An error ``work`` raises in the child is raised here (the same type
and message; its traceback from the child is added as a note). When the child gives nothing
back (it was killed, or its error cannot be sent), the work is done here instead, or, for
work that writes files (``again=False``: the child may have written some),
:class:`~geoplan.errors.ForkedChildError` is raised.

No fork where one is unsafe or impossible: off Linux (macOS forbids it once its system
frameworks have started threads), in a thread other than the main one, when the system
refuses one (too many processes), or with ``GEOPLAN_FORK=0`` (:func:`in_turn`: every step
in turn, the same files); :meth:`Forked.result` then calls ``work()`` itself, at that point.
A child must not use HiGHS if this process has (a fork keeps the solver's thread pool's state
but not its threads); Arrow, OpenBLAS and glibc's allocator re-create theirs after a fork.
A child ends with this process: it is killed when the block using it is left early (an
error, Ctrl-C, SIGTERM) and, on Linux, when this process dies.

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
import ctypes
import gc
import logging
import os
import pickle
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from geoplan.errors import ForkedChildError

__all__ = ["CHILD_NAME", "PIPE_BYTES", "Forked", "can_fork", "in_turn", "on_two_threads",
           "start", "widen_pipe"]

T = TypeVar("T")
A = TypeVar("A")

logger = logging.getLogger(__name__)

_ENV = "GEOPLAN_FORK"
PIPE_BYTES = 1 << 20
"""The pipe a child's result crosses holds this much (Linux's default is 64 KiB; 1 MiB is
the most ``/proc/sys/fs/pipe-max-size`` lets an unprivileged process ask for by default).
The EPC certificates of three of the 1.2M-home sample's five files (308 MiB of frames) came
back in 0.60-0.65 s against 0.98-1.19 s."""
_PR_SET_PDEATHSIG = 1  # prctl option (linux/prctl.h): a signal for the child when its parent dies
_PR_SET_NAME = 15  # prctl option: the thread's name, as ps, top and /proc/PID/comm show it
CHILD_NAME = "geoplan-child"
"""A forked child's process name (Linux): ps and top tell it from the run, and a benchmark
counts its memory (its command line is the run's)."""


def in_turn() -> bool:
    """Whether ``GEOPLAN_FORK=0`` asks for every step in turn: no child, no thread beside."""
    return os.environ.get(_ENV, "1") == "0"


def on_two_threads(work: Callable[[A], T], items: Sequence[A]) -> list[T]:
    """Return ``[work(item) for item in items]``, computed on two threads.

    For work that lets the other thread run (Arrow's and NumPy's takes, shapely's tree
    queries); in turn, here, with ``GEOPLAN_FORK=0`` (:func:`in_turn`) or fewer than two items.
    """
    if in_turn() or len(items) < 2:
        return [work(item) for item in items]
    with ThreadPoolExecutor(2, thread_name_prefix="geoplan-beside") as pool:
        return list(pool.map(work, items))


def can_fork() -> bool:
    """Whether :func:`start` forks here (Linux, the main thread, not :func:`in_turn`)."""
    return (sys.platform.startswith("linux") and hasattr(os, "fork")
            and threading.current_thread() is threading.main_thread() and not in_turn())


def start(work: Callable[[], T], *, fork: bool = True, again: bool = True) -> Forked[T]:
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
    again : bool
        When the child gives nothing back: call ``work()`` here (True), or raise
        :class:`~geoplan.errors.ForkedChildError` (False: for work that writes files,
        which the child may have begun).

    Returns
    -------
    Forked
        Use it as a context manager: a child whose result was never asked for is ended on
        leaving the block.
    """
    return Forked(work, fork=fork, again=again)


@dataclass(frozen=True)
class _Caught:
    """A warning the child showed, in a form that pickles."""

    message: str
    category: type[Warning]
    filename: str
    lineno: int


@dataclass(frozen=True)
class _Sent:
    """What a child sends back: its result or error, its log records and warnings."""

    value: Any
    error: BaseException | None
    records: list[logging.LogRecord]
    caught: list[_Caught]


class Forked(Generic[T]):
    """A call of ``work()`` running in a forked child; :meth:`result` waits for it."""

    def __init__(self, work: Callable[[], T], *, fork: bool = True, again: bool = True
                 ) -> None:
        self._work = work
        self._again = again
        self._pid: int | None = None
        self._pipe: Any = None
        if fork and can_fork():
            self._fork()

    def __enter__(self) -> Forked[T]:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._pid is not None:
            self._kill()

    def _fork(self) -> None:
        read, write = os.pipe()
        widen_pipe(write)
        parent = os.getpid()
        gc.freeze()  # the child's collector leaves the shared objects' pages unwritten
        try:
            pid = _fork_quietly()
        except OSError as exc:  # too many processes, no memory: the work is done here
            logger.debug("no fork (%s); the work is done in this process", exc)
            os.close(read)
            os.close(write)
            return
        finally:
            gc.unfreeze()
        if pid == 0:  # the child: never returns
            os.close(read)
            _child(self._work, write, parent)
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
            What ``work()`` raised (in the child, or here).
        ForkedChildError
            When the child gave nothing back and the work may not be done again here.
        """
        if self._pid is None:
            return self._work()
        pid = self._pid
        sent, status = self._collect()
        if sent is None:
            if not self._again:
                raise ForkedChildError(f"a forked child process (pid {pid}) ended without its "
                                       f"result ({_ended(status)}); nothing it began is kept "
                                       "(fix: run again; GEOPLAN_FORK=0 does every step in "
                                       "this one process)")
            logger.debug("forked child %d gave nothing back (%s); its work is done here",
                         pid, _ended(status))
            return self._work()
        for record in sent.records:
            logging.getLogger(record.name).handle(record)
        for item in sent.caught:
            _warn_again(item)
        if sent.error is not None:
            raise sent.error
        value: T = sent.value
        return value

    def _collect(self) -> tuple[_Sent | None, int]:
        """Return what the child sent (None: nothing) and its exit status, once it ended."""
        try:
            sent: _Sent | None = pickle.load(self._pipe)
        except Exception:  # nothing sent, or cut short (the child died while sending)
            sent = None
        except BaseException:  # Ctrl-C or SIGTERM while waiting: the child ends too
            self._kill()
            raise
        return sent, self._end()

    def _kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self._pid or 0, signal.SIGKILL)
        self._end()

    def _end(self) -> int:
        """Close the pipe and reap the child; return its wait status."""
        self._pipe.close()
        status = 0
        if self._pid is not None:
            _, status = os.waitpid(self._pid, 0)
            self._pid = None
        return status


def widen_pipe(pipe: int) -> None:
    """Let ``pipe`` hold :data:`PIPE_BYTES` (Linux), so a large result crosses in fewer turns.

    Left as it is where the system refuses (another platform, or the user's pipe memory
    spent): only slower.
    """
    with contextlib.suppress(ImportError, OSError, AttributeError):  # fcntl: not on Windows
        import fcntl

        fcntl.fcntl(pipe, fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def _fork_quietly() -> int:
    """Return ``os.fork()``; from Python 3.12, without its warning of threads beside.

    The threads are Arrow's and OpenBLAS's pools, which re-create themselves in the child;
    the child runs the work only. (Entering ``catch_warnings`` empties the registry of
    warnings shown once, so it is not entered where there is nothing to silence.)
    """
    if sys.version_info < (3, 12):
        return os.fork()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return os.fork()


def _ended(status: int) -> str:
    """Words for a child's wait status."""
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"


def _child(work: Callable[[], Any], write: int, parent: int) -> None:
    """Run ``work`` in the child, send what it gave and logged; end the child."""
    code = 1
    try:
        _die_with(parent)
        records = _keep_records()
        caught: list[_Caught] = []
        warnings.showwarning = lambda message, category, filename, lineno, *_: caught.append(
            _Caught(str(message), _picklable_category(category), str(filename), int(lineno)))
        try:
            sent = _Sent(work(), None, records, caught)
        except Exception as exc:  # sent to the parent, which raises it
            error = _sendable(exc)
            if error is None:
                raise  # not sendable: nothing is sent
            sent = _Sent(None, error, records, caught)
        for record in records:
            _picklable(record)
        with os.fdopen(write, "wb") as pipe:
            pickle.dump(sent, pipe, protocol=pickle.HIGHEST_PROTOCOL)
        code = 0
    except BaseException:
        pass  # nothing (or part) sent: the parent does the work again, or says so
    finally:
        os._exit(code)  # no atexit handlers, no flushing of buffers the parent also holds


def _die_with(parent: int) -> None:
    """Have Linux kill this child when its parent dies (and end now if it has died).

    The child is named :data:`CHILD_NAME` too.
    """
    with contextlib.suppress(OSError, AttributeError):
        prctl = ctypes.CDLL(None, use_errno=True).prctl
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        prctl(_PR_SET_NAME, ctypes.c_char_p(CHILD_NAME.encode()))
    if os.getppid() != parent:
        os._exit(1)


def _sendable(exc: BaseException) -> BaseException | None:
    """Return ``exc`` with the child's traceback as a note, if it pickles to its like."""
    try:
        copy = pickle.loads(pickle.dumps(exc, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:  # not sendable: None
        return None
    if type(copy) is not type(exc) or str(copy) != str(exc):
        return None
    copy.add_note("raised in a forked child process:\n" + "".join(
        traceback.format_exception(exc)).rstrip())
    return copy


def _picklable_category(category: type[Warning]) -> type[Warning]:
    """Return ``category`` if it pickles (by name), else :class:`UserWarning`."""
    try:
        pickle.dumps(category)
    except Exception:  # a class defined where it cannot be found by name
        return UserWarning
    return category


def _warn_again(item: _Caught) -> None:
    """Warn ``item`` here, through the filters and once-per-place registry of its module."""
    module = next((name for name, found in list(sys.modules.items())
                   if getattr(found, "__file__", None) == item.filename), None)
    registry = (vars(sys.modules[module]).setdefault("__warningregistry__", {})
                if module is not None else None)
    warnings.warn_explicit(item.message, item.category, item.filename, item.lineno,
                           module=module, registry=registry)


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
    for logger_ in [logging.getLogger(), *manager.loggerDict.values()]:
        if isinstance(logger_, logging.Logger):
            for handler in list(logger_.handlers):
                logger_.removeHandler(handler)
    logging.lastResort = None
    manager.emittedNoHandlerWarning = True
    return kept


def _picklable(record: logging.LogRecord) -> None:
    """Format ``record``'s message and drop its traceback (both may not pickle)."""
    record.msg, record.args = record.getMessage(), None
    record.exc_info, record.exc_text = None, None
