"""``geoplan layers``: convert published files to canonical layers, or check them."""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click
import geopandas as gpd
import pandas as pd

from geoplan.assumptions import read_assumptions
from geoplan.cli.apportion import AREA_OPTIONS, apportion, apportion_options, area_input
from geoplan.cli.examples import examples
from geoplan.cli.options import kind_option, overwrite_option, parse_mapping, reading_options
from geoplan.files.atomic import refuse_existing, refuse_inputs
from geoplan.layers.dno import ServedArea, read_licence_areas
from geoplan.layers.grid import GRID_UNITS, power_factor
from geoplan.layers.land import Exclusion
from geoplan.layers.layer_set import zones_layer
from geoplan.layers.prepare import MAX_SERVING_DISTANCE_KM, SERVING_LEVEL
from geoplan.layers.read import LayerSet, open_layer, read_layers
from geoplan.layers.supply import assign_zones
from geoplan.outputs import write_csv, write_geopackage
from geoplan.schemas import CRS, LEVELS
from geoplan.sources import FORMATS
from geoplan.sources.canonical import FORMAT as OWN_FORMAT

__all__ = ["layers"]

F = Callable[..., Any]

_FLAGS = {"fmt": "--format", "mapping": "--map", "exclusions": "--exclusion",
          "exclusion_filters": "--exclusion-filter", "land_classes": "--classes",
          "block_size_m": "--block-size", "min_area_ha": "--min-area",
          "value_columns": "--column"}
_SPATIAL_KINDS = ("buildings", "ev_demand", "chargers", "sites", "land")
_APPLIES = {
    "fmt": ("substations",), "mapping": ("substations",), "year": ("substations",),
    "id_column": ("zones",), "name_column": ("zones",), "district_column": ("zones",),
    "districts": ("zones", *_SPATIAL_KINDS),
    "layer": ("zones", "substations", "chargers", "sites"),
    "crs": ("zones", "substations", "chargers", "sites"),
    "zones": (*_SPATIAL_KINDS, "substations"), "licence_areas": ("substations",),
    "postcodes": ("buildings",), "uprn": ("buildings",),
    "households": ("ev_demand",), "chargers": ("ev_demand",), "uptake": ("ev_demand",),
    "site_kind": ("sites",), "site_kind_column": ("sites",), "exclusions": ("land",),
    "method": ("land",), "block_size_m": ("land",), "min_area_ha": ("land",),
    "exclusion_filters": ("land",), "land_classes": ("land",), "class_column": ("land",),
    **dict.fromkeys(AREA_OPTIONS, ("ev_demand",)),
}
_NEEDED = {"buildings": ("postcodes",), "ev_demand": ("zones",)}


class InputPath(click.Path):
    """``click.Path(exists=True)`` that names a symlink loop rather than calling it missing."""

    def __init__(self, **options: Any) -> None:
        super().__init__(exists=True, **options)

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        """Refuse a symlink loop by name, then check the path as click does."""
        try:
            Path(value).stat()
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                self.fail(f"{value!r} is a symbolic link that leads back to itself (a symlink "
                          "loop), so there is no file to read (fix: point the link at the real "
                          "file, or give that file's path)", param, ctx)
        return super().convert(value, param, ctx)


_FILE = InputPath()


