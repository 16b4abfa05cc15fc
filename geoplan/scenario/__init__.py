"""Scenario files: YAML validated into models, with ``extends:``, line numbers and a schema.

Typical use::

    from geoplan.scenario import load_scenario

    scenario = load_scenario("scenarios/joint.yaml")   # ScenarioError lists every problem
    scenario.plan.years, scenario.workstreams.enabled()
    scenario.workstreams.chargers.settings()           # its ChargerSettings
    scenario.resolved()                                # JSON-able, for the run manifest
"""

from typing import Any

from geoplan.scenario.loader import load_scenario, scenario_json_schema
from geoplan.scenario.models import (
    WORKSTREAMS,
    AssumptionsSection,
    ChargersSection,
    FinanceSection,
    GridSection,
    InputsSection,
    LaepSection,
    OutputsSection,
    PlanSection,
    RetrofitSection,
    Scenario,
    SequestrationSection,
    SolverSection,
    WorkstreamsSection,
)

__all__ = [
    "WORKSTREAMS",
    "AssumptionsSection",
    "ChargersSection",
    "FinanceSection",
    "GridSection",
    "InputsSection",
    "LaepSection",
    "OutputsSection",
    "PlanSection",
    "RetrofitSection",
    "Scenario",
    "SequestrationSection",
    "SolverSection",
    "WorkstreamsSection",
    "known_tables",
    "load_scenario",
    "scenario_json_schema",
]


def __getattr__(name: str) -> Any:
    """Load :func:`~geoplan.scenario.tables.known_tables` on first use.

    Its registry imports every module that describes an assumption table (layers, planning,
    workstreams), so ``import geoplan.scenario`` alone must not load it.
    """
    if name == "known_tables":
        from geoplan.scenario.tables import known_tables

        return known_tables
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
