"""What a candidate's popup says: figures an officer can quote, each with its unit.

A popup lists the candidate's rank of all candidates, cost (£), tonnes a year (named by
their kind, :mod:`geoplan.planning.carbon_lines`) and lifetime tonnes (named by their count:
the objective's, discounted at the carbon discount rate, or undiscounted),
homes, kW, build year, the headroom at its substation in that year (MVA and kW, with the
year) and the reason in words. Optimiser internals without a unit (score parts, the
objective value a candidate adds) are not shown: :func:`reason_words` turns the ranking's
reason (its kind and numbers, :mod:`geoplan.planning.reasons`) into a sentence with £, kW or
the column's unit.

Every value is escaped HTML (:func:`~geoplan.outputs.map_style.text`); the page places it
as a value, never as a template (:mod:`geoplan.outputs.map_elements`).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from geoplan.outputs.labels import (
    OBJECTIVE_LIFETIME,
    UNDISCOUNTED_LIFETIME,
    column_label,
    kind_heading,
)
from geoplan.outputs.map_style import BENEFITS, number, text
from geoplan.planning.carbon_lines import carbon_kind
from geoplan.planning.reasons import Limit, Reason, reason_of

__all__ = ["HeadroomYears", "PopupContext", "candidate_rows", "headroom_words",
           "named", "reason_words"]

COUNTS = ("homes", "homes_to_target", "fuel_poor_homes", "chargers")
"""Benefit columns shown as whole numbers."""
_PART_WORDS = {"tco2e": "carbon", "lifetime_tco2e": "objective lifetime tCO2e, discounted",
               "coverage": "EV demand covered"}
"""Words for the objective's parts (``score_<part>`` columns)."""
_LIFETIME = re.compile(r"lifetime_tco2e_(\d{4})")


class HeadroomYears:
    """Headroom of each substation in every year of one scenario and season (MVA).

    The figure for a year is that of the year itself, else of the latest year before it,
    else of an undated row, as :func:`geoplan.layers.grid.headroom_for`.

    Parameters
    ----------
    rows : pandas.DataFrame
        ``substation_id``, ``year`` (may be missing) and ``headroom_mva`` of one scenario
        and season.

    Examples
    --------
    >>> table = pd.DataFrame({"substation_id": ["P1", "P1"], "year": [2025, 2030],
    ...                       "headroom_mva": [5.0, 2.0]})
    >>> years = HeadroomYears(table)
    >>> years.mva("P1", 2029), years.mva("P1", 2031), years.mva("P1", 2020)
    (5.0, 2.0, None)
    """

    def __init__(self, rows: pd.DataFrame) -> None:
        self._years: dict[str, list[int]] = {}
        self._values: dict[str, list[float]] = {}
        self._undated: dict[str, float] = {}
        year = pd.to_numeric(rows["year"], errors="coerce")
        mva = pd.to_numeric(rows["headroom_mva"], errors="coerce")
        order = pd.DataFrame({"s": rows["substation_id"].astype(str), "y": year, "v": mva})
        for sid, group in order.dropna(subset=["v"]).sort_values(["s", "y"]).groupby("s"):
            dated = group.dropna(subset=["y"])
            self._years[str(sid)] = [int(y) for y in dated["y"]]
            self._values[str(sid)] = [float(v) for v in dated["v"]]
            if len(dated) < len(group):
                self._undated[str(sid)] = float(group.loc[group["y"].isna(), "v"].iloc[0])

    def mva(self, substation: str, year: int) -> float | None:
        """Headroom of ``substation`` in ``year`` (None when no row applies)."""
        years = self._years.get(substation, [])
        i = bisect.bisect_right(years, year)
        if i:
            return self._values[substation][i - 1]
        return self._undated.get(substation)


