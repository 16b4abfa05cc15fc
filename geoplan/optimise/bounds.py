r"""Valid bounds on a model's optimum from any row multipliers (a Lagrangian bound).

For :math:`\max c^\top x` subject to :math:`L \le Ax \le U` and :math:`l \le x \le u`, any
multipliers :math:`\pi` with :math:`\pi_i > 0` only where :math:`U_i` is finite and
:math:`\pi_i < 0` only where :math:`L_i` is finite give, for every feasible :math:`x`,

.. math::

    c^\top x \le \sum_{\pi_i > 0} \pi_i U_i + \sum_{\pi_i < 0} \pi_i L_i
    + \sum_j \max_{x_j \in [l_j, u_j]} (c - A^\top \pi)_j \, x_j ,

because :math:`\pi_i (U_i - a_i x) \ge 0` or :math:`\pi_i (L_i - a_i x) \ge 0` row by row.
The right-hand side is finite when every column with a non-zero reduced cost has the bound
it needs. A minimisation is bounded below by the same argument applied to :math:`-c`.

This turns the duals of an interior-point solve into a bound that needs no crossover and no
proof of convergence: an unfinished solve still gives a valid (weaker) bound, and a finished
one gives the relaxation's value up to rounding. It also bounds the integer programme, since
the box contains every integer point.
"""

from __future__ import annotations

import numpy as np

from geoplan.optimise.matrix import MilpMatrix

__all__ = ["dual_bound", "multiplier_bound"]


def multiplier_bound(model: MilpMatrix, multipliers: np.ndarray) -> float:
    """Return the valid bound of ``multipliers`` as they are (``inf`` when unbounded).

    A multiplier of the wrong sign for its row (positive where the row has no finite upper
    side, negative where it has no finite lower side) counts as zero; the bound is the
    multipliers times the row limits plus each column at its best end for the reduced costs.
    """
    sign = 1.0 if model.sense == "max" else -1.0
    upper_ok, lower_ok = np.isfinite(model.row_upper), np.isfinite(model.row_lower)
    pi = np.where(((multipliers > 0) & upper_ok) | ((multipliers < 0) & lower_ok),
                  multipliers, 0.0)
    constant = (pi[pi > 0] @ model.row_upper[pi > 0]) + (pi[pi < 0] @ model.row_lower[pi < 0])
    reduced = sign * model.cost - model.matrix.T @ pi
    with np.errstate(invalid="ignore"):
        best = np.where(reduced > 0, reduced * model.col_upper,
                        np.where(reduced < 0, reduced * model.col_lower, 0.0))
    total = float(constant + best.sum())
    if not np.isfinite(total):
        return np.inf
    return sign * total + model.offset


def dual_bound(model: MilpMatrix, row_multipliers: np.ndarray) -> float | None:
    """Return the tighter valid bound of ``row_multipliers`` and of their negation.

    Solvers differ in the sign they give row duals of a maximisation; both signs give valid
    bounds, so the tighter is kept. ``None`` when neither is finite.

    Parameters
    ----------
    model : MilpMatrix
    row_multipliers : numpy.ndarray
        One multiplier per row (e.g. HiGHS's ``row_dual``, possibly from an unfinished solve).

    Returns
    -------
    float or None
        An upper bound on the optimum of a maximisation (lower bound of a minimisation).

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> from geoplan.optimise.matrix import MatrixBuilder
    >>> b = MatrixBuilder("max")
    >>> x = b.add_columns("x", 2, cost=[3, 2], upper=[1, 1])
    >>> _ = b.add_rows("budget", ["budget"], sp.csr_matrix([[2.0, 2.0]]), x, upper=[2])
    >>> dual_bound(b.build(), np.array([1.0]))  # 1 * 2 + max(3-2, 0) + max(2-2, 0)
    3.0
    """
    pi = np.nan_to_num(np.asarray(row_multipliers, dtype=float))
    if pi.shape != (model.shape[0],):
        return None
    bounds = [multiplier_bound(model, pi), multiplier_bound(model, -pi)]
    finite = [b for b in bounds if np.isfinite(b)]
    if not finite:
        return None
    return min(finite) if model.sense == "max" else max(finite)
