"""What each synthetic home is like: type, age, walls, roof, heating, size and energy rating.

Attributes are drawn per home from probabilities that depend on whether it lies in a town
and how old it is (older homes: solid walls, less loft insulation; rural homes: more often
detached and off the gas grid, heated by oil or electricity). A latent efficiency score built
from those attributes ranks the homes; bands are then cut at the ranks that reproduce the
county's band mix (:data:`BAND_SHARES`), and each home's SAP score is spread inside its band,
so bands, SAP scores and descriptions agree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["AGE_BANDS", "BAND_SHARES", "SAP_RANGES", "band_of", "dwellings_from_homes"]

AGE_BANDS = ("before 1900", "1900-1929", "1930-1949", "1950-1966", "1967-1975", "1976-1982",
             "1983-1990", "1991-1995", "1996-2002", "2003-2006", "2007-2011", "2012 onwards")
"""RdSAP construction age bands for England and Wales, oldest first."""

_AGE_URBAN = np.array([8, 10, 12, 14, 10, 6, 7, 4, 8, 6, 7, 8], dtype=float)
_AGE_RURAL = np.array([17, 6, 6, 10, 10, 7, 8, 4, 8, 6, 7, 11], dtype=float)
_AGE_EFFECT = np.array([-12, -9, -6, -4, -3, -1, 1, 3, 5, 9, 13, 20], dtype=float)

BAND_SHARES = {"A": 0.003, "B": 0.017, "C": 0.35, "D": 0.40, "E": 0.16, "F": 0.05, "G": 0.02}
"""Target share of homes per current energy band (roughly the county's)."""

SAP_RANGES = {"A": (92, 97), "B": (81, 91), "C": (69, 80), "D": (55, 68), "E": (39, 54),
              "F": (21, 38), "G": (3, 20)}
"""SAP score range of each band (A is capped below 100)."""

_TYPES = ("House", "Flat", "Bungalow", "Maisonette")
_FORMS = ("Detached", "Semi-Detached", "Mid-Terrace", "End-Terrace", "Enclosed Mid-Terrace")
_FUELS = ("gas", "oil", "lpg", "electric", "heat pump", "wood", "community")
_FUEL_EFFECT = {"gas": 3, "oil": -6, "lpg": -9, "electric": -10, "heat pump": 8, "wood": -4,
                "community": 2}


def dwellings_from_homes(homes: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Draw the physical attributes and current energy rating of every home.

    Parameters
    ----------
    homes : pandas.DataFrame
        ``urban`` (bool) and ``district`` per home (see
        :class:`geoplan.sample.addresses.Addresses`).
    rng : numpy.random.Generator
        Random source.

    Returns
    -------
    pandas.DataFrame
        Index-aligned with ``homes``: ``property_type``, ``built_form``, ``age`` (index into
        :data:`AGE_BANDS`), ``fuel`` (one of ``gas``, ``oil``, ``lpg``, ``electric``,
        ``heat pump``, ``wood``, ``community``), ``mains_gas`` (bool), ``wall`` (``solid``,
        ``stone``, ``cavity_filled``, ``cavity_empty``, ``cavity_partial``, ``insulated``,
        ``solid_insulated``, ``timber``, ``modern``), ``loft_mm`` (-1: not a loft), ``glazing``,
        ``floor_area``, ``top_floor`` (bool), ``band``, ``sap``.
    """
    n = len(homes)
    urban = homes["urban"].to_numpy(bool)
    oxford = (homes["district"] == "E07000178").to_numpy()
    frame = pd.DataFrame(index=homes.index)
    frame["property_type"] = _property_type(urban, oxford, rng)
    frame["built_form"] = _built_form(urban, frame["property_type"].to_numpy(), rng)
    frame["age"] = _pick_rows(np.where(urban[:, None], _AGE_URBAN, _AGE_RURAL), rng)
    frame["mains_gas"] = rng.random(n) >= np.where(urban, 0.07, 0.42)
    frame["fuel"] = _fuel(frame, rng)
    west = (homes["district"] == "E07000181").to_numpy()
    frame["wall"] = _walls(frame["age"].to_numpy(), west & ~urban, rng)
    frame["top_floor"] = rng.random(n) < 0.35
    frame["loft_mm"] = _loft(frame, rng)
    frame["glazing"] = _glazing(frame["age"].to_numpy(), rng)
    frame["floor_area"] = _floor_area(frame, rng)
    frame["band"], frame["sap"] = _rating(frame, rng)
    return frame


def _pick_rows(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One index per row of ``weights`` (unnormalised probabilities)."""
    cumulative = np.cumsum(weights, axis=1)
    draw = rng.random(len(weights)) * cumulative[:, -1]
    return (cumulative < draw[:, None]).sum(axis=1)


def _property_type(urban: np.ndarray, oxford: np.ndarray,
                   rng: np.random.Generator) -> np.ndarray:
    weights = np.where(urban[:, None], [58, 28, 7, 7], [73, 7, 17, 3]).astype(float)
    weights[oxford] = [52, 37, 3, 8]
    return np.asarray(_TYPES)[_pick_rows(weights, rng)]


def _built_form(urban: np.ndarray, kind: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    weights = np.where(urban[:, None], [17, 35, 28, 17, 3], [48, 30, 12, 9, 1]).astype(float)
    flats = np.isin(kind, ("Flat", "Maisonette"))
    weights[flats] = [20, 20, 40, 18, 2]
    weights[kind == "Bungalow"] = [55, 35, 5, 5, 0]
    return np.asarray(_FORMS)[_pick_rows(weights, rng)]


def _fuel(frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    n = len(frame)
    flat = frame["property_type"].isin(("Flat", "Maisonette")).to_numpy()
    new = frame["age"].to_numpy() >= 10
    on_gas = np.tile([95.0, 0, 0, 3, 1, 0, 1], (n, 1))
    on_gas[flat] = [70, 0, 0, 24, 1, 0, 5]
    off_gas = np.tile([0.0, 46, 10, 30, 9, 5, 0], (n, 1))
    off_gas[flat] = [0, 0, 0, 90, 10, 0, 0]
    weights = np.where(frame["mains_gas"].to_numpy()[:, None], on_gas, off_gas)
    weights[new, 4] += 6
    return np.asarray(_FUELS)[_pick_rows(weights, rng)]


def _walls(age: np.ndarray, stone_country: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    kinds = np.asarray(["solid", "stone", "solid_insulated", "cavity_filled", "cavity_empty",
                        "cavity_partial", "insulated", "timber", "modern"])
    old = np.array([62, 20, 10, 5, 3, 0, 0, 0, 0], dtype=float)
    mid = np.array([3, 1, 1, 64, 26, 5, 0, 0, 0], dtype=float)
    late = np.array([0, 0, 0, 20, 0, 0, 68, 12, 0], dtype=float)
    new = np.array([0, 0, 0, 0, 0, 0, 40, 10, 50], dtype=float)
    weights = np.vstack([old, mid, late, new])[np.digitize(age, [2, 7, 9])]
    weights[stone_country & (age <= 1)] = [20, 65, 10, 5, 0, 0, 0, 0, 0]
    return kinds[_pick_rows(weights, rng)]


def _loft(frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    depths = np.array([0, 25, 50, 75, 100, 150, 200, 250, 270, 300, 400])
    age = frame["age"].to_numpy()
    weights = np.tile([5.0, 2, 6, 6, 14, 14, 12, 8, 18, 10, 5], (len(age), 1))
    weights[age <= 1] = [12, 3, 9, 8, 16, 14, 10, 6, 12, 7, 3]
    weights[age >= 9] = [0, 0, 0, 0, 2, 6, 10, 12, 40, 20, 10]
    loft = depths[_pick_rows(weights, rng)]
    flat = frame["property_type"].isin(("Flat", "Maisonette")).to_numpy()
    return np.where(flat & ~frame["top_floor"].to_numpy(), -1, loft)


def _glazing(age: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    kinds = np.asarray(["double", "partial", "single", "high", "secondary", "triple"])
    weights = np.tile([78.0, 9, 5, 5, 2, 1], (len(age), 1))
    weights[age <= 1] = [64, 14, 12, 3, 6, 1]
    weights[age >= 9] = [40, 0, 0, 56, 0, 4]
    return kinds[_pick_rows(weights, rng)]


def _floor_area(frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    median = np.select(
        [frame["property_type"].eq("Flat"), frame["property_type"].eq("Maisonette"),
         frame["property_type"].eq("Bungalow"), frame["built_form"].eq("Detached")],
        [56.0, 72.0, 78.0, 142.0], 88.0)
    area = median * np.exp(rng.normal(0, 0.25, len(frame)))
    return np.round(area.clip(22, 480), 1)


def _rating(frame: pd.DataFrame, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Latent efficiency -> band by rank (to :data:`BAND_SHARES`) -> SAP inside the band."""
    score = 60 + _AGE_EFFECT[frame["age"].to_numpy()]
    score = score + frame["fuel"].map(_FUEL_EFFECT).to_numpy()
    wall = frame["wall"].to_numpy()
    score = score + np.isin(wall, ("cavity_filled", "insulated", "solid_insulated",
                                   "modern", "timber")) * 4.0
    score = score + frame["property_type"].isin(("Flat", "Maisonette")).to_numpy() * 5.0
    score = score - frame["built_form"].eq("Detached").to_numpy() * 4.0
    score = score + rng.normal(0, 6, len(frame))
    order = np.argsort(-score, kind="stable")
    rank = np.empty(len(order), dtype=float)
    rank[order] = (np.arange(len(order)) + 0.5) / len(order)
    edges = np.cumsum(list(BAND_SHARES.values()))
    index = np.minimum(np.searchsorted(edges, rank), len(edges) - 1)
    bands = np.asarray(list(BAND_SHARES))[index]
    low = np.array([SAP_RANGES[b][0] for b in BAND_SHARES])[index]
    high = np.array([SAP_RANGES[b][1] for b in BAND_SHARES])[index]
    start = np.concatenate([[0.0], edges])[index]
    within = (rank - start) / np.asarray(list(BAND_SHARES.values()))[index]
    sap = np.round(high - within.clip(0, 1) * (high - low)).astype(int)
    return bands, sap


def band_of(sap: np.ndarray) -> np.ndarray:
    """Energy band of each SAP score.

    Examples
    --------
    >>> band_of(np.array([95, 81, 80, 55, 54, 21, 20])).tolist()
    ['A', 'B', 'C', 'D', 'E', 'F', 'G']
    """
    cuts = np.array([21, 39, 55, 69, 81, 92])
    return np.asarray(["G", "F", "E", "D", "C", "B", "A"])[np.searchsorted(cuts, sap,
                                                                           side="right")]
