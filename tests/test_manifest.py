"""manifest.json: inputs and outputs with hashes, software, scenario; only `created` varies."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time

import pytest

from geoplan.errors import SourceNotFoundError
from geoplan.files.run_folder import RunFolder
from geoplan.outputs.manifest import (
    InputHashes,
    build_manifest,
    file_digest,
    folder_digest,
    hash_inputs,
    write_manifest,
)
from geoplan.version import __version__

ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # sha256(b"abc")


def _inputs(tmp_path):
    (tmp_path / "in").mkdir()
    zones = tmp_path / "in" / "zones.gpkg"
    zones.write_bytes(b"abc")
    tiles = tmp_path / "in" / "land"
    (tiles / "b").mkdir(parents=True)
    (tiles / "b" / "2.tif").write_bytes(b"abc")
    (tiles / "1.tif").write_bytes(b"")
    return {"zones": zones, "land_cover": tiles, "epc": None}


def _outputs(folder):
    (folder / "plan.gpkg").write_bytes(b"abc")
    (folder / "plan_shp").mkdir()
    (folder / "plan_shp" / "retrofit.dbf").write_bytes(b"")
    return [folder / "plan_shp", folder / "plan.gpkg"]


def test_file_and_folder_digests(tmp_path):
    inputs = _inputs(tmp_path)
    assert file_digest(inputs["zones"]) == {"size": 3, "sha256": ABC}
    folder = folder_digest(inputs["land_cover"])
    empty = hashlib.sha256(b"").hexdigest()
    assert folder["files"] == [{"path": "1.tif", "size": 0, "sha256": empty},
                               {"path": "b/2.tif", "size": 3, "sha256": ABC}]  # sorted
    listing = f"1.tif\t{empty}\nb/2.tif\t{ABC}\n"
    assert folder["sha256"] == hashlib.sha256(listing.encode()).hexdigest()
    assert folder["size"] == 3


def test_manifest_records_inputs_software_scenario_and_outputs(tmp_path):
    inputs = _inputs(tmp_path)
    run = tmp_path / "run"
    run.mkdir()
    manifest = build_manifest(
        inputs, {"name": "joint", "plan": {"budget_gbp": 1e6, "years": (2030, 2040)}},
        assumptions_used={"carbon_factors": {"file": "carbon_factors.csv", "sha256": ABC,
                                             "overrides": []}},
        outputs=_outputs(run), created=dt.datetime(2025, 1, 31, 9, 30, 5, 123, tzinfo=dt.UTC))
    assert manifest["created"] == "2025-01-31T09:30:05Z"
    assert manifest["inputs"]["zones"] == {"path": str(inputs["zones"]), "kind": "file",
                                           "size": 3, "sha256": ABC}
    assert manifest["inputs"]["land_cover"]["kind"] == "folder"
    assert manifest["inputs"]["epc"] is None
    assert manifest["scenario"] == {"name": "joint",
                                    "plan": {"budget_gbp": 1e6, "years": [2030, 2040]}}
    assert [o["path"] for o in manifest["outputs"]] == ["plan.gpkg", "plan_shp/retrofit.dbf"]
    assert manifest["outputs"][0]["sha256"] == ABC
    software = manifest["software"]
    assert software["packages"]["geopandas"]
    assert software["gdal"].count(".") == 2
    assert manifest["geoplan"] == __version__  # the source tree's version, not stale metadata


def test_outputs_written_in_a_run_folder_keep_their_final_names(tmp_path):
    with RunFolder(tmp_path / "run") as folder:
        manifest = build_manifest({}, {}, assumptions_used={}, outputs=_outputs(folder),
                                  outputs_root=folder)
        write_manifest(manifest, folder / "manifest.json")
    written = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert [o["path"] for o in written["outputs"]] == ["plan.gpkg", "plan_shp/retrofit.dbf"]


def test_two_manifests_differ_only_in_created(tmp_path):
    inputs = _inputs(tmp_path)
    texts = []
    for name in ("a", "b"):
        run = tmp_path / name
        run.mkdir()
        manifest = build_manifest(inputs, {"name": "x", "gap": 0.1 + 0.2},
                                  assumptions_used={}, outputs=_outputs(run))
        texts.append(write_manifest(manifest, run / "manifest.json").read_text())
    first, second = (json.loads(text) for text in texts)
    first.pop("created")
    second.pop("created")
    assert first == second
    assert first["scenario"]["gap"] == 0.3
    lines = [[line for line in text.splitlines() if '"created"' not in line] for text in texts]
    assert lines[0] == lines[1]  # byte-identical apart from the created line
    assert list(first) == sorted(first)


def test_missing_input_is_named(tmp_path):
    with pytest.raises(SourceNotFoundError, match=r"input 'zones': .*nowhere\.gpkg does not exist"):
        build_manifest({"zones": tmp_path / "nowhere.gpkg"}, {}, assumptions_used={},
                       outputs=[])


def test_inputs_hashed_on_a_thread_are_those_hashed_at_the_end(tmp_path):
    # a run hashes its inputs on a thread while it solves: the manifest is the same
    inputs = _inputs(tmp_path)
    run = tmp_path / "run"
    run.mkdir()
    hashes = InputHashes(inputs)
    early = hashes.result()
    assert early == hash_inputs(inputs)
    assert early["zones"] == {"path": str(inputs["zones"]), "kind": "file", "size": 3,
                              "sha256": ABC}
    assert list(early) == ["epc", "land_cover", "zones"]
    when, outputs = dt.datetime(2025, 1, 31, tzinfo=dt.UTC), _outputs(run)
    given = build_manifest(inputs, {}, assumptions_used={}, outputs=outputs, created=when,
                           hashed_inputs=early)
    assert given == build_manifest(inputs, {}, assumptions_used={}, outputs=outputs,
                                   created=when)


def test_a_missing_input_hashed_on_a_thread_is_named_when_asked(tmp_path):
    hashes = InputHashes({"zones": tmp_path / "nowhere.gpkg"})
    with pytest.raises(SourceNotFoundError, match=r"input 'zones': .*nowhere\.gpkg does not"):
        hashes.result()


def test_in_turn_inputs_are_hashed_when_asked_without_a_thread(tmp_path, monkeypatch):
    monkeypatch.setenv("GEOPLAN_FORK", "0")
    inputs = _inputs(tmp_path)
    started = []
    start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start",
                        lambda self: (started.append(self.name), start(self))[-1])
    hashes = InputHashes(inputs)
    assert hashes.result() == hash_inputs(inputs)
    assert started == []


def test_stopped_hashing_ends_between_two_chunks(tmp_path, monkeypatch):
    # a run that fails stops the hashing thread before it raises: no thread is left hashing
    # (the next run may fork); the file ends at the next chunk, not at its end
    big = tmp_path / "big.bin"
    big.write_bytes(b"\0" * (64 << 20))
    stop = threading.Event()
    stop.set()
    with pytest.raises(Exception, match=r"big\.bin") as stopped:
        file_digest(big, stop=stop)
    assert type(stopped.value).__name__ == "_StoppedError"
    import geoplan.outputs.manifest as manifest

    hashing = threading.Event()

    def slow(inputs, *, stop):  # hashes until told to stop, at most 30 s
        hashing.set()
        assert stop.wait(30), "never told to stop"
        return {}

    monkeypatch.setattr(manifest, "hash_inputs", slow)
    hashes = InputHashes({"big": big})
    assert hashing.wait(10)
    began = time.monotonic()
    hashes.stop()
    assert time.monotonic() - began < 10  # not the 30 s of hashing left
    assert not any(t.name.startswith("geoplan-hashing") for t in threading.enumerate())
