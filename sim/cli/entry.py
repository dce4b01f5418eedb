"""The ``election-sim`` command: one run, or a sweep with ``-m``, from any folder.

Installed as a console script (``pyproject.toml``); ``experiments/run.py`` calls the same
function from a checkout.  The configuration is the package's own (``pkg://sim.conf``), so the
command needs no checkout; outputs go under the current folder (``results/``).

Examples:
    election-sim                                   # one county-scale run
    election-sim scenario=city seed=3 policy=all   # one city-scale run, every intervention
    election-sim -m experiment=compare             # the main comparison (a sweep)
    election-sim -m -v experiment=compare          # -v: a log line per run, not only the bar
"""

from __future__ import annotations

import sys

import hydra
from omegaconf import DictConfig

from sim.cli.app import main as app_main
from sim.cli.schema import register_schema


@hydra.main(version_base="1.3", config_path="pkg://sim.conf", config_name="config")
def _hydra_main(cfg: DictConfig) -> None:
    app_main(cfg)


def main() -> None:
    """Run the Hydra application with the command line's arguments."""
    register_schema()
    if "-v" in sys.argv[1:]:  # per-run log lines (logger "sim" at DEBUG); quiet by default
        sys.argv = [a for a in sys.argv if a != "-v"] + ["hydra.verbose=sim"]
    _hydra_main()
