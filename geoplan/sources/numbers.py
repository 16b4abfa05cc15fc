"""One number parser for every reader: the rules for numbers written in cells.

Every reader parses number cells through :func:`parse_column` (a whole column, so that the
column's other values can settle what a separator means) or :func:`parse_cell` (one cell with
no column around it), naming the :class:`Quantity` the column holds. The rules:

1. **Blanks** (``""``, ``"N/A"``, ``"NaN"``, ... see :data:`geoplan.sources.cells.BLANKS`)
   are missing values, never zero.
2. **Plain numbers**: an optional sign, digits with ``.`` as the decimal point, an optional
   exponent (``"12"``, ``"-0.25"``, ``".5"``, ``"1e3"``). Spaces around the number are
   ignored and a Unicode minus (U+2212, what word processors write) is a minus: the value
   read is the value written.
3. **Thousands separators** (``,``, a space, a no-break or narrow no-break space, ``'``) are
   accepted only where the column shows them consistently: at least two cells of the column
   are written in groups of three digits with the same separator, no cell of 1000 or more is
   written without it, and no cell uses that character as a decimal mark. A lone
   ``"13,073"`` among plain numbers is refused, since it may be 13.073 written with a decimal
   comma; ``"1,5"`` is never a thousands group.
4. **Decimal commas** (``"1,5"``) and dots grouping thousands (``"5.510.171"``) are refused
   unless the file's decimal mark is declared ``","`` (the ``decimal`` argument, or
   :func:`declared_decimal` around a reader; then ``.`` and spaces group thousands under
   rule 3, and a ``.``-decimal ``"1.5"`` is refused as ambiguous). The fix named is to
   convert the file to ``.`` decimals, or to declare the decimal comma.
5. **Units**: a cell may end with the column's own unit (``"12.5 MVA"`` in an MVA column).
   Any other unit is refused, never converted: ``"13.073 MW"`` in an MVA column (turning MW
   into MVA needs a power factor the cell does not give), ``"50%"`` in an MVA column.
6. **Accounting negatives** ``"(3.2)"`` are refused: write ``-3.2``.
7. **Spreadsheet errors** (``#DIV/0!``, ``#VALUE!``, ``#N/A``, ``#REF!`` ... held by a
   workbook cell as an error, passed in as an :class:`ExcelError`) are refused, never read
   as blanks; a text cell reading ``"#N/A"`` stays a blank marker (rule 1).
8. **Finite and plausible**: ``"inf"`` and numbers too large for a float are refused, and every
   value (text or a spreadsheet's own number) must lie in the quantity's plausible range
   (:data:`QUANTITIES`). The ranges are sanity bounds against mis-read cells, not planning
   assumptions; a quantity with no stated range is bounded by +-1e15, beyond which a float
   no longer holds every whole number.

A bad cell is reported as a :class:`BadCell` (message and fix); the reader decides, per its
contract, whether that is an error (most readers: every bad cell of the file is listed in one
:class:`~geoplan.errors.SourceFormatError`) or a counted warning (EPC certificates).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "ANY",
    "BLANKS",
    "CAPACITY_MVA",
    "CHARGER_KW",
    "COUNT",
    "DECIMAL_MARKS",
    "DEMAND_MVA",
    "FLOOR_AREA_M2",
    "GRID_HEADROOM_MVA",
    "HEADROOM_MVA",
    "PARKING_SPACES",
    "PERCENT",
    "POWER_FACTOR",
    "QUANTITIES",
    "SAP_RATING",
    "BadCell",
    "CellError",
    "ExcelError",
    "Quantity",
    "all_plain",
    "column_separator",
    "declared_decimal",
    "parse_cell",
    "parse_column",
]

LIMIT = 1e15
"""Bound for quantities with no stated range: above it a float loses whole numbers."""


@dataclass(frozen=True)
class Quantity:
    """What a number column holds: its name, unit and plausible range.

    Parameters
    ----------
    name : str
        Shown in messages, e.g. ``"demand headroom"``.
    unit : str
        The column's unit (``""`` for counts and scores); a cell may end with it.
    low, high : float
        Plausible range, inclusive.
    aliases : tuple of str
        Other spellings of ``unit`` accepted at the end of a cell (``"m2"`` for ``"m²"``).
    """

    name: str = "number"
    unit: str = ""
    low: float = -LIMIT
    high: float = LIMIT
    aliases: tuple[str, ...] = ()

    def units(self) -> set[str]:
        """Return the accepted unit suffixes, case-folded."""
        return {u.casefold() for u in (self.unit, *self.aliases) if u}

    def range_text(self) -> str:
        """Show the plausible range as in messages, e.g. ``"-2,000 to 2,000 MVA"``."""
        unit = f" {self.unit}" if self.unit and self.unit != "%" else self.unit
        return f"{self.low:,.10g} to {self.high:,.10g}{unit}"


ANY = Quantity()
"""A number with no known unit or range (finite, within +-1e15)."""

# Sanity bounds (not planning assumptions): each is far outside what the quantity takes in
# published data, so a value beyond it is a mis-read cell (a separator or unit lost).
HEADROOM_MVA = Quantity("demand headroom", "MVA", -2000.0, 2000.0)
"""Headroom of a primary or BSP: SEPD's 2023 report spans -295 to 245 MVA (issue 11 bound)."""
GRID_HEADROOM_MVA = Quantity("demand headroom", "MVA", -5000.0, 5000.0)
"""Headroom in a file that may list Grid Supply Points (the generic reader): the FES 2022
projections for Oxfordshire's GSPs reach 2,714 MVA; bounded by the firm capacity bound."""
CAPACITY_MVA = Quantity("firm capacity", "MVA", -100.0, 5000.0)
"""Firm capacity: published files hold small negatives (GB primaries: -1.4 MVA, kept with a
note by that reader), and no primary or BSP is near 5,000 MVA."""
DEMAND_MVA = Quantity("demand", "MVA", -5000.0, 5000.0)
"""Peak, minimum or contracted demand or generation in MVA (negative: net export)."""
CHARGER_KW = Quantity("charger rating", "kW", 0.0, 1000.0)
"""A charge point connector's rating: public car chargers are at most 350-400 kW today."""
FLOOR_AREA_M2 = Quantity("floor area", "m²", 5.0, 5000.0, aliases=("m2", "sqm", "sq m"))
"""Total floor area of one home (issue 11 bound: 5 to 5,000 m²)."""
SAP_RATING = Quantity("SAP rating", "", 1.0, 150.0)
"""SAP energy rating: the SAP 2012 scale runs from 1 to 100+, above 100 for net exporters of
energy (BRE, SAP 2012 section 13); 150 is geoplan's cap for a plausible net exporter."""
POWER_FACTOR = Quantity("power factor", "", -1.0, 1.0)
"""A power factor (the ratio of real to apparent power) lies between -1 and 1."""
PERCENT = Quantity("percentage", "%", 0.0, 100.0)
"""A share written in percent."""
COUNT = Quantity("count", "", 0.0, 1e8)
"""Vehicles, households or people in one area: never negative."""
PARKING_SPACES = Quantity("number of parking spaces", "", 0.0, 50000.0)
"""Spaces of one car park (an OSM ``capacity`` tag): the world's largest hold about 20,000."""

