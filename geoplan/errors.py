"""Public error hierarchy and the problem collector used by every validator.

Every error raised on purpose by geoplan derives from :class:`GeoplanError`, and each subclass
also inherits the builtin a caller would naturally catch (``ValueError`` for bad content,
``FileExistsError`` for refused overwrites, ...), so ``except ValueError`` keeps working.

Validators collect every problem they find in a :class:`Problems` list and raise once, so a
user fixes a file in one pass rather than one error at a time.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "AreaNotFoundError",
    "CRSError",
    "ForkedChildError",
    "GeoplanError",
    "InfeasibleError",
    "LayerSchemaError",
    "MissingCRSError",
    "OutputExistsError",
    "Problem",
    "Problems",
    "ScenarioError",
    "SourceFormatError",
    "SourceNotFoundError",
]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as the format allows.

    Parameters
    ----------
    message : str
        What is wrong, e.g. ``"'n/a' is not a number"``.
    file : str or None
        File name (not the full path, to keep messages short).
    sheet : str or None
        Worksheet or layer name (shown as "sheet" for workbooks, else "layer").
    row : int or None
        1-based row number as a spreadsheet or text editor shows it.
    column : str or None
        Column header as written in the file.
    fix : str or None
        What the user can do about it.
    """

    message: str
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    fix: str | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.sheet:
            workbook = (self.file or "").lower().endswith((".xlsx", ".xlsm", ".xls", ".ods"))
            where.append(f"{'sheet' if workbook or not self.file else 'layer'} {self.sheet!r}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        text = f"{', '.join(where)}: {self.message}" if where else self.message
        return f"{text} (fix: {self.fix})" if self.fix else text


class GeoplanError(Exception):
    """Root of every error geoplan raises on purpose.

    Parameters
    ----------
    message : str
        One-line summary.
    problems : sequence of Problem, optional
        Every individual problem found, in file order.
    """

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.summary = message
        super().__init__(self._render())

    def _render(self) -> str:
        if not self.problems:
            return self.summary
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = "\n".join(f"  - {p}" for p in self.problems)
        return f"{self.summary}\n{lines}"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle with the summary and the problems (an error raised in a forked child)."""
        return (type(self), (self.summary, self.problems), dict(self.__dict__))


class SourceFormatError(GeoplanError, ValueError):
    """A source file cannot be read as the format it claims or was detected as."""


class SourceNotFoundError(GeoplanError, FileNotFoundError):
    """A source file, sheet or layer does not exist."""


class LayerSchemaError(GeoplanError, ValueError):
    """A layer misses a canonical column or holds values of the wrong kind."""


class CRSError(GeoplanError, ValueError):
    """A coordinate reference system is missing, unreadable, or contradicts the file's own."""


class MissingCRSError(CRSError):
    """A spatial layer has no coordinate reference system and its format defines none."""


class ScenarioError(GeoplanError, ValueError):
    """A scenario file is invalid."""


class AreaNotFoundError(GeoplanError, LookupError):
    """An area asked for (a district, a DNO reference area) is not in the layer."""


class InfeasibleError(GeoplanError, RuntimeError):
    """An optimisation problem has no solution that meets every constraint."""


class OutputExistsError(GeoplanError, FileExistsError):
    """An output already exists and ``overwrite`` was not requested."""


class Problems:
    """Collect problems found while validating one input, then raise once.

    Parameters
    ----------
    file : str or os.PathLike, optional
        The file being validated; its name is attached to every problem added.
    sheet : str, optional
        Default sheet or layer name for problems added.

    Examples
    --------
    >>> problems = Problems("report.xlsx", sheet="Primary Headroom Dem")
    >>> problems.add("'n/a' is not a number", row=7, column="2030", fix="enter a number")
    >>> len(problems)
    1
    """

    def __init__(
        self, file: str | os.PathLike[str] | None = None, sheet: str | None = None
    ) -> None:
        self.file = Path(file).name if file is not None else None
        self.sheet = sheet
        self._items: list[Problem] = []

    def add(
        self,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        fix: str | None = None,
        sheet: str | None = None,
    ) -> None:
        """Record one problem at the given location."""
        self._items.append(
            Problem(message, self.file, sheet or self.sheet, row, column, fix)
        )

    def extend(self, other: Problems) -> None:
        """Append every problem recorded in ``other``."""
        self._items.extend(other)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def raise_if_any(self, error: type[GeoplanError] = SourceFormatError) -> None:
        """Raise ``error`` listing every problem, if any were recorded.

        Raises
        ------
        GeoplanError
            Of type ``error``, with ``problems`` holding every recorded problem.
        """
        if not self._items:
            return
        where = f" in {self.file}" if self.file else ""
        count = len(self._items)
        noun = "problem" if count == 1 else "problems"
        raise error(f"{count} {noun}{where}:", self._items)


class ComputeError(GeoplanError, RuntimeError):
    """The compute engine asked for (a dask cluster) is not installed or not reachable."""


class ForkedChildError(GeoplanError, RuntimeError):
    """A forked child process (:mod:`geoplan.forked`) ended without its work's result."""
