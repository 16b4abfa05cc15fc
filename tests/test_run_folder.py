"""RunFolder: a run's folder appears whole or not at all."""

from __future__ import annotations

import os

import pytest

from geoplan.errors import OutputExistsError
from geoplan.outputs.run_folder import RunFolder


def _names(folder):
    return sorted(p.name for p in folder.iterdir())


def _write_then_fail(target, error, **options):
    with RunFolder(target, **options) as folder:
        (folder / "manifest.json").write_text("new")
        raise error


def test_success_renames_the_temporary_folder_into_place(tmp_path):
    target = tmp_path / "deep" / "run"
    with RunFolder(target) as folder:
        assert folder.parent == target.parent
        assert folder.name.startswith(".run-")
        (folder / "summary.md").write_text("# Plan")
        (folder / "plan_shp").mkdir()
        (folder / "plan_shp" / "a.dbf").write_bytes(b"x")
        assert not target.exists()  # nothing visible until the block ends
    assert _names(target) == ["plan_shp", "summary.md"]
    assert _names(target.parent) == ["run"]  # no temporary folder left
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o777 & ~umask  # usual permissions, not 0700


@pytest.mark.parametrize("error", [RuntimeError("solver crashed"), KeyboardInterrupt()])
def test_interruption_leaves_no_folder_at_all(tmp_path, error):
    target = tmp_path / "run"
    with pytest.raises(type(error)):
        _write_then_fail(target, error)
    assert list(tmp_path.iterdir()) == []


def test_existing_folder_is_kept_without_overwrite(tmp_path):
    target = tmp_path / "run"
    target.mkdir()
    (target / "manifest.json").write_text("{}")
    with pytest.raises(OutputExistsError, match="already exists; pass --overwrite"):
        RunFolder(target).__enter__()
    assert _names(target) == ["manifest.json"]
    assert _names(tmp_path) == ["run"]


def test_interrupted_overwrite_keeps_the_old_folder(tmp_path):
    target = tmp_path / "run"
    target.mkdir()
    (target / "manifest.json").write_text("old")
    with pytest.raises(KeyboardInterrupt):
        _write_then_fail(target, KeyboardInterrupt(), overwrite=True)
    assert (target / "manifest.json").read_text() == "old"
    assert _names(tmp_path) == ["run"]


def test_overwrite_replaces_only_once_the_new_folder_is_complete(tmp_path):
    target = tmp_path / "run"
    target.mkdir()
    (target / "manifest.json").write_text("old")
    (target / "stale.csv").write_text("gone after the swap")
    with RunFolder(target, overwrite=True, marker="manifest.json") as folder:
        (folder / "manifest.json").write_text("new")
        assert (target / "stale.csv").exists()  # still the old run while writing
    assert _names(target) == ["manifest.json"]
    assert (target / "manifest.json").read_text() == "new"
    assert _names(tmp_path) == ["run"]


def test_overwrite_refuses_a_folder_without_the_marker(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.docx").write_text("precious")
    with pytest.raises(OutputExistsError, match=r"has no manifest\.json"):
        RunFolder(home, overwrite=True, marker="manifest.json").__enter__()
    assert _names(home) == ["thesis.docx"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with RunFolder(empty, overwrite=True, marker="manifest.json") as folder:
        (folder / "a.txt").write_text("a")
    assert _names(empty) == ["a.txt"]


def test_target_created_meanwhile_is_not_clobbered(tmp_path):
    target = tmp_path / "run"

    def race() -> None:
        with RunFolder(target) as folder:
            (folder / "a.txt").write_text("mine")
            target.mkdir()
            (target / "b.txt").write_text("someone else's")

    with pytest.raises(OutputExistsError, match="already exists"):
        race()
    assert _names(target) == ["b.txt"]
    assert _names(tmp_path) == ["run"]
