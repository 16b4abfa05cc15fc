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


def test_the_version_has_one_source_that_the_readme_agrees_with():
    """pyproject reads geoplan/version.py; the README's "Status (vX.Y)" is that version."""
    import re

    from geoplan.version import __version__

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"], "the version is written once, in version.py"
    assert "version" in project["project"]["dynamic"]
    dynamic = project["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "geoplan.version.__version__"}
    stated = re.findall(r"\*\*Status \(v(\d+\.\d+)\)", (ROOT / "README.md").read_text())
    assert stated == [".".join(__version__.split(".")[:2])], (stated, __version__)
