"""Optimised intervention portfolios: search, re-evaluation on fresh seeds, robustness.

``python experiments/run.py -m experiment=optimise`` runs three stages into one sweep folder,
each through the configured Hydra launcher (joblib, SLURM via submitit, serial), storing every run
as other sweeps do (``runs/<portfolio>/<run>/`` with a verified ``DONE`` marker):

1. **Search.** Optuna's NSGA-II (Deb et al. 2002) searches the decision levers
   (:mod:`sim.levers`) for portfolios that minimise bought seats (``bought_seat_rate_final``), cost
   (``cost_total``, staff-days) and harms (``honest_removed``), each trial the mean of the same
   ``optimise.replicates`` seeds (common random numbers: ``replicate_seed(base_seed, r)``, the
   seeds of ``experiment=compare``).  The first generation starts with no intervention, each
   intervention alone and all six at their default intensities, in that order and as many as fill
   half the population (all eight from ``optimise.population=16``), then random portfolios.
2. **Re-evaluation.** The Pareto portfolios (at most ``optimise.reevaluate.max_portfolios``) and
   the fixed arms of ``experiment=compare`` run again on fresh seeds, disjoint from the search's,
   with more replicates: the search's estimates of the portfolios it kept are optimistic (the
   winner's curse), and the report says how far the fresh evaluation moved them.
3. **Robustness.** The portfolios recommended for each budget, their cheaper rivals and the
   cost-outcome frontier run across sampled parameter worlds (posterior draws or the sensitivity
   design's ranges), every portfolio on the same worlds and seeds.

NSGA-II uses Deb et al.'s operators (simulated binary crossover, polynomial mutation) on each
lever's grid index, an ordinal encoding in which neighbouring indices are neighbouring
intensities (0 is usually "not deployed").

Reproducible and resumable.  Asynchronous parallel NSGA-II is not deterministic, so a generation
is handled as a batch: its portfolios are sampled first, then evaluated in parallel, then
recorded in trial order.  Each portfolio is sampled by a fresh ``NSGAIISampler`` seeded from
``(optimise.seed, trial number)`` on an in-memory copy of the completed trials, so a trial depends
only on the trials before its generation: an interrupted search continues exactly where an
uninterrupted one would be.  Optuna's storage (``study.journal``, a ``JournalFileBackend``) in the
sweep folder holds the completed trials only, each added in one record once its runs are done;
the portfolios of a generation are also written to ``batches/`` before any run starts.  A rerun
finishes the generation in progress (runs already done are kept), then continues; it never asks
a trial twice.  The folder holds one plan (``optimise.json``): a rerun with other search settings,
base inputs or code is refused before anything runs (``sweep.on_change=archive|discard`` to start
afresh), more generations extend the search, and the re-evaluation, robustness and budget
settings may change (their runs are added; the report reads exactly the runs the current settings
ask for).

Folder layout (besides ``runs/``): ``optimise.json`` (the plan), ``study.journal`` (Optuna),
``batches/<stage>.json`` (the runs each launch computes, split into job chunks),
``trials.parquet`` (one row per trial), ``runs.parquet`` (every run of the stages the report
uses), ``sweep.json`` (times, machine load, counts) and ``report/``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import numbers
import os
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from filelock import FileLock

from sim.analysis.portfolios import NONE, OBJECTIVES, select_for_reevaluation
from sim.atomic_io import atomic_write_json, atomic_write_with
from sim.config import ConfigError, SimConfig, flatten, to_dict, with_values
from sim.levers import (
    OFF,
    SearchedLever,
    deployed_levers,
    describe,
    fixed_arms,
    portfolio_label,
    portfolio_overrides,
    searched_levers,
)
from sim.model.streams import replicate_seed
from sim.simulate import simulate
from sim.sweeps.experiment import OptimiseConfig, SensitivityConfig
from sim.sweeps.manifest import MANIFEST, code_id, code_version, fingerprint
from sim.sweeps.store import DONE, ERROR, run_dir, verify_run, write_failure, write_run

log = logging.getLogger("sim")

PLAN, STUDY, BATCHES = "optimise.json", "study.journal", "batches"
TRIALS, RUNS, META, REPORT_DIR = "trials.parquet", "runs.parquet", "sweep.json", "report"
FORMAT = 1

#: Replicate-index offsets of the three seed sets: ``replicate_seed(base_seed, offset + r)``.
#: The search uses the seeds of every other sweep with the same base seed; the fresh and the
#: robustness seeds are disjoint from them.
SEARCH_OFFSET, FRESH_OFFSET, ROBUST_OFFSET = 0, 100_000, 200_000

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

#: Distribution index of NSGA-II's polynomial mutation (see :meth:`Optimiser.sampler`).
MUTATION_ETA = 5.0

#: The name Optuna's study has in the journal.
STUDY_NAME = "portfolios"

#: Runs a SLURM job should carry at least (a job's start-up costs seconds; a city run 0.1 s).
RUNS_PER_CLUSTER_JOB = 50

#: A launcher: runs the given chunks of a batch file (blocking until they are done).
Launch = Callable[[str, int], None]


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
        from sim.analysis.posterior import load_posterior, resolve

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


# ------------------------------------------------------------------------------------ the plan
def search_identity(
    base: SimConfig, levers: tuple[SearchedLever, ...], opt: OptimiseConfig, base_seed: int
) -> dict[str, Any]:
    """What makes the search's trials what they are (a rerun with other values is refused)."""
    inputs = flatten(to_dict(base))
    inputs.pop("seed", None)
    return {
        "levers": [{"key": s.key, "values": list(s.values)} for s in levers],
        "objectives": list(OBJECTIVES),
        "population": opt.population,
        "replicates": opt.replicates,
        "seed": opt.seed,
        "base_seed": base_seed,
        "base_inputs": inputs,
        "optuna": metadata.version("optuna"),
        "sampler": f"NSGA-II, grid-index encoding, SBX crossover, polynomial mutation eta {MUTATION_ETA:g}",
    }


