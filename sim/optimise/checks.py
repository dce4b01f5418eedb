"""The optimisation's settings checked before any run: levers, ranges, budgets, worlds and the plan's size."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from sim.config import ConfigError, SimConfig, with_values
from sim.levers import (
    SearchedLever,
    fixed_arms,
    searched_levers,
)
from sim.optimise.runs import FRESH_OFFSET, ROBUST_OFFSET, SEARCH_OFFSET
from sim.optimise.settings import OptimiseConfig
from sim.sweeps.experiment import SensitivityConfig

#: Upper bounds of the settings, so that a typo (``population=100000000``) stops before anything
#: runs instead of exhausting memory or running for days; the whole plan is capped by
#: :data:`sim.sweeps.experiment.MAX_RUNS`, as grid sweeps are.  A generation of NSGA-II is sorted
#: in time growing with the square of its population.
MAX_POPULATION, MAX_GENERATIONS = 10_000, 10_000


#: Most portfolios a later stage may take (re-evaluation, robustness).
MAX_PORTFOLIOS = 10_000


#: Most sampled worlds (the design is built in memory before any run).
MAX_DRAWS = 100_000


#: Largest budget (staff-days) accepted: far above what every intervention at full strength costs.
MAX_BUDGET = 1e7


#: Most replicates of the robustness stage (as many as a seed set below it may hold).
MAX_ROBUST_REPLICATES = ROBUST_OFFSET - FRESH_OFFSET


class OptimiseError(RuntimeError):
    """Runs of a stage failed or are missing; the message says which and where."""


# ------------------------------------------------------------------------------------ validation
def check_settings(
    base: SimConfig, opt: OptimiseConfig, sens: SensitivityConfig, base_seed: int | None = None
) -> tuple[SearchedLever, ...]:
    """Check the optimisation's settings before anything runs; return the levers searched.

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
    rob = opt.robustness
    # Seed sets are replicate indices offset + r: a stage with more replicates than the gap to the
    # next offset would reuse that set's seeds, and fresh seeds would no longer be fresh.
    search_gap, fresh_gap = FRESH_OFFSET - SEARCH_OFFSET, ROBUST_OFFSET - FRESH_OFFSET
    counts: list[tuple[str, Any, int, str, int | None, str]] = [  # key, value, least, why, most (None: any), why
        ("optimise.population", opt.population, 4, " (NSGA-II needs parents)", MAX_POPULATION, ""),
        ("optimise.generations", opt.generations, 1, "", MAX_GENERATIONS, ""),
        (
            "optimise.replicates",
            opt.replicates,
            2,
            " (intervals need two)",
            search_gap,
            f" (the search's seeds are replicate indices {SEARCH_OFFSET} to {search_gap - 1:,}; more would reuse "
            f"the fresh seeds, from {FRESH_OFFSET:,})",
        ),
        ("optimise.jobs", opt.jobs, 0, " (0: as many as the launcher runs at once)", None, ""),
        (
            "optimise.reevaluate.replicates",
            opt.reevaluate.replicates,
            2,
            "",
            fresh_gap,
            f" (the fresh seeds are replicate indices {FRESH_OFFSET:,} to {ROBUST_OFFSET - 1:,}; more would reuse "
            f"the robustness seeds, from {ROBUST_OFFSET:,})",
        ),
        ("optimise.reevaluate.max_portfolios", opt.reevaluate.max_portfolios, 1, "", MAX_PORTFOLIOS, ""),
        ("optimise.robustness.draws", rob.draws, 0, " (0 skips robustness)", MAX_DRAWS, ""),
        (
            "optimise.robustness.replicates",
            rob.replicates,
            1,
            "",
            MAX_ROBUST_REPLICATES,
            f" (a seed set holds {MAX_ROBUST_REPLICATES:,} replicate indices)",
        ),
        ("optimise.robustness.max_portfolios", rob.max_portfolios, 1, "", MAX_PORTFOLIOS, ""),
    ]
    for key, value, least, why_least, most, why_most in counts:
        if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
            raise ConfigError(f"{key}={value!r} must be a whole number")
        value = int(value)
        if value < least:
            raise ConfigError(f"{key}={value!r} must be at least {least}{why_least}")
        if most is not None and value > most:
            raise ConfigError(f"{key}={value!r} must be at most {most:,}{why_most}")
    seeds_ = [("optimise.seed", opt.seed), ("optimise.robustness.seed", rob.seed)]
    if base_seed is not None:
        seeds_.append(("base_seed", base_seed))
    for key, value in seeds_:  # numpy's generators take non-negative integers; stored plans, 64 bits
        if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral) or not 0 <= value < 2**63:
            raise ConfigError(f"{key}={value!r} must be a whole number between 0 and 2**63 - 1")
    rules: list[tuple[str, Any, bool, str]] = [
        ("optimise.robustness.target", rob.target, 0 < rob.target < 1, "must be in (0, 1)"),
        ("optimise.robustness.min_ess", rob.min_ess, rob.min_ess >= 1, "must be at least 1"),
        (
            "optimise.robustness.source",
            rob.source,
            rob.source in ("auto", "posterior", "ranges"),
            "must be auto, posterior or ranges",
        ),
    ]
    for key, value, ok, why in rules:
        if key != "optimise.robustness.source" and (
            isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real)
        ):
            raise ConfigError(f"{key}={value!r} must be a number")
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{key}={value} is not a finite number")
        if not ok:
            raise ConfigError(f"{key}={value!r} {why}")
    if rob.draws == 1:
        raise ConfigError("optimise.robustness.draws=1: sample at least 2 worlds (or 0 to skip robustness)")
    check_run_count(opt)
    if not opt.budgets:
        raise ConfigError("optimise.budgets=[] must list at least one budget (staff-days)")
    for b in opt.budgets:
        if isinstance(b, bool | np.bool_) or not isinstance(b, numbers.Real) or not math.isfinite(b) or b <= 0:
            raise ConfigError(f"optimise.budgets={list(opt.budgets)}: {b!r} is not a positive number of staff-days")
        if b > MAX_BUDGET:
            raise ConfigError(
                f"optimise.budgets={list(opt.budgets)}: {b!r} is more than {MAX_BUDGET:,.0f} staff-days "
                "(all six interventions at full strength cost a few thousand in a city)"
            )
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
    if rob.draws and rob.prim:
        try:
            import importlib.util

            if importlib.util.find_spec("ema_workbench") is None:
                raise ImportError("ema_workbench")
        except ImportError as exc:
            raise ConfigError(
                "optimise.robustness.prim=true needs the EMA Workbench: pip install -e '.[ema]' "
                "(or optimise.robustness.prim=false)"
            ) from exc
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
    return levers


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
