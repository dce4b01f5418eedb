"""A grid sweep's jobs: planning every arm's runs, and one job running its arm's replicates."""

from __future__ import annotations

import copy
import dataclasses
import logging
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from filelock import FileLock
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf, open_dict

from sim.cli.configs import _sensitivity, checked_config, validated
from sim.cli.folder import ARM_LOCK
from sim.cli.optimise import run_optimise_job
from sim.config import ConfigError, SimConfig, build_config, flatten, to_dict
from sim.simulate import simulate_each
from sim.sweeps.experiment import NON_ARM_KEYS, PlannedRun, arm_label, plan_runs
from sim.sweeps.launcher import launcher_alive, leave_orphaned_job
from sim.sweeps.manifest import (
    Plan,
    code_id,
    code_version,
    fingerprint,
    read_plan,
)
from sim.sweeps.progress import record_event
from sim.sweeps.store import run_dir, verify_run, write_failure, write_run

log = logging.getLogger("sim")

#: Runs of an arm handed to :func:`sim.simulate.simulate_many` at once: enough replicates for a
#: batched engine to share its per-day work among them, few enough that a killed job loses little.
RUNS_PER_BATCH = 32


# ------------------------------------------------------------------------------------------ sweeps
def run_sweep_job(cfg: DictConfig) -> None:
    """Run the planned runs of one arm (as ``manifest.json`` lists them), skipping verified ones.

    The arm's unfinished runs go to :func:`sim.simulate.simulate_many` in batches of
    :data:`RUNS_PER_BATCH` (a batch's runs are written as soon as it is done, so a killed job loses
    at most one batch).  A run whose files fail verification is redone and named; a run that
    fails is recorded and the others go on.  The job holds the arm's lock while it works on a
    batch, so no run is computed twice even by jobs of two sweeps (see :func:`run_arm`).
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
    planned = {r["run_id"] for r in plan.runs_of(arm)}
    runs = [r for r in plan_runs(int(cfg.base_seed), plan.replicates, _sensitivity(cfg)) if r.run_id in planned]
    run_arm(sweep_dir, plan, arm, checked_config(cfg), runs)


def run_arm(
    sweep_dir: Path, plan: Plan, arm: str, base: SimConfig, runs: list[PlannedRun], this_code: str | None = None
) -> None:
    """Compute the unfinished ones of some planned runs of one arm, holding the arm's lock for each batch.

    Runs are verified under the lock, so no run is computed twice, even by jobs of two sweeps or
    by a job and a worker of the sweep's pool working on the same arm at once.

    A sweep job runs all of its arm's runs through here; so does a worker of the sweep's own
    process pool (:mod:`sim.cli.pool`) for a part of them.

    Args:
        sweep_dir: The sweep's folder.
        plan: The sweep's plan (``manifest.json``).
        arm: The arm's label.
        base: The arm's configuration; each run sets its seed and overrides on it.
        runs: Planned runs of the arm.
        this_code: The running code's :func:`sim.sweeps.manifest.code_id` if known (reading the
            source to compute it takes about 0.1 s).
    """
    this_code = code_id() if this_code is None else this_code
    expected = {r["run_id"]: r["fingerprint"] for r in plan.runs_of(arm)}
    lock = FileLock(str(run_dir(sweep_dir, arm, ARM_LOCK)))
    for start in range(0, len(runs), RUNS_PER_BATCH):
        if not launcher_alive():  # the sweep was killed: stop rather than compute for nobody
            log.warning("the sweep's launching process is gone: job %s stops", arm)
            leave_orphaned_job()
        with lock:  # a batch at a time: the job and the pool's workers share an arm's runs
            batch = [_ArmRun(sweep_dir, arm, run, expected[run.run_id]) for run in runs[start : start + RUNS_PER_BATCH]]
            _run_batch(sweep_dir, plan, base, [r for r in batch if r.needed()], this_code)


@dataclasses.dataclass
class _ArmRun:
    """One planned run of an arm, on its way through a sweep job."""

    sweep_dir: Path
    arm: str
    run: PlannedRun
    expected: str  # its fingerprint in the plan

    @property
    def folder(self) -> Path:
        return run_dir(self.sweep_dir, self.arm, self.run.run_id)

    @property
    def name(self) -> str:
        return f"{self.arm}/{self.run.run_id}"

    def needed(self) -> bool:
        """False if the run is verified done; a run with damaged files is named and redone."""
        problem = verify_run(self.folder, self.expected)
        if problem and problem != "not finished":
            log.warning("redoing %s: %s", self.name, problem)
        return bool(problem)

    def fail(self, error: str) -> None:
        write_failure(self.folder, self.run.keys(self.arm), error)
        log.error("run %s failed; see %s", self.name, self.folder / "ERROR")
        record_event(self.sweep_dir, self.name, "failed")


def _run_batch(sweep_dir: Path, plan: Plan, base: SimConfig, batch: list[_ArmRun], this_code: str) -> None:
    """Build, check, run and write one batch of an arm's runs; a failing run is recorded alone."""
    ready: list[tuple[_ArmRun, SimConfig, dict[str, Any]]] = []
    for item in batch:
        try:
            if this_code != plan.code["id"]:
                raise ConfigError(
                    f"the code changed since the sweep was planned (code {plan.code['id']}, now {this_code}): "
                    "rerun the sweep command to re-plan"
                )
            run_cfg = dataclasses.replace(base, seed=item.run.seed)  # checked again by simulate_many
            if item.run.overrides:
                run_cfg = build_config(run_cfg, **item.run.overrides)
            inputs = flatten(to_dict(run_cfg))
            if fingerprint(inputs, this_code) != item.expected:
                raise ConfigError(f"run {item.name}: its inputs differ from those planned in manifest.json")
            ready.append((item, run_cfg, inputs))
        except Exception:  # a failed run is recorded and the sweep goes on
            item.fail(traceback.format_exc())
    results = simulate_each([c for _, c, _ in ready], allow_long=True)  # the sweep's estimate was confirmed
    for (item, run_cfg, inputs), result in zip(ready, results, strict=True):
        try:
            if isinstance(result, Exception):
                raise result
            write_run(
                item.folder,
                result.summary,
                result.timeseries,
                inputs,
                item.run.keys(item.arm),
                item.expected,
                to_dict(run_cfg),
            )
        except Exception:  # a failed run is recorded and the sweep goes on
            item.fail(traceback.format_exc())
            continue
        log.debug("run %s done", item.name)
        record_event(sweep_dir, item.name, "done")


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


