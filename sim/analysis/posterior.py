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

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]

#: The stored posterior sample sweeps draw from by default.
DEFAULT_POSTERIOR = ROOT / "docs" / "calibration_posterior.parquet"

#: What the report says its intervals are (shown on its first screen).
INTERVAL_NOTE = (
    "Intervals include parameter uncertainty: each arm's effect is averaged over seeds within a posterior "
    "draw, and the interval is the 5%-95% range of that effect across posterior draws."
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
    """Mean of an outcome per arm and posterior draw (over its seeds): rows draws, columns arms."""
    return runs.pivot_table(index="sample", columns="arm", values=outcome, aggfunc="mean")


def effect_intervals(
    runs: pd.DataFrame, outcome: str = "bought_seat_rate_final", baseline: str = "none", level: float = 0.9
) -> pd.DataFrame:
    """Each arm's effect (arm minus baseline, paired by draw and seed) with parameter uncertainty.

    Returns:
        One row per arm: mean effect; ``low``/``high``: the central ``level`` range of the draw-mean
        effect across posterior draws; ``mc_low``/``mc_high``: a 95% interval of the mean effect
        itself (Monte Carlo error over draws); ``share_harmful``: share of draws where the arm makes
        the outcome worse.
    """
    keys = ["sample", "replicate"]
    base = runs[runs.arm == baseline].set_index(keys)[outcome]
    rows = []
    for arm, group in runs[runs.arm != baseline].groupby("arm", sort=True):
        diff = group.set_index(keys)[outcome] - base.reindex(group.set_index(keys).index)
        per_draw = diff.groupby(level="sample").mean().dropna().to_numpy()
        if len(per_draw) == 0:
            continue
        lo, hi = np.quantile(per_draw, [(1 - level) / 2, (1 + level) / 2])
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
    """Share of posterior draws in which each arm takes each rank (1 = lowest outcome; ties averaged)."""
    ranks = draw_means(runs, outcome).rank(axis=1, method="average")
    rows = []
    for arm in ranks.columns:
        counts = ranks[arm].round().value_counts(normalize=True)
        rows.append({"arm": arm, **{f"rank_{int(k)}": float(v) for k, v in counts.sort_index().items()}})
    return pd.DataFrame(rows).fillna(0.0)


def ranking_stability(runs: pd.DataFrame, outcome: str = "bought_seat_rate_final") -> dict[str, float | str]:
    """How the ranking of arms moves across the posterior.

    Returns:
        The ranking of the posterior-mean outcomes, the share of draws that rank arms exactly so,
        and the share of draws whose best arm is that ranking's first.
    """
    means = draw_means(runs, outcome).dropna()
    order = list(means.mean().sort_values().index)
    per_draw = means.apply(lambda row: list(row.sort_values().index), axis=1)
    same = float(np.mean([r == order for r in per_draw]))
    same_best = float(np.mean([r[0] == order[0] for r in per_draw]))
    return {"ranking": " < ".join(order), "same_ranking": same, "same_best": same_best, "draws": len(means)}


def posterior_section(
    runs: pd.DataFrame, outcome: str = "bought_seat_rate_final", baseline: str = "none"
) -> tuple[list[tuple[str, pd.DataFrame, str]], list[str]]:
    """Tables and summary lines of a posterior sweep for the report.

    Returns:
        ``(title, table, caption)`` triples and the lines for the report's first screen.
    """
    effects = effect_intervals(runs, outcome, baseline)
    best = probability_best(runs, outcome, baseline)
    ranks = rank_distribution(runs, outcome)
    stab = ranking_stability(runs, outcome)
    lines = [INTERVAL_NOTE]
    if len(best):
        top = best.iloc[0]
        lines.append(
            f"Across {stab['draws']} posterior draws, {top.arm} has the fewest bought seats in "
            f"{top.p_best_outcome:.0%} of them; the ranking at the posterior mean ({stab['ranking']}) "
            f"holds exactly in {stab['same_ranking']:.0%} of draws, its best arm in {stab['same_best']:.0%}."
        )
    tables = [
        ("Effects under parameter uncertainty", effects, INTERVAL_NOTE),
        ("Probability of being best", best, "Share of posterior draws in which each arm is best (ties split)."),
        ("Ranks across the posterior", ranks, "Share of posterior draws in which each arm takes each rank."),
    ]
    return tables, lines
