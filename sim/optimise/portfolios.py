"""Optimised portfolios: Pareto sets, the re-evaluation, the best mix for a budget, robustness, PRIM.

Every function takes the tables an optimisation folder holds (``trials.parquet``: one row per
trial of the search; ``runs.parquet``: one row per run of the search, fresh and robustness stages,
see :mod:`sim.optimise`) and returns a table; the sentences are written by
:mod:`sim.optimise.sentences`.

Statistics, each with its source:

* Effects against no intervention are paired over seeds (common random numbers) with Student t
  intervals and Holm's adjustment over the arms (:func:`sim.stats.paired.paired_effects`).
* How far the fresh evaluation moved a portfolio is the difference of two paired effects on
  disjoint seed sets, with a Welch-Satterthwaite t interval (Welch 1947, Biometrika 34:28); the
  search's estimates of the portfolios it selected are biased towards good values (the winner's
  curse: Thaler 1988, J Econ Perspect 2:191; in noisy optimisation, Branke et al. 2005).
* "Best for a budget" is said only when the portfolio is distinguishable (paired t, Holm over the
  comparisons) from every cheaper portfolio within the budget.
* Regret is the shortfall against the best portfolio affordable under the same budget in the
  same sampled world (Savage 1951, JASA 46:55); the probability of meeting a target has a Wilson
  interval over the sampled worlds (Wilson 1927, JASA 22:209).
* Scenario discovery uses PRIM (Friedman & Fisher 1999, Stat Comput 9:123; Bryant & Lempert 2010,
  Technol Forecast Soc 77:34) from the EMA Workbench, with quasi-p-values of each restriction.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as sps

from sim.levers import INTERVENTIONS
from sim.report.style import arm_name
from sim.stats.intervals import diff_bounds, holm, t_interval
from sim.stats.outcomes import LEVEL, outcome
from sim.stats.outcomes import OPTIMISED as HEADLINE  # the search minimises all seats buying changed
from sim.stats.paired import paired_effects

#: The search's objectives, all minimised: bought seats (the causal outcome), cost, harms.
OBJECTIVES: tuple[str, ...] = (HEADLINE, "cost_total", "honest_removed")


#: The no-intervention arm's label.
NONE = "none"


#: Range of a difference of two bought-seat shares (each in [0, 1]).
DIFF_BOUNDS = diff_bounds(outcome(HEADLINE).bounds)


# ------------------------------------------------------------------------------------ Pareto sets
def pareto_mask(values: np.ndarray) -> np.ndarray:
    """Rows not dominated by any other row (every column minimised); of exact duplicates, the first.

    ``moocore.is_nondominated`` (López-Ibáñez et al.), whose duplicates after the first are dropped.
    """
    import moocore

    v = np.asarray(values, dtype=float)
    if len(v) == 0:
        return np.zeros(0, dtype=bool)
    return np.asarray(moocore.is_nondominated(v, keep_weakly=False), dtype=bool)


def frontier_mask(cost: np.ndarray, outcome: np.ndarray) -> np.ndarray:
    """The cost-outcome frontier: each point with a lower outcome than every cheaper point (ties: first)."""
    cost, outcome = np.asarray(cost, float), np.asarray(outcome, float)
    order = np.lexsort((outcome, cost))
    keep = np.zeros(len(cost), dtype=bool)
    best = math.inf
    for i in order:
        if outcome[i] < best - 1e-12:
            keep[i] = True
            best = outcome[i]
    return keep


def hypervolume_2d(cost: np.ndarray, outcome: np.ndarray, ref_cost: float, ref_outcome: float) -> float:
    """Area dominated by the points and bounded by the reference point (both minimised).

    The hypervolume indicator (Zitzler & Thiele 1999, IEEE Trans Evol Comput 3:257) of the
    cost-outcome plane, by ``moocore.hypervolume``; it grows whenever the frontier improves anywhere.
    Points beyond the reference point add nothing.
    """
    import moocore

    points = np.column_stack([np.asarray(cost, float), np.asarray(outcome, float)])
    points = points[(points[:, 0] <= ref_cost) & (points[:, 1] <= ref_outcome)]
    if len(points) == 0:
        return 0.0
    return float(moocore.hypervolume(points, ref=[ref_cost, ref_outcome]))


def portfolio_table(trials: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct portfolio of the search (its first trial), with its objectives."""
    done = trials.dropna(subset=list(OBJECTIVES)).sort_values("number")
    return done.drop_duplicates("portfolio").reset_index(drop=True)


