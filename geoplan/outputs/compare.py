"""Compare two runs: side-by-side KPIs, sites entering or leaving the top ranks, a two-pane map.

``geoplan compare A B`` (or :func:`run_comparison`) takes two run folders written by
``geoplan run`` (each holds ``plan.gpkg``, ``summary.json`` and ``manifest.json``) or two
scenario files (run first, into ``a/`` and ``b/`` inside the comparison folder), and writes
one folder, atomically (an existing folder is kept unless ``overwrite``):

``compare.md``, ``compare.json``
    Headline KPIs of both runs and the difference B - A, the same by workstream and by
    district, and each plan's solver status and gap.
``changes.csv``
    Per workstream, every candidate that enters or leaves the top ``top`` ranks or the
    chosen set, with its rank in both runs (see :data:`CHANGE_COLUMNS`).
``compare.html``
    Two synchronised maps (:func:`geoplan.outputs.compare_map.compare_map`, re-exported
    here): A's chosen candidates on the left, B's on the right, drawn and escaped as the run
    map draws them.

The same inputs give the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.errors import SourceFormatError, SourceNotFoundError
from geoplan.files.run_folder import RunFolder
from geoplan.outputs.compare_map import compare_map
from geoplan.outputs.export import read_plan
from geoplan.outputs.map_page import map_html
from geoplan.outputs.summary import column_label, escape_markdown, json_ready, markdown_table

__all__ = [
    "CHANGE_COLUMNS",
    "MARKER",
    "RUN_FILES",
    "Comparison",
    "RunData",
    "check_run_folder",
    "compare_map",
    "compare_markdown",
    "compare_runs",
    "read_run",
    "write_comparison",
    "write_comparison_files",
]

RUN_FILES = ("plan.gpkg", "summary.json", "manifest.json")
"""Files every run folder holds (what makes a folder a run)."""

CHANGE_COLUMNS = ("workstream", "candidate_id", "label", "rank_a", "rank_b", "selected_a",
                  "selected_b", "top", "chosen")
"""Columns of ``changes.csv``: ``top`` and ``chosen`` are ``enters`` (in B, not in A),
``leaves`` (in A, not in B) or empty; a candidate missing from a run has no rank there."""

_CONTEXT = ("zones", "districts", "substations", "headroom", "run_settings")
MARKER = "compare.json"
_CHANGE_ROWS_SHOWN = 30


@dataclass(frozen=True)
class RunData:
    """What a comparison reads from one run folder.

    Attributes
    ----------
    folder : pathlib.Path
        The run folder.
    source : str
        What the user gave (a folder or a scenario file), shown in reports.
    summary : dict
        ``summary.json``.
    plans : dict
        Workstream -> plan table (every candidate, ``rank``, ``selected``), file order.
    context : dict
        The ``zones``, ``districts``, ``substations``, ``headroom`` and ``run_settings``
        (whether the run is on the sample, its data statements) layers present.
    """

    folder: Path
    source: str
    summary: dict[str, Any]
    plans: dict[str, gpd.GeoDataFrame]
    context: dict[str, pd.DataFrame]

    @property
    def name(self) -> str:
        """The scenario's name (the folder's name when the summary has none)."""
        return str(self.summary.get("scenario", {}).get("name") or self.folder.name)


def check_run_folder(folder: Path) -> None:
    """Refuse ``folder`` unless it holds the files of a ``geoplan run`` folder."""
    hint = ("give a folder written by `geoplan run` (it holds " + ", ".join(RUN_FILES)
            + ") or a scenario .yaml file")
    if not folder.exists():
        raise SourceNotFoundError(f"{folder} does not exist; {hint}")
    if not folder.is_dir():
        raise SourceNotFoundError(f"{folder} is neither a run folder nor a .yaml scenario; "
                                  f"{hint}")
    missing = [name for name in RUN_FILES if not (folder / name).is_file()]
    if missing:
        raise SourceNotFoundError(f"{folder} is not a run folder: it has no "
                                  f"{', '.join(missing)}; {hint}")


def read_run(folder: str | Path, *, source: str | None = None) -> RunData:
    """Read the summary and plan layers of a run folder.

    Raises
    ------
    SourceNotFoundError
        ``folder`` is missing or lacks one of :data:`RUN_FILES` (the message names it).
    SourceFormatError
        ``summary.json`` is not JSON.
    """
    folder = Path(folder)
    check_run_folder(folder)
    path = folder / "summary.json"
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SourceFormatError(f"{path}, line {exc.lineno}: not JSON ({exc.msg}); rerun "
                                "`geoplan run` to write it again") from exc
    layers = read_plan(folder / "plan.gpkg")
    plans = {name: frame for name, frame in layers.items()
             if name not in _CONTEXT and isinstance(frame, gpd.GeoDataFrame)
             and {"candidate_id", "rank", "selected"} <= set(frame.columns)}
    context = {name: layers[name] for name in _CONTEXT if name in layers}
    return RunData(folder, source or str(folder), summary, plans, context)


@dataclass(frozen=True)
class Comparison:
    """Two runs side by side (see :func:`compare_runs`).

    ``kpis``, ``by_workstream`` and ``by_district`` rows hold ``kpi``, ``a``, ``b`` and
    ``difference`` (B - A; None when either is missing), the grouped ones also their
    ``workstream`` or ``district_id``. ``solver`` rows hold ``model``, ``status_a``,
    ``gap_a``, ``status_b``, ``gap_b``. ``changes`` has :data:`CHANGE_COLUMNS`.
    """

    a: RunData
    b: RunData
    top: int
    kpis: tuple[dict[str, Any], ...]
    by_workstream: tuple[dict[str, Any], ...]
    by_district: tuple[dict[str, Any], ...]
    solver: tuple[dict[str, Any], ...]
    changes: pd.DataFrame

    def counts(self) -> dict[str, dict[str, int]]:
        """Per workstream: how many candidates enter or leave the top ranks and the choice."""
        out = {}
        for name in self.workstreams():
            rows = self.changes[self.changes["workstream"] == name]
            out[name] = {f"{what}_{kind}": int((rows[kind] == what).sum())
                         for kind in ("top", "chosen") for what in ("enters", "leaves")}
        return out

    def workstreams(self) -> list[str]:
        """Workstreams of either run, A's order first."""
        return list(dict.fromkeys([*self.a.plans, *self.b.plans]))

    def to_dict(self) -> dict[str, Any]:
        """Return plain JSON values (what ``compare.json`` holds)."""
        runs = {side: {"source": run.source, "scenario": run.name}
                for side, run in (("a", self.a), ("b", self.b))}
        return json_ready({**runs, "top": self.top, "kpis": list(self.kpis),
                           "by_workstream": list(self.by_workstream),
                           "by_district": list(self.by_district),
                           "solver": list(self.solver), "counts": self.counts(),
                           "changes": self.changes})


