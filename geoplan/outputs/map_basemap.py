"""A basemap from local tiles, so an offline bid pack still shows streets and fields.

The user gives a folder of XYZ tiles (``{z}/{x}/{y}.png``, as most tile tools write) or an
MBTiles file (SQLite; its rows count ``tile_row`` from the south, TMS, so the XYZ row is
``2**z - 1 - tile_row``) and the attribution its licence asks for (required).
:func:`read_tiles` lists and checks them; :func:`basemap_layer` draws them under the plan;
:func:`write_tiles` copies them into a folder beside the HTML (``map.html`` ->
``map_tiles/``), written whole or not at all. The page knows which tiles exist and never
asks for another, so a partial tile set makes no failed request.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import folium
from folium.template import Template

from geoplan.errors import OutputExistsError, SourceFormatError, SourceNotFoundError
from geoplan.files.temporary import fresh_temporary_name
from geoplan.outputs.map_elements import LiteralRender
from geoplan.outputs.map_style import text

__all__ = ["FORMATS", "LocalBasemap", "LocalTiles", "basemap_layer", "local_basemap",
           "read_tiles", "tiles_folder", "write_tiles"]

FORMATS = {"png": "png", "jpg": "jpg", "jpeg": "jpg", "webp": "webp"}
"""Raster tile formats a browser draws (file suffix or MBTiles ``format`` -> suffix)."""
_MAGIC = ((b"\x89PNG", "png"), (b"\xff\xd8\xff", "jpg"), (b"RIFF", "webp"))
_BASEMAP = "_geoplan_basemap"


@dataclass(frozen=True)
class LocalTiles:
    """A checked set of local raster tiles.

    Attributes
    ----------
    source : pathlib.Path
        The folder or ``.mbtiles`` file.
    attribution : str
        Credit text for the tiles (plain text; escaped when drawn).
    suffix : str
        File suffix of the tiles (``png``, ``jpg`` or ``webp``).
    keys : tuple of (int, int, int)
        ``(z, x, y)`` of every tile, XYZ rows (north first), sorted.
    """

    source: Path
    attribution: str
    suffix: str
    keys: tuple[tuple[int, int, int], ...]

    def tiles(self) -> Iterator[tuple[tuple[int, int, int], bytes]]:
        """Yield ``((z, x, y), image bytes)`` for every tile, in key order."""
        if self.source.is_dir():
            for z, x, y in self.keys:
                yield (z, x, y), self._file(z, x, y).read_bytes()
            return
        with _open_mbtiles(self.source) as db:
            for z, x, y in self.keys:
                row = db.execute("SELECT tile_data FROM tiles WHERE zoom_level=? AND "
                                 "tile_column=? AND tile_row=?",
                                 (z, x, (1 << z) - 1 - y)).fetchone()
                yield (z, x, y), bytes(row[0])

    def _file(self, z: int, x: int, y: int) -> Path:
        found = [p for p in (self.source / str(z) / str(x)).glob(f"{y}.*")
                 if FORMATS.get(p.suffix.lower().lstrip(".")) == self.suffix]
        return sorted(found)[0]


class _Connection:
    """``sqlite3`` connection, read-only, closed on leaving the ``with`` block."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)

    def __enter__(self) -> sqlite3.Connection:
        return self.db

    def __exit__(self, *exc: object) -> None:
        self.db.close()


def _open_mbtiles(path: Path) -> _Connection:
    return _Connection(path)


def _folder_keys(folder: Path) -> tuple[str, list[tuple[int, int, int]]]:
    keys: dict[str, list[tuple[int, int, int]]] = {}
    for path in folder.glob("*/*/*.*"):
        z, x, y = path.parent.parent.name, path.parent.name, path.stem
        suffix = FORMATS.get(path.suffix.lower().lstrip("."))
        if suffix and z.isdigit() and x.isdigit() and y.isdigit():
            keys.setdefault(suffix, []).append((int(z), int(x), int(y)))
    if not keys:
        raise SourceFormatError(
            f"{folder}: no tiles found; a tile folder holds {{z}}/{{x}}/{{y}}.png (or .jpg, "
            ".webp), e.g. 12/2030/1360.png (fix: point --tiles at the folder holding the "
            "zoom-level folders, or give an .mbtiles file)")
    if len(keys) > 1:
        raise SourceFormatError(f"{folder}: tiles of several formats {sorted(keys)}; keep one "
                                "format (fix: convert or remove the others)")
    ((suffix, found),) = keys.items()
    return suffix, found


def _mbtiles_keys(path: Path) -> tuple[str, list[tuple[int, int, int]]]:
    try:
        with _open_mbtiles(path) as db:
            meta = dict(db.execute("SELECT name, value FROM metadata").fetchall())
            rows = db.execute("SELECT zoom_level, tile_column, tile_row FROM tiles").fetchall()
            first = db.execute("SELECT tile_data FROM tiles LIMIT 1").fetchone()
    except sqlite3.DatabaseError as exc:
        raise SourceFormatError(f"{path}: not an MBTiles file ({exc}); an MBTiles file is "
                                "SQLite with tables 'metadata' and 'tiles' (fix: give the "
                                ".mbtiles a tile tool wrote, or a folder of tiles)") from exc
    given = str(meta.get("format", "")).lower()
    sniffed = next((s for magic, s in _MAGIC if first and bytes(first[0]).startswith(magic)),
                   None)
    suffix = FORMATS.get(given) or sniffed
    if suffix is None or not rows:
        what = f"format {given!r}" if given else "no raster tiles"
        raise SourceFormatError(f"{path}: {what}; the map draws raster tiles (png, jpg, "
                                "webp), not vector tiles (pbf) (fix: render the tiles to "
                                "raster, e.g. with a tile server or QGIS 'Generate XYZ tiles')")
    return suffix, [(int(z), int(x), (1 << int(z)) - 1 - int(r)) for z, x, r in rows]


