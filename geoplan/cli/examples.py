"""Examples shown at the end of every command's ``--help`` (as ``rio`` shows them).

Each command passes ``epilog=examples(...)``; ``tests/test_cli_help.py`` checks that every
command of the group has one or two, that each starts with the command's own words and that
click parses each (only options the command has).
"""

from __future__ import annotations

__all__ = ["examples"]


def examples(*lines: str) -> str:
    r"""Return a click epilog listing ``lines``, kept as written (click's ``\b`` marker).

    Parameters
    ----------
    *lines : str
        Whole command lines, each starting with ``geoplan``; a ``  # comment`` may follow.

    Returns
    -------
    str
        The epilog text.

    Examples
    --------
    >>> examples("geoplan clean out").splitlines()
    ['Examples:', '', '\x08', '  geoplan clean out']
    """
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)