def layer_options(func: F) -> F:
    """Add the options of the buildings, ev_demand, chargers, sites and land kinds."""
    func = apportion_options(func)
    options = [
        click.option("--zones", type=_FILE, help="Zones to put homes, EV demand and land "
                     "parcels in (a zones.gpkg from `--kind zones`, or any boundary file); "
                     "needed by ev_demand; with --within NAME, selects by district. For "
                     "several grid files and --within NAME: a file that lists no areas keeps "
                     "only the substations that can serve these zones."),
        click.option("--licence-areas", type=_FILE, help="DNO licence-area polygons (a "
                     "'dno' column), with --zones for several grid files: a file that lists "
                     "no areas serves only the zones in its DNO's licence area."),
        click.option("--postcodes", type=_FILE, help="Code-Point Open postcode centroids "
                     "(CSV or folder) to locate EPC homes (buildings; needed)."),
        click.option("--uprn", type=_FILE, help="OS Open UPRN coordinates CSV, tried before "
                     "postcodes (buildings)."),
        click.option("--households", type=_FILE, help="Households (and households without "
                     "off-street parking) per zone, CSV (ev_demand)."),
        click.option("--chargers", type=_FILE, help="Chargepoint registry CSV or GeoJSON, to "
                     "count public chargers per zone (ev_demand)."),
        click.option("--uptake", multiple=True, metavar="YEAR=EVS", help="County EV total "
                     "in a year, e.g. --uptake 2030=120000; repeat for a curve (ev_demand)."),
        click.option("--site-kind", help="Kind of every site, e.g. car_park (sites; see "
                     "layers/assumptions/site_kinds.csv)."),
        click.option("--site-kind-column", help="Column holding each site's kind (sites)."),
        click.option("--exclusion", "exclusions", multiple=True, metavar="LABEL=PATH",
                     help="Land to exclude, e.g. --exclusion protected_sites=excl.gpkg (a "
                          "file with a layer named LABEL reads that layer); repeat (land)."),
        click.option("--exclusion-filter", "exclusion_filters", multiple=True,
                     metavar="LABEL=COLUMN:V1,V2", help="Exclude only the features of "
                     "exclusion LABEL whose COLUMN holds one of the values, e.g. "
                     "--exclusion-filter 'alc=ALC_GRADE:Grade 1,Grade 2,Grade 3a' (land)."),
        click.option("--classes", "land_classes", metavar="NAME|CSV",
                     help="Class mapping of a polygon land cover: living-england, corine, osm "
                          "or a mapping CSV (land; default: detected from the classes)."),
        click.option("--class-column", help="Class column of a polygon land cover, instead "
                     "of the mapping's (land)."),
        click.option("--method", type=click.Choice(["blocks", "patches"]),
                     help="Parcels: fixed square blocks or connected patches (land; default "
                          "blocks)."),
        click.option("--block-size", "block_size_m", type=click.FloatRange(min=0, min_open=True),
                     help="Block side in metres (land; default 500)."),
        click.option("--min-area", "min_area_ha", type=click.FloatRange(min=0),
                     help="Smallest parcel kept, hectares (land; default 1)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.group(epilog=examples(
    "geoplan layers formats",
    "geoplan layers convert REPORT.xlsx --kind substations -o grid.gpkg"))
def layers() -> None:
    """Read real published layers into canonical GeoPackages."""


layers.add_command(apportion)


def _flag(name: str) -> str:
    return _FLAGS.get(name, f"--{name.replace('_', '-')}")


def _given(options: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items()
            if v is not None and v != () and not (k == "fmt" and v == "auto")}


def _check_options(kind: str, given: dict[str, Any], sources: tuple[str, ...]) -> None:
    for name in given:
        if kind not in _APPLIES.get(name, (kind,)):
            kinds = " or ".join(f"--kind {k}" for k in _APPLIES[name])
            raise click.UsageError(f"{_flag(name)} applies to {kinds}")
    for name in _NEEDED.get(kind, ()):
        if name not in given:
            raise click.UsageError(f"--kind {kind} needs {_flag(name)}")
    if len(sources) != 1 and kind not in ("zones", "buildings", "substations"):
        raise click.UsageError(f"--kind {kind} reads one file at a time")


def _uptake(pairs: tuple[str, ...]) -> dict[int, float]:
    curve = {}
    for year, total in parse_mapping(pairs).items():
        try:
            curve[int(year)] = float(total)
        except ValueError:
            raise click.BadParameter(f"{year}={total} is not YEAR=EVS, e.g. 2030=120000",
                                     param_hint="--uptake") from None
    return curve


