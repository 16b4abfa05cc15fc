"""A static map of the selected candidates for documents: PNG and PDF, no web tiles.

Drawn with matplotlib in British National Grid metres (EPSG:27700) on an A4 or A3 page,
portrait or landscape: district outlines, zones faintly, substations as triangles by level,
existing public chargers as small black dots (when given), each workstream's selected
candidates in its own colour (areas too small to see at the page's scale as that
workstream's marker), with a complete legend (every colour and marker drawn), north arrow,
scale bar, a title wrapped to the page (never clipped) and the data attribution line the
licences ask for (:mod:`geoplan.outputs.attribution`). PDFs carry title, author, subject and
keywords metadata. The same plans give byte-identical files (no timestamps are written).
"""

from __future__ import annotations

import logging
import math
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from geoplan.errors import MissingCRSError
from geoplan.files.atomic import atomic_path, refuse_existing
from geoplan.outputs.map_style import EXISTING_FILL, stroke_colour
from geoplan.version import __version__

__all__ = ["PAPER_MM", "page_inches", "pdf_metadata", "plain_text", "save_figure",
           "static_map_figure", "write_static_map"]

logger = logging.getLogger(__name__)

PROJECTED = "EPSG:27700"
_MARKERS = ("o", "s", "P", "D", "v", "X")
"""Marker of each workstream's small sites, by order (triangles are substations)."""
PAPER_MM = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
"""Paper sizes (width, height in portrait) in millimetres."""
ORIENTATIONS = ("auto", "portrait", "landscape")
_SUBSTATIONS = {"gsp": ("grid supply point", 70), "bsp": ("bulk supply point", 40),
                "primary": ("primary substation", 18), "secondary": ("secondary substation", 8)}
"""Substation level -> legend words and marker size (points squared)."""
_SUBSTATION_FILL = "#ffffff"
_SUBSTATION_EDGE = "#333333"


