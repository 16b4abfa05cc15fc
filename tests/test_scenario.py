import importlib
import json
import textwrap
from pathlib import Path

import pytest

from geoplan.errors import ScenarioError
from geoplan.scenario import (
    ChargersSection,
    LaepSection,
    PlanSection,
    RetrofitSection,
    Scenario,
    SequestrationSection,
    load_scenario,
    scenario_json_schema,
)

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))


@pytest.fixture
def here(tmp_path, monkeypatch):
    """Work in tmp_path so messages name files as ``x.yaml``."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(folder, name, text):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def problems_of(path):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return [str(p) for p in caught.value.problems], str(caught.value)


# --- shipped scenarios ------------------------------------------------------------------

def test_every_scenario_is_shipped():
    names = {p.stem for p in SHIPPED}
    assert names == {"base", "retrofit", "laep", "ev-infrastructure", "sequestration",
                     "green-finance", "joint", "leading-the-way", "steady-progression"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scenario_loads_and_says_what_it_is_for(path):
    scenario = load_scenario(path)
    assert scenario.name == path.stem
    assert scenario.inputs.sample == "small"
    assert path.read_text().startswith("# ")
    assert scenario.files[0] == path
    json.dumps(scenario.resolved())


@pytest.mark.parametrize(("stem", "only"), [("retrofit", "retrofit"), ("laep", "laep"),
                                            ("ev-infrastructure", "chargers"),
                                            ("sequestration", "sequestration")])
def test_single_workstream_scenarios_enable_one_workstream(stem, only):
    assert load_scenario(ROOT / "scenarios" / f"{stem}.yaml").workstreams.enabled() == (only,)


def test_base_matches_the_brief():
    base = load_scenario(ROOT / "scenarios" / "base.yaml")
    # the route map's milestones 2030, 2040 and 2050 after a first year, 2027: its 2025 has
    # passed (the shipped plans fund nothing in the past)
    assert base.plan.years == [2027, 2030, 2040, 2050]
    assert base.plan.horizon == 2050
    assert base.plan.budget_gbp == 30_000_000
    assert base.solver.time_limit_s == 60


def test_pathway_variants_differ_as_described():
    ambitious = load_scenario(ROOT / "scenarios" / "leading-the-way.yaml")
    steady = load_scenario(ROOT / "scenarios" / "steady-progression.yaml")
    joint = load_scenario(ROOT / "scenarios" / "joint.yaml")
    assert ambitious.plan.budget_gbp > joint.plan.budget_gbp > steady.plan.budget_gbp
    assert ambitious.plan.years[-1] < steady.plan.years[-1]
    assert ambitious.workstreams.retrofit.target_band < steady.workstreams.retrofit.target_band
    assert 150 in ambitious.workstreams.chargers.charger_kw
    assert 150 not in steady.workstreams.chargers.charger_kw
    assert ambitious.grid.reinforcement.enabled
    assert not steady.grid.reinforcement.enabled
    for scenario in (ambitious, steady, joint):
        assert scenario.plan.mode == "joint"
        assert len(scenario.workstreams.enabled()) == 4
    # extends chains: variant -> joint -> base
    assert [p.name for p in ambitious.files] == ["leading-the-way.yaml", "joint.yaml",
                                                 "base.yaml"]


def test_green_finance_sets_the_finance_overrides():
    scenario = load_scenario(ROOT / "scenarios" / "green-finance.yaml")
    assert (scenario.finance.discount_rate, scenario.finance.appraisal_years) == (0.035, 30)
    assert scenario.workstreams.retrofit.weights == {"tco2e_per_yr": 1.0,
                                                     "saving_gbp_per_yr": 1.0}


# --- bad scenarios: every problem, with line and key path --------------------------------

BAD = """
name: bad
inputs:
  sample: small
plan:
  budget_gbp: -1
  years: [2025, 2030]
workstreams:
  chargers:
    walk_distance_m: -5
    colour: red
solver:
  time_limit_s: fast
assumptions:
  tables:
    site_kinds: missing.csv
