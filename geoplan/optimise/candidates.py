"""The candidates table every workstream hands to the optimiser, checked once.

Required columns are those of :data:`geoplan.schemas.CANDIDATES` except geometry, which is
optional here (tests and notebooks may build candidates without it): ``candidate_id``,
``cost_gbp`` and whatever benefit, load or grouping columns the objective and constraints
name. Optional columns the model understands:

``group_id``
    Candidates sharing a group exclude each other (at most one is chosen), e.g. the pathways
    of one zone. Blank means a group of its own.
``locked_in`` / ``locked_out``
    Booleans: already decided (must be in) or ruled out.
``district_id``, ``workstream``, ``substation_id``
    Used by per-district and per-workstream budgets and minimums, and by grid headroom.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from geoplan.errors import LayerSchemaError, Problems

__all__ = ["check_candidates", "numeric_column"]


def numeric_column(frame: pd.DataFrame, column: str, *, least: float | None = 0.0,
                   problems: Problems) -> np.ndarray:
    """Column ``column`` as float64, recording missing, non-numeric or too-small values."""
    if column not in frame.columns:
        problems.add("column is missing", column=column,
                     fix=f"add {column!r} to the candidates or change the scenario")
        return np.zeros(len(frame))
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(values))
    for row in bad[:5]:
        problems.add(f"{frame[column].iloc[row]!r} is not a finite number", row=int(row) + 1,
                     column=column, fix="give every candidate a number")
    if len(bad) > 5:
        problems.add(f"... and {len(bad) - 5} more rows without a number", column=column)
    if least is not None:
        low = np.flatnonzero(np.isfinite(values) & (values < least))
        for row in low[:5]:
            problems.add(f"{values[row]:g} is below {least:g}", row=int(row) + 1, column=column,
                         fix=f"{column} must be >= {least:g}")
        if len(low) > 5:
            problems.add(f"... and {len(low) - 5} more rows below {least:g}", column=column)
    return np.where(np.isfinite(values), values, 0.0)


def check_candidates(frame: pd.DataFrame, numeric: Iterable[str] = (),
                     signed: Iterable[str] = ()) -> pd.DataFrame:
    """Check a candidates table and return a clean copy with a 0..n-1 index.

    Parameters
    ----------
    frame : pandas.DataFrame
        The candidates.
    numeric : iterable of str
        Columns that must hold non-negative numbers (costs, loads, benefits).
    signed : iterable of str
        Columns that must hold numbers of any sign.

    Raises
    ------
    LayerSchemaError
        Listing every problem: missing columns, duplicate or blank ids, bad numbers, a
        candidate both locked in and locked out, two locked-in candidates in one group.
    """
    problems = Problems(sheet="candidates")
    table = frame.reset_index(drop=True)
    if "candidate_id" not in table.columns:
        problems.add("column is missing", column="candidate_id", fix="give candidates ids")
        problems.raise_if_any(LayerSchemaError)
    ids = table["candidate_id"].astype(str)
    for row in np.flatnonzero(table["candidate_id"].isna().to_numpy()):
        problems.add("id is blank", row=int(row) + 1, column="candidate_id")
    for value in sorted(set(ids[ids.duplicated()]))[:5]:
        problems.add(f"id {value!r} appears more than once", column="candidate_id",
                     fix="make candidate ids unique")
    for column in dict.fromkeys(numeric):
        numeric_column(table, column, least=0.0, problems=problems)
    for column in dict.fromkeys(signed):
        numeric_column(table, column, least=None, problems=problems)
    _check_locks(table, problems)
    problems.raise_if_any(LayerSchemaError)
    table["candidate_id"] = ids
    return table


def _flags(table: pd.DataFrame, column: str) -> np.ndarray:
    if column not in table.columns:
        return np.zeros(len(table), dtype=bool)
    return table[column].fillna(False).astype(bool).to_numpy()


def _check_locks(table: pd.DataFrame, problems: Problems) -> None:
    locked_in, locked_out = _flags(table, "locked_in"), _flags(table, "locked_out")
    for row in np.flatnonzero(locked_in & locked_out):
        problems.add(f"{table['candidate_id'].iloc[row]!r} is both locked in and locked out",
                     row=int(row) + 1, column="locked_in", fix="choose one")
    if "group_id" in table.columns:
        named = table["group_id"].notna() & (table["group_id"].astype(str).str.strip() != "")
        groups = table.loc[locked_in & named.to_numpy(), "group_id"]
        for group in sorted(set(groups[groups.duplicated()].astype(str))):
            ids = table.loc[locked_in & (table["group_id"].astype(str) == group).to_numpy(),
                            "candidate_id"].tolist()
            problems.add(f"group {group!r} has several locked-in options {ids}",
                         column="group_id", fix="lock in at most one option per group")


def lock_flags(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``(locked_in, locked_out)`` boolean arrays of a checked table."""
    return _flags(table, "locked_in"), _flags(table, "locked_out")