QUANTITIES = (ANY, HEADROOM_MVA, GRID_HEADROOM_MVA, CAPACITY_MVA, DEMAND_MVA, POWER_FACTOR,
              CHARGER_KW, FLOOR_AREA_M2, SAP_RATING, PERCENT, COUNT, PARKING_SPACES)
"""Every quantity readers name (``tests/README.md`` lists their ranges)."""


@dataclass(frozen=True)
class BadCell:
    """A cell that is not a plausible number of its column's quantity."""

    label: object
    value: object
    message: str
    fix: str

    @property
    def int_label(self) -> int:
        """``label`` as an int, for cells of a Series with an integer (row) index."""
        if isinstance(self.label, int | np.integer):
            return int(self.label)
        raise TypeError(f"cell label {self.label!r} is not an integer row label")


@dataclass(frozen=True, repr=False)
class ExcelError:
    """A workbook cell holding a spreadsheet error (``#DIV/0!``, ``#N/A`` ...), not a value.

    Workbook readers put one in place of the blank the spreadsheet library returns for such a
    cell (:func:`geoplan.sources.workbook_errors.error_cells`), so that it is refused.
    """

    code: str

    def __str__(self) -> str:
        return self.code

    def __repr__(self) -> str:  # shown unquoted in messages, unlike the text '#N/A'
        return self.code


