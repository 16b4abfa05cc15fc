"""Layer preparation on dask (geoplan.layers.distributed): the same layers as one process.

One local cluster of 2 worker processes (1 thread each) serves the module and is closed after;
the tests are skipped, with the reason, only when dask is not installed or the cluster cannot
start.
"""

from __future__ import annotations

import builtins
import logging
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import pandas as pd
import pytest
from shapely.geometry import Point

import geoplan.layers.distributed as distributed_module
from geoplan.errors import ComputeError
from geoplan.layers.buildings import BuildingsReport
from geoplan.layers.distributed import (
    Compute,
    Partition,
    _combine,
    dask_client,
    epc_partitions,
    merge_reports,
)
from geoplan.layers.prepare import (
    LayerInputs,
    PreparedLayers,
    prepare_layers,
    read_grid_layers,
    sample_inputs,
)
from geoplan.sources.geocode import GeocodeReport


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """Address of a local cluster of 2 processes, started by geoplan's own dask_client."""
    pytest.importorskip("distributed", reason="the scale extra (dask) is not installed")
    try:
        with dask_client(Compute(engine="dask", workers=2)) as client:
            yield client.scheduler.address
    except (OSError, TimeoutError) as exc:  # no sockets or processes allowed here
        pytest.skip(f"a dask LocalCluster cannot start here: {exc}")


def _lean(folder: Path) -> LayerInputs:
    """The sample's zones, grid, buildings, chargers and sites inputs (no land: slow)."""
    full = sample_inputs(folder)
    return LayerInputs(zones=full.zones, districts=full.districts, grid=full.grid,
                       within=full.within, epc=full.epc, postcodes=full.postcodes,
                       uprn=full.uprn, chargers=full.chargers, car_parks=full.car_parks)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in ("building_id", "device_id", "site_id", "zone_id", "substation_id",
                        "district_id")
            if c in frame.columns][:1]
    out = frame.sort_values(keys, kind="stable") if keys else frame
    return out.reset_index(drop=True)


def _nodes(graph: nx.DiGraph) -> pd.DataFrame:
    return pd.DataFrame.from_dict(dict(graph.nodes(data=True)), orient="index").sort_index()


def _same_layers(one: PreparedLayers, other: PreparedLayers) -> None:
    frames = ("zones", "districts", "substations", "headroom", "buildings", "zone_buildings",
              "chargers", "sites")
    for name in frames:
        a, b = getattr(one, name), getattr(other, name)
        assert a is not None, name
        assert len(a), name
        if isinstance(a, gpd.GeoDataFrame):  # geometry compared as WKB bytes
            wkb = [list(_sorted(f).geometry.to_wkb()) for f in (a, b)]
            assert wkb[0] == wkb[1], name
            a, b = pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(
                b.drop(columns="geometry"))
        pd.testing.assert_frame_equal(_sorted(a), _sorted(b), check_exact=True, obj=name)
    assert sorted(one.grid.edges) == sorted(other.grid.edges)
    pd.testing.assert_frame_equal(_nodes(one.grid), _nodes(other.grid), check_exact=True)
    assert one.warnings == other.warnings
    assert one.reports == other.reports


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_dask_prepare_gives_the_single_process_layers(small_sample: Path, scheduler: str):
    inputs = _lean(small_sample)
    lines: list[str] = []
    grid = read_grid_layers(inputs)  # zones and grid read once: the same for both
    single = prepare_layers(inputs, grid=grid)
    module = logging.getLogger("geoplan.layers.distributed")
    logged, level = _Lines(), module.level
    module.addHandler(logged)
    module.setLevel(logging.DEBUG)
    try:
        on_dask = prepare_layers(replace(inputs, compute=Compute(engine="dask",
                                                                 scheduler=scheduler)),
                                 progress=lines.append, grid=grid)
    finally:
        module.removeHandler(logged)
        module.setLevel(level)
    # a partition's line goes to the progress callback (the CLI prints it), not also to the
    # log, where `geoplan -v run` showed each one twice
    assert not [line for line in logged.lines if line.startswith("partition ")]
    _same_layers(single, on_dask)
    done = [line for line in lines if line.startswith("partition ")]
    parts = epc_partitions(inputs.epc)  # type: ignore[arg-type]
    assert len(done) == len(parts) == 5
    files = on_dask.buildings["source_file"]  # type: ignore[index]
    homes = int(files.str.startswith("domestic-E07000177-Cherwell/").sum())
    cherwell = next(line for line in done if line.startswith("partition E07000177 Cherwell:"))
    assert homes > 0
    assert re.fullmatch(rf"partition E07000177 Cherwell: {homes:,} homes, \d+\.\d s, "
                        r"cpu \d+\.\d s \([1-5] of 5\)", cherwell)
    assert sorted(line.rsplit("(", 1)[1] for line in done) == [f"{n} of 5)" for n in
                                                               range(1, 6)]


