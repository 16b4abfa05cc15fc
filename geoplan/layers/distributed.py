"""The buildings layer partitioned by local authority on a ``dask.distributed`` cluster.

Past one county (Great Britain: ~30M homes in ~350 local authorities) the per-home work of
layer preparation (reading and normalising EPC certificates, geocoding, zone assignment and
heat demand: :func:`geoplan.layers.buildings.buildings_from_epc`) runs once per local
authority on the workers of a dask cluster; the county-wide layers (zones, grid, serving,
land, roads...) stay in the calling process (chargers, sites and land are read there while the
workers build the homes). :class:`Compute` says where:

* ``Compute()`` (engine ``"local"``): one process, as without this module;
* ``Compute(engine="dask", workers=4)``: a :class:`distributed.LocalCluster` of 4 worker
  processes of 1 thread each, started for the call and closed after;
* ``Compute(engine="dask", scheduler="tcp://host:8786")``: any running dask cluster (its
  workers must see the same input paths, e.g. a shared file system).

**Partitions** (:func:`epc_partitions`): the EPC bulk download has one folder per local
authority, ``domestic-E07000177-Cherwell/certificates.csv``; files are grouped by the
authority code in their folder name (a file whose folder names none is a partition of its
own). Each partition is built with every zone (a home near a boundary may lie in the next
authority's zone), and the partitions' homes are put together in ``building_id`` order, as
one process orders them, so the layer is the same row for row
(``tests/test_layers_dask.py`` compares them). Two differences are counted, never hidden:
a home with certificates in two authorities' files keeps its latest certificate (its
``certificates`` summed) and the older ones are counted in a warning; a certificate with no
UPRN, building reference or LMK key is named ``row:<n>`` with ``n`` counted within its
partition. A UPRN taken from another certificate of the same building reference number is
found within a partition only.

Progress: one line per partition done, to the ``progress`` callback (or the log without one), e.g.
``"partition E07000177 Cherwell: 1,612 homes, 0.8 s, cpu 0.7 s (4 of 5)"`` (the worker's
wall and CPU seconds for that authority: on a shared machine the CPU seconds are the steadier
measure).

dask is imported only when a dask engine is used: geoplan works without the ``scale`` extra
(``pip install 'geoplan[scale]'``), and asking for dask without it raises
:class:`~geoplan.errors.ComputeError` naming the extra.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import pandas as pd

from geoplan.errors import ComputeError
from geoplan.layers.layer_set import LayerSet
from geoplan.sources.epc import certificate_files
from geoplan.sources.numbers import declared_decimal

__all__ = ["ENGINES", "Compute", "Partition", "dask_client", "epc_partitions",
           "partitioned_buildings"]

logger = logging.getLogger(__name__)

ENGINES = ("local", "dask")
"""Compute engines: one process, or a dask cluster."""

SCALE_EXTRA = "scale"
"""The extra that installs dask and distributed (futures on a cluster: each partition is
file reading and geopandas work inside one task, so no dask collection is needed)."""

CONNECT_TIMEOUT_S = 20.0
"""Seconds to wait for the scheduler at ``Compute.scheduler`` before giving up."""

CLOSE_TIMEOUT_S = 30.0
"""Seconds to wait for a client, or a local cluster and its worker processes, to close (a
close that waits longer is warned about instead of holding the run)."""

_AUTHORITY = re.compile(r"(?<![A-Za-z0-9])([EWSN]\d{8})(?![0-9])")
"""A local authority code (GSS) in a folder name."""

PathLike = str | Path


@dataclass(frozen=True)
class Compute:
    """Where the buildings layer is built (module docstring; scenario key ``compute``).

    Parameters
    ----------
    engine : {"local", "dask"}
        ``"local"``: in this process; ``"dask"``: per local authority on a dask cluster.
    workers : int
        Worker processes of the local cluster started when no ``scheduler`` is given (1
        thread each).
    scheduler : str, optional
        Address of a running dask scheduler (``"tcp://host:8786"``) to use instead.
    """

    engine: Literal["local", "dask"] = "local"
    workers: int = 2
    scheduler: str | None = None

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {list(ENGINES)}, not {self.engine!r}")
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, not {self.workers!r}")
        if self.scheduler is not None and self.engine != "dask":
            raise ValueError("a scheduler address needs engine 'dask'")


@dataclass(frozen=True)
class Partition:
    """The certificate files of one local authority.

    Attributes
    ----------
    code : str
        The authority's code (``"E07000177"``), or the file's folder/name when its folder
        names no code.
    name : str
        The authority's name from the folder name (``"Cherwell"``), ``""`` when unknown.
    files : tuple of pathlib.Path
    """

    code: str
    name: str
    files: tuple[Path, ...]

    def label(self) -> str:
        """``"E07000177 Cherwell"``, or the code alone."""
        return f"{self.code} {self.name}".strip()


def epc_partitions(source: PathLike | Sequence[PathLike]) -> tuple[Partition, ...]:
    """Group the EPC certificate files of ``source`` by local authority, in code order.

    Raises
    ------
    SourceNotFoundError
        As :func:`geoplan.sources.epc.certificate_files`.
    """
    groups: dict[str, list[Path]] = {}
    names: dict[str, str] = {}
    for path in certificate_files(source):
        code, name = _authority(path)
        groups.setdefault(code, []).append(path)
        names.setdefault(code, name)
    return tuple(Partition(code, names[code], tuple(groups[code])) for code in sorted(groups))


def _authority(path: Path) -> tuple[str, str]:
    """(code, name) of the folder ``domestic-E07000177-Cherwell``; else the file's label."""
    folder = path.parent.name
    found = _AUTHORITY.search(folder)
    if found is None:
        return (f"{folder}/{path.name}" if folder else path.name), ""
    return found.group(1), folder[found.end():].strip("-_ ").replace("-", " ")


