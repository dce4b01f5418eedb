"""Parameters between the configuration schema and outside tools.

Jobs shared by every adapter:

* :func:`plain` turns numpy scalars (what EMA Workbench samples, what ``np.linspace`` yields for
  Mesa's batch runner) into the Python ``bool``/``int``/``float`` the configuration accepts, so
  the adapters work whether or not :func:`sim.simulate` accepts numpy values itself.
* :func:`select_params` picks parameters of the schema by dotted key, by group or by glob pattern
  and gives each a sampling range from its documented bounds (see :func:`sim.config.param`);
  ``"decision"`` picks the decision levers of :mod:`sim.levers` (0: the intervention is not
  deployed), ``"scenario"`` and ``"policy"`` the presets.
* :func:`run_overrides` turns sampled values into the configuration overrides of one run, a
  decision lever switching its intervention on or off as the optimiser's portfolios do
  (:func:`sim.levers.portfolio_overrides`); :func:`check_no_idle_parameters` refuses a sampled
  setting of an intervention that no experiment switches on.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from sim.config import ConfigError, SimConfig, iter_params
from sim.levers import BY_KEY, LEVERS, OFF, portfolio_overrides, searched_levers
from sim.presets import GROUPS, preset_names

#: Keys never offered for sampling: the seed is set by the replication scheme, not sampled.
NOT_SAMPLED = ("seed",)

#: The selector that picks every decision lever of :mod:`sim.levers`.
DECISION = "decision"

Kind = Literal["real", "int", "bool", "lever", "preset"]


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
        key: Dotted configuration key, e.g. ``"delegates.money_weight"``; ``"scenario"`` or
            ``"policy"`` for a preset.
        kind: ``"real"``, ``"int"``, ``"bool"``, ``"lever"`` (a decision lever of
            :mod:`sim.levers`: 0 leaves its intervention out) or ``"preset"``.
        lower: Smallest value sampled (0 for a boolean; unused for a preset).
        upper: Largest value sampled (1 for a boolean; unused for a preset).
        default: The schema's default.
        choices: A preset's names.
        integer: Whether the values are whole numbers (integer settings, booleans, and levers
            counted in units such as inspection teams).
    """

    key: str
    kind: Kind
    lower: float
    upper: float
    default: Any
    choices: tuple[str, ...] = ()
    integer: bool = False

    @property
    def intervention(self) -> str | None:
        """The intervention a setting belongs to (``interventions.<name>.*``), else None."""
        parts = self.key.split(".")
        return parts[1] if parts[0] == "interventions" and len(parts) == 3 else None


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


def lever_spec(key: str, bounds: Sequence[float] | None = None) -> ParamSpec:
    """A decision lever as a sampled parameter: from 0 (not deployed) to its highest value.

    Args:
        key: The lever's dotted key (``interventions.team_inspection.n_teams``).
        bounds: ``(low, high)`` narrowing the lever's range, checked as the optimiser checks it.

    Raises:
        ValueError: The bounds leave the lever's declared range.
    """
    lv = BY_KEY[key]
    try:
        searched = searched_levers([key], {key: bounds} if bounds is not None else None)[0]
    except ConfigError as exc:
        raise ValueError(str(exc).replace("optimise.ranges.", "ranges: ")) from exc
    integer = lv.kind in ("int", "bool")
    return ParamSpec(key, "lever", searched.low, searched.high, lv.default, integer=integer)


def preset_spec(group: str, choices: Sequence[str] | None = None) -> ParamSpec:
    """A preset group (``scenario`` or ``policy``) as a categorical parameter.

    Raises:
        ValueError: A choice is not a preset of the group, or fewer than two are left.
    """
    names = preset_names(group)
    chosen = tuple(choices) if choices is not None else tuple(names)
    unknown = [c for c in chosen if c not in names]
    if unknown or len(chosen) < 2:
        raise ValueError(f"ranges[{group!r}]={list(chosen)}: give two or more of the presets {', '.join(names)}")
    return ParamSpec(group, "preset", 0.0, float(len(chosen) - 1), GROUPS[group], choices=chosen)


def _numeric_spec(key: str, default: Any, meta: Mapping[str, Any], given: Any, span: float) -> ParamSpec | None:
    """A schema parameter with its range (None when it has none)."""
    if isinstance(default, bool):
        return ParamSpec(key, "bool", 0.0, 1.0, default, integer=True)
    if given is not None:
        lower, upper = (float(v) for v in given)
        lo, hi = meta.get("lo"), meta.get("hi")
        if (lo is not None and lower < lo) or (hi is not None and upper > hi) or not upper > lower:
            raise ValueError(f"range {tuple(given)} for {key} is empty or outside its bounds [{lo}, {hi}]")
        rng: tuple[float, float] | None = (lower, upper)
    else:
        rng = _range(key, default, meta, span)
    if rng is None:
        return None
    integer = isinstance(default, int)
    return ParamSpec(key, "int" if integer else "real", rng[0], rng[1], default, integer=integer)


def _expand(selectors: Iterable[str], params: Mapping[str, Any]) -> dict[str, bool]:
    """The keys the selectors pick: key -> named exactly (presets and levers by name included)."""
    chosen: dict[str, bool] = {}
    for sel in selectors:
        if sel == DECISION:
            for lv in LEVERS:
                chosen.setdefault(lv.key, False)
            continue
        full = f"interventions.{sel}"
        if sel in params or sel in GROUPS or full in BY_KEY:
            chosen[full if full in BY_KEY else sel] = True
            continue
        pattern = sel if any(c in sel for c in "*?[") else f"{sel}.*"
        hits = [k for k in params if fnmatch.fnmatchcase(k, pattern)]
        if not hits:
            raise ValueError(f"{sel!r} matches no parameter of the schema (see docs/PARAMETERS.md)")
        for k in hits:
            chosen.setdefault(k, False)
    return chosen


