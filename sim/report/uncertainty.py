"""The report's parameter-uncertainty section: each arm across posterior draws, and how stable the ranking is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from sim.report.html import Section, _csv
from sim.stats.uncertainty import (
    MIN_DRAWS,
    RANGE_LEVEL,
    effect_intervals,
    probability_best,
    rank_distribution,
    ranking_stability,
)

#: What the section's ranges are (shown on the report's first screen, beside the 95% intervals of the means).
INTERVAL_NOTE = (
    f"Under parameter uncertainty, each arm's effect is averaged over seeds within a posterior draw; low to high "
    f"is the central {RANGE_LEVEL:.0%} range of that effect across posterior draws (5th to 95th percentile: where "
    "the effect lies for most plausible parameter values, not a confidence interval of its mean), and mc_low to "
    "mc_high is a 95% interval of its mean over the draws."
)


def ranking_sentence(best: pd.DataFrame, stab: dict[str, Any], seats: str = "bought seats") -> str:
    """How often the best arm is best across posterior draws and how stable the ranking is.

    Said only from :data:`MIN_DRAWS` draws on; with fewer, the sentence says neither is estimated.

    Args:
        best: :func:`probability_best` table.
        stab: :func:`ranking_stability` result.
        seats: What the ranking outcome counts (``captured seats``, ``bought seats`` ...).
    """
    from sim.report.style import arm_name

    draws = int(stab["draws"])
    if draws < MIN_DRAWS:
        what = "1 posterior draw" if draws == 1 else f"{draws} posterior draws"
        return (
            f"From {what} (fewer than {MIN_DRAWS}), which arm is best and how the ranking moves across the "
            "posterior are not estimated; run more draws (sensitivity.n_samples)."
        )
    share = best.p_best_outcome
    top = best[share >= share.max() - 1e-12]
    names = " and ".join(arm_name(a) for a in top.arm)
    if len(top) == 1:
        lead = f"{names} has the fewest {seats} in {share.max():.0%} of them (ties split)"
    else:
        lead = f"{names} share the fewest {seats} ({share.max():.0%} of draws each, ties split)"
    groups = stab["groups"]
    ranking = " < ".join(" = ".join(arm_name(a) for a in g) for g in groups)
    first = "its best arm is" if len(groups[0]) == 1 else "its tied best arms are"
    return (
        f"Across {draws} posterior draws, {lead}; the ranking at the posterior mean ({ranking}) holds exactly in "
        f"{stab['same_ranking']:.0%} of draws, and {first} best in {stab['same_best']:.0%} (ties split)."
    )


def posterior_section(
    runs: pd.DataFrame, outcome: str = "bought_seat_rate_final", baseline: str = "none"
) -> tuple[list[tuple[str, pd.DataFrame, str]], list[str]]:
    """Tables and summary lines of a posterior sweep for the report.

    The probability of being best and the ranks are given only from :data:`MIN_DRAWS` draws on.

    Returns:
        ``(title, table, caption)`` triples and the lines for the report's first screen.
    """
    effects = effect_intervals(runs, outcome, baseline)
    best = probability_best(runs, outcome, baseline)
    stab = ranking_stability(runs, outcome)
    lines = [INTERVAL_NOTE]
    if len(best):
        from sim.report.net_benefit import seats_word

        lines.append(ranking_sentence(best, stab, seats_word(outcome)))
    tables = [("Effects under parameter uncertainty", effects, INTERVAL_NOTE)]
    if stab["draws"] >= MIN_DRAWS:
        tables += [
            ("Probability of being best", best, "Share of posterior draws in which each arm is best (ties split)."),
            (
                "Ranks across the posterior",
                rank_distribution(runs, outcome),
                "Share of posterior draws in which each arm takes each rank (tied arms share their ranks).",
            ),
        ]
    return tables, lines


def _posterior_path(meta: dict[str, Any]) -> str:
    """The posterior file a sweep drew its parameters from ('' if none)."""
    return str(meta.get("config", {}).get("sensitivity", {}).get("posterior", "") or "")


def posterior_report_section(
    runs: pd.DataFrame, meta: dict[str, Any], base: str | None, out: Path, key: str = "bought_seat_rate_final"
) -> Section | None:
    """A sweep over posterior draws: effects on ``key`` with parameter uncertainty, probability best, ranks."""
    if not _posterior_path(meta) or base is None:
        return None
    from sim.report.uncertainty import posterior_section

    tables, lines = posterior_section(runs, outcome=key, baseline=base)
    sec = Section("parameter-uncertainty", "Under parameter uncertainty (posterior draws)")
    sec.lines += lines
    for title, table, caption in tables:
        csv = f"posterior_{title.split()[0].lower()}.csv"
        _csv(out / csv, table)
        sec.tables.append((title, table, csv, caption))
    return sec
