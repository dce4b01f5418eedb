"""Posterior sweeps: draws shared by every arm, effects with parameter uncertainty, probability best."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.calibration.posterior import (
    DEFAULT_POSTERIOR,
    effective_sample_size,
    load_posterior,
    posterior_design,
    posterior_overrides,
)
from sim.config import ConfigError
from sim.report.uncertainty import INTERVAL_NOTE, posterior_section
from sim.stats.uncertainty import MIN_DRAWS, effect_intervals, probability_best, rank_distribution, ranking_stability
from sim.sweeps.experiment import SensitivityConfig, plan_runs, validate_run_config


@pytest.fixture
def planted(tmp_path):
    path = tmp_path / "post.parquet"
    pd.DataFrame(
        {
            "norm_weight": [0.0, 1.0, 2.0],  # prior-scale column: not a configuration key, ignored
            "delegates.norm_weight": [1.0, 2.0, 3.0],
            "voting.compliance": [0.5, 0.6, 0.7],
            "weight": [0.0, 0.25, 0.75],
        }
    ).to_parquet(path)
    return path


def test_draws_follow_the_weights_and_are_reproducible(planted):
    keys, design = posterior_design(planted, 2000, seed=3)
    assert keys == ["delegates.norm_weight", "voting.compliance"]
    assert 1.0 not in design[:, 0]  # weight 0 is never drawn
    assert np.mean(design[:, 0] == 3.0) == pytest.approx(0.75, abs=0.03)
    again = posterior_design(planted, 2000, seed=3)[1]
    assert np.array_equal(design, again)
    assert not np.array_equal(design, posterior_design(planted, 2000, seed=4)[1])
    first = posterior_overrides(planted, 0, 2000, seed=3)
    assert first == {"delegates.norm_weight": design[0, 0], "voting.compliance": design[0, 1]}
    with pytest.raises(IndexError):
        posterior_overrides(planted, 5, 5, seed=3)


def test_a_file_without_weights_is_refused(tmp_path):
    path = tmp_path / "bad.parquet"
    pd.DataFrame({"delegates.norm_weight": [1.0]}).to_parquet(path)
    with pytest.raises(ValueError, match="posterior"):
        load_posterior(path)


def test_the_stored_posterior_loads():
    df = load_posterior(DEFAULT_POSTERIOR)
    assert len(df) > 10 and df.weight.sum() == pytest.approx(1.0)


def test_the_effective_sample_counts_duplicated_particles_once():
    distinct = pd.DataFrame({"a.b": [1.0, 2.0, 3.0, 4.0], "weight": 0.25})
    assert effective_sample_size(distinct) == pytest.approx(4.0)
    # Two copies of one point (a refused move) and two others: three points, weights 1/2, 1/4, 1/4.
    copies = pd.DataFrame({"a.b": [1.0, 1.0, 3.0, 4.0], "weight": 0.25})
    assert effective_sample_size(copies) == pytest.approx(1 / (0.5**2 + 2 * 0.25**2))
    # Unequal weights on distinct points: Kish's formula.
    kish = pd.DataFrame({"a.b": [1.0, 2.0], "weight": [0.9, 0.1]})
    assert effective_sample_size(kish) == pytest.approx(1 / (0.81 + 0.01))
    stored = load_posterior(DEFAULT_POSTERIOR)
    assert effective_sample_size(stored) < len(stored)  # the stored fit has duplicates (163 of 200 distinct)


def test_a_posterior_sweep_gives_every_arm_the_same_draws_and_seeds(planted):
    sens = SensitivityConfig(n_samples=4, seed=9, posterior=str(planted))
    arm_a = plan_runs(2021, 3, sens)
    arm_b = plan_runs(2021, 3, sens)
    assert len(arm_a) == 12
    assert [(r.sample, r.replicate, r.seed, r.overrides) for r in arm_a] == [
        (r.sample, r.replicate, r.seed, r.overrides) for r in arm_b
    ]
    keys, design = posterior_design(planted, 4, 9)
    for run in arm_a:
        assert run.overrides == dict(zip(keys, design[run.sample], strict=True))
    # within a draw, the seeds are the replicates' seeds; across draws the seeds repeat
    assert {r.seed for r in arm_a if r.sample == 0} == {r.seed for r in arm_a if r.sample == 3}


def _sweep(effects: dict[str, float], draws: int = 200, seeds: int = 3, spread: float = 0.0, noise: float = 0.01):
    """Runs of a posterior sweep with planted per-arm effects; each draw shifts every arm alike."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(draws):
        level = 0.2 + rng.normal(0, 0.02)
        tilt = rng.normal(0, spread, len(effects))  # draw-specific effect differences
        for r in range(seeds):
            common = rng.normal(0, noise)
            rows.append(
                {
                    "arm": "none",
                    "sample": i,
                    "replicate": r,
                    "bought_seat_rate_final": level + common,
                    "cost_total": 0.0,
                }
            )
            for k, (arm, eff) in enumerate(effects.items()):
                rows.append(
                    {
                        "arm": arm,
                        "sample": i,
                        "replicate": r,
                        "bought_seat_rate_final": level + eff + tilt[k] + common,
                        "cost_total": 100.0 * (k + 1),
                    }
                )
    return pd.DataFrame(rows)


