"""The main job: a scenario in, one folder of maps, files and figures out.

``run_scenario("scenarios/joint.yaml", "out/joint")`` (or ``geoplan run``) does, in order:

1. load and check the scenario (every problem listed before any work);
2. find the inputs: the scenario's files, or the embedded sample county, built once into a
   cache folder (``$GEOPLAN_CACHE`` or ``~/.cache/geoplan``) and reused;
3. the pre-flight (:func:`check_scenario`, the same as ``geoplan validate``): each enabled
   workstream's inputs, the zones and grid files read, grid figures per level, reinforcement
   and zone coverage; every problem listed at once, before the heavy layers are read;
4. read every other layer (:func:`geoplan.layers.prepare.prepare_layers`);
5. resolve the assumption tables with the scenario's replacements and overrides;
6. build each enabled workstream's candidates and solve the plan
   (:mod:`geoplan.planning.solve`);
7. work out the finance figures (:mod:`geoplan.planning.finance`);
8. write everything into a temporary folder beside the output, renamed into place only
   when complete (:class:`geoplan.files.run_folder.RunFolder`): an interrupted run leaves
   nothing, and an existing folder is replaced only with ``overwrite``.

Each arrow is also a function of its own, exported by :mod:`geoplan`, so a notebook can stop,
look and change things between them::

    scenario = load_scenario("scenarios/joint.yaml")
    layers = prepare_layers(layer_inputs(scenario))
    candidates = build_candidates(scenario, layers)
    plan = solve_plan(scenario, candidates, layers)
    result = write_run("out/joint", scenario, layers, candidates, plan)

gives the same files as ``run_scenario`` (the manifest's ``created`` aside).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from geoplan.assumptions import AssumptionSet
from geoplan.files.memory import lean_allocators, release_freed
from geoplan.files.run_folder import RunFolder
from geoplan.layers.buildings import planned_homes
from geoplan.layers.distributed import Compute
from geoplan.layers.land import Exclusion
from geoplan.layers.prepare import LayerInputs, PreparedLayers, prepare_layers, sample_inputs
from geoplan.layers.stock import StockInputs
from geoplan.outputs.compare import (
    MARKER,
    Comparison,
    check_run_folder,
    compare_runs,
    read_run,
    write_comparison_files,
)
from geoplan.outputs.manifest import InputHashes, input_paths
from geoplan.planning.finance import FinanceSummary, finance_assumptions, finance_summary
from geoplan.planning.phasing import funding_shortfall
from geoplan.planning.preflight import Preflight, preflight
from geoplan.planning.solve import (
    PlanResult,
    WorkstreamModel,
    grid_limits,
    grid_tables,
    reinforcement_options,
    solve_plans,
    workstream_models,
)
from geoplan.scenario import Scenario, known_tables, load_scenario
from geoplan.scenario.source import display_path

__all__ = ["STEPS", "RunResult", "assumption_set", "build_candidates", "check_scenario",
           "layer_inputs", "needed_inputs",
           "run_comparison", "run_scenario", "sample_folder", "solve_plan", "write_run"]

logger = logging.getLogger(__name__)

STEPS = ("scenario", "inputs", "layers", "candidates", "solve", "finance", "outputs")
"""Steps reported to the progress callback, in order."""

Progress = Callable[[str], None]


@dataclass(frozen=True)
class RunResult:
    """What a run produced: the folder, the plans and the figures."""

    folder: Path
    scenario: Scenario
    plans: PlanResult
    finance: FinanceSummary
    summary: dict[str, Any]
    files: tuple[Path, ...]

    def table(self, workstream: str) -> pd.DataFrame:
        """Return the plan table of one workstream (see :meth:`PlanResult.table`)."""
        return self.plans.table(workstream)


def sample_folder(scale: str, seed: int | None = None, *, progress: Progress | None = None
                  ) -> Path:
    """Return the cached sample county of ``scale`` and ``seed``, writing it on first use.

    The cache is ``$GEOPLAN_CACHE`` or ``~/.cache/geoplan``; the folder name carries the
    geoplan version, scale and seed, and the sample is written atomically, so a cached
    sample is always complete and the same inputs always give the same files.
    """
    from geoplan.sample.build import DEFAULT_SEED, write_sample
    from geoplan.version import __version__

    seed = DEFAULT_SEED if seed is None else seed
    root = Path(os.environ.get("GEOPLAN_CACHE") or Path.home() / ".cache" / "geoplan")
    folder = root / f"sample-{__version__}-{scale}-{seed}"
    if (folder / "sample.json").is_file():
        return folder
    root.mkdir(parents=True, exist_ok=True)
    with _exclusive(root / f".{folder.name}.lock"):  # one writer; the others wait, then reuse
        if not (folder / "sample.json").is_file():
            logger.info("writing the %s sample county to %s", scale, folder)
            write_sample(folder, scale=scale, seed=seed, overwrite=folder.exists(),
                         progress=progress)
    return folder


@contextlib.contextmanager
def _exclusive(lock: Path) -> Iterator[None]:
    """Hold an exclusive lock on the file ``lock`` (an OS lock, released if the process dies)."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; concurrent first runs are not guarded
        yield
        return
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def layer_inputs(scenario: Scenario, *, progress: Progress | None = None) -> LayerInputs:
    """Return the layer files a scenario names (building the sample county when it asks for it)."""
    inputs = scenario.inputs
    _, factor = grid_tables(assumption_set(scenario))  # the scenario's own power factor
    grid: dict[str, Any] = {"serving_level": scenario.grid.level,
                            "serving_overrides": dict(scenario.grid.serving_overrides),
                            "max_serving_distance_km": scenario.grid.max_serving_distance_km,
                            "power_factor": factor,
                            "compute": Compute(**scenario.compute.model_dump())}
    if inputs.sample is not None:
        folder = sample_folder(inputs.sample, inputs.seed, progress=progress)
        return replace(sample_inputs(folder), **grid)
    if inputs.folder is not None:
        return replace(sample_inputs(inputs.folder), decimal=inputs.decimal, **grid)
    given = {key: _layer_input(getattr(inputs, key)) for key in inputs.layer_keys()}
    if inputs.building_stock is not None:
        stock = inputs.building_stock.model_dump()
        given["building_stock"] = StockInputs(**{**stock, "areas": tuple(stock["areas"]),
                                                 **inputs.building_stock.consumption_inputs()})
    given["exclusions"] = _exclusions(inputs.exclusions)
    return LayerInputs(**given, grid_format=inputs.grid_format, within=inputs.within,
                       decimal=inputs.decimal, land_cover_classes=inputs.land_cover_classes,
                       land_cover_column=inputs.land_cover_column, **grid)


