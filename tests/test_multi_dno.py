"""Several DNOs in one run: grid files combined with ids kept apart, zones served by licence area.

Fixtures are written in code in the published layouts (NGED's capacity map CSV, the GB
primaries CSV with its DNO column); the last tests read the real Oxfordshire files.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from pyproj import Transformer
from shapely.geometry import Point, box

from geoplan.cli.main import cli
from geoplan.errors import LayerSchemaError, ScenarioError
from geoplan.files.atomic import write_geopackage
from geoplan.layers.dno import combine_grids, dno_key, licence_dno, read_licence_areas
from geoplan.layers.grid import graph_from_substations
from geoplan.layers.prepare import LayerInputs, prepare_layers
from geoplan.layers.read import read_layers
from geoplan.pipeline import layer_inputs, run_scenario
from geoplan.scenario import load_scenario
from geoplan.sources import read_grid
from tests.conftest import real_file

TO_LONLAT = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)

NGED_HEADER = [
    "Network Reference ID", "Substation Name", "Parent Network Reference ID",
    "Substation Number", "Asset Type", "Group", "Upstream Voltage", "Downstream Voltage",
    "Fault Level Headroom", "Firm Capacity of Substation (MVA)",
    "Reverse Power Capability (MVA)", "Measured Peak Demand (MVA)", "Demand Headroom (MVA)",
    "Demand Headroom RAG", "Upstream Demand Headroom RAG", "Upstream Demand Headroom",
    "Generation Headroom (MVA)", "Generation Headroom RAG", "Latitude", "Longitude",
]
GB_HEADER = 'PS Name,Firm Capacity (MVA),Demand (MVA),PF,"Geo(Long,Lat)",GSP,DNO\n'

# British National Grid boxes around Banbury: NGED west of x=444 km, SSEN to x=450 km, UKPN
# beyond; the zone Z4 lies north of every licence area.
LICENCE = [("NGED", (430_000, 230_000, 444_000, 246_000)),
           ("SSEN", (444_000, 230_000, 450_000, 246_000)),
           ("UKPN", (450_000, 230_000, 460_000, 246_000))]
ZONES = {"Z1": (440_000, 240_000), "Z2": (446_000, 240_000), "Z3": (452_000, 240_000),
         "Z4": (440_000, 252_000)}
SSEN_PRIMARIES = {"deddington": (443_500, 241_000), "adderbury": (447_000, 238_000)}
NGED_PRIMARY = (436_000, 241_000)


def _lonlat(x: float, y: float) -> tuple[float, float]:
    lon, lat = TO_LONLAT.transform(x, y)
    return round(lon, 6), round(lat, 6)


def write_nged(path: Path, primaries: list[tuple[str, str, tuple[float, float], str]]) -> Path:
    """An NGED capacity map: one GSP, one BSP, then (ref, name, (x, y), headroom) primaries."""
    rows = [("100", "Banbury GSP", "GSP", "", NGED_PRIMARY, "40"),
            ("200", "Banbury BSP", "Bulk Supply Point", "100", NGED_PRIMARY, "20"),
            *[(ref, name, "Primary", "200", xy, head) for ref, name, xy, head in primaries]]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=NGED_HEADER)
        writer.writeheader()
        for ref, name, kind, parent, (x, y), head in rows:
            lon, lat = _lonlat(x, y)
            writer.writerow(dict.fromkeys(NGED_HEADER, "") | {
                "Network Reference ID": ref, "Substation Name": name,
                "Parent Network Reference ID": parent, "Asset Type": kind,
                "Group": "Banbury", "Upstream Voltage": "33", "Downstream Voltage": "11",
                "Firm Capacity of Substation (MVA)": "24", "Measured Peak Demand (MVA)": "18",
                "Demand Headroom (MVA)": head, "Latitude": str(lat), "Longitude": str(lon)})
    return path


def write_gb(path: Path, rows: dict[str, tuple[float, float]], dno: str = "SSEN") -> Path:
    """A GB primaries CSV: each primary under the GSP 'Cowley' of ``dno``."""
    lines = [GB_HEADER]
    for name, (x, y) in rows.items():
        lon, lat = _lonlat(x, y)
        lines.append(f'{name},20,14,,"{lon},{lat}",Cowley,{dno}\n')
    path.write_text("".join(lines), encoding="utf-8")
    return path


def write_zones(path: Path, names: dict[str, tuple[float, float]]) -> Path:
    """2 km square zones centred on each point, with ONS-style columns, in EPSG:27700."""
    frame = gpd.GeoDataFrame(
        {"LSOA21CD": list(names), "LSOA21NM": [f"Zone {n}" for n in names],
         "LAD22CD": ["E07000177"] * len(names), "LAD22NM": ["Cherwell"] * len(names)},
        geometry=[box(x - 1000, y - 1000, x + 1000, y + 1000) for x, y in names.values()],
        crs="EPSG:27700")
    frame.to_file(path, driver="GeoJSON")
    return path


def write_licence(path: Path, column: str = "DNO", areas: list | None = None) -> Path:
    areas = LICENCE if areas is None else areas
    frame = gpd.GeoDataFrame({column: [a for a, _ in areas]},
                             geometry=[box(*b) for _, b in areas], crs="EPSG:27700")
    frame.to_file(path, driver="GeoJSON")
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {
        "nged": write_nged(tmp_path / "nged.csv", [("300", "Banbury Town", NGED_PRIMARY, "6")]),
        "ssen": write_gb(tmp_path / "gb_primaries.csv", SSEN_PRIMARIES),
        "zones": write_zones(tmp_path / "zones.geojson", ZONES),
        "licence": write_licence(tmp_path / "licence.geojson"),
    }


def _inputs(files: dict[str, Path], **options: object) -> LayerInputs:
    return LayerInputs(zones=files["zones"], grid=(files["ssen"], files["nged"]), **options)


def _served_by(layers) -> dict[str, str]:  # zone id -> serving substation's name
    names = layers.substations.set_index("substation_id")["name"]
    return {z: names[s].casefold() for z, s in
            zip(layers.zones["zone_id"], layers.zones["substation_id"], strict=True)}


# --- combining files --------------------------------------------------------------------------

def test_several_files_combine_with_every_id_prefixed_by_its_dno(files):
    got = read_layers([files["ssen"], files["nged"]], "substations")
    subs, head = got.layers["substations"], got.layers["headroom"]
    tags = subs["substation_id"].str.split(":").str[0]
    assert set(tags) == {"SSEN", "NGED"}
    assert (tags == subs["dno"]).all()  # the tag is the file's DNO
    parents = subs["parent_id"].dropna()
    assert len(parents) > 0
    assert parents.isin(set(subs["substation_id"])).all()
    assert set(head["substation_id"]) <= set(subs["substation_id"])
    assert head.loc[head["substation_id"] == "NGED:300", "headroom_mva"].tolist() == [6.0]
    graph = graph_from_substations(subs)  # one grid, two trees
    assert graph.has_edge("NGED:200", "NGED:300")
    assert [f["id_prefix"] for f in got.summary["files"]] == ["SSEN:", "NGED:"]
    assert got.format == "gb-primaries + nged-capacity"


def test_one_file_keeps_its_published_ids(files):
    subs = read_layers(files["nged"], "substations").layers["substations"]
    assert "300" in set(subs["substation_id"])
    assert set(subs["dno"]) == {"NGED"}


def test_colliding_ids_of_two_files_stay_apart(tmp_path):
    first = write_nged(tmp_path / "a.csv", [("300", "Adderbury", (440_000, 236_000), "6")])
    second = write_nged(tmp_path / "b.csv", [("300", "Bodicote", (445_000, 239_000), "-2")])
    got = read_layers([first, second], "substations")
    subs = got.layers["substations"].set_index("substation_id")
    head = got.layers["headroom"].set_index("substation_id")["headroom_mva"]
    assert subs.loc["NGED:300", "name"] == "Adderbury"
    assert subs.loc["NGED-2:300", "name"] == "Bodicote"
    assert head["NGED:300"] == 6.0
    assert head["NGED-2:300"] == -2.0
    assert len(subs) == 2 * 3  # GSP, BSP, primary of each file
    assert subs.index.is_unique


def test_a_wpd_file_and_an_nged_file_share_the_dno_but_not_ids(tmp_path, files):
    wpd = write_gb(tmp_path / "wpd.csv", {"banbury": NGED_PRIMARY}, dno="WPD")
    grids = [read_grid(wpd), read_grid(files["nged"])]
    combined, tags = combine_grids(grids)
    assert tags == ["NGED", "NGED-2"]
    ids = combined.substations["substation_id"]
    assert ids.is_unique
    assert len(ids) == sum(len(g.substations) for g in grids)


def test_dno_names_have_one_spelling():
    assert [dno_key(v) for v in ("WPD", "Western Power Distribution", "nged ", "SEPD",
                                 "UK Power Networks", "", None)] == \
        ["NGED", "NGED", "NGED", "SSEN", "UKPN", None, None]


def test_a_name_within_keeps_a_file_without_areas_whole_and_says_so(small_sample, files):
    report = small_sample / "grid" / "network-headroom-report.xlsx"
    alone = read_layers(report, "substations", within="Oxfordshire").layers["substations"]
    got = read_layers([report, files["nged"]], "substations", within="Oxfordshire")
    subs = got.layers["substations"]
    assert (subs["dno"] == "SSEN").sum() == len(alone)
    assert (subs["dno"] == "NGED").sum() == 3
    assert any("nged.csv" in w and "all 3 of its substations are kept" in w
               for w in got.warnings)


# --- serving by licence area ------------------------------------------------------------------

def test_licence_areas_route_each_zone_to_its_dno(files):
    before = _served_by(prepare_layers(_inputs(files)))
    assert before["Z1"] == "deddington"  # the nearest, but SSEN's, in NGED's area
    layers = prepare_layers(_inputs(files, licence_areas=files["licence"]))
    served = _served_by(layers)
    assert served["Z1"] == "banbury town"
    assert served["Z2"] == "adderbury"
    zones = layers.zones.set_index("zone_id")
    assert zones.loc["Z1", "substation_id"] == "NGED:300"
    assert zones["licence_dno"].fillna("none").to_dict() == {
        "Z1": "NGED", "Z2": "SSEN", "Z3": "UKPN", "Z4": "none"}
    assert zones.loc["Z1", "serving_distance_km"] == pytest.approx(
        ((440_000 - NGED_PRIMARY[0]) ** 2 + (240_000 - NGED_PRIMARY[1]) ** 2) ** 0.5 / 1000,
        abs=0.01)  # the zone's centre is its representative point here


def test_serving_flags_and_counted_warnings(files):
    layers = prepare_layers(_inputs(files, licence_areas=files["licence"]))
    flags = layers.zones.set_index("zone_id")["serving_flag"].to_dict()
    # Z3: UKPN's area, no UKPN file; Z4: in no area, and 11.5 km from DEDDINGTON
    assert flags == {"Z1": "ok", "Z2": "ok", "Z3": "other_dno",
                     "Z4": "beyond_max_distance;no_licence_area"}
    assert layers.reports["serving"]["zones_flagged"] == {
        "beyond_max_distance": 1, "other_dno": 1, "no_licence_area": 1}
    notes = [w for w in layers.warnings if w.startswith("serving: ")]
    assert len(notes) == 3
    assert "1 of 4 zones are served by a substation more than 10 km away" in notes[0]
    assert "1 of 4 zones lie in the licence area of a DNO with no located primary " \
        "substation in the grid files (UKPN)" in notes[1]
    assert "1 of 4 zones lie in no licence area" in notes[2]


def test_the_distance_limit_is_a_setting(files):
    layers = prepare_layers(_inputs(files, licence_areas=files["licence"],
                                    max_serving_distance_km=4))
    far = layers.zones.loc[layers.zones["serving_flag"].str.contains("beyond_max_distance"),
                           "zone_id"]
    assert sorted(far) == ["Z1", "Z3", "Z4"]  # 4.1, 5.4 and 11.5 km away
    assert any("3 of 4 zones are served by a substation more than 4 km away" in w
               for w in layers.warnings)
    with pytest.raises(ValueError, match="max_serving_distance_km must be above 0"):
        _inputs(files, max_serving_distance_km=0)


def test_zones_without_licence_areas_are_flagged_by_distance_only(files):
    layers = prepare_layers(_inputs(files, max_serving_distance_km=4.5))
    assert set(layers.zones["serving_flag"]) <= {"ok", "beyond_max_distance"}
    assert "licence_dno" not in layers.zones.columns


def test_a_licence_file_without_a_dno_column_is_refused(tmp_path):
    path = write_licence(tmp_path / "areas.geojson", column="operator")
    with pytest.raises(LayerSchemaError, match=r"areas\.geojson: no DNO column 'dno' among "
                                               r"\['operator'\]"):
        read_licence_areas(path)
    assert set(read_licence_areas(path, "operator")["dno"]) == {"NGED", "SSEN", "UKPN"}
    blank = write_licence(tmp_path / "blank.geojson", areas=[(" ", LICENCE[0][1]),
                                                             *LICENCE[1:]])
    with pytest.raises(LayerSchemaError, match=r"blank\.geojson: column 'DNO' is blank in "
                                               r"rows \[1\]"):
        read_licence_areas(blank)


# --- the scenario -----------------------------------------------------------------------------

def _scenario(folder: Path, grid: str, extra: str = "") -> Path:
    path = folder / "scenario.yaml"
    path.write_text(f"name: two\ninputs:\n  zones: zones.geojson\n  grid: {grid}\n"
                    f"  licence_areas: licence.geojson\n{extra}", encoding="utf-8")
    return path


def test_a_scenario_names_several_grid_files(files):
    folder = files["zones"].parent
    scenario = load_scenario(_scenario(folder, "[gb_primaries.csv, ./nged.csv]",
                                       "grid:\n  max_serving_distance_km: 7.5\n"))
    assert scenario.inputs.grid == [files["ssen"], files["nged"]]
    inputs = layer_inputs(scenario)
    assert inputs.grid == (files["ssen"], files["nged"])
    assert inputs.licence_areas == files["licence"]
    assert inputs.max_serving_distance_km == 7.5
    assert scenario.resolved()["inputs"]["grid"] == [str(files["ssen"]), str(files["nged"])]


@pytest.mark.parametrize(("grid", "extra", "message"), [
    ("[]", "", r"inputs\.grid: is an empty list"),
    ("[nged.csv, nged.csv]", "", r"inputs\.grid: lists .*nged\.csv more than once"),
    ("[nged.csv, missing.csv]", "", r"no such file or folder: .*missing\.csv"),
    ("nged.csv", "grid:\n  max_serving_distance_km: 0\n", r"max_serving_distance_km"),
])
def test_bad_grid_lists_are_refused(files, grid, extra, message):
    with pytest.raises(ScenarioError, match=message):
        load_scenario(_scenario(files["zones"].parent, grid, extra))


# --- the real county --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def oxfordshire(request) -> dict[str, object]:
    real = request.getfixturevalue("real_data")
    zones = real_file(real, "boundaries/lsoa21")
    districts = real_file(real, "boundaries/oxon_districts.geojson")
    sepd = real_file(real, "grid/sepd-network-headroom-report.xlsx")
    nged = real_file(real, "grid/nged-capacity-map-2023-02-28.csv")
    licence = real_file(real, "grid/oxon_dno_licence_areas_by_lad.geojson")
    one = prepare_layers(LayerInputs(zones=zones, districts=districts, grid=sepd))
    two = prepare_layers(LayerInputs(zones=zones, districts=districts, grid=(sepd, nged),
                                     licence_areas=licence))
    within = prepare_layers(LayerInputs(zones=zones, districts=districts, grid=(sepd, nged),
                                        licence_areas=licence, within="Oxfordshire"))
    return {"one": one, "two": two, "within": within, "licence": read_licence_areas(licence),
            "nged": read_grid(nged)}


def test_oxfordshire_zones_in_nged_area_are_served_by_nged_primaries(oxfordshire):
    two = oxfordshire["two"]
    licence = oxfordshire["licence"]
    nged_area = licence[licence["dno"] == "NGED"].union_all()
    points = two.zones.representative_point()
    inside = points.within(nged_area).to_numpy()
    northern = two.zones[inside]
    assert len(northern) > 0
    assert set(northern["district_name"]) <= {"Cherwell", "West Oxfordshire"}
    # by northing too: the Cherwell zones north of where SSEN's licence area ends (Banbury
    # and beyond) are all among them
    ssen_north_edge = licence[licence["dno"] == "SSEN"].total_bounds[3]
    beyond = (two.zones["district_name"] == "Cherwell").to_numpy() & \
        (points.y > ssen_north_edge).to_numpy()
    assert beyond.sum() > 0
    assert set(two.zones.loc[beyond, "zone_id"]) <= set(northern["zone_id"])
    subs = two.substations.set_index("substation_id")
    served = subs.loc[northern["substation_id"]]
    assert (served["dno"] == "NGED").all()
    assert (served["level"] == "primary").all()
    assert not served["name"].str.casefold().str.contains("deddington").any()
    assert (northern["licence_dno"] == "NGED").all()
    # the rest of the county keeps SSEN's primaries
    others = subs.loc[two.zones.loc[two.zones["licence_dno"] == "SSEN", "substation_id"]]
    assert (others["dno"] == "SSEN").all()


def test_oxfordshire_with_sepd_alone_gives_banbury_a_far_primary(oxfordshire):
    # what the licence areas fix: SEPD alone serves the NGED zones from far away
    one, two = oxfordshire["one"], oxfordshire["two"]
    nged = two.zones.loc[two.zones["licence_dno"] == "NGED", "zone_id"]
    alone = one.zones.set_index("zone_id").loc[nged]
    names = one.substations.set_index("substation_id").loc[alone["substation_id"], "name"]
    assert names.str.casefold().str.contains("deddington").any()
    paired = two.zones.set_index("zone_id").loc[nged, "serving_distance_km"]
    assert paired.median() < alone["serving_distance_km"].median()
    assert (alone["serving_flag"] == "beyond_max_distance").any()
    assert any("more than 10 km away" in w for w in one.warnings)


def test_within_oxfordshire_keeps_only_the_nged_substations_near_north_cherwell(oxfordshire):
    cut, whole = oxfordshire["within"], oxfordshire["two"]
    nged = oxfordshire["nged"].substations  # the whole capacity map, ids as published
    north = cut.zones[(cut.zones["licence_dno"] == "NGED").to_numpy()]
    # independently: the located NGED primaries within 10 km of a zone in NGED's licence
    # area, or nearest to one of those zones' representative points
    primaries = nged[(nged["level"] == "primary").to_numpy() & nged.geometry.notna().to_numpy()]
    xy = np.column_stack([primaries.geometry.x, primaries.geometry.y])
    gap = np.array([[shape.distance(Point(x, y)) for x, y in xy] for shape in north.geometry])
    points = north.geometry.representative_point()
    reach = np.hypot(points.x.to_numpy()[:, None] - xy[None, :, 0],
                     points.y.to_numpy()[:, None] - xy[None, :, 1])
    wanted = set(primaries["substation_id"].to_numpy()[(gap <= 10_000).any(axis=0)]) | set(
        primaries["substation_id"].to_numpy()[reach.argmin(axis=1)])
    subs = cut.substations
    kept = subs[(subs["dno"] == "NGED").to_numpy()]
    got = {s.removeprefix("NGED:") for s in kept.loc[kept["level"] == "primary",
                                                     "substation_id"]}
    assert got == wanted
    assert 0 < len(got) < len(primaries) / 20  # a corner of NGED's four licence areas
    # every kept substation's parents are kept, and nothing else of NGED's
    parents = nged.set_index("substation_id")["parent_id"]
    chain = set(got)
    for sub in got:
        while isinstance(parents.get(sub), str):
            sub = parents[sub]
            chain.add(sub)
    assert {s.removeprefix("NGED:") for s in kept["substation_id"]} == chain
    # SEPD is still selected by its own areas, and the zones keep the same substations
    ssen = set(subs.loc[subs["dno"] == "SSEN", "substation_id"])
    assert ssen < set(whole.substations.loc[whole.substations["dno"] == "SSEN", "substation_id"])
    assert cut.zones.set_index("zone_id")["substation_id"].to_dict() == \
        whole.zones.set_index("zone_id")["substation_id"].to_dict()
    note = next(w for w in cut.warnings if "selected by place" in w)
    assert f"kept {len(kept)} of {len(nged)}" in note
    assert f"of the {len(north)} zones in NGED's licence area" in note
    assert f"dropped {len(nged) - len(kept)}" in note


def _vehicles_per_lsoa(real: Path, zones: gpd.GeoDataFrame, path: Path) -> Path:
    """EVs per LSOA: the DfT plug-in count of its MSOA (matched by the LSOA name's stem,
    'Cherwell 001A' -> 'Cherwell 001'), shared equally among the MSOA's LSOAs."""
    ev = pd.read_csv(real_file(real, "ev/oxon_msoa_ev_indicators_2021_2022.csv"))
    stem = zones["LSOA21NM"].str[:-1]
    per_msoa = stem.map(ev.set_index("MSOA11NM")["ulevs_q3_2021_representative"])
    cars = (per_msoa / stem.map(stem.value_counts())).fillna(0.0).round(1)
    pd.DataFrame({"LSOA21CD": zones["LSOA21CD"], "plugin_cars": cars}).to_csv(path, index=False)
    return path


