"""A run's summary (``summary.json``, ``summary.md``) and rankings (``rankings.csv``).

The summary is a plain mapping (the pipeline builds it; everything in it is JSON-able after
:func:`json_ready`). Keys, all optional, no others:

``scenario``
    The scenario's name, description (under the title) and any scalar settings worth showing
    (section "Scenario settings", after the headline figures)
    (``{"name": ..., "description": ..., "mode": "joint", "years": [...]}``), including the
    grid choices a run made (:meth:`geoplan.planning.headroom.HeadroomGaps.to_dict`):
    ``grid_accounting`` (``on_top`` or ``base_year``), ``grid_power_factor``,
    ``grid_names_used`` (name in the grid files -> substations), ``missing_headroom`` and the
    substations it applied to (``headroom_missing_at``), the levels and served-chain
    substations that constrained the plan (``constrained_levels`` level -> count,
    ``constrained_at``) and those left unconstrained (``unconstrained_levels``,
    ``unconstrained_at``; an empty list shows as "none"), and with several DNOs
    ``grid_basis_by_dno`` (DNO -> the basis its headroom is judged on,
    :func:`geoplan.planning.grid_bases.dno_bases`; when they differ the grid evidence
    section and the warnings open with :func:`~geoplan.planning.grid_bases.bases_statement`).
``kpis``
    Headline figures: name -> number (e.g. ``tco2e_per_yr``, ``cost_gbp``, ``homes``).
``by_district``, ``by_year``, ``by_workstream``, ``by_period``, ``tradeoff``
    Lists of rows (``{"district_id": ..., "district_name": ..., <kpi>: ...}``;
    ``{"year": 2030, ...}``; ...), each shown as a table in the order given. In
    ``summary.md`` (presentation only) a district shows as ``Cherwell (E07000177)``
    (:func:`district_rows`, in every table with ``district_id``), and counts
    (:data:`COUNT_KEYS`: homes, chargers) as whole numbers that add up to the rounded total
    (:func:`largest_remainder`); ``summary.json`` keeps the exact figures.
    ``by_period``: spend, funding and delivery per milestone period; ``tradeoff``: the cost
    against lifetime tCO2e curve.
``budgets``
    Each workstream's budget, what the plan spends of it and leaves, and the limits the
    candidates it did not choose would break, counted by kind
    (:func:`geoplan.planning.budget_use.budget_use`); the plan's total last.
``finance``
    Name -> number or text, list of rows (a table) or mapping (a sub-section), e.g.
    :meth:`geoplan.planning.finance.FinanceSummary.to_dict`.
``existing_chargers``
    Public chargers already in the zones (:func:`geoplan.outputs.run_summary.existing_summary`):
    ``devices``, ``connectors``, ``outside_zones``, ``evs_already_served``, and the lists
    ``by_district`` and ``by_zone``; the Markdown lists the first :data:`ZONES_SHOWN` zones.
``charger_sites``
    The chosen charger sites, best ranked first (:func:`geoplan.outputs.run_summary.charger_sites`):
    ``rank``, ``site_name`` (:mod:`geoplan.layers.site_names`), ``source_id``,
    ``district_id``, ``district_name``, ``option``, ``period``, ``cost_gbp``,
    ``demand_covered``.
``solver``
    Model name -> ``{"status", "objective", "bound", "gap", "time_s"}`` (more keys allowed,
    e.g. :meth:`geoplan.optimise.plan.Plan.summary`); a plan solved by parts adds
    ``decomposition`` (``parts``, ``linking_rows``, ``rounds``, ``bound``, ``gap``), said in
    words under the table.
``assumptions``
    Table name -> ``{"file", "sha256", "overrides", "sources"}``: ``overrides`` a list of the
    scenario's changes (mappings or text), ``sources`` the distinct citations used.
``grid_evidence``
    ``{"statements": [text, ...], "substations": [rows]}``: what substation headroom blocks,
    in plain words, and a table of the substations blocking the most
    (:func:`geoplan.outputs.grid_evidence.evidence_summary`).
``sensitivity``
    ``{"statements": [text, ...], "rows": [rows]}``: each headline figure's range when the
    indicative assumptions are set to their low and high bounds one at a time, and the values
    that swing the lifetime cost per tCO2e most
    (:func:`geoplan.outputs.sensitivity.sensitivity_summary`).
``decision_support``
    ``{"statements": [text, ...], "rows": [rows]}``: what each decision support analysis
    found and the chosen candidates with the largest replacement cost
    (:func:`geoplan.outputs.decision.decision_summary`); only when the scenario asks.
``warnings``
    List of text.

``summary.json`` has sorted keys, two-space indentation, floats to 9 significant digits and
no NaN (written as ``null``), so equal summaries give equal bytes. ``summary.md`` renders the
same content for people; every data-driven string is escaped for Markdown and HTML.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geoplan.errors import LayerSchemaError
from geoplan.files.atomic import atomic_path, refuse_existing, write_csv
from geoplan.optimise.strategy import PHASED_ENOUGH_GAP
from geoplan.outputs.labels import (
    OBJECTIVE_COLUMNS,
    column_label,
    distinct_sources,
    stop_words,
)

__all__ = [
    "COUNT_KEYS",
    "RANKING_COLUMNS",
    "SUMMARY_KEYS",
    "ZONES_SHOWN",
    "column_label",
    "district_rows",
    "escape_markdown",
    "json_ready",
    "largest_remainder",
    "markdown_table",
    "rankings_csv",
    "round_half_up",
    "summary_markdown",
    "whole_counts",
    "write_rankings",
    "write_summary",
]

SUMMARY_KEYS = ("scenario", "kpis", "by_district", "by_year", "by_workstream", "budgets",
                "by_period",
                "tradeoff", "finance", "existing_chargers", "charger_sites", "solver",
                "grid_evidence", "sensitivity", "decision_support", "assumptions", "warnings")
"""Top-level keys a summary may have."""
RANKING_COLUMNS = ("workstream", "rank", "candidate_id", "label", "selected", "period",
                   "build_year", "cost_gbp", "tco2e_per_yr", "score", "reason")
"""Columns of ``rankings.csv``, in order."""

_SIGNIFICANT = 9


def json_ready(value: Any) -> Any:
    """Turn ``value`` into plain JSON values: floats to 9 significant digits, NaN to None.

    Examples
    --------
    >>> json_ready({"gap": np.float64(1 / 3), "n": np.int64(2), "x": float("nan")})
    {'gap': 0.333333333, 'n': 2, 'x': None}
    """
    if isinstance(value, Mapping):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, pd.DataFrame):
        return [json_ready(row) for row in value.to_dict(orient="records")]
    if isinstance(value, list | tuple | set | frozenset | np.ndarray | pd.Series):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [json_ready(item) for item in items]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return float(f"{number:.{_SIGNIFICANT}g}") if math.isfinite(number) else None
    if isinstance(value, dt.date | dt.datetime | pd.Timestamp):
        return value.isoformat()
    return str(value)


def write_summary(summary: Mapping[str, Any], folder: str | Path, *,
                  overwrite: bool = False) -> tuple[Path, Path]:
    """Write ``summary.json`` and ``summary.md`` into ``folder``, atomically.

    Parameters
    ----------
    summary : mapping
        See the module docstring for the keys.
    folder : str or pathlib.Path
        Folder to write into (created if missing), typically a :class:`RunFolder`.
    overwrite : bool
        Replace existing files.

    Returns
    -------
    tuple of pathlib.Path
        The JSON and the Markdown file.
    """
    data = _checked(summary)
    folder = Path(folder)
    paths = folder / "summary.json", folder / "summary.md"
    texts = (json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
             + "\n", summary_markdown(data))
    for path in paths:  # both or neither
        refuse_existing(path, overwrite=overwrite)
    for path, text in zip(paths, texts, strict=True):
        with atomic_path(path, overwrite=overwrite) as temporary:
            temporary.write_text(text, encoding="utf-8", newline="\n")
    return paths


def _checked(summary: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(summary) - set(SUMMARY_KEYS))
    if unknown:
        raise LayerSchemaError(f"summary keys {unknown} are not known; use "
                               f"{', '.join(SUMMARY_KEYS)}")
    data = json_ready(summary)
    for key in ("by_district", "by_year", "by_workstream", "budgets", "by_period", "tradeoff",
                "charger_sites", "warnings"):
        if not isinstance(data.get(key, []), list):
            raise LayerSchemaError(f"summary[{key!r}] must be a list, not "
                                   f"{type(summary[key]).__name__}")
    for key in ("scenario", "kpis", "finance", "existing_chargers", "solver", "assumptions",
                "grid_evidence", "sensitivity", "decision_support"):
        if not isinstance(data.get(key, {}), dict):
            raise LayerSchemaError(f"summary[{key!r}] must be a mapping, not "
                                   f"{type(summary[key]).__name__}")
    return data


def summary_markdown(summary: Mapping[str, Any]) -> str:
    """Render a summary (see the module docstring) as a Markdown report."""
    data = _checked(summary)
    scenario = data.get("scenario", {})
    lines = [f"# Plan summary: {escape_markdown(scenario.get('name', 'unnamed scenario'))}", ""]
    if scenario.get("description"):
        lines += [escape_markdown(scenario["description"]), ""]
    settings = {k: v for k, v in scenario.items() if k not in ("name", "description")}
    kpis = {k: (round_half_up(v) if _is_count(k) and isinstance(v, int | float)
                and not isinstance(v, bool) else v) for k, v in data.get("kpis", {}).items()}
    sections = [("Headline figures", _key_values(kpis)),  # results first, then how
                ("Scenario settings", _key_values(settings)),
                ("By district", markdown_table(whole_counts(
                    district_rows(data.get("by_district", []))))),
                ("By milestone year", markdown_table(whole_counts(data.get("by_year", [])))),
                ("By workstream", markdown_table(whole_counts(data.get("by_workstream", [])))),
                ("Spending against each budget, and what the candidates not chosen ran into",
                 markdown_table(data.get("budgets", []))),
                ("Plan per milestone period (funding, spend and delivery; objective lifetime "
                 "tCO2e, discounted at the carbon discount rate)",
                 markdown_table(whole_counts(data.get("by_period", [])),
                                labels=OBJECTIVE_COLUMNS)),
                ("Trade-off: cost against objective lifetime tCO2e, every kind, discounted at "
                 "the carbon discount rate, and against the main co-benefit "
                 "(tradeoff.csv, tradeoff.png)",
                 markdown_table(data.get("tradeoff", []), labels=OBJECTIVE_COLUMNS)),
                ("Finance", _nested(data.get("finance", {}))),
                ("Existing public chargers", _existing(data.get("existing_chargers", {}))),
                ("Charger sites chosen", markdown_table(district_rows(
                    data.get("charger_sites", [])))),
                ("Solver", _solver(data.get("solver", {}))),
                ("Grid evidence", _evidence(data.get("grid_evidence", {}))),
                ("Sensitivity to the indicative assumptions (sensitivity.csv, tornado.png)",
                 _statements(data.get("sensitivity", {}), "rows")),
                ("Decision support (replacement_cost.csv, limit_values.csv, portfolio.csv, "
                 "candidate_frequency.csv)", _statements(data.get("decision_support", {}),
                                                         "rows")),
                ("Assumptions used", _assumptions(data.get("assumptions", {}))),
                ("Warnings", [f"- {escape_markdown(w)}" for w in data.get("warnings", [])])]
    for title, body in sections:
        if body:
            lines += [f"## {title}", "", *body, ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _evidence(section: Mapping[str, Any]) -> list[str]:
    """Statements as a list, then the table of substations."""
    return _statements(section, "substations")


def _statements(section: Mapping[str, Any], table: str) -> list[str]:
    """Render a section's ``statements`` as a list, then its rows under ``table``."""
    lines = [f"- {escape_markdown(s)}" for s in section.get("statements", [])]
    rows = section.get(table, [])
    if rows:
        lines += ["", *markdown_table(rows)]
    return lines


