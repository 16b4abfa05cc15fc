"""Ordnance Survey National Grid references ("SP 51259 05741") to eastings and northings.

A grid reference names a 100 km square with two letters, then an even number of digits
(0 to 10) split equally between easting and northing within that square. Fewer digits mean a
coarser square: "NH 309623" is a 100 m square. Points are placed at the *centre* of the
square the reference describes, which halves the worst-case error of using its corner.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

__all__ = ["BNG_EXTENT", "GB_LAT_RANGE", "GB_LON_RANGE", "grid_ref_to_xy", "grid_refs_to_xy",
           "inside_gb", "looks_swapped"]

_PATTERN = re.compile(r"^([A-HJ-Z])([A-HJ-Z])((?:\d\d)*)$")
_SQUARE_M = 100_000
BNG_EXTENT = (0.0, 0.0, 700_000.0, 1_300_000.0)
"""Bounds (xmin, ymin, xmax, ymax) of the British National Grid in metres."""
GB_LON_RANGE = (-9.0, 2.5)
"""Longitudes (WGS84 degrees) of Great Britain with its islands; outside is a bad location."""
GB_LAT_RANGE = (49.0, 61.5)
"""Latitudes (WGS84 degrees) of Great Britain with its islands."""


def inside_gb(x: object, y: object) -> np.ndarray:
    """Whether British National Grid points lie within the grid's extent (NaN: False).

    The one test of "in Great Britain" for eastings and northings that every reader uses.

    Examples
    --------
    >>> inside_gb([451259.0, 7.5e6, -5000.0], [205741.0, 200000.0, 200000.0]).tolist()
    [True, False, False]
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    xmin, ymin, xmax, ymax = BNG_EXTENT
    return (x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)


def looks_swapped(first: object, second: object) -> np.ndarray:
    """Whether (longitude, latitude) pairs look like (latitude, longitude) of Great Britain.

    Examples
    --------
    >>> looks_swapped([51.75, -1.25], [-1.25, 51.75]).tolist()
    [True, False]
    """
    a, b = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    return ((a >= GB_LAT_RANGE[0]) & (a <= GB_LAT_RANGE[1])
            & (b >= GB_LON_RANGE[0]) & (b <= GB_LON_RANGE[1]))


def _letter_index(letter: str) -> int:
    """Position of a grid letter in the 25-letter alphabet that skips I."""
    index = ord(letter) - ord("A")
    return index - 1 if index > 7 else index


def grid_ref_to_xy(ref: str) -> tuple[float, float]:
    """Convert one OSGB grid reference to (easting, northing) in metres (EPSG:27700).

    Parameters
    ----------
    ref : str
        A grid reference such as ``"SP 51259 05741"``, ``"SP5125905741"`` or ``"NH 309623"``.
        Case, spaces and an even number of digits up to 10 are accepted.

    Returns
    -------
    tuple of float
        Easting and northing of the centre of the square the reference describes.

    Raises
    ------
    ValueError
        If the text is not a grid reference on the British National Grid.

    Examples
    --------
    >>> grid_ref_to_xy("SP 51259 05741")
    (451259.5, 205741.5)
    >>> grid_ref_to_xy("NH 309623")
    (230950.0, 862350.0)
    """
    text = re.sub(r"\s+", "", str(ref)).upper()
    match = _PATTERN.match(text)
    if not match or len(match.group(3)) > 10:
        raise ValueError(f"{ref!r} is not an OS grid reference like 'SP 51259 05741'")
    first, second = _letter_index(match.group(1)), _letter_index(match.group(2))
    square_e = ((first - 2) % 5) * 5 + second % 5
    square_n = (19 - (first // 5) * 5) - second // 5
    east0, north0 = square_e * _SQUARE_M, square_n * _SQUARE_M
    if not (0 <= east0 < BNG_EXTENT[2] and 0 <= north0 < BNG_EXTENT[3]):
        raise ValueError(f"{ref!r} names a square outside the British National Grid")
    digits = match.group(3)
    half = len(digits) // 2
    size = 10 ** (5 - half)
    east = int(digits[:half] or 0) * size
    north = int(digits[half:] or 0) * size
    return (
        square_e * _SQUARE_M + east + size / 2,
        square_n * _SQUARE_M + north + size / 2,
    )


def grid_refs_to_xy(refs: Iterable[object]) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Convert many grid references; blanks and bad references give NaN.

    Parameters
    ----------
    refs : iterable
        Grid references; ``None``, NaN and empty strings count as blank.

    Returns
    -------
    x, y : numpy.ndarray
        Eastings and northings (NaN where blank or bad).
    bad : list of int
        Positions of non-blank values that are not grid references.
    """
    values = list(refs)
    x = np.full(len(values), np.nan)
    y = np.full(len(values), np.nan)
    bad = []
    for i, value in enumerate(values):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        if not str(value).strip():
            continue
        try:
            x[i], y[i] = grid_ref_to_xy(str(value))
        except ValueError:
            bad.append(i)
    return x, y, bad
