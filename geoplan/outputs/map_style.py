"""Colours, classes and the (escaped) HTML text of the plan map: popups, tooltips, legend.

Every string that comes from data passes through :func:`text`, which HTML-escapes it unless
the caller opted in to raw HTML. Numbers are formatted here too, so the web map and its
legend agree.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "BENEFITS",
    "CHOROPLETH_COLOURS",
    "EXISTING_FILL",
    "HEADROOM_COLOURS",
    "RANK_CLASSES",
    "WORKSTREAM_COLOURS",
    "Classes",
    "choropleth_classes",
    "headroom_class",
    "legend_html",
    "number",
    "rank_class",
    "stroke_colour",
    "text",
]

RANK_CLASSES: tuple[tuple[int, float, str], ...] = (
    (1, 10, "#08306b"),
    (11, 25, "#2171b5"),
    (26, 50, "#4292c6"),
    (51, 100, "#9ecae1"),
    (101, math.inf, "#deebf7"),
)
"""Rank classes (first rank, last rank, fill colour): darker is stronger."""

WORKSTREAM_COLOURS: Mapping[str, str] = {
    "retrofit": "#d95f02", "laep": "#7570b3", "chargers": "#1b9e77", "sequestration": "#66a61e",
}
"""Outline colour of each known workstream's candidates (ColorBrewer Dark2)."""

OTHER_STROKES = ("#e7298a", "#a6761d", "#666666", "#e6ab02")
"""Outline colours for workstreams outside :data:`WORKSTREAM_COLOURS`, in order."""

HEADROOM_COLOURS: Mapping[str, str] = {
    "red": "#d7191c", "amber": "#fdae61", "green": "#1a9641", "unknown": "#969696",
}
"""Substation fill by headroom class."""

EXISTING_FILL = "#111111"
"""Fill of existing public chargers (small dots ringed in white)."""

CHOROPLETH_COLOURS = ("#feedde", "#fdbe85", "#fd8d3c", "#e6550d", "#a63603")
"""Sequential fills for zone choropleths (ColorBrewer Oranges), low to high."""

BENEFITS: Mapping[str, str] = {
    "homes": "Homes",
    "homes_to_target": "Homes brought to target",
    "fuel_poor_homes": "Fuel-poor homes",
    "heat_mwh_per_yr": "Heat (MWh/yr)",
    "chargers": "Chargers",
    "charger_kw": "Charger power (kW)",
    "demand_covered": "Demand within reach",
    "area_ha": "Area (ha)",
}
"""Workstream benefit columns shown in popups, with their labels."""


