"""RunFolder: a run's folder appears whole or not at all."""

from __future__ import annotations

import json
import os

import pytest

from geoplan.errors import OutputExistsError
from geoplan.files.run_folder import RunFolder


def _names(folder):
    return sorted(p.name for p in folder.iterdir())


def _old_run(target, *files):
    """A run folder as geoplan writes it: each file listed in its manifest."""
    target.mkdir()
    for name in files:
        (target / name).write_text("old")
    manifest = {"geoplan": "0.1.0", "outputs": [{"path": name} for name in files]}
    (target / "manifest.json").write_text(json.dumps(manifest))


def _write_then_fail(target, error, **options):
    with RunFolder(target, **options) as folder:
        (folder / "manifest.json").write_text("new")
        raise error


def test_success_renames_the_temporary_folder_into_place(tmp_path):
    target = tmp_path / "deep" / "run"
    with RunFolder(target) as folder:
        assert folder.name == "run"
        assert folder.parent.parent == target.parent
        assert folder.parent.name.startswith(f".run-geoplan-{os.getpid()}-")
        assert folder.parent.name.endswith(".tmp")
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
    _old_run(target, "summary.md")
    with pytest.raises(KeyboardInterrupt):
        _write_then_fail(target, KeyboardInterrupt(), overwrite=True, marker="manifest.json")
    assert (target / "summary.md").read_text() == "old"
    assert _names(tmp_path) == ["run"]


def test_overwrite_replaces_only_once_the_new_folder_is_complete(tmp_path):
    target = tmp_path / "run"
    _old_run(target, "stale.csv")
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
    with pytest.raises(OutputExistsError, match=r"run folder: it has no manifest\.json"):
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


def test_a_failed_rename_puts_the_old_folder_back(tmp_path, monkeypatch):
    from pathlib import Path

    from geoplan.files import run_folder

    target = tmp_path / "run"
    _old_run(target, "summary.md")
    new = tmp_path / "new"
    new.mkdir()
    real_rename = Path.rename

    def failing(self, other):
        if self == new:
            raise OSError("rename failed")
        return real_rename(self, other)

    monkeypatch.setattr(Path, "rename", failing)
    with pytest.raises(OSError, match="rename failed"):
        run_folder.replace_folder(new, target)
    assert (target / "summary.md").read_text() == "old"
    assert _names(tmp_path) == ["new", "run"]  # no .old folder left


def test_without_a_marker_only_an_empty_folder_is_replaced(tmp_path):
    target = tmp_path / "run"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match=r"did not write: notes\.txt"):
        RunFolder(target, overwrite=True).__enter__()
    assert _names(target) == ["notes.txt"]
