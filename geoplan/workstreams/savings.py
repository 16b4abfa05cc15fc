r"""What a change to a home's heating saves: carbon, bills and winter peak load.

For a home with heat demand :math:`Q` (kWh/yr delivered), current heating efficiency
:math:`\eta` (``epc_heat.csv``, by heating system) and fuel :math:`f`, a change that keeps
a share :math:`1 - s` of the heat demand and may switch to fuel :math:`f'` with seasonal
efficiency :math:`\eta'` (a heat pump's SCOP):

.. math::

    E_0 = Q / \eta, \qquad E_1 = (1 - s)\,Q / \eta', \qquad
    \Delta\text{CO}_2 = (E_0\,k_f - E_1\,k_{f'}) / 1000, \qquad
    \Delta\text{bill} = (E_0\,p_f - E_1\,p_{f'}) / 100

with carbon factors :math:`k` (kgCO2e/kWh) and prices :math:`p` (pence/kWh) in the chosen
year (:mod:`~geoplan.workstreams.energy`); without a switch :math:`f' = f`,
:math:`\eta' = \eta`. A switch also changes the standing charges a home pays
(``standing_charges.csv``, :data:`STANDING_CHARGES`, pence per day :math:`c`):

.. math::

    \Delta\text{standing} = 365\,(c_f - c_{f'}) / 100

with :math:`c` = 0 for a fuel the table does not list (electricity is paid either way; oil,
LPG and solid fuels have none), so a home leaving gas saves the gas standing charge and a
home joining a heat network pays the network's. It is part of :math:`\Delta\text{bill}`,
which is signed: a change that raises the bill (a heat pump with a poor SCOP replacing gas)
gives a negative saving, shown as such and never floored at zero.

The winter peak added at the substation is the after-diversity load
of the new system (``heat_loads.csv``) less the load the old heating drew at the evening
peak (:func:`relieved_kw`): ``electric_resistance`` for a home heated by direct-acting
electric heaters, ``storage_heaters`` (0: charged overnight off-peak) for a home on storage
heaters, and the storage figure too when the kind of electric heating is not recorded
(``storage_heaters`` missing: Census "electric" homes, certificates without a main heating
description), so no peak relief is counted that the data cannot show. Fabric measures add 0
(their relief of electrically heated homes' peak is left out, a cautious simplification).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np
import pandas as pd

from geoplan.assumptions import AssumptionTable, read_assumptions
from geoplan.distinct import each_distinct, map_distinct
from geoplan.errors import Problems, SourceFormatError
from geoplan.layers.buildings import HEAT_FACTORS
from geoplan.workstreams.energy import ENERGY_FUELS, energy_fuel, values_in_year

__all__ = ["HEAT_LOADS", "LOADS", "STANDING_CHARGES", "heating_efficiency", "read_heat_loads",
           "read_standing_charges", "relieved_kw", "standing_change", "switch_effects"]

PathLike = str | os.PathLike[str]

LOADS = ("heat_pump", "electric_resistance", "storage_heaters", "heat_network", "rooftop_pv")
"""Loads of the heat loads table."""

HEAT_LOADS = AssumptionTable("heat_loads", key=("load",), numbers={"kw_per_home": 0.0})
"""After-diversity winter peak per home (``layers/assumptions/heat_loads.csv``)."""

STANDING_CHARGES = AssumptionTable(
    "standing_charges", key=("fuel",), numbers={"pence_per_day": 0.0},
    optional_numbers={"pence_per_day_low": 0.0, "pence_per_day_high": 0.0})
"""Standing charge per home and day of the fuels that have one, beyond electricity
(``layers/assumptions/standing_charges.csv``)."""

DAYS_PER_YEAR = 365
"""Days of standing charge in a year."""


def read_heat_loads(path: PathLike | None = None) -> pd.DataFrame:
    """Read and check the heat loads table.

    Raises
    ------
    SourceFormatError
        For an unknown load name or any problem :func:`read_assumptions` finds.
    """
    table = read_assumptions(HEAT_LOADS, path)
    problems = Problems(table.attrs["path"], sheet=HEAT_LOADS.name)
    for index in table.index[~table["load"].isin(LOADS)]:
        problems.add(f"unknown load {table.loc[index, 'load']!r}", row=int(index) + 2,
                     column="load", fix=f"use one of {list(LOADS)}")
    problems.raise_if_any(SourceFormatError)
    return table


def read_standing_charges(path: PathLike | None = None) -> pd.DataFrame:
    """Read and check the standing charge table.

    Raises
    ------
    SourceFormatError
        For a fuel geoplan does not know, electricity (paid whether or not a home switches,
        so it must not be listed) or any problem :func:`read_assumptions` finds.
    """
    table = read_assumptions(STANDING_CHARGES, path)
    problems = Problems(table.attrs["path"], sheet=STANDING_CHARGES.name)
    for index in table.index[~table["fuel"].isin(ENERGY_FUELS)]:
        problems.add(f"unknown fuel {table.loc[index, 'fuel']!r}", row=int(index) + 2,
                     column="fuel", fix=f"use one of {list(ENERGY_FUELS)}")
    for index in table.index[table["fuel"] == "electricity"]:
        problems.add("electricity is listed, but every home pays its standing charge before "
                     "and after a switch", row=int(index) + 2, column="fuel",
                     fix="remove the electricity row")
    problems.raise_if_any(SourceFormatError)
    return table


def standing_change(old_fuels: pd.Series | np.ndarray, new_fuels: pd.Series | np.ndarray,
                    table: pd.DataFrame | None) -> np.ndarray:
    """Standing charges saved per home and year, £ (negative: the home pays more).

    Parameters
    ----------
    old_fuels, new_fuels : array-like of str
        Fuels (:data:`~geoplan.workstreams.energy.ENERGY_FUELS`) before and after.
    table : pandas.DataFrame or None
        :func:`read_standing_charges`; None counts no standing charges.

    Examples
    --------
    >>> t = pd.DataFrame({"fuel": ["mains_gas", "heat_network"], "pence_per_day": [30.0, 50.0]})
    >>> standing_change(np.array(["mains_gas", "oil"]), np.array(["electricity", "heat_network"]),
    ...                 t).round(2).tolist()
    [109.5, -182.5]
    """
    old = pd.Series(np.asarray(old_fuels, dtype=object))
    new = pd.Series(np.asarray(new_fuels, dtype=object))
    if table is None:
        return np.zeros(len(old))
    per_day = dict(zip(table["fuel"].astype(str), table["pence_per_day"].astype(float),
                       strict=True))
    before = map_distinct(old, per_day).fillna(0.0).to_numpy(float)
    after = map_distinct(new, per_day).fillna(0.0).to_numpy(float)
    return np.where(old.to_numpy() == new.to_numpy(), 0.0,
                    DAYS_PER_YEAR * (before - after) / 100)


def load_kw(table: pd.DataFrame, load: str) -> float:
    """Return the kW per home of ``load`` (``SourceFormatError`` naming the table if absent)."""
    rows = table[table["load"] == load]
    if rows.empty:
        raise SourceFormatError(f"{table.attrs.get('path', 'heat_loads')}: no row for load "
                                f"{load!r} (fix: add it with a source; loads: {list(LOADS)})")
    return float(rows["kw_per_home"].iloc[0])


def relieved_kw(homes: pd.DataFrame, loads: pd.DataFrame) -> np.ndarray:
    """Evening peak each home's current heating draws, freed when it is replaced (kW).

    ``electric_resistance`` for homes heated by direct-acting electric heaters
    (``heating_system`` electricity and ``storage_heaters`` False), ``storage_heaters`` for
    storage heaters and for electric homes whose heater kind is not recorded, 0 for every
    other home (module docstring).
    """
    return _relieved(_system(homes), homes, loads)


def _relieved(system: pd.Series, homes: pd.DataFrame, loads: pd.DataFrame) -> np.ndarray:
    """:func:`relieved_kw` of homes whose current heating (:func:`_system`) is given."""
    electric = (system == "electricity").to_numpy()
    if "storage_heaters" in homes.columns:
        storage = homes["storage_heaters"].astype("boolean")
        direct = storage.eq(False).fillna(False).to_numpy(dtype=bool)
    else:
        direct = np.zeros(len(homes), dtype=bool)
    return np.where(electric & direct, load_kw(loads, "electric_resistance"),
                    np.where(electric, load_kw(loads, "storage_heaters"), 0.0))


def _system(homes: pd.DataFrame) -> pd.Series:
    column = "heating_system" if "heating_system" in homes.columns else "main_fuel"
    return each_distinct(homes[column], _known)


def _known(system: pd.Series) -> pd.Series:
    return system.astype(object).fillna("unknown").astype(str)


def heating_efficiency(homes: pd.DataFrame, heat_factors: pd.DataFrame | None = None
                       ) -> np.ndarray:
    """Heat delivered per kWh bought of each home's current heating (``epc_heat.csv``)."""
    return _efficiency(_system(homes), heat_factors)


