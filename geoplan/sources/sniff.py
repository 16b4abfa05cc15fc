"""Look at an input before reading it: refuse what is not a readable text file, early and clearly.

A council gets files from consultants, DNOs and other councils. Before any reader parses one,
:func:`sniff_text` checks the path and the first bytes, so that a bad file costs a
millisecond and gives one sentence, never gigabytes of memory or a parser's traceback:

* the path must be a regular file: not missing, not a symbolic link that points to itself
  (a loop), not a folder, not a device such as ``/dev/null`` or a pipe (:func:`check_file`);
* it must hold text: a byte-order mark or the pattern of UTF-16/UTF-32 names the encoding,
  NUL bytes anywhere in the first megabyte mean a binary file, and a first line longer than
  a megabyte is not a table's header;
* it must not be empty or blank;
* for delimited tables, line 1 must be split by commas: a header split by semicolons, tabs
  or bars is named as such.

:func:`with_full_path` restates an error about a file by its full path, for inputs that are
found in several folders under the same name (the EPC bulk download has one
``certificates.csv`` per district).
"""

from __future__ import annotations

import csv
import dataclasses
import errno
import io
import os
import stat
from pathlib import Path

from geoplan.errors import GeoplanError, Problems, SourceFormatError, SourceNotFoundError

__all__ = [
    "HEAD_BYTES",
    "TEXT_FIX",
    "check_file",
    "check_folder",
    "csv_header",
    "refuse_incomplete",
    "refuse_short_rows",
    "sniff_text",
    "with_full_path",
]

HEAD_BYTES = 1 << 20
"""Bytes read from the start of a file to judge it (1 MiB)."""

TEXT_FIX = "save it as comma-separated UTF-8 ('CSV UTF-8' in Excel)"
"""The fix named for files that are text but not comma-separated UTF-8."""

_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"),
)
_DELIMITERS = (("semicolon", ";"), ("tab", "\t"), ("bar", "|"))


def _stat(path: Path) -> os.stat_result:
    """``os.stat`` of ``path``, naming a symlink loop and a missing file as such."""
    try:
        return path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SourceNotFoundError(
                f"{path}: is a symbolic link that leads back to itself (a symlink loop), so "
                "there is no file to read (fix: point the link at the real file, or give that "
                "file's path)") from exc
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            raise SourceNotFoundError(f"{path}: no such file (fix: check the path)") from exc
        raise SourceNotFoundError(f"{path}: cannot be opened ({exc.strerror}) (fix: check the "
                                  "path and its permissions)") from exc


def check_file(path: str | os.PathLike[str], what: str = "file") -> Path:
    """Return ``path`` if it names a regular file; refuse loops, folders and devices.

    Parameters
    ----------
    path : path
        The input.
    what : str
        What the file should be, for messages (e.g. ``"a CSV file"``).

    Raises
    ------
    SourceNotFoundError
        If the path does not exist or is a symlink loop.
    SourceFormatError
        If it is a folder, or not a regular file (``/dev/null``, a pipe, a socket).
    """
    path = Path(path)
    mode = _stat(path).st_mode
    if stat.S_ISDIR(mode):
        raise SourceFormatError(f"{path}: is a folder, not {what} (fix: give the path of "
                                "one file inside it)")
    if not stat.S_ISREG(mode):
        kind = "a device such as /dev/null" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else \
            "a pipe or socket"
        raise SourceFormatError(f"{path}: is {kind}, not {what} (fix: give the path of a "
                                "file saved on disk)")
    return path


def check_folder(path: str | os.PathLike[str]) -> list[Path]:
    """Return the entries of a folder that are files, refusing any symlink loop among them.

    Raises
    ------
    SourceNotFoundError
        If an entry is a symlink loop (named), or the folder cannot be listed.
    """
    entries = []
    for entry in sorted(Path(path).iterdir()):
        if stat.S_ISREG(_stat(entry).st_mode):
            entries.append(entry)
    return entries


