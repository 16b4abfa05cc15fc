"""The main job end to end: ``geoplan run`` on the sample county, checked from its files."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from geoplan.cli.main import cli
from geoplan.errors import OutputExistsError, ScenarioError
from geoplan.outputs.attribution import SAMPLE_STATEMENT
from geoplan.outputs.export import read_plan
from geoplan.outputs.labels import column_label, stop_words
from geoplan.outputs.manifest import file_digest
from geoplan.outputs.run_settings import read_run_settings
from geoplan.outputs.summary import escape_markdown
from geoplan.pipeline import run_scenario
from geoplan.scenario import load_scenario
from geoplan.workstreams.charger_settings import attribution_share, read_charger_types
from tests.conftest import shared_once
from tests.test_map import overlays

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
WORKSTREAMS = ("retrofit", "laep", "chargers", "sequestration")


def _shipped_run(name: str, out: Path) -> None:
    """``geoplan run scenarios/<name>.yaml -o out``, as a user runs it."""
    result = CliRunner().invoke(cli, ["run", str(SCENARIOS / f"{name}.yaml"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"map: {out / 'map.html'}" in result.output
    # a line per enabled workstream, also one that chose nothing (the joint's chargers)
    lines = result.output.splitlines()
    for workstream in load_scenario(SCENARIOS / f"{name}.yaml").workstreams.enabled():
        assert any(line.startswith(f"  {workstream:<14}") and " chosen" in line
                   for line in lines), (workstream, result.output)


@pytest.fixture(scope="session")
def joint_run(cache: Path) -> Path:
    """``geoplan run scenarios/joint.yaml``, once per session for every worker (read-only)."""
    return shared_once(cache, "joint", lambda out: _shipped_run("joint", out))


@pytest.fixture(scope="session")
def ev_run(cache: Path) -> Path:
    """``geoplan run scenarios/ev-infrastructure.yaml``, once per session (chargers chosen)."""
    return shared_once(cache, "ev-infrastructure",
                       lambda out: _shipped_run("ev-infrastructure", out))


def _scenario(folder: Path, text: str) -> Path:
    path = folder / "scenario.yaml"
    path.write_text(f"extends: {SCENARIOS / 'base.yaml'}\n{text}", encoding="utf-8")
    return path


def test_run_writes_every_file(joint_run: Path) -> None:
    names = {p.name for p in joint_run.iterdir()}
    assert names == {"plan.gpkg", "rankings.csv", "summary.json", "summary.md", "map.html",
                     "map.png", "map.pdf", "manifest.json", "grid_evidence.csv",
                     "periods.csv", "tradeoff.csv", "tradeoff.png", "sensitivity.csv",
                     "tornado.png"}
    layers = dict(pyogrio.list_layers(joint_run / "plan.gpkg"))
    # charger sites are car-park points and outlines: every site as a point, the outlines
    # beside them (one geometry type per layer); QGIS's styles in layer_styles
    assert set(layers) == {*WORKSTREAMS, "chargers_areas", "zones", "districts",
                           "substations", "headroom", "grid_by_year", "grid_evidence",
                           "existing_chargers", "run_settings", "layer_styles"}
    # the plan remembers its run: how its map was drawn and what its data must credit
    settings = read_run_settings(pyogrio.read_dataframe(joint_run / "plan.gpkg",
                                                        layer="run_settings"))
    assert settings["title"] == ("joint: All phase-1 workstreams planned together on the "
                                 "sample county.")
    assert (settings["grid_scenario"], settings["grid_season"]) == ("minimum", "winter")
    assert settings["milestone_years"] == [2027, 2030, 2040, 2050]
    assert settings["plan_year"] == 2030
    assert settings["attribution"] == [SAMPLE_STATEMENT]  # synthetic: no licence borrowed
    # the static map: one A4 page with its title in the metadata
    pdf = PdfReader(joint_run / "map.pdf")
    assert len(pdf.pages) == 1
    size = (float(pdf.pages[0].mediabox.width), float(pdf.pages[0].mediabox.height))
    assert sorted(size) == pytest.approx([595.44, 841.68], abs=0.01)
    assert pdf.metadata.title == settings["title"]
    assert layers["chargers"] == "Point"
    assert layers["chargers_areas"] == "MultiPolygon"
    # each layer opens in QGIS styled: one default style, a renderer for the map layers
    styles = pyogrio.read_dataframe(joint_run / "plan.gpkg", layer="layer_styles")
    assert sorted(styles["f_table_name"]) == sorted(set(layers) - {"layer_styles"})
    assert styles["useAsDefault"].all()
    renderers = {row.f_table_name: ElementTree.fromstring(row.styleQML.split("\n", 1)[1]).find(
        "renderer-v2") for row in styles.itertuples()}
    assert renderers["chargers"].get("type") == "categorizedSymbol"
    assert renderers["districts"].get("type") == "singleSymbol"
    assert renderers["headroom"] is None  # a table: aliases only


def test_every_headline_figure_has_words_not_a_key(joint_run: Path, ev_run: Path) -> None:
    # an officer reads "Candidates that add peak load", not "load adding candidates"
    for run in (joint_run, ev_run):
        kpis = json.loads((run / "summary.json").read_text(encoding="utf-8"))["kpis"]
        spaced = [k for k in kpis if column_label(k) == k.replace("_", " ")]
        assert spaced == [], run.name
        text = (run / "summary.md").read_text(encoding="utf-8")
        assert "| load adding candidates |" not in text
    # the period table's caps say the delivery limit is cumulative (read as broken otherwise)
    text = (joint_run / "summary.md").read_text(encoding="utf-8")
    assert ("homes retrofitted cap (the period's capacity; capacity left unused in earlier "
            "periods may still be used)") in text


def test_summary_agrees_with_the_plan_files(joint_run: Path) -> None:
    summary = json.loads((joint_run / "summary.json").read_text(encoding="utf-8"))
    chosen = []
    for name in WORKSTREAMS:
        table = gpd.read_file(joint_run / "plan.gpkg", layer=name)
        assert table["rank"].notna().all()
        assert sorted(table["rank"]) == list(range(1, len(table) + 1))
        chosen.append(table[table["selected"].astype(bool)].assign(workstream=name))
    chosen = pd.concat(chosen)
    kpis = summary["kpis"]  # summary.json keeps 9 significant digits
    assert kpis["cost_gbp"] == pytest.approx(chosen["cost_gbp"].sum(), rel=1e-8)
    # each kind of tonnes on its own line, never one mixed "tCO2e/yr"
    kinds = {"reduction": ("retrofit", "laep"), "removal": ("sequestration",),
             "ev_attributed": ("chargers",)}
    for kind, names in kinds.items():
        mine = chosen[chosen["workstream"].isin(names)]
        assert kpis[f"{kind}_tco2e_per_yr"] == pytest.approx(mine["tco2e_per_yr"].sum(),
                                                             rel=1e-8, abs=1e-9)
        rows = [r for r in summary["finance"]["by_workstream"] if r["workstream"] in names]
        lifetime = sum(r["lifetime_tco2e"] for r in rows)
        if lifetime > 0:  # capital cost over lifetime tonnes of the kind (finance's)
            assert kpis[f"{kind}_cost_per_lifetime_tco2e_gbp"] == pytest.approx(
                sum(r["capex_gbp"] for r in rows) / lifetime, rel=1e-4)
    assert "tco2e_per_yr" not in kpis
    text = (joint_run / "summary.md").read_text(encoding="utf-8")
    assert "sequestered" not in text
    for line in ("| Emission reductions, buildings (tCO2e/yr) |",
                 "| Removals, sequestration (tCO2e/yr) |",
                 "| EV switch attributed to chargers (tCO2e/yr) |"):
        assert line in text
    by_district = {row["district_id"]: row["cost_gbp"] for row in summary["by_district"]}
    expected = chosen.groupby("district_id")["cost_gbp"].sum()
    # every district has a row, one the plan leaves out with 0 (a finding, not a gap)
    districts = gpd.read_file(joint_run / "plan.gpkg", layer="districts")
    assert set(by_district) == set(districts["district_id"])
    assert {k: by_district[k] for k in expected.index} == pytest.approx(expected.to_dict())
    assert all(v == 0 for k, v in by_district.items() if k not in expected.index)
    assert summary["solver"]["joint"]["status"] in ("optimal", "feasible")
    # spending against the budgets: each workstream's spend from its chosen rows, the total
    # against the scenario's budget, the unspent money what is left of it
    budgets = {row["workstream"]: row for row in summary["budgets"]}
    spent = chosen.groupby("workstream")["cost_gbp"].sum()
    for name in WORKSTREAMS:
        assert budgets[name]["spent_gbp"] == pytest.approx(spent.get(name, 0.0), rel=1e-8)
    scenario = load_scenario(SCENARIOS / "joint.yaml")
    assert budgets["total"]["budget_gbp"] == scenario.plan.budget_gbp
    assert budgets["total"]["unspent_gbp"] == pytest.approx(
        scenario.plan.budget_gbp - chosen["cost_gbp"].sum(), rel=1e-8)
    assert "## Spending against each budget" in text
    assert "Wanted load is each zone's or site's best load-adding option" in text
    assert "(grid.accounting: on\\_top)" in text  # escaped Markdown


def test_budget_and_one_option_per_zone_hold(joint_run: Path) -> None:
    # base.yaml: a total budget of 30m GBP (reinforcement is off, so candidates only)
    tables = [gpd.read_file(joint_run / "plan.gpkg", layer=n) for n in WORKSTREAMS]
    spent = sum(t.loc[t["selected"].astype(bool), "cost_gbp"].sum() for t in tables)
    assert 0 < spent <= 30_000_000 + 1e-6
    zone_options = pd.concat(tables[:2])
    picked = zone_options[zone_options["selected"].astype(bool)]
    assert not picked["zone_id"].duplicated().any()  # a retrofit package or a pathway


def test_rankings_match_the_geopackage(joint_run: Path) -> None:
    rankings = pd.read_csv(joint_run / "rankings.csv")
    for name in WORKSTREAMS:
        table = gpd.read_file(joint_run / "plan.gpkg", layer=name)
        mine = rankings[rankings["workstream"] == name].set_index("candidate_id")
        assert set(mine.index) == set(table["candidate_id"])


def test_manifest_hashes_every_output(joint_run: Path) -> None:
    manifest = json.loads((joint_run / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scenario"]["name"] == "joint"
    for entry in manifest["outputs"]:
        assert file_digest(joint_run / entry["path"])["sha256"] == entry["sha256"]
    assert manifest["inputs"]["grid"]["sha256"]


@pytest.mark.slow
def test_same_scenario_gives_identical_files(joint_run: Path, quickstart_notebook: Path) -> None:
    # the second run of scenarios/joint.yaml: the quickstart notebook's, through the public
    # API in another process (its kernel), against `geoplan run`'s
    again, *more = sorted((quickstart_notebook / "tmp").glob("geoplan-quickstart-*/joint"))
    assert not more, "the quickstart runs scenarios/joint.yaml once"
    assert (again / "manifest.json").is_file()
    for path in sorted(joint_run.iterdir()):
        if path.name != "manifest.json":
            assert path.read_bytes() == (again / path.name).read_bytes(), path.name
    first = json.loads((joint_run / "manifest.json").read_text(encoding="utf-8"))
    second = json.loads((again / "manifest.json").read_text(encoding="utf-8"))
    first.pop("created")
    second.pop("created")
    # the notebook's kernel may import an installed geoplan while this process imports the
    # checkout (CI): the same tables (same sha256) then sit in two folders
    for manifest in (first, second):
        for used in manifest["assumptions"].values():
            used["file"] = Path(used["file"]).name
    assert first == second


@pytest.mark.slow
def test_a_run_without_forks_writes_the_same_files(joint_run: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # the land read and the maps drawn in forked children (geoplan.forked), against a run
    # that does every step in turn: the same bytes, and the manifest lists the same tables
    monkeypatch.setenv("GEOPLAN_FORK", "0")
    run_scenario(SCENARIOS / "joint.yaml", tmp_path / "joint")
    for path in sorted(joint_run.iterdir()):
        if path.name != "manifest.json":
            assert path.read_bytes() == (tmp_path / "joint" / path.name).read_bytes(), path.name
    forked, in_turn = (json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
                       for folder in (joint_run, tmp_path / "joint"))
    assert forked["assumptions"] == in_turn["assumptions"]
    assert forked["outputs"] == in_turn["outputs"]


def test_existing_folder_is_kept_without_overwrite(cache: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    scenario = _scenario(tmp_path, "name: small\nworkstreams:\n  laep: {enabled: false}\n"
                         "  chargers: {enabled: false}\n  sequestration: {enabled: false}\n")
    with pytest.raises(OutputExistsError):
        run_scenario(scenario, out)
    with pytest.raises(OutputExistsError):  # not a run folder: --overwrite must not delete it
        run_scenario(scenario, out, overwrite=True)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_interrupted_run_leaves_no_folder(cache: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import geoplan.outputs.run as run_module

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(run_module, "write_run", broken)
    scenario = _scenario(tmp_path, "name: small\nworkstreams:\n  laep: {enabled: false}\n"
                         "  chargers: {enabled: false}\n  sequestration: {enabled: false}\n"
                         "plan: {tradeoff_fractions: []}\n")  # stopped before any output
    out = tmp_path / "out" / "run"
    with pytest.raises(KeyboardInterrupt):
        run_scenario(scenario, out)
    assert not out.exists()
    assert list((tmp_path / "out").iterdir()) == []


def test_bad_scenario_fails_before_any_work(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, "name: bad\nplan:\n  budget_gbp: -1\ncolour: red\n")
    out = tmp_path / "never"
    result = CliRunner().invoke(cli, ["run", str(scenario), "-o", str(out)])
    assert result.exit_code == 2
    assert "plan.budget_gbp: must be >= 0 (got -1)" in result.output
    assert "colour: unknown key" in result.output
    assert not out.exists()
    with pytest.raises(ScenarioError):
        run_scenario(scenario, out)


@pytest.mark.slow
def test_assumption_override_changes_the_plan_and_is_recorded(cache: Path,
                                                              tmp_path: Path) -> None:
    # Chargers alone under a 200k GBP budget; then car-park chargers made 100 times dearer
    # (630,000 GBP each): no 7 kW option fits the budget any more.
    base = ("workstreams:\n  retrofit: {enabled: false}\n  laep: {enabled: false}\n"
            "  sequestration: {enabled: false}\nplan:\n  budget_gbp: 200000\n"
            # the plans and summaries are what is compared: no maps, tornado or curve
            "  tradeoff_fractions: []\n"
            "outputs: {map: false, static_map: false, sensitivity: false}\n")
    cheap = run_scenario(_scenario(tmp_path, "name: cheap\n" + base), tmp_path / "cheap")
    dear_text = ("name: dear\n" + base + "assumptions:\n  set:\n    - table: charger_types\n"
                 "      where: {kw_class: 7}\n      values: {cost_per_charger_gbp: 630000}\n"
                 "      source: \"test, a hundredfold price\"\n")
    dear = run_scenario(_write(tmp_path / "d", dear_text), tmp_path / "dear")
    chosen_cheap = cheap.plans.tables["chargers"]
    chosen_dear = dear.plans.tables["chargers"]
    seven = chosen_cheap["selected"] & (chosen_cheap["charger_kw"] == 7)
    assert seven.any()
    assert not (chosen_dear["selected"] & (chosen_dear["charger_kw"] == 7)).any()
    recorded = dear.summary["assumptions"]["charger_types"]["overrides"]
    assert recorded
    assert "a hundredfold price" in json.dumps(recorded)


def _write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return _scenario(folder, text)


SHIPPED = sorted(p.stem for p in SCENARIOS.glob("*.yaml"))


def _check_shipped_run(out: Path, name: str) -> None:
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["scenario"]["name"] == name
    assert summary["solver"], "no model was solved"
    # a scenario with a node budget (laep.yaml) ends on it or its gap, never the clock: its
    # plan repeats whatever the machine's load (issue 17)
    budgeted = load_scenario(SCENARIOS / f"{name}.yaml").solver.node_limit is not None
    stops = ("gap", "work_limit") if budgeted else ("gap", "work_limit", "time_limit")
    for model, report in summary["solver"].items():
        assert report["status"] in ("optimal", "feasible"), (model, report)
        assert report["stopped_by"] in stops, (model, report)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    written = {entry["path"] for entry in manifest["outputs"]}
    assert {"plan.gpkg", "summary.md", "rankings.csv"} <= written
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert written == on_disk - {"manifest.json"}


ONCE_PER_SESSION = {"joint": "joint_run", "ev-infrastructure": "ev_run"}
"""Shipped scenarios run once per session by a fixture (the same CLI path)."""

IN_NOTEBOOKS = ("leading-the-way", "steady-progression")
"""Shipped scenarios the comparing-scenarios notebook runs (without the tornado and the
trade-off curve, which it does not use), once per session (``comparing_notebook`` of
conftest.py): their smoke run is the notebook's
(:func:`test_the_pathway_scenarios_run_in_the_comparing_notebook`)."""

LEAN = ("outputs: {map: false, static_map: false, sensitivity: false}\n"
        "plan: {tradeoff_fractions: []}\n")
"""The smoke runs leave out the maps (map.html, map.png, map.pdf), the tornado
(sensitivity.csv, tornado.png) and the trade-off curve (tradeoff.csv, tradeoff.png): each is
drawn from the plan tables every run writes, by code that does not depend on the scenario,
and the joint run writes and checks them (test_run_writes_every_file,
test_sensitivity_of_the_joint_plan_by_hand, tests/test_map*.py, tests/test_tradeoff*.py); the
comparing-scenarios notebook's two runs write the maps. Everything else each scenario asks for
is written and checked."""


def _lean(name: str, folder: Path) -> Path:
    """``scenarios/<name>.yaml`` extended to leave out the outputs other tests check."""
    text = f"extends: {SCENARIOS / f'{name}.yaml'}\n{LEAN}"
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.slow
@pytest.mark.parametrize("name", [name for name in SHIPPED if name not in IN_NOTEBOOKS])
def test_every_shipped_scenario_runs_on_the_sample(name: str, cache: Path, tmp_path: Path,
                                                   request: pytest.FixtureRequest) -> None:
    if name in ONCE_PER_SESSION:
        out = request.getfixturevalue(ONCE_PER_SESSION[name])
    else:
        out = tmp_path / name
        result = CliRunner().invoke(cli, ["run", str(_lean(name, tmp_path)), "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert "map: none (outputs.map is false)" in result.output
        # the CLI names each stop in summary.md's words ("work limit", never "work_limit")
        solver = json.loads((out / "summary.json").read_text(encoding="utf-8"))["solver"]
        for model, report in solver.items():
            assert f"plan {model}: " in result.output
            assert f"stopped by {stop_words(report['stopped_by'])}, " in result.output
        assert "_limit" not in result.output
    _check_shipped_run(out, name)
    names = {p.name for p in out.iterdir()}
    assert {"summary.json", "periods.csv", "grid_evidence.csv"} <= names
    lean = name not in ONCE_PER_SESSION
    assert ("tradeoff.csv" in names) is not lean  # the full runs write the curve


@pytest.mark.slow
@pytest.mark.parametrize("name", IN_NOTEBOOKS)
def test_the_pathway_scenarios_run_in_the_comparing_notebook(name: str,
                                                             comparing_notebook: Path) -> None:
    [out] = comparing_notebook.glob(f"tmp/geoplan-compare-*/{name}")
    _check_shipped_run(out, name)
    names = {p.name for p in out.iterdir()}
    assert {"summary.json", "periods.csv", "grid_evidence.csv", "map.html"} <= names
    assert not {"tradeoff.csv", "sensitivity.csv"} & names  # the notebook leaves them out


def test_grid_level_sets_where_loads_are_counted(cache: Path, tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, "name: bsp\ngrid: {level: bsp}\nworkstreams:\n"
                         "  retrofit: {enabled: false}\n  laep: {enabled: false}\n"
                         "  sequestration: {enabled: false}\n"
                         "outputs: {map: false, static_map: false, sensitivity: false}\n"
                         "plan: {tradeoff_fractions: []}\n")  # the curve adds nothing here
    out = tmp_path / "run"
    result = CliRunner().invoke(cli, ["run", str(scenario), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "map: none (outputs.map is false)" in result.output
    assert not (out / "map.html").exists()
    assert not (out / "sensitivity.csv").exists()
    assert not (out / "tornado.png").exists()
    chargers = gpd.read_file(out / "plan.gpkg", layer="chargers")
    substations = gpd.read_file(out / "plan.gpkg", layer="substations")
    level_of = substations.set_index("substation_id")["level"]
    assert set(level_of[chargers["substation_id"]]) == {"bsp"}


@pytest.mark.slow
def test_readme_map_and_shapefile_commands_work_on_a_run(joint_run: Path, tmp_path: Path) -> None:
    # `geoplan map out/joint/plan.gpkg` takes the run's grid scenario from its manifest
    runner = CliRunner()
    result = runner.invoke(cli, ["map", str(joint_run / "plan.gpkg"), "-o",
                                 str(tmp_path / "map.html")])
    assert result.exit_code == 0, result.output
    redrawn = (tmp_path / "map.html").read_text("utf-8")
    assert "Headroom 2030 (minimum, winter)" in redrawn  # popups; the legend names the
    # milestone the selector shows
    assert "Grid evidence (blocked kW)" in redrawn  # the run's grid_evidence layer, redrawn
    # the run map's rules from plan.gpkg's run_settings: same layers, same candidates shown
    # (not every one of the county's candidates), so about the same size
    original = (joint_run / "map.html").read_text("utf-8")
    assert overlays(redrawn) == overlays(original)
    assert len(redrawn) == pytest.approx(len(original), rel=0.05)
    # `geoplan report out/joint -o bid-pack.pdf`: the bid pack, one A4 PDF
    result = runner.invoke(cli, ["report", str(joint_run), "-o", str(tmp_path / "pack.pdf")])
    assert result.exit_code == 0, result.output
    _check_bid_pack(tmp_path / "pack.pdf", joint_run)
    again = runner.invoke(cli, ["report", str(joint_run), "-o", str(tmp_path / "pack.pdf")])
    assert again.exit_code == 2  # an existing PDF is kept without --overwrite
    assert "already exists" in again.output
    # `geoplan export ... --format shp` (and geojson): one geometry type per layer, the
    # file's true CRS in layers.csv, tables as tables, readable field names
    plan = read_plan(joint_run / "plan.gpkg")
    for fmt, crs in (("shp", "EPSG:27700"), ("geojson", "EPSG:4326")):
        result = runner.invoke(cli, ["export", str(joint_run / "plan.gpkg"), "--format", fmt,
                                     "-o", str(tmp_path / fmt)])
        assert result.exit_code == 0, result.output
        index = pd.read_csv(tmp_path / fmt / "layers.csv", dtype=str, keep_default_na=False)
        assert {"retrofit", "chargers", "chargers_areas", "headroom"} <= set(index["layer"])
        for row in index.itertuples():
            info = pyogrio.read_info(tmp_path / fmt / row.file)
            if not row.geometry:  # a table: a lone .dbf or a CSV, never shapeless features
                assert info["geometry_type"] is None, row.layer
                assert row.crs == "", row.layer
                continue
            kinds = set(gpd.read_file(tmp_path / fmt / row.file).geom_type.dropna())
            assert len(kinds) == 1 or (kinds == {"Polygon", "MultiPolygon"} and fmt == "shp")
            assert info["geometry_type"] in {"Point", "Polygon", "MultiPolygon"}, row.layer
            assert row.crs == crs == f"EPSG:{pyproj.CRS(info['crs']).to_epsg()}", row.layer
        back = read_plan(tmp_path / fmt)
        assert list(back) == list(plan)
        assert back["chargers"].geometry.geom_type.value_counts().to_dict() == (
            plan["chargers"].geometry.geom_type.value_counts().to_dict())
    for fmt in ("parquet", "csv"):  # the README's "also geojson, parquet, csv"
        result = runner.invoke(cli, ["export", str(joint_run / "plan.gpkg"), "--format", fmt,
                                     "-o", str(tmp_path / fmt)])
        assert result.exit_code == 0, result.output
        back = read_plan(tmp_path / fmt)
        assert list(back) == list(plan)
        assert back["chargers"]["candidate_id"].tolist() == (
            plan["chargers"]["candidate_id"].tolist())
    shp = pyogrio.read_info(tmp_path / "shp" / "retrofit.shp")["fields"]
    assert {"cand_id", "co2_per_yr", "subst_id", "distr_name"} <= set(shp)


def _check_bid_pack(path: Path, run: Path) -> None:
    """Every page A4 and numbered; the sections in order; the headline figures as written."""
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    districts = gpd.read_file(run / "plan.gpkg", layer="districts")
    pages = PdfReader(path).pages
    texts = [page.extract_text() for page in pages]
    assert all(sorted((float(p.mediabox.width), float(p.mediabox.height)))
               == pytest.approx([595.44, 841.68], abs=0.01) for p in pages)
    assert all(f"page {i} of {len(pages)}" in text for i, text in enumerate(texts, start=1))
    headings = [text.strip().splitlines()[0] for text in texts]
    wanted = ["Net-zero investment plan: bid pack", "Headline figures", "By workstream",
              "By district", "Map: all workstreams",
              *(f"Map: {name}" for name in WORKSTREAMS),
              *(f"Map: {row.district_name} ({row.district_id})" for row in districts.itertuples()),
              "Grid evidence: blocked kW by substation and year",
              "Assumptions and their sources", "Data attributions"]
    assert [h for h in headings if not h.endswith("(continued)")] == wanted
    headline = texts[headings.index("Headline figures")]
    kpis = summary["kpis"]
    assert f"£{kpis['cost_gbp']:,.0f}" in headline
    assert f"{kpis['removal_tco2e_per_yr']:,.1f}" in headline
    assert "tCO2e/yr" in headline
    assumptions = " ".join(t for t, h in zip(texts, headings, strict=True)
                           if h.startswith("Assumptions"))
    assert all(name in assumptions for name in summary["assumptions"])
    assert SAMPLE_STATEMENT in " ".join(texts[-1].split())


def _chains(substations: pd.DataFrame) -> dict[str, list[str]]:
    """Substation -> itself and its ancestors, from the substations layer's parent ids."""
    parent = dict(zip(substations["substation_id"], substations["parent_id"], strict=True))
    chains = {}
    for sub in parent:
        chain, at = [], sub
        while isinstance(at, str) and at and at not in chain:
            chain.append(at)
            at = parent.get(at)
        chains[sub] = chain
    return chains


