"""Assumption tables: the numbers that drive decisions, each with its source.

Every cost, carbon factor, load, rate or eligibility rule geoplan uses lives in a CSV table
under ``layers/assumptions/`` (installed with the package as ``geoplan.assumptions_data``),
one row per item, with a ``source`` column that cites where each number comes from. A
scenario may point at its own copy of any table.

A table is described by an :class:`AssumptionTable`: its key columns, its numeric columns
and the least value each may take. :func:`read_assumptions` checks a file against that
description and lists every problem at once, naming the file, the spreadsheet row (the
header is row 1) and the column. An :class:`AssumptionSet` gathers the tables one run uses,
applies a scenario's replacement files and :class:`Override` values (each changed row then
cites the override's source), and records what was used for the run's manifest.

Examples
--------
>>> spec = AssumptionTable("example", key=("item",), numbers={"cost_gbp": 0.0})
>>> spec.columns
('item', 'cost_gbp', 'source')
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pandas as pd

from geoplan.errors import (
    GeoplanError,
    Problem,
    Problems,
    ScenarioError,
    SourceFormatError,
    SourceNotFoundError,
)
from geoplan.sources.cells import is_blank, read_csv_text
from geoplan.sources.numbers import parse_column

__all__ = [
    "AssumptionProblem",
    "AssumptionSet",
    "AssumptionTable",
    "Override",
    "default_path",
    "read_assumptions",
    "tables_folder",
]

_PACKAGE = "geoplan.assumptions_data"


@dataclass(frozen=True)
class AssumptionTable:
    """Description of one assumption table.

    Parameters
    ----------
    name : str
        Table name; the default file is ``layers/assumptions/<name>.csv``.
    key : tuple of str
        Columns that identify a row; their combination must be unique and non-blank.
    numbers : Mapping[str, float or None]
        Numeric column -> least allowed value (``None``: any number).
    text : tuple of str
        Other required text columns (may be blank).
    optional_numbers : Mapping[str, float or None]
        Numeric columns that may be left blank (read as NaN).
    """

    name: str
    key: tuple[str, ...]
    numbers: Mapping[str, float | None] = field(default_factory=dict)
    text: tuple[str, ...] = ()
    optional_numbers: Mapping[str, float | None] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every required column, ``source`` last."""
        return (*self.key, *self.numbers, *self.text, *self.optional_numbers, "source")


def tables_folder() -> Path:
    """Return the folder of the default tables.

    The installed data package, else the source tree's ``layers/assumptions`` (when geoplan
    is imported from a checkout, e.g. by the tests run from the repository root).
    """
    try:
        return Path(str(resources.files(_PACKAGE)))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "layers" / "assumptions"


def default_path(name: str) -> Path:
    """Path of the default table ``name`` shipped with geoplan.

    Raises
    ------
    SourceNotFoundError
        If geoplan ships no table of that name (the message lists those it does).
    """
    folder = tables_folder()
    path = folder / f"{name}.csv"
    if not path.is_file():
        known = sorted(p.name.removesuffix(".csv") for p in folder.glob("*.csv"))
        raise SourceNotFoundError(f"no assumption table {name!r}; geoplan ships {known}")
    return path


def read_assumptions(
    spec: AssumptionTable, path: str | os.PathLike[str] | None = None
) -> pd.DataFrame:
    """Read and check an assumption table.

    Parameters
    ----------
    spec : AssumptionTable
        What the table must hold.
    path : str or os.PathLike, optional
        A CSV to read instead of the default ``layers/assumptions/<spec.name>.csv``.

    Returns
    -------
    pandas.DataFrame
        Key and text columns as strings (stripped), numeric columns as float64, ``source``
        last; any extra columns are kept as text. ``attrs["path"]`` records the file read.

    Raises
    ------
    SourceNotFoundError
        If the file does not exist.
    SourceFormatError
        Listing every missing column, blank or duplicated key, non-numeric or too small
        value and row without a source.
    """
    path = Path(path) if path is not None else default_path(spec.name)
    raw = read_csv_text(path)
    raw.columns = [str(c).strip() for c in raw.columns]
    problems = Problems(path, sheet=spec.name)
    missing = [c for c in spec.columns if c not in raw.columns]
    for column in missing:
        problems.add("column is missing", column=column,
                     fix=f"the table needs columns {list(spec.columns)}")
    problems.raise_if_any(SourceFormatError)
    raw = raw[[not all(is_blank(v) for v in row) for row in raw.itertuples(index=False)]]
    table = raw.copy()
    for column in (*spec.key, *spec.text, "source"):
        table[column] = raw[column].astype(str).str.strip()
    _check_keys(table, spec, problems)
    _check_sources(table, problems)
    for column, least in spec.numbers.items():
        table[column] = _numbers(raw, column, least, problems, required=True)
    for column, least in spec.optional_numbers.items():
        table[column] = _numbers(raw, column, least, problems, required=False)
    problems.raise_if_any(SourceFormatError)
    ordered = [*spec.columns[:-1], *[c for c in table.columns if c not in spec.columns], "source"]
    table = table[ordered].reset_index(drop=True)
    table.attrs["path"] = str(path)
    return table


