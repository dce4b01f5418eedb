"""Arms run on different worlds: which share one, and comparisons paired only where they do.

Two arms share a world when their ``world.*`` settings (sizes, networks, brokers) agree for every
uncertainty sample: a seed then draws the same province, agents and draws for both (common random
numbers), and they are compared seed by seed.  A seed draws another province when the sizes
differ, so runs on different worlds are independent samples that happen to carry the same seed
number: they are compared by Welch's unpaired t test (Welch 1947, Biometrika 34:28), never paired.
Each arm's effect is against the no-intervention arm of its own world (paired); two arms' effects
are compared paired when they share a world (their difference seed by seed is the difference of
their runs) and by Welch's test on the two sets of per-seed effects when they do not.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from scipy import stats

from sim.stats.intervals import clip_interval, diff_bounds, holm, t_interval
from sim.stats.outcomes import LEVEL, outcome
from sim.stats.paired import pair_keys, paired_effects

#: Prefix of the runs table's columns holding the world's settings.
WORLD_INPUTS = "in.world."


def arm_worlds(runs: pd.DataFrame) -> dict[str, int]:
    """Each arm's world: 0 for the first world met in the table, 1 for the next, and so on.

    Arms share a world when their ``in.world.*`` values agree in every uncertainty sample (the
    sampled parameters of a sensitivity sweep vary by sample, identically in every arm).  A table
    without world inputs is one world.
    """
    columns = sorted(c for c in runs.columns if c.startswith(WORLD_INPUTS))
    table = runs[["arm", *[c for c in ("sample",) if c in runs.columns], *columns]].copy()
    for c in columns:
        if table[c].dtype == object:  # list settings: compared as text
            table[c] = table[c].map(lambda v: json.dumps(v, default=_plain))
    table = table.drop_duplicates().astype(str)
    ids: dict[str, int] = {}
    out = {}
    for arm, group in table.groupby("arm", sort=False):
        rows = sorted(map(tuple, group.drop(columns="arm").to_numpy().tolist()))
        out[str(arm)] = ids.setdefault(json.dumps(rows), len(ids))
    return out


def _plain(value: object) -> object:
    """Lists and numpy values of the runs table as JSON values."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def several_worlds(runs: pd.DataFrame) -> bool:
    """Whether the sweep's arms ran on more than one world."""
    return len(set(arm_worlds(runs).values())) > 1


def references(runs: pd.DataFrame) -> dict[int, str]:
    """The no-intervention arm of each world that has one (the first, if it has several)."""
    worlds = arm_worlds(runs)
    none = runs.loc[runs["interventions"] == "none", "arm"].unique()
    out: dict[int, str] = {}
    for arm in none:
        out.setdefault(worlds[str(arm)], str(arm))
    return out


def world_effects(runs: pd.DataFrame, outcomes: list[str], level: float = LEVEL) -> pd.DataFrame:
    """Each arm's difference from the no-intervention arm of its own world, seed by seed.

    As :func:`sim.stats.paired.paired_effects`, one world at a time, with ``reference`` (the arm
    compared against) and ``world`` columns; Holm's adjustment is over every arm of every world, so
    the family-wise error rate of "distinguishable from no intervention" stays at 5%.  Arms on a
    world without a no-intervention arm have no effect.
    """
    worlds, refs = arm_worlds(runs), references(runs)
    parts = []
    for world, ref in refs.items():
        arms = [a for a, w in worlds.items() if w == world]
        part = paired_effects(runs[runs.arm.isin(arms)], outcomes, ref, level)
        parts.append(part.assign(reference=ref, world=world))
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if table.empty:
        return table
    table["p_holm"] = table.groupby("outcome")["p_value"].transform(lambda s: pd.Series(holm(s.to_numpy()), s.index))
    table["distinguishable"] = table["p_holm"] < 1 - level
    order = {a: i for i, a in enumerate(runs.arm.unique())}
    rank = {k: i for i, k in enumerate(outcomes)}
    return table.sort_values(
        ["arm", "outcome"], key=lambda c: c.map(order) if c.name == "arm" else c.map(rank)
    ).reset_index(drop=True)


