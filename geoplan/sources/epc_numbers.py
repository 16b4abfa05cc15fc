"""Number and rating columns of EPC certificates, read by the shared number rules.

Split from :mod:`geoplan.sources.epc` (see its docstring for the rules): unreadable cells are
left empty and counted; readable values outside :data:`RANGES`, and ratings other than A-G,
mark their certificate for dropping.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoplan.schemas import EPC_BANDS
from geoplan.sources.numbers import (
    FLOOR_AREA_M2,
    PERCENT,
    SAP_RATING,
    CellError,
    Quantity,
    all_plain,
    parse_cell,
    parse_column,
)

__all__ = ["RANGES", "band", "number"]

RANGES: dict[str, Quantity] = {
    "CURRENT_ENERGY_EFFICIENCY": SAP_RATING,
    "POTENTIAL_ENERGY_EFFICIENCY": SAP_RATING,
    "TOTAL_FLOOR_AREA": FLOOR_AREA_M2,
    # sanity bounds for one home: net exporters go below zero, typical homes emit 1-10 t/yr
    # and use 50-500 kWh/m²/yr
    "CO2_EMISSIONS_CURRENT": Quantity("CO2 emission", "t", -100.0, 1000.0),
    "ENERGY_CONSUMPTION_CURRENT": Quantity("energy consumption", "kWh/m2", -2000.0, 5000.0),
    "LOW_ENERGY_LIGHTING": PERCENT,
    "MULTI_GLAZE_PROPORTION": PERCENT,
    "PHOTO_SUPPLY": PERCENT,
}
"""Quantity (unit and plausible range) of each number column read; see
:mod:`geoplan.sources.numbers` for where the bounds come from."""
_ZERO_IS_MISSING = frozenset({"TOTAL_FLOOR_AREA"})  # the register writes 0 for "not recorded"


def number(text: pd.Series, invalid: dict[str, int],
           implausible: dict[str, np.ndarray]) -> pd.Series:
    """Read a number column by the shared rules; count unreadable and implausible cells.

    Unreadable cells (text that is no number of the column) become NaN, counted in
    ``invalid``; readable values outside the column's range (:data:`RANGES`) mark their
    certificate for dropping in ``implausible``.
    """
    column = str(text.name)
    quantity = RANGES[column]
    codes, distinct = text.factorize()  # a few hundred texts for 60,000 homes
    cells = pd.Series(distinct, dtype=text.dtype)
    if 2 * len(cells) > len(text) or not all_plain(cells):  # separators count every cell
        values, bad = parse_column(text, quantity)
        where = [np.array([text.index.get_loc(item.label)]) for item in bad]
    else:  # plain numbers: each text read once gives what reading every cell gives
        parsed, bad = parse_column(cells, quantity)
        values = pd.Series(np.append(parsed.to_numpy(float), np.nan)[codes], index=text.index)
        where = [np.flatnonzero(codes == item.label) for item in bad]
    ranged = np.zeros(len(text), dtype=bool)
    unreadable = 0
    for item, rows in zip(bad, where, strict=True):
        number = _readable(item.value, quantity)
        if number is None or (number == 0 and column in _ZERO_IS_MISSING):
            unreadable += len(rows)
        else:
            ranged[rows] = True
    invalid[column] = invalid.get(column, 0) + unreadable
    if ranged.any():
        implausible[column] = implausible.get(column, np.zeros(len(text), dtype=bool)) | ranged
    return values


def _readable(value: object, quantity: Quantity) -> float | None:
    """Return the number in a bad cell if it is one (refused for its range), else None."""
    wide = Quantity(quantity.name, quantity.unit, -np.inf, np.inf, quantity.aliases)
    try:
        return parse_cell(value, wide)
    except CellError:
        return None


def band(text: pd.Series, implausible: dict[str, np.ndarray]) -> pd.Series:
    """Energy rating A-G; another letter or text marks the certificate for dropping."""
    band = text.str.strip().str.upper()
    known = band.isin(EPC_BANDS)
    other = (text.notna() & ~known).to_numpy(dtype=bool)
    if other.any():
        implausible[str(text.name)] = other
    return band.where(known)