def _projected(frame: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if frame.crs is None:
        raise MissingCRSError(f"the {what} layer has no CRS; set it with "
                              ".set_crs('EPSG:27700') if it is in British National Grid metres")
    return frame.to_crs(PROJECTED) if frame.crs != PROJECTED else frame


def plain_text(value: object) -> str:
    r"""Text matplotlib shows as written ('$' would otherwise start mathematics).

    Examples
    --------
    >>> plain_text("cost $5 to $9")
    'cost \\$5 to \\$9'
    """
    return str(value).replace("$", r"\$")


def _selected(plan: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if "selected" not in plan.columns:
        return plan.iloc[0:0]
    chosen = plan["selected"].map(lambda v: False if pd.isna(v) else bool(v)).astype(bool)
    rows = plan[chosen.to_numpy()]
    return rows[rows.geometry.notna() & ~rows.geometry.is_empty]


def _as_marker(rows: gpd.GeoDataFrame, extent_m: float) -> pd.Series:
    """Rows drawn as a marker: points, and polygons too small to see (< 0.4% of the view)."""
    kinds = rows.geometry.geom_type
    bounds = rows.geometry.bounds
    size = np.hypot(bounds["maxx"] - bounds["minx"], bounds["maxy"] - bounds["miny"])
    return kinds.isin(["Point", "MultiPoint"]) | (size < 0.004 * extent_m)


def _extent(frames: list[gpd.GeoDataFrame]) -> float:
    boxes = [f.total_bounds for f in frames if len(f)]
    if not boxes:
        return 0.0
    box = np.array(boxes)
    return float(np.hypot(box[:, 2].max() - box[:, 0].min(), box[:, 3].max() - box[:, 1].min()))


def _draw_plans(ax: Axes, plans: Mapping[str, gpd.GeoDataFrame], extent_m: float) -> list:
    """Draw each plan's chosen areas and markers; return a legend entry for each kind drawn."""
    handles: list = []
    for order, (name, plan) in enumerate(plans.items()):
        colour = stroke_colour(name, order)
        rows = _selected(_projected(plan, f"plan {name!r}"))
        small = _as_marker(rows, extent_m).to_numpy()
        marker = _MARKERS[order % len(_MARKERS)]
        areas, points = int((~small).sum()), int(small.sum())
        if areas:
            rows[~small].plot(ax=ax, facecolor=colour, edgecolor=colour, alpha=0.55,
                              linewidth=0.6, zorder=3)
        if points:
            rows[small].geometry.representative_point().plot(
                ax=ax, color=colour, marker=marker, markersize=22, edgecolor="#222222",
                linewidth=0.5, zorder=5)
        label = plain_text(f"{name}: {len(rows):,} selected")
        if areas or not points:
            handles.append(Patch(facecolor=colour, edgecolor=colour, alpha=0.6, label=label))
        if points:
            words = label if not areas else plain_text(
                f"{name}: a site too small to see ({points:,})")
            handles.append(Line2D([], [], marker=marker, linestyle="", markerfacecolor=colour,
                                  markeredgecolor="#222222", markersize=6, label=words))
    return handles


def _draw_substations(ax: Axes, substations: gpd.GeoDataFrame) -> list:
    """Substations as white triangles ringed in dark grey, larger for higher levels."""
    points = _projected(substations, "substations")
    points = points[points.geometry.notna() & ~points.geometry.is_empty]
    levels = (points["level"].astype(str) if "level" in points.columns
              else pd.Series("primary", index=points.index))
    handles = []
    for level, (words, size) in _SUBSTATIONS.items():
        rows = points[(levels == level).to_numpy()]
        if not len(rows):
            continue
        rows.geometry.representative_point().plot(
            ax=ax, color=_SUBSTATION_FILL, marker="^", markersize=size,
            edgecolor=_SUBSTATION_EDGE, linewidth=0.7, zorder=6)
        handles.append(Line2D([], [], marker="^", linestyle="", markerfacecolor=_SUBSTATION_FILL,
                              markeredgecolor=_SUBSTATION_EDGE, markersize=math.sqrt(size) * 0.9,
                              label=f"{words} ({len(rows):,})"))
    return handles


def _draw_existing(ax: Axes, chargers: gpd.GeoDataFrame) -> list:
    """Existing public chargers as small black dots ringed in white, under the plans."""
    points = _projected(chargers, "existing chargers")
    points = points[points.geometry.notna() & ~points.geometry.is_empty]
    if not len(points):
        return []
    points.geometry.representative_point().plot(ax=ax, color=EXISTING_FILL, marker="o",
                                                markersize=9, edgecolor="white",
                                                linewidth=0.4, zorder=4)
    return [Line2D([], [], marker="o", linestyle="", markerfacecolor=EXISTING_FILL,
                   markeredgecolor="white", markersize=4,
                   label=f"existing public charger ({len(points):,})")]


def _nice_length(span_m: float) -> float:
    """Return a round scale-bar length near a fifth of ``span_m`` (1, 2 or 5 x 10^k)."""
    target = max(span_m / 5, 1.0)
    power = 10 ** math.floor(math.log10(target))
    return max(m * power for m in (1, 2, 5) if m * power <= target)


def _pad(ax: Axes, share: float) -> None:
    """Widen the view by ``share`` of its size on each side (room for arrow and scale)."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    dx, dy = (x1 - x0) * share, (y1 - y0) * share
    ax.set_xlim(x0 - dx, x1 + dx)
    ax.set_ylim(y0 - dy, y1 + dy)


def _scale_bar(ax: Axes) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length(x1 - x0)
    left, bottom = x0 + 0.015 * (x1 - x0), y0 + 0.015 * (y1 - y0)
    height = 0.007 * (y1 - y0)
    for i in range(2):
        ax.add_patch(Rectangle((left + i * length / 2, bottom), length / 2, height,
                               facecolor="#222222" if i == 0 else "white",
                               edgecolor="#222222", linewidth=0.8, zorder=10))
    shown = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(left + length / 2, bottom + 2.2 * height, shown, ha="center", va="bottom",
            fontsize=8, zorder=10)


def _north_arrow(ax: Axes) -> None:
    ax.annotate("N", xy=(0.975, 0.99), xytext=(0.975, 0.91), xycoords="axes fraction",
                ha="center", va="center", fontsize=11, fontweight="bold",
                arrowprops={"arrowstyle": "-|>", "color": "#222222", "linewidth": 1.5},
                zorder=10)


def page_inches(paper: str = "A4", orientation: str = "portrait") -> tuple[float, float]:
    """Return the (width, height) of a page in inches.

    Examples
    --------
    >>> page_inches("A4", "landscape")
    (11.69, 8.27)
    """
    if paper not in PAPER_MM:
        raise ValueError(f"unknown paper {paper!r}; choose one of {', '.join(PAPER_MM)}")
    if orientation not in ORIENTATIONS[1:]:
        raise ValueError(f"unknown orientation {orientation!r}; choose portrait or landscape")
    width, height = (round(mm / 25.4, 2) for mm in PAPER_MM[paper])
    return (height, width) if orientation == "landscape" else (width, height)


def _orientation(orientation: str, frames: list[gpd.GeoDataFrame]) -> str:
    """Return the orientation; ``auto``: portrait unless the layers are wider than tall."""
    if orientation not in ORIENTATIONS:
        raise ValueError(f"unknown orientation {orientation!r}; choose one of "
                         f"{', '.join(ORIENTATIONS)}")
    if orientation != "auto":
        return orientation
    boxes = [f.total_bounds for f in frames if len(f)]
    if not boxes:
        return "portrait"
    box = np.array(boxes)
    wide = box[:, 2].max() - box[:, 0].min() > box[:, 3].max() - box[:, 1].min()
    return "landscape" if wide else "portrait"


def _wrap(text: str, width_in: float, fontsize: float) -> str:
    """Wrap ``text`` to lines that fit ``width_in`` inches at ``fontsize`` points."""
    chars = max(int(width_in * 72 / (fontsize * 0.56)), 10)
    return "\n".join(textwrap.wrap(text, chars, break_long_words=True)) or text


def static_map_figure(
    plans: Mapping[str, gpd.GeoDataFrame],
    *,
    districts: gpd.GeoDataFrame | None = None,
    zones: gpd.GeoDataFrame | None = None,
    title: str = "Net-zero investment plan: selected candidates",
    existing_chargers: gpd.GeoDataFrame | None = None,
    substations: gpd.GeoDataFrame | None = None,
    attribution: Sequence[str] = (),
    paper: str = "A4",
    orientation: str = "auto",
    subtitle: str = "",
) -> Figure:
    """Draw the static map and return the matplotlib figure (not attached to pyplot).

    Parameters are those of :func:`write_static_map`. The page is laid out top to bottom:
    title (wrapped), map, legend, attribution; the map axes are ``fig.axes[0]``.
    """
    context = [_projected(f, "context") for f in (zones, districts) if f is not None]
    frames = context + [_projected(p, f"plan {n!r}") for n, p in plans.items()]
    width, height = page_inches(paper, _orientation(orientation, frames))
    fig = Figure(figsize=(width, height), dpi=150)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    if zones is not None and len(zones):
        _projected(zones, "zones").boundary.plot(ax=ax, color="#cccccc", linewidth=0.3,
                                                 zorder=1)
    if districts is not None and len(districts):
        _projected(districts, "districts").boundary.plot(ax=ax, color="#444444",
                                                         linewidth=1.0, zorder=2)
    handles = _draw_plans(ax, plans, _extent(frames))
    if substations is not None and len(substations):
        handles += _draw_substations(ax, substations)
    if existing_chargers is not None:
        handles += _draw_existing(ax, existing_chargers)
    if districts is not None and len(districts):
        handles.append(Line2D([], [], color="#444444", linewidth=1.0, label="district"))
    if zones is not None and len(zones):
        handles.append(Line2D([], [], color="#cccccc", linewidth=0.6, label="zone"))
    ax.set_aspect("equal")
    ax.set_axis_off()
    _layout(fig, ax, handles, title=title, subtitle=subtitle, attribution=attribution)
    if ax.has_data():
        _pad(ax, 0.04)
        _scale_bar(ax)
    _north_arrow(ax)
    return fig


def _text(fig: Figure, at: tuple[float, float], words: str, **style: object) -> None:
    """Write ``words`` left-aligned at ``at`` (inches from the page's lower left corner)."""
    width, height = fig.get_size_inches()
    fig.text(at[0] / width, at[1] / height, words, ha="left", **style)  # type: ignore[arg-type]


def _layout(fig: Figure, ax: Axes, handles: list, *, title: str, subtitle: str,
            attribution: Sequence[str]) -> None:
    """Place title, map, legend and attribution on the page, in inches from its edges."""
    width, height = fig.get_size_inches()
    margin = 0.4
    text_width = width - 2 * margin
    heading = _wrap(plain_text(title), text_width, 13)
    top = height - margin
    # drawn first (below the map's zorder), so the title leads the PDF's text
    _text(fig, (margin, top), heading, va="top", fontsize=13, fontweight="bold", zorder=-1)
    top -= 0.25 * (heading.count("\n") + 1) + 0.05
    if subtitle:
        sub = _wrap(plain_text(subtitle), text_width, 9)
        _text(fig, (margin, top), sub, va="top", fontsize=9, color="#333333")
        top -= 0.17 * (sub.count("\n") + 1)
    credit = _wrap(plain_text("; ".join(attribution)), text_width, 6.5) if attribution else ""
    bottom = margin
    if credit:
        _text(fig, (margin, bottom), credit, va="bottom", fontsize=6.5, color="#444444")
        bottom += 0.12 * (credit.count("\n") + 1) + 0.1
    if handles:
        columns = 2 if width < 9 else 3
        rows = math.ceil(len(handles) / columns)
        legend_height = 0.19 * rows + 0.1
        fig.legend(handles=handles, loc="lower center", fontsize=7.5, frameon=False,
                   ncols=columns, bbox_to_anchor=(0.5, bottom / height))
        bottom += legend_height
    ax.set_position((margin / width, bottom / height, text_width / width,
                     max(top - bottom - 0.1, 1.0) / height))


def write_static_map(
    plans: Mapping[str, gpd.GeoDataFrame],
    path_png: str | Path,
    path_pdf: str | Path,
    *,
    districts: gpd.GeoDataFrame | None = None,
    zones: gpd.GeoDataFrame | None = None,
    title: str = "Net-zero investment plan: selected candidates",
    overwrite: bool = False,
    existing_chargers: gpd.GeoDataFrame | None = None,
    substations: gpd.GeoDataFrame | None = None,
    attribution: Sequence[str] = (),
    paper: str = "A4",
    orientation: str = "auto",
    subtitle: str = "",
) -> tuple[Path, Path]:
    """Write the static map as PNG and PDF, atomically and reproducibly.

    Parameters
    ----------
    plans : Mapping[str, geopandas.GeoDataFrame]
        Workstream name -> plan table with ``selected`` (as for
        :func:`geoplan.outputs.map.plan_map`); only selected candidates are drawn.
    path_png, path_pdf : str or pathlib.Path
        Output files.
    districts, zones : geopandas.GeoDataFrame, optional
        Outlines drawn under the plans.
    title : str
        Title above the map (shown as written, wrapped to the page).
    overwrite : bool
        Replace existing files; without it, an existing file stops the call before any work.
    existing_chargers : geopandas.GeoDataFrame, optional
        Existing public chargers (points), drawn as small black dots with a legend entry.
    substations : geopandas.GeoDataFrame, optional
        Substations (points, ``level``), drawn as triangles sized by level.
    attribution : Sequence[str]
        Data statements printed under the legend
        (:func:`geoplan.outputs.attribution.attribution_lines`).
    paper : {"A4", "A3"}
        Page size.
    orientation : {"auto", "portrait", "landscape"}
        ``auto``: portrait unless the layers are wider than tall.
    subtitle : str
        A line under the title (e.g. the data and milestone years).

    Returns
    -------
    (pathlib.Path, pathlib.Path)
        The PNG and PDF paths.

    Raises
    ------
    OutputExistsError
        A file exists and ``overwrite`` is false.
    MissingCRSError
        A layer has no CRS.
    ValueError
        Unknown paper or orientation.
    """
    path_png, path_pdf = Path(path_png), Path(path_pdf)
    refuse_existing(path_png, overwrite=overwrite)
    refuse_existing(path_pdf, overwrite=overwrite)
    fig = static_map_figure(plans, districts=districts, zones=zones, title=title,
                            existing_chargers=existing_chargers, substations=substations,
                            attribution=attribution, paper=paper, orientation=orientation,
                            subtitle=subtitle)
    for path in (path_png, path_pdf):
        save_figure(fig, path, title=title, overwrite=overwrite)
    return path_png, path_pdf


def pdf_metadata(title: str, subject: str = "Static map of a geoplan plan") -> dict[str, object]:
    """Return the PDF metadata geoplan writes (no dates: the same map gives the same bytes)."""
    return {"Title": title, "Author": "geoplan", "Subject": subject,
            "Keywords": "net zero; investment plan; geoplan",
            "Creator": f"geoplan {__version__}", "CreationDate": None, "ModDate": None}


def save_figure(fig: Figure, path: str | Path, *, title: str, overwrite: bool = False,
                subject: str = "Static map of a geoplan plan") -> Path:
    """Write ``fig`` as PNG or PDF (by the suffix of ``path``), atomically, without dates.

    Raises
    ------
    OutputExistsError
        ``path`` exists and ``overwrite`` is false.
    ValueError
        The suffix is neither ``.png`` nor ``.pdf``.
    """
    path = Path(path)
    kind = path.suffix.lower().lstrip(".")
    if kind not in ("png", "pdf"):
        raise ValueError(f"{path}: a static map is a .png or .pdf file")
    refuse_existing(path, overwrite=overwrite)
    with atomic_path(path, overwrite=overwrite) as temporary:
        if kind == "png":
            fig.savefig(temporary, format="png", metadata={"Software": None, "Title": title})
        else:
            fig.savefig(temporary, format="pdf", metadata=pdf_metadata(title, subject))
    logger.info("wrote %s", path)
    return path
