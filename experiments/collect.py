"""Collect a sweep's planned runs into runs.parquet and timeseries.parquet by hand (``election-sim-collect``).

Exits 1 when a planned run failed, is missing or corrupt, or the report failed; 2 when the folder is not a
sweep folder or cannot be written; 3 when a sweep (or another collection) is using the folder.

Usage:
    python experiments/collect.py SWEEP_DIR [--no-report]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.cli.tools import collect_main

if __name__ == "__main__":
    raise SystemExit(collect_main())