@dataclass(frozen=True)
class PopupContext:
    """What popups show beside a candidate's own columns: names and grid headroom.

    Parameters
    ----------
    headroom_mva : Mapping[str, float]
        Headroom by substation id in the plan year (negative: constrained).
    names : Mapping[str, str]
        Substation name by id.
    caption : str
        Escaped description, e.g. ``"headroom 2030 (CT, winter)"``.
    zone_names, district_names : Mapping[str, str]
        Zone and district names by id.
    year : int, optional
        The plan year of ``headroom_mva``.
    yearly : HeadroomYears, optional
        Headroom in every year, for a candidate's build year.
    grid_words : str
        Escaped scenario and season of the headroom, e.g. ``"CT, winter"``.
    power_factor : float, optional
        kW per kVA, to state headroom in kW beside MVA (the plan's ``grid_units``).
    """

    headroom_mva: Mapping[str, float] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)
    caption: str = "headroom"
    zone_names: Mapping[str, str] = field(default_factory=dict)
    district_names: Mapping[str, str] = field(default_factory=dict)
    year: int | None = None
    yearly: HeadroomYears | None = None
    grid_words: str = ""
    power_factor: float | None = None


def headroom_words(mva: float | None, power_factor: float | None) -> str:
    """Headroom in MVA, with kW at the power factor when known; '' when missing.

    Examples
    --------
    >>> headroom_words(2.0, 0.95), headroom_words(-0.5, None), headroom_words(None, 0.9)
    ('2.0 MVA (1,900 kW at power factor 0.95)', '-0.5 MVA (constrained)', '')
    """
    shown = number(mva, 1)
    if not shown or mva is None:
        return ""
    parts = [f"{number(mva * power_factor * 1000, 0)} kW at power factor {power_factor:g}"
             ] if power_factor else []
    if mva < 0:
        parts.append("constrained")
    return f"{shown} MVA" + (f" ({'; '.join(parts)})" if parts else "")


def named(key: object, names: Mapping[str, str], raw: bool) -> str:
    """``"Name (id)"`` when the name is known, else the id; escaped.

    Examples
    --------
    >>> named("P1", {"P1": "Cowley"}, False), named("P2", {}, False), named(None, {}, False)
    ('Cowley (P1)', 'P2', '')
    """
    if key is None or pd.isna(key) or str(key) == "":
        return ""
    name = names.get(str(key))
    return f"{text(name, raw=raw)} ({text(key, raw=raw)})" if name else text(key, raw=raw)


def _flag(value: object) -> bool:
    return False if value is None or pd.isna(value) else bool(value)


def _substation_rows(sid: object, built: int | None, grid: PopupContext,
                     raw: bool) -> list[tuple[str, str]]:
    """Substation and its headroom in the build year (else the plan year)."""
    if sid is None or pd.isna(sid) or str(sid) == "":
        return []
    key = str(sid)
    year = built if built is not None and grid.yearly is not None else grid.year
    mva = (grid.yearly.mva(key, year) if grid.yearly is not None and year is not None
           else grid.headroom_mva.get(key))
    if year is None:
        label = grid.caption[:1].upper() + grid.caption[1:]
    else:
        label = f"Headroom there in {year}" + (f" ({grid.grid_words})" if grid.grid_words
                                               else "")
    return [("Substation", named(sid, grid.names, raw)),
            (label, headroom_words(mva, grid.power_factor) or "no figure")]


def _lifetime(row: Mapping[str, object], built: int | None) -> tuple[str, str]:
    """Return the lifetime tCO2e row of a candidate, named by its count.

    ``lifetime_tco2e`` (the finance summary's, undiscounted), else ``lifetime_tco2e_<year>``
    of the build year (of the first milestone for a candidate not built, said so): the
    objective's count, discounted at the carbon discount rate
    (:data:`~geoplan.outputs.labels.OBJECTIVE_LIFETIME`).
    """
    if "lifetime_tco2e" in row:
        tonnes = number(row["lifetime_tco2e"], 0)
        return UNDISCOUNTED_LIFETIME, f"{tonnes} tCO2e" if tonnes else ""
    years = sorted(int(m.group(1)) for k in row if (m := _LIFETIME.fullmatch(str(k))))
    year = built if built in years else (years[0] if years else None)
    tonnes = "" if year is None else number(row[f"lifetime_tco2e_{year}"], 0)
    if not tonnes:
        return OBJECTIVE_LIFETIME, ""
    when = "" if built == year else f" if built by {year}"
    return OBJECTIVE_LIFETIME, f"{tonnes} tCO2e{when}"


