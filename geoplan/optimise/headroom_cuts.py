r"""Valid inequalities that tighten headroom rows where reinforcement may be bought.

A headroom row (:class:`~geoplan.optimise.constraints.Headroom`) at substation :math:`s` in
period :math:`t` reads

.. math:: \sum_j \ell_j X_{jt} - \sum_k e_{skt} r_{sk} \le H_{st},
   \qquad X_{jt} = \sum_{t' \le t} x_{jt'},

with at most one option :math:`k` bought per substation (:math:`\sum_k r_{sk} \le 1`). Its
linear relaxation buys a sliver of a reinforcement: a fraction of the option gives that
fraction of its capacity at that fraction of its cost, so the relaxation's bound is far above
any plan (a third on the sample county's LAEP model). The two families of cuts here say what
a plan must do:

**Reinforcement cut.** Let :math:`F_{sj}` be the most load the other candidates under
:math:`s` can remove: the sum, over every group other than :math:`j`'s (a candidate without a
shared ``group_id`` is a group of its own), of :math:`\max(0, -\min \ell)` over that group's
candidates under :math:`s`. For a candidate with :math:`\ell_j - F_{sj} > H_{st}`,

.. math:: X_{jt} \le \sum_{k \in K} r_{sk}, \qquad
   K = \{k : e_{skt} > 0,\ \ell_j - F_{sj} \le H_{st} + e_{skt}\}.

*Proof of validity.* Take any integer plan meeting the model's rows. :math:`X_{jt} \in
\{0, 1\}`: candidates are binary and built at most once (the group row, or the "built at
most once" row when phased). If :math:`X_{jt} = 0` the cut holds, its right side being
:math:`\ge 0`. If :math:`X_{jt} = 1`, no other candidate of :math:`j`'s group is built
(group row), and each other group removes at most :math:`\max(0, -\min \ell)` (one member at
most, each counted once in :math:`X_{\cdot t}`), so the row gives
:math:`\ell_j - F_{sj} - \sum_k e_{skt} r_{sk} \le H_{st}`. With no option bought this
contradicts :math:`\ell_j - F_{sj} > H_{st}`, so exactly one option :math:`k^*` is bought
(at most one per substation), and :math:`\ell_j - F_{sj} \le H_{st} + e_{sk^*t}` with
:math:`e_{sk^*t} > 0`: :math:`k^* \in K`, and the right side is 1. :math:`\square`

The proof uses only the headroom row as compiled, the group and "built at most once" rows,
and integrality. Column bounds (locks, restricted MIPs) and other rows (budgets) may change
freely; a cut is no longer valid when its headroom row is loosened (a higher limit), so the
cuts are kept apart from the model (:class:`~geoplan.optimise.cut_rows.HeadroomCuts`) and added
for a solve only while their row's limit is at most the limit they were derived from
(:func:`~geoplan.optimise.cut_rows.with_cuts`).

**Count cut.** Let :math:`J` be the candidates under :math:`s` that add load,
:math:`F_s` the most load all groups there can remove, and :math:`q(c)` the least number of
:math:`J`'s smallest loads whose sum exceeds :math:`c + F_s` (none when all of them fit). When
:math:`q = q(H_{st}) \ge 2`, with :math:`m_k = q(H_{st} + e_{skt}) - 1` (:math:`|J|` when
none),

.. math:: \sum_{j \in J} X_{jt} \le (q - 1) + \sum_k (m_k - q + 1)\, r_{sk}.

*Proof.* Any :math:`q` candidates of :math:`J` add at least the :math:`q` smallest loads,
and the plan removes at most :math:`F_s`. With no option bought the row allows at most
:math:`H_{st} + F_s`, so at most :math:`q - 1` are built: the right side. With option
:math:`k` bought (the only one) it allows :math:`H_{st} + e_{skt} + F_s`: at most
:math:`m_k`, the right side again. :math:`\square` Where loads are far below the headroom
(a primary with room for one more heat pump but not two) it is the cut that bites.

For each candidate and substation the cut of period :math:`t` is left out when a later period
:math:`t'` has one with :math:`K_{t'} \subseteq K_t`: it implies it, since
:math:`X_{jt} \le X_{jt'}`. Candidates need a margin of ``1e-6`` of the row's size over the
limit, so a plan that meets a row within the solver's tolerance is never cut off.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import scipy.sparse as sp

from geoplan.optimise.build import BuildContext
from geoplan.optimise.cut_rows import HeadroomCuts

__all__ = ["count_cuts", "reinforcement_cuts"]

_MARGIN = 1e-6
"""Relative margin over the limit a candidate needs before a cut names it."""
_MAX_OPTIONS = 62
"""Options per substation the bit masks hold; with more at any substation, no cuts."""


def _group_codes(ctx: BuildContext) -> np.ndarray:
    """Code of each candidate's group; a candidate without a shared group is its own."""
    groups = pd.Series(ctx.labels("group_id"))
    shared = groups.ne("") & groups.map(groups.value_counts()).gt(1)
    codes = pd.factorize(groups.where(shared, None))[0]  # -1 where not shared
    alone = codes < 0
    codes[alone] = codes.max(initial=-1) + 1 + np.flatnonzero(alone)
    return codes


