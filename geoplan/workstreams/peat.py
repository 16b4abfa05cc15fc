r"""Peat restoration by condition, with the additionality rule.

Restoring peat avoids emissions; it removes nothing. What it avoids depends on the peat's
current condition, so ``layers/assumptions/peat_conditions.csv`` (:data:`PEAT_CONDITIONS`)
gives per lowland peat condition category its emission :math:`E_c` and the emission once
restored (rewetted) :math:`E_r`, both in tCO2e/ha/yr with low/high bounds, and whether the
condition is ``degraded``.

**Additionality rule.** A ``peat_restoration`` parcel is a candidate only when its current
condition is known and degraded: the land layer's ``peat_condition`` column, else the
scenario's ``workstreams.sequestration.peat_condition`` for parcels that have none. Peat of
unknown, rewetted or near-natural condition is not offered (restoring it would not change
its emissions, or nothing shows that it would); :func:`peat_rates` counts what it leaves out.

**Rate.** An offered parcel avoids :math:`(E_c - E_r)` tCO2e/ha/yr from the year restored
(flat, no time profile), before the sequestration table's deductions.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoplan.assumptions import AssumptionTable, read_assumptions
from geoplan.errors import Problems, SourceFormatError

__all__ = ["PEAT", "PEAT_CONDITIONS", "PeatRates", "peat_rates", "read_peat_conditions"]

PEAT = "peat_restoration"
"""The land use whose rate comes from the peat's condition."""

PEAT_CONDITIONS = AssumptionTable(
    "peat_conditions", key=("condition",),
    numbers={"degraded": 0.0, "emission_tco2e_per_ha_yr": None,
             "emission_tco2e_per_ha_yr_low": None, "emission_tco2e_per_ha_yr_high": None,
             "restored_tco2e_per_ha_yr": None, "restored_tco2e_per_ha_yr_low": None,
             "restored_tco2e_per_ha_yr_high": None})
"""Per peat condition: degraded (0/1), emission now and once restored (tCO2e/ha/yr)."""


def read_peat_conditions(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Read and check the peat condition table (the shipped one when ``path`` is None).

    Raises
    ------
    SourceFormatError
        Besides the shared checks: ``degraded`` not 0 or 1, or a degraded condition whose
        emission is not above its restored emission (named by row).
    """
    table = read_assumptions(PEAT_CONDITIONS, path)
    problems = Problems(table.attrs["path"], sheet=PEAT_CONDITIONS.name)
    for index, row in table.iterrows():
        line = int(str(index)) + 2
        if row["degraded"] not in (0.0, 1.0):
            problems.add(f"{row['degraded']:g} is not 0 or 1", row=line, column="degraded",
                         fix="write 1 for degraded peat, 0 otherwise")
        elif row["degraded"] == 1 and \
                row["emission_tco2e_per_ha_yr"] <= row["restored_tco2e_per_ha_yr"]:
            problems.add(f"emission {row['emission_tco2e_per_ha_yr']:g} is not above the "
                         f"restored {row['restored_tco2e_per_ha_yr']:g}", row=line,
                         column="emission_tco2e_per_ha_yr",
                         fix="a degraded condition emits more than restored peat")
    problems.raise_if_any(SourceFormatError)
    return table


@dataclass(frozen=True)
class PeatRates:
    """What :func:`peat_rates` found for the peat parcels.

    Attributes
    ----------
    offered : numpy.ndarray
        Per parcel: False for peat parcels the additionality rule leaves out (True for every
        other parcel).
    rate : numpy.ndarray
        Avoided tCO2e/ha/yr of offered peat parcels (NaN for other land uses).
    condition : numpy.ndarray
        The condition used ("" for other land uses or when unknown).
    left_out : dict of str to float
        Reason -> hectares of peat not offered.
    """

    offered: np.ndarray
    rate: np.ndarray
    condition: np.ndarray
    left_out: dict[str, float]


def peat_rates(uses: np.ndarray, area: np.ndarray, given: pd.Series | None,
               default: str | None, table: pd.DataFrame) -> PeatRates:
    """Apply the additionality rule and the condition's rate (module docstring).

    Parameters
    ----------
    uses, area : numpy.ndarray
        Each parcel's land use and hectares.
    given : pandas.Series or None
        The land layer's ``peat_condition`` column (blank: unknown), if it has one.
    default : str or None
        Condition of peat parcels with none given (None: they stay unknown).
    table : pandas.DataFrame
        From :func:`read_peat_conditions`.

    Examples
    --------
    >>> table = pd.DataFrame({"condition": ["drained", "near_natural"], "degraded": [1.0, 0.0],
    ...                       "emission_tco2e_per_ha_yr": [20.0, 3.0],
    ...                       "restored_tco2e_per_ha_yr": [3.0, 3.0]})
    >>> found = peat_rates(np.array(["peat_restoration"] * 3 + ["hedgerow"]), np.ones(4),
    ...                    pd.Series(["drained", "near_natural", "", ""]), None, table)
    >>> found.offered.tolist(), float(found.rate[0]), found.left_out
    ([True, False, False, True], 17.0, {'not degraded': 1.0, 'condition unknown': 1.0})
    """
    peat = uses.astype(str) == PEAT
    text = (given.fillna("").astype(str).str.strip().str.lower().to_numpy(dtype=object)
            if given is not None else np.full(len(uses), "", dtype=object))
    if default is not None:
        text = np.where(text == "", default.strip().lower(), text)
    known = table.assign(condition=table["condition"].astype(str).str.strip().str.lower()) \
        .set_index("condition")
    degraded = np.array([c in known.index and known.loc[c, "degraded"] == 1 for c in text])
    offered = ~peat | degraded
    saved = (known["emission_tco2e_per_ha_yr"] - known["restored_tco2e_per_ha_yr"]).astype(float)
    rate = np.where(peat & degraded, pd.Series(text).map(saved).to_numpy(float), np.nan)
    reasons = np.where(text == "", "condition unknown",
                       np.where([c in known.index for c in text], "not degraded",
                                "condition not in the table"))
    left_out: dict[str, float] = {}
    for reason, ha in zip(reasons[peat & ~degraded], area[peat & ~degraded], strict=True):
        left_out[str(reason)] = left_out.get(str(reason), 0.0) + float(ha)
    return PeatRates(offered, rate, np.where(peat, text, ""), left_out)
