"""Decision levers: declared in the schema, 0 means not deployed, costs come from the model, bad input stops early."""

from __future__ import annotations

import dataclasses
import math
import typing

import pytest

from sim import ConfigError, build_config, simulate
from sim.config import SimConfig, with_values
from sim.levers import (
    BY_KEY,
    INTERVENTIONS,
    LEVERS,
    OFF,
    describe,
    fixed_arms,
    portfolio_label,
    portfolio_overrides,
    searched_levers,
)
from sim.optimise.checks import check_settings
from sim.optimise.settings import OptimiseConfig
from sim.simulate import resolve_config
from sim.sweeps.experiment import SensitivityConfig
from tests.conftest import SMALL

#: A small, short election (every mechanism at work, a run in ~10 ms).
TINY = {
    **SMALL,
    "schedule": {"campaign_days": 12, "post_election_days": 6},
    "investigation": {"direct_days": 5, "supervised_days": 6},
}


@pytest.fixture(scope="module")
def tiny() -> SimConfig:
    return resolve_config(TINY)


def field_meta(key: str) -> tuple[dict, object]:
    _, section, name = key.split(".")
    cls = typing.get_type_hints(type(SimConfig().interventions))[section]
    f = next(f for f in dataclasses.fields(cls) if f.name == name)
    return dict(f.metadata), typing.get_type_hints(cls)[name]


def test_every_intervention_has_a_lever_within_its_schema_bounds():
    assert {lv.intervention for lv in LEVERS} == {
        "warning_education",
        "risk_screening",
        "candidate_vetting",
        "tipoff_resolution",
        "team_inspection",
        "pledges_talks",
    }
    assert BY_KEY["interventions.team_inspection.n_teams"].high == 64
    assert BY_KEY["interventions.tipoff_resolution.capacity_multiplier"].grid()[:3] == (0.0, 1.0, 1.5)
    for lv in LEVERS:
        meta, _ = field_meta(lv.key)
        lo, hi = meta.get("lo"), meta.get("hi")
        assert lo is None or lv.low >= lo or lv.low == OFF, lv.key
        assert hi is None or lv.high <= hi, lv.key
        assert math.isclose((lv.high - lv.low) / lv.step, round((lv.high - lv.low) / lv.step)), lv.key
        grid = lv.grid()
        assert grid[0] == OFF and grid[-1] == lv.high
        assert lv.kind == "bool" or float(lv.default) in grid, f"{lv.key}: the fixed arms' intensity is on the grid"
        for value in grid:  # every value the optimiser can choose is a valid configuration
            with_values(SimConfig(), **portfolio_overrides({lv.key: value}))


def test_a_portfolio_of_zeros_is_no_intervention_and_costs_nothing(tiny):
    zeros = dict.fromkeys(BY_KEY, OFF)
    overrides = portfolio_overrides(zeros)
    assert all(v is False for k, v in overrides.items() if k.endswith(".enabled"))
    cfg = with_values(tiny, seed=5, **overrides)
    assert portfolio_label(cfg) == "none" and describe(cfg) == "No intervention"
    off, none = simulate(cfg).summary, simulate(with_values(tiny, seed=5)).summary
    assert off["cost_total"] == 0.0
    assert off["bought_seat_rate_final"] == none["bought_seat_rate_final"]
    # Off is off even for a lever whose deployed values start above 0.
    tip = portfolio_overrides({"interventions.tipoff_resolution.capacity_multiplier": 0.0})
    assert tip == {"interventions.tipoff_resolution.enabled": False}


def test_a_portfolio_costs_what_the_model_books_for_it(tiny):
    def cost(**values):
        return simulate(with_values(tiny, seed=3, **portfolio_overrides(values))).summary

    few, many = (
        cost(**{"interventions.team_inspection.n_teams": 2}),
        cost(**{"interventions.team_inspection.n_teams": 6}),
    )
    assert 0 < few["cost_team_inspection"] < many["cost_team_inspection"]
    assert few["cost_total"] == few["cost_team_inspection"]
    mix = cost(
        **{
            "interventions.team_inspection.n_teams": 2,
            "interventions.pledges_talks.delegate_coverage": 0.5,
            "interventions.pledges_talks.candidate_coverage": 0.0,
        }
    )
    parts = [f"cost_{name}" for name in INTERVENTIONS]  # each intervention's cost
    assert math.isclose(mix["cost_total"], sum(mix[k] for k in parts))
    assert mix["cost_pledges_talks"] > 0 and mix["cost_team_inspection"] == few["cost_team_inspection"]


