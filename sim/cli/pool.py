"""Sweeps on every core: forked processes compute the planned runs beside Hydra's jobs.

Hydra's basic launcher runs a sweep's jobs (one per arm) one after the other in the launching
process, and its joblib launcher starts fresh interpreters (loky) that re-import Hydra, Mesa,
pandas and scipy, 1.2 to 1.5 s of CPU each, with at most one worker per arm.  With the basic
launcher and ``sweep.workers`` other than 1, the sweep callback instead forks ``workers``
processes once the plan is written.  They share the unfinished runs in tasks of at most
:data:`sim.cli.jobs.RUNS_PER_BATCH` runs of one arm, interleaved across arms and taken in turn
from a shared counter, so every core stays busy to the end whatever the number of arms.  Each
task runs as a job would (:func:`sim.cli.jobs.run_arm`: the arm's lock held for each batch, the
runs checked against the plan, a failed run recorded).  Meanwhile Hydra composes and runs the
jobs in the launching process: a job computes the runs of its arm no worker has taken yet and
skips the others (verified under the arm's lock, so no run is computed twice); the callback waits
for the workers before collecting.

Forking is used because a forked worker starts in about 0.1 s with everything imported.  The
workers are forked before the progress bar's thread starts, and only from a process running no
other thread (forking a process with threads can copy a lock another thread holds): in a
notebook, or anywhere else threads run, the jobs compute the runs themselves.  A worker checks
before each task that the launching process is alive (:mod:`sim.sweeps.launcher`) and stops when
it is not; a worker that dies (kill -9, out of memory) is named in one line and fails the sweep,
whose finished runs are kept.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from sim.cli.jobs import RUNS_PER_BATCH, run_arm
from sim.config import SimConfig, build_config
from sim.sweeps.experiment import PlannedRun
from sim.sweeps.launcher import launcher_alive, leave_orphaned_job
from sim.sweeps.manifest import Plan, code_id

log = logging.getLogger("sim")


class WorkerDiedError(RuntimeError):
    """A worker process of the sweep ended abnormally (killed, out of memory)."""


def pool_workers(config: DictConfig) -> int:
    """How many processes compute a sweep's runs (1: the jobs compute them, no process is forked).

    ``sweep.workers`` (0: every core this process may use) with Hydra's basic launcher; 1 with
    any other launcher (joblib's and submitit's run the jobs in processes of their own), where
    ``fork`` is not available, or when this process runs threads.
    """
    target = str(OmegaConf.select(config, "hydra.launcher._target_", default=""))
    if not target.endswith("BasicLauncher") or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if threading.active_count() > 1:
        return 1
    wanted = int(OmegaConf.select(config, "sweep.workers", default=1) or 0)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, wanted if wanted > 0 else cores)


@dataclass(frozen=True)
class Task:
    """Some runs of one arm, computed together by one worker."""

    arm: str
    runs: tuple[PlannedRun, ...]


def tasks(plan: Plan, runs: list[PlannedRun], to_do: set[tuple[str, str]], workers: int) -> list[Task]:
    """The unfinished runs cut into tasks of one arm, interleaved across arms.

    A task holds at most :data:`RUNS_PER_BATCH` runs, and fewer when that would leave fewer than
    four tasks per worker (the last tasks are what keeps a core idle at the end).
    """
    per_arm = {arm: [r for r in runs if (arm, r.run_id) in to_do] for arm in plan.arms}
    total = sum(len(v) for v in per_arm.values())
    size = max(1, min(RUNS_PER_BATCH, -(-total // (4 * workers))))
    chunks = {arm: [rs[i : i + size] for i in range(0, len(rs), size)] for arm, rs in per_arm.items()}
    out = []
    for k in range(max((len(c) for c in chunks.values()), default=0)):
        out.extend(Task(arm, tuple(c[k])) for arm, c in chunks.items() if k < len(c))
    return out


class SweepPool:
    """Forked processes computing a sweep's tasks; :meth:`wait` until they are done.

    Args:
        sweep_dir: The sweep's folder.
        plan: Its plan (as written to ``manifest.json``).
        bases: Each arm's configuration (its runs' seeds and overrides are laid on it).
        work: The tasks, in the order they are taken.
        workers: Processes to fork (at most one per task).
    """

    def __init__(
        self, sweep_dir: Path, plan: Plan, bases: dict[str, SimConfig], work: list[Task], workers: int
    ) -> None:
        context = multiprocessing.get_context("fork")
        self._next = context.Value("i", 0)  # shared memory and a semaphore: no thread in this process
        self._args = (Path(sweep_dir), plan, bases, work)
        self.processes = [
            context.Process(target=self._work, name=f"sweep-worker-{i}", daemon=False)
            for i in range(min(workers, len(work)))
        ]
        for p in self.processes:
            p.start()

    def _work(self) -> None:
        sweep_dir, plan, bases, work = self._args
        this_code = code_id()
        while True:
            with self._next.get_lock():
                i = self._next.value
                self._next.value += 1
            if i >= len(work):
                return
            if not launcher_alive():  # the sweep was killed: stop rather than compute for nobody
                log.warning("the sweep's launching process is gone: worker %s stops", os.getpid())
                leave_orphaned_job()
            task = work[i]
            run_arm(sweep_dir, plan, task.arm, bases[task.arm], list(task.runs), this_code)

    def wait(self) -> None:
        """Wait for every worker to end.

        Raises:
            WorkerDiedError: A worker ended by a signal or with an error (its unfinished runs are left to the jobs).
        """
        for p in self.processes:
            p.join()
        bad = {p.name: p.exitcode for p in self.processes if p.exitcode != 0}
        if bad:
            codes = ", ".join(f"{name}: {code}" for name, code in bad.items())
            raise WorkerDiedError(f"exit codes of the workers are {codes}")


def arm_bases(plan: Plan) -> dict[str, SimConfig]:
    """Each arm's configuration, from the inputs its plan records (the seed is set per run)."""
    return {arm: build_config(None, **spec["inputs"]) for arm, spec in plan.arms.items()}