ONLY_FOR = {"land_cover": "sequestration", "land_cover_classes": "sequestration",
            "exclusions": "sequestration", "roads": "chargers"}
"""Inputs read only for one workstream: :func:`needed_inputs` leaves them out without it."""


def needed_inputs(scenario: Scenario, inputs: LayerInputs) -> LayerInputs:
    """Return ``inputs`` less the files only a disabled workstream reads (:data:`ONLY_FOR`).

    A run reads no file it does not use: the land cover (the slowest layer to prepare) only
    for sequestration, the roads only for chargers. The run's manifest and map attribution
    then list only the files read.
    """
    enabled = set(scenario.workstreams.enabled())
    unused: dict[str, Any] = {key: ({} if key == "exclusions" else None)
                              for key, workstream in ONLY_FOR.items()
                              if workstream not in enabled}
    return replace(inputs, **unused)


def _exclusions(given: Mapping[str, Any]) -> dict[str, Path | Exclusion]:
    """Scenario exclusions as paths, or :class:`Exclusion` objects where they filter."""
    out: dict[str, Path | Exclusion] = {}
    for label, value in given.items():
        if isinstance(value, str | Path):
            out[label] = Path(value)
        else:
            out[label] = Exclusion(label, value.path, value.layer, value.column,
                                   tuple(value.values or ()))
    return out


