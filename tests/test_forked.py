"""Work in a forked child (geoplan.forked): the same result, logs, warnings and errors as here."""

from __future__ import annotations

import logging
import os
import pickle
import signal
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import networkx as nx
import pytest
from geopandas.testing import assert_geodataframe_equal

from geoplan.errors import ForkedChildError, GeoplanError, Problem, SourceFormatError
from geoplan.files.atomic import OutputWriteError
from geoplan.forked import CHILD_NAME, PIPE_BYTES, can_fork, on_two_threads, start, widen_pipe
from geoplan.layers.buildings import planned_homes
from geoplan.layers.prepare import LayerInputs, PreparedLayers, prepare_layers, sample_inputs
from geoplan.pipeline import assumption_set
from geoplan.planning.preflight import PreflightError
from geoplan.planning.solve import workstream_models
from geoplan.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent

forks = pytest.mark.skipif(not can_fork(), reason="no fork here (Linux only)")


@forks
def test_the_work_runs_in_a_child_and_its_result_comes_back() -> None:
    here = os.getpid()
    with start(lambda: (os.getpid(), {"homes": [1.5, 2.5]})) as job:
        there, value = job.result()
    assert there != here
    assert value == {"homes": [1.5, 2.5]}


@forks
def test_a_child_is_named_so_ps_and_a_benchmark_tell_it_from_the_run() -> None:
    here = Path(f"/proc/{os.getpid()}/comm").read_text(encoding="utf-8")
    with start(lambda: Path(f"/proc/{os.getpid()}/comm").read_text(encoding="utf-8")) as job:
        there = job.result()
    assert there.strip() == CHILD_NAME
    assert here.strip() != CHILD_NAME


@forks
def test_a_large_result_crosses_a_widened_pipe() -> None:
    import fcntl

    read, write = os.pipe()
    try:  # the system may cap a user's pipes below 1 MiB (pipe-max-size, pipe-user-pages)
        widen_pipe(write)
        if fcntl.fcntl(read, fcntl.F_GETPIPE_SZ) != PIPE_BYTES:
            pytest.skip("this system does not let a pipe hold 1 MiB")
    finally:
        os.close(read)
        os.close(write)
    with start(lambda: bytes(range(256)) * 20_000) as job:  # 5 MB: many pipefuls
        assert fcntl.fcntl(job._pipe.fileno(), fcntl.F_GETPIPE_SZ) == PIPE_BYTES
        value = job.result()
    assert value == bytes(range(256)) * 20_000