DECIMAL_MARKS = (".", ",")
"""The decimal marks a file may declare."""

_DECLARED: ContextVar[str] = ContextVar("geoplan_decimal_mark", default=".")


@contextmanager
def declared_decimal(mark: str | None) -> Iterator[None]:
    """Read the numbers written as text with ``mark`` as the decimal mark, inside the block.

    Readers parse with the declared mark unless they pass ``decimal=`` themselves (geoplan's
    own assumption tables always use ``"."``). ``None`` keeps the mark already declared.

    Raises
    ------
    ValueError
        For a mark other than ``"."`` or ``","``.

    Examples
    --------
    >>> with declared_decimal(","):
    ...     parse_cell("1,5")
    1.5
    """
    if mark is None:
        yield
        return
    if mark not in DECIMAL_MARKS:
        raise ValueError(f"decimal mark must be one of {list(DECIMAL_MARKS)}, not {mark!r}")
    token = _DECLARED.set(mark)
    try:
        yield
    finally:
        _DECLARED.reset(token)


def _mark(decimal: str | None) -> str:
    """Return the decimal mark to use: ``decimal`` if given, else the declared one."""
    return _DECLARED.get() if decimal is None else decimal


class CellError(ValueError):
    """One cell is not a plausible number; ``fix`` says what to do (readers record both)."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.fix = fix


BLANKS = frozenset({"", "-", "n/a", "na", "#n/a", "none", "null", "nan", "tbc", "no data"})
"""Cell texts that mean "no value" (compared after strip and casefold)."""
_PLAIN = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_SEPARATORS = (",", " ", "\u00a0", "\u202f", "'")
_SEPARATOR_NAMES = {",": "','", " ": "a space", "\u00a0": "a no-break space",
                    "\u202f": "a narrow no-break space", "'": "an apostrophe", ".": "'.'"}
_DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+")
_DOT_GROUPS = re.compile(r"[+-]?\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?|[+-]?\d{1,3}(?:\.\d{3})+,\d+")
_BIG_PLAIN = re.compile(r"[+-]?\d{4,}(?:\.\d*)?")
_ACCOUNTING = re.compile(r"\(\s*[+-]?[\d.,\s]+\)")
_INFINITE = re.compile(r"[+-]?(?:inf|infinity|∞)", re.IGNORECASE)
_SUFFIX = re.compile(r"(?P<number>.*?[\d.)])\s*(?P<unit>%|[^\W\d_][\w²/]*(?:\s?[^\W\d_]+)?)")
_UNITS = frozenset({"%", "w", "kw", "mw", "gw", "va", "kva", "mva", "gva", "var", "kvar",
                    "mvar", "wh", "kwh", "mwh", "gwh", "twh", "v", "kv", "a", "ka", "m", "km",
                    "m2", "m²", "sqm", "sq m", "ha", "km2", "km²", "t", "kg", "tco2", "tco2e",
                    "ktco2e", "kt", "mt", "mm", "£", "gbp", "p"})
_TO_DOT = str.maketrans({",": ".", ".": ","})
_FIX_DECIMALS = "convert the file to '.' decimals with no thousands separators (e.g. 1234.5)"
_FIX_DECLARE = (_FIX_DECIMALS + "; or, if the file is an input layer whose decimal mark is "
                "',', declare it (`--decimal-comma`, or `inputs.decimal: \",\"` in a scenario)")


def _grouped(separator: str) -> re.Pattern[str]:
    return re.compile(rf"[+-]?[1-9]\d{{0,2}}(?:{re.escape(separator)}\d{{3}})+(?:\.\d+)?")


_GROUPED = {s: _grouped(s) for s in _SEPARATORS}


def _normal(text: str, decimal: str) -> str:
    """Strip, read a Unicode minus as ``-``, swap ``,`` and ``.`` for ``decimal=","``."""
    text = text.strip().replace("\u2212", "-")
    return text.translate(_TO_DOT) if decimal == "," else text


def _own_unit(text: str, quantity: Quantity) -> str:
    """``text`` without a trailing unit that is the column's own; anything else unchanged."""
    match = _SUFFIX.fullmatch(text)
    if match and match["unit"].casefold() in quantity.units():
        return match["number"].strip()
    return text