def _carbon_rows(row: Mapping[str, object], workstream: str,
                 built: int | None) -> list[tuple[str, str]]:
    carbon = number(row.get("tco2e_per_yr"), 1)
    return [(kind_heading(carbon_kind(workstream)), f"{carbon} tCO2e/yr" if carbon else ""),
            _lifetime(row, built)]


def candidate_rows(row: Mapping[str, object], *, workstream: str, total: int,
                   grid: PopupContext, raw: bool, built: int | None
                   ) -> list[tuple[str, str]]:
    """(label, escaped value) rows of a candidate's popup; empty values are dropped later.

    Parameters
    ----------
    row : Mapping[str, object]
        One row of a plan table (``Plan.to_geodataframe()``).
    workstream : str
        Its workstream.
    total : int
        Number of candidates of the workstream (rank r *of total*).
    grid : PopupContext
        Names and headroom.
    raw : bool
        Data strings are trusted HTML.
    built : int, optional
        The milestone year a chosen candidate is built by.
    """
    rank = number(row.get("rank"), 0)
    chosen = _flag(row.get("selected"))
    rows = [("Workstream", text(workstream, raw=raw)),
            ("Option", text(row.get("option"), raw=raw)),
            ("Rank", f"{rank} of {total:,}" if rank else ""),
            ("Selected", "yes" if chosen else "no"),
            ("Build year", "" if built is None else f"{built} (in the plan from then on)")]
    cost = number(row.get("cost_gbp"), 0)
    rows.append(("Cost", f"\u00a3{cost}" if cost else ""))
    rows += _carbon_rows(row, workstream, built if chosen else None)
    rows += [(label, number(row[key], 0 if key in COUNTS else 1))
             for key, label in BENEFITS.items() if key in row]
    peak = number(row.get("peak_kw_added"), 0)  # none (0) for fabric and land: not shown
    rows.append(("Peak load added", f"{peak} kW" if peak and peak != "0" else ""))
    if "site_id" in row:  # charger sites: the id beside the name in the title
        source = row.get("source_id")
        rows.append(("Site id", text(source if isinstance(source, str) and source
                                     else row.get("site_id"), raw=raw)))
    rows += [("Zone", named(row.get("zone_id"), grid.zone_names, raw)),
             ("District", named(row.get("district_id"), grid.district_names, raw))]
    rows += _substation_rows(row.get("substation_id"), built if chosen else None, grid, raw)
    rows.append(("Reason", text(reason_words(row, total=total, names=grid.names), raw=raw)))
    return rows


def _amount(value: float, unit: str) -> str:
    if unit == "£":
        return f"\u00a3{number(value, 0)}"
    digits = 0 if abs(value) >= 10 else 2
    return f"{number(value, digits)} {unit}".rstrip()


def _limit_words(label: str, names: Mapping[str, str]) -> tuple[str, str]:
    """Return what a model row is, in words, and the unit of its figures."""
    if m := re.fullmatch(r"budget(?: (\S+))?(?: (.+))?", label):
        name, key = m.group(1) or "", m.group(2) or ""
        unit = "candidates" if name == "count" else "£"
        if name == "workstream" and key:
            return f"the {key} budget", unit
        if name == "funding" and key:
            return f"the funding available by {key}", unit
        words = "the total budget" if name == "total" else f"the {name or 'plan'} budget"
        return words + (f" ({key})" if key else ""), unit
    if m := re.fullmatch(r"headroom (\S+)(?: (\d{4}))?", label):
        sid, year = m.group(1), m.group(2)
        where = f"{names[sid]} ({sid})" if sid in names else sid
        return f"the headroom at {where}" + (f" in {year}" if year else ""), "kW"
    if m := re.fullmatch(r"minimum(?: share)? (\S+) (.+)", label):
        heading = column_label(m.group(1))
        bracket = re.search(r"\(([^()]*)\)$", heading)
        what = heading[:bracket.start()].strip() if bracket else heading
        share = " share" if label.startswith("minimum share") else ""
        return (f"the minimum{share} of {what.lower()} in {m.group(2)}",
                "" if share or bracket is None else bracket.group(1))
    return label, ""


