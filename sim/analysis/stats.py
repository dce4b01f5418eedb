"""Statistics behind the report: outcomes, intervals, multiplicity, factorial, dose-response, sensitivity.

The outcome registry says what each outcome is, its unit, range and better direction.

Intervals are Student t intervals: of the mean over replicates for one arm, and of the mean of
seed-by-seed differences for a comparison (common random numbers make the pairs). The paired t
interval keeps its 95% coverage at every replicate count for differences that are close to normal;
a percentile bootstrap does not at small counts (Efron & Tibshirani 1993, ch. 13: it is too narrow by
the factor sqrt((n-1)/n) and ignores the t quantile). ``tests/test_stats.py`` measures the coverage.

A sample with no spread (every value, or every pair's difference, the same x) has no t interval.
It is judged without assuming any distribution, by the sign test: n values all on one side of zero
have two-sided p = min(1, 2 * 0.5^n), and inverting the sign test gives the interval [x, x] for the
median, which covers it with probability at least 1 - 2 * 0.5^n, 95% from n = 6 on. Below that
there is no interval. Seat counts make such samples common: at 2 or 3 seeds the pairs of a null arm
often differ by the same single seat, and must not be called distinguishable.

Intervals of quantities with a natural range (shares in [0, 1], counts >= 0) are intersected with
that range: the true value always lies in it, so the intersection covers exactly as often as the
interval it comes from, and no band runs below zero.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import isotonic_regression
from statsmodels.stats.multitest import multipletests  # Benjamini-Hochberg for the factorial

#: Confidence level of every interval in the report, and family-wise error rate of its claims.
LEVEL = 0.95
ALPHA = 1 - LEVEL


@dataclass(frozen=True)
class Outcome:
    """One outcome of a run: what it is, its unit and range, and which direction is better.

    Attributes:
        key: Column name in ``runs.parquet`` / ``summary.json``.
        label: Words for tables and figures, without the unit.
        kind: ``share`` (0..1, shown in per cent, differences in percentage points), ``count``,
            ``merit`` (a mean merit difference) or ``cost`` (staff-days).
        better: ``lower`` or ``higher``.
        residual: How to say what is left of it, with ``{level}`` for the value (optional).
    """

    key: str
    label: str
    kind: str
    better: str = "lower"
    residual: str = ""

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        """The range of a run's value (None: unbounded)."""
        return {"share": (0.0, 1.0), "count": (0.0, None), "cost": (0.0, None)}.get(self.kind, (None, None))

    @property
    def scale(self) -> float:
        """Factor from stored value to displayed value (shares are shown in per cent)."""
        return 100.0 if self.kind == "share" else 1.0

    @property
    def unit(self) -> str:
        """Unit of a displayed level."""
        return {"share": "%", "count": "count", "cost": "staff-days", "merit": "merit points"}[self.kind]

    @property
    def diff_unit(self) -> str:
        """Unit of a displayed difference."""
        return "percentage points" if self.kind == "share" else self.unit


#: Every outcome the report knows, by key.
REGISTRY: dict[str, Outcome] = {
    o.key: o
    for o in (
        Outcome(
            "bought_seat_rate_final",
            "Seats vote buying changed, after unseating",
            "share",
            residual="vote buying still changes the winner of {level} of seats after unseating",
        ),
        Outcome("bought_seat_rate", "Seats vote buying changed on congress day", "share"),
        Outcome("seats_bought_final", "Seats vote buying changed, after unseating", "count"),
        Outcome("payer_seat_rate_final", "Seats held by candidates who paid brokers", "share"),
        Outcome("bribed_share", "Delegates bribed", "share"),
        Outcome("detected_before_vote", "Vote buyers caught before the vote", "count", "higher"),
        Outcome("honest_removed", "Honest candidates removed", "count"),
        Outcome("merit_loss_removals", "Merit lost per seat through removals", "merit"),
        Outcome("merit_loss_buying", "Merit lost per seat through vote buying", "merit"),
        Outcome("merit_loss", "Merit lost per seat against a clean election", "merit"),
        Outcome("cost_total", "Cost", "cost"),
    )
}

#: The headline outcome: what an arm is ranked by and what cost-effectiveness counts. A bought seat
#: prevented (a seat whose winner vote buying would have changed) is the unit of benefit.
HEADLINE = "bought_seat_rate_final"

#: Harms of the interventions, shown beside the headline wherever it appears.
HARMS: tuple[str, ...] = ("honest_removed", "merit_loss_removals")

