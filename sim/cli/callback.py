"""Hydra's sweep callback: the plan before any job, and collection and the report after the last."""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any, ClassVar, override

from filelock import FileLock, Timeout
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from sim.atomic_io import atomic_write_json
from sim.cli.app import CONFIRMED
from sim.cli.configs import _config_without_hydra, _sensitivity, is_optimisation
from sim.cli.errors import os_error_line
from sim.cli.folder import SWEEP_LOCK
from sim.cli.jobs import make_plan, sweep_seconds
from sim.cli.optimise import launcher_parallelism
from sim.cli.pool import SweepPool, WorkerDiedError, arm_bases, pool_workers, tasks
from sim.config import ConfigError
from sim.config.runtime import LONG_RUN_SECONDS, describe_seconds
from sim.sweeps.experiment import plan_runs
from sim.sweeps.launcher import stop_children
from sim.sweeps.manifest import (
    Plan,
    reconcile,
    write_plan,
)
from sim.sweeps.progress import EVENTS, ProgressMonitor
from sim.sweeps.store import collect, run_dir, verify_run

log = logging.getLogger("sim")

#: The folder of the sweep this process is running, so that a failure can be recorded in it.
ACTIVE: dict[str, Any] = {}


def record_problem(line: str) -> None:
    """Record a failure that stopped the sweep this process runs (if any) in its ``sweep.json``."""
    monitor = ACTIVE.pop("monitor", None)
    if monitor is not None:
        monitor.stop()  # close the bar, so the message starts its own line
    sweep_dir = ACTIVE.get("sweep_dir")
    if not isinstance(sweep_dir, Path):
        return
    meta_path = sweep_dir / "sweep.json"
    try:
        meta = json.loads(meta_path.read_text())
        meta.update(ended=time.strftime("%Y-%m-%dT%H:%M:%S%z"), problems=[*meta.get("problems", []), line])
        atomic_write_json(meta_path, meta)
    except (OSError, ValueError):
        pass  # the folder itself is what failed; the message says so


class SweepCallback(Callback):
    """Plans a sweep before it starts (locking its folder); collects, records and reports it at the end."""

    #: The folder of the last sweep this process started (read by :func:`sim.cli.api.sweep`).
    last_sweep_dir: ClassVar[Path | None] = None

    def __init__(self) -> None:
        self._lock: FileLock | None = None
        self._monitor: ProgressMonitor | None = None
        self._pool: SweepPool | None = None

    def __getstate__(self) -> dict[str, Any]:
        # Launchers pickle the callbacks with each job; the lock and the bar stay in this process.
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()

    @override
    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        # Hydra turns a callback's exceptions into warnings and goes on: every failure here exits.
        sweep_dir = Path(config.hydra.sweep.dir)
        SweepCallback.last_sweep_dir = sweep_dir
        try:
            self._start(config, sweep_dir)
        except OSError as exc:
            print(f"error: {os_error_line(exc, sweep_dir)}", file=sys.stderr)
            raise SystemExit(2) from None

    def _start(self, config: DictConfig, sweep_dir: Path) -> None:
        sweep_dir.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(sweep_dir / SWEEP_LOCK), timeout=0)
        try:
            self._lock.acquire()
        except Timeout:
            print(
                f"error: another sweep is running in {sweep_dir} (it holds {sweep_dir / SWEEP_LOCK}); "
                "wait for it to end, or use another hydra.sweep.dir",
                file=sys.stderr,
            )
            raise SystemExit(3) from None
        for stale in sweep_dir.glob(".*.tmp"):  # left by a sweep killed mid-write; the lock is ours now
            stale.unlink(missing_ok=True)
        if is_optimisation(config):
            return  # the optimisation's sweeper plans, runs and reports (run_optimise_sweep)
        workers = max(launcher_parallelism(config, 0)[0], pool_workers(config))

        def refuse_if_long(arms_only: Plan, runs: list[Any]) -> None:
            # Before the runs are listed (slow for a huge plan): a run counts as done if its
            # DONE marker exists (verified later).
            to_do = {
                arm: sum(not (run_dir(sweep_dir, arm, r.run_id) / "DONE").exists() for r in runs)
                for arm in arms_only.arms
            }
            seconds = sweep_seconds(arms_only, to_do, workers)
            if seconds > LONG_RUN_SECONDS and not CONFIRMED["long"]:
                print(
                    f"error: the sweep would take an estimated {describe_seconds(seconds)} "
                    f"({sum(to_do.values()):,} runs to do: replicates={arms_only.replicates} in {len(to_do)} arms); "
                    "make it smaller, or confirm with --yes",
                    file=sys.stderr,
                )
                raise SystemExit(2)

        try:
            planned = make_plan(config, before_runs=refuse_if_long)
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise SystemExit(2) from exc
        to_run: dict[str, int] = {}
        for r in planned.runs:
            if verify_run(run_dir(sweep_dir, r["arm"], r["run_id"]), r["fingerprint"]):
                to_run[r["arm"]] = to_run.get(r["arm"], 0) + 1
        resumed = len(planned.runs) - sum(to_run.values())
        seconds = sweep_seconds(planned, to_run, workers)
        try:
            plan, what = reconcile(sweep_dir, planned, str(config.sweep.on_change))
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise SystemExit(2) from exc
        write_plan(sweep_dir, plan)
        meta = {
            "experiment": plan.experiment,
            "sweep_dir": str(sweep_dir),
            "base_seed": plan.base_seed,
            "replicates": plan.replicates,
            "arms_planned": len(plan.arms),
            "arm_keys": plan.arm_keys,
            "runs_planned": len(plan.runs),
            "runs_resumed": resumed,
            "plan": what,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "code": plan.code,
            "git_commit": plan.code["commit"],
            "versions": plan.code["versions"],
            "command_overrides": list(config.hydra.overrides.task),
            "launcher": str(config.hydra.launcher.get("_target_", "")),
            "config": _config_without_hydra(config),
        }
        atomic_write_json(sweep_dir / "sweep.json", meta)
        print(
            f"[sweep] {plan.experiment}: {len(plan.arms)} arms, {len(plan.runs)} runs planned "
            f"({what}; {resumed} already done; estimated {describe_seconds(seconds)}) -> {sweep_dir}",
            file=sys.stderr,
        )
        ACTIVE["sweep_dir"] = sweep_dir
        # Forked before the progress bar's threads start; the workers compute while Hydra composes
        # and runs the jobs here, which share the runs with them (a batch at a time, under the arm's lock).
        self._pool = _start_pool(config, sweep_dir, plan)
        self._monitor = ProgressMonitor(sweep_dir, total=len(plan.runs), resumed=resumed, clear=self._pool is None)
        self._monitor.start()
        ACTIVE["monitor"] = self._monitor

    @override
    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        if self._pool is not None:
            _wait_for(self._pool)  # the jobs are done; so are the workers, or soon
        ACTIVE.pop("monitor", None)
        if self._monitor is not None:
            self._monitor.stop()
        if is_optimisation(config):
            if self._lock is not None:
                self._lock.release()
            return
        try:
            outcome = finish_sweep(sweep_dir, report=bool(OmegaConf.select(config, "report.enabled", default=True)))
        finally:
            if self._lock is not None:
                self._lock.release()
        if not outcome["ok"]:
            raise SystemExit(1)


