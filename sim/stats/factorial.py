"""Main effects and two-way interactions of a factorial sweep, each tested over seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.stats.intervals import holm, t_interval
from sim.stats.outcomes import LEVEL
from sim.stats.paired import pair_keys


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
    sum of its parts (complements); positive means they overlap (substitutes). ``p_adjusted`` are
    Holm-adjusted p-values (statsmodels ``multipletests``) within two families, the main effects and
    the two-way interactions, so the effects with ``p_adjusted < 0.05`` in each family are claims with a
    family-wise error rate of at most 5%, whatever the other family holds. One Benjamini-Hochberg
    family over both let strong main effects loosen the interactions' cut-off, and a false discovery
    rate lets one real interaction carry a false one: both made "complements / substitutes" claims on
    null interactions in well over 5% of trials (``tests/test_claims_noise.py``).

    Blocks missing a combination of the design the sweep ran (a failed run) are left out: their fit
    would fold the higher interactions into the effects;
    with fewer than two usable blocks (one replicate) nothing is tested: standard errors, intervals
    and p-values are NaN and no effect is significant; the point estimates remain.

    Returns:
        Rows ``term_a, term_b, effect, se, ci_low, ci_high, p_value, p_adjusted, significant,
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
    table["p_adjusted"] = np.nan
    for family in (table.term_b == "", table.term_b != ""):  # main effects; interactions
        table.loc[family, "p_adjusted"] = holm(table.loc[family, "p_value"].to_numpy(dtype=float))
    table["significant"] = table["p_adjusted"] < 1 - level
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