def _dno_limits_kw(real: Path, year: int, factor: float) -> dict[str, float]:
    """Each substation's own published figure in kW, read from the grid files directly:
    SEPD's CT winter figure of ``year`` (else its latest earlier year), NGED's snapshot."""
    limits = {}
    sepd = read_grid(real / "grid/sepd-network-headroom-report.xlsx").headroom
    ct = sepd[(sepd["scenario"] == "CT") & (sepd["season"] == "winter")
              & (sepd["year"].astype(float) <= year)].dropna(subset=["headroom_mva"])
    latest = ct.sort_values("year").drop_duplicates("substation_id", keep="last")
    limits.update({f"SSEN:{s}": mva * factor * 1000 for s, mva in
                   zip(latest["substation_id"], latest["headroom_mva"], strict=True)})
    nged = read_grid(real / "grid/nged-capacity-map-2023-02-28.csv").headroom
    limits.update({f"NGED:{s}": mva * factor * 1000 for s, mva in
                   zip(nged["substation_id"], nged["headroom_mva"], strict=True)})
    return limits


@pytest.mark.slow
@pytest.mark.real_data
def test_a_two_dno_oxfordshire_plan_serves_north_cherwell_from_nged(real_data, tmp_path):
    """A light chargers-only plan on the real county: SEPD + NGED, real LSOAs and car parks."""
    lsoa = real_file(real_data, "boundaries/lsoa21")
    raw = pd.concat([gpd.read_file(f) for f in sorted(lsoa.glob("*.geojson"))],
                    ignore_index=True)
    files = {name: real_file(real_data, rel) for name, rel in {
        "districts": "boundaries/oxon_districts.geojson",
        "sepd": "grid/sepd-network-headroom-report.xlsx",
        "nged": "grid/nged-capacity-map-2023-02-28.csv",
        "licence": "grid/oxon_dno_licence_areas_by_lad.geojson",
        "car_parks": "candidate_sites/oxon_osm_parking_2022.geojson"}.items()}
    vehicles = _vehicles_per_lsoa(real_data, raw, tmp_path / "vehicles.csv")
    (tmp_path / "s.yaml").write_text(
        f"name: two-dno\ninputs:\n  zones: {lsoa}\n  districts: {files['districts']}\n"
        f"  grid: [{files['sepd']}, {files['nged']}]\n  licence_areas: {files['licence']}\n"
        f"  within: Oxfordshire\n  car_parks: {files['car_parks']}\n  vehicles: {vehicles}\n"
        "grid: {scenario: CT, season: winter, level: primary, unconstrained_levels: [gsp]}\n"
        "workstreams:\n  retrofit: {enabled: false}\n  laep: {enabled: false}\n"
        "  sequestration: {enabled: false}\n  chargers: {enabled: true, use_roads: false}\n"
        "solver: {time_limit_s: 10, gap: 0.02}\n"
        # the tornado and trade-off curve add nothing here (their own tests check them)
        "outputs: {map: false, static_map: false, sensitivity: false}\n"
        "plan: {years: [2030], horizon: 2030, budget_gbp: 2000000, tradeoff_fractions: []}\n",
        encoding="utf-8")
    run_scenario(tmp_path / "s.yaml", tmp_path / "out")
    plan = tmp_path / "out" / "plan.gpkg"
    zones = gpd.read_file(plan, layer="zones")
    subs = gpd.read_file(plan, layer="substations").set_index("substation_id")

    # Banbury's northing from the data: its named car parks; every Cherwell zone north of it
    parks = gpd.read_file(files["car_parks"]).to_crs("EPSG:27700")
    banbury = parks[parks["name"].fillna("").str.contains("Banbury")]
    assert len(banbury) >= 2
    north_of = float(banbury.geometry.representative_point().y.median())
    points = zones.geometry.representative_point()
    north = zones[(zones["district_id"] == "E07000177").to_numpy()
                  & (points.y > north_of).to_numpy()]
    assert len(north) >= 10
    assert north["substation_id"].str.startswith("NGED:").all()
    assert (subs.loc[north["substation_id"], "level"] == "primary").all()
    assert (north["licence_dno"] == "NGED").all()

    # the chosen sites respect the headroom of their own DNO's substations, recomputed from
    # the grid files and the plan's chosen loads up each substation's chain
    chosen = gpd.read_file(plan, layer="chargers")
    chosen = chosen[chosen["selected"].astype(bool)]
    assert len(chosen) > 0
    site_dno = licence_dno(chosen.geometry.representative_point(),
                           read_licence_areas(files["licence"]))
    own = site_dno.isin(["SSEN", "NGED"]).to_numpy()
    assert (chosen["substation_id"].str.split(":").str[0].to_numpy()[own]
            == site_dno.to_numpy()[own]).all()
    units = pd.read_csv(Path(__file__).resolve().parents[1] / "layers/assumptions/grid_units.csv")
    factor = float(units.loc[units["item"] == "power_factor", "value"].iloc[0])
    limits = _dno_limits_kw(real_data, 2030, factor)
    load: dict[str, float] = {}
    for sub, kw in zip(chosen["substation_id"], chosen["peak_kw_added"], strict=True):
        while isinstance(sub, str):
            load[sub] = load.get(sub, 0.0) + float(kw)
            sub = subs.loc[sub, "parent_id"] if sub in subs.index else None
    checked = [s for s in load if s in limits]
    assert {s for s in load if s.startswith("NGED:") and subs.loc[s, "level"] == "primary"}
    assert all(subs.loc[s, "level"] == "gsp" for s in set(load) - set(checked))
    over = {s: (load[s], limits[s]) for s in checked if load[s] > max(limits[s], 0.0) + 1e-6}
    assert over == {}
    # the limit had work to do: candidates under primaries without headroom, none chosen
    every = gpd.read_file(plan, layer="chargers")
    blocked = every["substation_id"].map(limits).le(0).to_numpy()
    assert blocked.any()
    assert not every.loc[blocked, "selected"].astype(bool).any()


