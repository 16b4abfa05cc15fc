"""QGIS styles for a plan GeoPackage: the ``layer_styles`` table, so a plan opens styled.

QGIS keeps a layer's default style in the GeoPackage table ``layer_styles`` (columns
:data:`STYLE_COLUMNS`; the row with ``useAsDefault`` true for a table and its geometry column
is applied when the layer is loaded). :func:`write_layer_styles` writes one default style per
layer, built by :func:`layer_qml` as QGIS's QML (XML written with :mod:`xml.etree`, so every
data value is escaped):

* a workstream plan (columns ``rank`` and ``selected``): categories *Chosen* (filled in the
  web map's workstream colour, :data:`geoplan.outputs.map_style.WORKSTREAM_COLOURS`) and
  *Not chosen* (no fill, a dashed outline; markers hollow and smaller), so fill and line
  style tell them apart without colour; chosen candidates are labelled with ``label``;
* ``districts`` (outlines labelled with ``district_name``), ``zones`` (thin outlines labelled
  with ``zone_name`` when zoomed in), ``substations``, ``grid_evidence`` and
  ``existing_chargers`` (markers in the web map's colours);
* every layer, tables too: field aliases (:func:`field_title`) shown in the attribute table.

The same titles go in the GeoPackage's own ``gpkg_data_columns`` table (the schema extension,
read by GDAL as each field's alternative name), so other GIS show them too.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pyogrio

from geoplan.outputs.fields import geometry_name
from geoplan.outputs.labels import field_title
from geoplan.outputs.map_style import (
    EXISTING_FILL,
    HEADROOM_COLOURS,
    OTHER_STROKES,
    WORKSTREAM_COLOURS,
)

__all__ = ["STYLES_TABLE", "STYLE_COLUMNS", "field_title", "layer_qml", "write_field_titles",
           "write_layer_styles"]

STYLES_TABLE = "layer_styles"
"""Name of QGIS's style table in a GeoPackage."""
STYLE_COLUMNS = ("f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column",
                 "styleName", "styleQML", "styleSLD", "useAsDefault", "description", "owner",
                 "ui", "update_time")
"""Columns of QGIS's ``layer_styles`` table (its key ``id`` besides)."""

_STYLE_TIME = dt.datetime(2000, 1, 1)  # pinned, as the GeoPackage's own timestamps
_QGIS_VERSION = "3.28.0-Firenze"
_MARKER = "marker"
_LINE = "line"
_FILL = "fill"


def write_layer_styles(path: Path, frames: Mapping[str, pd.DataFrame]) -> None:
    """Add QGIS's ``layer_styles`` table to the GeoPackage ``path``: one default style per layer.

    Parameters
    ----------
    path : pathlib.Path
        A GeoPackage holding the layers ``frames`` (written by GDAL).
    frames : mapping
        Layer name -> the frame written there.
    """
    columns = _geometry_columns(path)
    rows = []
    for name, frame in frames.items():
        rows.append({"f_table_catalog": "", "f_table_schema": "", "f_table_name": name,
                     "f_geometry_column": columns.get(name, ""), "styleName": name,
                     "styleQML": layer_qml(name, frame), "styleSLD": "", "useAsDefault": True,
                     "description": f"geoplan style for {name}", "owner": "", "ui": "",
                     "update_time": _STYLE_TIME})
    table = pd.DataFrame(rows, columns=list(STYLE_COLUMNS))
    pyogrio.write_dataframe(table, path, layer=STYLES_TABLE, driver="GPKG",
                            layer_options={"FID": "id"})


_DATA_COLUMNS = """CREATE TABLE IF NOT EXISTS gpkg_data_columns (
    table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT,
    description TEXT, mime_type TEXT, constraint_name TEXT,
    CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
    CONSTRAINT gdc_tn UNIQUE (table_name, name))"""
_EXTENSIONS = """CREATE TABLE IF NOT EXISTS gpkg_extensions (
    table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
    scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))"""
_SCHEMA = "http://www.geopackage.org/spec/#extension_schema"


