"""Decision levers: the intensities an analyst chooses, their ranges, and the portfolio they make.

Each intervention declares its levers in the configuration schema (``lever=(low, high, step)`` in
:func:`sim.config.param`); :data:`LEVERS` is the table built from those declarations, the one
place the optimiser (``experiment=optimise``), the documentation (``docs/PARAMETERS.md``) and the
report read them from.  A lever's values are ``low, low + step, ..., high``; the value 0 always
means *the intervention is not deployed* (``enabled: false``, cost 0), also for a lever whose
smallest deployed value is above 0 (``tipoff_resolution.capacity_multiplier``: 0 = off, or 1 to
10 times the basic hotline's capacity).  An intervention with two levers (pledges and talks) is
deployed when either is above 0.

A *portfolio* gives every searched lever a value.  Its cost is not computed here: it follows from
the model's own cost accounting (``cost_total`` and ``cost_<intervention>`` of the run summary,
in staff-days), because what an intensity costs depends on the province (sessions are per
township, investigator-days follow the tips that come in).
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sim.config import ConfigError, InterventionsConfig, SimConfig

#: The value of every lever that means "not deployed".
OFF = 0.0

#: Short names of the interventions in portfolio labels (folder names, tables).
SHORT = {
    "warning_education": "education",
    "risk_screening": "screening",
    "candidate_vetting": "vetting",
    "tipoff_resolution": "tipoff",
    "team_inspection": "teams",
    "pledges_talks": "pledges",
}


@dataclass(frozen=True)
class Lever:
    """One decision lever of one intervention.

    Attributes:
        key: Dotted configuration key, e.g. ``interventions.team_inspection.n_teams``.
        intervention: The intervention it belongs to, e.g. ``team_inspection``.
        kind: ``bool``, ``int`` or ``float`` (the field's type).
        low: Smallest deployed value.
        high: Largest value.
        step: Spacing of the values searched.
        default: The schema's default: the intensity of the fixed arms (``policy=<name>``).
        unit: Unit of the value.
        doc: Meaning of the parameter.
    """

    key: str
    intervention: str
    kind: str
    low: float
    high: float
    step: float
    default: Any
    unit: str
    doc: str

    @property
    def name(self) -> str:
        """The key without ``interventions.``, e.g. ``team_inspection.n_teams``."""
        return self.key.removeprefix("interventions.")

    def cast(self, value: float) -> bool | int | float:
        """``value`` as the field's type (a grid value rounded to 10 decimals)."""
        if self.kind == "bool":
            return bool(value)
        if self.kind == "int":
            return round(value)
        return round(float(value), 10)

    def grid(self, low: float | None = None, high: float | None = None) -> tuple[float, ...]:
        """The values searched within ``[low, high]`` (default: the whole range), 0 (off) first if included.

        The deployed values lie on the lever's own grid ``self.low + k * self.step``; 0 is
        included when ``low`` is 0 (the default), so "not deployed" is always a choice unless the
        range excludes it.
        """
        low = OFF if low is None else float(low)
        high = self.high if high is None else float(high)
        n = round((self.high - self.low) / self.step)
        values = [round(self.low + k * self.step, 10) for k in range(n + 1)]
        out = [v for v in values if max(low, self.low) - 1e-9 <= v <= high + 1e-9 and v != OFF]
        if low <= OFF:
            out.insert(0, OFF)
        return tuple(float(v) for v in out)

    def label(self, value: float) -> str:
        """The value as written in portfolio labels and tables."""
        if self.kind == "bool":
            return "on" if value else "off"
        return f"{self.cast(value):g}"


def _type_name(hint: Any) -> str:
    return {bool: "bool", int: "int", float: "float"}.get(hint, "float")


def _collect() -> tuple[Lever, ...]:
    """The levers declared in the schema, in the order of the interventions and their fields."""
    out = []
    for section in dataclasses.fields(InterventionsConfig):
        cls = typing.get_type_hints(InterventionsConfig)[section.name]
        hints = typing.get_type_hints(cls)
        defaults = cls()
        for f in dataclasses.fields(cls):
            spec = f.metadata.get("lever")
            if spec is None:
                continue
            low, high, step = spec
            out.append(
                Lever(
                    key=f"interventions.{section.name}.{f.name}",
                    intervention=section.name,
                    kind=_type_name(hints[f.name]),
                    low=float(low),
                    high=float(high),
                    step=float(step),
                    default=getattr(defaults, f.name),
                    unit=f.metadata.get("unit", ""),
                    doc=f.metadata.get("doc", ""),
                )
            )
    return tuple(out)


#: Every lever of every intervention, from the schema's declarations.
LEVERS: tuple[Lever, ...] = _collect()

#: The levers by dotted key.
BY_KEY: dict[str, Lever] = {lever.key: lever for lever in LEVERS}

#: Interventions in declaration order.
INTERVENTIONS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(InterventionsConfig))


