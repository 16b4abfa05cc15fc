"""The baseline a plan's trajectory and milestones are measured against.

:func:`baseline_emissions` picks, from a district emissions table
(:func:`geoplan.sources.emissions.read_district_emissions`), one year and the sectors to
count (scenario keys ``baseline: {year, sectors, land_use}``):

* **year**: the one asked for, else the latest year in the table, skipping
  :data:`COVID_YEARS` when an earlier year is given (2020's emissions were cut by lockdowns,
  so a plan measured against them looks further from its targets than it is);
* **sectors**: the table's ``<sector>_tco2e`` columns named (``domestic``, ``transport``,
  ``industry``, ``commercial``, ``public_sector``, ``agriculture``, ``waste_management``,
  ``lulucf``), else every sector but land use. Land use, land-use change and forestry
  (:data:`LAND_USE`) is counted only when named or with ``land_use``; it is shown on its own
  line either way, and the plan's removals (sequestration) are never netted into the baseline
  (the finance trajectory keeps them on a separate line);
* **gases**: the table's own (the BEIS/DESNZ local authority CO2 statistics count CO2 only,
  so their baseline is in tCO2, not tCO2e: other greenhouse gases, mostly agricultural
  methane and nitrous oxide, are missing);
* **given totals**: a year the table lacks (the milestones' calibration year 2022 in the
  DESNZ 2005-2020 table) can be given as one figure, the counted sectors summed over the
  districts (scenario key ``baseline.given_totals``); :func:`rescaled_milestones` then carries
  the milestone shares with it and says the figure was given.

Examples
--------
>>> table = pd.DataFrame({"district_id": ["A"] * 3, "district_name": ["A"] * 3,
...                       "year": [2018, 2019, 2020], "tco2e": [12.0, 11.0, 9.0],
...                       "domestic_tco2e": [5.0, 4.0, 3.0], "transport_tco2e": [7.0, 7.0, 6.0]})
>>> b = baseline_emissions(table, sectors=["domestic"])
>>> b.year, b.table["tco2e"].tolist()
(2019, [4.0])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from geoplan.errors import Problems, ScenarioError

__all__ = ["COVID_YEARS", "LAND_USE", "Baseline", "baseline_emissions", "baseline_report",
           "baseline_year", "rescaled_milestones"]

COVID_YEARS = (2020,)
"""Years whose emissions the COVID-19 lockdowns cut; skipped by the default baseline year."""

LAND_USE = "lulucf"
"""Sector name of land use, land-use change and forestry (DESNZ 'LULUCF')."""

_SUFFIX = "_tco2e"


@dataclass(frozen=True)
class Baseline:
    """Baseline emissions per district in one year.

    Attributes
    ----------
    table : pandas.DataFrame
        ``district_id``, ``district_name``, ``tco2e`` (the counted sectors, per year; in
        :attr:`unit`), ``land_use_tco2e`` (LULUCF, NaN when the table has none).
    year : int
    sectors : tuple of str
        Sectors counted (``("total",)`` when the table has no sectors).
    land_use : bool
        Whether land use is counted in ``tco2e``.
    gases : str
        ``"CO2"`` (CO2 only) or ``"CO2e"`` (every greenhouse gas).
    source : str
        The emissions file's name.
    notes : tuple of str
        Choices a reader should know of (e.g. the COVID year skipped).
    totals : Mapping[int, float]
        The counted sectors summed over the table's districts, for every year of the table
        and every given year (what :func:`rescaled_milestones` carries milestone shares
        between years with).
    given : tuple of int
        Years of ``totals`` given by the user (``baseline.given_totals``), not the table.
    """

    table: pd.DataFrame = field(repr=False)
    year: int
    sectors: tuple[str, ...]
    land_use: bool
    gases: str
    source: str
    notes: tuple[str, ...] = ()
    totals: Mapping[int, float] = field(default_factory=dict, repr=False)
    given: tuple[int, ...] = ()

    @property
    def unit(self) -> str:
        """``tCO2`` for a CO2-only table, else ``tCO2e``."""
        return "tCO2" if self.gases == "CO2" else "tCO2e"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able description (no per-district rows: the trajectory has them)."""
        land = pd.to_numeric(self.table["land_use_tco2e"], errors="coerce")
        return {"year": self.year, "sectors": list(self.sectors),
                "land_use_counted": self.land_use, "gases": self.gases, "unit": self.unit,
                "total": round(float(self.table["tco2e"].sum()), 3),
                "land_use_tco2e": (round(float(land.sum()), 3) if land.notna().any()
                                   else None),
                "source": self.source, "notes": list(self.notes)}


