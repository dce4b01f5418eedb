"""build_config's direct construction agrees with the OmegaConf path: equal values of equal types, or the same error."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import sim.config.build as config_module
from sim.config import build_config, iter_params
from sim.simulate import resolve_config


def _typed_equal(a, b) -> bool:
    if dataclasses.is_dataclass(a):
        fields = dataclasses.fields(a)
        return type(a) is type(b) and all(_typed_equal(getattr(a, f.name), getattr(b, f.name)) for f in fields)
    if isinstance(a, list):
        return type(b) is list and len(a) == len(b) and all(_typed_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and (a == b or (a != a and b != b))


def _outcome(fn, *args, **kwargs):
    try:
        return ("ok", fn(*args, **kwargs))
    except Exception as exc:  # the type and the message are compared
        return ("error", type(exc).__name__, str(exc))


def _both(monkeypatch, fn, *args, **kwargs):
    direct = _outcome(fn, *args, **kwargs)
    monkeypatch.setattr(config_module, "_build_direct", lambda source, overrides: None)
    omegaconf = _outcome(fn, *args, **kwargs)
    monkeypatch.undo()
    return direct, omegaconf


def _same(direct, omegaconf) -> bool:
    if direct[0] != omegaconf[0]:
        return False
    return _typed_equal(direct[1], omegaconf[1]) if direct[0] == "ok" else direct[1:] == omegaconf[1:]


def _values(default):
    """A value each path must convert the same way, and some each must reject with the same message."""
    if isinstance(default, bool):
        return [1, "yes"]
    if isinstance(default, int):
        return [float(default), "x", True]
    if isinstance(default, float):
        return [int(default), "inf", "${seed}"]
    if isinstance(default, list):
        return [[1, 2, 3], [1.0, "x", 2.0]]
    return [5, "???"]


CASES = [(key, value) for key, default, _ in iter_params() for value in _values(default)]


@pytest.mark.parametrize(("key", "value"), CASES, ids=[f"{k}={v!r}" for k, v in CASES])
def test_direct_construction_agrees_with_omegaconf(monkeypatch, key, value):
    nested: dict = {}
    node = nested
    *parents, leaf = key.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value
    for args, kwargs in (((None,), {key: value}), ((nested,), {})):
        direct, omegaconf = _both(monkeypatch, build_config, *args, **kwargs)
        assert _same(direct, omegaconf), (args, kwargs, direct[:3], omegaconf[:3])


@pytest.mark.parametrize(
    ("config", "overrides"),
    [
        ({"scenario": "city", "policy": "all"}, {"seed": 3}),
        ({"scenario": "province"}, {"world.n_townships": 100, "world.n_counties": 10}),
        ({"world": {"n_townships": 0}}, {"world.n_townships": 5}),
        ({"interventions": {"team_inspection": {"enabled": True}}}, {"interventions.team_inspection": {"n_teams": 9}}),
        ({"world": 5}, {}),
        ({}, {"world.n_townshps": 3}),
        ({"voting": {"compliance": np.float64(0.5)}}, {"seed": np.int64(4)}),
    ],
)
def test_resolve_config_agrees_with_omegaconf(monkeypatch, config, overrides):
    direct, omegaconf = _both(monkeypatch, resolve_config, config, **overrides)
    assert _same(direct, omegaconf), (direct[:3], omegaconf[:3])


def test_a_typed_configuration_with_overrides_agrees(monkeypatch):
    base = build_config(None)
    for overrides in ({"seed": 9}, {"world.n_townships": 24, "world.n_counties": 2}, {"world.n_townships": "many"}):
        direct, omegaconf = _both(monkeypatch, build_config, base, **overrides)
        assert _same(direct, omegaconf), overrides
