"""The tornado sensitivity as a run writes it: ``sensitivity.csv``, ``tornado.png``, summary words.

Figures come from :mod:`geoplan.planning.sensitivity` (computed there); this module only shapes
them. ``sensitivity.csv`` is the table as computed (one row per bounded assumption value and
headline figure); ``tornado.png`` draws, for each headline figure that moves, the
:data:`TORNADO_TOP` values with the largest swing as horizontal bars from the figure at the low
bound to the figure at the high bound, around the plan's own value; the summary's
``sensitivity`` section says the range of each figure and which value swings it most.
"""

from __future__ import annotations

import logging
import math
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from geoplan.files.atomic import atomic_path, refuse_existing, write_csv
from geoplan.outputs.labels import assumption_label
from geoplan.planning.sensitivity import FIGURES, STATUS_DONE

__all__ = ["TORNADO_TOP", "axis_label", "sensitivity_summary", "tornado_figure",
           "write_sensitivity"]

logger = logging.getLogger(__name__)

TORNADO_TOP = 12
"""Bars per headline figure in ``tornado.png`` (all rows are in ``sensitivity.csv``)."""

_MONEY = ("capex_gbp", "npv_gbp", "cost_per_lifetime_tco2e_gbp")
_KEY = ("assumption at its low bound", "assumption at its high bound", "the plan's own figure")
"""Entries of the tornado's key, in order."""


def _done(table: pd.DataFrame) -> pd.DataFrame:
    return table[(table["status"] == STATUS_DONE) & np.isfinite(table["swing"].astype(float))]


def _ranked(table: pd.DataFrame, figure: str) -> pd.DataFrame:
    """Rows of one figure that move it, largest swing first (then table, key, column)."""
    rows = _done(table)
    rows = rows[(rows["figure"] == figure) & (rows["swing"].astype(float) > 0)]
    return rows.sort_values(["swing", "table", "key", "column"],
                            ascending=[False, True, True, True], kind="stable")


def _name(row: pd.Series) -> str:
    """Return the assumption value in words with its bounds.

    E.g. ``Sequestration, woodland creation: land cost (£/ha) [5116 to 9154]``
    (:func:`~geoplan.outputs.labels.assumption_label`).
    """
    span = (f" [{row['low']:g} to {row['high']:g}]"
            if math.isfinite(float(row["low"])) and math.isfinite(float(row["high"])) else "")
    return assumption_label(str(row["table"]), str(row["key"]), str(row["column"])) + span


def _value(figure: str, value: float) -> str:
    if not math.isfinite(value):
        return "n/a"
    if figure in _MONEY:
        sign = "-" if value < 0 else ""
        return f"{sign}£{abs(value):,.0f}"
    unit = " tCO2e/yr" if figure.endswith("_per_yr") else " tCO2e"
    return f"{value:,.0f}{unit}"


def tornado_figure(table: pd.DataFrame, top: int = TORNADO_TOP, title: str = "") -> Figure:
    """One panel per headline figure that moves: bars from the low- to the high-bound figure.

    Bars are sorted by swing, the largest on top; the plan's own figure is the vertical line;
    the x axis carries the figure's unit. Without any moving figure, a panel says so.
    """
    ranked = {f: _ranked(table, f).head(top) for f in FIGURES}
    figures = [f for f in FIGURES if len(ranked[f])]
    heights = [len(ranked[f]) for f in figures]
    inches = 1.0 + sum(0.3 * h + 1.3 for h in heights) if heights else 2.5
    fig = Figure(figsize=(9, inches), dpi=100)
    if not figures:
        ax = fig.add_subplot()
        ax.axis("off")
        ax.text(0.5, 0.5, "No indicative assumption moves the headline figures",
                ha="center", va="center")
        return fig
    axes = fig.subplots(len(figures), 1, squeeze=False,
                        gridspec_kw={"height_ratios": [h + 1.5 for h in heights]})[:, 0]
    for ax, figure in zip(axes, figures, strict=True):
        _panel(ax, ranked[figure], figure)
    fig.suptitle(title.replace("$", r"\$") or "Sensitivity of the headline figures "
                 "(plan held fixed)", fontsize=10, y=1 - 0.1 / inches, va="top")
    # the key, once, between the title and the first panel: never over a bar
    handles, labels = axes[0].get_legend_handles_labels()
    shown = dict(zip(labels, handles, strict=True))
    fig.legend([shown[k] for k in _KEY], list(_KEY), loc="upper right",
               bbox_to_anchor=(0.97, 1 - 0.42 / inches), ncol=len(_KEY), fontsize=7,
               frameon=False)
    # fixed margins (room for the labels on the left): no second drawing pass to lay it out
    gap, count = 1.0, len(figures)  # inches between panels (room for the x label)
    panels = (inches - 1.0 - gap * (count - 1)) / count  # mean panel height, inches
    fig.subplots_adjust(left=0.42, right=0.97, top=1 - 0.75 / inches, bottom=0.7 / inches,
                        hspace=gap / panels)
    return fig


