"""Cost-effectiveness analysis of the arms, done as health economists do it.

Every arm, the no-intervention arm included (cost 0, effect 0), is placed on the cost-effect
plane. Arms that another arm beats on both cost and effect are *dominated*; arms beaten by a mix of
two others (their incremental cost per unit of effect is higher than that of the next more
effective arm) are *extendedly dominated*; the rest form the efficient frontier, and each efficient
arm's incremental cost-effectiveness ratio (ICER) is its extra cost per extra bought seat prevented
against the previous efficient arm (Drummond et al., *Methods for the Economic Evaluation of Health
Care Programmes*, 4th ed. 2015, ch. 4; Cantor 1994, Med Decis Making 14:259).

Uncertainty comes from a bootstrap over seeds that keeps the pairing (a resampled seed brings
every arm's run on that seed along). ICER intervals are percentile intervals of the bootstrap
ICERs in which a replicate where the costlier arm is not more effective counts as an infinite
ICER (Briggs, O'Brien & Blackhouse 2002, Annu Rev Public Health 23:377); the acceptability curve
gives, for each value placed on a bought seat prevented, the share of bootstrap replicates in which
each arm has the highest net benefit (Fenwick, Claxton & Sculpher 2001, Health Econ 10:779).

The bootstrap needs enough seeds to resample: n seeds have only C(2n-1, n) distinct resamples (3
for two seeds, 35 for four), so their percentiles are a handful of values and the curves a few
steps. Below :data:`MIN_BOOTSTRAP_PAIRS` seeds run under every arm there are no ICER intervals and
no acceptability curves; the point estimates (frontier, ICERs) remain.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from sim.stats.intervals import t_interval
from sim.stats.outcomes import LEVEL, outcome
from sim.stats.paired import pair_keys

DOMINATED = "dominated"


EXTENDED = "extendedly dominated"


EFFICIENT = "efficient"


#: Fewest seeds run under every arm for bootstrap ICER intervals and acceptability curves.
MIN_BOOTSTRAP_PAIRS = 5


def per_pair(runs: pd.DataFrame, outcome_key: str, baseline: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Seats prevented and incremental cost of each arm against the baseline, seed by seed.

    The effect is the baseline's value of ``outcome_key`` (a share of seats) minus the arm's, times
    the number of seats (sign flipped for outcomes where higher is better); the cost is the arm's
    cost minus the baseline's (staff-days per election round).

    Returns:
        ``(effect, cost)``: tables with one row per pair (seed) present in every arm and one column
        per arm, the baseline's column all zeros.
    """
    keys = pair_keys(runs)
    y = runs.pivot_table(index=keys, columns="arm", values=outcome_key)
    seats = runs.pivot_table(index=keys, columns="arm", values="seats")
    cost = runs.pivot_table(index=keys, columns="arm", values="cost_total")
    complete = y.dropna().index.intersection(cost.dropna().index)
    y, seats, cost = y.loc[complete], seats.loc[complete], cost.loc[complete]
    sign = 1.0 if outcome(outcome_key).better == "lower" else -1.0
    effect = sign * y.rsub(y[baseline], axis=0).mul(seats[baseline], axis=0)
    return effect, cost.sub(cost[baseline], axis=0)


def frontier(arms: list[str], cost: np.ndarray, effect: np.ndarray) -> pd.DataFrame:
    """Dominance, extended dominance and ICERs on the cost-effect plane (point estimates).

    Args:
        arms: Arm names; include the no-intervention arm (cost 0, effect 0).
        cost: Mean (incremental) cost of each arm.
        effect: Mean effect of each arm (higher is better).

    Returns:
        One row per arm, cheapest first: ``arm, cost, effect, status`` (efficient, dominated or
        extendedly dominated), ``reference`` (the previous efficient arm) and ``icer`` (incremental
        cost per unit of effect against it; empty for the cheapest efficient arm and the others).
    """
    cost, effect = np.asarray(cost, float), np.asarray(effect, float)
    order = sorted(range(len(arms)), key=lambda i: (cost[i], -effect[i], i))
    status = {i: EFFICIENT for i in order}
    for pos, i in enumerate(order):  # strong (simple) dominance; an exact duplicate loses to the earlier one
        for j in order[:pos]:
            if cost[j] <= cost[i] and effect[j] >= effect[i]:
                status[i] = DOMINATED
                break
    front = [i for i in order if status[i] == EFFICIENT]
    changed = True
    while changed:  # extended dominance: remove arms whose ICER exceeds the next one's, until none does
        changed = False
        icers = [(cost[b] - cost[a]) / (effect[b] - effect[a]) for a, b in itertools.pairwise(front)]
        for k in range(len(icers) - 1):
            if icers[k] > icers[k + 1]:
                status[front[k + 1]] = EXTENDED
                del front[k + 1]
                changed = True
                break
    rows = []
    for i in order:
        ref, icer = "", np.nan
        if status[i] == EFFICIENT and front.index(i) > 0:
            r = front[front.index(i) - 1]
            ref, icer = arms[r], (cost[i] - cost[r]) / (effect[i] - effect[r])
        rows.append(
            {"arm": arms[i], "cost": cost[i], "effect": effect[i], "status": status[i], "reference": ref, "icer": icer}
        )
    return pd.DataFrame(rows)