def test_effect_intervals_recover_planted_effects_with_parameter_spread():
    runs = _sweep({"a": -0.05, "b": 0.0}, spread=0.02)
    eff = effect_intervals(runs).set_index("arm")
    assert eff.loc["a", "effect"] == pytest.approx(-0.05, abs=0.005)
    # the 90% range across draws reflects the planted spread of the effect (sd 0.02 -> +-0.033)
    assert eff.loc["a", "high"] - eff.loc["a", "low"] == pytest.approx(2 * 1.645 * 0.02, rel=0.25)
    # the Monte Carlo interval of the mean is sqrt(draws) narrower than the range across draws
    mc_width = eff.loc["a", "mc_high"] - eff.loc["a", "mc_low"]
    assert mc_width == pytest.approx(2 * 1.96 * 0.02 / np.sqrt(200), rel=0.25)
    assert eff.loc["b", "low"] < 0 < eff.loc["b", "high"]
    assert eff.loc["a", "share_harmful"] < 0.05


def test_probability_best_finds_the_planted_winner_and_splits_noise():
    clear = probability_best(_sweep({"a": -0.05, "b": -0.01})).set_index("arm")
    assert clear.loc["a", "p_best_outcome"] > 0.99
    assert clear.p_best_outcome.sum() == pytest.approx(1.0)
    # best buy: a prevents 0.05 at cost 100, b 0.01 at cost 200
    assert clear.loc["a", "p_best_buy"] > 0.99
    # two identical arms: each best about half the time, never one of them always
    tie = probability_best(_sweep({"a": -0.03, "b": -0.03}, spread=0.01)).set_index("arm")
    assert 0.35 < tie.loc["a", "p_best_outcome"] < 0.65
    assert tie.loc["none", "p_best_outcome"] < 0.05
    # exact ties are split, not given to the first arm
    exact = _sweep({"a": -0.03, "b": -0.03}, spread=0.0)
    split = probability_best(exact).set_index("arm")
    assert split.loc["a", "p_best_outcome"] == pytest.approx(0.5)


def test_ranks_and_ranking_stability():
    runs = _sweep({"a": -0.05, "b": -0.045}, spread=0.01)
    ranks = rank_distribution(runs).set_index("arm")
    assert ranks.loc["none", "rank_3"] > 0.95
    assert 0.2 < ranks.loc["a", "rank_1"] < 0.9  # the two close arms swap across the posterior
    stab = ranking_stability(runs)
    assert stab["ranking"].startswith("a < b") and 0.2 < stab["same_ranking"] < 0.9
    steady = ranking_stability(_sweep({"a": -0.05, "b": -0.02}))
    assert steady["same_ranking"] == 1.0