"""


def test_unknown_key_wrong_type_missing_file_and_negative_budget_all_listed(here):
    path = write(here, "bad.yaml", BAD)
    problems, text = problems_of(path)
    assert text.startswith("5 problems in bad.yaml:")
    assert problems[0] == "bad.yaml:5: plan.budget_gbp: must be >= 0 (got -1)"
    assert problems[1] == "bad.yaml:9: workstreams.chargers.walk_distance_m: must be > 0 (got -5)"
    assert problems[2].startswith("bad.yaml:10: workstreams.chargers.colour: unknown key "
                                  "(fix: allowed keys: enabled, budget_gbp, walk_distance_m")
    assert problems[3] == ("bad.yaml:12: solver.time_limit_s: input should be a valid number, "
                           "unable to parse string as a number (got 'fast')")
    assert problems[4].startswith(
        f"bad.yaml:15: assumptions.tables.site_kinds: no such file: {here / 'missing.csv'}")


@pytest.mark.parametrize(("body", "expected"), [
    ("plan:\n  budget_gbp: -1\n", r"x\.yaml:5: plan\.budget_gbp: must be >= 0 \(got -1\)"),
    ("plan:\n  budgets: {retrofit: -1}\n",
     r"x\.yaml:5: plan\.budgets\.retrofit: must be >= 0 \(got -1\)"),
    ("workstreams:\n  laep:\n    budget_gbp: -1\n",
     r"x\.yaml:6: workstreams\.laep\.budget_gbp: must be >= 0"),
    ("grid:\n  season: monsoon\n",
     r"x\.yaml:5: grid\.season: 'monsoon' is not allowed \(fix: use one of 'winter', "
     r"'summer', 'spring_autumn' or 'peak'\)"),
    ("plan:\n  years: [2030, 2025]\n",
     r"x\.yaml:5: plan\.years: must be strictly ascending \(got \[2030, 2025\]\)"),
    ("plan:\n  years: [2019, 2030]\n",
     r"x\.yaml:5: plan\.years\[0\]: must be >= 2020 \(got 2019\)"),
    ("plan:\n  years: [2025, 2030]\n  horizon: 2028\n",
     r"x\.yaml:6: plan\.horizon: must be >= the last milestone year 2030 \(got 2028\)"),
    ("plan:\n  district_minimum_share: 1.5\n",
     r"x\.yaml:5: plan\.district_minimum_share: must be <= 1 \(got 1\.5\)"),
    ("solver:\n  time_limit_s: 0\n", r"x\.yaml:5: solver\.time_limit_s: must be > 0 \(got 0\)"),
    ("workstreams:\n  chargerz: {}\n",
     r"x\.yaml:5: workstreams\.chargerz: unknown key \(fix: did you mean 'chargers'\?"),
    ("plan:\n  budgets: {retrofitt: 5}\n",
     r"x\.yaml:5: plan\.budgets\.retrofitt: 'retrofitt' is not allowed"),
    ("workstreams:\n  sequestration: {mode: offset}\n",
     r"x\.yaml:5: workstreams\.sequestration\.offset_share: is required when mode is offset"),
    ("plan:\n  budgets: {laep: 5}\nworkstreams:\n  laep: {budget_gbp: 6}\n",
     r"x\.yaml:1: the laep budget is set twice"),
    ("workstreams:\n  retrofit: {enabled: false}\n  laep: {enabled: false}\n"
     "  chargers: {enabled: false}\n  sequestration: {enabled: false}\n",
     r"x\.yaml:4: workstreams: no workstream is enabled"),
    ("workstreams:\n  chargers: {charger_kw: [7, 7]}\n",
     r"x\.yaml:5: workstreams\.chargers\.charger_kw: lists 7 more than once"),
    ("name: again\n", r"x\.yaml:4: name: key appears twice \(first on line 1\)"),
])
def test_each_problem_names_line_and_key(here, body, expected):
    path = write(here, "x.yaml", "name: x\ninputs:\n  sample: small\n" + body)
    with pytest.raises(ScenarioError, match=expected):
        load_scenario(path)


def test_missing_required_keys_point_at_the_parent(here):
    path = write(here, "x.yaml", "description: no name\nsolver: {}\n")
    problems, _ = problems_of(path)
    assert problems == ["x.yaml:1: name: is required", "x.yaml:1: inputs: is required"]


def test_inputs_need_exactly_one_source(here):
    write(here, "zones.gpkg", "")
    path = write(here, "x.yaml", "name: x\ninputs:\n  sample: small\n  zones: zones.gpkg\n")
    with pytest.raises(ScenarioError, match=r"x\.yaml:2: inputs: give one of sample, folder or "
                                            r"layer paths, not \['sample', 'layer paths'\]"):
        load_scenario(path)
    path = write(here, "y.yaml", "name: y\ninputs:\n  zones: zones.gpkg\n")
    # grid is absent, so the line is that of its parent, inputs:
    with pytest.raises(ScenarioError, match=r"y\.yaml:2: inputs\.grid: is required with layer "
                                            r"paths"):
        load_scenario(path)


def test_layer_paths_resolve_relative_to_the_scenario_file(here):
    write(here, "data/zones.gpkg", "")
    write(here, "data/grid.xlsx", "")
    path = write(here, "scenarios/x.yaml",
                 "name: x\ninputs:\n  zones: ../data/zones.gpkg\n  grid: ../data/grid.xlsx\n"
                 "  exclusions: {sssi: ../data/zones.gpkg}\n")
    scenario = load_scenario(path)
    assert scenario.inputs.zones == here / "data" / "zones.gpkg"
    assert scenario.inputs.exclusions == {"sssi": here / "data" / "zones.gpkg"}
    assert scenario.resolved()["inputs"]["grid"] == str(here / "data" / "grid.xlsx")


def test_invalid_yaml_reports_its_line(here):
    path = write(here, "x.yaml", "name: x\ninputs:\n  sample: [small\n")
    with pytest.raises(ScenarioError, match=r"x\.yaml:4: not valid YAML"):
        load_scenario(path)


def test_a_list_at_the_top_is_refused(here):
    path = write(here, "x.yaml", "- name: x\n")
    with pytest.raises(ScenarioError, match=r"x\.yaml:1: a scenario must be a mapping"):
        load_scenario(path)


def test_missing_scenario_file(here):
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario(here / "nope.yaml")


# --- extends -------------------------------------------------------------------------------

BASE = """
name: base
inputs:
  sample: small
