"""The bid pack: one A4 PDF of a run, for a funding bid (``geoplan report RUN``).

:func:`write_report` reads a run folder (``plan.gpkg`` with its ``run_settings`` table,
``summary.json``, ``manifest.json``) and writes, in order:

1. a cover: scenario, description, the data, milestone years, budget, grid scenario, solver
   status and gap, the run's date (``manifest.json`` ``created``: the pack of one run is
   always the same, whatever day it is written) and the contents;
2. the headline figures with their units (reductions, removals and the EV switch on separate
   lines, never added up), then by workstream and by district;
3. maps (:func:`geoplan.outputs.static_map.static_map_figure`): all workstreams, one per
   workstream, one per district;
4. the grid evidence: blocked kW by substation and milestone year, with the summary's words;
5. the assumption tables used, each with its published sources;
6. the data attributions the inputs' licences ask for, and the input files read.

Pages are matplotlib figures (:mod:`geoplan.outputs.report_pages`) saved with
:class:`~matplotlib.backends.backend_pdf.PdfPages`, TrueType fonts embedded (so the text can
be searched and copied), atomically, without dates in the file.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib as mpl
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from geoplan.errors import SourceNotFoundError
from geoplan.files.atomic import atomic_path, refuse_existing
from geoplan.outputs.attribution import attribution_sources
from geoplan.outputs.labels import column_label, distinct_sources
from geoplan.outputs.plan_package import read_plan_package
from geoplan.outputs.report_pages import (
    add_footer,
    new_page,
    place_lines,
    table_pages,
    text_pages,
    wrap_paragraphs,
)
from geoplan.outputs.run_settings import RUN_SETTINGS, map_subtitle, read_run_settings
from geoplan.outputs.static_map import pdf_metadata, static_map_figure

__all__ = ["RUN_FILES", "RunRecord", "headline_rows", "read_run",
           "report_figures", "write_report"]

logger = logging.getLogger(__name__)

RUN_FILES = ("plan.gpkg", "summary.json", "manifest.json")
"""Files of a run folder the bid pack reads."""
GRID_ROWS = 30
"""Substations the grid evidence table lists (those blocking the most kW)."""

_HEADLINE = (  # summary kpi, number format; the words are summary.md's (column_label)
    ("cost_gbp", "money"), ("candidates_selected", "count"),
    ("reduction_tco2e_per_yr", "tonnes"), ("reduction_lifetime_tco2e", "count"),
    ("reduction_cost_per_lifetime_tco2e_gbp", "money"),
    ("removal_tco2e_per_yr", "tonnes"), ("removal_lifetime_tco2e", "count"),
    ("removal_cost_per_lifetime_tco2e_gbp", "money"),
    ("ev_attributed_tco2e_per_yr", "tonnes"), ("homes", "count"),
    ("fuel_poor_homes", "count"), ("homes_to_target", "count"), ("chargers", "count"),
    ("area_ha", "tonnes"), ("substations_binding", "count"),
    ("candidates_blocked_by_grid", "count"),
)
_BREAKDOWN = (("selected", "chosen", "count"), ("cost_gbp", "cost\n£", "money"),
              ("reduction_tco2e_per_yr", "reductions\ntCO2e/yr", "tonnes"),
              ("removal_tco2e_per_yr", "removals\ntCO2e/yr", "tonnes"),
              ("homes", "homes", "count"), ("chargers", "chargers", "count"),
              ("area_ha", "land\nha", "tonnes"))


@dataclass(frozen=True)
class RunRecord:
    """What the bid pack reads from a run folder."""

    folder: Path
    summary: dict[str, Any]
    manifest: dict[str, Any]
    settings: dict[str, Any]
    plans: dict[str, gpd.GeoDataFrame]
    context: dict[str, pd.DataFrame]


def read_run(folder: str | Path) -> RunRecord:
    """Read the files of a run folder the bid pack needs.

    Raises
    ------
    SourceNotFoundError
        ``folder`` is not a run folder (one of :data:`RUN_FILES` is missing).
    """
    folder = Path(folder)
    missing = [name for name in RUN_FILES if not (folder / name).is_file()]
    if missing:
        raise SourceNotFoundError(f"{folder} is not a run folder: {', '.join(missing)} missing "
                                  "(give the folder `geoplan run ... -o FOLDER` wrote)")
    plans, context = read_plan_package(folder / "plan.gpkg")
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return RunRecord(folder, summary, manifest, read_run_settings(context.get(RUN_SETTINGS)),
                     plans, context)


def _number(value: object, kind: str) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "n/a"
    number = float(value)  # type: ignore[arg-type]
    if kind == "money":
        return f"£{number:,.0f}" if abs(number) >= 100 else f"£{number:,.2f}"
    if kind == "tonnes":
        return f"{number:,.1f}"
    return f"{number:,.0f}"


def headline_rows(kpis: Mapping[str, Any]) -> list[list[str]]:
    """Return the headline table's rows (figure, value, unit) for the KPIs present.

    Examples
    --------
    >>> headline_rows({"cost_gbp": 1234567.4, "removal_tco2e_per_yr": 12.34})
    [['Capital cost', '£1,234,567', '£'], ['Removals, sequestration', '12.3', 'tCO2e/yr']]
    """
    rows = []
    for key, kind in _HEADLINE:
        if key in kpis:
            words, unit = _words_and_unit(column_label(key))
            rows.append([words, _number(kpis[key], kind), unit])
    return rows


def _words_and_unit(label: str) -> tuple[str, str]:
    """Split ``"Capital cost (£)"`` into ``("Capital cost", "£")``; no unit: ``""``.

    Words in brackets that are not a unit (they hold a space) stay with the figure's words.

    Examples
    --------
    >>> _words_and_unit("Substations that limit the plan (headroom used up, or load blocked)")
    ('Substations that limit the plan (headroom used up, or load blocked)', '')
    """
    if label.endswith(")") and " (" in label:
        words, unit = label[:-1].rsplit(" (", 1)
        if " " not in unit:
            return words, unit
    return label, ""


def _breakdown(rows: list[dict[str, Any]], key: str, name: str | None = None
               ) -> list[list[str]]:
    out = []
    for row in rows:
        label = str(row.get(key))
        if name and row.get(name):
            label = f"{row[name]} ({label})"
        out.append([label, *(_number(row.get(c, 0.0), kind) for c, _, kind in _BREAKDOWN)])
    return out


def _solver_line(summary: Mapping[str, Any]) -> str:
    parts = []
    for name, entry in summary.get("solver", {}).items():
        gap = entry.get("gap")
        shown = "n/a" if gap is None else f"{100 * float(gap):.3g}%"
        parts.append(f"{name}: {entry.get('status')}, gap {shown}")
    return "; ".join(parts)


def _cover(run: RunRecord, contents: list[tuple[int, str]]) -> Figure:
    settings, scenario = run.settings, run.summary.get("scenario", {})
    fig, top = new_page("Net-zero investment plan: bid pack")
    budget = scenario.get("budget_gbp")
    lines = [("Scenario", settings.get("title") or scenario.get("name", "")),
             ("Data", settings.get("data", "see manifest.json")),
             ("Run on", str(run.manifest.get("created", "unknown"))[:10]
              + " (the run's manifest.json)"),
             ("Milestone years", ", ".join(map(str, scenario.get("years", [])))),
             ("Budget", "n/a" if budget is None else _number(budget, "money")),
             ("Funding", str(scenario.get("funding_gbp", ""))),
             ("Grid", str(scenario.get("grid", ""))),
             ("Solver", _solver_line(run.summary)),
             ("Made by", f"geoplan {run.manifest.get('geoplan', '')}")]
    body = [f"{label}: {value}" for label, value in lines]
    body += ["", "Contents (page, section):",
             *(f"  {number}  {heading}" for number, heading in contents)]
    place_lines(fig, top, wrap_paragraphs(body, 10), 10)
    return fig


def _headline(run: RunRecord) -> list[Figure]:
    summary = run.summary
    pages = table_pages("Headline figures", ["figure", "value", "unit"],
                        headline_rows(summary.get("kpis", {})), widths=[3.0, 1.2, 1.0],
                        notes=["Reductions, removals and the EV switch are different kinds of "
                               "tonnes and are never added up. Costs are capital costs in "
                               "pounds; lifetime tonnes count each measure from its build "
                               "year, undiscounted, and the cost per lifetime tCO2e is "
                               "capital cost over them (summary.md defines every figure).",
                               f"Solver: {_solver_line(summary)}."])
    header = [c for _, c, _ in _BREAKDOWN]
    pages += table_pages("By workstream", ["workstream", *header],
                         _breakdown(summary.get("by_workstream", []), "workstream"))
    pages += table_pages("By district", ["district", *header],
                         _breakdown(summary.get("by_district", []), "district_id",
                                    "district_name"), widths=[2.6] + [1.0] * len(header))
    return pages


def _map(run: RunRecord, plans: Mapping[str, gpd.GeoDataFrame], title: str, *,
         zones: pd.DataFrame | None, districts: pd.DataFrame | None,
         substations: pd.DataFrame | None, chargers: pd.DataFrame | None) -> Figure:
    return static_map_figure(plans, districts=districts, zones=zones, title=title,
                             existing_chargers=chargers, substations=substations,
                             attribution=run.settings.get("attribution", ()), paper="A4",
                             orientation="portrait", subtitle=map_subtitle(run.settings))


def _maps(run: RunRecord) -> list[Figure]:
    context = run.context
    zones, districts = context.get("zones"), context.get("districts")
    subs, chargers = context.get("substations"), context.get("existing_chargers")
    pages = [_map(run, run.plans, "Map: all workstreams", zones=zones, districts=districts,
                  substations=subs, chargers=chargers)]
    for name, plan in run.plans.items():
        pages.append(_map(run, {name: plan}, f"Map: {name}", zones=zones, districts=districts,
                          substations=subs, chargers=chargers if name == "chargers" else None))
    if not isinstance(districts, gpd.GeoDataFrame) or "district_id" not in districts:
        return pages
    for row in districts.itertuples():
        pages.append(_district_map(run, row))
    return pages


def _in_district(frame: pd.DataFrame | None, district: str) -> pd.DataFrame | None:
    if frame is None or "district_id" not in frame.columns:
        return frame
    return frame[(frame["district_id"].astype(str) == district).to_numpy()]


def _district_map(run: RunRecord, row: Any) -> Figure:
    context, district = run.context, str(row.district_id)
    name = getattr(row, "district_name", None) or district
    outline = context["districts"]
    outline = outline[(outline["district_id"].astype(str) == district).to_numpy()]
    subs = context.get("substations")
    if isinstance(subs, gpd.GeoDataFrame) and len(outline):
        area = outline.to_crs(subs.crs).union_all()
        subs = subs[subs.geometry.within(area).to_numpy()]
    plans = {n: p for n, p in ((n, _in_district(p, district)) for n, p in run.plans.items())
             if p is not None}
    return _map(run, plans, f"Map: {name} ({district})", zones=_in_district(
        context.get("zones"), district), districts=outline, substations=subs,
        chargers=_in_district(context.get("existing_chargers"), district))


def grid_rows(evidence: pd.DataFrame, top: int = GRID_ROWS) -> tuple[list[str], list[list[str]]]:
    """Return the header and rows of blocked kW by substation (rows) and year (columns).

    Only the ``all`` rows (every workstream together) of substations that block some load,
    the ``top`` that block the most kW in their worst year first.
    """
    rows = evidence[evidence["workstream"].astype(str) == "all"]
    kw = rows.pivot_table(index=["name", "level"], columns="year", values="blocked_kw",
                          aggfunc="sum", fill_value=0.0)
    kw = kw[kw.max(axis=1) > 0]
    order = kw.max(axis=1).sort_values(ascending=False, kind="stable").index[:top]
    kw = kw.loc[order]
    header = ["substation (level)", *(f"{int(y)} kW" for y in kw.columns)]
    return header, [[f"{name} ({level})", *(_number(v, "count") for v in values)]
                    for (name, level), values in zip(kw.index, kw.to_numpy(), strict=True)]


def _grid(run: RunRecord) -> list[Figure]:
    evidence = run.context.get("grid_evidence")
    heading = "Grid evidence: blocked kW by substation and year"
    words = run.summary.get("grid_evidence", {}).get("statements", [])
    if evidence is None or not {"workstream", "blocked_kw", "year"} <= set(evidence.columns):
        return text_pages(heading, ["The run wrote no grid evidence."])
    header, rows = grid_rows(pd.DataFrame(evidence))
    notes = [f"The {len(rows)} substations whose headroom blocks the most load (kW of "
             "load-adding candidates blocked, all workstreams); every substation, year and "
             "workstream is in grid_evidence.csv and plan.gpkg layer grid_evidence.",
             *words[:3]]
    if not rows:
        return text_pages(heading, ["Headroom blocks no candidate in any milestone year.",
                                    *words])
    return table_pages(heading, header, rows, notes=notes,
                       widths=[2.6] + [1.0] * (len(header) - 1))


def _assumptions(run: RunRecord) -> list[Figure]:
    paragraphs = ["Every number that drives the plan comes from a table of layers/assumptions "
                  "with its published source (or an indicative low/high range); these are "
                  "the tables this run used.", ""]
    for name, entry in run.summary.get("assumptions", {}).items():
        overrides = entry.get("overrides") or []
        extra = f"; scenario overrides: {len(overrides)}" if overrides else ""
        paragraphs.append(f"{name} ({entry.get('file', '')}{extra})")
        paragraphs.extend(f"  - {source}" for source in distinct_sources(entry.get("sources", [])))
        paragraphs.append("")
    return text_pages("Assumptions and their sources", paragraphs, size=7)


def _attributions(run: RunRecord) -> list[Figure]:
    inputs = [k for k, v in run.manifest.get("inputs", {}).items() if v]
    year = int(run.settings.get("attribution_year") or str(run.manifest.get("created",
                                                                            "2000"))[:4])
    sample = bool(run.settings.get("sample", False))
    paragraphs = ["Statements the data licences ask for:",
                  *(f"  {line}" for line in run.settings.get("attribution", [])), "",
                  "By input:",
                  *(f"  - {words}: {text}" for words, text in
                    attribution_sources(inputs, year=year, sample=sample,
                                        years=run.settings.get("data_years"))), "",
                  "Files read (manifest.json has their paths and SHA-256 hashes):"]
    for kind, entry in run.manifest.get("inputs", {}).items():
        if entry:
            paragraphs.append(f"  - {kind}: {Path(str(entry.get('path', ''))).name} "
                              f"(sha256 {str(entry.get('sha256', ''))[:12]})")
    return text_pages("Data attributions", paragraphs)


def report_figures(run: RunRecord) -> list[Figure]:
    """Return every page of the bid pack, cover first, footers written."""
    sections = [_headline(run), _maps(run), _grid(run), _assumptions(run), _attributions(run)]
    body = [page for section in sections for page in section]
    headings = [page.texts[0].get_text().replace("\\$", "$").replace("\n", " ")
                for page in body]
    contents = [(number, heading) for number, heading in enumerate(headings, start=2)
                if not heading.endswith("(continued)")]
    pages = [_cover(run, contents), *body]
    add_footer(pages, f"geoplan bid pack: {run.settings.get('scenario', run.folder.name)}")
    return pages


def write_report(folder: str | Path, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write the bid pack of the run in ``folder`` to the PDF ``path``, atomically.

    Parameters
    ----------
    folder : str or pathlib.Path
        A run folder (``geoplan run -o FOLDER``).
    path : str or pathlib.Path
        The PDF to write.
    overwrite : bool
        Replace an existing file; without it, an existing file stops the call before any work.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    OutputExistsError
        ``path`` exists and ``overwrite`` is false.
    SourceNotFoundError
        ``folder`` is not a run folder.
    """
    path = Path(path)
    refuse_existing(path, overwrite=overwrite)
    run = read_run(folder)
    pages = report_figures(run)
    title = f"Bid pack: {run.settings.get('title') or run.folder.name}"
    metadata = pdf_metadata(title, "Net-zero investment plan: headline figures, maps, grid "
                                   "evidence, assumptions and data attributions")
    with atomic_path(path, overwrite=overwrite) as temporary, \
            mpl.rc_context({"pdf.fonttype": 42}), \
            PdfPages(temporary, metadata=metadata) as pdf:
        for page in pages:
            pdf.savefig(page)
    logger.info("wrote %s (%d pages)", path, len(pages))
    return path
