"""``geoplan compare``: two small runs of the sample county, checked against their own files."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from geoplan.cli.main import cli
from geoplan.errors import OutputExistsError, SourceNotFoundError
from geoplan.outputs.attribution import SAMPLE_STATEMENT
from geoplan.outputs.compare import (
    CHANGE_COLUMNS,
    RunData,
    compare_map,
    compare_markdown,
    compare_runs,
    read_run,
    write_comparison,
)
from geoplan.outputs.export import read_plan
from geoplan.outputs.map_page import map_html
from geoplan.outputs.map_style import PATHWAY_COLOURS
from geoplan.outputs.run_settings import settings_table
from tests.conftest import shared_once

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
HOSTILE = "<img src=x onerror=alert(1)>"
TOP = 20

pytestmark = pytest.mark.slow
"""Every test here reads whole runs: with the other slow tests, run by ``pytest -m slow``."""


def _scenario(folder: Path, name: str, budget: int) -> Path:
    """Chargers only, one budget, no maps, tornado or trade-off curve (the quickest useful run;
    the comparison reads the plans and summaries, not those)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(f"extends: {SCENARIOS / 'base.yaml'}\nname: {name}\n"
                    "workstreams:\n  retrofit: {enabled: false}\n  laep: {enabled: false}\n"
                    "  sequestration: {enabled: false}\n"
                    f"plan:\n  budget_gbp: {budget}\n  tradeoff_fractions: []\n"
                    "outputs:\n  map: false\n  static_map: false\n  sensitivity: false\n",
                    encoding="utf-8")
    return path


def _scenarios(folder: Path) -> tuple[Path, Path]:
    # One charger site costs about GBP 22,600 on the sample, so GBP 30,000 buys at most one;
    # B's budget is far above any charger programme, so only the grid limits it. The plans
    # differ as long as the grid takes two sites; the tests assert that premise.
    return _scenario(folder, "small", 30_000), _scenario(folder, "large", 2_000_000)


def _compare_scenarios(root: Path) -> None:
    """Write both scenarios into ``root/scenarios`` and run ``geoplan compare A.yaml B.yaml
    -o root/cmp --top 5``: runs both into ``cmp/a`` and ``cmp/b``; its exit code and output
    are kept for the CLI test."""
    root.mkdir()
    scenarios = _scenarios(root / "scenarios")
    result = CliRunner().invoke(cli, ["compare", *map(str, scenarios), "-o",
                                      str(root / "cmp"), "--top", "5"])
    (root / "exit_code.txt").write_text(str(result.exit_code), encoding="utf-8")
    (root / "output.txt").write_text(result.output, encoding="utf-8")


@pytest.fixture(scope="module")
def compared(cache: Path) -> Path:
    """Folder of the CLI's comparison of both scenarios, once per session for every worker
    (read-only): ``scenarios/`` (the two scenario files), ``cmp/`` (with the runs ``cmp/a``,
    ``cmp/b``), ``exit_code.txt``, ``output.txt``."""
    return shared_once(cache, "compare-runs", _compare_scenarios)


@pytest.fixture(scope="module")
def runs(compared: Path) -> tuple[Path, Path]:
    """Both runs, made by ``geoplan compare`` (read-only)."""
    assert (compared / "exit_code.txt").read_text(encoding="utf-8") == "0", \
        (compared / "output.txt").read_text(encoding="utf-8")
    return compared / "cmp" / "a", compared / "cmp" / "b"


