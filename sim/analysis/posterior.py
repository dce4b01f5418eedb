"""Decisions under parameter uncertainty: sweeps that draw their parameters from the calibration's posterior.

A posterior sweep crosses ``n`` posterior draws with the replicate seeds, and every arm sees the
same draws and the same seeds (common random numbers across arms): run ``(sample i, replicate r)``
of every arm uses posterior draw ``i`` and seed ``r``.  The draws are a weighted resample of the
stored posterior (``docs/calibration_posterior.parquet``, written by ``experiments/calibrate.py``),
reproducible from a seed.

The analysis pairs each arm with the baseline run by run, averages over seeds within a draw, and
reads the distribution over draws: effects with intervals that include parameter uncertainty, the
probability that each arm is best, and how the ranking of arms moves across the posterior.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.stats import kish

ROOT = Path(__file__).resolve().parents[2]

#: The stored posterior sample sweeps draw from by default.
DEFAULT_POSTERIOR = ROOT / "docs" / "calibration_posterior.parquet"

#: Share of posterior draws in the range the effects table gives (the central 90%: 5th to 95th percentile).
RANGE_LEVEL = 0.9

#: Fewest posterior draws from which the report says how often each arm is best and how stable the ranking is.
MIN_DRAWS = 10

#: What the section's ranges are (shown on the report's first screen, beside the 95% intervals of the means).
INTERVAL_NOTE = (
    f"Under parameter uncertainty, each arm's effect is averaged over seeds within a posterior draw; low to high "
    f"is the central {RANGE_LEVEL:.0%} range of that effect across posterior draws (5th to 95th percentile: where "
    "the effect lies for most plausible parameter values, not a confidence interval of its mean), and mc_low to "
    "mc_high is a 95% interval of its mean over the draws."
)


def resolve(path: str | Path) -> Path:
    """A posterior path, relative paths taken from the project root."""
    p = Path(path)
    return p if p.is_absolute() else ROOT / p


def load_posterior(path: str | Path = DEFAULT_POSTERIOR) -> pd.DataFrame:
    """The stored weighted posterior sample: configuration keys (dotted) and ``weight``.

    Raises:
        FileNotFoundError: no posterior at that path (run ``python experiments/calibrate.py``).
        ValueError: the file has no weight or no configuration keys.
    """
    df = pd.read_parquet(resolve(path))
    keys = [c for c in df.columns if "." in c]
    if "weight" not in df or not keys:
        raise ValueError(f"{path} is not a posterior sample (needs dotted configuration keys and 'weight')")
    w = df["weight"].to_numpy(dtype=float)
    if not (np.isfinite(w).all() and (w >= 0).all() and w.sum() > 0):
        raise ValueError(f"{path}: weights must be finite, non-negative and not all zero")
    return df[[*keys, "weight"]]


def effective_sample_size(sample: pd.DataFrame) -> float:
    """Kish's effective sample size over the sample's distinct parameter sets.

    Kish (1965): ``(sum w)^2 / sum w^2``, with the weights of identical rows summed first.
    Replenishment ABC-SMC gives equal weights and leaves duplicates (copies whose moves were
    refused), so 200 particles with 163 distinct points are not 200 independent draws.

    Args:
        sample: parameter columns and ``weight``.
    """
    keys = [c for c in sample.columns if c != "weight"]
    w = sample.groupby(keys, sort=False)["weight"].sum().to_numpy(dtype=float) if keys else sample["weight"].to_numpy()
    return kish(w)


def posterior_design(path: str | Path, n: int, seed: int) -> tuple[list[str], np.ndarray]:
    """``n`` posterior draws as a design matrix (the shape of the sensitivity experiment's design).

    Draws are a multinomial resample of the weighted sample with a generator seeded by ``seed``, so
    every job of a sweep (and every arm) gets the same draws.

    Returns:
        Configuration keys and an ``n x keys`` matrix of values.
    """
    df = load_posterior(path)
    keys = [c for c in df.columns if c != "weight"]
    w = df["weight"].to_numpy(dtype=float)
    idx = np.random.default_rng(seed).choice(len(df), size=n, replace=True, p=w / w.sum())
    return keys, df[keys].to_numpy(dtype=float)[idx]


def posterior_overrides(path: str | Path, i: int, n: int, seed: int) -> dict[str, float]:
    """The configuration overrides of posterior draw ``i`` of ``n`` (seeded as in :func:`posterior_design`)."""
    if not 0 <= i < n:
        raise IndexError(f"draw {i} is not among {n} draws")
    keys, design = posterior_design(path, n, seed)
    return {k: float(v) for k, v in zip(keys, design[i], strict=True)}


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


def ranking_sentence(best: pd.DataFrame, stab: dict[str, Any]) -> str:
    """How often the best arm is best across posterior draws and how stable the ranking is.

    Said only from :data:`MIN_DRAWS` draws on; with fewer, the sentence says neither is estimated.

    Args:
        best: :func:`probability_best` table.
        stab: :func:`ranking_stability` result.
    """
    from sim.analysis.plots import arm_name

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
        lead = f"{names} has the fewest bought seats in {share.max():.0%} of them (ties split)"
    else:
        lead = f"{names} share the fewest bought seats ({share.max():.0%} of draws each, ties split)"
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
        lines.append(ranking_sentence(best, stab))
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