def _read(sources: tuple[str, ...], kind: str, options: dict[str, Any]) -> LayerSet:
    given = _given(options)
    _check_options(kind, given, sources)
    fmt, within = given.pop("fmt", "auto"), given.pop("within", None)
    decimal = "," if given.pop("decimal_comma", False) else None
    if "mapping" in given:
        given["columns"] = parse_mapping(given.pop("mapping"))
    if "land_classes" in given:
        given["mapping"] = given.pop("land_classes")
    filters = _filters(given.pop("exclusion_filters", ()))
    if "exclusions" in given:
        given["exclusions"] = {label: Path(path) for label, path in
                               _exclusions(given["exclusions"]).items()}
    for label, (column, values) in filters.items():
        if label not in given.get("exclusions", {}):
            raise click.BadParameter(f"{label!r} is not the label of an --exclusion",
                                     param_hint="--exclusion-filter")
        given["exclusions"][label] = Exclusion(label, given["exclusions"][label],
                                               column=column, values=values)
    if "uptake" in given:
        given["uptake"] = _uptake(given["uptake"])
    source: Any = sources[0] if len(sources) == 1 else list(sources)
    if kind == "ev_demand":  # a vehicle table of another geography: apportioned first
        source = area_input(sources[0], given) or source
    if kind == "substations":  # MW files become MVA by the factor the plan turns back into kW
        given["power_factor"] = power_factor(read_assumptions(GRID_UNITS))
        given.update(_served_area(given.pop("zones", None), given.pop("licence_areas", None)))
    return read_layers(source, kind, fmt=fmt, within=within, decimal=decimal, **given)


def _served_area(zones: str | None, licence: str | None) -> dict[str, Any]:
    """``served_area=`` of a substations read: the zones (and licence areas) given."""
    if zones is None:
        if licence is not None:
            raise click.UsageError("--licence-areas needs --zones (the zones it routes)")
        return {}
    areas = None if licence is None else read_licence_areas(licence)
    frame = zones_layer(zones)
    if frame is None:  # pragma: no cover - a path always gives a layer
        return {}
    return {"served_area": ServedArea(frame, areas, MAX_SERVING_DISTANCE_KM, SERVING_LEVEL)}


def _input_files(options: dict[str, Any]) -> list[str]:
    """Every file or folder an option of ``layers convert`` names (outputs must differ)."""
    files = [options.get(name) for name in ("zones", "postcodes", "uprn", "households",
                                             "chargers", "districts", "within", "areas",
                                             "lookup", "weights", "licence_areas")]
    files += [pair.partition("=")[2].strip() for pair in options.get("exclusions") or ()]
    return [f for f in files if f and Path(f).exists()]


def _filters(pairs: tuple[str, ...]) -> dict[str, tuple[str, tuple[str, ...]]]:
    """``LABEL=COLUMN:V1,V2`` -> {label: (column, values)}."""
    out = {}
    for pair in pairs:
        label, sep, rest = pair.partition("=")
        column, colon, values = rest.partition(":")
        named = tuple(v.strip() for v in values.split(",") if v.strip())
        if not (sep and colon and label.strip() and column.strip() and named):
            raise click.BadParameter(f"{pair!r} is not LABEL=COLUMN:V1,V2, e.g. "
                                     "'alc=ALC_GRADE:Grade 1,Grade 2,Grade 3a'",
                                     param_hint="--exclusion-filter")
        out[label.strip()] = (column.strip(), named)
    return out


def _exclusions(pairs: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        label, sep, path = pair.partition("=")
        if not sep or not label.strip() or not Path(path.strip()).is_file():
            raise click.BadParameter(f"{pair!r} is not LABEL=PATH of an existing file",
                                     param_hint="--exclusion")
        mapping[label.strip()] = path.strip()
    return mapping


@layers.command(epilog=examples(
    "geoplan layers convert REPORT.xlsx --kind substations --within Oxfordshire -o grid.gpkg",
    "geoplan layers convert boundaries/lsoa21/ --kind zones --districts districts.geojson"
    " -o zones.gpkg"))
@click.argument("sources", nargs=-1, required=True, type=InputPath())
@kind_option
@reading_options
@layer_options
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="GeoPackage to write (.gpkg).")
@overwrite_option
@click.pass_context
def convert(ctx: click.Context, sources: tuple[str, ...], kind: str, output: str,
            overwrite: bool, **options: Any) -> None:
    """Convert SOURCES to canonical layers in a GeoPackage.

    \b
    zones        layer `zones`
    substations  point layer `substations` and table `headroom` (substation x scenario x
                 year x season, MVA; negative = constrained); several grid files (one per
                 DNO) are combined, every id prefixed by its file's DNO (NGED:12774)
    buildings    EPC certificates (files or folders) located by --uprn/--postcodes: point
                 layer `buildings`, and table `zone_buildings` with --zones
    ev_demand    a vehicles-per-zone table with --zones: table `ev_demand`; a table of
                 another geography (e.g. DfT MSOA 2011) with --lookup, --areas, --weight
    chargers     chargepoint registry CSV or GeoJSON: point layer `chargers`
    sites        any point or polygon layer with --site-kind: layer `sites`
    land         a land-cover GeoTIFF, or a polygon land-cover or habitat layer with
                 --classes (detected when not given): polygon layer `land` of parcels
    """  # noqa: D301 - click's \b keeps the table's line breaks
    if Path(output).suffix.lower() != ".gpkg":
        raise click.BadParameter("the output must be a .gpkg file", param_hint="-o")
    refuse_inputs(output, [*sources, *_input_files(options)])
    refuse_existing(output, overwrite=overwrite)  # before any slow reading
    result = _read(sources, kind, options)
    write_geopackage(result.layers, output, overwrite=overwrite)
    if ctx.obj.get("verbosity", 0) >= 0:
        counts = ", ".join(f"{name}: {len(frame):,} rows" for name, frame in result.layers.items())
        click.echo(f"wrote {output} ({counts}) from {result.source} [{result.format}]")


