"""Wall time and peak memory of the joint plan as the county grows (on demand).

Usage::

    python benchmarks/bench_scale.py --sample DIR [--sample DIR ...] [--no-tree-peak]
    python benchmarks/bench_scale.py --homes 300000 --homes 1200000 [--keep DIR]
    python benchmarks/bench_scale.py --sample DIR --dask-workers 1 2 4

Each ``--sample`` is a folder written by ``geoplan sample``; each ``--homes N`` writes a
synthetic county of N homes first (seed 2024, 10 m land cover; the ``county`` scale is 300,000
homes) in a temporary folder, or under ``--keep``. For each sample a fresh subprocess runs
``scenarios/joint.yaml`` on it (the scenario's inputs replaced by the folder) through
:func:`geoplan.pipeline.run_scenario`, timing every step (inputs, layers, candidates, solve,
outputs), its CPU seconds (this process and its ended children: the solver's child interpreter
and the forked children of :mod:`geoplan.forked`) and the process's peak resident memory
(``VmHWM``, :mod:`peak_memory`) when the step ends; the ``layers`` step is the layer
preparation. Then a second run gives the peak of the process with its children together
(``tree_peak_mib``, sampled every 10 ms with psutil: the run's resident memory plus its
children's unique memory; the solver's child process solves while the run waits on it, the
forked children read and write beside it), and its own wall time (``tree_run_s``): the sampling
costs CPU the run would use, so the times come from the first run (``--no-tree-peak`` skips the
second). Prints one JSON line per sample and a table.

With ``--dask-workers N ...`` the layer preparation alone (:func:`prepare_layers`, the part that
runs on dask) is measured instead, in a fresh subprocess per run: once in one process (``workers
0``), then with the buildings layer built per local authority on a ``distributed.LocalCluster``
of N worker processes (1 thread each; ``Compute(engine="dask")``,
:mod:`geoplan.layers.distributed`): wall time, peak resident memory (``VmHWM``,
:mod:`peak_memory`) of the client process and of each worker process (read on the workers with
``Client.run``), and each partition's homes and seconds from the progress lines. Cluster
start-up is timed apart.

Targets (issue 18, 2 cores): county (300,000 homes) joint run <= 12 s and <= 1 GB peak;
1.2M homes <= 30 s and <= 2 GB. The machine is often shared: quote the load average
(printed) with any figure.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from peak_memory import peak_mib

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {300_000: (12.0, 1024.0), 1_200_000: (30.0, 2048.0)}
"""Homes -> (seconds, MiB) targets of the whole joint run."""


def child(folder: Path, out: Path) -> dict[str, object]:
    """Run the joint scenario on ``folder`` once; seconds and peak MiB per step."""
    from geoplan.pipeline import run_scenario

    scenario = out.parent / "joint-bench.yaml"
    scenario.write_text(f"extends: {ROOT / 'scenarios' / 'joint.yaml'}\nname: joint-bench\n"
                        f"inputs:\n  sample: null\n  folder: {folder}\n", encoding="utf-8")
    steps: list[dict[str, Any]] = []
    start = time.perf_counter()

    def progress(step: str) -> None:
        now, cpu = time.perf_counter(), _cpu_s(children=True)
        if steps:
            steps[-1].update(seconds=round(now - float(steps[-1]["start"]), 2),
                             cpu_s=round(cpu - float(steps[-1]["cpu"]), 2),
                             peak_mib=round(peak_mib()))
        steps.append({"step": step, "start": now, "cpu": cpu})

    cpu_start = _cpu_s(children=True)
    run_scenario(scenario, out, overwrite=True, progress=progress)
    end, cpu_end = time.perf_counter(), _cpu_s(children=True)
    steps[-1].update(seconds=round(end - float(steps[-1]["start"]), 2),
                     cpu_s=round(cpu_end - float(steps[-1]["cpu"]), 2),
                     peak_mib=round(peak_mib()))
    homes = json.loads((folder / "sample.json").read_text(encoding="utf-8"))["counts"]["homes"]
    return {"sample": str(folder), "homes": homes, "total_s": round(end - start, 2),
            "cpu_s": round(cpu_end - cpu_start, 2), "peak_mib": round(peak_mib()),
            "steps": [{k: v for k, v in s.items() if k not in ("start", "cpu")}
                      for s in steps]}


def child_layers(folder: Path, workers: int) -> dict[str, object]:
    """Prepare the layers of ``folder`` once: in this process (0) or on ``workers`` workers."""
    from dataclasses import replace

    from geoplan.layers.distributed import Compute
    from geoplan.layers.prepare import prepare_layers, sample_inputs

    inputs = sample_inputs(folder)
    lines: list[str] = []
    if workers == 0:
        start, cpu = time.perf_counter(), _cpu_s()
        layers = prepare_layers(inputs, progress=lines.append)
        return {"workers": 0, "homes": _count(layers.buildings), "layers_s": _since(start),
                "client_cpu_s": round(_cpu_s() - cpu, 2), "client_peak_mib": round(peak_mib())}
    from distributed import Client, LocalCluster

    start = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        started = _since(start)
        compute = Compute(engine="dask", scheduler=cluster.scheduler_address)
        start, cpu = time.perf_counter(), _cpu_s()
        layers = prepare_layers(replace(inputs, compute=compute), progress=lines.append)
        seconds, client_cpu = _since(start), round(_cpu_s() - cpu, 2)
        worker_mib, worker_cpu = client.run(peak_mib), client.run(_cpu_s)
    return {"workers": workers, "homes": _count(layers.buildings), "cluster_start_s": started,
            "layers_s": seconds, "client_cpu_s": client_cpu,
            "client_peak_mib": round(peak_mib()),
            "worker_peak_mib": sorted(round(v) for v in worker_mib.values()),
            "worker_cpu_s": sorted(round(v, 1) for v in worker_cpu.values()),
            "partitions": [_partition(line) for line in lines if line.startswith("partition ")]}


def _count(frame: object) -> int:
    return 0 if frame is None else len(frame)  # type: ignore[arg-type]


def _since(start: float) -> float:
    return round(time.perf_counter() - start, 2)


def _partition(line: str) -> dict[str, object]:
    """``{"partition", "homes", "seconds"}`` of a progress line of geoplan.layers.distributed."""
    found = re.match(r"partition (.+): ([\d,]+) homes, ([\d.]+) s, cpu ([\d.]+) s", line)
    if found is None:
        raise ValueError(f"not a partition line: {line!r}")
    return {"partition": found.group(1), "homes": int(found.group(2).replace(",", "")),
            "seconds": float(found.group(3)), "cpu_s": float(found.group(4))}


def _cpu_s(children: bool = False) -> float:
    """CPU seconds (user + system) this process has used (and its ended children, if asked:
    the solver's child interpreter, the forked children)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    total = usage.ru_utime + usage.ru_stime
    if children:
        done = resource.getrusage(resource.RUSAGE_CHILDREN)
        total += done.ru_utime + done.ru_stime
    return total


def write_homes(homes: int, where: Path) -> Path:
    """Write a synthetic county of ``homes`` homes under ``where`` (the scale named by it)."""
    from geoplan.sample import build

    name = "county" if homes == build.SCALES["county"].homes else f"homes-{homes}"
    build.SCALES.setdefault(name, build.Scale(name, homes, 10))  # a bench-only size
    folder = where / f"sample-{homes}"
    if not (folder / "sample.json").exists():
        build.write_sample(folder, scale=name)
    return folder


def _measure(folder: Path, workers: int | None = None, tree: bool = True) -> dict[str, object]:
    """Time one run of ``folder``; then, if ``tree``, a second run for its tree peak.

    The tree's sampler reads every process of the tree every 10 ms: on the county it took
    about 4 CPU seconds of the machine's 2 cores and made the run about 1 s slower (mean of
    three pairs, 17.9 against 16.8 s). So the times come from a run it does not watch.
    """
    result = _run(folder, workers, watched=False)
    result["tree_peak_mib"] = None
    if tree:
        watched = _run(folder, workers, watched=True)
        result["tree_peak_mib"] = watched["tree_peak_mib"]
        result["tree_run_s"] = watched.get("total_s", watched.get("layers_s"))
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return result


def _run(folder: Path, workers: int | None, watched: bool) -> dict[str, object]:
    """Run the measured child once (``watched``: its tree's peak sampled meanwhile)."""
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        child = ["--child", str(folder), str(Path(tmp) / "run")] if workers is None else \
            ["--child-layers", str(folder), str(workers)]
        # output to files, not pipes: nothing reads them until the run ends
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            process = subprocess.Popen([sys.executable, __file__, *child], stdout=out,
                                       stderr=err, text=True,
                                       env={**os.environ, "PYTHONPATH": str(ROOT)})
            peak = _tree_peak_mib(process) if watched else None
            if process.wait() != 0:
                err.seek(0)
                raise SystemExit(f"the measured run failed:\n{err.read()[-4000:]}")
            out.seek(0)
            lines = out.read().strip().splitlines()
    result: dict[str, object] = json.loads(lines[-1])
    result["tree_peak_mib"] = peak
    return result


def _tree_peak_mib(process: subprocess.Popen[str]) -> int | None:
    """Largest memory of ``process`` and its descendants together, until it ends.

    Sampled every 10 ms with psutil (installed with dask's ``distributed``; ``None`` without
    it): the run's own peak (``VmHWM``, :mod:`peak_memory`) leaves out the solver's child
    process, which solves while the run waits, and the forked children
    (:mod:`geoplan.forked`), which read and write beside it. The run counts its resident
    memory and each descendant its unique memory (USS): a child caught between fork and exec
    shares every page of the run, and adding its resident memory counted the run twice
    (1,167 and 1,364 MiB on the county in 2 of 5 runs, against 925-946 MiB). A child whose
    command line is still the run's is counted only if it is named as :mod:`geoplan.forked`
    names its children (:data:`~geoplan.forked.CHILD_NAME`); else it is a vfork sharing the
    run's memory before its exec, not counted. (Before session 20 every child with the run's
    command line was left out, the forked children too: their figures were low.) A vfork
    made inside a forked child would inherit its name and be counted twice for the moment
    before its exec; geoplan starts no process from a forked child.
    """
    try:
        import psutil
    except ImportError:
        process.wait()
        return None
    from geoplan.forked import CHILD_NAME

    root, peak = psutil.Process(process.pid), 0
    command: list[str] | None = None
    with contextlib.suppress(psutil.Error):
        command = root.cmdline()
    while process.poll() is None:
        total = 0
        with contextlib.suppress(psutil.Error):  # a process ended between two looks
            total += root.memory_info().rss
            for member in root.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    if member.cmdline() != command or member.name() == CHILD_NAME:
                        total += member.memory_full_info().uss  # not a vfork before exec
        peak = max(peak, total)
        time.sleep(0.01)
    return round(peak / 2**20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sample", type=Path, action="append", default=[])
    parser.add_argument("--homes", type=int, action="append", default=[])
    parser.add_argument("--keep", type=Path, help="write --homes samples here (kept)")
    parser.add_argument("--no-tree-peak", dest="tree", action="store_false",
                        help="skip the second run that samples the peak of the run with its "
                             "child processes")
    parser.add_argument("--dask-workers", type=int, nargs="+", default=[],
                        help="measure the layer preparation on dask with these worker counts "
                             "(and once in one process)")
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-layers", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    if args.child_layers:
        print(json.dumps(child_layers(Path(args.child_layers[0]), int(args.child_layers[1]))))
        return
    with tempfile.TemporaryDirectory(prefix="bench-scale-samples-") as tmp:
        where = args.keep or Path(tmp)
        folders = [*args.sample, *(write_homes(n, where) for n in args.homes)]
        if args.dask_workers:
            for folder in folders:
                _dask_table(folder.absolute(), args.dask_workers, args.tree)
            return
        for folder in folders:
            result = _measure(folder.absolute(), tree=args.tree)
            print(json.dumps(result))
            target = TARGETS.get(int(str(result["homes"])))
            goal = f" (target <= {target[0]:.0f} s, <= {target[1]:.0f} MiB)" if target else ""
            tree = result["tree_peak_mib"]
            print(f"{result['homes']:>10,} homes: {result['total_s']:.1f} s (cpu "
                  f"{result['cpu_s']:.1f} s), peak {result['peak_mib']:,} MiB{goal}; "
                  + ("with the child processes not measured (--no-tree-peak)" if tree is None
                     else f"with the child processes {tree:,} MiB (in a second run)")
                  + f"; load {result['load_average']}")
            for step in result["steps"]:  # type: ignore[attr-defined]
                print(f"    {step['step']:<12} {step['seconds']:>7.2f} s  cpu "
                      f"{step['cpu_s']:>6.2f} s  {step['peak_mib']:>7,} MiB")


def _dask_table(folder: Path, counts: list[int], tree: bool = True) -> None:
    """Layer preparation of ``folder`` in one process, then on each worker count."""
    for workers in [0, *counts]:
        result = _measure(folder, workers, tree)
        print(json.dumps(result))
        where = "one process" if workers == 0 else f"{workers} dask workers"
        extra = "" if workers == 0 else (
            f" (cluster start {result['cluster_start_s']:.1f} s); workers peak "
            f"{result['worker_peak_mib']} MiB, cpu {result['worker_cpu_s']} s")
        print(f"{result['homes']:>10,} homes, {where}: layers {result['layers_s']:.1f} s, "
              f"client cpu {result['client_cpu_s']:.1f} s, client peak "
              f"{result['client_peak_mib']:,} MiB{extra}; load {result['load_average']}")
        for part in result.get("partitions", []):  # type: ignore[attr-defined]
            print(f"    {part['partition']:<36} {part['homes']:>9,} homes "
                  f"{part['seconds']:>7.2f} s, cpu {part['cpu_s']:>6.2f} s")


if __name__ == "__main__":
    main()