def _value(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if np.isfinite(value) else None


def _kpi_rows(a: Mapping[str, Any], b: Mapping[str, Any], missing: float | None
              ) -> list[dict[str, Any]]:
    rows = []
    for key in dict.fromkeys([*a, *b]):
        va, vb = _value(a.get(key, missing)), _value(b.get(key, missing))
        rows.append({"kpi": key, "a": va, "b": vb,
                     "difference": None if va is None or vb is None else vb - va})
    return rows


def _grouped(key: str, a: list[Mapping[str, Any]], b: list[Mapping[str, Any]]
             ) -> list[dict[str, Any]]:
    """Rows by ``key``; a group absent from a run had nothing chosen there: it counts 0."""
    index_a = {str(row[key]): row for row in a}
    index_b = {str(row[key]): row for row in b}
    labels = (key, "district_name")  # the group and its name are not figures
    out = []
    for group in sorted(set(index_a) | set(index_b)):
        values_a = {k: v for k, v in index_a.get(group, {}).items() if k not in labels}
        values_b = {k: v for k, v in index_b.get(group, {}).items() if k not in labels}
        out += [{key: group, **row} for row in _kpi_rows(values_a, values_b, 0.0)]
    return out


def _solver(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"model": model, "status_a": a.get(model, {}).get("status"),
             "gap_a": a.get(model, {}).get("gap"), "status_b": b.get(model, {}).get("status"),
             "gap_b": b.get(model, {}).get("gap")} for model in dict.fromkeys([*a, *b])]


def _ranks(plan: pd.DataFrame | None) -> pd.DataFrame:
    if plan is None:
        return pd.DataFrame({"candidate_id": pd.Series(dtype="str"), "label": pd.Series(
            dtype="str"), "rank": pd.Series(dtype="Int64"), "selected": pd.Series(dtype=bool)})
    label = plan["label"] if "label" in plan.columns else plan["candidate_id"]
    return pd.DataFrame({"candidate_id": plan["candidate_id"].astype(str),
                         "label": label.astype(str),
                         "rank": pd.to_numeric(plan["rank"], errors="coerce").astype("Int64"),
                         "selected": plan["selected"].fillna(False).astype(bool)})


def _changes(name: str, a: pd.DataFrame | None, b: pd.DataFrame | None, top: int
             ) -> pd.DataFrame:
    """Candidates of one workstream entering or leaving the top ``top`` ranks or the choice."""
    both = _ranks(a).merge(_ranks(b), on="candidate_id", how="outer", suffixes=("_a", "_b"))
    both["label"] = both["label_b"].fillna(both["label_a"])
    for side in ("a", "b"):
        both[f"selected_{side}"] = both[f"selected_{side}"].fillna(False).astype(bool)
        both[f"top_{side}"] = (both[f"rank_{side}"] <= top).fillna(False).astype(bool)
    for kind, flag in (("top", "top"), ("chosen", "selected")):
        new, old = both[f"{flag}_b"], both[f"{flag}_a"]
        both[kind] = np.select([new & ~old, old & ~new], ["enters", "leaves"], "")
    changed = both[(both["top"] != "") | (both["chosen"] != "")].assign(workstream=name)
    first = changed[["rank_a", "rank_b"]].min(axis=1)
    changed = changed.assign(_first=first).sort_values(["_first", "candidate_id"],
                                                        kind="stable")
    return changed[list(CHANGE_COLUMNS)].reset_index(drop=True)