def test_partitions_group_files_by_authority_folder(tmp_path: Path):
    for folder in ("domestic-E07000178-Oxford", "domestic-E07000177-Cherwell", "extra",
                   "domestic-E07000177-Cherwell/old"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        (tmp_path / folder / "certificates.csv").write_text("LMK_KEY\n", encoding="utf-8")
    parts = epc_partitions(tmp_path)
    assert [(p.code, p.name, len(p.files)) for p in parts] == [
        ("E07000177", "Cherwell", 1), ("E07000178", "Oxford", 1),
        ("extra/certificates.csv", "", 1), ("old/certificates.csv", "", 1)]
    assert parts[0].label() == "E07000177 Cherwell"
    assert Partition("x.csv", "", ()).label() == "x.csv"


def _report(homes: int, invalid: dict[str, int], files: tuple[str, ...]) -> BuildingsReport:
    return BuildingsReport(files, homes + 1, 1, homes, {}, invalid,
                           dict.fromkeys(files, "utf-8"),
                           GeocodeReport(homes, homes - 1, 1, 0, 0), 0, 0, {})


def _homes(rows: list[tuple[str, str, int, float]]) -> gpd.GeoDataFrame:
    ids, dates, certificates, x = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {"building_id": pd.array(ids, dtype="str"),
         "lodgement_date": pd.to_datetime(list(dates)),
         "lmk_key": pd.array([f"k{i}" for i in range(len(rows))], dtype="str"),
         "certificates": list(certificates)},
        geometry=[Point(v, 0) for v in x], crs="EPSG:27700")


def test_combine_orders_homes_and_keeps_the_latest_of_a_home_in_two_partitions():
    first = _homes([("uprn:2", "2020-01-01", 1, 2.0), ("uprn:5", "2019-05-01", 2, 5.0)])
    second = _homes([("uprn:1", "2021-01-01", 1, 1.0), ("uprn:5", "2022-03-01", 1, 50.0)])
    layer, repeated = _combine([(first, _report(2, {"A": 1}, ("a",))),
                                (second, _report(2, {"A": 2, "B": 1}, ("b",)))])
    assert repeated == 1
    assert list(layer["building_id"]) == ["uprn:1", "uprn:2", "uprn:5"]
    assert list(layer.geometry.x) == [1.0, 2.0, 50.0]  # uprn:5's 2022 certificate
    assert list(layer["certificates"]) == [1, 1, 3]
    report = layer.attrs["report"]
    assert (report.homes, report.rows_read, report.duplicates_dropped) == (3, 6, 3)
    assert report.invalid == {"A": 3, "B": 1}
    assert report.files == ("a", "b")
    assert report.geocode == GeocodeReport(4, 2, 2, 0, 0)


def test_merge_reports_sums_counts_per_key():
    merged = merge_reports([_report(3, {}, ("x",)), _report(4, {"C": 5}, ("y", "z"))])
    assert merged.encodings == {"x": "utf-8", "y": "utf-8", "z": "utf-8"}
    assert (merged.homes, merged.invalid) == (7, {"C": 5})


