"""The ``geoplan`` command's entry point: Ctrl-C and SIGTERM end it with one line.

This module sits outside the ``geoplan`` package on purpose: importing the package loads
geopandas and takes about a second, and an interruption then would print a long traceback.
Here the signals are handled first, then :func:`geoplan.cli.main.cli` runs:

* SIGTERM (sent by ``timeout``, CI runners and ``docker stop``) is raised as an interruption,
  like Ctrl-C, so outputs being written are removed on the way out; a second SIGTERM ends
  the process at once;
* an interruption prints ``geoplan: interrupted`` (exit 130) or ``geoplan: terminated``
  (exit 143), also during the imports.
"""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType

__all__ = ["main"]

_EXITS = {"SIGTERM": ("terminated", 143)}


def _raise_interruption(signum: int, frame: FrameType | None) -> None:
    signal.signal(signum, signal.SIG_DFL)  # a second signal ends the process at once
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _stop(exc: KeyboardInterrupt) -> None:
    message, code = _EXITS.get(str(exc), ("interrupted", 130))
    print(f"geoplan: {message}", file=sys.stderr)
    sys.exit(code)


def main() -> None:
    """Run the ``geoplan`` command line with SIGTERM treated like Ctrl-C."""
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, _raise_interruption)
    try:
        import importlib

        cli = importlib.import_module("geoplan.cli.main").cli
    except KeyboardInterrupt as exc:
        _stop(exc)
    try:
        cli(prog_name="geoplan")
    except KeyboardInterrupt as exc:  # outside a command, e.g. while parsing options
        _stop(exc)


if __name__ == "__main__":
    main()
