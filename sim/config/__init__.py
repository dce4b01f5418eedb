"""The simulator's configuration schema, its validation and its construction from mappings.

Every parameter is a dataclass field made with :func:`param`, which records the bounds that
validation enforces, the unit and the source of the default.  The same metadata generates the
parameter tables of ``docs/MODEL.md`` (``python experiments/param_table.py``), so the code and the
documentation cannot drift apart.

Sources are marked ``FACTS:`` (a figure in the source report summary, ``shared/seed/FACTS.md``),
``LIT:`` (the literature), ``POSTERIOR:`` (the median of the calibration's posterior, where the
record rejects the previous value), ``FIT:`` (the previous point calibration, inside the posterior's
90% interval or not inferred) or ``ASSUMPTION`` (chosen).

One module a section: ``world.py``, ``behaviour.py`` (delegates, candidates, brokers, congress
day, patronage), ``institutions.py`` (reporting, investigation, beliefs), ``schedule.py``
(calendar, terms), ``interventions.py``; ``schema.py`` assembles them into :class:`SimConfig`;
``fields.py`` declares a setting, ``validation.py`` checks one, ``build.py`` makes one from
mappings and overrides, ``size.py`` estimates a run's memory and ``runtime.py`` its time.  The
bottom of the package tree: it imports nothing else of ``sim``, and everything imports it through
this face.
"""

from sim.config.behaviour import BrokerConfig, CandidateConfig, DelegateConfig, PatronageConfig, VotingConfig
from sim.config.build import build_config, check_keys, flatten, merge_plain, plain_values, to_dict, with_values
from sim.config.fields import SEED_RANGE, ConfigError, param, prob, same_as, setting
from sim.config.institutions import BeliefConfig, InvestigationConfig, ReportingConfig
from sim.config.interventions import (
    CandidateVettingConfig,
    InterventionsConfig,
    PledgesTalksConfig,
    RiskScreeningConfig,
    TeamInspectionConfig,
    TipoffResolutionConfig,
    WarningEducationConfig,
)
from sim.config.schedule import ScheduleConfig, TermsConfig
from sim.config.schema import SimConfig
from sim.config.size import available_memory, check_size, memory_estimate
from sim.config.validation import assumed_ranges, check_fields, iter_params, validate
from sim.config.world import WorldConfig

__all__ = [
    "SEED_RANGE",
    "BeliefConfig",
    "BrokerConfig",
    "CandidateConfig",
    "CandidateVettingConfig",
    "ConfigError",
    "DelegateConfig",
    "InterventionsConfig",
    "InvestigationConfig",
    "PatronageConfig",
    "PledgesTalksConfig",
    "ReportingConfig",
    "RiskScreeningConfig",
    "ScheduleConfig",
    "SimConfig",
    "TeamInspectionConfig",
    "TermsConfig",
    "TipoffResolutionConfig",
    "VotingConfig",
    "WarningEducationConfig",
    "WorldConfig",
    "assumed_ranges",
    "available_memory",
    "build_config",
    "check_fields",
    "check_keys",
    "check_size",
    "flatten",
    "iter_params",
    "memory_estimate",
    "merge_plain",
    "param",
    "plain_values",
    "prob",
    "same_as",
    "setting",
    "to_dict",
    "validate",
    "with_values",
]
