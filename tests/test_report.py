"""The run's settings in its plan, data attributions, the A4/A3 static map and the bid pack.

Small frames built here (and the tiny plans of tests/test_map.py); the bid pack of a real
run is checked in tests/test_pipeline.py on the session's joint run (no new run here).
"""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from matplotlib.backends.backend_agg import FigureCanvasAgg
from pypdf import PdfReader
from shapely.geometry import box

from geoplan.cli.main import cli
from geoplan.files.atomic import write_geopackage
from geoplan.outputs.attribution import (
    SAMPLE_STATEMENT,
    attribution_lines,
    attribution_sources,
    attribution_year,
)
from geoplan.outputs.report import grid_rows, headline_rows
from geoplan.outputs.report_pages import table_pages, text_pages
from geoplan.outputs.run_settings import read_run_settings, settings_table, shown_candidates
from geoplan.outputs.static_map import page_inches, static_map_figure, write_static_map
from geoplan.sources.edition import edition_year
from tests.test_map import X0, Y0, districts, headroom, overlays, plans, substations, zones

OS_2026 = "Contains OS data © Crown copyright and database right 2026"
ONS = "Source: Office for National Statistics licensed under the Open Government Licence v3.0"


def test_attribution_names_each_licence_once_and_the_sample_as_synthetic(monkeypatch) -> None:
    lines = attribution_lines(["zones", "districts", "grid:1", "grid:2", "car_parks",
                               "postcodes", "made_up_kind"], year=2026)
    assert lines[:2] == [OS_2026, ONS]  # zones and districts share both statements
    assert len(lines) == len(set(lines))
    assert "© OpenStreetMap contributors (Open Database Licence)" in lines
    assert ("Contains Royal Mail data © Royal Mail copyright and database right 2026"
            in lines)
    assert sum("distribution network operator" in line for line in lines) == 1
    assert attribution_lines(["zones", "epc"], year=2026, sample=True) == [SAMPLE_STATEMENT]
    sources = dict(attribution_sources(["grid:1", "mystery"], year=2026))
    assert sources["mystery"] == "licence as published"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14
    assert attribution_year() == 2023


def test_run_settings_round_trip_and_hand_edited_values() -> None:
    settings = {"title": "joint: £30m plan", "milestone_years": [2025, 2030],
                "choropleths": {"share_d_to_g": "Homes D-G"}, "map_unchosen": 2,
                "sample": True}
    table = settings_table(settings)
    assert table.columns.tolist() == ["key", "value"]
    assert read_run_settings(table) == settings
    edited = pd.concat([table, pd.DataFrame({"key": ["note"], "value": ["not json"]})])
    assert read_run_settings(edited)["note"] == "not json"
    assert read_run_settings(None) == {}
    assert read_run_settings(pd.DataFrame({"a": [1]})) == {}


def test_shown_candidates_keeps_the_chosen_and_the_best_unchosen() -> None:
    table = pd.DataFrame({"rank": [5, 1, 4, 2, 3, 6],
                          "selected": [True, False, False, None, True, False]})
    # chosen: ranks 5 and 3; unchosen by rank: 1, 2, 4, 6 -> the best two are 1 and 2
    shown = shown_candidates(table, 2)
    assert shown["rank"].tolist() == [5, 1, 2, 3]
    assert shown.attrs["candidates"] == 6
    assert shown_candidates(table, None)["rank"].tolist() == [5, 1, 4, 2, 3, 6]
    assert shown_candidates(table, 0)["rank"].tolist() == [5, 3]


def _plans_with_a_tiny_parcel() -> dict:
    chosen = plans()
    seq = chosen["retrofit"].copy()
    seq["candidate_id"] = [f"sequestration:{i}" for i in range(len(seq))]
    seq.loc[seq.index[0], "geometry"] = box(X0, Y0, X0 + 20, Y0 + 20)  # 20 m: a point
    return {**chosen, "sequestration": seq}


def _labels(fig) -> list[str]:
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]


def test_static_map_legend_explains_every_marker_and_draws_substations() -> None:
    many = substations()
    many.loc[0, "level"] = "bsp"
    fig = static_map_figure(_plans_with_a_tiny_parcel(), districts=districts(), zones=zones(),
                            substations=many, attribution=[OS_2026, ONS])
    labels = _labels(fig)
    # sequestration: two chosen, one drawn as an area, one too small -> its marker explained
    assert "sequestration: 2 selected" in labels
    assert "sequestration: a site too small to see (1)" in labels
    assert "chargers: 3 selected" in labels  # points only: one marker entry
    assert "bulk supply point (1)" in labels
    assert "primary substation (2)" in labels
    triangles = [c for c in fig.axes[0].collections if len(c.get_offsets()) in (1, 2)
                 and c.get_paths() and len(c.get_paths()[0].vertices) == 4]
    assert sorted(len(c.get_offsets()) for c in triangles) == [1, 2]
    texts = [t.get_text() for t in fig.texts]
    assert any(OS_2026 in t.replace("\n", " ") for t in texts)


