"""What a fitted posterior says: predictive checks against every target, and which parameters the data identify."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.calibration.inference import (
    Posterior,
    statistics_of_many,
    weighted_moments,
    weighted_quantile,
)
from sim.calibration.settings import Design
from sim.calibration.targets import AT_LEAST, AT_MOST, Target


def resample(sample: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """``n`` draws from a weighted sample (multinomial on the weights), reproducibly."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(sample), size=n, replace=True, p=sample["weight"].to_numpy())
    return sample.iloc[idx].drop(columns="weight").reset_index(drop=True)


def posterior_predictive(
    posterior: Posterior,
    targets: Sequence[Target],
    design: Design,
    seed_offset: int = 1000,
) -> pd.DataFrame:
    """Statistics of ``design.predictive_draws`` posterior draws, simulated on fresh seeds.

    Returns:
        One row per draw: the parameters (prior scales) and every target's statistic.
    """
    draws = resample(posterior.sample, design.predictive_draws, design.seed + seed_offset)
    thetas = [{k: float(v) for k, v in row.items()} for _, row in draws.iterrows()]
    # each draw on its own fresh seeds: the interval then holds seed-to-seed noise as well
    stats = statistics_of_many(thetas, design, targets, posterior.priors, [seed_offset + i for i in range(len(thetas))])
    return pd.DataFrame([{"draw": i, **theta, **st} for i, (theta, st) in enumerate(zip(thetas, stats, strict=True))])


def predictive_table(ppc: pd.DataFrame, targets: Sequence[Target], fitted: Sequence[Target]) -> pd.DataFrame:
    """Posterior predictive check of every target.

    A two-sided figure is *covered* when it lies in the 90% predictive interval of the observable
    (the simulated statistic plus the figure's own error, normal with two standard deviations =
    the tolerance); a bound is covered unless the whole 90% interval violates it.

    Returns:
        One row per target: group, fitted or held out, observed, sense, predictive median and 90%
        interval, share of draws within tolerance, covered.
    """
    rng = np.random.default_rng(0)
    fitted_names = {t.statistic for t in fitted}
    rows = []
    for t in targets:
        sim = ppc[t.statistic].to_numpy(dtype=float)
        sim = sim[np.isfinite(sim)]
        if len(sim) == 0:
            continue
        scale = np.log10(np.maximum(sim, 1e-6)) if t.log10 else sim
        noise = rng.normal(0.0, t.tolerance / 2, size=(200, len(scale))) if t.sense not in (AT_MOST, AT_LEAST) else 0
        observable = np.ravel(scale + noise)
        lo, hi = np.quantile(observable, [0.05, 0.95])
        if not t.log10:  # counts, rates and shares: never negative, and a share never above 1
            lo, hi = min(max(lo, 0.0), t.upper), min(max(hi, 0.0), t.upper)
        obs = math.log10(t.observed) if t.log10 else t.observed
        if t.sense == AT_MOST:
            covered = lo <= obs
        elif t.sense == AT_LEAST:
            covered = hi >= obs
        else:
            covered = lo <= obs <= hi
        back = (lambda v: 10**v) if t.log10 else (lambda v: v)
        rows.append(
            {
                "target": t.name,
                "statistic": t.statistic,
                "group": t.group,
                "role": _role(t, fitted_names),
                "observed": t.observed,
                "sense": t.sense,
                "tolerance": f"{t.tolerance:g} decades" if t.log10 else f"{t.tolerance:g}",
                "predictive_median": float(np.median(sim)),
                "predictive_q05": float(back(lo)),
                "predictive_q95": float(back(hi)),
                "within_tolerance_share": float(np.mean([abs(t.residual(v)) <= 1 for v in sim])),
                "covered": bool(covered),
            }
        )
    return pd.DataFrame(rows)


def _role(target: Target, fitted: set[str]) -> str:
    if target.statistic in fitted:
        return "fitted"
    return "mechanics" if target.group == "mechanics" else "held out"


#: Shrinkage of the prior variance above which a parameter counts as identified, and weakly so.
IDENTIFIED, WEAK = 0.5, 0.2


#: Absolute posterior correlation from which two parameters are said to trade off.
TRADE_OFF = 0.4


def identifiability(posterior: Posterior) -> pd.DataFrame:
    """Which parameters the data move, which stay at their prior, which trade off.

    Shrinkage is ``1 - posterior variance / prior variance`` on the prior's scale (Gelman et al.,
    BDA3, on posterior contraction); ``shift`` is the move of the mean in prior standard
    deviations; trade-offs are posterior correlations of at least 0.4 in absolute value.
    """
    names = [p.name for p in posterior.priors]
    mean, cov = weighted_moments(posterior.sample, names)
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd).clip(1e-12)
    w = posterior.sample["weight"].to_numpy()
    rows = []
    for i, p in enumerate(posterior.priors):
        shrink = 1 - (sd[i] / p.sd) ** 2
        q05, q50, q95 = weighted_quantile(posterior.sample[p.name].to_numpy(), w, [0.05, 0.5, 0.95])
        partners = [
            f"{names[j]} ({corr[i, j]:+.2f})"
            for j in np.argsort(-np.abs(corr[i]))
            if j != i and abs(corr[i, j]) >= TRADE_OFF
        ]
        verdict = "identified" if shrink >= IDENTIFIED else "weakly identified" if shrink >= WEAK else "at prior"
        rows.append(
            {
                "parameter": p.name,
                "key": p.key,
                "scale": "log10" if p.log10 else "linear",
                "prior": f"U({p.low:g}, {p.high:g})",
                "posterior_median": float(q50),
                "posterior_q05": float(q05),
                "posterior_q95": float(q95),
                "median_value": p.value(q50),
                "shrinkage": float(shrink),
                "shift_prior_sd": float((mean[i] - (p.low + p.high) / 2) / p.sd),
                "verdict": verdict,
                "trades_off_with": "; ".join(partners),
            }
        )
    return pd.DataFrame(rows)