#: What to do instead of sweeping a key that describes how the sweep runs rather than an arm.
SWEPT_SETTING_ADVICE = {
    "seed": (
        "a sweep's runs take their seeds from replicates= and base_seed= (every arm runs replicate seeds "
        "derived from base_seed, the same in every arm): e.g. replicates=2 base_seed=1; seed= sets the seed "
        "of a single run"
    ),
    "scenario": "a sweep runs at one scale: run one sweep per scenario (each in its own folder)",
    "replicates": "give one number of replicates (rerunning with more extends the sweep)",
    "experiment": "run one sweep per experiment",
}


def refuse_swept_run_settings(jobs: list[list[str]], arm_keys: list[str]) -> None:
    """Refuse a sweep over a key that says how the sweep runs (``seed``, ``scenario`` ...), saying what to do.

    Such keys never make arms, so two of its values would be two jobs running the same arm.

    Raises:
        ConfigError: Naming the key, its values and what to write instead.
    """
    for key in arm_keys:
        if key.split(".")[0] not in NON_ARM_KEYS:
            continue
        values = dict.fromkeys(
            item.split("=", 1)[1] for job in jobs for item in job if item.split("=", 1)[0].lstrip("+~") == key
        )
        advice = SWEPT_SETTING_ADVICE.get(
            key, "give one value (run one sweep per value, each in its own hydra.sweep.dir)"
        )
        raise ConfigError(f"{key}={','.join(values)}: {key} is not swept into arms; {advice}")


def make_plan(config: DictConfig, before_runs: Callable[[Plan, list[Any]], None] | None = None) -> Plan:
    """Compose every job's configuration as the launcher will, validate it, and list its runs.

    Args:
        config: The multirun's configuration.
        before_runs: Called with the plan's arms (no runs yet) and the planned runs of each arm,
            before the runs are listed (a long sweep is refused there, before the slow part).

    Raises:
        ConfigError: A key or value of any job is invalid, or two jobs make the same arm.
    """
    validated(config)
    jobs, arm_keys = sweep_jobs(config)
    refuse_swept_run_settings(jobs, arm_keys)
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
        folder = str(OmegaConf.select(job_cfg, "hydra.sweep.dir", default=config.hydra.sweep.dir))
        if folder != str(config.hydra.sweep.dir):  # e.g. results/<name>/${scenario} when an arm chooses the scenario
            raise ConfigError(
                f"the job {' '.join(job)} would look for the sweep in {folder}, not in {config.hydra.sweep.dir}: "
                "its choices change the folder's name; give the sweep one folder (hydra.sweep.dir=...)"
            )
        arm = arm_label([j for j in job if j.split("=", 1)[0].lstrip("+~") in set(arm_keys)])
        if arm in plan.arms:
            raise ConfigError(f"two jobs make the same arm {arm!r}: {plan.arms[arm]['overrides']} and {job}")
        inputs = flatten(to_dict(sim_cfg))
        inputs.pop("seed")
        plan.arms[arm] = {"overrides": job, "inputs": inputs}
    if before_runs is not None:
        before_runs(plan, planned)
    for arm, spec in plan.arms.items():
        for run in planned:
            run_inputs = {**spec["inputs"], "seed": run.seed, **run.overrides}
            plan.runs.append(
                {
                    **run.keys(arm),
                    "run_id": run.run_id,
                    "overrides": run.overrides,
                    "fingerprint": fingerprint(run_inputs, code["id"]),
                }
            )
    return plan


def sweep_seconds(plan: Plan, to_run: dict[str, int], workers: int) -> float:
    """Estimated seconds of a sweep's runs still to do, with ``workers`` arms at a time.

    Args:
        plan: The sweep's plan (each arm's inputs give its runs' estimate).
        to_run: Runs still to do in each arm.
        workers: Arms run at once (1 serially; the cores under joblib; every arm on a cluster).

    Returns:
        The larger of the total spread over the workers and the longest arm (an arm's runs are
        done one after another in its job), plus 5 ms a run to write and check its files.
    """
    from sim.config.runtime import flat_runtime_estimate

    per_arm = {arm: n * (flat_runtime_estimate(plan.arms[arm]["inputs"]) + 0.005) for arm, n in to_run.items()}
    if not per_arm:
        return 0.0
    return max(sum(per_arm.values()) / max(1, min(workers, len(per_arm))), max(per_arm.values()))
