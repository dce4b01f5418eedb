"""Optimised portfolios: Pareto sets, the re-evaluation, the best mix for a budget, robustness, PRIM.

Every function takes the tables an optimisation folder holds (``trials.parquet``: one row per
trial of the search; ``runs.parquet``: one row per run of the search, fresh and robustness stages,
see :mod:`sim.sweeps.optimise`) and returns a table; the sentences are written by
:mod:`sim.analysis.claims`.

Statistics, each with its source:

* Effects against no intervention are paired over seeds (common random numbers) with Student t
  intervals and Holm's adjustment over the arms (:func:`sim.analysis.stats.paired_effects`).
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
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from sim.analysis.stats import HEADLINE, LEVEL, holm, kish, paired_effects, t_interval

#: The search's objectives, all minimised: bought seats (the causal outcome), cost, harms.
OBJECTIVES: tuple[str, ...] = (HEADLINE, "cost_total", "honest_removed")

#: The no-intervention arm's label.
NONE = "none"


# ------------------------------------------------------------------------------------ Pareto sets
def pareto_mask(values: np.ndarray) -> np.ndarray:
    """Rows not dominated by any other row (every column minimised); of exact duplicates, the first.

    A row is dominated when another is at least as good in every column and better in one.
    """
    v = np.asarray(values, dtype=float)
    n = len(v)
    keep = np.ones(n, dtype=bool)
    for i in range(n):
        others = np.delete(np.arange(n), i)
        le = (v[others] <= v[i]).all(axis=1)
        lt = (v[others] < v[i]).any(axis=1)
        if (le & lt).any():
            keep[i] = False
            continue
        same = np.flatnonzero((v[:i] == v[i]).all(axis=1))
        if len(same):
            keep[i] = False
    return keep


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
    cost-outcome plane: it grows whenever the frontier improves anywhere.
    """
    cost, outcome = np.asarray(cost, float), np.asarray(outcome, float)
    ok = (cost <= ref_cost) & (outcome <= ref_outcome)
    if not ok.any():
        return 0.0
    c, y = cost[ok], outcome[ok]
    keep = frontier_mask(c, y)
    c, y = c[keep], y[keep]
    order = np.argsort(c)
    c, y = c[order], y[order]
    widths = np.diff(np.append(c, ref_cost))
    return float(np.sum(widths * (ref_outcome - y)))