def pareto_portfolios(trials: pd.DataFrame) -> pd.DataFrame:
    """The distinct portfolios no other portfolio of the search dominates on the three objectives."""
    table = portfolio_table(trials)
    return table[pareto_mask(table[list(OBJECTIVES)].to_numpy())].reset_index(drop=True)


def crowding_distance(values: np.ndarray) -> np.ndarray:
    """NSGA-II's crowding distance of each row (Deb et al. 2002, IEEE Trans Evol Comput 6:182).

    pymoo's ``calc_crowding_distance``: the extremes of each objective are infinite, the others the
    mean over objectives of the normalised gap between their neighbours (Deb's sum divided by the
    number of objectives, which orders the rows the same way).
    """
    from pymoo.operators.survival.rank_and_crowding.metrics import calc_crowding_distance

    v = np.asarray(values, dtype=float)
    if len(v) <= 2:
        return np.full(len(v), np.inf)
    return np.asarray(calc_crowding_distance(v), dtype=float)


def select_for_reevaluation(trials: pd.DataFrame, cap: int) -> list[str]:
    """The Pareto portfolios to re-evaluate on fresh seeds, at most ``cap``.

    Those on the cost / bought-seat frontier first (the budget question is asked along it; when
    there are more than ``cap``, ``cap`` of them evenly spread along it by cost rank, the cheapest
    and the dearest included), then the other Pareto portfolios by decreasing crowding distance
    (the spread of the three-objective front), ties by trial number.
    """
    pareto = pareto_portfolios(trials)
    if pareto.empty:
        return []
    on_front = frontier_mask(pareto["cost_total"].to_numpy(), pareto[HEADLINE].to_numpy())
    first = pareto[on_front].sort_values(["cost_total", "number"])
    if len(first) > cap:
        first = first.iloc[np.unique(np.linspace(0, len(first) - 1, cap).round().astype(int))]
    rest = pareto[~on_front].copy()
    rest["crowding"] = crowding_distance(rest[list(OBJECTIVES)].to_numpy()) if len(rest) else []
    rest = rest.sort_values(["crowding", "number"], ascending=[False, True])
    return [*first.portfolio, *rest.portfolio][:cap]


def search_progress(trials: pd.DataFrame, population: int) -> pd.DataFrame:
    """After each generation: the search frontier's hypervolume in the cost / bought-seat plane.

    The reference point is no intervention's bought-seat rate on the search seeds and the highest
    cost of any trial, so the hypervolume is the area of improvements over no intervention.
    """
    done = trials.dropna(subset=list(OBJECTIVES)).sort_values("number")
    if done.empty:
        return pd.DataFrame(columns=["generation", "trials", "hypervolume", "frontier"])
    none = done[done.portfolio == NONE]
    ref_y = float(none[HEADLINE].iloc[0]) if len(none) else float(done[HEADLINE].max())
    ref_c = float(done["cost_total"].max()) or 1.0
    rows = []
    for g in sorted(done.generation.unique()):
        upto = done[done.generation <= g]
        c, y = upto["cost_total"].to_numpy(), upto[HEADLINE].to_numpy()
        rows.append(
            {
                "generation": int(g),
                "trials": len(upto),
                "portfolios": upto.portfolio.nunique(),
                "hypervolume": hypervolume_2d(c, y, ref_c, ref_y),
                "frontier": int(frontier_mask(c, y).sum()),
            }
        )
    table = pd.DataFrame(rows)
    top = table.hypervolume.max()
    table["hypervolume_share"] = table.hypervolume / top if top > 0 else 0.0
    return table


