"""Sweeps: joblib and submitit launchers, common seeds across arms, resume, failures."""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from filelock import FileLock

from sim.cli.folder import ARM_LOCK
from sim.sweeps.store import run_dir
from tests.conftest import ROOT, run_sweep

FAST = [
    "scenario=county",
    "schedule.campaign_days=12",
    "schedule.post_election_days=6",
    "investigation.direct_days=5",
    "investigation.supervised_days=6",
    "report.enabled=false",
]
OUTCOMES = ["bought_seat_rate_final", "bribed_share", "tips", "detections", "cost_total", "merit_loss"]


def sweep(sweep_dir: Path, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return run_sweep(sweep_dir, *FAST, *args, timeout=timeout)


def test_small_sweep_with_joblib_has_matching_seeds(tmp_path):
    sweep(tmp_path, "policy=none,team_inspection", "replicates=3")
    runs = pd.read_parquet(tmp_path / "runs.parquet")
    assert len(runs) == 6
    assert sorted(runs.arm.unique()) == ["none", "team_inspection"]
    seeds = runs.groupby("arm").seed.apply(lambda s: tuple(sorted(s)))
    assert seeds["none"] == seeds["team_inspection"]
    assert runs.columns[0] == "arm" and "in.world.n_townships" in runs.columns
    ts = pd.read_parquet(tmp_path / "timeseries.parquet")
    assert len(ts) == 6 * 19 and set(ts.arm) == {"none", "team_inspection"}
    meta = json.loads((tmp_path / "sweep.json").read_text())
    assert meta["runs_planned"] == 6 and meta["runs_done"] == 6 and meta["runs_failed"] == 0
    assert meta["versions"]["mesa"] == "3.5.1" and "git_commit" in meta


def test_serial_and_parallel_give_identical_outcomes(tmp_path):
    sweep(tmp_path / "par", "policy=none,all", "replicates=2")
    sweep(tmp_path / "ser", "policy=none,all", "replicates=2", "hydra/launcher=basic")
    key = ["arm", "seed"]
    par = pd.read_parquet(tmp_path / "par" / "runs.parquet").sort_values(key)[key + OUTCOMES]
    ser = pd.read_parquet(tmp_path / "ser" / "runs.parquet").sort_values(key)[key + OUTCOMES]
    pd.testing.assert_frame_equal(par.reset_index(drop=True), ser.reset_index(drop=True))


def test_interrupted_sweep_resumes_without_redoing_or_losing_runs(tmp_path):
    args = ["policy=none,pledges_talks", "replicates=40", "hydra/launcher=basic"]
    cmd = [sys.executable, str(ROOT / "experiments" / "run.py"), "-m", *FAST, f"hydra.sweep.dir={tmp_path}", *args]
    # The second arm waits for its lock, held here, so the kill always lands mid-sweep, however
    # loaded the machine is (the basic launcher runs the arms one after the other).
    arm_lock = FileLock(str(run_dir(tmp_path, "pledges_talks", ARM_LOCK)))
    arm_lock.acquire()
    try:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.time() + 300
        while time.time() < deadline and len(list(tmp_path.glob("runs/*/*/DONE"))) < 10:
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)  # kill -9, mid-sweep
        proc.wait()
    finally:
        arm_lock.release()
    done_before = {p.parent: p.stat().st_mtime_ns for p in tmp_path.glob("runs/*/*/DONE")}
    assert 10 <= len(done_before) < 80
    sweep(tmp_path, *args)
    runs = pd.read_parquet(tmp_path / "runs.parquet")
    assert len(runs) == 80 and not runs.duplicated(["arm", "seed"]).any()
    for folder, mtime in done_before.items():  # finished runs were not redone
        assert (folder / "DONE").stat().st_mtime_ns == mtime
    assert not list(tmp_path.glob("runs/**/.*.tmp"))


