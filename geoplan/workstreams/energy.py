"""Carbon factors and fuel prices by fuel and year, from sourced assumption tables.

Two tables hold one row per fuel and listed year:

* ``layers/assumptions/carbon_factors.csv`` (:data:`CARBON_FACTORS`): ``kgco2e_per_kwh`` of
  fuel bought (for ``heat_network``: of heat delivered);
* ``layers/assumptions/fuel_prices.csv`` (:data:`FUEL_PRICES`): ``pence_per_kwh``.

Fuels are :data:`ENERGY_FUELS`. Between listed years a value is interpolated linearly; before
the first or after the last listed year it is held at the end value (clamped), so a table with
a row for every year gives each year's own factor. EPC heating fuels map to these fuels with
:func:`energy_fuel`.

Carbon factors have a ``basis`` (:data:`CARBON_BASES`): electricity is listed twice, as the
``long_run_marginal`` factor the Green Book asks appraisals of a change in electricity use to
take (the default) and as the ``grid_average`` reporting factor; fuels whose factor does not
depend on it use ``any``. :func:`carbon_factors_for` keeps one basis (scenario key
``carbon.electricity_factor``); :func:`values_in_year` refuses a table that still lists a fuel
and year twice. Optional ``kgco2e_per_kwh_low``/``_high`` bound indicative rows.

Examples
--------
>>> round(carbon_factor("mains_gas", 2030), 4)
0.1829
>>> fuel_price("electricity", 2025) > fuel_price("mains_gas", 2025)
True
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from geoplan.assumptions import AssumptionTable, read_assumptions
from geoplan.distinct import each_distinct
from geoplan.errors import Problems, ScenarioError, SourceFormatError

__all__ = [
    "CARBON_BASES",
    "CARBON_FACTORS",
    "ENERGY_FUELS",
    "FUEL_OF_SYSTEM",
    "FUEL_PRICES",
    "carbon_factor",
    "carbon_factors_for",
    "energy_fuel",
    "fuel_price",
    "read_carbon_factors",
    "read_fuel_prices",
    "values_in_year",
]

PathLike = str | os.PathLike[str]

ENERGY_FUELS = ("mains_gas", "electricity", "oil", "lpg", "coal", "biomass", "heat_network")
"""Fuels of the carbon factor and fuel price tables."""

FUEL_OF_SYSTEM = {
    "mains gas": "mains_gas", "electricity": "electricity", "heat pump": "electricity",
    "oil": "oil", "LPG": "lpg", "solid fuel": "coal", "biomass": "biomass",
    "district heating": "heat_network", "other": "mains_gas", "unknown": "mains_gas",
}
"""EPC heating system or main fuel (:data:`geoplan.sources.epc.FUELS`, ``"heat pump"``) ->
energy fuel. Unrecognised and unrecorded fuels count as mains gas, the commonest (indicative,
as in ``epc_heat.csv``)."""

CARBON_BASES = ("long_run_marginal", "grid_average")
"""Bases of electricity carbon factors; the first is the default (appraisal)."""

CARBON_FACTORS = AssumptionTable("carbon_factors", key=("year", "fuel", "basis"),
                                 numbers={"kgco2e_per_kwh": 0.0},
                                 optional_numbers={"kgco2e_per_kwh_low": 0.0,
                                                   "kgco2e_per_kwh_high": 0.0})
"""Carbon factor table: kgCO2e per kWh by year, fuel and basis (``any`` or a
:data:`CARBON_BASES` entry), with optional low/high bounds of indicative rows."""

FUEL_PRICES = AssumptionTable("fuel_prices", key=("year", "fuel"),
                              numbers={"pence_per_kwh": 0.0})
"""Fuel price table: pence per kWh by year and fuel (real terms)."""


def read_carbon_factors(path: PathLike | None = None,
                        basis: str | None = CARBON_BASES[0]) -> pd.DataFrame:
    """Read and check the carbon factor table, keeping the rows of one basis.

    Parameters
    ----------
    path : path, optional
        A copy to read instead of the shipped ``carbon_factors.csv``.
    basis : str or None
        Electricity factor basis kept (:func:`carbon_factors_for`); None keeps every row.

    Returns
    -------
    pandas.DataFrame
        ``year`` (int64), ``fuel``, ``basis``, ``kgco2e_per_kwh``, ``kgco2e_per_kwh_low``,
        ``kgco2e_per_kwh_high`` (NaN when not given), ``source``.

    Raises
    ------
    SourceFormatError
        Naming the file, row and column of every bad year, unknown fuel or basis, missing
        source, negative value, or value outside its own low/high bounds.
    """
    table = _read_yearly(CARBON_FACTORS, path)
    _check_carbon_rows(table)
    return table if basis is None else carbon_factors_for(table, basis)


def _check_carbon_rows(table: pd.DataFrame) -> None:
    problems = Problems(table.attrs["path"], sheet=CARBON_FACTORS.name)
    allowed = ("any", *CARBON_BASES)
    for index in table.index[~table["basis"].isin(allowed)]:
        problems.add(f"unknown basis {table.loc[index, 'basis']!r}", row=index + 2,
                     column="basis", fix=f"use one of {list(allowed)}")
    value = table["kgco2e_per_kwh"]
    for side, outside in (("low", value < table["kgco2e_per_kwh_low"]),
                          ("high", value > table["kgco2e_per_kwh_high"])):
        column = f"kgco2e_per_kwh_{side}"
        for index in table.index[outside.to_numpy()]:
            problems.add(f"{column} {table.loc[index, column]:g} leaves the value "
                         f"{value[index]:g} outside its range", row=index + 2, column=column,
                         fix="give low <= kgco2e_per_kwh <= high, or leave the bound blank")
    problems.raise_if_any(SourceFormatError)


def carbon_factors_for(table: pd.DataFrame, basis: str) -> pd.DataFrame:
    """Rows of ``table`` whose ``basis`` is ``basis`` or ``any`` (all rows without a basis).

    Parameters
    ----------
    table : pandas.DataFrame
        A carbon factor table (:func:`read_carbon_factors` with ``basis=None``).
    basis : str
        One of :data:`CARBON_BASES`.

    Raises
    ------
    ScenarioError
        An unknown basis (the bases are listed).
    SourceFormatError
        A fuel listed under other bases only (file and fuel named).

    Examples
    --------
    >>> t = pd.DataFrame({"year": [2030] * 3, "fuel": ["electricity", "electricity", "oil"],
    ...                   "basis": ["long_run_marginal", "grid_average", "any"],
    ...                   "kgco2e_per_kwh": [0.05, 0.09, 0.25]})
    >>> carbon_factors_for(t, "grid_average")["kgco2e_per_kwh"].tolist()
    [0.09, 0.25]
    """
    if basis not in CARBON_BASES:
        raise ScenarioError(f"unknown electricity carbon factor basis {basis!r} (fix: use one "
                            f"of {list(CARBON_BASES)})")
    if "basis" not in table.columns:
        return table
    kept = table[table["basis"].astype(str).isin((basis, "any"))]
    lost = sorted(set(table["fuel"].astype(str)) - set(kept["fuel"].astype(str)))
    if lost:
        others = sorted(set(table.loc[table["fuel"].isin(lost), "basis"].astype(str)))
        raise SourceFormatError(f"{_name(table)}: fuels {lost} have rows for bases {others} "
                                f"but none for {basis!r} or 'any' (fix: add {basis!r} rows "
                                "with their source, or choose another basis)")
    out = kept.reset_index(drop=True)
    out.attrs = {**table.attrs, "basis": basis}
    return out


def read_fuel_prices(path: PathLike | None = None) -> pd.DataFrame:
    """Read and check the fuel price table (see :func:`read_carbon_factors`).

    Returns
    -------
    pandas.DataFrame
        ``year`` (int64), ``fuel``, ``pence_per_kwh``, ``source``.
    """
    return _read_yearly(FUEL_PRICES, path)


def _read_yearly(spec: AssumptionTable, path: PathLike | None) -> pd.DataFrame:
    table = read_assumptions(spec, path)
    problems = Problems(table.attrs["path"], sheet=spec.name)
    years = pd.to_numeric(table["year"], errors="coerce")
    for index in table.index[years.isna() | (years % 1 != 0)]:
        problems.add(f"year {table.loc[index, 'year']!r} is not a whole year", row=index + 2,
                     column="year", fix="write a year such as 2030")
    for index in table.index[~table["fuel"].isin(ENERGY_FUELS)]:
        problems.add(f"unknown fuel {table.loc[index, 'fuel']!r}", row=index + 2,
                     column="fuel", fix=f"use one of {list(ENERGY_FUELS)}")
    problems.raise_if_any(SourceFormatError)
    out = table.assign(year=years.astype("int64"))
    out.attrs["path"] = table.attrs["path"]
    return out


def _value_column(table: pd.DataFrame) -> str:
    for column in ("kgco2e_per_kwh", "pence_per_kwh"):
        if column in table.columns:
            return column
    raise SourceFormatError(f"table {_name(table)} has neither 'kgco2e_per_kwh' nor "
                            "'pence_per_kwh' (fix: read it with read_carbon_factors or "
                            "read_fuel_prices)")


def _name(table: pd.DataFrame) -> str:
    path = table.attrs.get("path")
    return Path(str(path)).name if path else "(table given in code)"


def values_in_year(table: pd.DataFrame, year: int, fuels: Iterable[str] | None = None,
                   ) -> dict[str, float]:
    """Each fuel's value in ``year`` (linear interpolation, clamped at the listed ends).

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`read_carbon_factors` or :func:`read_fuel_prices`.
    year : int
    fuels : iterable of str, optional
        Fuels that must be present (default: those in the table).

    Returns
    -------
    dict
        Fuel -> value.

    Raises
    ------
    SourceFormatError
        When a fuel asked for has no rows; the message names the table and lists its fuels.
    """
    column = _value_column(table)
    fuel = table["fuel"].astype(str)
    listed = sorted(set(fuel))
    wanted = listed if fuels is None else list(dict.fromkeys(fuels))
    unknown = [f for f in wanted if f not in listed]
    if unknown:
        problems = Problems(table.attrs.get("path"), sheet=column)
        for missing in unknown:
            problems.add(f"no rows for fuel {missing!r}; the table lists {listed}",
                         column="fuel",
                         fix=f"add rows for {missing!r} with a source, or use one of {listed}")
        problems.raise_if_any(SourceFormatError)
    # plain arrays: each fuel's pick and sort as frames deep-copied the table's attrs again
    years = table["year"].to_numpy(dtype=float)
    values = table[column].to_numpy(dtype=float)
    names = fuel.to_numpy(dtype=object)
    if _maybe_repeated(names, years, wanted):
        _refuse_repeated_years(table, wanted)
    out = {}
    for name in wanted:
        mine = np.flatnonzero(names == name)
        order = mine[np.argsort(years[mine], kind="stable")]
        out[name] = float(np.interp(float(year), years[order], values[order]))
    return out


def _maybe_repeated(names: np.ndarray, years: np.ndarray, fuels: list[str]) -> bool:
    """Whether some fuel of ``fuels`` may be listed twice for a year (or lacks a year).

    A set of pairs, called for every year a plan asks about: the frame check
    (:func:`_refuse_repeated_years`) that words the error runs only when this says so.
    """
    mine = np.isin(names, fuels)
    pairs = list(zip(names[mine], years[mine], strict=True))
    return bool(np.isnan(years[mine]).any()) or len(set(pairs)) < len(pairs)


def _refuse_repeated_years(table: pd.DataFrame, fuels: list[str]) -> None:
    """Refuse a fuel listed twice for a year (e.g. two carbon factor bases): no one value."""
    mine = table[table["fuel"].astype(str).isin(fuels)]
    repeated = mine[mine.duplicated(["fuel", "year"], keep=False)]
    if len(repeated):
        fuel, year = repeated.iloc[0][["fuel", "year"]]
        bases = sorted(set(repeated["basis"].astype(str))) if "basis" in repeated else []
        raise SourceFormatError(f"{_name(table)}: fuel {fuel!r} has {len(repeated)} rows for "
                                f"year {year} and others (bases {bases}) (fix: keep one basis "
                                "with carbon_factors_for(table, basis))")


def carbon_factor(fuel: str, year: int, table: pd.DataFrame | None = None) -> float:
    """kgCO2e per kWh of ``fuel`` in ``year``.

    Parameters
    ----------
    fuel : str
        One of :data:`ENERGY_FUELS` (or another fuel the table lists).
    year : int
    table : pandas.DataFrame, optional
        A carbon factor table; the shipped one when None.

    Raises
    ------
    SourceFormatError
        When the table has no rows for ``fuel``.

    Examples
    --------
    >>> t = pd.DataFrame({"year": [2020, 2030], "fuel": ["electricity"] * 2,
    ...                   "kgco2e_per_kwh": [0.2, 0.1]})
    >>> round(carbon_factor("electricity", 2025, t), 3), carbon_factor("electricity", 2040, t)
    (0.15, 0.1)
    """
    table = read_carbon_factors() if table is None else table
    return values_in_year(table, year, [fuel])[fuel]


def fuel_price(fuel: str, year: int, table: pd.DataFrame | None = None) -> float:
    """Pence per kWh of ``fuel`` in ``year`` (see :func:`carbon_factor`)."""
    table = read_fuel_prices() if table is None else table
    return values_in_year(table, year, [fuel])[fuel]


def energy_fuel(system: pd.Series) -> pd.Series:
    """Map EPC heating systems or main fuels to :data:`ENERGY_FUELS` (unknown -> mains gas).

    Examples
    --------
    >>> energy_fuel(pd.Series(["heat pump", "LPG", None])).tolist()
    ['electricity', 'lpg', 'mains_gas']
    """
    if not isinstance(system, pd.Series):  # an Index, say: the rule on every cell
        return _energy_fuel(system)
    return each_distinct(system, _energy_fuel)


def _energy_fuel(system: pd.Series) -> pd.Series:
    return system.astype(object).map(FUEL_OF_SYSTEM).fillna("mains_gas").astype(str)
