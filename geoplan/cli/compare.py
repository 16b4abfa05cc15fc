"""``geoplan compare``: two runs (or two scenarios) side by side, into one folder."""

from __future__ import annotations

from pathlib import Path

import click

from geoplan.cli.examples import examples
from geoplan.cli.options import overwrite_option
from geoplan.files.atomic import refuse_inputs
from geoplan.outputs.compare import Comparison
from geoplan.pipeline import run_comparison

__all__ = ["compare"]

SHOWN = ("candidates_selected", "cost_gbp", "reduction_tco2e_per_yr", "removal_tco2e_per_yr",
         "ev_attributed_tco2e_per_yr", "homes", "chargers", "area_ha")
"""Headline KPIs printed at the end (all are in compare.md and compare.json)."""


@click.command(epilog=examples(
    'geoplan compare scenarios/leading-the-way.yaml scenarios/steady-progression.yaml'
    ' -o out/compare',
    'geoplan compare out/joint out/joint-b --top 20   # two run folders'))
@click.argument("a", type=click.Path(path_type=Path))
@click.argument("b", type=click.Path(path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Output folder (default: out/compare-<A>-<B>).")
@overwrite_option
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True,
              help="Ranks that count as the top: changes.csv lists sites entering or leaving.")
@click.option("--offline-map/--cdn-map", default=True, show_default=True,
              help="compare.html (and the maps of scenarios run here) self-contained, or "
                   "loading Leaflet and tiles from the web (--cdn-map).")
@click.pass_context
def compare(ctx: click.Context, a: Path, b: Path, out: Path | None, overwrite: bool,
            top: int, offline_map: bool) -> None:
    """Compare A with B: side-by-side KPIs, sites entering or leaving the top ranks, a map.

    A and B are run folders written by `geoplan run` or scenario files (.yaml), which are
    run first into OUTPUT/a and OUTPUT/b. Writes compare.md, compare.json, changes.csv and
    compare.html (two maps that move together: A left, B right). Differences are B - A.
    """
    target = out if out is not None else Path("out") / f"compare-{a.stem}-{b.stem}"
    refuse_inputs(target, [a, b])
    loud = ctx.obj.get("verbosity", 0) >= 0

    def step(name: str) -> None:
        if loud and name in ("a", "b"):
            click.echo(f"running scenario {(a if name == 'a' else b)} ...", err=True)

    comparison, files = run_comparison(a, b, target, top=top, overwrite=overwrite,
                                       offline_map=offline_map, progress=step)
    if loud:
        _report(comparison, files)


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def _report(c: Comparison, files: tuple[Path, ...]) -> None:
    names = (c.a.name[:16], c.b.name[:16])
    click.echo(f"{'':<28} {'A: ' + names[0]:>20} {'B: ' + names[1]:>20} {'B - A':>16}")
    for row in c.kpis:
        if row["kpi"] in SHOWN:
            click.echo(f"{row['kpi']:<28} {_cell(row['a']):>20} {_cell(row['b']):>20} "
                       f"{_cell(row['difference']):>16}")
    for row in c.solver:
        click.echo(f"solver {row['model']:<21} {row['status_a'] or '-':>20} "
                   f"{row['status_b'] or '-':>20}")
    for name, counts in c.counts().items():
        click.echo(f"{name}: top {c.top}: {counts['enters_top']} enter, "
                   f"{counts['leaves_top']} leave; chosen: {counts['enters_chosen']} enter, "
                   f"{counts['leaves_chosen']} leave")
    click.echo(f"map: {files[-1]}")
    click.echo("files: " + ", ".join(str(f) for f in files[:-1]))
