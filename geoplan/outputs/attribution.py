"""Data attributions a map or bid pack must carry, from the inputs a run read.

Open data comes with a licence that asks for a statement: Ordnance Survey data "Contains OS
data © Crown copyright and database right <year>", ONS data "Source: Office for National
Statistics licensed under the Open Government Licence v3.0", OpenStreetMap "© OpenStreetMap
contributors" (ODbL). :func:`attribution_lines` turns the input kinds of a run (the keys of
its ``manifest.json`` ``inputs``) into the short statements a map shows, once each, and
:func:`attribution_sources` into one line per input for the bid pack.

The sample county is synthetic: it carries no third-party data, and its statement says so
rather than borrowing licences of files it only imitates.

The year of a copyright statement is the edition year of the data carrying it when the data
states one (``years``: input kind -> year, from :func:`geoplan.sources.edition.edition_year`,
e.g. 2021 for LSOA 2021 boundaries; the latest when several inputs share a statement), else
that of the run (``SOURCE_DATE_EPOCH``, the reproducible-builds convention, when set; else
today in UTC): the same run's files repeat it, and :mod:`geoplan.outputs.run_settings`
records both in the plan for later maps and reports.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping

__all__ = ["SAMPLE_STATEMENT", "attribution_lines", "attribution_sources", "attribution_year"]

_OS = "Contains OS data © Crown copyright and database right {year}"
_ONS = "Source: Office for National Statistics licensed under the Open Government Licence v3.0"
_ROYAL_MAIL = "Contains Royal Mail data © Royal Mail copyright and database right {year}"
_OGL = "Contains public sector information licensed under the Open Government Licence v3.0"
_OSM = "© OpenStreetMap contributors (Open Database Licence)"
_UKCEH = "Land cover © UKCEH {year}"
_DNO = "Network headroom: the distribution network operator's open data, under its licence"

SAMPLE_STATEMENT = ("Synthetic sample county made by geoplan: no real or third-party data; "
                    "not for decisions about any real place")
"""What a run on the sample county says instead of data licences."""

# input kind -> (the source in words, its statements)
_SOURCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "zones": ("planning zones (ONS boundaries)", (_OS, _ONS)),
    "districts": ("districts (ONS boundaries)", (_OS, _ONS)),
    "grid": ("substations and headroom (DNO open data)", (_DNO,)),
    "licence_areas": ("DNO licence areas (DNO open data)", (_DNO,)),
    "epc": ("Energy Performance Certificates (EPC register)", (_OGL,)),
    "postcodes": ("postcode centroids (OS Code-Point Open)", (_OS, _ROYAL_MAIL, _ONS)),
    "uprn": ("UPRN coordinates (OS Open UPRN)", (_OS,)),
    "chargers": ("existing public chargers (DfT/OZEV National Chargepoint Registry)", (_OGL,)),
    "vehicles": ("plug-in vehicles (DfT vehicle licensing statistics)", (_OGL,)),
    "households": ("households (ONS Census 2021)", (_ONS,)),
    "building_stock": ("building stock tables (ONS Census 2021, DESNZ)", (_ONS, _OGL)),
    "car_parks": ("car parks (OpenStreetMap)", (_OSM,)),
    "roads": ("roads (OS Open Roads)", (_OS,)),
    "land_cover": ("land cover (UKCEH Land Cover Map or as named)", (_UKCEH, _OS)),
    "emissions": ("district emissions (DESNZ local authority statistics)", (_OGL,)),
    "exclusions": ("protected sites and flood zones (Natural England, Environment Agency)",
                   (_OGL, _OS)),
}


def attribution_year() -> int:
    """Return the year of the Crown copyright statements (``SOURCE_DATE_EPOCH``, else today)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).year
    return dt.datetime.now(dt.UTC).year


def _kinds(inputs: Iterable[str]) -> list[str]:
    """Input kinds without their part (``grid:1`` -> ``grid``), once each, in order."""
    seen: list[str] = []
    for name in inputs:
        kind = str(name).split(":", 1)[0]
        if kind not in seen:
            seen.append(kind)
    return seen


def _year_of(statement: str, kinds: Iterable[str], year: int,
             years: Mapping[str, int] | None) -> int:
    """Return the latest edition year of ``kinds`` carrying ``statement`` (else ``year``)."""
    known = [int(years[k]) for k in kinds if years and years.get(k)
             and statement in _SOURCES.get(k, ("", ()))[1]]
    return max(known) if known else year


def attribution_lines(inputs: Iterable[str], *, year: int, sample: bool = False,
                      years: Mapping[str, int] | None = None) -> list[str]:
    """Return the statements a map of these inputs must show, each once, in a stable order.

    Parameters
    ----------
    inputs : Iterable[str]
        Input kinds the run read (``zones``, ``grid:1``, ``vehicles:lookup``, ...); kinds
        not known here add nothing (their licence is the user's to state).
    year : int
        Year of the copyright statements whose data states no edition (the run's).
    sample : bool
        The inputs are the synthetic sample county: one statement saying so.
    years : Mapping[str, int], optional
        Input kind -> the edition year its file states; a statement carries the latest
        year of its inputs that state one.

    Returns
    -------
    list of str

    Examples
    --------
    >>> attribution_lines(["zones", "car_parks"], year=2026)  # doctest: +NORMALIZE_WHITESPACE
    ['Contains OS data © Crown copyright and database right 2026',
     'Source: Office for National Statistics licensed under the Open Government Licence v3.0',
     '© OpenStreetMap contributors (Open Database Licence)']
    >>> attribution_lines(["zones"], year=2026, years={"zones": 2021})[0][-4:]
    '2021'
    >>> attribution_lines(["zones"], year=2026, sample=True)[0][:26]
    'Synthetic sample county ma'
    """
    if sample:
        return [SAMPLE_STATEMENT]
    lines: list[str] = []
    kinds = _kinds(inputs)
    for kind in kinds:
        for statement in _SOURCES.get(kind, ("", ()))[1]:
            line = statement.format(year=_year_of(statement, kinds, year, years))
            if line not in lines:
                lines.append(line)
    return lines


def attribution_sources(inputs: Iterable[str], *, year: int, sample: bool = False,
                        years: Mapping[str, int] | None = None) -> list[tuple[str, str]]:
    """Return (source in words, its statements joined) for each input kind, for the bid pack.

    Kinds not known here are listed as given, with "licence as published"; each statement
    carries the year its input states (``years``), else ``year``.
    """
    if sample:
        return [("every input (synthetic sample county)", SAMPLE_STATEMENT)]
    out = []
    for kind in _kinds(inputs):
        words, statements = _SOURCES.get(kind, (kind, ()))
        own = int(years[kind]) if years and years.get(kind) else year
        text = "; ".join(s.format(year=own) for s in statements) or "licence as published"
        out.append((words, text))
    return out
