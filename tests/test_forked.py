"""Work in a forked child (geoplan.forked): the same result, logs, warnings and errors as here."""

from __future__ import annotations

import logging
import os
import pickle
import time
import warnings
from dataclasses import replace
from pathlib import Path

import pytest
from geopandas.testing import assert_geodataframe_equal

from geoplan.forked import can_fork, start
from geoplan.layers.buildings import planned_homes
from geoplan.layers.prepare import prepare_layers, sample_inputs
from geoplan.pipeline import assumption_set
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
def test_an_error_is_raised_here_as_without_a_fork(tmp_path: Path) -> None:
    tries = tmp_path / "tries"

    def work() -> None:
        with tries.open("a") as file:
            file.write(f"{os.getpid()}\n")
        raise ValueError("zones.gpkg: column 'zone_id' is missing (fix: name it)")

    with pytest.raises(ValueError, match="zone_id' is missing"), start(work) as job:
        job.result()
    pids = tries.read_text().split()
    assert pids[1:] == [str(os.getpid())]  # tried in the child, then here, where it raised
    assert pids[0] != str(os.getpid())


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

    def work() -> None:
        said.write_text(str(os.getpid()))
        time.sleep(600)

    with start(work):
        for _ in range(3000):  # up to 30 s for the child to start on a loaded machine
            if said.exists() and said.read_text():
                break
            time.sleep(0.01)
    with pytest.raises(ProcessLookupError):  # killed and reaped: no such process
        os.kill(int(said.read_text()), 0)


@forks
def test_layers_read_beside_the_homes_equal_those_read_in_turn(
        small_sample: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    forked = prepare_layers(sample_inputs(small_sample))
    monkeypatch.setenv("GEOPLAN_FORK", "0")
    in_turn = prepare_layers(sample_inputs(small_sample))
    for name in ("land", "sites", "buildings", "zones"):
        assert_geodataframe_equal(getattr(forked, name), getattr(in_turn, name))
    assert forked.chargers is not None
    assert in_turn.chargers is not None
    assert forked.chargers.equals(in_turn.chargers)
    assert forked.warnings == in_turn.warnings
    assert forked.reports == in_turn.reports


@forks
def test_workstreams_built_apart_equal_those_built_in_turn(
        small_sample: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # chargers and sequestration are built in a forked child beside retrofit and LAEP: the
    # same candidates and parts, and the tables only they read are recorded here too
    scenario = load_scenario(ROOT / "scenarios" / "joint.yaml")
    layers = prepare_layers(sample_inputs(small_sample))
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
