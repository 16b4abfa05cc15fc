"""``geoplan layers formats`` lists every grid format with its scenario names and units."""

from __future__ import annotations

import importlib
from pathlib import Path

from click.testing import CliRunner

from geoplan.cli.main import cli
from geoplan.sources import FORMATS


def _blocks(output: str) -> dict[str, str]:
    """Format name -> its lines, from the command's output (each format starts a line)."""
    blocks: dict[str, str] = {}
    current = None
    for line in output.splitlines():
        if line and not line[0].isspace():
            current = line.split()[0]
            blocks[current] = line
        elif current is not None:
            blocks[current] += "\n" + line
    return blocks


def test_formats_lists_every_format_with_scenarios_and_units() -> None:
    result = CliRunner().invoke(cli, ["layers", "formats"])
    assert result.exit_code == 0, result.output
    blocks = _blocks(result.output)
    assert list(blocks) == list(FORMATS)
    for fmt, module in FORMATS.items():
        reader = importlib.import_module(module)
        assert reader.LABEL in blocks[fmt]
        assert f"units: {reader.UNITS}" in blocks[fmt]
        assert reader.UNITS in ("MVA", "MW")
        for scenario in reader.SCENARIOS:
            assert str(scenario) in blocks[fmt], (fmt, scenario)


def test_dno_formats_name_their_scenarios() -> None:
    output = CliRunner().invoke(cli, ["layers", "formats"]).output
    blocks = _blocks(output)
    assert "CT (Consumer Transformation)" in blocks["ssen-headroom-report"]
    assert "NPg Best View" in blocks["npg-ndp"]
    assert "units: MW" in blocks["npg-ndp"]
    assert "Holistic Transition" in blocks["ukpn-dfes"]
    assert "HT" in blocks["spen-nshr"]
    assert "scenarios: published; units: MVA" in blocks["nged-capacity"]
    assert "as named in the file or the mapping" in blocks["generic"]


def test_readme_lists_every_format_with_its_units() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip().strip("`"): [c.strip() for c in line.split("|")[1:-1]]
            for line in readme.splitlines() if line.startswith("| `")}
    for fmt, module in FORMATS.items():
        assert fmt in rows, fmt
        assert rows[fmt][-1] == importlib.import_module(module).UNITS, fmt
