"""Builders of hostile input files for ``tests/test_hostile_files.py``, made from the sample.

Every builder takes the sample county's folder (read-only) and a scratch folder, writes the
hostile file into the scratch folder (copying the sample's file first), and returns its path.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

__all__ = [
    "EPC",
    "GRID",
    "Build",
    "bad_vertex",
    "bom",
    "changed_bytes",
    "changed_text",
    "changed_text_from",
    "crlf",
    "cut_mid_row",
    "device",
    "drop_column",
    "epc_folders",
    "epc_with_loop",
    "folder",
    "gb_primaries",
    "gb_primaries_text",
    "grid_points",
    "header_only",
    "in_folder",
    "loop",
    "nul_inside",
    "raw",
    "relabel",
    "repeat_row",
    "rows_of",
    "sample",
    "semicolons",
    "set_cell",
    "shift",
    "short_row",
    "sparse",
    "swap_xy",
    "tabs",
    "utf16",
    "utf16_no_bom",
    "vector",
    "without_prj",
    "write_rows",
]

Build = Callable[[Path, Path], Path]
"""(sample folder, scratch folder) -> the file to give geoplan."""

EPC = "epc/domestic-E07000178-Oxford/certificates.csv"
GRID = "grid/network-headroom-report.xlsx"
GB_HEADER = 'PS Name,Firm Capacity (MVA),Demand (MVA),PF,"Geo(Long,Lat)",GSP,DNO'


def sample(relative: str) -> Build:
    """The sample's own file, unchanged (a control case)."""
    return lambda root, tmp: root / relative


def raw(name: str, data: bytes | str) -> Build:
    """A file holding exactly ``data``."""
    def build(root: Path, tmp: Path) -> Path:
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return path
    return build


def changed_text(relative: str, name: str, change: Callable[[str], str | bytes],
                 keep_folder: bool = False) -> Build:
    """A copy of the sample's text file ``relative`` after ``change`` (text -> text or bytes).

    ``keep_folder`` writes it under the same parent folder name (EPC district folders).
    """
    def build(root: Path, tmp: Path) -> Path:
        text = (root / relative).read_text(encoding="utf-8")
        target = tmp / (Path(relative).parent.name if keep_folder else "") / name
        target.parent.mkdir(parents=True, exist_ok=True)
        result = change(text)
        target.write_bytes(result.encode("utf-8") if isinstance(result, str) else result)
        return target
    return build


def changed_bytes(relative: str, name: str, change: Callable[[bytes], bytes]) -> Build:
    """A copy of the sample's file ``relative`` after ``change`` on its bytes."""
    def build(root: Path, tmp: Path) -> Path:
        target = tmp / name
        target.write_bytes(change((root / relative).read_bytes()))
        return target
    return build


def sparse(name: str, size: int = 2 << 30) -> Build:
    """A sparse file of ``size`` NUL bytes (2 GB by default): instant, and no disk used."""
    def build(root: Path, tmp: Path) -> Path:
        path = tmp / name
        with path.open("wb") as handle:
            handle.truncate(size)
        return path
    return build


def folder(name: str) -> Build:
    """An empty folder whose name looks like a file."""
    def build(root: Path, tmp: Path) -> Path:
        path = tmp / name
        path.mkdir()
        return path
    return build


def device(root: Path, tmp: Path) -> Path:
    """``/dev/null``."""
    return Path(os.devnull)


def loop(name: str) -> Build:
    """A symbolic link that points to itself."""
    def build(root: Path, tmp: Path) -> Path:
        path = tmp / name
        path.symlink_to(path)
        return path
    return build


def in_folder(build: Build, folder_name: str, extra: Build | None = None) -> Build:
    """A folder holding the file ``build`` makes (and the one ``extra`` makes)."""
    def make(root: Path, tmp: Path) -> Path:
        inner = tmp / folder_name
        inner.mkdir()
        for part in (build, extra):
            if part is not None:
                made = part(root, inner)
                if made.parent != inner:
                    shutil.copy(made, inner / made.name)
        return inner
    return make


