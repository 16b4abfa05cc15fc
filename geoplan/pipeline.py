"""The main job: a scenario in, one folder of maps, files and figures out.

``run_scenario("scenarios/joint.yaml", "out/joint")`` (or ``geoplan run``) does, in order:

1. load and check the scenario (every problem listed before any work);
2. find the inputs: the scenario's files, or the embedded sample county, built once into a
   cache folder (``$GEOPLAN_CACHE`` or ``~/.cache/geoplan``) and reused;
3. read every layer (:func:`geoplan.prepare.prepare_layers`);
4. resolve the assumption tables with the scenario's replacements and overrides;
5. build each enabled workstream's candidates and solve the plan
   (:mod:`geoplan.planning`);
6. work out the finance figures (:mod:`geoplan.finance`);
7. write everything into a temporary folder beside the output, renamed into place only
   when complete (:class:`geoplan.outputs.run_folder.RunFolder`): an interrupted run leaves
   nothing, and an existing folder is replaced only with ``overwrite``.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from geoplan.assumptions import AssumptionSet
from geoplan.finance import FinanceSummary, finance_assumptions, finance_summary
from geoplan.outputs.run_folder import RunFolder
from geoplan.planning import (
    PlanResult,
    grid_limits,
    reinforcement_options,
    solve_plans,
    workstream_models,
)
from geoplan.prepare import LayerInputs, PreparedLayers, prepare_layers, sample_inputs
from geoplan.scenario import Scenario, known_tables, load_scenario

__all__ = ["STEPS", "RunResult", "assumption_set", "layer_inputs", "run_scenario",
           "sample_folder"]

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
    from geoplan import __version__
    from geoplan.sample.build import DEFAULT_SEED, write_sample

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
    if inputs.sample is not None:
        return sample_inputs(sample_folder(inputs.sample, inputs.seed, progress=progress))
    if inputs.folder is not None:
        return replace(sample_inputs(inputs.folder), decimal=inputs.decimal)
    given = {key: getattr(inputs, key) for key in inputs.layer_keys()}
    return LayerInputs(**given, grid_format=inputs.grid_format, within=inputs.within,
                       decimal=inputs.decimal)


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
    headroom = grid_limits(scenario, layers)
    options = reinforcement_options(scenario, layers, assumptions.table("grid_reinforcement"))
    return solve_plans(scenario, models, headroom, layers, options)


def _finance(scenario: Scenario, layers: PreparedLayers, assumptions: AssumptionSet,
             plans: PlanResult) -> FinanceSummary:
    from geoplan.emissions import latest_emissions

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
