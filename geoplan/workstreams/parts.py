"""What each workstream hands to a planning model besides its candidates."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ModelParts"]


@dataclass(frozen=True)
class ModelParts:
    """Objective terms and constraints of one workstream.

    Attributes
    ----------
    objective : tuple
        Objective terms from :mod:`geoplan.optimise.objectives`.
    constraints : tuple
        Constraint objects from :mod:`geoplan.optimise.constraints`, without grid headroom
        and without a total budget: the caller adds those (once, for a joint plan).
    """

    objective: tuple
    constraints: tuple