def _drop_switches_beside_levers(chosen: dict[str, bool]) -> None:
    """An intervention's decision lever switches it: its ``enabled`` key is not sampled beside it.

    Raises:
        ValueError: The switch was named exactly beside one of its intervention's levers.
    """
    with_levers = {BY_KEY[k].intervention: k for k in chosen if k in BY_KEY and not k.endswith(".enabled")}
    for name, lever_key in with_levers.items():
        switch = f"interventions.{name}.enabled"
        if chosen.get(switch):
            raise ValueError(
                f"{switch} is sampled beside the lever {lever_key}, which already switches {name} "
                "(0: not deployed, above 0: deployed at that value); sample one or the other"
            )
        chosen.pop(switch, None)


def select_params(
    selectors: Iterable[str],
    *,
    ranges: Mapping[str, Any] | None = None,
    span: float = 0.5,
) -> list[ParamSpec]:
    """Parameters of the schema picked by key, group or pattern, each with a range.

    Args:
        selectors: Dotted keys (``"delegates.money_weight"``), groups (``"delegates"``,
            ``"interventions.team_inspection"``: every parameter under it), glob patterns
            (``"interventions.*.enabled"``), ``"decision"`` (every decision lever of
            :mod:`sim.levers`), a lever by its short name (``"team_inspection.n_teams"``), or
            ``"scenario"`` / ``"policy"`` (the presets, as categories).  A decision lever,
            however picked, ranges from 0 (its intervention not deployed) to its highest value,
            and its intervention's ``enabled`` switch is not sampled beside it.
        ranges: Ranges that replace the schema's, by key (also the way to give one to a
            parameter the schema leaves open on a side with a default of 0); for a preset group,
            the list of presets to choose from.
        span: For a side the schema leaves open, the range reaches ``span`` times the default
            away from the default (0.5: from half to one and a half times the default).

    Returns:
        The parameters in schema order (presets first, levers in the schema's place), without
        repeats.

    Raises:
        ValueError: A selector matches nothing, a key named exactly has no range, a range given in
            ``ranges`` lies outside the schema's or the lever's bounds, or an ``enabled`` switch is
            named beside one of its intervention's levers.
    """
    params = schema_params()
    ranges = dict(ranges or {})
    unknown = set(ranges) - set(params) - set(GROUPS)
    if unknown:
        raise ValueError(f"ranges given for unknown keys: {sorted(unknown)}")
    chosen = _expand(selectors, params)
    _drop_switches_beside_levers(chosen)
    specs = [preset_spec(g, ranges.get(g)) for g in GROUPS if g in chosen]
    for key in params:  # schema order
        if key not in chosen:
            continue
        if key in BY_KEY:
            specs.append(lever_spec(key, ranges.get(key)))
            continue
        default, meta = params[key]
        spec = _numeric_spec(key, default, meta, ranges.get(key), span)
        if spec is None and chosen[key]:
            raise ValueError(f"{key} (default {default}) has no range in the schema: give one in ranges=")
        if spec is not None:
            specs.append(spec)
    return specs


def run_overrides(values: Mapping[str, Any], specs: Iterable[ParamSpec]) -> dict[str, Any]:
    """The configuration overrides of one run from sampled values, by configuration key.

    Decision levers deploy their intervention as :func:`sim.levers.portfolio_overrides` does (0:
    not deployed; above 0: deployed at that value, and a value between 0 and the lever's lowest
    deployed value, such as a tip-off capacity of 0.4 times the basic hotline's, deploys that
    lowest value); booleans sampled as 0 or 1 become ``False`` or ``True``, whole-number settings
    ``int``; presets are passed by name.

    Args:
        values: Sampled values by configuration key (numpy scalars welcome).
        specs: The sampled parameters.

    Returns:
        Dotted-key overrides, presets (``scenario``, ``policy``) among them.
    """
    kinds = {s.key: s.kind for s in specs}
    out: dict[str, Any] = {}
    levers: dict[str, float] = {}
    for key, value in values.items():
        value = plain(value)
        kind = kinds.get(key)
        if kind == "lever":
            lv = BY_KEY[key]
            levers[key] = lv.low if OFF < float(value) < lv.low else float(value)
        elif kind == "bool":
            out[key] = bool(value)
        elif kind == "int":
            out[key] = round(value)
        else:
            out[key] = value
    out.update(portfolio_overrides(levers))
    return out


def check_no_idle_parameters(specs: Sequence[ParamSpec], base: SimConfig) -> None:
    """Refuse a sampled setting of an intervention that is off in every experiment.

    A setting such as ``interventions.team_inspection.detect_per_tie_day`` changes nothing while
    inspection is off: it would be sampled, recorded and analysed without any effect.  An
    intervention is on in some experiment when the base configuration deploys it, or one of its
    levers or its switch, or the policy preset, is sampled.

    Raises:
        ValueError: Naming the setting and what would switch its intervention on.
    """
    keys = {s.key for s in specs}
    switched = {s.intervention for s in specs if s.kind == "lever" or s.key.endswith(".enabled")}
    for spec in specs:
        name = spec.intervention
        if name is None or spec.kind == "lever" or spec.key.endswith(".enabled"):
            continue
        if name in switched or "policy" in keys or getattr(base.interventions, name).enabled:
            continue
        levers = ", ".join(lv.name for lv in LEVERS if lv.intervention == name)
        raise ValueError(
            f"{spec.key} is sampled, but {name} is off in every experiment, so it would change nothing: "
            f"sample one of its levers ({levers}) or its switch (interventions.{name}.enabled), the policy "
            f"preset, or deploy it in base= (e.g. base={{'policy': {name!r}}})"
        )