def make_plan(
    base: SimConfig,
    levers: tuple[SearchedLever, ...],
    opt: OptimiseConfig,
    sens: SensitivityConfig,
    base_seed: int,
    experiment: str = "optimise",
) -> dict[str, Any]:
    """The folder's plan (``optimise.json``)."""
    return {
        "format": FORMAT,
        "experiment": experiment,
        "code": code_version(),
        "search": search_identity(base, levers, opt, base_seed),
        "generations": opt.generations,
        "reevaluate": dataclasses.asdict(opt.reevaluate),
        "robustness": dataclasses.asdict(opt.robustness),
        "budgets": sorted(float(b) for b in opt.budgets),
        "sensitivity_parameters": {k: list(v) for k, v in sens.parameters.items()},
        "jobs": opt.jobs,
    }


def plan_differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What keeps ``new`` from resuming or extending ``old`` (empty if it may)."""
    diffs = []
    if old.get("code", {}).get("id") != new["code"]["id"]:
        diffs.append(
            f"code version: planned with {old.get('code', {}).get('id')} (commit "
            f"{old.get('code', {}).get('commit') or '?'}), now {new['code']['id']} (commit {new['code'].get('commit')})"
        )
    o, n = old.get("search", {}), new["search"]
    for key in sorted(set(o) | set(n)):
        if key == "base_inputs":
            changed = [k for k in sorted(set(o.get(key, {})) | set(n[key])) if o.get(key, {}).get(k) != n[key].get(k)]
            diffs += [f"input {k}: {o.get(key, {}).get(k)!r} -> {n[key].get(k)!r}" for k in changed[:5]]
            if len(changed) > 5:
                diffs.append(f"... and {len(changed) - 5} more inputs")
        elif o.get(key) != n.get(key):
            diffs.append(f"optimise {key}: planned {o.get(key)!r}, now {n.get(key)!r}")
    if new["generations"] < old.get("generations", 0):
        diffs.append(
            f"optimise.generations: the folder's search has {old['generations']}, this command {new['generations']} "
            f"(a search can grow, not shrink: use optimise.generations={old['generations']} or more)"
        )
    return diffs


def reconcile_plan(sweep_dir: Path, new: dict[str, Any], on_change: str) -> str:
    """Compare the command's plan with the folder's; store it and say what happens.

    Returns:
        ``new``, ``resume``, ``extend``, ``archived`` or ``discarded``.

    Raises:
        PlanChangedError: The plans differ and ``on_change`` is ``refuse``.
    """
    from sim.sweeps.manifest import ON_CHANGE, PlanChangedError, _set_aside

    if on_change not in ON_CHANGE:
        raise ConfigError(f"sweep.on_change={on_change!r} must be one of {', '.join(ON_CHANGE)}")
    path = sweep_dir / PLAN
    what = "new"
    if path.exists():
        try:
            old = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{path} cannot be read ({exc}): move it aside or use another hydra.sweep.dir") from exc
        diffs = plan_differences(old, new)
        if not diffs:
            what = "extend" if new["generations"] > old.get("generations", 0) else "resume"
        elif on_change == "refuse":
            raise PlanChangedError(
                f"{sweep_dir} holds another optimisation; this command differs in:\n  - "
                + "\n  - ".join(diffs)
                + "\nNothing was run. To keep both, use another folder (hydra.sweep.dir=...); to start this plan "
                "here, add sweep.on_change=archive (moves the old files to archive/) or sweep.on_change=discard."
            )
        else:
            what = _set_aside(sweep_dir, on_change)
    elif (sweep_dir / MANIFEST).exists() or any(sweep_dir.glob(f"runs/*/*/{DONE}")):
        if on_change == "refuse":
            raise PlanChangedError(
                f"{sweep_dir} holds another sweep (runs without {PLAN}): use another hydra.sweep.dir, or "
                "sweep.on_change=archive or sweep.on_change=discard"
            )
        what = _set_aside(sweep_dir, on_change)
    atomic_write_json(path, new)
    return what


def plan_digest(sweep_dir: Path) -> str:
    """SHA-256 of the folder's plan file as written (``sweep.json`` records the plan it ran)."""
    return hashlib.sha256((Path(sweep_dir) / PLAN).read_bytes()).hexdigest()