def column_separator(texts: pd.Series, decimal: str = ".") -> str | None:
    """Return the thousands separator a column uses consistently (rule 3), or None.

    Parameters
    ----------
    texts : pandas.Series of str
        The column's non-blank text cells, already normalised (stripped, ``.`` decimals).
    decimal : str
        The file's decimal mark (for messages only; ``texts`` use ``.``).

    Examples
    --------
    >>> column_separator(pd.Series(["1,200", "13,073", "350"]))
    ','
    >>> column_separator(pd.Series(["13,073", "12.5", "350"])) is None
    True
    >>> column_separator(pd.Series(["1,200", "13,073", "4500"])) is None
    True
    """
    if texts.empty:
        return None
    texts = texts.astype(str)
    used = {s: int(texts.str.fullmatch(_GROUPED[s]).sum()) for s in _SEPARATORS}
    used = {s: n for s, n in used.items() if n}
    if len(used) != 1:
        return None
    separator, count = next(iter(used.items()))
    if count < 2 or texts.str.fullmatch(_BIG_PLAIN).any():
        return None
    if separator == "," and (texts.str.fullmatch(_DECIMAL_COMMA)
                             & ~texts.str.fullmatch(_GROUPED[","])).any():
        return None
    return separator


def parse_cell(value: object, quantity: Quantity = ANY, *, separator: str | None = None,
               decimal: str | None = None) -> float | None:
    """Parse one cell by the module's rules; ``None`` for a blank.

    Parameters
    ----------
    value : object
        The cell: text, a number, or None.
    quantity : Quantity
        What the column holds (unit and plausible range).
    separator : str, optional
        The thousands separator the column uses consistently (see :func:`column_separator`);
        None refuses grouped numbers.
    decimal : {".", ","}, optional
        The file's decimal mark (default: the one declared, see :func:`declared_decimal`).

    Raises
    ------
    CellError
        A ``ValueError`` with the reason and a fix, for a cell that is not a plausible number.

    Examples
    --------
    >>> parse_cell(" 12.5 MVA ", HEADROOM_MVA), parse_cell("−3.2"), parse_cell("N/A")
    (12.5, -3.2, None)
    >>> parse_cell("13,073", separator=","), parse_cell("1,5", decimal=",")
    (13073.0, 1.5)
    >>> parse_cell("1,5")
    Traceback (most recent call last):
    ...
    geoplan.sources.numbers.CellError: '1,5' has a decimal comma
    """
    if value is None or isinstance(value, bool):
        if value is None:
            return None
        raise CellError(f"{value!r} is not a number", "enter a number or leave the cell blank")
    if isinstance(value, ExcelError):
        raise _excel_error(value)
    decimal = _mark(decimal)
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        if math.isnan(number):
            return None
        return _checked(number, value, quantity)
    if str(value).strip().casefold() in BLANKS:
        return None
    text = _normal(str(value), decimal)
    return _checked(_text_number(text, value, quantity, separator, decimal), value, quantity)


def _excel_error(value: ExcelError) -> CellError:
    return CellError(f"the cell holds the spreadsheet error {value.code}, not a number",
                     "correct the formula or type the value in the workbook and save it "
                     "again, or clear the cell if there is no value")


def _show(value: object) -> str:
    """Show a cell as in messages: numbers plainly, text quoted."""
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        return f"{float(value):.10g}"
    return repr(value)


def _checked(number: float, value: object, quantity: Quantity) -> float:
    if not math.isfinite(number):
        raise CellError(f"{_show(value)} is not a finite number",
                        "enter a finite number or leave the cell blank")
    if not quantity.low <= number <= quantity.high:
        raise CellError(
            f"{_show(value)} is outside the plausible range of a {quantity.name} "
            f"({quantity.range_text()})",
            "correct the cell (a lost decimal point, separator or unit?) or leave it blank")
    return number