def lever(key: str, where: str = "optimise.levers") -> Lever:
    """The lever named ``key`` (with or without the ``interventions.`` prefix).

    Raises:
        ConfigError: Naming the key when it is not a lever, and listing the levers.
    """
    full = key if key.startswith("interventions.") else f"interventions.{key}"
    if full not in BY_KEY:
        known = ", ".join(lv.name for lv in LEVERS)
        raise ConfigError(f"{where}: {key!r} is not a lever; the levers are: {known}")
    return BY_KEY[full]


@dataclass(frozen=True)
class SearchedLever:
    """A lever with the range an optimisation searches and the grid of values that gives."""

    lever: Lever
    low: float
    high: float
    values: tuple[float, ...]

    @property
    def key(self) -> str:
        """The lever's dotted key."""
        return self.lever.key


def searched_levers(
    names: Iterable[str] = (), ranges: Mapping[str, Iterable[float]] | None = None
) -> tuple[SearchedLever, ...]:
    """The levers an optimisation searches, each with its range, checked against the schema.

    Args:
        names: Lever keys (``team_inspection.n_teams`` or the full dotted key); empty: every lever.
        ranges: ``[low, high]`` per lever narrowing its range; ``low`` 0 keeps "not deployed" among
            the choices; ``low == high`` fixes the lever at that value.

    Returns:
        The searched levers in the table's order.

    Raises:
        ConfigError: Naming the key and the value: an unknown lever, a lever listed twice, a range
            for a lever not searched, a range that is not ``[low, high]`` with finite ``low <= high``,
            or that leaves the lever's declared range.
    """
    chosen = [lever(n).key for n in names] if names else [lv.key for lv in LEVERS]
    if len(set(chosen)) != len(chosen):
        raise ConfigError(f"optimise.levers={list(names)} names a lever twice")
    full_ranges: dict[str, list[float]] = {}
    for key, bounds in (ranges or {}).items():
        lv = lever(key, "optimise.ranges")
        if lv.key not in chosen:
            raise ConfigError(f"optimise.ranges.{key}={list(bounds)}: {lv.name} is not among the levers searched")
        full_ranges[lv.key] = _check_range(lv, key, bounds)
    out = []
    for key in sorted(chosen, key=lambda k: [lv.key for lv in LEVERS].index(k)):
        lv = BY_KEY[key]
        low, high = full_ranges.get(key, (OFF, lv.high))
        values = lv.grid(low, high)
        if not values:
            raise ConfigError(
                f"optimise.ranges.{lv.name}=[{low:g}, {high:g}] holds no value of the lever's grid "
                f"({lv.low:g} to {lv.high:g} in steps of {lv.step:g}, or 0 for off)"
            )
        out.append(SearchedLever(lv, low, high, values))
    return tuple(out)


def _check_range(lv: Lever, key: str, bounds: Iterable[float]) -> list[float]:
    where = f"optimise.ranges.{key}"
    try:
        pair = [float(b) for b in bounds]  # type: ignore[union-attr]
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}={bounds!r} must be [low, high]") from exc
    if len(pair) != 2 or not all(math.isfinite(b) for b in pair):
        raise ConfigError(f"{where}={bounds!r} must be [low, high] with finite numbers")
    low, high = pair
    if low > high:
        raise ConfigError(f"{where}={pair}: low {low:g} is above high {high:g}")
    lowest = OFF if lv.low > OFF else lv.low
    if low < lowest or high > lv.high:
        raise ConfigError(
            f"{where}={pair} leaves the lever's range [{lowest:g}, {lv.high:g}] "
            f"(declared in the schema: {lv.key}, lever={lv.low:g} to {lv.high:g})"
        )
    if OFF < low < lv.low:
        raise ConfigError(
            f"{where}={pair}: {low:g} is neither 0 (not deployed) nor a deployed value ({lv.low:g} to {lv.high:g})"
        )
    return pair


