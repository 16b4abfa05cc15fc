"""The ``geoplan`` command line: thin commands over the library, clean errors."""

from __future__ import annotations

from geoplan.cli.main import cli

__all__ = ["cli"]
