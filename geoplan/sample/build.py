"""Generate the whole sample folder, atomically."""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from geoplan.errors import ScenarioError
from geoplan.files.run_folder import RunFolder
from geoplan.sample.addresses import addresses_from_county, write_codepoint, write_uprn
from geoplan.sample.car_parks import car_parks_from_county, write_car_parks
from geoplan.sample.county import county_from_seed, write_boundaries
from geoplan.sample.emissions import write_emissions
from geoplan.sample.epc import write_epc
from geoplan.sample.ev import write_chargepoints, write_zone_tables
from geoplan.sample.land_cover import write_exclusions, write_land_cover
from geoplan.sample.network import write_headroom_report
from geoplan.sample.readme import write_manifest, write_readme
from geoplan.sample.region import region_counties
from geoplan.sample.region_grid import write_region_grid
from geoplan.sample.roads import roads_from_county, write_roads
from geoplan.schemas import SAMPLE_SCALES

__all__ = ["DEFAULT_SEED", "SCALES", "Sample", "Scale", "write_sample"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scale:
    """How big a sample is.

    Parameters
    ----------
    name : str
        ``"small"``, ``"county"`` or ``"region"``.
    homes : int
        Number of homes (each with an EPC certificate).
    cell_m : int
        Land-cover cell size in metres.
    counties : int
        1: Oxfordshire alone, one SSEN workbook; 3 to 5: a region of that many counties
        under two DNOs (:mod:`geoplan.sample.region`).
    """

    name: str
    homes: int
    cell_m: int
    counties: int = 1


SCALES = {name: Scale(name, homes, cell_m, counties) for name, homes, cell_m, counties
          in zip(SAMPLE_SCALES, (8_000, 300_000, 1_500_000), (50, 10, 25), (1, 1, 5),
                 strict=True)}
"""Available scales: ``small`` (seconds; the quickstart), ``county`` (benchmarks) and
``region`` (five counties, two DNOs, 1.5M homes: scale tests)."""

DEFAULT_SEED = 2024
"""Seed used when none is given."""


@dataclass(frozen=True)
class Sample:
    """What :func:`write_sample` wrote.

    Attributes
    ----------
    path : pathlib.Path
        The sample folder.
    scale : str
        Scale name.
    seed : int
        Seed.
    counts : dict
        Counts of everything generated (also in ``sample.json``).
    """

    path: Path
    scale: str
    seed: int
    counts: dict[str, object]


def write_sample(outdir: str | os.PathLike[str], *, scale: str = "small",
                 seed: int = DEFAULT_SEED, overwrite: bool = False,
                 progress: Callable[[str], None] | None = None) -> Sample:
    """Write the synthetic county to ``outdir`` (see :mod:`geoplan.sample`).

    The folder is built beside ``outdir`` under a temporary name and renamed into place
    when complete (:class:`~geoplan.files.run_folder.RunFolder`), so a failed or
    interrupted run leaves no partial sample.

    Parameters
    ----------
    outdir : path
        Folder to create.
    scale : {"small", "county", "region"}
        Size (:data:`SCALES`).
    seed : int
        Non-negative seed; the same scale and seed give byte-identical files.
    overwrite : bool
        Replace ``outdir`` if it exists; only an earlier sample (a folder whose
        ``sample.json`` lists every file in it) or an empty folder is ever replaced.
    progress : callable, optional
        Called with the name of each step as it starts.

    Returns
    -------
    Sample

    Raises
    ------
    ImportError
        If openpyxl (needed to write the workbook) is not installed.
    OutputExistsError
        If ``outdir`` exists and ``overwrite`` is false, or it is not an earlier sample
        (checked before any work).
    ScenarioError
        If ``scale`` is unknown or ``seed`` is negative.
    """
    if scale not in SCALES:
        raise ScenarioError(f"scale={scale!r} is not one of {list(SCALES)} (fix: pass one of "
                            "them, e.g. --scale small)")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ScenarioError(f"seed={seed!r} must be a whole number >= 0 (fix: e.g. --seed 1)")
    if importlib.util.find_spec("openpyxl") is None:
        raise ImportError("geoplan sample writes an .xlsx workbook and needs openpyxl "
                          "(fix: pip install 'geoplan[test]' or pip install openpyxl)")
    target = Path(outdir).absolute()
    with RunFolder(target, overwrite, marker="sample.json") as building:
        counts = _generate(building, SCALES[scale], seed, progress or _log)
    logger.info("wrote sample %s (scale %s, seed %d)", target, scale, seed)
    return Sample(Path(outdir), scale, seed, counts)


def _log(step: str) -> None:
    logger.info("sample: %s", step)


def _generate(folder: Path, scale: Scale, seed: int,
              progress: Callable[[str], None]) -> dict[str, object]:
    from geoplan.version import __version__

    counts: dict[str, object] = {"scale": scale.name}
    progress("boundaries and zones")
    counties = region_counties(scale.counties)
    county = county_from_seed(seed, counties)
    counts.update(write_boundaries(county, folder / "boundaries"))
    if scale.counties == 1:
        progress("grid headroom report")
        counts.update(write_headroom_report(seed, folder / "grid" /
                                            "network-headroom-report.xlsx"))
    else:
        progress("grid files of two DNOs and their licence areas")
        counts.update(write_region_grid(seed, counties, folder))
    progress(f"postcodes and {scale.homes:,} homes")
    places = addresses_from_county(county, scale.homes, seed)
    counts["postcodes"] = write_codepoint(places.postcodes, folder / "postcodes" /
                                          "codepoint.csv", county)
    counts["uprns"] = write_uprn(places.homes, folder / "uprn" / "osopenuprn.csv")
    progress("EPC certificates")
    counts.update(write_epc(places.homes, places.postcodes, seed, folder / "epc", counties))
    progress("car parks, chargers and EV demand")
    car_parks = car_parks_from_county(county, seed)
    counts.update(write_car_parks(car_parks, folder / "sites" / "car_parks.geojson"))
    counts.update(write_chargepoints(county, car_parks, places.postcodes, seed,
                                     folder / "ev" / "chargepoints.csv"))
    counts.update(write_zone_tables(county, seed, folder / "ev"))
    progress("roads")
    counts.update(write_roads(roads_from_county(county, seed), folder / "roads" / "roads.gpkg"))
    progress(f"land cover at {scale.cell_m} m and exclusions")
    land = write_land_cover(county, seed, scale.cell_m, folder / "land" / "land_cover.tif")
    counts.update({k: v for k, v in land.items() if k != "class_cells"})
    counts.update(write_exclusions(county, seed, folder / "land" / "exclusions.gpkg"))
    progress("emissions, README and sample.json")
    counts.update(write_emissions(county, seed, folder / "emissions" / "district_emissions.csv"))
    write_readme(folder, scale.name, seed, counts)
    write_manifest(folder, scale.name, seed, __version__, counts)
    return counts