def test_grid_evidence_shows_every_candidate_blocked_before_the_model(joint_run: Path) -> None:
    """Independently of the optimiser: an unchosen load-adding candidate under a substation
    whose headroom is at most 0 in a year appears, with that substation and year, as blocked
    before the model (the sample offers no reinforcement), and counts reconcile."""
    gpkg = joint_run / "plan.gpkg"
    evidence = gpd.read_file(gpkg, layer="grid_evidence")
    assert (evidence.geom_type == "Point").all()
    csv = pd.read_csv(joint_run / "grid_evidence.csv")
    assert len(csv) == len(evidence)
    assert list(csv.columns) == [
        c for c in evidence.columns if c != "geometry"]
    for unit in ("_units", "_kw", "_tco2e_per_yr"):  # wanted = added + blocked + other
        parts = evidence[f"added{unit}"] + evidence[f"blocked{unit}"] + evidence[f"other{unit}"]
        assert (evidence[f"wanted{unit}"] - parts).abs().max() < 1e-6
    limits = gpd.read_file(gpkg, layer="grid_by_year")
    short = limits[limits["headroom_kw"] <= 0]
    chains = _chains(gpd.read_file(gpkg, layer="substations"))
    table = pd.concat([gpd.read_file(gpkg, layer=ws) for ws in WORKSTREAMS], ignore_index=True)
    adding = table[table["peak_kw_added"] > 0]
    unit = adding["group_id"].where(adding["group_id"].fillna("") != "", adding["candidate_id"])
    adding = adding.assign(unit=unit, chain=adding["substation_id"].map(chains))
    totals = evidence[evidence["workstream"] == "all"].set_index(["substation_id", "year"])
    blocked = set()
    for sub, year in zip(short["substation_id"], short["year"], strict=True):
        under = adding[adding["chain"].map(lambda c, s=sub: s in c)]
        if under.empty:
            continue
        assert not under["selected"].any()
        row = totals.loc[(sub, year)]
        assert row["blocked_before_model_units"] == row["wanted_units"] == under["unit"].nunique()
        assert row["blocked_options"] == len(under)
        assert row["blocked_kw"] > 0
        blocked |= set(under["candidate_id"])
    summary = json.loads((joint_run / "summary.json").read_text(encoding="utf-8"))
    kpis = summary["kpis"]
    assert kpis["candidates_blocked_before_model"] == len(blocked) > 0
    assert kpis["load_adding_candidates"] == len(adding)
    blocking = set(totals[totals["blocked_units"] > 0].index.get_level_values(0))
    assert kpis["substations_binding"] >= len(blocking) > 0  # no longer "0"
    flexible = totals[totals["flexibility_kw"] > 0].index.get_level_values(0).nunique()
    assert kpis["substations_needing_flexibility"] == flexible
    # flexibility is priced beside reinforcement with the shipped grid_flexibility row
    price = pd.read_csv(ROOT / "layers" / "assumptions" / "grid_flexibility.csv").set_index(
        "service").loc["peak_reduction"]
    per_kw = price["price_gbp_per_mwh"] * price["hours_per_yr"] / 1000
    assert np.allclose(totals["unlock_flexibility_gbp_per_yr"], totals["unlock_kw"] * per_kw)
    assert np.allclose(totals["flexibility_gbp_per_yr"], totals["flexibility_kw"] * per_kw)
    assert (totals["flexibility_gbp_per_yr"] > 0).any()
    section = summary["grid_evidence"]
    assert f"{len(blocked):,} of them before the model" in section["statements"][0]
    assert "Grid evidence (blocked kW)" in (joint_run / "map.html").read_text("utf-8")


