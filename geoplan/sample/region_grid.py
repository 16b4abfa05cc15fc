"""The region's grid: an SSEN headroom workbook, an NGED capacity map CSV, licence areas.

Each county of the region (:mod:`geoplan.sample.region`) gets the network Oxfordshire's
sample draws (:func:`geoplan.sample.network.network_from_seed`: four GSPs, eleven BSPs and
66 primaries), from its own random stream (``"grid"`` for Oxfordshire, ``"grid-k"`` for the
``k``-th county) and moved and renamed with its county: a primary keeps its town's new name
and its compass suffix, a GSP or BSP takes an invented name. The primaries Oxfordshire's
workbook lists in neighbouring areas are left out (the region's neighbours are its own
counties).

The counties of each DNO (:data:`~geoplan.sample.region.NORTH_OF_KM`) are written in that
DNO's published layout, so a run reads two grid files as in the real NGED + SSEN case:

* ``grid/network-headroom-report.xlsx``: SSEN's Network Headroom Report, every primary
  listed under the reference area :data:`~geoplan.sample.region.REGION_AREA`;
* ``grid/nged-capacity-map.csv``: NGED's network capacity map (one row per primary; the
  BSPs and GSPs appear only as parent references and names, as in the published map); its
  single snapshot is the primary's lowest winter headroom of 2024 across the DFES scenarios,
  and ``Upstream Demand Headroom`` is its BSP's;
* ``grid/dno_licence_areas.gpkg``: layer ``licence_areas`` with a ``dno`` column, the
  region's box cut at that northing (SSEN south, NGED north), in EPSG:27700.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer
from shapely import box

from geoplan.files.atomic import write_geopackage
from geoplan.sample.network import Substation, network_from_seed, write_report
from geoplan.sample.places import COUNTY_NAME, OXFORDSHIRE, Places
from geoplan.sample.region import COPIES, NORTH_OF_KM, REGION_AREA, Copy, substation_names
from geoplan.schemas import CRS

__all__ = ["GRID_FILES", "NGED_COLUMNS", "county_dno", "nged_table", "region_network",
           "sample_grid", "write_region_grid"]

GRID_FILES = {"SSEN": "grid/network-headroom-report.xlsx", "NGED": "grid/nged-capacity-map.csv",
              "licence_areas": "grid/dno_licence_areas.gpkg"}
"""Paths (in the sample folder) of the region's grid files."""

NGED_COLUMNS = ["Network Reference ID", "Parent Network Reference ID", "Substation Name",
                "Asset Type", "Latitude", "Longitude", "Firm Capacity of Substation (MVA)",
                "Measured Peak Demand (MVA)", "Demand Headroom (MVA)", "Demand Headroom RAG",
                "Bulk Supply Point Name", "Group", "Upstream Demand Headroom"]
"""Header of the NGED capacity map CSV written (a subset of the published columns)."""

_SNAPSHOT = ("MINIMUM HEADROOM", "Winter", 2024)
_TO_WGS84 = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)

Network = tuple[list[Substation], list[Substation]]


def sample_grid(root: Path) -> dict[str, object]:
    """Return the grid inputs of a sample folder, as ``LayerInputs`` keywords.

    A region (a folder with :data:`GRID_FILES`' licence areas) has both DNO files, the
    licence areas and ``within`` its reference area; a county has its one workbook and
    ``within="Oxfordshire"``.
    """
    if not (root / GRID_FILES["licence_areas"]).is_file():
        return {"grid": root / GRID_FILES["SSEN"], "within": COUNTY_NAME}
    return {"grid": (root / GRID_FILES["SSEN"], root / GRID_FILES["NGED"]),
            "licence_areas": root / GRID_FILES["licence_areas"], "within": REGION_AREA}


def county_dno(places: Places) -> str:
    """``"NGED"`` for a county north of :data:`NORTH_OF_KM`, else ``"SSEN"``."""
    north = min(y for _, y in places.outline_km)
    return "NGED" if north >= NORTH_OF_KM else "SSEN"


def region_network(seed: int, counties: tuple[Places, ...]) -> list[Network]:
    """Draw each county's primaries and BSPs, moved and renamed into it (module docstring)."""
    names = iter(substation_names())
    found = []
    for k, places in enumerate(counties):
        primaries, bsps = network_from_seed(seed, "grid" if k == 0 else f"grid-{k}")
        primaries = [p for p in primaries if COUNTY_NAME in p.areas]
        if k:
            rename = _renamer(places, {s for p in primaries for s in (p.gsp, p.bsp) if s}
                              | {b.name for b in bsps}, names)
            copy = COPIES[k - 1]
            primaries = [_moved(p, copy, rename) for p in primaries]
            bsps = [_moved(b, copy, rename) for b in bsps]
        found.append(([replace(p, areas=(REGION_AREA,)) for p in primaries], bsps))
    return found