def _efficiency(system: pd.Series, heat_factors: pd.DataFrame | None) -> np.ndarray:
    """:func:`heating_efficiency` of homes whose current heating (:func:`_system`) is given."""
    factors = read_assumptions(HEAT_FACTORS) if heat_factors is None else heat_factors
    rows = factors[factors["quantity"] == "efficiency"]
    table = dict(zip(rows["item"], rows["value"].astype(float), strict=True))
    fallback = table.get("other", table.get("unknown", 0.84))
    return map_distinct(system, table).fillna(fallback).to_numpy(float)


def _by_fuel(table: pd.DataFrame, year: int, fuels: tuple[np.ndarray, list[str]]) -> np.ndarray:
    codes, names = fuels
    values = values_in_year(table, year, names) if names else {}
    return np.array([values[f] for f in names] or [0.0])[codes]


def _coded(fuels: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Codes of each home's fuel (never missing) and the fuels' names."""
    codes, names = pd.factorize(fuels)
    return codes, [str(n) for n in names]


def _standing_saved(fuels: tuple[np.ndarray, list[str]], new_fuel: str,
                    table: pd.DataFrame | None) -> np.ndarray:
    """:func:`standing_change` of each home switching to ``new_fuel``, once per fuel."""
    codes, names = fuels
    per_fuel = standing_change(np.array(names, dtype=object),
                               np.full(len(names), new_fuel, dtype=object), table)
    return np.append(per_fuel, np.nan)[codes]  # a missing fuel (never: energy_fuel fills)


SWITCH_COLUMNS = ("heat_demand_kwh", "heating_system", "main_fuel", "storage_heaters")
"""The homes' columns :func:`switch_effects` reads (those present): a caller may pass only
these (a selection of homes then copies no other column)."""


def switch_effects(homes: pd.DataFrame, saving_share: np.ndarray, *, year: int,
                   carbon: pd.DataFrame, prices: pd.DataFrame, loads: pd.DataFrame,
                   heat_factors: pd.DataFrame | None = None, new_fuel: str | None = None,
                   scop: np.ndarray | float | None = None, load: str | None = None,
                   years: Iterable[int] = (), standing: pd.DataFrame | None = None
                   ) -> pd.DataFrame:
    """Carbon, bill and peak effects of a change to each home (module docstring).

    Parameters
    ----------
    homes : pandas.DataFrame
        Buildings with ``heat_demand_kwh`` and ``heating_system`` (else ``main_fuel``).
    saving_share : array-like
        Share of each home's heat demand saved by fabric measures.
    year : int
        Year of carbon factors and prices for ``tco2e_per_yr`` and bills.
    carbon, prices, loads : pandas.DataFrame
        Carbon factor, fuel price and heat load tables.
    heat_factors : pandas.DataFrame, optional
        ``epc_heat.csv`` (current heating efficiencies).
    new_fuel, scop, load : optional
        For a heating switch: the new fuel, its heat per kWh bought, its ``heat_loads`` row.
    years : iterable of int
        Also give ``tco2e_per_yr_<year>`` for these years.
    standing : pandas.DataFrame, optional
        :func:`read_standing_charges`, for the standing charges a switch saves or adds
        (None: none counted).

    Returns
    -------
    pandas.DataFrame
        ``heat_kwh``, ``heat_saved_kwh``, ``tco2e_per_yr`` (signed: negative where the change
        raises the home's emissions), ``tco2e_change_per_yr`` (the same, kept by name),
        ``standing_change_gbp_per_yr`` (signed standing charges saved),
        ``bill_change_gbp_per_yr`` (signed, standing charges included; positive is a saving),
        ``peak_kw_added`` and the trajectory columns, aligned with ``homes``.
    """
    heat = np.nan_to_num(pd.to_numeric(homes["heat_demand_kwh"], errors="coerce")
                         .to_numpy(float))
    share = np.nan_to_num(np.asarray(saving_share, dtype=float))
    system = _system(homes)  # read once for the efficiency, the fuels and the peak relieved
    eta = _efficiency(system, heat_factors)
    old = _coded(energy_fuel(system))
    new = old if new_fuel is None else (np.zeros(len(homes), dtype=np.intp), [new_fuel])
    eta_new = eta if new_fuel is None else np.asarray(scop, dtype=float) * np.ones(len(homes))
    before, after = heat / eta, heat * (1 - share) / eta_new

    def change(table: pd.DataFrame, when: int) -> np.ndarray:
        return before * _by_fuel(table, when, old) - after * _by_fuel(table, when, new)

    out = pd.DataFrame(index=homes.index)
    out["heat_kwh"] = heat * (1 - share)
    out["heat_saved_kwh"] = heat * share
    carbon_change = change(carbon, year) / 1000
    # signed: a switch that raises a home's emissions (e.g. from wood to a heat pump on a
    # grid still carbon-heavy) counts against its option, never as zero
    out["tco2e_per_yr"] = carbon_change
    out["tco2e_change_per_yr"] = carbon_change
    standing_saved = (np.zeros(len(homes)) if new_fuel is None
                      else _standing_saved(old, new_fuel, standing))
    out["standing_change_gbp_per_yr"] = standing_saved
    out["bill_change_gbp_per_yr"] = change(prices, year) / 100 + standing_saved
    peak = np.zeros(len(homes))
    if load is not None:
        peak = load_kw(loads, load) - _relieved(system, homes, loads)
    out["peak_kw_added"] = peak
    for when in years:
        out[f"tco2e_per_yr_{when}"] = change(carbon, when) / 1000
    return out