# ------------------------------------------------------------------------------------ paired helpers
def stage(runs: pd.DataFrame, name: str) -> pd.DataFrame:
    """The runs of one stage (``search``, ``fresh`` or ``robust``)."""
    return runs[runs["stage"] == name]


def paired_values(runs: pd.DataFrame, a: str, b: str, key: str = HEADLINE) -> np.ndarray:
    """``a - b`` run by run on the seeds (and worlds) both arms ran."""
    if a == b:
        return np.zeros(int((runs.arm == a).sum()))
    index = [k for k in ("sample", "seed") if k in runs.columns]
    wide = runs[runs.arm.isin([a, b])].pivot_table(index=index, columns="arm", values=key, aggfunc="mean")
    if a not in wide or b not in wide:
        return np.array([])
    both = wide[[a, b]].dropna()
    return (both[a] - both[b]).to_numpy(dtype=float)


def welch_interval(d1: np.ndarray, d2: np.ndarray, level: float = LEVEL) -> tuple[float, float, float, float]:
    """Difference of the means of two independent samples, ``mean(d2) - mean(d1)``, with a Welch t interval.

    scipy's ``ttest_ind(d2, d1, equal_var=False)`` and its ``confidence_interval`` (Welch 1947).

    Returns:
        ``(difference, low, high, p)``; with fewer than two values on a side, or no spread on either,
        there is no interval (NaN bounds) and p is 1.
    """
    d1, d2 = np.asarray(d1, float), np.asarray(d2, float)
    diff = float(d2.mean() - d1.mean()) if len(d1) and len(d2) else math.nan
    if len(d1) < 2 or len(d2) < 2 or (np.ptp(d1) <= 1e-15 and np.ptp(d2) <= 1e-15):
        return diff, math.nan, math.nan, 1.0
    res = sps.ttest_ind(d2, d1, equal_var=False)
    ci = res.confidence_interval(level)
    return diff, float(ci.low), float(ci.high), float(res.pvalue)


# ------------------------------------------------------------------------------------ re-evaluation
def reevaluation_table(runs: pd.DataFrame, chosen: Sequence[str], level: float = LEVEL) -> pd.DataFrame:
    """How far the fresh evaluation moved each re-evaluated Pareto portfolio.

    For each portfolio: its effect on bought seats against no intervention on the search's seeds
    and on the fresh seeds (each paired over its seeds), the shift between them (fresh minus
    search, Welch interval: the seed sets are disjoint), and the fresh effect's Holm-adjusted
    p-value over every arm re-evaluated (the fixed arms included).

    Returns:
        One row per portfolio, in ``chosen`` order: ``arm, cost, search_effect, search_low,
        search_high, fresh_effect, fresh_low, fresh_high, p_holm, distinguishable, shift, shift_low,
        shift_high, shift_p, shift_p_holm, search_n, fresh_n``.
    """
    fresh, search = stage(runs, "fresh"), stage(runs, "search")
    effects = paired_effects(fresh, [HEADLINE], baseline=NONE, level=level).set_index("arm")
    rows = []
    for arm in chosen:
        if arm == NONE:  # its effect against itself is 0 by construction
            continue
        ds = paired_values(search, arm, NONE)
        df = paired_values(fresh, arm, NONE)
        if len(df) == 0:
            continue
        s_mean, s_lo, s_hi, _ = t_interval(ds, level) if len(ds) else (np.nan, np.nan, np.nan, np.nan)
        shift, lo, hi, p = welch_interval(ds, df, level) if len(ds) else (np.nan, np.nan, np.nan, np.nan)
        e = effects.loc[arm] if arm in effects.index else None
        rows.append(
            {
                "arm": arm,
                "cost": float(fresh.loc[fresh.arm == arm, "cost_total"].mean()),
                "search_effect": float(s_mean),
                "search_low": float(s_lo),
                "search_high": float(s_hi),
                "fresh_effect": float(df.mean()),
                "fresh_low": float(e.ci_low) if e is not None else np.nan,
                "fresh_high": float(e.ci_high) if e is not None else np.nan,
                "p_holm": float(e.p_holm) if e is not None else np.nan,
                "distinguishable": bool(e.distinguishable) if e is not None else False,
                "shift": shift,
                "shift_low": lo,
                "shift_high": hi,
                "shift_p": p,
                "search_n": len(ds),
                "fresh_n": len(df),
            }
        )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table["shift_p_holm"] = holm(table["shift_p"].to_numpy(dtype=float))
    return table


