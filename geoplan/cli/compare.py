"""``geoplan compare``: two runs (or two scenarios) side by side, into one folder."""

from __future__ import annotations

from pathlib import Path

import click

from geoplan.cli.examples import examples
from geoplan.cli.options import overwrite_option
from geoplan.files.atomic import refuse_inputs
from geoplan.outputs.compare import Comparison
from geoplan.outputs.labels import column_label
from geoplan.outputs.summary import COUNT_KEYS
from geoplan.pipeline import run_comparison

__all__ = ["SHOWN", "WHOLE", "compare", "table_lines"]

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


WHOLE = ("candidates_selected", *COUNT_KEYS)
"""KPIs that count things: printed as whole numbers (as are sums of money, in pounds)."""


def _cell(value: float | None, whole: bool) -> str:
    if value is None:
        return "-"
    return f"{round(value):,}" if whole else f"{value:,.1f}"


def table_lines(rows: list[list[str]]) -> list[str]:
    """Lay ``rows`` out as columns as wide as their widest cell (nothing cut).

    The first column is left-aligned, the others right-aligned; trailing blanks are dropped.

    Examples
    --------
    >>> table_lines([["", "A: steady-progression"], ["Homes", "12"]])
    ['       A: steady-progression', 'Homes                     12']
    """
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join([row[0].ljust(widths[0]),
                       *(cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True))]
                      ).rstrip() for row in rows]


def _report(c: Comparison, files: tuple[Path, ...]) -> None:
    rows = [["", f"A: {c.a.name}", f"B: {c.b.name}", "B - A"]]
    for row in c.kpis:
        if row["kpi"] in SHOWN:
            kpi = str(row["kpi"])
            whole = kpi in WHOLE or (kpi.endswith("_gbp") and "_per_" not in kpi)  # pounds
            rows.append([column_label(row["kpi"]), *(_cell(row[k], whole)
                                                     for k in ("a", "b", "difference"))])
    for row in c.solver:
        rows.append([f"Solver, {row['model']}", row["status_a"] or "-",
                     row["status_b"] or "-", ""])
    for line in table_lines(rows):
        click.echo(line)
    for name, counts in c.counts().items():
        click.echo(f"{name}: top {c.top}: {counts['enters_top']} enter, "
                   f"{counts['leaves_top']} leave; chosen: {counts['enters_chosen']} enter, "
                   f"{counts['leaves_chosen']} leave")
    click.echo(f"map: {files[-1]}")
    click.echo("files: " + ", ".join(str(f) for f in files[:-1]))
