r"""Terms and limits of a phased plan whose values depend on the build period.

With selection :math:`x_{jt}` (candidate :math:`j` built in period :math:`t`, at most one
period each; see :mod:`.objectives`):

:class:`PeriodBenefit`
    :math:`\max \sum_{j,t} w\, v_{jt} x_{jt}` where :math:`v_{jt}` is the value of candidate
    :math:`j` when built in period :math:`t`, read from one column per milestone year (e.g.
    lifetime tCO2e counted from that year with each year's carbon factor). Unlike
    :class:`~.objectives.MaximiseBenefit` nothing is multiplied by years of benefit: the
    columns already hold the whole value.
:class:`PeriodCap`
    :math:`\sum_j a_j x_{jt} \le L_t` for each period (what is built *in* the period, e.g.
    heat pumps installed), or, with ``cumulative``, :math:`\sum_j a_j \sum_{s \le t} x_{js}
    \le \sum_{s \le t} L_s`. Only candidate columns count (no reinforcement spending).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from geoplan.optimise.build import BuildContext

__all__ = ["PeriodBenefit", "PeriodCap"]


@dataclass(frozen=True)
class PeriodBenefit:
    """Maximise a value that depends on the build period (see the module docstring).

    Parameters
    ----------
    columns : Mapping[int, str]
        Milestone year -> candidate column of the value when built in that period; every
        period of the problem needs one (an unphased problem uses its only entry).
    weight : float
        Multiplier of the values.
    name : str
        Name of the score part (``score_<name>``: the value when built in the first period).
    """

    columns: Mapping[int, str]
    weight: float = 1.0
    name: str = "lifetime_tco2e"
    sense = "max"

    def values(self, ctx: BuildContext) -> np.ndarray:
        """Return the ``n_periods x n`` matrix of values (problems recorded in ``ctx``)."""
        if ctx.periods == (0,):
            if len(self.columns) != 1:
                ctx.problems.add(f"{self.name}: an unphased problem takes one column, got "
                                 f"{sorted(self.columns)}", fix="give one year -> column")
            chosen = [next(iter(self.columns.values()), "")]
        else:
            missing = [p for p in ctx.periods if p not in self.columns]
            if missing:
                ctx.problems.add(f"{self.name}: no column for periods {missing}",
                                 fix="give a column for every milestone year")
            chosen = [self.columns.get(p, "") for p in ctx.periods]
        return np.vstack([ctx.numbers(c, least=None) if c else np.zeros(ctx.n)
                          for c in chosen])

    def apply(self, ctx: BuildContext) -> None:
        """Add the objective coefficients and record the first period's value as score part."""
        values = self.weight * self.values(ctx)
        ctx.parts[self.name] = values[0]
        ctx.builder.add_cost(ctx.x, values.ravel())

    def finish(self, ctx: BuildContext) -> None:
        """Nothing to add once constraints are built."""


@dataclass(frozen=True)
class PeriodCap:
    """At most ``limits[year]`` of a candidate column built per period (module docstring).

    Parameters
    ----------
    column : str
        Candidate column counted (e.g. ``heat_pumps_installed``).
    limits : Mapping[int, float]
        Milestone year -> most that may be built in that period; periods not listed are
        not limited.
    name : str, optional
        Name of the rows (default: the column); handles go to ``ctx.handles['cap:<name>']``.
    cumulative : bool
        Let capacity left unused in a period be used later (see the module docstring).
    """

    column: str
    limits: Mapping[int, float]
    name: str | None = None
    cumulative: bool = False

    def apply(self, ctx: BuildContext) -> None:
        """Add one row per limited period."""
        label = self.name or self.column
        row = sp.csr_matrix(ctx.numbers(self.column).reshape(1, -1))
        rows, carried = [], 0.0
        for year in sorted(int(y) for y in self.limits):
            t = ctx.period_index(year)
            amount = float(self.limits[year])
            carried = carried + amount if self.cumulative else amount
            spread = ctx.by_period_end(row, t) if self.cumulative else ctx.in_period(row, t)
            rows.append(ctx.add_candidate_rows("delivery", [f"delivery {label} {year}"], spread,
                                               upper=[carried]))
        ctx.handles[f"cap:{label}"] = np.concatenate(rows) if rows else np.zeros(0, int)
