import hashlib
import json

import pytest

from geoplan.assumptions import AssumptionSet, AssumptionTable, Override
from geoplan.errors import ScenarioError

MEASURES = AssumptionTable("measures", key=("measure", "property_type"),
                           numbers={"cost_gbp": 0.0}, text=("note",),
                           optional_numbers={"scop": 1.0})
FUELS = AssumptionTable("fuels", key=("fuel", "year"), numbers={"kgco2e_per_kwh": 0.0})

MEASURES_CSV = ("measure,property_type,cost_gbp,note,scop,source\n"
                "loft,house,1200,,,DESNZ 2023\n"
                "loft,flat,900,,,DESNZ 2023\n"
                "ashp,house,11000,heat pump,2.8,BEIS 2021\n")
FUELS_CSV = ("fuel,year,kgco2e_per_kwh,source\n"
             "electricity,2025,0.2,DESNZ 2024\nelectricity,2030,0.1,DESNZ 2024\n"
             "mains_gas,2025,0.18,DESNZ 2024\n")


@pytest.fixture
def paths(tmp_path):
    measures, fuels = tmp_path / "measures.csv", tmp_path / "fuels.csv"
    measures.write_text(MEASURES_CSV)
    fuels.write_text(FUELS_CSV)
    return {"measures": measures, "fuels": fuels}


def specs():
    return {"measures": MEASURES, "fuels": FUELS}


def test_override_changes_matching_rows_and_cites_the_override(paths):
    override = Override("measures", {"measure": "loft"}, {"cost_gbp": 1500}, "Council quote 2025")
    tables = AssumptionSet(specs(), paths, [override])
    table = tables.table("measures")
    # where measure=loft matches both loft rows (house and flat); ashp untouched.
    assert table["cost_gbp"].tolist() == [1500.0, 1500.0, 11000.0]
    assert table["source"].tolist() == ["scenario override: Council quote 2025"] * 2 + [
        "BEIS 2021"]


def test_where_on_a_numeric_looking_key_accepts_a_yaml_int(paths):
    # year keys are read as text "2030"; YAML gives the int 2030 (or 2030.0).
    override = {"table": "fuels", "where": {"fuel": "electricity", "year": 2030.0},
                "values": {"kgco2e_per_kwh": 0.05}, "source": "DESNZ 2025 projection"}
    table = AssumptionSet(specs(), paths, [override]).table("fuels")
    assert table["kgco2e_per_kwh"].tolist() == [0.2, 0.05, 0.18]


def test_two_overrides_on_one_row_cite_both(paths):
    first = Override("measures", {"measure": "ashp"}, {"cost_gbp": 9000}, "A")
    second = Override("measures", {"measure": "ashp"}, {"scop": 3.2}, "B")
    table = AssumptionSet(specs(), paths, [first, second]).table("measures")
    row = table[table["measure"] == "ashp"].iloc[0]
    assert (row["cost_gbp"], row["scop"]) == (9000.0, 3.2)
    assert row["source"] == "scenario override: A; scenario override: B"


def test_table_returns_a_copy(paths):
    tables = AssumptionSet(specs(), paths)
    copy = tables.table("measures")
    copy.loc[0, "cost_gbp"] = -1.0
    assert tables.table("measures").loc[0, "cost_gbp"] == 1200.0


def test_used_records_file_hash_and_overrides(paths):
    override = Override("measures", {"measure": "loft", "property_type": "flat"},
                        {"cost_gbp": 950}, "Council quote 2025")
    tables = AssumptionSet(specs(), paths, [override])
    tables.table("fuels")
    used = tables.used()
    assert list(used) == ["fuels", "measures"]
    digest = hashlib.sha256(MEASURES_CSV.encode()).hexdigest()
    assert used["measures"] == {
        "file": str(paths["measures"]), "sha256": digest,
        "overrides": [{"where": {"measure": "loft", "property_type": "flat"},
                       "values": {"cost_gbp": 950.0}, "source": "Council quote 2025",
                       "rows": 1}]}
    assert used["fuels"]["overrides"] == []
    json.dumps(used)  # JSON-able


