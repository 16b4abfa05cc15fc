"""Every command's --help ends with one or two examples that click parses; bad plans exit 2.

The examples are walked over the whole click group, so a new command without examples fails
here with its name (add ``epilog=examples(...)``, :mod:`geoplan.cli.examples`).
"""

from __future__ import annotations

import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from geoplan.cli import cli

ROOT = Path(__file__).resolve().parents[1]


def _commands(command: click.Command, path: tuple[str, ...]) -> list[tuple[tuple[str, ...],
                                                                          click.Command]]:
    found = [(path, command)]
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            found += _commands(command.commands[name], (*path, name))
    return found


COMMANDS = _commands(cli, ("geoplan",))


def _example_lines(command: click.Command) -> list[str]:
    epilog = command.epilog or ""
    head, _, body = epilog.partition("Examples:\n\n\b\n")
    assert not head, f"epilog {epilog!r} is not examples(...)"
    assert body, f"epilog {epilog!r} lists no example"
    return [line.strip() for line in body.splitlines()]


def _parse(path: tuple[str, ...], line: str) -> None:
    """Parse ``line`` as click would, down the group to a command at or below ``path``.

    Only the parser runs (options and arguments matched), never a callback or a type check.
    """
    tokens = shlex.split(line, comments=True)
    assert tokens[0] == "geoplan"
    command: click.Command = cli
    parent: click.Context | None = None
    rest = tokens[1:]
    while True:
        ctx = click.Context(command, info_name=command.name if parent else "geoplan",
                            parent=parent)
        _, args, _ = command.make_parser(ctx).parse_args(list(rest))
        if not isinstance(command, click.Group):
            break
        name, rest = args[0], args[1:]
        command, parent = command.commands[name], ctx
    assert ctx.command_path.split()[:len(path)] == list(path), (line, ctx.command_path)


def test_the_walk_finds_every_command_and_group() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"geoplan", "geoplan run", "geoplan layers", "geoplan layers convert",
            "geoplan scenario schema", "geoplan map", "geoplan clean"} <= names
    assert len(names) == len(COMMANDS) >= 16


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_help_ends_with_examples_of_that_command(path: tuple[str, ...],
                                                        command: click.Command) -> None:
    lines = _example_lines(command)
    assert 1 <= len(lines) <= 2, f"{' '.join(path)}: give one or two examples, not {len(lines)}"
    for line in lines:
        words = shlex.split(line, comments=True)
        flags = [w for w in words if w.startswith("-")]
        assert [w for w in words if w not in flags][:len(path)] == list(path), line
        _parse(path, line)
        for word in words:  # files of this repository that an example names exist
            if word.startswith("scenarios/"):
                assert (ROOT / word).is_file(), f"{line}: no {word}"
    shown = CliRunner().invoke(cli, [*path[1:], "--help"], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert "Examples:" in shown.output
    for line in lines:  # kept on one line each, as written
        assert f"    {line}\n" in shown.output


def test_an_example_with_an_unknown_option_is_refused() -> None:
    """The parser check above can fail: an option the command does not have."""
    with pytest.raises(click.NoSuchOption):
        _parse(("geoplan", "run"), "geoplan run scenarios/joint.yaml --no-such-option")


@pytest.mark.parametrize("command", ["map", "export"])
@pytest.mark.parametrize("content", [None, b"", b"# geoplan\n\nnot a GeoPackage\n"])
def test_a_plan_that_is_not_a_geopackage_exits_2_naming_it_and_the_fix(
        tmp_path: Path, command: str, content: bytes | None) -> None:
    plan = ROOT / "README.md" if content is None else tmp_path / "plan.gpkg"
    if content is not None:
        plan.write_bytes(content)
    extra = ["--format", "csv"] if command == "export" else []
    result = CliRunner().invoke(cli, [command, str(plan), *extra, "-o",
                                      str(tmp_path / "out.html")])
    assert result.exit_code == 2, result.output
    assert "internal error" not in result.output
    assert str(plan) in result.output
    assert "plan.gpkg" in result.output
    assert "geoplan run" in result.output


def test_the_run_report_lists_every_file_the_run_wrote(tmp_path: Path, capsys) -> None:
    """The ``files:`` line comes from RunResult.files (map.png and map.pdf were left out)."""
    from types import SimpleNamespace

    from geoplan.cli.run import _report

    written = ("plan.gpkg", "grid_evidence.csv", "plan_shp", "rankings.csv", "summary.md",
               "map.html", "map.png", "map.pdf", "tornado.png", "manifest.json")
    for name in written:
        (tmp_path / name).write_text("x")
    streams = SimpleNamespace(enabled=lambda: ["chargers"])
    result = SimpleNamespace(
        folder=tmp_path, scenario=SimpleNamespace(name="demo", workstreams=streams),
        plans=SimpleNamespace(summaries=dict, tables={"chargers": [1, 2, 3]}),
        files=tuple(tmp_path / n for n in written),
        summary={"kpis": {"cost_gbp": 0.0}, "by_workstream": []})
    _report(result, 1.0)  # type: ignore[arg-type]
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == f"files (10, in {tmp_path}): " + ", ".join(written)
    # a workstream that chose nothing still has its line
    assert "  chargers           0 chosen of 3 candidates (summary.md: grid evidence, and " \
           "rankings.csv's reasons)" in lines