# --- a run ------------------------------------------------------------------------------------

def test_a_run_lists_flagged_zones_in_plan_and_summary(small_sample, tmp_path):
    """Sample county + an NGED file for its north: plan.gpkg, summary and manifest say so."""
    write_nged(tmp_path / "nged.csv", [("300", "Banbury Town", (445_000, 240_000), "6")])
    write_licence(tmp_path / "licence.geojson",
                  areas=[("NGED", (420_000, 236_000, 480_000, 252_000)),
                         ("SSEN", (420_000, 170_000, 480_000, 236_000))])
    retrofit = Path(__file__).resolve().parent.parent / "scenarios" / "retrofit.yaml"
    sample = small_sample
    (tmp_path / "s.yaml").write_text(
        f"name: two\nextends: {retrofit}\ninputs:\n  sample: null\n"
        f"  zones: {sample}/boundaries/zones.gpkg\n"
        f"  districts: {sample}/boundaries/districts.gpkg\n"
        f"  grid: [{sample}/grid/network-headroom-report.xlsx, nged.csv]\n"
        "  licence_areas: licence.geojson\n"
        f"  epc: {sample}/epc\n  postcodes: {sample}/postcodes/codepoint.csv\n"
        f"  uprn: {sample}/uprn/osopenuprn.csv\n"
        # NGED's capacity map is a snapshot: no 'minimum' scenario (issue 13, another part)
        "grid:\n  missing_headroom: unconstrained\n  max_serving_distance_km: 6\n"
        # serving is read from the layers: one year, no tornado or trade-off curve
        "outputs: {map: false, static_map: false, sensitivity: false}\n"
        "plan: {years: [2030], tradeoff_fractions: []}\n", encoding="utf-8")
    run_scenario(tmp_path / "s.yaml", tmp_path / "out")
    zones = gpd.read_file(tmp_path / "out" / "plan.gpkg", layer="zones")
    north = zones[zones["licence_dno"] == "NGED"]
    assert len(north) > 0
    assert (north["substation_id"] == "NGED:300").all()
    assert zones.loc[zones["licence_dno"] == "SSEN", "substation_id"].str.startswith(
        "SSEN:").all()
    far = zones[zones["serving_distance_km"] > 6]
    assert len(far) > 0
    assert (far["serving_flag"] == "beyond_max_distance").all()
    assert (zones.loc[zones["serving_distance_km"] <= 6, "serving_flag"] == "ok").all()
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert any(f"serving: {len(far)} of {len(zones)} zones are served by a substation more "
               "than 6 km away" in w for w in summary["warnings"])
    assert "more than 6 km away" in (tmp_path / "out" / "summary.md").read_text("utf-8")
    inputs = json.loads((tmp_path / "out" / "manifest.json").read_text("utf-8"))["inputs"]
    assert {"grid:1", "grid:2", "licence_areas"} <= set(inputs)
    assert "grid" not in inputs