@forks
def test_a_pipe_the_system_will_not_widen_is_used_as_it_is(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    import fcntl

    def refuse(*_args: object) -> int:
        raise PermissionError(1, "Operation not permitted")  # the user's pipe memory spent

    monkeypatch.setattr(fcntl, "fcntl", refuse)
    with start(lambda: "sent") as job:
        assert job.result() == "sent"
    read, write = os.pipe()
    os.close(read)
    os.close(write)
    widen_pipe(write)  # closed: the system refuses; nothing raised


def test_on_two_threads_keeps_the_items_order_and_runs_in_turn_when_asked(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    def work(item: int) -> tuple[int, str]:
        time.sleep(0.02 if item == 0 else 0.0)  # the first ends last
        return item * 10, threading.current_thread().name

    found = on_two_threads(work, [0, 1, 2])
    assert [value for value, _ in found] == [0, 10, 20]
    assert all(name.startswith("geoplan-beside") for _, name in found)
    monkeypatch.setenv("GEOPLAN_FORK", "0")
    assert on_two_threads(work, [0, 1]) == [(0, "MainThread"), (10, "MainThread")]


def test_without_fork_the_work_runs_here_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEOPLAN_FORK", "0")
    assert not can_fork()
    calls: list[int] = []

    def work() -> str:
        calls.append(os.getpid())
        return "done"

    job = start(work)
    assert calls == []  # not before its result is asked for
    assert job.result() == "done"
    assert calls == [os.getpid()]


@forks
def test_an_error_in_the_child_is_raised_here_not_run_again(tmp_path: Path) -> None:
    tries = tmp_path / "tries"

    def work() -> None:
        with tries.open("a") as file:
            file.write(f"{os.getpid()}\n")
        raise SourceFormatError("zones.gpkg: column 'zone_id' is missing (fix: name it)")

    with pytest.raises(SourceFormatError, match="zone_id' is missing") as raised, \
            start(work) as job:
        job.result()
    pids = tries.read_text().split()
    assert len(pids) == 1  # once, in the child: work that wrote files is not done twice
    assert pids[0] != str(os.getpid())
    assert "raised in a forked child process" in "".join(raised.value.__notes__)
    assert str(raised.value) == "zones.gpkg: column 'zone_id' is missing (fix: name it)"


class _UnsendableError(Exception):
    def __init__(self, code: int, words: str) -> None:  # pickles as (message,): cannot load
        super().__init__(f"{words} ({code})")


@forks
def test_an_error_that_cannot_be_sent_is_raised_by_doing_the_work_here() -> None:
    parent = os.getpid()

    def work() -> None:
        raise _UnsendableError(7, "here" if os.getpid() == parent else "there")

    with pytest.raises(_UnsendableError, match=r"here \(7\)"), start(work) as job:
        job.result()


@forks
def test_work_that_writes_files_is_not_done_again_when_the_child_dies(tmp_path: Path) -> None:
    written = tmp_path / "map.html"

    def work() -> None:
        written.write_text("half")
        os._exit(3)  # as if killed while writing

    with pytest.raises(ForkedChildError, match=r"ended without its result \(exit code 3\)"), \
            start(work, again=False) as job:
        job.result()
    assert written.read_text() == "half"  # not written again here


def test_a_refused_fork_leaves_the_work_to_this_process(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    def refused() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refused)
    fds = Path("/proc/self/fd")
    before = len(list(fds.iterdir())) if fds.is_dir() else 0
    with start(lambda: os.getpid()) as job:
        assert job.result() == os.getpid()
    after = len(list(fds.iterdir())) if fds.is_dir() else 0
    assert after == before  # the pipe's two ends closed


def _sleeper(said: Path) -> Callable[[], None]:
    """Work that writes its process id to ``said``, then sleeps for ten minutes."""
    def work() -> None:
        said.write_text(str(os.getpid()))
        time.sleep(600)

    return work


def _wait_for(said: Path) -> int:
    """Return the process id a :func:`_sleeper` wrote (up to 30 s on a loaded machine)."""
    for _ in range(3000):
        if said.exists() and said.read_text():
            return int(said.read_text())
        time.sleep(0.01)
    raise AssertionError("the child did not start")


@forks
def test_an_interrupt_while_waiting_ends_the_child(tmp_path: Path) -> None:
    said = tmp_path / "pid"

    def interrupt(*_args: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        job = start(_sleeper(said))
        _wait_for(said)
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        with pytest.raises(KeyboardInterrupt):
            job.result()  # waiting for the child when Ctrl-C comes
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    with pytest.raises(ProcessLookupError):  # killed and reaped
        os.kill(int(said.read_text()), 0)


def _warn_here() -> None:
    warnings.warn("a raster without overviews", UserWarning, stacklevel=1)


@forks
def test_a_warning_shown_once_here_is_not_shown_again_from_the_child() -> None:
    shown: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("default")  # each place once
        warnings.showwarning = lambda message, *_args: shown.append(str(message))
        _warn_here()
        with start(_warn_here) as job:
            job.result()
        _warn_here()
    assert shown == ["a raster without overviews"]  # as in turn: once


@forks
def test_a_warning_shown_from_the_child_is_not_shown_again_here() -> None:
    # the child's warning goes back through its module's once-per-place registry
    shown: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        vars(sys.modules[__name__]).pop("__warningregistry__", None)
        warnings.showwarning = lambda message, *_args: shown.append(str(message))
        with start(_warn_here) as job:
            job.result()
        _warn_here()
    assert shown == ["a raster without overviews"]  # as in turn: once


@forks
def test_a_result_that_cannot_be_sent_is_made_here() -> None:
    with start(lambda: (lambda: os.getpid())) as job:  # a lambda does not pickle
        made = job.result()
    assert made() == os.getpid()


@forks
def test_a_child_that_dies_leaves_the_work_to_this_process() -> None:
    parent = os.getpid()

    def work() -> int:
        if os.getpid() != parent:
            os._exit(3)  # as if killed
        return 7

    with start(work) as job:
        assert job.result() == 7


@forks
def test_the_childs_logs_and_warnings_reach_this_process(caplog: pytest.LogCaptureFixture
                                                         ) -> None:
    def work() -> str:
        logging.getLogger("geoplan.layers.land").warning("%d cells had no class", 12)
        logging.getLogger("geoplan.layers.land").debug("not wanted at WARNING")
        warnings.warn("a raster without overviews", UserWarning, stacklevel=1)
        return "read"

    with (caplog.at_level(logging.WARNING, logger="geoplan"),
          pytest.warns(UserWarning, match="without overviews"), start(work) as job):
        assert job.result() == "read"
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        ("geoplan.layers.land", "WARNING", "12 cells had no class")]


@forks
def test_leaving_the_block_without_the_result_ends_the_child(tmp_path: Path) -> None:
    said = tmp_path / "pid"
    with start(_sleeper(said)):
        pid = _wait_for(said)
    with pytest.raises(ProcessLookupError):  # killed and reaped: no such process
        os.kill(pid, 0)


@pytest.fixture(scope="module")
def layers_both(small_sample: Path) -> tuple[PreparedLayers, PreparedLayers]:
    """The small sample's layers prepared with forks, and in turn (``GEOPLAN_FORK=0``)."""
    forked = prepare_layers(sample_inputs(small_sample))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GEOPLAN_FORK", "0")
        in_turn = prepare_layers(sample_inputs(small_sample))
    return forked, in_turn


@forks
def test_layers_read_beside_the_homes_equal_those_read_in_turn(
        layers_both: tuple[PreparedLayers, PreparedLayers]) -> None:
    forked, in_turn = layers_both
    for name in ("land", "sites", "buildings", "zones"):
        assert_geodataframe_equal(getattr(forked, name), getattr(in_turn, name))
    assert forked.chargers is not None
    assert in_turn.chargers is not None
    assert forked.chargers.equals(in_turn.chargers)
    assert forked.roads is not None  # read in the child too
    assert in_turn.roads is not None
    assert forked.roads.number_of_edges() > 0
    assert nx.utils.graphs_equal(forked.roads, in_turn.roads)
    assert_geodataframe_equal(forked.road_names, in_turn.road_names)
    assert forked.emissions is not None
    assert forked.emissions.equals(in_turn.emissions)
    assert forked.warnings == in_turn.warnings
    assert forked.reports == in_turn.reports


@pytest.mark.parametrize("fork", ["1", "0"])
def test_a_bad_roads_file_read_beside_the_homes_is_named(
        small_sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fork: str) -> None:
    monkeypatch.setenv("GEOPLAN_FORK", fork)
    roads = tmp_path / "roads.gpkg"
    roads.write_bytes(b"not a geopackage")
    full = sample_inputs(small_sample)
    inputs = LayerInputs(zones=full.zones, grid=full.grid, within=full.within, epc=full.epc,
                         postcodes=full.postcodes, roads=roads)
    with pytest.raises(GeoplanError, match=r"roads\.gpkg"):
        prepare_layers(inputs)
    # with the chargers bad too, theirs is named first: the layers that need no other are
    # read in this order, the roads and emissions last, as in a run without EPC homes
    chargers = tmp_path / "chargers.csv"
    chargers.write_text("not,a\nchargers,file\n", encoding="utf-8")
    with pytest.raises(GeoplanError, match=r"chargers\.csv") as both:
        prepare_layers(replace(inputs, chargers=chargers))
    assert "roads.gpkg" not in str(both.value)
    with pytest.raises(GeoplanError, match=r"chargers\.csv"):
        prepare_layers(replace(inputs, epc=None, chargers=chargers))


@forks
def test_workstreams_built_apart_equal_those_built_in_turn(
        layers_both: tuple[PreparedLayers, PreparedLayers],
        monkeypatch: pytest.MonkeyPatch) -> None:
    # chargers and sequestration are built in a forked child beside retrofit and LAEP: the
    # same candidates and parts, and the tables only they read are recorded here too
    scenario = load_scenario(ROOT / "scenarios" / "joint.yaml")
    layers = layers_both[1]
    layers = replace(layers, buildings=planned_homes(layers.buildings))  # as a run does
    made = {}
    for fork in ("1", "0"):
        monkeypatch.setenv("GEOPLAN_FORK", fork)
        assumptions = assumption_set(scenario)
        models = workstream_models(scenario, layers, assumptions)
        made[fork] = (models, set(assumptions.used()))
    (forked, read_forked), (in_turn, read_in_turn) = made["1"], made["0"]
    assert list(forked) == list(in_turn) == ["retrofit", "laep", "chargers", "sequestration"]
    for name, model in forked.items():
        assert_geodataframe_equal(model.candidates, in_turn[name].candidates)
        assert pickle.dumps(model.parts) == pickle.dumps(in_turn[name].parts), name
    assert {"charger_types", "site_kinds", "sequestration", "woodland_profile"} <= read_forked
    assert read_forked == read_in_turn


@pytest.mark.parametrize("error", [
    SourceFormatError("zones.gpkg: 2 problems:", [Problem("'n/a' is not a number", "z.csv",
                                                          row=3, column="homes"),
                                                  Problem("no zone_id", "z.csv")]),
    PreflightError("scenario.yaml: 2 problems", [Problem("a"), Problem("b")]),
    OutputWriteError("cannot write map.png: the disk is full"),
    ForkedChildError("a forked child process ended"),
], ids=lambda error: type(error).__name__)
def test_geoplan_errors_pickle_with_their_problems(error: GeoplanError) -> None:
    # what a child sends: the same type, message, summary and problems
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert (str(copy), copy.summary, copy.problems) == (str(error), error.summary,
                                                         error.problems)
