import json
from pathlib import Path

from click.testing import CliRunner

from geoplan.cli.main import cli
from geoplan.scenario import scenario_json_schema

ROOT = Path(__file__).resolve().parents[1]
JOINT = ROOT / "scenarios" / "joint.yaml"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_validate_prints_a_short_summary(monkeypatch):
    monkeypatch.chdir(ROOT)  # files are then shown relative to the repository
    result = run("validate", "scenarios/joint.yaml")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "scenarios/joint.yaml: valid (extends scenarios/base.yaml)"
    assert "  workstreams: retrofit, laep, chargers, sequestration (joint)" in lines
    assert "  years: 2027, 2030, 2040, 2050 (horizon 2050)" in lines
    assert "  budget: GBP 30,000,000 total" in lines  # the funding profile's 24 x 1.25m
    assert not [line for line in lines if "warning" in line]
    assert "  inputs: synthetic sample county (small), built first" in lines


def test_validate_warns_when_the_funding_profile_caps_spend_below_the_budget(tmp_path):
    scenario = tmp_path / "short.yaml"
    scenario.write_text(f"extends: {JOINT}\nplan: {{budget_gbp: 60000000}}\n",
                        encoding="utf-8")
    result = run("validate", scenario)
    assert result.exit_code == 0, result.output
    [warning] = [line for line in result.output.splitlines() if "warning" in line]
    assert warning.startswith("  warning: plan.funding gives GBP 30,000,000 in all")
    assert "the plan can spend at most GBP 30,000,000" in warning


def test_validate_quiet_prints_nothing():
    result = run("-q", "validate", JOINT)
    assert (result.exit_code, result.output) == (0, "")


def test_validate_resolved_prints_json():
    result = run("validate", "--resolved", ROOT / "scenarios" / "leading-the-way.yaml")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["plan"]["years"] == [2027, 2030, 2035, 2045]
    assert data["grid"]["scenario"] == "LW"


def test_validate_bad_scenario_exits_2_listing_every_problem(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text(
        "name: bad\n"
        "inputs:\n"
        "  zones: nowhere.gpkg\n"          # missing file (and so no grid either)
        "plan:\n"
        "  budget_gbp: -1\n"                # budget -1
        "  mode: together\n"                # bad enum
        "solver:\n"
        "  time_limit_s: [60]\n"            # wrong type
        "colour: red\n")                    # unknown key
    result = run("validate", "bad.yaml")
    assert result.exit_code == 2
    assert result.output.startswith("geoplan: error: 5 problems in bad.yaml:\n")
    expected = [
        f"  - bad.yaml:3: inputs.zones: no such file or folder: {tmp_path / 'nowhere.gpkg'}",
        "  - bad.yaml:5: plan.budget_gbp: must be >= 0 (got -1)",
        "  - bad.yaml:6: plan.mode: 'together' is not allowed (fix: use one of 'joint' or "
        "'separate')",
        "  - bad.yaml:8: solver.time_limit_s: input should be a valid number (got [60])",
        "  - bad.yaml:9: colour: unknown key (fix: allowed keys: name, description, extends, "
        "inputs, grid, plan, workstreams, finance, carbon, baseline, solver, compute, assumptions, "
        "outputs, decision_support)",
    ]
    lines = result.output.splitlines()[1:]
    assert len(lines) == 5
    for line, start in zip(lines, expected, strict=True):
        assert line.startswith(start)
    assert "Traceback" not in result.output


def test_validate_missing_file_exits_2(tmp_path):
    result = run("validate", tmp_path / "nope.yaml")
    assert result.exit_code == 2
    assert "no such scenario file" in result.output


def test_schema_prints_the_json_schema():
    result = run("scenario", "schema")
    assert result.exit_code == 0
    assert json.loads(result.output) == scenario_json_schema()


def test_schema_writes_a_file_and_refuses_to_overwrite(tmp_path):
    target = tmp_path / "schema.json"
    result = run("scenario", "schema", "-o", target)
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text()) == scenario_json_schema()
    assert target.read_text() == (ROOT / "scenarios" / "schema.json").read_text()
    again = run("scenario", "schema", "-o", target)
    assert again.exit_code == 2
    assert "--overwrite" in again.output
    assert run("scenario", "schema", "-o", target, "--overwrite").exit_code == 0
