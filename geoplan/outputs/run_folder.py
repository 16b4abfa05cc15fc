"""Write a whole run (or any multi-file output) into one folder, atomically.

:class:`RunFolder` is the folder counterpart of :func:`geoplan.outputs.files.atomic_path`:
files are written into a hidden temporary folder beside the target, which is renamed into
place only when the ``with`` block finishes without error. So:

* an existing folder is never touched unless ``overwrite=True`` (:class:`OutputExistsError`,
  raised on entry, before any work);
* with ``overwrite=True`` the old folder is replaced only after the new one is complete, and
  it is moved aside first, so a failed rename puts it back;
* an exception or ``KeyboardInterrupt`` inside the block removes the temporary folder: no
  half-written output and no temporary folder are left behind;
* ``marker`` guards ``--overwrite`` typos: an existing non-empty folder that lacks the marker
  file (e.g. ``manifest.json`` for a run) is not geoplan's output and is never replaced.

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
import secrets
import shutil
from pathlib import Path
from types import TracebackType

from geoplan.errors import OutputExistsError

__all__ = ["RunFolder"]

logger = logging.getLogger(__name__)


class RunFolder:
    """Context manager giving a temporary folder that becomes ``target`` on success.

    Parameters
    ----------
    target : str or pathlib.Path
        Final folder. Missing parent folders are created.
    overwrite : bool
        Replace ``target`` if it exists (only once the new folder is complete).
    marker : str, optional
        With ``overwrite``, replace an existing non-empty folder only if it holds this file.

    Attributes
    ----------
    target : pathlib.Path
        The final folder.
    path : pathlib.Path or None
        The temporary folder being written (``None`` outside the ``with`` block).

    Raises
    ------
    OutputExistsError
        On entry, if ``target`` exists and ``overwrite`` is false, or if it is a folder that
        lacks ``marker``; on exit, if ``target`` appeared meanwhile and ``overwrite`` is false.
    """

    def __init__(self, target: str | Path, overwrite: bool = False, *,
                 marker: str | None = None) -> None:
        self.target = Path(target)
        self.overwrite = overwrite
        self.marker = marker
        self.path: Path | None = None

    def __enter__(self) -> Path:
        """Check the target, create the temporary folder and return its path."""
        self._check_target()
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.path = _fresh_sibling(self.target, ".tmp")
        return self.path

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        """Rename the temporary folder into place, or remove it if the block failed."""
        temporary, self.path = self.path, None
        if temporary is None:
            return
        try:
            if kind is None:
                self._check_target()
                _replace(temporary, self.target)
                logger.info("wrote %s", self.target)
        finally:
            shutil.rmtree(temporary, ignore_errors=True)

    def _check_target(self) -> None:
        target = self.target
        if not target.exists() and not target.is_symlink():
            return
        if not self.overwrite:
            raise OutputExistsError(
                f"{target} already exists; pass --overwrite (overwrite=True) to replace it"
            )
        if (self.marker and target.is_dir() and any(target.iterdir())
                and not (target / self.marker).exists()):
            raise OutputExistsError(
                f"{target} is a folder geoplan did not write (it has no {self.marker}); "
                "--overwrite only replaces geoplan's own output folders: choose another "
                "output folder or remove it yourself"
            )


def _replace(temporary: Path, target: Path) -> None:
    """Move ``temporary`` onto ``target``, keeping the old ``target`` until that succeeded."""
    if not target.exists() and not target.is_symlink():
        temporary.rename(target)
        return
    aside = _fresh_sibling(target, ".old")
    old = aside / target.name
    target.rename(old)
    try:
        temporary.rename(target)
    except BaseException:
        old.rename(target)  # put the previous output back
        aside.rmdir()
        raise
    shutil.rmtree(aside, ignore_errors=True)


def _fresh_sibling(target: Path, suffix: str) -> Path:
    """Create a new hidden, uniquely named folder beside ``target`` (usual permissions)."""
    for _ in range(100):
        candidate = target.parent / f".{target.name}-{secrets.token_hex(4)}{suffix}"
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"could not create a temporary folder beside {target}")
