"""The glue between Hydra and the simulator: schema registration, single runs, sweep jobs, callback.

Nothing else in the package imports Hydra; the model and the interventions take plain
dataclasses.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
import logging
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any, override

from filelock import FileLock, Timeout
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf, open_dict

from sim.atomic_io import atomic_write_json, atomic_write_with
from sim.config import ConfigError, SimConfig, build_config, check_keys, flatten, to_dict
from sim.simulate import simulate
from sim.sweeps.experiment import (
    RunConfig,
    SensitivityConfig,
    arm_label,
    plan_runs,
    validate_run_config,
)
from sim.sweeps.manifest import (
    MANIFEST,
    Plan,
    code_id,
    code_version,
    fingerprint,
    read_plan,
    reconcile,
    write_plan,
)
from sim.sweeps.progress import ProgressMonitor, record_event
from sim.sweeps.store import collect, run_dir, verify_run, write_failure, write_run

log = logging.getLogger("sim")

#: Top-level keys of a simulation configuration (other keys describe how a sweep is run).
SIM_SECTIONS = frozenset(f.name for f in dataclasses.fields(SimConfig))

#: The lock that lets one sweep at a time use a folder, and the one a job holds while it runs an arm.
SWEEP_LOCK, ARM_LOCK = ".sweep.lock", ".arm.lock"


#: The sweeper of ``experiment=optimise`` (a Hydra plugin must live in the ``hydra_plugins`` namespace).
OPTIMISE_SWEEPER = "hydra_plugins.sim_optimise_sweeper.OptimiseSweeper"

#: What only a sweep folder holds: its plan (an optimisation's too), its runs, or their collected table.
SWEEP_MARKS = (MANIFEST, "optimise.json", "runs", "runs.parquet")


class SweepBusyError(RuntimeError):
    """Another process (a sweep, a collection or a report) holds the sweep folder."""


class NotASweepError(ValueError):
    """The folder given does not exist, or is not a sweep folder."""


def check_sweep_folder(sweep_dir: Path) -> None:
    """Make sure ``sweep_dir`` is an existing sweep folder (it holds one of :data:`SWEEP_MARKS`).

    Raises:
        NotASweepError: It does not exist, or holds none of a sweep's files.
    """
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise NotASweepError(f"{sweep_dir} does not exist")
    if not any((sweep_dir / mark).exists() for mark in SWEEP_MARKS):
        raise NotASweepError(
            f"{sweep_dir} is not a sweep folder (it holds none of {', '.join(SWEEP_MARKS)}); "
            "give the folder a sweep wrote (hydra.sweep.dir)"
        )


@contextlib.contextmanager
def holding_sweep(sweep_dir: Path) -> Iterator[None]:
    """Hold the sweep folder's lock, so a manual collection or report never races a running sweep.

    The folder is checked first (:func:`check_sweep_folder`): a mistyped path is neither created nor
    given a lock file.

    Raises:
        NotASweepError: The folder does not exist or is not a sweep folder.
        SweepBusyError: The lock is held; the message names the folder and the lock file.
    """
    check_sweep_folder(sweep_dir)
    lock = FileLock(str(Path(sweep_dir) / SWEEP_LOCK), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise SweepBusyError(
            f"another process is using {sweep_dir} (a sweep, collection or report holds "
            f"{Path(sweep_dir) / SWEEP_LOCK}); wait for it to end"
        ) from None
    try:
        yield
    finally:
        lock.release()


def register_schema() -> None:
    """Register the structured schema so that typos and wrong types are rejected by Hydra.

    Also registers the optimisation's sweeper as ``hydra/sweeper=optimise``.
    """
    store = ConfigStore.instance()
    store.store(name="run_schema", node=RunConfig)
    store.store(group="hydra/sweeper", name="optimise", node={"_target_": OPTIMISE_SWEEPER}, provider="sim")


def is_optimisation(config: DictConfig) -> bool:
    """True when the multirun is an optimisation (``experiment=optimise`` sets its sweeper)."""
    return str(OmegaConf.select(config, "hydra.sweeper._target_", default="")) == OPTIMISE_SWEEPER


def _sensitivity(cfg: DictConfig) -> SensitivityConfig:
    return OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(SensitivityConfig), cfg.sensitivity))  # type: ignore[return-value]


def main(cfg: DictConfig) -> None:
    """Entry point called by ``experiments/run.py``: one run, or one job of a multirun."""
    if HydraConfig.get().mode == RunMode.MULTIRUN:
        run_sweep_job(cfg)
    else:
        run_single(cfg)


def strict_keys(cfg: DictConfig) -> None:
    """Reject keys the schema does not have (``+replicate=3`` adds one; it must not pass silently).

    Raises:
        ConfigError: Naming the unknown key.
    """
    plain = OmegaConf.to_container(cfg, resolve=False)
    assert isinstance(plain, dict)
    plain.pop("hydra", None)
    check_keys(plain, RunConfig)


def validated(cfg: DictConfig) -> SimConfig:
    """The simulation part of a Hydra config, every key and value checked.

    Raises:
        ConfigError: Naming the key and the value.
    """
    strict_keys(cfg)
    sens = _sensitivity(cfg)
    validate_run_config(int(cfg.replicates), sens, int(cfg.base_seed))
    sim_cfg = build_config(cfg)
    for key, (low, high) in sens.parameters.items() if sens.n_samples > 0 else ():
        build_config(sim_cfg, **{key: low})  # an uncertain parameter must be a key with these bounds
        build_config(sim_cfg, **{key: high})
    return sim_cfg


def checked_config(cfg: DictConfig) -> SimConfig:
    """:func:`validated`, exiting with a clear message (status 2) if invalid."""
    try:
        return validated(cfg)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc


def run_single(cfg: DictConfig) -> dict[str, Any]:
    """Run one simulation; write ``summary.json``, ``timeseries.parquet`` and ``config.json``."""
    sim_cfg = checked_config(cfg)
    out = Path(HydraConfig.get().runtime.output_dir)
    result = simulate(sim_cfg)
    atomic_write_json(out / "summary.json", result.summary)
    atomic_write_with(out / "timeseries.parquet", lambda p: result.timeseries.to_parquet(p, index=False))
    atomic_write_json(out / "config.json", to_dict(sim_cfg))
    print(human_summary(result.summary))
    print(f"\noutputs: {out}/summary.json, {out}/timeseries.parquet")
    return result.summary


def human_summary(s: dict[str, Any]) -> str:
    """A short text summary of one run."""
    lines = [
        f"scenario {s['scenario']} | seed {s['seed']} | interventions: {s['interventions']}",
        f"  {s['townships']} townships, {s['delegates']:,} delegates, {s['candidates']} candidates, "
        f"{s['brokers']} brokers; {s['buyers']} candidates bought votes",
        f"  seats vote buying changed: {s['seats_bought']}/{s['seats']} on congress day "
        f"({s['bought_seat_rate']:.1%}), {s['seats_bought_final']} after unseating "
        f"({s['bought_seat_rate_final']:.1%}); seats held by candidates who paid: {s['payer_seats_final']}; "
        f"seats removals changed: {s['seats_changed_by_removals_final']}",
        f"  delegates bribed: {s['delegates_bribed']:,} ({s['bribed_share']:.1%}); offers {s['offers']:,}, "
        f"accepted {s['offers_accepted']:,}; bought votes not delivered {s['defections']}",
        f"  tips {s['tips']:,}, substantiated {s['tips_substantiated']} ({s['substantiation_rate']:.1%}), "
        f"mean resolution {s['mean_resolution_days']:.1f} days",
        f"  detected before the vote {s['detected_before_vote']}, winners unseated {s['winners_unseated']}, "
        f"township visits {s['township_visits']} ({s['problems_per_visit']:.2f} problems/visit)",
        f"  candidates removed: tainted {s['tainted_removed']}, honest {s['honest_removed']}; "
        f"merit loss {s['merit_loss']:+.3f} per seat",
        f"  cost {s['cost_total']:,.0f} staff-days | runtime {s['runtime_s']:.2f} s",
    ]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------ sweeps
def run_sweep_job(cfg: DictConfig) -> None:
    """Run the planned runs of one arm (as ``manifest.json`` lists them), skipping verified ones.

    A run whose files fail verification is redone and named.  The job holds the arm's lock while
    it works, so no run is computed twice even by jobs of two sweeps.
    """
    hc = HydraConfig.get()
    sweep_dir = Path(hc.sweep.dir)
    if cfg.get("optimise") is not None and cfg.optimise.job:
        run_optimise_job(cfg, sweep_dir)
        return
    plan = read_plan(sweep_dir)
    if plan is None:
        raise ConfigError(f"{sweep_dir} holds no manifest.json: sweep jobs run only under the sweep callback")
    arm = arm_label(_arm_overrides(plan, list(hc.overrides.task)))
    base = checked_config(cfg)
    planned = {r["run_id"]: r for r in plan.runs_of(arm)}
    runs = [r for r in plan_runs(int(cfg.base_seed), plan.replicates, _sensitivity(cfg)) if r.run_id in planned]
    this_code = code_id()
    with FileLock(str(run_dir(sweep_dir, arm, ARM_LOCK))):
        for run in runs:
            folder = run_dir(sweep_dir, arm, run.run_id)
            keys = run.keys(arm)
            expected = planned[run.run_id]["fingerprint"]
            problem = verify_run(folder, expected)
            if not problem:
                continue
            if problem != "not finished":
                log.warning("redoing %s/%s: %s", arm, run.run_id, problem)
            try:
                if this_code != plan.code["id"]:
                    raise ConfigError(
                        f"the code changed since the sweep was planned (code {plan.code['id']}, now {this_code}): "
                        "rerun the sweep command to re-plan"
                    )
                run_cfg = build_config(dataclasses.replace(base, seed=run.seed), **run.overrides)
                inputs = flatten(to_dict(run_cfg))
                if fingerprint(inputs, this_code) != expected:
                    raise ConfigError(f"run {arm}/{run.run_id}: its inputs differ from those planned in manifest.json")
                result = simulate(run_cfg)
                write_run(folder, result.summary, result.timeseries, inputs, keys, expected, to_dict(run_cfg))
            except Exception:  # a failed run is recorded and the sweep goes on
                write_failure(folder, keys, traceback.format_exc())
                log.error("run %s/%s failed; see %s", arm, run.run_id, folder / "ERROR")
                record_event(sweep_dir, f"{arm}/{run.run_id}", "failed")
                continue
            log.debug("run %s/%s done", arm, run.run_id)
            record_event(sweep_dir, f"{arm}/{run.run_id}", "done")


def _arm_overrides(plan: Plan, task: list[str]) -> list[str]:
    """The job's overrides that define its arm (those of the plan's arm keys)."""
    arm_keys = set(plan.arm_keys)
    return [t for t in task if t.split("=", 1)[0].lstrip("+~") in arm_keys]


def sweep_jobs(config: DictConfig) -> tuple[list[list[str]], list[str]]:
    """The jobs a multirun will launch (each job's overrides), and the keys that define its arms.

    Expands ``glob()``, ``range()`` and choice sweeps as Hydra's basic sweeper does (config
    params first, the command line over them).

    Raises:
        ConfigError: A sweep Hydra's basic sweeper cannot run (``interval()``), or none at all.
    """
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.override_parser.overrides_parser import OverridesParser

    params = config.hydra.sweeper.get("params") or {}
    items: dict[str, str] = {str(key): f"{key}={value}" for key, value in params.items()}
    for text in config.hydra.overrides.task:
        items[text.split("=", 1)[0].lstrip("+~")] = text
    loader = GlobalHydra.instance().config_loader() if GlobalHydra.instance().is_initialized() else None
    parser = OverridesParser.create(config_loader=loader)
    swept_in_config = {str(k) for k in params}
    axes: list[list[str]] = []
    arm_keys: list[str] = []
    for ov in parser.parse_overrides(list(items.values())):
        key = ov.get_key_element()
        if ov.is_sweep_override():
            if not ov.is_discrete_sweep():
                raise ConfigError(f"{ov.input_line}: interval() sweeps need an optimizing sweeper, not a grid")
            axes.append([f"{key}={v}" for v in ov.sweep_string_iterator()])
            arm_keys.append(key.lstrip("+~"))
        else:
            axes.append([f"{key}={ov.get_value_element_as_str()}"])
            if key in swept_in_config:
                arm_keys.append(key.lstrip("+~"))
    jobs: list[list[str]] = [[]]
    for axis in axes:
        jobs = [[*job, item] for job in jobs for item in axis]
    if not jobs or any(not axis for axis in axes):
        raise ConfigError("the experiment defines no arms (an empty sweep)")
    return jobs, arm_keys


def job_configs(config: DictConfig, jobs: list[list[str]]) -> Iterator[tuple[list[str], DictConfig]]:
    """Each job's configuration, composed as the launcher will compose it.

    Hydra composes the defaults list (config groups such as ``policy``) and then sets the other
    overrides' values.  Composing takes about 0.2 s, so it is done once per distinct choice of
    groups; the jobs that share it get the composed configuration with their own values set.

    Raises:
        ConfigError: Naming the job whose overrides Hydra rejects.
    """
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.override_parser.overrides_parser import OverridesParser

    loader = GlobalHydra.instance().config_loader()
    repository = getattr(loader, "repository", None)
    parser = OverridesParser.create()
    composed: dict[tuple[str, ...], DictConfig] = {}
    for job in jobs:
        try:
            overrides = parser.parse_overrides(job)
            values = [o for o in overrides if not _is_group(o.key_or_group, repository)]
            groups = tuple(sorted(o.input_line for o in overrides if o not in values))
            plain_values = all(o.type.name == "CHANGE" and o.package is None for o in values)
            if groups in composed and plain_values:
                job_cfg = copy.deepcopy(composed[groups])
                with open_dict(job_cfg):
                    for o in values:
                        OmegaConf.update(job_cfg, o.key_or_group, o.value(), merge=True)
            else:
                job_cfg = loader.load_sweep_config(config, job)
                composed.setdefault(groups, job_cfg)
        except Exception as exc:  # Hydra names the bad override
            raise ConfigError(f"{' '.join(job)}: {str(exc).splitlines()[0]}") from exc
        yield job, job_cfg


def _is_group(key: str, repository: Any) -> bool:
    if "/" in key:
        return True
    try:
        return bool(repository is not None and repository.group_exists(key))
    except Exception:  # an unknown repository: treat as a group (composed, the exact way)
        return True


def make_plan(config: DictConfig) -> Plan:
    """Compose every job's configuration as the launcher will, validate it, and list its runs.

    Raises:
        ConfigError: A key or value of any job is invalid, or two jobs make the same arm.
    """
    validated(config)
    jobs, arm_keys = sweep_jobs(config)
    replicates, base_seed, sens = int(config.replicates), int(config.base_seed), _sensitivity(config)
    planned = plan_runs(base_seed, replicates, sens)
    code = code_version()
    plan = Plan(
        code=code,
        experiment=str(config.experiment_name),
        base_seed=base_seed,
        replicates=replicates,
        sensitivity=dataclasses.asdict(sens) if sens.n_samples > 0 else {"n_samples": 0},
        arm_keys=arm_keys,
    )
    for job, job_cfg in job_configs(config, jobs):
        try:
            sim_cfg = validated(job_cfg)
        except ConfigError as exc:
            raise ConfigError(f"{exc} (in the job {' '.join(job)})") from exc
        arm = arm_label([j for j in job if j.split("=", 1)[0].lstrip("+~") in set(arm_keys)])
        if arm in plan.arms:
            raise ConfigError(f"two jobs make the same arm {arm!r}: {plan.arms[arm]['overrides']} and {job}")
        inputs = flatten(to_dict(sim_cfg))
        inputs.pop("seed")
        plan.arms[arm] = {"overrides": job, "inputs": inputs}
        for run in planned:
            run_inputs = {**inputs, "seed": run.seed, **run.overrides}
            plan.runs.append(
                {
                    **run.keys(arm),
                    "run_id": run.run_id,
                    "overrides": run.overrides,
                    "fingerprint": fingerprint(run_inputs, code["id"]),
                }
            )
    return plan


class SweepCallback(Callback):
    """Plans a sweep before it starts (locking its folder); collects, records and reports it at the end."""

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
            from sim.analysis.report import write_report

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


def _config_without_hydra(config: DictConfig) -> dict[str, Any]:
    plain = OmegaConf.to_container(config, resolve=False)
    assert isinstance(plain, dict)
    plain.pop("hydra", None)
    resolved = OmegaConf.to_container(OmegaConf.create(plain), resolve=True)
    assert isinstance(resolved, dict)
    return resolved


# ------------------------------------------------------------------------------------ optimisation
def _optimise_settings(cfg: DictConfig) -> Any:
    from sim.sweeps.experiment import OptimiseConfig

    return OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(OptimiseConfig), cfg.optimise))


def run_optimise_job(cfg: DictConfig, sweep_dir: Path) -> None:
    """One launcher job of an optimisation: compute a chunk of a batch file's runs."""
    from sim.sweeps.optimise import run_chunk

    base = checked_config(cfg)
    counts = run_chunk(sweep_dir, str(cfg.optimise.job), int(cfg.optimise.chunk), base)
    log.debug("optimisation job %s/%s: %s", cfg.optimise.job, cfg.optimise.chunk, counts)