def test_existing_chargers_are_a_layer_counted_per_zone_and_district(joint_run: Path) -> None:
    package = joint_run / "plan.gpkg"
    existing = pyogrio.read_dataframe(package, layer="existing_chargers")
    zones = pyogrio.read_dataframe(package, layer="zones")
    assert set(existing.geometry.geom_type) == {"Point"}
    html = (joint_run / "map.html").read_text(encoding="utf-8")
    assert "Existing public chargers" in html  # the run map draws the same placed layer
    assert f"existing public charger ({len(existing):,})" in html
    assert len(existing) > 0
    assert existing["zone_id"].notna().all()
    assert existing["operator"].notna().any()
    assert existing["name"].notna().any()
    assert existing["town"].notna().any()  # the registry's town: the map's town names
    assert "Place names" in html
    per_zone = existing.groupby("zone_id").size()
    counted = zones.set_index("zone_id")["existing_chargers"]
    assert counted.sum() == len(existing)
    assert counted[counted > 0].sort_index().to_dict() == per_zone.sort_index().to_dict()
    summary = json.loads((joint_run / "summary.json").read_text(encoding="utf-8"))
    section = summary["existing_chargers"]
    assert section["devices"] == len(existing)
    by_district = {r["district_id"]: r["existing_chargers"] for r in section["by_district"]}
    assert by_district == existing.groupby("district_id").size().to_dict()
    assert sum(r["existing_chargers"] for r in section["by_zone"]) == len(existing)
    # the charger model counted them as serving demand already
    assert section["evs_already_served"] > 0
    served = sum(r["evs_already_served"] for r in section["by_district"])
    assert served == pytest.approx(section["evs_already_served"], rel=1e-6)


