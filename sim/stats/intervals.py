"""Statistics behind the report: outcomes, intervals, multiplicity, factorial, dose-response, sensitivity.

The outcome registry says what each outcome is, its unit, range and better direction.

Intervals are Student t intervals: of the mean over replicates for one arm, and of the mean of
seed-by-seed differences for a comparison (common random numbers make the pairs). The paired t
interval keeps its 95% coverage at every replicate count for differences that are close to normal;
a percentile bootstrap does not at small counts (Efron & Tibshirani 1993, ch. 13: it is too narrow by
the factor sqrt((n-1)/n) and ignores the t quantile). ``tests/test_stats.py`` measures the coverage.

Skewed differences: the t interval assumes near-normal differences and covers less on strongly skewed
ones (lognormal differences: 84%, 85% and 87% at 10, 20 and 30 seeds). A BCa bootstrap interval
(``scipy.stats.bootstrap``) was measured as the alternative and does no better there (82%, 86%, 87%)
while covering only 90% of normal differences at 10 seeds, so the t interval is kept and a sample whose
skewness is distinguishable from zero (:func:`skewed`, D'Agostino's test from 8 values on) is said to
be skewed where its interval is shown.

A sample with no spread (every value, or every pair's difference, the same x) has no t interval, and
nothing in it bounds the mean: a rare value unlike the others would move it. What the sample does
bound is the share ``q`` of values that differ from x: at most the one-sided Clopper-Pearson bound
``q_hi`` (scipy ``binomtest``), with confidence ``level``. When the values lie in a known range
``[a, b]`` the mean then lies in ``[x + q_hi (a - x), x + q_hi (b - x)]``, an interval that covers the
mean with probability at least ``level`` whatever the distribution; its p-value against zero is the
smallest error rate at which that interval leaves zero out. Without a range there is no interval and
the p-value is 1. (A sign test would bound the median, not the mean: the interval [x, x] it gives
covered the mean of seat differences of -1 with probability 0.9 in 46% of samples at 6 seeds.)

Intervals of quantities with a natural range (shares in [0, 1], counts >= 0) are intersected with
that range: the true value always lies in it, so the intersection covers exactly as often as the
interval it comes from, and no band runs below zero.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

from sim.stats.outcomes import LEVEL

#: Fewest values from which a sample's skewness is tested (D'Agostino's test needs eight).
SKEW_MIN_N = 8


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


def share_differing_bound(n: int, level: float = LEVEL) -> float:
    """One-sided Clopper-Pearson upper bound on the share of values unlike the others, from ``n`` alike.

    scipy's exact binomial ``proportion_ci`` of 0 successes in ``n`` (``1 - (1 - level)^(1/n)``).
    """
    return float(stats.binomtest(0, n, alternative="less").proportion_ci(level).high)


def flat_interval(
    x: np.ndarray, n: int, level: float, bounds: tuple[float | None, float | None]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interval and p-value of the mean of ``n`` values all equal to ``x`` (see the module docstring).

    Returns:
        ``low, high, p``; NaN bounds and p = 1 when ``bounds`` is not finite on both sides.
    """
    x = np.asarray(x, dtype=float)
    a, b = bounds
    if a is None or b is None or not np.isfinite([a, b]).all():
        nan = np.full_like(x, np.nan)
        return nan, nan.copy(), np.ones_like(x)
    q = share_differing_bound(n, level)
    lo, hi = x + q * (a - x), x + q * (b - x)
    # The interval leaves zero out when q_hi < |x| / (distance from x to the far end of the range):
    # the smallest error rate for which it does is (1 - |x| / that distance)^n.
    far = np.where(x > 0, x - a, b - x)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where((x != 0) & (far > 0), (1 - np.abs(x) / far) ** n, 1.0)
    return lo, hi, np.clip(p, 0.0, 1.0)


def skewed(values: np.ndarray, axis: int = -1) -> np.ndarray:
    """True where a sample's skewness is distinguishable from zero (scipy ``skewtest``, two-sided, 5%).

    Samples of fewer than :data:`SKEW_MIN_N` values, and samples with no spread, are never called skewed.
    """
    values = np.asarray(values, dtype=float)
    n = values.shape[axis]
    shape = np.delete(values.shape, axis)
    if n < SKEW_MIN_N:
        return np.zeros(shape, dtype=bool)
    spread = values.std(axis=axis)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        p = stats.skewtest(values, axis=axis).pvalue
    return (np.asarray(p) < 1 - LEVEL) & (spread > 1e-12 * np.maximum(np.abs(values.mean(axis=axis)), 1.0))


def t_interval(
    values: np.ndarray,
    level: float = LEVEL,
    axis: int = -1,
    bounds: tuple[float | None, float | None] = (None, None),
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean, Student t interval and two-sided p-value (against 0) along ``axis`` (scipy.stats.ttest_1samp).

    Vectorised: ``values`` may hold many samples at once. With fewer than two values there is no
    interval (NaN bounds) and the p-value is 1.

    With no spread (all n values equal x) the t interval does not exist; the mean's interval is then
    :func:`flat_interval` within ``bounds`` (the range each value lies in): never [x, x], and none
    (NaN bounds, p = 1) when the range is not known.

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
    f_lo, f_hi, f_p = flat_interval(mean, n, level, bounds)
    lo = np.where(flat, f_lo, ci.low)
    hi = np.where(flat, f_hi, ci.high)
    p = np.where(flat, f_p, res.pvalue)
    return mean, lo, hi, p


def mean_ci(
    values: np.ndarray, level: float = LEVEL, bounds: tuple[float | None, float | None] = (None, None)
) -> tuple[float, float, float]:
    """Mean and Student t confidence interval of independent replicates, kept within ``bounds``."""
    m, lo, hi, _ = t_interval(np.asarray(values, dtype=float), level, bounds=bounds)
    lo, hi = clip_interval(lo, hi, bounds)
    return float(m), float(lo), float(hi)


def holm(pvalues: np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values along the last axis (each row one family; Holm 1979, Scand J Stat 6:65).

    The step-down adjustment ``max_(j<=i) min(1, (m - j + 1) p_(j))`` over the sorted p-values,
    vectorised over many families at once. Written here rather than calling statsmodels'
    ``multipletests(method="holm")``, which gives the same values (``tests/test_stats.py`` checks it)
    but runs a full garbage collection on every call: 0.10 s per family on this machine against
    20 microseconds here, so a report's Holm families took seconds and a test of 4,000 simulated sweeps
    seven minutes. Missing p-values are left out of the family.
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


def kish(weights: np.ndarray) -> float:
    """Kish's (1965) effective sample size of weighted observations, ``(sum w)^2 / sum w^2`` (0 when empty)."""
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / np.sum(w**2)) if len(w) else 0.0
