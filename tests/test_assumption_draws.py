"""The assumed ranges are drawn beside the posterior, the same for every arm, in three layers on shared seeds."""

from __future__ import annotations

import numpy as np
import pytest

from sim.config import ConfigError, assumed_ranges
from sim.optimise.settings import OptimiseConfig
from sim.optimise.worlds import robustness_worlds
from sim.sweeps.assumptions import assumption_design, layer_of
from sim.sweeps.experiment import SensitivityConfig, plan_runs, validate_run_config

POSTERIOR = "docs/calibration_posterior.parquet"


def test_the_design_fills_each_assumed_range_in_latin_hypercube_strata_log_where_declared():
    names, x = assumption_design(40, seed=7)
    ranges = assumed_ranges()
    assert names == list(ranges)
    for j, key in enumerate(names):
        a = ranges[key]
        u = (
            (np.log(x[:, j] / a["low"]) / np.log(a["high"] / a["low"]))
            if a["log"]
            else (x[:, j] - a["low"]) / (a["high"] - a["low"])
        )
        assert sorted(np.floor(u * 40).astype(int)) == list(range(40)), key  # one draw per stratum
    again = assumption_design(40, seed=7)[1]
    assert np.array_equal(x, again)  # every job (arm) of a sweep gets the same rows
    assert not np.array_equal(x, assumption_design(40, seed=8)[1])


def test_a_layered_plan_runs_each_draw_in_three_layers_on_the_same_seeds():
    sens = SensitivityConfig(n_samples=4, posterior=POSTERIOR, layers=True)
    runs = plan_runs(2021, 2, sens)
    assert len(runs) == 3 * 4 * 2
    layer = layer_of(np.array([r.sample for r in runs]), 4)
    by = {(str(layer[k]), r.sample % 4, r.replicate): r for k, r in enumerate(runs)}
    assumed = set(assumed_ranges())
    for i in range(4):
        for rep in range(2):
            a, b, c = (by[(x, i, rep)] for x in "abc")
            assert a.seed == b.seed == c.seed  # the layers differ only by what they add
            assert a.overrides == {}
            assert set(b.overrides) and not set(b.overrides) & assumed
            assert set(c.overrides) == set(b.overrides) | assumed
            assert all(c.overrides[k] == v for k, v in b.overrides.items())
    seeds = {(r.sample % 4, r.replicate): r.seed for r in runs}
    assert len(set(seeds.values())) == 8  # each draw its own seeds


def test_the_plan_without_layers_is_unchanged_and_assumptions_add_columns():
    plain = plan_runs(2021, 2, SensitivityConfig(n_samples=3, posterior=POSTERIOR))
    added = plan_runs(2021, 2, SensitivityConfig(n_samples=3, posterior=POSTERIOR, assumptions=True))
    assert [r.seed for r in plain] == [r.seed for r in added]
    assert all(set(p.overrides) < set(q.overrides) for p, q in zip(plain, added, strict=True))


def test_the_robustness_worlds_draw_the_assumptions_beside_the_posterior():
    opt = OptimiseConfig()
    opt.robustness.draws = 6
    opt.robustness.source = "posterior"
    worlds, info = robustness_worlds(opt, SensitivityConfig())
    assert set(assumed_ranges()) <= set(worlds[0][2]) and set(info["assumed"]) == set(assumed_ranges())
    assert len({w[0] for w in worlds}) == 6
    opt.robustness.assumptions = False
    bare, _ = robustness_worlds(opt, SensitivityConfig())
    assert not set(assumed_ranges()) & set(bare[0][2])
    assert all(set(b[2].items()) <= set(w[2].items()) for b, w in zip(bare, worlds, strict=True))


@pytest.mark.parametrize("flag", ["layers", "assumptions"])
def test_layers_or_assumptions_without_draws_are_refused_naming_the_key(flag):
    with pytest.raises(ConfigError, match=f"sensitivity.{flag}=true needs sensitivity.n_samples"):
        validate_run_config(2, SensitivityConfig(n_samples=0, **{flag: True}))