# --- the command line -------------------------------------------------------------------------

def test_layers_commands_combine_several_grid_files(files, tmp_path):
    sources = [str(files["ssen"]), str(files["nged"])]
    shown = CliRunner().invoke(cli, ["layers", "validate", *sources, "--kind", "substations"])
    assert shown.exit_code == 0, shown.output
    assert "gb_primaries.csv: ids prefixed SSEN: (gb-primaries)" in shown.output
    assert "nged.csv: ids prefixed NGED: (nged-capacity)" in shown.output
    out = tmp_path / "grid.gpkg"
    done = CliRunner().invoke(cli, ["layers", "convert", *sources, "--kind", "substations",
                                    "-o", str(out)])
    assert done.exit_code == 0, done.output
    # the combined GeoPackage is one grid file: its prefixed ids and DNOs are kept
    again = prepare_layers(LayerInputs(zones=files["zones"], grid=out,
                                       licence_areas=files["licence"]))
    assert again.zones.set_index("zone_id").loc["Z1", "substation_id"] == "NGED:300"


def test_substations_without_a_dno_are_not_routed_and_named(files, tmp_path):
    grid = read_grid(files["nged"])  # written back without the DNO it came from
    plain = write_geopackage({"substations": grid.substations, "headroom": grid.headroom},
                             tmp_path / "plain.gpkg")
    layers = prepare_layers(LayerInputs(zones=files["zones"], grid=(files["ssen"], plain),
                                        licence_areas=files["licence"]))
    zones = layers.zones.set_index("zone_id")
    assert zones.loc["Z1", "serving_flag"] == "other_dno"  # NGED's area, no NGED substation
    assert layers.substations.set_index("substation_id").loc[
        zones.loc["Z1", "substation_id"], "dno"] == "SSEN"
    assert any("1 primary substations have no DNO (e.g. geoplan-gpkg:300)" in w
               for w in layers.warnings)