def _row(index: object) -> int:
    return int(index) + 2  # type: ignore[call-overload]


def _check_keys(table: pd.DataFrame, spec: AssumptionTable, problems: Problems) -> None:
    for column in spec.key:
        for index in table.index[table[column].map(is_blank)]:
            problems.add("key is blank", row=_row(index), column=column,
                         fix="give every row a key")
    duplicated = table.duplicated(subset=list(spec.key), keep="first")
    for index in table.index[duplicated]:
        value = tuple(table.loc[index, list(spec.key)])
        problems.add(f"key {value} appears more than once", row=_row(index),
                     column=", ".join(spec.key), fix="keep one row per key")


def _check_sources(table: pd.DataFrame, problems: Problems) -> None:
    for index in table.index[table["source"].map(is_blank)]:
        problems.add("no source is given", row=_row(index), column="source",
                     fix="cite the publication every number comes from")


def _numbers(raw: pd.DataFrame, column: str, least: float | None, problems: Problems,
             *, required: bool) -> pd.Series:
    """Parse a column by the shared number rules (:mod:`geoplan.sources.numbers`).

    Assumption tables are geoplan's own format: their decimal mark is always ``.``, whatever
    mark the input layers declare.
    """
    values, bad = parse_column(raw[column], decimal=".")
    for item in bad:
        problems.add(item.message, row=_row(item.label), column=column, fix=item.fix)
    refused = {item.label for item in bad}
    for index, value in values.items():
        if index in refused:
            continue
        if math.isnan(value):
            if required:
                problems.add("blank", row=_row(index), column=column, fix="enter a number")
        elif least is not None and value < least:
            problems.add(f"{value:g} is below the least allowed value {least:g}",
                         row=_row(index), column=column, fix=f"enter a number >= {least:g}")
    return values.astype("float64")


@dataclass(frozen=True)
class Override:
    """One scenario change to an assumption table.

    Parameters
    ----------
    table : str
        Table name.
    where : Mapping[str, object]
        Key (or text) column -> value; every row matching all of them is changed.
    values : Mapping[str, float]
        Numeric column -> new value.
    source : str
        Public source of the new values (the changed rows cite it).
    """

    table: str
    where: Mapping[str, object]
    values: Mapping[str, object]
    source: str


@dataclass(frozen=True)
class AssumptionProblem:
    """A problem with a replacement table or an override, located by key path.

    ``loc`` is ``("tables", name)`` or ``("set", index, part[, column])``.
    """

    loc: tuple[str | int, ...]
    message: str
    fix: str | None = None

    def __str__(self) -> str:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in self.loc)
        text = f"{where.lstrip('.')}: {self.message}"
        return f"{text} (fix: {self.fix})" if self.fix else text


