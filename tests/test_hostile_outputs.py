"""Hostile outputs: --overwrite onto folders geoplan did not write, outputs onto inputs,
unwritable places, full disks, closed pipes, SIGTERM and what killed runs leave behind.

The corpus (``CASES``) is one command each, run through the CLI against files built here;
every case must exit 2 with a clear message and leave every file as it was, with no
temporary left. tests/README.md lists the cases ("Outputs and interruptions").
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner
from shapely.geometry import Point, box

from geoplan.cli import cli
from geoplan.files.atomic import write_geopackage
from geoplan.files.ownership import ownership_problem
from geoplan.files.run_folder import check_replaceable
from geoplan.files.temporary import RECORD

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "base.yaml"
WEB_MANIFEST = json.dumps({"name": "My web app", "start_url": "/", "display": "standalone"})


# ---- files the cases are built from -------------------------------------------------------

def _plan(path: Path) -> Path:
    """A tiny plan GeoPackage (one workstream layer, as `geoplan run` writes)."""
    sites = gpd.GeoDataFrame({"candidate_id": ["a", "b"], "rank": [1, 2],
                              "selected": [True, False], "cost_gbp": [10.0, 20.0]},
                             geometry=[Point(450000, 210000), Point(451000, 211000)],
                             crs=27700)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_geopackage({"chargers": sites}, path)


def _zones(path: Path) -> Path:
    zones = gpd.GeoDataFrame({"LSOA21CD": ["E01000001"], "LSOA21NM": ["A 001A"]},
                             geometry=[box(450000, 210000, 451000, 211000)], crs=27700)
    return write_geopackage({"zones": zones}, path)


def _web_app(folder: Path) -> Path:
    """A web app's folder: its own manifest.json (not geoplan's) and pages."""
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(WEB_MANIFEST)
    (folder / "index.html").write_text("<!doctype html><title>app</title>")
    return folder


def _run_folder(folder: Path, *extra: str, manifest: object = None) -> Path:
    """A run folder as geoplan writes it (manifest listing summary.md), plus ``extra`` files."""
    folder.mkdir(parents=True)
    (folder / "summary.md").write_text("# Plan")
    record = manifest if manifest is not None else {
        "geoplan": "0.1.0", "manifest_version": 1, "outputs": [{"path": "summary.md"}]}
    text = record if isinstance(record, bytes) else json.dumps(record).encode()
    (folder / "manifest.json").write_bytes(text)
    for name in extra:
        (folder / name).write_text("not geoplan's")
    return folder


def _sample_folder(folder: Path, *extra: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "sample.json").write_text(json.dumps(
        {"synthetic": True, "geoplan_version": "0.1.0", "files": ["sample.json"]}))
    for name in extra:
        (folder / name).write_text("not geoplan's")
    return folder


def _export_folder(folder: Path, *extra: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "layers.csv").write_text("layer,file,geometry,geometry_types,crs,rows\n"
                                       "chargers,chargers.csv,\"x,y\",Point,EPSG:27700,2\n")
    (folder / "chargers.csv").write_text("candidate_id,x,y\na,1,2\n")
    (folder / "chargers_fields.csv").write_text("full_name\ncandidate_id\n")
    for name in extra:
        (folder / name).write_text("not geoplan's")
    return folder


# ---- the corpus ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    """One hostile output: what is on disk, the command, and what the message must say."""

    name: str
    given: str
    build: Callable[[Path], list[str]]
    message: str


def _run_web(t: Path) -> list[str]:
    return ["run", str(BASE), "-o", str(_web_app(t / "web")), "--overwrite"]


def _run_unlisted(t: Path) -> list[str]:
    return ["run", str(BASE), "-o", str(_run_folder(t / "run", "index.html")), "--overwrite"]


def _run_hidden(t: Path) -> list[str]:
    return ["run", str(BASE), "-o", str(_run_folder(t / "run", ".DS_Store")), "--overwrite"]


def _run_binary_manifest(t: Path) -> list[str]:
    folder = _run_folder(t / "run", manifest=b"\x00\xff\xfe garbage")
    return ["run", str(BASE), "-o", str(folder), "--overwrite"]


def _run_no_outputs(t: Path) -> list[str]:
    folder = _run_folder(t / "run", manifest={"geoplan": "0.1.0"})
    return ["run", str(BASE), "-o", str(folder), "--overwrite"]


def _run_array_manifest(t: Path) -> list[str]:
    folder = _run_folder(t / "run", manifest=["summary.md"])
    return ["run", str(BASE), "-o", str(folder), "--overwrite"]


def _run_subfolder(t: Path) -> list[str]:
    folder = _run_folder(t / "run")
    (folder / "photos").mkdir()
    (folder / "photos" / "cat.jpg").write_bytes(b"\xff\xd8")
    return ["run", str(BASE), "-o", str(folder), "--overwrite"]


def _run_onto_file(t: Path) -> list[str]:
    (t / "notes.txt").write_text("my notes")
    return ["run", str(BASE), "-o", str(t / "notes.txt"), "--overwrite"]


def _run_onto_link(t: Path) -> list[str]:
    docs = _run_folder(t / "docs")
    (t / "run").symlink_to(docs, target_is_directory=True)
    return ["run", str(BASE), "-o", str(t / "run"), "--overwrite"]


def _run_holds_scenario(t: Path) -> list[str]:
    folder = _run_folder(t / "run")
    (folder / "mine.yaml").write_text(BASE.read_text().replace("name: base", "name: mine"))
    return ["run", str(folder / "mine.yaml"), "-o", str(folder), "--overwrite"]


def _compare_web(t: Path) -> list[str]:
    return ["compare", str(BASE), str(BASE), "-o", str(_web_app(t / "web")), "--overwrite"]


def _compare_holds_inputs(t: Path) -> list[str]:
    a, b = _run_folder(t / "cmp" / "a"), _run_folder(t / "cmp" / "b")
    return ["compare", str(a), str(b), "-o", str(t / "cmp"), "--overwrite"]


def _export_web(t: Path) -> list[str]:
    plan = _plan(t / "plan.gpkg")
    return ["export", str(plan), "--format", "shp", "-o", str(_web_app(t / "web")),
            "--overwrite"]


def _export_unlisted(t: Path) -> list[str]:
    plan = _plan(t / "plan.gpkg")
    folder = _export_folder(t / "plan_csv", "notes.txt")
    return ["export", str(plan), "--format", "csv", "-o", str(folder), "--overwrite"]


def _export_holds_plan(t: Path) -> list[str]:
    plan = _plan(t / "run" / "plan.gpkg")
    return ["export", str(plan), "--format", "shp", "-o", str(t / "run"), "--overwrite"]


def _map_onto_plan(t: Path) -> list[str]:
    plan = _plan(t / "plan.gpkg")
    return ["map", str(plan), "-o", str(plan), "--overwrite"]


def _map_onto_folder(t: Path) -> list[str]:
    plan = _plan(t / "plan.gpkg")
    return ["map", str(plan), "-o", str(_web_app(t / "web")), "--overwrite"]


def _convert_onto_source(t: Path) -> list[str]:
    zones = _zones(t / "zones.gpkg")
    return ["layers", "convert", str(zones), "--kind", "zones", "-o", str(zones), "--overwrite"]


def _convert_onto_option(t: Path) -> list[str]:
    zones, districts = _zones(t / "zones.gpkg"), _zones(t / "districts.gpkg")
    return ["layers", "convert", str(zones), "--kind", "zones", "--districts", str(districts),
            "-o", str(districts), "--overwrite"]


def _convert_onto_folder(t: Path) -> list[str]:
    zones = _zones(t / "zones.gpkg")
    (t / "out.gpkg").mkdir()
    (t / "out.gpkg" / "keep.txt").write_text("mine")
    return ["layers", "convert", str(zones), "--kind", "zones", "-o", str(t / "out.gpkg"),
            "--overwrite"]


def _assign_onto_zones(t: Path) -> list[str]:
    zones = t / "zones.csv"
    zones.write_text("zone_id\nE01000001\n")
    grid = _plan(t / "grid.gpkg")
    return ["layers", "assign", str(zones), str(grid), "-o", str(zones), "--overwrite"]


def _sample_web(t: Path) -> list[str]:
    return ["sample", str(_web_app(t / "web")), "--overwrite"]


def _sample_unlisted(t: Path) -> list[str]:
    return ["sample", str(_sample_folder(t / "sample", "notes.txt")), "--overwrite"]


def _schema_onto_folder(t: Path) -> list[str]:
    return ["scenario", "schema", "-o", str(_web_app(t / "web")), "--overwrite"]


def _run_to_proc(t: Path) -> list[str]:
    return ["run", str(BASE), "-o", "/proc/geoplan-hostile-run"]


def _export_gpkg_to_proc(t: Path) -> list[str]:
    plan = _plan(t / "plan.gpkg")
    return ["export", str(plan), "--format", "gpkg", "-o", "/proc/geoplan-hostile.gpkg"]


def _export_shp_to_proc(t: Path) -> list[str]:
    plan = _plan(t / "plan.gpkg")
    return ["export", str(plan), "--format", "shp", "-o", "/proc/geoplan-hostile_shp"]


def _map_to_proc(t: Path) -> list[str]:
    plan = _plan(t / "plan.gpkg")
    return ["map", str(plan), "-o", "/proc/geoplan-hostile.html"]


def _sample_to_proc(t: Path) -> list[str]:
    return ["sample", "/proc/geoplan-hostile-sample"]


CASES = [
    Case("run-web-app", "run -o web/ (a web app: its own manifest.json, index.html) "
         "--overwrite", _run_web, r"web is not a geoplan run folder: manifest\.json is not "
         r"geoplan's \(it has no 'geoplan' key\)"),
    Case("run-unlisted-file", "run -o a run folder plus an index.html its manifest does not "
         "list, --overwrite", _run_unlisted, r"did not write: index\.html \(its manifest\.json "
         r"does not list them\)"),
    Case("run-hidden-file", "run -o a run folder plus a hidden .DS_Store, --overwrite",
         _run_hidden, r"did not write: \.DS_Store"),
    Case("run-binary-manifest", "run -o a folder whose manifest.json is binary, --overwrite",
         _run_binary_manifest, r"manifest\.json is not geoplan's \(it is not JSON"),
    Case("run-manifest-without-outputs", "run -o a folder whose manifest.json has a geoplan "
         "key but no outputs list, --overwrite", _run_no_outputs, r"no 'outputs' list"),
    Case("run-manifest-array", "run -o a folder whose manifest.json is a JSON array, "
         "--overwrite", _run_array_manifest, r"not a JSON object"),
    Case("run-unlisted-subfolder", "run -o a run folder plus photos/cat.jpg, --overwrite",
         _run_subfolder, r"did not write: photos/cat\.jpg"),
    Case("run-onto-file", "run -o notes.txt (a file) --overwrite", _run_onto_file,
         r"notes\.txt.* is a file"),
    Case("run-onto-link", "run -o a symbolic link to a run folder, --overwrite",
         _run_onto_link, r"is a link, not an output folder"),
    Case("run-folder-holds-scenario", "run DIR/mine.yaml -o DIR --overwrite",
         _run_holds_scenario, r"the output .*run holds the input .*mine\.yaml"),
    Case("compare-web-app", "compare A B -o web/ (a web app) --overwrite", _compare_web,
         r"web is not a geoplan comparison folder: it has no compare\.json"),
    Case("compare-holds-inputs", "compare cmp/a cmp/b -o cmp --overwrite",
         _compare_holds_inputs, r"the output .*cmp holds the input .*cmp/a"),
    Case("export-web-app", "export plan.gpkg --format shp -o web/ (a web app) --overwrite",
         _export_web, r"web is not a geoplan export folder: it has no layers\.csv"),
    Case("export-unlisted-file", "export --format csv -o an export folder plus notes.txt, "
         "--overwrite", _export_unlisted, r"did not write: notes\.txt"),
    Case("export-holds-plan", "export run/plan.gpkg --format shp -o run --overwrite",
         _export_holds_plan, r"the output .*run holds the input .*plan\.gpkg"),
    Case("map-onto-plan", "map plan.gpkg -o plan.gpkg --overwrite", _map_onto_plan,
         r"the output .*plan\.gpkg is the input .*plan\.gpkg; an output never replaces"),
    Case("map-onto-folder", "map plan.gpkg -o web/ (a folder) --overwrite", _map_onto_folder,
         r"web.* is a (directory|folder)"),
    Case("convert-onto-source", "layers convert zones.gpkg -o zones.gpkg --overwrite",
         _convert_onto_source, r"the output .*zones\.gpkg is the input"),
    Case("convert-onto-option-input", "layers convert zones.gpkg --districts d.gpkg -o d.gpkg "
         "--overwrite", _convert_onto_option, r"the output .*districts\.gpkg is the input"),
    Case("convert-onto-folder", "layers convert -o out.gpkg/ (a folder) --overwrite",
         _convert_onto_folder, r"out\.gpkg.* is a (directory|folder)"),
    Case("assign-onto-zones", "layers assign zones.csv grid.gpkg -o zones.csv --overwrite",
         _assign_onto_zones, r"the output .*zones\.csv is the input"),
    Case("sample-web-app", "sample web/ (a web app) --overwrite", _sample_web,
         r"web is not a geoplan sample folder: it has no sample\.json"),
    Case("sample-unlisted-file", "sample DIR --overwrite, DIR an earlier sample plus "
         "notes.txt", _sample_unlisted, r"did not write: notes\.txt \(its sample\.json"),
    Case("schema-onto-folder", "scenario schema -o web/ (a folder) --overwrite",
         _schema_onto_folder, r"web.* is a (directory|folder)"),
    Case("run-to-proc", "run -o /proc/geoplan-hostile-run", _run_to_proc,
         r"cannot write /proc/geoplan-hostile-run: .*folder you can write to"),
    Case("export-gpkg-to-proc", "export --format gpkg -o /proc/x.gpkg", _export_gpkg_to_proc,
         r"cannot write /proc/geoplan-hostile\.gpkg: .*folder you can write to"),
    Case("export-shp-to-proc", "export --format shp -o /proc/x_shp", _export_shp_to_proc,
         r"cannot write /proc/geoplan-hostile_shp"),
    Case("map-to-proc", "map plan.gpkg -o /proc/x.html", _map_to_proc,
         r"cannot write /proc/geoplan-hostile\.html"),
    Case("sample-to-proc", "sample /proc/x", _sample_to_proc,
         r"cannot write /proc/geoplan-hostile-sample"),
]


def _snapshot(root: Path) -> dict[str, object]:
    """Every file, link and folder under ``root`` with its content (hidden ones too)."""
    found: dict[str, object] = {}
    for parent, dirs, files in os.walk(root, followlinks=False):
        for name in [*dirs, *files]:
            path = Path(parent) / name
            key = path.relative_to(root).as_posix()
            if path.is_symlink():
                found[key] = ("link", str(path.readlink()))
            elif path.is_dir():
                found[key] = "folder"
            else:
                found[key] = path.read_bytes()
    return found


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_output_is_refused_and_nothing_changes(case: Case, tmp_path: Path) -> None:
    args = case.build(tmp_path)
    before = _snapshot(tmp_path)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "internal error" not in result.output
    assert _search(case.message, result.output), result.output
    assert _snapshot(tmp_path) == before  # nothing lost, changed, or left behind


def _search(pattern: str, text: str) -> bool:
    import re

    return re.search(pattern, " ".join(text.split())) is not None


def test_corpus_is_listed_in_the_tests_readme() -> None:
    table = (ROOT / "tests" / "README.md").read_text(encoding="utf-8")
    section = table.split("## Outputs and interruptions", 1)[1].split("\n## ", 1)[0]
    assert [c.name for c in CASES if f"| {c.name} |" not in section] == []


# ---- geoplan's own folders are still replaced ----------------------------------------------

def test_export_replaces_its_own_earlier_export(tmp_path: Path) -> None:
    plan = _plan(tmp_path / "plan.gpkg")
    out = tmp_path / "plan_shp"
    assert CliRunner().invoke(cli, ["export", str(plan), "--format", "shp"]).exit_code == 0
    written = sorted(p.name for p in out.iterdir())
    assert ownership_problem(out, "layers.csv") is None
    result = CliRunner().invoke(cli, ["export", str(plan), "--format", "shp", "--overwrite"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.gpkg", "plan_shp"]


def test_a_comparison_with_its_runs_is_geoplans_own(tmp_path: Path) -> None:
    folder = tmp_path / "cmp"
    folder.mkdir()
    (folder / "compare.json").write_text(json.dumps(
        {"a": {}, "b": {}, "top": 20, "kpis": [], "changes": []}))
    for name in ("compare.md", "changes.csv", "compare.html"):
        (folder / name).write_text("x")
    _run_folder(folder / "a")
    _run_folder(folder / "b")
    assert ownership_problem(folder, "compare.json") is None
    (folder / "b" / "notes.txt").write_text("mine")
    assert ownership_problem(folder, "compare.json") == (
        "it holds files geoplan did not write: b/manifest.json, b/notes.txt, b/summary.md "
        "(its compare.json does not list them)")


@pytest.fixture(scope="module")
def real_run(small_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder written by `geoplan run` (chargers only, with a CSV export)."""
    root = tmp_path_factory.mktemp("hostile-run")
    scenario = root / "quick.yaml"
    scenario.write_text(_quick_scenario(small_sample), encoding="utf-8")
    out = root / "out" / "run"
    result = CliRunner().invoke(cli, ["run", str(scenario), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _quick_scenario(sample: Path) -> str:
    return "\n".join([
        f"extends: {BASE}", "name: quick", "inputs:", "  sample: null", f"  folder: {sample}",
        "plan:", "  budget_gbp: 3000000", "  years: [2030]",
        # the ownership check reads the manifest whatever it lists (the joint run's tests check
        # that it lists every output): no map, tornado or trade-off curve to draw
        "  tradeoff_fractions: []", "workstreams:",
        "  retrofit: {enabled: false}", "  laep: {enabled: false}",
        "  sequestration: {enabled: false}", "  chargers: {enabled: true, ev_year: 2030}",
        "outputs:", "  map: false", "  static_map: false", "  sensitivity: false",
        "  formats: [gpkg, csv]", ""])


def test_a_real_run_folder_is_geoplans_own(real_run: Path) -> None:
    assert (real_run / "plan_csv" / "layers.csv").is_file()  # files in a subfolder too
    assert ownership_problem(real_run, "manifest.json") is None
    check_replaceable(real_run, overwrite=True, marker="manifest.json")  # no error


# ---- interruptions -------------------------------------------------------------------------

def _geoplan(*args: str) -> list[str]:
    return [sys.executable, "-m", "geoplan_launch", *args]


def _env(cache: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get(
        "PYTHONPATH", "")]), "GEOPLAN_CACHE": str(cache)}


