"""``sim.sweep``: the command line's sweep from Python, with its store, plan, resume and lock rules."""

from __future__ import annotations

import importlib
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock

import sim
from sim.cli.api import SweepFailedError, override_value, sweep_overrides
from sim.cli.folder import SWEEP_LOCK, SweepBusyError
from sim.cli.jobs import refuse_swept_run_settings
from sim.config import ConfigError

ROOT = Path(__file__).resolve().parents[1]
SHORT = {"schedule.campaign_days": 6, "schedule.post_election_days": 0}


def done_markers(folder: Path) -> dict[str, float]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.glob("runs/*/*/DONE")}


def test_a_sweep_returns_its_tables_and_resumes_and_extends(tmp_path):
    folder = tmp_path / "two_arms"
    argv = list(sys.argv)
    root_handlers = logging.getLogger().handlers[:]
    runs, days = sim.sweep(
        policy=["none", "team_inspection"],
        replicates=2,
        sweep_dir=folder,
        launcher="basic",
        report__enabled=False,
        **SHORT,
    )
    assert sys.argv == argv and logging.getLogger().handlers == root_handlers  # the caller's process is as it was
    assert sorted(runs["arm"]) == ["none", "none", "team_inspection", "team_inspection"]
    assert len(days) == 4 * 7 and set(days["arm"]) == {"none", "team_inspection"}
    # Common random numbers: the same two seeds in both arms; inspection cost something.
    assert set(runs.groupby("arm")["seed"].apply(frozenset)) == {frozenset(runs["seed"])}
    assert (runs.loc[runs["arm"] == "team_inspection", "cost_total"] > 0).all()
    plan = json.loads((folder / "manifest.json").read_text())
    assert plan["replicates"] == 2 and sorted(plan["arms"]) == ["none", "team_inspection"]

    before = done_markers(folder)
    again = sim.sweep(
        policy=["none", "team_inspection"],
        replicates=2,
        sweep_dir=folder,
        launcher="basic",
        report__enabled=False,
        **SHORT,
    )
    assert done_markers(folder) == before and again.runs.equals(runs)  # resumed: nothing recomputed
    assert json.loads((folder / "sweep.json").read_text())["plan"] == "resume"

    more = sim.sweep(
        policy=["none", "team_inspection"],
        replicates=3,
        sweep_dir=folder,
        launcher="basic",
        report__enabled=False,
        **SHORT,
    )
    assert len(more.runs) == 6 and all(done_markers(folder)[k] == t for k, t in before.items())
    assert json.loads((folder / "sweep.json").read_text())["plan"] == "extend"

    # Another plan in the same folder is refused before anything runs, naming what differs.
    with pytest.raises(ConfigError, match=r"(?s)holds another plan.*schedule.campaign_days"):
        sim.sweep(policy=["none", "team_inspection"], replicates=3, sweep_dir=folder, launcher="basic",
                  report__enabled=False, **{**SHORT, "schedule.campaign_days": 7})  # fmt: skip
    assert len(done_markers(folder)) == 6


def test_the_same_as_the_command_line(tmp_path):
    api = sim.sweep(
        policy=["none", "all"],
        replicates=2,
        sweep_dir=tmp_path / "api",
        launcher="basic",
        report__enabled=False,
        **SHORT,
    )
    cmd = [
        sys.executable, str(ROOT / "experiments" / "run.py"), "-m", "policy=none,all", "replicates=2",
        "report.enabled=false",
        "schedule.campaign_days=6", "schedule.post_election_days=0", "hydra/launcher=basic",
        f"hydra.sweep.dir={tmp_path / 'cli'}",
    ]  # fmt: skip
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, timeout=300)
    cli = sim.load_results(tmp_path / "cli")
    outcomes = ["arm", "seed", "bought_seat_rate_final", "cost_total", "delegates_bribed", "tips"]
    assert api.runs[outcomes].equals(cli.runs[outcomes])


def test_one_sweep_at_a_time_per_folder(tmp_path):
    folder = tmp_path / "busy"
    folder.mkdir()
    with FileLock(str(folder / SWEEP_LOCK)), pytest.raises(SweepBusyError, match="another sweep is running"):
        sim.sweep(policy=["none", "all"], sweep_dir=folder, launcher="basic", **SHORT)


