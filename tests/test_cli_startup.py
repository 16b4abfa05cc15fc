"""The command line imports a subcommand's module only when that command is used.

``geoplan --help`` lists every command from :data:`geoplan.cli.main.COMMANDS` (module, name
and one-line help) without importing any of them; these tests check that the listed help is
each command's own and that start-up leaves the optimiser, planning and pipeline unloaded.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from geoplan.cli.lazy import LazyCommands, Where
from geoplan.cli.main import COMMANDS, cli

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("geoplan.optimise", "geoplan.planning.solve", "geoplan.pipeline", "geoplan.outputs",
         "geoplan.workstreams", "highspy", "folium", "matplotlib")


def _loaded_after(args: list[str]) -> list[str]:
    """Heavy modules in ``sys.modules`` after ``geoplan ARGS`` ran in a fresh interpreter."""
    code = ("import sys\nfrom click.testing import CliRunner\nfrom geoplan.cli import cli\n"
            f"done = CliRunner().invoke(cli, {args!r})\nassert done.exit_code == 0, done.output\n"
            f"print(','.join(sorted(m for m in sys.modules if m.startswith({HEAVY!r}))))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    return [name for name in done.stdout.strip().split(",") if name]


def test_help_and_light_commands_import_no_heavy_module() -> None:
    assert _loaded_after(["--help"]) == []
    assert _loaded_after(["validate", "--help"]) == []
    assert "geoplan.optimise" not in " ".join(_loaded_after(["export", "--help"]))


@pytest.mark.parametrize("limit", [30, 45, 80, 200])
def test_listed_help_is_each_commands_own(limit: int) -> None:
    commands = cli.commands
    assert isinstance(commands, LazyCommands)
    fresh = LazyCommands(COMMANDS)
    for name in COMMANDS:
        own = commands[name]  # imports the command
        assert own.name == name
        assert fresh.short_help(name, limit) == own.get_short_help_str(limit), name


def test_help_lists_every_command_once() -> None:
    out = CliRunner().invoke(cli, ["--help"]).output
    section = out.split("Commands:\n")[1].split("\n\n")[0]
    listed = [line.split()[0] for line in section.splitlines()]
    assert listed == sorted(COMMANDS)


def test_lazy_commands_behave_as_a_mapping() -> None:
    commands = LazyCommands({"clean": COMMANDS["clean"],
                             "nothing": Where("geoplan.cli.main", "BAD_INPUT", "Not one.")})
    assert list(commands) == ["clean", "nothing"]
    assert len(commands) == 2
    assert commands.loaded() == ()
    assert isinstance(commands["clean"], click.Command)
    assert commands.loaded() == ("clean",)
    with pytest.raises(TypeError, match="BAD_INPUT is not a click command"):
        commands["nothing"]
    with pytest.raises(KeyError):
        commands["missing"]
    extra = click.Command("extra")
    commands["extra"] = extra
    del commands["nothing"]
    assert list(commands) == ["clean", "extra"]
    assert commands["extra"] is extra
