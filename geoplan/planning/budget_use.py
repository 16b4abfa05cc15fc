"""How much of each budget a plan spends, and what kept the rest from being spent.

A council splits money by funding stream (a retrofit grant, a charger fund, woodland grants),
and the Net Zero Route Map's own finding is that delivery capacity and grid headroom, not
money, hold some workstreams back. :func:`budget_use` gives, per workstream and for the
plan, the budget, what the plan spends, what it leaves, and the limits named by the
candidates it did not choose (their ranking reasons, :mod:`geoplan.planning.reasons`),
counted by kind (:data:`HELD_BACK`): grid headroom, delivery capacity, the budget itself,
another option already chosen for the same zone or site.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from geoplan.planning.reasons import reason_of

__all__ = ["HELD_BACK", "budget_use", "held_back_kind"]

HELD_BACK: dict[str, str] = {
    "headroom": "grid headroom",
    "delivery": "delivery capacity",
    "budget": "money (a budget or the funding profile)",
    "one option": "another option chosen for the same zone or site",
    "coverage": "coverage floors",
    "minimum": "district minimums",
    "fits": "nothing: they fit but add too little",
}
"""Kind of limit (the start of a model row's label) -> how the summary words it."""


def held_back_kind(row: str) -> str:
    """Return the :data:`HELD_BACK` kind of a model row's label (else its first word).

    Examples
    --------
    >>> held_back_kind("headroom bsp-OSNEY 2050"), held_back_kind("one option in group z:1")
    ('headroom', 'one option')
    """
    for kind in HELD_BACK:
        if row.startswith(kind):
            return kind
    return row.split(" ", 1)[0]


def _held_back(table: pd.DataFrame) -> dict[str, int]:
    """Candidates not chosen, counted once per kind of limit their reason names."""
    counts: dict[str, int] = {}
    chosen = table["selected"].fillna(False).astype(bool).to_numpy()
    columns = [c for c in ("reason", "reason_kind", "reason_limits", "reason_value")
               if c in table.columns]
    for row in table.loc[~chosen, columns].to_dict("records"):
        reason = reason_of(row)
        kinds = {"fits"} if reason.kind == "fits" else {held_back_kind(limit.row)
                                                        for limit in reason.limits}
        for kind in kinds:
            counts[kind] = counts.get(kind, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _words(counts: Mapping[str, int]) -> str:
    return "; ".join(f"{HELD_BACK.get(kind, kind)}: {count:,}" for kind, count in counts.items())


def budget_use(tables: Mapping[str, pd.DataFrame], budgets: Mapping[str, float], *,
               total: float | None = None) -> list[dict[str, object]]:
    """Return one row per workstream, then the plan's: budget, spent, unspent, held back.

    Parameters
    ----------
    tables : Mapping[str, pandas.DataFrame]
        Workstream -> its plan table (``selected``, ``cost_gbp``, ``reason``).
    budgets : Mapping[str, float]
        Workstream -> its own budget (absent: none).
    total : float, optional
        The plan's total budget.

    Returns
    -------
    list of dict
        ``workstream`` (``total`` last), ``budget_gbp`` (None without one), ``spent_gbp``,
        ``unspent_gbp`` (None without a budget), ``candidates_not_chosen`` and
        ``not_chosen_because``: the kinds of limit the candidates not chosen name, each with
        how many candidates name it (a candidate may name several), most first.
    """
    rows: list[dict[str, object]] = []
    spent_total, left = 0.0, 0
    for name, table in tables.items():
        chosen = table["selected"].fillna(False).astype(bool).to_numpy()
        spent = float(pd.to_numeric(table["cost_gbp"], errors="coerce").fillna(0.0)
                      .to_numpy()[chosen].sum())
        budget = budgets.get(name)
        spent_total += spent
        left += int((~chosen).sum())
        rows.append({"workstream": name, "budget_gbp": budget, "spent_gbp": spent,
                     "unspent_gbp": None if budget is None else max(budget - spent, 0.0),
                     "candidates_not_chosen": int((~chosen).sum()),
                     "not_chosen_because": _words(_held_back(table))})
    rows.append({"workstream": "total", "budget_gbp": total, "spent_gbp": spent_total,
                 "unspent_gbp": None if total is None else max(total - spent_total, 0.0),
                 "candidates_not_chosen": left, "not_chosen_because": ""})
    return rows
