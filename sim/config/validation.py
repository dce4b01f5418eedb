"""Validation of a typed configuration: every field's type and bounds, then the cross-field rules."""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
import typing
from typing import Any

import numpy as np

from sim.config.fields import ConfigError
from sim.config.schema import SimConfig
from sim.config.size import check_size


def validate(cfg: SimConfig) -> None:
    """Check every bounded field and the cross-field rules.

    Raises:
        ConfigError: Naming the offending key and its value.
    """
    check_fields(cfg)
    w = cfg.world
    if w.seats_per_township >= w.candidates_per_township:
        raise ConfigError(
            f"world.seats_per_township={w.seats_per_township} must be smaller than "
            f"world.candidates_per_township={w.candidates_per_township} (a competitive election)"
        )
    if w.n_counties < w.n_cities:
        raise ConfigError(f"world.n_counties={w.n_counties} must be at least world.n_cities={w.n_cities}")
    if w.n_townships < w.n_counties:
        raise ConfigError(f"world.n_townships={w.n_townships} must be at least world.n_counties={w.n_counties}")
    if w.peer_degree % 2:
        raise ConfigError(f"world.peer_degree={w.peer_degree} must be even (a ring lattice)")
    largest = int(w.delegates_per_township * (1.0 + w.delegates_spread)) + 1
    if w.peer_degree > largest:
        # Ties are capped at the congress size; a larger degree changes nothing but the run time.
        raise ConfigError(
            f"world.peer_degree={w.peer_degree} exceeds the largest congress (about {largest} delegates with "
            f"world.delegates_per_township={w.delegates_per_township}): use at most {largest}"
        )
    for key in ("broker_kind_shares", "broker_ties", "broker_cut", "cross_township_share"):
        if len(getattr(w, key)) != 3:
            raise ConfigError(f"world.{key}={getattr(w, key)} must have 3 entries (political, clan, gang)")
    if abs(sum(w.broker_kind_shares) - 1.0) > 1e-9:
        raise ConfigError(f"world.broker_kind_shares={w.broker_kind_shares} must sum to 1")
    for key in ("monitoring_by_kind",):
        if len(getattr(cfg.voting, key)) != 3:
            raise ConfigError(f"voting.{key}={getattr(cfg.voting, key)} must have 3 entries (political, clan, gang)")
    slowest = max(cfg.investigation.supervised_days, cfg.investigation.direct_days)
    if 0 < cfg.schedule.post_election_days < slowest:
        # A shorter window cuts off every case opened on congress day before it can close, so the
        # post-election unseatings would measure the window, not the hotline.
        raise ConfigError(
            f"schedule.post_election_days={cfg.schedule.post_election_days} is shorter than the slowest "
            f"investigation deadline ({slowest} days, investigation.supervised_days): cases opened on congress "
            "day could never close; use 0 (no aftermath) or at least that many days"
        )
    rs = cfg.interventions.risk_screening
    if rs.high_share + rs.medium_share > 1.0:
        raise ConfigError(
            f"interventions.risk_screening.high_share + medium_share = {rs.high_share + rs.medium_share} exceeds 1"
        )
    check_size(cfg)


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    """``typing.get_type_hints`` of a configuration class, once (it evaluates every annotation anew)."""
    return typing.get_type_hints(cls)


def check_fields(node: Any, prefix: str = "") -> None:
    """Check every field of a configuration dataclass (and its sections) against its declaration.

    Each field's type (no coercion: ``"0.5"`` is not a number, ``1`` is not ``True``), finiteness,
    bounds (``lo``/``hi`` inclusive, ``above``/``below`` exclusive) and choices, as declared with
    :func:`sim.config.fields.param` or :func:`sim.config.fields.setting`.

    Args:
        node: A configuration dataclass (a :class:`SimConfig`, the optimiser's settings ...).
        prefix: The dotted key of ``node`` (``"optimise."``), for the messages.

    Raises:
        ConfigError: Naming the key and the value, and why the bound is there where it says.
    """
    for name, hint, declared in _plan(type(node)):
        value = getattr(node, name)
        key = prefix + name
        if dataclasses.is_dataclass(value):
            check_fields(value, key + ".")
            continue
        _check_type(key, value, hint)
        _check_bounds(key, value, declared)


