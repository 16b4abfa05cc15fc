"""The solver choices a scenario may name, with no imports.

Kept apart from :mod:`geoplan.schemas` (which loads pandas and geopandas) so that the
solver's child process (:mod:`geoplan.optimise.hardstop`) reads them without loading those
libraries; :mod:`geoplan.schemas` re-exports them with the rest of the vocabulary.
"""

from __future__ import annotations

__all__ = ["OPTIMALITY_GAP", "SOLVERS", "STRATEGIES"]

SOLVERS = ("highs", "highs-pulp", "cbc")
"""Solvers a plan may use (:mod:`geoplan.optimise.solvers`)."""

STRATEGIES = ("auto", "direct", "lp-guided")
"""How a large model is solved (:mod:`geoplan.optimise.strategy`)."""

OPTIMALITY_GAP = 1e-4
"""Largest relative gap still reported as ``"optimal"`` (HiGHS's default ``mip_rel_gap``)."""