def _tick(name: str) -> str:
    """Wrap a bar's name to the room left of the bars, its ``[low to high]`` kept on one line."""
    words, bracket, span = name.partition(" [")
    joined = words + (f"\u00a0[{span.replace(' ', chr(0xA0))}" if bracket else "")
    return textwrap.fill(joined, 66).replace("\u00a0", " ")


def axis_label(figure: str) -> tuple[str, float]:
    """Return the x-axis label of a headline figure (its unit once) and the scale of its bars.

    Pounds of capital cost and NPV are drawn in £m, the unit said once.

    Examples
    --------
    >>> axis_label("capex_gbp")
    ('Capital cost (£m)', 1000000.0)
    """
    label = FIGURES[figure]
    if figure in ("capex_gbp", "npv_gbp") and label.endswith(" (£)"):
        return f"{label[:-len(' (£)')]} (£m)", 1e6
    return label, 1.0


def _panel(ax: Any, rows: pd.DataFrame, figure: str) -> None:
    rows = rows.iloc[::-1]  # matplotlib draws the first bar at the bottom
    y = np.arange(len(rows))
    low, high = rows["at_low"].astype(float).to_numpy(), rows["at_high"].astype(float).to_numpy()
    base = float(rows["at_base"].iloc[0])
    label, scale = axis_label(figure)
    ax.barh(y, (low - base) / scale, left=base / scale, color="#31688e", label=_KEY[0])
    ax.barh(y, (high - base) / scale, left=base / scale, color="#d95f02", label=_KEY[1])
    ax.axvline(base / scale, color="black", linewidth=0.8, label=_KEY[2])
    ax.set_yticks(y, [_tick(_name(r)) for _, r in rows.iterrows()], fontsize=7)
    ax.set_xlabel(textwrap.fill(label, 90), fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    ax.grid(True, axis="x", alpha=0.3)


def write_sensitivity(folder: Path, table: pd.DataFrame, *, title: str = "") -> list[Path]:
    """Write ``sensitivity.csv`` and ``tornado.png`` into ``folder``; return their paths."""
    written = [write_csv(table, folder / "sensitivity.csv")]
    path = folder / "tornado.png"
    refuse_existing(path, overwrite=False)
    with atomic_path(path, overwrite=False) as png:
        tornado_figure(table, title=title).savefig(png, format="png",
                                                   metadata={"Software": None})
    logger.info("wrote %s", path)
    written.append(path)
    return written


def sensitivity_summary(table: pd.DataFrame) -> tuple[dict[str, Any], list[str]]:
    """Return the summary's ``sensitivity`` section and its warnings.

    One statement per headline figure: ``Lifetime cost per tCO2e: £X (range £a-£b over N
    indicative values, each at its low and high bound); the largest swing is <value>
    (£a-£b)``; a table of the values that swing the lifetime cost per tCO2e most; a warning
    naming the bounded values that could not be recomputed.
    """
    statements = []
    done = _done(table)
    count = len(done[["table", "key", "column"]].drop_duplicates())
    for figure, label in FIGURES.items():
        rows = done[done["figure"] == figure]
        if rows.empty:
            continue
        base = float(rows["at_base"].iloc[0])
        ends = rows[["at_low", "at_high"]].astype(float).to_numpy()
        name = label.split(" (")[0]
        ranked = _ranked(table, figure)
        if ranked.empty and base == 0.0:
            continue  # a kind of tonnes this plan has none of (e.g. removals of a charger plan)
        if ranked.empty:
            statements.append(f"{name}: {_value(figure, base)} (none of the {count} "
                              "indicative values moves it)")
            continue
        text = (f"{name}: {_value(figure, base)} (range {_value(figure, float(ends.min()))} to "
                f"{_value(figure, float(ends.max()))} over {count} indicative values, each at "
                "its low and high bound)")
        first = ranked.iloc[0]
        text += (f"; the largest swing is {_name(first)}: "
                 f"{_value(figure, float(first['at_low']))} to "
                 f"{_value(figure, float(first['at_high']))}")
        statements.append(text)
    rows = _ranked(table, "cost_per_lifetime_tco2e_gbp").head(TORNADO_TOP)
    shown = [{"assumption": _name(r), "at_low_gbp_per_tco2e": float(r["at_low"]),
              "at_high_gbp_per_tco2e": float(r["at_high"]),
              "swing_gbp_per_tco2e": float(r["swing"])} for _, r in rows.iterrows()]
    skipped = table[table["status"] != STATUS_DONE][["table", "key", "column"]]
    skipped = skipped.drop_duplicates()
    notes = []
    if len(skipped):
        names = ", ".join(f"{t}.{c} ({k})" for t, k, c in skipped.itertuples(index=False))
        notes.append(f"sensitivity: {len(skipped)} bounded assumption values are not "
                     f"recomputed for the fixed plan: {names}; sensitivity.csv lists them "
                     "without figures, each with the reason in its status column")
    return {"statements": statements, "rows": shown}, notes
