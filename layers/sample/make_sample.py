"""Generate the embedded sample grid file (synthetic, not real data).

Run from the repository root to rebuild ``layers/sample/grid/sample-network-headroom-report.xlsx``::

    python layers/sample/make_sample.py

The workbook follows the layout of SSEN's published Network Headroom Report (SEPD variant,
with a Bulk Supply Point column and a "LEP Reference" sheet) for an invented county,
"Sampleshire": two Grid Supply Points, one Bulk Supply Point and eight primaries near Oxford.
Names and numbers are made up; only the layout is real.
"""

from __future__ import annotations

from pathlib import Path

from geoplan.testing import ReportSubstation, headroom_report_sheet, write_workbook

HERE = Path(__file__).resolve().parent
TARGET = HERE / "grid" / "sample-network-headroom-report.xlsx"
YEARS = (2023, 2024, 2025, 2026, 2027, 2028, 2029, 2030, 2031, 2032, 2035, 2040, 2045, 2050)

PRIMARIES = [
    # name, GSP, BSP, grid reference, winter headroom in 2023 (MVA), upstream constraint
    ("Northgate", "Eastbrook GSP", "Millford BSP", "SP 51259 07741", 6.2, "NO"),
    ("Riverside", "Eastbrook GSP", "Millford BSP", "SP 50120 05530", 1.4, "YES"),
    ("Quarry Hill", "Eastbrook GSP", "Millford BSP", "SP 55300 06900", 3.1, "NO"),
    ("Long Meadow", "Eastbrook GSP", "", "SP 58800 03200", 0.6, "YES"),
    ("Kingsway", "Westcombe", "", "SP 45500 09600", 9.8, "NO"),
    ("Beacon Down", "Westcombe", "", "SU 49800 88100", 4.5, "NO"),
    ("Chalk Ridge", "Westcombe", "", "SU 52300 91800", 2.2, "NO"),
    ("Old Wharf", "Westcombe", "", "SP 35900 10300", 7.0, "NO"),
]


def build(target: Path = TARGET) -> Path:
    """Write the sample workbook and return its path."""
    blocks = [ReportSubstation(name, gsp, ref, base=base, bsp=bsp or None, upstream=up)
              for name, gsp, bsp, ref, base, up in PRIMARIES]
    reference = [["LEP", "Grid Supply Point", "Primary Substation "], ["", "", ""]]
    reference += [["Sampleshire", gsp.removesuffix(" GSP").upper(), name.upper()]
                  for name, gsp, *_ in PRIMARIES]
    reference.append(["Neighbourshire", "WESTCOMBE", "OLD WHARF"])
    target.parent.mkdir(parents=True, exist_ok=True)
    return write_workbook(target, {
        "Contents": [["Sampleshire Network Headroom Report (synthetic sample for geoplan)"]],
        "Primary Headroom Dem": headroom_report_sheet(blocks, YEARS),
        "LEP Reference": reference,
    })


if __name__ == "__main__":
    print(build())