def test_static_map_wraps_a_long_title_inside_the_page() -> None:
    title = "joint: " + "a very long scenario description that goes on " * 4
    fig = static_map_figure(plans(), districts=districts(), title=title, paper="A4",
                            orientation="portrait")
    heading = fig.texts[0]
    assert heading.get_text().count("\n") >= 2
    renderer = FigureCanvasAgg(fig).get_renderer()
    box_px = heading.get_window_extent(renderer)
    assert box_px.x0 >= 0
    assert box_px.x1 <= fig.get_size_inches()[0] * fig.dpi
    assert heading.get_text().replace("\n", " ").split() == title.split()


@pytest.mark.parametrize(("paper", "orientation", "points"), [
    ("A4", "portrait", (595.44, 841.68)), ("A3", "landscape", (1190.88, 841.68))])
def test_static_map_pdf_page_size_and_metadata(tmp_path, paper, orientation, points) -> None:
    assert page_inches(paper, orientation) == pytest.approx((points[0] / 72, points[1] / 72))
    _, pdf = write_static_map(plans(), tmp_path / "m.png", tmp_path / "m.pdf",
                              districts=districts(), title="Plan for Oxford", paper=paper,
                              orientation=orientation, attribution=[OS_2026])
    reader = PdfReader(pdf)
    assert len(reader.pages) == 1
    box_pt = reader.pages[0].mediabox
    assert (float(box_pt.width), float(box_pt.height)) == pytest.approx(points, abs=0.01)
    assert reader.metadata.title == "Plan for Oxford"
    assert reader.metadata.author == "geoplan"
    assert reader.metadata.subject == "Static map of a geoplan plan"
    with pytest.raises(ValueError, match="unknown paper 'A5'"):
        page_inches("A5")


def test_static_map_orientation_auto_follows_the_layers() -> None:
    wide = static_map_figure(plans(), districts=districts())  # 21 km wide, 15 km tall
    tall = districts().set_geometry([box(X0, Y0, X0 + 1000, Y0 + 5000)], crs=27700)
    assert tuple(wide.get_size_inches()) == page_inches("A4", "landscape")
    assert tuple(static_map_figure({}, districts=tall).get_size_inches()) == (
        page_inches("A4", "portrait"))


def test_grid_rows_pivot_blocked_kw_by_substation_and_year() -> None:
    evidence = pd.DataFrame({
        "name": ["A", "A", "B", "B", "C", "A"], "level": ["bsp", "bsp", "primary", "primary",
                                                          "primary", "bsp"],
        "year": [2030, 2040, 2030, 2040, 2030, 2030],
        "workstream": ["all", "all", "all", "all", "all", "laep"],
        "blocked_kw": [100.0, 0.0, 50.0, 900.0, 0.0, 7.0]})
    header, rows = grid_rows(evidence)
    assert header == ["substation (level)", "2030 kW", "2040 kW"]
    # B blocks most in its worst year (900), then A (100); C blocks nothing; laep rows apart
    assert rows == [["B (primary)", "50", "900"], ["A (bsp)", "100", "0"]]
    assert grid_rows(evidence, top=1)[1] == [["B (primary)", "50", "900"]]


def test_headline_rows_carry_units_and_keep_kinds_of_tonnes_apart() -> None:
    rows = headline_rows({"cost_gbp": 29894815.1, "reduction_tco2e_per_yr": 48.6518,
                          "removal_tco2e_per_yr": 7973.614, "area_ha": 1306.75})
    # the words and units are summary.md's (outputs.labels), one vocabulary for both
    assert rows == [["Capital cost", "£29,894,815", "£"],
                    ["Emission reductions, buildings", "48.7", "tCO2e/yr"],
                    ["Removals, sequestration", "7,973.6", "tCO2e/yr"],
                    ["Area", "1,306.8", "ha"]]
    assert headline_rows({"candidates_blocked_by_grid": 2432.0, "homes": 95.0}) == [
        ["Homes", "95", ""], ["Candidates blocked by grid headroom", "2,432", ""]]


