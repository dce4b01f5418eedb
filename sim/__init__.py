"""An agent-based simulator of vote buying in indirect elections and the interventions against it.

Quick start::

    from sim import simulate
    result = simulate({"seed": 7, "interventions": {"team_inspection": {"enabled": True}}})
    print(result.summary["capture_rate_final"])
"""

from sim.config import ConfigError, SimConfig, build_config
from sim.model.election import ElectionModel
from sim.simulate import RunResult, simulate

__all__ = ["ConfigError", "ElectionModel", "RunResult", "SimConfig", "build_config", "simulate"]
__version__ = "0.1.0"
