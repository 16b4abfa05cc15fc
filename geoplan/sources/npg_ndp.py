"""Northern Powergrid Network Development Plan (NDP) demand headroom CSV.

Publisher: Northern Powergrid (licence areas NPgN, North East, and NPgY, Yorkshire).
Dataset: "NDP Demand Headroom", ``npg_ndp_demand_headroom`` on the open data portal
(https://northernpowergrid.opendatasoft.com/explore/dataset/npg_ndp_demand_headroom/),
Northern Powergrid Open Data Licence. Download it with the portal's CSV export.

Layout (wide): one row per BSP or primary substation and scenario, the years across. Field
identifiers as the portal's API and its CSV export (``use_labels=false``) give them. Confirmed
from public code that reads this dataset through the portal API (its field list and record
use): ``substation_name``, ``licence_area`` (``NPgN`` / ``NPgY``),
``bulk_supply_point_or_primary`` (``BSP`` / ``Primary``), ``bsp_group``, ``gsp_group``,
``scenario_name``, ``demand_headroom_capacity_mw_<year>`` (2025, 2030, 2035 seen),
``geo_point_2d`` and ``substation_location`` (a postcode, not read). Not confirmed: the
display labels of the portal's default export (``use_labels=true``) and ``voltage_kv``: the
reader accepts the identifiers and the same words with spaces, and tells you which columns it
missed if an export is labelled otherwise (then use ``--format generic`` with a ``{year}``
header template, see :mod:`geoplan.sources.generic`).

============================================  =================================================
column                                        used as
============================================  =================================================
``substation_name``                           substation name
``bulk_supply_point_or_primary``              level (``BSP`` or ``Primary``)
``licence_area``                              scope (``NPgN`` / ``NPgY``), keeps ids apart
``bsp_group``, ``gsp_group``                  upstream BSP and GSP names (parents; an upstream
                                              substation the file only names becomes a row
                                              without location)
``voltage_kv``                                attribute ``voltage_kv``
``scenario_name``                             scenario, as written
``demand_headroom_capacity_mw_<year>``        headroom in MW for that year (one column per
                                              year: 2025/2026 to 2035, then 2040, 2045, 2050)
``geo_point_2d``                              location, ``"lat, lon"`` (optional)
============================================  =================================================

Scenario names (``scenario_name``), kept as written and matched to the planning scenario by
the ``dfes_scenarios`` assumption table, so no ``grid.scenario_names`` is needed for them:

* confirmed: ``NPg Reference Scenario`` (DFES 2024 onwards: the value public code reading
  ``npg_ndp_demand_headroom`` filters on; planning scenario ``best_view``) with the FES 2024
  pathways ``Holistic Transition``, ``Electric Engagement``, ``Hydrogen Evolution``,
  ``Counterfactual``; and, in Northern Powergrid's DFES 2023 data, ``NPg Best View``,
  ``Consumer Transformation``, ``System Transformation``, ``Leading The Way`` and ``Falling
  Short`` (formerly Steady Progression);
* not confirmed: prefixed forms such as ``DFES 2026 - Holistic Transition`` (map them with
  ``grid.scenario_names`` if an export writes them).

Units: MW (converted to MVA at the given power factor, default 1). Season: the published
figure is the annual peak (``peak``).
"""

from __future__ import annotations

import re
from pathlib import Path

from geoplan.sources.base import GridTables
from geoplan.sources.cells import normalise_header
from geoplan.sources.scenario_tables import Layout, read_scenario_table, wide_years
from geoplan.sources.snapshot import LEVEL_NAMES

__all__ = ["COLUMNS", "FORMAT", "LABEL", "SCENARIOS", "SHAPE", "UNITS", "read", "sniff"]

FORMAT = "npg-ndp"
LABEL = "Northern Powergrid NDP demand headroom CSV (BSPs and primaries, scenarios by year)"
SHAPE = "table"
UNITS = "MW"
SCENARIOS = ("NPg Reference Scenario", "Holistic Transition", "Electric Engagement",
             "Hydrogen Evolution", "Counterfactual", "NPg Best View", "Consumer Transformation",
             "System Transformation", "Leading The Way", "Falling Short")
"""Scenario names published in the 2024+ and 2023 editions (read as written, whatever they
are; each is a name of the ``dfes_scenarios`` table)."""

COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("substation_name", "substation name"),
    "level": ("bulk_supply_point_or_primary", "bulk supply point or primary"),
    "scope": ("licence_area", "licence area"),
    "bsp_name": ("bsp_group", "bsp group"),
    "gsp_name": ("gsp_group", "gsp group"),
    "voltage": ("voltage_kv", "voltage kv", "voltage (kv)"),
    "scenario": ("scenario_name", "scenario name"),
    "location": ("geo_point_2d", "geo point 2d", "geo point"),
}
"""Key -> accepted header texts (matched ignoring case and spacing)."""

_OPTIONAL = ("scope", "bsp_name", "gsp_name", "voltage", "location")
_WIDE = re.compile(r"^demand[ _]headroom[ _](?:capacity[ _])?(?:\(?mw\)?[ _])?((?:19|20)\d{2})$")


def _level(text: str | None, kv: float) -> str | None:
    level = LEVEL_NAMES.get(normalise_header(text)) if text else None
    return level if level in ("bsp", "primary") else None


LAYOUT = Layout(FORMAT, COLUMNS, _OPTIONAL, _level, "write 'BSP' or 'Primary'",
                wide=wide_years(_WIDE))


def sniff(signature: list[str]) -> bool:
    """Whether normalised CSV header cells are those of the NPg NDP demand headroom export.

    Examples
    --------
    >>> sniff(["substation_name", "bulk_supply_point_or_primary", "scenario_name",
    ...        "demand_headroom_capacity_mw_2030"])
    True
    >>> sniff(["substation_name", "scenario_name", "generation_headroom_capacity_mw_2030"])
    False
    """
    present = set(signature)
    has = all(any(normalise_header(a) in present for a in COLUMNS[key])
              for key in ("name", "level", "scenario"))
    return has and any(_WIDE.match(h) for h in signature)


def read(path: str | Path, *, power_factor: float = 1.0,
         year: int | None = None) -> GridTables:
    """Read a Northern Powergrid NDP demand headroom CSV into canonical grid layers.

    Parameters
    ----------
    path : str or pathlib.Path
        The CSV export of ``npg_ndp_demand_headroom``.
    power_factor : float
        MVA = MW / power factor (default 1).
    year : int, optional
        Ignored with a warning (the file gives a year per value); accepted so that every
        reader takes it.

    Returns
    -------
    GridTables
        BSPs and primaries (parents from the BSP and GSP group names) and one ``peak``
        headroom row per substation, scenario and year column.

    Raises
    ------
    SourceFormatError
        If a column is missing or cells cannot be read; every problem is listed at once.
    """
    return read_scenario_table(path, LAYOUT, power_factor=power_factor, year=year)