@layers.command(epilog=examples(
    "geoplan layers validate REPORT.xlsx --kind substations",
    "geoplan layers validate boundaries/lsoa21/ --kind zones --within Cherwell"))
@click.argument("sources", nargs=-1, required=True, type=InputPath())
@kind_option
@reading_options
@layer_options
def validate(sources: tuple[str, ...], kind: str, **options: Any) -> None:
    """Read SOURCES and report what was found; exit 2 listing every problem."""
    logger = logging.getLogger("geoplan")
    level = logger.level
    logger.setLevel(max(level, logging.ERROR))  # warnings are listed in the report below
    try:
        result = _read(sources, kind, options)
    finally:
        logger.setLevel(level)
    for line in _describe(result):
        click.echo(line)


@layers.command(epilog=examples(
    "geoplan layers assign zones.gpkg grid.gpkg -o serving.csv",
    "geoplan layers assign zones.gpkg grid.gpkg --licence-areas areas.geojson"
    " -o serving.csv"))
@click.argument("zones", type=InputPath(dir_okay=False))
@click.argument("grid", type=InputPath(dir_okay=False))
@click.option("--level", type=click.Choice(LEVELS), default="primary", show_default=True,
              help="Level of the serving substation.")
@click.option("--supply-areas", type=InputPath(dir_okay=False),
              help="Supply-area polygons naming their substation (id or name).")
@click.option("--supply-area-column", default="substation_id", show_default=True,
              help="Column of --supply-areas that names the substation.")
@click.option("--licence-areas", type=InputPath(dir_okay=False),
              help="DNO licence-area polygons (any vector file with a 'dno' column): each "
                   "zone is served only by substations of the DNO whose licence area holds "
                   "it (as the scenario's inputs.licence_areas).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="CSV to write: zone_id, substation_id, method, distance_m, overlap_share "
                   "(with --licence-areas also zone_dno, substation_dno).")
@overwrite_option
@click.pass_context
def assign(ctx: click.Context, zones: str, grid: str, level: str, supply_areas: str | None,
           supply_area_column: str, licence_areas: str | None, output: str,
           overwrite: bool) -> None:
    """Assign each zone in ZONES.gpkg to its serving substation in GRID.gpkg.

    Uses supply-area polygons when given (largest overlap), else the nearest located
    substation of --level (with --licence-areas, of the DNO whose licence area holds the
    zone); reports distances, and the zones served by another DNO or outside every
    licence area.
    """
    if Path(output).suffix.lower() != ".csv":
        raise click.BadParameter("the output must be a .csv file", param_hint="-o")
    refuse_inputs(output, [zones, grid, supply_areas, licence_areas])
    refuse_existing(output, overwrite=overwrite)
    areas = None
    if supply_areas is not None:
        areas = gpd.read_file(supply_areas, engine="pyogrio")
        areas = areas.to_crs(CRS) if areas.crs is not None else areas
    licence = None if licence_areas is None else read_licence_areas(licence_areas)
    table = assign_zones(open_layer(zones, "zones"), open_layer(grid, "substations"),
                         level=level, supply_areas=areas, supply_area_id_column=supply_area_column,
                         licence_areas=licence)
    write_csv(table, output, overwrite=overwrite)
    if ctx.obj.get("verbosity", 0) >= 0:
        for line in _assignment_report(table, output):
            click.echo(line)


