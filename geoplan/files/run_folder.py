"""Write a whole run (or any multi-file output) into one folder, atomically.

:class:`RunFolder` is the folder counterpart of :func:`geoplan.files.atomic.atomic_path`,
and the one place geoplan replaces a folder:

* files are written into a hidden temporary folder beside the target,
  ``.NAME-geoplan-PID-TOKEN.tmp/NAME``, renamed into place only when the ``with`` block
  finishes without error;
* an existing folder is never touched unless ``overwrite=True`` (:class:`OutputExistsError`,
  raised on entry, before any work);
* with ``overwrite=True`` only a folder geoplan wrote is replaced: an empty folder, or one
  whose record file (``marker``, e.g. ``manifest.json``) is geoplan's and lists every file
  in it (:mod:`geoplan.files.ownership`); a file, a link or a folder holding anything
  foreign is refused, naming what is foreign;
* the old folder is replaced only after the new one is complete, and it is moved aside
  first (``.NAME-geoplan-PID-TOKEN.old``), so a failed rename puts it back;
* an exception or ``KeyboardInterrupt`` (Ctrl-C, or SIGTERM under the ``geoplan``
  command) inside the block removes the temporary folder;
* a process killed outright (SIGKILL, power loss) leaves its temporary folder behind: each
  one holds a ``.geoplan-temporary`` record naming its process, and the next
  :class:`RunFolder` in the same place (or ``geoplan clean``) removes those whose process is
  gone (:func:`remove_stale`).

Examples
--------
>>> import tempfile
>>> root = Path(tempfile.mkdtemp())
>>> with RunFolder(root / "run") as folder:
...     _ = (folder / "summary.md").write_text("# Plan")
>>> sorted(p.name for p in (root / "run").iterdir())
['summary.md']
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import TracebackType

from geoplan.errors import OutputExistsError
from geoplan.files.atomic import output_write_error, refuse_existing
from geoplan.files.ownership import KINDS, ownership_problem
from geoplan.files.temporary import (
    fresh_temporary_name,
    remove_holder,
    remove_stale,
    write_record,
)

__all__ = ["RunFolder", "check_replaceable", "replace_folder"]

logger = logging.getLogger(__name__)


class RunFolder:
    """Context manager giving a temporary folder that becomes ``target`` on success.

    Parameters
    ----------
    target : str or pathlib.Path
        Final folder. Missing parent folders are created.
    overwrite : bool
        Replace ``target`` if it is geoplan's own folder (only once the new one is complete).
    marker : str, optional
        The record file of this kind of folder (see :mod:`geoplan.files.ownership`);
        without one, ``overwrite`` replaces only an empty folder.

    Attributes
    ----------
    target : pathlib.Path
        The final folder.
    path : pathlib.Path or None
        The temporary folder being written (``None`` outside the ``with`` block); it has the
        same name as ``target``.

    Raises
    ------
    OutputExistsError
        On entry, if ``target`` exists and ``overwrite`` is false, or it is not a folder
        geoplan wrote; on exit, the same if ``target`` appeared or changed meanwhile.
    OutputWriteError
        If the folder cannot be created or written (no permission, disk full).
    """

    def __init__(self, target: str | Path, overwrite: bool = False, *,
                 marker: str | None = None) -> None:
        self.target = Path(target)
        self.overwrite = overwrite
        self.marker = marker
        self.path: Path | None = None
        self._holder: Path | None = None

    def __enter__(self) -> Path:
        """Check the target, create the temporary folder and return its path."""
        check_replaceable(self.target, overwrite=self.overwrite, marker=self.marker)
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            remove_stale(self.target.parent)
            self._holder = _holder(self.target, "tmp")
            self.path = self._holder / self.target.name
            self.path.mkdir()
        except BaseException as exc:  # KeyboardInterrupt too: __exit__ will not run
            self._discard()
            converted = output_write_error(self.target, exc)
            if converted is None:
                raise
            raise converted from exc
        return self.path

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        """Rename the temporary folder into place, or remove it if the block failed."""
        holder, temporary = self._holder, self.path
        try:
            if temporary is not None and kind is None:
                check_replaceable(self.target, overwrite=self.overwrite, marker=self.marker)
                replace_folder(temporary, self.target)
                logger.info("wrote %s", self.target)
        except Exception as exc:
            converted = output_write_error(self.target, exc, inside=holder)
            if converted is None:
                raise
            raise converted from exc
        finally:
            self._discard()
        if error is not None and holder is not None:
            converted = output_write_error(self.target, error, inside=holder)
            if converted is not None:
                raise converted from error

    def _discard(self) -> None:
        holder, self._holder, self.path = self._holder, None, None
        if holder is not None:
            remove_holder(holder)


def check_replaceable(target: Path, *, overwrite: bool, marker: str | None) -> None:
    """Raise :class:`OutputExistsError` unless ``target`` is absent or may be replaced.

    Parameters
    ----------
    target : pathlib.Path
        The output folder.
    overwrite : bool
        Whether replacing was asked for (``--overwrite``).
    marker : str or None
        Record file of the kind of folder (:mod:`geoplan.files.ownership`).
    """
    refuse_existing(target, overwrite=overwrite, folder=True)
    if not target.is_dir() or target.is_symlink():
        return
    problem = ownership_problem(target, marker)
    if problem is None:
        return
    kind = KINDS.get(marker or "", "output")
    raise OutputExistsError(
        f"{target} is not a geoplan {kind} folder: {problem}; --overwrite only replaces a "
        "folder geoplan wrote (fix: choose another output folder, or move those files away "
        "yourself)")


def replace_folder(new: Path, target: Path) -> None:
    """Move the folder ``new`` onto ``target``, keeping the old ``target`` until that succeeded.

    The old folder goes aside first (into ``.NAME-geoplan-PID-TOKEN.old``) and is deleted
    only once ``new`` is in place; if the rename fails it is put back.
    """
    if not target.exists() and not target.is_symlink():
        new.rename(target)
        return
    aside = _holder(target, "old")
    old = aside / target.name
    try:
        target.rename(old)
        try:
            new.rename(target)
        except BaseException:
            old.rename(target)  # put the previous output back
            raise
    finally:
        remove_holder(aside)


def _holder(target: Path, kind: str) -> Path:
    """Create a hidden ``.NAME-geoplan-PID-TOKEN.KIND`` folder (with its record) by ``target``."""
    for _ in range(100):
        holder = target.parent / fresh_temporary_name(target, kind)
        try:
            holder.mkdir()
        except FileExistsError:
            continue
        try:
            write_record(holder)
        except BaseException:
            remove_holder(holder)
            raise
        return holder
    raise FileExistsError(f"could not create a temporary folder beside {target}")
