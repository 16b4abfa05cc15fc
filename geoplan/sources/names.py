"""Substation names folded for matching across the files of different DNOs.

>>> name_key("Cowley GSP") == name_key("COWLEY")
True
"""

from __future__ import annotations

import re

__all__ = ["name_key"]

_SUFFIX = re.compile(
    r"\s+(GRID SUPPLY POINT|BULK SUPPLY POINT|PRIMARY SUBSTATION|PRIMARY|SUBSTATION|GSP|BSP|"
    r"GRID|S/?S|P/?S|S ?/?STN|SUB ?STN|STN|\d+(\.\d+)?([ /]\d+(\.\d+)?)*\s*KV)$"
)

def name_key(name: object) -> str:
    """Fold a substation name for matching across files.

    Upper-cases, turns punctuation other than ``&`` into spaces, collapses whitespace and
    strips trailing level, station or voltage words ("GSP", "Primary", "S/Stn", "33/11kV",
    ...), so that the spellings different DNO files use for one site compare equal.

    Examples
    --------
    >>> name_key("Cowley GSP") == name_key("COWLEY")
    True
    >>> name_key(" St. Aldates  Primary ")
    'ST ALDATES'
    >>> name_key("BLYTH 66kV")
    'BLYTH'
    >>> name_key("Thenford 33/11kV S/Stn")
    'THENFORD'
    """
    text = str(name).upper().replace("\n", " ")
    text = re.sub(r"[^A-Z0-9&/]+", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    while True:
        shorter = _SUFFIX.sub("", text).strip()
        if shorter == text or not shorter:
            return text
        text = shorter
