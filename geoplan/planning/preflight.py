"""The pre-flight of a run: every problem that would stop it, found before any heavy work.

``geoplan run`` and ``geoplan validate`` call the same :func:`preflight`, so a scenario that
``validate`` calls valid does not stop ``run`` for any of these reasons:

1. **layers per workstream**: each enabled workstream has the inputs it needs
   (:data:`WORKSTREAM_INPUTS`: retrofit and LAEP building data and a way to locate it,
   chargers vehicles and candidate sites, sequestration land cover);
2. **zones and grid files read**: the zones, the licence areas and every grid file, each
   zone given its serving substation (:func:`geoplan.layers.prepare.read_grid_layers`; the
   run then reuses them);
3. **grid figures per level** for the chosen planning scenario and season
   (:func:`geoplan.planning.solve.headroom_gaps`): a level without any figure that a served
   substation's chain passes through, unless ``grid.unconstrained_levels`` lists it, and,
   with ``grid.missing_headroom: error``, substations without a figure where others of their
   level have one (on the chains of the zones' serving substations; the run checks again
   once homes, sites and parcels, read later, have theirs);
4. **reinforcement only where headroom exists**: with ``grid.reinforcement.enabled``, at
   least one substation on the served chains at a level the ``grid_reinforcement`` table
   prices must have a figure (an option at a substation without a limit relieves nothing;
   a priced level without figures is noted);
5. **zone coverage by the grid files**: when no zone's serving substation lies within
   ``grid.max_serving_distance_km``, the grid files are for another area.

Every problem is collected and reported at once, numbered (:class:`PreflightError`, exit 2).
Facts worth knowing that do not stop the run (zones served from far away or by another DNO,
levels left unconstrained) come back as ``notes``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from geoplan.assumptions import AssumptionSet, AssumptionTable, read_assumptions
from geoplan.errors import GeoplanError, LayerSchemaError, Problem, ScenarioError
from geoplan.layers.prepare import GridLayers, LayerInputs, read_grid_layers
from geoplan.planning.headroom import HeadroomGaps
from geoplan.planning.solve import headroom_gaps
from geoplan.scenario import Scenario

__all__ = ["WORKSTREAM_INPUTS", "Need", "Preflight", "PreflightError", "preflight"]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Need:
    """One input a workstream cannot plan without: any one of ``keys`` satisfies it.

    ``keys`` are fields of :class:`geoplan.layers.prepare.LayerInputs` (scenario keys
    ``inputs.<key>``); a key that ``LayerInputs`` does not have counts as not given. With
    ``only_with``, the need applies only when that input is given (addresses locate EPC
    certificates; a zone-level building stock needs none).
    """

    what: str
    keys: tuple[str, ...]
    only_with: str | None = None


WORKSTREAM_INPUTS: dict[str, tuple[Need, ...]] = {
    "retrofit": (Need("building data", ("epc", "building_stock")),
                 Need("addresses to locate the EPC homes", ("postcodes", "uprn"), "epc")),
    "laep": (Need("building data", ("epc", "building_stock")),
             Need("addresses to locate the EPC homes", ("postcodes", "uprn"), "epc")),
    "chargers": (Need("EV numbers per zone", ("vehicles",)),
                 Need("candidate charger sites", ("car_parks",))),
    "sequestration": (Need("land cover", ("land_cover",)),),
}
"""Workstream -> the inputs it needs (each a :class:`Need`)."""


class PreflightError(ScenarioError, LayerSchemaError):
    """A scenario that would stop its run: every problem, numbered.

    Both a :class:`ScenarioError` and a :class:`LayerSchemaError` (the error the grid checks
    raised on their own before the pre-flight), so callers catching either keep working.
    """

    def _render(self) -> str:
        if not self.problems:
            return self.summary
        lines = "\n".join(f"  {n}. {p}" for n, p in enumerate(self.problems, start=1))
        return f"{self.summary}\n{lines}"


@dataclass(frozen=True)
class Preflight:
    """What the pre-flight found.

    Attributes
    ----------
    problems : tuple of str
        Each reason the run would stop; empty when it can go ahead.
    notes : tuple of str
        Facts that do not stop the run (zone serving, levels left unconstrained).
    grid : GridLayers or None
        The zones and grid read (None when they could not be); :func:`run_scenario` hands
        them to :func:`geoplan.layers.prepare.prepare_layers`.
    gaps : HeadroomGaps or None
        The grid figures per level, when they could be worked out.
    """

    problems: tuple[str, ...]
    notes: tuple[str, ...] = ()
    grid: GridLayers | None = None
    gaps: HeadroomGaps | None = None

    def raise_if_any(self, name: str = "the scenario") -> None:
        """Raise :class:`PreflightError` listing every problem, numbered.

        Raises
        ------
        PreflightError
            When there is any problem.
        """
        if self.problems:
            count = len(self.problems)
            raise PreflightError(
                f"{name}: {count} problem{'s' if count > 1 else ''} would stop the run "
                "(found before reading the other layers or planning):",
                [Problem(p) for p in self.problems])


def preflight(scenario: Scenario, inputs: LayerInputs, assumptions: AssumptionSet | None = None,
              *, progress: Progress | None = None) -> Preflight:
    """Check ``scenario`` with its ``inputs`` as a run would (module docstring).

    Parameters
    ----------
    scenario : Scenario
    inputs : LayerInputs
        The scenario's files (:func:`geoplan.pipeline.layer_inputs`).
    assumptions : AssumptionSet, optional
        The run's tables; default the shipped ones.
    progress : callable, optional
        Passed to :func:`geoplan.layers.prepare.read_grid_layers`.

    Returns
    -------
    Preflight
    """
    problems = _missing_inputs(scenario, inputs)
    try:
        grid = read_grid_layers(inputs, progress=progress)
    except ScenarioError as exc:  # e.g. grid.serving_overrides naming what the files lack
        return Preflight((*problems, *(str(p) for p in exc.problems or [exc])))
    except GeoplanError as exc:
        return Preflight((*problems, f"the zones and grid files cannot be read: {exc}"))
    notes = [w for w in grid.layers.warnings if w.startswith("serving: ")]
    problems += _coverage(grid, inputs)
    try:
        gaps = headroom_gaps(scenario, grid.layers, assumptions)
    except GeoplanError as exc:
        return Preflight((*problems, str(exc)), tuple(notes), grid)
    problems += _figures(gaps)
    stuck, moot = _reinforcement(scenario, gaps, assumptions)
    problems += stuck
    notes += [*gaps.notes(), *moot]
    return Preflight(tuple(problems), tuple(notes), grid, gaps)


def _missing_inputs(scenario: Scenario, inputs: LayerInputs) -> list[str]:
    problems = []
    for workstream in scenario.workstreams.enabled():
        for need in WORKSTREAM_INPUTS.get(workstream, ()):
            if need.only_with and not getattr(inputs, need.only_with, None):
                continue
            if any(getattr(inputs, key, None) for key in need.keys):
                continue
            keys = " or ".join(f"inputs.{k}" for k in need.keys)
            problems.append(f"workstreams.{workstream} is enabled but the scenario gives no "
                            f"{need.what} ({keys}) (fix: set {keys}, or "
                            f"workstreams.{workstream}.enabled: false)")
    return problems


def _coverage(grid: GridLayers, inputs: LayerInputs) -> list[str]:
    zones = grid.layers.zones
    near = zones["serving_distance_km"] <= inputs.max_serving_distance_km
    if len(zones) == 0 or near.any():
        return []
    files = inputs.grid if isinstance(inputs.grid, tuple) else (inputs.grid,)
    names = ", ".join(Path(f).name for f in files)
    return [f"the grid files ({names}) cover none of the {len(zones)} zones: every zone's "
            f"nearest {inputs.serving_level} substation is more than "
            f"{inputs.max_serving_distance_km:g} km away (nearest "
            f"{float(zones['serving_distance_km'].min()):.1f} km), so they are for another "
            "area (fix: give the grid file of the DNO that serves these zones, or raise "
            "grid.max_serving_distance_km)"]


def _figures(gaps: HeadroomGaps) -> list[str]:
    problems = []
    for check in (gaps.check_levels, gaps.check_missing):
        try:
            check()
        except GeoplanError as exc:
            problems.append(str(exc))
    return problems


def _reinforcement(scenario: Scenario, gaps: HeadroomGaps,
                   assumptions: AssumptionSet | None) -> tuple[list[str], list[str]]:
    """Problems and notes of reinforcement: offered only where a figure limits the plan."""
    if not scenario.grid.reinforcement.enabled:
        return [], []
    from geoplan.planning.solve import GRID_REINFORCEMENT

    table = (assumptions.table("grid_reinforcement") if assumptions is not None
             else _shipped(GRID_REINFORCEMENT))
    priced = [str(level) for level in table["level"]]
    notes = [f"grid: reinforcement is offered at no {level} substation: no {level} "
             f"substation has a headroom figure for {gaps.figures}, so reinforcing one would "
             "relieve no limit" for level in priced if level in gaps.bare_levels]
    if any(gaps.constrained.get(level) for level in priced):
        return [], notes
    return [f"grid.reinforcement is enabled but no substation on the served chains at a level "
            f"grid_reinforcement prices ({', '.join(priced) or 'none'}) has a headroom figure "
            f"for {gaps.figures}, so reinforcement could relieve nothing (fix: set "
            "grid.reinforcement.enabled: false, choose a grid.scenario the grid files give "
            "figures for at those levels, or price a level that has figures in "
            "grid_reinforcement)"], notes


def _shipped(table: AssumptionTable) -> pd.DataFrame:
    return read_assumptions(table)
