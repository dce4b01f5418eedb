"""The calibration's settings: how each particle is simulated and how much the fit may spend.

Declared as the model's parameters are (:func:`sim.config.setting`), checked by
:func:`sim.config.check_fields` before the fit starts, and listed in ``docs/PARAMETERS.md``.  The
settings handed on to the sampler keep the sampler's declaration (:func:`sim.config.same_as`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sim.calibration.sampler import SMCSettings
from sim.config import SEED_RANGE, same_as, setting


@dataclass
class Design:
    """How one particle is simulated and how much ABC may spend (``experiments/calibrate.py``).

    ``min_epsilon`` None (the default) sets the lowest threshold to the 95th percentile of the
    distance the true parameters would have (:func:`sim.calibration.inference.epsilon_floor`):
    going lower would treat the record's figures, and the seeds' noise, as exact.
    """

    scale: str = setting("city", doc="the scenario preset each particle runs (sim/conf/scenario/<scale>.yaml)")
    replicates: int = setting(
        3, lo=1, hi=1_000, unit="seeds", doc="runs per policy per particle (common seeds for every particle)"
    )
    seed: int = setting(2021, unit="integer", doc="base seed of the replicate seeds and of the sampler", **SEED_RANGE)
    population: int = same_as(SMCSettings, "population", 100)
    generations: int = same_as(SMCSettings, "max_generations", 8)
    max_simulations: int = same_as(
        SMCSettings, "max_simulations", 1000, doc="most parameter vectors simulated (a reproducible budget)"
    )
    min_epsilon: float | None = same_as(
        SMCSettings, "min_epsilon", None, doc="the lowest threshold (None: the true parameters' 95th percentile)"
    )
    n_jobs: int = setting(2, lo=1, hi=1024, unit="processes", doc="processes evaluating particles side by side")
    predictive_draws: int = setting(
        60, lo=0, hi=100_000, unit="draws", doc="posterior draws simulated for the predictive checks (fresh seeds)"
    )
    world: dict[str, Any] = setting({}, doc="extra world overrides (tests shrink the scenario with it)")
    fixed: dict[str, Any] = setting({}, doc="configuration overrides applied to every run (not inferred)")
    keep: float = same_as(SMCSettings, "keep", 0.5)
    max_attempts: int = same_as(SMCSettings, "max_attempts", 10)
