"""Term by term: each arm's bought seats and patronage rents over repeated elections.

A sweep with ``schedule.terms`` > 1 stores each term's key outcomes as ``term<t>_<key>``
columns.  Here they become a tidy table (arm x term x outcome: mean and the paired difference
from the no-intervention arm, with a paired t interval), a figure, and the sentences the report
writes about whether an intervention's effect outlives the terms it acted in.
"""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.analysis.stats import t_interval

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


def _paired_test(diff: np.ndarray) -> tuple[float, float, float]:
    """Paired interval and p-value, exactly as the report's :func:`sim.analysis.stats.t_interval` gives them.

    With fewer than two pairs there is no interval and p = 1; pairs that all differ by the same
    amount are judged by the sign test (an interval only from six pairs on), so nothing is claimed
    from a difference that merely repeats on two or three seeds.
    """
    _, lo, hi, p = t_interval(diff)
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
                lo, hi, p = _paired_test(diff) if arm != base else (0.0, 0.0, 1.0)
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


def outlives_sentences(effects: pd.DataFrame, runs: pd.DataFrame, names: dict[str, str]) -> list[str]:
    """Sentences on whether the effect on bought seats of each arm that stopped acting lasts.

    The claim "outlives it" is made only when a later term's paired effect on
    ``bought_seat_rate_final`` is below zero with a Bonferroni-adjusted p-value under 0.05 (the
    later terms of every arm are one family, so noise makes any such claim at most 5% of the time);
    otherwise the report says it is not distinguishable. From one replicate nothing is tested, and the
    sentence says so instead.
    """
    lines = []
    seats = effects[effects.outcome == "bought_seat_rate_final"]
    stops = {arm: active_terms_of(runs, arm) for arm in seats.arm.unique()}
    tested = {arm: seats[(seats.arm == arm) & (seats.term > stop)] for arm, stop in stops.items() if stop}
    n_tests = sum(len(t) for t in tested.values())  # every arm's later terms form one family
    for arm, later in tested.items():
        stop = stops[arm]
        if later.empty:
            continue
        name = names.get(arm, arm)
        if later.pairs.max() < 2:
            lines.append(
                f"After {name} stopped (term {stop}), whether its effect on bought seats lasts is not tested: "
                "one replicate."
            )
            continue
        significant = later.p_value * n_tests < 0.05
        lasting = later[(later["diff"] < 0) & significant]
        rebound = later[(later["diff"] > 0) & significant]
        if len(rebound) and not len(lasting):
            r = rebound.iloc[0]
            lines.append(
                f"After {name} stopped (term {stop}), bought seats rise above no intervention: in term "
                f"{int(r.term)}, {100 * r['diff']:.1f} points more (95% CI {100 * r.ci_low:.1f} to "
                f"{100 * r.ci_high:.1f})."
            )
        elif len(lasting):
            r = lasting.iloc[0]
            lines.append(
                f"The effect of {name} outlives it: in term {int(r.term)}, after it stopped in term {stop}, "
                f"{-100 * r['diff']:.1f} points fewer seats are bought (95% CI {-100 * r.ci_high:.1f} to "
                f"{-100 * r.ci_low:.1f})."
            )
        else:
            lines.append(
                f"After {name} stopped (term {stop}), its effect on bought seats is not distinguishable from "
                f"no intervention in any later term."
            )
    return lines


def terms_plot(effects: pd.DataFrame, colours: dict[str, str], names: dict[str, str]) -> Figure:
    """Each arm's bought seats (percentage points) and patronage rents (thousand yuan) by term."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    scale = {"bought_seat_rate_final": 100.0, "patronage_rents": 1e-3}
    units = {
        "bought_seat_rate_final": "seats vote buying changed (% of seats)",
        "patronage_rents": "rents (thousand yuan)",
    }
    for ax, outcome in zip(axes, TERM_OUTCOMES, strict=True):
        sub = effects[effects.outcome == outcome]
        for arm, g in sub.groupby("arm", sort=False):
            ax.plot(g.term, g["mean"] * scale[outcome], marker="o", color=colours.get(arm), label=names.get(arm, arm))
        ax.set_xlabel("term")
        ax.set_xticks(sorted(sub.term.unique()))
        ax.set_ylabel(units[outcome] + "  (lower is better)")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=9, frameon=False)
    return fig