def _text_number(text: str, value: object, quantity: Quantity, separator: str | None,
                 decimal: str) -> float:
    """Read the number written in normalised ``text`` (rules 2-6), before the range check."""
    if _INFINITE.fullmatch(text):
        raise CellError(f"{value!r} is not a finite number",
                        "enter a finite number or leave the cell blank")
    core = _own_unit(text, quantity)
    if _PLAIN.fullmatch(core):
        return float(core)
    for mark, pattern in _GROUPED.items():
        if pattern.fullmatch(core):
            if mark == separator:
                return float(core.replace(mark, ""))
            raise _ungrouped_error(value, mark, decimal)
    raise _diagnosis(text, core, value, quantity, decimal)


def _ungrouped_error(value: object, mark: str, decimal: str) -> CellError:
    shown = _SEPARATOR_NAMES[mark]
    if mark == "," and decimal == ".":
        return CellError(
            f"{value!r} has a thousands separator (or a decimal comma), but the column's other "
            "values do not use ',' grouping consistently",
            "write the number without separators (e.g. 13073), or if ',' is a decimal comma "
            "here, " + _FIX_DECLARE)
    if mark == "," and decimal == ",":
        return CellError(
            f"{value!r} groups thousands with '.' (or has a decimal point), but the column's "
            "other values do not group thousands consistently",
            "write the number without separators (e.g. 13073); if '.' is the decimal mark "
            "here, the file does not use decimal commas: do not declare them")
    return CellError(f"{value!r} groups thousands with {shown}, but the column's other values "
                     "do not do so consistently",
                     "write the number without separators (e.g. 13073)")


def _diagnosis(text: str, core: str, value: object, quantity: Quantity,
               decimal: str) -> CellError:
    """Why ``text`` is not a number, with the fix."""
    if decimal == "." and _DECIMAL_COMMA.fullmatch(core):
        return CellError(f"{value!r} has a decimal comma", _FIX_DECLARE)
    if decimal == "," and (_DECIMAL_COMMA.fullmatch(core) or _DOT_GROUPS.fullmatch(core)):
        return CellError(f"{value!r} has a decimal point, but the file's decimal mark is "
                         "declared ',', so it is ambiguous",
                         "write the decimal mark as ',' like the rest of the file, or "
                         + _FIX_DECIMALS + " and do not declare the decimal comma")
    if decimal == "." and _DOT_GROUPS.fullmatch(core):
        return CellError(f"{value!r} uses '.' to group thousands (a European format)",
                         _FIX_DECLARE)
    if _ACCOUNTING.fullmatch(core):
        return CellError(f"{value!r} is an accounting-style negative",
                         "write negative numbers with a leading minus (e.g. -3.2)")
    match = _SUFFIX.fullmatch(text)
    if (match and match["unit"].casefold() in _UNITS
            and _PLAIN.fullmatch(_normal(match["number"], ".")) is not None):
        return _unit_error(value, match["unit"], quantity)
    return CellError(f"{value!r} is not a number", "enter a number or leave the cell blank")


def _unit_error(value: object, unit: str, quantity: Quantity) -> CellError:
    holds = (f"holds {quantity.name} in {quantity.unit}" if quantity.unit
             else f"holds a {quantity.name} with no unit")
    if unit == "%":
        return CellError(f"{value!r} is a percentage, but the column {holds}",
                         f"enter the value in {quantity.unit or 'the column unit'}, "
                         "not as a percentage")
    convert = (" (MW to MVA needs a power factor the file does not give)"
               if {unit.casefold(), quantity.unit.casefold()} == {"mw", "mva"} else "")
    target = f"in {quantity.unit}" if quantity.unit else "as a plain number"
    return CellError(f"{value!r} is in {unit}, but the column {holds}; geoplan does not "
                     f"convert units{convert}", f"enter the value {target}")