def _wait_for_temporary(folder: Path, process: subprocess.Popen[bytes]) -> Path:
    deadline = time.monotonic() + 300  # a bound on waiting, not an assertion on speed
    while time.monotonic() < deadline and process.poll() is None:
        found = [p for p in folder.iterdir() if p.name.endswith(".tmp")]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no temporary folder appeared in {folder} "
                         f"(exit {process.poll()})")


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_sigterm_during_an_overwrite_keeps_the_old_folder_and_leaves_nothing(
        small_sample: Path, tmp_path: Path, cache: Path) -> None:
    # The old folder is a geoplan sample; the overwrite writes the county-scale sample, which
    # takes long enough that the signal always lands while the temporary folder is in use
    # (a quick run can finish between the folder appearing and the signal).
    old = tmp_path / "out" / "county"
    shutil.copytree(small_sample, old)
    before = _snapshot(old.parent)
    process = subprocess.Popen(_geoplan("-q", "sample", str(old), "--scale", "county",
                                        "--overwrite"),
                               env=_env(cache), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    temporary = _wait_for_temporary(old.parent, process)
    assert temporary.name.startswith(f".county-geoplan-{process.pid}-")
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=300)
    assert process.returncode == 143, err.decode()
    assert err.decode().strip().splitlines()[-1] == "geoplan: terminated"
    assert "Traceback" not in err.decode()
    assert _snapshot(old.parent) == before  # the old folder, and no temporary


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_sigterm_during_sample_leaves_nothing(tmp_path: Path, cache: Path) -> None:
    process = subprocess.Popen(_geoplan("sample", str(tmp_path / "county"), "--scale",
                                        "county"), env=_env(cache),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_for_temporary(tmp_path, process)
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=300)
    assert process.returncode == 143, err.decode()
    assert list(tmp_path.iterdir()) == []


