"""EVs within reach of the chosen charger sites, each EV counted once.

A charger candidate's ``demand_covered`` is the residual demand within reach of its site
(capped by its capacity when the model is capacitated): sites a few metres apart reach the
same demand points, so each claims the same EVs and a sum over sites counts them again. The
coverage model itself counts each demand point once; :func:`reach_once` gives that figure for
the chosen sites (every demand point within reach of at least one of them, its residual
demand counted once, not capped by capacity) beside the per-site sum, and
:meth:`ReachOnce.note` the note a summary carries when the sum counts EVs more than once.
The plan's carbon counts each EV once (:mod:`geoplan.planning.charger_carbon`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import scipy.sparse as sp

from geoplan.workstreams.charger_demand import ChargerDemand

__all__ = ["ReachOnce", "reach_once", "shared_reach"]

_TOLERANCE = 1e-6
"""Relative slack before a per-site sum counts as larger than the once-counted figure."""


@dataclass(frozen=True)
class ReachOnce:
    """EVs within reach of the chosen sites, once each and summed site by site.

    Attributes
    ----------
    once : float
        Residual demand (EVs) of every demand point within reach of at least one chosen site.
    summed : float
        The chosen sites' ``demand_covered`` added up.
    sites : int
        Chosen sites.
    """

    once: float
    summed: float
    sites: int

    @property
    def repeated(self) -> bool:
        """True when the per-site sum counts some EVs more than once."""
        return self.summed > self.once * (1 + _TOLERANCE) + _TOLERANCE

    def note(self) -> str | None:
        """Return the summary's warning when the per-site figures share EVs, else None."""
        if not self.repeated:
            return None
        if self.once <= 0:
            return (f"chargers: the {self.sites} chosen sites claim {self.summed:,.1f} EVs "
                    "within reach, but no demand point is within reach of them")
        return (f"chargers: the {self.sites} chosen sites' 'EVs within reach' add up to "
                f"{self.summed:,.1f}, but {self.once:,.1f} distinct EVs are within reach of "
                "them (the headline's EVs within reach of the chosen sites, each counted once): "
                "nearby sites share demand, so the per-site 'EVs within reach' must not be "
                f"added (their sum is {self.summed / self.once:.2f} times the EVs within "
                "reach). The plan's carbon does not add them: each EV is counted at one chosen "
                "site, in 'EVs served', and the chargers' tCO2e follow it")


def reach_once(demand: ChargerDemand, sites: gpd.GeoDataFrame) -> ReachOnce:
    """Count the EVs within reach of ``sites`` once each (module docstring).

    Parameters
    ----------
    demand : ChargerDemand
        The charger workstream's demand points (``demand`` column: residual EVs).
    sites : geopandas.GeoDataFrame
        The chosen charger candidates (one row per site; point geometry in the demand's
        CRS) with their ``demand_covered``.

    Returns
    -------
    ReachOnce
    """
    if len(sites) == 0:
        return ReachOnce(0.0, 0.0, 0)
    reach = demand.reach(sites.geometry)  # demand points x sites, 0/1
    reached = np.asarray(reach.sum(axis=1)).ravel() > 0
    left = demand.points["demand"].to_numpy(dtype=float)
    summed = float(np.nansum(sites["demand_covered"].to_numpy(dtype=float)))
    return ReachOnce(float(left[reached].sum()), summed, len(sites))


def shared_reach(models: Iterable[Any]) -> Callable[[Sequence[str]], float] | None:
    """Return candidate ids -> the demand within reach of any of them, once each.

    Read from the coverage terms of solved models (each ``compiled`` model's
    ``context.coverage``: the demand points x candidates pattern and the points' residual
    demand), so no distances are measured again. ``None`` when no model has a coverage term.

    Parameters
    ----------
    models : iterable
        Solved models with a ``compiled`` attribute (:class:`geoplan.planning.joint.JointPlan`).
    """
    where: dict[str, tuple[int, int]] = {}
    terms: list[tuple[sp.csc_matrix, np.ndarray]] = []
    for model in models:
        compiled = getattr(model, "compiled", None)
        if compiled is None:
            continue
        ids = compiled.context.table["candidate_id"].astype(str).tolist()
        for handle in compiled.context.coverage.values():
            pattern = sp.csc_matrix(handle.pattern)
            term = len(terms)
            terms.append((pattern, np.asarray(handle.weights, dtype=float)))
            reaching = np.flatnonzero(np.diff(pattern.indptr) > 0)
            where.update({ids[j]: (term, int(j)) for j in reaching})
    if not terms:
        return None

    def once(candidate_ids: Sequence[str]) -> float:
        total = 0.0
        for term, (pattern, weights) in enumerate(terms):
            cols = [where[c][1] for c in candidate_ids if where.get(c, (-1, 0))[0] == term]
            if cols:  # the rows the columns reach, without a dense vector of every point
                total += float(weights[np.unique(pattern[:, cols].indices)].sum())
        return total

    return once
