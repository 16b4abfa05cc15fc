"""Build DNO-style input files in code, for tests and for the embedded sample.

Nothing here reads real data: the functions write files that follow the *layout* of published
formats with values the caller chooses, so tests can state exactly what a reader must return.
Writing workbooks needs ``openpyxl`` (installed with ``pip install geoplan[test]``).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

__all__ = ["ReportSubstation", "headroom_report_sheet", "write_workbook"]

REPORT_SCENARIOS = ("MINIMUM HEADROOM", "CT", "LW", "ST", "SP")
REPORT_SEASONS = ("Winter", "Summer", "Spring/Autumn")
_EPOCH = datetime(2000, 1, 1)  # fixed workbook timestamps keep generated files reproducible


@dataclass
class ReportSubstation:
    """One substation block of a Network Headroom Report.

    Parameters
    ----------
    name : str
        Substation name as written in the name column.
    gsp : str
        Grid Supply Point, written on the block's first row.
    grid_ref : str
        OS grid reference, written on the block's first row.
    headroom : mapping
        ``(scenario, season, year) -> value`` for cells to fill; cells not given are
        computed from ``base`` so every cell has a value.
    base : float
        Winter headroom in the first year; other cells fall 0.1 MVA per year and differ a
        little per season and scenario (deterministic).
    bsp : str, optional
        Bulk Supply Point (only written when the sheet has the SEPD BSP column).
    upstream : str
        Upstream constraint flag, "YES" or "NO".
    """

    name: str
    gsp: str
    grid_ref: str
    base: float = 5.0
    bsp: str | None = None
    upstream: str = "NO"
    headroom: Mapping[tuple[str, str, int], object] = field(default_factory=dict)

    def value(self, scenario: str, season: str, year: int, first_year: int) -> object:
        """Return the cell for one scenario, season and year."""
        if (scenario, season, year) in self.headroom:
            return self.headroom[(scenario, season, year)]
        shift = REPORT_SEASONS.index(season) * 0.5 + REPORT_SCENARIOS.index(scenario) * 0.01
        return round(self.base + shift - 0.1 * (year - first_year), 6)


def headroom_report_sheet(
    substations: Sequence[ReportSubstation],
    years: Sequence[int] = (2023, 2024, 2025, 2030, 2035, 2040, 2050),
    *,
    with_bsp: bool = True,
    name_header: str = "Primary Substation ",
) -> list[list[object]]:
    """Rows of a "Primary Headroom Dem" sheet in the published two-header layout.

    Parameters
    ----------
    substations : sequence of ReportSubstation
        Blocks in sheet order; each gets one row per scenario.
    years : sequence of int
        Year columns under each season band.
    with_bsp : bool
        Include the "Bulk Supply Point" column (SEPD layout) or not (SHEPD layout).
    name_header : str
        Header text of the name column (the real files carry a trailing space).

    Returns
    -------
    list of list
        Header rows then data rows, ready for :func:`write_workbook`.
    """
    fixed = ["Grid Supply Point", *(["Bulk Supply Point"] if with_bsp else []), name_header,
             "Scenario", "Grid Reference", "Upstream Constraint\n(YES / NO)"]
    band_row: list[object] = list(fixed)
    year_row: list[object] = [""] * len(fixed)
    for i, season in enumerate(REPORT_SEASONS):
        if i:
            band_row.append("")
            year_row.append("")
        band_row += [f"Demand Headroom {season} MVA"] + [""] * (len(years) - 1)
        year_row += [float(y) for y in years]
    rows = [band_row, year_row]
    for sub in substations:
        for k, scenario in enumerate(REPORT_SCENARIOS):
            first = k == 0
            row: list[object] = [sub.gsp if first else ""]
            if with_bsp:
                row.append((sub.bsp or "") if first else "")
            row += [sub.name, scenario, sub.grid_ref if first else "",
                    sub.upstream if first else ""]
            for i, season in enumerate(REPORT_SEASONS):
                if i:
                    row.append("")
                row += [sub.value(scenario, season, y, years[0]) for y in years]
            rows.append(row)
    return rows


def write_workbook(path: str | Path, sheets: Mapping[str, Sequence[Sequence[object]]]) -> Path:
    """Write sheets of plain values to an ``.xlsx`` file with openpyxl, reproducibly.

    openpyxl stamps the save time into the document properties and the zip entries; both are
    fixed here, so the same sheets always give byte-identical files.

    Parameters
    ----------
    path : str or pathlib.Path
        Where to write.
    sheets : mapping
        Sheet name -> rows of cell values, in order.

    Returns
    -------
    pathlib.Path
    """
    try:
        from openpyxl import Workbook
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("writing workbooks needs openpyxl: pip install openpyxl") from exc
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append([None if cell == "" else cell for cell in row])
    workbook.properties.created = workbook.properties.modified = _EPOCH
    path = Path(path)
    workbook.save(path)
    _fix_timestamps(path)
    return path


_ZIP_TIME = (2000, 1, 1, 0, 0, 0)
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def _fix_timestamps(path: Path) -> None:
    """Rewrite an ``.xlsx`` with fixed zip entry times and a fixed modified date."""
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info, data in entries:
            if info.filename == "docProps/core.xml":
                data = _MODIFIED.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            target.writestr(fixed, data)