def test_layers_assign_serves_zones_by_licence_area(files, tmp_path):
    zones, grid = tmp_path / "zones.gpkg", tmp_path / "grid.gpkg"
    runner = CliRunner()
    for args in (["convert", str(files["zones"]), "--kind", "zones", "-o", str(zones)],
                 ["convert", str(files["ssen"]), str(files["nged"]), "--kind", "substations",
                  "-o", str(grid)]):
        done = runner.invoke(cli, ["layers", *args])
        assert done.exit_code == 0, done.output
    plain, licensed = tmp_path / "plain.csv", tmp_path / "licensed.csv"
    before = runner.invoke(cli, ["layers", "assign", str(zones), str(grid), "-o", str(plain)])
    assert before.exit_code == 0, before.output
    assert pd.read_csv(plain).set_index("zone_id").loc["Z1", "substation_id"] \
        == "SSEN:SSEN-primary-DEDDINGTON"  # the nearest of all, though Z1 lies in NGED's area
    after = runner.invoke(cli, ["layers", "assign", str(zones), str(grid), "--licence-areas",
                                str(files["licence"]), "-o", str(licensed)])
    assert after.exit_code == 0, after.output
    table = pd.read_csv(licensed, keep_default_na=False).set_index("zone_id")
    # the same answers as the library, and as prepare_layers gives the zones
    layers = prepare_layers(_inputs(files, licence_areas=files["licence"]))
    assert table["substation_id"].to_dict() == \
        layers.zones.set_index("zone_id")["substation_id"].to_dict()
    assert table.loc["Z1", "substation_id"] == "NGED:300"
    assert table["zone_dno"].to_dict() == {"Z1": "NGED", "Z2": "SSEN", "Z3": "UKPN", "Z4": ""}
    assert table.loc["Z3", "substation_dno"] == "SSEN"  # no UKPN file: another DNO serves it
    assert ("licence areas: NGED 1, SSEN 1, UKPN 1, none 1; served by another DNO's "
            "substation: 1") in after.output
    assert "in no licence area: 1" in after.output
    missing = runner.invoke(cli, ["layers", "assign", str(zones), str(grid), "--licence-areas",
                                  str(tmp_path / "nowhere.geojson"), "-o",
                                  str(tmp_path / "x.csv")])
    assert missing.exit_code == 2
    assert "nowhere.geojson" in missing.output