def read_tiles(path: str | Path, attribution: str | None) -> LocalTiles:
    """Check a folder of XYZ tiles or an MBTiles file and list its tiles.

    Parameters
    ----------
    path : str or pathlib.Path
        A folder holding ``{z}/{x}/{y}.png`` (or ``.jpg``, ``.webp``), or an ``.mbtiles``.
    attribution : str
        Credit text the tiles' licence asks for, e.g. ``"© OpenStreetMap contributors"``.

    Returns
    -------
    LocalTiles

    Raises
    ------
    SourceNotFoundError
        ``path`` does not exist.
    SourceFormatError
        No attribution; no tile in the folder, or tiles of several formats; an MBTiles file
        that is not SQLite, or holds vector tiles or none.
    """
    path = Path(path)
    if not attribution or not attribution.strip():
        raise SourceFormatError(f"{path}: local tiles need their attribution (the credit "
                                "their licence asks for) (fix: pass --tiles-attribution "
                                "TEXT, or outputs.map_tiles_attribution in the scenario)")
    if not path.exists():
        raise SourceNotFoundError(f"{path}: no such tile folder or .mbtiles file")
    suffix, keys = _folder_keys(path) if path.is_dir() else _mbtiles_keys(path)
    return LocalTiles(path, attribution.strip(), suffix, tuple(sorted(set(keys))))


class LocalBasemap(LiteralRender):
    """The local tiles as the map's base layer; asks only for tiles that exist."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (map) {
            var have = new Set({{ this.index|tojson }});
            var Local = L.TileLayer.extend({
                createTile: function (coords, done) {
                    if (have.has(coords.z + "/" + coords.x + "/" + coords.y)) {
                        return L.TileLayer.prototype.createTile.call(this, coords, done);
                    }
                    var blank = document.createElement("div");
                    setTimeout(function () { done(null, blank); }, 0);
                    return blank;
                }
            });
            new Local({{ (this.folder ~ "/{z}/{x}/{y}." ~ this.suffix)|tojson }},
                      {{ this.options|tojson }}).addTo(map);
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, tiles: LocalTiles) -> None:
        super().__init__()
        self._name = "LocalBasemap"
        self.tiles, self.suffix, self.folder = tiles, tiles.suffix, "map_tiles"
        self.index = [f"{z}/{x}/{y}" for z, x, y in tiles.keys]
        zooms = [z for z, _, _ in tiles.keys]
        self.options = {"attribution": text(tiles.attribution), "minNativeZoom": min(zooms),
                        "maxNativeZoom": max(zooms), "maxZoom": 19}


def basemap_layer(m: folium.Map, tiles: LocalTiles) -> LocalBasemap:
    """Draw ``tiles`` as the base layer of ``m``; :func:`write_tiles` copies them."""
    layer = LocalBasemap(tiles)
    layer.add_to(m)
    setattr(m, _BASEMAP, layer)
    return layer


def local_basemap(m: folium.Map) -> LocalBasemap | None:
    """Return the local basemap of ``m``, if :func:`basemap_layer` gave it one."""
    return getattr(m, _BASEMAP, None)


def tiles_folder(html: Path) -> Path:
    """Folder the tiles of the map ``html`` go in: ``map.html`` -> ``map_tiles``."""
    return html.with_name(f"{html.stem}_tiles")


def write_tiles(m: folium.Map, html: str | Path, *, overwrite: bool = False) -> Path | None:
    """Copy the local tiles of ``m`` beside ``html`` and point the map at them.

    The tiles are written into a temporary folder, which then takes the place of the
    previous one (if ``overwrite``), so the folder is never half written.

    Returns
    -------
    pathlib.Path or None
        The tile folder; None when the map has no local basemap.

    Raises
    ------
    OutputExistsError
        The folder exists and ``overwrite`` is false, or a file is in its place.
    """
    layer = local_basemap(m)
    if layer is None:
        return None
    target = tiles_folder(Path(html))
    if target.exists() and (not overwrite or not target.is_dir()):
        raise OutputExistsError(f"{target} already exists; pass --overwrite to replace it"
                                if target.is_dir() else f"{target} is a file, not a tile "
                                "folder (fix: move it, or name the map differently)")
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(fresh_temporary_name(target, "tmp"))
    try:
        for (z, x, y), data in layer.tiles.tiles():
            path = temporary / str(z) / str(x) / f"{y}.{layer.suffix}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        old = target.with_name(fresh_temporary_name(target, "old"))
        if target.exists():
            target.replace(old)
        temporary.replace(target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    layer.folder = quote(target.name)
    return target