def baseline_year(table: pd.DataFrame, year: int | None = None) -> tuple[int, list[str]]:
    """Return the baseline year and a note when a COVID year was skipped (module docstring).

    Raises
    ------
    ScenarioError
        ``year`` is not in the table (its years are listed).
    """
    years = sorted({int(y) for y in table["year"]})
    if year is not None:
        if int(year) not in years:
            raise ScenarioError(f"baseline.year {year}: the emissions table "
                                f"{_name(table)} has years {_span(years)} (fix: choose one "
                                "of them)")
        return int(year), []
    usable = [y for y in years if y not in COVID_YEARS]
    chosen = usable[-1] if usable else years[-1]
    notes = ([f"baseline year {chosen}, not {years[-1]}: {years[-1]} emissions were cut by "
              "the COVID-19 lockdowns (set baseline.year to choose)"]
             if chosen != years[-1] else [])
    return chosen, notes


def baseline_emissions(table: pd.DataFrame, *, year: int | None = None,
                       sectors: Sequence[str] | None = None,
                       land_use: bool = False,
                       given_totals: Mapping[int, float] | None = None) -> Baseline:
    """Each district's baseline emissions (module docstring).

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`geoplan.sources.emissions.read_district_emissions`.
    year : int, optional
        Baseline year (default: :func:`baseline_year`).
    sectors : sequence of str, optional
        Sectors to count (default: every sector but :data:`LAND_USE`).
    land_use : bool
        With ``sectors`` None, count land use too.
    given_totals : Mapping[int, float], optional
        Year -> counted emissions summed over the districts, for years the table lacks.

    Raises
    ------
    ScenarioError
        An unknown sector (the table's sectors are listed), sectors asked of a table that
        has none, a year the table lacks, or a given total for a year the table has.
    """
    chosen_year, notes = baseline_year(table, year)
    rows = table[table["year"].astype(int) == chosen_year].reset_index(drop=True)
    listed = [c.removesuffix(_SUFFIX) for c in table.columns
              if c.endswith(_SUFFIX) and c != "tco2e"]
    counted = _sectors(table, listed, sectors, land_use)
    values = (rows["tco2e"].astype(float) if counted == ("total",)
              else rows[[f"{s}{_SUFFIX}" for s in counted]].astype(float).sum(axis=1))
    land = (rows[f"{LAND_USE}{_SUFFIX}"].astype(float) if LAND_USE in listed
            else pd.Series(float("nan"), index=rows.index))
    out = pd.DataFrame({"district_id": rows["district_id"].astype(str),
                        "district_name": rows.get("district_name", rows["district_id"])
                        .astype(str), "tco2e": values.to_numpy(float),
                        "land_use_tco2e": land.to_numpy(float)})
    gases = str(table.attrs.get("report", {}).get("gases", "CO2e"))
    if gases == "CO2":
        notes.append(f"baseline in tCO2: {_name(table)} counts CO2 only (methane and nitrous "
                     "oxide, mostly from farming, are missing)")
    totals = _totals(table, counted)
    given = _given(table, totals, given_totals or {})
    return Baseline(out, chosen_year, counted, LAND_USE in counted, gases, _name(table),
                    tuple(notes), {**totals, **given}, tuple(sorted(given)))


def _given(table: pd.DataFrame, totals: Mapping[int, float], given: Mapping[int, float]
           ) -> dict[int, float]:
    """Return the given totals, refusing years the table has (its own figure counts)."""
    clash = sorted(int(y) for y in given if int(y) in totals)
    if clash:
        raise ScenarioError(f"baseline.given_totals gives {clash}, which the emissions table "
                            f"{_name(table)} has (fix: give only years it lacks, it has "
                            f"{_span(sorted(totals))})")
    return {int(y): float(v) for y, v in given.items()}


def _totals(table: pd.DataFrame, counted: tuple[str, ...]) -> dict[int, float]:
    """Sum the counted sectors over the table's districts, year by year."""
    columns = ["tco2e"] if counted == ("total",) else [f"{s}{_SUFFIX}" for s in counted]
    values = table[columns].apply(pd.to_numeric, errors="coerce").sum(axis=1, min_count=1)
    summed = values.groupby(table["year"].astype(int)).sum(min_count=1)
    return {int(y): float(v) for y, v in summed.items() if pd.notna(v)}


