"""The main job: a scenario in, one folder of maps, files and figures out.

``run_scenario("scenarios/joint.yaml", "out/joint")`` (or ``geoplan run``) does, in order:

1. load and check the scenario (every problem listed before any work);
2. find the inputs: the scenario's files, or the embedded sample county, built once into a
   cache folder (``$GEOPLAN_CACHE`` or ``~/.cache/geoplan``) and reused;
3. read every layer (:func:`geoplan.layers.prepare.prepare_layers`);
4. resolve the assumption tables with the scenario's replacements and overrides;
5. build each enabled workstream's candidates and solve the plan
   (:mod:`geoplan.planning.solve`);
6. work out the finance figures (:mod:`geoplan.planning.finance`);
7. write everything into a temporary folder beside the output, renamed into place only
   when complete (:class:`geoplan.files.run_folder.RunFolder`): an interrupted run leaves
   nothing, and an existing folder is replaced only with ``overwrite``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from geoplan.assumptions import AssumptionSet
from geoplan.files.run_folder import RunFolder
from geoplan.layers.prepare import LayerInputs, PreparedLayers, prepare_layers, sample_inputs
from geoplan.outputs.compare import (
    MARKER,
    Comparison,
    check_run_folder,
    compare_runs,
    read_run,
    write_comparison_files,
)
from geoplan.planning.finance import FinanceSummary, finance_assumptions, finance_summary
from geoplan.planning.solve import (
    PlanResult,
    grid_limits,
    grid_tables,
    reinforcement_options,
    solve_plans,
    workstream_models,
)
from geoplan.scenario import Scenario, known_tables, load_scenario

__all__ = ["STEPS", "RunResult", "assumption_set", "layer_inputs", "run_comparison",
           "run_scenario", "sample_folder"]

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
                            "max_serving_distance_km": scenario.grid.max_serving_distance_km,
                            "power_factor": factor}
    if inputs.sample is not None:
        folder = sample_folder(inputs.sample, inputs.seed, progress=progress)
        return replace(sample_inputs(folder), **grid)
    if inputs.folder is not None:
        return replace(sample_inputs(inputs.folder), decimal=inputs.decimal, **grid)
    given = {key: getattr(inputs, key) for key in inputs.layer_keys()}
    return LayerInputs(**given, grid_format=inputs.grid_format, within=inputs.within,
                       decimal=inputs.decimal, **grid)


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
    from geoplan.outputs.run import write_run

    step = progress or (lambda _name: None)
    step("scenario")
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    offline = scenario.outputs.offline_map if offline_map is None else offline_map
    with RunFolder(out, overwrite=overwrite, marker="manifest.json") as folder:
        step("inputs")
        inputs = layer_inputs(scenario)
        step("layers")
        layers = prepare_layers(inputs)
        assumptions = assumption_set(scenario)
        step("candidates")
        models = workstream_models(scenario, layers, assumptions)
        step("solve")
        plans = _solve(scenario, layers, assumptions, models)
        step("finance")
        finance = _finance(scenario, layers, assumptions, plans)
        step("outputs")
        summary, files = write_run(folder, scenario=scenario, inputs=inputs, layers=layers,
                                   assumptions=assumptions, models=models, plans=plans,
                                   finance=finance, offline_map=offline)
    target = Path(out)
    return RunResult(target, scenario, plans, finance, summary,
                     tuple(target / f.relative_to(folder) for f in files))


def _solve(scenario: Scenario, layers: PreparedLayers, assumptions: AssumptionSet,
           models: dict[str, Any]) -> PlanResult:
    headroom = grid_limits(scenario, layers, assumptions)
    _, factor = grid_tables(assumptions)
    options = reinforcement_options(scenario, layers, assumptions.table("grid_reinforcement"),
                                    factor)
    return solve_plans(scenario, models, headroom, layers, options)


def _finance(scenario: Scenario, layers: PreparedLayers, assumptions: AssumptionSet,
             plans: PlanResult) -> FinanceSummary:
    from geoplan.sources.emissions import latest_emissions

    table = plans.stacked()
    settings = finance_assumptions(assumptions.table("finance"),
                                   discount_rate=scenario.finance.discount_rate,
                                   appraisal_years=scenario.finance.appraisal_years)
    year = scenario.workstreams.sequestration.emissions_year
    baseline = (None if layers.emissions is None
                else latest_emissions(layers.emissions, year))
    other = plans.reinforcement_capex()
    return finance_summary(table, baseline=baseline, assumptions=settings,
                           other_capex=other if len(other) else None)


def _comparison_source(path: str | Path) -> Any:
    """Load a scenario file, or check a run folder and return its path."""
    path = Path(path)
    if path.is_file() and path.suffix.lower() in (".yaml", ".yml"):
        return load_scenario(path)
    check_run_folder(path)
    return path


def run_comparison(a: str | Path, b: str | Path, out: str | Path, *, top: int = 20,
                   overwrite: bool = False, offline_map: bool = False,
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