def _assignment_report(table: pd.DataFrame, output: str) -> list[str]:
    distance = table["distance_m"] / 1000
    counts = table["method"].value_counts().sort_index()
    methods = ", ".join(f"{m} {n:,}" for m, n in counts.items())
    far = table.loc[table["distance_m"].idxmax()]
    lines = [
        f"wrote {output}: {len(table):,} zones assigned ({methods}) to "
        f"{table['substation_id'].nunique():,} substations",
        f"  distance to substation (km): median {distance.median():.2f}, "
        f"95th percentile {distance.quantile(0.95):.2f}, max {distance.max():.2f} "
        f"(zone {far['zone_id']} -> {far['substation_id']})",
    ]
    if "zone_dno" in table.columns:
        outside = int(table["zone_dno"].isna().sum())
        other = int((table["zone_dno"].notna() & table["zone_dno"].ne(table["substation_dno"])
                     ).sum())
        per = table["zone_dno"].fillna("none").value_counts().sort_index()
        lines.append("  licence areas: " + ", ".join(f"{d} {n:,}" for d, n in per.items())
                     + f"; served by another DNO's substation: {other:,} (no substation of "
                     f"their own DNO in the grid file); in no licence area: {outside:,}")
    return lines


@layers.command(epilog=examples(
    "geoplan layers formats",))
def formats() -> None:
    """List the grid file formats geoplan reads, with their scenario names and units.

    Each format is listed on one line (name and description), followed by the scenario
    names its headroom rows carry and the unit the file publishes headroom in.
    """
    import importlib

    for fmt, module in FORMATS.items():
        reader = importlib.import_module(module)
        named = reader.SCENARIOS
        scenarios = ", ".join(f"{k} ({v})" if isinstance(named, dict) else str(k)
                              for k, v in (named.items() if isinstance(named, dict)
                                           else ((k, None) for k in named)))
        scenarios = scenarios or "as named in the file or the mapping"
        click.echo(f"{fmt:22} {reader.LABEL}")
        click.echo(f"{'':22}   scenarios: {scenarios}; units: {reader.UNITS}")


def _describe(result: LayerSet) -> list[str]:
    s = result.summary
    crs = f", CRS {s['crs']}" if s.get("crs") else ""
    lines = [f"{result.source}: {result.kind} read as {result.format}{crs}"]
    rows: Any = s.get("rows")
    if result.format == OWN_FORMAT and rows:  # geoplan's own layers, read as written
        lines += [f"  {name}: {count:,} rows (geoplan's own layer, read as written)"
                  for name, count in rows.items()]
    else:
        lines += _DESCRIBERS[result.kind](s)
    warnings = list(result.warnings)
    lines.append(f"  warnings: {len(warnings)}")
    lines += [f"    - {w}" for w in warnings]
    return lines


def _zone_lines(s: Mapping[str, Any]) -> list[str]:
    lines = [f"  zones: {s['zones']:,} covering {s['area_km2']:,} km2"]
    return lines + [f"    {name}: {count:,}" for name, count in s["districts"].items()]


def _substation_lines(s: Mapping[str, Any]) -> list[str]:
    levels = ", ".join(f"{k} {v:,}" for k, v in s["per_level"].items())
    years = s["years"]
    span = f"{years[0]}-{years[-1]} ({len(years)} years)" if years else "none stated"
    return [
        f"  substations: {s['substations']:,} ({levels}); "
        f"{s['without_location']:,} without location",
        f"  headroom rows: {s['headroom_rows']:,}; negative (constrained): "
        f"{s['negative_headroom_rows']:,}",
        f"  scenarios: {', '.join(s['scenarios'])}",
        f"  years: {span}",
        f"  seasons: {', '.join(s['seasons'])}",
        *[f"  {f['source']}: ids prefixed {f['id_prefix']} ({f['format']})"
          for f in s.get("files", [])],
    ]