def test_fixed_arms_are_the_comparison_presets():
    base = resolve_config({"scenario": "city"})
    for name, overrides in fixed_arms().items():
        assert with_values(base, **overrides) == resolve_config({"scenario": "city", "policy": name})


def test_with_values_builds_what_build_config_builds():
    base = resolve_config({"scenario": "city"})
    values = {
        "interventions.team_inspection.enabled": True,
        "interventions.team_inspection.n_teams": 12,
        "delegates.money_weight": 2,  # an int for a float field, as OmegaConf converts it
        "seed": 9,
    }
    assert with_values(base, **values) == build_config(base, **values)
    with pytest.raises(ConfigError, match="interventions.team_inspection.n_teams=-1"):
        with_values(base, **{"interventions.team_inspection.n_teams": -1})
    with pytest.raises(ConfigError, match="delegates.money_wait"):
        with_values(base, **{"delegates.money_wait": 1.0})


@pytest.mark.parametrize(
    ("settings", "fragments"),
    [
        ({"levers": ["team_inspection.n_team"]}, ["optimise.levers", "team_inspection.n_team", "not a lever"]),
        ({"ranges": {"team_inspection": {"n_teams": [0, 100]}}}, ["optimise.ranges.team_inspection.n_teams", "100"]),
        ({"ranges": {"team_inspection": [0, 100]}}, ["optimise.ranges.team_inspection", "must map levers"]),
        ({"ranges": {"warning_education.coverage": [-0.1, 0.5]}}, ["warning_education.coverage", "-0.1"]),
        ({"ranges": {"tipoff_resolution.capacity_multiplier": [0.5, 6]}}, ["capacity_multiplier", "0.5"]),
        ({"ranges": {"team_inspection.n_teams": [10, 2]}}, ["team_inspection.n_teams", "10"]),
        ({"ranges": {"team_inspection.n_teams": [0, math.nan]}}, ["team_inspection.n_teams", "nan"]),
        (
            {"levers": ["team_inspection.n_teams"], "ranges": {"pledges_talks.delegate_coverage": [0, 1]}},
            ["pledges_talks.delegate_coverage", "not among the levers searched"],
        ),
        ({"budgets": [1000.0, -5.0]}, ["optimise.budgets", "-5.0"]),
        ({"budgets": [math.inf]}, ["optimise.budgets", "inf"]),
        ({"budgets": [50.0, 50.0]}, ["optimise.budgets", "lists a budget twice"]),
        ({"budgets": [1e308]}, ["optimise.budgets", "above its maximum 10,000,000", "staff-days"]),
        ({"budgets": []}, ["optimise.budgets"]),
        ({"population": 2}, ["optimise.population=2"]),
        ({"replicates": 1}, ["optimise.replicates=1"]),
        ({"robustness": {"target": 1.5}}, ["optimise.robustness.target=1.5"]),
        ({"robustness": {"source": "prior"}}, ["optimise.robustness.source='prior'"]),
        # Upper bounds: a typo stops before anything runs (these exhausted memory or ran for hours).
        ({"population": 100_000_000}, ["optimise.population=100000000", "maximum 10,000"]),
        ({"population": 8.5}, ["optimise.population=8.5", "whole number"]),
        ({"generations": 1_000_000}, ["optimise.generations=1000000", "maximum 10,000"]),
        ({"replicates": 1_000_000_000}, ["optimise.replicates=1000000000", "maximum 100,000", "fresh seeds"]),
        ({"reevaluate": {"replicates": 200_000}}, ["optimise.reevaluate.replicates=200000", "robustness seeds"]),
        ({"reevaluate": {"max_portfolios": 10**7}}, ["optimise.reevaluate.max_portfolios=10000000", "maximum"]),
        ({"robustness": {"draws": 500_000_000}}, ["optimise.robustness.draws=500000000", "maximum 100,000"]),
        ({"robustness": {"replicates": 10**6}}, ["optimise.robustness.replicates=1000000", "maximum 100,000"]),
        ({"robustness": {"max_portfolios": 10**7}}, ["optimise.robustness.max_portfolios=10000000", "maximum"]),
        # ... and the whole plan, as grid sweeps are (each setting within its bounds, their product not).
        (
            {"population": 1000, "generations": 1000, "replicates": 2},
            ["2,000,002", "more than 1,000,000", "optimise.population=1000 x optimise.generations=1000"],
        ),
        (
            {"robustness": {"draws": 100_000, "replicates": 20, "source": "ranges", "prim": False}},
            ["more than 1,000,000", "optimise.robustness.draws=100000 x optimise.robustness.replicates=20"],
        ),
        # Seeds: numpy's generators take non-negative integers (robustness.seed=-1 failed after the search).
        ({"robustness": {"seed": -1, "source": "ranges", "prim": False}}, ["optimise.robustness.seed=-1"]),
        ({"robustness": {"seed": 1.5}}, ["optimise.robustness.seed=1.5", "whole number"]),
        ({"seed": 2**64}, [f"optimise.seed={2**64}", "2**63 - 1"]),
        ({"base_seed": -1}, ["base_seed=-1"]),
        # A sampled world may not set what a portfolio chooses (it silently overrode every portfolio's lever).
        (
            {"sensitivity": {"interventions.team_inspection.n_teams": [0, 8]}},
            ["sensitivity.parameters.interventions.team_inspection.n_teams=[0, 8]", "decision lever"],
        ),
        (
            {
                "levers": ["warning_education.coverage"],
                "sensitivity": {"interventions.pledges_talks.delegate_coverage": [0, 1]},
            },
            ["sensitivity.parameters.interventions.pledges_talks.delegate_coverage", "decision lever"],
        ),
        (
            {"sensitivity": {"interventions.team_inspection.enabled": [0, 1]}},
            ["interventions.team_inspection.enabled", "switches an intervention on or off"],
        ),
        (
            {"sensitivity": {"interventions.team_inspection.coverage_target": [0, 0.5]}},
            ["interventions.team_inspection.coverage_target", "overrides the lever"],
        ),
        # An integer parameter: the Latin hypercube's fractions would fail after the search.
        ({"sensitivity": {"world.n_townships": [20, 30]}}, ["sensitivity.parameters.world.n_townships=[20, 30]"]),
    ],
)
def test_bad_optimisation_settings_stop_early_naming_key_and_value(tiny, settings, fragments):
    from sim.optimise.settings import ReevaluateConfig, RobustnessConfig

    settings = dict(settings)
    base_seed = settings.pop("base_seed", None)
    sens = SensitivityConfig()
    if "sensitivity" in settings:  # robustness over the ranges, with these parameters added
        sens.parameters.update(settings.pop("sensitivity"))
        settings["robustness"] = {"source": "ranges", "prim": False, **settings.get("robustness", {})}
    if "robustness" in settings:
        settings["robustness"] = RobustnessConfig(**settings["robustness"])
    if "reevaluate" in settings:
        settings["reevaluate"] = ReevaluateConfig(**settings["reevaluate"])
    opt = OptimiseConfig(**settings)
    with pytest.raises(ConfigError) as err:
        check_settings(tiny, opt, sens, base_seed)
    for fragment in fragments:
        assert fragment in str(err.value)


