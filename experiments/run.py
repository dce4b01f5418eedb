"""Run one simulation, or a sweep of them with ``-m`` (the ``election-sim`` command, from a checkout).

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

from sim.cli.entry import main

if __name__ == "__main__":
    main()
