"""``geoplan run``: the whole pipeline for one scenario, into one output folder."""

from __future__ import annotations

import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import click

from geoplan.cli.examples import examples
from geoplan.cli.options import overwrite_option
from geoplan.files.atomic import refuse_inputs
from geoplan.files.run_folder import check_replaceable
from geoplan.outputs.labels import stop_words
from geoplan.pipeline import STEPS, RunResult, run_scenario
from geoplan.planning.carbon_lines import CARBON_WORDS, carbon_kind
from geoplan.scenario import Scenario, load_scenario

__all__ = ["files_line", "run"]

_LABELS = {"scenario": "checking the scenario", "inputs": "finding the inputs",
           "layers": "reading layers", "candidates": "building candidates",
           "solve": "solving the plan", "finance": "finance figures",
           "outputs": "writing maps and files"}


@click.command(epilog=examples(
    'geoplan run scenarios/joint.yaml -o out/joint',
    'geoplan run scenarios/ev-infrastructure.yaml --offline-map --overwrite'))
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Output folder (default: out/<scenario name>).")
@overwrite_option
@click.option("--offline-map/--cdn-map", default=None,
              help="map.html self-contained (the default: Leaflet inlined, no web tiles), or "
                   "loading Leaflet and OpenStreetMap tiles from the web [default: the "
                   "scenario's outputs.offline_map, true unless set].")
@click.pass_context
def run(ctx: click.Context, scenario: Path, out: Path | None, overwrite: bool,
        offline_map: bool | None) -> None:
    """Run SCENARIO (a YAML file) and write its maps, files and summary to one folder.

    The scenario is checked first, listing every problem. The folder is written atomically:
    an interrupted run leaves nothing, and an existing folder is kept unless --overwrite.
    """
    loaded = load_scenario(scenario)  # every problem before any work
    target = out if out is not None else Path("out") / loaded.name
    refuse_inputs(target, [scenario, *_input_paths(loaded)])
    check_replaceable(target, overwrite=overwrite, marker="manifest.json")
    loud = ctx.obj.get("verbosity", 0) >= 0
    start = time.perf_counter()
    with _progress(loud) as step:
        result = run_scenario(loaded, target, overwrite=overwrite, offline_map=offline_map,
                              progress=step)
    if loud:
        _report(result, time.perf_counter() - start)


def _input_paths(scenario: Scenario) -> list[Path]:
    """Return the files and folders a scenario reads (an output must be none of them)."""
    inputs = scenario.inputs
    paths = [inputs.folder, *(getattr(inputs, key) for key in inputs.layer_keys())]
    found: list[Path] = []
    for value in paths:
        values = value.values() if isinstance(value, dict) else (
            value.paths() if hasattr(value, "paths") else [value])
        values = [getattr(v, "path", v) for v in values]  # filtered exclusions
        found += [Path(v) for v in values if isinstance(v, str | Path)]
    return found


class _Steps:
    """A rich progress bar over the pipeline's steps (on stderr)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(TextColumn("{task.description:<26}"), BarColumn(),
                            TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                            console=Console(stderr=True), transient=True)
        self.task = self.bar.add_task("starting", total=len(STEPS))

    def __enter__(self) -> _Steps:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.bar.__exit__(*exc)

    def __call__(self, name: str) -> None:
        self.bar.update(self.task, description=_LABELS.get(name, name),
                        completed=STEPS.index(name) if name in STEPS else 0)


def _progress(loud: bool) -> Any:
    return _Steps() if loud else nullcontext(lambda _name: None)


def _report(result: RunResult, seconds: float) -> None:
    kpis = result.summary["kpis"]
    click.echo(f"ran scenario {result.scenario.name!r} in {seconds:.1f} s")
    for name, solved in result.plans.summaries().items():
        gap = solved.get("gap")
        shown = "-" if gap is None else f"{100 * gap:.3f}%"
        words = stop_words(solved.get("stopped_by"))
        stop = f", stopped by {words}" if words else ""
        click.echo(f"  plan {name}: {solved['status']}, gap {shown}{stop}, "
                   f"solved in {solved['time_s']:.1f} s")
    for row in result.summary["by_workstream"]:
        tonnes = sum(v for k, v in row.items() if k.endswith("_tco2e_per_yr"))
        kind = carbon_kind(str(row["workstream"])) or "no carbon"
        click.echo(f"  {row['workstream']:<14} {int(row['selected']):>5} chosen, "
                   f"£{row['cost_gbp']:>14,.0f}, {tonnes:>10,.1f} tCO2e/yr "
                   f"({CARBON_WORDS.get(kind, kind)})")
    chose = {str(row["workstream"]) for row in result.summary["by_workstream"]}
    for name in result.scenario.workstreams.enabled():  # say so when one chose nothing
        if name not in chose and name in result.plans.tables:
            click.echo(f"  {name:<14} {0:>5} chosen of {len(result.plans.tables[name]):,} "
                       "candidates (summary.md: grid evidence, and rankings.csv's reasons)")
    click.echo(f"  total          £{kpis['cost_gbp']:,.0f}")
    for kind, words in CARBON_WORDS.items():  # each kind of tonnes on its own line
        if f"{kind}_tco2e_per_yr" in kpis:
            click.echo(f"  {words}: {kpis[f'{kind}_tco2e_per_yr']:,.1f} tCO2e/yr")
    folder = result.folder
    if (folder / "map.html").is_file():
        click.echo(f"map: {folder / 'map.html'}")
    else:
        click.echo("map: none (outputs.map is false)")
    click.echo(files_line(folder, result.files))


def files_line(folder: Path, files: tuple[Path, ...]) -> str:
    """Return the report's ``files:`` line: every file or folder the run wrote, in order.

    Derived from what the run wrote (``RunResult.files``), never from a list of names, so a
    new output (map.png, map.pdf, tornado.png ...) is listed without a change here.

    >>> files_line(Path("out/a"), (Path("out/a/plan.gpkg"), Path("out/a/plan_shp")))
    'files (2, in out/a): plan.gpkg, plan_shp'
    """
    names = [str(path.relative_to(folder)) if path.is_relative_to(folder) else str(path)
             for path in files]
    return f"files ({len(names)}, in {folder}): " + ", ".join(names)