def test_the_default_settings_pass_and_the_seed_sets_fit_between_their_offsets(tiny):
    from sim.optimise import settings as engine

    assert check_settings(tiny, OptimiseConfig(), SensitivityConfig(), 2021)
    # One replicate more than the gap to the next seed set's offset would reuse that set's seeds.
    opt = OptimiseConfig()
    too_many = engine.FRESH_OFFSET - engine.SEARCH_OFFSET + 1
    with pytest.raises(ConfigError, match=f"optimise.replicates={too_many} is above its maximum"):
        check_settings(tiny, dataclasses.replace(opt, replicates=too_many), SensitivityConfig())
    too_many = engine.ROBUST_OFFSET - engine.FRESH_OFFSET + 1
    fresh = dataclasses.replace(opt.reevaluate, replicates=too_many)
    with pytest.raises(ConfigError, match=f"optimise.reevaluate.replicates={too_many} is above its maximum"):
        check_settings(tiny, dataclasses.replace(opt, reevaluate=fresh), SensitivityConfig())


def test_a_posterior_that_sets_a_lever_is_refused_as_robustness_worlds(tiny, tmp_path):
    import pandas as pd

    from sim.optimise.settings import RobustnessConfig

    path = tmp_path / "post.parquet"
    pd.DataFrame(
        {"voting.compliance": [0.6, 0.7], "interventions.team_inspection.n_teams": [2.0, 5.0], "weight": 0.5}
    ).to_parquet(path)
    for source in ("posterior", "auto"):
        opt = OptimiseConfig(robustness=RobustnessConfig(source=source, posterior=str(path), draws=2, prim=False))
        with pytest.raises(ConfigError) as err:
            check_settings(tiny, opt, SensitivityConfig())
        assert f"optimise.robustness.posterior={path}: its column interventions.team_inspection.n_teams" in str(
            err.value
        )
        assert "decision lever" in str(err.value)