def _layer_input(value: Any) -> Any:
    """Return a scenario's input value as ``LayerInputs`` takes it (mapping forms converted)."""
    return value.to_input() if hasattr(value, "to_input") else value


def assumption_set(scenario: Scenario) -> AssumptionSet:
    """Return the assumption tables with the scenario's replacement files and overrides applied."""
    overrides = [item.model_dump() for item in scenario.assumptions.set]
    return AssumptionSet(known_tables(), dict(scenario.assumptions.tables), overrides)


def run_scenario(scenario: Scenario | str | Path, out: str | Path, *, overwrite: bool = False,
                 offline_map: bool | None = None, progress: Progress | None = None
                 ) -> RunResult:
    """Run a scenario and write its folder (see the module docstring).

    Parameters
    ----------
    scenario : Scenario or path
        A loaded scenario or a YAML file.
    out : path
        Output folder; refused if it exists, unless ``overwrite``.
    overwrite : bool
        Replace an existing run folder (only one holding a ``manifest.json``), once the new
        one is complete.
    offline_map : bool, optional
        Make ``map.html`` self-contained (default: the scenario's ``outputs.offline_map``).
    progress : callable, optional
        Called with each step name of :data:`STEPS` as it starts.

    Returns
    -------
    RunResult
    """
    step = progress or (lambda _name: None)
    step("scenario")
    lean_allocators()  # freed memory goes back to the system (geoplan.files.memory)
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    with RunFolder(out, overwrite=overwrite, marker="manifest.json") as folder:
        step("inputs")
        inputs = needed_inputs(scenario, layer_inputs(scenario))
        assumptions = assumption_set(scenario)
        checked = check_scenario(scenario, inputs, assumptions)
        if (short := funding_shortfall(scenario.plan)) is not None:
            logger.warning(short)  # also among summary.md's warnings
        step("layers")
        layers = prepare_layers(inputs, grid=checked.grid)
        layers = replace(layers, buildings=planned_homes(layers.buildings))
        release_freed()
        step("candidates")
        candidates = build_candidates(scenario, layers, assumptions)
        release_freed()
        step("solve")
        hashes = InputHashes(input_paths(inputs))  # on a thread while the plan is solved
        try:
            plan = solve_plan(scenario, candidates, layers, assumptions)
            release_freed()
            result = _write(folder, scenario, layers, candidates, plan, inputs=inputs,
                            assumptions=assumptions, offline_map=offline_map, step=step,
                            input_hashes=hashes)
        except BaseException:  # no thread left hashing after the run (it may fork again)
            hashes.stop()
            raise
    return _moved(result, folder, Path(out))


def check_scenario(scenario: Scenario, inputs: LayerInputs | None = None,
                   assumptions: AssumptionSet | None = None) -> Preflight:
    """Run the pre-flight of ``geoplan run`` and ``geoplan validate``: every problem at once.

    Reads the zones and grid files only (:mod:`geoplan.planning.preflight` lists what is
    checked) and raises before any heavy work.

    Parameters
    ----------
    scenario : Scenario
    inputs : LayerInputs, optional
        Default: the scenario's (:func:`layer_inputs`, which builds the sample county the
        scenario asks for, once).
    assumptions : AssumptionSet, optional
        Default: the scenario's (:func:`assumption_set`).

    Returns
    -------
    Preflight
        No problems; its ``notes``, and the zones and grid read (for ``prepare_layers``).

    Raises
    ------
    PreflightError
        Listing every problem, numbered.
    """
    if inputs is None:
        inputs = layer_inputs(scenario)
    if assumptions is None:
        assumptions = assumption_set(scenario)
    checked = preflight(scenario, inputs, assumptions)
    name = display_path(scenario.files[0]) if scenario.files else f"scenario {scenario.name!r}"
    checked.raise_if_any(name)
    return checked