def launcher_parallelism(config: DictConfig, jobs: int) -> tuple[int, bool]:
    """Chunks per batch (``optimise.jobs``, or as many as the launcher runs at once) and whether jobs are remote.

    joblib: its ``n_jobs`` (-1: every core); SLURM (submitit): its ``array_parallelism``, chunks of at
    least :data:`sim.sweeps.optimise.RUNS_PER_CLUSTER_JOB` runs; submitit's local executor: every
    core; the basic launcher: one chunk (it runs jobs one after the other).
    """
    import os

    target = str(OmegaConf.select(config, "hydra.launcher._target_", default=""))
    cores = os.cpu_count() or 1
    cluster = "Slurm" in target
    if jobs > 0:
        return jobs, cluster
    if "Joblib" in target:
        n = int(OmegaConf.select(config, "hydra.launcher.n_jobs", default=-1) or -1)
        return (n if n > 0 else max(1, cores + 1 + n)), False
    if cluster:
        return int(OmegaConf.select(config, "hydra.launcher.array_parallelism", default=256) or 256), True
    if "Submitit" in target:
        return cores, False
    return 1, False


def run_optimise_sweep(config: DictConfig, arguments: list[str], launcher: Any) -> dict[str, Any]:
    """The optimisation of ``experiment=optimise`` (called by its Hydra sweeper).

    Every batch of runs is launched as jobs of the configured launcher, each with the command's
    overrides plus ``optimise.job`` and ``optimise.chunk``.  Exits 2 on invalid settings or another
    plan in the folder (before anything runs), 1 when runs failed or the report failed.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from sim.sweeps.optimise import optimise

    sweep_dir = Path(config.hydra.sweep.dir)
    try:
        for ov in OverridesParser.create().parse_overrides(arguments):
            if ov.is_sweep_override():
                raise ConfigError(
                    f"{ov.input_line}: experiment=optimise searches the levers itself; give one value per key "
                    "(optimise.levers and optimise.ranges choose what is searched)"
                )
        base = validated(config)
        opt = _optimise_settings(config)
        sens = _sensitivity(config)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    jobs, cluster = launcher_parallelism(config, opt.jobs)
    state = {"next": 0}

    def launch(batch: str, chunks: int) -> None:
        overrides = [[*arguments, f"optimise.job={batch}", f"optimise.chunk={c}"] for c in range(chunks)]
        # The launchers log every job's overrides; an optimisation launches dozens of batches.
        quiet = [
            logging.getLogger(n)
            for n in ("hydra_plugins.hydra_joblib_launcher", "hydra_plugins.hydra_submitit_launcher")
        ]
        levels = [q.level for q in quiet]
        for q in quiet:
            q.setLevel(logging.WARNING)
        try:
            returns = launcher.launch(overrides, initial_job_idx=state["next"])
        finally:
            for q, level in zip(quiet, levels, strict=True):
                q.setLevel(level)
        state["next"] += chunks
        for ret in returns:
            if getattr(ret, "status", None) is not None and ret.status.name == "FAILED":
                log.error("an optimisation job failed: %s", getattr(ret, "_return_value", ""))

    meta = {
        "command_overrides": list(arguments),
        "launcher": str(config.hydra.launcher.get("_target_", "")),
        "config": _config_without_hydra(config),
    }
    try:
        outcome = optimise(
            sweep_dir,
            base,
            opt,
            sens,
            int(config.base_seed),
            launch,
            jobs=jobs,
            cluster=cluster,
            on_change=str(config.sweep.on_change),
            experiment=str(config.experiment_name),
            report=bool(config.get("report", True)),
            meta=meta,
        )
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    if not outcome["ok"]:
        raise SystemExit(1)
    return outcome
