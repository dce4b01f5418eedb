"""Parameters between the configuration schema and outside tools.

Two jobs shared by every adapter:

* :func:`plain` turns numpy scalars (what EMA Workbench samples, what ``np.linspace`` yields for
  Mesa's batch runner) into the Python ``bool``/``int``/``float`` the configuration accepts, so
  the adapters work whether or not :func:`sim.simulate` accepts numpy values itself.
* :func:`select_params` picks parameters of the schema by dotted key, by group or by glob pattern
  and gives each a sampling range from its documented bounds (see :func:`sim.config.param`).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from sim.config import iter_params

#: Keys never offered for sampling: the seed is set by the replication scheme, not sampled.
NOT_SAMPLED = ("seed",)


def plain(value: Any) -> Any:
    """The value with numpy scalars (also inside lists, tuples and dicts) turned into Python ones.

    ``numpy.bool_`` becomes ``bool``, integer scalars ``int``, floating scalars ``float`` and
    0-d arrays their item; anything else is returned unchanged.

    Args:
        value: A value as an outside tool hands it over.

    Returns:
        The same value with Python scalars only.

    Example:
        >>> import numpy as np
        >>> plain({"a": np.float64(0.5), "b": [np.int64(3), np.bool_(True)]})
        {'a': 0.5, 'b': [3, True]}
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(plain(v) for v in value)
    return value


@dataclass(frozen=True)
class ParamSpec:
    """One configuration parameter offered to a sampler.

    Attributes:
        key: Dotted configuration key, e.g. ``"delegates.money_weight"``.
        kind: ``"real"``, ``"int"`` or ``"bool"``.
        lower: Smallest value sampled (``False`` for a boolean).
        upper: Largest value sampled (``True`` for a boolean).
        default: The schema's default.
    """

    key: str
    kind: Literal["real", "int", "bool"]
    lower: float
    upper: float
    default: Any


def schema_params() -> dict[str, tuple[Any, dict[str, Any]]]:
    """Every scalar numeric or boolean parameter of the schema: key -> (default, metadata)."""
    out = {}
    for key, default, meta in iter_params():
        if key in NOT_SAMPLED or isinstance(default, list | str):
            continue
        out[key] = (default, meta)
    return out


def _range(key: str, default: Any, meta: Mapping[str, Any], span: float) -> tuple[float, float] | None:
    """The sampling range of a numeric parameter, or None if it has none.

    Bounds documented in the schema are used as they are; a side left open is ``span`` times the
    default away from it (clipped to the other bound).  A parameter whose default is 0 and whose
    range is open on a side has no natural range.
    """
    lo, hi = meta.get("lo"), meta.get("hi")
    width = span * abs(float(default))
    lower = float(lo) if lo is not None else float(default) - width
    upper = float(hi) if hi is not None else float(default) + width
    if lo is not None and hi is None:
        lower = max(float(lo), float(default) - width)
    if isinstance(default, int):
        lower, upper = float(np.ceil(lower)), float(np.floor(upper))
    if not upper > lower:
        return None
    return lower, upper


def select_params(
    selectors: Iterable[str],
    *,
    ranges: Mapping[str, tuple[float, float]] | None = None,
    span: float = 0.5,
) -> list[ParamSpec]:
    """Parameters of the schema picked by key, group or pattern, each with a range.

    Args:
        selectors: Dotted keys (``"delegates.money_weight"``), groups (``"delegates"``,
            ``"interventions.team_inspection"``: every parameter under it) or glob patterns
            (``"interventions.*.enabled"``).
        ranges: Ranges that replace the schema's, by key (also the way to give one to a
            parameter the schema leaves open on a side with a default of 0).
        span: For a side the schema leaves open, the range reaches ``span`` times the default
            away from the default (0.5: from half to one and a half times the default).

    Returns:
        The parameters in schema order, without repeats.

    Raises:
        ValueError: A selector matches nothing, a key named exactly has no range, or a range
            given in ``ranges`` lies outside the schema's bounds.
    """
    params = schema_params()
    ranges = dict(ranges or {})
    chosen: dict[str, bool] = {}  # key -> named exactly
    for sel in selectors:
        if sel in params:
            chosen[sel] = True
            continue
        pattern = sel if any(c in sel for c in "*?[") else f"{sel}.*"
        hits = [k for k in params if fnmatch.fnmatchcase(k, pattern)]
        if not hits:
            raise ValueError(f"{sel!r} matches no parameter of the schema (see docs/PARAMETERS.md)")
        for k in hits:
            chosen.setdefault(k, False)
    unknown = set(ranges) - set(params)
    if unknown:
        raise ValueError(f"ranges given for unknown keys: {sorted(unknown)}")
    specs = []
    for key in params:  # schema order
        if key not in chosen:
            continue
        default, meta = params[key]
        if isinstance(default, bool):
            specs.append(ParamSpec(key, "bool", False, True, default))
            continue
        if key in ranges:
            lower, upper = (float(v) for v in ranges[key])
            lo, hi = meta.get("lo"), meta.get("hi")
            if (lo is not None and lower < lo) or (hi is not None and upper > hi) or not upper > lower:
                raise ValueError(f"range {ranges[key]} for {key} is empty or outside its bounds [{lo}, {hi}]")
            rng: tuple[float, float] | None = (lower, upper)
        else:
            rng = _range(key, default, meta, span)
        if rng is None:
            if chosen[key]:
                raise ValueError(f"{key} (default {default}) has no range in the schema: give one in ranges=")
            continue  # picked by group or pattern: left out
        kind: Literal["real", "int"] = "int" if isinstance(default, int) else "real"
        specs.append(ParamSpec(key, kind, rng[0], rng[1], default))
    return specs