# ------------------------------------------------------------------------------------ work items
@dataclass
class Work:
    """One run a stage needs: a portfolio (arm), a seed and, for robustness, a sampled world."""

    stage: str
    arm: str
    run_id: str
    replicate: int
    seed: int
    sample: int
    world: str
    overrides: dict[str, Any]
    fingerprint: str

    def keys(self) -> dict[str, Any]:
        """Identifiers stored with the run."""
        return {"arm": self.arm, "sample": self.sample, "replicate": self.replicate, "seed": self.seed}


@dataclass
class Portfolio:
    """A portfolio's configuration: the overrides on the base, its label and its inputs."""

    label: str
    overrides: dict[str, Any]
    config: SimConfig
    inputs: dict[str, Any]


def sampler_seed(seed: int, number: int) -> int:
    """The seed of the sampler that proposes trial ``number`` (a 32-bit integer, as numpy needs)."""
    return int(np.random.SeedSequence(entropy=int(seed), spawn_key=(int(number),)).generate_state(1)[0])


def seeded_portfolios(levers: tuple[SearchedLever, ...], base: SimConfig) -> list[tuple[str, dict[str, float]]]:
    """The first generation's known portfolios: no intervention, each alone, all six (as the levers allow).

    A fixed arm is projected on the searched levers (its default intensities, 0 for what it
    leaves off); arms whose values are not among a lever's choices are left out, and an arm the
    projection makes equal to an earlier one counts once.  :meth:`Optimiser.propose` takes the
    first half-population of them, in this order.
    """
    out, seen = [], set()
    for name, overrides in fixed_arms().items():
        values = {}
        for s in levers:
            on = overrides.get(f"interventions.{s.lever.intervention}.enabled", False)
            default = OFF
            if on:
                default = 1.0 if s.lever.kind == "bool" else float(getattr_dotted(base, s.key))
            values[s.key] = default
        if all(values[s.key] in s.values for s in levers):
            key = tuple(sorted(values.items()))
            if key not in seen:
                seen.add(key)
                out.append((name, values))
    return out


def getattr_dotted(obj: Any, dotted: str) -> Any:
    """``obj.a.b.c`` for ``"a.b.c"``."""
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def seeds(base_seed: int, offset: int, n: int) -> list[int]:
    """``n`` replicate seeds of one seed set."""
    return [replicate_seed(base_seed, offset + r) for r in range(n)]


# ------------------------------------------------------------------------------------ jobs
def run_chunk(sweep_dir: Path, batch: str, chunk: int, base: SimConfig) -> dict[str, int]:
    """Compute the runs of one chunk of a batch file (a launcher job's work); skip verified ones.

    Each run is computed under its own lock, so two jobs never compute one run; a run that raises
    is recorded (``ERROR``) and the chunk goes on.

    Returns:
        Counts of runs ``done``, ``skipped`` (already verified) and ``failed``.
    """
    sweep_dir = Path(sweep_dir)
    spec = json.loads((sweep_dir / BATCHES / f"{batch}.json").read_text())
    items = spec["items"][chunk :: spec["chunks"]]
    this_code = code_id()
    counts = {"done": 0, "skipped": 0, "failed": 0}
    for item in items:
        work = Work(**item)
        folder = run_dir(sweep_dir, work.arm, work.run_id)
        folder.mkdir(parents=True, exist_ok=True)
        with FileLock(str(folder / ".run.lock")):
            if not verify_run(folder, work.fingerprint):
                counts["skipped"] += 1
                continue
            try:
                cfg = with_values(dataclasses.replace(base, seed=work.seed), **work.overrides)
                inputs = flatten(to_dict(cfg))
                if fingerprint(inputs, this_code) != work.fingerprint:
                    raise ConfigError(
                        f"run {work.arm}/{work.run_id}: its inputs or the code differ from those planned in "
                        f"{BATCHES}/{batch}.json: rerun the command to re-plan"
                    )
                result = simulate(cfg)
                write_run(
                    folder, result.summary, result.timeseries, inputs, work.keys(), work.fingerprint, to_dict(cfg)
                )
                counts["done"] += 1
            except Exception:  # recorded; the driver reports it and stops after the batch
                write_failure(folder, work.keys(), traceback.format_exc())
                log.error("run %s/%s failed; see %s", work.arm, work.run_id, folder / ERROR)
                counts["failed"] += 1
    return counts


def in_process(sweep_dir: Path, base: SimConfig) -> Launch:
    """A launcher running every chunk in this process, one after the other."""

    def launch(batch: str, chunks: int) -> None:
        for c in range(chunks):
            run_chunk(sweep_dir, batch, c, base)

    return launch


