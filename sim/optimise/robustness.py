"""Robustness of the recommended portfolios across sampled worlds: regret, meeting the target, PRIM boxes."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.optimise.portfolios import (
    DIFF_BOUNDS,
    NONE,
    arm_costs,
    budget_picks,
    fixed_labels,
    frontier_mask,
    stage,
)
from sim.stats.intervals import kish, t_interval
from sim.stats.outcomes import LEVEL
from sim.stats.outcomes import OPTIMISED as HEADLINE  # the search minimises all seats buying changed


def wilson(k: float, n: float, level: float = LEVEL) -> tuple[float, float]:
    """Wilson score interval of a proportion ``k / n`` (Wilson 1927; statsmodels ``proportion_confint``).

    ``n`` may be an effective number of observations (a fraction): it is rounded down to a whole
    number (fewer observations, a wider interval) and ``k`` scaled with it, keeping the share.
    """
    from statsmodels.stats.proportion import proportion_confint

    whole = math.floor(n + 1e-9)
    if whole < 1:
        return 0.0, 1.0
    lo, hi = proportion_confint(k / n * whole, whole, alpha=1 - level, method="wilson")
    return float(lo), float(hi)


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
    diff = (means[top] - means[pick]).dropna().to_numpy()
    m, lo, hi, p = t_interval(diff, 1 - (1 - level) / k, bounds=DIFF_BOUNDS)
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
        best, candidate = choose_on_trajectory(box, base, alpha)
        traj = box.peeling_trajectory.reset_index(drop=True)
        significant = best >= 0
        if not significant:
            if boxes or candidate < 0:
                break
            best = candidate  # shown as the best candidate, never claimed
        box.select(best)
        boxes.append(
            kept_box(box, best, traj, fail, full, searched=~taken.copy(), remaining_rate=base, significant=significant)
        )
        if not significant:
            break
        taken[box.yi] = True
    return boxes


def choose_on_trajectory(box: Any, base: float, alpha: float) -> tuple[int, int]:
    """The box kept on one PRIM trajectory, and the best candidate ignoring the quasi-p-values.

    Kept: among the boxes whose every restriction has a quasi-p-value below ``alpha`` and whose
    density exceeds ``base`` (the share of failing worlds left), the largest harmonic mean of
    coverage and density; the best candidate by score is also tried with its weak restrictions
    dropped one by one.

    Returns:
        ``(best, candidate)``: trajectory positions, -1 where there is none.
    """
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
    return best, candidate


def kept_box(
    box: Any,
    best: int,
    traj: pd.DataFrame,
    fail: np.ndarray,
    full: dict[str, tuple[float, float]],
    *,
    searched: np.ndarray,
    remaining_rate: float,
    significant: bool,
) -> PrimBox:
    """The :class:`PrimBox` of trajectory position ``best``: its limits, quasi-p-values, coverage, density."""
    lims = box.box_lims[best]
    qp = box.p_values[best]
    limits = {c: (float(lims[c].iloc[0]), float(lims[c].iloc[1])) for c in qp}
    n_in = int(traj.loc[best, "n"])
    k_in = int(traj.loc[best, "k"])
    total = int(fail.sum())
    return PrimBox(
        limits=limits,
        full={c: full[c] for c in limits},
        qp={c: float(min(v for v in qp[c] if v >= 0)) for c in qp},
        coverage=k_in / total if total else 0.0,
        density=float(traj.loc[best, "density"]),
        mass=n_in / len(fail),
        base_rate=float(fail.mean()),
        n=n_in,
        remaining_rate=remaining_rate,
        searched=searched,
        trajectory=traj,
        chosen=best,
        significant=significant,
    )


def robustness_portfolios(runs: pd.DataFrame, opt: Any) -> list[str]:
    """The portfolios the robustness stage evaluates (no intervention is always added).

    Every budget's pick, always (the robustness section reports each of them); then, in this order
    until ``optimise.robustness.max_portfolios`` portfolios: the cheaper arm the data cannot tell
    from each pick, the best fixed arm each budget affords, all six, then the fresh frontier's
    portfolios spread over its costs.
    """
    fresh = stage(runs, "fresh")
    fixed = fixed_labels(runs)
    picks = budget_picks(fresh, opt.budgets, [v for k, v in fixed.items() if k != NONE])
    must = list(dict.fromkeys(p.arm for p in picks if p.arm and p.arm != NONE))
    wanted: list[str] = []
    for p in picks:
        wanted += [a for a in (p.cheaper, p.fixed) if a]
    if "all" in fixed:
        wanted.append(fixed["all"])
    means = fresh.groupby("arm")[HEADLINE].mean()
    costs = arm_costs(fresh)
    arms = list(means.index)
    front = [a for a, ok in zip(arms, frontier_mask(costs[arms].to_numpy(), means[arms].to_numpy()), strict=True) if ok]
    front = sorted(front, key=lambda a: costs[a])
    if len(front) > 2:  # spread over the frontier: every k-th, cheapest and dearest included
        step = max(1, len(front) // max(1, opt.robustness.max_portfolios))
        front = [*front[::step], front[-1]]
    wanted += front
    out: list[str] = list(must)
    for a in wanted:
        if len(out) >= max(opt.robustness.max_portfolios, len(must)):
            break
        if a != NONE and a not in out:
            out.append(a)
    return out
