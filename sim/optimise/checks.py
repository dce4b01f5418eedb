"""The optimisation's settings checked before any run: levers, ranges, budgets, worlds and the plan's size."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any

from sim.config import SEED_RANGE, ConfigError, SimConfig, check_fields, setting, with_values
from sim.levers import (
    SearchedLever,
    fixed_arms,
    searched_levers,
)
from sim.optimise.settings import OptimiseConfig
from sim.sweeps.experiment import SensitivityConfig


class OptimiseError(RuntimeError):
    """Runs of a stage failed or are missing; the message says which and where."""


def check_settings(
    base: SimConfig, opt: OptimiseConfig, sens: SensitivityConfig, base_seed: int | None = None
) -> tuple[SearchedLever, ...]:
    """Check the optimisation's settings before anything runs; return the levers searched.

    Each setting is checked against its declaration (:mod:`sim.optimise.settings`), then the rules
    that tie settings together: the levers and their ranges, the budgets, the plan's size, the
    robustness worlds (a posterior's columns and the sensitivity ranges must be uncertain
    parameters of this schema, never a decision), and what PRIM needs.

    Args:
        base: The base configuration.
        opt: The optimisation's settings.
        sens: The sensitivity design (the robustness worlds' ranges when not from the posterior).
        base_seed: The sweep's base seed, when there is one to check.

    Raises:
        ConfigError: Naming the key and the value (an unknown lever, a range outside the lever's
            schema range, a negative budget, too small or too large a population, more runs than
            :data:`sim.sweeps.experiment.MAX_RUNS`, a lever among the robustness parameters ...).
    """
    levers = searched_levers(list(opt.levers), flat_ranges(opt.ranges))
    if len([s for s in levers if len(s.values) > 1]) == 0:
        raise ConfigError("optimise.ranges fix every lever: nothing is left to search")
    check_fields(opt, "optimise.")
    if base_seed is not None:
        check_fields(SweepSeed(base_seed))
    if opt.robustness.draws == 1:
        raise ConfigError("optimise.robustness.draws=1: sample at least 2 worlds (or 0 to skip robustness)")
    check_run_count(opt)
    if not opt.budgets:
        raise ConfigError("optimise.budgets=[] must list at least one budget (staff-days)")
    if len({float(b) for b in opt.budgets}) < len(opt.budgets):
        raise ConfigError(f"optimise.budgets={list(opt.budgets)} lists a budget twice")
    if opt.job or opt.chunk != -1:
        raise ConfigError("optimise.job and optimise.chunk are set by the optimiser for its jobs: leave them out")
    searched = {s.key for s in levers}
    if "interventions.team_inspection.n_teams" in searched and base.interventions.team_inspection.coverage_target > 0:
        raise ConfigError(
            f"interventions.team_inspection.coverage_target={base.interventions.team_inspection.coverage_target} "
            "would override the lever interventions.team_inspection.n_teams: set it to 0"
        )
    check_robustness_worlds(base, opt, sens)
    return levers


@dataclass
class SweepSeed:
    """The sweep's base seed, declared as the optimiser's own seeds are."""

    base_seed: int = setting(2021, unit="integer", doc="the sweep's base seed", **SEED_RANGE)


def check_robustness_worlds(base: SimConfig, opt: OptimiseConfig, sens: SensitivityConfig) -> None:
    """The robustness stage's worlds can be sampled, and each sets only uncertain parameters.

    Raises:
        ConfigError: A missing or broken posterior file, a posterior column or sensitivity range that
            is a decision (a lever, a switch) or not a valid value of the schema, or PRIM without the
            EMA Workbench.
    """
    rob = opt.robustness
    if rob.draws and rob.source in ("posterior", "auto"):
        from sim.calibration.posterior import load_posterior, resolve

        if rob.source == "posterior" and not resolve(rob.posterior).is_file():
            raise ConfigError(f"optimise.robustness.posterior={rob.posterior} is not a file")
        if resolve(rob.posterior).is_file():
            try:  # a broken file stops the command now, not after the search
                post = load_posterior(rob.posterior)
            except (OSError, ValueError) as exc:
                raise ConfigError(f"optimise.robustness.posterior={rob.posterior}: {exc}") from exc
            for key in (c for c in post.columns if c != "weight"):
                where = f"optimise.robustness.posterior={rob.posterior}: its column {key}"
                check_world_key(key, where, "use another posterior or optimise.robustness.source=ranges")
                with_values(base, **{key: float(post[key].iloc[0])})  # its keys are keys of this schema
    if rob.draws and rob.prim and importlib.util.find_spec("ema_workbench") is None:
        raise ConfigError(
            "optimise.robustness.prim=true needs the EMA Workbench: pip install -e '.[ema]' "
            "(or optimise.robustness.prim=false)"
        )
    for key in sens.parameters if rob.draws and rob.source != "posterior" else ():
        low, high = sens.parameters[key]
        where = f"sensitivity.parameters.{key}={list(sens.parameters[key])}"
        check_world_key(key, where, "remove it from sensitivity.parameters")
        with_values(base, **{key: float(low)})  # a key of the schema, and its range ends valid
        with_values(base, **{key: float(high)})
        # ... and a value inside: the Latin hypercube gives fractions, which an integer field refuses.
        inside = float(low) + 0.3819660112501051 * (float(high) - float(low))
        try:
            with_values(base, **{key: inside})
        except ConfigError as exc:
            raise ConfigError(
                f"{where}: a sampled world would set {key}={inside:g}, which the schema refuses ({exc})"
            ) from exc


#: Keys a sampled world may not set: each portfolio chooses them (or they override its choice).
NOT_UNCERTAIN = ("interventions.team_inspection.coverage_target",)


def check_world_key(key: str, where: str, fix: str) -> None:
    """Refuse a robustness parameter that is a decision, not an uncertainty.

    Each sampled world's values are set on every portfolio's configuration: a lever, an
    intervention's ``enabled`` switch or a setting that overrides a lever (``coverage_target`` sets
    the number of teams) would replace what the portfolio chose, so two portfolios would run the
    same configuration under two labels.

    Raises:
        ConfigError: ``key`` is such a key; the message starts with ``where`` and ends with ``fix``.
    """
    from sim.levers import BY_KEY

    section, _, name = key.partition(".")
    what = ""
    if key in BY_KEY:
        what = "is a decision lever (what a portfolio chooses)"
    elif section == "interventions" and name.endswith(".enabled"):
        what = "switches an intervention on or off (what a portfolio chooses)"
    elif key in NOT_UNCERTAIN:
        what = "overrides the lever interventions.team_inspection.n_teams"
    if what:
        raise ConfigError(
            f"{where}: {key} {what}, not an uncertain parameter: each sampled world would set it for every "
            f"portfolio and override the portfolios' choices; {fix}"
        )


def planned_runs(opt: OptimiseConfig) -> dict[str, int]:
    """The most runs each stage of the plan can ask for (each portfolio on each of its seeds).

    The search runs every trial and no intervention on ``replicates`` seeds; the re-evaluation at
    most ``max_portfolios`` of the trials and the fixed arms on fresh seeds; the robustness stage
    every budget's pick and up to ``max_portfolios`` portfolios in all (at least the picks), and
    no intervention, in each world.
    """
    trials = opt.population * opt.generations
    arms = len(fixed_arms())
    rob = opt.robustness
    fresh_arms = min(opt.reevaluate.max_portfolios, trials) + arms
    robust_arms = min(max(rob.max_portfolios, len(opt.budgets)), fresh_arms)
    return {
        "search": (trials + 1) * opt.replicates,
        "reevaluate": fresh_arms * opt.reevaluate.replicates,
        "robustness": (robust_arms + 1) * rob.draws * rob.replicates,
    }


def check_run_count(opt: OptimiseConfig) -> None:
    """Refuse a plan of more than :data:`sim.sweeps.experiment.MAX_RUNS` runs.

    Raises:
        ConfigError: Naming the settings of each stage and the runs they ask for.
    """
    from sim.sweeps.experiment import MAX_RUNS

    runs = planned_runs(opt)
    if sum(runs.values()) <= MAX_RUNS:
        return
    rob = opt.robustness
    settings = {
        "search": f"optimise.population={opt.population} x optimise.generations={opt.generations} x "
        f"optimise.replicates={opt.replicates}",
        "reevaluate": f"optimise.reevaluate.max_portfolios={opt.reevaluate.max_portfolios} x "
        f"optimise.reevaluate.replicates={opt.reevaluate.replicates}",
        "robustness": f"optimise.robustness.max_portfolios={rob.max_portfolios} x "
        f"optimise.robustness.draws={rob.draws} x optimise.robustness.replicates={rob.replicates}",
    }
    parts = "; ".join(f"{stage} {n:,} ({settings[stage]})" for stage, n in runs.items() if n)
    raise ConfigError(
        f"the optimisation would run up to {sum(runs.values()):,} simulations, more than {MAX_RUNS:,}: {parts}"
    )


def flat_ranges(ranges: Any) -> dict[str, Any]:
    """``{intervention: {lever: [low, high]}}`` (how Hydra can take it) as ``{"intervention.lever": [low, high]}``.

    Flat dotted keys are accepted as they are (from Python).

    Raises:
        ConfigError: An intervention's entry is neither a mapping of levers nor a range.
    """
    out: dict[str, Any] = {}
    for key, value in dict(ranges or {}).items():
        if isinstance(value, dict) or hasattr(value, "items"):
            for name, bounds in value.items():
                out[f"{key}.{name}"] = bounds
        elif "." in key:
            out[key] = value
        else:
            raise ConfigError(
                f"optimise.ranges.{key}={value!r} must map levers to [low, high], e.g. "
                "+optimise.ranges.team_inspection.n_teams=[0,32]"
            )
    return out
