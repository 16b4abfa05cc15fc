"""The plan map's grid evidence layer: substations sized by the load their headroom blocks.

One circle per substation that blocks load in some milestone year, its area proportional to
the most kW it blocks in any year (:mod:`geoplan.planning.grid_evidence`), with a popup giving,
per year and with units, the load wanted, added and blocked, the carbon lost, the headroom and
what unlocking would take. Every string from data is escaped (:func:`map_style.text`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import geopandas as gpd
import pandas as pd

from geoplan.outputs.map_elements import FeatureGroup
from geoplan.outputs.map_layers import (
    _circle,
    _geojson,
    _Lookup,
    _popup,
    feature_collection,
)
from geoplan.outputs.map_style import number, text

__all__ = ["EVIDENCE_COLOUR", "evidence_legend", "evidence_map_layer"]

EVIDENCE_COLOUR = "#7b2cbf"
"""Fill of the grid evidence circles (distinct from the red/amber/green headroom classes)."""

_SMALLEST, _LARGEST = 5.0, 24.0


def _radius(kw: float, most: float) -> float:
    """Circle radius in pixels: area proportional to blocked kW."""
    if most <= 0:
        return _SMALLEST
    return round(_SMALLEST + (_LARGEST - _SMALLEST) * math.sqrt(max(kw, 0.0) / most), 1)


def _year_row(row: Mapping[str, object]) -> str:
    kw = number(row.get("blocked_kw"), 0)
    words = (f"blocked {kw} kW ({number(row.get('blocked_units'), 0)} zones or sites, "
             f"{number(row.get('blocked_tco2e_per_yr'), 1)} tCO2e/yr lost); wanted "
             f"{number(row.get('wanted_kw'), 0)} kW, added {number(row.get('added_kw'), 0)} kW; "
             f"headroom {number(row.get('headroom_kw'), 0)} kW")
    gbp = number(row.get("reinforcement_gbp"), 0)
    if float(row.get("unlock_mva") or 0) > 0:  # type: ignore[arg-type]
        words += f"; unlock {number(row.get('unlock_mva'), 1)} MVA"
        words += f", about \u00a3{gbp}" if gbp else ""
        flex = number(row.get("unlock_flexibility_gbp_per_yr"), 0)
        words += f"; or flexibility, about \u00a3{flex} a year" if flex else ""
    return words


def evidence_map_layer(points: gpd.GeoDataFrame, *, raw: bool = False,
                       show: bool = True) -> FeatureGroup:
    """Return the toggleable layer "Grid evidence (blocked kW)".

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        The ``all`` rows of the evidence layer (one per substation and year) with point
        geometry, in EPSG:27700.
    raw : bool
        Insert data strings unescaped (trusted tables only).
    show : bool
        Whether the layer is on when the map opens.
    """
    rows = points[pd.to_numeric(points["blocked_units"], errors="coerce").fillna(0) > 0]
    worst = rows.groupby("substation_id")["blocked_kw"].max()
    most = float(worst.max()) if len(worst) else 0.0
    ordered = rows.sort_values(["substation_id", "year"])
    first = ordered.drop_duplicates("substation_id")
    labels, styles = _Lookup(), _Lookup()
    years: dict[str, list[dict]] = {}  # each substation's rows, by year
    for record in ordered.to_dict("records"):
        years.setdefault(str(record["substation_id"]), []).append(record)

    def props(row: Mapping[str, object]) -> dict:
        sub = str(row["substation_id"])
        name = text(row.get("name") or sub, raw=raw)
        lines = [("Id", text(sub, raw=raw)), ("Level", text(row.get("level"), raw=raw))]
        lines += [(str(int(r["year"])), text(_year_row(r), raw=raw)) for r in years[sub]]
        if bool(row.get("value_evaluated")):
            lines.append(("Value of more headroom",
                          f"{number(row.get('value_tco2e_per_yr_per_kw'), 3)} tCO2e/yr per kW "
                          f"(re-solve with {number(row.get('value_step_kw'), 0)} kW more)"))
        else:
            lines.append(("Value of more headroom", text(row.get("value_status"), raw=raw)))
        kw = float(worst[sub])
        # light fill: the candidates and substations under a large circle stay visible
        style = {"color": "#3c096c", "weight": 1.5, "fill": True, "fillOpacity": 0.25,
                 "fillColor": EVIDENCE_COLOUR, "radius": _radius(kw, most)}
        tip = f"{name}: blocks up to {number(kw, 0)} kW"
        return {"p": _popup(name, lines, labels), "t": tip, "s": styles(style)}

    group = FeatureGroup(name="Grid evidence (blocked kW)", show=show)
    data = feature_collection(first, props, simplify_m=0, what="grid evidence")
    if data["features"]:
        _geojson(data, labels, styles, pane="geoplan-substations",
                 marker=_circle("geoplan-substations")).add_to(group)
    return group


def evidence_legend(points: gpd.GeoDataFrame) -> str:
    """Legend block: circle sizes for the largest blocked kW and half and a tenth of it."""
    rows = points[pd.to_numeric(points["blocked_units"], errors="coerce").fillna(0) > 0]
    if rows.empty:
        return ""
    most = float(rows.groupby("substation_id")["blocked_kw"].max().max())
    parts = ['<div class="gp-head">Grid evidence: load blocked by headroom (largest year)</div>']
    for kw in (most, most / 2, most / 10):
        size = 2 * _radius(kw, most)
        parts.append(
            f'<div><span style="display:inline-block;width:{size:.0f}px;height:{size:.0f}px;'
            f'border-radius:50%;background:{EVIDENCE_COLOUR};opacity:0.55;'
            f'vertical-align:middle"></span> {number(kw, 0)} kW</div>')
    return "".join(parts)