def _encoding_of(head: bytes) -> str | None:
    """UTF-16 or UTF-32 when the bytes say so (byte-order mark, or NULs between letters)."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    sample = head[:4096]
    if len(sample) < 8 or b"\x00" not in sample:
        return None
    quads = [sample[i::4].count(0) / len(sample[i::4]) for i in range(4)]
    if sum(q > 0.9 for q in quads) == 3 and min(quads) < 0.1:
        return "UTF-32"
    halves = [part.count(0) / len(part) for part in (sample[0::2], sample[1::2])]
    if max(halves) > 0.9 and min(halves) < 0.1:  # ASCII letters with a NUL byte between each
        return "UTF-16"
    return None


def sniff_text(path: str | os.PathLike[str], *, what: str = "a CSV file",
               delimited: bool = True) -> Path:
    """Refuse, with one clear sentence, a file that cannot be the text table expected.

    Reads at most :data:`HEAD_BYTES` bytes, so a multi-gigabyte binary file is refused at
    once (see the module docstring for every rule).

    Parameters
    ----------
    path : path
        The input.
    what : str
        What the file should be, for messages.
    delimited : bool
        Also refuse a first line split by semicolons, tabs or bars rather than commas.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    SourceNotFoundError
        If the path does not exist or is a symlink loop.
    SourceFormatError
        If it is a folder or a device, is empty, is UTF-16/UTF-32 encoded, holds NUL bytes,
        has a first line over a megabyte, or (``delimited``) is not comma-separated.
    """
    path = check_file(path, what)
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    name = path.name
    encoding = _encoding_of(head)
    if encoding:
        raise SourceFormatError(f"{name}: this file looks {encoding} encoded, not UTF-8 "
                                f"(fix: {TEXT_FIX})")
    if b"\x00" in head:
        offset = head.index(b"\x00")
        raise SourceFormatError(f"{name}: holds NUL bytes (the first at byte {offset:,}), so it "
                                f"is a binary file, not {what} (fix: give the original text "
                                "file; download it again if it was cut or corrupted)")
    if not head.strip():
        raise SourceFormatError(f"{name}: the file is empty (fix: download it again, or give "
                                "the file that holds the data)")
    if b"\n" not in head and b"\r" not in head and path.stat().st_size > len(head):
        raise SourceFormatError(f"{name}: line 1 is longer than {HEAD_BYTES:,} bytes, so it is "
                                f"not {what} (fix: give the original file)")
    if delimited:
        _refuse_other_delimiter(name, _first_line(head))
    return path


def _first_line(head: bytes) -> str:
    line = head.lstrip(b"\xef\xbb\xbf").splitlines()[0] if head.strip() else b""
    text = line.decode("utf-8", errors="replace")
    return "" if text.strip().casefold() == "sep=," else text


def _refuse_other_delimiter(name: str, header: str) -> None:
    label, mark = max(_DELIMITERS, key=lambda item: header.count(item[1]))
    count = header.count(mark)
    if count and count > header.count(","):
        raise SourceFormatError(
            f"{name}: line 1 is {label}-separated ({count + 1} fields split by {label}s, "
            f"{header.count(',')} commas): this file looks {label}-separated, but a "
            f"comma-separated file is expected (fix: {TEXT_FIX})")


def csv_header(path: str | os.PathLike[str]) -> list[str]:
    """Return the header cells of a comma-separated file, read from its first bytes only.

    The file is sniffed first (:func:`sniff_text`); Excel's ``sep=,`` first line is skipped.
    """
    with sniff_text(path).open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = head.decode("cp1252", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    if [c.strip().casefold() for c in header] == ["sep=", ""]:
        header = next(reader, [])
    return header


def refuse_incomplete(path: str | os.PathLike[str], noun: str = "rows") -> None:
    """Refuse a comma-separated file with no data rows, or rows shorter than its header.

    A reader that keeps blank cells as ``""`` cannot tell a blank cell from a row that ended
    early (a file cut mid-row, a row broken by hand), so the records are counted here with
    the :mod:`csv` module (quoted line breaks, and Excel's ``sep=,`` first line, handled).
    Meant for files of up to a few hundred thousand rows (grid files).

    Parameters
    ----------
    path : path
        The file, UTF-8 (with or without a byte-order mark) or Windows-1252.
    noun : str
        What a row is, for messages.

    Raises
    ------
    SourceFormatError
        If no row holds a value ("no rows"), or a row is short (see :func:`refuse_short_rows`).
    """
    data = sniff_text(path).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    if [c.strip().casefold() for c in header] == ["sep=", ""]:
        header = next(reader, [])
    short, rows, end, last = [], 0, reader.line_num, 0
    for fields in reader:
        start, end = end + 1, reader.line_num
        if any(f.strip() for f in fields):
            rows, last = rows + 1, start
        if fields and len(fields) < len(header):
            short.append((start, len(fields)))
    if not rows:
        raise SourceFormatError(f"{Path(path).name}: no rows: the file has a header but no "
                                f"{noun} (fix: give the full file; download it again if it "
                                "was cut short)")
    refuse_short_rows(short, last, len(header), path)


def refuse_short_rows(short: list[tuple[int, int]], last_row: int, expected: int,
                      path: str | os.PathLike[str]) -> None:
    """Refuse rows with fewer values than the header, naming each line.

    Parameters
    ----------
    short : list of (row, values)
        File row (1-based, as an editor numbers it) and the number of values it holds.
    last_row : int
        The file's last data row; a short last row means the file was cut.
    expected : int
        Values per row (the header's).
    path : path
        The file.

    Raises
    ------
    SourceFormatError
        When ``short`` is not empty.
    """
    problems = Problems(path)
    fix = (f"every row needs {expected} comma-separated values; if the file was cut short or "
           "edited, download it again")
    for row, count in short[:20]:
        cut = "; it is the last row: the file looks truncated" if row == last_row else ""
        problems.add(f"has {count} values, expected {expected}{cut}", row=row, fix=fix)
    if len(short) > 20:
        problems.add(f"and {len(short) - 20} more rows with too few values", fix=fix)
    problems.raise_if_any(SourceFormatError)


def with_full_path(error: GeoplanError, path: str | os.PathLike[str]) -> GeoplanError:
    """Return ``error`` restated with ``path`` in full wherever it named only the file name.

    Used where several inputs share a name (one ``certificates.csv`` per EPC folder).
    """
    path = Path(path)
    name, full = path.name, str(path)
    if name == full:
        return error
    problems = [dataclasses.replace(p, file=full) if p.file == name else p
                for p in error.problems]
    summary = error.summary
    if summary.startswith(f"{name}:"):
        summary = full + summary[len(name):]
    summary = summary.replace(f" in {name}:", f" in {full}:")
    restated = type(error)(summary, problems)
    restated.__cause__ = error.__cause__
    return restated
