"""``geoplan report``: the bid pack of a run, one A4 PDF."""

from __future__ import annotations

from pathlib import Path

import click

from geoplan.cli.examples import examples
from geoplan.cli.options import overwrite_option
from geoplan.files.atomic import refuse_existing, refuse_inputs

__all__ = ["report"]


@click.command(epilog=examples(
    "geoplan report out/joint -o bid-pack.pdf",
    "geoplan report out/joint -o bid-pack.pdf --overwrite"))
@click.argument("run", type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="PDF to write [default: RUN-bid-pack.pdf beside the RUN folder].")
@overwrite_option
@click.pass_context
def report(ctx: click.Context, run: Path, output: Path | None, overwrite: bool) -> None:
    r"""Write the bid pack of RUN (a folder `geoplan run` wrote) as one A4 PDF.

    Cover, headline figures with units (by workstream and district), maps of all
    workstreams, of each workstream and of each district, the grid evidence (blocked kW by
    substation and year), the assumptions with their sources and the data attributions.
    The same run always gives the same PDF (its date is the run's).
    """
    from geoplan.outputs.report import write_report

    output = output or run.parent / f"{run.name}-bid-pack.pdf"
    refuse_inputs(output, [run])  # never inside the run it reads
    refuse_existing(output, overwrite=overwrite)  # before any work
    # write_report reads the run first: not a run folder stops it before any map is drawn
    write_report(run, output, overwrite=overwrite)
    if ctx.obj.get("verbosity", 0) >= 0:
        click.echo(f"wrote {output} ({output.stat().st_size / 1000:,.0f} kB)")
