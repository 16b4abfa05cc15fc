"""The map's first view: the plan's bounds, clear of the legend, the layer list and the title.

A fixed padding cannot know how wide the legend is: at 1400x900 the open legend (bottom left)
covered the county's west edge. :class:`FitClear` fits the bounds once every control is
drawn (the map's only fit: a fit before it would still be zooming, and its end would undo
this one), with each side padded by what covers it: the legend on the left, the layer control
on the right, the title on top. When those would leave less than :data:`MIN_SHARE` of the
map's width for the plan (a phone, whose controls start folded), the plain padding is kept.
"""

from __future__ import annotations

from collections.abc import Sequence

from folium.template import Template

from geoplan.outputs.map_elements import LiteralRender

__all__ = ["MIN_SHARE", "FitClear"]

MIN_SHARE = 0.4
"""Least share of the map's width left for the plan between the legend and the layer list."""


class FitClear(LiteralRender):
    """Fit the map to ``bounds`` with padding for the controls that cover its sides.

    Runs after the page's other scripts (``setTimeout``), once the controls exist and a
    phone has folded them.

    Parameters
    ----------
    bounds : sequence
        ``[[south, west], [north, east]]`` in degrees.
    padding : int
        Pixels kept round the plan besides the controls.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        setTimeout(function () {
            var map = {{ this._parent.get_name() }}, box = map.getContainer();
            var frame = box.getBoundingClientRect(), pad = {{ this.padding }};
            var left = pad, right = pad, top = pad, bottom = pad;
            function each(selector, use) {
                box.querySelectorAll(selector).forEach(function (el) {
                    var r = el.getBoundingClientRect();
                    if (r.width && r.height) { use(r); }
                });
            }
            // the legend and the milestone selector on the left, the layer list on the right
            each(".leaflet-left .leaflet-control", function (r) {
                left = Math.max(left, r.right - frame.left + pad);
            });
            each(".leaflet-right .leaflet-control:not(.leaflet-control-attribution)",
                 function (r) { right = Math.max(right, frame.right - r.left + pad); });
            var title = document.querySelector(".gp-title");
            var head = title ? title.getBoundingClientRect() : null;
            if (head && head.height) { top = Math.max(top, head.bottom - frame.top + pad); }
            if (frame.width - left - right < {{ this.min_share }} * frame.width) {
                left = right = pad;
            }
            map.fitBounds({{ this.bounds|tojson }},
                          {paddingTopLeft: [left, top], paddingBottomRight: [right, bottom],
                           animate: false});
        }, 0);
        {% endmacro %}
    """)

    def __init__(self, bounds: Sequence[Sequence[float]], *, padding: int = 20) -> None:
        super().__init__()
        self._name = "FitClear"
        self.bounds = [[float(v) for v in corner] for corner in bounds]
        self.padding, self.min_share = int(padding), float(MIN_SHARE)
