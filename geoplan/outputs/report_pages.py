"""Pages of the bid pack: A4 portrait matplotlib figures of text and tables.

Each function returns one or more :class:`matplotlib.figure.Figure` pages (never attached to
pyplot): :func:`text_pages` wraps paragraphs to the page and continues on as many pages as
they need, :func:`table_pages` does the same for a table (its header repeated on every
page). Every page starts with a heading; :func:`add_footer` writes "page i of n" once the
pack is complete. :mod:`geoplan.outputs.report` puts the pages together.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from geoplan.outputs.static_map import plain_text

__all__ = ["A4_PORTRAIT", "add_footer", "new_page", "place_lines", "table_pages", "text_pages",
           "wrap_cells", "wrap_paragraphs"]

A4_PORTRAIT = (8.27, 11.69)
"""A4 portrait in inches."""
_MARGIN = 0.6
_LINE = 0.17
"""Height of a line of 8-point text, in inches."""


def new_page(heading: str) -> tuple[Figure, float]:
    """Return an A4 page with ``heading`` at the top and the height (inches) left under it."""
    fig = Figure(figsize=A4_PORTRAIT, dpi=150)
    width, height = A4_PORTRAIT
    chars = int((width - 2 * _MARGIN) * 72 / (15 * 0.56))
    lines = textwrap.wrap(heading, chars) or [heading]
    fig.text(_MARGIN / width, 1 - _MARGIN / height, plain_text("\n".join(lines)), ha="left",
             va="top", fontsize=15, fontweight="bold")
    return fig, height - _MARGIN - 0.32 * len(lines) - 0.2


def wrap_paragraphs(paragraphs: Sequence[str], size: float) -> list[str]:
    """Return the lines of ``paragraphs`` wrapped to the page's width at ``size`` points."""
    chars = int((A4_PORTRAIT[0] - 2 * _MARGIN) * 72 / (size * 0.55))
    lines: list[str] = []
    for paragraph in paragraphs:
        lines.extend(textwrap.wrap(paragraph, chars, subsequent_indent="  ") or [""])
    return lines


def place_lines(fig: Figure, top: float, lines: Sequence[str], size: float) -> float:
    """Write ``lines`` from ``top`` (inches from the page's foot) down; return the next top."""
    width, height = A4_PORTRAIT
    step = _LINE * size / 8
    for line in lines:
        fig.text(_MARGIN / width, top / height, plain_text(line), ha="left", va="top",
                 fontsize=size)
        top -= step
    return top


def text_pages(heading: str, paragraphs: Sequence[str], *, size: float = 8.0) -> list[Figure]:
    """Return pages holding ``paragraphs`` (each wrapped to the page; "" is a blank line)."""
    pages: list[Figure] = []
    lines = wrap_paragraphs(paragraphs, size)
    while True:
        fig, top = new_page(heading if not pages else f"{heading} (continued)")
        room = int((top - _MARGIN - 0.3) / (_LINE * size / 8))
        chunk, lines = lines[:room], lines[room:]
        place_lines(fig, top, chunk, size)
        pages.append(fig)
        if not lines:
            return pages


def table_pages(heading: str, header: Sequence[str], rows: Sequence[Sequence[object]], *,
                notes: Sequence[str] = (), widths: Sequence[float] | None = None,
                size: float = 7.5) -> list[Figure]:
    """Return pages holding a table: ``header`` on every page, then ``rows``, then ``notes``.

    Parameters
    ----------
    heading : str
        Page heading.
    header : Sequence[str]
        Column names (with their units).
    rows : Sequence[Sequence[object]]
        Cells, already formatted as text; the first column is left-aligned, others right.
    notes : Sequence[str]
        Paragraphs under the table (on its last page).
    widths : Sequence[float], optional
        Relative column widths (default: the first column twice the others).
    size : float
        Font size in points.
    """
    width, height = A4_PORTRAIT
    widths = list(widths or [2.0] + [1.0] * (len(header) - 1))
    span = width - 2 * _MARGIN
    edges = [_MARGIN + span * sum(widths[:i]) / sum(widths) for i in range(len(widths) + 1)]
    step = _LINE * size / 8 * 1.15
    pages: list[Figure] = []
    left = [wrap_cells(row, edges, size) for row in rows]
    head_cells = wrap_cells(header, edges, size)
    head = max(len(c) for c in head_cells)  # header lines
    while True:
        fig, top = new_page(heading if not pages else f"{heading} (continued)")
        room = max(int((top - _MARGIN - 0.4 - 0.2 * len(notes)) / step) - head, 1)
        chunk = _fitting(left, room)
        left = left[len(chunk):]
        _row(fig, edges, top, head_cells, size, bold=True)
        fig.add_artist(_rule(edges, top - step * (head - 0.15)))
        top -= step * (head - 1)
        used = 1
        for row in chunk:
            _row(fig, edges, top - used * step, row, size)
            used += max(len(c) for c in row)
        pages.append(fig)
        if not left:
            break
    if notes:
        at = top - (used + 0.5) * step
        for line in wrap_paragraphs(notes, size):
            pages[-1].text(_MARGIN / width, at / height, plain_text(line), ha="left", va="top",
                           fontsize=size, color="#333333")
            at -= step
    return pages


def wrap_cells(cells: Sequence[object], edges: Sequence[float], size: float
               ) -> list[list[str]]:
    """Return each cell's lines, wrapped to its column (``edges`` in inches) at ``size`` points.

    A cell's own line breaks are kept; a line longer than the column holds is wrapped at
    spaces, so no cell runs into the next one.

    Examples
    --------
    >>> wrap_cells(["Substations that limit the plan", "3"], [0.0, 1.0, 2.0], 8.0)
    [['Substations', 'that limit the', 'plan'], ['3']]
    """
    out = []
    for i, cell in enumerate(cells):
        chars = max(int((edges[i + 1] - edges[i] - 0.1) * 72 / (size * 0.55)), 4)
        lines: list[str] = []
        for part in str(cell).split("\n"):
            lines.extend(textwrap.wrap(part, chars, break_long_words=False) or [""])
        out.append(lines)
    return out


def _fitting(rows: Sequence[list[list[str]]], room: int) -> list[list[list[str]]]:
    """Return the first rows whose lines fit in ``room`` lines (at least one row)."""
    chunk: list[list[list[str]]] = []
    used = 0
    for row in rows:
        lines = max(len(c) for c in row)
        if chunk and used + lines > room:
            break
        chunk.append(row)
        used += lines
    return chunk


def _row(fig: Figure, edges: list[float], top: float, cells: Sequence[Sequence[str]],
         size: float, *, bold: bool = False) -> None:
    width, height = A4_PORTRAIT
    for i, lines in enumerate(cells):
        first = i == 0
        x = edges[i] if first else edges[i + 1] - 0.05
        fig.text(x / width, top / height, plain_text("\n".join(lines)),
                 ha="left" if first else "right", va="top", fontsize=size,
                 fontweight="bold" if bold else "normal")


def _rule(edges: list[float], at: float) -> Line2D:
    width, height = A4_PORTRAIT
    return Line2D([edges[0] / width, edges[-1] / width], [at / height, at / height],
                  color="#444444", linewidth=0.6)


def add_footer(pages: Sequence[Figure], text: str) -> None:
    """Write "``text`` | page i of n" at the foot of every page."""
    height = A4_PORTRAIT[1]
    for number, fig in enumerate(pages, start=1):
        fig.text(0.5, 0.15 / height, plain_text(f"{text} | page {number} of {len(pages)}"),
                 ha="center", va="bottom", fontsize=7, color="#555555")
