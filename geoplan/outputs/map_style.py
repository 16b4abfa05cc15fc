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
    "HATCHED",
    "HEADROOM_COLOURS",
    "HEADROOM_RINGS",
    "PATHWAY_COLOURS",
    "PATHWAY_LABELS",
    "RANK_CLASSES",
    "WORKSTREAM_COLOURS",
    "Classes",
    "candidate_style",
    "charger_radius",
    "charger_size_legend",
    "choropleth_classes",
    "hatch_defs",
    "hatch_fill",
    "headroom_class",
    "legend_html",
    "legend_keys",
    "number",
    "pathway_legend",
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
    "retrofit": "#e69f00", "laep": "#332288", "chargers": "#222222", "sequestration": "#009e73",
}
"""Outline colour of each known workstream's candidates: Okabe and Ito's orange and bluish
green, Paul Tol's indigo and near-black, chosen to stay apart under deuteranopia and
protanopia (``tests/test_map_colours.py``). Each also has a second cue: chargers are
circles, LAEP zones are filled by pathway, sequestration areas are hatched."""

OTHER_STROKES = ("#cc79a7", "#999933", "#666666", "#d55e00")
"""Outline colours for workstreams outside :data:`WORKSTREAM_COLOURS`, in order."""

HEADROOM_COLOURS: Mapping[str, str] = {
    "red": "#b2182b", "amber": "#fdb863", "green": "#ffffff", "unknown": "#969696",
}
"""Substation fill by headroom class (keys as before: red = constrained, amber = low, green =
enough): dark red, light orange, white and grey, apart under deuteranopia and protanopia and
from the blue rank fills of candidate circles; :data:`HEADROOM_RINGS` adds a second cue."""

HEADROOM_RINGS: Mapping[str, tuple[float, str | None]] = {
    "red": (3.0, None), "amber": (2.0, "3 2"), "green": (1.0, None), "unknown": (1.0, "1 2"),
}
"""Substation outline (weight in px, dash pattern) by headroom class: constrained substations
get a thick ring, low headroom a dashed one, unknown a dotted one (legible without colour)."""

PATHWAY_COLOURS: Mapping[str, str] = {
    "heat_pump": "#009e73", "heat_network": "#d55e00", "fabric_first": "#543005",
    "rooftop_pv": "#f0e442", "do_nothing": "#dddddd",
}
"""Fill of chosen LAEP zones by pathway (the candidate's ``option``): Okabe and Ito's green,
vermillion and yellow, ColorBrewer's dark brown and a light grey; no blue or purple, which
colour-blind readers would take for the blue rank fills."""

PATHWAY_LABELS: Mapping[str, str] = {
    "heat_pump": "heat pump led", "heat_network": "heat network", "fabric_first": "fabric first",
    "rooftop_pv": "rooftop solar PV", "do_nothing": "do nothing",
}
"""Legend words of each LAEP pathway."""

HATCHED: frozenset[str] = frozenset({"sequestration"})
"""Workstreams whose areas are hatched (diagonal lines over the rank fill)."""

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
    "demand_covered": "EVs within reach (shared with nearby sites)",
    "evs_served": "EVs served (each counted at one chosen site)",
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


def hatch_fill(rank_index: int) -> str:
    """SVG fill of a hatched area in rank class ``rank_index`` (see :func:`hatch_defs`)."""
    return f"url(#gp-hatch-{rank_index})"


def hatch_defs() -> str:
    """Hidden SVG with one hatch pattern per rank class: the rank fill under diagonal lines.

    Paths anywhere in the page can use them as ``fill="url(#gp-hatch-<i>)"``
    (:func:`hatch_fill`).
    """
    line = WORKSTREAM_COLOURS["sequestration"]
    patterns = "".join(
        f'<pattern id="gp-hatch-{i}" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{colour}"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{line}" stroke-width="3"/></pattern>'
        for i, (_, _, colour) in enumerate(RANK_CLASSES))
    return (f'<svg width="0" height="0" style="position:absolute" aria-hidden="true">'
            f"<defs>{patterns}</defs></svg>")


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


_CUES: Mapping[str, str] = {"chargers": "circles sized by chargers",
                             "laep": "filled by pathway", "sequestration": "hatched"}
"""Second cue of each known workstream, named in the legend beside its outline colour."""

_HATCH_CSS = ("repeating-linear-gradient(45deg,{line} 0 2px,#fff 2px 5px)")


def _swatch(colour: str, label: str, *, dashed: bool = False, round_: bool = False,
            border: str | None = None, size: float | None = None) -> str:
    border = border or ("2px dashed #555" if dashed else "1px solid #555")
    radius = "50%" if round_ else "2px"
    box = (f"width:{2 * size:.0f}px;height:{2 * size:.0f}px;" if size else "")
    return (f'<div class="gp-row"><span class="gp-swatch" style="{box}background:{colour};'
            f'border:{border};border-radius:{radius}"></span>{label}</div>')


def _ring(key: str) -> str:
    weight, dash = HEADROOM_RINGS[key]
    style = "solid" if dash is None else ("dotted" if dash.startswith("1 ") else "dashed")
    return f"{weight:g}px {style} #222"


def _workstream_rows(workstreams: Sequence[tuple[str, str]]) -> list[str]:
    rows = []
    for name, colour in workstreams:
        cue = _CUES.get(html.unescape(name))
        fill = (_HATCH_CSS.format(line=colour) if html.unescape(name) in HATCHED else "#fff")
        rows.append(_swatch(fill, f"{name} ({cue})" if cue else name,
                            border=f"2px solid {colour}"))
    return rows