def _dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _stale(folder: Path, pid: int, *, host: str | None = None, record: bool = True) -> Path:
    holder = folder / f".x-geoplan-{pid}-0123abcd.tmp"
    (holder / "x").mkdir(parents=True)
    (holder / "x" / "plan.gpkg").write_bytes(b"half")
    if record:
        (holder / RECORD).write_text(f"{holder.name}\n{host or socket.gethostname()}\n")
    return holder


def test_the_next_run_removes_what_a_killed_run_left(tmp_path: Path,
                                                     capfd: pytest.CaptureFixture[str]) -> None:
    dead = _dead_pid()
    stale = _stale(tmp_path, dead)
    old = tmp_path / f".y-geoplan-{dead}-0123abce.old"
    (old / "y").mkdir(parents=True)
    (old / RECORD).write_text(f"{old.name}\n{socket.gethostname()}\n")
    half_file = tmp_path / f".m.html-geoplan-{dead}-0123abcf.tmp.html"
    half_file.write_text("<html")
    plan = _plan(tmp_path / "plan.gpkg")
    result = CliRunner().invoke(cli, ["export", str(plan), "--format", "csv"])
    assert result.exit_code == 0, result.output
    warned = capfd.readouterr().err + result.output  # the log handler writes to stderr
    assert f"geoplan: warning: removing {stale}, left by geoplan process {dead}" in warned
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.gpkg", "plan_csv"]


