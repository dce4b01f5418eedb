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

import numpy as np
from scipy import stats

from sim.stats.outcomes import LEVEL


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


def kish(weights: np.ndarray) -> float:
    """Kish's (1965) effective sample size of weighted observations, ``(sum w)^2 / sum w^2`` (0 when empty)."""
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / np.sum(w**2)) if len(w) else 0.0
