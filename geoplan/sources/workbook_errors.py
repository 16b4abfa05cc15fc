"""Find the cells of an Excel workbook that hold an error (``#DIV/0!``, ``#N/A`` ...).

python-calamine (0.9) returns an empty string for a cell holding a spreadsheet error, the
same as for an empty cell, and offers no way to tell them apart. An ``.xlsx`` or ``.xlsm``
file records an error cell as ``<c r="H3" t="e"><v>#DIV/0!</v></c>`` in its sheet's XML, so
:func:`error_cells` reads that XML (streamed, only when the raw text holds ``t="e"`` at all)
and :func:`geoplan.sources.cells.sheet_rows` puts an
:class:`~geoplan.sources.numbers.ExcelError` in each such cell, which the number rules
refuse.

Other workbook formats (``.xls``, ``.xlsb``, ``.ods``) are binary or store errors
differently; their error cells are not found here.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path
from typing import IO
from xml.etree import ElementTree

from geoplan.errors import SourceFormatError

__all__ = ["XML_WORKBOOKS", "error_cells"]

XML_WORKBOOKS = frozenset({".xlsx", ".xlsm"})
"""Workbook suffixes whose error cells :func:`error_cells` finds."""

_REF = re.compile(r"([A-Za-z]{1,3})(\d+)")
_MARKERS = (b't="e"', b"t='e'")
_CHUNK = 1 << 20


def _local(tag: str) -> str:
    """Return an XML name without its namespace (``{ns}c`` -> ``c``).

    Strict and transitional OOXML name the same elements in different namespaces.
    """
    return tag.rsplit("}", 1)[-1]


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def _attribute(element: ElementTree.Element, name: str) -> str | None:
    return next((v for k, v in element.attrib.items() if _local(k) == name), None)


def _matches(value: str, wanted: str, by: str) -> bool:
    return value.endswith(wanted) if by == "Type" else value == wanted


def _target(book: zipfile.ZipFile, rels: str, base: str, wanted: str, by: str) -> str | None:
    """Return the zip member a relationship of part ``rels`` points to (``by`` its Id or Type)."""
    root = ElementTree.fromstring(book.read(rels))
    target = next((e.get("Target") for e in root.iter() if _local(e.tag) == "Relationship"
                   and _matches(e.get(by) or "", wanted, by)), None)
    if target is None:
        return None
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(base, target))


def _sheet_part(book: zipfile.ZipFile, sheet: str) -> str | None:
    """Return the zip member holding the XML of the sheet named ``sheet``."""
    main = _target(book, "_rels/.rels", "", "/officeDocument", "Type") or "xl/workbook.xml"
    folder, name = posixpath.split(main)
    root = ElementTree.fromstring(book.read(main))
    rel_id = next((_attribute(e, "id") for e in root.iter() if _local(e.tag) == "sheet"
                   and e.get("name") == sheet), None)
    if rel_id is None:
        return None
    return _target(book, posixpath.join(folder, "_rels", f"{name}.rels"), folder, rel_id, "Id")


def _has_marker(book: zipfile.ZipFile, part: str) -> bool:
    """Whether the raw XML holds ``t="e"`` anywhere (most sheets do not: no parse needed)."""
    tail = b""
    with book.open(part) as handle:
        while chunk := handle.read(_CHUNK):
            text = tail + chunk
            if any(marker in text for marker in _MARKERS):
                return True
            tail = text[-8:]
    return False


def _scan(handle: IO[bytes]) -> dict[tuple[int, int], str]:
    found: dict[tuple[int, int], str] = {}
    row, column = -1, -1
    for event, element in ElementTree.iterparse(handle, events=("start", "end")):
        name = _local(element.tag)
        if event == "start" and name == "row":
            given = element.get("r")
            row, column = (int(given) - 1 if given else row + 1), -1
        elif event == "end" and name == "c":
            match = _REF.fullmatch(element.get("r") or "")
            if match:
                row, column = int(match[2]) - 1, _column_index(match[1])
            else:
                column += 1
            if element.get("t") == "e":
                value = next((child.text for child in element if _local(child.tag) == "v"),
                             None)
                found[(row, column)] = (value or "").strip() or "#ERROR"
        elif event == "end" and name == "row":
            element.clear()
    return found


def error_cells(path: Path, sheet: str) -> dict[tuple[int, int], str]:
    """Return the error cells of one sheet: 0-based (row, column) -> error text, e.g. ``"#N/A"``.

    Parameters
    ----------
    path : pathlib.Path
        A workbook; only ``.xlsx`` and ``.xlsm`` files are searched (else ``{}``).
    sheet : str
        The sheet's exact name.

    Raises
    ------
    SourceFormatError
        If the file's sheet XML cannot be read.
    """
    path = Path(path)
    if path.suffix.lower() not in XML_WORKBOOKS:
        return {}
    try:
        with zipfile.ZipFile(path) as book:
            part = _sheet_part(book, sheet)
            if part is None or not _has_marker(book, part):
                return {}
            with book.open(part) as handle:
                return _scan(handle)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError) as exc:
        raise SourceFormatError(
            f"{path.name}: sheet {sheet!r} cannot be read to find its error cells ({exc}); "
            "save the workbook again from Excel as .xlsx") from exc
