"""Leaflet's JavaScript and CSS for self-contained (offline) maps, read from an installed package.

geoplan commits no third-party JavaScript: the files come from the ``XStatic-Leaflet``
package on PyPI (a dependency of geoplan; the same Leaflet version folium links to online),
installed by pip. The CSS's images are inlined as ``data:`` URIs, so an offline map makes no
request at all.
"""

from __future__ import annotations

import base64
import functools
import re
from importlib import resources
from importlib.resources.abc import Traversable

__all__ = ["LEAFLET_PACKAGE", "leaflet_css", "leaflet_js"]

LEAFLET_PACKAGE = "xstatic.pkg.leaflet"
"""Import name of the package that ships ``leaflet.js`` and ``leaflet.css``."""

_INSTALL_HINT = (
    "offline maps need Leaflet's files from the XStatic-Leaflet package, which is not "
    "installed or is incomplete; install it with `pip install XStatic-Leaflet` (it is a "
    "dependency of geoplan, so reinstalling geoplan also works), or make a map that loads "
    "Leaflet from the web with --cdn-map"
)


def _data() -> Traversable:
    try:
        folder = resources.files(LEAFLET_PACKAGE) / "data"
    except ModuleNotFoundError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    if not (folder / "leaflet.js").is_file() or not (folder / "leaflet.css").is_file():
        raise ImportError(_INSTALL_HINT)
    return folder


@functools.cache
def leaflet_js() -> str:
    """Leaflet's minified JavaScript, safe to place inside a ``<script>`` element.

    Raises
    ------
    ImportError
        When XStatic-Leaflet is missing (the message says how to install it).
    """
    code = (_data() / "leaflet.js").read_text(encoding="utf-8")
    code = re.sub(r"//# sourceMappingURL=\S+\s*$", "", code)  # no request from dev tools
    if "</script" in code.lower():
        raise ImportError(f"{LEAFLET_PACKAGE}'s leaflet.js cannot be inlined (it contains "
                          "'</script'); reinstall XStatic-Leaflet")
    return code


@functools.cache
def leaflet_css() -> str:
    """Leaflet's CSS with its images inlined as ``data:`` URIs.

    Raises
    ------
    ImportError
        When XStatic-Leaflet is missing (the message says how to install it).
    """
    folder = _data()
    css = (folder / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match[str]) -> str:
        image = folder / "images" / match.group(1)
        if not image.is_file():
            return "url(data:,)"  # an image Leaflet's CSS names but the package lacks
        payload = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{payload})"

    return re.sub(r"url\(\s*['\"]?images/([\w.-]+\.png)['\"]?\s*\)", inline, css)
