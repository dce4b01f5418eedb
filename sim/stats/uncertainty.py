"""Parameter uncertainty of a sweep over posterior draws: effect ranges, probability best, rank stability."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: Share of posterior draws in the range the effects table gives (the central 90%: 5th to 95th percentile).
RANGE_LEVEL = 0.9


#: Fewest posterior draws from which the report says how often each arm is best and how stable the ranking is.
MIN_DRAWS = 10


# ----------------------------------------------------------------------------------------- analysis
def draw_means(runs: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Mean of an outcome per arm and posterior draw (over its seeds): rows draws, columns arms.

    Rounded to 12 decimals, so that arms with the same runs' values tie exactly whatever the order of
    summation.
    """
    return runs.pivot_table(index="sample", columns="arm", values=outcome, aggfunc="mean").round(12)


def effect_intervals(
    runs: pd.DataFrame, outcome: str = "bought_seat_rate_final", baseline: str = "none", level: float = RANGE_LEVEL
) -> pd.DataFrame:
    """Each arm's effect (arm minus baseline, paired by draw and seed) with parameter uncertainty.

    Returns:
        One row per arm: mean effect; ``low``/``high``: the central ``level`` range of the draw-mean
        effect across posterior draws (NaN from a single draw); ``mc_low``/``mc_high``: a 95% interval
        of the mean effect itself (Monte Carlo error over draws); ``share_harmful``: share of draws
        where the arm makes the outcome worse.
    """
    keys = ["sample", "replicate"]
    base = runs[runs.arm == baseline].set_index(keys)[outcome]
    rows = []
    for arm, group in runs[runs.arm != baseline].groupby("arm", sort=True):
        diff = group.set_index(keys)[outcome] - base.reindex(group.set_index(keys).index)
        per_draw = diff.groupby(level="sample").mean().dropna().to_numpy()
        if len(per_draw) == 0:
            continue
        if len(per_draw) > 1:
            lo, hi = np.quantile(per_draw, [(1 - level) / 2, (1 + level) / 2])
        else:  # one draw spans no range of parameters
            lo = hi = np.nan
        se = per_draw.std(ddof=1) / np.sqrt(len(per_draw)) if len(per_draw) > 1 else np.nan
        rows.append(
            {
                "arm": arm,
                "draws": len(per_draw),
                "effect": float(per_draw.mean()),
                "low": float(lo),
                "high": float(hi),
                "mc_low": float(per_draw.mean() - 1.96 * se),
                "mc_high": float(per_draw.mean() + 1.96 * se),
                "share_harmful": float(np.mean(per_draw > 0)),
            }
        )
    return pd.DataFrame(rows)


def _best(values: pd.DataFrame, lower_is_better: bool) -> pd.DataFrame:
    """Per draw, 1/k for each of the k arms tied for best, 0 for the others."""
    target = values.min(axis=1) if lower_is_better else values.max(axis=1)
    hit = values.eq(target, axis=0) & values.notna()
    return hit.div(hit.sum(axis=1), axis=0).fillna(0.0)


def probability_best(
    runs: pd.DataFrame,
    outcome: str = "bought_seat_rate_final",
    baseline: str = "none",
    cost: str | None = "cost_total",
) -> pd.DataFrame:
    """How often each arm is best across posterior draws (ties split).

    Two criteria: ``p_best_outcome`` (the lowest outcome, baseline included) and, when ``cost`` is
    given, ``p_best_buy`` (the most outcome prevented per unit of cost among arms that prevent any;
    a draw where none does counts for no arm).

    Returns:
        One row per arm, sorted by ``p_best_outcome``.
    """
    means = draw_means(runs, outcome)
    out = pd.DataFrame({"p_best_outcome": _best(means, lower_is_better=True).mean()})
    if cost and cost in runs and baseline in means:
        prevented = means.drop(columns=baseline).rsub(means[baseline], axis=0)
        spend = draw_means(runs, cost).drop(columns=baseline)
        per_cost = (prevented / spend.where(spend > 0)).where(prevented > 0)
        best = _best(per_cost, lower_is_better=False)
        out["p_best_buy"] = best.mean().reindex(out.index).fillna(0.0)
    out.index.name = "arm"
    return out.reset_index().sort_values("p_best_outcome", ascending=False, ignore_index=True)


def rank_distribution(runs: pd.DataFrame, outcome: str = "bought_seat_rate_final") -> pd.DataFrame:
    """Share of posterior draws in which each arm takes each rank (1 = lowest outcome).

    Arms tied over ranks r to r + k - 1 in a draw share them: each takes 1/k of each of those ranks,
    so every arm's shares and every rank's shares add up to one.
    """
    means = draw_means(runs, outcome).dropna()
    first = means.rank(axis=1, method="min")
    last = means.rank(axis=1, method="max")
    width = last - first + 1
    ranks = range(1, means.shape[1] + 1)
    shares = {f"rank_{r}": (((first <= r) & (r <= last)) / width).mean() for r in ranks}
    table = pd.DataFrame(shares)
    table.index.name = "arm"
    return table.reset_index()


def tie_groups(values: pd.Series) -> list[list[str]]:
    """Arms in increasing order of ``values``, equal values grouped (names sorted within a group)."""
    return [sorted(map(str, g.index)) for _, g in values.groupby(values, sort=True)]


def ranking_stability(runs: pd.DataFrame, outcome: str = "bought_seat_rate_final") -> dict[str, Any]:
    """How the ranking of arms moves across the posterior.

    Ties are kept as ties: the ranking of the posterior-mean outcomes groups equal arms (``a = b <
    c``), a draw holds that ranking exactly when it orders and ties the arms the same way, and a draw
    credits the ranking's best arms with the share of the best they take in it (ties split).

    Returns:
        ``ranking`` (words), ``groups`` (arms in order, tied arms together), ``same_ranking`` (share of
        draws that rank arms exactly so), ``same_best`` (share of draws in which the ranking's best
        arms are best, ties split) and ``draws``.
    """
    means = draw_means(runs, outcome).dropna()
    centre = means.mean().round(12)
    groups = tie_groups(centre)
    reference = centre.rank(method="average")
    ranks = means.rank(axis=1, method="average")
    same = float(np.isclose(ranks[reference.index], reference.to_numpy()).all(axis=1).mean()) if len(means) else 0.0
    same_best = float(_best(means, lower_is_better=True)[groups[0]].sum(axis=1).mean()) if len(means) else 0.0
    return {
        "ranking": " < ".join(" = ".join(g) for g in groups),
        "groups": groups,
        "same_ranking": same,
        "same_best": same_best,
        "draws": len(means),
    }