def test_sites_and_districts_are_named_in_the_outputs(joint_run: Path) -> None:
    package = joint_run / "plan.gpkg"
    chargers = pyogrio.read_dataframe(package, layer="chargers")
    districts = pyogrio.read_dataframe(package, layer="districts", read_geometry=False)
    names = dict(zip(districts["district_id"], districts["district_name"], strict=True))
    for layer in WORKSTREAMS:
        table = pyogrio.read_dataframe(package, layer=layer, read_geometry=False)
        assert table["district_name"].tolist() == table["district_id"].map(names).tolist()
    assert chargers["site_name"].notna().all()
    assert not chargers["site_name"].str.contains("car_park:").any()
    assert chargers["site_id"].str.startswith("car_park:").all()  # ids kept
    assert (chargers["site_id"] == "car_park:" + chargers["source_id"]).all()
    off = chargers["site_name"].str.startswith("car park off ")
    by_id = chargers["site_name"].str.fullmatch(r"car park \d+")
    assert off.any()
    assert by_id.any()
    assert all(name in label for name, label in zip(chargers["site_name"], chargers["label"],
                                                    strict=True))
    text = (joint_run / "summary.md").read_text(encoding="utf-8")
    for code, name in names.items():
        assert f"| {name} ({code}) |" in text
    assert "| E07000177 |" not in text


