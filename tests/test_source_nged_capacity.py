"""NGED network capacity map CSV reader, on CSV fixtures written in code."""

from __future__ import annotations

import csv
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
from pyproj import Transformer

from geoplan.errors import SourceFormatError
from geoplan.layers.grid import graph_from_substations
from geoplan.sources import detect_format, read_grid
from geoplan.sources.nged_capacity import read, sniff
from geoplan.years import value_in_year
from tests.conftest import real_file

HEADER = [
    "Network Reference ID", "Substation Name", "Parent Network Reference ID",
    "Substation Number", "Asset Type", "Group", "Upstream Voltage", "Downstream Voltage",
    "Fault Level Headroom", "Firm Capacity of Substation (MVA)",
    "Reverse Power Capability (MVA)", "Measured Peak Demand (MVA)", "Demand Headroom (MVA)",
    "Demand Headroom RAG", "Upstream Demand Headroom RAG", "Upstream Demand Headroom",
    "Generation Headroom (MVA)", "Generation Headroom RAG", "Latitude", "Longitude",
]
NAME = "network-capacity-map-16-01-2025.csv"


def _row(ref: str, name: str, kind: str, parent: str = "", **cells: str) -> dict[str, str]:
    row = {
        "Network Reference ID": ref, "Substation Name": name,
        "Parent Network Reference ID": parent, "Substation Number": f"S{ref}",
        "Asset Type": kind, "Group": "Banbury", "Upstream Voltage": "33",
        "Downstream Voltage": "11", "Firm Capacity of Substation (MVA)": "24.0",
        "Reverse Power Capability (MVA)": "12.0", "Measured Peak Demand (MVA)": "18.5",
        "Demand Headroom (MVA)": "5.5", "Demand Headroom RAG": "Amber",
        "Generation Headroom (MVA)": "3.0", "Latitude": "52.06", "Longitude": "-1.34",
    }
    return {**row, **cells}


ROWS = [
    _row("100", "Banbury GSP", "GSP", **{"Firm Capacity of Substation (MVA)": "240",
                                         "Measured Peak Demand (MVA)": "250.5",
                                         "Demand Headroom (MVA)": "-10.5",
                                         "Demand Headroom RAG": "Red"}),
    _row("200", "Banbury BSP", "Bulk Supply Point", parent="100.0",
         Latitude="52.0", Longitude="-1.3"),
    _row("300", "Adderbury", "primary", parent="200", Latitude="", Longitude=""),
    _row("400", "", "Primary", parent="200"),
    _row("500", "Orphan", "PRIMARY", parent="999", **{"Demand Headroom (MVA)": ""}),
]


