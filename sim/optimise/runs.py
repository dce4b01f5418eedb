"""Running portfolios: the work of a stage, its seeds, and job chunks run in-process or by a launcher."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock

from sim.config import ConfigError, SimConfig, flatten, to_dict, with_values
from sim.levers import (
    OFF,
    SearchedLever,
    fixed_arms,
)
from sim.model.streams import replicate_seed
from sim.optimise.plan import BATCHES
from sim.simulate import simulate_each
from sim.sweeps.launcher import launcher_alive, leave_orphaned_job
from sim.sweeps.manifest import code_id, fingerprint
from sim.sweeps.store import ERROR, run_dir, verify_run, write_failure, write_run

log = logging.getLogger("sim")


#: Runs of a chunk handed to :func:`sim.simulate.simulate_many` at once (each held under its lock).
RUNS_PER_GROUP = 32

#: Runs a SLURM job should carry at least (a job's start-up costs seconds; a city run 0.1 s).
RUNS_PER_CLUSTER_JOB = 50


#: A launcher: runs the given chunks of a batch file (blocking until they are done).
Launch = Callable[[str, int], None]


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

    The chunk's unfinished runs go to :func:`sim.simulate.simulate_many` in groups of
    :data:`RUNS_PER_GROUP`, each run under its own lock, so two jobs never compute one run; a run
    that raises is recorded (``ERROR``) and the chunk goes on.

    Returns:
        Counts of runs ``done``, ``skipped`` (already verified) and ``failed``.
    """
    sweep_dir = Path(sweep_dir)
    spec = json.loads((sweep_dir / BATCHES / f"{batch}.json").read_text())
    items = spec["items"][chunk :: spec["chunks"]]
    counts = {"done": 0, "skipped": 0, "failed": 0}
    this_code = code_id()
    for start in range(0, len(items), RUNS_PER_GROUP):
        if not launcher_alive():  # the optimisation was killed: stop rather than compute for nobody
            log.warning("the optimisation's launching process is gone: chunk %s/%s stops", batch, chunk)
            leave_orphaned_job()
        with contextlib.ExitStack() as locks:
            group = []
            for item in items[start : start + RUNS_PER_GROUP]:
                work = Work(**item)
                folder = run_dir(sweep_dir, work.arm, work.run_id)
                folder.mkdir(parents=True, exist_ok=True)
                locks.enter_context(FileLock(str(folder / ".run.lock")))
                if not verify_run(folder, work.fingerprint):
                    counts["skipped"] += 1
                    continue
                group.append((work, folder))
            _run_group(group, base, batch, counts, this_code)
    return counts


def _run_group(
    group: list[tuple[Work, Path]], base: SimConfig, batch: str, counts: dict[str, int], this_code: str
) -> None:
    """Build, check, run (as one batch) and write a group of runs; a failing run is recorded alone."""
    ready: list[tuple[Work, Path, SimConfig, dict[str, Any]]] = []
    for work, folder in group:
        try:
            cfg = with_values(dataclasses.replace(base, seed=work.seed), **work.overrides)
            inputs = flatten(to_dict(cfg))
            if fingerprint(inputs, this_code) != work.fingerprint:
                raise ConfigError(
                    f"run {work.arm}/{work.run_id}: its inputs or the code differ from those planned in "
                    f"{BATCHES}/{batch}.json: rerun the command to re-plan"
                )
            ready.append((work, folder, cfg, inputs))
        except Exception:  # recorded; the driver reports it and stops after the batch
            _record_failure(work, folder, counts)
    results = simulate_each([r[2] for r in ready], allow_long=True)  # the plan is bounded (sim.optimise.checks)
    for (work, folder, cfg, inputs), result in zip(ready, results, strict=True):
        try:
            if isinstance(result, Exception):
                raise result
            write_run(folder, result.summary, result.timeseries, inputs, work.keys(), work.fingerprint, to_dict(cfg))
            counts["done"] += 1
        except Exception:  # recorded; the driver reports it and stops after the batch
            _record_failure(work, folder, counts)


def _record_failure(work: Work, folder: Path, counts: dict[str, int]) -> None:
    """Record the exception being handled as the run's ``ERROR``."""
    write_failure(folder, work.keys(), traceback.format_exc())
    log.error("run %s/%s failed; see %s", work.arm, work.run_id, folder / ERROR)
    counts["failed"] += 1


def in_process(sweep_dir: Path, base: SimConfig) -> Launch:
    """A launcher running every chunk in this process, one after the other."""

    def launch(batch: str, chunks: int) -> None:
        for c in range(chunks):
            run_chunk(sweep_dir, batch, c, base)

    return launch