def bootstrap_means(
    effect: pd.DataFrame, cost: pd.DataFrame, n_boot: int = 2000, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Mean effect and cost of each arm in ``n_boot`` resamples of the pairs (seeds), kept paired.

    Returns:
        Arrays of shape ``(n_boot, arms)`` in the column order of ``effect``.
    """
    rng = np.random.default_rng(seed)
    n = len(effect)
    idx = rng.integers(0, n, size=(n_boot, n))
    e = effect.to_numpy(dtype=float)[idx].mean(axis=1)
    c = cost[effect.columns].to_numpy(dtype=float)[idx].mean(axis=1)
    return e, c


def icer_interval(d_cost: np.ndarray, d_effect: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    """Percentile interval of bootstrap ICERs; a replicate with no extra effect counts as +infinity.

    Args:
        d_cost: Incremental cost in each bootstrap replicate.
        d_effect: Incremental effect in each replicate.
        level: Confidence level.

    Returns:
        ``(low, high)``; ``high`` is ``inf`` when more than (1 - level) / 2 of the replicates show no
        extra effect, i.e. the data do not rule out that the extra cost buys nothing.
    """
    d_cost, d_effect = np.asarray(d_cost, float), np.asarray(d_effect, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(d_effect > 0, d_cost / d_effect, np.inf)
    a = (1 - level) / 2
    lo, hi = np.quantile(ratio, [a, 1 - a], method="inverted_cdf")
    return float(lo), float(hi)


def acceptability(boot_effect: np.ndarray, boot_cost: np.ndarray, arms: list[str], values: np.ndarray) -> pd.DataFrame:
    """Cost-effectiveness acceptability curves (Fenwick et al. 2001).

    For each value ``v`` of a bought seat prevented (staff-days), the net benefit of an arm in a
    bootstrap replicate is ``v * effect - cost``; the curve is the share of replicates in which the
    arm's net benefit is the highest (ties shared equally).

    Returns:
        Rows ``value, arm, probability``; the probabilities at each value add up to one.
    """
    rows = []
    for v in values:
        nb = v * boot_effect - boot_cost
        top = nb.max(axis=1, keepdims=True)
        tied = np.isclose(nb, top, rtol=1e-12, atol=1e-9)
        share = (tied / tied.sum(axis=1, keepdims=True)).mean(axis=0)
        rows += [{"value": float(v), "arm": arm, "probability": float(p)} for arm, p in zip(arms, share, strict=True)]
    return pd.DataFrame(rows)


def value_grid(table: pd.DataFrame, points: int = 121) -> np.ndarray:
    """Values per seat at which to draw the acceptability curves, evenly on a log scale.

    From a fifth of the smallest positive ICER (or average cost per seat) to five times the largest.
    """
    ratios = pd.concat([table["icer"], table["cost_per_seat"]]) if "cost_per_seat" in table else table["icer"]
    finite = ratios.replace([np.inf, -np.inf], np.nan).dropna()
    finite = finite[finite > 0]
    if finite.empty:
        return np.geomspace(1.0, 1e4, points)
    return np.geomspace(float(finite.min()) / 5, 5 * float(finite.max()), points)


def cost_effectiveness(
    runs: pd.DataFrame, outcome_key: str, baseline: str, n_boot: int = 2000, seed: int = 0, level: float = LEVEL
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The cost-effectiveness table and acceptability curves of every arm against ``baseline``.

    Returns:
        ``(table, curves)``. ``table`` has one row per arm (the baseline included), cheapest first:
        ``arm, cost, effect`` (bought seats prevented per election round), ``effect_low,
        effect_high`` (paired t interval), ``status, reference, icer, icer_low, icer_high`` (ICER
        against the previous efficient arm with its bootstrap interval) and ``cost_per_seat`` (the
        average ratio against no intervention, for reference only), ``pairs`` (seeds run under every
        arm, the only ones used) and ``pairs_run`` (seeds run under any arm). ``curves`` is
        :func:`acceptability` over :func:`value_grid`. With fewer than :data:`MIN_BOOTSTRAP_PAIRS`
        pairs the ICER intervals are NaN and ``curves`` is empty.

    Raises:
        ValueError: No seed was run under every arm.
    """
    effect, cost = per_pair(runs, outcome_key, baseline)
    if effect.empty:
        raise ValueError(
            "no seed was run under every arm, so no arm can be compared with the baseline seed by seed "
            f"(arms: {', '.join(map(str, runs['arm'].unique()))})"
        )
    arms = list(effect.columns)
    table = frontier(arms, cost[arms].mean().to_numpy(), effect.mean().to_numpy())
    boot_e, boot_c = bootstrap_means(effect, cost, n_boot, seed)
    col = {a: k for k, a in enumerate(arms)}
    lows, highs, e_lo, e_hi = [], [], [], []
    for r in table.itertuples():
        _, lo, hi, _ = t_interval(effect[r.arm].to_numpy(dtype=float), level)
        e_lo.append(float(lo))
        e_hi.append(float(hi))
        if r.reference and len(effect) >= MIN_BOOTSTRAP_PAIRS:  # fewer seeds: too few resamples
            a, b = col[r.reference], col[r.arm]
            lo, hi = icer_interval(boot_c[:, b] - boot_c[:, a], boot_e[:, b] - boot_e[:, a], level)
        else:
            lo = hi = np.nan
        lows.append(lo)
        highs.append(hi)
    table["effect_low"], table["effect_high"] = e_lo, e_hi
    table["icer_low"], table["icer_high"] = lows, highs
    with np.errstate(divide="ignore", invalid="ignore"):
        table["cost_per_seat"] = np.where(table.effect > 0, table.cost / table.effect, np.nan)
    table["pairs"] = len(effect)
    table["pairs_run"] = runs[pair_keys(runs)].drop_duplicates().shape[0]  # seeds run under any arm
    if len(effect) >= MIN_BOOTSTRAP_PAIRS:
        curves = acceptability(boot_e, boot_c, arms, value_grid(table))
    else:
        curves = pd.DataFrame({"value": [], "arm": [], "probability": []})
    return table, curves