def test_a_coverage_target_that_would_override_the_teams_lever_is_refused(tiny):
    base = with_values(tiny, **{"interventions.team_inspection.coverage_target": 0.3})
    with pytest.raises(ConfigError, match="coverage_target=0.3"):
        check_settings(base, OptimiseConfig(), SensitivityConfig())


def test_searched_levers_narrow_ranges_and_keep_off_only_when_asked():
    levers = searched_levers(
        ["team_inspection.n_teams", "interventions.tipoff_resolution.capacity_multiplier"],
        {"team_inspection.n_teams": [0, 8], "tipoff_resolution.capacity_multiplier": [2, 3]},
    )
    assert [s.key for s in levers] == [
        "interventions.tipoff_resolution.capacity_multiplier",
        "interventions.team_inspection.n_teams",
    ]
    assert levers[0].values == (2.0, 2.5, 3.0)  # always deployed: off is not among the choices
    assert levers[1].values == tuple(float(v) for v in range(9))


def test_robustness_worlds_count_a_duplicated_posterior_by_its_distinct_particles(tmp_path):
    import pandas as pd

    from sim.optimise.settings import RobustnessConfig
    from sim.optimise.worlds import robustness_worlds

    # 200 equal-weight particles but only 10 distinct points: 10 effective draws, below min_ess 20,
    # so ``auto`` must take the ranges, not sample 10 worlds over and over.
    path = tmp_path / "post.parquet"
    pd.DataFrame({"voting.compliance": [0.5 + 0.01 * (i % 10) for i in range(200)], "weight": 1 / 200}).to_parquet(path)
    opt = OptimiseConfig(robustness=RobustnessConfig(posterior=str(path), draws=8))
    worlds, info = robustness_worlds(opt, SensitivityConfig())
    assert info["particles"] == 200 and info["ess"] == pytest.approx(10.0)
    assert info["source"] == "ranges" and "10.0, below 20" in info["reason"]
    # The same 200 points all distinct: the posterior is used.
    pd.DataFrame({"voting.compliance": [0.5 + 0.001 * i for i in range(200)], "weight": 1 / 200}).to_parquet(path)
    worlds, info = robustness_worlds(opt, SensitivityConfig())
    assert info["source"] == "posterior" and info["ess"] == pytest.approx(200.0) and len(worlds) == 8