class AssumptionSet:
    """The assumption tables one run uses: defaults, replacements and overrides.

    Parameters
    ----------
    specs : Mapping[str, AssumptionTable]
        Every table the run may read, by name.
    paths : Mapping[str, str or pathlib.Path], optional
        Replacement CSV per table name (else the shipped table).
    overrides : sequence of Override or Mapping
        Changes applied on top (mappings with keys table, where, values, source).

    Raises
    ------
    ScenarioError
        Listing every unknown table, unreadable replacement, override that matches no row,
        unknown or non-numeric column, value below the column's least value, and missing
        source, all at once.

    Examples
    --------
    >>> spec = AssumptionTable("site_kinds", key=("kind",), numbers={"max_chargers": 0.0})
    >>> AssumptionSet({"site_kinds": spec}).used()
    {}
    """

    def __init__(self, specs: Mapping[str, AssumptionTable],
                 paths: Mapping[str, str | Path] | None = None,
                 overrides: Sequence[Override | Mapping[str, object]] = ()) -> None:
        self._specs = dict(specs)
        self._paths = {name: Path(p) for name, p in (paths or {}).items()}
        self._tables: dict[str, pd.DataFrame] = {}
        self._applied: dict[str, list[dict[str, object]]] = {}
        self._prepare(overrides)

    @classmethod
    def problems(cls, specs: Mapping[str, AssumptionTable],
                 paths: Mapping[str, str | Path] | None = None,
                 overrides: Sequence[Override | Mapping[str, object]] = ()
                 ) -> list[AssumptionProblem]:
        """Every problem :class:`AssumptionSet` would raise for these arguments (or none).

        The scenario loader uses the key paths to point at the lines of the scenario file.
        """
        try:
            cls(specs, paths, overrides)
        except ScenarioError as exc:
            return list(getattr(exc, "located", ()))
        return []

    def table(self, name: str) -> pd.DataFrame:
        """Return a copy of table ``name`` with overrides applied (read on first use)."""
        if name not in self._specs:
            raise ScenarioError(f"unknown assumption table {name!r}; known: {sorted(self._specs)}")
        if name not in self._tables:
            self._tables[name] = read_assumptions(self._specs[name], self._paths.get(name))
        table = self._tables[name].copy()
        table.attrs = dict(self._tables[name].attrs)
        return table

    def names_read(self) -> list[str]:
        """Return the names of the tables read so far (those :meth:`used` lists), sorted."""
        return sorted(self._tables)

    def read_too(self, names: Iterable[str]) -> None:
        """Read the tables ``names`` here too (those a forked child read), for :meth:`used`."""
        for name in names:
            if name not in self._tables:
                self.table(name)

    def used(self) -> dict[str, dict[str, object]]:
        """Tables read so far: file, sha256 and overrides applied (JSON-able, sorted)."""
        result: dict[str, dict[str, object]] = {}
        for name in sorted(self._tables):
            path = Path(str(self._tables[name].attrs["path"]))
            result[name] = {"file": str(path),
                            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                            "overrides": list(self._applied.get(name, []))}
        return result

    def _prepare(self, overrides: Sequence[Override | Mapping[str, object]]) -> None:
        """Read replaced and overridden tables, check every override, apply them if all pass."""
        problems: list[AssumptionProblem] = []
        for name in self._paths:
            if name not in self._specs:
                known = ", ".join(sorted(self._specs))
                problems.append(AssumptionProblem(("tables", name), "unknown table",
                                                  f"known tables: {known}"))
            else:
                self._read(name, ("tables", name), problems)
        checked = [_as_override(o, i, problems) for i, o in enumerate(overrides)]
        for index, override in enumerate(checked):
            if override is not None:
                self._check(index, override, problems)
        if problems:
            count = len(problems)
            error = ScenarioError(f"{count} problem{'s' if count > 1 else ''} with assumptions:",
                                  [Problem(str(p)) for p in problems])
            error.located = tuple(problems)  # type: ignore[attr-defined]
            raise error
        for override in checked:
            if override is not None:
                self._apply(override)

    def _read(self, name: str, loc: tuple[str | int, ...],
              problems: list[AssumptionProblem]) -> pd.DataFrame | None:
        if name not in self._tables:
            try:
                self._tables[name] = read_assumptions(self._specs[name], self._paths.get(name))
            except GeoplanError as exc:
                details = [str(p) for p in exc.problems] or [exc.summary]
                problems.extend(AssumptionProblem(loc, d) for d in details)
                return None
        return self._tables[name]

    def _check(self, index: int, override: Override,
               problems: list[AssumptionProblem]) -> None:
        if override.table not in self._specs:
            problems.append(AssumptionProblem(("set", index, "table"),
                                              f"unknown table {override.table!r}",
                                              f"known tables: {', '.join(sorted(self._specs))}"))
            return
        spec = self._specs[override.table]
        table = self._read(override.table, ("set", index, "table"), problems)
        for column, value in override.values.items():
            problems.extend(_value_problems(spec, index, column, value))
        if table is not None and _rows(table, spec, index, override, problems) == 0:
            shown = ", ".join(f"{k}={v!r}" for k, v in override.where.items())
            problems.append(AssumptionProblem(("set", index, "where"),
                                              f"no row of {override.table} has {shown}",
                                              _key_hint(table, spec)))

    def _apply(self, override: Override) -> None:
        table = self._tables[override.table]
        mask = _mask(table, override.where)
        for column, value in override.values.items():
            table.loc[mask, column] = float(value)  # type: ignore[arg-type]
        note = f"scenario override: {override.source.strip()}"
        previous = self._applied.get(override.table, [])
        rows = table.index[mask]
        table.loc[rows, "source"] = [
            f"{old}; {note}" if str(old).startswith("scenario override: ") else note
            for old in table.loc[rows, "source"]]
        record = {"where": {k: _text(v) for k, v in override.where.items()},
                  "values": {k: float(v) for k, v in override.values.items()},  # type: ignore[arg-type]
                  "source": override.source.strip(), "rows": int(mask.sum())}
        self._applied[override.table] = [*previous, record]


