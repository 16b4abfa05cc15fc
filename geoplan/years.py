"""Dated figures: the project's one rule for a table's value in a given year.

At the bottom of the import order (imports nothing of geoplan), so that the optimiser, the
grid layer and the plan read dated limits the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["value_in_year"]


def value_in_year(rows: pd.DataFrame, year: int, *, value: str, key: str = "substation_id",
                  earliest_otherwise: bool = False) -> pd.Series:
    """Each key's ``value`` in ``year``: the project's one rule for dated grid figures.

    The row of ``year`` itself, else of the latest year before it; else a row with no year
    (a snapshot, valid for any year); else, when ``earliest_otherwise``, the earliest row (a
    cautious choice for limits), otherwise nothing (the key is left out).

    Returns
    -------
    pandas.Series
        ``value`` (float) indexed by ``key`` as text, sorted.

    Examples
    --------
    >>> rows = pd.DataFrame({"substation_id": ["a", "a", "b"], "year": [2025, 2030, 2035],
    ...                      "kw": [5.0, 3.0, 9.0]})
    >>> value_in_year(rows, 2032, value="kw").to_dict()
    {'a': 3.0}
    >>> value_in_year(rows, 2032, value="kw", earliest_otherwise=True).to_dict()
    {'a': 3.0, 'b': 9.0}
    """
    years = rows["year"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    ordered = rows.assign(_year=years, _key=rows[key].astype(str)).sort_values(
        ["_key", "_year"], kind="stable")
    dated = ordered[ordered["_year"] <= year].drop_duplicates("_key", keep="last")
    snapshot = ordered[ordered["_year"].isna()].drop_duplicates("_key", keep="first")
    chosen = pd.concat([dated, snapshot[~snapshot["_key"].isin(dated["_key"])]])
    if earliest_otherwise:
        later = ordered[~ordered["_key"].isin(chosen["_key"])].drop_duplicates("_key")
        chosen = pd.concat([chosen, later])
    values = chosen.set_index("_key")[value].astype(float).sort_index()
    return values.rename_axis(key).rename(value)
