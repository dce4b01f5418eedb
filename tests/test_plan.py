"""A sweep folder holds one plan: resume, extend, refuse; verified runs; one sweep at a time; exit status."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ROOT

FAST = [
    "scenario=county",
    "schedule.campaign_days=12",
    "schedule.post_election_days=6",
    "investigation.direct_days=5",
    "investigation.supervised_days=6",
    "report.enabled=false",
]
BASIC = "hydra/launcher=basic"


def cli(sweep_dir: Path, *args: str, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    cmd = [sys.executable, str(ROOT / "experiments" / "run.py"), "-m", f"hydra.sweep.dir={sweep_dir}", *FAST, *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=timeout, env=env)


def ok(sweep_dir: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    proc = cli(sweep_dir, *args, **kw)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def done_markers(sweep_dir: Path) -> dict[Path, int]:
    return {p.parent: p.stat().st_mtime_ns for p in sweep_dir.glob("runs/*/*/DONE")}


def manifest(sweep_dir: Path) -> dict:
    return json.loads((sweep_dir / "manifest.json").read_text())


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """A finished 2-arm x 3-replicate sweep, copied by each test that changes it."""
    d = tmp_path_factory.mktemp("finished")
    ok(d, "policy=none,team_inspection", "replicates=3", BASIC)
    return d


@pytest.fixture
def sweep_copy(finished, tmp_path) -> Path:
    d = tmp_path / "sweep"
    shutil.copytree(finished, d)
    return d


ARGS = ("policy=none,team_inspection", "replicates=3", BASIC)


def test_same_plan_resumes_without_recomputing(sweep_copy):
    before = done_markers(sweep_copy)
    proc = ok(sweep_copy, *ARGS)
    assert done_markers(sweep_copy) == before
    assert "resume; 6 already done" in proc.stderr
    assert len(pd.read_parquet(sweep_copy / "runs.parquet")) == 6


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["voting.compliance=0.5"], "voting.compliance: 0.75 -> 0.5"),
        (["replicates=2"], "replicates: the folder plans 3 per arm, this command 2"),
        (["base_seed=7"], "base_seed"),
    ],
    ids=["changed-input", "fewer-replicates", "other-seeds"],
)
def test_changed_plan_is_refused_before_running(sweep_copy, extra, fragment):
    before = done_markers(sweep_copy)
    runs_before = pd.read_parquet(sweep_copy / "runs.parquet")
    proc = cli(sweep_copy, *ARGS, *extra)
    assert proc.returncode == 2
    assert fragment in proc.stderr and "sweep.on_change=archive" in proc.stderr and "hydra.sweep.dir" in proc.stderr
    assert done_markers(sweep_copy) == before  # nothing ran, nothing was added
    pd.testing.assert_frame_equal(pd.read_parquet(sweep_copy / "runs.parquet"), runs_before)


def test_changed_arm_set_in_a_finished_folder_is_refused(sweep_copy):
    # A baseline at another compliance next to arms at the default: the mixing this rule prevents.
    proc = cli(sweep_copy, "policy=none,all", "voting.compliance=0.5", "replicates=3", BASIC)
    assert proc.returncode == 2 and "voting.compliance" in proc.stderr
    assert not (sweep_copy / "runs" / "all").exists()


def test_changed_code_version_is_refused(sweep_copy):
    # The folder's plan was made by other code (another sim/ source or package versions).
    data = manifest(sweep_copy)
    data["code"]["id"] = "0123456789abcdef"
    data["code"]["sim_hash"] = "fedcba9876543210"
    (sweep_copy / "manifest.json").write_text(json.dumps(data))
    before = done_markers(sweep_copy)
    proc = cli(sweep_copy, *ARGS)
    assert proc.returncode == 2 and "code version: planned with 0123456789abcdef" in proc.stderr
    assert done_markers(sweep_copy) == before


def test_code_version_changes_with_uncommitted_source(tmp_path):
    from sim.sweeps.manifest import SIM_ROOT, code_id, sim_hash

    copy = tmp_path / "sim"
    shutil.copytree(SIM_ROOT, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert sim_hash(copy) == sim_hash(SIM_ROOT)
    with open(copy / "model" / "voting.py", "a") as fh:
        fh.write("\n# an edit\n")
    assert sim_hash(copy) != sim_hash(SIM_ROOT)
    assert code_id(sim_hash(copy)) != code_id(sim_hash(SIM_ROOT))


def test_an_edit_to_the_analysis_keeps_the_runs_code_version(tmp_path):
    # Statistics and reports only read runs: fixing a report must not orphan a folder's runs.
    from sim.sweeps.manifest import SIM_ROOT, sim_hash

    copy = tmp_path / "sim"
    shutil.copytree(SIM_ROOT, copy, ignore=shutil.ignore_patterns("__pycache__"))
    with open(copy / "report" / "sentences.py", "a") as fh:
        fh.write("\n# an edit\n")
    assert sim_hash(copy) == sim_hash(SIM_ROOT)
    with open(copy / "simulate.py", "a") as fh:
        fh.write("\n# an edit\n")
    assert sim_hash(copy) != sim_hash(SIM_ROOT)


def test_run_fingerprint_includes_the_code_version():
    from sim.sweeps.manifest import fingerprint

    assert fingerprint({"seed": 1}, "a") != fingerprint({"seed": 1}, "b")


def test_more_replicates_and_arms_extend_the_plan(sweep_copy):
    before = done_markers(sweep_copy)
    proc = ok(sweep_copy, "policy=none,team_inspection,all", "replicates=4", BASIC)
    assert "extend; 6 already done" in proc.stderr
    after = done_markers(sweep_copy)
    assert {k: after[k] for k in before} == before  # the old runs were not recomputed
    assert len(after) == 12 and len(manifest(sweep_copy)["runs"]) == 12
    runs = pd.read_parquet(sweep_copy / "runs.parquet")
    assert len(runs) == 12 and runs.groupby("arm").size().to_dict() == {"all": 4, "none": 4, "team_inspection": 4}


@pytest.mark.parametrize("policy", ["archive", "discard"])
def test_on_change_archives_or_discards_the_old_plan(sweep_copy, policy):
    old_runs = pd.read_parquet(sweep_copy / "runs.parquet")
    ok(sweep_copy, *ARGS, "voting.compliance=0.5", f"sweep.on_change={policy}")
    runs = pd.read_parquet(sweep_copy / "runs.parquet")
    assert len(runs) == 6 and (runs["in.voting.compliance"] == 0.5).all()
    archived = list((sweep_copy / "archive").glob("*/runs.parquet"))
    if policy == "archive":
        assert len(archived) == 1
        pd.testing.assert_frame_equal(pd.read_parquet(archived[0]), old_runs)
    else:
        assert not archived


def test_stray_runs_without_a_plan_are_not_collected(sweep_copy):
    # A folder from before plans existed: refuse rather than mix its runs in.
    (sweep_copy / "manifest.json").unlink()
    proc = cli(sweep_copy, *ARGS)
    assert proc.returncode == 2 and "no manifest.json" in proc.stderr


def test_collection_reads_only_the_planned_runs(sweep_copy):
    # A run folder that is not in the plan (left by hand, or by another tool) is ignored.
    stray = sweep_copy / "runs" / "none" / "r099"
    shutil.copytree(sweep_copy / "runs" / "none" / "r000", stray)
    proc = subprocess.run(
        [sys.executable, str(ROOT / "experiments" / "collect.py"), str(sweep_copy), "--no-report"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(pd.read_parquet(sweep_copy / "runs.parquet")) == 6


# ------------------------------------------------------------------------------------ corrupt files
def _corrupt(sweep_dir: Path) -> tuple[Path, Path, Path]:
    truncated = sweep_dir / "runs" / "none" / "r001" / "summary.json"
    truncated.write_bytes(truncated.read_bytes()[:40])
    deleted = sweep_dir / "runs" / "team_inspection" / "r002" / "timeseries.parquet"
    deleted.unlink()
    changed = sweep_dir / "runs" / "team_inspection" / "r000" / "inputs.json"
    changed.write_text(changed.read_text().replace('"seed"', '"seed" ', 1))  # still valid JSON
    return truncated, deleted, changed


def test_collection_names_corrupt_and_missing_files_and_fails(sweep_copy):
    truncated, deleted, changed = _corrupt(sweep_copy)
    proc = subprocess.run(
        [sys.executable, str(ROOT / "experiments" / "collect.py"), str(sweep_copy), "--no-report"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 1
    assert "3 runs missing or corrupt" in proc.stderr
    assert len(pd.read_parquet(sweep_copy / "runs.parquet")) == 3  # only verified runs
    meta = json.loads((sweep_copy / "sweep.json").read_text())
    missing = " ".join(meta["runs_missing"])
    assert str(truncated) in missing and str(deleted) in missing and str(changed) in missing


def test_resume_redoes_exactly_the_corrupt_runs_and_names_them(sweep_copy):
    truncated, deleted, changed = _corrupt(sweep_copy)
    before = done_markers(sweep_copy)
    proc = ok(sweep_copy, *ARGS, "-v")
    after = done_markers(sweep_copy)
    redone = {k for k in before if after[k] != before[k]}
    assert redone == {truncated.parent, deleted.parent, changed.parent}
    for path in (truncated, deleted, changed):
        assert str(path) in proc.stdout + proc.stderr
    assert len(pd.read_parquet(sweep_copy / "runs.parquet")) == 6


# ------------------------------------------------------------------------------- kill and resume
def _sweep_process(sweep_dir: Path, *args: str) -> subprocess.Popen:
    cmd = [sys.executable, str(ROOT / "experiments" / "run.py"), "-m", f"hydra.sweep.dir={sweep_dir}", *FAST, *args]
    return subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
    )


def _wait_for(predicate, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline and not predicate():
        time.sleep(0.02)


KILL_ARGS = ("policy=none,pledges_talks", "replicates=30", BASIC)


@pytest.mark.parametrize("moment", ["after-planning", "mid-sweep", "during-collection"])
def test_kill_9_at_several_moments_then_resume(tmp_path, moment):
    proc = _sweep_process(tmp_path, *KILL_ARGS)
    if moment == "after-planning":
        _wait_for(lambda: (tmp_path / "manifest.json").exists())
    elif moment == "mid-sweep":
        _wait_for(lambda: len(list(tmp_path.glob("runs/*/*/DONE"))) >= 10)
    else:
        _wait_for(lambda: len(list(tmp_path.glob("runs/*/*/DONE"))) >= 60)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = done_markers(tmp_path)
    assert len(before) <= 60
    ok(tmp_path, *KILL_ARGS)
    runs = pd.read_parquet(tmp_path / "runs.parquet")
    assert len(runs) == 60 and not runs.duplicated(["arm", "seed"]).any()
    after = done_markers(tmp_path)
    assert {k: after[k] for k in before} == before  # finished runs were not redone
    assert not list(tmp_path.glob("runs/**/.*.tmp"))


# ------------------------------------------------------------------------------- concurrent sweeps
def test_a_second_sweep_into_a_busy_folder_is_refused_and_nothing_is_computed_twice(tmp_path):
    # The first sweep is held mid-way (its first arm waits for the arm's lock, held here), so the
    # second always starts while the first is running, however loaded the machine is.
    from filelock import FileLock

    from sim.cli.folder import ARM_LOCK
    from sim.sweeps.store import run_dir

    arm_lock = FileLock(str(run_dir(tmp_path, "none", ARM_LOCK)))
    arm_lock.acquire()
    try:
        first = _sweep_process(tmp_path, *KILL_ARGS)
        _wait_for(lambda: (tmp_path / "manifest.json").exists())
        assert first.poll() is None, "the first sweep must still be running"
        second = cli(tmp_path, *KILL_ARGS)
    finally:
        arm_lock.release()
    _, first_err = first.communicate(timeout=300)
    assert first.returncode == 0, first_err[-2000:]
    assert second.returncode == 3 and "another sweep is running" in second.stderr
    events = (tmp_path / ".progress").read_text().split()
    finished = events[0::2]
    assert len(finished) == 60 and len(set(finished)) == 60  # each run computed once


def test_a_job_waits_for_another_job_of_its_arm(tmp_path):
    # A job left running (e.g. on a cluster) by a killed sweep holds its arm's lock: the new
    # sweep's job for that arm waits for it instead of computing the same runs alongside it.
    from filelock import FileLock

    from sim.cli.folder import ARM_LOCK
    from sim.sweeps.store import run_dir

    lock = FileLock(str(run_dir(tmp_path, "none", ARM_LOCK)))
    lock.acquire()
    try:
        proc = _sweep_process(tmp_path, "policy=none,all", "replicates=3", BASIC)
        _wait_for(lambda: (tmp_path / "manifest.json").exists())
        time.sleep(3)
        assert not list(tmp_path.glob("runs/none/*/DONE"))
    finally:
        lock.release()
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-2000:]
    assert len(pd.read_parquet(tmp_path / "runs.parquet")) == 6


# ------------------------------------------------------------------------------- failures and exit
# Loaded by every Python process of the sweep (sitecustomize), before the package is used.
FAIL_ONE_ARM = """
import sys
import sim
s = sys.modules["sim.simulate"]  # the module (sim.simulate as an attribute is the function)
_real = s.simulate_many  # every sweep run goes through it (batched or one at a time)
def _flaky(configs, **kw):
    if any(cfg.interventions.team_inspection.enabled for cfg in configs):
        raise RuntimeError("injected failure")
    return _real(configs, **kw)
