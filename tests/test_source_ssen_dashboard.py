"""SSEN headroom dashboard CSV reader, on CSV fixtures written in code.

SSEN's live dashboard file is not stored with the real data; the header below is the
35-column header of the published "Headroom Dashboard Data" CSV.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from pyproj import Transformer

from geoplan.errors import SourceFormatError
from geoplan.sources import detect_format, read_grid
from geoplan.sources.ssen_dashboard import read, sniff

HEADER = [
    "AssetID", "GSP Grouping / Default Order", "Map / License Area", "Substation",
    "Upstream GSP", "Upstream BSP", "Substation Type", "Voltage (kV)", "Location Latitude",
    "Location Longitude", "Grid Reference", "Substation Comment", "LTDS CIM Nodes",
    "Transformer Nameplate Ratings", "Single Transformer Site",
    "Maximum Observed Gross Demand (MVA)", "Minimum Observed Gross Demand (MVA)",
    "Contracted Demand Excl BESS (MVA)", "Contracted BESS Demand (MVA)",
    "Estimated Demand Headroom (MVA)", "Substation Demand RAG Status", "Demand Constraint",
    "TIA Threshold", "Connected Generation (MW)", "Contracted Generation (MW)",
    "Technical Limits Agreed at GSP", "Estimated Generation Headroom (MW)",
    "3-Phase Break Fault Rating (kA)", "3-Phase Break Fault Level (kA)",
    "Substation Generation RAG Status", "Generation Constraint",
    "Upstream Reinforcement Works", "Upstream Reinforcement Completion Date",
    "Substation Reinforcement Works", "Substation Reinforcement Completion Date",
]
NAME = "headroom-dashboard-data-march-2026.csv"
SP_REF = "SP 51259 05741"  # centre of that 1 m square: (451259.5, 205741.5)


def _row(asset: str, name: str, kind: str, gsp: str = "N/A", bsp: str = "N/A",
         **cells: str) -> dict[str, str]:
    row = {
        "AssetID": asset, "GSP Grouping / Default Order": asset,
        "Map / License Area": "England / SEPD", "Substation": name, "Upstream GSP": gsp,
        "Upstream BSP": bsp, "Substation Type": kind, "Voltage (kV)": "33",
        "Location Latitude": "51.75", "Location Longitude": "-1.25", "Grid Reference": "",
        "Transformer Nameplate Ratings": "2 x 20MVA", "Single Transformer Site": "No",
        "Maximum Observed Gross Demand (MVA)": "15.0",
        "Minimum Observed Gross Demand (MVA)": "4.0",
        "Contracted Demand Excl BESS (MVA)": "6.0", "Estimated Demand Headroom (MVA)": "2.5",
        "Substation Demand RAG Status": "Red", "Demand Constraint": "Substation Thermal",
        "Estimated Generation Headroom (MW)": "10.0",
        "Substation Reinforcement Works": "", "Substation Reinforcement Completion Date": "",
    }
    return {**row, **cells}


ROWS = [
    _row("E-ALPHA-01", "Alpha GSP", "GSP", **{
        "Location Latitude": "51.5", "Location Longitude": "-1.1",
        "Transformer Nameplate Ratings": "2 x 120MVA", "Maximum Observed Gross Demand (MVA)":
        "90.5", "Estimated Demand Headroom (MVA)": "14.5",
        "Substation Reinforcement Works": "Transmission works:\nAdd transformer",
        "Substation Reinforcement Completion Date": "Oct-26"}),
    _row("E-HUB-02", "Hub BSP", "Bulk Supply Point", gsp="Alpha GSP", **{
        "Location Latitude": "", "Location Longitude": "", "Grid Reference": SP_REF,
        "Transformer Nameplate Ratings": "1 x 12.5 2 x 11.5",
        "Estimated Demand Headroom (MVA)": "-1.5"}),
    _row("E-LEAF-03", "Leaf Primary", "primary", gsp="Alpha GSP", bsp="Hub BSP", **{
        "Location Latitude": "", "Location Longitude": "", "Grid Reference": "",
        "Transformer Nameplate Ratings": "1 x 24MVA", "Single Transformer Site": "Yes",
        "Estimated Demand Headroom (MVA)": "N/A"}),
    _row("E-X-04", "", "Primary", gsp="Alpha GSP"),
    _row("E-SOLO-05", "Solo", "Primary Substation", gsp="Alpha GSP", **{
        "Transformer Nameplate Ratings": "Shared with another DNO"}),
]


def _write(path: Path, rows: list[dict[str, str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows([{h: row.get(h, "") for h in header} for row in rows])
    return path


@pytest.fixture
def dashboard(tmp_path: Path) -> Path:
    return _write(tmp_path / NAME, ROWS)


def _bng(lon: float, lat: float) -> tuple[float, float]:
    return Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(lon, lat)


def test_reads_ids_levels_and_parents(dashboard: Path) -> None:
    subs = read(dashboard).substations.set_index("substation_id")
    assert subs["level"].to_dict() == {"E-ALPHA-01": "gsp", "E-HUB-02": "bsp",
                                       "E-LEAF-03": "primary", "E-SOLO-05": "primary"}
    assert subs["parent_id"].to_dict() == {"E-ALPHA-01": None, "E-HUB-02": "E-ALPHA-01",
                                           "E-LEAF-03": "E-HUB-02", "E-SOLO-05": "E-ALPHA-01"}
    assert subs.loc["E-LEAF-03", "name"] == "Leaf Primary"


def test_capacity_demand_and_attributes(dashboard: Path) -> None:
    subs = read(dashboard).substations.set_index("substation_id")
    assert subs.loc["E-ALPHA-01", "firm_capacity_mva"] == pytest.approx(120.0)
    assert subs.loc["E-HUB-02", "firm_capacity_mva"] == pytest.approx(23.0)
    assert np.isnan(subs.loc["E-LEAF-03", "firm_capacity_mva"])  # single transformer site
    assert np.isnan(subs.loc["E-SOLO-05", "firm_capacity_mva"])  # free text
    assert subs.loc["E-ALPHA-01", "peak_demand_mva"] == pytest.approx(90.5)
    alpha = subs.loc["E-ALPHA-01"]
    assert alpha["reinforcement"] == "Transmission works: Add transformer"
    assert alpha["reinforcement_date"] == "Oct-26"
    assert alpha["demand_rag"] == "Red"
    assert alpha["licence_area"] == "England / SEPD"
    assert alpha["generation_headroom_mw"] == pytest.approx(10.0)


def test_locations_from_lat_lon_grid_ref_or_none(dashboard: Path) -> None:
    grid = read(dashboard)
    subs = grid.substations.set_index("substation_id")
    alpha = subs.loc["E-ALPHA-01", "geometry"]
    assert (alpha.x, alpha.y) == pytest.approx(_bng(-1.1, 51.5), abs=1.0)
    hub = subs.loc["E-HUB-02", "geometry"]
    assert (hub.x, hub.y) == pytest.approx((451259.5, 205741.5), abs=1.0)
    assert subs.loc["E-LEAF-03", "geometry"] is None
    assert "1 substation without latitude/longitude placed at the grid reference" in grid.warnings
    assert any(w.startswith("1 substation without any location (e.g. ['Leaf Primary'])")
               for w in grid.warnings)


def test_published_headroom_with_year_from_file_name(dashboard: Path) -> None:
    head = read(dashboard).headroom
    assert head.to_dict("records") == [
        {"substation_id": sid, "scenario": "published", "year": 2026, "season": "peak",
         "headroom_mva": pytest.approx(value)}
        for sid, value in [("E-ALPHA-01", 14.5), ("E-HUB-02", -1.5), ("E-SOLO-05", 2.5)]
    ]


def test_year_argument_and_file_name_without_year(dashboard: Path, tmp_path: Path) -> None:
    assert set(read(dashboard, year=2024).headroom["year"]) == {2024}
    plain = _write(tmp_path / "dashboard.csv", ROWS)
    assert read(plain).headroom["year"].isna().all()


def test_warnings_for_nameless_rows_and_unread_nameplates(dashboard: Path) -> None:
    warnings = read(dashboard).warnings
    assert "1 row without a substation name skipped (file rows [5])" in warnings
    assert any(w.startswith("1 transformer nameplate texts do not list units")
               and "Shared with another DNO" in w for w in warnings)


def test_column_order_and_unused_columns_do_not_matter(dashboard: Path,
                                                       tmp_path: Path) -> None:
    header = [*reversed(HEADER), "Something New"]
    moved = _write(tmp_path / NAME, ROWS, header=header)
    left, right = read(dashboard).substations, read(moved).substations
    assert left.drop(columns="geometry").equals(right.drop(columns="geometry"))
    assert left.geometry.geom_equals(right.geometry).sum() == 3  # the 4th has no geometry


def test_firm_capacity_column_is_used_when_present(tmp_path: Path) -> None:
    header = [*HEADER, "Firm Capacity (MVA)"]
    rows = [_row("E-ALPHA-01", "Alpha", "GSP", **{"Firm Capacity (MVA)": "99"})]
    subs = read(_write(tmp_path / NAME, rows, header=header)).substations
    assert subs["firm_capacity_mva"].tolist() == [99.0]


def test_every_bad_cell_is_reported_at_once(tmp_path: Path) -> None:
    rows = [
        _row("E-A-01", "Alpha", "GSP", **{"Maximum Observed Gross Demand (MVA)": "high"}),
        _row("E-B-02", "Bravo", "Secondary-ish", gsp="Alpha"),
        _row("E-C-03", "Charlie", "Primary", gsp="Alpha", **{
            "Location Latitude": "", "Grid Reference": "SP 512"}),
        _row("E-D-04", "Delta", "Primary", gsp="Alpha", **{
            "Estimated Demand Headroom (MVA)": "2,5 MVA?"}),
    ]
    with pytest.raises(SourceFormatError, match=r"4 problems in " + NAME) as caught:
        read(_write(tmp_path / NAME, rows))
    text = str(caught.value)
    assert (f"{NAME}, row 2, column 'Maximum Observed Gross Demand (MVA)': 'high' is not a "
            "number" in text)
    assert "row 3, column 'Substation Type': 'Secondary-ish' is not a substation level" in text
    assert "'bulk supply point', 'grid supply point', 'gsp', 'primary'" in text  # allowed
    assert "row 4, column 'Grid Reference': 'SP 512' is not an OS grid reference" in text
    assert "row 5, column 'Estimated Demand Headroom (MVA)': '2,5 MVA?' is not a number" in text


def test_missing_column_is_reported(tmp_path: Path) -> None:
    header = [h for h in HEADER if h != "Upstream BSP"]
    with pytest.raises(SourceFormatError,
                       match=rf"{NAME}, row 1: column 'Upstream BSP' not found"):
        read(_write(tmp_path / NAME, ROWS, header=header))


def test_file_without_rows_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceFormatError, match="the file has no substation rows"):
        read(_write(tmp_path / NAME, []))


def test_empty_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / NAME
    empty.write_text("")
    with pytest.raises(SourceFormatError, match="the file is empty"):
        read(empty)


def test_detected_and_read_through_the_registry(dashboard: Path) -> None:
    assert detect_format(dashboard) == "ssen-dashboard"
    assert read_grid(dashboard).describe()["per_level"] == {"gsp": 1, "bsp": 1, "primary": 2}


def test_sniff_claims_only_the_dashboard_header() -> None:
    assert sniff([h.casefold() for h in HEADER])
    assert not sniff(["ps name", "firm capacity (mva)", "demand (mva)", "geo(long,lat)", "gsp"])
    assert not sniff(["network reference id", "substation name", "asset type",
                      "demand headroom (mva)"])
