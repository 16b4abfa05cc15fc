"""A basemap from local tiles (geoplan/outputs/map_basemap.py): a folder of XYZ tiles or an
MBTiles file, copied beside the map so an offline bid pack has streets and fields.

The tile sets are made here: a few solid PNGs written with PIL, and an MBTiles (SQLite) file
whose rows count from the south (TMS): the XYZ row of TMS row r at zoom z is 2**z - 1 - r.
"""

from __future__ import annotations

import io
import math
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw
from pydantic import ValidationError

from geoplan.cli.main import cli
from geoplan.errors import OutputExistsError, SourceFormatError, SourceNotFoundError
from geoplan.outputs.manifest import build_manifest
from geoplan.outputs.map import map_files, map_html, plan_map, write_map
from geoplan.outputs.map_basemap import read_tiles
from geoplan.scenario.models import OutputsSection
from tests.test_map import plans, write_plan_package

CREDIT = "Tiles <b>& data</b> (c) Test"


def png(colour: str, note: str = "") -> bytes:
    """A 256 px tile of one colour with a border and a note (to tell tiles apart by eye)."""
    image = Image.new("RGB", (256, 256), colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 255, 255), outline="#888888")
    draw.text((8, 8), note, fill="#444444")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """XYZ tile holding a point (the Web Mercator tiling, written out here)."""
    n = 2 ** z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


