"""Cuts kept apart from a model, and added to it for a solve only while they are valid.

The cuts themselves are derived, with their proofs, in :mod:`geoplan.optimise.headroom_cuts`
(at build time, from the model's context). This module holds what a solve needs of them:
the rows (:class:`HeadroomCuts`), appending the valid ones (:func:`with_cuts`) and finding
those a point breaks (:func:`violated`). It imports no pandas, so the solver's child process
(:mod:`geoplan.optimise.hardstop`) loads it cheaply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from geoplan.optimise.matrix import INF, MilpMatrix

__all__ = ["CUT_FAMILY", "HeadroomCuts", "violated", "with_cuts"]

CUT_FAMILY = "reinforcement_cut"
"""Row family of the cuts when they are added to a model."""


@dataclass(frozen=True)
class HeadroomCuts:
    """Cut rows over the model's columns and the headroom rows they were derived from.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix
        One row per cut (``+1`` on the candidates' columns, ``-1`` or less on the options).
        It may have fewer columns than the model (blocks added later): those are 0.
    source : numpy.ndarray
        Model row of the headroom row each cut was derived from.
    limit : numpy.ndarray
        That row's upper limit when the cut was derived.
    upper : numpy.ndarray
        Each cut's own upper limit (0 for a reinforcement cut, :math:`q - 1` for a count
        cut).
    """

    matrix: sp.csr_matrix
    source: np.ndarray
    limit: np.ndarray
    upper: np.ndarray

    def __len__(self) -> int:
        return int(self.matrix.shape[0])

    def subset(self, index: np.ndarray) -> HeadroomCuts:
        """Return the cuts at positions ``index``."""
        return HeadroomCuts(self.matrix[index], self.source[index], self.limit[index],
                            self.upper[index])


def with_cuts(model: MilpMatrix, cuts: Sequence[HeadroomCuts]) -> tuple[MilpMatrix, int]:
    """Return ``model`` with the cuts still valid for it appended, and how many.

    A cut is valid while the headroom row it came from is not looser than when it was
    derived (its upper limit no higher, no lower limit); others are left out.
    """
    parts, uppers = [], []
    for found in cuts:
        if not len(found):
            continue
        valid = np.flatnonzero(_still_valid(model, found))
        kept = found.matrix[valid]
        parts.append(sp.csr_matrix((kept.data, kept.indices, kept.indptr),
                                   shape=(kept.shape[0], model.shape[1])))
        uppers.append(found.upper[valid])
    count = sum(part.shape[0] for part in parts)
    if not count:
        return model, 0
    return MilpMatrix(
        model.sense, model.cost, model.col_lower, model.col_upper, model.integer,
        sp.vstack([model.matrix, *parts], format="csr"),
        np.concatenate([model.row_lower, np.full(count, -INF)]),
        np.concatenate([model.row_upper, *uppers]),
        np.concatenate([model.row_family, np.full(count, CUT_FAMILY, dtype=object)]),
        np.concatenate([model.row_label, np.array([f"reinforcement cut {i + 1}"
                                                   for i in range(count)], dtype=object)]),
        model.blocks, model.offset), count


def violated(model: MilpMatrix, cuts: Sequence[HeadroomCuts], values: np.ndarray,
             tol: float = 1e-6) -> list[HeadroomCuts]:
    """Return the cuts valid for ``model`` that the point ``values`` breaks by over ``tol``."""
    out = []
    for found in cuts:
        if not len(found):
            continue
        columns = min(found.matrix.shape[1], len(values))
        activity = found.matrix[:, :columns] @ np.asarray(values, float)[:columns]
        broken = _still_valid(model, found) & (activity > found.upper + tol)
        out.append(found.subset(np.flatnonzero(broken)))
    return out


def _still_valid(model: MilpMatrix, found: HeadroomCuts) -> np.ndarray:
    """Which cuts hold for ``model``: their headroom row no looser than when derived."""
    return ((model.row_upper[found.source] <= found.limit)
            & ~np.isfinite(model.row_lower[found.source]))