def per_seed_effects(runs: pd.DataFrame, key: str) -> pd.DataFrame:
    """Each arm's per-seed difference from its own world's reference (rows: sample and seed; NaN off its world)."""
    worlds, refs = arm_worlds(runs), references(runs)
    wide = runs.pivot_table(index=pair_keys(runs), columns="arm", values=key, aggfunc="mean", dropna=False)
    out = {}
    for arm, world in worlds.items():
        if world in refs and arm in wide:
            out[arm] = wide[arm] - wide[refs[world]]
    return pd.DataFrame(out, index=wide.index)


def compare_effects(runs: pd.DataFrame, key: str, arm: str, others: list[str], level: float = LEVEL) -> pd.DataFrame:
    """Each other arm's effect on ``key`` minus ``arm``'s: paired on a shared world, Welch across worlds.

    Holm's adjustment is over the ``others`` compared with ``arm``.

    Returns:
        One row per other arm: ``arm, outcome, test`` (``paired`` or ``Welch``), ``n`` (pairs, or
        the two sample sizes), ``diff, ci_low, ci_high, p_value, p_holm, distinguishable``.
    """
    worlds = arm_worlds(runs)
    effects = per_seed_effects(runs, key)
    bounds = diff_bounds(diff_bounds(outcome(key).bounds))  # a difference of two differences
    rows = []
    for other in others:
        if worlds[other] == worlds[arm]:
            d = (effects[other] - effects[arm]).dropna().to_numpy(dtype=float)
            m, lo, hi, p = t_interval(d, level)
            test, n = "paired", str(len(d))
        else:
            a, b = effects[arm].dropna().to_numpy(float), effects[other].dropna().to_numpy(float)
            m, lo, hi, p = welch(b, a, level)
            test, n = "Welch", f"{len(b)} and {len(a)}"
        lo, hi = clip_interval(lo, hi, bounds)
        rows.append(
            {
                "arm": other,
                "outcome": key,
                "test": test,
                "n": n,
                "diff": float(m),
                "ci_low": float(lo),
                "ci_high": float(hi),
                "p_value": float(p),
            }
        )
    table = pd.DataFrame(rows, columns=["arm", "outcome", "test", "n", "diff", "ci_low", "ci_high", "p_value"])
    table["p_holm"] = holm(table["p_value"].to_numpy(dtype=float)) if len(table) else []
    table["distinguishable"] = table["p_holm"] < 1 - level
    return table


def welch(x: np.ndarray, y: np.ndarray, level: float = LEVEL) -> tuple[float, float, float, float]:
    """Mean of ``x`` minus mean of ``y``, Welch's t interval and two-sided p-value (scipy.stats.ttest_ind).

    Fewer than two values on either side, or no spread on both, give no interval and p = 1: nothing
    measures the seed-to-seed spread, so nothing is claimed.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    diff = float(x.mean() - y.mean()) if len(x) and len(y) else float("nan")
    if len(x) < 2 or len(y) < 2 or (np.ptp(x) == 0 and np.ptp(y) == 0):
        return diff, float("nan"), float("nan"), 1.0
    res = stats.ttest_ind(x, y, equal_var=False)
    ci = res.confidence_interval(level)
    return diff, float(ci.low), float(ci.high), float(res.pvalue)


def per_100_townships(runs: pd.DataFrame, key: str) -> pd.Series:
    """Each arm's factor turning a value of ``key`` (or a difference of two) into one per 100 townships.

    A share of seats is multiplied by the seats of 100 townships, a count or a cost by 100 over
    the townships, so that worlds of different sizes compare.

    Raises:
        ValueError: ``key`` is neither a share of seats nor a count or cost.
    """
    townships = runs.groupby("arm")["townships"].mean()
    kind = outcome(key).kind
    if kind == "share" and "seat" in key:
        return 100.0 * runs.groupby("arm")["seats"].mean() / townships
    if kind in ("count", "cost"):
        return 100.0 / townships
    raise ValueError(f"{key} is a {kind}, not seats, a count or a cost: it has no value per 100 townships")
