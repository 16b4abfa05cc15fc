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

    @property
    def objective_terms(self) -> tuple:
        """The objective terms as a tuple (a single term given alone becomes one)."""
        return _as_tuple(self.objective)

    @property
    def constraint_terms(self) -> tuple:
        """The constraints as a tuple (a single constraint given alone becomes one)."""
        return _as_tuple(self.constraints)


def _as_tuple(items: object) -> tuple:
    return tuple(items) if isinstance(items, list | tuple) else (items,)