def test_layers_convert_cuts_a_file_without_areas_to_the_zones(files, tmp_path):
    # NGED's map also lists a primary in Cardiff, 120 km from every zone
    nged = write_nged(tmp_path / "nged-wide.csv", [("300", "Banbury Town", NGED_PRIMARY, "6"),
                                                   ("301", "Cardiff", (318_000, 176_000), "9")])
    sources = [str(files["ssen"]), str(nged), "--kind", "substations", "--within", "Oxon"]
    runner = CliRunner()
    whole = runner.invoke(cli, ["layers", "validate", *sources])
    assert whole.exit_code == 0, whole.output
    assert "all 4 of its substations are kept for --within 'Oxon'" in whole.output
    assert "no zones were given" in whole.output
    cut = runner.invoke(cli, ["layers", "validate", *sources, "--zones", str(files["zones"]),
                              "--licence-areas", str(files["licence"])])
    assert cut.exit_code == 0, cut.output
    # NGED: Banbury Town (within 10 km of Z1, the zone in NGED's area), its BSP and GSP
    assert "kept 3 of 4 (1 gsp, 1 bsp, 1 primary)" in cut.output
    assert "of the 1 zone in NGED's licence area" in cut.output
    assert "dropped 1" in cut.output
    out = tmp_path / "grid.gpkg"
    done = runner.invoke(cli, ["layers", "convert", *sources, "--zones", str(files["zones"]),
                               "-o", str(out)])
    assert done.exit_code == 0, done.output
    ids = set(gpd.read_file(out, layer="substations")["substation_id"])
    assert "NGED:300" in ids
    assert "NGED:301" not in ids
    alone = runner.invoke(cli, ["layers", "validate", *sources, "--licence-areas",
                                str(files["licence"])])
    assert alone.exit_code == 2
    assert "--licence-areas needs --zones" in alone.output
