"""Hostile-input corpus: every reader of ``geoplan layers validate`` and scenario loading.

Each case builds one bad (or awkward but valid) file in code from the sample county's files
and runs it through the CLI. A case passes when the outcome is one of the two the project
allows (issue 11): exit 2 with a message naming the file, the row/column and value where
they matter, and a fix; or exit 0 with a correct read whose warnings count what was changed.
``tests/README.md`` ("Hostile files") lists every case; a test checks the table is complete.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from geoplan.cli.main import cli
from tests.hostile_inputs import (
    EPC,
    GRID,
    Build,
    bad_vertex,
    bom,
    changed_bytes,
    changed_text,
    changed_text_from,
    crlf,
    cut_mid_row,
    device,
    drop_column,
    epc_folders,
    epc_with_loop,
    folder,
    gb_primaries,
    grid_points,
    header_only,
    in_folder,
    loop,
    nul_inside,
    raw,
    relabel,
    repeat_row,
    sample,
    semicolons,
    set_cell,
    shift,
    short_row,
    sparse,
    swap_xy,
    tabs,
    utf16,
    utf16_no_bom,
    vector,
    without_prj,
)

ZONES = "boundaries/zones.gpkg"
DISTRICTS = "boundaries/districts.gpkg"
POSTCODES = "postcodes/codepoint.csv"
UPRN = "uprn/osopenuprn.csv"
VEHICLES = "ev/vehicles_by_zone.csv"
HOUSEHOLDS = "ev/households_by_zone.csv"
CHARGERS = "ev/chargepoints.csv"
SITES = "sites/car_parks.geojson"
LAND = "land/land_cover.tif"
# minimal and runnable: the sample report, like SSEN's, gives no GSP figures (geoplan validate
# runs the pre-flight of geoplan run, which stops at a level without figures unless listed)
SCENARIO = "name: hostile\ninputs: {sample: small}\ngrid: {unconstrained_levels: [gsp]}\n"
FIX = r"\bfix\b|save it as|download it again"

Command = Callable[[Path, Path], list[str]]


@dataclass(frozen=True)
class Case:
    """One hostile input: how to build it, what it is, and the outcome required."""

    name: str
    build: Build
    command: Callable[[Path, Path], list[str]]  # (hostile file, sample folder) -> CLI args
    code: int
    expect: tuple[str, ...]  # regular expressions, each must match the output
    input: str
    outcome: str


# --- commands -----------------------------------------------------------------------------


def validate(kind: str, *extra: str) -> Command:
    """``geoplan layers validate FILE --kind KIND`` plus options (sample paths as ``S/...``)."""
    def command(path: Path, root: Path) -> list[str]:
        options = [str(root / e[2:]) if e.startswith("S/") else e for e in extra]
        return ["layers", "validate", str(path), "--kind", kind, *options]
    return command


def buildings(option: str) -> Command:
    """Buildings from the sample's Oxford certificates, the hostile file as ``option``."""
    def command(path: Path, root: Path) -> list[str]:
        given = {"--postcodes": root / POSTCODES}
        given[option] = path
        args = [x for k, v in given.items() for x in (k, str(v))]
        return ["layers", "validate", str(root / EPC), "--kind", "buildings", *args]
    return command


def ev_with(option: str) -> Command:
    """EV demand from the sample's tables and zones, the hostile file as ``option``."""
    def command(path: Path, root: Path) -> list[str]:
        given = {"source": root / VEHICLES, "--zones": root / ZONES}
        given[option] = path
        options = [x for k, v in given.items() if k != "source" for x in (k, str(v))]
        return ["layers", "validate", str(given["source"]), "--kind", "ev_demand", *options]
    return command


def convert_ev_with_zones(path: Path, root: Path) -> list[str]:
    return ["layers", "convert", str(root / VEHICLES), "--kind", "ev_demand", "--zones",
            str(path), "-o", str(path.parent / "out.gpkg")]


def scenario(path: Path, root: Path) -> list[str]:
    return ["validate", str(path)]


SUBSTATIONS = validate("substations")
GENERIC = validate("substations", "--format", "generic", "--map", "name=name",
                   "--map", "firm_capacity_mva=firm_capacity_mva",
                   "--map", "peak_demand_mva=peak_demand_mva")
ZONE = validate("zones")
POSTCODE = buildings("--postcodes")
UPRNS = buildings("--uprn")
VEHICLE = ev_with("source")
HOUSEHOLD = ev_with("--households")
EV_ZONES = ev_with("--zones")
CHARGER = validate("chargers")
SITE = validate("sites", "--site-kind", "car_park")
LANDS = validate("land")


def refused(name: str, build: Build, command: Command, input_: str, *expect: str,
            outcome: str, fix: bool = True) -> Case:
    """An input that must be refused: exit 2, the file named, ``expect`` and a fix shown."""
    return Case(name, build, command, 2, (*expect, *((FIX,) if fix else ())), input_,
                f"exit 2: {outcome}")