s.simulate_many = _flaky
"""


def _injecting_env(tmp_path: Path, code: str) -> dict:
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(code)
    return {**os.environ, "PYTHONPATH": str(hook)}


def test_failing_runs_make_the_exit_status_non_zero(tmp_path):
    env = _injecting_env(tmp_path, FAIL_ONE_ARM)
    proc = cli(tmp_path / "sweep", "policy=none,team_inspection", "replicates=4", env=env)
    assert proc.returncode == 1
    meta = json.loads((tmp_path / "sweep" / "sweep.json").read_text())
    assert meta["runs_failed"] == 4 and meta["runs_done"] == 4
    assert "4 runs failed" in proc.stderr.splitlines()[-1]
    assert len(pd.read_parquet(tmp_path / "sweep" / "runs.parquet")) == 4  # the others are collected
    assert "injected failure" in meta["failures"][0]["error"]


def test_all_runs_failing_exits_non_zero(tmp_path):
    hook = (
        "import sys, sim\ndef _f(*a, **k):\n    raise RuntimeError('boom')\n"
        "sys.modules['sim.simulate'].simulate_many = _f\n"
    )
    env = _injecting_env(tmp_path, hook)
    proc = cli(tmp_path / "sweep", "policy=none,all", "replicates=2", env=env)
    assert proc.returncode == 1 and "4 runs failed" in proc.stderr


def test_a_failing_report_makes_the_exit_status_non_zero(tmp_path):
    hook = (
        "import sim.report.write as r\n"
        "def _f(*a, **k):\n    raise RuntimeError('injected report failure')\n"
        "r.write_report = _f\n"
    )
    proc = cli(
        tmp_path / "sweep", "policy=none,all", "replicates=2", "report.enabled=true", env=_injecting_env(tmp_path, hook)
    )
    assert proc.returncode == 1
    assert "the report failed: RuntimeError: injected report failure" in proc.stderr.splitlines()[-1]
    assert len(pd.read_parquet(tmp_path / "sweep" / "runs.parquet")) == 4  # the tables are kept


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [["replicates=2"], ["policy=all", "replicates=2"], ["policy=team_inspection,all", "replicates=2"]],
    ids=["baseline-only", "one-arm", "no-baseline"],
)
def test_every_kind_of_comparison_sweep_gets_a_report(tmp_path, args):
    proc = cli(tmp_path, *args, "report.enabled=true")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "report" / "report.html").exists()


# ------------------------------------------------------------------------------- files and progress
def test_files_are_readable_as_the_umask_says(tmp_path):
    env = {**os.environ}
    cmd = (
        f"umask 022 && {sys.executable} {ROOT / 'experiments' / 'run.py'} -m hydra.sweep.dir={tmp_path} "
        + " ".join(FAST)
        + " policy=none replicates=1 hydra/launcher=basic"
    )
    proc = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    files = [p for p in tmp_path.rglob("*") if p.is_file() and ".submitit" not in p.parts]
    modes = {p.relative_to(tmp_path).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in files}
    for name in ("manifest.json", "sweep.json", "runs.parquet", "runs/none/r000/DONE", "runs/none/r000/summary.json"):
        assert modes[name] == 0o644, (name, oct(modes[name]))


def test_atomic_writes_follow_a_stricter_umask(tmp_path):
    from sim.atomic_io import atomic_write_text, atomic_write_with

    old = os.umask(0o027)
    try:
        atomic_write_text(tmp_path / "a.txt", "x")
        atomic_write_with(tmp_path / "b.parquet", lambda p: pd.DataFrame({"a": [1]}).to_parquet(p))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "b.parquet").stat().st_mode) == 0o640


def test_progress_is_one_bar_and_runs_are_quiet_unless_verbose(tmp_path):
    quiet = ok(tmp_path / "q", "policy=none,all", "replicates=3", BASIC)
    assert "sweep:" in quiet.stderr and "6/6" in quiet.stderr and "resumed 0" in quiet.stderr
    assert "run none/r000 done" not in quiet.stdout + quiet.stderr
    loud = ok(tmp_path / "v", "policy=none,all", "replicates=3", BASIC, "-v")
    assert "run none/r000 done" in loud.stdout + loud.stderr


def test_progress_monitor_reads_only_new_events_and_counts_resumed_apart(tmp_path):
    from sim.sweeps.progress import ProgressMonitor, record_event

    monitor = ProgressMonitor(tmp_path, total=10, resumed=4)
    for i in range(3):
        record_event(tmp_path, f"a/r{i:03d}", "done")
    record_event(tmp_path, "a/r003", "failed")
    monitor.poll()
    assert monitor.bar.n == 4 + 4 and monitor.failed == 1
    offset = monitor._offset
    monitor.poll()  # nothing new: nothing re-read
    assert monitor._offset == offset and monitor.bar.n == 8
    record_event(tmp_path, "a/r000", "done")  # a duplicate does not count twice
    monitor.poll()
    assert monitor.bar.n == 8
    monitor.stop()


# ------------------------------------------------------------------------------- strict sweeps
@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["policy=none,all", "+replicate=3"], "replicate=3: unknown key"),
        (["policy=none,all", "delegates.integrity_mean=inf"], "delegates.integrity_mean=inf is not a finite number"),
        (["policy=none,all", "candidates.budget_mean=inf"], "candidates.budget_mean=inf is not a finite number"),
        (["policy=none,all", "world.n_townships=100000000"], "world.n_townships=100000000"),
        (["policy=none,all", "voting.compliance=nan"], "voting.compliance=nan"),
        (["interventions.team_inspection.n_teams=interval(0,4)"], "interval"),
        (["policy=none,all", "sweep.on_change=maybe"], "sweep.on_change='maybe'"),
        (["policy=none,all", "base_seed=-1"], "base_seed=-1"),
        (
            ["experiment=sensitivity", "sensitivity.n_samples=2", "+sensitivity.parameters.voting.complance=[0.1,0.5]"],
            "complance",
        ),
    ],
)
def test_bad_sweeps_stop_before_anything_runs(tmp_path, args, fragment):
    proc = cli(tmp_path, *args)
    assert proc.returncode != 0, proc.stderr[-2000:]
    assert fragment in proc.stderr
    assert not list(tmp_path.glob("runs/*/*/DONE"))


def test_glob_and_range_sweeps_plan_every_arm(tmp_path):
    ok(tmp_path / "glob", "policy=glob(*)", "replicates=1")
    arms = set(manifest(tmp_path / "glob")["arms"])
    policies = {p.stem for p in (ROOT / "sim" / "conf" / "policy").glob("*.yaml")}
    assert arms == policies and len(pd.read_parquet(tmp_path / "glob" / "runs.parquet")) == len(policies)
    ok(tmp_path / "range", "policy=team_inspection", "interventions.team_inspection.n_teams=range(0,3)", "replicates=1")
    assert set(manifest(tmp_path / "range")["arms"]) == {f"team_inspection.n_teams={n}" for n in range(3)}


def test_manual_collection_and_report_wait_for_a_running_sweep(sweep_copy):
    # A sweep holds the folder's lock: a collection or report started by hand must not race it.
    from filelock import FileLock

    from sim.cli.folder import SWEEP_LOCK

    with FileLock(str(sweep_copy / SWEEP_LOCK)):
        for script, extra in (("collect.py", ["--no-report"]), ("report.py", [])):
            proc = subprocess.run(
                [sys.executable, str(ROOT / "experiments" / script), str(sweep_copy), *extra],
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            assert proc.returncode == 3 and "another process is using" in proc.stderr, (script, proc.stderr)
    proc = subprocess.run(  # once the sweep has let go, the collection runs
        [sys.executable, str(ROOT / "experiments" / "collect.py"), str(sweep_copy), "--no-report"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
