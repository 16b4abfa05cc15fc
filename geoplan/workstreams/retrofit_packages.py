r"""Per-home retrofit packages and what they save, vectorised over every home.

For each home :math:`i` with SAP score :math:`S_i`, heat demand :math:`Q_i` (kWh/yr, space and
water heat delivered, from :func:`geoplan.layers.buildings.heat_demand`) and floor area :math:`A_i`,
and each subset :math:`P` of the fabric measures that apply to it (at most one per
``exclusive_group``):

.. math::

    c_i(P) = \sum_{m \in P} c_{im}, \qquad
    S_i(P) = S_i + \sum_{m \in P} g_{im}, \qquad
    Q_i(P) = Q_i \prod_{m \in P} (1 - s_{im})

with costs :math:`c`, SAP points :math:`g` and heat demand saving shares :math:`s` from
``retrofit_measures.csv``. Every subset is evaluated at once as matrix products
(homes x measures) @ (measures x subsets), in chunks of homes.

* **Target package**: the cheapest :math:`P` with :math:`S_i(P) \ge` the target band's least
  SAP (:data:`SAP_BAND_MIN`); empty for a home already there; none when no subset reaches it.
* **Heat pump package**: the air-source heat pump plus the cheapest :math:`P` that makes the
  home heat-pump ready, :math:`Q_i(P)/A_i \le` ``ready_max_kwh_per_m2`` (``heat_pathways.csv``),
  and that also reaches the target band with the heat pump's SAP points when any ready
  subset does. Only for homes the heat pump row applies to (e.g. not already on one).

Ties go to the subset with fewer measures, then to the measure order of the table.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoplan.errors import ScenarioError
from geoplan.schemas import EPC_BANDS
from geoplan.workstreams.measures import MeasureMatrices, measure_matrices

__all__ = ["HEAT_PUMP", "PACKAGE_COLUMNS", "SAP_BAND_MIN", "floor_area_fallback", "home_packages",
           "priced_floor_areas", "target_sap"]

SAP_BAND_MIN = {"A": 92, "B": 81, "C": 69, "D": 55, "E": 39, "F": 21, "G": 1}
"""Least SAP score of each EPC band (BRE for DESNZ, SAP 10.2 (2023), Table 14; unchanged
since SAP 2009)."""

HEAT_PUMP = "air_source_heat_pump"
"""The measure used for heat pump packages."""

PACKAGE_COLUMNS = (
    "target_measures", "target_cost_gbp", "target_sap", "target_saving_share",
    "target_lifetime_years", "needs_work", "reaches_target",
    "hp_applicable", "hp_measures", "hp_cost_gbp", "hp_sap", "hp_saving_share",
    "hp_lifetime_years", "hp_reaches_target",
)
"""Columns of :func:`home_packages`."""

_CHUNK = 8_192
BLOCK = 131_072
"""Homes whose measure matrices are held at once (about 0.4 MiB per 1,000 homes with the
shipped nine measures)."""


def target_sap(band: str) -> int:
    """Least SAP score of ``band`` (A-G).

    Raises
    ------
    ScenarioError
        For an unknown band (the message lists the bands).
    """
    if band not in SAP_BAND_MIN:
        raise ScenarioError(f"target_band {band!r} is not an EPC band; use one of "
                            f"{list(EPC_BANDS)}")
    return SAP_BAND_MIN[band]


@dataclass(frozen=True)
class _Subsets:
    bits: np.ndarray            # fabric measures x subsets (0/1)
    masks: np.ndarray           # per subset, bit k set when fabric measure k is in it
    labels: np.ndarray          # "+"-joined measure names per subset


def _subsets(mats: MeasureMatrices, fabric: list[int]) -> _Subsets:
    columns, labels = [], []
    for size in range(len(fabric) + 1):
        for combo in itertools.combinations(range(len(fabric)), size):
            groups = [mats.groups[fabric[k]] for k in combo if mats.groups[fabric[k]]]
            if len(groups) != len(set(groups)):
                continue
            column = np.zeros(len(fabric))
            column[list(combo)] = 1.0
            columns.append(column)
            labels.append("+".join(mats.names[fabric[k]] for k in combo))
    bits = np.column_stack(columns)
    masks = (bits.T * (1 << np.arange(len(fabric)))).sum(axis=1).astype(np.int64)
    return _Subsets(bits, masks, np.array(labels, dtype=object))


def home_packages(homes: pd.DataFrame, measures: pd.DataFrame, *, target_band: str = "C",
                  ready_max_kwh_per_m2: float = 150.0, loft: pd.DataFrame | None = None,
                  floor_area_fallback: float | None = None, warn: bool = True
                  ) -> pd.DataFrame:
    """Find each home's target package and heat pump package (module docstring).

    Parameters
    ----------
    homes : pandas.DataFrame
        Buildings (``sap_score``, ``heat_demand_kwh``, ``floor_area_m2``, ``property_type``
        and the columns the measures test).
    measures : pandas.DataFrame
        From :func:`~geoplan.workstreams.measures.read_retrofit_measures`.
    target_band : str
    ready_max_kwh_per_m2 : float
    loft : pandas.DataFrame, optional
        The ``loft_insulation`` table: loft savings by existing depth (see
        :func:`~geoplan.workstreams.measures.measure_matrices`).
    floor_area_fallback : float, optional
        The floor area of a home without one (default: :func:`floor_area_fallback` of
        ``homes``; give that of all the homes when ``homes`` is a part of them).
    warn : bool
        Whether to warn of a column the measures test that ``homes`` lacks.

    Returns
    -------
    pandas.DataFrame
        :data:`PACKAGE_COLUMNS`, aligned with ``homes``; costs in GBP, ``*_saving_share`` the
        share of heat demand the fabric saves, lifetimes cost-weighted over the measures.
        ``hp_*`` are missing where ``hp_applicable`` is False.
    """
    threshold = target_sap(target_band)
    homes = homes.assign(floor_area_m2=priced_floor_areas(homes, floor_area_fallback))
    sap = pd.to_numeric(homes["sap_score"], errors="coerce").to_numpy(float)
    heat = np.nan_to_num(pd.to_numeric(homes["heat_demand_kwh"], errors="coerce")
                         .to_numpy(float))
    intensity = heat / homes["floor_area_m2"].to_numpy(float)
    out: dict[str, np.ndarray] = {}
    warned: set[str] = set()
    # the measure matrices (homes x measures, six of them) of one block of homes at a time
    for first in range(0, max(len(homes), 1), BLOCK):
        mats = measure_matrices(homes.iloc[first:first + BLOCK], measures, loft,
                                warned=warned, warn=warn)
        subsets = _fill(out, mats, first, sap, intensity, threshold, ready_max_kwh_per_m2,
                        len(homes))
    return _package_table(out, subsets, homes.index)


def _fill(out: dict[str, np.ndarray], mats: MeasureMatrices, first: int, sap: np.ndarray,
          intensity: np.ndarray, threshold: float, ready_max: float, n: int) -> _Subsets:
    """Write the packages of one block of homes into ``out`` (arrays over all ``n`` homes).

    ``mats`` are the block's measure matrices and ``first`` the position of its first home;
    returns the fabric subsets (the table's, the same for every block).
    """
    fabric = [j for j, kind in enumerate(mats.kinds) if kind == "fabric"]
    hp = mats.index(HEAT_PUMP)
    subsets = _subsets(mats, fabric)
    owned = (mats.applicable[:, fabric] * (1 << np.arange(len(fabric)))).sum(axis=1)
    for mask in np.unique(owned):
        # Only subsets of the measures these homes can have: 2^k columns, not 2^|fabric|.
        cols = np.flatnonzero((subsets.masks & ~np.int64(mask)) == 0)
        members = np.flatnonzero(owned == mask)
        for start in range(0, len(members), _CHUNK):
            idx = members[start:start + _CHUNK]
            rows = idx + first
            part = _chunk(mats, fabric, hp, subsets.bits[:, cols], idx, sap[rows],
                          intensity[rows], threshold, ready_max)
            for pick in ("target_pick", "hp_pick"):
                part[pick] = np.where(part[pick] >= 0, cols[np.maximum(part[pick], 0)], -1)
            for key, values in part.items():
                out.setdefault(key, np.empty(n, dtype=values.dtype))[rows] = values
    return subsets


def _package_table(out: dict[str, np.ndarray], subsets: _Subsets, index: pd.Index
                   ) -> pd.DataFrame:
    if not out:
        return pd.DataFrame(columns=list(PACKAGE_COLUMNS), index=index)
    labels = np.append(subsets.labels, "")
    hp_labels = np.array([f"{x}+{HEAT_PUMP}" if x else HEAT_PUMP for x in subsets.labels] + [""],
                         dtype=object)
    columns = {key: values for key, values in out.items() if not key.endswith("_pick")}
    columns["target_measures"] = labels[out["target_pick"]]
    columns["hp_measures"] = hp_labels[np.where(out["hp_applicable"], out["hp_pick"], -1)]
    # built once, in order, of the arrays themselves (they belong to nothing else)
    return pd.DataFrame({name: columns[name] for name in PACKAGE_COLUMNS}, index=index,
                        copy=False)


def priced_floor_areas(homes: pd.DataFrame, fallback: float | None = None) -> pd.Series:
    """Each home's floor area as the packages price it (m2).

    A home without a floor area above 0 takes ``fallback``, by default
    :func:`floor_area_fallback` of ``homes``, so the homes given decide it: a run gives the
    homes it plans (every zoned home).

    Examples
    --------
    >>> priced_floor_areas(pd.DataFrame({"floor_area_m2": [50.0, None, 0.0, 90.0]})).tolist()
    [50.0, 50.0, 50.0, 90.0]
    """
    area = pd.to_numeric(homes["floor_area_m2"], errors="coerce")
    if fallback is None:
        fallback = floor_area_fallback(homes)
    return area.where(area > 0, fallback).astype(float)


def floor_area_fallback(homes: pd.DataFrame) -> float:
    """Return the floor area priced for a home without one: the median of ``homes`` (else 80).

    Examples
    --------
    >>> floor_area_fallback(pd.DataFrame({"floor_area_m2": [50.0, None, 0.0, 90.0]}))
    50.0
    """
    area = pd.to_numeric(homes["floor_area_m2"], errors="coerce")
    return float(area.median()) if area.notna().any() else 80.0


def _chunk(mats: MeasureMatrices, fabric: list[int], hp: int, bits: np.ndarray,
           rows: np.ndarray, sap: np.ndarray, intensity: np.ndarray, threshold: float,
           ready_max: float) -> dict[str, np.ndarray]:
    cost_m = mats.cost[rows][:, fabric]
    sap_m = mats.sap[rows][:, fabric]
    log_keep = np.log1p(-mats.saving[rows][:, fabric])
    cost = cost_m @ bits
    gain = sap_m @ bits
    with np.errstate(divide="ignore", invalid="ignore"):
        room = np.log(ready_max) - np.log(intensity)
    ready = (log_keep @ bits) <= np.nan_to_num(room, nan=np.inf)[:, None]
    target = _cheapest(cost, gain >= (threshold - sap)[:, None])
    hp_gain = mats.sap[rows][:, hp]
    both = ready & (gain >= (threshold - sap - hp_gain)[:, None])
    pick_hp = np.where(both.any(axis=1), _cheapest(cost, both), _cheapest(cost, ready))
    hp_ok = mats.applicable[rows][:, hp] & (pick_hp >= 0)
    has_target = target >= 0

    def at(matrix: np.ndarray, pick: np.ndarray, ok: np.ndarray) -> np.ndarray:
        values = np.einsum("ij,ji->i", matrix, bits[:, np.maximum(pick, 0)])
        return np.where(ok, values, np.nan)

    life_m = cost_m * mats.lifetime[rows][:, fabric]
    hp_cost, hp_life = mats.cost[rows][:, hp], mats.lifetime[rows][:, hp]
    total = at(cost_m, pick_hp, hp_ok) + hp_cost
    hp_sap = sap + at(sap_m, pick_hp, hp_ok) + hp_gain
    return {
        "target_pick": target,
        "target_cost_gbp": at(cost_m, target, has_target),
        "target_sap": sap + at(sap_m, target, has_target),
        "target_saving_share": 1 - np.exp(at(log_keep, target, has_target)),
        "target_lifetime_years": _ratio(at(life_m, target, has_target),
                                        at(cost_m, target, has_target)),
        "needs_work": sap < threshold,
        "reaches_target": has_target,
        "hp_applicable": hp_ok,
        "hp_pick": pick_hp,
        "hp_cost_gbp": total,
        "hp_sap": hp_sap,
        "hp_saving_share": 1 - np.exp(at(log_keep, pick_hp, hp_ok)),
        "hp_lifetime_years": _ratio(at(life_m, pick_hp, hp_ok) + hp_cost * hp_life, total),
        "hp_reaches_target": hp_ok & (hp_sap >= threshold),
    }


def _cheapest(cost: np.ndarray, ok: np.ndarray) -> np.ndarray:
    masked = np.where(ok, cost, np.inf)
    pick = masked.argmin(axis=1)
    return np.where(ok.any(axis=1), pick, -1)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / denominator, 0.0)