def build_candidates(scenario: Scenario, layers: PreparedLayers,
                     assumptions: AssumptionSet | None = None) -> dict[str, WorkstreamModel]:
    """Each enabled workstream's candidates and model parts, in the fixed order.

    Parameters
    ----------
    scenario : Scenario
    layers : PreparedLayers
        From :func:`geoplan.layers.prepare.prepare_layers`.
    assumptions : AssumptionSet, optional
        The tables; default: the scenario's (:func:`assumption_set`).

    Returns
    -------
    dict of str to WorkstreamModel
        Workstream name -> its ``candidates`` table, model ``parts`` and ``settings``
        (:func:`geoplan.planning.solve.workstream_models`).
    """
    if assumptions is None:
        assumptions = assumption_set(scenario)
    models = workstream_models(scenario, layers, assumptions)
    return {name: replace(model, assumptions=assumptions) for name, model in models.items()}


def solve_plan(scenario: Scenario, candidates: Mapping[str, WorkstreamModel],
               layers: PreparedLayers, assumptions: AssumptionSet | None = None
               ) -> PlanResult:
    """Solve the plan of ``candidates`` within the scenario's grid limits and budgets.

    The headroom is the scenario's DNO scenario and season
    (:func:`geoplan.planning.solve.grid_limits`); reinforcement is offered when the scenario
    buys it.

    Parameters
    ----------
    scenario : Scenario
    candidates : mapping of str to WorkstreamModel
        From :func:`build_candidates`.
    layers : PreparedLayers
    assumptions : AssumptionSet, optional
        The tables; default: the set ``candidates`` were built with, else the scenario's
        (:func:`assumption_set`).

    Returns
    -------
    PlanResult
        ``result.table("chargers")`` is one workstream's plan table.

    Raises
    ------
    InfeasibleError
        When a model has no plan, naming the limit to relax.
    """
    if assumptions is None:
        assumptions = _given(candidates.values()) or assumption_set(scenario)
    headroom = grid_limits(scenario, layers, assumptions)
    _, factor = grid_tables(assumptions)
    options = reinforcement_options(scenario, layers, assumptions.table("grid_reinforcement"),
                                    factor)
    plan = solve_plans(scenario, candidates, headroom, layers, options, assumptions)
    return replace(plan, assumptions=assumptions)


def _given(made: Iterable[WorkstreamModel | PlanResult]) -> AssumptionSet | None:
    """Return the assumption set an earlier arrow used (the manifest lists what it was asked)."""
    return next((item.assumptions for item in made if item.assumptions is not None), None)


def write_run(out: str | Path, scenario: Scenario, layers: PreparedLayers,
              candidates: Mapping[str, WorkstreamModel], plan: PlanResult, *,
              inputs: LayerInputs | None = None, assumptions: AssumptionSet | None = None,
              overwrite: bool = False, offline_map: bool | None = None) -> RunResult:
    """Work out the finance figures and write the run folder ``out`` (as :func:`run_scenario`).

    Parameters
    ----------
    out : path
        Output folder; refused if it exists, unless ``overwrite`` (and then only one holding
        a ``manifest.json``).
    scenario, layers, candidates, plan
        The scenario and what :func:`prepare_layers`, :func:`build_candidates` and
        :func:`solve_plan` made of it.
    inputs : LayerInputs, optional
        The files the layers were read from, listed in the manifest; default: the
        scenario's (:func:`layer_inputs`) less those its workstreams do not read
        (:func:`needed_inputs`), as :func:`run_scenario` reads them.
    assumptions : AssumptionSet, optional
        Default: the set ``plan`` was built with, else the scenario's
        (:func:`assumption_set`); the manifest lists the tables it was asked for.
    offline_map : bool, optional
        Make ``map.html`` self-contained (default: the scenario's ``outputs.offline_map``).

    Returns
    -------
    RunResult
    """
    if inputs is None:
        inputs = needed_inputs(scenario, layer_inputs(scenario))
    if assumptions is None:
        assumptions = _given([plan]) or assumption_set(scenario)
    with RunFolder(out, overwrite=overwrite, marker="manifest.json") as folder:
        result = _write(folder, scenario, layers, candidates, plan, inputs=inputs,
                        assumptions=assumptions, offline_map=offline_map)
    return _moved(result, folder, Path(out))


