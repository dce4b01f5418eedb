"""Dose-response: one numeric parameter swept, a monotone fit, marginal effects and diminishing returns."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import isotonic_regression

from sim.stats.intervals import holm, mean_ci, t_interval
from sim.stats.outcomes import LEVEL, outcome
from sim.stats.paired import AnalysisError, pair_keys


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
