"""Hydra's sweep callback: the plan before any job, and collection and the report after the last."""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Any, ClassVar, override

from filelock import FileLock, Timeout
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from sim.atomic_io import atomic_write_json
from sim.cli.configs import _config_without_hydra, is_optimisation
from sim.cli.folder import SWEEP_LOCK
from sim.cli.jobs import make_plan
from sim.config import ConfigError
from sim.sweeps.manifest import (
    reconcile,
    write_plan,
)
from sim.sweeps.progress import ProgressMonitor
from sim.sweeps.store import collect, run_dir, verify_run

log = logging.getLogger("sim")


class SweepCallback(Callback):
    """Plans a sweep before it starts (locking its folder); collects, records and reports it at the end."""

    #: The folder of the last sweep this process started (read by :func:`sim.cli.api.sweep`).
    last_sweep_dir: ClassVar[Path | None] = None

    def __init__(self) -> None:
        self._lock: FileLock | None = None
        self._monitor: ProgressMonitor | None = None

    def __getstate__(self) -> dict[str, Any]:
        # Launchers pickle the callbacks with each job; the lock and the bar stay in this process.
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()

    @override
    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        SweepCallback.last_sweep_dir = sweep_dir
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
        try:
            plan, what = reconcile(sweep_dir, make_plan(config), str(config.sweep.on_change))
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise SystemExit(2) from exc
        write_plan(sweep_dir, plan)
        resumed = sum(
            1 for r in plan.runs if not verify_run(run_dir(sweep_dir, r["arm"], r["run_id"]), r["fingerprint"])
        )
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
            f"({what}; {resumed} already done) -> {sweep_dir}",
            file=sys.stderr,
        )
        self._monitor = ProgressMonitor(sweep_dir, total=len(plan.runs), resumed=resumed)
        self._monitor.start()

    @override
    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        if self._monitor is not None:
            self._monitor.stop()
        if is_optimisation(config):
            if self._lock is not None:
                self._lock.release()
            return
        try:
            outcome = finish_sweep(sweep_dir, report=bool(config.get("report", True)))
        finally:
            if self._lock is not None:
                self._lock.release()
        if not outcome["ok"]:
            raise SystemExit(1)


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
