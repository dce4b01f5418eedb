"""The ``election-sim`` command: one run, or a sweep with ``-m``, from any folder.

Installed as a console script (``pyproject.toml``); ``experiments/run.py`` calls the same
function from a checkout.  The configuration is the package's own (``pkg://sim.conf``), so the
command needs no checkout; outputs go under the current folder (``results/``).

Examples:
    election-sim                                   # one county-scale run
    election-sim scenario=city seed=3 policy=all   # one city-scale run, every intervention
    election-sim -m experiment=compare             # the main comparison (a sweep)
    election-sim -m -v experiment=compare          # -v: a log line per run, not only the bar
    election-sim --yes schedule.terms=50 scenario=province   # --yes: start a run estimated over 10 minutes
"""

from __future__ import annotations

import os
import sys

import hydra
from omegaconf import DictConfig

from sim.cli.app import CONFIRMED
from sim.cli.app import main as app_main
from sim.cli.callback import ACTIVE, record_problem
from sim.cli.configs import check_override_types
from sim.cli.errors import failure_line
from sim.cli.schema import register_schema
from sim.config import ConfigError
from sim.sweeps.launcher import mark_launcher, stop_children


@hydra.main(version_base="1.3", config_path="pkg://sim.conf", config_name="config")
def hydra_app(cfg: DictConfig) -> None:
    """The Hydra application on the package's configuration (``pkg://sim.conf``); reads ``sys.argv``."""
    app_main(cfg)


def main() -> None:
    """Run the Hydra application with the command line's arguments."""
    register_schema()
    if "--yes" in sys.argv[1:]:  # runs and sweeps estimated over 10 minutes may start
        sys.argv = [a for a in sys.argv if a != "--yes"]
        CONFIRMED["long"] = True
    try:
        check_override_types(sys.argv[1:])
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    if "-v" in sys.argv[1:]:  # per-run log lines (logger "sim" at DEBUG); quiet by default
        sys.argv = [a for a in sys.argv if a != "-v"] + ["hydra.verbose=sim"]
    user_wants_traceback = "HYDRA_FULL_ERROR" in os.environ
    os.environ["HYDRA_FULL_ERROR"] = "1"  # Hydra lets failures through; they are said in one line below
    mark_launcher()
    try:
        hydra_app()
    except (Exception, KeyboardInterrupt) as exc:
        if user_wants_traceback:
            raise
        line, status = failure_line(exc, ACTIVE.get("sweep_dir"))
        stop_children()  # no worker outlives its sweep
        record_problem(line)
        print(f"error: {line}", file=sys.stderr)
        raise SystemExit(status) from None
