"""The plan map's milestone selector: the plan as it stands by each milestone year.

A phased plan builds each chosen candidate by a milestone year (its ``build_year``), and
plans are nested: what is chosen by 2025 stays in 2030, 2040 and 2050. The selector (a
Leaflet control of radio buttons, top left) shows the plan by one milestone: candidates built
by then keep their chosen look, those built later take the dotted outline of
:data:`~geoplan.outputs.map_layers.LATER_STYLE`, and the legend and the title say which
milestone is shown. It opens on the last milestone (the whole plan). Beside each year: how
many chosen candidates are built by then and what they cost, summed from the plan tables.
Substations, when the map has the headroom of every milestone year, take that year's
red/amber/green (``hy`` in :func:`~geoplan.outputs.map_layers.substation_layer`).

No text is read as a template: the years and the notes go into the script as JSON values
(``tojson``), and the notes hold only numbers formatted here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
from folium.template import Template

from geoplan.outputs.map_elements import FeatureGroup, LiteralRender
from geoplan.outputs.map_layers import build_year
from geoplan.outputs.map_style import number

__all__ = ["MilestoneControl", "milestone_legend", "milestone_notes", "milestone_years"]


def milestone_years(plans: Mapping[str, pd.DataFrame],
                    milestones: Sequence[int] | None) -> list[int]:
    """Return the milestones the selector offers ([]: no selector).

    ``milestones`` when there are at least two and some chosen candidate has a build year.

    Examples
    --------
    >>> plan = pd.DataFrame({"selected": [True], "build_year": [2030]})
    >>> milestone_years({"a": plan}, [2025, 2030]), milestone_years({"a": plan}, [2030])
    ([2025, 2030], [])
    """
    years = sorted({int(y) for y in milestones or ()})
    if len(years) < 2:
        return []
    built = any(build_year(row) is not None for plan in plans.values()
                for row in plan[plan["selected"].fillna(False).astype(bool)].to_dict("records"))
    return years if built else []


def milestone_notes(plans: Mapping[str, pd.DataFrame], years: Sequence[int]) -> list[str]:
    """Return, per milestone, the chosen candidates built by then and their cost (cumulative).

    A chosen candidate without a build year counts from the first milestone.

    Examples
    --------
    >>> plan = pd.DataFrame({"selected": [True, True, False], "build_year": [2025, 2030, None],
    ...                      "cost_gbp": [1.5e6, 2.0e6, 9.0e6]})
    >>> milestone_notes({"a": plan}, [2025, 2030])
    ['1 chosen, £1.5m', '2 chosen, £3.5m']
    >>> milestone_notes({"a": plan.assign(cost_gbp=20_000.0)}, [2025])
    ['1 chosen, £20,000']
    """
    built: list[tuple[int, float]] = []
    for plan in plans.values():
        chosen = plan[plan["selected"].fillna(False).astype(bool)]
        for row in chosen.to_dict("records"):
            cost = pd.to_numeric(pd.Series([row.get("cost_gbp")]), errors="coerce").iloc[0]
            built.append((build_year(row) or years[0], 0.0 if pd.isna(cost) else float(cost)))
    notes = []
    for year in years:
        mine = [cost for when, cost in built if when <= year]
        notes.append(f"{len(mine):,} chosen, {_money(sum(mine))}")
    return notes


def _money(gbp: float) -> str:
    """``£2.1m`` from a million pounds up, else whole pounds (``£20,000``)."""
    return f"£{number(gbp / 1e6, 1)}m" if gbp >= 1e6 else f"£{number(gbp, 0)}"


def milestone_legend(years: Sequence[int]) -> str:
    """Return the legend block: the milestone shown (kept current by the selector), the looks."""
    last = int(years[-1])
    return ('<div class="gp-head">Plan by <span class="gp-milestone-year">'
            f'{last}</span> (milestone selector, top left)</div>'
            '<div class="gp-row"><span class="gp-swatch" style="background:#777777;'
            'border:1px solid #555"></span>chosen and built by then</div>'
            '<div class="gp-row"><span class="gp-swatch" style="background:#ffffff;'
            'border:2px dotted #555"></span>chosen, built for a later milestone</div>')


class MilestoneControl(LiteralRender):
    """The milestone selector (module docstring) over the candidate and substation ``groups``."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (groups, years, notes) {
            var map = {{ this._parent.get_name() }};
            function show(year) {
                groups.forEach(function (group) {
                    group.eachLayer(function (geo) {
                        if (!geo.eachLayer) { return; }
                        geo.eachLayer(function (layer) {
                            var p = layer.feature && layer.feature.properties;
                            if (!p || !layer.setStyle) { return; }
                            if (p.hy !== undefined) {  // a substation: headroom that year
                                layer.setStyle(layer.gpStyles[p.hy[years.indexOf(year)]]);
                            }
                            if (p.y === undefined) { return; }
                            // setStyle merges: clear the dotted outline explicitly
                            layer.setStyle(L.extend({dashArray: null},
                                layer.gpStyles[p.y <= year ? p.s : p.l]));
                        });
                    });
                });
                document.querySelectorAll(".gp-milestone-year").forEach(
                    function (el) { el.textContent = String(year); });
            }
            var control = L.control({position: "topleft"});
            control.onAdd = function () {
                var div = L.DomUtil.create("div", "gp-legend gp-milestones");
                var head = document.createElement("div");
                head.className = "gp-head";
                head.textContent = "Plan by milestone";
                div.appendChild(head);
                years.forEach(function (year, i) {
                    var label = document.createElement("label");
                    label.className = "gp-row";
                    label.style.display = "block";
                    var input = document.createElement("input");
                    input.type = "radio";
                    input.name = "gp-milestone";
                    input.value = String(year);
                    input.checked = i === years.length - 1;
                    label.appendChild(input);
                    label.appendChild(document.createTextNode(
                        " by " + year + ": " + notes[i]));
                    div.appendChild(label);
                });
                div.addEventListener("change", function (e) {
                    show(parseInt(e.target.value, 10));
                });
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            control.addTo(map);
            show(years[years.length - 1]);
        })([{% for g in this.groups %}{{ g.get_name() }}, {% endfor %}],
           {{ this.years|tojson }}, {{ this.notes|tojson }});
        {% endmacro %}
    """)

    def __init__(self, groups: Sequence[FeatureGroup], years: Sequence[int],
                 notes: Sequence[str]) -> None:
        super().__init__()
        self._name = "MilestoneControl"
        self.groups, self.years, self.notes = list(groups), [int(y) for y in years], list(notes)