#: Outcomes compared between arms, in the order of tables and figure panels.
OUTCOMES: list[str] = [HEADLINE, "payer_seat_rate_final", "bribed_share", "detected_before_vote", *HARMS, "cost_total"]


def outcome(key: str) -> Outcome:
    """The registry entry of ``key`` (a plain count for keys the registry does not know)."""
    return REGISTRY.get(key, Outcome(key, key.replace("_", " ").capitalize(), "count"))


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


# ------------------------------------------------------------------------------------ intervals
def clip_interval(
    lo: np.ndarray | float, hi: np.ndarray | float, bounds: tuple[float | None, float | None]
) -> tuple[np.ndarray, np.ndarray]:
    """Intersect intervals with the range their parameter lies in (coverage is unchanged)."""
    low, high = bounds
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    if low is not None:
        lo, hi = np.maximum(lo, low), np.maximum(hi, low)
    if high is not None:
        lo, hi = np.minimum(lo, high), np.minimum(hi, high)
    return lo, hi


def diff_bounds(bounds: tuple[float | None, float | None]) -> tuple[float | None, float | None]:
    """Range of a difference of two values that each lie in ``bounds``."""
    low, high = bounds
    if low is None or high is None:
        return None, None
    return low - high, high - low


def sign_test_min_n(level: float = LEVEL) -> int:
    """Fewest values, all equal, whose sign-test interval [x, x] has coverage ``level`` (6 at 95%).

    The interval for the median from the extreme order statistics of n values covers it with
    probability at least ``1 - 2 * 0.5^n`` (distribution-free).
    """
    return math.ceil(math.log2(2 / (1 - level)) - 1e-12)


