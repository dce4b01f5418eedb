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
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from sim.stats.intervals import t_interval
from sim.stats.outcomes import LEVEL, outcome
from sim.stats.paired import pair_keys
from sim.stats.skew_corrected import pooled_skewness, skew_corrected_pvalue

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

    ``scipy.stats.bootstrap`` with ``paired=True``: one resample of the seeds carries every arm's
    effect and cost on those seeds along, so differences between arms keep their pairing.

    Returns:
        Arrays of shape ``(n_boot, arms)`` in the column order of ``effect``.
    """

    def means(e: np.ndarray, c: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.stack([e.mean(axis=axis), c.mean(axis=axis)])

    data = (effect.to_numpy(dtype=float).T, cost[effect.columns].to_numpy(dtype=float).T)  # arms x pairs
    with warnings.catch_warnings():  # a constant arm (the baseline) has a degenerate interval: not used here
        warnings.simplefilter("ignore")
        res = stats.bootstrap(
            data,
            means,
            paired=True,
            vectorized=True,
            axis=-1,
            n_resamples=n_boot,
            method="percentile",
            rng=np.random.default_rng(seed),
        )
    e, c = res.bootstrap_distribution  # each arms x resamples
    return e.T, c.T


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


def frontier_steps(table: pd.DataFrame, effect: pd.DataFrame, level: float = LEVEL) -> pd.DataFrame:
    """Whether each efficient arm is shown efficient: its step up the frontier adds a distinguishable effect.

    The frontier is built on mean costs and effects, so on noise a costly arm with no effect is
    "efficient" whenever its mean effect happens to be the highest. Going up the frontier from no
    intervention, each efficient arm's extra seats prevented over the last arm shown efficient
    below it (no intervention at first) are tested paired over the seeds (paired t). The frontier's
    arms were picked from the same data among all the arms, and there are several steps, so each
    p-value is multiplied by the number of arms times the number of steps (Bonferroni: the steps
    are defined one after the other, so Holm's ordering does not apply; without the factor for the
    choice, null arms were shown efficient in 20-40% of trials). An arm is *shown* efficient when
    that adjusted p-value is below ``1 - level`` and the extra effect favourable; the others are
    efficient on means only, and a step above one of them is measured from the last shown arm, so
    one noisy cheap arm does not hide the clear ones above it.

    Args:
        table: :func:`frontier` rows (with ``reference``), cheapest first.
        effect: Seats prevented per pair (rows) and arm (columns), as :func:`per_pair` gives.
        level: Confidence level and 1 - the family-wise error rate.

    Returns:
        ``table`` with ``step_from`` (the arm the step is measured from), ``step`` (mean extra seats
        prevented over it), ``step_low, step_high`` (paired t interval), ``step_p``, ``step_p_adjusted``
        and ``shown`` (False for every arm that is not efficient, True for the frontier's start).
    """
    table = table.copy()
    efficient = table.status == EFFICIENT
    steps = table[efficient & (table.reference != "")]
    factor = max(len(table) - 1, 1) * max(len(steps), 1)  # the arms a step could be taken to, times the steps
    for c in ("step", "step_low", "step_high", "step_p", "step_p_adjusted"):
        table[c] = np.nan
    table["step_from"] = ""
    table["shown"] = efficient & (table.reference == "")
    start = table[efficient & (table.reference == "")]
    last = str(start.arm.iloc[0]) if len(start) else None
    pooled = pooled_skewness([effect[a].dropna().to_numpy(dtype=float) for a in effect.columns])
    for i in steps.index:
        arm = table.at[i, "arm"]
        d = (effect[arm] - effect[last]).to_numpy(dtype=float)
        m, lo, hi, p = (float(v) for v in t_interval(d, level))
        p = skew_corrected_pvalue(d, p, pooled)  # skewed steps: as "distinguishable" (sim.stats.skew_corrected)
        table.loc[i, ["step", "step_low", "step_high", "step_p"]] = [m, lo, hi, p]
        table.at[i, "step_p_adjusted"] = min(1.0, p * factor)
        table.at[i, "step_from"] = last
        if min(1.0, p * factor) < 1 - level and m > 0:
            table.at[i, "shown"] = True
            last = arm
    return table


def with_acceptability_peak(table: pd.DataFrame, curves: pd.DataFrame) -> pd.DataFrame:
    """Each arm's highest probability of being cost-effective on its acceptability curve, and where.

    ``p_ce_max`` is the largest share of resamples, over the values per seat drawn, in which the arm
    has the highest net benefit; ``p_ce_value`` the value per seat (staff-days) at which it is
    reached. NaN without curves.
    """
    table = table.copy()
    table["p_ce_max"], table["p_ce_value"] = np.nan, np.nan
    if curves.empty:
        return table
    top = curves.sort_values(["arm", "probability", "value"], ascending=[True, False, True]).drop_duplicates("arm")
    peak = top.set_index("arm")
    table["p_ce_max"] = table.arm.map(peak.probability)
    table["p_ce_value"] = table.arm.map(peak.value)
    return table


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
        pairs the ICER intervals are NaN and ``curves`` is empty. The table also has the columns of
        :func:`frontier_steps` (``step_from, step, step_low, step_high, step_p, step_p_adjusted,
        shown``) and of
        :func:`with_acceptability_peak` (``p_ce_max, p_ce_value``).

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
    enough = len(effect) >= MIN_BOOTSTRAP_PAIRS  # fewer seeds: too few resamples for intervals or curves
    boot_e, boot_c = bootstrap_means(effect, cost, n_boot, seed) if enough else (None, None)
    col = {a: k for k, a in enumerate(arms)}
    lows, highs, e_lo, e_hi = [], [], [], []
    for r in table.itertuples():
        _, lo, hi, _ = t_interval(effect[r.arm].to_numpy(dtype=float), level)
        e_lo.append(float(lo))
        e_hi.append(float(hi))
        if r.reference and enough:
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
    table = frontier_steps(table, effect, level)
    if enough:
        curves = acceptability(boot_e, boot_c, arms, value_grid(table))
    else:
        curves = pd.DataFrame({"value": [], "arm": [], "probability": []})
    table = with_acceptability_peak(table, curves)
    return table, curves
