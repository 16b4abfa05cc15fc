"""Retrofit measures: the sourced table, its checks, and per-home measure matrices.

``layers/assumptions/retrofit_measures.csv`` (:data:`RETROFIT_MEASURES`) has one row per
measure and property type (``any`` for the default row; a row for a property type overrides
it, and a measure with no row for a home's type and no ``any`` row does not apply to it):

``kind``
    ``fabric`` (cuts heat demand) or ``heating`` (a new heating system, e.g. a heat pump).
``cost_fixed_gbp``, ``cost_per_m2_gbp``
    Cost per home: fixed part plus a part per m² of floor area.
``saving_share``
    Share of the home's heat demand saved (measures combine multiplicatively).
``sap_points``
    SAP points gained (indicative; measures add up).
``lifetime_years``
    Life of the measure.
``wall_types``, ``age_bands``, ``main_fuels``
    ``;``-separated values of the buildings layer's ``wall_type``, ``age_band`` and
    ``main_fuel`` the measure applies to (``any`` or blank: all, including missing values).
``exclusive_group``
    Measures sharing a group are alternatives (e.g. internal and external wall insulation).
``condition``
    Clauses joined by ``and``: ``<column> <op> <value>`` on :data:`CONDITION_COLUMNS` (e.g.
    ``roof_insulation_mm < 150``); a home whose value is missing fails the clause.
``new_fuel``, ``scop``
    Heating measures only: the fuel bought afterwards (:data:`~.energy.ENERGY_FUELS`) and the
    heat delivered per kWh bought (a heat pump's SCOP; 1.0 for metered network heat).

``loft_insulation`` is the one measure whose saving depends on what the home has: its
``saving_share`` and ``sap_points`` are those of insulating an uninsulated loft, scaled per
home by the existing depth (``roof_insulation_mm``, :mod:`~geoplan.workstreams.loft`) when
:func:`measure_matrices` is given the ``loft_insulation`` table; homes of unknown depth do
not get it. Optional columns ``saving_share_low`` and ``saving_share_high`` bound an
indicative saving share (checked when present).
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoplan.assumptions import AssumptionTable, read_assumptions
from geoplan.distinct import each_distinct
from geoplan.errors import Problems, SourceFormatError
from geoplan.sources.epc import AGE_BANDS, FUELS, WALL_TYPES
from geoplan.workstreams.energy import ENERGY_FUELS
from geoplan.workstreams.loft import loft_ratio

__all__ = [
    "CONDITION_COLUMNS",
    "MEASURES",
    "PROPERTY_TYPES",
    "RETROFIT_MEASURES",
    "MeasureMatrices",
    "measure_matrices",
    "read_retrofit_measures",
]

logger = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]

MEASURES = ("loft_insulation", "cavity_wall", "solid_wall_internal", "solid_wall_external",
            "floor_insulation", "glazing", "draught_proofing", "air_source_heat_pump",
            "heat_network_connection")
"""Measures geoplan knows how to model."""

PROPERTY_TYPES = ("house", "bungalow", "flat", "maisonette", "park home")
"""EPC property types (lower case, as in the buildings layer)."""

CONDITION_COLUMNS = {
    "roof_insulation_mm": "number", "floor_area_m2": "number", "sap_score": "number",
    "multi_glaze_pct": "number", "wall_insulated": "bool", "mains_gas": "bool",
    "glazing": "text", "heating_system": "text", "main_fuel": "text", "built_form": "text",
}
"""Buildings columns a ``condition`` may test, with their kind."""

RETROFIT_MEASURES = AssumptionTable(
    "retrofit_measures", key=("measure", "property_type"),
    numbers={"cost_fixed_gbp": 0.0, "cost_per_m2_gbp": 0.0, "saving_share": 0.0,
             "sap_points": 0.0, "lifetime_years": 0.0},
    text=("kind", "wall_types", "age_bands", "main_fuels", "exclusive_group", "condition",
          "new_fuel"),
    optional_numbers={"scop": 0.0},
)
"""The retrofit measures table (``layers/assumptions/retrofit_measures.csv``)."""

LOFT = "loft_insulation"
"""The measure scaled by the existing loft insulation depth."""

_BOUNDS = ("saving_share_low", "saving_share_high")

_CLAUSE = re.compile(r"^\s*(\w+)\s*(<=|>=|==|!=|<|>)\s*(.+?)\s*$")
_LISTS = {"wall_types": WALL_TYPES, "age_bands": AGE_BANDS, "main_fuels": FUELS}


def read_retrofit_measures(path: PathLike | None = None) -> pd.DataFrame:
    """Read and check the retrofit measures table (see the module docstring).

    Raises
    ------
    SourceFormatError
        Naming the file, row and column of every unknown measure, property type, kind, list
        value, fuel or condition, saving share of 1 or more, zero lifetime, heating row
        without ``scop``/``new_fuel``, and every problem :func:`read_assumptions` finds.
    """
    table = read_assumptions(RETROFIT_MEASURES, path)
    problems = Problems(table.attrs["path"], sheet=RETROFIT_MEASURES.name)
    for index, row in table.iterrows():
        _check_row(row, int(index) + 2, problems)
    _check_consistent(table, problems)
    _check_bounds(table, problems)
    problems.raise_if_any(SourceFormatError)
    return table


def _check_row(row: pd.Series, line: int, problems: Problems) -> None:
    def bad(column: str, message: str, fix: str) -> None:
        problems.add(message, row=line, column=column, fix=fix)

    if row["measure"] not in MEASURES:
        bad("measure", f"unknown measure {row['measure']!r}", f"use one of {list(MEASURES)}")
    if row["property_type"] not in (*PROPERTY_TYPES, "any"):
        bad("property_type", f"unknown property type {row['property_type']!r}",
            f"use 'any' or one of {list(PROPERTY_TYPES)}")
    if row["kind"] not in ("fabric", "heating"):
        bad("kind", f"unknown kind {row['kind']!r}", "use 'fabric' or 'heating'")
    if not row["saving_share"] < 1:
        bad("saving_share", f"{row['saving_share']:g} is not below 1",
            "give the share of heat demand saved, from 0 to below 1")
    if not row["lifetime_years"] > 0:
        bad("lifetime_years", f"{row['lifetime_years']:g} is not above 0", "give years > 0")
    for column, allowed in _LISTS.items():
        for value in sorted(set(_split(row[column])) - set(allowed)):
            bad(column, f"unknown value {value!r}", f"use 'any' or ';'-separated {list(allowed)}")
    for message in _condition_problems(str(row["condition"])):
        bad("condition", message, "write clauses like 'roof_insulation_mm < 150' joined by 'and'")
    if row["kind"] == "heating":
        if row["new_fuel"] not in ENERGY_FUELS:
            bad("new_fuel", f"unknown fuel {row['new_fuel']!r}", f"use one of {list(ENERGY_FUELS)}")
        if not row["scop"] > 0:
            bad("scop", "a heating measure needs a scop above 0",
                "give the heat delivered per kWh bought (heat pump SCOP)")


def _check_consistent(table: pd.DataFrame, problems: Problems) -> None:
    for column in ("kind", "exclusive_group", "new_fuel"):
        varied = table.groupby("measure")[column].nunique()
        for measure in varied.index[varied > 1]:
            line = int(table.index[table["measure"] == measure][0]) + 2
            problems.add(f"measure {measure!r} has different {column} values on its rows",
                         row=line, column=column, fix="give every row of a measure the same value")


def _check_bounds(table: pd.DataFrame, problems: Problems) -> None:
    """Check the optional ``saving_share_low``/``_high``: blank, or around ``saving_share``."""
    for column in (c for c in _BOUNDS if c in table.columns):
        text = table[column].astype(object).where(table[column].notna(), "")
        values = pd.to_numeric(text.astype(str).str.strip().replace("", np.nan),
                               errors="coerce")
        for index in table.index[values.isna() & text.astype(str).str.strip().ne("")]:
            problems.add(f"{table.loc[index, column]!r} is not a number", row=int(index) + 2,
                         column=column, fix="give a share from 0 to below 1, or leave it blank")
        share = table["saving_share"]
        wrong = (values > share) if column.endswith("_low") else (values < share)
        for index in table.index[wrong.fillna(False)]:
            side = "above" if column.endswith("_low") else "below"
            problems.add(f"{values[index]:g} is {side} saving_share {share[index]:g}",
                         row=int(index) + 2, column=column,
                         fix="give bounds with low <= saving_share <= high")
        table[column] = values


def _split(cell: object) -> list[str]:
    text = "" if cell is None or (isinstance(cell, float) and np.isnan(cell)) else str(cell)
    items = [p.strip() for p in text.split(";") if p.strip()]
    return [] if items in ([], ["any"]) else items


def _clauses(condition: str) -> list[str]:
    text = condition.strip()
    if text.lower() in ("", "nan", "none"):
        return []
    return [c for c in re.split(r"\s+and\s+", text) if c.strip()]


def _condition_problems(condition: str) -> list[str]:
    messages = []
    for clause in _clauses(condition):
        match = _CLAUSE.match(clause)
        if match is None:
            messages.append(f"cannot read condition {clause!r}")
            continue
        column, op, value = match.groups()
        kind = CONDITION_COLUMNS.get(column)
        if kind is None:
            messages.append(f"condition column {column!r} is not one of "
                            f"{sorted(CONDITION_COLUMNS)}")
        elif kind != "number" and op not in ("==", "!="):
            messages.append(f"{column!r} is {kind}: use == or !=, not {op}")
        elif kind == "bool" and value not in ("True", "False"):
            messages.append(f"{column!r} is True or False, not {value!r}")
        elif kind == "number" and _float(value) is None:
            messages.append(f"{value!r} is not a number")
    return messages


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


class _Columns:
    """Home columns converted once: numbers as floats, text as factorised codes."""

    def __init__(self, homes: pd.DataFrame, warned: set[str] | None = None,
                 warn: bool = True) -> None:
        self.homes = homes
        self._numbers: dict[str, np.ndarray] = {}
        self._codes: dict[str, tuple[np.ndarray, pd.Index]] = {}
        self._warned = set() if warned is None else warned
        self._warn = warn

    def _series(self, column: str) -> pd.Series:
        if column in self.homes.columns:
            return self.homes[column]
        if self._warn and column not in self._warned:
            self._warned.add(column)
            logger.warning("buildings have no %r column; measures that test it do not apply",
                           column)
        return pd.Series(np.nan, index=self.homes.index, dtype="float64")

    def numbers(self, column: str) -> np.ndarray:
        if column not in self._numbers:
            values = self._series(column)
            if CONDITION_COLUMNS.get(column) == "bool":
                values = each_distinct(values, _flag_numbers)
            self._numbers[column] = pd.to_numeric(values, errors="coerce").to_numpy(float)
        return self._numbers[column]

    def isin(self, column: str, values: list[str], *, invert: bool = False) -> np.ndarray:
        if column not in self._codes:
            codes, uniques = pd.factorize(self._series(column), use_na_sentinel=True)
            self._codes[column] = (codes, pd.Index(uniques.astype(str)))
        codes, uniques = self._codes[column]
        wanted = uniques.get_indexer(values)
        found = np.isin(codes, wanted[wanted >= 0])
        return (~found & (codes >= 0)) if invert else found


def _condition(columns: _Columns, condition: str) -> np.ndarray:
    ok = np.ones(len(columns.homes), dtype=bool)
    ops = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
           "==": np.equal, "!=": np.not_equal}
    for clause in _clauses(condition):
        column, op, value = _CLAUSE.match(clause).groups()  # type: ignore[union-attr]
        kind = CONDITION_COLUMNS[column]
        if kind == "text":
            ok &= columns.isin(column, [value], invert=op == "!=")
            continue
        numbers = columns.numbers(column)
        target = float(value == "True") if kind == "bool" else float(value)  # checked on read
        ok &= np.isfinite(numbers) & ops[op](numbers, target)
    return ok


def condition_mask(homes: pd.DataFrame, condition: str) -> np.ndarray:
    """Whether each home meets ``condition`` (a missing value fails its clause)."""
    return _condition(_Columns(homes), condition)


def _in_list(columns: _Columns, column: str, cell: object) -> np.ndarray:
    allowed = _split(cell)
    if not allowed:
        return np.ones(len(columns.homes), dtype=bool)
    return columns.isin(column, allowed)


def _flag_numbers(flags: pd.Series) -> pd.Series:
    """True/False (or their text) as 1.0/0.0; anything else missing."""
    return flags.astype(object).map({True: 1.0, False: 0.0, "True": 1.0, "False": 0.0})


@dataclass(frozen=True)
class MeasureMatrices:
    """Per-home values of every measure (homes x measures arrays).

    Attributes
    ----------
    names, kinds, groups, new_fuel : tuple of str
        Per measure (columns of the arrays).
    applicable : numpy.ndarray of bool
    cost, saving, sap, lifetime, scop : numpy.ndarray of float
        GBP, heat demand share saved, SAP points, years, heat per kWh bought (0 for fabric).
    """

    names: tuple[str, ...]
    kinds: tuple[str, ...]
    groups: tuple[str, ...]
    new_fuel: tuple[str, ...]
    applicable: np.ndarray
    cost: np.ndarray
    saving: np.ndarray
    sap: np.ndarray
    lifetime: np.ndarray
    scop: np.ndarray

    def index(self, measure: str) -> int:
        """Column of ``measure``; raises ``SourceFormatError`` when the table lacks it."""
        if measure not in self.names:
            raise SourceFormatError(f"retrofit_measures has no rows for measure {measure!r} "
                                    f"(it lists {list(self.names)}; fix: add the measure's "
                                    "rows with a source)")
        return self.names.index(measure)


def measure_matrices(homes: pd.DataFrame, table: pd.DataFrame,
                     loft: pd.DataFrame | None = None, *,
                     warned: set[str] | None = None, warn: bool = True) -> MeasureMatrices:
    """Evaluate every measure of ``table`` for every home, vectorised.

    Parameters
    ----------
    homes : pandas.DataFrame
        Buildings with ``property_type``, ``floor_area_m2`` and the columns the table's
        applicability lists and conditions test (missing columns: those tests fail).
    table : pandas.DataFrame
        From :func:`read_retrofit_measures`.
    loft : pandas.DataFrame, optional
        From :func:`~geoplan.workstreams.loft.read_loft_insulation`: scale the
        ``loft_insulation`` saving and SAP points by each home's existing depth (module
        docstring); without it they are used as given.
    warned : set of str, optional
        Columns already warned about as missing (filled in): several calls over parts of
        the same homes warn once.
    warn : bool
        Whether to warn of a missing column at all (False: another call over the other
        homes warns).
    """
    names = tuple(dict.fromkeys(table["measure"]))
    n, m = len(homes), len(names)
    area = pd.to_numeric(homes["floor_area_m2"], errors="coerce").to_numpy(float)
    columns = _Columns(homes, warned, warn)
    arrays = {k: np.zeros((n, m), order="F") for k in ("cost", "saving", "sap", "lifetime",
                                                       "scop")}
    applicable = np.zeros((n, m), dtype=bool, order="F")
    first = table.drop_duplicates("measure").set_index("measure")
    values = {key: table[column].fillna(0.0).to_numpy(float) for key, column in (
        ("fixed", "cost_fixed_gbp"), ("per_m2", "cost_per_m2_gbp"), ("saving", "saving_share"),
        ("sap", "sap_points"), ("lifetime", "lifetime_years"), ("scop", "scop"))}
    for j, name in enumerate(names):
        choice = np.full(n, -1)
        positions = np.flatnonzero((table["measure"] == name).to_numpy())
        specific = [t for t in table["property_type"].iloc[positions] if t != "any"]
        for pos in positions:
            row = table.iloc[pos]
            uses = (~columns.isin("property_type", specific) if row["property_type"] == "any"
                    else columns.isin("property_type", [row["property_type"]]))
            ok = (uses & _in_list(columns, "wall_type", row["wall_types"])
                  & _in_list(columns, "age_band", row["age_bands"])
                  & _in_list(columns, "main_fuel", row["main_fuels"])
                  & _condition(columns, str(row["condition"])))
            choice[ok] = pos
        found = choice >= 0
        at = np.maximum(choice, 0)
        applicable[:, j] = found
        arrays["cost"][:, j] = np.where(found, values["fixed"][at] + values["per_m2"][at]
                                        * area, 0.0)
        for key in ("saving", "sap", "lifetime", "scop"):
            arrays[key][:, j] = np.where(found, values[key][at], 0.0)
        if name == LOFT and loft is not None:
            _scale_loft(j, columns.numbers("roof_insulation_mm"), loft, applicable, arrays)
    return MeasureMatrices(
        names, tuple(first.loc[list(names), "kind"]),
        tuple(first.loc[list(names), "exclusive_group"].replace("nan", "")),
        tuple(first.loc[list(names), "new_fuel"].replace("nan", "")), applicable, **arrays)


def _scale_loft(j: int, depth: np.ndarray, loft: pd.DataFrame, applicable: np.ndarray,
                arrays: dict[str, np.ndarray]) -> None:
    """Scale column ``j`` (loft insulation) by the existing depth; unknown depth: none."""
    ratio = loft_ratio(depth, loft)
    known = np.isfinite(ratio)
    applicable[:, j] &= known
    for key in ("saving", "sap"):
        arrays[key][:, j] = np.where(known, arrays[key][:, j] * np.nan_to_num(ratio), 0.0)
    arrays["cost"][:, j] = np.where(known, arrays["cost"][:, j], 0.0)