def test_tables_not_read_are_not_listed_as_used(paths):
    tables = AssumptionSet(specs(), {"measures": paths["measures"]})
    assert list(tables.used()) == ["measures"]  # a replaced table is read (and checked) at once


def test_every_problem_is_listed_at_once(paths):
    overrides = [
        Override("nope", {"a": 1}, {"b": 2}, "x"),                               # unknown table
        Override("measures", {"measure": "solar"}, {"cost_gbp": 1}, "x"),        # no row
        Override("measures", {"measure": "loft"}, {"note": 1, "colour": 2}, "x"),  # columns
        Override("measures", {"measure": "loft"}, {"cost_gbp": -5}, "x"),        # below least
        Override("measures", {"measure": "loft"}, {"scop": 0.5}, " "),           # least, source
        Override("measures", {"wall": "solid"}, {"cost_gbp": 1}, "x"),           # where column
        Override("measures", {"measure": "loft"}, {"cost_gbp": "cheap"}, "x"),   # not a number
    ]
    with pytest.raises(ScenarioError) as caught:
        AssumptionSet(specs(), paths, overrides)
    text = str(caught.value)
    assert text.startswith("9 problems with assumptions:")
    for expected in [
        "set[0].table: unknown table 'nope' (fix: known tables: fuels, measures)",
        "set[1].where: no row of measures has measure='solar'",
        "rows have measure/property_type = loft/house, loft/flat, ashp/house",
        "set[2].values.note: 'note' is not a numeric column of measures",
        "set[2].values.colour: 'colour' is not a column of measures",
        "set[3].values.cost_gbp: -5 is below the least allowed value 0",
        "set[4].values.scop: 0.5 is below the least allowed value 1",
        "set[4].source: no source is given",
        "set[5].where.wall: cannot match rows of measures on 'wall'",
        "set[6].values.cost_gbp: 'cheap' is not a number",
    ]:
        assert expected in text


def test_problems_gives_located_problems_without_raising(paths):
    found = AssumptionSet.problems(specs(), paths,
                                   [{"table": "fuels", "where": {"fuel": "coal"},
                                     "values": {"kgco2e_per_kwh": 0.3}, "source": ""}])
    assert [p.loc for p in found] == [("set", 0, "source"), ("set", 0, "where")]
    assert AssumptionSet.problems(specs(), paths) == []


def test_unknown_or_bad_replacement_tables_are_reported(tmp_path, paths):
    bad = tmp_path / "bad.csv"
    bad.write_text("measure,property_type,cost_gbp,note,scop,source\nloft,house,-1,,,\n")
    with pytest.raises(ScenarioError) as caught:
        AssumptionSet(specs(), {"measures": bad, "chargers": paths["fuels"]})
    text = str(caught.value)
    assert "tables.chargers: unknown table" in text
    assert "tables.measures: bad.csv, layer 'measures', row 2, column 'cost_gbp': -1 is below" \
        in text
    assert "no source is given" in text


def test_a_missing_field_of_a_mapping_override_is_reported(paths):
    with pytest.raises(ScenarioError, match=r"set\[0\]\.where: is required"):
        AssumptionSet(specs(), paths, [{"table": "fuels", "values": {"x": 1}, "source": "s"}])


def test_unknown_table_asked_for_by_name(paths):
    with pytest.raises(ScenarioError, match="unknown assumption table 'x'; known"):
        AssumptionSet(specs(), paths).table("x")


def test_reads_the_shipped_table_by_default():
    spec = AssumptionTable("site_kinds", key=("kind",), numbers={"max_chargers": 1.0})
    tables = AssumptionSet({"site_kinds": spec})
    assert "car_park" in set(tables.table("site_kinds")["kind"])
    assert tables.used()["site_kinds"]["file"].endswith("site_kinds.csv")