def parse_column(cells: pd.Series, quantity: Quantity = ANY, *,
                 decimal: str | None = None) -> tuple[pd.Series, list[BadCell]]:
    """Parse a column of cells as floats by the module's rules, vectorised for plain numbers.

    Parameters
    ----------
    cells : pandas.Series
        The column as read: numbers, text or a mix (a spreadsheet column).
    quantity : Quantity
        What the column holds.
    decimal : {".", ","}, optional
        The file's decimal mark (default: the one declared, see :func:`declared_decimal`).

    Returns
    -------
    values : pandas.Series
        Floats, NaN for blanks and for bad cells.
    bad : list of BadCell
        Every cell that is not a plausible number, in column order.
    """
    if pd.api.types.is_numeric_dtype(cells) and not pd.api.types.is_bool_dtype(cells):
        values = cells.astype(float)
        bad = _out_of_range(values, cells, quantity)
        if bad:
            values[[item.label for item in bad]] = np.nan
        return values, bad
    decimal = _mark(decimal)
    items = cells.astype(object).to_numpy()
    parsed = np.full(len(items), np.nan)  # by position: a Series is made once, at the end
    if pd.api.types.is_string_dtype(cells.dtype) and cells.dtype != object:
        numeric = errors = np.zeros(len(items), dtype=bool)  # a text column: no number cells
    else:
        numeric = np.fromiter((isinstance(v, int | float | np.integer | np.floating)
                               and not isinstance(v, bool) for v in items), bool, len(items))
        errors = np.fromiter((isinstance(v, ExcelError) for v in items), bool, len(items))
        parsed[numeric] = items[numeric].astype(float)
    text_cells = ~numeric & ~errors
    # a column of number cells alone (a workbook's figures) has no text to read: the text
    # steps below cost a few pandas calls per column even when empty
    text = _cell_texts(items, text_cells, decimal) if text_cells.any() else None
    rest = None
    if text is not None:
        plain = text.str.fullmatch(_PLAIN).to_numpy(dtype=bool)
        parsed[text.index[plain]] = pd.to_numeric(text[plain], errors="coerce").astype(float)
        rest = text[~plain]
    bad = _out_of_range(pd.Series(parsed, index=cells.index), cells, quantity)
    for position in np.flatnonzero(errors):
        exc = _excel_error(items[position])
        bad.append(BadCell(cells.index[position], items[position], str(exc), exc.fix))
    if text is not None and rest is not None and len(rest):
        separator = column_separator(text.map(lambda t: _own_unit(t, quantity)), decimal)
        for position in rest.index:
            try:
                parsed[position] = parse_cell(items[position], quantity, separator=separator,
                                              decimal=decimal)
            except CellError as exc:
                bad.append(BadCell(cells.index[position], items[position], str(exc), exc.fix))
    if len(bad) > 1:  # labels to positions only when there is something to sort
        order = {label: i for i, label in enumerate(cells.index)}
        bad.sort(key=lambda b: order[b.label])
    values = pd.Series(parsed, index=cells.index)
    if bad:
        values[[item.label for item in bad]] = np.nan
    return values, bad


def _cell_texts(items: np.ndarray, text_cells: np.ndarray, decimal: str) -> pd.Series:
    """Return the stripped texts of the non-blank ``text_cells``, indexed by position.

    The decimal mark becomes '.' and a Unicode minus '-'.
    """
    positions = np.flatnonzero(text_cells)
    raw = pd.Series(items[positions], index=positions, dtype=object)
    text = raw.where(raw.notna(), "").astype(str).str.strip()
    text = text[~text.str.casefold().isin(BLANKS)].str.replace("\u2212", "-", regex=False)
    return text.str.translate(_TO_DOT) if decimal == "," else text


def all_plain(cells: pd.Series, *, decimal: str | None = None) -> bool:
    """Whether every non-blank cell is a plain number (no unit, no thousands separator).

    :func:`parse_column` then reads each cell alone; otherwise it also looks at the whole
    column (which thousands separator it uses consistently, and how often).
    """
    items = cells.astype(object).to_numpy()
    every = np.ones(len(items), dtype=bool)
    return bool(_cell_texts(items, every, _mark(decimal)).str.fullmatch(_PLAIN).all())


def _out_of_range(values: pd.Series, cells: pd.Series, quantity: Quantity) -> list[BadCell]:
    """Bad cells among the parsed ``values``: not finite or outside the plausible range."""
    number = values.to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):  # NaN compares False, as Series.between
        inside = np.isfinite(number) & (number >= quantity.low) & (number <= quantity.high)
    outside = ~np.isnan(number) & ~inside
    bad = []
    for label in values.index[outside]:
        try:
            _checked(float(values[label]), cells[label], quantity)
        except CellError as exc:
            bad.append(BadCell(label, cells[label], str(exc), exc.fix))
    return bad