def _broken_words(limits: tuple[Limit, ...], names: Mapping[str, str]) -> list[str]:
    out = []
    for limit in limits:
        words, unit = _limit_words(limit.row, names)
        amount = _amount(limit.by, unit)
        out.append(f"{words} would be {'exceeded' if limit.way == 'over' else 'short'} "
                   f"by {amount}")
    return out


def _objective_parts(row: Mapping[str, object]) -> str:
    parts = sorted(_PART_WORDS.get(p, p.replace("_", " ")) for p in
                   (str(k).removeprefix("score_") for k in row if str(k).startswith("score_")))
    return f" ({', '.join(parts)})" if parts else ""


def reason_words(row: Mapping[str, object], *, total: int,
                 names: Mapping[str, str] | None = None) -> str:
    """Return the ranking's reason for a candidate as a sentence with units (not escaped).

    Parameters
    ----------
    row : Mapping[str, object]
        A plan row: its reason (:func:`geoplan.planning.reasons.reason_of`: ``reason_kind``
        with its numbers, or ``reason`` as the ranking writes it), ``rank`` and ``score_*``
        when present.
    total : int
        Number of candidates.
    names : Mapping[str, str], optional
        Substation names by id, for headroom limits.

    Examples
    --------
    >>> reason_words({"reason": "not chosen: would break budget workstream retrofit "
    ...               "(over by 4,000)", "rank": 7}, total=9)
    'Not chosen: adding it, the retrofit budget would be exceeded by £4,000.'
    >>> reason_words({"reason": "chosen; removing it loses 0.002868", "rank": 2,
    ...               "score_tco2e": 0.1}, total=9)
    'Chosen: ranked 2 of 9 by how much the plan (carbon) would lose without it.'
    """
    reason = reason_of(row)
    if reason.kind is None:
        return reason.text  # not one of the ranking's reasons: kept as written
    names = names or {}
    rank = number(row.get("rank"), 0)
    ranked = f"ranked {rank} of {total:,}" if rank else "ranked"
    return _REASON_WORDS[reason.kind](reason, ranked, _objective_parts(row), names)


_REASON_WORDS: dict[str, Callable[[Reason, str, str, Mapping[str, str]], str]] = {
    "chosen_value": lambda r, ranked, parts, names: (
        f"Chosen: {ranked} by how much the plan{parts} would lose without it."),
    "chosen_needed": lambda r, ranked, parts, names: (
        "Chosen: without it, " + "; ".join(_broken_words(r.limits, names)) + "."),
    "chosen_cost": lambda r, ranked, parts, names: (
        f"Chosen: {ranked} by the share of the targets it meets per pound; every target "
        "would still be met without it alone."),
    "blocked": lambda r, ranked, parts, names: (
        "Not chosen: adding it, " + "; ".join(_broken_words(r.limits, names)) + "."),
    "fits": lambda r, ranked, parts, names: (
        "Not chosen: it fits every budget and grid limit, but gives less per pound than the "
        f"chosen candidates ({ranked})."),
    "locked_in": lambda r, ranked, parts, names: (
        "Chosen: fixed in the plan by the scenario (locked in)."),
    "locked_out": lambda r, ranked, parts, names: (
        "Not chosen: kept out of the plan by the scenario (locked out)."),
}
"""Each kind of reason (:data:`geoplan.planning.reasons.REASON_KINDS`) in words."""
