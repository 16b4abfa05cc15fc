"""Outputs: files (and, later, maps and summaries) written from canonical layers and plans."""

from __future__ import annotations

from geoplan.files.atomic import write_csv, write_geopackage

__all__ = ["write_csv", "write_geopackage"]
