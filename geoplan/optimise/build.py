"""What objective terms and constraints see while a model is built.

Selection variables are ``x[j, t]``: candidate ``j`` is built in period ``t`` (one period when
the problem is not phased). Terms and constraints write their rows over candidates (a sparse
``rows x n`` matrix) and say how those rows apply across periods:

- :meth:`BuildContext.selected`: whether a candidate is built at all, ``sum_t x[j, t]``;
- :meth:`BuildContext.in_period`: built in period ``t``, ``x[j, t]``;
- :meth:`BuildContext.by_period_end`: built in period ``t`` or earlier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from geoplan.errors import Problems
from geoplan.optimise.candidates import numeric_column
from geoplan.optimise.matrix import INF, ColumnBlock, MatrixBuilder

__all__ = ["BuildContext", "ExtraCost", "one_hot"]


@dataclass(frozen=True)
class ExtraCost:
    """Spending on columns that are not candidates (e.g. grid reinforcement).

    ``cost[k]`` is the cost of column ``block.start + k``, spent in period ``period[k]``.
    """

    block: ColumnBlock
    cost: np.ndarray
    period: np.ndarray
    label: str


@dataclass
class BuildContext:
    """Shared state of one model build.

    Attributes
    ----------
    table : pandas.DataFrame
        Checked candidates, index 0..n-1.
    builder : MatrixBuilder
    x : ColumnBlock
        Selection columns, period-major: column ``t * n + j`` is ``x[j, t]``.
    periods : tuple of int
        Milestone years of the periods (one entry, the plan year or 0, when not phased).
    year_weight : numpy.ndarray
        Years of benefit counted for a candidate built in each period.
    cuts : list
        Valid inequalities kept apart from the model and added for a solve while still
        valid (:class:`geoplan.optimise.cut_rows.HeadroomCuts`).
    """

    table: pd.DataFrame
    builder: MatrixBuilder
    x: ColumnBlock
    periods: tuple[int, ...]
    year_weight: np.ndarray
    extra_costs: list[ExtraCost] = field(default_factory=list)
    parts: dict[str, np.ndarray] = field(default_factory=dict)
    handles: dict[str, np.ndarray] = field(default_factory=dict)
    coverage: dict[str, Any] = field(default_factory=dict)
    period_coverage: list[Any] = field(default_factory=list)
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    cuts: list[Any] = field(default_factory=list)
    problems: Problems = field(default_factory=lambda: Problems("planning model"))

    @property
    def n(self) -> int:
        """Number of candidates."""
        return len(self.table)

    @property
    def n_periods(self) -> int:
        """Number of periods."""
        return len(self.periods)

    def numbers(self, column: str, least: float | None = 0.0) -> np.ndarray:
        """Return a numeric candidate column (problems recorded, never raised here)."""
        return numeric_column(self.table, column, least=least, problems=self.problems)

    def labels(self, column: str) -> np.ndarray:
        """Return a text column, blanks as ``""``; all blank when the column is absent."""
        if column not in self.table.columns:
            return np.full(self.n, "", dtype=object)
        return self.table[column].astype(object).where(self.table[column].notna(), "").astype(
            str).to_numpy(dtype=object)

    def selected(self, rows: sp.spmatrix) -> sp.csr_matrix:
        """Rows over candidates applied to ``sum_t x[j, t]``."""
        return sp.hstack([sp.csr_matrix(rows)] * self.n_periods, format="csr")

    def in_period(self, rows: sp.spmatrix, t: int) -> sp.csr_matrix:
        """Rows over candidates applied to ``x[j, t]``."""
        rows = sp.csr_matrix(rows)
        zero = sp.csr_matrix(rows.shape)
        return sp.hstack([rows if s == t else zero for s in range(self.n_periods)], format="csr")

    def by_period_end(self, rows: sp.spmatrix, t: int) -> sp.csr_matrix:
        """Rows over candidates applied to ``sum_{s <= t} x[j, s]``."""
        rows = sp.csr_matrix(rows)
        zero = sp.csr_matrix(rows.shape)
        return sp.hstack([rows if s <= t else zero for s in range(self.n_periods)], format="csr")

    def add_candidate_rows(self, family: str, labels: object, rows: sp.spmatrix, *,
                           lower: object = -INF, upper: object = INF) -> np.ndarray:
        """Add rows already expanded over the ``x`` block; return their indices."""
        return self.builder.add_rows(family, labels, rows, self.x, lower=lower, upper=upper)

    def add_mixed_rows(self, family: str, labels: object,
                       parts: list[tuple[ColumnBlock, sp.spmatrix]], *, lower: object = -INF,
                       upper: object = INF) -> np.ndarray:
        """Add rows spanning several column blocks: ``[(block, rows x block.size), ...]``."""
        n_rows = parts[0][1].shape[0]
        data, rows, cols = [], [], []
        for block, matrix in parts:
            coo = sp.coo_matrix(matrix)
            data.append(coo.data)
            rows.append(coo.row)
            cols.append(coo.col + block.start)
        coefficients = sp.coo_matrix(
            (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))),
            shape=(n_rows, self.builder.n_cols))
        return self.builder.add_rows_global(family, labels, coefficients, lower=lower,
                                            upper=upper)

    def period_index(self, year: int) -> int:
        """Index of the period whose milestone year is ``year``."""
        if year not in self.periods:
            self.problems.add(f"year {year} is not a plan period {list(self.periods)}",
                              fix="use one of the milestone years")
            return len(self.periods) - 1
        return self.periods.index(year)


def one_hot(keys: np.ndarray, *, skip_blank: bool = True) -> tuple[list[str], sp.csr_matrix]:
    """Distinct keys (sorted) and a keys x len(keys) 0/1 matrix of membership.

    Examples
    --------
    >>> names, m = one_hot(np.array(["b", "a", "b", ""], dtype=object))
    >>> names, m.toarray().tolist()
    (['a', 'b'], [[0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 1.0, 0.0]])
    """
    keys = np.asarray(keys, dtype=object)
    names = sorted({str(k) for k in keys if not (skip_blank and k == "")})
    position = {name: i for i, name in enumerate(names)}
    cols = np.array([j for j, k in enumerate(keys) if str(k) in position], dtype=int)
    rows = np.array([position[str(keys[j])] for j in cols], dtype=int)
    matrix = sp.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(len(names), len(keys)))
    return names, matrix
