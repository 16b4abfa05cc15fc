"""UK Power Networks DFES Network Scenario Headroom Report (DFES NSHR) CSV.

Publisher: UK Power Networks (licence areas EPN, LPN, SPN). Dataset: "DFES Network Headroom
Report", ``dfes-network-headroom-report`` on the open data portal
(https://ukpowernetworks.opendatasoft.com/explore/dataset/dfes-network-headroom-report/),
part of UKPN's Network Development Plan, updated annually (the 1 May 2025 edition uses the
November 2024 LTDS as baseline and DFES 2025 scenarios, to 2050). Download it with the
portal's CSV export (records need a free portal account).

Layout (long): one row per BSP or primary substation, headroom category, scenario and year.
The portal's field list (``/api/v2/catalog/datasets/dfes-network-headroom-report``, read on
the portal page) documents ``category`` (demand, inverter-connected generation or
synchronous generation headroom), ``substation_name`` (BSP or primary as in LTDS Table
3A/3B), ``voltage_kv`` (the site's maximum connection voltage) and ``sitefunctionallocation``;
public code reading the export confirms the CSV labels ``LicenceArea``, ``Category``
(``Demand Headroom``, ``Gen inverter headroom``, ...), ``Scenario``, ``Year``, ``Voltage
(kV)``, ``Headroom (MW)``, and the API fields ``physical_level`` (e.g. ``PRIMARY``, on demand
rows), ``year`` (a date) and ``spatial_coordinates``. The full list of export labels was not
seen: the labels ``Substation Name`` (from the field list), ``SiteFunctionalLocation``,
``Physical Level``, ``Spatial Coordinates``, ``Bulk Supply Point`` and ``Grid Supply Point``
are assumed, so each column is also accepted under its API name.

======================================  ===================================================
column                                  used as
======================================  ===================================================
``Substation Name``                     substation name
``Category``                            only ``Demand Headroom`` rows are read; the others
                                        are counted in a warning
``SiteFunctionalLocation``              substation identifier (optional)
``LicenceArea``                         scope (keeps the three licence areas apart; optional)
``Physical Level``                      level (``BSP`` / ``PRIMARY``); without it, or when
                                        blank, a site whose maximum voltage is 66 kV or more
                                        is a BSP, else a primary
``Voltage (kV)``                        attribute ``voltage_kv``, and the level rule above
``Scenario``                            scenario, as written
``Year``                                year (``2030`` or ``2030-01-01``)
``Headroom (MW)``                       headroom in MW
``Bulk Supply Point``, ``Grid Supply    upstream names, when the export has them
Point``                                 (optional; not confirmed in the published layout)
``Spatial Coordinates``                 location, ``"lat, lon"`` (optional)
======================================  ===================================================

Confirmed values (public code filtering the dataset through the API and reading its CSV
export): ``Category`` ``Demand Headroom``, ``Gen inverter headroom``, ``Gen synch headroom``;
``Scenario`` ``Electric Engagement`` and ``Counterfactual``; ``LicenceArea`` ``Eastern Power
Networks (EPN)``, ``London Power Networks (LPN)``, ``South Eastern Power Networks (SPN)``;
``Year`` an integer (``2025``) in the CSV, a date through the API; ``physical_level``
``PRIMARY`` on demand rows; API fields ``bulksupplypoint``, ``gridsupplypoint``,
``headroom_mw``, ``voltage_kv``, ``sitefunctionallocation``.

Scenarios (DFES 2025): ``Holistic Transition``, ``Electric Engagement``, ``Hydrogen
Evolution``, ``Counterfactual`` (kept as written; the last two confirmed, the first two by the
FES 2024 pathway names); all four are names of the ``dfes_scenarios`` table, so no
``grid.scenario_names`` is needed. Units: MW (converted to MVA at the given power factor,
default 1). Season: the firm-capacity demand headroom of the year (``peak``).
"""

from __future__ import annotations

import math
from pathlib import Path

from geoplan.sources.base import GridTables
from geoplan.sources.cells import normalise_header
from geoplan.sources.scenario_tables import Layout, read_scenario_table
from geoplan.sources.snapshot import LEVEL_NAMES

__all__ = ["COLUMNS", "FORMAT", "LABEL", "SCENARIOS", "SHAPE", "UNITS", "read", "sniff"]

FORMAT = "ukpn-dfes"
LABEL = "UK Power Networks DFES network headroom report CSV (BSPs and primaries by scenario)"
SHAPE = "table"
UNITS = "MW"
SCENARIOS = ("Holistic Transition", "Electric Engagement", "Hydrogen Evolution",
             "Counterfactual")
"""Scenario names of the DFES 2025 edition (read as written, whatever they are)."""

COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("Substation Name", "substation_name"),
    "category": ("Category",),
    "source_id": ("SiteFunctionalLocation", "sitefunctionallocation",
                  "Site Functional Location"),
    "scope": ("LicenceArea", "licencearea", "Licence Area"),
    "level": ("Physical Level", "physical_level", "PhysicalLevel"),
    "voltage": ("Voltage (kV)", "voltage_kv"),
    "scenario": ("Scenario",),
    "year": ("Year",),
    "headroom": ("Headroom (MW)", "headroom_mw", "Headroom"),
    "bsp_name": ("Bulk Supply Point", "bulksupplypoint", "bulk_supply_point"),
    "gsp_name": ("Grid Supply Point", "gridsupplypoint", "grid_supply_point"),
    "location": ("Spatial Coordinates", "spatial_coordinates", "geo_point_2d"),
}
"""Key -> accepted header texts (matched ignoring case and spacing; the first is UKPN's)."""

_OPTIONAL = ("source_id", "scope", "level", "bsp_name", "gsp_name", "location")
_BSP_KV = 66.0


def _level(text: str | None, kv: float) -> str | None:
    if text:
        level = LEVEL_NAMES.get(normalise_header(text))
        if level in ("bsp", "primary"):
            return level
        return None
    if math.isnan(kv):
        return None
    return "bsp" if kv >= _BSP_KV else "primary"


def _demand(category: str) -> bool:
    return normalise_header(category).startswith("demand")


LAYOUT = Layout(FORMAT, COLUMNS, _OPTIONAL, _level,
                "write 'BSP' or 'PRIMARY' in Physical Level, or the site's voltage in kV",
                demand=_demand)


def sniff(signature: list[str]) -> bool:
    """Whether normalised CSV header cells are those of the UKPN DFES headroom report.

    Examples
    --------
    >>> sniff(["category", "substation name", "voltage (kv)", "scenario", "year",
    ...        "headroom (mw)"])
    True
    >>> sniff(["substation/group", "scenario", "year", "headroom (mw)", "headroom type"])
    False
    """
    present = set(signature)
    return all(any(normalise_header(a) in present for a in COLUMNS[key])
               for key in ("name", "category", "voltage", "scenario", "year", "headroom"))


def read(path: str | Path, *, power_factor: float = 1.0,
         year: int | None = None) -> GridTables:
    """Read a UKPN DFES network headroom report CSV into canonical grid layers.

    Parameters
    ----------
    path : str or pathlib.Path
        The CSV export of ``dfes-network-headroom-report``.
    power_factor : float
        MVA = MW / power factor (default 1).
    year : int, optional
        Ignored with a warning (the file gives a year per value); accepted so that every
        reader takes it.

    Returns
    -------
    GridTables
        BSPs and primaries and one ``peak`` headroom row per substation, scenario and year.

    Raises
    ------
    SourceFormatError
        If a column is missing or cells cannot be read; every problem is listed at once.
    """
    return read_scenario_table(path, LAYOUT, power_factor=power_factor, year=year)
