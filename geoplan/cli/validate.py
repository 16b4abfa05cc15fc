"""``geoplan validate``: load a scenario and say what it will do, or list every problem."""

from __future__ import annotations

import json
from pathlib import Path

import click

from geoplan.cli.examples import examples
from geoplan.scenario import Scenario, load_scenario
from geoplan.scenario.source import display_path

__all__ = ["summary_lines", "validate"]


@click.command(epilog=examples(
    'geoplan validate scenarios/joint.yaml',
    'geoplan validate scenarios/joint.yaml --resolved   # every default filled in'))
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(path_type=Path))
@click.option("--resolved", is_flag=True,
              help="Print the scenario as resolved (defaults filled, bases merged) as JSON.")
@click.pass_context
def validate(ctx: click.Context, scenario_file: Path, resolved: bool) -> None:
    """Check SCENARIO (YAML) without running it; exit 2 listing every problem.

    Checks every key, type and range, that input files exist, and that assumption
    overrides match rows of their tables (each problem shown as FILE:LINE: KEY: message);
    then the pre-flight `geoplan run` does before any heavy work (the same function): each
    enabled workstream's inputs, the zones and grid files read, grid figures per level for
    the chosen scenario, reinforcement only where headroom exists, zone coverage by the grid
    files. Every pre-flight problem is listed at once, numbered.
    """
    from geoplan.pipeline import check_scenario  # the whole library: not for --help

    loaded = load_scenario(scenario_file)
    checked = check_scenario(loaded)
    if resolved:
        click.echo(json.dumps(loaded.resolved(), indent=2))
    elif ctx.obj.get("verbosity", 0) >= 0:
        click.echo("\n".join(summary_lines(loaded)))
        if checked.notes:
            click.echo("  notes:")
            click.echo("\n".join(f"    - {note}" for note in checked.notes))


def summary_lines(scenario: Scenario) -> list[str]:
    """Return a few lines saying what a valid scenario will do."""
    files = [display_path(p) for p in scenario.files]
    based = f" (extends {' <- '.join(files[1:])})" if len(files) > 1 else ""
    plan, grid, solver = scenario.plan, scenario.grid, scenario.solver
    budget = f"GBP {plan.budget_gbp:,.0f} total" if plan.budget_gbp is not None else "no total"
    if plan.budgets:
        budget += "; " + ", ".join(f"{k} GBP {v:,.0f}" for k, v in plan.budgets.items())
    from geoplan.planning.phasing import funding_shortfall

    if (short := funding_shortfall(plan)) is not None:
        budget += f"\n  warning: {short}"
    assumptions = scenario.assumptions
    return [
        f"{files[0]}: valid{based}",
        f"  name: {scenario.name}" + (f" - {scenario.description}" if scenario.description
                                      else ""),
        f"  inputs: {_inputs(scenario)}",
        f"  workstreams: {', '.join(scenario.workstreams.enabled())} ({plan.mode})",
        f"  years: {', '.join(map(str, plan.years))} (horizon {plan.horizon})",
        f"  budget: {budget}",
        f"  grid: headroom scenario {grid.scenario}, {grid.season}, {grid.level}; "
        f"reinforcement {'allowed' if grid.reinforcement.enabled else 'off'}",
        f"  solver: {solver.solver}, time limit {solver.time_limit_s:g} s, gap {solver.gap:g}",
        f"  assumptions: {len(assumptions.tables)} replaced table(s), "
        f"{len(assumptions.set)} override(s)",
    ]


def _inputs(scenario: Scenario) -> str:
    inputs = scenario.inputs
    if inputs.sample:
        return f"synthetic sample county ({inputs.sample}), built first"
    if inputs.folder:
        return f"folder {inputs.folder}"
    given = [k for k in inputs.layer_keys() if getattr(inputs, k)]
    return f"{len(given)} layer file(s): {', '.join(given)}"