def _boxes_overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_headline_page_text_boxes_do_not_overlap() -> None:
    kpis = {"cost_gbp": 29894815.1, "reduction_lifetime_tco2e": 51234.0,
            "reduction_cost_per_lifetime_tco2e_gbp": 41.81, "removal_lifetime_tco2e": 712926.0,
            "removal_cost_per_lifetime_tco2e_gbp": 45.88, "substations_binding": 3,
            "candidates_blocked_by_grid": 2432.0}
    rows = headline_rows(kpis)
    binding = next(r for r in rows if r[0].startswith("Substations that limit the plan"))
    assert binding[1:] == ["3", ""]  # the explanation stays with the words, not the unit
    (page,) = table_pages("Headline figures", ["figure", "value", "unit"], rows,
                          widths=[3.0, 1.2, 1.0], notes=["A note under the table."])
    renderer = FigureCanvasAgg(page).get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in page.texts if t.get_text()]
    assert any("headroom used up" in text for text, _ in boxes)
    clashes = [(a, b) for i, (a, one) in enumerate(boxes) for b, two in boxes[i + 1:]
               if _boxes_overlap(one, two)]
    assert clashes == []
    right = page.get_window_extent(renderer).x1
    assert all(box.x1 <= right for _, box in boxes)  # nothing runs off the page


def test_table_cells_wrap_to_their_column() -> None:
    (page,) = table_pages("T", ["name", "n"], [["word " * 40, "1"], ["short", "2"]],
                          widths=[1.0, 1.0])
    renderer = FigureCanvasAgg(page).get_renderer()
    cells = {t.get_text().split("\n")[0]: t for t in page.texts}
    long = next(t for k, t in cells.items() if k.startswith("word"))
    assert long.get_text().count("\n") >= 1
    assert long.get_window_extent(renderer).x1 < cells["1"].get_window_extent(renderer).x0
    # the next row starts under the wrapped cell's last line
    assert cells["short"].get_window_extent(renderer).y1 <= long.get_window_extent(renderer).y0


def test_long_tables_and_texts_continue_on_more_pages() -> None:
    rows = [[f"row {i}", str(i)] for i in range(150)]
    pages = table_pages("Long table", ["name", "n"], rows)
    assert len(pages) >= 2
    shown = [t.get_text() for page in pages for t in page.texts]
    assert all(f"row {i}" in shown for i in range(150))
    assert pages[1].texts[0].get_text() == "Long table (continued)"
    assert shown.count("name") == len(pages)  # the header on every page
    one = text_pages("Notes", ["short"])
    assert len(one) == 1


def _package(tmp_path, settings: dict):
    layers = {**plans(), "zones": zones(), "districts": districts(),
              "substations": substations(), "headroom": headroom(),
              "run_settings": settings_table(settings)}
    return write_geopackage(layers, tmp_path / "plan.gpkg")


def test_cli_map_follows_the_run_settings_in_the_plan(tmp_path) -> None:
    package = _package(tmp_path, {
        "title": "Run title from the plan", "grid_scenario": "CT", "grid_season": "winter",
        "plan_year": 2025, "milestone_years": [2025, 2030], "map_unchosen": 1,
        "choropleths": {"epc_dg_share": "EPC D-G share", "gone": "Not in zones"},
        "attribution": [OS_2026]})
    result = CliRunner().invoke(cli, ["map", str(package), "-o", str(tmp_path / "m.html")])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert "Run title from the plan" in html
    assert overlays(html) == ["chargers", "retrofit", "Substations (headroom)",
                              "EPC D-G share", "District boundaries", "Place names"]
    assert "Headroom 2025 (CT, winter)" in html
    assert json.dumps(OS_2026)[1:-1] in html  # the attribution control (escaped as JSON)
    # chargers: 3 chosen + the best unchosen (rank 4, "Car park 3"); ranks 5 and 6 left out
    assert "Car park 3" in html
    assert "Car park 4" not in html
    assert "Car park 5" not in html
    every = CliRunner().invoke(cli, ["map", str(package), "-o", str(tmp_path / "all.html"),
                                     "--all-candidates"])
    assert every.exit_code == 0, every.output
    assert "Car park 5" in (tmp_path / "all.html").read_text(encoding="utf-8")


def test_cli_map_writes_a_static_a3_pdf(tmp_path) -> None:
    package = _package(tmp_path, {"title": "Static from the plan", "attribution": [OS_2026]})
    out = tmp_path / "map-a3.pdf"
    result = CliRunner().invoke(cli, ["map", str(package), "-o", str(out), "--paper", "A3",
                                      "--orientation", "landscape"])
    assert result.exit_code == 0, result.output
    reader = PdfReader(out)
    assert float(reader.pages[0].mediabox.width) == pytest.approx(1190.88, abs=0.01)
    assert reader.metadata.title == "Static from the plan"


