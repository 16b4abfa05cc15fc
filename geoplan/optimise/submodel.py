"""A genuine sub-model over the columns still free, and the map of its solutions back.

A restricted MIP (:mod:`geoplan.optimise.strategy`) fixes most candidates to 0. Handing HiGHS
the full model with those bounds costs a full copy and a full presolve for every restriction;
:func:`restrict` instead builds the smaller model itself:

1. columns fixed at 0 (``lower >= 0 >= upper``) are dropped: they add nothing to any row;
2. a row left with one column bounds that column (``L <= a x <= U``); a column this fixes
   at 0 is dropped too (e.g. a demand point no kept candidate covers), twice over;
3. rows left empty are dropped, after checking ``L <= 0 <= U`` (else the restriction is
   infeasible and ``None`` is returned).

Every solution of the sub-model, with the dropped columns at 0, is a solution of the full
model with the same objective (:meth:`SubModel.lift`).

Examples
--------
>>> import scipy.sparse as sp
>>> from geoplan.optimise.matrix import MatrixBuilder
>>> b = MatrixBuilder("max")
>>> x = b.add_columns("x", 3, cost=[5, 4, 3], integer=True)
>>> _ = b.add_rows("budget", ["budget"], sp.csr_matrix([[2, 3, 1]]), x, upper=[5])
>>> sub = restrict(b.build(), np.array([1.0, 0.0, 1.0]))
>>> sub.model.shape, sub.columns.tolist(), sub.lift(np.array([1.0, 1.0])).tolist()
((1, 2), [0, 2], [1.0, 0.0, 1.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from geoplan.optimise.matrix import MilpMatrix

__all__ = ["SubModel", "restrict"]

_ROUNDS = 2


@dataclass(frozen=True)
class SubModel:
    """The smaller model and which full-model columns and rows it keeps."""

    model: MilpMatrix
    columns: np.ndarray
    rows: np.ndarray
    n_full: int

    def lift(self, x: np.ndarray) -> np.ndarray:
        """Return the full model's vector for the sub-model's ``x`` (dropped columns at 0)."""
        full = np.zeros(self.n_full)
        full[self.columns] = x
        return full

    def project(self, x: np.ndarray) -> np.ndarray:
        """Return the sub-model's part of a full-model vector (e.g. a start)."""
        return np.asarray(x, float)[self.columns]


def _tighten(matrix: sp.csr_matrix, free: np.ndarray, lower: np.ndarray, upper: np.ndarray,
             row_lower: np.ndarray, row_upper: np.ndarray) -> None:
    """Bound the column of each row that has one free column left (in place)."""
    kept = sp.csr_matrix(matrix.multiply(free.reshape(1, -1)))
    kept.eliminate_zeros()
    single = np.flatnonzero(np.diff(kept.indptr) == 1)
    if not len(single):
        return
    cols = kept.indices[kept.indptr[single]]
    coef = kept.data[kept.indptr[single]]
    with np.errstate(divide="ignore", invalid="ignore"):
        hi = np.where(coef > 0, row_upper[single] / coef, row_lower[single] / coef)
        lo = np.where(coef > 0, row_lower[single] / coef, row_upper[single] / coef)
    np.minimum.at(upper, cols, np.nan_to_num(hi, nan=np.inf))
    np.maximum.at(lower, cols, np.nan_to_num(lo, nan=-np.inf))


def restrict(model: MilpMatrix, col_upper: np.ndarray) -> SubModel | None:
    """Build the sub-model of ``model`` with upper column bounds ``col_upper``.

    Returns ``None`` when the restriction is infeasible on its face (a row that needs a
    dropped column, or a column whose bounds cross).
    """
    lower = model.col_lower.astype(float).copy()
    upper = np.asarray(col_upper, float).copy()
    matrix = model.matrix.tocsr()
    for _ in range(_ROUNDS):
        free = ~((lower >= 0) & (upper <= 0))
        _tighten(matrix, free.astype(float), lower, upper, model.row_lower, model.row_upper)
    if np.any(lower > upper + 1e-9):
        return None
    upper = np.maximum(upper, lower)
    columns = np.flatnonzero(~((lower >= 0) & (upper <= 0)))
    part = matrix[:, columns].tocsr()
    part.eliminate_zeros()
    filled = np.diff(part.indptr) > 0
    empty = ~filled
    if np.any(empty & ((model.row_lower > 1e-9) | (model.row_upper < -1e-9))):
        return None
    rows = np.flatnonzero(filled)
    sub = MilpMatrix(model.sense, model.cost[columns], lower[columns], upper[columns],
                     model.integer[columns], part[rows], model.row_lower[rows],
                     model.row_upper[rows], model.row_family[rows], model.row_label[rows],
                     {}, model.offset)
    return SubModel(sub, columns, rows, model.shape[1])
