"""A figure published in MW reaches the plan as the same kW, whatever the power factor.

MW files (UKPN, Northern Powergrid, SPEN) are read into MVA by dividing by the power factor of
``grid_units``; the plan turns MVA into kW by multiplying by the same factor
(:func:`geoplan.layers.grid.mva_to_kw`). MVA files are never touched by the factor on reading.
"""

from __future__ import annotations

from pathlib import Path

import pyogrio
import pytest
from click.testing import CliRunner

from geoplan.assumptions import read_assumptions
from geoplan.cli.main import cli
from geoplan.layers.grid import GRID_UNITS, mva_to_kw, power_factor
from geoplan.layers.read import read_layers
from geoplan.sources import read_grid
from tests.test_source_ukpn import ROWS, write

SHIPPED = power_factor(read_assumptions(GRID_UNITS))


def test_the_shipped_factor_is_a_power_factor_below_one() -> None:
    assert 0.8 <= SHIPPED < 1.0  # otherwise the tests below could not tell MW from MVA


@pytest.mark.parametrize("factor", [SHIPPED, 0.9, 1.0])
def test_a_mw_figure_reaches_the_plan_as_the_same_kw(tmp_path: Path, factor: float) -> None:
    head = read_layers(write(tmp_path, ROWS), "substations",
                       power_factor=factor).layers["headroom"]
    row = head[(head["substation_id"] == "EPN-S0001") & (head["year"] == 2025)]
    mva = float(row["headroom_mva"].iloc[0])
    assert mva == pytest.approx(35.2 / factor)  # the file says 35.2 MW
    assert mva_to_kw(mva, factor) == pytest.approx(35_200.0)


def test_an_mva_file_ignores_the_factor(small_sample: Path) -> None:
    report = small_sample / "grid/network-headroom-report.xlsx"
    plain = read_grid(report).headroom["headroom_mva"]
    given = read_grid(report, power_factor=0.5).headroom["headroom_mva"]
    assert given.equals(plain)


def test_layers_convert_uses_the_shipped_factor(tmp_path: Path) -> None:
    out = tmp_path / "grid.gpkg"
    result = CliRunner().invoke(cli, ["layers", "convert", str(write(tmp_path, ROWS)),
                                      "--kind", "substations", "-o", str(out)])
    assert result.exit_code == 0, result.output
    head = pyogrio.read_dataframe(out, layer="headroom")
    row = head[(head["substation_id"] == "EPN-S0001") & (head["year"] == 2025)]
    assert float(row["headroom_mva"].iloc[0]) == pytest.approx(35.2 / SHIPPED)