def test_dask_without_the_scale_extra_names_it(monkeypatch: pytest.MonkeyPatch):
    real = builtins.__import__

    def no_dask(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.split(".")[0] in {"dask", "distributed"}:
            raise ImportError(f"No module named {name!r}")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(ComputeError, match=r"pip install 'geoplan\[scale\]'"), \
            dask_client(Compute(engine="dask")):
        pass


def test_an_unreachable_scheduler_is_named_with_the_fix(monkeypatch: pytest.MonkeyPatch):
    pytest.importorskip("distributed", reason="the scale extra (dask) is not installed")
    monkeypatch.setattr(distributed_module, "CONNECT_TIMEOUT_S", 0.5)
    address = "tcp://127.0.0.1:1"  # port 1: nothing listens there
    with pytest.raises(ComputeError, match=r"compute\.scheduler 'tcp://127\.0\.0\.1:1': "
                                           r"cannot reach .*fix: start it"), \
            dask_client(Compute(engine="dask", scheduler=address)):
        pass


class _Closing:
    """A stand-in for ``distributed``: its cluster and client record how they were closed."""

    def __init__(self, *, slow: bool = False) -> None:
        self.closed: list[tuple[str, float | None]] = []
        outer = self

        def close(name: str, timeout: float | None) -> None:
            outer.closed.append((name, timeout))
            if slow:  # as distributed raises when a close outlasts its timeout
                raise TimeoutError(f"{name} still closing")

        class LocalCluster:
            def __init__(self, **options: Any) -> None:
                self.options = options

            def close(self, timeout: float | None = None) -> None:
                close("cluster", timeout)

        class Client:
            def __init__(self, cluster: Any) -> None:
                self.cluster = cluster

            def close(self, timeout: float | None = None) -> None:
                close("client", timeout)

        self.LocalCluster, self.Client = LocalCluster, Client


@pytest.mark.parametrize("slow", [False, True])
def test_a_local_cluster_is_closed_with_a_time_limit_even_after_an_error(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, slow: bool):
    # a close that outlasts the limit is warned about and hides nothing: the block's error
    # is the one raised
    fake = _Closing(slow=slow)
    monkeypatch.setattr(distributed_module, "_distributed", lambda: fake)
    opened: list[Any] = []

    def fail_inside() -> None:
        with dask_client(Compute(engine="dask", workers=2)) as client:
            opened.append(client)
            raise RuntimeError("boom")

    with caplog.at_level("WARNING"), pytest.raises(RuntimeError, match="boom"):
        fail_inside()
    assert opened[0].cluster.options["n_workers"] == 2
    limit = distributed_module.CLOSE_TIMEOUT_S
    assert fake.closed == [("client", limit), ("cluster", limit)]
    warned = [r.getMessage() for r in caplog.records if "did not close" in r.getMessage()]
    assert warned == ([f"the dask {n} did not close within 30 s; its processes may still be "
                       "running" for n in ("client", "local cluster")] if slow else [])


def test_compute_refuses_a_scheduler_without_dask_and_no_workers():
    with pytest.raises(ValueError, match="needs engine 'dask'"):
        Compute(scheduler="tcp://localhost:8786")
    with pytest.raises(ValueError, match="at least 1"):
        Compute(engine="dask", workers=0)


def test_scenario_compute_key_reaches_the_layer_inputs(tmp_path: Path, small_sample: Path):
    from geoplan.pipeline import layer_inputs
    from geoplan.scenario import load_scenario

    path = tmp_path / "dask.yaml"
    path.write_text(f"name: d\ninputs: {{folder: {small_sample}}}\n"
                    "compute: {engine: dask, workers: 3}\n", encoding="utf-8")
    assert layer_inputs(load_scenario(path)).compute == Compute(engine="dask", workers=3)
    path.write_text(f"name: d\ninputs: {{folder: {small_sample}}}\n", encoding="utf-8")
    assert layer_inputs(load_scenario(path)).compute == Compute()


def test_scenario_scheduler_needs_the_dask_engine(tmp_path: Path):
    from geoplan.errors import ScenarioError
    from geoplan.scenario import load_scenario

    path = tmp_path / "bad.yaml"
    path.write_text("name: b\ninputs: {sample: small}\n"
                    "compute: {scheduler: 'tcp://10.0.0.5:8786'}\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"bad\.yaml:3: compute: .*set engine: dask"):
        load_scenario(path)


def test_the_test_extra_installs_the_scale_extra():
    import tomllib

    extras = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml")
                           .read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    names = {entry.split("[")[0].split(">")[0] for entry in extras["scale"]}
    assert names == {"dask", "distributed"}  # what geoplan.layers.distributed imports
    assert "geoplan[scale]" in extras["test"]


def test_a_bad_file_on_a_worker_is_raised_here_naming_it(tmp_path: Path, scheduler: str):
    from geoplan.errors import SourceFormatError
    from geoplan.layers.distributed import partitioned_buildings

    folder = tmp_path / "epc" / "domestic-E07000177-Cherwell"
    folder.mkdir(parents=True)
    (folder / "certificates.csv").write_text("LMK_KEY,UPRN,POSTCODE\n", encoding="utf-8")
    zones = gpd.GeoDataFrame({"zone_id": ["z"]}, geometry=[Point(0, 0).buffer(1)],
                             crs="EPSG:27700")
    with pytest.raises(SourceFormatError, match=r"domestic-E07000177-Cherwell/certificates\.csv, "
                                                r"row 1: required columns are missing"):
        partitioned_buildings(tmp_path / "epc", zones, compute=Compute(
            engine="dask", scheduler=scheduler))