def test_the_summary_lists_the_chosen_charger_sites_by_name(ev_run: Path) -> None:
    chargers = pyogrio.read_dataframe(ev_run / "plan.gpkg", layer="chargers")
    text = (ev_run / "summary.md").read_text(encoding="utf-8")
    summary = json.loads((ev_run / "summary.json").read_text(encoding="utf-8"))
    chosen = chargers[chargers["selected"].astype(bool)].sort_values("rank")
    assert len(chosen) > 0
    sites = summary["charger_sites"]  # best ranked first
    assert [r["site_name"] for r in sites] == chosen["site_name"].tolist()
    assert [r["district_name"] for r in sites] == chosen["district_name"].tolist()
    assert "## Charger sites chosen" in text
    # chargers are credited with the shipped share of the switch of the EVs they serve,
    # the whole switch shown apart; a chargers-only run has no reduction or removal line
    kpis = summary["kpis"]
    per_ev = read_charger_types().set_index("kw_class")["tco2e_per_ev_yr"]
    # each EV is served by one chosen site: the sites' EVs served add up to no more than the
    # EVs within reach of them, counted once, and no site serves more than it reaches
    assert chosen["evs_served"].sum() <= kpis["evs_within_reach_once"] * (1 + 1e-6)
    assert (chosen["evs_served"] <= chosen["demand_covered"] * (1 + 1e-9)).all()
    switch = (chosen["evs_served"] * chosen["charger_kw"].map(per_ev)).sum()
    assert kpis["ev_switch_tco2e_per_yr"] == pytest.approx(switch, rel=1e-6)
    assert kpis["ev_attributed_tco2e_per_yr"] == pytest.approx(attribution_share() * switch,
                                                               rel=1e-6)
    assert "| EV switch attributed to chargers (tCO2e/yr) |" in text
    assert summary["scenario"]["ev_attribution_share"] == attribution_share()
    assert (f"| share of the EV switch credited to chargers | "
            f"{100 * attribution_share():.2f}% |") in text
    assert "reduction_tco2e_per_yr" not in kpis
    assert "Removals" not in text
    # each EV within reach counted once: never more than the per-site figures added up
    assert 0 < kpis["evs_within_reach_once"] <= chosen["demand_covered"].sum() * (1 + 1e-9)
    assert "| EVs within reach of the chosen sites, each counted once |" in text
    assert "EVs within reach (shared with nearby sites: do not add up)" in text
    first = sites[0]
    assert (f"| {first['rank']} | {escape_markdown(first['site_name'])} | "
            f"{escape_markdown(first['source_id'])} | {first['district_name']} "
            f"({first['district_id']}) |") in text


