"""Statistics behind the report: arm means, paired effects with bootstrap CIs, Pareto sets, factorial effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

#: Outcomes compared between arms, with their labels (and units) for tables and figures.
OUTCOMES = {
    "bought_seat_rate_final": "Seats vote buying changed, after unseating (share)",
    "payer_seat_rate_final": "Seats held by candidates who paid brokers (share)",
    "bribed_share": "Delegates bribed (share)",
    "detected_before_vote": "Vote buyers caught before the vote (count)",
    "honest_removed": "Honest candidates removed (count)",
    "merit_loss_removals": "Merit lost through removals (per seat)",
    "cost_total": "Cost (staff-days)",
}


class AnalysisError(ValueError):
    """A sweep table that cannot be analysed as asked (e.g. no baseline arm)."""


def baseline_arm(runs: pd.DataFrame) -> str:
    """The arm with no intervention switched on.

    Raises:
        AnalysisError: If the sweep has no such arm.
    """
    arms = runs.loc[runs["interventions"] == "none", "arm"].unique()
    if len(arms) == 0:
        raise AnalysisError(
            "this sweep has no baseline arm (no run with every intervention off); "
            "add policy=none to the sweep to compare arms against it"
        )
    return str(arms[0])


def mean_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of independent replicates."""
    values = np.asarray(values, dtype=float)
    m = float(values.mean()) if len(values) else float("nan")
    if len(values) < 2 or np.all(values == values[0]):
        return m, m, m
    half = stats.t.ppf(0.5 + level / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return m, m - half, m + half


def arm_means(runs: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """Per arm and outcome: replicates, mean and 95% CI (tidy)."""
    rows = []
    for arm, group in runs.groupby("arm", sort=False):
        for key in outcomes:
            m, lo, hi = mean_ci(group[key].to_numpy())
            rows.append({"arm": arm, "outcome": key, "n": len(group), "mean": m, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)


def bootstrap_mean_ci(diffs: np.ndarray, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Bootstrap (BCa, falling back to percentile) CI of the mean of paired differences."""
    diffs = np.asarray(diffs, dtype=float)
    if len(diffs) < 2 or np.all(diffs == diffs[0]):
        m = float(diffs.mean()) if len(diffs) else float("nan")
        return m, m
    rng = np.random.default_rng(seed)
    for method in ("BCa", "percentile"):
        res = stats.bootstrap((diffs,), np.mean, confidence_level=level, n_resamples=2000, method=method, rng=rng)
        lo, hi = res.confidence_interval
        if np.isfinite(lo) and np.isfinite(hi):
            return float(lo), float(hi)
    return float("nan"), float("nan")


def paired_effects(runs: pd.DataFrame, outcomes: list[str], baseline: str | None = None, seed: int = 0) -> pd.DataFrame:
    """Difference of each arm from the baseline, pair by pair on the same seed (and sample).

    Returns:
        One row per arm and outcome: pairs, mean difference, bootstrap 95% CI and whether the CI
        crosses zero.
    """
    baseline = baseline or baseline_arm(runs)
    keys = [k for k in ("sample", "seed") if k in runs.columns]
    base = runs[runs.arm == baseline].set_index(keys)
    rows = []
    for arm, group in runs.groupby("arm", sort=False):
        if arm == baseline:
            continue
        joined = group.set_index(keys).join(base[outcomes].add_suffix("__base"), how="inner")
        for key in outcomes:
            d = (joined[key] - joined[f"{key}__base"]).to_numpy(dtype=float)
            lo, hi = bootstrap_mean_ci(d, seed=seed)
            rows.append(
                {
                    "arm": arm,
                    "outcome": key,
                    "pairs": len(d),
                    "baseline_mean": float(joined[f"{key}__base"].mean()),
                    "diff": float(d.mean()) if len(d) else float("nan"),
                    "ci_low": lo,
                    "ci_high": hi,
                    "crosses_zero": bool(lo <= 0 <= hi),
                }
            )
    return pd.DataFrame(rows)


def pareto_front(cost: np.ndarray, benefit: np.ndarray) -> np.ndarray:
    """Mask of points no other point beats on both cost (lower) and benefit (higher)."""
    cost, benefit = np.asarray(cost, float), np.asarray(benefit, float)
    n = len(cost)
    efficient = np.ones(n, dtype=bool)
    for i in range(n):
        dominated = (cost <= cost[i]) & (benefit >= benefit[i]) & ((cost < cost[i]) | (benefit > benefit[i]))
        efficient[i] = not dominated.any()
    return efficient


def factor_matrix(runs: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """0/1 columns: which interventions each run had switched on."""
    enabled = runs["interventions"].str.split("+")
    return pd.DataFrame({n: enabled.apply(lambda xs, n=n: n in xs).astype(int) for n in names}, index=runs.index)


def factorial_effects(runs: pd.DataFrame, outcome: str, names: list[str]) -> pd.DataFrame:
    """Main and two-way interaction effects from a (full or fractional) two-level factorial.

    Effects are estimated by least squares on -1/+1 coding; an effect is the change in the
    outcome from the factor's low to its high level (twice the coefficient).  A negative
    interaction on an outcome one wants low (such as capture) means the pair works better
    together than the sum of its parts (complements); positive means they overlap (substitutes).

    Returns:
        Rows ``term_a, term_b, effect, se`` (``term_b`` empty for main effects).
    """
    x = factor_matrix(runs, names) * 2 - 1
    cols, labels = [np.ones(len(x))], [("intercept", "")]
    for a in names:
        cols.append(x[a].to_numpy())
        labels.append((a, ""))
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            cols.append((x[a] * x[b]).to_numpy())
            labels.append((a, b))
    design = np.column_stack(cols).astype(float)
    y = runs[outcome].to_numpy(dtype=float)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    dof = max(len(y) - np.linalg.matrix_rank(design), 1)
    sigma2 = float(resid @ resid) / dof
    cov = sigma2 * np.linalg.pinv(design.T @ design)
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    rows = [
        {"term_a": a, "term_b": b, "effect": 2 * c, "se": 2 * s}
        for (a, b), c, s in zip(labels, coef, se, strict=True)
        if a != "intercept"
    ]
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------- sweep kinds
def factorial_factors(runs: pd.DataFrame) -> list[str]:
    """Interventions varied on and off across the sweep's arms, if they form a two-level design.

    Returns the factor names when two or more interventions vary and every pair of them appears
    in all four on/off combinations (so that two-way interactions can be estimated, as in a full
    or resolution-V fractional factorial); otherwise an empty list.
    """
    sets = runs.drop_duplicates("arm")["interventions"].str.split("+").apply(lambda xs: frozenset(xs) - {"none"})
    names = sorted(set().union(*sets)) if len(sets) else []
    varied = [n for n in names if 0 < sum(n in s for s in sets) < len(sets)]
    k = len(varied)
    if k < 2 or len(set(sets)) < 1 + k + k * (k - 1) // 2:  # too few arms to estimate every effect
        return []
    for i, a in enumerate(varied):
        for b in varied[i + 1 :]:
            if len({(a in s, b in s) for s in sets}) < 4:
                return []
    return varied


def dose_key(runs: pd.DataFrame) -> str | None:
    """The one parameter swept over numeric values (arms labelled ``name.key=value``), if any."""
    arms = runs.arm.unique()
    parsed = [a.rsplit("=", 1) for a in arms if "=" in a and "+" not in a]
    if len(parsed) < 3 or len(parsed) != len(arms):
        return None
    keys = {k for k, _ in parsed}
    try:
        [float(v) for _, v in parsed]
    except ValueError:
        return None
    return keys.pop() if len(keys) == 1 else None


def dose_response(runs: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """Outcome means and 95% CIs by intensity of the swept parameter, with marginal returns.

    ``marginal`` is the change in the outcome per unit of intensity from the previous level;
    ``diminishing`` flags levels whose marginal gain is under half that of the first step.
    """
    key = dose_key(runs)
    if key is None:
        raise AnalysisError("this sweep does not vary one numeric parameter across its arms")
    runs = runs.assign(intensity=runs.arm.str.rsplit("=", n=1).str[1].astype(float))
    rows = []
    for x, group in runs.groupby("intensity"):
        for out in outcomes:
            m, lo, hi = mean_ci(group[out].to_numpy())
            rows.append(
                {
                    "parameter": key,
                    "intensity": x,
                    "outcome": out,
                    "n": len(group),
                    "mean": m,
                    "ci_low": lo,
                    "ci_high": hi,
                }
            )
    table = pd.DataFrame(rows).sort_values(["outcome", "intensity"]).reset_index(drop=True)
    table["marginal"] = table.groupby("outcome")["mean"].diff() / table.groupby("outcome")["intensity"].diff()
    first = table.groupby("outcome")["marginal"].transform(lambda s: s.dropna().iloc[0] if s.notna().any() else 0)
    table["diminishing"] = (table.marginal.abs() < 0.5 * first.abs()) & table.marginal.notna()
    return table


def sensitivity_parameters(runs: pd.DataFrame, meta_parameters: list[str]) -> list[str]:
    """The sampled parameters present as input columns."""
    return [p for p in meta_parameters if f"in.{p}" in runs.columns and runs[f"in.{p}"].nunique() > 1]


def sensitivity_indices(runs: pd.DataFrame, outcome: str, parameters: list[str], seed: int = 0) -> pd.DataFrame:
    """First-order sensitivity indices (RBD-FAST, SALib) of ``outcome`` for each arm.

    Replicates of a sample are averaged first, so the indices speak of the parameters, not of
    the seeds.
    """
    from SALib.analyze import rbd_fast

    rows = []
    for arm, group in runs[runs["sample"] >= 0].groupby("arm", sort=False):
        per_sample = group.groupby("sample")[[f"in.{p}" for p in parameters] + [outcome]].mean()
        x = per_sample[[f"in.{p}" for p in parameters]].to_numpy()
        y = per_sample[outcome].to_numpy()
        bounds = [[float(x[:, i].min()), float(x[:, i].max())] for i in range(len(parameters))]
        problem = {"num_vars": len(parameters), "names": parameters, "bounds": bounds}
        harmonics = 4 if len(y) >= 64 else 2  # fewer harmonics for small samples (SALib's bias correction)
        res = rbd_fast.analyze(problem, x, y, M=harmonics, num_resamples=200, conf_level=0.95, seed=seed)
        for p, s1, conf in zip(parameters, res["S1"], res["S1_conf"], strict=True):
            rows.append({"arm": arm, "parameter": p, "S1": float(s1), "S1_conf": float(conf)})
    return pd.DataFrame(rows)


def policy_wins(runs: pd.DataFrame, outcome: str = "bought_seat_rate_final") -> pd.DataFrame:
    """Share of uncertainty samples in which each arm has the lowest ``outcome``."""
    per = runs[runs["sample"] >= 0].groupby(["sample", "arm"])[outcome].mean().unstack("arm")
    winners = per.idxmin(axis=1)
    share = winners.value_counts(normalize=True).reindex(per.columns, fill_value=0.0)
    return pd.DataFrame({"arm": share.index, "win_share": share.to_numpy(), "samples": len(per)}).sort_values(
        "win_share", ascending=False
    )
