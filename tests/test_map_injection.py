"""No data ever goes through a template engine: hostile text in every field that reaches a page.

Each corpus string is put into one text field at a time (the map title, a site label, a zone,
district or substation name, a workstream name, a choropleth label, the attribution, `geoplan
map --title`, a scenario's name and description, a compare-map run name) and the page must
show it literally, HTML-escaped exactly once: ``{{7*7}}`` stays ``{{7*7}}`` (never ``49``),
``{#`` does not crash the render, ``<img ...>`` is text, ``&amp;`` shows as ``&amp;``.

Where the text lands decides what "escaped once" looks like in the file:

- the title is plain HTML in the page body: it must be exactly ``html.escape(s)``;
- popups, tooltips, layer names, the legend and the attribution are HTML carried in JSON
  inside the page's script (Leaflet sets them as ``innerHTML``): the JSON must hold
  ``html.escape(s)``, encoded as folium and Jinja's ``tojson`` encode it (``<``, ``>``,
  ``&`` and ``'`` as ``\\u00XX``), and never ``s`` itself nor ``s`` escaped twice.

The fixtures are the tiny plans of tests/test_map.py with their hostile names replaced by
plain ones (so that only the field under test carries the corpus string), and one small
chargers-only run of the sample county for the CLI, scenario and compare-map cases.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
from pathlib import Path

import geopandas as gpd
import pytest
from branca.element import Element, Figure, MacroElement
from click.testing import CliRunner
from folium.elements import ElementAddToElement

from geoplan.cli.main import cli
from geoplan.outputs import map_page
from geoplan.outputs.compare import RunData, compare_runs, read_run, write_comparison
from geoplan.outputs.compare_map import compare_map
from geoplan.outputs.map import map_html, plan_map
from geoplan.outputs.map_elements import LiteralHtml, LiteralRender
from geoplan.pipeline import run_scenario
from tests.test_map import (
    charger_plan,
    districts,
    headroom,
    retrofit_plan,
    substations,
    write_plan_package,
    zones,
)

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"

CORPUS: dict[str, str] = {
    "jinja-expression": "{{7*7}}",
    "jinja-raw-block": "{% raw %}",
    "jinja-comment-open": "{#",
    "jinja-code-execution": "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "jinja-endraw-trimmed": "{%- endraw %}",
    "jinja-comment-in-name": "Tranche {#2 of 3}",
    "jinja-loop": "{% for x in range(3) %}x{% endfor %}",
    "jinja-config": "{{ config }} ${7*7}",
    "script-breakout": "</script><script>alert(1)</script>",
    "img-onerror": "<img src=x onerror=alert(1)>",
    "entities-and-tags": "&amp; & <b>",
    "quotes-backslash": "\"double\" 'single' \\ back`tick`",
}
"""Hostile strings by case name (the same names are used in tests/README.md)."""

TEMPLATE_ONLY = {k: v for k, v in CORPUS.items() if k.startswith("jinja-")}
"""Corpus strings that only a template engine would act on (for inlined third-party files)."""

PLAIN = {"label": "Car park", "zone": "Zone one", "district": "Oxford", "substation": "Cowley"}


def encoded(text: str) -> str:
    """``text`` as it appears inside a JSON string in the page's script (folium/Jinja tojson)."""
    return (json.dumps(text)[1:-1].replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026").replace("'", "\\u0027"))


def title_of(page: str) -> str:
    """The raw HTML of the map title (before its subtitle)."""
    found = re.search(r'<div class="gp-title">(.*?)<div class="gp-sub">', page, re.S)
    assert found, "the page has no title"
    return found.group(1)


def assert_renders(page: str) -> None:
    """The page is a whole map: Leaflet map made, script closed, nothing evaluated."""
    assert page.count("L.map(") >= 1
    assert page.rstrip().endswith("</html>")
    assert "uid=" not in page  # the output of `id`, had the code-execution string run


def assert_shown_in_script(page: str, value: str, at_least: int) -> None:
    """``value`` reaches the script's JSON escaped exactly once, ``at_least`` times."""
    once, twice = html.escape(value), html.escape(html.escape(value))
    assert page.count(encoded(once)) >= at_least, (value, at_least)
    if twice != once:
        assert encoded(twice) not in page
    if once != value:  # unescaped it would be markup: neither raw nor JSON-encoded
        assert encoded(value) not in page
        assert value not in page


def plain_plans(**names: str) -> dict[str, gpd.GeoDataFrame]:
    """The two test plans with a plain (or the given) first site label."""
    label = names.get("label", PLAIN["label"])
    chargers = charger_plan()
    chargers["label"] = [label] + [f"Car park {i}" for i in range(1, len(chargers))]
    return {"chargers": chargers, "retrofit": retrofit_plan()}


def context(*, zone: str = PLAIN["zone"], district: str = PLAIN["district"],
            substation: str = PLAIN["substation"]) -> dict:
    """Zones, districts, substations and headroom with one name of each given."""
    z = zones()
    z["zone_name"] = ["Zone zero", zone, "Zone two"]  # the charger sites lie in Z1
    d = districts()
    d["district_name"] = [district]
    s = substations()
    s["name"] = [substation, "Headington", "Botley"]
    return {"zones": z, "districts": d, "substations": s, "headroom": headroom(),
            "choropleths": {"epc_dg_share": "EPC D-G share"}, "plan_year": 2030}


# field -> (build the page with `value` in that field, least number of places it shows)
def _title(value: str) -> str:
    return map_html(plan_map(plain_plans(), **context(), title=value))


def _label(value: str) -> str:
    return map_html(plan_map(plain_plans(label=value), **context()))


def _zone(value: str) -> str:
    return map_html(plan_map(plain_plans(), **context(zone=value)))


def _district(value: str) -> str:
    return map_html(plan_map(plain_plans(), **context(district=value)))


def _substation(value: str) -> str:
    return map_html(plan_map(plain_plans(), **context(substation=value)))


def _workstream(value: str) -> str:
    return map_html(plan_map({value: plain_plans()["chargers"]}, **context()))


def _choropleth(value: str) -> str:
    return map_html(plan_map(plain_plans(), **{**context(), "choropleths": {"ev_demand": value}}))


def _attribution(value: str) -> str:
    return map_html(plan_map(plain_plans(), **context(), attribution=value))


SCRIPT_FIELDS = {
    # popup title and tooltip of the site
    "site label": (_label, 2),
    # every charger popup (zone Z1) and the zone's choropleth tooltip
    "zone name": (_zone, 7),
    # every candidate popup (district D1)
    "district name": (_district, 10),
    # the substation's popup and tooltip, and the popups of the sites it serves
    "substation name": (_substation, 3),
    # layer control, legend, every popup's "Workstream" row
    "workstream name": (_workstream, 8),
    # layer control, legend heading, each zone's tooltip
    "choropleth label": (_choropleth, 5),
    "attribution": (_attribution, 1),
}


@pytest.mark.parametrize("value", CORPUS.values(), ids=CORPUS.keys())
def test_map_title_shows_literally(value: str) -> None:
    page = _title(value)
    assert_renders(page)
    assert title_of(page) == html.escape(value)


@pytest.mark.parametrize("field", SCRIPT_FIELDS)
@pytest.mark.parametrize("value", CORPUS.values(), ids=CORPUS.keys())
def test_data_strings_show_literally(field: str, value: str) -> None:
    build, at_least = SCRIPT_FIELDS[field]
    page = build(value)
    assert_renders(page)
    assert_shown_in_script(page, value, at_least)


def _elements(element: Element) -> list[Element]:
    """``element`` and everything below it, the parts of a figure included."""
    parts = [element.header, element.html, element.script] if isinstance(element, Figure) else []
    return [element, *(e for child in [*parts, *element._children.values()]
                       for e in _elements(child))]


META = '<meta http-equiv="content-type" content="text/html; charset=UTF-8" />'
ADD_TO = re.compile(r"\s*\w+\.addTo\(\w+\);\s*")
"""What folium's ElementAddToElement renders: two element names, never data."""


def assert_nothing_compiled_from_text(figure: Figure) -> None:
    """Every macro element renders its output as it is, and no page part is a template
    compiled at run time except branca's <meta charset> and folium's addTo lines."""
    elements = _elements(figure)
    macros = [e for e in elements if isinstance(e, MacroElement)]
    assert macros
    assert all(isinstance(e, LiteralRender | ElementAddToElement) for e in macros), sorted(
        {type(e).__name__ for e in macros if not isinstance(e, LiteralRender)})
    texts = [e._template_str for e in elements if getattr(e, "_template_str", None)]
    assert texts.count(META) == 1
    assert all(ADD_TO.fullmatch(t) for t in texts if t != META), texts


def test_no_plan_map_element_is_compiled_from_text() -> None:
    m = plan_map(plain_plans(), **context(), title="Plan", offline=True)
    map_html(m)  # rendering adds each element's output to the page
    assert_nothing_compiled_from_text(m.get_root())
    assert any(isinstance(e, LiteralHtml) and "gp-title" in e.html
               for e in _elements(m.get_root()))


def test_raw_html_title_is_html_but_never_a_template() -> None:
    page = map_html(plan_map(plain_plans(), title="<i>{{7*7}}</i> {#", raw_html=True))
    assert title_of(page) == "<i>{{7*7}}</i> {#"


@pytest.mark.parametrize("value", TEMPLATE_ONLY.values(), ids=TEMPLATE_ONLY.keys())
def test_offline_leaflet_files_are_inlined_as_they_are(value: str, monkeypatch) -> None:
    # Leaflet's files are third-party text: a `{{`, `{%` or `{#` in them is code or CSS, not
    # a template (the comment syntax is valid in both languages)
    js, css = f"/* js {value} */ var L = {{}};", f"/* css {value} */ .x{{color:red}}"
    monkeypatch.setattr(map_page, "leaflet_js", lambda: js)
    monkeypatch.setattr(map_page, "leaflet_css", lambda: css)
    page = map_html(plan_map(plain_plans(), offline=True))
    assert f"<script>{js}</script>" in page
    assert f"<style>{css}</style>" in page


# -- through a run of the sample county: `geoplan map`, the scenario's name, the compare map --

NAME = " | ".join(CORPUS.values())
DESCRIPTION = " / ".join(reversed(CORPUS.values()))


@pytest.fixture(scope="module")
def hostile_run(cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A chargers-only run whose scenario name and description hold the whole corpus."""
    folder = tmp_path_factory.mktemp("hostile")
    scenario = folder / "hostile.yaml"
    scenario.write_text(  # JSON strings are YAML strings: the corpus needs no YAML quoting
        f"extends: {json.dumps(str(SCENARIOS / 'base.yaml'))}\nname: {json.dumps(NAME)}\n"
        f"description: {json.dumps(DESCRIPTION)}\n"
        "workstreams:\n  retrofit: {enabled: false}\n  laep: {enabled: false}\n"
        "  sequestration: {enabled: false}\n"
        # the tests read map.html: no tornado or trade-off curve
        "plan:\n  budget_gbp: 2000000\n  tradeoff_fractions: []\n"
        "outputs:\n  static_map: false\n  sensitivity: false\n", encoding="utf-8")
    run_scenario(scenario, folder / "run")
    return folder / "run"


@pytest.fixture(scope="module")
def run_title(hostile_run: Path) -> str:
    page = (hostile_run / "map.html").read_text(encoding="utf-8")
    assert_renders(page)
    return title_of(page)


def test_run_map_title_is_name_and_description(run_title: str) -> None:
    assert run_title == html.escape(f"{NAME}: {DESCRIPTION}")


@pytest.mark.parametrize("value", CORPUS.values(), ids=CORPUS.keys())
def test_scenario_name_shows_literally(run_title: str, value: str) -> None:
    name_part = run_title[:len(html.escape(NAME))]
    assert html.escape(value) in name_part
    assert html.unescape(name_part) == NAME


@pytest.mark.parametrize("value", CORPUS.values(), ids=CORPUS.keys())
def test_scenario_description_shows_literally(run_title: str, value: str) -> None:
    description_part = run_title[len(html.escape(NAME)) + 2:]
    assert html.escape(value) in description_part
    assert html.unescape(description_part) == DESCRIPTION


def _cli_map(package: Path, out: Path, title: str, *options: str) -> str:
    result = CliRunner().invoke(cli, ["map", str(package), "-o", str(out), "--title", title,
                                      *options])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert_renders(page)
    return page


@pytest.fixture(scope="module")
def small_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny plans and context as a plan GeoPackage (quicker to map than a run's)."""
    folder = tmp_path_factory.mktemp("package")
    return write_plan_package(folder / "plan.gpkg")


@pytest.mark.parametrize("value", CORPUS.values(), ids=CORPUS.keys())
def test_cli_map_title_shows_literally(small_package: Path, tmp_path: Path, value: str) -> None:
    page = _cli_map(small_package, tmp_path / "map.html", value)
    assert title_of(page) == html.escape(value)


def test_cli_map_of_a_run_shows_the_whole_corpus(hostile_run: Path, tmp_path: Path) -> None:
    page = _cli_map(hostile_run / "plan.gpkg", tmp_path / "map.html", NAME,
                    "--grid-scenario", "minimum", "--offline-map")
    assert title_of(page) == html.escape(NAME)


@pytest.fixture(scope="module")
def hostile_read(hostile_run: Path) -> RunData:
    """The hostile run as ``read_run`` gives it, once for the module (read-only: the tests
    rename it with ``dataclasses.replace``, and comparing and mapping copy what they draw)."""
    return read_run(hostile_run)


def _renamed(run, name: str):
    return dataclasses.replace(run, summary={**run.summary,
                                             "scenario": {**run.summary["scenario"],
                                                          "name": name}})


@pytest.mark.parametrize("value", CORPUS.values(), ids=CORPUS.keys())
def test_compare_map_run_name_shows_literally(hostile_read: RunData, value: str) -> None:
    run = hostile_read
    comparison = compare_runs(_renamed(run, value), _renamed(run, "Run B"))
    figure = compare_map(comparison).get_root()
    page = map_html(figure)  # type: ignore[arg-type]
    assert_renders(page)
    assert_nothing_compiled_from_text(figure)  # type: ignore[arg-type]
    assert page.count("L.map(") == 2
    assert_shown_in_script(page, value, 1)  # the left pane's caption


def test_compare_html_written_with_hostile_names(hostile_run: Path, tmp_path: Path) -> None:
    # both runs keep the scenario's own name (the whole corpus) through write_comparison
    write_comparison(compare_runs(hostile_run, hostile_run), tmp_path / "cmp",
                     offline_map=True)
    page = (tmp_path / "cmp" / "compare.html").read_text(encoding="utf-8")
    assert_renders(page)
    assert_shown_in_script(page, NAME, 2)