def test_failed_run_is_reported_and_the_rest_collected(tmp_path, monkeypatch):
    from hydra import compose, initialize_config_dir
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode
    from omegaconf import open_dict

    import sim.cli.callback as callback
    import sim.cli.configs as configs
    import sim.cli.jobs as jobs
    import sim.cli.schema as schema
    import sim.sweeps.experiment as experiment
    import sim.sweeps.manifest as manifest

    schema.register_schema()
    with initialize_config_dir(config_dir=str(ROOT / "sim" / "conf"), version_base="1.3"):
        cfg = compose(
            config_name="config",
            overrides=[*FAST, "replicates=3", "policy=team_inspection", f"hydra.sweep.dir={tmp_path}"],
            return_hydra_config=True,
        )
    with open_dict(cfg):
        cfg.hydra.mode = RunMode.MULTIRUN
        cfg.hydra.overrides.task = [*FAST, "replicates=3", "policy=team_inspection"]
    HydraConfig.instance().set_config(cfg)
    with initialize_config_dir(config_dir=str(ROOT / "sim" / "conf"), version_base="1.3"):
        manifest.write_plan(tmp_path, jobs.make_plan(cfg))  # as the sweep callback does before any job
    simulate_module = importlib.import_module("sim.simulate")
    real = simulate_module.simulate_many
    bad_seed = experiment.plan_runs(cfg.base_seed, 3, configs._sensitivity(cfg))[1].seed

    def flaky(run_cfgs, **kw):  # a batch holding the bad run fails as a whole
        if any(run_cfg.seed == bad_seed for run_cfg in run_cfgs):
            raise RuntimeError("injected failure")
        return real(run_cfgs, **kw)

    monkeypatch.setattr(simulate_module, "simulate_many", flaky)
    jobs.run_sweep_job(cfg)
    counts = callback.finish_sweep(tmp_path, report=False)
    assert counts["done"] == 2 and counts["failed"] == 1 and not counts["ok"]
    meta = json.loads((tmp_path / "sweep.json").read_text())
    assert "injected failure" in meta["failures"][0]["error"]
    assert meta["failures"][0]["keys"]["seed"] == bad_seed
    assert len(pd.read_parquet(tmp_path / "runs.parquet")) == 2


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["interventions.team_inspection.n_teams=2,-3"], "interventions.team_inspection.n_teams=-3"),
        (["policy=none,all", "replicates=0"], "replicates=0"),
        (["policy=none,bribe_amnesty"], "bribe_amnesty"),
        (["interventions.bribe_amnesty.enabled=true,false"], "bribe_amnesty"),
        (["policy=none,all", "report.outcome=bribed_share"], "report.outcome='bribed_share' must be one of"),
        (["policy=none,all", "report.harm_weight=-2"], "report.harm_weight=-2.0 is below its minimum 0.0"),
    ],
)
def test_invalid_experiment_fails_before_anything_runs(tmp_path, args, fragment):
    cmd = [sys.executable, str(ROOT / "experiments" / "run.py"), "-m", *FAST, f"hydra.sweep.dir={tmp_path}", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode != 0
    assert fragment in proc.stderr
    assert not list(tmp_path.glob("runs/*/*/DONE"))


@pytest.mark.slow
def test_submitit_local_launcher(tmp_path):
    sweep(
        tmp_path,
        "policy=none,tipoff_resolution",
        "replicates=2",
        "hydra/launcher=submitit_local",
        "hydra.launcher.timeout_min=10",
        timeout=600,
    )
    runs = pd.read_parquet(tmp_path / "runs.parquet")
    assert len(runs) == 4 and set(runs.arm) == {"none", "tipoff_resolution"}


def test_sensitivity_sweep_crosses_samples_with_policies(tmp_path):
    sweep(tmp_path, "experiment=sensitivity", "policy=none,all", "replicates=1", "sensitivity.n_samples=3")
    runs = pd.read_parquet(tmp_path / "runs.parquet")
    assert len(runs) == 6 and set(runs.arm) == {"none", "all"}
    by_arm = runs.sort_values("sample").groupby("arm")["in.delegates.integrity_mean"].apply(tuple)
    assert by_arm["none"] == by_arm["all"] and len(set(by_arm["none"])) == 3