@functools.cache
def _plan(cls: type) -> tuple[tuple[str, Any, tuple[Any, ...]], ...]:
    """Each field of a configuration class with its type and declared rules, read once.

    Validation runs on every configuration built (every run of a sweep): reading the dataclass
    fields, their type hints and their metadata anew each time cost more than the checks.
    """
    hints = _type_hints(cls)
    keys = ("why", "choices", "lo", "hi", "above", "below")
    return tuple(
        (f.name, hints.get(f.name), tuple(f.metadata.get(k, "" if k == "why" else None) for k in keys))
        for f in dataclasses.fields(cls)
    )


def _fmt(bound: float) -> str:
    """A bound as people read it: thousands separated in whole numbers."""
    return f"{bound:,}" if isinstance(bound, int) and abs(bound) >= 10_000 else str(bound)


def _check_bounds(key: str, value: Any, declared: tuple[Any, ...]) -> None:
    why, choices, lo, hi, above, below = declared
    if choices is not None and value not in choices:
        raise ConfigError(f"{key}={value!r} must be one of: {', '.join(map(str, choices))}{why}")
    values = value if isinstance(value, list) else [value]
    for v in values:
        if isinstance(v, bool | np.bool_) or not isinstance(v, numbers.Real):
            continue
        if not math.isfinite(v):  # NaN and infinities would poison every sum they enter
            raise ConfigError(f"{key}={value} is not a finite number")
        if lo is not None and v < lo:
            raise ConfigError(f"{key}={value} is below its minimum {_fmt(lo)}{why}")
        if hi is not None and v > hi:
            raise ConfigError(f"{key}={value} is above its maximum {_fmt(hi)}{why}")
        if above is not None and not v > above:
            raise ConfigError(f"{key}={value} must be above {_fmt(above)}{why}")
        if below is not None and not v < below:
            raise ConfigError(f"{key}={value} must be below {_fmt(below)}{why}")


def _is_whole(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool | np.bool_)


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool | np.bool_)


#: What each declared type accepts, and how a refusal says it.  Whole numbers of numpy count as
#: whole numbers, but nothing is converted: a string is not a number and a number is not a switch.
_TYPES: dict[Any, tuple[Any, str]] = {
    bool: (lambda v: isinstance(v, bool | np.bool_), "true or false"),
    int: (_is_whole, "a whole number"),
    float: (_is_number, "a number"),
    str: (lambda v: isinstance(v, str), "a string"),
}


def _check_type(key: str, value: Any, hint: Any) -> None:
    """Values set directly on a typed configuration are checked like those merged by OmegaConf."""
    if hint is None:
        return
    accepts = _TYPES.get(hint)
    if accepts is not None:
        if not accepts[0](value):
            raise ConfigError(f"{key}={value!r} must be {accepts[1]} ({hint.__name__}), not {type(value).__name__}")
        return
    origin = typing.get_origin(hint)
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{key}={value!r} must be a list")
        item = typing.get_args(hint)[0]
        for v in value:
            _check_type(key, v, item)
        return
    if origin is dict and not isinstance(value, dict):
        raise ConfigError(f"{key}={value!r} must be a mapping")


def iter_params(node: Any = None, prefix: str = "") -> list[tuple[str, Any, dict[str, Any]]]:
    """All documented parameters as (dotted key, default, metadata), for documentation."""
    node = SimConfig() if node is None else node
    rows: list[tuple[str, Any, dict[str, Any]]] = []
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if dataclasses.is_dataclass(value):
            rows.extend(iter_params(value, f"{prefix}{f.name}."))
        else:
            rows.append((f"{prefix}{f.name}", value, dict(f.metadata)))
    return rows


def assumed_ranges(node: Any = None) -> dict[str, dict[str, Any]]:
    """Every parameter declared with an assumed range: dotted key -> ``low, high, log, reason, default``.

    The parameters nobody fitted that set an intervention's strength or a key mechanism, with the
    prior range the decision sweeps draw them from (``param(..., assumed=...)``).
    """
    return {
        key: {**meta["assumed"], "default": default} for key, default, meta in iter_params(node) if "assumed" in meta
    }