# ------------------------------------------------------------------------------------ budgets
@dataclass
class BudgetPick:
    """The best re-evaluated portfolio within one budget and what licenses calling it best."""

    budget: float
    arm: str | None
    cost: float = math.nan
    effect: float = math.nan
    low: float = math.nan
    high: float = math.nan
    p_holm: float = math.nan
    level: float = math.nan
    named_best: bool = False
    rivals: int = 0
    cheaper: str | None = None
    cheaper_cost: float = math.nan
    cheaper_diff: float = math.nan
    cheaper_low: float = math.nan
    cheaper_high: float = math.nan
    fixed: str | None = None
    fixed_cost: float = math.nan
    fixed_effect: float = math.nan
    vs_fixed: float = math.nan
    vs_fixed_low: float = math.nan
    vs_fixed_high: float = math.nan
    vs_fixed_p: float = math.nan
    vs_fixed_p_holm: float = math.nan
    vs_fixed_k: int = 1
    honest: float = math.nan
    honest_low: float = math.nan
    honest_high: float = math.nan
    chosen_among: int = 1  # other arms the budget affords: the pick's interval is adjusted over them
    pairs: int = 0  # fresh seeds the pick and no intervention share
    cheapest_outside: str | None = None  # when the budget affords nothing but no intervention: the cheapest arm
    cheapest_outside_cost: float = math.nan
    lowest: str | None = None  # the arm with the fewest bought seats, when the pick is a cheaper one
    lowest_cost: float = math.nan
    lowest_diff: float = math.nan  # the pick minus it, with its adjusted interval
    lowest_low: float = math.nan
    lowest_high: float = math.nan
    spending: dict[str, float] = field(default_factory=dict)


def cheapest_not_worse(
    fresh: pd.DataFrame, affordable: list[str], lowest: str, costs: pd.Series, level: float
) -> tuple[str, tuple[float, float, float]]:
    """The cheapest affordable arm not distinguishably worse than ``lowest`` (the lowest mean).

    Each arm cheaper than ``lowest`` (cheapest first, ties by name) is compared with it paired over
    the fresh seeds (``level``: the Bonferroni-adjusted level of the budget's comparisons); the first
    whose interval of "arm minus lowest" does not lie above zero is taken. The lowest mean alone would
    pick a lever that costs money and does nothing in about 40% of trials, by noise.

    Returns:
        The arm, and its difference from ``lowest`` with the interval (NaN when it is ``lowest``).
    """
    nan = (math.nan, math.nan, math.nan)
    for arm in sorted(affordable, key=lambda a: (costs[a], a)):
        if arm == lowest:
            return arm, nan
        if costs[arm] > costs[lowest] + 1e-9:
            break
        m, lo, hi, _ = t_interval(paired_values(fresh, arm, lowest), level, bounds=DIFF_BOUNDS)
        if not lo > 0:  # not distinguishably worse (no interval: nothing shows it worse)
            return arm, (float(m), float(lo), float(hi))
    return lowest, nan


def arm_costs(runs: pd.DataFrame) -> pd.Series:
    """Mean cost (staff-days) of each arm."""
    return runs.groupby("arm")["cost_total"].mean()


