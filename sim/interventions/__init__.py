"""The six interventions of the source report, and how to build them from a configuration.

Each intervention is a small class that acts on a running :class:`sim.model.election.ElectionModel`
at set points of the day (see ``base.py``), with its own random stream and its cost in staff-days.
This layer imports :mod:`sim.model` and :mod:`sim.config`; the model never imports it (the
caller builds the interventions and hands them in: :func:`sim.simulate.build_model`).
"""

from __future__ import annotations

from sim.config import InterventionsConfig
from sim.interventions.base import Intervention
from sim.interventions.candidate_vetting import CandidateVetting
from sim.interventions.pledges_talks import PledgesTalks
from sim.interventions.risk_screening import RiskScreening
from sim.interventions.team_inspection import TeamInspection
from sim.interventions.tipoff_resolution import TipoffResolution
from sim.interventions.warning_education import WarningEducation

#: Every built-in intervention by name, in the order they run.
REGISTRY: dict[str, type[Intervention]] = {
    cls.name: cls
    for cls in sorted(
        (WarningEducation, RiskScreening, CandidateVetting, TipoffResolution, TeamInspection, PledgesTalks),
        key=lambda c: c.order,
    )
}
INTERVENTION_NAMES: tuple[str, ...] = tuple(REGISTRY)


def build_interventions(cfg: InterventionsConfig) -> list[Intervention]:
    """Instantiate the interventions whose ``enabled`` flag is set."""
    return [cls(getattr(cfg, name)) for name, cls in REGISTRY.items() if getattr(cfg, name).enabled]


__all__ = [
    "INTERVENTION_NAMES",
    "REGISTRY",
    "CandidateVetting",
    "Intervention",
    "PledgesTalks",
    "RiskScreening",
    "TeamInspection",
    "TipoffResolution",
    "WarningEducation",
    "build_interventions",
]