def text(value: object, *, raw: bool = False) -> str:
    """Return ``value`` as HTML: escaped (quotes too) unless ``raw``.

    Examples
    --------
    >>> text("<img src=x onerror=alert(1)>")
    '&lt;img src=x onerror=alert(1)&gt;'
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value) if raw else html.escape(str(value), quote=True)


def number(value: object, digits: int = 1) -> str:
    """Format a number with thousands separators; '' when missing.

    Examples
    --------
    >>> number(1234567.891), number(3.0, 0), number(float("nan"))
    ('1,234,567.9', '3', '')
    """
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    if not math.isfinite(x):
        return ""
    if abs(x) < 10 ** -digits and x != 0:
        return f"{x:.3g}"
    return f"{x:,.{digits}f}"


def rank_class(rank: object) -> int:
    """Index in :data:`RANK_CLASSES` of ``rank`` (the last class when missing).

    Examples
    --------
    >>> rank_class(1), rank_class(11), rank_class(500), rank_class(None)
    (0, 1, 4, 4)
    """
    try:
        r = float(rank)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return len(RANK_CLASSES) - 1
    for i, (_, last, _) in enumerate(RANK_CLASSES):
        if r <= last:
            return i
    return len(RANK_CLASSES) - 1


def stroke_colour(workstream: str, order: int) -> str:
    """Outline colour of a workstream: its own, or the ``order``-th spare colour."""
    return WORKSTREAM_COLOURS.get(workstream, OTHER_STROKES[order % len(OTHER_STROKES)])


def headroom_class(mva: float | None, amber_below_mva: float) -> str:
    """``"red"`` (negative: constrained), ``"amber"`` (below the threshold), ``"green"``.

    Examples
    --------
    >>> [headroom_class(v, 5.0) for v in (-1.0, 0.0, 4.9, 5.0, None)]
    ['red', 'amber', 'amber', 'green', 'unknown']
    """
    if mva is None or not math.isfinite(mva):
        return "unknown"
    if mva < 0:
        return "red"
    return "amber" if mva < amber_below_mva else "green"


@dataclass(frozen=True)
class Classes:
    """Class breaks of one choropleth: ``edges[i] <= value < edges[i + 1]`` -> ``colours[i]``."""

    edges: tuple[float, ...]
    colours: tuple[str, ...]

    def colour(self, value: object) -> str | None:
        """Fill colour of ``value``; None when missing."""
        try:
            x = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
        if not math.isfinite(x):
            return None
        i = int(np.searchsorted(self.edges[1:-1], x, side="right"))
        return self.colours[i]

    def labels(self, fmt: int = 2) -> list[str]:
        """Legend labels, one per class."""
        e = self.edges
        return [f"{number(e[i], fmt)} to {number(e[i + 1], fmt)}" for i in range(len(e) - 1)]


def choropleth_classes(values: pd.Series) -> Classes:
    """Quintile classes of ``values`` (fewer when values repeat).

    Examples
    --------
    >>> c = choropleth_classes(pd.Series([0.0, 1.0, 2.0, 3.0, 4.0, 5.0]))
    >>> c.edges
    (0.0, 1.0, 2.0, 3.0, 4.0, 5.0)
    >>> c.colour(2.5) == CHOROPLETH_COLOURS[2]
    True
    """
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return Classes((0.0, 0.0), (CHOROPLETH_COLOURS[0],))
    quantiles = np.quantile(x, np.linspace(0, 1, len(CHOROPLETH_COLOURS) + 1))
    edges = np.unique([float(f"{q:.10g}") for q in quantiles])  # no float noise in labels
    if edges.size == 1:
        return Classes((float(edges[0]), float(edges[0])), (CHOROPLETH_COLOURS[-1],))
    n = edges.size - 1
    picks = np.round(np.linspace(0, len(CHOROPLETH_COLOURS) - 1, n)).astype(int)
    return Classes(tuple(float(v) for v in edges),
                   tuple(CHOROPLETH_COLOURS[i] for i in picks))


def _swatch(colour: str, label: str, *, dashed: bool = False, round_: bool = False) -> str:
    border = "2px dashed #555" if dashed else "1px solid #555"
    radius = "50%" if round_ else "2px"
    return (f'<div class="gp-row"><span class="gp-swatch" style="background:{colour};'
            f'border:{border};border-radius:{radius}"></span>{label}</div>')


def legend_html(
    *,
    ranks_used: Sequence[int],
    workstreams: Sequence[tuple[str, str]],
    headroom_title: str | None,
    amber_below_mva: float,
    choropleths: Sequence[tuple[str, Classes]],
    existing_chargers: int | None = None,
) -> str:
    """HTML of the map legend; every argument is already escaped where it came from data.

    Parameters
    ----------
    ranks_used : sequence of int
        Indices of the :data:`RANK_CLASSES` that occur (others are left out).
    workstreams : sequence of (escaped name, outline colour)
    headroom_title : str or None
        Escaped heading of the substation block; None when there are no substations.
    amber_below_mva : float
        Amber/green threshold.
    choropleths : sequence of (escaped label, Classes)
        Each block is hidden (``data-ch`` = its position) until its layer is shown.
    existing_chargers : int, optional
        Number of existing public chargers drawn (None: no such layer, no entry).
    """
    parts = ['<div class="gp-head">Rank (fill; 1 = strongest)</div>']
    for i in ranks_used:
        first, last, colour = RANK_CLASSES[i]
        label = f"{first}+" if math.isinf(last) else f"{first} to {int(last)}"
        parts.append(_swatch(colour, label))
    parts.append(_swatch("#777777", "selected: solid, strong fill"))
    parts.append(_swatch("#e4e4e4", "not selected: dashed, pale", dashed=True))
    if workstreams:
        parts.append('<div class="gp-head">Workstream (outline)</div>')
        parts.extend(_swatch("#fff", name).replace("#555", colour, 1)
                     for name, colour in workstreams)
    if headroom_title is not None:
        limit = number(amber_below_mva, 1)
        parts.append(f'<div class="gp-head">{headroom_title}</div>')
        for key, label in (("red", "below 0 MVA (constrained)"),
                           ("amber", f"0 to {limit} MVA"), ("green", f"{limit} MVA or more"),
                           ("unknown", "no figure")):
            parts.append(_swatch(HEADROOM_COLOURS[key], label, round_=True))
    if existing_chargers is not None:
        parts.append('<div class="gp-head">Already there</div>')
        parts.append(_swatch(EXISTING_FILL, f"existing public charger ({existing_chargers:,})",
                             round_=True))
    for i, (label, classes) in enumerate(choropleths):
        rows = "".join(_swatch(c, t) for c, t in zip(classes.colours, classes.labels(),
                                                     strict=True))
        parts.append(f'<div class="gp-ch" data-ch="{i}" style="display:none">'
                     f'<div class="gp-head">{label}</div>{rows}</div>')
    return "".join(parts)
