"""simulate_many: the batch every multi-run caller uses equals one simulate() call per configuration."""

from __future__ import annotations

import dataclasses
import importlib

import pandas as pd
import pytest

from sim.config import ConfigError
from sim.simulate import resolve_config, simulate, simulate_each, simulate_many

#: The module (``sim.simulate`` as an attribute of ``sim`` is the function).
simulate_module = importlib.import_module("sim.simulate")

#: Summary keys that time the run rather than describe it.
TIMING = ("runtime_s",)


def _outcomes(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k not in TIMING and not k.startswith("time_")}


def _configs():
    """Distinct seeds, shuffled, one duplicated, with and without interventions, one and three terms."""
    county = resolve_config({"scenario": "county"})
    every = resolve_config({"scenario": "county", "policy": "all"})
    three = resolve_config({"scenario": "county", "policy": "all"}, **{"schedule.terms": 3})
    return [
        dataclasses.replace(county, seed=11),
        dataclasses.replace(every, seed=4),
        dataclasses.replace(county, seed=2),
        dataclasses.replace(every, seed=11),
        dataclasses.replace(county, seed=11),
        dataclasses.replace(three, seed=5),
    ]


def test_a_batch_equals_each_configuration_run_alone():
    configs = _configs()
    batch = simulate_many(configs)
    assert len(batch) == len(configs)
    for cfg, got in zip(configs, batch, strict=True):
        alone = simulate(cfg)
        assert _outcomes(got.summary) == _outcomes(alone.summary)  # counts exactly, shares bit for bit
        pd.testing.assert_frame_equal(got.timeseries, alone.timeseries, check_exact=True)
        if alone.terms is None:
            assert got.terms is None
        else:
            pd.testing.assert_frame_equal(got.terms, alone.terms, check_exact=True)
    # The seeds matter (the comparison above is not between identical runs) ...
    assert _outcomes(batch[0].summary) != _outcomes(batch[2].summary)
    # ... and a duplicated configuration gives the same run wherever it sits in the batch.
    assert _outcomes(batch[0].summary) == _outcomes(batch[4].summary)
    assert len(batch[5].terms) == 3


def test_a_configuration_runs_the_same_in_any_batch():
    configs = _configs()
    alone = simulate_many(configs[3:4])[0]
    within = simulate_many(configs[:4])[3]
    assert _outcomes(alone.summary) == _outcomes(within.summary)


def test_a_batch_refuses_what_is_not_a_typed_configuration_before_running():
    cfg = resolve_config({"scenario": "county"})
    with pytest.raises(ConfigError, match=r"configs\[1\]"):
        simulate_many([cfg, {"scenario": "county"}])
    bad = dataclasses.replace(cfg, seed=-1)
    with pytest.raises(ConfigError, match="seed=-1"):
        simulate_many([cfg, bad])


def test_a_failing_configuration_fails_alone(monkeypatch):
    configs = [dataclasses.replace(c, seed=s) for c, s in zip(_configs()[:3], (1, 13, 2), strict=True)]
    real = simulate_module.simulate_many
    calls = []

    def fails_on_13(batch, allow_long=False):
        calls.append(len(batch))
        if any(c.seed == 13 for c in batch):
            raise RuntimeError("seed 13 breaks")
        return real(batch, allow_long=allow_long)

    monkeypatch.setattr(simulate_module, "simulate_many", fails_on_13)
    out = simulate_each(configs)
    assert calls == [3, 1, 1, 1]  # the batch, then each alone
    assert isinstance(out[1], RuntimeError) and "seed 13" in str(out[1])
    assert _outcomes(out[0].summary) == _outcomes(simulate(configs[0]).summary)
    assert _outcomes(out[2].summary) == _outcomes(simulate(configs[2]).summary)