def portfolio_table(trials: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct portfolio of the search (its first trial), with its objectives."""
    done = trials.dropna(subset=list(OBJECTIVES)).sort_values("number")
    return done.drop_duplicates("portfolio").reset_index(drop=True)


def pareto_portfolios(trials: pd.DataFrame) -> pd.DataFrame:
    """The distinct portfolios no other portfolio of the search dominates on the three objectives."""
    table = portfolio_table(trials)
    return table[pareto_mask(table[list(OBJECTIVES)].to_numpy())].reset_index(drop=True)


def crowding_distance(values: np.ndarray) -> np.ndarray:
    """NSGA-II's crowding distance of each row (Deb et al. 2002, IEEE Trans Evol Comput 6:182)."""
    v = np.asarray(values, dtype=float)
    n, m = v.shape
    out = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for j in range(m):
        order = np.argsort(v[:, j], kind="stable")
        span = v[order[-1], j] - v[order[0], j]
        out[order[0]] = out[order[-1]] = np.inf
        if span <= 0:
            continue
        out[order[1:-1]] += (v[order[2:], j] - v[order[:-2], j]) / span
    return out


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

    Returns:
        ``(difference, low, high, p)``; with fewer than two values on a side the interval is the
        difference itself and p is 1.
    """
    d1, d2 = np.asarray(d1, float), np.asarray(d2, float)
    diff = float(d2.mean() - d1.mean())
    if len(d1) < 2 or len(d2) < 2:
        return diff, diff, diff, 1.0
    v1, v2 = d1.var(ddof=1) / len(d1), d2.var(ddof=1) / len(d2)
    se = math.sqrt(v1 + v2)
    if se <= 1e-15:
        return diff, diff, diff, 0.0 if diff else 1.0
    df = (v1 + v2) ** 2 / (v1**2 / (len(d1) - 1) + v2**2 / (len(d2) - 1))
    q = sps.t.ppf(0.5 + level / 2, df)
    p = 2 * sps.t.sf(abs(diff) / se, df)
    return diff, diff - q * se, diff + q * se, float(p)


def wilson(k: float, n: float, level: float = LEVEL) -> tuple[float, float]:
    """Wilson score interval of a proportion ``k / n`` (Wilson 1927); ``n`` may be an effective size."""
    if n == 0:
        return 0.0, 1.0
    z = sps.norm.ppf(0.5 + level / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half))


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
    spending: dict[str, float] = field(default_factory=dict)


def arm_costs(runs: pd.DataFrame) -> pd.Series:
    """Mean cost (staff-days) of each arm."""
    return runs.groupby("arm")["cost_total"].mean()


def budget_picks(
    fresh: pd.DataFrame, budgets: Iterable[float], fixed: Sequence[str], level: float = LEVEL
) -> list[BudgetPick]:
    """For each budget, the re-evaluated arm with the fewest bought seats among those it affords.

    Every arm of the fresh stage competes (Pareto portfolios and fixed arms), by its mean cost and
    mean bought-seat rate on the fresh seeds (ties: the cheaper).  The pick was chosen as the lowest
    of the arms the budget affords on the same seeds that measure it, so its own effect against no
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
    spend_cols = [c for c in fresh.columns if c.startswith("cost_") and c != "cost_total"]
    picks = []
    for budget in sorted(float(b) for b in budgets):
        ok = costs[costs <= budget + 1e-9].index
        if len(ok) == 0:
            picks.append(BudgetPick(budget, None))
            continue
        order = sorted(ok, key=lambda a: (means[a], costs[a], a))
        arm = order[0]
        pick = BudgetPick(budget, arm, cost=float(costs[arm]), level=float(means[arm]))
        if list(ok) == [NONE] and len(costs) > 1:  # nothing to choose: say what the cheapest arm costs
            outside = costs.drop(NONE).sort_values(kind="stable")
            pick.cheapest_outside, pick.cheapest_outside_cost = str(outside.index[0]), float(outside.iloc[0])
        # The pick was chosen among the k arms the budget affords: each comparison of it is
        # Bonferroni-adjusted over the k - 1 others (the selection could have fallen on any of them).
        # Intervals are Bonferroni intervals at the same level, so a difference is distinguishable
        # exactly when its interval leaves out zero.
        k_other = max(len(ok) - 1, 1)
        adjusted = 1 - (1 - level) / k_other
        pick.chosen_among = k_other
        if arm != NONE and arm in head.index:
            e = head.loc[arm]
            against_none = paired_values(fresh, arm, NONE)
            _, low, high, p_raw = t_interval(against_none, adjusted)
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
        stats_ = {a: t_interval(d, adjusted) for a, d in diffs.items()}
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
            m, lo, hi, pv = t_interval(paired_values(fresh, p.arm, p.fixed), 1 - (1 - level) / factor)
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


# ------------------------------------------------------------------------------------ robustness
def world_means(robust: pd.DataFrame, key: str = HEADLINE) -> pd.DataFrame:
    """Each portfolio's mean outcome in each sampled world (over its seeds): rows draws, columns arms."""
    return robust.pivot_table(index="sample", columns="arm", values=key, aggfunc="mean")


def distinct_world_means(robust: pd.DataFrame, key: str = HEADLINE) -> pd.DataFrame:
    """As :func:`world_means`, one row per distinct world (a world drawn twice is one observation)."""
    means = world_means(robust, key)
    if "world" not in robust:
        return means
    world = robust.drop_duplicates("sample").set_index("sample")["world"]
    return means.groupby(world.loc[means.index].to_numpy()).first()


def effective_worlds(robust: pd.DataFrame) -> float:
    """Kish's effective number of distinct worlds among the draws, ``(sum c)^2 / sum c^2`` over draw counts."""
    if "world" not in robust:
        return float(robust["sample"].nunique())
    return kish(robust.drop_duplicates("sample")["world"].value_counts().to_numpy(dtype=float))


def robustness_table(
    robust: pd.DataFrame, costs: pd.Series, budgets: Iterable[float], target: float, level: float = LEVEL
) -> pd.DataFrame:
    """Regret and probability of meeting the target of each portfolio, for each budget that affords it.

    In each sampled world, a portfolio's regret under budget ``B`` is its bought-seat rate minus the
    lowest rate of any evaluated portfolio whose cost (on the fresh seeds) is within ``B``; it
    meets the target when its rate is below ``target``.  Rates are means over the world's seeds, so
    regret also holds some seed noise (common seeds across portfolios keep it small).  Shares and
    means are over the draws (a world drawn twice counts twice: the posterior's weights); the
    Wilson interval of ``p_target`` uses the effective number of distinct worlds
    (:func:`effective_worlds`), since a world drawn twice is not two observations.

    Returns:
        One row per (budget, portfolio affordable under it): ``budget, arm, cost, mean, p_target,
        p_low, p_high`` (Wilson), ``regret_mean, regret_p90, regret_max, best_share`` (share of
        worlds in which it is the best affordable, ties shared), ``worlds`` (draws),
        ``effective_worlds``.
    """
    means = world_means(robust)
    n = len(means)
    n_eff = effective_worlds(robust)
    rows = []
    for budget in [*sorted(float(b) for b in budgets), math.inf]:
        members = [a for a in means.columns if a in costs.index and costs[a] <= budget + 1e-9]
        if not members:
            continue
        sub = means[members]
        best = sub.min(axis=1)
        regret = sub.sub(best, axis=0)
        tied = np.isclose(sub.to_numpy(), best.to_numpy()[:, None], rtol=0, atol=1e-12)
        share = (tied / tied.sum(axis=1, keepdims=True)).mean(axis=0)
        for j, arm in enumerate(members):
            meets = int((sub[arm] < target).sum())
            lo, hi = wilson(meets / n * n_eff if n else 0.0, n_eff, level)
            rows.append(
                {
                    "budget": budget,
                    "arm": arm,
                    "cost": float(costs[arm]),
                    "mean": float(sub[arm].mean()),
                    "p_target": meets / n if n else math.nan,
                    "p_low": lo,
                    "p_high": hi,
                    "regret_mean": float(regret[arm].mean()),
                    "regret_p90": float(regret[arm].quantile(0.9)),
                    "regret_max": float(regret[arm].max()),
                    "best_share": float(share[j]),
                    "worlds": n,
                    "effective_worlds": n_eff,
                }
            )
    table = pd.DataFrame(rows)
    return table.sort_values(["budget", "cost", "arm"], kind="stable").reset_index(drop=True) if rows else table


def robust_rival(
    robust: pd.DataFrame, pick: str, members: Sequence[str], level: float = LEVEL
) -> tuple[str, float, float, float, float] | None:
    """The affordable portfolio with the lowest mean rate across worlds, if it is not the pick.

    Returns:
        ``(arm, difference, low, high, p)``: the rival's mean rate minus the pick's, paired over the
        worlds, with a t interval and p-value Bonferroni-adjusted over the other members (the rival
        was chosen as the lowest of them); None when the pick has the lowest mean itself.
    """
    means = distinct_world_means(robust)  # a world drawn twice is one observation for the test
    members = [m for m in members if m in means.columns]
    if pick not in means.columns or len(members) < 2:
        return None
    order = means[members].mean().sort_values()
    top = str(order.index[0])
    if top == pick:
        return None
    k = len(members) - 1
    m, lo, hi, p = t_interval((means[top] - means[pick]).dropna().to_numpy(), 1 - (1 - level) / k)
    return top, float(m), float(lo), float(hi), min(1.0, k * float(p))


# ------------------------------------------------------------------------------------ scenario discovery
@dataclass
class PrimBox:
    """A box of parameter worlds in which a portfolio fails, from PRIM's peeling trajectory.

    Attributes:
        limits: ``{parameter: (low, high)}`` of every restricted parameter.
        full: ``{parameter: (low, high)}`` the sampled range of each restricted parameter.
        qp: Quasi-p-value of each restriction (one-sided binomial test, Bryant & Lempert 2010).
        coverage: Share of the failing worlds inside the box.
        density: Share of the worlds inside the box that fail.
        mass: Share of all worlds inside the box.
        base_rate: Share of all worlds that fail.
        n: Worlds inside the box.
        trajectory: PRIM's peeling-and-pasting trajectory the box was chosen from.
        chosen: The box's row on it.
        significant: False for the best candidate of a trajectory on which no box passes the
            rule: shown, never claimed.
        remaining_rate: Share failing among the worlds PRIM searched for this box (all of them
            for the first box, those outside the earlier boxes for the next).
        searched: Which worlds PRIM searched for this box.
    """

    limits: dict[str, tuple[float, float]]
    full: dict[str, tuple[float, float]]
    qp: dict[str, float]
    coverage: float
    density: float
    mass: float
    base_rate: float
    n: int
    trajectory: pd.DataFrame | None = None
    chosen: int = -1
    significant: bool = True
    remaining_rate: float = math.nan
    searched: np.ndarray | None = None


def _qps(qp: dict) -> dict[str, float]:
    """Each restriction's quasi-p-value (EMA gives one per side, -1 where a side is not restricted)."""
    return {c: float(min(v for v in vals if v >= 0)) if any(v >= 0 for v in vals) else 1.0 for c, vals in qp.items()}


def _drop_weak_restrictions(box: Any, i: int, alpha: float) -> int:
    """Drop the box's restriction with the largest quasi-p-value while any is ``alpha`` or more.

    Each drop is EMA's ``drop_restriction``, which adds the new box to the trajectory (Bryant &
    Lempert 2010 drop restrictions that are not significant).  Returns the final box's row.
    """
    while True:
        ps = _qps(box.p_values[i])
        if not ps or max(ps.values()) < alpha or len(ps) == 1:
            return i
        box.drop_restriction(max(ps, key=lambda c: ps[c]), i)
        i = len(box.peeling_trajectory) - 1


def prim_boxes(
    x: pd.DataFrame, fail: np.ndarray, max_boxes: int = 2, alpha: float = 0.05, mass_min: float = 0.05
) -> list[PrimBox]:
    """Boxes of worlds where ``fail`` concentrates, by PRIM (EMA Workbench), each chosen by a fixed rule.

    On each box's peeling-and-pasting trajectory the box kept is, among those whose every
    restriction has a quasi-p-value below ``alpha`` and whose density exceeds the share of failing
    worlds left, the one with the largest harmonic mean of coverage and density (the F1 score of
    "inside the box" as a prediction of failure).  A trajectory with no such box ends the search.
    After a box, PRIM continues on the worlds outside it (EMA's default), up to ``max_boxes``.  When
    the first trajectory has no such box, its best candidate by the same score (ignoring the
    quasi-p-values) is returned marked ``significant=False``, so the report can show what PRIM saw.

    Args:
        x: The worlds' uncertain parameters (one column each; cast to float, as EMA 3 needs).
        fail: True where the portfolio fails in that world.
        max_boxes: Most boxes returned.
        alpha: Largest quasi-p-value a restriction may have.
        mass_min: PRIM's smallest box (share of the worlds).
    """
    import logging
    import warnings

    with warnings.catch_warnings():  # EMA warns about optional packages it does not need here
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim

    logging.getLogger("EMA").setLevel(logging.WARNING)
    x = x.astype(float).reset_index(drop=True)
    fail = np.asarray(fail, dtype=bool)
    full = {c: (float(x[c].min()), float(x[c].max())) for c in x.columns}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        finder = prim.Prim(x, fail.astype(int), peel_alpha=0.05, paste_alpha=0.05, mass_min=mass_min)
    boxes: list[PrimBox] = []
    total = int(fail.sum())
    taken = np.zeros(len(fail), dtype=bool)  # worlds inside earlier boxes (EMA then leaves them out)
    for _ in range(max_boxes):
        left = fail[~taken]
        if len(left) == 0 or left.sum() == 0 or left.sum() == len(left):
            break
        with warnings.catch_warnings():  # pandas deprecations inside EMA 3.0 (DataFrame.drop(inplace=True))
            warnings.simplefilter("ignore")
            box = finder.find_box()
        if box is None:
            break
        base = float(left.mean())
        traj = box.peeling_trajectory.reset_index(drop=True)
        best, best_f1, candidate, candidate_f1 = -1, -1.0, -1, -1.0
        for i in range(1, len(traj)):
            qp = box.p_values[i]
            restricted = list(qp)
            if not restricted:
                continue
            ps = [min(v for v in qp[c] if v >= 0) if any(v >= 0 for v in qp[c]) else 1.0 for c in restricted]
            cov, den = float(traj.loc[i, "coverage"]), float(traj.loc[i, "density"])
            f1 = 2 * cov * den / (cov + den) if cov + den > 0 else 0.0
            if den > base and f1 > candidate_f1 + 1e-12:
                candidate, candidate_f1 = i, f1
            if max(ps) >= alpha or den <= base:
                continue
            if f1 > best_f1 + 1e-12:
                best, best_f1 = i, f1
        if candidate >= 0:  # the best box by score, with its weak restrictions dropped one by one
            pruned = _drop_weak_restrictions(box, candidate, alpha)
            cov, den = (
                float(box.peeling_trajectory.iloc[pruned].coverage),
                float(box.peeling_trajectory.iloc[pruned].density),
            )
            f1 = 2 * cov * den / (cov + den) if cov + den > 0 else 0.0
            ps = _qps(box.p_values[pruned])
            if ps and max(ps.values()) < alpha and den > base and f1 > best_f1 + 1e-12:
                best, best_f1 = pruned, f1
            traj = box.peeling_trajectory.reset_index(drop=True)
        significant = best >= 0
        if not significant:
            if boxes or candidate < 0:
                break
            best = candidate  # shown as the best candidate, never claimed
        box.select(best)
        lims = box.box_lims[best]
        qp = box.p_values[best]
        limits = {c: (float(lims[c].iloc[0]), float(lims[c].iloc[1])) for c in qp}
        n_in = int(traj.loc[best, "n"])
        k_in = int(traj.loc[best, "k"])
        boxes.append(
            PrimBox(
                limits=limits,
                full={c: full[c] for c in limits},
                qp={c: float(min(v for v in qp[c] if v >= 0)) for c in qp},
                coverage=k_in / total if total else 0.0,
                density=float(traj.loc[best, "density"]),
                mass=n_in / len(fail),
                base_rate=float(fail.mean()),
                n=n_in,
                remaining_rate=base,
                searched=~taken.copy(),
                trajectory=traj,
                chosen=best,
                significant=significant,
            )
        )
        if not significant:
            break
        taken[box.yi] = True
    return boxes
