import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_code_package_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "geoplan").rglob("__init__.py")
    }
    assert found <= listed, f"add {sorted(found - listed)} to [tool.setuptools] packages"
    assert config["package-dir"]["geoplan.assumptions_data"] == "layers/assumptions"


def test_default_assumption_tables_are_found_installed_or_from_a_checkout():
    from geoplan.assumptions import tables_folder

    folder = tables_folder()
    assert (folder / "README.md").is_file()
    assert sorted(p.name for p in folder.glob("*.csv")) == sorted(
        p.name for p in (ROOT / "layers" / "assumptions").glob("*.csv"))
