"""Statistics on synthetic data with known answers: interval coverage, ranges, multiplicity, factorial, dose."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from sim.stats.dose import diminishing_from, marginal_effects, slope_table
from sim.stats.factorial import factorial_effects
from sim.stats.intervals import holm, mean_ci, t_interval
from sim.stats.paired import arm_means, paired_effects
from sim.stats.sensitivity import policy_wins

TRIALS = 4000


def coverage(draw, n: int, truth: float, seed: int) -> float:
    """Share of TRIALS samples of n paired differences whose 95% t interval covers ``truth``."""
    diffs = draw(np.random.default_rng(seed), (TRIALS, n))
    _, lo, hi, _ = t_interval(diffs)
    return float(np.mean((lo <= truth) & (truth <= hi)))


@pytest.mark.parametrize("n", [3, 5, 10, 30])
def test_paired_interval_covers_95_percent_at_every_replicate_count(n):
    # Seed-level variation (sd 0.1) is shared by both arms and cancels in the pair; what is left is noise.
    def draw(rng, shape):
        seed_level = rng.normal(0.4, 0.1, shape)
        return (seed_level - 0.03 + rng.normal(0, 0.02, shape)) - seed_level

    assert 0.93 <= coverage(draw, n, -0.03, seed=n) <= 0.97


@pytest.mark.parametrize("n", [3, 5, 10, 30])
def test_paired_interval_covers_on_discrete_seat_differences(n):
    # Seat shares of a 100-seat congress: each arm's count is binomial around a seed-level rate, so the
    # differences are lumpy multiples of 1/100, like the simulator's.
    def draw(rng, shape):
        rate = rng.uniform(0.05, 0.15, shape)
        base = rng.binomial(100, rate) / 100
        arm = rng.binomial(100, np.clip(rate - 0.03, 0, 1)) / 100
        return arm - base

    assert 0.93 <= coverage(draw, n, -0.03, seed=100 + n) <= 0.97


def two_arms(effect: float, n: int, seed: int, noise: float = 0.05) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    base = rng.normal(0.4, 0.1, n)
    rows = [
        {"arm": "none", "interventions": "none", "seed": s, "bought_seat_rate_final": b} for s, b in enumerate(base)
    ]
    rows += [
        {"arm": "x", "interventions": "x", "seed": s, "bought_seat_rate_final": b + effect + rng.normal(0, noise)}
        for s, b in enumerate(base)
    ]
    return pd.DataFrame(rows)


def test_paired_effects_is_the_paired_t_interval():
    runs = two_arms(-0.1, 6, seed=1)
    eff = paired_effects(runs, ["bought_seat_rate_final"]).iloc[0]
    a = runs[runs.arm == "x"].bought_seat_rate_final.to_numpy()
    b = runs[runs.arm == "none"].bought_seat_rate_final.to_numpy()
    ref = sps.ttest_rel(a, b)
    ci = ref.confidence_interval(0.95)
    assert eff.ci_low == pytest.approx(ci.low) and eff.ci_high == pytest.approx(ci.high)
    assert eff.p_value == pytest.approx(ref.pvalue)


def test_intervals_of_counts_and_shares_stay_in_their_range():
    m, lo, hi = mean_ci(np.array([0.0, 0.0, 9.0]), bounds=(0.0, None))
    assert m == 3.0 and lo == 0.0 and hi > 9.0  # the raw t interval starts far below zero
    runs = pd.DataFrame(
        {
            "arm": ["a"] * 3,
            "bribed_share": [0.0, 0.0, 0.02],
            "honest_removed": [0, 0, 4],
            "bought_seat_rate_final": [1, 1, 0.9],
        }
    )
    means = arm_means(runs, ["bribed_share", "honest_removed", "bought_seat_rate_final"])
    assert (means.ci_low >= 0).all() and (means.ci_high <= [1, np.inf, 1]).all()


def test_holm_keeps_false_distinguishable_claims_at_5_percent_over_seven_null_arms():
    # 7 arms with no effect, 10 seeds each, 4000 sweeps: how often is any arm called distinguishable?
    rng = np.random.default_rng(7)
    diffs = rng.normal(0, 0.03, (4000, 7, 10))
    _, _, _, p = t_interval(diffs)
    adjusted = holm(p)
    any_claim = (adjusted < 0.05).any(axis=1).mean()
    unadjusted = (p < 0.05).any(axis=1).mean()
    assert any_claim <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / 4000)  # Holm's bound, within two binomial SEs
    assert unadjusted > 0.25  # what the report claimed before: about 1 - 0.95^7 = 30%


def test_holm_matches_statsmodels():
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(3)
    for m in (1, 2, 5, 8):
        for _ in range(5):
            p = rng.uniform(0, 0.2, m)
            assert holm(p) == pytest.approx(multipletests(p, method="holm")[1])
    assert holm(np.array([0.01, np.nan, 0.04])).tolist()[::2] == pytest.approx([0.02, 0.04])


def test_paired_effects_calls_distinguishable_only_after_holm():
    rng = np.random.default_rng(11)
    base = rng.normal(0.3, 0.1, 10)
    rows = []
    for arm, eff in (("none", 0), ("weak", -0.02), ("strong", -0.1), ("null", 0)):
        y = base + eff + (0 if arm == "none" else rng.normal(0, 0.03, 10))
        rows += [{"arm": arm, "interventions": arm, "seed": s, "bought_seat_rate_final": v} for s, v in enumerate(y)]
    eff = paired_effects(pd.DataFrame(rows), ["bought_seat_rate_final"]).set_index("arm")
    assert (eff.p_holm == holm(eff.p_value.to_numpy())).all()
    assert (eff.distinguishable == (eff.p_holm < 0.05)).all()
    assert eff.loc["strong", "distinguishable"] and not eff.loc["null", "distinguishable"]


def test_a_real_effect_is_distinguishable_and_holm_is_no_larger_than_one():
    eff = paired_effects(two_arms(-0.1, 10, seed=2), ["bought_seat_rate_final"]).iloc[0]
    assert eff.distinguishable and eff.p_value <= eff.p_holm <= 1


# ------------------------------------------------------------------------------------ factorial
def factorial_runs(
    effects: dict,
    seeds: int,
    seed: int,
    block_sd: float = 0.2,
    noise: float = 0.02,
    effect_sd: dict | None = None,
):
    """A 2^3 factorial on ``seeds`` seeds; ``effect_sd`` gives named effects a seed-to-seed spread."""
    rng = np.random.default_rng(seed)
    names = ["a", "b", "c"]
    terms = [*names, "ab", "ac", "bc"]
    rows = []
    block = rng.normal(0, block_sd, seeds)
    # Each seed's election responds to each effect its own way (mean: the planted effect).
    by_seed = {t: effects.get(t, 0.0) + rng.normal(0, (effect_sd or {}).get(t, 0.0), seeds) for t in terms}
    for mask in range(8):
        on = {n: (mask >> i) & 1 for i, n in enumerate(names)}
        x = {n: 2 * v - 1 for n, v in on.items()}
        x.update(ab=x["a"] * x["b"], ac=x["a"] * x["c"], bc=x["b"] * x["c"])
        label = "+".join(n for n in names if on[n]) or "none"
        for s in range(seeds):
            mean = 0.5 + sum(by_seed[t][s] / 2 * x[t] for t in terms)
            rows.append({"interventions": label, "seed": s, "y": mean + block[s] + rng.normal(0, noise)})
    return pd.DataFrame(rows), names


def test_factorial_blocks_on_seed_and_recovers_effects_with_the_right_standard_error():
    runs, names = factorial_runs({"a": -0.2, "b": -0.1, "ab": 0.08}, seeds=10, seed=5)
    fx = factorial_effects(runs, "y", names).set_index(["term_a", "term_b"])
    assert fx.loc[("a", ""), "effect"] == pytest.approx(-0.2, abs=0.02)
    assert fx.loc[("a", "b"), "effect"] == pytest.approx(0.08, abs=0.02)
    # Orthogonal +-1 design, 80 runs: se(effect) = 2 * sigma / sqrt(80) once the seed blocks are removed;
    # without the blocks the seed-level sd (0.2, ten times the noise) would inflate it about tenfold.
    assert fx.loc[("a", ""), "se"] == pytest.approx(2 * 0.02 / np.sqrt(80), rel=0.25)
    assert fx.loc[("a", ""), "significant"] and fx.loc[("a", "b"), "significant"]
    assert not fx.loc[("b", "c"), "significant"]


def test_an_interaction_that_varies_by_seed_and_averages_zero_is_not_claimed_in_95_percent_of_trials():
    # One interaction moves each seed's election its own way (sd 0.08, four times the run noise) and
    # averages zero; the other effects do not vary. Pooling every effect's seed spread into one error
    # term let it borrow the others' small error and be claimed in most trials; tested against its
    # own spread it is claimed at the 5% rate: at most 8% of 200 trials (5% plus two binomial
    # standard errors).
    claims = 0
    for t in range(200):
        runs, names = factorial_runs({}, seeds=6, seed=4000 + t, effect_sd={"ab": 0.08})
        fx = factorial_effects(runs, "y", names)
        claims += bool(fx[fx.term_b != ""].significant.any())
    assert claims <= 16


def test_an_effect_that_varies_by_seed_but_is_real_is_still_found():
    runs, names = factorial_runs({"a": -0.2, "ab": 0.1}, seeds=10, seed=7, effect_sd={"a": 0.05, "ab": 0.05})
    fx = factorial_effects(runs, "y", names).set_index(["term_a", "term_b"])
    assert fx.loc[("a", ""), "significant"] and fx.loc[("a", "b"), "significant"]
    assert fx.loc[("a", "b"), "effect"] == pytest.approx(0.1, abs=0.05)
    assert fx.loc[("a", "b"), "replicates"] == 10


def test_factorial_pure_noise_claims_no_interaction_in_95_percent_of_trials():
    claims = 0
    for t in range(100):
        runs, names = factorial_runs({}, seeds=5, seed=2000 + t)
        fx = factorial_effects(runs, "y", names)
        claims += bool(fx[fx.term_b != ""].significant.any())
    assert claims <= 5


# ------------------------------------------------------------------------------------ dose-response
LEVELS = [0, 1, 2, 4, 8, 16, 32]


def dose_runs(curve, seeds: int, seed: int, noise: float = 0.03) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    block = rng.normal(0.5, 0.1, seeds)
    rows = []
    for x in LEVELS:
        for s in range(seeds):
            rows.append(
                {"arm": f"team_inspection.n_teams={x}", "seed": s, "y": block[s] + curve(x) + rng.normal(0, noise)}
            )
    return pd.DataFrame(rows)


def test_pure_noise_never_claims_diminishing_returns_in_95_percent_of_trials():
    # 200 sweeps of 7 levels x 20 seeds with no effect at all (seed-level variation shared across levels).
    rng = np.random.default_rng(3000)
    xs = np.array(LEVELS, dtype=float)
    claims = 0
    for _ in range(200):
        y = rng.normal(0.5, 0.1, (20, 1)) + rng.normal(0, 0.03, (20, len(xs)))
        claims += diminishing_from(slope_table(xs, y)) is not None
    assert claims <= 10


def test_a_linear_response_is_not_called_diminishing():
    runs = dose_runs(lambda x: -0.01 * x, 20, seed=4)
    m = marginal_effects(runs, "y")
    assert m.slope.iloc[-1] == pytest.approx(-0.01, abs=0.005)
    assert diminishing_from(m) is None


def test_a_saturating_response_is_called_diminishing_where_it_bends():
    runs = dose_runs(lambda x: -0.2 * (1 - np.exp(-x / 4)), 20, seed=5)
    x = diminishing_from(marginal_effects(runs, "y"))
    assert x is not None and 1 <= x <= 8


def test_policy_wins_splits_ties_instead_of_giving_them_to_the_first_name():
    rows = [
        {"sample": s, "arm": arm, "seed": 0, "bought_seat_rate_final": v}
        for s in range(4)
        for arm, v in (("aa", 0.2), ("zz", 0.2), ("mm", 0.5))
    ]
    wins = policy_wins(pd.DataFrame(rows), "bought_seat_rate_final").set_index("arm").win_share
    assert wins["aa"] == wins["zz"] == 0.5 and wins["mm"] == 0


def test_one_replicate_has_no_interval_and_is_never_distinguishable():
    runs = two_arms(0.5, 1, 0)
    eff = paired_effects(runs, ["bought_seat_rate_final"]).set_index("arm").loc["x"]
    assert np.isnan(eff.ci_low) and np.isnan(eff.ci_high) and not eff.distinguishable
    two = paired_effects(two_arms(0.5, 2, 0), ["bought_seat_rate_final"]).set_index("arm").loc["x"]
    assert two.ci_low < two["diff"] < two.ci_high  # from two replicates on, an interval
    from sim.report.sentences import NO_INTERVAL, fmt_interval

    assert fmt_interval("bought_seat_rate_final", eff.ci_low, eff.ci_high) == NO_INTERVAL
    assert fmt_interval("bought_seat_rate_final", -0.02, -0.01) == "95% CI -2.0 to -1.0"


# ------------------------------------------------------------------------------------ differences without spread
def null_seat_differences(n: int, p_zero: float, sweeps: int, seed: int) -> np.ndarray:
    """Pure noise as the simulator makes it: 7 arms whose seat counts differ from the baseline's by -1, 0 or +1."""
    rng = np.random.default_rng(seed)
    steps = rng.choice([-1, 0, 1], p=[(1 - p_zero) / 2, p_zero, (1 - p_zero) / 2], size=(sweeps, 7, n))
    return steps / 36  # shares of a 36-seat congress