def tile_folder(folder: Path, west: float, south: float, east: float, north: float,
                zooms: range) -> list[tuple[int, int, int]]:
    """Write every tile of the box at each zoom; return their (z, x, y)."""
    keys = []
    for z in zooms:
        x0, y0 = tile_of(west, north, z)
        x1, y1 = tile_of(east, south, z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                path = folder / str(z) / str(x) / f"{y}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(png("#e8efe0" if (x + y) % 2 else "#dfe8f0", f"{z}/{x}/{y}"))
                keys.append((z, x, y))
    return keys


def mbtiles(path: Path, tiles: dict[tuple[int, int, int], bytes], fmt: str = "png") -> Path:
    """An MBTiles file holding ``tiles`` given by XYZ key (stored with TMS rows)."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, "
                   "tile_row INTEGER, tile_data BLOB)")
        db.execute("INSERT INTO metadata VALUES ('format', ?)", (fmt,))
        db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                       [(z, x, 2 ** z - 1 - y, data) for (z, x, y), data in tiles.items()])
    db.close()
    return path


def test_folder_tiles_drawn_and_copied_beside_the_map(tmp_path):
    keys = tile_folder(tmp_path / "tiles", -1.26, 51.74, -1.24, 51.76, range(11, 13))
    tiles = read_tiles(tmp_path / "tiles", CREDIT)
    assert tiles.keys == tuple(sorted(keys))
    assert tiles.suffix == "png"
    m = plan_map(plans(), tiles=tiles)
    out = write_map(m, tmp_path / "pack" / "bid map.html")
    copied = sorted(p.relative_to(tmp_path / "pack" / "bid map_tiles").as_posix()
                    for p in (tmp_path / "pack" / "bid map_tiles").rglob("*.png"))
    assert copied == sorted(f"{z}/{x}/{y}.png" for z, x, y in keys)
    for z, x, y in keys:
        assert ((tmp_path / "pack" / "bid map_tiles" / f"{z}/{x}/{y}.png").read_bytes()
                == (tmp_path / "tiles" / f"{z}/{x}/{y}.png").read_bytes())
    html = out.read_text()
    assert '"bid%20map_tiles/{z}/{x}/{y}.png"' in html  # relative, URL-quoted
    assert "var Local = L.TileLayer.extend" in html
    index = re.search(r"new Set\((\[.*?\])\)", html).group(1)
    assert index.count('"') == 2 * len(keys)
    assert '"minNativeZoom": 11' in html
    assert '"maxNativeZoom": 12' in html
    # the credit is text: escaped, never markup; the map is self-contained
    assert "Tiles \\u0026lt;b\\u0026gt;\\u0026amp; data" in html
    # the run's manifest lists the copied tiles with the page (not the page alone)
    files = map_files(m, out)
    assert files == [out, tmp_path / "pack" / "bid map_tiles"]
    listed = build_manifest({}, {}, assumptions_used={}, outputs=files,
                            outputs_root=tmp_path / "pack")["outputs"]
    assert [f["path"] for f in listed] == sorted(
        ["bid map.html", *(f"bid map_tiles/{p}" for p in copied)])
    assert map_files(plan_map(plans()), out) == [out]  # no local basemap: the page only
    assert "<b>& data" not in html
    assert "cdn.jsdelivr.net" not in html
    assert "tile.openstreetmap.org" not in html


def test_mbtiles_rows_are_flipped_to_xyz(tmp_path):
    north, south = png("#ff0000", "north"), png("#0000ff", "south")
    # zoom 2 has rows 0..3 from the north: XYZ (2, 1, 0) is TMS row 3, (2, 1, 3) is row 0
    path = mbtiles(tmp_path / "base.mbtiles", {(2, 1, 0): north, (2, 1, 3): south})
    with sqlite3.connect(path) as db:
        assert sorted(db.execute("SELECT tile_row FROM tiles").fetchall()) == [(0,), (3,)]
    db.close()
    tiles = read_tiles(path, "credit")
    assert tiles.keys == ((2, 1, 0), (2, 1, 3))
    write_map(plan_map(plans(), tiles=tiles), tmp_path / "map.html")
    assert (tmp_path / "map_tiles" / "2" / "1" / "0.png").read_bytes() == north
    assert (tmp_path / "map_tiles" / "2" / "1" / "3.png").read_bytes() == south


def test_tile_folder_replaced_whole_and_only_on_request(tmp_path):
    tile_folder(tmp_path / "a", -1.26, 51.74, -1.24, 51.76, range(11, 12))
    write_map(plan_map(plans(), tiles=read_tiles(tmp_path / "a", "c")), tmp_path / "map.html")
    stale = tmp_path / "map_tiles" / "5" / "0" / "0.png"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    (tmp_path / "map.html").unlink()
    m = plan_map(plans(), tiles=read_tiles(tmp_path / "a", "c"))
    with pytest.raises(OutputExistsError, match="map_tiles already exists"):
        write_map(m, tmp_path / "map.html")
    write_map(m, tmp_path / "map.html", overwrite=True)
    assert not stale.exists()  # the new set replaced the old folder
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize(("make", "attribution", "error", "words"), [
    (lambda p: p / "missing", "c", SourceNotFoundError, "no such tile folder"),
    (lambda p: p, "c", SourceFormatError, "no tiles found"),
    (lambda p: p, "  ", SourceFormatError, "need their attribution"),
    (lambda p: mbtiles(p / "v.mbtiles", {(0, 0, 0): b"\x1a\x00"}, fmt="pbf"), "c",
     SourceFormatError, "not vector tiles"),
    (lambda p: (p / "x.mbtiles").write_text("not sqlite") and p / "x.mbtiles", "c",
     SourceFormatError, "not an MBTiles file"),
])
def test_bad_tiles_say_what_to_do(tmp_path, make, attribution, error, words):
    with pytest.raises(error, match=words) as info:
        read_tiles(make(tmp_path), attribution)
    assert "fix:" in str(info.value) or "no such" in str(info.value)


def test_tiles_of_two_formats_refused(tmp_path):
    (tmp_path / "3" / "1").mkdir(parents=True)
    (tmp_path / "3" / "1" / "1.png").write_bytes(png("#fff"))
    (tmp_path / "3" / "1" / "2.jpg").write_bytes(b"\xff\xd8\xff")
    with pytest.raises(SourceFormatError, match=r"several formats \['jpg', 'png'\]"):
        read_tiles(tmp_path, "c")


def test_cli_map_with_tiles(tmp_path):
    package = write_plan_package(tmp_path / "plan.gpkg")
    tile_folder(tmp_path / "tiles", -1.26, 51.74, -1.24, 51.76, range(11, 12))
    runner = CliRunner()
    missing = runner.invoke(cli, ["map", str(package), "--tiles", str(tmp_path / "tiles")])
    assert missing.exit_code == 2
    assert "--tiles-attribution" in missing.output
    done = runner.invoke(cli, ["map", str(package), "--tiles", str(tmp_path / "tiles"),
                               "--tiles-attribution", "(c) Test"])
    assert done.exit_code == 0, done.output
    assert len(list((tmp_path / "map_tiles").rglob("*.png"))) == len(
        list((tmp_path / "tiles").rglob("*.png")))
    assert "(c) Test" in (tmp_path / "map.html").read_text()


def test_scenario_tiles_need_their_credit(tmp_path):
    with pytest.raises(ValidationError, match="map_tiles_attribution"):
        OutputsSection(map_tiles=tmp_path)
    given = OutputsSection(map_tiles=tmp_path, map_tiles_attribution="(c) Test")
    assert given.map_tiles == tmp_path


def test_no_tiles_no_basemap_script():
    # "var Local = L.TileLayer.extend" is the basemap's own script (Leaflet, inlined in the
    # self-contained default map, has createTile too)
    assert "var Local = L.TileLayer.extend" not in map_html(plan_map(plans()))
