"""Everything one simulation run needs, section by section."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from sim.config.behaviour import BrokerConfig, CandidateConfig, DelegateConfig, PatronageConfig, VotingConfig
from sim.config.fields import SEED_RANGE, param
from sim.config.institutions import BeliefConfig, InvestigationConfig, ReportingConfig
from sim.config.interventions import InterventionsConfig
from sim.config.schedule import ScheduleConfig, TermsConfig
from sim.config.world import WorldConfig


@dataclass
class SimConfig:
    """Everything one simulation run needs."""

    scenario: str = "county"
    seed: int = param(0, unit="integer", doc="seed of the run; every random stream derives from it", **SEED_RANGE)
    world: WorldConfig = field(default_factory=WorldConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    terms: TermsConfig = field(default_factory=TermsConfig)
    patronage: PatronageConfig = field(default_factory=PatronageConfig)
    delegates: DelegateConfig = field(default_factory=DelegateConfig)
    candidates: CandidateConfig = field(default_factory=CandidateConfig)
    brokers: BrokerConfig = field(default_factory=BrokerConfig)
    reporting: ReportingConfig = field(default_factory=ReportingConfig)
    investigation: InvestigationConfig = field(default_factory=InvestigationConfig)
    beliefs: BeliefConfig = field(default_factory=BeliefConfig)
    voting: VotingConfig = field(default_factory=VotingConfig)
    interventions: InterventionsConfig = field(default_factory=InterventionsConfig)

    def enabled_interventions(self) -> list[str]:
        """Names of the interventions switched on, in declaration order."""
        return [f.name for f in dataclasses.fields(self.interventions) if getattr(self.interventions, f.name).enabled]