def test_temporaries_of_live_processes_or_others_are_kept(tmp_path: Path) -> None:
    dead = _dead_pid()
    kept = [
        _stale(tmp_path / "live", os.getppid()),  # a running process
        _stale(tmp_path / "host", dead, host="another-machine"),  # on a shared disk
        _stale(tmp_path / "unrecorded", dead, record=False),  # not proven ours
    ]
    mine = tmp_path / "mine" / f".x-geoplan-{dead}-zzzz.tmp"  # not our pattern
    mine.mkdir(parents=True)
    result = CliRunner().invoke(cli, ["clean", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"nothing to clean in {tmp_path}" in result.output
    assert all(path.is_dir() for path in [*kept, mine])


def test_clean_lists_and_removes_stale_temporaries_below_a_folder(tmp_path: Path) -> None:
    dead = _dead_pid()
    stale = [_stale(tmp_path, dead), _stale(tmp_path / "out" / "cmp", dead)]
    dry = CliRunner().invoke(cli, ["clean", "--dry-run", str(tmp_path)])
    assert dry.exit_code == 0, dry.output
    assert all(f"would remove {path} (left by geoplan process {dead}" in dry.output
               for path in stale)
    assert all(path.exists() for path in stale)
    result = CliRunner().invoke(cli, ["clean", str(tmp_path)])
    assert f"removed 2 temporaries in {tmp_path}" in result.output
    assert not any(path.exists() for path in stale)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["cmp"]


def test_ctrl_c_in_a_command_prints_one_line_and_exits_130(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    from geoplan.sample import build

    def interrupted(folder: Path, *args: object) -> None:
        (folder / "half.txt").write_text("half")
        raise KeyboardInterrupt

    monkeypatch.setattr(build, "_generate", interrupted)
    result = CliRunner().invoke(cli, ["sample", str(tmp_path / "s")])
    assert result.exit_code == 130
    assert result.output == "geoplan: interrupted\n"
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_during_the_imports_prints_one_line(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    import importlib

    import geoplan_launch

    def interrupted(name: str) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(importlib, "import_module", interrupted)
    monkeypatch.setattr(signal, "signal", lambda *args: None)  # keep pytest's handlers
    with pytest.raises(SystemExit) as stopped:
        geoplan_launch.main()
    assert stopped.value.code == 130
    assert capsys.readouterr().err == "geoplan: interrupted\n"


@pytest.mark.skipif(os.name != "posix", reason="POSIX pipes")
def test_a_closed_pipe_ends_quietly(cache: Path) -> None:
    read, write = os.pipe()
    os.close(read)  # as `| head -1` does once it has its line
    try:
        done = subprocess.run(_geoplan("layers", "formats"), env=_env(cache), stdout=write,
                              stderr=subprocess.PIPE, timeout=300, check=False)
    finally:
        os.close(write)
    assert done.stderr.decode() == ""
    assert done.returncode == 1


def test_a_full_disk_is_named_not_an_internal_error(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import pyogrio

    def full(*args: object, **kwargs: object) -> None:
        raise pyogrio.errors.DataSourceError(
            "sqlite3_exec(CREATE TABLE gpkg_contents ...) failed: database or disk is full")

    plan = _plan(tmp_path / "plan.gpkg")
    monkeypatch.setattr(pyogrio, "write_dataframe", full)
    out = tmp_path / "copy.gpkg"
    result = CliRunner().invoke(cli, ["export", str(plan), "--format", "gpkg", "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert f"cannot write {out}: the disk is full (" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.gpkg"]


def test_no_space_while_writing_a_run_folder_is_named(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from geoplan.sample import build

    def full(folder: Path, *args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(folder / "epc.csv"))

    monkeypatch.setattr(build, "_generate", full)
    result = CliRunner().invoke(cli, ["sample", str(tmp_path / "s")])
    assert result.exit_code == 2, result.output
    assert "cannot write" in result.output
    assert "the disk is full (No space left on device)" in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_unreadable_input_is_not_blamed_on_the_output(tmp_path: Path) -> None:
    from geoplan.files.atomic import output_write_error

    error = PermissionError(13, "Permission denied", str(tmp_path / "input.csv"))
    assert output_write_error(tmp_path / "out", error, inside=tmp_path / ".out.tmp") is None
