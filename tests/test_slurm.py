"""A comparison sweep on a real SLURM cluster gives the joblib launcher's numbers.

CI starts a single-node cluster first (tests/cluster/start-slurm.sh); elsewhere the test runs
when ``sinfo`` answers and is skipped otherwise.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pandas as pd
import pytest

from tests.conftest import run_sweep

COMPARISON = [
    "scenario=county",
    "schedule.campaign_days=12",
    "schedule.post_election_days=6",
    "investigation.direct_days=5",
    "investigation.supervised_days=6",
    "policy=none,team_inspection,all",
    "replicates=3",
]


def _partition() -> str | None:
    """The default partition of a reachable cluster, or None."""
    if shutil.which("sinfo") is None:
        return None
    proc = subprocess.run(["sinfo", "-h", "-o", "%P %a"], capture_output=True, text=True, timeout=30)
    up = [line.split()[0] for line in proc.stdout.splitlines() if line.split()[-1] == "up"]
    default = [p for p in up if p.endswith("*")]
    return (default or up or [None])[0].rstrip("*") if proc.returncode == 0 and up else None


PARTITION = _partition()
if PARTITION is None and os.environ.get("CI"):
    pytest.fail("no SLURM cluster answers (CI starts one with tests/cluster/start-slurm.sh)", pytrace=False)


@pytest.mark.slow
@pytest.mark.skipif(PARTITION is None, reason="no SLURM cluster (start one with tests/cluster/start-slurm.sh)")
def test_slurm_sweep_matches_the_joblib_launcher(tmp_path):
    run_sweep(
        tmp_path / "slurm",
        *COMPARISON,
        "report.enabled=true",
        "hydra/launcher=submitit_slurm",
        f"hydra.launcher.partition={PARTITION}",
        "hydra.launcher.timeout_min=10",
        "hydra.launcher.mem_gb=1",
        timeout=600,
    )
    run_sweep(tmp_path / "joblib", *COMPARISON, "report.enabled=false")
    assert (tmp_path / "slurm" / "report" / "report.html").exists()
    assert list((tmp_path / "slurm" / ".submitit").iterdir())  # the jobs went through SLURM
    slurm = pd.read_parquet(tmp_path / "slurm" / "runs.parquet")
    local = pd.read_parquet(tmp_path / "joblib" / "runs.parquet")
    timings = [c for c in slurm.columns if c == "runtime_s" or c.startswith("time_")]
    assert len(slurm) == 9
    pd.testing.assert_frame_equal(slurm.drop(columns=timings), local.drop(columns=timings))


@pytest.mark.slow
@pytest.mark.skipif(PARTITION is None, reason="no SLURM cluster (start one with tests/cluster/start-slurm.sh)")
def test_an_optimisation_goes_through_slurm_unchanged(tmp_path):
    # The optimiser launches each batch of runs as jobs of the configured launcher: on SLURM its
    # trials and runs are those of the optimiser run in one process.
    from sim.simulate import resolve_config
    from tests.test_levers import TINY
    from tests.test_optimise import cli, run, small_plan, trials

    cli(
        tmp_path / "slurm",
        "optimise.generations=1",
        "optimise.robustness.draws=0",
        "report.enabled=false",
        "hydra/launcher=submitit_slurm",
        f"hydra.launcher.partition={PARTITION}",
        "hydra.launcher.timeout_min=10",
        "hydra.launcher.mem_gb=1",
    )
    run(tmp_path / "local", resolve_config(TINY), small_plan(generations=1))
    assert list((tmp_path / "slurm" / ".submitit").iterdir())  # the jobs went through SLURM
    pd.testing.assert_frame_equal(trials(tmp_path / "slurm"), trials(tmp_path / "local"))
    slurm = pd.read_parquet(tmp_path / "slurm" / "runs.parquet")
    local = pd.read_parquet(tmp_path / "local" / "runs.parquet")
    timings = [c for c in slurm.columns if c == "runtime_s" or c.startswith("time_")]
    pd.testing.assert_frame_equal(slurm.drop(columns=timings), local.drop(columns=timings))
