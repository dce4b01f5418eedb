"""The calibration table: a sweep's runs against every target and mechanics check.

Targets and their observation models are in :mod:`sim.calibration.targets`; the posterior is fitted
by :mod:`sim.calibration.inference` (``python experiments/calibrate.py``).  This table checks a set of
stored runs (e.g. ``experiment=calibration``: ``policy=none,as_deployed``) against the figures:
a target is met when the mean over replicates is within its tolerance (inside its bound).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.calibration.targets import MECHANICS, TARGETS, Target, derived
from sim.stats.intervals import mean_ci


def _policy_rows(runs: pd.DataFrame, policy: str) -> pd.DataFrame:
    """Runs simulated under a target's policy: ``none`` (no intervention) or any other (as deployed)."""
    if "interventions" not in runs:
        return runs
    none = runs["interventions"] == "none"
    return runs[none] if policy == "none" else runs[~none]


def calibration_table(runs: pd.DataFrame, targets: tuple[Target, ...] = TARGETS + MECHANICS) -> pd.DataFrame:
    """Observed figure against the simulated mean and 95% interval, and whether it is met.

    Targets whose policy has no runs (e.g. the unchecked-case figures when only ``as_deployed`` was
    run) are left out.

    Returns:
        Columns ``target, observed, simulated_mean, ci_low, ci_high, tolerance, within, sense,
        residual, kind, group, source``; ``kind`` is ``calibration`` or ``mechanics check``.
    """
    rows = []
    for t in targets:
        subset = _policy_rows(runs, t.policy)
        if subset.empty:
            continue
        values = np.array([derived(r).get(t.statistic, np.nan) for r in subset.to_dict("records")], dtype=float)
        values = values[np.isfinite(values)]
        if len(values) == 0:
            continue
        mean, lo, hi = mean_ci(values)
        residual = t.residual(float(mean))
        rows.append(
            {
                "target": t.name,
                "observed": t.observed,
                "simulated_mean": mean,
                "ci_low": lo,
                "ci_high": hi,
                "tolerance": f"{t.tolerance:g} decades" if t.log10 else t.tolerance,
                "within": bool(abs(residual) <= 1 + 1e-12),
                "sense": t.sense,
                "residual": residual,
                "kind": "mechanics check" if t.group == "mechanics" else "calibration",
                "group": t.group,
                "source": t.source,
            }
        )
    return pd.DataFrame(rows)