def _renamer(places: Places, upstream: set[str], names: Iterator[str]) -> dict[str, str]:
    """Old substation name (or its town prefix) -> new, for one invented county."""
    rename = {t.name.upper().replace("-", " "): n.name.upper().replace("-", " ")
              for t, n in zip(OXFORDSHIRE.towns, places.towns, strict=True)}
    for name in sorted(upstream):
        rename[name] = next(names).upper()
    return rename


def _moved(sub: Substation, copy: Copy, rename: dict[str, str]) -> Substation:
    x, y = copy.point(sub.x / 1000.0, sub.y / 1000.0)
    return replace(sub, name=_new_name(sub.name, rename), gsp=rename[sub.gsp],
                   bsp=rename[sub.bsp] if sub.bsp else "", x=round(x * 1000), y=round(y * 1000))


def _new_name(name: str, rename: dict[str, str]) -> str:
    if name in rename:
        return rename[name]
    town = max((t for t in rename if name.startswith(t + " ")), key=len)
    return rename[town] + name[len(town):]


def write_region_grid(seed: int, counties: tuple[Places, ...], folder: Path
                      ) -> dict[str, int]:
    """Write the three grid files of the region under ``folder``; return counts."""
    networks = region_network(seed, counties)
    dnos = [county_dno(p) for p in counties]
    by_dno = {dno: ([p for (ps, _), d in zip(networks, dnos, strict=True) if d == dno
                     for p in ps],
                    [b for (_, bs), d in zip(networks, dnos, strict=True) if d == dno
                     for b in bs]) for dno in ("SSEN", "NGED")}
    write_report(*by_dno["SSEN"], REGION_AREA, folder / GRID_FILES["SSEN"])
    _write_nged(*by_dno["NGED"], folder / GRID_FILES["NGED"])
    _write_licence_areas(counties, folder / GRID_FILES["licence_areas"])
    primaries = [p for ps, _ in networks for p in ps]
    return {"counties": len(counties), "gsps": len({p.gsp for p in primaries}),
            "bsps": sum(len(b) for _, b in networks),
            "primaries": len(primaries), "primaries_outside_county": 0,
            "primaries_nged": len(by_dno["NGED"][0]),
            "primaries_constrained_2040_winter": int(sum(
                p.headroom("MINIMUM HEADROOM", "Winter", 2040) < 0 for p in primaries))}


def nged_table(primaries: list[Substation], bsps: list[Substation]) -> pd.DataFrame:
    """Return the NGED capacity map rows of ``primaries`` (module docstring)."""
    bsp = {b.name: (400_001 + i, b.headroom(*_SNAPSHOT)) for i, b in enumerate(bsps)}
    lon, lat = _TO_WGS84.transform([p.x for p in primaries], [p.y for p in primaries])
    head = np.asarray([p.headroom(*_SNAPSHOT) for p in primaries])
    firm = np.asarray([p.firm_mva for p in primaries])
    return pd.DataFrame({
        "Network Reference ID": [500_001 + i for i in range(len(primaries))],
        "Parent Network Reference ID": [str(bsp[p.bsp][0]) if p.bsp else "" for p in primaries],
        "Substation Name": [p.name.title() for p in primaries], "Asset Type": "Primary",
        "Latitude": [f"{v:.6f}" for v in lat], "Longitude": [f"{v:.6f}" for v in lon],
        "Firm Capacity of Substation (MVA)": firm,
        "Measured Peak Demand (MVA)": [p.peak_mva for p in primaries],
        "Demand Headroom (MVA)": head,
        "Demand Headroom RAG": np.select([head < 0, head < 0.1 * firm], ["Red", "Amber"],
                                         "Green"),
        "Bulk Supply Point Name": [p.bsp.title() for p in primaries],
        "Group": [p.gsp.title() for p in primaries],
        "Upstream Demand Headroom": [bsp[p.bsp][1] if p.bsp else "" for p in primaries],
    })[NGED_COLUMNS]


def _write_nged(primaries: list[Substation], bsps: list[Substation], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nged_table(primaries, bsps).to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def _write_licence_areas(counties: tuple[Places, ...], path: Path) -> None:
    points = np.asarray([xy for p in counties for xy in p.outline_km]) * 1000.0
    (xmin, ymin), (xmax, ymax) = points.min(axis=0) - 10_000, points.max(axis=0) + 10_000
    cut = NORTH_OF_KM * 1000.0
    frame = gpd.GeoDataFrame({"dno": ["SSEN", "NGED"]},
                             geometry=[box(xmin, ymin, xmax, cut), box(xmin, cut, xmax, ymax)],
                             crs=CRS)
    write_geopackage({"licence_areas": frame}, path)
