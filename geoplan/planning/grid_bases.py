"""On what basis each DNO's substations are judged, and one statement when the bases differ.

A run reading two DNOs' files may judge them on different figures: SSEN's Network Headroom
Report gives each year of each DFES scenario (the plan takes, say, the lowest of them,
``minimum``, year by year), while NGED's capacity map is one published snapshot applied
unchanged to every plan year (:mod:`geoplan.planning.headroom`). A substation whose headroom
falls with forecast growth then looks worse than one whose snapshot never changes, and sites
crowd onto the snapshot DNO's network. :func:`dno_bases` says each DNO's basis in words and
:func:`bases_statement` the sentence a summary shows when they differ.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

__all__ = ["bases_statement", "dno_bases", "dno_of"]


def dno_of(substation_id: str, dnos: Mapping[str, str]) -> str:
    """Return a substation's DNO: its ``dno`` cell, else its ``<DNO>:`` id prefix, else grid.

    Examples
    --------
    >>> dno_of("NGED:315310", {}), dno_of("P1", {"P1": "SSEN"}), dno_of("P1", {})
    ('NGED', 'SSEN', 'grid')
    """
    own = dnos.get(substation_id)
    if own:
        return own
    return substation_id.split(":", 1)[0] if ":" in substation_id else "grid"


def dno_bases(names: Mapping[str, str], snapshot: Iterable[str], planning: str,
              substations: pd.DataFrame | None = None) -> dict[str, str]:
    """Each DNO's basis of judgement in words, DNOs sorted.

    Parameters
    ----------
    names : Mapping[str, str]
        Substation -> the name its figures carry in the file
        (:attr:`geoplan.planning.headroom.FigureChoice.names`).
    snapshot : iterable of str
        Substations whose figures span at most one year (applied to every plan year).
    planning : str
        The plan's ``grid.scenario`` (``minimum`` reads as the lowest of the DFES scenarios).
    substations : pandas.DataFrame, optional
        With ``substation_id`` and ``dno`` columns; else the ids' prefixes name the DNO.

    Returns
    -------
    dict
        DNO -> e.g. ``"one published snapshot applied unchanged to every plan year
        ('published' figures, 12 substations)"``.
    """
    dnos: dict[str, str] = {}
    if substations is not None and "dno" in substations.columns:
        known = substations.dropna(subset=["dno"])
        dnos = dict(zip(known["substation_id"].astype(str), known["dno"].astype(str),
                        strict=True))
    fixed = set(snapshot)
    groups: dict[tuple[str, str, bool], int] = {}
    for sub, name in names.items():
        key = (dno_of(str(sub), dnos), str(name), str(sub) in fixed)
        groups[key] = groups.get(key, 0) + 1
    out: dict[str, list[str]] = {}
    for (dno, name, still), count in sorted(groups.items()):
        out.setdefault(dno, []).append(_basis(name, still, count, planning))
    return {dno: "; ".join(parts) for dno, parts in out.items()}


def _basis(name: str, snapshot: bool, count: int, planning: str) -> str:
    figures = f"'{name}' figures, {count} substation{'s' if count != 1 else ''}"
    if snapshot:
        return f"one published snapshot applied unchanged to every plan year ({figures})"
    if planning == "minimum":
        return f"the lowest of its DFES scenarios in each plan year ({figures})"
    return f"its {planning!r} scenario in each plan year ({figures})"


def _kinds(basis: str) -> frozenset[str]:
    """Return the bases in words without the figures' names and counts (what is compared)."""
    return frozenset(part.rsplit(" (", 1)[0] for part in basis.split("; "))


def bases_statement(bases: Mapping[str, str]) -> str | None:
    """Return the sentence a summary shows when DNOs are judged on different bases, or None.

    Examples
    --------
    >>> bases_statement({"SSEN": "a"}) is None
    True
    >>> bases_statement({"NGED": "a (x, 1)", "SSEN": "a (y, 2)"}) is None
    True
    >>> bases_statement({"NGED": "a", "SSEN": "b"})[:47]
    'The DNOs are judged on different bases: NGED on'
    """
    if len({_kinds(basis) for basis in bases.values()}) < 2:
        return None
    each = "; ".join(f"{dno} on {basis}" for dno, basis in sorted(bases.items()))
    return (f"The DNOs are judged on different bases: {each}. Headroom that falls with forecast "
            "growth year by year and a snapshot that never changes are not like for like: "
            "sites may crowd onto the network whose figures do not fall; compare them with "
            "care (grid.scenario, grid.scenario_names).")