# ------------------------------------------------------------------------------------ the optimiser
class Optimiser:
    """The three stages of one optimisation folder (see the module docstring).

    Args:
        sweep_dir: The sweep folder.
        base: The base configuration (scenario, policy and overrides of the command).
        opt: The optimisation's settings.
        sens: The sensitivity design (its ranges are the robustness worlds when the posterior is not used).
        base_seed: The sweep's base seed.
        launch: Runs the chunks of a batch file.
        jobs: Chunks a batch is split into (the launcher's parallelism).
        cluster: True when jobs start on other machines (chunks then carry at least
            :data:`RUNS_PER_CLUSTER_JOB` runs).
        experiment: The experiment's name.
    """

    def __init__(
        self,
        sweep_dir: Path,
        base: SimConfig,
        opt: OptimiseConfig,
        sens: SensitivityConfig,
        base_seed: int,
        launch: Launch,
        jobs: int = 1,
        cluster: bool = False,
        experiment: str = "optimise",
    ) -> None:
        self.dir = Path(sweep_dir)
        self.base = base
        self.opt = opt
        self.sens = sens
        self.base_seed = base_seed
        self.launch = launch
        self.jobs = max(1, jobs)
        self.cluster = cluster
        self.experiment = experiment
        self.levers = check_settings(base, opt, sens, base_seed)
        self.code = code_id()
        self._portfolios: dict[tuple[tuple[str, Any], ...], Portfolio] = {}
        self._summaries: dict[tuple[str, str], dict[str, Any]] = {}
        self.batches_run = 0
        self.runs_computed = 0
        self.worlds_info: dict[str, Any] = {}

    # -- portfolios and work items
    def portfolio(self, overrides: dict[str, Any]) -> Portfolio:
        """The portfolio made by ``overrides`` on the base configuration (cached)."""
        key = tuple(sorted(overrides.items()))
        if key not in self._portfolios:
            cfg = with_values(self.base, **overrides)
            inputs = flatten(to_dict(cfg))
            inputs.pop("seed", None)
            self._portfolios[key] = Portfolio(portfolio_label(cfg), dict(overrides), cfg, inputs)
        return self._portfolios[key]

    def from_params(self, params: dict[str, float]) -> Portfolio:
        """The portfolio of a trial's lever values."""
        return self.portfolio(portfolio_overrides(params))

    def work(
        self, stage: str, p: Portfolio, seed_list: list[int], prefix: str, world: tuple[str, int, dict] | None = None
    ) -> list[Work]:
        """The runs of portfolio ``p`` on the given seeds (and world)."""
        out = []
        world_id, sample, world_values = world if world else ("", -1, {})
        inputs = p.inputs
        if world_values:
            inputs = flatten(to_dict(with_values(p.config, **world_values)))
            inputs.pop("seed", None)
        for r, seed in enumerate(seed_list):
            run_id = f"{world_id}_{prefix}{r:03d}" if world_id else f"{prefix}{r:03d}"
            fp = fingerprint({**inputs, "seed": seed}, self.code)
            out.append(Work(stage, p.label, run_id, r, seed, sample, world_id, {**p.overrides, **world_values}, fp))
        return out

    def run_stage(self, name: str, items: list[Work]) -> None:
        """Run every item not yet verified done (through the launcher), then check they all are.

        Raises:
            OptimiseError: Runs failed or are missing after the launch.
        """
        unique: dict[tuple[str, str], Work] = {}
        for w in items:
            unique.setdefault((w.arm, w.run_id), w)
        todo = [w for w in unique.values() if verify_run(run_dir(self.dir, w.arm, w.run_id), w.fingerprint)]
        if todo:
            chunks = self.jobs
            if self.cluster:
                chunks = min(self.jobs, max(1, math.ceil(len(todo) / RUNS_PER_CLUSTER_JOB)))
            chunks = max(1, min(chunks, len(todo)))
            spec = {"batch": name, "chunks": chunks, "items": [dataclasses.asdict(w) for w in todo]}
            atomic_write_json(self.dir / BATCHES / f"{name}.json", spec)
            t0 = time.perf_counter()
            say = not name.startswith("search-")  # the search reports once a generation
            if say:
                print(f"[optimise] {name}: {len(todo)} runs ({len(unique) - len(todo)} already done)", file=sys.stderr)
            self.launch(name, chunks)
            self.batches_run += 1
            if say:
                print(f"[optimise] {name}: finished in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        failed, missing = [], []
        for w in todo:
            folder = run_dir(self.dir, w.arm, w.run_id)
            problem = verify_run(folder, w.fingerprint)
            if not problem:
                self.runs_computed += 1
            elif (folder / ERROR).exists():
                failed.append(str(folder / ERROR))
            else:
                missing.append(f"{folder}: {problem}")
        if failed or missing:
            bits = []
            if failed:
                bits.append(f"{len(failed)} runs failed (first: {failed[0]})")
            if missing:
                bits.append(f"{len(missing)} runs missing (first: {missing[0]})")
            raise OptimiseError(
                f"stage {name}: " + "; ".join(bits) + ". Finished runs are kept; rerun the command to resume."
            )

    def summary(self, w: Work) -> dict[str, Any]:
        """The summary of a finished run (read once)."""
        key = (w.arm, w.run_id)
        if key not in self._summaries:
            path = run_dir(self.dir, w.arm, w.run_id) / "summary.json"
            self._summaries[key] = json.loads(path.read_text())
        return self._summaries[key]

    # -- the search
    def study(self) -> Any:
        """Optuna's study in the folder's journal (created on first use)."""
        import optuna
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        path = self.dir / STUDY
        _repair_journal(path)
        storage = JournalStorage(JournalFileBackend(str(path)))
        return optuna.create_study(
            study_name=STUDY_NAME, storage=storage, directions=["minimize"] * len(OBJECTIVES), load_if_exists=True
        )

    def distributions(self) -> dict[str, Any]:
        """Each searched lever as the index of its value in the lever's grid (0: the lowest, often "off").

        An ordinal encoding: neighbouring indices are neighbouring intensities, so NSGA-II's
        simulated binary crossover and polynomial mutation move between nearby intensities.
        """
        from optuna.distributions import IntDistribution

        return {s.key: IntDistribution(0, len(s.values) - 1) for s in self.levers}

    def indices(self, values: dict[str, float]) -> dict[str, int]:
        """Grid indices of lever values."""
        return {s.key: s.values.index(float(values[s.key])) for s in self.levers}

    def sampler(self, number: int) -> Any:
        """The NSGA-II sampler that proposes trial ``number``.

        Deb et al.'s (2002) operators: simulated binary crossover (Deb & Agrawal 1995) and
        polynomial mutation with distribution index :data:`MUTATION_ETA` (lower than the usual 20:
        the grids are coarse, and the search must reach the ends of a lever's range, "off" among
        them), each lever mutated with probability 1 / levers.
        """
        import warnings

        from optuna.exceptions import ExperimentalWarning
        from optuna.samplers import NSGAIISampler
        from optuna.samplers.nsgaii import PolynomialMutation, SBXCrossover

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExperimentalWarning)
            return NSGAIISampler(
                population_size=self.opt.population,
                seed=sampler_seed(self.opt.seed, number),
                crossover=SBXCrossover(),
                mutation=PolynomialMutation(eta=MUTATION_ETA),
            )

    def propose(self, completed: list[Any], generation: int, numbers: list[int]) -> dict[int, dict[str, float]]:
        """The lever values of trials ``numbers`` of a generation (a pure function of the completed trials).

        The first generation starts with the seeded arms (:func:`seeded_portfolios`, at most half
        the population, so that random portfolios keep the other half: all eight fixed arms need a
        population of 16), then random portfolios; later ones are NSGA-II's children of the
        population so far.  Each trial is proposed by a sampler seeded from ``(optimise.seed,
        number)`` on an in-memory copy of the completed trials.
        """
        import optuna

        p = self.opt.population
        seeded = seeded_portfolios(self.levers, self.base)[: p // 2] if generation == 0 else []
        dists = self.distributions()
        out: dict[int, dict[str, float]] = {}
        shadow = None
        for n in numbers:
            i = n - generation * p
            if i < len(seeded):
                out[n] = dict(seeded[i][1])
                continue
            if shadow is None:
                shadow = optuna.create_study(directions=["minimize"] * len(OBJECTIVES))
                shadow.add_trials(completed)
            shadow.sampler = self.sampler(n)
            trial = shadow.ask(dists)
            out[n] = {s.key: s.values[trial.params[s.key]] for s in self.levers}
        return out

    def search(self) -> pd.DataFrame:
        """Run (or resume, or extend) the search; return the trials table."""
        from optuna.samplers import NSGAIISampler
        from optuna.trial import TrialState, create_trial

        study = self.study()
        gen_key = NSGAIISampler._get_generation_key()
        p, reps = self.opt.population, self.opt.replicates
        search_seeds = seeds(self.base_seed, SEARCH_OFFSET, reps)
        none = self.portfolio(fixed_arms()["none"])
        dists = self.distributions()
        for g in range(self.opt.generations):
            t0 = time.perf_counter()
            completed = [t for t in study.get_trials(deepcopy=False) if t.state == TrialState.COMPLETE]
            if any(t.number != t.user_attrs.get("index") for t in completed):
                raise OptimiseError(f"{self.dir / STUDY} holds trials out of order: move the folder aside")
            numbers = [n for n in range(g * p, (g + 1) * p) if n >= len(completed)]
            if not numbers:
                continue
            before = [t for t in completed if t.number < g * p]
            proposals = self.propose(before, g, numbers)
            ports = {n: self.from_params(v) for n, v in proposals.items()}
            items = [w for n in numbers for w in self.work("search", ports[n], search_seeds, "r")]
            if g == 0:
                items += self.work("search", none, search_seeds, "r")  # the baseline of the search's effects
            self.run_stage(f"search-g{g:03d}", items)
            seeded = dict(enumerate(name for name, _ in seeded_portfolios(self.levers, self.base)[: p // 2]))
            for n in numbers:
                port = ports[n]
                runs = [self.summary(w) for w in self.work("search", port, search_seeds, "r")]
                values = [float(np.mean([r[k] for r in runs])) for k in OBJECTIVES]
                study.add_trial(
                    create_trial(
                        params=self.indices(proposals[n]),
                        distributions=dists,
                        values=values,
                        user_attrs={
                            "index": n,
                            "generation": g,
                            "levers": proposals[n],
                            "portfolio": port.label,
                            "seeded": seeded.get(n - g * p, "") if g == 0 else "",
                        },
                        system_attrs={gen_key: g},
                    )
                )
            front = _front_size(study)
            print(
                f"[optimise] generation {g + 1}/{self.opt.generations}: {len(numbers)} trials, "
                f"{len({ports[n].label for n in numbers})} portfolios, {time.perf_counter() - t0:.1f} s; "
                f"Pareto set {front} portfolios",
                file=sys.stderr,
            )
        return self.trials_table(study)

    def trials_table(self, study: Any) -> pd.DataFrame:
        """One row per completed trial: number, generation, lever values, label, objective means."""
        from optuna.trial import TrialState

        rows = []
        for t in study.get_trials(deepcopy=False, states=[TrialState.COMPLETE]):
            port = self.from_params({s.key: s.values[t.params[s.key]] for s in self.levers})
            row = {
                "number": t.number,
                "generation": int(t.user_attrs.get("generation", -1)),
                "seeded": t.user_attrs.get("seeded", ""),
                "portfolio": port.label,
                "description": describe(port.config),
            }
            row.update({f"lever.{k}": v for k, v in deployed_levers(port.config).items()})
            row.update(dict(zip(OBJECTIVES, t.values, strict=True)))
            rows.append(row)
        table = pd.DataFrame(rows)
        atomic_write_with(self.dir / TRIALS, lambda path: table.to_parquet(path, index=False))
        return table

    # -- re-evaluation on fresh seeds
    def fixed(self) -> dict[str, Portfolio]:
        """The fixed arms of ``experiment=compare`` on this base configuration."""
        return {name: self.portfolio(ov) for name, ov in fixed_arms().items()}

    def reevaluate(self, trials: pd.DataFrame) -> tuple[list[Work], list[str]]:
        """Run the Pareto portfolios and the fixed arms on fresh seeds; return the work and the labels chosen."""
        chosen = select_for_reevaluation(trials, self.opt.reevaluate.max_portfolios)
        by_label = {}
        for row in trials.to_dict("records"):
            if row["portfolio"] in chosen and row["portfolio"] not in by_label:
                by_label[row["portfolio"]] = self.portfolio_of_row(row)
        fresh = seeds(self.base_seed, FRESH_OFFSET, self.opt.reevaluate.replicates)
        search_seeds = seeds(self.base_seed, SEARCH_OFFSET, self.opt.replicates)
        items = []
        for label in chosen:
            items += self.work("fresh", by_label[label], fresh, "f")
            items += self.work("search", by_label[label], search_seeds, "r")  # done already: the shift's other side
        for p in self.fixed().values():
            items += self.work("fresh", p, fresh, "f")
        items += self.work("search", self.fixed()[NONE], search_seeds, "r")
        self.run_stage("reevaluate", items)
        return items, chosen

    def portfolio_of_row(self, row: dict[str, Any]) -> Portfolio:
        """The portfolio of a trials-table row (from its searched lever values)."""
        return self.from_params({s.key: float(row[f"lever.{s.key}"]) for s in self.levers})

    # -- robustness
    def worlds(self) -> tuple[list[tuple[str, int, dict[str, float]]], dict[str, Any]]:
        """The sampled parameter worlds and a description of where they come from."""
        return robustness_worlds(self.opt, self.sens)

    def robustness(self, fresh_runs: pd.DataFrame, labels: list[str], trials: pd.DataFrame) -> list[Work]:
        """Run the chosen portfolios (and no intervention) across the sampled worlds."""
        worlds, self.worlds_info = self.worlds()
        ports = {p.label: p for p in self.fixed().values()}
        for row in trials.drop_duplicates("portfolio").to_dict("records"):
            if row["portfolio"] in labels and row["portfolio"] not in ports:
                ports[row["portfolio"]] = self.portfolio_of_row(row)
        rob_seeds = seeds(self.base_seed, ROBUST_OFFSET, self.opt.robustness.replicates)
        items = []
        distinct: dict[str, tuple[str, int, dict[str, float]]] = {}
        for world in worlds:
            distinct.setdefault(world[0], world)
        for label in [NONE, *[x for x in labels if x != NONE]]:
            for world in distinct.values():
                items += self.work("robust", ports[label], rob_seeds, "r", world)
        self.run_stage("robustness", items)
        # One row per draw (a world drawn twice counts twice), as the posterior weights say.
        out = []
        for sample, (world_id, _, values) in enumerate(worlds):
            for w in items:
                if w.world == world_id:
                    out.append(dataclasses.replace(w, sample=sample, overrides=values))
        return out

    # -- tables
    def runs_table(self, items: Iterable[Work]) -> pd.DataFrame:
        """One row per (stage, arm, run): identifiers, the world's parameters, lever values, outcomes."""
        rows = []
        ports = {p.label: p for p in self._portfolios.values()}
        fixed = {p.label: name for name, p in self.fixed().items()}
        seen = set()
        for w in items:
            key = (w.stage, w.arm, w.run_id, w.sample)
            if key in seen:
                continue
            seen.add(key)
            row: dict[str, Any] = {
                "stage": w.stage,
                "arm": w.arm,
                "run_id": w.run_id,
                "sample": w.sample,
                "world": w.world,
                "replicate": w.replicate,
                "seed": w.seed,
            }
            if w.stage == "robust":  # the world's parameters (overrides hold only them here)
                row.update({f"in.{k}": v for k, v in w.overrides.items()})
            port = ports[w.arm]
            row["fixed_arm"] = fixed.get(w.arm, "")
            row["description"] = describe(port.config)
            row.update({f"lever.{k}": v for k, v in deployed_levers(port.config).items()})
            row.update(self.summary(w))
            rows.append(row)
        table = pd.DataFrame(rows)
        atomic_write_with(self.dir / RUNS, lambda path: table.to_parquet(path, index=False))
        return table

    # -- everything
    def run(self) -> dict[str, Any]:
        """The three stages and the tables (the report is written by :func:`optimise`).

        Returns:
            ``ok``, ``problems`` and the tables' sizes.
        """
        t0 = time.perf_counter()
        trials = self.search()
        t_search = time.perf_counter() - t0
        fresh_items, chosen = self.reevaluate(trials)
        runs = self.runs_table(fresh_items)
        t_fresh = time.perf_counter() - t0 - t_search
        rob_items: list[Work] = []
        labels: list[str] = []
        if self.opt.robustness.draws:
            from sim.analysis.optimise_report import robustness_portfolios

            labels = robustness_portfolios(runs, self.opt)
            rob_items = self.robustness(runs, labels, trials)
            runs = self.runs_table([*fresh_items, *rob_items])
        t_robust = time.perf_counter() - t0 - t_search - t_fresh
        worlds_info = self.worlds_info if self.opt.robustness.draws else {}
        return {
            "trials": len(trials),
            "reevaluated": chosen,
            "robustness_portfolios": labels,
            "fixed_arms": {name: p.label for name, p in self.fixed().items()},
            "worlds": {**worlds_info, "replicates": self.opt.robustness.replicates},
            "runs": len(runs),
            "seconds": {"search": t_search, "reevaluate": t_fresh, "robustness": t_robust},
        }


def _front_size(study: Any) -> int:
    """Distinct portfolios in the study's current Pareto set."""
    labels = {t.user_attrs.get("portfolio") for t in study.best_trials}
    return len(labels)


def _repair_journal(path: Path) -> None:
    """Cut a record torn by a killed writer off the journal, and remove a lock it left.

    The caller holds the sweep folder's lock, so no other process writes the journal.
    """
    Path(str(path) + ".lock").unlink(missing_ok=True)
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with open(path, "r+b") as fh:
            fh.truncate(data.rfind(b"\n") + 1)


# ------------------------------------------------------------------------------------ worlds
def robustness_worlds(
    opt: OptimiseConfig, sens: SensitivityConfig
) -> tuple[list[tuple[str, int, dict[str, float]]], dict[str, Any]]:
    """The worlds the robustness stage samples, and where they come from.

    With the posterior, ``draws`` weighted draws with replacement of its distinct particles
    (identical rows merged, their weights summed; seeded by ``robustness.seed``), so the share of
    draws in which a portfolio meets the target estimates its posterior probability.  A world drawn
    twice is one world (named by its values) run once and counted twice; the analysis counts it
    once where independence matters (PRIM, the tests across worlds) and uses the effective number
    of distinct worlds (Kish) for the interval of the probability
    (:func:`sim.analysis.portfolios.robustness_table`).  With the ranges, a
    Latin hypercube of ``draws`` samples over ``sensitivity.parameters`` (SALib, seeded).
    ``auto`` takes the posterior when its Kish effective sample size over distinct particles
    (:func:`sim.analysis.posterior.effective_sample_size`) is at least ``min_ess``.

    Returns:
        ``(worlds, info)``: worlds as ``(world id, index, parameter values)`` in draw order, and
        ``info`` with ``source``, ``reason``, ``parameters``, and for the posterior ``path``,
        ``sha256``, ``particles``, ``ess``.
    """
    rob = opt.robustness
    info: dict[str, Any] = {"source": rob.source, "reason": "", "draws": rob.draws}
    use_posterior = rob.source == "posterior"
    if rob.source in ("auto", "posterior"):
        from sim.analysis.posterior import effective_sample_size, load_posterior, resolve

        path = resolve(rob.posterior)
        if path.is_file():
            post = load_posterior(path)
            ess = effective_sample_size(post)
            info.update(
                path=str(rob.posterior),
                sha256=hashlib.sha256(path.read_bytes()).hexdigest()[:16],
                modified=time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(path.stat().st_mtime)),
                particles=len(post),
                ess=ess,
            )
            if rob.source == "auto":
                use_posterior = ess >= rob.min_ess
                info["reason"] = (
                    ""  # the sentence gives the effective sample size
                    if use_posterior
                    else f"the posterior's effective sample size is {ess:.1f}, below {rob.min_ess:g}: its draws would "
                    "repeat a few parameter sets, so the sensitivity design's ranges are used instead"
                )
        elif rob.source == "auto":
            info["reason"] = f"no posterior at {rob.posterior}: the sensitivity design's ranges are used"
    if use_posterior:
        keys = [c for c in post.columns if c != "weight"]
        merged = post.groupby(keys, sort=True)["weight"].sum().reset_index()
        w = merged["weight"].to_numpy(dtype=float)
        rng = np.random.default_rng(rob.seed)
        idx = rng.choice(len(merged), size=rob.draws, replace=True, p=w / w.sum())
        values = merged[keys].to_numpy(dtype=float)
        worlds = []
        for k, i in enumerate(idx):
            world = {key: float(v) for key, v in zip(keys, values[i], strict=True)}
            tag = hashlib.sha256(json.dumps(world, sort_keys=True).encode()).hexdigest()[:10]
            worlds.append((f"p{tag}", k, world))  # named by its values: the same set is the same world
        info.update(
            source="posterior", parameters=keys, distinct=len({w[0] for w in worlds}), distinct_particles=len(merged)
        )
        return worlds, info
    from SALib.sample import latin

    names = list(sens.parameters)
    problem = {"num_vars": len(names), "names": names, "bounds": [list(sens.parameters[k]) for k in names]}
    design = latin.sample(problem, rob.draws, seed=rob.seed)
    tag = hashlib.sha256(json.dumps([problem, rob.draws, rob.seed]).encode()).hexdigest()[:6]
    worlds = [
        (f"l{tag}{k:03d}", k, {key: float(v) for key, v in zip(names, row, strict=True)})
        for k, row in enumerate(design)
    ]
    info.update(source="ranges", parameters=names, ranges={k: list(v) for k, v in sens.parameters.items()})
    info["distinct"] = len(worlds)
    return worlds, info


# ------------------------------------------------------------------------------------ entry
def optimise(
    sweep_dir: Path,
    base: SimConfig,
    opt: OptimiseConfig,
    sens: SensitivityConfig,
    base_seed: int,
    launch: Launch | None = None,
    *,
    jobs: int = 1,
    cluster: bool = False,
    on_change: str = "refuse",
    experiment: str = "optimise",
    report: bool = True,
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Plan, run (or resume) and report one optimisation into ``sweep_dir``.

    Args:
        sweep_dir: The folder (created if needed); the caller holds its lock.
        base: The base configuration.
        opt: The optimisation's settings.
        sens: The sensitivity design (the robustness worlds' ranges when not from the posterior).
        base_seed: The sweep's base seed.
        launch: Runs the chunks of a batch; default: in this process.
        jobs: Chunks per batch.
        cluster: Jobs start on other machines (larger chunks).
        on_change: ``refuse``, ``archive`` or ``discard`` for a folder holding another plan.
        experiment: The experiment's name.
        report: Write the report.
        meta: Extra metadata for ``sweep.json`` (command, launcher ...).

    Returns:
        ``ok`` and ``problems``, the plan's fate (``plan``) and the stages' counts and times.

    Raises:
        ConfigError: Invalid settings, or another plan in the folder (before anything runs).
    """
    sweep_dir = Path(sweep_dir)
    sweep_dir.mkdir(parents=True, exist_ok=True)
    runner = Optimiser(
        sweep_dir, base, opt, sens, base_seed, launch or in_process(sweep_dir, base), jobs, cluster, experiment
    )
    plan = make_plan(base, runner.levers, opt, sens, base_seed, experiment)
    what = reconcile_plan(sweep_dir, plan, on_change)
    # A report describes one finished run of the folder's plan: the one there now is stale until
    # this run finishes (report.py refuses until then; see write_optimise_report).
    shutil.rmtree(sweep_dir / REPORT_DIR, ignore_errors=True)
    started = time.time()
    info = {
        **(meta or {}),
        "experiment": experiment,
        "sweep_dir": str(sweep_dir),
        "base_seed": base_seed,
        "plan": what,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "load_start": list(os.getloadavg()),
        "cpus": os.cpu_count(),
        "code": plan["code"],
        "git_commit": plan["code"]["commit"],
        "versions": {**plan["code"]["versions"], "optuna": metadata.version("optuna")},
        "jobs": jobs,
        "plan_sha256": plan_digest(sweep_dir),
        "complete": False,
    }
    atomic_write_json(sweep_dir / META, info)
    print(
        f"[optimise] {experiment}: {opt.generations} generations x {opt.population} portfolios x "
        f"{opt.replicates} seeds, {len(runner.levers)} levers ({what}) -> {sweep_dir}",
        file=sys.stderr,
    )
    problems: list[str] = []
    outcome: dict[str, Any] = {}
    try:
        outcome = runner.run()
    except OptimiseError as exc:
        problems.append(str(exc))
    except BaseException as exc:  # recorded, then raised: sweep.json never claims a run that broke off
        info.update(
            ended=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            wall_s=time.time() - started,
            runs_computed=runner.runs_computed,
            problems=[f"stopped by {type(exc).__name__}: {exc}"],
        )
        atomic_write_json(sweep_dir / META, info)
        raise
    info.update(
        outcome,
        ended=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        wall_s=time.time() - started,
        load_end=list(os.getloadavg()),
        runs_computed=runner.runs_computed,
        problems=problems,
        complete=not problems,
    )
    atomic_write_json(sweep_dir / META, info)
    if report and not problems:
        try:
            from sim.analysis.optimise_report import write_optimise_report

            path = write_optimise_report(sweep_dir)
            print(f"[optimise] report {path}")
        except Exception as exc:  # the tables are safe; a report failure must not hide them
            log.error("writing the report failed", exc_info=True)
            problems.append(f"the report failed: {type(exc).__name__}: {exc}")
    info["problems"] = problems
    info["wall_s"] = time.time() - started
    atomic_write_json(sweep_dir / META, info)
    if problems:
        print(f"error: optimisation {sweep_dir}: " + "; ".join(problems), file=sys.stderr)
    return {**info, "ok": not problems}
