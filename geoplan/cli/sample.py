"""``geoplan sample``: write the synthetic sample county in real published formats."""

from __future__ import annotations

import time
from pathlib import Path

import click

from geoplan.cli.examples import examples
from geoplan.cli.options import overwrite_option
from geoplan.files.run_folder import check_replaceable
from geoplan.sample import DEFAULT_SEED, SCALES, write_sample

__all__ = ["sample"]


@click.command(epilog=examples(
    'geoplan sample out/sample                  # small: a few seconds',
    'geoplan sample out/region --scale region   # several minutes, about 2 GB on disk'))
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--scale", type=click.Choice(list(SCALES)), default="small", show_default=True,
              help="small: all 430 zones and 66 primaries, 8,000 homes, 50 m land cover "
                   "(seconds); county: 300,000 homes, 10 m land cover (benchmarks); region: "
                   "five counties (2,150 zones, 330 primaries) under SSEN and NGED, each "
                   "DNO's own grid file and licence areas, 1.5M homes, 25 m land cover "
                   "(scale tests; minutes).")
@click.option("--seed", type=click.IntRange(min=0), default=DEFAULT_SEED, show_default=True,
              help="Random seed; the same scale and seed give byte-identical files.")
@overwrite_option
@click.pass_context
def sample(ctx: click.Context, outdir: Path, scale: str, seed: int, overwrite: bool) -> None:
    """Write a SYNTHETIC county shaped like Oxfordshire to OUTDIR.

    Boundaries, an SSEN headroom workbook, EPC certificates, postcodes, UPRNs, chargers,
    EV demand, car parks, roads, land cover, exclusions and emissions, each in the layout of
    the real published file so geoplan's readers read it. OUTDIR/README.md lists the files.
    """
    check_replaceable(outdir, overwrite=overwrite, marker="sample.json")  # before any work
    loud = ctx.obj.get("verbosity", 0) >= 0
    start = time.perf_counter()

    def progress(step: str) -> None:
        if loud:
            click.echo(f"  {step}...", err=True)

    try:
        result = write_sample(outdir, scale=scale, seed=seed, overwrite=overwrite,
                              progress=progress)
    except ImportError as exc:  # a missing optional dependency, not a bug
        raise click.ClickException(str(exc)) from exc
    if loud:
        c = result.counts
        click.echo(f"wrote synthetic sample {outdir} (scale {scale}, seed {seed}) in "
                   f"{time.perf_counter() - start:.1f} s: {c['zones']} zones, "
                   f"{c['primaries']} primaries, {c['homes']:,} homes, "
                   f"{c['certificates']:,} EPC certificates, {c['devices']} chargers, "
                   f"{c['car_parks']} car parks; see {outdir / 'README.md'}")
