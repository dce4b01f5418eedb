"""An agent-based simulator of vote buying in indirect elections and the interventions against it.

Quick start::

    from sim import simulate
    result = simulate({"seed": 7, "interventions": {"team_inspection": {"enabled": True}}})
    print(result.summary["bought_seat_rate_final"])

    runs, timeseries = load_results("results/compare/city")   # a sweep's tidy tables
    runs, timeseries = sweep("compare", scenario="county", replicates=3)   # run a sweep, then read it

``ElectionModel`` is the model as Mesa's tools take it (keywords and a seed; a DataCollector).
"""

from typing import Any

from sim.config import ConfigError, SimConfig, build_config
from sim.interop.mesa_model import ElectionModel
from sim.simulate import RunResult, simulate, simulate_many
from sim.sweeps.store import SweepResults, load_results

__all__ = [
    "ConfigError",
    "ElectionModel",
    "RunResult",
    "SimConfig",
    "SweepResults",
    "build_config",
    "load_results",
    "simulate",
    "simulate_many",
    "sweep",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """``sim.sweep`` (:func:`sim.cli.api.sweep`), imported when first asked for: it brings Hydra."""
    if name == "sweep":
        from sim.cli.api import sweep

        return sweep
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