def compare_runs(a: RunData | str | Path, b: RunData | str | Path, *, top: int = 20
                 ) -> Comparison:
    """Compare run ``a`` with run ``b`` (run folders, or what :func:`read_run` returned).

    Parameters
    ----------
    a, b : RunData or path
        The runs; differences are B - A.
    top : int
        Ranks that count as "top": a candidate enters when its rank in B is ``top`` or
        better and in A it is not (or it is missing from A).

    Returns
    -------
    Comparison
    """
    if top < 1:
        raise ValueError(f"top must be 1 or more (got {top})")
    run_a = a if isinstance(a, RunData) else read_run(a)
    run_b = b if isinstance(b, RunData) else read_run(b)
    sa, sb = run_a.summary, run_b.summary
    names = list(dict.fromkeys([*run_a.plans, *run_b.plans]))
    frames = [_changes(n, run_a.plans.get(n), run_b.plans.get(n), top) for n in names]
    changes = (pd.concat(frames, ignore_index=True) if frames
               else pd.DataFrame(columns=list(CHANGE_COLUMNS)))
    return Comparison(
        run_a, run_b, top, tuple(_kpi_rows(sa.get("kpis", {}), sb.get("kpis", {}), None)),
        tuple(_grouped("workstream", sa.get("by_workstream", []),
                       sb.get("by_workstream", []))),
        tuple(_grouped("district_id", sa.get("by_district", []), sb.get("by_district", []))),
        tuple(_solver(sa.get("solver", {}), sb.get("solver", {}))), changes)


def _side_by_side(rows: tuple[dict[str, Any], ...], key: str | None, names: tuple[str, str]
                  ) -> list[str]:
    table = [{**({key: row[key]} if key else {}), "figure": column_label(row["kpi"]),
              f"A: {names[0]}": row["a"], f"B: {names[1]}": row["b"],
              "B - A": row["difference"]} for row in json_ready(list(rows))]
    return markdown_table(table)


def compare_markdown(comparison: Comparison) -> str:
    """Render the comparison as a Markdown report (every data string escaped)."""
    c = comparison
    names = (c.a.name, c.b.name)
    lines = [f"# Comparison: {escape_markdown(names[0])} (A) and "
             f"{escape_markdown(names[1])} (B)", "",
             f"- A: {escape_markdown(c.a.source)}", f"- B: {escape_markdown(c.b.source)}",
             "- Differences are B - A.", ""]
    sections = [("Headline figures", _side_by_side(c.kpis, None, names)),
                ("By workstream", _side_by_side(c.by_workstream, "workstream", names)),
                ("By district", _side_by_side(c.by_district, "district_id", names)),
                ("Solver", markdown_table(json_ready(list(c.solver))))]
    for title, body in sections:
        if body:
            lines += [f"## {title}", "", *body, ""]
    lines += [f"## Changes (top {c.top} ranks and the chosen set)", "",
              *markdown_table([{"workstream": k, **v} for k, v in c.counts().items()]), ""]
    for name in c.workstreams():
        rows = c.changes[c.changes["workstream"] == name]
        if len(rows):
            shown = rows.drop(columns="workstream").head(_CHANGE_ROWS_SHOWN)
            more = len(rows) - len(shown)
            lines += [f"### {escape_markdown(name)}", "", *markdown_table(json_ready(shown)),
                      *(["", f"{more:,} more in changes.csv"] if more > 0 else []), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def write_comparison(comparison: Comparison, out: str | Path, *, overwrite: bool = False,
                     offline_map: bool = True) -> tuple[Path, ...]:
    """Write the comparison folder atomically; an existing folder is kept unless ``overwrite``.

    Returns
    -------
    tuple of pathlib.Path
        ``compare.md``, ``compare.json``, ``changes.csv``, ``compare.html`` in ``out``.
    """
    with RunFolder(out, overwrite=overwrite, marker=MARKER) as folder:
        names = write_comparison_files(comparison, folder, offline_map)
    return tuple(Path(out) / name for name in names)


def write_comparison_files(comparison: Comparison, folder: Path, offline_map: bool) -> list[str]:
    """Write the comparison's four files into ``folder``; return their names."""
    texts = {"compare.md": compare_markdown(comparison),
             MARKER: json.dumps(comparison.to_dict(), sort_keys=True, indent=2,
                                 ensure_ascii=False, allow_nan=False) + "\n"}
    root = compare_map(comparison, offline=offline_map).get_root()
    texts["compare.html"] = map_html(root)  # type: ignore[arg-type]
    for name, content in texts.items():
        (folder / name).write_text(content, encoding="utf-8", newline="\n")
    comparison.changes.to_csv(folder / "changes.csv", index=False, lineterminator="\n",
                              encoding="utf-8")
    return ["compare.md", MARKER, "changes.csv", "compare.html"]
