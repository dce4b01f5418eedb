"""Run one simulation, or a sweep of them with ``-m``.

Examples:
    python experiments/run.py                                   # one county-scale run
    python experiments/run.py scenario=city seed=3 policy=all   # one city-scale run, every intervention
    python experiments/run.py -m experiment=compare             # the main comparison (a sweep)
    python experiments/run.py -m experiment=compare replicates=3 scenario=county   # try it small
    python experiments/run.py -m -v experiment=compare     # -v: a log line per run, not only the bar
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import hydra
from omegaconf import DictConfig

from sim.cli.app import main as app_main
from sim.cli.schema import register_schema

register_schema()

if "-v" in sys.argv[1:]:  # per-run log lines (logger "sim" at DEBUG); quiet by default
    sys.argv = [a for a in sys.argv if a != "-v"] + ["hydra.verbose=sim"]


@hydra.main(version_base="1.3", config_path="pkg://sim.conf", config_name="config")
def main(cfg: DictConfig) -> None:
    """Thin Hydra entry point; all the work is in :mod:`sim.cli`."""
    app_main(cfg)


if __name__ == "__main__":
    main()
