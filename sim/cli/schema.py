"""The command line's configuration schema: a simulation plus how to run it, registered with Hydra."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from hydra.core.config_store import ConfigStore

from sim.config import SimConfig
from sim.optimise.settings import OptimiseConfig
from sim.sweeps.experiment import SweepSettings


@dataclass
class RunConfig(SimConfig, SweepSettings):
    """A simulation configuration plus how to run it (the Hydra application's schema).

    The sweep's settings (:class:`sim.sweeps.experiment.SweepSettings`) and the optimisation's
    (:class:`sim.optimise.settings.OptimiseConfig`) are declared where they are used.
    """

    optimise: OptimiseConfig = field(default_factory=OptimiseConfig)


#: Top-level keys of a simulation configuration (other keys describe how a sweep is run).
SIM_SECTIONS = frozenset(f.name for f in dataclasses.fields(SimConfig))


#: The sweeper of ``experiment=optimise`` (a Hydra plugin must live in the ``hydra_plugins`` namespace).
OPTIMISE_SWEEPER = "hydra_plugins.sim_optimise_sweeper.OptimiseSweeper"


def register_schema() -> None:
    """Register the structured schema so that typos and wrong types are rejected by Hydra.

    Also registers the optimisation's sweeper as ``hydra/sweeper=optimise``.
    """
    store = ConfigStore.instance()
    store.store(name="run_schema", node=RunConfig)
    store.store(group="hydra/sweeper", name="optimise", node={"_target_": OPTIMISE_SWEEPER}, provider="sim")
