"""How often each claim of the first screen holds across draws: seeds, + calibrated parameters, + assumptions.

A layered sweep (:mod:`sim.sweeps.assumptions`) runs every draw in three layers on the same seeds:
(a) the default parameters, (b) the draw's posterior parameters, (c) those and the draw's assumed
values.  In each draw, each claim is made on the draw's means (over its seeds, every arm on the
same seeds) by the functions that make it for the whole sweep:

* *best arm*: the lowest mean of the ranking outcome (:func:`sim.stats.uncertainty._best`, ties split);
* *efficient arms*: arms on the cost-effect frontier (:func:`sim.stats.cea.frontier`, effect =
  seats prevented, cost = staff-days booked in that draw);
* *best for a budget*: the lowest outcome among arms whose cost in the draw is within the budget
  (ties split);
* *best by net benefit*: the largest mean net benefit (:func:`sim.stats.net_benefit.net_benefit_pairs`),
  counted only when it is above zero (else no arm).

The probability of a claim in a layer is the share of the layer's draws in which it is made.  A
claim *holds* in a layer when the draws show it is made in most of them: the Wilson 95% interval
of the share lies above :data:`HOLDS`; it *fails* when the interval lies below.  A claim that holds
under seed noise and fails once parameters or assumptions are added *flips* (:func:`flips`); on
noise (arms alike) no claim is said to hold in more than 5% of sweeps
(``tests/test_claims_layers.py``).  Per-draw claims are point claims: the whole sweep's tests
(distinguishable, Holm-adjusted) say whether the seeds separate the arms; these shares say how
often the order of the means survives what varies.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from sim.stats.cea import EFFICIENT, frontier
from sim.stats.net_benefit import net_benefit_pairs
from sim.stats.outcomes import HARM, outcome
from sim.stats.uncertainty import _best

#: A claim holds in a layer when the Wilson interval of its share of draws lies above this (fails: below).
HOLDS = 0.5

#: Confidence of that interval.
LEVEL = 0.95

#: The claims, in the order of the first screen.
CLAIMS = ("best", "efficient", "budget", "net_benefit")


def _means(runs: pd.DataFrame, column: str) -> pd.DataFrame:
    """Mean of ``column`` per draw (rows) and arm (columns)."""
    return runs.pivot_table(index="sample", columns="arm", values=column, aggfunc="mean")


def draw_claims(
    runs: pd.DataFrame,
    key: str,
    baseline: str,
    harm_weight: float = 1.0,
    budgets: list[float] | tuple[float, ...] = (),
) -> pd.DataFrame:
    """Each claim's credit per draw: rows (claim, budget, arm), columns draws; values in [0, 1].

    Args:
        runs: Runs of one layer (``sample``, ``replicate``, ``arm``, ``key``, ``cost_total``; ``seats``
            and the harm for net benefit).
        key: The ranking outcome (a share of seats; lower is better unless declared otherwise).
        baseline: The no-intervention arm.
        harm_weight: Seats one honest candidate removed is worth (net benefit).
        budgets: Staff-day budgets for the best-for-a-budget claim.
    """
    lower = outcome(key).better == "lower"
    rate = _means(runs, key)
    sign = 1.0 if lower else -1.0
    arms = [a for a in rate.columns if a != baseline]
    rows: list[pd.Series] = []
    best = _best(rate[arms], lower_is_better=lower)
    rows += [best[a].rename(("best", np.nan, a)) for a in arms]
    cost = _means(runs, "cost_total") if "cost_total" in runs else None
    if cost is not None:
        prevented = sign * rate[arms].rsub(rate[baseline], axis=0)
        eff = pd.DataFrame(0.0, index=rate.index, columns=arms)
        for s in rate.index:
            extra = cost.loc[s, arms] - cost.loc[s, baseline]  # incremental, as the sweep's frontier
            table = frontier([baseline, *arms], [0.0, *extra], [0.0, *prevented.loc[s]])
            on = table[(table.status == EFFICIENT) & (table.arm != baseline)].arm
            eff.loc[s, list(on)] = 1.0
        rows += [eff[a].rename(("efficient", np.nan, a)) for a in arms]
        for b in budgets:
            affordable = rate[arms].where(cost[arms] <= float(b) + 1e-9)
            pick = _best(affordable, lower_is_better=lower)
            rows += [pick[a].rename(("budget", float(b), a)) for a in arms]
    if {"seats", HARM, "cost_total"} <= set(runs):
        nb = net_benefit_pairs(runs, key, baseline, harm_weight).groupby(level="sample").mean()
        positive = nb[arms].where(nb[arms] > 0)
        win = _best(positive, lower_is_better=False)
        rows += [win[a].rename(("net_benefit", np.nan, a)) for a in arms]
    out = pd.DataFrame(rows)
    out.index = pd.MultiIndex.from_tuples(out.index, names=["claim", "budget", "arm"])
    return out


def claim_probabilities(
    runs: pd.DataFrame,
    layer: pd.Series | np.ndarray,
    key: str,
    baseline: str,
    harm_weight: float = 1.0,
    budgets: list[float] | tuple[float, ...] = (),
) -> pd.DataFrame:
    """Each claim's probability in each layer: the share of the layer's draws in which it is made.

    Args:
        runs: The layered sweep's runs.
        layer: The layer of each run (``a``, ``b``, ``c``), aligned with ``runs``.
        key: The ranking outcome (:func:`draw_claims`).
        baseline: The no-intervention arm.
        harm_weight: Seats one honest candidate removed is worth.
        budgets: Staff-day budgets for the best-for-a-budget claim.

    Returns:
        One row per (claim, budget, arm): ``p_a``, ``p_b``, ``p_c`` (absent for a layer with no
        draws), ``verdict_a`` ... (``holds``, ``fails`` or ``unclear``) and ``draws_a`` ... the
        number of draws of each layer.
    """
    layer = pd.Series(np.asarray(layer), index=runs.index)
    cols = {}
    for name in ("a", "b", "c"):
        sub = runs[layer == name]
        if sub.empty:
            continue
        credit = draw_claims(sub, key, baseline, harm_weight, budgets)
        share = credit.mean(axis=1)
        low, high = proportion_confint(share * credit.shape[1], credit.shape[1], alpha=1 - LEVEL, method="wilson")
        cols[f"p_{name}"] = share
        cols[f"verdict_{name}"] = np.where(low > HOLDS, "holds", np.where(high < HOLDS, "fails", "unclear"))
        cols[f"draws_{name}"] = pd.Series(credit.shape[1], index=credit.index)
    return pd.DataFrame(cols).reset_index()


def flips(probabilities: pd.DataFrame) -> pd.DataFrame:
    """The claims that hold under seed noise (layer a) and fail once parameters or assumptions are added.

    Returns:
        Rows of :func:`claim_probabilities` that hold in layer a and fail in b or c, with
        ``flips_at``: ``b`` (the calibrated parameters already flip it) or ``c`` (the assumptions do).
    """
    p = probabilities
    if "verdict_a" not in p:
        return p.iloc[0:0].assign(flips_at=pd.Series(dtype=str))
    held = p.verdict_a == "holds"
    at_b = held & (p.get("verdict_b", pd.Series("", index=p.index)) == "fails")
    at_c = held & ~at_b & (p.get("verdict_c", pd.Series("", index=p.index)) == "fails")
    out = p[at_b | at_c].copy()
    out["flips_at"] = np.where(at_b[at_b | at_c], "b", "c")
    return out.reset_index(drop=True)