def test_existing_chargers_survive_every_export_format(joint_run: Path,
                                                       tmp_path: Path) -> None:
    from geoplan.outputs.export import FORMATS, export_plan, read_plan

    existing = gpd.read_file(joint_run / "plan.gpkg", layer="existing_chargers")
    for fmt in FORMATS:
        name = "p.gpkg" if fmt == "gpkg" else f"p_{fmt}"
        back = read_plan(export_plan({"existing_chargers": existing}, tmp_path / name,
                                     fmt=fmt))["existing_chargers"]
        assert back["device_id"].tolist() == existing["device_id"].tolist(), fmt
        assert back["district_name"].tolist() == existing["district_name"].tolist(), fmt
        assert back["kw"].tolist() == pytest.approx(existing["kw"].tolist(), nan_ok=True)


def _chosen(joint_run: Path) -> pd.DataFrame:
    tables = [gpd.read_file(joint_run / "plan.gpkg", layer=n).assign(workstream=n)
              for n in WORKSTREAMS]
    table = pd.concat(tables, ignore_index=True)
    return table[table["selected"].astype(bool)]


def test_spend_follows_the_funding_profile(joint_run: Path) -> None:
    # joint.yaml: GBP 1.25m a year, periods 2027 | 2028-30 | 2031-40 | 2041-50, carry-over
    from geoplan.scenario import load_scenario

    scenario = load_scenario(SCENARIOS / "joint.yaml")
    per_year = scenario.plan.funding.per_year
    chosen = _chosen(joint_run)
    spend = chosen.groupby("build_year")["cost_gbp"].sum()
    periods = pd.read_csv(joint_run / "periods.csv").set_index("year")
    assert periods["funding_gbp"].to_dict() == pytest.approx(
        {2027: per_year, 2030: 3 * per_year, 2040: 10 * per_year, 2050: 10 * per_year})
    assert periods["spend_gbp"].to_dict() == pytest.approx(
        {y: float(spend.get(y, 0.0)) for y in (2027, 2030, 2040, 2050)})
    assert (spend > 0).sum() >= 3  # money is spent across at least three periods
    assert (periods["cumulative_spend_gbp"] <= periods["cumulative_funding_gbp"] + 1e-6).all()
    # nothing left unspent beyond what the cheapest candidate would cost by the last period,
    # and the summary's budgets section says the same of the total
    left = periods["cumulative_funding_gbp"].iloc[-1] - periods["cumulative_spend_gbp"].iloc[-1]
    assert left < 0.05 * periods["cumulative_funding_gbp"].iloc[-1]
    summary = json.loads((joint_run / "summary.json").read_text(encoding="utf-8"))
    [total] = [r for r in summary["budgets"] if r["workstream"] == "total"]
    assert total["unspent_gbp"] == pytest.approx(left, rel=1e-6, abs=1e-3)
    for measure in ("hectares_planted", "homes_retrofitted"):  # delivery caps, cumulative
        assert (periods[measure].cumsum() <= periods[f"{measure}_cap"].cumsum() + 1e-6).all()
    unbuilt = gpd.read_file(joint_run / "plan.gpkg", layer="sequestration")
    assert unbuilt.loc[~unbuilt["selected"].astype(bool), "build_year"].isna().all()
    assert set(chosen["build_year"].astype(int)) <= {2027, 2030, 2040, 2050}