def vector(relative: str, name: str, change: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame],
           layer: str | None = None) -> Build:
    """The sample's vector layer after ``change``, written as ``name`` (driver by suffix)."""
    def build(root: Path, tmp: Path) -> Path:
        frame = change(gpd.read_file(root / relative, layer=layer, engine="pyogrio"))
        path = tmp / name
        frame.to_file(path, layer=Path(name).stem if path.suffix == ".gpkg" else None,
                      engine="pyogrio")
        return path
    return build


def swap_xy(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The same shapes in EPSG:4326 written [latitude, longitude] (the classic mistake)."""
    wgs = frame.to_crs("EPSG:4326")
    swapped = shapely.transform(wgs.geometry.values, lambda xy: xy[:, ::-1])
    return wgs.set_geometry(gpd.GeoSeries(swapped, crs="EPSG:4326"))


def shift(frame: gpd.GeoDataFrame, dx: float, dy: float) -> gpd.GeoDataFrame:
    """The same shapes moved by (dx, dy) in their own CRS units."""
    return frame.set_geometry(frame.geometry.translate(dx, dy))


def relabel(frame: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame:
    """The same coordinates declared in another CRS (no transformation)."""
    return frame.set_crs(crs, allow_override=True)


def bad_vertex(value: float) -> Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]:
    """Set one coordinate of the first shape to ``value`` (NaN or infinity)."""
    def change(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        geoms = frame.geometry.values.copy()
        coords = shapely.get_coordinates(geoms[:1])
        coords[min(1, len(coords) - 1), 0] = value
        with np.errstate(invalid="ignore"):
            geoms[:1] = shapely.set_coordinates(geoms[:1].copy(), coords)
        return frame.set_geometry(gpd.GeoSeries(geoms, crs=frame.crs))
    return change


@functools.cache
def gb_primaries_text(root: Path) -> str:
    """The sample's primaries written in the layout of the GB primaries CSV (Data in Brief).

    Read once per sample folder (read-only) for the whole family of cases built from it.
    """
    from geoplan.sources import read_grid

    subs = read_grid(root / GRID).substations
    names = subs.set_index("substation_id")["name"]
    primaries = subs[(subs["level"] == "primary") & subs.geometry.notna()]
    points = primaries.geometry.to_crs("EPSG:4326")
    lines = [GB_HEADER]
    for row, point in zip(primaries.itertuples(), points, strict=True):
        gsp = names.get(row.parent_id, "") if row.parent_id else ""
        lines.append(f'{row.name},{row.firm_capacity_mva:.2f},{row.peak_demand_mva:.2f},,'
                     f'"{point.x:.5f},{point.y:.5f}",{gsp},SSEN')
    return "\n".join(lines) + "\n"


def gb_primaries(name: str, change: Callable[[str], str | bytes] = lambda t: t) -> Build:
    """A GB primaries CSV made from the sample's grid, after ``change``."""
    def build(root: Path, tmp: Path) -> Path:
        path = tmp / name
        result = change(gb_primaries_text(root))
        path.write_bytes(result.encode("utf-8") if isinstance(result, str) else result)
        return path
    return build


@functools.cache
def _located_primaries(root: Path) -> gpd.GeoDataFrame:
    """The sample's located primaries (name, capacity, demand, point), read once per sample
    folder; callers copy it before changing it."""
    from geoplan.sources import read_grid

    subs = read_grid(root / GRID).substations
    subs = subs[(subs["level"] == "primary") & subs.geometry.notna()]
    return gpd.GeoDataFrame(
        subs[["name", "firm_capacity_mva", "peak_demand_mva"]].reset_index(drop=True),
        geometry=subs.geometry.values, crs=subs.crs)


def grid_points(name: str, change: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]
                = lambda f: f) -> Build:
    """The sample's located primaries as a plain point layer (for ``--format generic``)."""
    def build(root: Path, tmp: Path) -> Path:
        path = tmp / name
        frame = change(_located_primaries(root).copy())  # each case changes its own copy
        if path.suffix == ".csv":
            path.write_text(frame.drop(columns="geometry").to_csv(index=False))
        else:
            frame.to_file(path, layer="substations", engine="pyogrio")
        return path
    return build


