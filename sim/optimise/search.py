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
import json
import logging
import math
import os
import shutil
import sys
import time
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.atomic_io import atomic_write_json, atomic_write_with
from sim.config import SimConfig, flatten, to_dict, with_values
from sim.levers import (
    deployed_levers,
    describe,
    fixed_arms,
    portfolio_label,
    portfolio_overrides,
)
from sim.optimise.checks import OptimiseError, check_settings
from sim.optimise.plan import (
    BATCHES,
    META,
    MUTATION_ETA,
    REPORT_DIR,
    RUNS,
    STUDY,
    TRIALS,
    make_plan,
    plan_digest,
    reconcile_plan,
)
from sim.optimise.portfolios import NONE, OBJECTIVES, select_for_reevaluation
from sim.optimise.runs import (
    RUNS_PER_CLUSTER_JOB,
    Launch,
    Portfolio,
    Work,
    in_process,
    sampler_seed,
    seeded_portfolios,
    seeds,
)
from sim.optimise.settings import FRESH_OFFSET, ROBUST_OFFSET, SEARCH_OFFSET, OptimiseConfig
from sim.optimise.worlds import robustness_worlds
from sim.sweeps.experiment import SensitivityConfig
from sim.sweeps.manifest import code_id, fingerprint
from sim.sweeps.store import ERROR, run_dir, verify_run

log = logging.getLogger("sim")


#: The name Optuna's study has in the journal.
STUDY_NAME = "portfolios"


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
        study = optuna.create_study(
            study_name=STUDY_NAME, storage=storage, directions=["minimize"] * len(OBJECTIVES), load_if_exists=True
        )
        if study.metric_names != list(OBJECTIVES):  # named once: each call adds a record to the journal
            import warnings

            from optuna.exceptions import ExperimentalWarning

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ExperimentalWarning)
                study.set_metric_names(list(OBJECTIVES))
        return study

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
        from optuna.samplers.nsgaii import PolynomialMutation, SBXCrossover

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExperimentalWarning)
            return batch_nsga2()(
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
        from optuna.trial import TrialState, create_trial

        study = self.study()
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
            from sim.optimise.robustness import robustness_portfolios

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


def batch_nsga2() -> type:
    """Optuna's NSGA-II sampler, its generations counted by trial number.

    The search records a generation at a time, trials in order, so trial ``n`` belongs to generation
    ``n // population``. NSGA-II finds a trial's generation and a generation's population through
    :meth:`get_trial_generation` and :meth:`get_population`, the public methods of Optuna's
    ``BaseGASampler``; overriding them with this rule replaces writing Optuna's private generation
    key (``NSGAIISampler._get_generation_key()``) into every trial, and proposes the same
    portfolios: a generation's population is the same set of trials either way.
    """
    from optuna.samplers import NSGAIISampler
    from optuna.trial import TrialState

    class BatchNSGAII(NSGAIISampler):
        def get_trial_generation(self, study: Any, trial: Any) -> int:
            """The generation of ``trial``: its number divided by the population size."""
            return int(trial.number // self.population_size)

        def get_population(self, study: Any, generation: int) -> list[Any]:
            """The completed trials of ``generation``."""
            trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            return [t for t in trials if t.number // self.population_size == generation]

    return BatchNSGAII


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
    info = start_record(sweep_dir, plan, what, base_seed, experiment, jobs, meta)
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
        problems += report_problems(sweep_dir)
    info["problems"] = problems
    info["wall_s"] = time.time() - started
    atomic_write_json(sweep_dir / META, info)
    if problems:
        print(f"error: optimisation {sweep_dir}: " + "; ".join(problems), file=sys.stderr)
    return {**info, "ok": not problems}


def start_record(
    sweep_dir: Path,
    plan: dict[str, Any],
    what: str,
    base_seed: int,
    experiment: str,
    jobs: int,
    meta: dict[str, Any] | None,
) -> dict[str, Any]:
    """Write ``sweep.json`` as the run starts (``complete`` false until every stage is done)."""
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
    return info


def report_problems(sweep_dir: Path) -> list[str]:
    """Write the optimisation's report; a failure is a problem to record, never a lost table."""
    try:
        from sim.optimise.report import write_optimise_report

        path = write_optimise_report(sweep_dir)
        print(f"[optimise] report {path}")
    except Exception as exc:  # the tables are safe; a report failure must not hide them
        log.error("writing the report failed", exc_info=True)
        return [f"the report failed: {type(exc).__name__}: {exc}"]
    return []
