"""What would have to be true for the order of two arms to flip: sensitivity of their difference, switching values.

Over the draws of a sweep's assumption layer (:mod:`sim.sweeps.assumptions`, layer ``c``), the
difference between two arms (the second's ranking outcome minus the first's, paired by draw and
seed: positive while the first is better) is a function of the drawn parameters plus seed noise.

* :func:`difference_sensitivity`: first-order indices of that difference (RBD-FAST, SALib, which
  works on a given sample), with a max-statistic permutation test: a parameter is *above noise*
  when its index exceeds the largest index of any parameter in every one of ``permutations``
  shuffles of the difference (19 shuffles: a family-wise false-claim rate of 1/20 on noise).
* :func:`switching_value`: where the mean difference, as a smooth function of one parameter
  (LOWESS, statsmodels), crosses zero — the value at which the order flips, the crossing nearest
  the parameter's default when there are several; None when it does not cross inside the drawn
  range.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.stats.outcomes import outcome

#: Shuffles of the difference for the noise floor of the indices (19: a 5% family-wise test).
PERMUTATIONS = 19

#: Fewest draws from which indices are computed (RBD-FAST's harmonics need a few dozen points).
MIN_DRAWS = 16


def pair_difference(runs: pd.DataFrame, first: str, second: str, key: str) -> pd.Series:
    """Per draw, how much better ``first`` is than ``second`` on ``key`` (mean over the draw's seeds).

    Positive while ``first`` is better (lower, for outcomes where lower is better).
    """
    sign = 1.0 if outcome(key).better == "lower" else -1.0
    per = runs.pivot_table(index=["sample", "replicate"], columns="arm", values=key)
    diff = sign * (per[second] - per[first])
    return diff.groupby(level="sample").mean().dropna()


def _indices(x: np.ndarray, y: np.ndarray, names: list[str], seed: int) -> np.ndarray:
    from SALib.analyze import rbd_fast

    bounds = [[float(x[:, j].min()), float(x[:, j].max())] for j in range(x.shape[1])]
    problem = {"num_vars": len(names), "names": names, "bounds": bounds}
    harmonics = 4 if len(y) >= 64 else 2  # fewer harmonics for small samples (SALib's bias correction)
    with np.errstate(invalid="ignore", divide="ignore"):  # a parameter whose ordering leaves no variance: NaN
        res = rbd_fast.analyze(problem, x, y, M=harmonics, num_resamples=2, seed=seed)
    return np.asarray(res["S1"], dtype=float)


def difference_sensitivity(
    inputs: pd.DataFrame, difference: pd.Series, seed: int = 0, permutations: int = PERMUTATIONS
) -> pd.DataFrame:
    """First-order index of each drawn parameter on the difference, and whether it is above noise.

    Args:
        inputs: Drawn values per draw (rows: draws, columns: parameters that vary).
        difference: :func:`pair_difference`, indexed by draw.
        seed: Seed of the shuffles.
        permutations: Shuffles for the noise floor.

    Returns:
        One row per parameter, highest index first: ``parameter, S1, floor`` (the largest index of
        any parameter in the shuffles), ``above_noise``.  Empty below :data:`MIN_DRAWS` draws or when
        the difference is the same in every draw.
    """
    common = inputs.index.intersection(difference.index)
    x = inputs.loc[common]
    x = x.loc[:, x.nunique() > 1]
    y = difference.loc[common].to_numpy(dtype=float)
    if len(y) < MIN_DRAWS or x.shape[1] == 0 or np.ptp(y) == 0:  # a lead that never varies has no sensitivity
        return pd.DataFrame(columns=["parameter", "S1", "floor", "above_noise"])
    names = list(x.columns)
    xv = x.to_numpy(dtype=float)
    s1 = _indices(xv, y, names, seed)
    rng = np.random.default_rng(seed)
    floor = max(float(np.nanmax(_indices(xv, rng.permutation(y), names, seed))) for _ in range(permutations))
    table = pd.DataFrame({"parameter": names, "S1": s1, "floor": floor, "above_noise": s1 > floor})
    return table.sort_values("S1", ascending=False, ignore_index=True)


def smooth(x: np.ndarray, y: np.ndarray, frac: float = 0.6) -> tuple[np.ndarray, np.ndarray]:
    """LOWESS of ``y`` on ``x`` (statsmodels): sorted ``x`` and the fitted mean."""
    from statsmodels.nonparametric.smoothers_lowess import lowess

    fit = lowess(y, x, frac=frac, it=1, return_sorted=True)
    return fit[:, 0], fit[:, 1]


def switching_value(x: np.ndarray, y: np.ndarray, default: float | None = None) -> float | None:
    """The value of a parameter at which the smoothed difference crosses zero (the order flips).

    Args:
        x: The parameter's drawn values.
        y: The difference in each draw (:func:`pair_difference`).
        default: The parameter's default; among several crossings, the nearest to it is returned.

    Returns:
        The crossing (linear interpolation between the fitted points), or None when the smoothed
        difference keeps one sign over the drawn range.
    """
    xs, fit = smooth(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    sign = np.sign(fit)
    where = np.flatnonzero(sign[:-1] * sign[1:] < 0)
    if len(where) == 0:
        return None
    cross = [xs[i] - fit[i] * (xs[i + 1] - xs[i]) / (fit[i + 1] - fit[i]) for i in where]
    ref = float(np.median(xs)) if default is None else float(default)
    return float(min(cross, key=lambda c: abs(c - ref)))