def test_woodland_in_the_run_follows_its_profile_with_land_cost(joint_run: Path) -> None:
    seq = gpd.read_file(joint_run / "plan.gpkg", layer="sequestration")
    wood = seq[seq["option"] == "woodland_creation"]
    assert len(wood) > 0
    cost = (wood["planting_cost_gbp"] + wood["land_cost_gbp"]).to_numpy()
    assert wood["cost_gbp"].to_numpy() == pytest.approx(cost)
    # woodland_profile.csv: 1.6 t/ha after 5 years of the 228.82 t/ha after 30, whose mean is
    # the headline tCO2e/yr (average_years 30): the first years are near zero
    ratio = (wood["removed_tco2e_age_5"] / (30 * wood["tco2e_per_yr"])).to_numpy()
    assert ratio == pytest.approx(1.6 / 228.82)
    scenario = json.loads((joint_run / "summary.json").read_text())["scenario"]
    assert "first 30 years after planting" in scenario["sequestration_tco2e_per_yr"]
    assert scenario["sequestration_land_cost"].endswith("included")


def test_the_mix_follows_lifetime_tco2e_per_pound(joint_run: Path) -> None:
    plan = gpd.read_file(joint_run / "plan.gpkg", layer="laep")
    seq = gpd.read_file(joint_run / "plan.gpkg", layer="sequestration")

    def per_pound(table: pd.DataFrame) -> float:
        # lifetime tCO2e if built in the first period, 2027
        return float(table["lifetime_tco2e_2027"].sum() / table["cost_gbp"].sum())

    pv = plan[plan["option"] == "rooftop_pv"]
    woodland = seq[seq["option"] == "woodland_creation"]
    assert per_pound(pv) < per_pound(woodland)  # PV is the least cost-effective of the two
    chosen = _chosen(joint_run)
    total = chosen["cost_gbp"].sum()
    pv_spend = chosen.loc[chosen["option"] == "rooftop_pv", "cost_gbp"].sum()
    wood_spend = chosen.loc[chosen["option"] == "woodland_creation", "cost_gbp"].sum()
    assert pv_spend < 0.5 * total
    assert wood_spend > pv_spend
    # the summary's lifetime tCO2e: each chosen candidate counted from its build year
    summary = json.loads((joint_run / "summary.json").read_text(encoding="utf-8"))
    by_hand = sum(float(row[f"lifetime_tco2e_{int(row['build_year'])}"])
                  for _, row in chosen.iterrows())
    assert summary["kpis"]["objective_lifetime_tco2e"] == pytest.approx(by_hand, rel=1e-8)


def test_finance_baseline_removals_and_each_years_carbon(joint_run: Path) -> None:
    summary = json.loads((joint_run / "summary.json").read_text(encoding="utf-8"))
    finance = summary["finance"]
    # the sample's CO2 table ends in 2020 (COVID): a 2019 baseline in tCO2, land use apart
    assert (finance["baseline"]["year"], finance["baseline"]["unit"]) == (2019, "tCO2")
    assert any("calibrated to a 2022 baseline" in w for w in summary["warnings"])
    chosen = _chosen(joint_run)
    # removals: the woodland alive in 2050, a line of its own, not in saved_tco2e
    seq = chosen[chosen["workstream"] == "sequestration"]
    alive = seq[seq["build_year"] + seq["lifetime_years"] > 2050]
    # new woodland follows its growth curve (a year's growth of its cumulative removal at
    # that age); anything without a curve removes its flat tco2e_per_yr
    curve = alive[[c for c in alive.columns if c.startswith("removed_tco2e_age_")]]
    ages = np.array([float(c.rsplit("_", 1)[1]) for c in curve.columns])
    in_2050 = 0.0
    for k, (_, row) in enumerate(alive.iterrows()):
        values = pd.to_numeric(curve.iloc[k], errors="coerce").to_numpy(float)
        if np.isnan(values).all():
            in_2050 += float(row["tco2e_per_yr"])
            continue
        age = 2050 - int(row["build_year"])
        known = ~np.isnan(values)
        at, grown = np.r_[0.0, ages[known]], np.r_[0.0, values[known]]  # nothing at planting
        in_2050 += float(np.interp(age + 1, at, grown) - np.interp(age, at, grown))
    last = next(r for r in finance["trajectory"] if r["year"] == 2050)
    assert last["removals_tco2e"] == pytest.approx(in_2050, abs=0.01)
    assert last["net_tco2e"] == pytest.approx(last["baseline_tco2"] - last["saved_tco2e"],
                                              abs=0.01)  # tCO2: the table counts CO2 only
    # LAEP lifetime tonnes: each year's factor from the per-year columns, by np.interp
    laep = chosen[chosen["workstream"] == "laep"]
    years = sorted(int(c[-4:]) for c in laep.columns
                   if c[:-4] == "tco2e_per_yr_" and c[-4:].isdigit())
    by_hand = 0.0
    for _, row in laep.iterrows():
        values = [float(row[f"tco2e_per_yr_{y}"]) for y in years]
        build, life = int(row["build_year"]), float(row["lifetime_years"])
        for year in range(build, build + int(np.ceil(life))):
            by_hand += min(1.0, build + life - year) * float(np.interp(year, years, values))
    rows = {r["workstream"]: r for r in finance["by_workstream"]}
    assert rows["laep"]["lifetime_tco2e"] == pytest.approx(by_hand, abs=0.01)