def _summary(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def test_kpi_differences_are_the_summaries_differences(runs: tuple[Path, Path]) -> None:
    comparison = compare_runs(*runs, top=TOP)
    sa, sb = _summary(runs[0]), _summary(runs[1])
    rows = {row["kpi"]: row for row in comparison.kpis}
    assert set(rows) == set(sa["kpis"]) | set(sb["kpis"])
    for key, row in rows.items():
        assert (row["a"], row["b"]) == (sa["kpis"][key], sb["kpis"][key])
        if sa["kpis"][key] is not None and sb["kpis"][key] is not None:
            assert row["difference"] == pytest.approx(sb["kpis"][key] - sa["kpis"][key])
    # GBP 2m of budget against 30k: the plans differ in cost (summary values, B - A)
    assert rows["cost_gbp"]["difference"] == pytest.approx(
        sb["kpis"]["cost_gbp"] - sa["kpis"]["cost_gbp"])
    assert rows["cost_gbp"]["difference"] != 0
    for key, part in (("workstream", "by_workstream"), ("district_id", "by_district")):
        mine = {(r[key], r["kpi"]): r["difference"] for r in getattr(comparison, part)}
        index_a = {r[key]: r for r in sa[part]}
        index_b = {r[key]: r for r in sb[part]}
        for group in set(index_a) | set(index_b):
            for kpi in ("cost_gbp", "ev_attributed_tco2e_per_yr", "selected"):
                # a district with nothing chosen in one run has no row there: it counts 0
                hand = index_b.get(group, {}).get(kpi, 0.0) - index_a.get(group, {}).get(kpi, 0.0)
                assert mine[(group, kpi)] == pytest.approx(hand)
    # the district's name (beside its code in the summaries) is not a figure to compare
    assert "district_name" in sa["by_district"][0]
    assert all(row["kpi"] != "district_name" for row in comparison.by_district)
    solver = {row["model"]: row for row in comparison.solver}
    assert solver["joint"]["status_a"] == sa["solver"]["joint"]["status"]
    assert solver["joint"]["gap_b"] == sb["solver"]["joint"]["gap"]


def _sets(folder: Path) -> tuple[set[str], set[str], dict[str, int]]:
    plan = read_plan(folder / "plan.gpkg")["chargers"]  # sites' points and areas together
    ids = plan["candidate_id"].astype(str)
    top = set(ids[plan["rank"] <= TOP])
    chosen = set(ids[plan["selected"].astype(bool)])
    return top, chosen, dict(zip(ids, plan["rank"].astype(int), strict=True))


def test_changes_are_the_set_differences_of_the_plans(runs: tuple[Path, Path],
                                                      tmp_path: Path) -> None:
    write_comparison(compare_runs(*runs, top=TOP), tmp_path / "cmp")
    changes = pd.read_csv(tmp_path / "cmp" / "changes.csv", dtype={"top": str, "chosen": str},
                          keep_default_na=False)
    assert tuple(changes.columns) == CHANGE_COLUMNS
    top_a, chosen_a, ranks_a = _sets(runs[0])
    top_b, chosen_b, ranks_b = _sets(runs[1])
    assert chosen_a != chosen_b  # the budgets give different choices, so the test bites

    def ids(column: str, value: str) -> set[str]:
        return set(changes.loc[changes[column] == value, "candidate_id"])

    assert ids("top", "enters") == top_b - top_a
    assert ids("top", "leaves") == top_a - top_b
    assert ids("chosen", "enters") == chosen_b - chosen_a
    assert ids("chosen", "leaves") == chosen_a - chosen_b
    assert set(changes["candidate_id"]) == (top_a ^ top_b) | (chosen_a ^ chosen_b)
    for row in changes.itertuples():
        assert (row.rank_a, row.rank_b) == (ranks_a[row.candidate_id], ranks_b[row.candidate_id])
        assert row.selected_a == (row.candidate_id in chosen_a)


def test_map_has_two_panes_and_escapes_data(runs: tuple[Path, Path]) -> None:
    a = read_run(runs[0])
    plan = a.plans["chargers"]
    plan.loc[plan["selected"].astype(bool), "label"] = HOSTILE
    scenario = {**a.summary["scenario"], "name": HOSTILE}
    a = dataclasses.replace(a, summary={**a.summary, "scenario": scenario})
    comparison = compare_runs(a, runs[1])
    html = map_html(compare_map(comparison, offline=False).get_root())  # no Leaflet source
    assert html.count('class="folium-map"') == 2
    assert html.count("L.map(") == 2
    assert HOSTILE not in html
    escaped = "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;"  # &lt;...&gt; inside JSON
    assert html.count("onerror") == html.count(escaped) >= 3  # two popups, the caption
    assert "Charger sites (circle size)" in html  # chosen sites are circles sized by chargers
    markdown = compare_markdown(comparison)
    assert HOSTILE not in markdown
    assert "&lt;img src=x onerror=alert(1)&gt;" in markdown


def test_same_inputs_give_identical_bytes(runs: tuple[Path, Path], tmp_path: Path) -> None:
    first = write_comparison(compare_runs(*runs), tmp_path / "one")
    second = write_comparison(compare_runs(*runs), tmp_path / "two")
    assert [p.name for p in first] == ["compare.md", "compare.json", "changes.csv",
                                       "compare.html"]
    for one, two in zip(first, second, strict=True):
        assert one.read_bytes() == two.read_bytes(), one.name
    html = first[-1].read_text(encoding="utf-8")
    assert "tile.openstreetmap.org" not in html  # offline by default: no tiles, Leaflet inlined
    assert "cdn.jsdelivr.net" not in html


def test_existing_folder_is_kept_unless_overwrite(runs: tuple[Path, Path],
                                                  tmp_path: Path) -> None:
    comparison = compare_runs(*runs)
    out = tmp_path / "cmp"
    write_comparison(comparison, out)
    (out / "compare.md").write_text("edited", encoding="utf-8")
    with pytest.raises(OutputExistsError, match="already exists; pass --overwrite"):
        write_comparison(comparison, out)
    assert (out / "compare.md").read_text(encoding="utf-8") == "edited"
    write_comparison(comparison, out, overwrite=True)
    assert (out / "compare.md").read_text(encoding="utf-8").startswith("# Comparison")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep", encoding="utf-8")
    with pytest.raises(OutputExistsError, match=r"no compare\.json"):
        write_comparison(comparison, mine, overwrite=True)
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "keep"


def test_a_folder_that_is_not_a_run_is_named(runs: tuple[Path, Path], tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("summary.json", "manifest.json"):
        shutil.copy(runs[0] / name, broken / name)
    with pytest.raises(SourceNotFoundError, match=r"broken is not a run folder: it has no "
                                                  r"plan\.gpkg"):
        compare_runs(broken, runs[1])
    out = tmp_path / "never"
    result = CliRunner().invoke(cli, ["compare", str(runs[0]), str(broken), "-o", str(out)])
    assert result.exit_code == 2
    assert "it has no plan.gpkg" in result.output
    assert not out.exists()


def test_cli_runs_two_scenarios_and_compares_them(compared: Path) -> None:
    # the shared comparison is this command's: its runs are the other tests' `runs`
    out = compared / "cmp"
    output = (compared / "output.txt").read_text(encoding="utf-8")
    assert (compared / "exit_code.txt").read_text(encoding="utf-8") == "0", output
    assert f"map: {out / 'compare.html'}" in output
    # the console table: the summary's labels (not raw keys), whole counts, headers uncut
    lines = output.splitlines()
    header = next(line for line in lines if "A: small" in line)
    assert header.split() == ["A:", "small", "B:", "large", "B", "-", "A"]
    assert "cost_gbp" not in output
    assert "ev_attributed_tco2e_per_yr" not in output
    data = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    kpis = {row["kpi"]: row for row in data["kpis"]}
    shown = {line.split("  ")[0].strip(): line.split()[-3:] for line in lines}
    for key, label in (("cost_gbp", "Capital cost (£)"), ("chargers", "Chargers"),
                       ("candidates_selected", "Candidates chosen")):
        row = kpis[key]
        # counts and sums of money (whole pounds) as whole numbers
        assert shown[label] == [format(round(row[k]), ",") for k in ("a", "b", "difference")], (
            label, output)
    solver = data["solver"][0]
    assert shown[f"Solver, {solver['model']}"][-2:] == [solver["status_a"], solver["status_b"]]
    for side in ("a", "b"):
        assert (out / side / "plan.gpkg").is_file()
    assert (data["a"]["scenario"], data["b"]["scenario"], data["top"]) == ("small", "large", 5)
    # the shared folder was built by whichever worker came first: its own scenario files
    assert data["a"]["source"] == str(compared / "scenarios" / "small.yaml")
    assert not [p for p in compared.iterdir() if p.name.startswith(".")]  # no temp folders


def _tiny_run(name: str, option: str, statement: str) -> RunData:
    """A run folder's contents built in code: one chosen LAEP zone on ``option``, the data
    statements of its map (``run_settings``)."""
    zone = box(450_000, 200_000, 452_000, 202_000)  # 4 km2: drawn as an area
    laep = gpd.GeoDataFrame(
        {"candidate_id": [f"laep:z1:{option}", "laep:z1:rooftop_pv"], "label": ["Zone 1"] * 2,
         "zone_id": ["z1", "z1"], "option": [option, "rooftop_pv"], "rank": [1, 2],
         "selected": [True, False]}, geometry=[zone, zone], crs="EPSG:27700")
    settings = settings_table({"sample": statement == SAMPLE_STATEMENT,
                               "attribution": [statement]})
    return RunData(Path(name), name, {"scenario": {"name": name}}, {"laep": laep},
                   {"run_settings": settings})


REAL = "Source: Office for National Statistics licensed under the Open Government Licence v3.0"


def test_compare_html_says_sample_when_either_run_is_and_keys_pathways_alike(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import geoplan.outputs.compare_map as module

    keyed: list[list[str]] = []

    def legend(**kwargs: object) -> str:
        keyed.append(list(kwargs["pathways"]))  # type: ignore[call-overload]
        return real_legend(**kwargs)

    real_legend = module.legend_html
    monkeypatch.setattr(module, "legend_html", legend)
    sample = _tiny_run("sample-run", "fabric_first", SAMPLE_STATEMENT)
    real = _tiny_run("real-run", "heat_pump", REAL)
    html = map_html(compare_map(compare_runs(sample, real), offline=False).get_root())
    # both panes carry the sample statement (map.html's for a sample run), B beside its own
    assert html.count(SAMPLE_STATEMENT) == 2
    assert html.count(REAL) == 1
    # chosen LAEP zones filled by pathway in both panes, one legend key for both
    assert f'"fillColor":"{PATHWAY_COLOURS["fabric_first"]}"' in html
    assert f'"fillColor":"{PATHWAY_COLOURS["heat_pump"]}"' in html
    assert keyed == [["fabric_first", "heat_pump"]] * 2
    keyed.clear()
    html = map_html(compare_map(compare_runs(real, real), offline=False).get_root())
    assert SAMPLE_STATEMENT not in html  # neither run on the sample: no such statement
    assert keyed == [["heat_pump"]] * 2