@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize("p_zero", [0.0, 0.5])
def test_pure_noise_seat_differences_make_no_false_claim_at_two_and_three_seeds(n, p_zero):
    # At 2 seeds, both pairs often differ by the same seat: a zero-width interval and p = 0 claimed
    # "distinguishable" in about 60% of such sweeps, whatever Holm's adjustment.
    _, lo, hi, p = t_interval(null_seat_differences(n, p_zero, 4000, seed=10 * n + int(10 * p_zero)))
    any_claim = (holm(p) < 0.05).any(axis=1).mean()
    assert any_claim <= 0.05
    width = hi - lo
    assert not (np.isfinite(width) & (width == 0)).any()  # too few pairs for an interval of no width


def test_a_difference_the_same_in_every_pair_gets_a_bound_from_the_share_that_could_differ_never_x_x():
    # n pairs all equal to x bound the share q of pairs unlike x by Clopper-Pearson (1 - 0.05^(1/n));
    # the mean then lies within x + q (range end - x). Without a known range there is no interval.
    x = -1 / 36
    for n in (2, 6, 10, 30):
        q = 1 - 0.05 ** (1 / n)
        m, lo, hi, p = t_interval(np.full(n, x), bounds=(-1.0, 1.0))
        assert m == pytest.approx(x) and lo < x < hi
        assert lo == pytest.approx(x + q * (-1 - x)) and hi == pytest.approx(x + q * (1 - x))
        assert p == pytest.approx((1 - abs(x) / (1 - x)) ** n)  # the level at which the bound leaves out zero
        _, lo, hi, p = t_interval(np.full(n, x))
        assert np.isnan(lo) and np.isnan(hi) and p == 1.0
    _, lo, hi, p = t_interval(np.zeros(10), bounds=(-1.0, 1.0))
    assert lo < 0 < hi and p == 1


