"""Names of geoplan's temporary files and folders, and removal of those a dead process left.

Every output is written under a hidden temporary name beside it and renamed into place when
complete (:func:`geoplan.files.atomic.atomic_path`, :class:`geoplan.files.run_folder.RunFolder`).
The name says which process wrote it::

    .NAME-geoplan-PID-TOKEN.tmp          a folder being written (holds NAME/)
    .NAME-geoplan-PID-TOKEN.old          an old folder being replaced (holds NAME/)
    .NAME-geoplan-PID-TOKEN.tmpSUFFIX    a file being written (e.g. ``.plan.gpkg-...tmp.gpkg``)

and each temporary folder holds a record file, ``.geoplan-temporary``, repeating its name and
the host. A process stopped by SIGKILL (or a power cut) cannot clean up; :func:`remove_stale`
removes what such a process left, and only that: names of this pattern (folders also with
their record) whose process is no longer running on this machine.

Examples
--------
>>> import tempfile
>>> root = Path(tempfile.mkdtemp())
>>> name = fresh_temporary_name(root / "run", "tmp")
>>> parse_temporary_name(name)["pid"] == os.getpid()
True
>>> remove_stale(root)  # nothing left by a dead process here
[]
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
import socket
from pathlib import Path
from typing import Any

__all__ = ["RECORD", "fresh_temporary_name", "parse_temporary_name", "process_is_running",
           "remove_holder", "remove_stale", "stale_temporaries", "temporary_record",
           "write_record"]

logger = logging.getLogger(__name__)

RECORD = ".geoplan-temporary"
"""Record file inside each temporary folder: its own name, then the host, one per line."""

_PATTERN = re.compile(r"^\.(?P<name>.+)-geoplan-(?P<pid>[0-9]{1,10})-(?P<token>[0-9a-f]{8})"
                      r"\.(?P<kind>tmp|old)(?P<rest>\..*|-journal|-wal|-shm)?$")


def fresh_temporary_name(target: Path, kind: str, suffix: str = "") -> str:
    """Return a new hidden name for a temporary by ``target`` (``kind``: ``tmp`` or ``old``)."""
    return f".{target.name}-geoplan-{os.getpid()}-{secrets.token_hex(4)}.{kind}{suffix}"


def parse_temporary_name(name: str) -> dict[str, Any] | None:
    """Return the parts of a temporary's name (``name``, ``pid``, ``kind``), or None if not one."""
    match = _PATTERN.match(name)
    if match is None:
        return None
    return {"name": match["name"], "pid": int(match["pid"]), "kind": match["kind"]}


def temporary_record(holder: Path) -> Path:
    """Return the record file of the temporary folder ``holder``."""
    return holder / RECORD


def write_record(holder: Path) -> None:
    """Write the record of a new temporary folder (its name and this host)."""
    temporary_record(holder).write_text(f"{holder.name}\n{socket.gethostname()}\n",
                                        encoding="utf-8")


def process_is_running(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine (assumed so when it cannot be told)."""
    if pid == os.getpid():
        return True
    if os.name != "posix" or pid <= 0:
        return True  # os.kill(pid, 0) would end the process on Windows: never guess
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: it runs, as another user
        return True
    return True


def _is_stale(path: Path) -> bool:
    parts = parse_temporary_name(path.name)
    if parts is None or process_is_running(parts["pid"]):
        return False
    if path.is_symlink():
        return False
    if path.is_dir():
        try:
            lines = temporary_record(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return False
        return lines[:2] == [path.name, socket.gethostname()]
    return path.is_file()


def stale_temporaries(folder: Path) -> list[Path]:
    """Temporaries directly in ``folder`` left by processes that are no longer running."""
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    return [path for path in entries if _is_stale(path)]


def remove_holder(holder: Path) -> None:
    """Remove a temporary folder, its record last (so a half-removed one is still known)."""
    record = temporary_record(holder)
    for child in sorted(holder.iterdir()) if holder.is_dir() else ():
        if child == record:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
    record.unlink(missing_ok=True)
    try:
        holder.rmdir()
    except OSError:
        logger.warning("could not remove the temporary folder %s; `geoplan clean %s` "
                       "removes it", holder, holder.parent)


def remove_stale(folder: Path, *, dry_run: bool = False, report: bool = True) -> list[Path]:
    """Remove the temporaries a dead process left directly in ``folder``; return them.

    Parameters
    ----------
    folder : pathlib.Path
        Where outputs are written (the parent of an output file or folder).
    dry_run : bool
        Only list what would be removed.
    report : bool
        Log a warning for each removal (the caller may report them itself).
    """
    stale = stale_temporaries(folder)
    for path in stale:
        if dry_run:
            continue
        if report:
            pid = (parse_temporary_name(path.name) or {}).get("pid")
            logger.warning("removing %s, left by geoplan process %s, which is no longer "
                           "running", path, pid)
        if path.is_dir():
            remove_holder(path)
        else:
            path.unlink(missing_ok=True)
    return stale