def _write(path: Path, rows: list[dict[str, str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows([{h: row.get(h, "") for h in header} for row in rows])
    return path


@pytest.fixture
def capacity(tmp_path: Path) -> Path:
    return _write(tmp_path / NAME, ROWS)


def _bng(lon: float, lat: float) -> tuple[float, float]:
    return Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(lon, lat)


def test_reads_ids_levels_and_parents_by_reference(capacity: Path) -> None:
    subs = read(capacity).substations.set_index("substation_id")
    assert subs["level"].to_dict() == {"100": "gsp", "200": "bsp", "999": "bsp",
                                       "300": "primary", "500": "primary"}
    assert subs["parent_id"].to_dict() == {"100": None, "200": "100", "999": "100",
                                           "300": "200", "500": "999"}
    assert subs.loc["300", "name"] == "Adderbury"
    assert subs.loc["999", "name"] == "unnamed BSP 999"  # a reference the file only names
    assert subs.loc["999", "geometry"] is None


def test_capacity_demand_and_attributes(capacity: Path) -> None:
    subs = read(capacity).substations.set_index("substation_id")
    assert subs.loc["100", "firm_capacity_mva"] == pytest.approx(240.0)
    assert subs.loc["100", "peak_demand_mva"] == pytest.approx(250.5)
    assert subs.loc["100", "demand_rag"] == "Red"
    assert subs.loc["200", "substation_number"] == "S200"
    assert subs.loc["200", "reverse_power_mva"] == pytest.approx(12.0)
    assert subs.loc["200", "generation_headroom_mva"] == pytest.approx(3.0)


def test_locations_and_unlocated_rows(capacity: Path) -> None:
    grid = read(capacity)
    subs = grid.substations.set_index("substation_id")
    bsp = subs.loc["200", "geometry"]
    assert (bsp.x, bsp.y) == pytest.approx(_bng(-1.3, 52.0), abs=1.0)
    assert subs.loc["300", "geometry"] is None
    assert any(w.startswith("1 substation without any location (e.g. ['Adderbury'])")
               for w in grid.warnings)


def test_published_headroom(capacity: Path) -> None:
    head = read(capacity).headroom
    assert head["year"].isna().all()
    assert head.drop(columns="year").to_dict("records") == [
        {"substation_id": sid, "scenario": "published", "season": "peak",
         "headroom_mva": pytest.approx(value)}
        for sid, value in [("100", -10.5), ("200", 5.5), ("300", 5.5)]
    ]
    orphan = read(capacity).substations.set_index("substation_id").loc["500"]
    assert orphan["firm_capacity_mva"] == pytest.approx(24.0)  # kept though headroom is blank


def test_snapshot_has_no_year_unless_one_is_given(capacity: Path, tmp_path: Path) -> None:
    grid = read(capacity)
    assert grid.headroom["year"].isna().all()  # the file name's 2025 does not date it
    assert any(w.startswith("the capacity map is one published snapshot (its file name dates "
                            "it 2025)") for w in grid.warnings)
    assert set(read(capacity, year=2023).headroom["year"]) == {2023}
    plain = _write(tmp_path / "capacity.csv", ROWS)
    assert read(plain).headroom["year"].isna().all()
    applied = value_in_year(grid.headroom, 2040, value="headroom_mva")
    assert applied.to_dict() == {"100": -10.5, "200": 5.5, "300": 5.5}  # any plan year


def test_warnings_for_nameless_rows_and_unknown_parents(capacity: Path,
                                                       tmp_path: Path) -> None:
    warnings = read(capacity).warnings
    assert "1 row without a substation name skipped (file rows [5])" in warnings
    assert not any("parent identifiers do not match" in w for w in warnings)  # a BSP row
    stray = _write(tmp_path / NAME, [ROWS[0], _row("600", "Stray BSP", "BSP", parent="777")])
    assert any(w.startswith("1 parent identifiers do not match any substation")
               for w in read(stray).warnings)  # only a primary's parent is made a BSP


def test_unused_columns_and_order_do_not_matter(capacity: Path, tmp_path: Path) -> None:
    keep = ["Demand Headroom (MVA)", "Longitude", "Latitude", "Asset Type",
            "Measured Peak Demand (MVA)", "Firm Capacity of Substation (MVA)",
            "Substation Name", "Parent Network Reference ID", "Network Reference ID"]
    minimal = read(_write(tmp_path / NAME, ROWS, header=keep))
    full = read(capacity)
    assert minimal.headroom.equals(full.headroom)
    assert minimal.substations["parent_id"].equals(full.substations["parent_id"])


def test_every_bad_cell_is_reported_at_once(tmp_path: Path) -> None:
    rows = [
        _row("1", "Alpha", "GSP", **{"Firm Capacity of Substation (MVA)": "tbd soon"}),
        _row("2", "Bravo", "Switching Station", parent="1"),
        _row("3", "Charlie", "Primary", parent="1", Latitude="-1.3", Longitude="52"),
    ]
    with pytest.raises(SourceFormatError, match=r"4 problems in " + NAME) as caught:
        read(_write(tmp_path / NAME, rows))
    text = str(caught.value)
    assert (f"{NAME}, row 2, column 'Firm Capacity of Substation (MVA)': 'tbd soon' is not a "
            "number" in text)
    assert "row 3, column 'Asset Type': 'Switching Station' is not a substation level" in text
    assert "'primary substation'" in text  # the allowed values are listed
    assert "row 4, column 'Latitude': latitude '-1.3' is outside Great Britain" in text
    assert "row 4, column 'Longitude': longitude '52' is outside Great Britain" in text


def test_missing_column_is_reported(tmp_path: Path) -> None:
    header = [h for h in HEADER if h != "Parent Network Reference ID"]
    with pytest.raises(SourceFormatError,
                       match=rf"{NAME}, row 1: column 'Parent Network Reference ID' not found"):
        read(_write(tmp_path / NAME, ROWS, header=header))


def test_empty_file_and_file_without_rows_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(SourceFormatError, match=r"empty\.csv: the file is empty"):
        read(empty)
    with pytest.raises(SourceFormatError, match="the file has no substation rows"):
        read(_write(tmp_path / NAME, []))


def test_detected_and_read_through_the_registry(capacity: Path) -> None:
    assert detect_format(capacity) == "nged-capacity"
    assert read_grid(capacity).describe()["per_level"] == {"gsp": 1, "bsp": 2, "primary": 2}


def test_sniff_claims_only_the_nged_header() -> None:
    assert sniff([h.casefold() for h in HEADER])
    assert not sniff(["assetid", "substation", "substation type",
                      "estimated demand headroom (mva)"])
    assert not sniff(["ps name", "firm capacity (mva)", "demand (mva)", "geo(long,lat)"])


# -- a primaries-only file, as NGED publishes it (BSPs and GSPs only named) -------------------

HEADER_2023 = [
    "Network Reference ID", "Parent Network Reference ID", "Substation Name",
    "Substation Number", "Asset Type", "Latitude", "Longitude", "Fault Level Headroom", "Group",
    "Bulk Supply Point Name", "Primary Substation", "Upstream Voltage", "Downstream Voltage",
    "Firm Capacity of Substation (MVA)", "Reverse Power Capability (MVA)",
    "Measured Peak Demand (MVA)", "Demand Headroom (MVA)", "Generation Headroom (MVA)",
    "Demand Headroom RAG", "Upstream Demand Headroom RAG", "Upstream Demand Headroom",
    "Upstream Generation Headroom", "Statement of Works",
]
MAP_2023 = "nged-capacity-map-2023-02-28.csv"


def _primary(ref: str, name: str, parent: str, bsp: str, group: str,
             upstream: str) -> dict[str, str]:
    return _row(ref, name, "Primary", parent=parent, **{
        "Bulk Supply Point Name": bsp, "Group": group, "Upstream Demand Headroom": upstream,
        "Primary Substation": f"{name.upper()} 33kV", "Statement of Works": "none"})


PRIMARIES_ONLY = [
    _primary("1", "Adderbury", "9001", "Banbury 33kV", "East Claydon 132kV", "12.5"),
    _primary("2", "Bloxham", "9001", "Banbury 33kV", "East Claydon 132kV", "12.5"),
    _primary("3", "Hook Norton", "9001", "Bodicote 33kV", "Feckenham 66kV", "12.5"),
    _primary("4", "Deddington", "", "Banbury 33 kV", "East Claydon 132kV", "2.0"),
    _primary("5", "Kings Sutton", "", "Brackley 33", "East Claydon 132kV", "8.0"),
    _primary("6", "Evenley", "", "Brackley 33", "", "3.0"),
    _primary("7", "Wroxton", "0", "", "East Claydon 132kV", ""),
    _primary("8", "Lonely", "", "", "", ""),
    _primary("9", "Shenington", "9002", "", "Feckenham 66kV", ""),
    _primary("10", "Epwell", "9003", "Epwell 66 11 (T1)", "Feckenham 66kV", "0.0"),
    _primary("11", "Shipston", "9003", "Shipston 66 11 (T1)", "Feckenham 66kV", "0.0"),
]


@pytest.fixture
def primaries_only(tmp_path: Path) -> Path:
    return _write(tmp_path / MAP_2023, PRIMARIES_ONLY, header=HEADER_2023)


def test_named_bsps_and_gsps_become_rows(primaries_only: Path) -> None:
    subs = read(primaries_only).substations.set_index("substation_id")
    bsps = subs[subs["level"] == "bsp"]
    assert bsps["name"].to_dict() == {"9001": "Banbury 33kV", "9002": "unnamed BSP 9002",
                                      "9003": "unnamed BSP 9003",  # each names its own
                                      "bsp-BRACKLEY_33": "Brackley 33"}
    assert bsps["parent_id"].to_dict() == {"9001": "gsp-EAST_CLAYDON", "9002": "gsp-FECKENHAM",
                                           "9003": "gsp-FECKENHAM",
                                           "bsp-BRACKLEY_33": "gsp-EAST_CLAYDON"}
    assert subs.loc[subs["level"] == "gsp", "name"].to_dict() == {
        "gsp-EAST_CLAYDON": "East Claydon 132kV", "gsp-FECKENHAM": "Feckenham 66kV"}
    assert subs.loc[subs["level"] != "primary", "geometry"].isna().all()  # only named
    parents = subs.loc[subs["level"] == "primary", "parent_id"].to_dict()
    assert parents == {"1": "9001", "2": "9001", "3": "9001", "4": "9001",
                       "5": "bsp-BRACKLEY_33", "6": "bsp-BRACKLEY_33", "7": "gsp-EAST_CLAYDON",
                       "8": None, "9": "9002", "10": "9003", "11": "9003"}
    graph = graph_from_substations(read(primaries_only).substations)
    assert nx.is_directed_acyclic_graph(graph)


def test_bsp_headroom_is_the_smallest_upstream_figure(primaries_only: Path) -> None:
    head = read(primaries_only).headroom.set_index("substation_id")
    assert head.loc["9001", "headroom_mva"] == pytest.approx(12.5)  # not Deddington's 2.0
    assert head.loc["bsp-BRACKLEY_33", "headroom_mva"] == pytest.approx(3.0)
    assert "9002" not in head.index  # its primary states no upstream figure
    assert not head.index.str.startswith("gsp-").any()  # the file gives none for a GSP
    assert head.loc["4", "headroom_mva"] == pytest.approx(5.5)  # primaries keep their own
    assert set(head["scenario"]) == {"published"}
    assert head["year"].isna().all()


def test_disagreements_are_counted(primaries_only: Path) -> None:
    warnings = read(primaries_only).warnings
    assert ("1 rows give parent reference 0, NGED's placeholder for none; read as blank "
            "(their BSP is then found by name)") in warnings
    assert any(w.startswith("2 BSPs have primaries naming different BSP names (e.g. "
                            "references ['9001', '9003'])") for w in warnings)
    assert any(w.startswith("1 BSPs have primaries naming different GSP groups ('Group') "
                            "(e.g. references ['9001'])") for w in warnings)
    assert any(w.startswith("1 BSPs get different 'Upstream Demand Headroom' figures from "
                            "their primaries ('Brackley 33': 3 to 8 MVA from 2 primaries)")
               for w in warnings)
    assert any(w.startswith("1 primaries without a parent reference name a referenced BSP "
                            "but state another 'Upstream Demand Headroom' (e.g. BSPs "
                            "['9001'])") for w in warnings)


def test_name_shared_by_two_referenced_bsps_is_not_guessed(tmp_path: Path) -> None:
    rows = [_primary("1", "Aa", "71", "Bourne", "Walpole 132kV", "28.69"),
            _primary("2", "Bb", "72", "Bourne", "Walpole 132kV", "19.85"),
            _primary("3", "Cc", "", "Bourne", "Walpole 132kV", "5.0")]
    grid = read(_write(tmp_path / MAP_2023, rows, header=HEADER_2023))
    parents = grid.substations.set_index("substation_id")["parent_id"]
    assert (parents["1"], parents["2"], parents["3"]) == ("71", "72", "bsp-BOURNE")
    assert any(w.startswith("1 BSP names written by primaries without a parent reference "
                            "belong to several referenced BSPs (e.g. ['bsp-BOURNE'])")
               for w in grid.warnings)


# -- the real 2023 capacity map ---------------------------------------------------------------

REAL = "grid/nged-capacity-map-2023-02-28.csv"


def _raw(path: Path) -> pd.DataFrame:
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw["bsp"] = raw["Bulk Supply Point Name"].str.strip()
    raw["ref"] = raw["Parent Network Reference ID"].str.strip()
    raw["ref"] = raw["ref"].where(raw["ref"] != "0", "")  # NGED's placeholder for none
    raw["up"] = pd.to_numeric(raw["Upstream Demand Headroom"].str.strip().replace("", None))
    return raw


def _parent_levels(rows: pd.DataFrame, subs: pd.DataFrame) -> pd.Series:
    """Level of each row's parent (NaN for a root), looked up in the whole layer ``subs``."""
    return rows["parent_id"].map(dict(zip(subs["substation_id"], subs["level"], strict=True)))


@pytest.mark.real_data
def test_real_primaries_have_bsp_parents_where_the_file_names_one(real_data: Path) -> None:
    path = real_file(real_data, REAL)
    raw, subs = _raw(path), read(path).substations
    primaries = subs[subs["level"] == "primary"]
    assert len(primaries) == len(raw)
    without_bsp = int((_parent_levels(primaries, subs) != "bsp").sum())
    names_none = int(((raw["bsp"] == "") & (raw["ref"] == "")).sum())
    assert without_bsp == names_none
    assert without_bsp < len(raw) // 20  # was 1,029 of 1,087 before the BSP rows


@pytest.mark.real_data
def test_real_referenced_bsps_carry_the_upstream_headroom(real_data: Path) -> None:
    path = real_file(real_data, REAL)
    raw, grid = _raw(path), read(path)
    expected = raw[raw["ref"] != ""].groupby("ref")["up"].min().dropna()
    head = grid.headroom.set_index("substation_id")["headroom_mva"]
    assert len(expected) > 150
    assert head.reindex(expected.index).to_numpy() == pytest.approx(expected.to_numpy())
    bsps = grid.substations.loc[grid.substations["level"] == "bsp", "substation_id"]
    without = set(bsps) - set(head.index)
    with_figure = set(raw.loc[raw["up"].notna(), "ref"])
    assert not (without & with_figure)  # a BSP lacks headroom only when no primary gives it


@pytest.mark.real_data
def test_real_bsps_have_gsp_parents_where_a_group_is_given(real_data: Path) -> None:
    path = real_file(real_data, REAL)
    raw, subs = _raw(path), read(path).substations
    grouped = set(raw.loc[raw["Group"].str.strip() != "", "ref"]) - {""}
    bsps = subs[subs["substation_id"].isin(set(raw["ref"]) - {""})].set_index("substation_id")
    assert len(bsps) == raw.loc[raw["ref"] != "", "ref"].nunique()
    parent_level = _parent_levels(bsps, subs)
    assert (parent_level[sorted(grouped)] == "gsp").all()
    assert parent_level.drop(sorted(grouped)).isna().all()


@pytest.mark.real_data
def test_real_hierarchy_is_a_graph_without_cycles(real_data: Path) -> None:
    subs = read(real_file(real_data, REAL)).substations
    graph = graph_from_substations(subs)
    assert nx.is_directed_acyclic_graph(graph)
    assert graph.number_of_nodes() == len(subs)
    levels = subs["level"].value_counts().to_dict()
    assert levels["bsp"] > 150
    assert levels["gsp"] > 20


def test_a_name_the_bsp_does_not_go_by_joins_no_primary(tmp_path: Path) -> None:
    rows = [_primary("1", "Epwell", "81", "Epwell 66 11 (T1)", "Feckenham 66kV", "0.0"),
            _primary("2", "Stow", "81", "Stow 66 11 (T1)", "Feckenham 66kV", "0.0"),
            _primary("3", "Epwell B", "", "Epwell 66 11 (T1)", "Feckenham 66kV", "4.0")]
    subs = read(_write(tmp_path / MAP_2023, rows, header=HEADER_2023)).substations
    parents = subs.set_index("substation_id")["parent_id"]
    assert parents["3"] == "bsp-EPWELL_66_11_T1"  # not '81', which is left unnamed
    assert subs.set_index("substation_id").loc["81", "name"] == "unnamed BSP 81"
