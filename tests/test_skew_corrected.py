"""The skewness-corrected test of a mean: its false claims on skewed noise, its power on normal data.

Families of paired differences (arms x seeds) are drawn directly and adjusted by Holm over the arms,
as ``paired_effects`` does; a claim is made when any arm's adjusted p-value is below 5%.  The t test
alone made 14% false claims on the skewed family below (10 seeds, 6 arms).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.stats.intervals import holm
from sim.stats.paired import paired_effects
from sim.stats.skew_corrected import hall_pvalue, pooled_skewness, skew_corrected_pvalues, unbiased_skewness

#: Families per cell: at 400 a true 5% rate exceeds 30 false claims with probability under 1%.
FAMILIES = 400
ALLOWED = int(stats.binom.ppf(0.99, FAMILIES, 0.05))


def lognormal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Centred lognormal differences (sigma 0.5: skewness 1.75), unit standard deviation."""
    return (rng.lognormal(0, 0.5, shape) - np.exp(0.125)) / np.sqrt((np.exp(0.25) - 1) * np.exp(0.25))


def t_pvalues(family: np.ndarray) -> np.ndarray:
    """The paired t test's p-values, one per arm (rows)."""
    return stats.ttest_1samp(family, 0.0, axis=1).pvalue


def claims(families: np.ndarray, corrected: bool) -> np.ndarray:
    """Per family, whether any arm is distinguishable (Holm), and whether the first arm is."""
    out = np.zeros((len(families), 2), dtype=bool)
    for i, family in enumerate(families):
        p = t_pvalues(family)
        if corrected:
            p = skew_corrected_pvalues(list(family), p)
        adjusted = holm(p) < 0.05
        out[i] = adjusted.any(), adjusted[0]
    return out


def test_hall_with_no_skewness_is_the_t_test_but_for_its_small_bias_term():
    x = np.random.default_rng(1).normal(0.3, 1, 12)
    # gamma = 0 removes every correction term: the statistic is t itself
    assert hall_pvalue(x, 0.0) == pytest.approx(stats.ttest_1samp(x, 0.0).pvalue, rel=1e-12)


def test_the_pooled_skewness_recovers_a_planted_one():
    rng = np.random.default_rng(2)
    # skewness estimates of a lognormal run low on few values; on 200 a sample they reach its 1.75
    assert pooled_skewness(list(lognormal(rng, (20, 200)))) == pytest.approx(1.75, abs=0.3)
    assert abs(pooled_skewness(list(rng.normal(size=(20, 200))))) < 0.1
    assert unbiased_skewness(np.ones(5)) == 0.0 and pooled_skewness([np.ones(4), np.array([1.0, 2.0])]) == 0.0


@pytest.mark.parametrize(("seeds", "arms"), [(5, 4), (10, 6), (30, 3)])
def test_null_arms_with_skewed_differences_are_not_called_distinguishable(seeds, arms):
    families = lognormal(np.random.default_rng(100 + seeds), (FAMILIES, arms, seeds))
    assert claims(families, corrected=True)[:, 0].sum() <= ALLOWED


def test_the_t_test_alone_fails_the_skewed_family():
    # The defect the correction answers: plain t on the same kind of family.
    families = lognormal(np.random.default_rng(110), (FAMILIES, 6, 10))
    assert claims(families, corrected=False)[:, 0].sum() > ALLOWED


def test_normal_differences_keep_their_error_rate_and_most_of_their_power():
    rng = np.random.default_rng(3)
    null = rng.normal(size=(FAMILIES, 6, 10))
    assert claims(null, corrected=True)[:, 0].sum() <= ALLOWED
    planted = rng.normal(size=(FAMILIES, 3, 30))
    planted[:, 0] -= 0.8  # 0.8 standard deviations: t finds it in 96% of families
    found_t, found = claims(planted, corrected=False)[:, 1].mean(), claims(planted, corrected=True)[:, 1].mean()
    assert found >= 0.9 and found >= found_t - 0.03


def test_a_planted_effect_in_skewed_differences_is_found():
    planted = lognormal(np.random.default_rng(4), (FAMILIES, 3, 30))
    planted[:, 0] -= 1.0
    assert claims(planted, corrected=True)[:, 1].mean() >= 0.8


def test_paired_effects_claims_from_the_corrected_p_value():
    import pandas as pd

    # frequent small decreases, no rare large increase among these seeds: t alone says distinguishable
    d = np.array([-0.03, -0.025, -0.035, -0.02, -0.03, -0.028, -0.032, -0.026, 0.1, -0.031])
    rows = [{"arm": "none", "interventions": "none", "seed": s, "y": 0.5} for s in range(len(d))]
    rows += [{"arm": "a", "interventions": "a", "seed": s, "y": 0.5 + v} for s, v in enumerate(d)]
    effects = paired_effects(pd.DataFrame(rows), ["y"])
    t_p = stats.ttest_1samp(d, 0.0).pvalue
    assert effects.p_value.iloc[0] > t_p
    assert effects.p_value.iloc[0] == pytest.approx(skew_corrected_pvalues([d], np.array([t_p]))[0], rel=1e-6)


def test_a_frontier_step_from_skewed_differences_that_only_t_calls_distinguishable_is_not_shown():
    import pandas as pd

    from sim.stats.cea import frontier_steps

    # seats prevented per seed: frequent gains and one large loss, left-skewed as a lognormal's mirror
    d = np.array([0.43, 0.34, 0.55, 0.29, 0.14, -0.33, 0.4, 0.22, 0.64, 0.47])
    assert stats.ttest_1samp(d, 0.0).pvalue < 0.01
    table = pd.DataFrame({"arm": ["none", "a"], "status": ["efficient", "efficient"], "reference": ["", "none"]})
    steps = frontier_steps(table, pd.DataFrame({"none": np.zeros(10), "a": d}))
    assert steps.step_p.iloc[1] > 0.05 and not steps.shown.iloc[1]


def test_best_by_net_benefit_is_not_claimed_from_skewed_differences_only_t_calls_distinguishable():
    import pandas as pd

    from sim.stats.net_benefit import best_by_net_benefit
    from sim.stats.outcomes import HEADLINE

    prevented = np.array([0.43, 0.34, 0.55, 0.29, 0.14, -0.33, 0.4, 0.22, 0.64, 0.47])  # seats, t p = 0.005
    rows = []
    for arm, shift in (("none", 0.0), ("a", 1.0)):
        for s, d in enumerate(prevented):
            level = 0.2 - shift * d / 36
            rows.append(
                {"arm": arm, "interventions": arm, "seed": s, HEADLINE: level, "seats": 36}
                | {"cost_total": 10.0 * shift, "honest_removed": 0.0}
            )
    assert best_by_net_benefit(pd.DataFrame(rows), HEADLINE, "none", 1.0) is None
