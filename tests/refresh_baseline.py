"""Refresh the fixed-seed regression baseline after an intended change of the model's behaviour.

    python tests/refresh_baseline.py

Review the diff of tests/baseline/*.json before committing it: every changed number is a change
in what the model says.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim import simulate
from sim.interventions import INTERVENTION_NAMES

BASELINE_DIR = Path(__file__).resolve().parent / "baseline"
CASES = {
    "none": {},
    "all": {"interventions": {n: {"enabled": True} for n in INTERVENTION_NAMES}},
}
BASE = {"scenario": "county", "world": {"n_cities": 1, "n_counties": 3, "n_townships": 24}, "seed": 42}
VOLATILE = ("runtime_s", "time_build_s", "time_loop_s", "time_vote_s", "time_setup_s")


def baseline_summary(case: str) -> dict:
    """The summary of a baseline case, without run-time measurements."""
    cfg = {**BASE, **CASES[case]}
    summary = simulate(cfg).summary
    return {k: v for k, v in summary.items() if k not in VOLATILE}


def main() -> None:
    """Write every baseline case."""
    BASELINE_DIR.mkdir(exist_ok=True)
    for case in CASES:
        path = BASELINE_DIR / f"{case}.json"
        path.write_text(json.dumps(baseline_summary(case), indent=2, sort_keys=True) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