def round_half_up(value: float) -> int:
    """Round to the nearest whole number, halves up (the same rule for totals and parts).

    Examples
    --------
    >>> round_half_up(2.5), round_half_up(3.5), round_half_up(-0.4)
    (3, 4, 0)
    """
    return math.floor(float(value) + 0.5)


def largest_remainder(values: Sequence[float]) -> list[int]:
    """Whole numbers that sum to the rounded total of ``values``, each within 1 of its value.

    Each value is rounded down, then the units left (``round_half_up(sum) - sum of floors``)
    go one each to the values with the largest fractional parts (ties: the first). Used at
    presentation only, so that homes by district add up to the homes in the headline.

    Examples
    --------
    >>> largest_remainder([1.4, 1.4, 1.2])
    [2, 1, 1]
    >>> largest_remainder([10.5, 20.25, 0.25])
    [11, 20, 0]
    """
    floats = [float(v) for v in values]
    floors = [math.floor(v) for v in floats]
    left = round_half_up(sum(floats)) - sum(floors)
    order = sorted(range(len(floats)), key=lambda i: (-(floats[i] - floors[i]), i))
    for i in order[:max(left, 0)]:
        floors[i] += 1
    return [int(v) for v in floors]


COUNT_KEYS = ("homes", "homes_to_target", "fuel_poor_homes", "chargers", "existing_chargers",
              "existing_connectors")