@pytest.mark.parametrize("n", [3, 6, 10, 30])
def test_paired_interval_covers_the_mean_of_seat_differences_that_are_mostly_the_same(n):
    # One seat fewer (of 36) with probability 0.9, else none: from 6 seeds on most samples are all -1,
    # and the interval [x, x] the sign test gave covered the mean (-0.9 seats) in 46% (6) and 63% (10).
    rng = np.random.default_rng(500 + n)
    diffs = -(rng.uniform(size=(TRIALS, n)) < 0.9).astype(float) / 36
    _, lo, hi, _ = t_interval(diffs, bounds=(-1.0, 1.0))
    assert np.mean((lo <= -0.9 / 36) & (hi >= -0.9 / 36)) >= 0.95


def test_a_constant_difference_is_distinguishable_only_when_large_against_the_range():
    # Ten seeds, the arm 40 points lower on every one: p = (1 - 0.4 / 1.4)^10 = 0.035; a third lower
    # would give 0.056, and one seat lower 0.76.
    runs = two_arms(0.0, 10, seed=3, noise=0.0)
    runs.loc[runs.arm == "x", "bought_seat_rate_final"] -= 0.4
    eff = paired_effects(runs, ["bought_seat_rate_final"]).iloc[0]
    assert eff.distinguishable and eff.ci_high < 0 < eff.ci_high - eff.ci_low
    one_seat = two_arms(0.0, 10, seed=3, noise=0.0)
    one_seat.loc[one_seat.arm == "x", "bought_seat_rate_final"] -= 1 / 36  # one seat fewer on every seed
    eff = paired_effects(one_seat, ["bought_seat_rate_final"]).iloc[0]
    assert not eff.distinguishable and eff.ci_low < -1 / 36 < eff.ci_high