def test_report_refuses_a_folder_that_is_not_a_run(tmp_path) -> None:
    (tmp_path / "run").mkdir()
    result = CliRunner().invoke(cli, ["report", str(tmp_path / "run"), "-o",
                                      str(tmp_path / "pack.pdf")])
    assert result.exit_code == 2
    assert "not a run folder" in result.output
    assert "summary.json" in result.output
    assert not (tmp_path / "pack.pdf").exists()


def test_assumption_sources_listed_once_when_only_their_numbers_differ() -> None:
    from geoplan.outputs.labels import distinct_sources

    yearly = [f"DESNZ Table 3, carbon value, year {y}, GBP {v:,.2f}"
              for y, v in [(2020, 241.0), (2021, 245.5), (2022, 1_248.25)]]
    other = "Woodland Carbon Code v2.0, Biomass Carbon Lookup Table"
    assert distinct_sources([*yearly, other, other]) == [
        f"{yearly[0]} (+2 rows: the same text with other numbers)",
        f"{other} (+1 row: the same text with other numbers)"]
    assert distinct_sources(["A", "B"]) == ["A", "B"]
    assert distinct_sources([]) == []


def test_dollar_signs_in_data_show_as_written_in_the_pdf(tmp_path) -> None:
    # matplotlib reads "$...$" as mathematics: a scenario's or a source's text with two
    # dollar signs would lose them (and change its letters) unless escaped
    from matplotlib.backends.backend_pdf import PdfPages

    text = "Grant $5m to $9m (scenario text)"
    pages = [*text_pages("Notes $1 $2", [text]), *table_pages("Table", ["what"], [[text]])]
    path = tmp_path / "dollars.pdf"
    with PdfPages(path) as pdf:
        for page in pages:
            pdf.savefig(page)
    shown = " ".join(page.extract_text() for page in PdfReader(path).pages)
    assert shown.count(text) == 2
    assert "Notes $1 $2" in shown


def test_crown_copyright_year_is_the_data_edition_when_the_file_states_it(tmp_path) -> None:
    """LSOA 2021 boundaries carry "... database right 2021", whatever year the run is."""
    zones = tmp_path / "zones.geojson"
    gpd.GeoDataFrame({"LSOA21CD": ["E01000001"], "LSOA21NM": ["Somewhere 001A"],
                      "LAD13CD": ["E07000177"]}, geometry=[box(0, 0, 1, 1)],
                     crs="EPSG:27700").to_file(zones, driver="GeoJSON")
    plain = tmp_path / "plain.csv"
    plain.write_text("zone_id,name\nZ1,one\n", encoding="utf-8")
    assert (edition_year(zones), edition_year(plain), edition_year(tmp_path / "none")) == (
        2021, None, None)
    lines = attribution_lines(["zones", "roads", "postcodes"], year=2026,
                              years={"zones": edition_year(zones)})
    assert lines[0] == "Contains OS data © Crown copyright and database right 2021"
    # Royal Mail's statement comes only with postcodes, whose file states no edition
    assert "Contains Royal Mail data © Royal Mail copyright and database right 2026" in lines
    sources = dict(attribution_sources(["zones", "roads"], year=2026, years={"zones": 2021}))
    assert sources["planning zones (ONS boundaries)"].startswith(
        "Contains OS data © Crown copyright and database right 2021")
    assert sources["roads (OS Open Roads)"].endswith("database right 2026")


def test_edition_year_reads_every_layer_of_a_geopackage_quietly(tmp_path) -> None:
    import warnings

    path = tmp_path / "two.gpkg"
    square = [box(0, 0, 1, 1)]
    gpd.GeoDataFrame({"LAD13CD": ["E07000177"]}, geometry=square, crs=27700).to_file(
        path, layer="older")
    gpd.GeoDataFrame({"MSOA21CD": ["E02005940"]}, geometry=square, crs=27700).to_file(
        path, layer="newer")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # read_info of a file of two layers warned
        assert edition_year(path) == 2021  # the second layer's, not only the first's 2013


def test_edition_year_of_a_folder_is_the_latest_its_files_state(tmp_path) -> None:
    """A zones input given as a folder (``boundaries/lsoa21``) states its files' edition."""
    folder = tmp_path / "lsoa21"
    folder.mkdir()
    square = [box(0, 0, 1, 1)]
    for name, column in (("a.geojson", "LAD13CD"), ("b.geojson", "LSOA21CD")):
        gpd.GeoDataFrame({column: ["E0"]}, geometry=square, crs=27700).to_file(
            folder / name, driver="GeoJSON")
    (folder / "notes.txt").write_text("no header of codes\n", encoding="utf-8")
    (folder / "nested").mkdir()  # a sub-folder is not read
    assert edition_year(folder) == 2021
    assert edition_year(tmp_path) is None  # its files are inside lsoa21, not directly here