def _start_pool(config: DictConfig, sweep_dir: Path, plan: Plan) -> SweepPool | None:
    """Fork the processes that compute the sweep's unfinished runs (None: the jobs compute them)."""
    workers = pool_workers(config)
    if workers <= 1:
        return None
    to_do = {
        (r["arm"], r["run_id"])
        for r in plan.runs
        if verify_run(run_dir(sweep_dir, r["arm"], r["run_id"]), r["fingerprint"])
    }
    runs = plan_runs(int(config.base_seed), int(config.replicates), _sensitivity(config))
    work = tasks(plan, runs, to_do, workers)
    if not work:
        return None
    (sweep_dir / EVENTS).unlink(missing_ok=True)  # events of an earlier invocation are not this one's
    return SweepPool(sweep_dir, plan, arm_bases(plan), work, workers)


def _wait_for(pool: SweepPool) -> None:
    """Wait for the sweep's workers; a worker that died fails the sweep in one line (its finished runs kept)."""
    try:
        pool.wait()
    except WorkerDiedError as exc:
        line = (
            f"a worker process was killed ({exc}) while running the sweep; the finished runs are kept: "
            "rerun the same command to resume"
        )
        stop_children()
        record_problem(line)
        print(f"error: {line}", file=sys.stderr)
        raise SystemExit(1) from None


def finish_sweep(sweep_dir: Path, report: bool = True) -> dict[str, Any]:
    """Collect a sweep's planned runs, update its metadata and (optionally) write its report.

    Prints one line that says what happened; ``ok`` in the result is False when a run failed or
    is missing, when collection failed, or when the report failed.
    """
    sweep_dir = Path(sweep_dir)
    problems: list[str] = []
    try:
        counts = collect(sweep_dir)
    except Exception as exc:  # unreadable plan or files: say so, fail the sweep
        log.debug("collection failed", exc_info=True)
        counts = {"planned": 0, "done": 0, "failed": 0, "errors": [], "missing": []}
        problems.append(f"collection failed: {exc}")
    meta_path = sweep_dir / "sweep.json"
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        meta = {"sweep_dir": str(sweep_dir)}
    meta.update(
        ended=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        runs_planned=counts["planned"],
        runs_done=counts["done"],
        runs_failed=counts["failed"],
        runs_missing=counts["missing"],
        failures=[{"keys": e.get("keys"), "error": str(e.get("error", ""))[-2000:]} for e in counts["errors"]],
    )
    if counts["failed"]:
        problems.append(f"{counts['failed']} runs failed (errors in {meta_path})")
    if counts["missing"]:
        problems.append(f"{len(counts['missing'])} runs missing or corrupt (first: {counts['missing'][0]})")
    with contextlib.suppress(OSError):  # the report's metadata says when the sweep ended
        atomic_write_json(meta_path, meta)
    report_note = "no report"
    if report and counts["done"]:
        try:
            from sim.report.write import write_report

            report_note = f"report {write_report(sweep_dir)}"
        except Exception as exc:  # the collected tables are safe; a report failure must not hide them
            log.error("writing the report failed", exc_info=True)
            problems.append(f"the report failed: {type(exc).__name__}: {exc}")
            report_note = "report failed"
    meta["problems"] = problems
    atomic_write_json(meta_path, meta)
    line = (
        f"[sweep] {counts['done']}/{counts['planned']} planned runs collected into {sweep_dir}/runs.parquet; "
        f"{report_note}"
    )
    print(line)
    if problems:
        print(f"error: sweep {sweep_dir}: " + "; ".join(problems), file=sys.stderr)
    return {**counts, "ok": not problems, "problems": problems}