def pathway_legend(pathways: Sequence[str]) -> str:
    """Legend block of the LAEP pathways drawn (known ones in :data:`PATHWAY_COLOURS` order)."""
    known = [p for p in PATHWAY_COLOURS if p in set(pathways)]
    if not known:
        return ""
    rows = "".join(_swatch(PATHWAY_COLOURS[p], PATHWAY_LABELS[p]) for p in known)
    return f'<div class="gp-head">LAEP pathway (fill of chosen zones)</div>{rows}'


def charger_size_legend(sizes: Sequence[tuple[int, float]]) -> str:
    """Legend block of charger circle sizes: (chargers, radius in px) pairs, small first."""
    if not sizes:
        return ""
    rows = "".join(_swatch("#9ecae1", f"{n:,} charger{'s' if n != 1 else ''}", round_=True,
                           size=r) for n, r in sizes)
    return f'<div class="gp-head">Charger sites (circle size)</div>{rows}'


def legend_html(
    *,
    ranks_used: Sequence[int],
    workstreams: Sequence[tuple[str, str]],
    headroom_title: str | None,
    amber_below_mva: float,
    choropleths: Sequence[tuple[str, Classes]],
    existing_chargers: int | None = None,
    pathways: Sequence[str] = (),
    charger_sizes: Sequence[tuple[int, float]] = (),
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
    pathways : sequence of str
        LAEP pathways (options) of the chosen LAEP zones, for the pathway block.
    charger_sizes : sequence of (int, float)
        (chargers, circle radius in px) examples for the charger size block.
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
        parts.extend(_workstream_rows(workstreams))
    parts.append(pathway_legend(pathways))
    parts.append(charger_size_legend(charger_sizes))
    if headroom_title is not None:
        limit = number(amber_below_mva, 1)
        parts.append(f'<div class="gp-head">{headroom_title}</div>')
        for key, label in (("red", "below 0 MVA (constrained): thick ring"),
                           ("amber", f"0 to {limit} MVA: dashed ring"),
                           ("green", f"{limit} MVA or more"), ("unknown", "no figure: dotted")):
            parts.append(_swatch(HEADROOM_COLOURS[key], label, round_=True, border=_ring(key)))
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


def charger_radius(chargers: object, *, chosen: bool) -> float:
    """Return the circle radius (px) of a charger site.

    ``4 + 2 * sqrt(chargers)`` (chargers capped at 100), 0.6 of that when not chosen; 7
    (chosen) or 4 when the count is unknown.

    Examples
    --------
    >>> charger_radius(4, chosen=True), charger_radius(9, chosen=False)
    (8.0, 6.0)
    >>> charger_radius(None, chosen=True)
    7.0
    """
    try:
        n = float(chargers)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        n = math.nan
    if not math.isfinite(n) or n < 0:
        return 7.0 if chosen else 4.0
    radius = 4.0 + 2.0 * math.sqrt(min(n, 100.0))
    return round(radius if chosen else 0.6 * radius, 2)


def candidate_style(row: Mapping[str, object], *, workstream: str, stroke: str,
                    rank_index: int, chosen: bool) -> dict[str, object]:
    """Return the Leaflet style of one candidate.

    Outline by workstream, fill by rank (chosen LAEP zones: by pathway; hatched for :data:`HATCHED`
    workstreams), solid and strong when chosen, pale and dashed when not; charger sites sized
    by their chargers (:func:`charger_radius`).
    """
    fill = RANK_CLASSES[rank_index][2]
    option = str(row.get("option") or "")
    if workstream == "laep" and chosen and option in PATHWAY_COLOURS:
        fill = PATHWAY_COLOURS[option]
    elif workstream in HATCHED:
        fill = hatch_fill(rank_index)
    sized = "chargers" in row and workstream == "chargers"
    radius = (charger_radius(row.get("chargers"), chosen=chosen) if sized
              else (7.0 if chosen else 4.0))
    style: dict[str, object] = {
        "color": stroke, "fill": True, "fillColor": fill, "weight": 2.5 if chosen else 1.2,
        "opacity": 1.0 if chosen else 0.8, "fillOpacity": 0.75 if chosen else 0.2,
        "radius": radius}
    if not chosen:
        style["dashArray"] = "4 3"
    return style


def legend_keys(plans: Mapping[str, pd.DataFrame]
                ) -> tuple[list[str], list[tuple[int, float]]]:
    """Return the LAEP pathways of the chosen LAEP zones, and charger circle sizes to show.

    Sizes are (chargers, radius) for the smallest, middle and largest chosen site (distinct
    counts that occur; the middle one is the middle of the sorted distinct counts).

    Examples
    --------
    >>> plans = {"chargers": pd.DataFrame({"selected": [True, True, True, False],
    ...                                    "chargers": [16, 4, 4, 100]}),
    ...          "laep": pd.DataFrame({"selected": [True, False], "option": ["heat_pump",
    ...                                                                      "rooftop_pv"]})}
    >>> legend_keys(plans)
    (['heat_pump'], [(4, 8.0), (16, 12.0)])
    """
    pathways: list[str] = []
    sizes: list[tuple[int, float]] = []
    for name, plan in plans.items():
        chosen = plan[plan["selected"].fillna(False).astype(bool).to_numpy()]
        if name == "laep" and "option" in chosen:
            pathways = sorted(chosen["option"].dropna().astype(str).unique())
        if name == "chargers" and "chargers" in chosen:
            counts = sorted({int(v) for v in pd.to_numeric(chosen["chargers"],
                                                           errors="coerce").dropna()})
            picks = sorted({counts[0], counts[len(counts) // 2], counts[-1]}) if counts else []
            sizes = [(k, charger_radius(k, chosen=True)) for k in picks]
    return pathways, sizes
