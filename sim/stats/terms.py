"""Repeated terms: each term's paired effect, and how many terms an intervention acted in."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from sim.stats.intervals import diff_bounds, t_interval
from sim.stats.outcomes import outcome as registered

#: Outcomes followed term by term, with their labels.
TERM_OUTCOMES = {
    "bought_seat_rate_final": "Seats vote buying changed (share)",
    "patronage_rents": "Patronage rents (yuan)",
}


_TERM_COLUMN = re.compile(r"^term(\d+)_(.+)$")


def n_terms(runs: pd.DataFrame) -> int:
    """The number of terms a sweep's runs cover (1 when they have no per-term columns)."""
    found = [int(m.group(1)) for c in runs.columns if (m := _TERM_COLUMN.match(c))]
    return max(found, default=1)


def _paired_test(
    diff: np.ndarray, bounds: tuple[float | None, float | None] = (None, None)
) -> tuple[float, float, float]:
    """Paired interval and p-value, exactly as the report's :func:`sim.stats.intervals.t_interval` gives them.

    With fewer than two pairs there is no interval and p = 1; pairs that all differ by the same
    amount get the bound from the share of pairs that could differ within ``bounds`` (none without
    them), so nothing is claimed from a difference that merely repeats on a few seeds.
    """
    _, lo, hi, p = t_interval(diff, bounds=bounds)
    return float(lo), float(hi), float(p)


def term_effects(runs: pd.DataFrame, base: str) -> pd.DataFrame:
    """Per arm, term and outcome: mean, and the seed-paired difference from ``base`` with its 95% CI.

    Returns:
        Columns ``arm, term, outcome, pairs, mean, diff, ci_low, ci_high, p_value, distinguishable``
        (the interval excludes zero); empty when the runs have a single term.
    """
    rows = []
    terms = n_terms(runs)
    if terms < 2:
        return pd.DataFrame(
            columns=[
                "arm",
                "term",
                "outcome",
                "pairs",
                "mean",
                "diff",
                "ci_low",
                "ci_high",
                "p_value",
                "distinguishable",
            ]
        )
    reference = runs[runs.arm == base].set_index("seed")
    for arm, group in runs.groupby("arm", sort=False):
        group = group.set_index("seed")
        common = group.index.intersection(reference.index)
        for t in range(1, terms + 1):
            for outcome in TERM_OUTCOMES:
                col = f"term{t}_{outcome}"
                diff = (group.loc[common, col] - reference.loc[common, col]).to_numpy(dtype=float)
                bounds = diff_bounds(registered(outcome).bounds)
                lo, hi, p = _paired_test(diff, bounds) if arm != base else (0.0, 0.0, 1.0)
                rows.append(
                    {
                        "arm": arm,
                        "term": t,
                        "outcome": outcome,
                        "pairs": len(diff),
                        "mean": float(group[col].mean()),
                        "diff": float(diff.mean()) if len(diff) else float("nan"),
                        "ci_low": lo,
                        "ci_high": hi,
                        "p_value": float(p),
                        "distinguishable": bool(arm != base and (hi < 0 or lo > 0)),
                    }
                )
    return pd.DataFrame(rows)


def active_terms_of(runs: pd.DataFrame, arm: str) -> int:
    """The last term in which an arm's interventions act (0: every term), from its stored inputs."""
    cols = [c for c in runs.columns if c.startswith("in.interventions.") and c.endswith(".active_terms")]
    enabled = [c.replace(".active_terms", ".enabled") for c in cols]
    group = runs[runs.arm == arm]
    limits = [
        int(group[c].iloc[0]) for c, e in zip(cols, enabled, strict=True) if e in group and bool(group[e].iloc[0])
    ]
    return 0 if not limits or 0 in limits else max(limits)
