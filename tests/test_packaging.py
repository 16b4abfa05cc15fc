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


def test_default_assumption_tables_are_installed_with_the_package():
    from geoplan.assumptions import default_path

    readme = default_path.__globals__["resources"].files("geoplan.assumptions_data")
    assert readme.joinpath("README.md").is_file()