def rescaled_milestones(milestones: Mapping[int, float], calibrated_to: int | None,
                        baseline: Baseline) -> tuple[dict[int, float], str]:
    r"""Milestone shares carried from their calibration year to the baseline year.

    A share :math:`\sigma_m` calibrated to year :math:`c` sets the target emissions
    :math:`(1 - \sigma_m) E_c`; the same target as a share of the baseline year :math:`b` is
    :math:`\sigma'_m = 1 - (1 - \sigma_m) E_c / E_b`, with :math:`E` the counted sectors
    summed over the emissions table's districts (:attr:`Baseline.totals`). When the table has
    no year :math:`c` (the DESNZ local authority table of 2005-2020 has no 2022) the shares
    cannot be carried: they are kept, and the note says why and what the targets then assume.

    Parameters
    ----------
    milestones : Mapping[int, float]
        Year -> share of the calibration year's emissions cut.
    calibrated_to : int or None
        The calibration year (finance.csv item ``milestone_baseline_year``).
    baseline : Baseline

    Returns
    -------
    (dict, str)
        The shares for the baseline year, and a note ("" when nothing was to be done).

    Examples
    --------
    >>> t = pd.DataFrame({"district_id": ["A", "A"], "year": [2019, 2022],
    ...                   "tco2e": [100.0, 90.0]})
    >>> b = baseline_emissions(t, year=2019)
    >>> shares, note = rescaled_milestones({2030: 0.36}, 2022, b)
    >>> round(shares[2030], 3)
    0.424
    """
    shares = {int(y): float(v) for y, v in milestones.items()}
    if calibrated_to is None or calibrated_to == baseline.year:
        return shares, ""
    then, now = baseline.totals.get(int(calibrated_to)), baseline.totals.get(baseline.year)
    if then is None or not now:
        years = sorted(baseline.totals)
        have = f"years {_span(years)}" if years else "no yearly totals"
        return shares, (f"milestone shares are calibrated to a {calibrated_to} baseline "
                        "(finance.csv, item milestone_baseline_year) and are not rescaled to "
                        f"the {baseline.year} baseline: {baseline.source} has {have}, not "
                        f"{calibrated_to}, so the targets assume {baseline.year} emissions equal "
                        f"{calibrated_to}'s (fix: give milestone shares for {baseline.year}, "
                        f"an emissions table with {calibrated_to}, or the {calibrated_to} total "
                        "as baseline.given_totals)")
    ratio = then / now
    rescaled = {y: 1.0 - (1.0 - s) * ratio for y, s in shares.items()}
    origin = (f"{calibrated_to} given in the scenario (baseline.given_totals), "
              f"{baseline.year} from {baseline.source}" if int(calibrated_to) in baseline.given
              else baseline.source)
    return rescaled, (f"milestone shares rescaled from a {calibrated_to} to the "
                      f"{baseline.year} baseline: share' = 1 - (1 - share) x "
                      f"{then:,.0f} / {now:,.0f} ({origin}, counted sectors)"
                      + "".join(f"; {y}: {shares[y]:.3f} -> {rescaled[y]:.3f}"
                                for y in sorted(shares)))


def baseline_report(baseline: Baseline, calibrated_to: int | None,
                    milestones: Mapping[int, float] | None = None
                    ) -> tuple[dict[str, Any], tuple[str, ...], dict[int, float]]:
    """Return the baseline's description, its warnings and the milestone shares to judge by.

    Parameters
    ----------
    baseline : Baseline
    calibrated_to : int or None
        Baseline year the milestone shares are calibrated to (finance.csv item
        ``milestone_baseline_year``); another baseline year is rescaled to, or warned of
        (:func:`rescaled_milestones`).
    milestones : Mapping[int, float], optional
        Year -> share, as read.

    Returns
    -------
    (dict, tuple of str, dict)
        :meth:`Baseline.to_dict` plus ``milestones_baseline_year`` (the year the shares
        returned are for) and ``milestones_rescaled_from`` (the calibration year when they
        were rescaled, else None); the baseline's notes and the rescaling note; the shares.
    """
    shares, note = rescaled_milestones(milestones or {}, calibrated_to, baseline)
    rescaled = note.startswith("milestone shares rescaled")
    info = {**baseline.to_dict(),
            "milestones_baseline_year": baseline.year if rescaled else calibrated_to,
            "milestones_rescaled_from": calibrated_to if rescaled else None}
    return info, (*baseline.notes, *([note] if note else [])), shares


def _sectors(table: pd.DataFrame, listed: list[str], sectors: Sequence[str] | None,
             land_use: bool) -> tuple[str, ...]:
    """Return the sectors counted; every unknown one is refused at once."""
    if sectors is None:
        if not listed:
            return ("total",)
        return tuple(s for s in listed if s != LAND_USE or land_use)
    problems = Problems(_name(table), sheet="emissions")
    if not listed:
        problems.add(f"baseline.sectors {list(sectors)}: the table has no sector columns",
                     column="tco2e", fix="remove baseline.sectors, or give a table with "
                                         "<sector>_tco2e columns")
    for sector in sectors:
        if listed and sector not in listed:
            problems.add(f"unknown sector {sector!r} in baseline.sectors",
                         column=f"{sector}{_SUFFIX}", fix=f"use some of {listed}")
    problems.raise_if_any(ScenarioError)
    return tuple(sectors)


def _name(table: pd.DataFrame) -> str:
    path = table.attrs.get("path")
    return Path(str(path)).name if path else "(table given in code)"


def _span(years: list[int]) -> str:
    whole = years == list(range(years[0], years[-1] + 1))
    return f"{years[0]}-{years[-1]}" if whole and len(years) > 2 else str(years)