@contextmanager
def dask_client(compute: Compute) -> Iterator[Any]:
    """Open a ``distributed.Client`` for ``compute``: a local cluster, or the scheduler given.

    The local cluster (``compute.workers`` processes, 1 thread each, no dashboard) is closed
    on exit; a client of a given scheduler is closed, the cluster left running. Each close
    waits at most ``CLOSE_TIMEOUT_S``; one that takes longer is warned about in the log, and
    neither fails the work done nor hides an error raised in the block.

    Raises
    ------
    ComputeError
        If dask is not installed, or the scheduler cannot be reached.
    """
    distributed = _distributed()
    if compute.scheduler is not None:
        try:
            client = distributed.Client(compute.scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
        except (OSError, TimeoutError) as exc:
            raise ComputeError(f"compute.scheduler {compute.scheduler!r}: cannot reach the "
                               f"dask scheduler ({exc}) (fix: start it with `dask scheduler`"
                               " or give its address as tcp://host:port)") from exc
        try:
            yield client
        finally:
            _close(client, "client")
        return
    cluster = distributed.LocalCluster(n_workers=compute.workers, threads_per_worker=1,
                                       processes=True, dashboard_address=None)
    try:
        client = distributed.Client(cluster)
        try:
            yield client
        finally:
            _close(client, "client")
    finally:
        _close(cluster, "local cluster")


def _close(thing: Any, name: str) -> None:
    """Close a dask ``Client`` or cluster within ``CLOSE_TIMEOUT_S``; warn if it takes longer."""
    try:
        thing.close(timeout=CLOSE_TIMEOUT_S)
    except TimeoutError:
        logger.warning("the dask %s did not close within %.0f s; its processes may still be "
                       "running", name, CLOSE_TIMEOUT_S)


def _distributed() -> Any:
    """Import ``distributed``, or raise a ComputeError naming the extra to install."""
    try:
        import distributed
    except ImportError as exc:
        raise ComputeError(f"compute engine 'dask' needs dask and distributed, not installed "
                           f"here ({exc}) (fix: pip install 'geoplan[{SCALE_EXTRA}]', or "
                           "use compute engine 'local')") from exc
    return distributed


def partitioned_buildings(epc: PathLike | Sequence[PathLike], zones: gpd.GeoDataFrame, *,
                          compute: Compute, postcodes: PathLike | None = None,
                          uprn: PathLike | None = None, decimal: str = ".",
                          progress: Callable[[str], None] | None = None,
                          meanwhile: Callable[[], None] | None = None) -> LayerSet:
    """Build the ``buildings`` layer set of ``epc`` per local authority on dask.

    Parameters
    ----------
    epc, postcodes, uprn
        As :func:`geoplan.layers.buildings.buildings_from_epc` takes them (paths the
        workers can read).
    zones : geopandas.GeoDataFrame
        The zones layer (sent once to every worker).
    compute : Compute
        The cluster (its ``engine`` is not looked at: this is the dask path).
    decimal : {".", ","}
        The decimal mark of the certificate files.
    progress : callable, optional
        Called with one line per partition done (module docstring).
    meanwhile : callable, optional
        Called here once the partitions are sent, while the workers build them (the other
        layers are read then).

    Returns
    -------
    LayerSet
        As ``read_layers(epc, "buildings", zones=zones, ...)`` returns it.

    Raises
    ------
    ComputeError
        If the cluster cannot be used.
    GeoplanError
        As raised by the readers in a worker (re-raised here).
    """
    from geoplan.layers.kinds import epc_buildings_set
    from geoplan.layers.read import refuse_empty

    parts = epc_partitions(epc)
    with dask_client(compute) as client:
        built = _run(client, parts, zones, (postcodes, uprn, decimal), progress, meanwhile)
    layer, repeated = _combine([built[p.code] for p in parts])
    found = epc_buildings_set(layer, epc, None, zones)
    if repeated:
        found = replace(found, warnings=(*found.warnings, (
            f"{repeated:,} older certificates of homes also found in another local "
            "authority's files were dropped (the latest kept)")))
    return refuse_empty(found)


def _run(client: Any, parts: Sequence[Partition], zones: gpd.GeoDataFrame,
         options: tuple[PathLike | None, PathLike | None, str],
         progress: Callable[[str], None] | None, meanwhile: Callable[[], None] | None
         ) -> dict[str, tuple[gpd.GeoDataFrame, Any]]:
    """Build every partition on the cluster (``meanwhile`` here); report each as it ends."""
    from distributed import as_completed

    shared = client.scatter(zones, broadcast=True)
    futures = {client.submit(build_partition, part, shared, *options, pure=False): part
               for part in parts}
    built: dict[str, tuple[gpd.GeoDataFrame, Any]] = {}
    try:
        if meanwhile is not None:
            meanwhile()
        for done, (future, (layer, report, seconds, cpu)) in enumerate(
                as_completed(futures, with_results=True), start=1):
            part = futures[future]
            built[part.code] = (layer, report)
            line = (f"partition {part.label()}: {len(layer):,} homes, {seconds:.1f} s, "
                    f"cpu {cpu:.1f} s ({done} of {len(parts)})")
            if progress is not None:  # prepare_layers' progress logs it ("preparing ...")
                progress(line)
            else:
                logger.info(line)
    finally:
        client.cancel(list(futures))
    return built


def build_partition(part: Partition, zones: gpd.GeoDataFrame, postcodes: PathLike | None,
                    uprn: PathLike | None, decimal: str
                    ) -> tuple[gpd.GeoDataFrame, Any, float, float]:
    """Build one partition's homes (run on a worker): the layer, its report, wall and CPU s."""
    from geoplan.layers.buildings import buildings_from_epc

    start, cpu = time.perf_counter(), time.process_time()
    with declared_decimal(decimal):
        layer = buildings_from_epc(list(part.files), zones, uprn_coordinates=uprn,
                                   postcodes=postcodes)
    report = layer.attrs.pop("report")
    return layer, report, time.perf_counter() - start, time.process_time() - cpu


def _combine(built: Sequence[tuple[gpd.GeoDataFrame, Any]]) -> tuple[gpd.GeoDataFrame, int]:
    """Put the partitions' homes in ``building_id`` order and merge their reports.

    Returns the layer (``attrs["report"]`` set) and how many older certificates of homes
    found in two partitions were dropped.
    """
    layers = [layer for layer, _ in built]
    crs = layers[0].crs
    layer = gpd.GeoDataFrame(pd.concat(layers, ignore_index=True), geometry="geometry",
                             crs=crs)
    layer, repeated = _latest_per_home(layer)
    layer = layer.sort_values("building_id", kind="stable", ignore_index=True)
    report = merge_reports([r for _, r in built])
    layer.attrs["report"] = replace(report, homes=len(layer),
                                    duplicates_dropped=report.duplicates_dropped + repeated)
    return layer, repeated


def _latest_per_home(layer: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """Keep one row per ``building_id`` (the latest certificate); count the rows dropped."""
    repeated = layer["building_id"].duplicated(keep=False)
    if not repeated.any():
        return layer, 0
    order = layer.sort_values(["building_id", "lodgement_date", "lmk_key"], kind="stable",
                              na_position="first")
    total = order.groupby("building_id", sort=False)["certificates"].transform("sum")
    last = ~order["building_id"].duplicated(keep="last")
    kept = order[last].assign(certificates=total[last])
    return kept, len(layer) - len(kept)


def merge_reports(reports: Sequence[Any]) -> Any:
    """One report from the partitions' (dataclasses of counts, tuples and mappings).

    Counts are summed, tuples joined in order, mappings of counts summed per key (keys in
    first-seen order) and other mappings (file -> encoding) joined.
    """
    first = reports[0]
    values: dict[str, Any] = {}
    for item in fields(first):
        given = [getattr(r, item.name) for r in reports]
        values[item.name] = _merge_values(given)
    return replace(first, **values)


def _merge_values(given: list[Any]) -> Any:
    head = given[0]
    if is_dataclass(head):
        return merge_reports(given)
    if isinstance(head, tuple):
        return tuple(x for values in given for x in values)
    if isinstance(head, Mapping):
        out: dict[Any, Any] = {}
        for values in given:
            for key, value in values.items():
                out[key] = out[key] + value if isinstance(value, int) and key in out else value
        return out
    return sum(given)
