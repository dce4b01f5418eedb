"""The glue between Hydra and the simulator: schema registration, single runs, sweep jobs, callback.

Nothing else in the package imports Hydra; the model and the interventions take plain
dataclasses.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import platform
import subprocess
import sys
import time
import traceback
from importlib import metadata
from itertools import product
from pathlib import Path
from typing import Any, override

from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from sim.config import ConfigError, SimConfig, build_config, flatten, to_dict
from sim.simulate import simulate
from sim.sweeps.experiment import (
    RunConfig,
    SensitivityConfig,
    arm_label,
    plan_runs,
    validate_run_config,
)
from sim.sweeps.store import (
    atomic_write_json,
    atomic_write_with,
    collect,
    fingerprint,
    is_done,
    run_dir,
    write_failure,
    write_run,
)

log = logging.getLogger("sim")

#: Top-level keys of a simulation configuration (other keys describe how a sweep is run).
SIM_SECTIONS = frozenset(f.name for f in dataclasses.fields(SimConfig))

#: Packages whose versions are recorded with every sweep.
RECORDED_PACKAGES = ("mesa", "numpy", "scipy", "networkx", "pandas", "pyarrow", "hydra-core", "SALib", "matplotlib")


def register_schema() -> None:
    """Register the structured schema so that typos and wrong types are rejected by Hydra."""
    ConfigStore.instance().store(name="run_schema", node=RunConfig)


def _sensitivity(cfg: DictConfig) -> SensitivityConfig:
    return OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(SensitivityConfig), cfg.sensitivity))  # type: ignore[return-value]


def main(cfg: DictConfig) -> None:
    """Entry point called by ``experiments/run.py``: one run, or one job of a multirun."""
    if HydraConfig.get().mode == RunMode.MULTIRUN:
        run_sweep_job(cfg)
    else:
        run_single(cfg)


def checked_config(cfg: DictConfig) -> SimConfig:
    """The simulation part of a Hydra config, validated; exits with a clear message if invalid."""
    try:
        validate_run_config(int(cfg.replicates), _sensitivity(cfg))
        return build_config(cfg)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc


def run_single(cfg: DictConfig) -> dict[str, Any]:
    """Run one simulation and write ``summary.json`` and ``timeseries.csv`` to the output dir."""
    sim_cfg = checked_config(cfg)
    out = Path(HydraConfig.get().runtime.output_dir)
    result = simulate(sim_cfg)
    atomic_write_json(out / "summary.json", result.summary)
    atomic_write_with(out / "timeseries.csv", lambda p: result.timeseries.to_csv(p, index=False))
    atomic_write_json(out / "config.json", to_dict(sim_cfg))
    print(human_summary(result.summary))
    print(f"\noutputs: {out}/summary.json, {out}/timeseries.csv")
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
    """Run every replicate (and uncertainty sample) of one arm, skipping runs already done."""
    hc = HydraConfig.get()
    sweep_dir = Path(hc.sweep.dir)
    arm = arm_label(_arm_overrides(sweep_dir, list(hc.overrides.task)))
    base = checked_config(cfg)
    sens = _sensitivity(cfg)
    runs = plan_runs(int(cfg.base_seed), int(cfg.replicates), sens)
    for planned in runs:
        folder = run_dir(sweep_dir, arm, planned.run_id)
        keys = planned.keys(arm)
        try:
            run_cfg = build_config(dataclasses.replace(base, seed=planned.seed), **planned.overrides)
        except ConfigError as exc:
            write_failure(folder, keys, str(exc))
            continue
        inputs = flatten(to_dict(run_cfg))
        if is_done(folder, fingerprint(inputs)):
            continue
        try:
            result = simulate(run_cfg)
        except Exception:  # a failed run is recorded and the sweep goes on
            write_failure(folder, keys, traceback.format_exc())
            log.error("run %s/%s failed; see %s", arm, planned.run_id, folder / "ERROR")
            continue
        write_run(folder, result.summary, result.timeseries, inputs, keys, to_dict(run_cfg))
        _progress(sweep_dir)


def _arm_overrides(sweep_dir: Path, task: list[str]) -> list[str]:
    """The job's overrides that define its arm (the swept ones, as recorded in sweep.json)."""
    try:
        arm_keys = set(json.loads((sweep_dir / "sweep.json").read_text())["arm_keys"])
    except (OSError, ValueError, KeyError):
        return task
    return [t for t in task if t.split("=", 1)[0].lstrip("+~") in arm_keys]


def _progress(sweep_dir: Path) -> None:
    """Log runs done / planned, elapsed time and an estimate of the time left."""
    try:
        meta = json.loads((sweep_dir / "sweep.json").read_text())
    except (OSError, ValueError):
        return
    done = sum(1 for _ in (sweep_dir / "runs").glob("*/*/DONE"))
    planned = meta.get("runs_planned", 0)
    elapsed = time.time() - meta.get("started_epoch", time.time())
    new = max(done - meta.get("done_at_start", 0), 1)
    remaining = max(planned - done, 0)
    eta = elapsed / new * remaining
    log.info("[sweep] %d/%d runs done | elapsed %s | ETA %s", done, planned, _fmt(elapsed), _fmt(eta))


