"""Root command: version, verbosity, and turning library errors into one clear message.

Exit codes: 0 success, 1 unexpected internal error (or output to a closed pipe, as
``geoplan layers formats | head -1`` does: quietly), 2 bad input or usage (every
:class:`~geoplan.errors.GeoplanError`), 130 interrupted by Ctrl-C, 143 stopped by SIGTERM
(the ``geoplan`` command, :mod:`geoplan_launch`, turns SIGTERM into an interruption, so
outputs are cleaned up either way). Tracebacks are shown only with ``-v``.
"""

from __future__ import annotations

import logging
import sys
import traceback
from typing import Any

import click

from geoplan.cli.examples import examples
from geoplan.cli.lazy import LazyCommands, Where
from geoplan.errors import GeoplanError
from geoplan.version import __version__

__all__ = ["COMMANDS", "cli"]

BAD_INPUT = 2
INTERRUPTED = {"SIGTERM": ("terminated", 143)}
"""How an interruption raised for a signal is reported (Ctrl-C: "interrupted", 130)."""


class _Handler(logging.Handler):
    """Print log records as ``geoplan: warning: ...`` on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"geoplan: {record.levelname.lower()}: {record.getMessage()}", err=True)


class GeoplanGroup(click.Group):
    """A click group that reports GeoplanError as a message and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand, converting errors into messages."""
        try:
            return super().invoke(ctx)
        except GeoplanError as exc:
            _report(ctx, exc, prefix="error")
            ctx.exit(BAD_INPUT)
        except KeyboardInterrupt as exc:  # outputs were cleaned up on the way out
            message, code = INTERRUPTED.get(str(exc), ("interrupted", 130))
            click.echo(f"geoplan: {message}", err=True)
            ctx.exit(code)
        except (click.exceptions.Exit, click.ClickException, click.Abort, BrokenPipeError):
            raise  # click ends quietly on a closed pipe
        except Exception as exc:
            _report(ctx, exc, prefix="internal error")
            ctx.exit(1)


    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the subcommands with their one-line help, importing none of them."""
        if not isinstance(self.commands, LazyCommands):
            super().format_commands(ctx, formatter)
            return
        lazy = self.commands
        names = [name for name in lazy if name not in lazy.loaded() or not lazy[name].hidden]
        if names:
            limit = formatter.width - 6 - max(len(name) for name in names)
            with formatter.section("Commands"):
                formatter.write_dl([(name, lazy.short_help(name, limit)) for name in names])


def _report(ctx: click.Context, exc: BaseException, prefix: str) -> None:
    verbose = (ctx.obj or {}).get("verbosity", 0) > 0
    if verbose:
        traceback.print_exception(exc, file=sys.stderr)
    hint = "" if verbose or prefix == "error" else " (run with -v for the traceback)"
    detail = str(exc) or type(exc).__name__
    click.echo(f"geoplan: {prefix}: {detail}{hint}", err=True)


def _configure_logging(verbosity: int) -> None:
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(
        max(-1, min(verbosity, 2)), logging.DEBUG
    )
    logger = logging.getLogger("geoplan")
    for handler in list(logger.handlers):
        if isinstance(handler, _Handler):
            logger.removeHandler(handler)
    logger.addHandler(_Handler())
    logger.setLevel(level)
    logger.propagate = False


@click.group(cls=GeoplanGroup, context_settings={"help_option_names": ["-h", "--help"]},
             epilog=examples("geoplan sample out/sample",
                             "geoplan -q run scenarios/joint.yaml -o out/joint   # only errors"))
@click.version_option(__version__, "--version", prog_name="geoplan")
@click.option("-v", "--verbose", count=True, help="More output (repeat for debug); tracebacks.")
@click.option("-q", "--quiet", count=True, help="Only errors.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: int) -> None:
    """Turn spatial data into ranked, defensible net-zero investment plans.

    Read real published layers (boundaries, DNO grid headroom files) into canonical
    GeoPackages with `geoplan layers`.
    """
    ctx.ensure_object(dict)
    ctx.obj["verbosity"] = verbose - quiet
    _configure_logging(verbose - quiet)


COMMANDS = {
    "clean": Where("geoplan.cli.clean", "clean", "Remove what geoplan runs killed outright "
                   "(SIGKILL, a power cut) left in FOLDERS."),
    "compare": Where("geoplan.cli.compare", "compare", "Compare A with B: side-by-side KPIs, "
                     "sites entering or leaving the top ranks, a map."),
    "export": Where("geoplan.cli.export", "export", "Write every layer of PLAN (a plan.gpkg or "
                    "an earlier export folder) in another format."),
    "layers": Where("geoplan.cli.layers", "layers",
                    "Read real published layers into canonical GeoPackages."),
    "map": Where("geoplan.cli.map", "map_command", "Draw the web map (map.html), or a static "
                 "A4/A3 map (.pdf, .png), of a plan GeoPackage."),
    "report": Where("geoplan.cli.report", "report",
                    "Write the bid pack of RUN (a folder `geoplan run` wrote) as one A4 PDF."),
    "run": Where("geoplan.cli.run", "run", "Run SCENARIO (a YAML file) and write its maps, "
                 "files and summary to one folder."),
    "sample": Where("geoplan.cli.sample", "sample",
                    "Write a SYNTHETIC county shaped like Oxfordshire to OUTDIR."),
    "scenario": Where("geoplan.cli.scenario", "scenario", "Work with scenario files (YAML)."),
    "validate": Where("geoplan.cli.validate", "validate", "Check SCENARIO (YAML) without "
                      "running it; exit 2 listing every problem."),
}
"""Each subcommand's module, imported when the command is used (:mod:`geoplan.cli.lazy`)."""

cli.commands = LazyCommands(COMMANDS)