def t_interval(
    values: np.ndarray, level: float = LEVEL, axis: int = -1
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean, Student t interval and two-sided p-value (against 0) along ``axis`` (scipy.stats.ttest_1samp).

    Vectorised: ``values`` may hold many samples at once. With fewer than two values there is no
    interval (NaN bounds) and the p-value is 1.

    With no spread (all n values equal x) the t interval does not exist, and a zero-width interval
    with p = 0 would call one seat's difference on two seeds certain. The sample is judged by the
    exact sign test instead: p = min(1, 2 * 0.5^n) when x is not 0 (1 when it is), and the interval
    is [x, x] (the sign-test interval for the median, coverage at least 1 - 2 * 0.5^n) only when
    that coverage reaches ``level``, i.e. from :func:`sign_test_min_n` values on (6 at 95%);
    otherwise NaN bounds.

    Returns:
        ``mean, low, high, p`` arrays (scalars for one sample).
    """
    values = np.asarray(values, dtype=float)
    n = values.shape[axis]
    mean = values.mean(axis=axis) if n else np.full(np.delete(values.shape, axis), np.nan)
    if n < 2:  # one replicate says nothing about seed-to-seed spread: no interval, never significant
        nan = np.full_like(mean, np.nan)
        return mean, nan, nan.copy(), np.ones_like(mean)
    spread = values.std(axis=axis, ddof=1)
    with warnings.catch_warnings():  # near-constant samples are handled below
        warnings.simplefilter("ignore", RuntimeWarning)
        res = stats.ttest_1samp(values, 0.0, axis=axis)
    ci = res.confidence_interval(level)
    flat = spread <= 1e-12 * np.maximum(np.abs(mean), 1.0)
    flat_end = mean if n >= sign_test_min_n(level) else np.nan
    lo = np.where(flat, flat_end, ci.low)
    hi = np.where(flat, flat_end, ci.high)
    sign_p = min(1.0, 2 * 0.5**n)
    p = np.where(flat, np.where(np.abs(mean) > 0, sign_p, 1.0), res.pvalue)
    return mean, lo, hi, p


def mean_ci(
    values: np.ndarray, level: float = LEVEL, bounds: tuple[float | None, float | None] = (None, None)
) -> tuple[float, float, float]:
    """Mean and Student t confidence interval of independent replicates, kept within ``bounds``."""
    m, lo, hi, _ = t_interval(np.asarray(values, dtype=float), level)
    lo, hi = clip_interval(lo, hi, bounds)
    return float(m), float(lo), float(hi)


def holm(pvalues: np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values along the last axis (each row one family; Holm 1979, Scand J Stat 6:65).

    The step-down adjustment ``max_(j<=i) min(1, (m - j + 1) p_(j))`` over the sorted p-values,
    vectorised over many families at once; ``tests/test_stats.py`` checks it against
    statsmodels' ``multipletests(method="holm")``. Missing p-values are left out of the family.
    """
    p = np.asarray(pvalues, dtype=float)
    if p.ndim == 1 and not np.isfinite(p).all():
        out = np.full(p.shape, np.nan)
        ok = np.isfinite(p)
        out[ok] = holm(p[ok])
        return out
    m = p.shape[-1]
    if m == 0:
        return p.copy()
    order = np.argsort(p, axis=-1, kind="stable")
    ranked = np.take_along_axis(p, order, axis=-1) * (m - np.arange(m))
    adjusted = np.minimum(np.maximum.accumulate(ranked, axis=-1), 1.0)
    out = np.empty_like(adjusted)
    np.put_along_axis(out, order, adjusted, axis=-1)
    return out


def arm_means(runs: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """Per arm and outcome: replicates, mean and 95% t interval within the outcome's range (tidy)."""
    rows = []
    for arm, group in runs.groupby("arm", sort=False):
        for key in outcomes:
            m, lo, hi = mean_ci(group[key].to_numpy(), bounds=outcome(key).bounds)
            rows.append({"arm": arm, "outcome": key, "n": len(group), "mean": m, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)


def kish(weights: np.ndarray) -> float:
    """Kish's (1965) effective sample size of weighted observations, ``(sum w)^2 / sum w^2`` (0 when empty)."""
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / np.sum(w**2)) if len(w) else 0.0


def pair_keys(runs: pd.DataFrame) -> list[str]:
    """Columns that identify a pair across arms: the seed (and the uncertainty sample, if any)."""
    return [k for k in ("sample", "seed") if k in runs.columns]


def paired_effects(
    runs: pd.DataFrame, outcomes: list[str], baseline: str | None = None, level: float = LEVEL
) -> pd.DataFrame:
    """Difference of each arm from the baseline, pair by pair on the same seed (and sample).

    The interval is the paired t interval; ``p_holm`` adjusts the paired t test's p-value for the
    number of arms compared (Holm 1979, within each outcome), and ``distinguishable`` is
    ``p_holm < 1 - level``: the family-wise error rate of "distinguishable from the baseline"
    claims over all arms is at most 5%.

    Returns:
        One row per arm and outcome: ``arm, outcome, pairs, baseline_mean, diff, ci_low, ci_high,
        crosses_zero, p_value, p_holm, distinguishable``. ``crosses_zero`` is a nullable boolean, missing
        (``pd.NA``, which refuses to be read as True or False) when there is no interval.
    """
    baseline = baseline or baseline_arm(runs)
    keys = pair_keys(runs)
    rows = []
    for key in outcomes:
        wide = runs.pivot_table(index=keys, columns="arm", values=key, aggfunc="mean", dropna=False)
        ref = wide[baseline]
        for arm in runs.arm.unique():
            if arm == baseline:
                continue
            ok = wide[arm].notna() & ref.notna()
            d = (wide[arm] - ref)[ok].to_numpy(dtype=float)
            m, lo, hi, p = t_interval(d, level)
            lo, hi = clip_interval(lo, hi, diff_bounds(outcome(key).bounds))
            rows.append(
                {
                    "arm": arm,
                    "outcome": key,
                    "pairs": int(ok.sum()),
                    "baseline_mean": float(ref[ok].mean()),
                    "diff": float(m),
                    "ci_low": float(lo),
                    "ci_high": float(hi),
                    "crosses_zero": bool(lo <= 0 <= hi) if np.isfinite([lo, hi]).all() else pd.NA,
                    "p_value": float(p),
                }
            )
    table = pd.DataFrame(rows)
    if table.empty:
        return table.assign(p_holm=[], distinguishable=[])
    table["crosses_zero"] = table["crosses_zero"].astype("boolean")
    table["p_holm"] = table.groupby("outcome")["p_value"].transform(lambda s: pd.Series(holm(s.to_numpy()), s.index))
    table["distinguishable"] = table["p_holm"] < 1 - level
    order = {a: i for i, a in enumerate(runs.arm.unique())}
    return table.sort_values(
        ["arm", "outcome"],
        key=lambda c: c.map(order) if c.name == "arm" else c.map({k: i for i, k in enumerate(outcomes)}),
    ).reset_index(drop=True)


# ------------------------------------------------------------------------------------ factorial
def factor_matrix(runs: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """0/1 columns: which interventions each run had switched on."""
    enabled = runs["interventions"].str.split("+")
    return pd.DataFrame({n: enabled.apply(lambda xs, n=n: n in xs).astype(int) for n in names}, index=runs.index)


def factorial_effects(runs: pd.DataFrame, outcome_key: str, names: list[str], level: float = LEVEL) -> pd.DataFrame:
    """Main and two-way interaction effects from a two-level factorial, each tested against its own seed spread.

    Within each block (a seed, and the uncertainty sample if any) ordinary least squares on -1/+1
    coding estimates every effect from that block's runs alone (numpy ``lstsq``); an effect is the
    change in the outcome from the factor's low to its high level (twice the coefficient). Its
    estimate is the mean over blocks and its interval the Student t interval of the block estimates
    (:func:`t_interval`, n - 1 degrees of freedom). Under common random numbers a seed shifts every
    arm alike, which the within-block fit removes; but an intervention also moves each seed's
    election its own way, so each effect varies from seed to seed by its own amount. Testing each
    effect against its own block-to-block variation is the randomised-block analysis with random
    blocks, where the block-by-effect interaction is the error term of that effect (Montgomery,
    *Design and Analysis of Experiments*, 8th ed., sections 4.1 and 13.5). Pooling every effect's
    variation into one residual, as one OLS with block dummies does, lets an effect that varies a
    lot by seed borrow the small error of the others: with effects that average zero over seeds it
    made false interaction claims in 17.5% of null trials at 6 seeds (``tests/test_stats.py``).

    A negative interaction on an outcome one wants low means the pair works better together than the
    sum of its parts (complements); positive means they overlap (substitutes). ``p_fdr`` are
    Benjamini-Hochberg adjusted p-values over all the effects estimated, so effects with ``p_fdr <
    0.05`` are claims with a false discovery rate of at most 5%.

    Blocks missing a combination of the design the sweep ran (a failed run) are left out: their fit
    would fold the higher interactions into the effects;
    with fewer than two usable blocks (one replicate) nothing is tested: standard errors, intervals
    and p-values are NaN and no effect is significant; the point estimates remain.

    Returns:
        Rows ``term_a, term_b, effect, se, ci_low, ci_high, p_value, p_fdr, significant,
        replicates`` (``term_b`` empty for main effects; ``replicates``: blocks used).
    """
    x = factor_matrix(runs, names) * 2 - 1
    columns: dict[str, np.ndarray] = {}
    labels: dict[str, tuple[str, str]] = {}
    for a in names:
        columns[a] = x[a].to_numpy(dtype=float)
        labels[a] = (a, "")
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            columns[f"{a}:{b}"] = (x[a] * x[b]).to_numpy(dtype=float)
            labels[f"{a}:{b}"] = (a, b)
    design = np.column_stack([np.ones(len(runs)), *columns.values()])
    y = runs[outcome_key].to_numpy(dtype=float)
    keys = pair_keys(runs)
    blocks = runs[keys].astype(str).agg("/".join, axis=1).to_numpy() if keys else np.zeros(len(runs), dtype=str)
    # Only blocks holding every combination the sweep ran: a block missing one would fold the
    # higher interactions that combination carries into its estimates of the others.
    cells = factor_matrix(runs, names).astype(str).agg("".join, axis=1).to_numpy()
    every_cell = set(cells)
    per_block = []
    for block in pd.unique(blocks):
        rows = blocks == block
        if set(cells[rows]) != every_cell or np.linalg.matrix_rank(design[rows]) < design.shape[1]:
            continue  # this block's runs cannot separate every effect
        coef = np.linalg.lstsq(design[rows], y[rows], rcond=None)[0]
        per_block.append(2 * coef[1:])
    if per_block:
        estimates = np.array(per_block)
        mean, low, high, p = t_interval(estimates, level, axis=0)
        se = (
            estimates.std(axis=0, ddof=1) / np.sqrt(len(estimates))
            if len(estimates) > 1
            else np.full(len(mean), np.nan)
        )
    else:  # no block holds the whole design: one fit over every run gives the point estimates
        mean = 2 * np.linalg.lstsq(design, y, rcond=None)[0][1:]
        low = high = se = np.full(len(mean), np.nan)
        p = np.ones(len(mean))
    table = pd.DataFrame(
        {
            "term_a": [labels[c][0] for c in columns],
            "term_b": [labels[c][1] for c in columns],
            "effect": mean,
            "se": se,
            "ci_low": low,
            "ci_high": high,
            "p_value": p,
        }
    )
    table["replicates"] = len(per_block)
    if len(per_block) < 2:  # one seed: an effect's seed-to-seed variation is not measured, nothing is tested
        table[["se", "ci_low", "ci_high", "p_value"]] = np.nan
    p = table["p_value"].to_numpy(dtype=float)
    ok = np.isfinite(p)
    table["p_fdr"] = np.nan
    if ok.any():
        table.loc[ok, "p_fdr"] = multipletests(p[ok], alpha=1 - level, method="fdr_bh")[1]
    table["significant"] = table["p_fdr"] < 1 - level
    return table


# ------------------------------------------------------------------------------------ sweep kinds
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


def with_intensity(runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` with the swept parameter's value as an ``intensity`` column.

    Raises:
        AnalysisError: If the sweep does not vary one numeric parameter.
    """
    if dose_key(runs) is None:
        raise AnalysisError("this sweep does not vary one numeric parameter across its arms")
    return runs.assign(intensity=runs.arm.str.rsplit("=", n=1).str[1].astype(float))


def monotone_fit(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted isotonic (monotone) fit of ``y`` on sorted ``x``, in whichever direction fits better.

    Uses scipy.optimize.isotonic_regression (pool adjacent violators).
    """
    fits = [isotonic_regression(y, weights=weights, increasing=inc).x for inc in (True, False)]
    sse = [float(np.sum(weights * (y - f) ** 2)) for f in fits]
    return np.asarray(fits[int(np.argmin(sse))])


def dose_response(runs: pd.DataFrame, outcomes: list[str], level: float = LEVEL) -> pd.DataFrame:
    """Outcome means, 95% t intervals and a monotone fit by intensity of the swept parameter.

    Returns:
        Rows ``parameter, intensity, outcome, n, mean, ci_low, ci_high, monotone_fit``.
    """
    key = dose_key(runs)
    runs = with_intensity(runs)
    rows = []
    for x, group in runs.groupby("intensity"):
        for out in outcomes:
            m, lo, hi = mean_ci(group[out].to_numpy(), level, outcome(out).bounds)
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
    table = pd.DataFrame(rows)
    table["outcome"] = pd.Categorical(table.outcome, categories=outcomes, ordered=True)
    table = table.sort_values(["outcome", "intensity"]).reset_index(drop=True)
    table["outcome"] = table.outcome.astype(str)
    fits = []
    for _, sub in table.groupby("outcome", sort=False):  # in the order given
        fits.append(
            pd.Series(monotone_fit(sub.intensity.to_numpy(), sub["mean"].to_numpy(), sub.n.to_numpy()), sub.index)
        )
    table["monotone_fit"] = pd.concat(fits)
    return table


def marginal_effects(runs: pd.DataFrame, outcome_key: str, level: float = LEVEL) -> pd.DataFrame:
    """Per-unit change between consecutive intensities, and whether it changes, seed by seed.

    The levels share seeds (common random numbers), so each seed gives one value per level; see
    :func:`slope_table` for what is computed from them.
    """
    runs = with_intensity(runs)
    wide = runs.pivot_table(index=pair_keys(runs), columns="intensity", values=outcome_key).dropna()
    xs = np.array(sorted(wide.columns), dtype=float)
    return slope_table(xs, wide[xs].to_numpy(dtype=float), level)


def slope_table(xs: np.ndarray, y: np.ndarray, level: float = LEVEL) -> pd.DataFrame:
    """Slopes between consecutive levels and their changes, with paired t intervals.

    For each segment ``x_(k-1) -> x_k`` the slope is ``(y_k - y_(k-1)) / (x_k - x_(k-1))`` computed on
    each seed, with a paired t interval. For each interior level ``x_k`` the change is the slope
    after it minus the slope before it, with a paired t interval and a Holm-adjusted p-value over
    the interior levels.

    Args:
        xs: The sorted intensities.
        y: One row per seed, one column per intensity.
        level: Confidence level.

    Returns:
        One row per segment end: ``intensity`` (x_k), ``from`` (x_(k-1)), ``slope, slope_low,
        slope_high, slope_p`` and, for segments that have a next one, ``change, change_low,
        change_high, change_p, change_p_holm`` (the change of slope at x_k); ``pairs``.
    """
    slopes = np.diff(y, axis=1) / np.diff(xs)  # seeds x segments
    s_mean, s_lo, s_hi, s_p = t_interval(slopes.T, level)
    table = pd.DataFrame(
        {"intensity": xs[1:], "from": xs[:-1], "slope": s_mean, "slope_low": s_lo, "slope_high": s_hi, "slope_p": s_p}
    )
    change = np.diff(slopes, axis=1)  # slope after x_k minus slope before, for k = 1 .. K-2
    c_mean, c_lo, c_hi, c_p = (np.atleast_1d(v) for v in t_interval(change.T, level))
    pad = [np.nan]
    table["change"] = np.concatenate([c_mean, pad])
    table["change_low"] = np.concatenate([c_lo, pad])
    table["change_high"] = np.concatenate([c_hi, pad])
    table["change_p"] = np.concatenate([c_p, pad])
    table["change_p_holm"] = np.concatenate([holm(c_p), pad])
    table["pairs"] = len(y)
    return table


def diminishing_from(marginals: pd.DataFrame, better: str = "lower", level: float = LEVEL) -> float | None:
    """The first intensity beyond which returns demonstrably diminish, or None.

    At ``x_k`` returns diminish when the segment ending at ``x_k`` improves the outcome (its slope's
    interval excludes zero on the better side) and the slope after ``x_k`` is less favourable than
    the slope before it, with the change's Holm-adjusted p-value under ``1 - level`` over all the
    interior levels. Pure noise passes both tests rarely: see ``tests/test_stats.py``.
    """
    sign = -1.0 if better == "lower" else 1.0
    for r in marginals.dropna(subset=["change"]).itertuples():
        gains = r.slope_high < 0 if better == "lower" else r.slope_low > 0
        worse = sign * r.change < 0 and r.change_p_holm < 1 - level
        if gains and worse:
            return float(r.intensity)
    return None


# ------------------------------------------------------------------------------------ sensitivity
def sensitivity_parameters(runs: pd.DataFrame, meta_parameters: list[str]) -> list[str]:
    """The sampled parameters present as input columns."""
    return [p for p in meta_parameters if f"in.{p}" in runs.columns and runs[f"in.{p}"].nunique() > 1]


def sensitivity_indices(runs: pd.DataFrame, outcome_key: str, parameters: list[str], seed: int = 0) -> pd.DataFrame:
    """First-order sensitivity indices (RBD-FAST, SALib) of ``outcome_key`` for each arm.

    Replicates of a sample are averaged first, so the indices speak of the parameters, not of
    the seeds.
    """
    from SALib.analyze import rbd_fast

    rows = []
    for arm, group in runs[runs["sample"] >= 0].groupby("arm", sort=False):
        per_sample = group.groupby("sample")[[f"in.{p}" for p in parameters] + [outcome_key]].mean()
        x = per_sample[[f"in.{p}" for p in parameters]].to_numpy()
        y = per_sample[outcome_key].to_numpy()
        bounds = [[float(x[:, i].min()), float(x[:, i].max())] for i in range(len(parameters))]
        problem = {"num_vars": len(parameters), "names": parameters, "bounds": bounds}
        harmonics = 4 if len(y) >= 64 else 2  # fewer harmonics for small samples (SALib's bias correction)
        res = rbd_fast.analyze(problem, x, y, M=harmonics, num_resamples=200, conf_level=0.95, seed=seed)
        for p, s1, conf in zip(parameters, res["S1"], res["S1_conf"], strict=True):
            rows.append({"arm": arm, "parameter": p, "S1": float(s1), "S1_conf": float(conf)})
    return pd.DataFrame(rows)


def policy_wins(runs: pd.DataFrame, outcome_key: str = HEADLINE, better: str | None = None) -> pd.DataFrame:
    """Share of uncertainty samples in which each arm is best on ``outcome_key``.

    An arm is best in a sample when its mean over the sample's replicates is the lowest (or highest,
    for outcomes where higher is better); arms tied for best share that sample equally, so the
    shares add up to one and no arm wins a tie by its name.
    """
    better = better or outcome(outcome_key).better
    per = runs[runs["sample"] >= 0].groupby(["sample", "arm"])[outcome_key].mean().unstack("arm")
    values = per.to_numpy(dtype=float)
    best = np.nanmin(values, axis=1) if better == "lower" else np.nanmax(values, axis=1)
    tied = np.isclose(values, best[:, None], rtol=1e-12, atol=1e-12)
    credit = tied / tied.sum(axis=1, keepdims=True)
    share = credit.mean(axis=0)
    return (
        pd.DataFrame({"arm": per.columns, "win_share": share, "samples": len(per)})
        .sort_values("win_share", ascending=False, kind="stable")
        .reset_index(drop=True)
    )
