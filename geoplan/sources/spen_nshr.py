"""SP Energy Networks Network Scenario Headroom Report (NSHR) data CSV.

Publisher: SP Energy Networks, for its two licence areas: SP Distribution (central and
southern Scotland) and SP Manweb (Merseyside, Cheshire, North Wales, North Shropshire).
Datasets: "NDP Part 2: Network Scenario Headroom Report SPD", ``spd-nshr-data-workbook``
(https://spenergynetworks.opendatasoft.com/explore/dataset/spd-nshr-data-workbook/), and its
SP Manweb twin ``spm-nshr-data-workbook``. Download them with the portal's CSV export.

Layout (long): one row per substation or substation group, scenario, year and headroom type.
The portal's dataset schema (read on the page above) documents ``Substation/Group`` (name or
identifier of the substation or group), ``Voltage (kV)``, ``Grid/Grid Group`` (the GSP the
substations are within), ``Scenario``, ``Year`` (the winter of that year, e.g. 2022 =
2022/23; the first year is historic), ``Headroom (MW)`` and ``Headroom Type`` (``Demand``,
``Generation (Synchronous)``, ``Generation (Fully Rated Converter)``). Public code reading
the SP Manweb export confirms the labels ``Voltage`` and ``DFES Year`` there; both spellings
are accepted.

=========================  ==========================================================
column                     used as
=========================  ==========================================================
``Substation/Group``       substation name
``Headroom Type``          only ``Demand`` rows are read; the others are counted
``Voltage (kV)``           level: 33 kV or below is a primary (group), above is a BSP
                           (SPEN's "grid" group, 132/33 kV); attribute ``voltage_kv``
``Grid/Grid Group``        upstream GSP name (a parent row without location)
``Scenario``               scenario, as written
``Year`` / ``DFES Year``   year
``Headroom (MW)``          headroom in MW
=========================  ==========================================================

Confirmed from public code reading both CSV exports: SP Distribution's labels ``Headroom
Type`` (``Demand``, ``Generation (Fully Rated Converter)``), ``Scenario``, ``Year``,
``Headroom (MW)``; SP Manweb's ``Headroom Type``, ``Scenario``, ``DFES Year``, ``Voltage``
(``11.0``, ``33.0``), ``Headroom (MW)``; the scenario code ``HT`` in both. SP Manweb's
2026/27 workbook is published in another layout (``headroom_group``,
``fully_converted_headroom_mw_2026_27``, ``subject_to_upstream_constraints``): read it with
``--format generic``.

The file gives no locations: its substations are unlocated until joined to SPEN's primary
group polygons or substation points. Scenarios: the portal documents ``Low``, ``BV``
(baseline) and ``High`` (not mapped: their planning equivalents are not published); current
exports use the FES 2024 pathway codes ``HT`` (Holistic Transition, confirmed), ``EE``,
``HE`` and ``CF``, which the ``dfes_scenarios`` table maps to LW, CT, ST and SP. They are kept
as written. Units: MW (converted to MVA at the given power factor, default 1). Season: the
winter peak of the year (``peak``).
"""

from __future__ import annotations

import math
from pathlib import Path

from geoplan.sources.base import GridTables
from geoplan.sources.cells import normalise_header
from geoplan.sources.scenario_tables import Layout, read_scenario_table

__all__ = ["COLUMNS", "FORMAT", "LABEL", "SCENARIOS", "SHAPE", "UNITS", "read", "sniff"]

FORMAT = "spen-nshr"
LABEL = "SP Energy Networks network scenario headroom report CSV (SPD and SPM groups)"
SHAPE = "table"
UNITS = "MW"
SCENARIOS = ("Low", "BV", "High", "HT", "EE", "HE", "CF")
"""Scenario codes seen in SPEN's documentation and exports (read as written)."""

COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("Substation/Group", "substation_group", "Substation / Group"),
    "category": ("Headroom Type", "headroom_type"),
    "voltage": ("Voltage (kV)", "Voltage", "voltage_kv"),
    "gsp_name": ("Grid/Grid Group", "grid_grid_group", "Grid / Grid Group"),
    "scenario": ("Scenario",),
    "year": ("Year", "DFES Year", "dfes_year"),
    "headroom": ("Headroom (MW)", "headroom_mw"),
}
"""Key -> accepted header texts (matched ignoring case and spacing; the first is SPEN's)."""

_OPTIONAL = ("gsp_name",)
_PRIMARY_KV = 33.0


def _level(text: str | None, kv: float) -> str | None:
    if math.isnan(kv):
        return None
    return "primary" if kv <= _PRIMARY_KV else "bsp"


def _demand(category: str) -> bool:
    return normalise_header(category).startswith("demand")


LAYOUT = Layout(FORMAT, COLUMNS, _OPTIONAL, _level,
                "enter the substation's voltage in kV (33 or 11 for primaries)", demand=_demand)


def sniff(signature: list[str]) -> bool:
    """Whether normalised CSV header cells are those of SPEN's NSHR data export.

    Examples
    --------
    >>> sniff(["substation/group", "voltage (kv)", "grid/grid group", "scenario", "year",
    ...        "headroom (mw)", "headroom type"])
    True
    >>> sniff(["category", "substation name", "scenario", "year", "headroom (mw)"])
    False
    """
    present = set(signature)
    return all(any(normalise_header(a) in present for a in COLUMNS[key])
               for key in ("name", "category", "scenario", "year", "headroom"))


def read(path: str | Path, *, power_factor: float = 1.0,
         year: int | None = None) -> GridTables:
    """Read an SPEN network scenario headroom report CSV into canonical grid layers.

    Parameters
    ----------
    path : str or pathlib.Path
        The CSV export of ``spd-nshr-data-workbook`` or ``spm-nshr-data-workbook``.
    power_factor : float
        MVA = MW / power factor (default 1).
    year : int, optional
        Ignored with a warning (the file gives a year per value); accepted so that every
        reader takes it.

    Returns
    -------
    GridTables
        Primary and grid (BSP) groups, their GSPs as unlocated parents, and one ``peak``
        headroom row per group, scenario and year.

    Raises
    ------
    SourceFormatError
        If a column is missing or cells cannot be read; every problem is listed at once.
    """
    return read_scenario_table(path, LAYOUT, power_factor=power_factor, year=year)
