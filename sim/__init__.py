"""An agent-based simulator of vote buying in indirect elections and the interventions against it.

Quick start::

    from sim import simulate
    result = simulate({"seed": 7, "interventions": {"team_inspection": {"enabled": True}}})
    print(result.summary["bought_seat_rate_final"])

    runs, timeseries = load_results("results/compare/city")   # a sweep's tidy tables
"""

from sim.config import ConfigError, SimConfig, build_config
from sim.model.election import ElectionModel
from sim.simulate import RunResult, simulate
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
]
__version__ = "0.1.0"