plan:
  years: [2025, 2030, 2040, 2050]
  budget_gbp: 100
workstreams:
  chargers:
    walk_distance_m: 300
    charger_kw: [7, 22]
"""


def test_extends_merges_mappings_and_replaces_lists(here):
    write(here, "base/base.yaml", BASE)
    path = write(here, "child.yaml", """
        name: child
        extends: base/base.yaml
        plan:
          years: [2030]
        workstreams:
          chargers:
            charger_kw: [50]
        """)
    scenario = load_scenario(path)
    assert scenario.plan.years == [2030]          # list replaced, not appended
    assert scenario.plan.budget_gbp == 100         # kept from base
    assert scenario.workstreams.chargers.walk_distance_m == 300
    assert scenario.workstreams.chargers.charger_kw == (50,)
    assert scenario.files == (path, here / "base" / "base.yaml")
    assert scenario.resolved()["extends"] == str(here / "base" / "base.yaml")


def test_extends_chain_reports_lines_in_the_file_that_set_the_value(here):
    write(here, "a.yaml", BASE.replace("budget_gbp: 100", "budget_gbp: -1"))
    write(here, "b.yaml", "name: b\nextends: a.yaml\nsolver:\n  gap: 2\n")
    path = write(here, "c.yaml", "name: c\nextends: b.yaml\nworkstreams:\n  laep:\n"
                                 "    year: 1990\n")
    problems, text = problems_of(path)
    assert text.startswith("3 problems in c.yaml:")
    # ordered: the loaded file first, then its bases
    assert problems == ["c.yaml:5: workstreams.laep.year: must be >= 2020 (got 1990)",
                        "b.yaml:4: solver.gap: must be < 1 (got 2)",
                        "a.yaml:6: plan.budget_gbp: must be >= 0 (got -1)"]


def test_a_child_replacing_a_base_list_takes_the_lines_too(here):
    write(here, "a.yaml", BASE)
    path = write(here, "b.yaml", "name: b\nextends: a.yaml\nplan:\n  years: [2030, 2025]\n")
    with pytest.raises(ScenarioError, match=r"b\.yaml:4: plan\.years: must be strictly"):
        load_scenario(path)


def test_extends_cycle_is_detected(here):
    write(here, "a.yaml", "name: a\nextends: b.yaml\ninputs: {sample: small}\n")
    path = write(here, "b.yaml", "name: b\nextends: a.yaml\n")
    with pytest.raises(ScenarioError,
                       match=r"a\.yaml:2: extends: extends forms a cycle: b\.yaml -> a\.yaml -> "
                             r"b\.yaml"):
        load_scenario(path)


def test_extending_itself_is_a_cycle(here):
    path = write(here, "a.yaml", "name: a\nextends: a.yaml\n")
    with pytest.raises(ScenarioError, match=r"cycle: a\.yaml -> a\.yaml"):
        load_scenario(path)


def test_extends_a_missing_file(here):
    path = write(here, "a.yaml", "name: a\nextends: nowhere.yaml\n")
    with pytest.raises(ScenarioError, match=r"a\.yaml:2: extends: no such base scenario"):
        load_scenario(path)


def test_a_child_can_unset_a_base_value_with_null(here):
    write(here, "a.yaml", BASE)
    write(here, "zones.gpkg", "")
    write(here, "grid.csv", "")
    path = write(here, "b.yaml", "name: b\nextends: a.yaml\ninputs:\n  sample: null\n"
                                 "  zones: zones.gpkg\n  grid: grid.csv\nplan:\n"
                                 "  budget_gbp: null\n")
    scenario = load_scenario(path)
    assert scenario.inputs.sample is None
    assert scenario.plan.budget_gbp is None


# --- assumptions -----------------------------------------------------------------------------

def test_assumption_overrides_are_checked_at_load_with_lines(here):
    path = write(here, "x.yaml", """
        name: x
        inputs: {sample: small}
        assumptions:
          set:
            - table: site_kinds
              where: {kind: car_park}
              values: {max_chargers: 0}
              source: Council survey 2025
            - table: site_kinds
              where: {kind: moon_base}
              values: {enabling_cost_gbp: 100}
              source: Council survey 2025
            - table: nonsense
              where: {a: b}
              values: {c: 1}
              source: x
        """)
    problems, _ = problems_of(path)
    assert problems[0].startswith("x.yaml:7: assumptions.set[0].values.max_chargers: "
                                  "0 is below the least allowed value 1")
    assert problems[1].startswith("x.yaml:10: assumptions.set[1].where: no row of site_kinds "
                                  "has kind='moon_base' (fix: rows have kind = car_park")
    assert problems[2].startswith("x.yaml:13: assumptions.set[2].table: unknown table "
                                  "'nonsense' (fix: known tables: ")


def test_a_valid_override_loads_and_builds_an_assumption_set(here):
    path = write(here, "x.yaml", """
        name: x
        inputs: {sample: small}
        assumptions:
          set:
            - {table: site_kinds, where: {kind: car_park}, values: {max_chargers: 12},
               source: Council survey 2025}
        """)
    scenario = load_scenario(path)
    override = scenario.assumptions.set[0]
    assert (override.table, override.values) == ("site_kinds", {"max_chargers": 12.0})


# --- models, defaults, resolved, schema -----------------------------------------------------

def test_defaults_live_in_the_models():
    scenario = Scenario(name="x", inputs={"sample": "small"})
    assert scenario.plan == PlanSection()
    assert scenario.plan.years == [2027, 2030, 2040, 2050]
    assert scenario.solver.solver == "highs"
    assert scenario.workstreams.enabled() == ("retrofit", "laep", "chargers", "sequestration")
    assert scenario.outputs.formats == ["gpkg"]


@pytest.mark.parametrize(("section", "module", "name"), [
    (RetrofitSection, "retrofit", "RetrofitSettings"),
    (LaepSection, "laep", "LaepSettings"),
    (ChargersSection, "chargers", "ChargerSettings"),
    (SequestrationSection, "sequestration", "SequestrationSettings"),
])
def test_each_section_is_its_workstream_settings_model_plus_enabled(section, module, name):
    settings_class = getattr(importlib.import_module(f"geoplan.workstreams.{module}"), name)
    assert issubclass(section, settings_class)
    assert set(section.model_fields) == {"enabled", *settings_class.model_fields}
    built = section().settings()
    assert type(built) is settings_class
    assert built == settings_class()


def test_settings_build_the_workstream_model():
    from geoplan.workstreams.chargers import ChargerSettings

    built = ChargersSection(walk_distance_m=250, charger_kw=[50], enabled=False).settings()
    assert built == ChargerSettings(walk_distance_m=250, charger_kw=(50,))
    assert (built.walk_distance_m, built.charger_kw) == (250.0, (50,))


def test_resolved_is_json_and_deterministic():
    first = load_scenario(ROOT / "scenarios" / "joint.yaml").resolved()
    second = load_scenario(ROOT / "scenarios" / "joint.yaml").resolved()
    assert json.dumps(first) == json.dumps(second)
    assert first["files"] == [str(ROOT / "scenarios" / "joint.yaml"),
                              str(ROOT / "scenarios" / "base.yaml")]
    assert first["workstreams"]["chargers"]["walk_distance_m"] == 400.0
    assert list(first)[:4] == ["name", "description", "extends", "inputs"]


def test_shipped_schema_file_is_up_to_date():
    shipped = json.loads((ROOT / "scenarios" / "schema.json").read_text())
    assert shipped == scenario_json_schema(), "regenerate: geoplan scenario schema -o " \
                                              "scenarios/schema.json --overwrite"


def test_schema_rejects_unknown_keys_and_lists_enums():
    schema = scenario_json_schema()
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["name", "inputs"]
    chargers = schema["$defs"]["ChargersSection"]
    assert chargers["additionalProperties"] is False
    assert chargers["properties"]["walk_distance_m"]["exclusiveMinimum"] == 0
    assert schema["$defs"]["SolverSection"]["properties"]["solver"]["enum"] == [
        "highs", "highs-pulp", "cbc"]


def test_replacement_tables_are_checked_at_load_with_lines(here):
    write(here, "kinds.csv", "kind,max_chargers,source\ncar_park,4,\n")
    path = write(here, "x.yaml", """
        name: x
        inputs: {sample: small}
        assumptions:
          tables:
            site_kinds: kinds.csv
            moon: kinds.csv
        """)
    problems, _ = problems_of(path)
    # kinds.csv misses columns of site_kinds (listed by the table reader) on line 5;
    # the unknown table name on line 6.
    assert problems[0].startswith("x.yaml:5: assumptions.tables.site_kinds: kinds.csv, layer "
                                  "'site_kinds', column 'enabling_cost_gbp': column is missing")
    assert any(p.startswith("x.yaml:5: assumptions.tables.site_kinds: kinds.csv, layer "
                            "'site_kinds', column 'charger_kw': column is missing")
               for p in problems)
    assert problems[-1].startswith("x.yaml:6: assumptions.tables.moon: unknown table")


def test_two_descriptions_of_one_table_are_refused(monkeypatch):
    import geoplan.planning.finance
    from geoplan.assumptions import AssumptionTable
    from geoplan.scenario import known_tables

    assert "sequestration" in known_tables()  # described once, in geoplan.layers.land_classes
    monkeypatch.setattr(geoplan.planning.finance, "OTHER",
                        AssumptionTable("sequestration", key=("x",)),
                        raising=False)
    with pytest.raises(RuntimeError, match="two descriptions of assumption table "
                                           "'sequestration'"):
        known_tables()