def _as_override(item: Override | Mapping[str, object], index: int,
                 problems: list[AssumptionProblem]) -> Override | None:
    if isinstance(item, Override):
        override = item
    else:
        data = dict(item)
        missing = [k for k in ("table", "where", "values") if not data.get(k)]
        for key in missing:
            problems.append(AssumptionProblem(("set", index, key), "is required"))
        if missing:
            return None
        override = Override(str(data["table"]), dict(data["where"]),  # type: ignore[call-overload]
                            dict(data["values"]), str(data.get("source") or ""))  # type: ignore[call-overload]
    if not override.source.strip():
        problems.append(AssumptionProblem(("set", index, "source"), "no source is given",
                                          "cite the publication the new values come from"))
    return override


def _value_problems(spec: AssumptionTable, index: int, column: str,
                    value: object) -> list[AssumptionProblem]:
    numeric = {**spec.numbers, **spec.optional_numbers}
    loc = ("set", index, "values", column)
    if column not in numeric:
        kind = "is not a numeric column" if column in spec.columns else "is not a column"
        return [AssumptionProblem(loc, f"{column!r} {kind} of {spec.name}",
                                  f"numeric columns: {', '.join(numeric)}")]
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return [AssumptionProblem(loc, f"{value!r} is not a number", "enter a number")]
    least = numeric[column]
    if least is not None and value < least:
        return [AssumptionProblem(loc, f"{value:g} is below the least allowed value {least:g}",
                                  f"enter a number >= {least:g}")]
    return []


def _rows(table: pd.DataFrame, spec: AssumptionTable, index: int, override: Override,
          problems: list[AssumptionProblem]) -> int | None:
    """Rows matching ``where`` (``None`` when it names a column the table cannot match on)."""
    allowed = (*spec.key, *spec.text)
    unknown = [c for c in override.where if c not in allowed]
    for column in unknown:
        problems.append(AssumptionProblem(("set", index, "where", column),
                                          f"cannot match rows of {spec.name} on {column!r}",
                                          f"match on {', '.join(allowed)}"))
    return None if unknown else int(_mask(table, override.where).sum())


def _mask(table: pd.DataFrame, where: Mapping[str, object]) -> pd.Series:
    mask = pd.Series(True, index=table.index)
    for column, value in where.items():
        mask &= table[column].astype(str) == _text(value)
    return mask


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _key_hint(table: pd.DataFrame, spec: AssumptionTable) -> str:
    keys = table[list(spec.key)].astype(str).agg("/".join, axis=1).tolist()
    shown = ", ".join(keys[:8]) + (", ..." if len(keys) > 8 else "")
    return f"rows have {'/'.join(spec.key)} = {shown}"
