"""The geoplan version, at the bottom of the import order (imports nothing of geoplan).

This literal is the one source: ``pyproject.toml`` reads it (``[tool.setuptools.dynamic]``),
``geoplan --version`` prints it and run manifests record it, so a source tree and an installed
copy say the same; the README's "Status (vX.Y)" line is checked against it
(tests/test_packaging.py).

>>> __version__.count(".") >= 2
True
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.2.0"