def write_field_titles(path: Path, frames: Mapping[str, pd.DataFrame]) -> None:
    """Record each column's title (:func:`field_title`) in the GeoPackage's ``gpkg_data_columns``.

    Parameters
    ----------
    path : pathlib.Path
        A GeoPackage holding the layers ``frames``.
    frames : mapping
        Layer name -> the frame written there.
    """
    rows = []
    for name, frame in frames.items():
        geometry = geometry_name(frame)
        used: set[str] = set()
        for column in (c for c in frame.columns if c != geometry):
            title = field_title(str(column))
            if title.lower() in used:  # titles are unique within a table
                title = f"{title} ({column})"
            used.add(title.lower())
            rows.append((name, str(column), title, title))
    with sqlite3.connect(path) as connection:
        connection.execute(_DATA_COLUMNS)
        connection.execute(_EXTENSIONS)
        connection.execute("INSERT OR IGNORE INTO gpkg_extensions VALUES ('gpkg_data_columns', "
                           "NULL, 'gpkg_schema', ?, 'read-write')", (_SCHEMA,))
        connection.executemany("INSERT OR REPLACE INTO gpkg_data_columns (table_name, "
                               "column_name, name, title) VALUES (?, ?, ?, ?)", rows)
    connection.close()


def _geometry_columns(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall()
    connection.close()
    return {str(table): str(column) for table, column in rows}


def layer_qml(name: str, frame: pd.DataFrame) -> str:
    """Return the QML (QGIS style XML) of layer ``name`` (see the module notes).

    Parameters
    ----------
    name : str
        The layer's name (a split part such as ``chargers_points`` is styled as ``chargers``).
    frame : pandas.DataFrame
        The layer.

    Returns
    -------
    str
        The style, starting ``<!DOCTYPE qgis ...>``.
    """
    root = ET.Element("qgis", version=_QGIS_VERSION, styleCategories="AllStyleCategories",
                      labelsEnabled="0")
    kind = _symbol_kind(frame)
    if kind is not None:
        base = _base_name(name)
        if {"rank", "selected"} <= set(frame.columns):
            root.append(_plan_renderer(kind, _workstream_colour(base)))
            _add_labels(root, kind, '"label"', expression=True, selected_only=True,
                        present="label" in frame.columns)
        else:
            root.append(_single_renderer(kind, base))
            label = {"districts": "district_name", "zones": "zone_name",
                     "substations": "name"}.get(base)
            _add_labels(root, kind, label or "", present=label in frame.columns,
                        zoomed=base != "districts")
    _add_aliases(root, frame)
    ET.SubElement(root, "layerGeometryType").text = {
        _MARKER: "0", _LINE: "1", _FILL: "2", None: "4"}[kind]
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(
        root, encoding="unicode")


def _base_name(name: str) -> str:
    for suffix in ("_points", "_lines", "_areas", "_collections"):
        if name.endswith(suffix) and name.removesuffix(suffix) in WORKSTREAM_COLOURS:
            return name.removesuffix(suffix)
    return name


def _workstream_colour(name: str) -> str:
    if name in WORKSTREAM_COLOURS:
        return WORKSTREAM_COLOURS[name]
    return OTHER_STROKES[sum(map(ord, name)) % len(OTHER_STROKES)]  # stable for a name


def _symbol_kind(frame: pd.DataFrame) -> str | None:
    if geometry_name(frame) is None:
        return None
    kinds = {str(k).removeprefix("Multi") for k in frame.geometry.dropna().geom_type}
    if kinds <= {"Point"}:
        return _MARKER
    return _LINE if kinds <= {"LineString"} else _FILL


def _rgba(colour: str, alpha: int = 255) -> str:
    colour = colour.lstrip("#")
    red, green, blue = (int(colour[i:i + 2], 16) for i in (0, 2, 4))
    return f"{red},{green},{blue},{alpha}"


def _symbol(parent: ET.Element, number: int, kind: str, colour: str, *, filled: bool = True,
            size: float = 2.6) -> None:
    symbol = ET.SubElement(parent, "symbol", type=kind, name=str(number), alpha="1",
                           clip_to_extent="1", force_rhr="0")
    if kind == _MARKER:
        props = {"name": "circle", "color": _rgba(colour if filled else "#ffffff", 255 if filled
                                                  else 0),
                 "outline_color": _rgba("#ffffff" if filled else colour),
                 "outline_width": "0.4" if filled else "0.6", "outline_style": "solid",
                 "size": str(size), "size_unit": "MM"}
        layer_class = "SimpleMarker"
    elif kind == _LINE:
        props = {"line_color": _rgba(colour), "line_width": "0.6" if filled else "0.4",
                 "line_style": "solid" if filled else "dash"}
        layer_class = "SimpleLine"
    else:
        props = {"color": _rgba(colour, 150 if filled else 0),
                 "style": "solid" if filled else "no", "outline_color": _rgba(colour),
                 "outline_width": "0.5" if filled else "0.3",
                 "outline_style": "solid" if filled else "dash", "outline_width_unit": "MM"}
        layer_class = "SimpleFill"
    layer = ET.SubElement(symbol, "layer", {"class": layer_class, "enabled": "1",
                                            "locked": "0", "pass": "0"})
    for key, value in props.items():
        ET.SubElement(layer, "prop", k=key, v=value)


def _plan_renderer(kind: str, colour: str) -> ET.Element:
    # an expression, so the categories match whether QGIS reads "selected" as a bool or 0/1
    renderer = ET.Element("renderer-v2", type="categorizedSymbol",
                          attr="if(\"selected\", 'chosen', 'not chosen')", symbollevels="0",
                          enableorderby="0", forceraster="0")
    categories = ET.SubElement(renderer, "categories")
    ET.SubElement(categories, "category", symbol="0", value="chosen", label="Chosen",
                  render="true")
    ET.SubElement(categories, "category", symbol="1", value="not chosen", label="Not chosen",
                  render="true")
    symbols = ET.SubElement(renderer, "symbols")
    _symbol(symbols, 0, kind, colour, filled=True, size=3.2)
    _symbol(symbols, 1, kind, colour, filled=False, size=2.0)
    return renderer


def _single_renderer(kind: str, name: str) -> ET.Element:
    colour, filled, size = {
        "districts": ("#252525", False, 2.6), "zones": ("#969696", False, 2.6),
        "substations": ("#525252", True, 2.4),
        "grid_evidence": (HEADROOM_COLOURS["red"], True, 3.0),
        "existing_chargers": (EXISTING_FILL, True, 1.8),
    }.get(name, ("#737373", True, 2.4))
    renderer = ET.Element("renderer-v2", type="singleSymbol", symbollevels="0",
                          enableorderby="0", forceraster="0")
    _symbol(ET.SubElement(renderer, "symbols"), 0, kind, colour, filled=filled, size=size)
    if kind == _FILL and not filled:  # outlines: solid, districts heavier than zones
        for prop in renderer.iter("prop"):
            if prop.get("k") == "outline_style":
                prop.set("v", "solid")
            if prop.get("k") == "outline_width" and name == "districts":
                prop.set("v", "0.8")
    return renderer


def _add_labels(root: ET.Element, kind: str, field: str, *, present: bool,
                expression: bool = False, selected_only: bool = False,
                zoomed: bool = True) -> None:
    if not field or not present:
        return
    root.set("labelsEnabled", "1")
    text = f'if("selected", {field}, NULL)' if selected_only else field
    labeling = ET.SubElement(root, "labeling", type="simple")
    settings = ET.SubElement(labeling, "settings", calloutType="simple")
    ET.SubElement(settings, "text-style", fieldName=text,
                  isExpression="1" if expression or selected_only else "0", fontSize="8",
                  fontSizeUnit="Point", textColor="33,33,33,255", namedStyle="Regular")
    ET.SubElement(settings, "text-buffer", bufferDraw="1", bufferSize="0.8",
                  bufferSizeUnits="MM", bufferColor="255,255,255,255")
    ET.SubElement(settings, "placement", placement="0" if kind == _MARKER else "1", dist="1",
                  distUnits="MM")
    # scaleMin/scaleMax: shown between 1:1 and 1:100,000 when zoomed (QGIS's attribute names)
    ET.SubElement(settings, "rendering", scaleVisibility="1" if zoomed else "0", scaleMin="1",
                  scaleMax="100000", obstacle="1", fontLimitPixelSize="0")


def _add_aliases(root: ET.Element, frame: pd.DataFrame) -> None:
    geometry = geometry_name(frame)
    aliases = ET.SubElement(root, "aliases")
    columns = [c for c in frame.columns if c != geometry]
    for index, column in enumerate(columns, start=1):  # QGIS counts the fid as field 0
        ET.SubElement(aliases, "alias", field=str(column), index=str(index),
                      name=field_title(str(column)))
