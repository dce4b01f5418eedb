"""Write the report of a collected sweep (or of an optimisation) into SWEEP_DIR/report/ (``election-sim-report``).

Usage:
    python experiments/report.py SWEEP_DIR
    python experiments/report.py SWEEP_DIR --outcome bought_seat_rate_final --harm-weight 3

The report ranks arms by the sweep's ``report.outcome`` and weighs harm by its ``report.harm_weight``
(as the sweep was run); ``--outcome`` and ``--harm-weight`` override them for this report.

Exits 2 when the report cannot be written (the folder is not a sweep folder, cannot be written, or its
runs are corrupt), 3 when a sweep (or a collection) is using the folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.cli.tools import report_main

if __name__ == "__main__":
    raise SystemExit(report_main())