def test_tradeoff_curve_marks_the_plan(joint_run: Path) -> None:
    curve = pd.read_csv(joint_run / "tradeoff.csv")
    mine = curve[curve["chosen"]]
    assert mine["fraction"].tolist() == [1.0]
    chosen = _chosen(joint_run)
    assert float(mine["cost_gbp"].iloc[0]) == pytest.approx(chosen["cost_gbp"].sum())
    assert sorted(curve["fraction"]) == curve["fraction"].tolist()
    less = curve[curve["fraction"] < 1.0]
    assert (less["cost_gbp"] <= float(mine["cost_gbp"].iloc[0]) + 1e-6).all()
    assert (joint_run / "tradeoff.png").stat().st_size > 1000
    # the main co-benefit, summed over the plan's own chosen candidates in plan.gpkg
    (main,) = set(curve["main_co_benefit"])
    assert float(mine[main].iloc[0]) == pytest.approx(pd.to_numeric(chosen[main]).sum())


def test_sensitivity_of_the_joint_plan_by_hand(joint_run: Path) -> None:
    """The tornado's base figures are the summary's; woodland's growth curves are one entry."""
    table = pd.read_csv(joint_run / "sensitivity.csv")
    summary = json.loads((joint_run / "summary.json").read_text(encoding="utf-8"))
    kpis = summary["kpis"]
    base = table.drop_duplicates("figure").set_index("figure")["at_base"]
    assert base["lifetime_tco2e"] == pytest.approx(kpis["objective_lifetime_tco2e"], rel=1e-8)
    assert base["cost_per_lifetime_tco2e_gbp"] == pytest.approx(
        kpis["cost_gbp"] / kpis["objective_lifetime_tco2e"], rel=1e-8)
    assert base["removals_tco2e_per_yr"] == pytest.approx(kpis["removal_tco2e_per_yr"],
                                                          rel=1e-8)
    npv = summary["finance"]["by_workstream"][-1]
    assert npv["workstream"] == "total"
    assert base["npv_gbp"] == pytest.approx(npv["npv_gbp"], abs=1.0)
    curves = table[table["table"] == "woodland_profile"]
    assert set(curves["key"]) == {"all rows"}
    assert curves["status"].str.startswith("not recomputed").all()
    recomputed = table[table["status"] == "recomputed"]
    assert len(recomputed), "no indicative value was recomputed"
    # woodland land cost low/high moves capital cost by the chosen parcels' land cost share
    land = table[(table["column"] == "land_cost_gbp_per_ha") & (table["figure"] == "capex_gbp")
                 ].set_index("key").loc["woodland_creation"]
    chosen = _chosen(joint_run)
    woods = chosen[chosen["option"] == "woodland_creation"]["land_cost_gbp"].sum()
    assert land["status"] == "recomputed"
    assert land["at_high"] - land["at_low"] == pytest.approx(
        woods * (land["high"] - land["low"]) / land["base"], rel=1e-9)
    for series in ("carbon_factors", "carbon_values"):  # whole series: one entry, not guessed
        assert set(table[table["table"] == series]["key"]) <= {"all rows"}
    # buildings tables are recomputed by rebuilding the chosen zones, which gave the plan back
    for name in ("carbon_factors", "retrofit_measures", "standing_charges"):
        assert set(table[table["table"] == name]["status"]) == {"recomputed"}, name
    assert any(s.startswith("Capital cost per objective lifetime tCO2e, every kind, discounted "
                            "at the carbon discount rate: £")
               for s in summary["sensitivity"]["statements"])
    assert (joint_run / "tornado.png").stat().st_size > 1000


@pytest.mark.parametrize(("enabled", "read"), [
    (("sequestration",), {"land_cover", "land_cover_classes", "exclusions"}),
    (("chargers",), {"roads"}),
    (("retrofit", "laep"), set()),
    (("chargers", "sequestration"), {"land_cover", "land_cover_classes", "exclusions", "roads"}),
])
def test_a_run_reads_only_the_files_its_workstreams_use(enabled: tuple[str, ...], read: set[str],
                                                        tmp_path: Path) -> None:
    from geoplan.layers.prepare import LayerInputs
    from geoplan.pipeline import needed_inputs
    from geoplan.scenario import load_scenario

    flags = "\n".join(f"  {name}: {{enabled: {str(name in enabled).lower()}}}"
                      for name in ("retrofit", "laep", "chargers", "sequestration"))
    scenario = load_scenario(_scenario(tmp_path, f"name: some\nworkstreams:\n{flags}\n"))
    given = LayerInputs(zones=tmp_path / "zones.gpkg", grid=tmp_path / "grid.xlsx",
                        roads=tmp_path / "roads.gpkg",
                        land_cover=tmp_path / "land.tif", land_cover_classes="lcm",
                        exclusions={"sssi": tmp_path / "sssi.gpkg"}, epc=tmp_path / "epc")
    kept = needed_inputs(scenario, given)
    optional = {"land_cover", "land_cover_classes", "exclusions", "roads"}
    assert {name for name in optional if getattr(kept, name)} == read
    assert (kept.zones, kept.epc) == (given.zones, given.epc)  # every workstream's inputs stay
