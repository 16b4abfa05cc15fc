"""The public API: one function per arrow of the data flow, importable from ``geoplan`` alone.

The arrows run on the small sample county with a chargers-only scenario (the quickest useful
plan, as in ``test_compare.py``); chained by hand they must write the same files as
``run_scenario``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import geoplan
from geoplan import (
    LayerInputs,
    PlanResult,
    PreparedLayers,
    RunResult,
    Scenario,
    WorkstreamModel,
    build_candidates,
    layer_inputs,
    load_scenario,
    prepare_layers,
    read_layers,
    run_scenario,
    solve_plan,
    write_run,
)
from geoplan.errors import OutputExistsError

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
ARROWS = ("read_layers", "prepare_layers", "load_scenario", "build_candidates", "solve_plan",
          "write_run", "run_scenario")
BUDGET = 100_000


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Chargers only, one budget, no static map."""
    path = tmp_path_factory.mktemp("scenario") / "chargers.yaml"
    path.write_text(f"extends: {SCENARIOS / 'base.yaml'}\nname: chargers\n"
                    "workstreams:\n  retrofit: {enabled: false}\n  laep: {enabled: false}\n"
                    "  sequestration: {enabled: false}\n"
                    f"plan:\n  budget_gbp: {BUDGET}\noutputs:\n  static_map: false\n",
                    encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def scenario(scenario_file: Path) -> Scenario:
    return load_scenario(scenario_file)


@pytest.fixture(scope="module")
def layers(scenario: Scenario) -> PreparedLayers:
    return prepare_layers(layer_inputs(scenario))


@pytest.fixture(scope="module")
def candidates(scenario: Scenario, layers: PreparedLayers) -> dict[str, WorkstreamModel]:
    return build_candidates(scenario, layers)


@pytest.fixture(scope="module")
def plan(scenario: Scenario, layers: PreparedLayers,
         candidates: dict[str, WorkstreamModel]) -> PlanResult:
    return solve_plan(scenario, candidates, layers)


@pytest.fixture(scope="module")
def runs(scenario_file: Path, scenario: Scenario, layers: PreparedLayers,
         candidates: dict[str, WorkstreamModel], plan: PlanResult,
         tmp_path_factory: pytest.TempPathFactory) -> tuple[RunResult, RunResult]:
    """The same scenario written by the chained arrows and by ``run_scenario``."""
    root = tmp_path_factory.mktemp("runs")
    chained = write_run(root / "chained", scenario, layers, candidates, plan)
    whole = run_scenario(scenario_file, root / "whole")
    return chained, whole


@pytest.mark.parametrize("name", ARROWS)
def test_each_arrow_is_exported_by_geoplan(name: str) -> None:
    assert name in geoplan.__all__
    assert callable(getattr(geoplan, name))


def test_unknown_names_still_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_function"):
        _ = geoplan.no_such_function  # type: ignore[attr-defined]
    assert {"solve_plan", "write_run"} <= set(dir(geoplan))


def test_import_geoplan_loads_no_optimiser_planning_or_pipeline() -> None:
    code = ("import sys, geoplan\n"
            "heavy = sorted(m for m in sys.modules if m.startswith(('geoplan.optimise', "
            "'geoplan.planning', 'geoplan.pipeline', 'geoplan.workstreams', 'highspy', "
            "'pulp')))\n"
            "print(','.join(heavy))\n"
            "geoplan.solve_plan\n"
            "print('geoplan.pipeline' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    heavy, loaded = done.stdout.splitlines()
    assert heavy == ""
    assert loaded == "True"  # the name is there, imported on first use


def test_read_layers_reads_one_kind(small_sample: Path) -> None:
    found = read_layers(small_sample / "boundaries/zones.gpkg", "zones",
                        districts=small_sample / "boundaries/districts.gpkg")
    assert len(found.layers["zones"]) > 0
    assert found.layers["zones"]["zone_id"].is_unique


def test_prepare_layers_reads_what_the_scenario_names(scenario: Scenario,
                                                      layers: PreparedLayers,
                                                      small_sample: Path) -> None:
    inputs = layer_inputs(scenario)
    assert isinstance(inputs, LayerInputs)
    zones = read_layers(inputs.zones, "zones", districts=inputs.districts).layers["zones"]
    assert sorted(layers.zones["zone_id"]) == sorted(zones["zone_id"])
    assert layers.sites is not None
    assert len(layers.sites) > 0


def test_build_candidates_gives_each_enabled_workstream(scenario: Scenario,
                                                        layers: PreparedLayers,
                                                        candidates: dict[str, WorkstreamModel]
                                                        ) -> None:
    assert list(candidates) == ["chargers"]
    model = candidates["chargers"]
    assert len(model.candidates) > 0
    assert model.candidates["candidate_id"].is_unique
    from geoplan import assumption_set

    given = build_candidates(scenario, layers, assumption_set(scenario))
    pd.testing.assert_frame_equal(given["chargers"].candidates, model.candidates)


def test_solve_plan_chooses_within_the_budget(plan: PlanResult,
                                              candidates: dict[str, WorkstreamModel]) -> None:
    table = plan.table("chargers")
    assert set(table["candidate_id"]) == set(candidates["chargers"].candidates["candidate_id"])
    chosen = table[table["selected"]]
    assert 0 < len(chosen) < len(table)
    assert chosen["cost_gbp"].sum() <= BUDGET
    assert plan.summaries()["joint"]["status"] in ("optimal", "feasible")


@pytest.mark.slow
def test_table_accessors_reach_the_plan_table(plan: PlanResult,
                                              runs: tuple[RunResult, RunResult]) -> None:
    assert plan.table("chargers") is plan.tables["chargers"]
    chained, _ = runs
    assert chained.table("chargers") is chained.plans.tables["chargers"]
    with pytest.raises(KeyError, match=r"has no 'retrofit' workstream.*chargers"):
        plan.table("retrofit")


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_chained_arrows_write_the_same_files_as_run_scenario(
        runs: tuple[RunResult, RunResult]) -> None:
    chained, whole = runs
    mine, theirs = _files(chained.folder), _files(whole.folder)
    assert sorted(mine) == sorted(theirs)
    manifests = [json.loads(files.pop("manifest.json")) for files in (mine, theirs)]
    for manifest in manifests:
        manifest.pop("created")
    assert manifests[0] == manifests[1]
    # chargers only: the roads are read, the land cover (sequestration's) is not
    assert manifests[0]["inputs"]["roads"]["kind"] == "file"
    assert manifests[0]["inputs"]["land_cover"] is None
    different = [name for name in mine if mine[name] != theirs[name]]
    assert different == []
    assert sorted(str(p.relative_to(chained.folder)) for p in chained.files) == sorted(
        str(p.relative_to(whole.folder)) for p in whole.files)
    assert all(p.is_file() for p in chained.files)


@pytest.mark.slow
def test_write_run_refuses_an_existing_folder(scenario: Scenario, layers: PreparedLayers,
                                              candidates: dict[str, WorkstreamModel],
                                              plan: PlanResult,
                                              runs: tuple[RunResult, RunResult]) -> None:
    chained, _ = runs
    with pytest.raises(OutputExistsError):
        write_run(chained.folder, scenario, layers, candidates, plan)
