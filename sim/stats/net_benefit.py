"""Benefit and harm in one decision: seats prevented less the honest candidates removed, weighed.

An arm's *net benefit* against no intervention, seed by seed (common random numbers make the
pairs), is the seats it prevents on the ranking outcome (the baseline's share of seats minus the
arm's, times the seats: :func:`sim.stats.cea.per_pair`) less ``weight`` times the honest
candidates it removes beyond what no intervention removes.  ``weight`` is how many captured seats
one honest candidate removed is worth (``report.harm_weight``); net benefit is in seats per
election round.

The arm with the largest mean net benefit is *best by net benefit* only when its net benefit is
distinguishable from no intervention's (above zero) and from every other arm's (paired t tests
corrected for skewed differences, Holm-adjusted, as :func:`sim.stats.paired.paired_effects`): on
noise the claim is made in at most 5% of sweeps (``tests/test_net_benefit.py``).  Where the point
estimates put the choice of the best arm as the weight grows is :func:`flip_weight` (means only:
a statement about the estimates, not a claim).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.stats.cea import per_pair
from sim.stats.intervals import holm, t_interval
from sim.stats.outcomes import HARM, LEVEL
from sim.stats.paired import pair_keys
from sim.stats.skew_corrected import skew_corrected_pvalues


def net_benefit_pairs(runs: pd.DataFrame, key: str, baseline: str, weight: float, harm: str = HARM) -> pd.DataFrame:
    """Each arm's net benefit against ``baseline``, pair by pair (rows: seeds; columns: arms; baseline 0).

    Args:
        runs: The runs table (``arm``, the pair keys, ``key``, ``seats``, ``cost_total``, ``harm``).
        key: The ranking outcome, a share of seats.
        baseline: The no-intervention arm.
        weight: Seats one unit of ``harm`` is worth (0 or more).
        harm: The harm counted (honest candidates removed).
    """
    if not weight >= 0:
        raise ValueError(f"harm weight {weight!r} must be a number of seats, 0 or more")
    prevented, _ = per_pair(runs, key, baseline)
    harms = runs.pivot_table(index=pair_keys(runs), columns="arm", values=harm).loc[prevented.index]
    return prevented - weight * harms.sub(harms[baseline], axis=0)


def net_benefit_effects(
    runs: pd.DataFrame, key: str, baseline: str, weight: float, harm: str = HARM, level: float = LEVEL
) -> pd.DataFrame:
    """Mean net benefit of each arm with its paired t interval and Holm-adjusted test against zero.

    Returns:
        One row per arm but the baseline: ``arm, pairs, net_benefit, ci_low, ci_high, p_value, p_holm,
        distinguishable`` (``p_holm < 1 - level``).
    """
    return _effects(net_benefit_pairs(runs, key, baseline, weight, harm), baseline, level)


def _effects(nb: pd.DataFrame, baseline: str, level: float) -> pd.DataFrame:
    """:func:`net_benefit_effects` from the pairs' net benefits."""
    rows = []
    arms = [a for a in nb.columns if a != baseline]
    for arm in arms:
        m, lo, hi, p = t_interval(nb[arm].to_numpy(dtype=float), level)
        rows.append({"arm": arm, "pairs": len(nb), "net_benefit": m, "ci_low": lo, "ci_high": hi, "p_value": p})
    table = pd.DataFrame(rows, columns=["arm", "pairs", "net_benefit", "ci_low", "ci_high", "p_value"])
    if len(table):  # skewed differences: the larger of t's and Hall's p-values (sim.stats.skew_corrected)
        table["p_value"] = skew_corrected_pvalues([nb[a].to_numpy(dtype=float) for a in arms], table.p_value)
    table["p_holm"] = holm(table["p_value"].to_numpy()) if len(table) else []
    table["distinguishable"] = table["p_holm"] < 1 - level
    return table


@dataclass
class NetBest:
    """The arm with the largest mean net benefit among those distinguishably above zero.

    Attributes:
        arm: The arm.
        effect: Its row of :func:`net_benefit_effects`.
        indistinct: Other arms whose net benefit the data cannot tell from it (Holm-adjusted).
        tied: Arms with the same mean net benefit.
        weight: The harm weight used.
    """

    arm: str
    effect: pd.Series
    indistinct: list[str] = field(default_factory=list)
    tied: list[str] = field(default_factory=list)
    weight: float = 1.0

    @property
    def is_best(self) -> bool:
        """True when "best by net benefit" may be said: distinguishable from every other arm."""
        return not self.indistinct and not self.tied


def best_by_net_benefit(
    runs: pd.DataFrame, key: str, baseline: str, weight: float, harm: str = HARM, level: float = LEVEL
) -> NetBest | None:
    """The arm with the largest net benefit, and the arms the data cannot tell from it.

    Only arms whose net benefit is distinguishably above zero are candidates: an arm that does
    more harm than good at this weight is never best.

    Returns:
        None when no arm's net benefit is distinguishably above no intervention's.
    """
    nb = net_benefit_pairs(runs, key, baseline, weight, harm)
    effects = _effects(nb, baseline, level)
    good = effects[effects.distinguishable & (effects.net_benefit > 0)]
    if good.empty:
        return None
    top = good.loc[good.net_benefit.idxmax()]
    tied = good[np.isclose(good.net_benefit, top.net_benefit, rtol=1e-12, atol=1e-12)].arm.tolist()
    tied = [a for a in tied if a != top.arm]
    others = [a for a in nb.columns if a not in (baseline, top.arm, *tied)]
    diffs = [(nb[top.arm] - nb[a]).to_numpy(dtype=float) for a in others]
    p = skew_corrected_pvalues(diffs, np.array([t_interval(d, level)[3] for d in diffs], dtype=float))
    adjusted = holm(np.asarray(p, dtype=float)) if others else np.zeros(0)
    indistinct = [a for a, q in zip(others, adjusted, strict=True) if not q < 1 - level]
    return NetBest(str(top.arm), top, indistinct, tied, float(weight))


@dataclass(frozen=True)
class Flip:
    """Where the arm with the largest mean net benefit changes as the harm weight grows from 0.

    Attributes:
        first: The arm with the largest mean net benefit at weight 0 (most seats prevented).
        weight: The weight above which another arm's mean net benefit is larger (None: never).
        then: That arm (the baseline when doing nothing is better).
    """

    first: str
    weight: float | None
    then: str | None


def flip_weight(runs: pd.DataFrame, key: str, baseline: str, harm: str = HARM) -> Flip:
    """The smallest harm weight at which the arm with the largest mean net benefit is no longer the first.

    Net benefit is linear in the weight (``prevented - weight * harm``), so the arm first in seats
    prevented stays first until the line of an arm with less harm crosses it, at
    ``(prevented_first - prevented_a) / (harm_first - harm_a)``; the smallest such weight is the
    flip.  No intervention counts as an arm (0 prevented, 0 harm).
    """
    prevented = net_benefit_pairs(runs, key, baseline, 0.0, harm).mean()
    harms = net_benefit_pairs(runs, key, baseline, 1.0, harm).mean().rsub(prevented)  # extra harm per arm
    order = sorted(prevented.index, key=lambda a: (-prevented[a], harms[a], a != baseline))
    first = order[0]
    crossings = [
        ((prevented[first] - prevented[a]) / (harms[first] - harms[a]), a)
        for a in prevented.index
        if a != first and harms[a] < harms[first]
    ]
    if not crossings:
        return Flip(str(first), None, None)
    w, then = min(crossings)
    return Flip(str(first), float(w), str(then))