def test_posterior_worlds_follow_the_weights_and_a_repeated_world_is_one_world(tmp_path):
    import pandas as pd

    from sim.optimise.settings import RobustnessConfig
    from sim.optimise.worlds import robustness_worlds

    # 40 distinct points, the first one copied 61 times (a particle whose moves were refused): it
    # carries 61% of the weight, and must be drawn about that often, under one name.
    values = [0.5] * 61 + [0.51 + 0.001 * i for i in range(39)]
    path = tmp_path / "post.parquet"
    pd.DataFrame({"voting.compliance": values, "weight": 0.01}).to_parquet(path)
    # The posterior's draws alone: with the assumed ranges drawn too, every world differs
    # (tests/test_assumption_draws.py).
    rob = RobustnessConfig(source="posterior", posterior=str(path), draws=400, assumptions=False)
    worlds, info = robustness_worlds(OptimiseConfig(robustness=rob), SensitivityConfig())
    points = [w[2]["voting.compliance"] for w in worlds]
    assert points.count(0.5) / 400 == pytest.approx(0.61, abs=0.06)
    assert len({w[0] for w in worlds if w[2]["voting.compliance"] == 0.5}) == 1  # one world, drawn often
    assert info["distinct"] == len({w[0] for w in worlds}) == len(set(points)) and info["distinct_particles"] == 40
    again, _ = robustness_worlds(OptimiseConfig(robustness=rob), SensitivityConfig())
    assert again == worlds  # seeded


def test_numpy_whole_numbers_are_accepted_as_counts_and_seeds(tiny):
    import numpy as np

    from sim.optimise.settings import RobustnessConfig

    opt = OptimiseConfig(
        population=np.int64(8), replicates=np.int64(2), budgets=[np.int64(500)], seed=np.int64(3),
        robustness=RobustnessConfig(draws=0),
    )  # fmt: skip
    check_settings(tiny, opt, SensitivityConfig())


def _at_zero(name: str) -> dict[str, object]:
    """Overrides that deploy ``name`` with every one of its levers at 0 (``enabled`` kept on)."""
    out: dict[str, object] = {f"interventions.{name}.enabled": True}
    for lv in LEVERS:
        if lv.intervention == name:
            out[lv.key] = False if lv.kind == "bool" else lv.cast(OFF)
    return out


@pytest.mark.parametrize("name", sorted({lv.intervention for lv in LEVERS}))
def test_every_lever_at_zero_does_nothing_and_costs_nothing(tiny, name):
    # Each effect of an intervention scales with its levers: deployed with every lever at 0 it
    # must leave every output as no intervention leaves it, on the same seeds.
    lowest = min(field_meta(lv.key)[0].get("lo") or 0.0 for lv in LEVERS if lv.intervention == name)
    if lowest > OFF:  # a lever whose deployed values start above 0 cannot be deployed at 0 at all
        with pytest.raises(ConfigError, match=f"interventions.{name}"):
            with_values(tiny, **_at_zero(name))
        assert portfolio_overrides(dict.fromkeys((lv.key for lv in LEVERS if lv.intervention == name), OFF)) == {
            f"interventions.{name}.enabled": False
        }
        return
    skip = ("runtime_s", "interventions")
    for seed in range(3):
        none = simulate(with_values(tiny, seed=seed)).summary
        zero = simulate(with_values(tiny, seed=seed, **_at_zero(name))).summary
        differ = {
            k: (none[k], zero[k]) for k in none if not k.startswith("time_") and k not in skip and none[k] != zero[k]
        }
        assert not differ, differ
        assert zero["cost_total"] == 0.0 and zero.get(f"cost_{name}", 0.0) == 0.0


@pytest.mark.parametrize("lv", LEVERS, ids=lambda lv: lv.name)
def test_every_lever_keeps_the_core_streams_in_lock_step(tiny, lv):
    # Common random numbers at every intensity: a lever changes what happens, never how many
    # draws a core process makes, so each core stream's next draw is the same as with no intervention.
    from sim.model.streams import CORE_STREAMS
    from sim.simulate import build_model

    def next_draws(cfg):
        model = build_model(cfg)
        model.run()
        return {name: model.streams[name].random() for name in CORE_STREAMS}

    base = next_draws(with_values(tiny, seed=4))
    for value in (lv.grid()[1], lv.high):
        assert next_draws(with_values(tiny, seed=4, **portfolio_overrides({lv.key: value}))) == base, value
