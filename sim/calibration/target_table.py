"""The calibration table: a sweep's runs against every target and mechanics check.

Targets and their observation models are in :mod:`sim.calibration.targets`; the posterior is fitted
by :mod:`sim.calibration.inference` (``python experiments/calibrate.py``).  This table checks a set of
stored runs (e.g. ``experiment=calibration``: ``policy=none,as_deployed``) against the figures:
a target is met when the mean over replicates is within its tolerance (inside its bound).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.calibration.targets import (
    MECHANICS,
    PREDICTIVE,
    SANCTION_KINDS,
    SHANXI_COUNTIES,
    SHANXI_SANCTIONED,
    SHANXI_TIPS,
    TARGETS,
    Target,
    derived,
)
from sim.stats.intervals import mean_ci

#: How each group of checks is named in the table.
KIND = {"mechanics": "mechanics check", "predictive": "predictive check"}


def _policy_rows(runs: pd.DataFrame, policy: str) -> pd.DataFrame:
    """Runs simulated under a target's policy: ``none`` (no intervention) or any other (as deployed)."""
    if "interventions" not in runs:
        return runs
    none = runs["interventions"] == "none"
    return runs[none] if policy == "none" else runs[~none]


def calibration_table(
    runs: pd.DataFrame, targets: tuple[Target, ...] = TARGETS + MECHANICS + PREDICTIVE
) -> pd.DataFrame:
    """Observed figure against the simulated mean and 95% interval, and whether it is met.

    Targets whose policy has no runs (e.g. the unchecked-case figures when only ``as_deployed`` was
    run) are left out.

    Returns:
        Columns ``target, observed, simulated_mean, ci_low, ci_high, tolerance, within, sense,
        residual, kind, group, source``; ``kind`` is ``calibration``, ``mechanics check`` or
        ``predictive check`` (never fitted).
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
                "kind": KIND.get(t.group, "calibration"),
                "group": t.group,
                "source": t.source,
            }
        )
    return pd.DataFrame(rows)


#: Volumes per county-level unit in the order of the table, with Shanxi's figure where the record has one.
VOLUMES = (
    ("tips received", "tips_per_county", SHANXI_TIPS / SHANXI_COUNTIES),
    ("tips substantiated", "tips_substantiated_per_county", SHANXI_SANCTIONED / SHANXI_COUNTIES),
    (
        "people sanctioned after hotline tips",
        "people_sanctioned_hotline_per_county",
        SHANXI_SANCTIONED / SHANXI_COUNTIES,
    ),
    *((kind.replace("_", " "), f"{kind}_per_county", float("nan")) for kind in SANCTION_KINDS),
    ("people sanctioned, every channel", "people_sanctioned_per_county", float("nan")),
)


def volumes_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Tips and people sanctioned (by kind and channel) per county-level unit, under the interventions.

    The runs simulated with interventions (``as_deployed`` in ``experiment=calibration``) beside
    Shanxi's 2021 figures over its 117 county-level units (221 tips, 7 people disciplined); the
    record has no figure for inspection's sanctions (its 142 problems were rectified, not punished).

    Returns:
        Columns ``volume, simulated_mean, ci_low, ci_high, shanxi, ratio`` (simulated over Shanxi).
    """
    subset = _policy_rows(runs, "as_deployed")
    records = [derived(r) for r in subset.to_dict("records")]
    rows = []
    for name, key, shanxi in VOLUMES:
        values = np.array([r.get(key, np.nan) for r in records], dtype=float)
        values = values[np.isfinite(values)]
        if len(values) == 0:
            continue
        mean, lo, hi = mean_ci(values)
        ratio = mean / shanxi if np.isfinite(shanxi) else np.nan
        rows.append(
            {"volume": name, "simulated_mean": mean, "ci_low": lo, "ci_high": hi, "shanxi": shanxi, "ratio": ratio}
        )
    return pd.DataFrame(rows)
