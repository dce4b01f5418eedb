"""``experiment=optimise`` on the command line: the optimiser's batches through Hydra's launcher."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from sim.cli.configs import _config_without_hydra, _sensitivity, checked_config, validated
from sim.config import ConfigError

log = logging.getLogger("sim")


# ------------------------------------------------------------------------------------ optimisation
def _optimise_settings(cfg: DictConfig) -> Any:
    from sim.optimise.settings import OptimiseConfig

    return OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(OptimiseConfig), cfg.optimise))


def run_optimise_job(cfg: DictConfig, sweep_dir: Path) -> None:
    """One launcher job of an optimisation: compute a chunk of a batch file's runs."""
    from sim.optimise.runs import run_chunk

    base = checked_config(cfg)
    counts = run_chunk(sweep_dir, str(cfg.optimise.job), int(cfg.optimise.chunk), base)
    log.debug("optimisation job %s/%s: %s", cfg.optimise.job, cfg.optimise.chunk, counts)


def launcher_parallelism(config: DictConfig, jobs: int) -> tuple[int, bool]:
    """Chunks per batch (``optimise.jobs``, or as many as the launcher runs at once) and whether jobs are remote.

    joblib: its ``n_jobs`` (-1: every core); SLURM (submitit): its ``array_parallelism``, chunks of at
    least :data:`sim.optimise.runs.RUNS_PER_CLUSTER_JOB` runs; submitit's local executor: every
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

    from sim.optimise.search import optimise

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
            report=bool(OmegaConf.select(config, "report.enabled", default=True)),
            meta=meta,
        )
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    if not outcome["ok"]:
        raise SystemExit(1)
    return outcome