def test_a_posterior_sweep_is_checked_before_it_runs(planted, tmp_path):
    validate_run_config(2, SensitivityConfig(n_samples=3, posterior=str(planted)))
    with pytest.raises(ConfigError, match="not a file"):
        validate_run_config(2, SensitivityConfig(n_samples=3, posterior=str(tmp_path / "missing.parquet")))
    with pytest.raises(ConfigError, match="n_samples"):
        validate_run_config(2, SensitivityConfig(n_samples=0, posterior=str(planted)))


def test_too_few_draws_name_no_best_arm_and_no_ranking():
    assert MIN_DRAWS == 10
    tables, lines = posterior_section(_sweep({"a": -0.05, "b": -0.01}, draws=1))
    text = " ".join(lines)
    assert "fewest bought seats" not in text and "holds exactly" not in text and "100%" not in text
    assert "1 posterior draw" in text and "not estimated" in tables_titles(tables) + text
    assert tables_titles(tables) == "Effects under parameter uncertainty"
    assert tables[0][1][["low", "high", "mc_low", "mc_high"]].isna().all().all()  # one draw spans no range
    tables, lines = posterior_section(_sweep({"a": -0.05, "b": -0.01}, draws=9))
    assert "fewest bought seats" not in " ".join(lines)
    tables, lines = posterior_section(_sweep({"a": -0.05, "b": -0.01}, draws=10))
    text = " ".join(lines)
    assert "Across 10 posterior draws, A has the fewest bought seats in 100% of them" in text
    assert "holds exactly in" in text and len(tables) == 3


def tables_titles(tables) -> str:
    return "; ".join(title for title, _, _ in tables)


def test_tied_arms_share_ranks_and_the_ranking_says_they_tie():
    # a and b are the same in every draw: each is first in half the draws' credit and second in the other half.
    runs = _sweep({"b": -0.03, "a": -0.03}, draws=20, spread=0.0)
    ranks = rank_distribution(runs).set_index("arm")
    assert ranks.loc["a", "rank_1"] == pytest.approx(0.5) == ranks.loc["b", "rank_1"]
    assert ranks.loc["a", "rank_2"] == pytest.approx(0.5) == ranks.loc["b", "rank_2"]
    assert ranks.loc["none", "rank_3"] == 1.0
    assert ranks.drop(columns="arm", errors="ignore").sum(axis=1).tolist() == pytest.approx([1.0] * 3)
    stab = ranking_stability(runs)
    assert stab["ranking"] == "a = b < none" and stab["same_ranking"] == 1.0 and stab["same_best"] == 1.0
    _, lines = posterior_section(runs)
    assert "A and B share the fewest bought seats" in " ".join(lines)


def test_the_posterior_range_and_the_first_screen_interval_say_what_they_are():
    assert "90%" in INTERVAL_NOTE and "5th to 95th percentile" in INTERVAL_NOTE
    assert "95%" not in INTERVAL_NOTE.split("mc_low")[0]  # the range itself is not called a 95% interval
    from sim.report.sentences import coverage_sentence

    runs = _sweep({"a": -0.05}, draws=20, seeds=2)
    text = coverage_sentence(runs, {})
    assert "95% intervals" in text and "of the mean" in text and "uncertain parameters sampled" in text


def test_coverage_sentence_with_one_run_per_arm_says_one_replicate_even_when_parameters_were_sampled():
    from sim.report.sentences import coverage_sentence

    one = coverage_sentence(_sweep({"a": -0.05}, draws=1, seeds=1), {})
    assert "one replicate" in one and "span" not in one
    single_draw = coverage_sentence(_sweep({"a": -0.05}, draws=1, seeds=3), {})
    assert "one sample of the uncertain parameters" in single_draw and "span both" not in single_draw
