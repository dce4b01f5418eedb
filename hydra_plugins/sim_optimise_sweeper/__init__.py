"""The Hydra sweeper of ``experiment=optimise``: an optimisation loop instead of a grid.

Hydra accepts sweepers only from the ``hydra_plugins`` namespace, so this module is a thin shim;
the work is in :func:`sim.cli.optimise.run_optimise_sweep` and :mod:`sim.optimise`.
Each batch of runs goes through the configured launcher (``hydra/launcher=joblib``,
``submitit_slurm``, ``basic`` ...), exactly as the jobs of a grid sweep do.  Hydra imports every
module of this namespace at start-up: nothing heavy is imported here.
"""

from __future__ import annotations

from typing import Any

from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig


class OptimiseSweeper(Sweeper):
    """Runs an optimisation (search, re-evaluation, robustness) through the configured launcher."""

    def __init__(self) -> None:
        self.config: DictConfig | None = None
        self.hydra_context: HydraContext | None = None
        self.launcher: Any = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        """Keep the configuration and instantiate the launcher, as Hydra's basic sweeper does."""
        from hydra.core.plugins import Plugins

        self.hydra_context = hydra_context
        self.config = config
        self.launcher = Plugins.instance().instantiate_launcher(
            hydra_context=hydra_context, task_function=task_function, config=config
        )

    def sweep(self, arguments: list[str]) -> Any:
        """Run the optimisation the command line describes."""
        from sim.cli.optimise import run_optimise_sweep

        assert self.config is not None
        return run_optimise_sweep(self.config, list(arguments), self.launcher)