def without_prj(relative: str, name: str) -> Build:
    """The sample's layer as a Shapefile whose ``.prj`` (its CRS) was not copied."""
    def build(root: Path, tmp: Path) -> Path:
        path = tmp / name
        gpd.read_file(root / relative, engine="pyogrio").to_file(path, engine="pyogrio")
        path.with_suffix(".prj").unlink()
        return path
    return build


def epc_folders(change: Callable[[str], str | bytes], district: str) -> Build:
    """A copy of every EPC district folder, with ``district``'s certificates changed."""
    def build(root: Path, tmp: Path) -> Path:
        target = tmp / "epc"
        shutil.copytree(root / "epc", target)
        path = next(target.glob(f"*{district}*")) / "certificates.csv"
        result = change(path.read_text(encoding="utf-8"))
        path.write_bytes(result.encode("utf-8") if isinstance(result, str) else result)
        return target
    return build


def epc_with_loop(root: Path, tmp: Path) -> Path:
    """A copy of one EPC district folder next to a folder whose certificates.csv is a loop."""
    target = tmp / "epc"
    shutil.copytree((root / EPC).parent, target / (root / EPC).parent.name)
    broken = target / "domestic-E00000000-Broken"
    broken.mkdir()
    (broken / "certificates.csv").symlink_to(broken / "certificates.csv")
    return target


def changed_text_from(build: Build, name: str, change: Callable[[str], str]) -> Build:
    """The file ``build`` makes, after ``change`` on its text, written as ``name``."""
    def make(root: Path, tmp: Path) -> Path:
        made = build(root, tmp)
        path = tmp / name
        path.write_text(change(made.read_text(encoding="utf-8")), encoding="utf-8")
        return path
    return make


# --- text edits ---------------------------------------------------------------------------


def header_only(text: str) -> str:
    return text.splitlines()[0] + "\n"


def cut_mid_row(text: str) -> str:
    """Cut the file inside its middle row (not at a line break)."""
    middle = len(text) // 2
    start = text.rfind("\n", 0, middle) + 1
    return text[: start + max(3, (text.find("\n", start) - start) // 2)]


def utf16(text: str) -> bytes:
    return text.encode("utf-16")


def utf16_no_bom(text: str) -> bytes:
    return text.encode("utf-16-le")


def semicolons(text: str) -> str:
    return "\n".join(";".join(row) for row in csv.reader(io.StringIO(text))) + "\n"


def tabs(text: str) -> str:
    return "\n".join("\t".join(row) for row in csv.reader(io.StringIO(text))) + "\n"


def nul_inside(text: str) -> bytes:
    return text[:300].encode() + b"\x00" * 64 + text[300:].encode()


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def bom(text: str) -> str:
    return "\ufeff" + text


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def write_rows(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def drop_column(column: str) -> Callable[[str], str]:
    def change(text: str) -> str:
        rows = rows_of(text)
        index = rows[0].index(column)
        return write_rows([r[:index] + r[index + 1:] for r in rows])
    return change


def set_cell(row: int, column: str | int, value: str) -> Callable[[str], str]:
    """Set data row ``row`` (1 = the first after the header) of ``column`` to ``value``."""
    def change(text: str) -> str:
        rows = rows_of(text)
        index = column if isinstance(column, int) else rows[0].index(column)
        rows[row][index] = value
        return write_rows(rows)
    return change


def short_row(row: int, keep: int = 3) -> Callable[[str], str]:
    """Keep only the first ``keep`` values of data row ``row``."""
    def change(text: str) -> str:
        rows = rows_of(text)
        rows[row] = rows[row][:keep]
        return write_rows(rows)
    return change


def repeat_row(row: int) -> Callable[[str], str]:
    def change(text: str) -> str:
        rows = rows_of(text)
        return write_rows([*rows, rows[row]])
    return change