def portfolio_overrides(values: Mapping[str, float]) -> dict[str, Any]:
    """Dotted-key configuration overrides that deploy a portfolio.

    Args:
        values: A value for each searched lever, by dotted key.

    Returns:
        For every intervention with a lever in ``values``: ``enabled`` (true when any of its levers
        is not 0) and, when deployed, the value of each of its levers in ``values``.  Interventions
        without a lever in ``values`` keep the base configuration's settings.

    Raises:
        ConfigError: A key is not a lever.
    """
    out: dict[str, Any] = {}
    by_intervention: dict[str, list[tuple[Lever, float]]] = {}
    for key, value in values.items():
        lv = lever(key, "portfolio")
        by_intervention.setdefault(lv.intervention, []).append((lv, float(value)))
    for name in INTERVENTIONS:
        items = by_intervention.get(name)
        if not items:
            continue
        deployed = any(v != OFF for _, v in items)
        out[f"interventions.{name}.enabled"] = deployed
        if deployed:
            for lv, v in items:
                if lv.kind != "bool":
                    out[lv.key] = lv.cast(v)
    return out


def deployed_levers(cfg: SimConfig) -> dict[str, float]:
    """The value of every lever in a configuration (0 for an intervention not deployed)."""
    out = {}
    for lv in LEVERS:
        section = getattr(cfg.interventions, lv.intervention)
        value = getattr(section, lv.key.rsplit(".", 1)[1])
        out[lv.key] = float(value) if section.enabled else OFF
    return out


def portfolio_label(cfg: SimConfig) -> str:
    """A short, folder-safe name of the interventions a configuration deploys and their lever values.

    ``none`` when nothing is deployed; otherwise e.g. ``screening+teams=12+pledges=0.5,1``:
    each deployed intervention by its short name with its levers' values (comma-separated).
    The same configuration always gets the same label, whichever way it was made (a fixed arm
    or a searched portfolio), so their runs are shared.
    """
    values = deployed_levers(cfg)
    parts = []
    for name in INTERVENTIONS:
        if not getattr(cfg.interventions, name).enabled:
            continue
        its = [lv for lv in LEVERS if lv.intervention == name and lv.kind != "bool"]
        parts.append(SHORT[name] + ("=" + ",".join(lv.label(values[lv.key]) for lv in its) if its else ""))
    return "+".join(parts) if parts else "none"


def describe(cfg: SimConfig) -> str:
    """The portfolio in words, for tables and figures (e.g. ``Screening; Teams 12; Pledges 50%, Talks 100%``)."""
    values = deployed_levers(cfg)
    words = {
        "interventions.warning_education.coverage": "Education {:.0%}",
        "interventions.risk_screening.enabled": "Screening",
        "interventions.candidate_vetting.coverage": "Vetting {:.0%}",
        "interventions.tipoff_resolution.capacity_multiplier": "Tip-offs x{:g}",
        "interventions.team_inspection.n_teams": "Teams {:g}",
        "interventions.pledges_talks.delegate_coverage": "Pledges {:.0%}",
        "interventions.pledges_talks.candidate_coverage": "Talks {:.0%}",
    }
    parts = []
    for name in INTERVENTIONS:
        if not getattr(cfg.interventions, name).enabled:
            continue
        its = [lv for lv in LEVERS if lv.intervention == name and lv.key in words]
        # A lever at 0 beside another of the same intervention is left out (pledges without talks).
        shown = [lv for lv in its if values[lv.key] != OFF or len(its) == 1] or its
        parts.append(", ".join(words[lv.key].format(values[lv.key]) for lv in shown))
    return "; ".join(parts) if parts else "No intervention"


def fixed_arms() -> dict[str, dict[str, Any]]:
    """The arms of ``experiment=compare`` as overrides: none, each intervention alone, all six.

    Like the ``policy=<name>`` presets they switch interventions on and leave every intensity at
    the base configuration's value.
    """
    arms = {"none": dict.fromkeys((f"interventions.{n}.enabled" for n in INTERVENTIONS), False)}
    for name in INTERVENTIONS:
        arms[name] = {f"interventions.{n}.enabled": n == name for n in INTERVENTIONS}
    arms["all"] = dict.fromkeys((f"interventions.{n}.enabled" for n in INTERVENTIONS), True)
    return arms


def lever_table() -> list[dict[str, Any]]:
    """The levers as rows (for docs/PARAMETERS.md and the report)."""
    rows = []
    for lv in LEVERS:
        values = "off, on" if lv.kind == "bool" else f"0 (off), {lv.low:g} to {lv.high:g} in steps of {lv.step:g}"
        if lv.kind != "bool" and lv.low == OFF:
            values = f"0 (off) to {lv.high:g} in steps of {lv.step:g}"
        rows.append(
            {
                "lever": lv.key,
                "values": values,
                "default (fixed arms)": "on" if lv.kind == "bool" else lv.default,
                "unit": lv.unit,
                "meaning": lv.doc,
            }
        )
    return rows
