"""Page elements that never read text as a template: data is inserted as values, never as code.

branca (under folium) builds a page with Jinja in two steps, and both would evaluate text that
came from data:

1. ``branca.element.Element(text)`` compiles ``text`` as a template;
2. ``MacroElement.render`` renders an element's macros (data goes in as values, e.g. through
   ``tojson``) and then wraps the *output* in ``Element(output)``, compiling it again. A site
   label ``{{7*7}}`` inside a GeoJSON popup would show as ``49``; ``{#`` stops the render with
   "Missing end of comment tag"; ``{{ cycler.__init__.__globals__.os... }}`` runs code.

:class:`LiteralHtml` places fixed or already-escaped HTML as it is, and :class:`LiteralRender`
renders an element's macros once and places their output as it is. Every element geoplan puts
on a map is one of these: folium's classes are used through the subclasses below, which keep
folium's behaviour and change only the last step. (folium's ``ElementAddToElement``, which
``Layer.render`` adds by itself, holds only element names.)
"""

from __future__ import annotations

import folium
import folium.map
from branca.element import Element, Figure, MacroElement
from folium.plugins import DualMap

__all__ = [
    "CustomPane",
    "FeatureGroup",
    "FitBounds",
    "GeoJson",
    "LayerControl",
    "LiteralDualMap",
    "LiteralHtml",
    "LiteralRender",
    "PlanMap",
    "TileLayer",
]


class LiteralHtml(Element):
    """A piece of HTML placed in the page exactly as given, never read as a Jinja template.

    Use it for every fixed or data-built fragment instead of ``branca.element.Element(text)``,
    which compiles ``text``. Data in ``html`` must already be escaped (:func:`~geoplan.outputs.
    map_style.text`); this element adds no escaping of its own, so nothing is escaped twice.

    Parameters
    ----------
    html : str
        The HTML, e.g. ``'<div class="gp-title">Plan &amp; bid</div>'``.

    Examples
    --------
    >>> LiteralHtml("<b>{{7*7}} {# not a comment</b>").render()
    '<b>{{7*7}} {# not a comment</b>'
    """

    def __init__(self, html: str) -> None:
        super().__init__()
        self._name = "LiteralHtml"
        self.html = str(html)

    def render(self, **kwargs: object) -> str:
        """Return the HTML unchanged (children, if any were added, are not drawn)."""
        return self.html


class LiteralRender(MacroElement):
    """A macro element whose rendered macros go into the page as they are.

    As ``branca.element.MacroElement.render`` (the ``header``, ``html`` and ``script`` macros
    of the element's own, fixed template are rendered with the element as ``this``, then its
    children are rendered), except that the output is placed with :class:`LiteralHtml`
    instead of being compiled as a second template. Put it after a folium class in the bases
    (``class GeoJson(folium.GeoJson, LiteralRender)``) so that folium's own ``render`` runs
    first and ends here.
    """

    def render(self, **kwargs: object) -> str:
        """Add the element's header, html and script to its figure, then render children.

        Returns ``""``: the output is in the figure's parts, as with branca's elements.
        """
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError(f"{type(self).__name__} is not attached to a folium Figure")
        macros = self._template.module.__dict__
        for part in ("header", "html", "script"):
            macro = macros.get(part)
            if macro is not None:
                getattr(figure, part).add_child(LiteralHtml(str(macro(self, kwargs))),
                                                name=self.get_name())
        for child in list(self._children.values()):
            child.render(**kwargs)
        return ""


class PlanMap(folium.Map, LiteralRender):
    """folium's Map, rendered without a second template pass."""


class TileLayer(folium.TileLayer, LiteralRender):
    """folium's TileLayer, rendered without a second template pass."""


class CustomPane(folium.map.CustomPane, LiteralRender):
    """folium's CustomPane, rendered without a second template pass."""


class FeatureGroup(folium.FeatureGroup, LiteralRender):
    """folium's FeatureGroup (a toggleable layer), rendered without a second template pass."""


class GeoJson(folium.GeoJson, LiteralRender):
    """folium's GeoJson, rendered without a second template pass (its data holds names)."""


class LayerControl(folium.LayerControl, LiteralRender):
    """folium's LayerControl, rendered without a second template pass (it lists names)."""


class FitBounds(folium.map.FitBounds, LiteralRender):
    """folium's FitBounds, rendered without a second template pass."""


class LiteralDualMap(DualMap, LiteralRender):
    """folium's DualMap, rendered without a second template pass."""
