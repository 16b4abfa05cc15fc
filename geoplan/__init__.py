"""geoplan: spatial data to ranked, defensible net-zero investment plans for a UK county.

One function per arrow of the data flow::

    import geoplan as gp

    scenario = gp.load_scenario("scenarios/joint.yaml")     # the scenario file, checked
    layers = gp.prepare_layers(gp.layer_inputs(scenario))   # every canonical layer
    candidates = gp.build_candidates(scenario, layers)      # per workstream
    plan = gp.solve_plan(scenario, candidates, layers)      # one joint plan
    result = gp.write_run("out/joint", scenario, layers, candidates, plan)
    result.table("chargers")                                # one workstream's plan table

or all of it at once: ``gp.run_scenario("scenarios/joint.yaml", "out/joint")``.
``gp.read_layers(path, kind)`` reads one file into canonical layers.

The planning functions are imported on first use (PEP 562), so ``import geoplan`` does not
load the optimiser.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from geoplan.errors import (
    AreaNotFoundError,
    CRSError,
    GeoplanError,
    InfeasibleError,
    LayerSchemaError,
    MissingCRSError,
    OutputExistsError,
    ScenarioError,
    SourceFormatError,
    SourceNotFoundError,
)
from geoplan.files.atomic import write_csv, write_geopackage
from geoplan.layers.grid import ancestors_of, graph_from_substations, headroom_for, match_names
from geoplan.layers.read import open_layer, read_layers
from geoplan.layers.supply import assign_zones
from geoplan.layers.zones import districts_from_file, zones_from_file
from geoplan.schemas import LAYERS as LAYER_SCHEMAS
from geoplan.schemas import validate_layer
from geoplan.sources import detect_format, read_grid
from geoplan.version import __version__

if TYPE_CHECKING:
    from geoplan.layers.prepare import LayerInputs, PreparedLayers, prepare_layers
    from geoplan.pipeline import (
        RunResult,
        assumption_set,
        build_candidates,
        layer_inputs,
        run_comparison,
        run_scenario,
        sample_folder,
        solve_plan,
        write_run,
    )
    from geoplan.planning.solve import PlanResult, WorkstreamModel, grid_limits
    from geoplan.scenario import Scenario, load_scenario

logging.getLogger(__name__).addHandler(logging.NullHandler())

_LAZY = {
    "LayerInputs": "geoplan.layers.prepare",
    "PreparedLayers": "geoplan.layers.prepare",
    "prepare_layers": "geoplan.layers.prepare",
    "Scenario": "geoplan.scenario",
    "load_scenario": "geoplan.scenario",
    "PlanResult": "geoplan.planning.solve",
    "WorkstreamModel": "geoplan.planning.solve",
    "grid_limits": "geoplan.planning.solve",
    "RunResult": "geoplan.pipeline",
    "assumption_set": "geoplan.pipeline",
    "build_candidates": "geoplan.pipeline",
    "layer_inputs": "geoplan.pipeline",
    "run_comparison": "geoplan.pipeline",
    "run_scenario": "geoplan.pipeline",
    "sample_folder": "geoplan.pipeline",
    "solve_plan": "geoplan.pipeline",
    "write_run": "geoplan.pipeline",
}
"""Exported names imported on first use, and the module each comes from."""


def __getattr__(name: str) -> Any:
    """Import a planning name of :data:`_LAZY` on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'geoplan' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "LAYER_SCHEMAS",
    "AreaNotFoundError",
    "CRSError",
    "GeoplanError",
    "InfeasibleError",
    "LayerInputs",
    "LayerSchemaError",
    "MissingCRSError",
    "OutputExistsError",
    "PlanResult",
    "PreparedLayers",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "SourceFormatError",
    "SourceNotFoundError",
    "WorkstreamModel",
    "__version__",
    "ancestors_of",
    "assign_zones",
    "assumption_set",
    "build_candidates",
    "detect_format",
    "districts_from_file",
    "graph_from_substations",
    "grid_limits",
    "headroom_for",
    "layer_inputs",
    "load_scenario",
    "match_names",
    "open_layer",
    "prepare_layers",
    "read_grid",
    "read_layers",
    "run_comparison",
    "run_scenario",
    "sample_folder",
    "solve_plan",
    "validate_layer",
    "write_csv",
    "write_geopackage",
    "write_run",
    "zones_from_file",
]
