"""The ranking's reason for each candidate, as a kind and its numbers.

:func:`geoplan.optimise.ranking.rank_candidates` writes a ``reason`` per candidate as text
(``"not chosen: would break budget total (over by 4,000)"``). Readers need what kind of
reason it is and the limits and amounts it names, not the sentence: :func:`reason_of` gives a
:class:`Reason` (one of :data:`REASON_KINDS`, the :class:`Limit` rows with their amounts, the
value quoted), so that a map popup or a report words it without knowing the ranking's
phrasing. This module is the one place that reads that phrasing; a plan table that already
carries ``reason_kind`` (and ``reason_limits``, ``reason_value``) is taken as it is.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["REASON_KINDS", "Limit", "Reason", "parse_reason", "reason_of"]

REASON_KINDS: dict[str, str] = {
    "locked_in": "chosen: fixed in the plan by the scenario",
    "locked_out": "not chosen: kept out by the scenario",
    "chosen_value": "chosen: the objective would lose ``value`` without it",
    "chosen_needed": "chosen: without it the ``limits`` (minimums) would be short",
    "chosen_cost": "chosen at a cost of ``value``; every minimum met without it alone",
    "blocked": "not chosen: adding it would break the ``limits``",
    "fits": "not chosen: fits every limit but adds only ``value``",
}
"""Each kind of reason and what it says (its numbers in ``limits`` or ``value``)."""

_NUMBER = r"-?[\d,]*\.?\d+(?:e[-+]?\d+)?"
_LIMIT = re.compile(rf"(.+?) \((over|short) by ({_NUMBER})\)$")
_PREFIXES = (  # the ranking's phrasing, longest first within a family
    ("chosen; removing it loses ", "chosen_value"),
    ("chosen; without it: ", "chosen_needed"),
    ("chosen at a cost of ", "chosen_cost"),
    ("not chosen: would break ", "blocked"),
    ("not chosen: fits, but adds only ", "fits"),
)


@dataclass(frozen=True)
class Limit:
    """One model row a reason names: its label, over its upper or short of its lower limit.

    Attributes
    ----------
    row : str
        The row's label in the model (``budget total``, ``headroom P2 2030``,
        ``minimum homes D1``).
    way : str
        ``"over"`` (an upper limit exceeded) or ``"short"`` (a lower limit not met).
    by : float
        By how much, in the row's own unit.
    """

    row: str
    way: str
    by: float


@dataclass(frozen=True)
class Reason:
    """Why a candidate is in the plan or not.

    Attributes
    ----------
    kind : str or None
        One of :data:`REASON_KINDS`; None for text that is not a ranking reason.
    limits : tuple of Limit
        The rows named (``blocked``, ``chosen_needed``).
    value : float or None
        The amount quoted (``chosen_value``, ``chosen_cost``, ``fits``).
    text : str
        The reason as written (kept for text that is not the ranking's).
    """

    kind: str | None
    limits: tuple[Limit, ...] = ()
    value: float | None = None
    text: str = ""


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(",", "").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _limits(text: str) -> tuple[Limit, ...] | None:
    out = []
    for item in text.split("; "):
        m = _LIMIT.match(item)
        by = None if m is None else _number(m.group(3))
        if m is None or by is None:
            return None
        out.append(Limit(m.group(1), m.group(2), by))
    return tuple(out)


def parse_reason(text: object) -> Reason:
    """Read a reason as :func:`geoplan.optimise.ranking.rank_candidates` writes it.

    Examples
    --------
    >>> parse_reason("not chosen: would break budget total (over by 4,000)")
    Reason(kind='blocked', limits=(Limit(row='budget total', way='over', by=4000.0),), \
value=None, text='not chosen: would break budget total (over by 4,000)')
    >>> parse_reason("chosen; removing it loses 0.002868").value
    0.002868
    >>> parse_reason("over the budget").kind is None
    True
    """
    if not isinstance(text, str) or not text.strip():
        return Reason(None)
    if text in ("locked in", "locked out"):
        return Reason(text.replace(" ", "_"), text=text)
    for prefix, kind in _PREFIXES:
        if not text.startswith(prefix):
            continue
        rest = text.removeprefix(prefix)
        if kind in ("blocked", "chosen_needed"):
            limits = _limits(rest)
            return Reason(kind, limits, text=text) if limits else Reason(None, text=text)
        value = _number(rest.split(";")[0])
        return Reason(kind, value=value, text=text) if value is not None else Reason(None,
                                                                                      text=text)
    return Reason(None, text=text)


def reason_of(row: Mapping[str, object]) -> Reason:
    """Return a plan row's reason: its ``reason_kind`` columns when present, else its text.

    ``reason_limits`` is a list (or its JSON) of ``{"row", "way", "by"}``; ``reason_value`` a
    number. A kind not in :data:`REASON_KINDS` falls back to the text.

    Examples
    --------
    >>> reason_of({"reason_kind": "fits", "reason_value": 0.5}).value
    0.5
    >>> reason_of({"reason": "locked out"}).kind
    'locked_out'
    """
    kind = row.get("reason_kind")
    if not isinstance(kind, str) or kind not in REASON_KINDS:
        return parse_reason(row.get("reason"))
    given = row.get("reason_limits")
    items = json.loads(given) if isinstance(given, str) and given.strip() else given
    limits = tuple(Limit(str(i["row"]), str(i["way"]), float(i["by"]))
                   for i in (items if isinstance(items, list) else []))
    value = row.get("reason_value")
    number = _number(str(value)) if value is not None else None
    text = row.get("reason")
    return Reason(kind, limits, number, text if isinstance(text, str) else "")