def test_whether_an_interval_crosses_zero_is_undefined_without_an_interval():
    one = paired_effects(two_arms(0.5, 1, 0), ["bought_seat_rate_final"])
    assert one.crosses_zero.isna().all()
    with pytest.raises(TypeError):  # undefined is neither True nor False: no caller can read it as either
        bool(one.crosses_zero.iloc[0])
    assert one.to_csv(index=False).splitlines()[1].split(",")[7] == ""  # an empty cell, not "False"
    many = paired_effects(two_arms(-0.5, 10, 0), ["bought_seat_rate_final"])
    assert many.crosses_zero.tolist() == [False]


def seed_specific_factorial(seeds: int, seed: int, tau: float = 0.02, noise: float = 0.002):
    """Four factors, no effect on average, but every main and two-way effect shifted seed by seed.

    Under common random numbers an intervention moves each seed's election its own way; what is shared
    by all seeds (the mean effect) is zero, and the interactions of three or more factors are nil.
    """
    rng = np.random.default_rng(seed)
    names = ["a", "b", "c", "d"]
    pairs = [(i, j) for i in range(4) for j in range(i + 1, 4)]
    rows = []
    for s in range(seeds):
        w_main, w_pair = rng.normal(0, tau, 4), rng.normal(0, tau, len(pairs))
        for mask in range(16):
            x = np.array([2 * ((mask >> i) & 1) - 1 for i in range(4)])
            y = 0.3 + x @ w_main / 2 + sum(w * x[i] * x[j] for w, (i, j) in zip(w_pair, pairs, strict=True)) / 2
            label = "+".join(n for i, n in enumerate(names) if x[i] > 0) or "none"
            rows.append({"interventions": label, "seed": s, "y": y + rng.normal(0, noise)})
    return pd.DataFrame(rows), names