def _building_lines(s: Mapping[str, Any]) -> list[str]:
    bands = ", ".join(f"{b} {n:,}" for b, n in s["bands"].items())
    zones = ("" if s["zones_with_homes"] is None
             else f"; in {s['zones_with_homes']:,} zones, {s['outside_zones']:,} outside")
    return [
        f"  certificates: {s['certificates']:,} in {s['files']} files; homes: {s['homes']:,} "
        f"({s['duplicates_dropped']:,} older certificates dropped)",
        f"  located by UPRN: {s['by_uprn']:,} ({s['by_uprn_pct']}%), by postcode: "
        f"{s['by_postcode']:,} ({s['by_postcode_pct']}%), not located: {s['unmatched']:,} "
        f"({s['unmatched_pct']}%){zones}",
        f"  EPC bands: {bands}; no band {s['no_band']:,}",
    ]


def _ev_lines(s: Mapping[str, Any]) -> list[str]:
    chargers = "unknown" if s["public_chargers_now"] is None else f"{s['public_chargers_now']:,}"
    return [
        f"  zones: {s['zones']:,}; households {s['households']:,.0f} "
        f"({s['households_no_offstreet']:,.0f} without off-street parking)",
        f"  EVs now: {s['evs_now']:,.0f} (columns {', '.join(s['vehicle_columns'])}; "
        f"{s['codes_left_out']:,} area codes left out); in {s['plan_year']}: "
        f"{s['evs_projected']:,.0f}",
        f"  public chargers now: {chargers}",
        *[f"  {what} apportioned ({' then '.join(r['steps'])}, weight {r['weight']}): read "
          f"{sum(r['read'].values()):,.0f}, in the zones {sum(r['apportioned'].values()):,.0f}, "
          f"{len(r['codes_left_out']):,} codes left out"
          for what, r in s.get("apportioned", {}).items()],
    ]


def _charger_lines(s: Mapping[str, Any]) -> list[str]:
    rejected = ", ".join(f"{reason} {n:,}" for reason, n in s["rejected"].items()) or "none"
    return [
        f"  rows read: {s['rows_read']:,}; kept: {s['chargers']:,}; left out: {rejected}",
        f"  connectors: {s['connectors']:,}; rated power known: {s['kw_known']:,}; "
        f"50 kW or more: {s['kw_50_plus']:,}",
    ]


def _site_lines(s: Mapping[str, Any]) -> list[str]:
    left = ", ".join(f"{why} {n:,}" for why, n in s["left_out"].items() if n) or "none"
    kinds = ", ".join(f"{k} {n:,}" for k, n in s["kinds"].items())
    return [
        f"  features read: {s['features']:,}; sites: {s['sites']:,} ({kinds}); left out: "
        f"{left}",
        f"  chargers at most: {s['max_chargers']:,}; cost to build out: "
        f"\N{POUND SIGN}{s['cost_gbp']:,.0f}",
    ]


def _land_lines(s: Mapping[str, Any]) -> list[str]:
    excluded = ", ".join(f"{k} {v:,.0f} ha" for k, v in s["excluded_ha"].items()) or "none"
    if "cell_size_m" in s:
        read = f"cells: {s['cell_size_m'][0]:g} m, read in {s['windows']:,} windows"
    else:
        unmapped = sum(s["unmapped_ha"].values())
        read = (f"polygons: {s['features']:,}, classes by mapping {s['mapping']} "
                f"({', '.join(s['class_columns'])}); unmapped {unmapped:,.0f} ha")
    return [
        f"  {read}; eligible {s['eligible_ha']:,.0f} ha; excluded: {excluded}; available "
        f"{s['available_ha']:,.0f} ha",
        f"  parcels: {s['parcels']:,} ({s['parcel_ha']:,.0f} ha, "
        f"{s['small_parcels_dropped']:,} small ones dropped; {s['without_zone']:,} outside "
        f"every zone); {s['seq_tco2e_per_yr']:,.0f} tCO2e/yr",
    ]


_DESCRIBERS: dict[str, Callable[[Mapping[str, Any]], list[str]]] = {
    "zones": _zone_lines, "substations": _substation_lines, "buildings": _building_lines,
    "ev_demand": _ev_lines, "chargers": _charger_lines, "sites": _site_lines,
    "land": _land_lines,
}