def test_bad_input_is_named_before_anything_runs(tmp_path):
    folder = tmp_path / "never"
    cases = [
        ({"sead": 5}, r"sead=5: unknown key; did you mean seed\?"),
        ({"world.n_townshps": 3}, r"world.n_townshps=3: unknown key; did you mean world.n_townships\?"),
        ({"policy": ["none", "nne"]}, r"policy='nne' is not a preset"),
        ({"voting.compliance": 1.5}, r"voting.compliance=1.5 is above its maximum"),
        ({"seed": [1, 2]}, r"seed=1,2: .*replicates= and base_seed="),
    ]
    for settings, message in cases:
        with pytest.raises(ConfigError, match=message):
            sim.sweep(sweep_dir=folder, launcher="basic", **settings)
    with pytest.raises(ConfigError, match=r"experiment='compar' is not an experiment; choose one of: .*compare"):
        sim.sweep("compar", sweep_dir=folder)
    assert not any(folder.glob("runs/*"))


def test_failed_runs_are_said_and_the_finished_ones_kept(tmp_path, monkeypatch):
    # A run that raises (here: every team_inspection run) is recorded; the sweep says so.
    simulate_module = importlib.import_module("sim.simulate")
    real = simulate_module.simulate_many

    def failing(cfgs, *args, **kwargs):  # a batch holding such a run fails as a whole
        if any(cfg.interventions.team_inspection.enabled for cfg in cfgs):
            raise RuntimeError("broken on purpose")
        return real(cfgs, *args, **kwargs)

    monkeypatch.setattr(simulate_module, "simulate_many", failing)
    with pytest.raises(SweepFailedError, match="2 runs failed") as info:
        sim.sweep(
            policy=["none", "team_inspection"],
            replicates=2,
            sweep_dir=tmp_path / "f",
            launcher="basic",
            report__enabled=False,
            **SHORT,
        )
    assert len(sim.load_results(info.value.sweep_dir).runs) == 2


def test_overrides_are_written_as_the_command_line_writes_them():
    assert sweep_overrides("compare", {"scenario": "county", "replicates": 3}) == [
        "experiment=compare",
        "scenario=county",
        "replicates=3",
    ]
    assert sweep_overrides(None, {"policy": ("none", "all"), "voting__compliance": 0.6, "report__enabled": False}) == [
        "policy=none,all",
        "voting.compliance=0.6",
        "report.enabled=false",
    ]
    assert override_value([[0.5, 0.5], [0.2, 0.8]]) == "[0.5,0.5],[0.2,0.8]"  # a sweep of list values
    assert override_value("two words") == "'two words'"


def test_a_swept_seed_says_to_use_replicates_and_base_seed():
    with pytest.raises(ConfigError, match=r"seed=1,2: seed is not swept into arms; .*replicates=2 base_seed=1"):
        refuse_swept_run_settings([["seed=1"], ["seed=2"]], ["seed"])
    with pytest.raises(ConfigError, match=r"scenario=county,city: .*one sweep per scenario"):
        refuse_swept_run_settings([["scenario=county"], ["scenario=city"]], ["scenario"])
    refuse_swept_run_settings([["policy=none"], ["policy=all"]], ["policy"])  # arms: fine


@pytest.mark.slow
def test_the_command_line_explains_a_seed_sweep_and_hydras_plus_advice(tmp_path):
    run = [sys.executable, str(ROOT / "experiments" / "run.py")]
    seeds = subprocess.run(
        [*run, "-m", "seed=1,2", "hydra/launcher=basic", f"hydra.sweep.dir={tmp_path}/s"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert seeds.returncode == 2 and "replicates= and base_seed=" in seeds.stderr, seeds.stderr
    plus = subprocess.run(
        [*run, "+sead=5", f"hydra.run.dir={tmp_path}/r"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert plus.returncode == 2, plus.stderr
    assert "did you mean seed?" in plus.stderr and "+sead adds a key" in plus.stderr, plus.stderr