def _fmt(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h:d}:{m:02d}:{s:02d}"


def sweep_combinations(config: DictConfig) -> tuple[list[dict[str, str]], list[str]]:
    """The jobs a multirun will launch, and the keys that define its arms.

    Returns:
        One key -> value dict per job (command line over config params), and the keys that are
        swept (config params, and command-line overrides with several values).
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser

    items: dict[str, str] = {}
    for key, value in (config.hydra.sweeper.get("params") or {}).items():
        items[str(key)] = f"{key}={value}"
    for text in config.hydra.overrides.task:
        items[text.split("=", 1)[0].lstrip("+~")] = text
    parser = OverridesParser.create()
    swept_in_config = {str(k) for k in (config.hydra.sweeper.get("params") or {})}
    axes, arm_keys = [], []
    for ov in parser.parse_overrides(list(items.values())):
        key = ov.get_key_element()
        if ov.is_sweep_override():
            values = [str(v) for v in ov.sweep_string_iterator()]
            arm_keys.append(key)
        else:
            values = [ov.get_value_element_as_str()]
            if key in swept_in_config:
                arm_keys.append(key)
        axes.append([(key, v) for v in values])
    return [dict(combo) for combo in product(*axes)], arm_keys


def git_commit() -> str:
    """The current commit of the code (with '+dirty' if there are uncommitted changes), or ''."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return ""


def package_versions() -> dict[str, str]:
    """Versions of the packages results depend on."""
    out = {"python": platform.python_version()}
    for name in RECORDED_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


class SweepCallback(Callback):
    """Validates a sweep before it starts; collects, records and reports it when it ends."""

    @override
    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        combos, arm_keys = sweep_combinations(config)
        if not combos:
            raise ConfigError("the experiment defines no arms (an empty sweep)")
        replicates = int(config.replicates)
        sens = _sensitivity(config)
        try:
            validate_run_config(replicates, sens)
            base = build_config(config)
            for combo in combos:  # check every arm's values before anything runs
                values = {k: _parse(v) for k, v in combo.items() if "." in k and k.split(".")[0] in SIM_SECTIONS}
                build_config(base, **values)
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise SystemExit(2) from exc
        per_job = len(plan_runs(int(config.base_seed), replicates, sens))
        done_before = sum(1 for _ in (sweep_dir / "runs").glob("*/*/DONE"))
        meta = {
            "experiment": config.experiment_name,
            "sweep_dir": str(sweep_dir),
            "base_seed": int(config.base_seed),
            "replicates": replicates,
            "arms_planned": len(combos),
            "arm_keys": arm_keys,
            "runs_planned": len(combos) * per_job,
            "done_at_start": done_before,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "started_epoch": time.time(),
            "git_commit": git_commit(),
            "versions": package_versions(),
            "command_overrides": list(config.hydra.overrides.task),
            "launcher": str(config.hydra.launcher.get("_target_", "")),
            "config": _config_without_hydra(config),
        }
        atomic_write_json(sweep_dir / "sweep.json", meta)
        log.info(
            "[sweep] %s: %d arms x %d runs = %d runs (%d already done) -> %s",
            config.experiment_name,
            len(combos),
            per_job,
            meta["runs_planned"],
            done_before,
            sweep_dir,
        )

    @override
    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        finish_sweep(sweep_dir, report=bool(config.get("report", True)))


def finish_sweep(sweep_dir: Path, report: bool = True) -> dict[str, Any]:
    """Collect a sweep's runs, update its metadata and (optionally) write its report."""
    sweep_dir = Path(sweep_dir)
    counts = collect(sweep_dir)
    meta_path = sweep_dir / "sweep.json"
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        meta = {"sweep_dir": str(sweep_dir)}
    meta.update(
        ended=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        runs_done=counts["done"],
        runs_failed=counts["failed"],
        failures=[{"keys": e["keys"], "error": e["error"][-2000:]} for e in counts["errors"]],
    )
    atomic_write_json(meta_path, meta)
    msg = f"[sweep] collected {counts['done']} runs ({counts['failed']} failed) into {sweep_dir}/runs.parquet"
    log.info(msg)
    print(msg)
    if counts["failed"]:
        print(f"warning: {counts['failed']} runs failed; their errors are in {meta_path}", file=sys.stderr)
    if report and counts["done"]:
        try:
            from sim.analysis.report import write_report

            path = write_report(sweep_dir)
            print(f"[sweep] report: {path}")
        except Exception:  # the collected tables are safe; a report failure must not hide them
            log.exception("writing the report failed")
    return counts


def _config_without_hydra(config: DictConfig) -> dict[str, Any]:
    plain = OmegaConf.to_container(config, resolve=False)
    assert isinstance(plain, dict)
    plain.pop("hydra", None)
    resolved = OmegaConf.to_container(OmegaConf.create(plain), resolve=True)
    assert isinstance(resolved, dict)
    return resolved


def _parse(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value