"""Summary columns that count things (homes, chargers): shown as whole numbers."""


def _is_count(key: str) -> bool:
    return key in COUNT_KEYS or key.startswith("homes_to_target_")


def whole_counts(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows with each count column (:data:`COUNT_KEYS`) in whole numbers (largest remainder).

    Parameters
    ----------
    rows : Sequence[Mapping[str, Any]]
        Rows of one table; a count column is rounded over the rows together
        (:func:`largest_remainder`), so the rows add up to the rounded total.

    Returns
    -------
    list of dict
        Copies of the rows; other columns as given.
    """
    out = [dict(row) for row in rows]
    columns = {key for row in rows for key in row if _is_count(key)}
    for column in sorted(columns):
        where = [i for i, row in enumerate(rows) if isinstance(row.get(column), int | float)
                 and not isinstance(row.get(column), bool)]
        for i, value in zip(where, largest_remainder([rows[i][column] for i in where]),
                            strict=True):
            out[i][column] = value
    return out


def district_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows with ``district_id`` and ``district_name`` shown as one ``district`` column.

    ``"Cherwell (E07000177)"`` when the name is known, else the code.
    """
    out = []
    for row in rows:
        if "district_id" not in row:
            out.append(dict(row))
            continue
        code, name = row.get("district_id"), row.get("district_name")
        shown = f"{name} ({code})" if name not in (None, "") and name != code else code
        out.append({("district" if k == "district_id" else k): (shown if k == "district_id"
                                                                  else v)
                    for k, v in row.items() if k != "district_name"})
    return out


def escape_markdown(value: Any) -> str:
    """Turn ``value`` into one line of text that Markdown and HTML show literally.

    Runs of whitespace (newlines included) become one space; backslashes, ``&``, ``<``, ``>`` and
    the Markdown marks ``| * _ ` [ ] #`` are escaped, so data cannot add markup or break a
    table row.

    Parameters
    ----------
    value : Any
        Anything; ``str(value)`` is escaped.

    Returns
    -------
    str
    """
    text = " ".join(str(value).split()).replace("\\", "\\\\")
    for raw, safe in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        text = text.replace(raw, safe)
    for mark in "|*_`[]#":
        text = text.replace(mark, f"\\{mark}")
    return text


LISTED_AT_MOST = 12
"""Items of a list value summary.md shows in its cell (every one is in summary.json)."""


def _number(value: Any, key: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        plain = key in ("period", "rank", "years") or key.endswith("year")
        return str(value) if plain else f"{value:,}"
    if isinstance(value, float):
        if key in ("gap",) or "share" in key:
            return f"{value:.2%}"
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        if key.endswith("gbp") and abs(value) >= 1000:  # whole pounds (json keeps pence)
            return f"{value:,.0f}"
        return f"{value:,.2f}" if abs(value) >= 100 else f"{value:.4g}"
    if isinstance(value, list):
        more = len(value) - LISTED_AT_MOST
        shown = ", ".join(_number(v, key) for v in value[:LISTED_AT_MOST]) or "none"
        return f"{shown} and {more:,} more (summary.json lists every one)" if more > 0 else shown
    if isinstance(value, dict):
        return "; ".join(f"{escape_markdown(k)}: {_number(v, k)}" for k, v in value.items())
    return escape_markdown(value)


def _key_values(values: Mapping[str, Any]) -> list[str]:
    if not values:
        return []
    rows = [f"| {escape_markdown(column_label(k))} | {_number(v, k)} |" for k, v in values.items()]
    return ["| | |", "|---|---:|", *rows, ""]


def markdown_table(rows: Sequence[Mapping[str, Any]], *,
                   labels: Mapping[str, str] | None = None) -> list[str]:
    """Render rows as the lines of a Markdown table (empty when there are no rows).

    Columns are the keys in first-seen order, headed by :func:`column_label`; columns whose
    values are all numbers are right-aligned. Cells are formatted by key (years and ranks
    plain, shares and gaps as percentages, other numbers with thousands separators, None as
    a dash) and every text is escaped with :func:`escape_markdown`.

    Parameters
    ----------
    rows : Sequence[Mapping[str, Any]]
        One mapping per row; a key missing from a row leaves its cell as a dash.
    labels : Mapping[str, str], optional
        Headings of this table's own that replace :func:`column_label`'s (a key whose
        meaning differs here, e.g. the objective's ``lifetime_tco2e``).

    Returns
    -------
    list of str
        Header, rule and one line per row.
    """
    if not rows:
        return []
    columns = list(dict.fromkeys(key for row in rows for key in row))
    own = labels or {}
    header = "| " + " | ".join(escape_markdown(own.get(c) or column_label(c))
                               for c in columns) + " |"
    rule = "|" + "|".join("---:" if _numeric(rows, c) else "---" for c in columns) + "|"
    body = ["| " + " | ".join(_number(row.get(c), c) for c in columns) + " |" for row in rows]
    return [header, rule, *body]


def _numeric(rows: Sequence[Mapping[str, Any]], column: str) -> bool:
    values = [row.get(column) for row in rows if row.get(column) is not None]
    return bool(values) and all(isinstance(v, int | float) and not isinstance(v, bool)
                                for v in values)


def _nested(values: Mapping[str, Any]) -> list[str]:
    scalars = {k: v for k, v in values.items() if not isinstance(v, list | dict)}
    lines = _key_values(scalars)
    for key, value in values.items():
        if isinstance(value, dict) and value:
            lines += [f"### {escape_markdown(column_label(key))}", "", *_key_values(value)]
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            lines += [f"### {escape_markdown(column_label(key))}", "",
                      *markdown_table(whole_counts(district_rows(value))), ""]
        elif isinstance(value, list) and value:
            lines += [f"### {escape_markdown(column_label(key))}", "",
                      *(f"- {escape_markdown(v)}" for v in value), ""]
    return lines


ZONES_SHOWN = 25
"""Zones listed in the Markdown table of existing chargers (all are in ``summary.json``)."""


def _existing(section: Mapping[str, Any]) -> list[str]:
    if not section:
        return []
    scalars = {k: v for k, v in section.items() if not isinstance(v, list | dict)}
    lines = _key_values(scalars)
    districts = section.get("by_district") or []
    if districts:
        lines += ["### By district", "", *markdown_table(whole_counts(district_rows(districts))),
                  ""]
    zones = section.get("by_zone") or []
    if zones:
        shown = [{"zone": f"{z['zone_name']} ({z['zone_id']})" if z.get("zone_name")
                  else z.get("zone_id"), **{k: v for k, v in z.items()
                                            if k not in ("zone_id", "zone_name")}}
                 for z in zones[:ZONES_SHOWN]]
        more = len(zones) - len(shown)
        lines += [f"### By zone ({len(zones)} zones with chargers, most first)", "",
                  *markdown_table(district_rows(shown)), ""]
        if more > 0:
            lines += [f"{more} more zones in summary.json; every zone's count is in the "
                      r"plan.gpkg zones layer (column existing\_chargers).", ""]
    return lines


STOPS_EXPLAINED = (
    "Stopped by: *gap*, the plan is within the gap the scenario asks for (`solver.gap`) of "
    f"the bound, or, for a phased plan, within {PHASED_ENOUGH_GAP:.1%} of it, where the full "
    "MIP is skipped "
    "(status feasible; the gap shown is the one proven); *work limit*, a deterministic "
    "budget (iterations, nodes) ended it, so the same inputs give the same plan; *time "
    "limit*, the clock ended it and another machine may find another plan; *wall time "
    "(safety stop)*, the solver overran its time limit and was killed: the plan and bound "
    "are the best known before it (heuristic plan, Lagrangian bound).")
"""What each ``stopped_by`` means, under the solver table (a gap above the asked one with
"gap" is the phased rule, not a contradiction)."""


def _solver(models: Mapping[str, Mapping[str, Any]]) -> list[str]:
    timed = any(run.get("time_s") is not None for run in models.values())
    rows = [{"model": name, "status": run.get("status"), "objective": run.get("objective"),
             "bound": run.get("bound"), "gap": run.get("gap"),
             "stopped by": stop_words(run.get("stopped_by")),
             # a run's summary has no wall times (same inputs, same bytes): no empty column
             **({"time (s)": run.get("time_s")} if timed else {})}
            for name, run in models.items()]
    return ([*markdown_table(rows), "", *_decomposed(models), STOPS_EXPLAINED] if rows
            else markdown_table(rows))


def _decomposed(models: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One line per model solved by parts: how many, the bound and the gap it proves."""
    lines = []
    for name, run in models.items():
        parts = run.get("decomposition")
        if not parts:
            continue
        lines += [f"{escape_markdown(name)}: decomposed by grid supply point into "
                  f"{_number(parts.get('parts'))} parts, the shared budgets priced by a "
                  f"Lagrange multiplier ({_number(parts.get('linking_rows'))} shared rows, "
                  f"{_number(parts.get('rounds'))} rounds) and the sub-plans repaired into "
                  f"one plan; Lagrangian bound {_number(parts.get('bound'))}, gap "
                  f"{_number(parts.get('gap'), 'gap')}.", ""]
    return lines


def _assumptions(tables: Mapping[str, Mapping[str, Any]]) -> list[str]:
    rows, notes = [], []
    for name, used in tables.items():
        overrides = used.get("overrides") or []
        rows.append({"table": name, "file": used.get("file"),
                     "sha256": (used.get("sha256") or "")[:12] or None,
                     "overrides": len(overrides)})
        notes += [f"- {escape_markdown(name)}: override {_number(change)}" for change in overrides]
        notes += [f"- {escape_markdown(name)}: source {escape_markdown(source)}"
                  for source in distinct_sources(used.get("sources") or [])]
    return [*markdown_table(rows), *(["", *notes] if notes else [])]


def rankings_csv(plans: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One table of every candidate's rank, selection and reason, across plans.

    Parameters
    ----------
    plans : mapping
        Plan name (a workstream, or e.g. ``"joint"``) -> plan table
        (:attr:`geoplan.optimise.plan.Plan.table`). The table's own ``workstream`` column
        wins over the name; ``label``, ``period``, ``cost_gbp``, ``tco2e_per_yr``, ``score``
        and ``reason`` may be missing (left blank).

    Returns
    -------
    pandas.DataFrame
        :data:`RANKING_COLUMNS`, sorted by workstream, then rank, then candidate id.

    Raises
    ------
    LayerSchemaError
        If a plan table lacks ``candidate_id``, ``rank`` or ``selected``.
    """
    parts = [_ranking_part(name, table) for name, table in plans.items()]
    frame = (pd.concat(parts, ignore_index=True) if parts
             else pd.DataFrame(columns=list(RANKING_COLUMNS)))
    frame = frame.sort_values(["workstream", "rank", "candidate_id"], kind="stable")
    return frame.reset_index(drop=True)


def _ranking_part(name: str, table: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("candidate_id", "rank", "selected") if c not in table.columns]
    if missing:
        raise LayerSchemaError(f"plan {name!r} has no column(s) {missing}; pass Plan.table")
    out = pd.DataFrame(index=range(len(table)))
    values = table.reset_index(drop=True)
    for column in RANKING_COLUMNS:
        if column in values.columns:
            out[column] = values[column].to_numpy()
        elif column == "workstream":
            out[column] = name
        else:
            out[column] = pd.NA
    out["rank"] = pd.to_numeric(out["rank"]).astype("Int64")
    out["period"] = pd.to_numeric(out["period"]).astype("Int64")
    out["build_year"] = pd.to_numeric(out["build_year"]).astype("Int64")
    out["selected"] = out["selected"].astype("boolean")
    return out


def write_rankings(plans: Mapping[str, pd.DataFrame], path: str | Path, *,
                   overwrite: bool = False) -> Path:
    """Write :func:`rankings_csv` to ``path`` (UTF-8, Unix line ends), atomically."""
    return write_csv(rankings_csv(plans), path, overwrite=overwrite)