def _freed(rows: np.ndarray, loads: np.ndarray, group: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """Per entry: the most load all groups at its row can remove, and its own group's part."""
    entries = pd.DataFrame({"row": rows, "group": group, "free": np.maximum(-loads, 0.0)})
    per_group = entries.groupby(["row", "group"], sort=False)["free"].transform("max")
    best = entries.assign(free=per_group).drop_duplicates(["row", "group"])
    total = best.groupby("row")["free"].sum()
    return total.reindex(rows).to_numpy(dtype=float), per_group.to_numpy(dtype=float)


def _ranks(option_row: np.ndarray) -> np.ndarray:
    """Each option's rank among the options at its substation (its bit in the masks)."""
    return pd.Series(option_row).groupby(option_row).cumcount().to_numpy()


def _at(rows: np.ndarray) -> Callable[[int], np.ndarray]:
    """Return a look-up of the positions in ``rows`` equal to a value (sorted once)."""
    order = np.argsort(rows, kind="stable")
    ordered = rows[order]

    def positions(value: int) -> np.ndarray:
        return order[np.searchsorted(ordered, value, "left"):
                     np.searchsorted(ordered, value, "right")]
    return positions


def _masks(need: np.ndarray, entry_row: np.ndarray, option_row: np.ndarray,
           gain: np.ndarray) -> np.ndarray:
    """Bit mask of the options that could make each entry fit (bit = option's rank at its row)."""
    ranks, at = _ranks(option_row), _at(entry_row)
    masks = np.zeros(len(need), dtype=np.int64)
    for k in np.flatnonzero(gain > 0):
        here = at(int(option_row[k]))
        fits = here[need[here] <= gain[k] * (1 + _MARGIN) + _MARGIN]
        masks[fits] |= np.int64(1) << np.int64(ranks[k])
    return masks


def reinforcement_cuts(ctx: BuildContext, incidence: sp.csr_matrix, limits: list[np.ndarray],
                       rows: list[np.ndarray], option_row: np.ndarray,
                       gains: list[np.ndarray]) -> HeadroomCuts:
    """Derive the reinforcement cuts of the module docstring.

    Parameters
    ----------
    ctx : BuildContext
        The model being built (candidates, groups, ``x`` and periods).
    incidence : scipy.sparse.csr_matrix
        Constrained substations x candidates: each candidate's load in the rows of its
        substation and every ancestor.
    limits : list of numpy.ndarray
        Per period, each substation's row limit :math:`H_{st}` (as the row's upper bound).
    rows : list of numpy.ndarray
        Per period, the model rows of the substations' headroom rows.
    option_row : numpy.ndarray
        Substation (row of ``incidence``) of each reinforcement option, -1 for none.
    gains : list of numpy.ndarray
        Per period, each option's effective extra headroom :math:`e_{skt}` (0 when not ready).
    """
    block = ctx.builder.block("reinforcement")
    coo = incidence.tocoo()
    if np.bincount(option_row[option_row >= 0]).max(initial=0) > _MAX_OPTIONS:
        return _assemble(ctx, block.start, coo.row[:0], coo.col[:0],
                         np.zeros((0, len(limits)), bool), np.zeros((0, len(limits)), np.int64),
                         option_row, limits, rows)
    with_options = np.isin(coo.row, option_row[option_row >= 0])
    keep = (coo.data > 0) & with_options
    freed, own = _freed(coo.row[with_options], coo.data[with_options],
                        _group_codes(ctx)[coo.col[with_options]])
    positive = coo.data[with_options] > 0
    row, cand = coo.row[keep], coo.col[keep]
    net = coo.data[keep] - (freed - own)[positive]
    periods = len(limits)
    active = np.zeros((len(row), periods), dtype=bool)
    masks = np.zeros((len(row), periods), dtype=np.int64)
    for t in range(periods):
        limit = limits[t][row]
        need = net - limit
        active[:, t] = need > _MARGIN * (1.0 + np.abs(limit) + np.abs(net))
        masks[:, t] = _masks(need, row, option_row, gains[t])
    active &= ~_dominated(active, masks)
    return _assemble(ctx, block.start, row, cand, active, masks, option_row, limits, rows)


def _dominated(active: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Cuts implied by a later period's cut whose options are a subset of theirs."""
    out = np.zeros_like(active)
    periods = active.shape[1]
    for t in range(periods):
        for later in range(t + 1, periods):
            subset = (masks[:, later] & ~masks[:, t]) == 0
            out[:, t] |= active[:, later] & subset
    return out


def _assemble(ctx: BuildContext, r_start: int, row: np.ndarray, cand: np.ndarray,
              active: np.ndarray, masks: np.ndarray, option_row: np.ndarray,
              limits: list[np.ndarray], rows: list[np.ndarray]) -> HeadroomCuts:
    """Write each active (entry, period) as a cut row over the model's columns."""
    ranks = _ranks(option_row)
    entry, period = np.nonzero(active)
    at = _at(row[entry])
    data, cut_rows, cols = [], [], []
    for t in range(active.shape[1]):
        here = period == t
        ids = np.flatnonzero(here)
        for earlier in range(t + 1):  # X_jt: built in period t or before
            cut_rows.append(ids)
            cols.append(ctx.x.start + earlier * ctx.n + cand[entry[here]])
            data.append(np.ones(len(ids)))
    for k in np.flatnonzero(option_row >= 0):
        bit = np.int64(1) << np.int64(ranks[k])
        here = at(int(option_row[k]))
        named = here[(masks[entry[here], period[here]] & bit) != 0]
        cut_rows.append(named)
        cols.append(np.full(len(named), r_start + k))
        data.append(-np.ones(len(named)))
    matrix = sp.csr_matrix((np.concatenate(data) if data else np.zeros(0),
                            (np.concatenate(cut_rows) if cut_rows else np.zeros(0, int),
                             np.concatenate(cols) if cols else np.zeros(0, int))),
                           shape=(len(entry), ctx.builder.n_cols))
    source = np.stack(rows).astype(int)[period, row[entry]] if len(entry) else np.zeros(0, int)
    limit = (np.stack(limits).astype(float)[period, row[entry]] if len(entry)
             else np.zeros(0))
    return HeadroomCuts(matrix, source, limit, np.zeros(len(source)))


def _least_count(loads: np.ndarray, capacity: float) -> int | None:
    """Least number of the smallest ``loads`` (sorted) whose sum exceeds ``capacity``."""
    over = np.flatnonzero(np.cumsum(loads) > capacity + _MARGIN * (1.0 + abs(capacity)))
    return int(over[0]) + 1 if len(over) else None


def count_cuts(ctx: BuildContext, incidence: sp.csr_matrix, limits: list[np.ndarray],
               rows: list[np.ndarray], option_row: np.ndarray,
               gains: list[np.ndarray]) -> HeadroomCuts:
    """Derive the count cuts of the module docstring (parameters: :func:`reinforcement_cuts`)."""
    block = ctx.builder.block("reinforcement")
    coo = incidence.tocoo()
    entries = pd.DataFrame({"row": coo.row, "group": _group_codes(ctx)[coo.col],
                            "free": np.maximum(-coo.data, 0.0)})
    freed = entries.groupby(["row", "group"])["free"].max().groupby(level="row").sum()
    data, cut_rows, cols = [], [], []
    source: list[int] = []
    limit: list[float] = []
    upper: list[float] = []
    csr = incidence.tocsr()
    for s in sorted(set(option_row[option_row >= 0].tolist())):
        line = csr.getrow(s)
        adding = line.data > 0
        loads, members = np.sort(line.data[adding]), line.indices[adding]
        room = float(freed.get(s, 0.0))
        for t in range(len(limits)):
            q = _least_count(loads, float(limits[t][s]) + room)
            if q is None or q < 2:
                continue
            at = len(source)
            for earlier in range(t + 1):
                cols.append(ctx.x.start + earlier * ctx.n + members)
            cut_rows.append(np.full(len(members) * (t + 1), at))
            data.append(np.ones(len(members) * (t + 1)))
            for k in np.flatnonzero((option_row == s) & (gains[t] > 0)):
                most = _least_count(loads, float(limits[t][s] + gains[t][k]) + room)
                more = (len(loads) if most is None else most - 1) - (q - 1)
                if more > 0:
                    cols.append(np.array([block.start + k]))
                    cut_rows.append(np.array([at]))
                    data.append(np.array([-float(more)]))
            source.append(int(rows[t][s]))
            limit.append(float(limits[t][s]))
            upper.append(float(q - 1))
    matrix = sp.csr_matrix((np.concatenate(data) if data else np.zeros(0),
                            (np.concatenate(cut_rows) if cut_rows else np.zeros(0, int),
                             np.concatenate(cols) if cols else np.zeros(0, int))),
                           shape=(len(source), ctx.builder.n_cols))
    return HeadroomCuts(matrix, np.asarray(source, dtype=int), np.asarray(limit, dtype=float),
                        np.asarray(upper, dtype=float))