def read(name: str, build: Build, command: Command, input_: str, *expect: str,
         outcome: str) -> Case:
    """An input that must be read: exit 0 and ``expect`` (counts, warnings) in the report."""
    return Case(name, build, command, 0, expect, input_, f"exit 0: {outcome}")


def _epc(name: str, change: Callable[[str], str | bytes]) -> Build:
    return changed_text(EPC, name, change, keep_folder=True)


BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True))
POSTCODE_ONLY = validate("buildings", "--postcodes", "S/" + POSTCODES)
EPC_FILE = re.escape("domestic-E07000178-Oxford/certificates.csv")
CUT = r"it is the last row: the file looks truncated"

CASES: list[Case] = [
    # --- substations: the SSEN headroom report (the sample's grid workbook) ---------------
    read("grid_report_sample", sample(GRID), SUBSTATIONS, "the sample's headroom workbook",
         r"substations: \d+ \(gsp 4, bsp 11, primary 71\)", outcome="read, counts shown"),
    refused("grid_report_truncated", changed_bytes(GRID, "report.xlsx", lambda b: b[:len(b) // 2]),
            SUBSTATIONS, "workbook cut in half", r"not a readable spreadsheet",
            outcome="not a readable spreadsheet"),
    refused("grid_report_empty", raw("report.xlsx", b""), SUBSTATIONS, "0-byte .xlsx",
            r"the file is empty", outcome="the file is empty"),
    refused("grid_report_nul", raw("report.xlsx", b"\x00" * 4096), SUBSTATIONS,
            "4 KB of NUL bytes named .xlsx", r"not a readable spreadsheet",
            outcome="not a readable spreadsheet"),
    refused("grid_report_is_text", raw("report.xlsx", "a,b\n1,2\n"), SUBSTATIONS,
            "a CSV renamed .xlsx", r"not a readable spreadsheet",
            outcome="not a readable spreadsheet"),
    refused("grid_folder", folder("report.xlsx"), SUBSTATIONS, "a folder named report.xlsx",
            r"is a folder, not a grid file", outcome="is a folder"),
    refused("grid_dev_null", device, SUBSTATIONS, "/dev/null as the grid file",
            r"/dev/null: is a device such as /dev/null", outcome="is a device"),
    refused("grid_symlink_loop", loop("grid.xlsx"), SUBSTATIONS, "a symlink to itself",
            r"symlink loop", outcome="symlink loop named"),
    refused("grid_csv_unknown", raw("grid.csv", "a,b\n1,2\n"), SUBSTATIONS,
            "a CSV in no known grid layout", r"not a grid format geoplan recognises",
            r"--format generic", outcome="not a grid format; how to map it"),
    refused("grid_csv_sparse_2gb", sparse("grid.csv"), SUBSTATIONS,
            "2 GB sparse file of NUL bytes (.csv)", r"holds NUL bytes",
            outcome="refused from its first bytes (no memory used)"),
    # --- substations: the GB primaries CSV, written from the sample's grid --------------
    read("gb_primaries_sample", gb_primaries("gb.csv"), SUBSTATIONS,
         "the sample's primaries as a GB primaries CSV", r"read as gb-primaries",
         r"primary 71", outcome="read"),
    refused("gb_primaries_header_only", gb_primaries("gb.csv", header_only), SUBSTATIONS,
            "header row only", r"gb\.csv: no rows", outcome="no rows (was IndexError)"),
    refused("gb_primaries_cut_mid_row", gb_primaries("gb.csv", cut_mid_row), SUBSTATIONS,
            "file cut inside a row", r"gb\.csv, row \d+: has \d values, expected 7; " + CUT,
            outcome="line named, truncated (was a phantom substation)"),
    refused("gb_primaries_three_of_seven", gb_primaries("gb.csv", short_row(5)), SUBSTATIONS,
            "row 6 has 3 of 7 fields", r"gb\.csv, row 6: has 3 values, expected 7",
            outcome="line named (was kept)"),
    refused("gb_primaries_empty", raw("gb.csv", b""), SUBSTATIONS, "0-byte CSV",
            r"gb\.csv: the file is empty", outcome="the file is empty"),
    refused("gb_primaries_utf16", gb_primaries("gb.csv", utf16), SUBSTATIONS,
            "saved as UTF-16 (with BOM)", r"gb\.csv: this file looks UTF-16 encoded",
            r"comma-separated UTF-8", outcome="encoding named"),
    refused("gb_primaries_utf16_no_bom", gb_primaries("gb.csv", utf16_no_bom), SUBSTATIONS,
            "UTF-16LE without BOM", r"this file looks UTF-16 encoded", outcome="encoding named"),
    refused("gb_primaries_semicolons", gb_primaries("gb.csv", semicolons), SUBSTATIONS,
            "semicolon-separated",
            r"gb\.csv: line 1 is semicolon-separated.*looks semicolon-separated",
            r"comma-separated UTF-8", outcome="delimiter named"),
    refused("gb_primaries_tabs", gb_primaries("gb.csv", tabs), SUBSTATIONS, "tab-separated",
            r"this file looks tab-separated", outcome="delimiter named"),
    refused("gb_primaries_nul_inside", gb_primaries("gb.csv", nul_inside), SUBSTATIONS,
            "64 NUL bytes at byte 300", r"gb\.csv: holds NUL bytes \(the first at byte 300\)",
            outcome="binary content named"),
    refused("gb_primaries_swapped", gb_primaries("gb.csv", set_cell(1, 4, "51.75,-1.25")),
            SUBSTATIONS, "row 2 written 'latitude,longitude'",
            r"row 2, column 'Geo\(Long,Lat\)': '51\.75,-1\.25' is outside Great Britain",
            r"look swapped", outcome="row, column, value; swap named"),
    refused("gb_primaries_outside_gb", gb_primaries("gb.csv", set_cell(3, 4, "10.5,40.2")),
            SUBSTATIONS, "row 4 in Italy", r"row 4, column 'Geo\(Long,Lat\)': '10\.5,40\.2'",
            outcome="row, column, value"),
    refused("gb_primaries_missing_column", gb_primaries("gb.csv", drop_column("DNO")),
            SUBSTATIONS, "no DNO column", r"not a grid format|column 'DNO' not found",
            outcome="not recognised; columns listed"),
    refused("gb_primaries_no_name", gb_primaries("gb.csv", set_cell(2, 0, "")), SUBSTATIONS,
            "row 3 without a name", r"row 3, column 'PS Name': the substation has no name",
            outcome="row and column"),
    read("gb_primaries_exact_duplicate", gb_primaries("gb.csv", repeat_row(1)), SUBSTATIONS,
         "row 2 repeated at the end", r"1 rows repeat an earlier row exactly",
         r"warnings: [1-9]", outcome="read; duplicate dropped and counted"),
    read("gb_primaries_crlf", gb_primaries("gb.csv", crlf), SUBSTATIONS,
         "Windows line endings", r"primary 71", outcome="read"),
    read("gb_primaries_utf8_bom", gb_primaries("gb.csv", bom), SUBSTATIONS,
         "UTF-8 with byte-order mark", r"primary 71", outcome="read"),
    # --- substations: any point layer or CSV read with --format generic -----------------
    read("generic_sample", grid_points("subs.gpkg"), GENERIC,
         "the sample's primaries as a plain GeoPackage", r"read as generic", r"primary 71",
         outcome="read"),
    refused("generic_wrong_crs", grid_points("subs.gpkg", lambda f: relabel(f, "EPSG:4326")),
            GENERIC, "eastings/northings labelled EPSG:4326",
            r"subs\.gpkg: the file declares EPSG:4326 .* which are not degrees",
            r"look like British National Grid", outcome="CRS contradiction named"),
    refused("generic_nan_vertex", grid_points("subs.gpkg", bad_vertex(float("nan"))),
            GENERIC, "a point with a NaN easting", r"NaN or infinite \(feature numbers \[1\]\)",
            outcome="feature named"),
    refused("generic_missing_column",
            grid_points("subs.gpkg", lambda f: f.drop(columns="firm_capacity_mva")), GENERIC,
            "mapped column absent", r"firm_capacity_mva", outcome="column named"),
    refused("generic_truncated", changed_bytes(GRID, "report.gpkg", lambda b: b[:1000]),
            validate("substations"), "1 KB of a file named .gpkg",
            r"report\.gpkg: cannot be read as a vector file", outcome="cannot be read"),
    refused("generic_csv_header_only", grid_points("subs.csv", lambda f: f.iloc[:0]), GENERIC,
            "CSV header only", r"subs\.csv: no rows", outcome="no rows"),
    refused("generic_csv_short_row",
            changed_text_from(grid_points("subs.csv"), "short.csv", short_row(4, 2)), GENERIC,
            "row 5 with 2 of 3 values", r"short\.csv, row 5: has 2 values, expected 3",
            outcome="line named"),
    # --- zones -------------------------------------------------------------------------------
    read("zones_sample", sample(ZONES), ZONE, "the sample's LSOA boundaries",
         r"zones: 430 covering", r"warnings: 0", outcome="read"),
    refused("zones_truncated", changed_bytes(ZONES, "zones.gpkg", lambda b: b[:50_000]), ZONE,
            "GeoPackage cut at 50 KB", r"zones\.gpkg: cannot be read as a vector file",
            r"damaged or cut short", outcome="damaged file named"),
    refused("zones_empty_file", raw("zones.gpkg", b""), ZONE, "0-byte .gpkg",
            r"zones\.gpkg: cannot be read", outcome="cannot be read"),
    refused("zones_nul", raw("zones.gpkg", b"\x00" * 4096), ZONE, "NUL bytes named .gpkg",
            r"zones\.gpkg: cannot be read", outcome="cannot be read"),
    refused("zones_text_as_geojson", raw("zones.geojson", "LSOA21CD,geometry\nE1,x\n"), ZONE,
            "CSV text named .geojson", r"zones\.geojson: cannot be read", outcome="cannot be read"),
    refused("zones_folder_without_vectors", folder("zones"), ZONE, "an empty folder",
            r"no vector files", outcome="no vector files; suffixes listed"),
    refused("zones_dev_null", device, ZONE, "/dev/null", r"is a device", outcome="is a device"),
    refused("zones_symlink_loop", loop("zones.gpkg"), ZONE, "a symlink to itself",
            r"symlink loop", outcome="symlink loop named"),
    refused("zones_folder_with_loop", in_folder(sample(ZONES), "zones", loop("loop.gpkg")),
            ZONE, "a folder of zones holding a symlink loop",
            r"loop\.gpkg: is a symbolic link that leads back to itself",
            outcome="the looping entry named"),
    refused("zones_wrong_crs", vector(ZONES, "zones.gpkg", lambda f: relabel(f, "EPSG:4326")),
            ZONE, "eastings/northings labelled EPSG:4326",
            r"declares EPSG:4326 .* not degrees \(they look like British National Grid",
            outcome="CRS contradiction (was 'not polygons')"),
    refused("zones_degrees_labelled_bng",
            vector(ZONES, "zones.gpkg", lambda f: relabel(f.to_crs(4326), "EPSG:27700")),
            ZONE, "longitude/latitude labelled EPSG:27700", r"lie outside Great Britain",
            outcome="outside Great Britain"),
    refused("zones_swapped_lat_lon", vector(ZONES, "zones.geojson", swap_xy), ZONE,
            "GeoJSON written [lat, lon]", r"430 of 430 zones lie outside Great Britain",
            r"look like \[latitude, longitude\]", outcome="swap named (was accepted)"),
    refused("zones_outside_gb", vector(ZONES, "zones.gpkg", lambda f: shift(f, 7.5e6, -5.8e6)),
            ZONE, "moved to x 7.5M, y -5.8M", r"zones lie outside Great Britain \(feature",
            outcome="features named (was accepted)"),
    refused("zones_nan_vertex", vector(ZONES, "zones.gpkg", bad_vertex(float("nan"))), ZONE,
            "a NaN vertex in zone 1", r"1 features have a coordinate that is NaN or infinite",
            outcome="feature named (was a GEOS exception)"),
    refused("zones_inf_vertex", vector(ZONES, "zones.gpkg", bad_vertex(float("inf"))), ZONE,
            "an infinite vertex in zone 1", r"NaN or infinite \(feature numbers \[1\]\)",
            outcome="feature named (was a GEOS exception)"),
    refused("zones_missing_id_column",
            vector(ZONES, "zones.gpkg", lambda f: f.drop(columns=["LSOA21CD", "LAD21CD"])),
            ZONE, "no code columns", r"no zone id column recognised", r"--id-column",
            outcome="columns listed; option named"),
    refused("zones_duplicated_ids",
            vector(ZONES, "zones.gpkg", lambda f: f.assign(LSOA21CD=f["LSOA21CD"].where(
                f.index != 1, f["LSOA21CD"].iloc[0]))),
            ZONE, "two zones share an id", r"zone ids are repeated", outcome="ids named"),
    refused("zones_no_crs", without_prj(ZONES, "zones.shp"), ZONE, "Shapefile without .prj",
            r"declares no coordinate reference system", r"--crs",
            outcome="option to declare it named"),
    refused("zones_points", vector(ZONES, "zones.gpkg", lambda f: f.set_geometry(f.centroid)),
            ZONE, "centroids instead of polygons", r"are not polygons",
            outcome="features named"),
    refused("zones_empty_layer", vector(ZONES, "zones.gpkg", lambda f: f.iloc[:0]), ZONE,
            "a layer with no features", r"layer is empty", outcome="layer is empty"),
    # --- buildings: EPC certificates (one district folder of the sample) ---------------
    read("epc_sample", sample(EPC), POSTCODE_ONLY, "the sample's Oxford certificates",
         r"certificates: 1,783 in 1 files", outcome="read"),
    refused("epc_header_only", _epc("certificates.csv", header_only), POSTCODE_ONLY,
            "header row only", EPC_FILE + r": no rows", outcome="no rows, full path"),
    refused("epc_cut_mid_row", _epc("certificates.csv", cut_mid_row), POSTCODE_ONLY,
            "file cut inside a row", EPC_FILE + r", row \d+: .*(truncated|never closed)",
            outcome="line named, full path"),
    refused("epc_empty", _epc("certificates.csv", lambda t: ""), POSTCODE_ONLY, "0-byte file",
            EPC_FILE + r": the file is empty", outcome="empty, full path"),
    refused("epc_utf16", _epc("certificates.csv", utf16), POSTCODE_ONLY, "UTF-16",
            EPC_FILE + r": this file looks UTF-16 encoded", outcome="encoding named"),
    refused("epc_semicolons", _epc("certificates.csv", semicolons), POSTCODE_ONLY,
            "semicolon-separated", EPC_FILE + r": line 1 is semicolon-separated",
            outcome="delimiter named"),
    refused("epc_nul", _epc("certificates.csv", nul_inside), POSTCODE_ONLY, "NUL bytes",
            EPC_FILE + r": holds NUL bytes", outcome="binary content named"),
    refused("epc_missing_required", _epc("certificates.csv", drop_column("CURRENT_ENERGY_RATING")),
            POSTCODE_ONLY, "no CURRENT_ENERGY_RATING column",
            EPC_FILE + r", row 1: required columns are missing: \['CURRENT_ENERGY_RATING'\]",
            outcome="column named"),
    refused("epc_short_row", _epc("certificates.csv", short_row(10)), POSTCODE_ONLY,
            "row 11 with 3 of 93 values", EPC_FILE + r", row 11: has 3 values, expected 93",
            outcome="line named"),
    refused("epc_five_folders_one_header_only", epc_folders(header_only, "Cherwell"),
            validate("buildings", "--postcodes", "S/" + POSTCODES),
            "five district folders, Cherwell's header only",
            re.escape("domestic-E07000177-Cherwell/certificates.csv") + r": no rows",
            outcome="that folder's file named in full"),
    refused("epc_folder_with_loop", epc_with_loop,
            validate("buildings", "--postcodes", "S/" + POSTCODES),
            "a district folder whose certificates.csv is a symlink loop",
            r"domestic-E00000000-Broken/certificates\.csv: is a symbolic link",
            outcome="symlink loop named (was internal error)"),
    refused("epc_folder_without_certificates", folder("epc"),
            validate("buildings", "--postcodes", "S/" + POSTCODES), "an empty folder",
            r"no certificates\.csv in this folder", outcome="what is expected named"),
    # --- postcodes: Code-Point Open -------------------------------------------------------
    refused("postcodes_utf16", changed_text(POSTCODES, "pc.csv", utf16), POSTCODE,
            "UTF-16", r"pc\.csv: this file looks UTF-16 encoded",
            outcome="encoding named (was a pyarrow error)"),
    refused("postcodes_utf16_no_bom", changed_text(POSTCODES, "pc.csv", utf16_no_bom), POSTCODE,
            "UTF-16LE without BOM", r"this file looks UTF-16 encoded", outcome="encoding named"),
    refused("postcodes_semicolons", changed_text(POSTCODES, "pc.csv", semicolons), POSTCODE,
            "semicolon-separated", r"pc\.csv: line 1 is semicolon-separated",
            outcome="delimiter named"),
    refused("postcodes_nul", changed_text(POSTCODES, "pc.csv", nul_inside), POSTCODE,
            "NUL bytes inside", r"pc\.csv: holds NUL bytes", outcome="binary content named"),
    refused("postcodes_sparse_2gb", sparse("pc.csv"), POSTCODE, "2 GB sparse NUL file",
            r"pc\.csv: holds NUL bytes", outcome="refused from its first bytes"),
    refused("postcodes_header_only", changed_text(POSTCODES, "pc.csv", header_only), POSTCODE,
            "header row only", r"pc\.csv: no rows",
            outcome="no rows (was 100% unlocated, exit 0)"),
    refused("postcodes_empty", raw("pc.csv", b""), POSTCODE, "0-byte file",
            r"pc\.csv: the file is empty", outcome="empty"),
    refused("postcodes_negative_easting",
            changed_text(POSTCODES, "pc.csv", set_cell(1, "Eastings", "-5000")), POSTCODE,
            "row 2 easting -5000",
            r"pc\.csv, row 2, column 'easting/northing': \(-5000, \d+\) is outside Great",
            outcome="row, column, value (was used as given)"),
    refused("postcodes_huge_northing",
            changed_text(POSTCODES, "pc.csv", set_cell(5, "Northings", "5800000")), POSTCODE,
            "row 6 northing 5.8M", r"row 6, .*\(\d+, 5\.8e\+06\) is outside Great Britain",
            outcome="row, column, value"),
    refused("postcodes_degrees",
            changed_text(POSTCODES, "pc.csv", lambda t: set_cell(1, "Northings", "51.75")(
                set_cell(1, "Eastings", "-1.25")(t))), POSTCODE,
            "row 2 in degrees", r"row 2, .*\(-1\.25, 51\.75\) is outside Great Britain",
            r"in degrees", outcome="row, value; degrees named"),
    refused("postcodes_text_easting",
            changed_text(POSTCODES, "pc.csv", set_cell(3, "Eastings", "abc")), POSTCODE,
            "row 4 easting 'abc'", r"pc\.csv, row 4, column 'easting': 'abc' is not a number",
            outcome="row, column, value"),
    refused("postcodes_cut_mid_row", changed_text(POSTCODES, "pc.csv", cut_mid_row), POSTCODE,
            "file cut inside a row", r"pc\.csv, row \d+: has \d+ values, expected 11; " + CUT,
            outcome="line named"),
    refused("postcodes_missing_northings",
            changed_text(POSTCODES, "pc.csv", drop_column("Northings")), POSTCODE,
            "no Northings column", r"pc\.csv: row 1: no 'northings' column",
            outcome="column named"),
    refused("postcodes_folder_with_loop",
            in_folder(sample(POSTCODES), "codepoint", loop("loop.csv")), POSTCODE,
            "a postcode folder holding a symlink loop", r"loop\.csv: is a symbolic link",
            outcome="looping entry named (was internal error)"),
    refused("postcodes_dev_null", device, POSTCODE, "/dev/null", r"is a device",
            outcome="is a device"),
    refused("postcodes_folder_without_csv", folder("codepoint"), POSTCODE, "an empty folder",
            r"no \.csv files in this folder", outcome="what is expected named"),
    read("postcodes_crlf", changed_text(POSTCODES, "pc.csv", crlf), POSTCODE,
         "Windows line endings", r"by postcode: 1,615 \(99\.1%\)", outcome="read"),
    # --- UPRN coordinates: OS Open UPRN ----------------------------------------------------
    read("uprn_sample", sample(UPRN), UPRNS, "the sample's UPRN file",
         r"located by UPRN: [1-9][\d,]* \(", outcome="read"),
    refused("uprn_header_only", changed_text(UPRN, "uprn.csv", header_only), UPRNS,
            "header row only", r"uprn\.csv: no rows", outcome="no rows"),
    refused("uprn_utf16", changed_text(UPRN, "uprn.csv", utf16), UPRNS, "UTF-16",
            r"uprn\.csv: this file looks UTF-16 encoded", outcome="encoding named"),
    refused("uprn_semicolons", changed_text(UPRN, "uprn.csv", semicolons), UPRNS,
            "semicolon-separated", r"uprn\.csv: line 1 is semicolon-separated",
            outcome="delimiter named"),
    refused("uprn_nul", changed_text(UPRN, "uprn.csv", nul_inside), UPRNS, "NUL bytes",
            r"uprn\.csv: holds NUL bytes", outcome="binary content named"),
    refused("uprn_missing_column", changed_text(UPRN, "uprn.csv", drop_column("Y_COORDINATE")),
            UPRNS, "no Y_COORDINATE", r"columns \['Y_COORDINATE'\] are missing",
            outcome="column named"),
    refused("uprn_cut_mid_row", changed_text(UPRN, "uprn.csv", cut_mid_row), UPRNS,
            "file cut inside a row", r"uprn\.csv, row \d+: has \d values, expected 5",
            outcome="line named (was a pyarrow error)"),
    # --- EV demand: vehicles and households per zone ---------------------------------------
    read("vehicles_sample", sample(VEHICLES), VEHICLE, "the sample's vehicle table",
         r"zones: 430", outcome="read"),
    refused("vehicles_header_only", changed_text(VEHICLES, "veh.csv", header_only), VEHICLE,
            "header row only", r"veh\.csv: no rows", outcome="no rows"),
    refused("vehicles_utf16", changed_text(VEHICLES, "veh.csv", utf16), VEHICLE, "UTF-16",
            r"veh\.csv: this file looks UTF-16 encoded", outcome="encoding named"),
    refused("vehicles_semicolons", changed_text(VEHICLES, "veh.csv", semicolons), VEHICLE,
            "semicolon-separated", r"veh\.csv: line 1 is semicolon-separated",
            outcome="delimiter named"),
    refused("vehicles_nul", changed_text(VEHICLES, "veh.csv", nul_inside), VEHICLE,
            "NUL bytes", r"veh\.csv: holds NUL bytes", outcome="binary content named"),
    refused("vehicles_empty", raw("veh.csv", b""), VEHICLE, "0-byte file",
            r"veh\.csv: the file is empty", outcome="empty"),
    refused("vehicles_missing_code_column",
            changed_text(VEHICLES, "veh.csv", drop_column("LSOA21CD")), VEHICLE,
            "no area code column", r"veh\.csv", outcome="code column asked for"),
    refused("households_header_only", changed_text(HOUSEHOLDS, "hh.csv", header_only),
            HOUSEHOLD, "households header only", r"hh\.csv: no rows",
            outcome="no rows (was 0 households, exit 0)"),
    refused("households_utf16", changed_text(HOUSEHOLDS, "hh.csv", utf16), HOUSEHOLD,
            "households UTF-16", r"hh\.csv: this file looks UTF-16 encoded",
            outcome="encoding named"),
    refused("ev_zones_truncated", changed_bytes(ZONES, "zones.gpkg", lambda b: b[:50_000]),
            convert_ev_with_zones, "`convert --kind ev_demand --zones` a cut GeoPackage",
            r"zones\.gpkg: cannot be read as a vector file", r"damaged or cut short",
            outcome="damaged file named (was raw SQLite error)"),
    refused("ev_zones_dev_null", device, EV_ZONES, "/dev/null as --zones", r"is a device",
            outcome="is a device"),
    # --- chargers: National Chargepoint Registry --------------------------------------------
    read("chargers_sample", sample(CHARGERS), CHARGER, "the sample's registry",
         r"kept: 178; left out: wrong number of fields 4",
         r"left out 4 rows: wrong number of fields \(lines \[42, 43, 125, 126\]\)",
         outcome="read; broken rows counted"),
    refused("chargers_header_only", changed_text(CHARGERS, "ncr.csv", header_only), CHARGER,
            "header row only", r"ncr\.csv: no rows", outcome="no rows (was an empty layer)"),
    refused("chargers_utf16", changed_text(CHARGERS, "ncr.csv", utf16), CHARGER, "UTF-16",
            r"ncr\.csv: this file looks UTF-16 encoded", outcome="encoding named"),
    refused("chargers_semicolons", changed_text(CHARGERS, "ncr.csv", semicolons), CHARGER,
            "semicolon-separated", r"ncr\.csv: line 1 is semicolon-separated",
            outcome="delimiter named"),
    refused("chargers_nul", changed_text(CHARGERS, "ncr.csv", nul_inside), CHARGER,
            "NUL bytes", r"ncr\.csv: holds NUL bytes", outcome="binary content named"),
    refused("chargers_sparse_2gb", sparse("ncr.csv"), CHARGER, "2 GB sparse NUL file",
            r"ncr\.csv: holds NUL bytes", outcome="refused from its first bytes"),
    refused("chargers_empty", raw("ncr.csv", b""), CHARGER, "0-byte file",
            r"ncr\.csv: the file is empty", outcome="empty"),
    refused("chargers_dev_null", device, CHARGER, "/dev/null", r"is a device",
            outcome="is a device (was 'no such file')"),
    read("chargers_swapped",
         changed_text(CHARGERS, "ncr.csv", lambda t: set_cell(1, "latitude", "-1.475068")(
             set_cell(1, "longitude", "51.786660")(t))), CHARGER,
         "row 2 latitude/longitude swapped", r"kept: 177",
         r"location outside Great Britain \(lines \[2\]\)", outcome="row left out and counted"),
    read("chargers_outside_gb", changed_text(CHARGERS, "ncr.csv", set_cell(2, "latitude", "40")),
         CHARGER, "row 3 at latitude 40", r"kept: 177",
         r"left out 1 rows: location outside Great Britain \(lines \[3\]\)",
         outcome="row left out and counted"),
    refused("chargers_missing_location",
            changed_text(CHARGERS, "ncr.csv", drop_column("latitude")), CHARGER,
            "no latitude column", r"ncr\.csv.*latitude", outcome="column named"),
    # --- sites: OSM car parks --------------------------------------------------------------
    read("sites_sample", sample(SITES), SITE, "the sample's car parks",
         r"features read: 430", outcome="read; left-out features counted"),
    refused("sites_empty_collection",
            raw("parks.geojson", '{"type": "FeatureCollection", "features": []}'), SITE,
            "a FeatureCollection with no features", r"parks\.geojson: no rows",
            outcome="no rows (was an empty layer)"),
    refused("sites_swapped_lat_lon", vector(SITES, "parks.geojson", swap_xy), SITE,
            "GeoJSON written [lat, lon]", r"parks\.geojson: 430 of 430 sites lie outside",
            r"look like \[latitude, longitude\]", outcome="swap named (was accepted)"),
    refused("sites_outside_gb", vector(SITES, "parks.geojson", lambda f: shift(f, 60, -40)),
            SITE, "moved 60 degrees east, 40 south", r"sites lie outside Great Britain",
            outcome="features named (was accepted)"),
    refused("sites_wrong_crs",
            vector(SITES, "parks.gpkg", lambda f: relabel(f.to_crs(27700), "EPSG:4326")),
            SITE, "eastings/northings labelled EPSG:4326", r"not degrees",
            outcome="CRS contradiction named"),
    refused("sites_nan_vertex", vector(SITES, "parks.gpkg", bad_vertex(float("nan"))), SITE,
            "a NaN vertex", r"NaN or infinite \(feature numbers \[1\]\)",
            outcome="feature named"),
    refused("sites_nul", raw("parks.geojson", b"\x00" * 4096), SITE, "NUL bytes",
            r"parks\.geojson: cannot be read", outcome="cannot be read"),
    refused("sites_truncated", changed_bytes(SITES, "parks.geojson", lambda b: b[:2000]), SITE,
            "GeoJSON cut at 2 KB", r"parks\.geojson: cannot be read", outcome="cannot be read"),
    refused("sites_dev_null", device, SITE, "/dev/null", r"is a device", outcome="is a device"),
    refused("sites_folder", folder("parks.geojson"), SITE, "a folder", r"is a folder",
            outcome="is a folder"),
    refused("sites_unknown_kind", sample(SITES), validate("sites", "--site-kind", "spaceport"),
            "--site-kind spaceport", r"unknown site kind 'spaceport'",
            outcome="known kinds listed"),
    # --- land: land-cover raster -------------------------------------------------------------
    refused("land_nul", raw("cover.tif", b"\x00" * 4096), LANDS, "NUL bytes named .tif",
            r"cover\.tif: cannot be read as a raster", outcome="cannot be read"),
    refused("land_truncated", changed_bytes(LAND, "cover.tif", lambda b: b[:20_000]), LANDS,
            "GeoTIFF cut at 20 KB", r"cover\.tif: cannot be read as a raster",
            outcome="cannot be read"),
    refused("land_empty", raw("cover.tif", b""), LANDS, "0-byte file",
            r"cover\.tif: cannot be read", outcome="cannot be read"),
    refused("land_text", raw("cover.tif", "not a raster\n"), LANDS, "text named .tif",
            r"cover\.tif: cannot be read", outcome="cannot be read"),
    refused("land_dev_null", device, LANDS, "/dev/null", r"is a device",
            outcome="is a device (was 'no such file')"),
    refused("land_folder", folder("cover.tif"), LANDS, "a folder", r"is a folder",
            outcome="is a folder"),
    # --- scenario loading (geoplan validate) ------------------------------------------------
    read("scenario_valid", raw("ok.yaml", SCENARIO), scenario, "a minimal scenario",
         r"ok\.yaml: valid", outcome="valid"),
    refused("scenario_alias_bomb", raw("bomb.yaml", BOMB), scenario,
            f"{len(BOMB)}-byte YAML alias bomb", r"bomb\.yaml:1: YAML anchors and aliases",
            outcome="refused before expanding (was 37 s, 848 MB)"),
    refused("scenario_alias", raw("alias.yaml", SCENARIO + "description: &d x\nname: *d\n"),
            scenario,
            "one anchor and alias", r"alias\.yaml:4: YAML anchors and aliases",
            outcome="line named"),
    refused("scenario_symlink_loop", loop("loop.yaml"), scenario, "a symlink to itself",
            r"symlink loop", outcome="symlink loop named (was RuntimeError)"),
    refused("scenario_folder", folder("scenario.yaml"), scenario, "a folder",
            r"is a folder", outcome="is a folder"),
    refused("scenario_dev_null", device, scenario, "/dev/null", r"device such as /dev/null",
            outcome="is a device"),
    refused("scenario_utf16", raw("s16.yaml", SCENARIO.encode("utf-16")), scenario,
            "UTF-16", r"s16\.yaml: the file looks UTF-16 encoded", outcome="encoding named"),
    refused("scenario_nul", raw("nul.yaml", SCENARIO.encode() + b"\x00" * 8), scenario,
            "NUL bytes", r"nul\.yaml: the file holds NUL bytes", outcome="binary named"),
    refused("scenario_too_big", sparse("big.yaml", 2 << 20), scenario, "2 MB sparse file",
            r"big\.yaml: the file is 2,097,152 bytes", outcome="size refused before reading"),
    refused("scenario_cut", raw("cut.yaml", SCENARIO + "plan: {years: [2030, 20"), scenario,
            "YAML cut mid-list", r"cut\.yaml:\d+: not valid YAML", outcome="line named",
            fix=False),
    refused("scenario_list", raw("list.yaml", "- a\n- b\n"), scenario, "a list, not a mapping",
            r"list\.yaml:1: a scenario must be a mapping", outcome="what is expected named",
            fix=False),
    refused("scenario_latin1", raw("latin.yaml", "name: caf\xe9\n".encode("latin-1")),
            scenario, "Latin-1 text", r"latin\.yaml: the file is not UTF-8 text",
            outcome="encoding named"),
]


def _shown(path: Path) -> str:
    """How the output names the hostile file (EPC certificates by their folder too)."""
    if path.name == "certificates.csv":
        return f"{path.parent.name}/{path.name}"
    return path.name


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input(case: Case, small_sample: Path, tmp_path: Path) -> None:
    path = case.build(small_sample, tmp_path)
    result = CliRunner().invoke(cli, case.command(path, small_sample))
    output = result.output
    assert result.exit_code == case.code, output
    assert "internal error" not in output
    assert "Traceback" not in output
    for pattern in case.expect:
        assert re.search(pattern, output), f"{pattern!r} not in:\n{output}"
    if case.code == 2:
        assert _shown(path) in output, output
        assert len(output.strip().splitlines()) <= 25, output  # one clear message


def test_every_case_is_in_the_readme_table() -> None:
    readme = (Path(__file__).parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Hostile files", 1)[1]
    listed = re.findall(r"^\| `([a-z0-9_]+)` \|", section, flags=re.MULTILINE)
    assert listed == [c.name for c in CASES]
    assert len(CASES) >= 90
