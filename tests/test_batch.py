"""Runs simulated together (sim/model/batch.py) equal the same runs simulated one at a time.

Every summary value (counts exactly, floats to 1e-12 relative), every cell of the daily series and
of the terms table, for each scale, each intervention alone and all of them, the provinces'
packages, one and three terms, a stress configuration with many sanctions, duplicated and shuffled
seeds; a run does not depend on which batch it is in; and each run draws the same numbers from
each of its streams, in the same order, as its lone run.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pandas as pd
import pytest

import sim.simulate  # noqa: F401 - the module (the package exports the function of the same name)
from sim.config import ConfigError
from sim.interventions import INTERVENTION_NAMES
from sim.model import batch as batch_module
from sim.model.batch import BatchError, BatchGenerator, ElectionBatch, Layout
from sim.model.streams import RandomStreams, uniforms
from sim.simulate import resolve_config, simulate, simulate_many

S = sys.modules["sim.simulate"]

#: Many detections, sanctions and unseatings: most tips substantiated, refusers and peers report.
STRESS = {
    "investigation": {"p_substantiate_true": 0.6, "p_substantiate_vague": 0.3, "p_substantiate_false": 0.05},
    "reporting": {"refuser_scale": 1.0, "peer_scale": 0.03},
}
#: Seeds with a duplicate, out of order.
SEEDS = (3, 1, 3, 2)
#: The provinces' packages (sim/conf/policy/<province>.yaml).
PACKAGES = (
    "anhui",
    "guangxi",
    "hunan",
    "inner_mongolia",
    "jiangxi",
    "liaoning",
    "qinghai",
    "shaanxi",
    "shanxi",
    "yunnan",
)
TIMINGS = ("runtime_s",)


def configs(scale: str, policy: str, seeds: tuple[int, ...] = SEEDS, **extra: Any) -> list:
    return [resolve_config({"scenario": scale, "policy": policy, **extra}, seed=s) for s in seeds]


def assert_same_value(key: str, lone: Any, batched: Any) -> None:
    if isinstance(lone, float):
        assert isinstance(batched, float), (key, lone, batched)
        assert batched == pytest.approx(lone, rel=1e-12, abs=0.0), key
    else:
        assert type(batched) is type(lone) and batched == lone, (key, lone, batched)


def assert_same_frame(lone: pd.DataFrame | None, batched: pd.DataFrame | None) -> None:
    if lone is None:
        assert batched is None
        return
    assert list(batched.columns) == list(lone.columns)
    for column in lone:
        a, b = lone[column], batched[column]
        assert a.dtype == b.dtype, column
        if a.dtype.kind == "f":
            np.testing.assert_allclose(b.to_numpy(), a.to_numpy(), rtol=1e-12, atol=0.0, err_msg=column)
        else:
            assert a.tolist() == b.tolist(), column


def assert_same_run(lone, batched) -> None:
    assert set(batched.summary) == set(lone.summary)
    for key, value in lone.summary.items():
        if key in TIMINGS or key.startswith("time_"):
            continue
        assert_same_value(key, value, batched.summary[key])
    assert_same_frame(lone.timeseries, batched.timeseries)
    assert_same_frame(lone.terms, batched.terms)


def assert_batch_equals_lone(cfgs: list) -> None:
    """One batch of ``cfgs`` against each configuration run alone."""
    batched = S._run_batch(cfgs)
    lone = {}
    for cfg, result in zip(cfgs, batched, strict=True):
        if cfg.seed not in lone:
            lone[cfg.seed] = simulate(cfg)
        assert result.summary["seed"] == cfg.seed
        assert_same_run(lone[cfg.seed], result)


@pytest.mark.parametrize("policy", ["none", *INTERVENTION_NAMES, "all"])
def test_county_batch_equals_lone_runs_for_each_intervention(policy):
    assert_batch_equals_lone(configs("county", policy))


@pytest.mark.parametrize("policy", ["none", *INTERVENTION_NAMES, "all"])
def test_county_three_terms_batch_equals_lone_runs(policy):
    assert_batch_equals_lone(configs("county", policy, (5, 4, 5), schedule={"terms": 3}))


@pytest.mark.parametrize("policy", ["none", *INTERVENTION_NAMES, "all"])
def test_city_batch_equals_lone_runs(policy):
    assert_batch_equals_lone(configs("city", policy, (2, 1)))


def test_city_three_terms_all_batch_equals_lone_runs():
    assert_batch_equals_lone(configs("city", "all", (2, 1), schedule={"terms": 3}))


def test_province_batch_equals_lone_runs():
    assert_batch_equals_lone(configs("province", "all", (1, 2)))


@pytest.mark.parametrize("package", PACKAGES)
def test_province_packages_batch_equals_lone_runs(package):
    assert_batch_equals_lone(configs("county", package, (7, 6)))


@pytest.mark.parametrize("policy", ["none", "tipoff_resolution", "all"])
def test_stress_batch_equals_lone_runs(policy):
    cfgs = configs("county", policy, (8, 9, 8, 10), **STRESS)
    assert_batch_equals_lone(cfgs)
    assert all(r.summary["people_sanctioned"] > 20 for r in S._run_batch(cfgs[:1] * 2))


def test_tiny_congresses_with_tied_votes_batch_equals_lone_runs():
    # Five delegates a congress: votes tie often and the merit tie-break decides seats.
    tiny = {"world": {"delegates_per_township": 5.0, "n_townships": 60, "peer_degree": 2}}
    assert_batch_equals_lone(configs("county", "all", (1, 2, 3, 4), **tiny))


def test_a_run_does_not_depend_on_its_batch():
    first = S._run_batch(configs("county", "all", (11, 12, 13)))
    second = S._run_batch(configs("county", "all", (13, 14)))
    assert_same_run(first[2], second[0])
    for key in ("offers", "tips", "detections", "seats_bought_final"):
        assert first[2].summary[key] == second[0].summary[key]


def test_simulate_many_keeps_order_across_arms_and_equals_simulate():
    cfgs = [*configs("county", "none", (2, 1)), *configs("county", "all", (1,)), *configs("county", "none", (4,))]
    results = simulate_many(cfgs)
    assert S.plan_batches(cfgs) == [[0, 1, 3], [2]]
    for cfg, result in zip(cfgs, results, strict=True):
        assert_same_run(simulate(cfg), result)


def test_simulate_many_rejects_what_is_not_a_configuration():
    with pytest.raises(ConfigError, match=r"configs\[1\]"):
        simulate_many([resolve_config({}, seed=1), {"scenario": "county"}])


def test_batching_off_runs_one_at_a_time(monkeypatch):
    built = []
    monkeypatch.setattr(S, "BATCHING", False)
    monkeypatch.setattr(S, "ElectionBatch", lambda *a, **k: built.append(a))
    results = simulate_many(configs("county", "none", (1, 2)))
    assert not built and [r.summary["seed"] for r in results] == [1, 2]


def test_an_ambiguous_layout_falls_back_to_lone_runs(monkeypatch):
    def refuse(*args, **kwargs):
        raise BatchError("ambiguous")

    monkeypatch.setattr(S, "ElectionBatch", refuse)
    cfgs = configs("county", "none", (1, 2))
    for cfg, result in zip(cfgs, simulate_many(cfgs), strict=True):
        assert_same_run(simulate(cfg), result)


def test_layout_is_ambiguous_when_two_entities_share_a_total_but_not_a_split():
    clear = Layout({"delegate": np.array([3, 4]), "township": np.array([1, 1])})
    assert not clear.ambiguous()
    same_split = Layout({"delegate": np.array([3, 4]), "tie": np.array([3, 4])})
    assert not same_split.ambiguous()
    assert Layout({"delegate": np.array([3, 4]), "tie": np.array([4, 3])}).ambiguous()


def test_batch_generator_splits_each_draw_by_run_and_refuses_a_size_it_cannot_split():
    layout = Layout({"delegate": np.array([3, 5]), "township": np.array([1, 2])})
    lone = [np.random.default_rng(s) for s in (1, 2)]
    gen = BatchGenerator([np.random.default_rng(s) for s in (1, 2)], layout)
    np.testing.assert_array_equal(gen.random(8), np.concatenate([lone[0].random(3), lone[1].random(5)]))
    counts = gen.poisson(2.0, 3)
    np.testing.assert_array_equal(counts, np.concatenate([lone[0].poisson(2.0, 1), lone[1].poisson(2.0, 2)]))
    first, second = counts[:1].sum(), counts[1:].sum()
    got = uniforms(gen, ("false_tip", first + second), ("delegate", 8))
    want = [
        np.concatenate(parts)
        for parts in zip(
            *(uniforms(g, ("x", n), ("y", d)) for g, n, d in ((lone[0], first, 3), (lone[1], second, 5))), strict=True
        )
    ]
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(BatchError):
        gen.random(7)


def test_prefetched_uniforms_are_the_numbers_drawn_day_by_day():
    layout = Layout({"tie": np.array([4, 6])})
    ahead = BatchGenerator([np.random.default_rng(s) for s in (5, 6)], layout, prefetch=3)
    daily = BatchGenerator([np.random.default_rng(s) for s in (5, 6)], layout)
    for _ in range(7):  # across the refills
        np.testing.assert_array_equal(ahead.random(10), daily.random(10))
    with pytest.raises(BatchError):
        ahead.normal(0.0, 1.0, 10)


# ------------------------------------------------------------------------------ the draw log
class LoggedGenerator:
    """A generator that records each call: (method, values drawn)."""

    def __init__(self, gen: np.random.Generator, log: list) -> None:
        self._gen, self._log = gen, log

    def __getattr__(self, method: str):
        target = getattr(self._gen, method)

        def call(*args, **kwargs):
            out = target(*args, **kwargs)
            self._log.append((method, int(np.size(out))))
            return out

        return call


def merged(log: list) -> list:
    """Consecutive uniform draws as one (cutting a run of ``random`` calls does not change the numbers)."""
    out: list = []
    for method, n in log:
        if out and method == "random" and out[-1][0] == "random":
            out[-1] = ("random", out[-1][1] + n)
        else:
            out.append((method, n))
    return out


def test_each_run_of_a_batch_draws_as_its_lone_run(monkeypatch):
    original = RandomStreams.__getitem__

    def logged(self, name):
        logs = self.__dict__.setdefault("logs", {})
        wrapped = self.__dict__.setdefault("wrapped", {})
        if name not in wrapped:
            wrapped[name] = LoggedGenerator(original(self, name), logs.setdefault(name, []))
        return wrapped[name]

    monkeypatch.setattr(RandomStreams, "__getitem__", logged)
    monkeypatch.setattr(batch_module, "PREFETCHED", ())  # day by day, as a lone run draws
    cfgs = configs("county", "all", (4, 3), schedule={"terms": 2}, **STRESS)
    batch = ElectionBatch(cfgs, S.build_interventions(cfgs[0].interventions))
    batch.run()
    for cfg, streams in zip(cfgs, batch.streams.units, strict=True):
        lone = S.build_model(cfg)
        lone.run()
        assert set(streams.logs) == set(lone.streams.logs)
        for name, log in lone.streams.logs.items():
            assert merged(streams.logs[name]) == merged(log), name
        assert len(lone.streams.logs["reporting"]) > 100
