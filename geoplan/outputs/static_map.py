"""A static map of the selected candidates for documents: PNG and PDF, no web tiles.

Drawn with matplotlib in British National Grid metres (EPSG:27700): district outlines, zones
faintly, existing public chargers as small black dots (when given), each workstream's
selected candidates in its own colour, with a legend, north arrow,
scale bar and title. The same plans give byte-identical files (no timestamps are written).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
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

__all__ = ["static_map_figure", "write_static_map"]

logger = logging.getLogger(__name__)

PROJECTED = "EPSG:27700"
_MARKERS = ("o", "s", "^", "D", "v", "P")


def _projected(frame: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if frame.crs is None:
        raise MissingCRSError(f"the {what} layer has no CRS; set it with "
                              ".set_crs('EPSG:27700') if it is in British National Grid metres")
    return frame.to_crs(PROJECTED) if frame.crs != PROJECTED else frame


def _plain(value: str) -> str:
    """Text matplotlib shows as written ('$' would otherwise start mathematics)."""
    return value.replace("$", r"\$")


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
    handles: list = []
    for order, (name, plan) in enumerate(plans.items()):
        colour = stroke_colour(name, order)
        rows = _selected(_projected(plan, f"plan {name!r}"))
        small = _as_marker(rows, extent_m).to_numpy()
        marker = _MARKERS[order % len(_MARKERS)]
        if (~small).any():
            rows[~small].plot(ax=ax, facecolor=colour, edgecolor=colour, alpha=0.55,
                              linewidth=0.6, zorder=3)
        if small.any():
            points = rows[small].geometry.representative_point()
            points.plot(ax=ax, color=colour, marker=marker, markersize=28,
                        edgecolor="#222222", linewidth=0.5, zorder=5)
        label = _plain(f"{name}: {len(rows):,} selected")
        handles.append(Line2D([], [], marker=marker, linestyle="", markerfacecolor=colour,
                              markeredgecolor="#222222", markersize=7, label=label)
                       if small.all() and len(rows)
                       else Patch(facecolor=colour, edgecolor=colour, alpha=0.6, label=label))
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


def static_map_figure(
    plans: Mapping[str, gpd.GeoDataFrame],
    *,
    districts: gpd.GeoDataFrame | None = None,
    zones: gpd.GeoDataFrame | None = None,
    title: str = "Net-zero investment plan: selected candidates",
    existing_chargers: gpd.GeoDataFrame | None = None,
) -> Figure:
    """Draw the static map and return the matplotlib figure (not attached to pyplot).

    Parameters are those of :func:`write_static_map`.
    """
    fig = Figure(figsize=(10, 8), dpi=150, layout="constrained")
    ax = fig.add_subplot()
    if zones is not None and len(zones):
        _projected(zones, "zones").boundary.plot(ax=ax, color="#cccccc", linewidth=0.3,
                                                 zorder=1)
    if districts is not None and len(districts):
        _projected(districts, "districts").boundary.plot(ax=ax, color="#444444",
                                                         linewidth=1.0, zorder=2)
    context = [_projected(f, "context") for f in (zones, districts) if f is not None]
    extent = _extent(context + [_projected(p, f"plan {n!r}") for n, p in plans.items()])
    handles = _draw_plans(ax, plans, extent)
    if existing_chargers is not None:
        handles += _draw_existing(ax, existing_chargers)
    if districts is not None and len(districts):
        handles.append(Line2D([], [], color="#444444", linewidth=1.0, label="district"))
    ax.set_aspect("equal")
    ax.set_axis_off()
    if handles:
        fig.legend(handles=handles, loc="outside lower center", fontsize=8, frameon=False,
                   ncols=min(len(handles), 4))
    if ax.has_data():
        _pad(ax, 0.07)
        _scale_bar(ax)
    _north_arrow(ax)
    ax.set_title(_plain(title), fontsize=13, fontweight="bold")
    return fig


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
        Title above the map (shown as written).
    overwrite : bool
        Replace existing files; without it, an existing file stops the call before any work.
    existing_chargers : geopandas.GeoDataFrame, optional
        Existing public chargers (points), drawn as small black dots with a legend entry.

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
    """
    path_png, path_pdf = Path(path_png), Path(path_pdf)
    refuse_existing(path_png, overwrite=overwrite)
    refuse_existing(path_pdf, overwrite=overwrite)
    fig = static_map_figure(plans, districts=districts, zones=zones, title=title,
                            existing_chargers=existing_chargers)
    with atomic_path(path_png, overwrite=overwrite) as png, \
            atomic_path(path_pdf, overwrite=overwrite) as pdf:
        fig.savefig(png, format="png", metadata={"Software": None})
        fig.savefig(pdf, format="pdf", metadata={"CreationDate": None, "ModDate": None})
    logger.info("wrote %s and %s", path_png, path_pdf)
    return path_png, path_pdf
