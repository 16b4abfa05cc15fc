"""The electricity grid as a hierarchy: name matching, the grid graph and zone assignment."""

from __future__ import annotations

import re

__all__ = ["name_key"]

_SUFFIX = re.compile(
    r"\s+(GRID SUPPLY POINT|BULK SUPPLY POINT|PRIMARY SUBSTATION|PRIMARY|SUBSTATION|GSP|BSP|"
    r"GRID|S/?S|P/?S|\d+(\.\d+)?(/\d+(\.\d+)?)*\s*KV)$"
)


def name_key(name: object) -> str:
    """Fold a substation name for matching across files.

    Upper-cases, turns punctuation other than ``&`` into spaces, collapses whitespace and
    strips trailing level or voltage words ("GSP", "Primary", "33kV", ...), so that the
    spellings different DNO files use for one site compare equal.

    Examples
    --------
    >>> name_key("Cowley GSP") == name_key("COWLEY")
    True
    >>> name_key(" St. Aldates  Primary ")
    'ST ALDATES'
    >>> name_key("BLYTH 66kV")
    'BLYTH'
    """
    text = str(name).upper().replace("\n", " ")
    text = re.sub(r"[^A-Z0-9&/]+", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    while True:
        shorter = _SUFFIX.sub("", text).strip()
        if shorter == text or not shorter:
            return text
        text = shorter