def budget_picks(
    fresh: pd.DataFrame, budgets: Iterable[float], fixed: Sequence[str], level: float = LEVEL
) -> list[BudgetPick]:
    """For each budget, the cheapest affordable arm not distinguishably worse than the one with the fewest bought seats.

    Every arm of the fresh stage competes (Pareto portfolios and fixed arms), by its mean cost and
    mean bought-seat rate on the fresh seeds. The arm with the lowest mean is found first (ties: the
    cheaper); the pick is the cheapest affordable arm whose paired difference from it is not
    distinguishably above zero (:func:`cheapest_not_worse`, at the adjusted level below; ``lowest``
    records the lowest-mean arm when it is not the pick). The pick was chosen among
    the arms the budget affords on the same seeds that measure it, so its own effect against no
    intervention is optimistic (the winner's curse within the re-evaluation): its interval is the
    paired t interval at the level Bonferroni-adjusted over the ``chosen_among`` arms it was chosen
    from, which covers the effects of all of them at once and so the pick's whatever the choice.
    The pick is *named best for the budget* only when it has fewer bought seats than every other
    affordable arm costing no more than it (no intervention among them), distinguishably: the
    paired t interval over the fresh seeds of each difference, at the level Bonferroni-adjusted for
    the number of other arms the budget affords (a bound on multiple comparisons with the best;
    Hsu 1996, *Multiple Comparisons*, ch. 4, gives the exact version), lies below zero; otherwise
    ``cheaper`` is the cheapest such arm the data cannot tell from it, with that interval.
    ``fixed`` is the best fixed arm of ``experiment=compare`` the budget affords, and ``vs_fixed``
    the pick's paired difference from it with an interval adjusted also over the budgets
    (``vs_fixed_p_holm``: the adjusted p-value).

    Args:
        fresh: The fresh stage's runs.
        budgets: Budgets in staff-days.
        fixed: Labels of the fixed arms (no intervention among them).
        level: Confidence level.
    """
    costs = arm_costs(fresh)
    means = fresh.groupby("arm")[HEADLINE].mean()
    effects = paired_effects(fresh, [HEADLINE, "honest_removed"], baseline=NONE, level=level)
    head = effects[effects.outcome == HEADLINE].set_index("arm")
    harm = effects[effects.outcome == "honest_removed"].set_index("arm")
    spend_cols = [f"cost_{name}" for name in INTERVENTIONS if f"cost_{name}" in fresh.columns]
    picks = []
    for budget in sorted(float(b) for b in budgets):
        ok = costs[costs <= budget + 1e-9].index
        if len(ok) == 0:
            picks.append(BudgetPick(budget, None))
            continue
        # The pick was chosen among the k arms the budget affords: each comparison of it is
        # Bonferroni-adjusted over the k - 1 others (the selection could have fallen on any of them).
        # Intervals are Bonferroni intervals at the same level, so a difference is distinguishable
        # exactly when its interval leaves out zero.
        k_other = max(len(ok) - 1, 1)
        adjusted = 1 - (1 - level) / k_other
        lowest = min(ok, key=lambda a: (means[a], costs[a], a))
        arm, vs_lowest = cheapest_not_worse(fresh, list(ok), lowest, costs, adjusted)
        pick = BudgetPick(budget, arm, cost=float(costs[arm]), level=float(means[arm]))
        if arm != lowest:
            pick.lowest, pick.lowest_cost = lowest, float(costs[lowest])
            pick.lowest_diff, pick.lowest_low, pick.lowest_high = vs_lowest
        if list(ok) == [NONE] and len(costs) > 1:  # nothing to choose: say what the cheapest arm costs
            outside = costs.drop(NONE).sort_values(kind="stable")
            pick.cheapest_outside, pick.cheapest_outside_cost = str(outside.index[0]), float(outside.iloc[0])
        pick.chosen_among = k_other
        if arm != NONE and arm in head.index:
            e = head.loc[arm]
            against_none = paired_values(fresh, arm, NONE)
            _, low, high, p_raw = t_interval(against_none, adjusted, bounds=DIFF_BOUNDS)
            # One family for the interval and the claim: "distinguishable from no intervention"
            # exactly when the shown (Bonferroni) interval leaves out zero.
            p_adjusted = min(1.0, k_other * float(p_raw))
            pick.effect, pick.low, pick.high, pick.p_holm = float(e["diff"]), float(low), float(high), p_adjusted
            pick.pairs = len(against_none)
            h = harm.loc[arm]
            pick.honest, pick.honest_low, pick.honest_high = float(h["diff"]), float(h.ci_low), float(h.ci_high)
        else:
            pick.effect = pick.low = pick.high = 0.0
        # Every other arm costing no more than the pick competes with it, equal costs included
        # (no intervention costs nothing, so a pick other than it always has a rival).
        rivals = [a for a in ok if a != arm and costs[a] <= costs[arm] + 1e-9]
        pick.rivals = len(rivals)
        diffs = {a: paired_values(fresh, arm, a) for a in rivals}
        stats_ = {a: t_interval(d, adjusted, bounds=DIFF_BOUNDS) for a, d in diffs.items()}
        better = {a: bool(stats_[a][2] < 0) for a in rivals}
        pick.named_best = arm != NONE and bool(rivals) and all(better.values())
        if rivals and not all(better.values()):
            cheapest = min((a for a in rivals if not better[a]), key=lambda a: (costs[a], a))
            m, lo, hi, _ = stats_[cheapest]
            pick.cheaper, pick.cheaper_cost = cheapest, float(costs[cheapest])
            pick.cheaper_diff, pick.cheaper_low, pick.cheaper_high = float(m), float(lo), float(hi)
        fixed_ok = [a for a in fixed if a in costs.index and costs[a] <= budget + 1e-9]
        if fixed_ok:
            best_fixed = min(fixed_ok, key=lambda a: (means[a], costs[a], a))
            pick.fixed, pick.fixed_cost = best_fixed, float(costs[best_fixed])
            pick.fixed_effect = float(head.loc[best_fixed, "diff"]) if best_fixed in head.index else 0.0
            pick.vs_fixed_k = k_other
        sub = fresh[fresh.arm == arm]
        pick.spending = {c.removeprefix("cost_"): float(sub[c].mean()) for c in spend_cols if sub[c].mean() > 0}
        picks.append(pick)
    # The pick against the best fixed arm: Bonferroni over the arms each pick was chosen among and
    # over the budgets with such a comparison.
    compared = [p for p in picks if p.arm is not None and p.fixed is not None and p.fixed != p.arm]
    for p in picks:
        if p in compared:
            factor = p.vs_fixed_k * len(compared)
            m, lo, hi, pv = t_interval(
                paired_values(fresh, p.arm, p.fixed), 1 - (1 - level) / factor, bounds=DIFF_BOUNDS
            )
            p.vs_fixed, p.vs_fixed_low, p.vs_fixed_high = float(m), float(lo), float(hi)
            p.vs_fixed_p = p.vs_fixed_p_holm = min(1.0, factor * float(pv))
        elif p.arm is not None and p.fixed is not None:
            p.vs_fixed = p.vs_fixed_low = p.vs_fixed_high = 0.0
            p.vs_fixed_p = p.vs_fixed_p_holm = 1.0
    return picks


def picks_table(picks: Sequence[BudgetPick]) -> pd.DataFrame:
    """The budget picks as a table (shares as stored: fractions of seats)."""
    rows = []
    for p in picks:
        row = {k: v for k, v in p.__dict__.items() if k != "spending"}
        row.update({f"spend_{k}": v for k, v in p.spending.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def portfolio_names(runs: pd.DataFrame, fixed: dict[str, str]) -> dict[str, str]:
    """Portfolio labels in words: fixed arms by their comparison name, others by their lever values."""
    names = dict(zip(runs.arm, runs.description, strict=False)) if "description" in runs else {}
    for name, label in fixed.items():
        names[label] = f"{arm_name(name)} (fixed arm)" if name != NONE else "No intervention"
    names[NONE] = "No intervention"
    return names


def fixed_labels(runs: pd.DataFrame) -> dict[str, str]:
    """Fixed-arm name -> portfolio label, from the runs table."""
    rows = runs[runs.fixed_arm.astype(str) != ""].drop_duplicates("fixed_arm")
    return dict(zip(rows.fixed_arm, rows.arm, strict=True))