def _write(folder: Path, scenario: Scenario, layers: PreparedLayers,
           candidates: Mapping[str, WorkstreamModel], plan: PlanResult, *,
           inputs: LayerInputs, assumptions: AssumptionSet, offline_map: bool | None,
           step: Progress | None = None, input_hashes: InputHashes | None = None) -> RunResult:
    """Finance and files, written into ``folder`` (the temporary folder of a run)."""
    from geoplan.outputs.run import write_run as write_files

    step = step or (lambda _name: None)
    offline = scenario.outputs.offline_map if offline_map is None else offline_map
    step("finance")
    finance = _finance(scenario, layers, assumptions, plan)
    step("outputs")
    summary, files = write_files(folder, scenario=scenario, inputs=inputs, layers=layers,
                                 assumptions=assumptions, models=candidates, plans=plan,
                                 finance=finance, offline_map=offline,
                                 input_hashes=input_hashes)
    return RunResult(folder, scenario, plan, finance, summary, tuple(files))


def _moved(result: RunResult, folder: Path, target: Path) -> RunResult:
    """Return ``result`` with its paths in ``target``, where its folder was renamed to."""
    return replace(result, folder=target,
                   files=tuple(target / f.relative_to(folder) for f in result.files))


def _finance(scenario: Scenario, layers: PreparedLayers, assumptions: AssumptionSet,
             plans: PlanResult) -> FinanceSummary:
    from geoplan.planning.baseline import baseline_emissions

    table = plans.stacked()
    settings = finance_assumptions(assumptions.table("finance"),
                                   discount_rate=scenario.finance.discount_rate,
                                   appraisal_years=scenario.finance.appraisal_years,
                                   optimism_bias=scenario.finance.optimism_bias)
    chosen = scenario.baseline
    baseline = (None if layers.emissions is None
                else baseline_emissions(layers.emissions, year=chosen.year,
                                        sectors=chosen.sectors, land_use=chosen.land_use,
                                        given_totals=chosen.given_totals))
    other = plans.reinforcement_capex()
    return finance_summary(table, baseline=baseline, assumptions=settings,
                           other_capex=other if len(other) else None,
                           carbon_values=assumptions.table("carbon_values"))


def _comparison_source(path: str | Path) -> Any:
    """Load a scenario file, or check a run folder and return its path."""
    path = Path(path)
    if path.is_file() and path.suffix.lower() in (".yaml", ".yml"):
        return load_scenario(path)
    check_run_folder(path)
    return path


def run_comparison(a: str | Path, b: str | Path, out: str | Path, *, top: int = 20,
                   overwrite: bool = False, offline_map: bool = True,
                   progress: Callable[[str], None] | None = None
                   ) -> tuple[Comparison, tuple[Path, ...]]:
    """Compare ``a`` and ``b`` (run folders or scenario files) into the folder ``out``.

    Both inputs are checked before any work; a scenario is run (with
    :func:`run_scenario`) into ``out/a`` or ``out/b``. ``progress`` is
    called with ``"a"`` or ``"b"`` as a scenario starts running, then ``"compare"``.

    Returns
    -------
    (Comparison, tuple of pathlib.Path)
        The comparison and the files written (see :func:`write_comparison`).
    """
    step = progress or (lambda _name: None)
    sources = [_comparison_source(a), _comparison_source(b)]
    target = Path(out)
    with RunFolder(target, overwrite=overwrite, marker=MARKER) as folder:
        runs = []
        for side, given, source in zip("ab", (a, b), sources, strict=True):
            if not isinstance(source, Path):
                step(side)
                run_scenario(source, folder / side, offline_map=offline_map)
                source = folder / side
            runs.append(read_run(source, source=str(given)))
        step("compare")
        comparison = compare_runs(*runs, top=top)
        names = write_comparison_files(comparison, folder, offline_map)
    moved = {side: dataclasses.replace(run, folder=target / side)
             for side, run, src in zip("ab", runs, sources, strict=True)
             if not isinstance(src, Path)}
    comparison = dataclasses.replace(comparison, a=moved.get("a", comparison.a),
                                     b=moved.get("b", comparison.b))
    return comparison, tuple(target / name for name in names)