def test_factorial_with_one_replicate_per_cell_tests_nothing():
    # From one seed, the interactions of three or more factors measure only the run-to-run noise, not
    # how each effect moves from seed to seed: taking them as the error claims effects that average zero.
    claims = 0
    for t in range(20):
        runs, names = seed_specific_factorial(1, seed=6000 + t)
        fx = factorial_effects(runs, "y", names)
        assert (fx.replicates == 1).all() and fx.p_value.isna().all() and fx.ci_low.isna().all()
        assert fx.effect.notna().all()  # the point estimates remain
        claims += bool(fx.significant.any())
    assert claims == 0
    runs, names = seed_specific_factorial(6, seed=6100)
    fx = factorial_effects(runs, "y", names)
    assert (fx.replicates == 6).all() and fx.p_value.notna().all()


def test_a_seed_missing_a_combination_is_left_out_of_the_factorial():
    # Only a three-way interaction (not estimated) is at work; dropping the all-on cell from some
    # seeds would fold it into every other estimate if those seeds were used.
    claims = 0
    for t in range(40):
        rng = np.random.default_rng(7000 + t)
        runs, names = factorial_runs({}, seeds=10, seed=7000 + t)
        on = runs.interventions == "a+b+c"
        x = runs.interventions.apply(lambda s: np.prod([1 if n in s.split("+") else -1 for n in "abc"]))
        runs["y"] = runs["y"] + 0.02 * x
        runs = runs[~(on & runs.seed.isin(rng.choice(10, 5, replace=False)))]
        fx = factorial_effects(runs, "y", names)
        assert (fx.replicates == 5).all()
        claims += bool(fx.significant.any())
    assert claims <= 4
