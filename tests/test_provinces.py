"""The ten provinces' presets: composed as the command line composes them, run, and compared.

Every policy, scenario and province preset is composed by Hydra from the package's config (as
``experiments/run.py`` composes it) and by :func:`sim.simulate`; both are run and must agree.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pandas as pd
import pytest
from omegaconf import open_dict

from sim import simulate
from sim.config import to_dict
from sim.presets import CONF_DIR, preset_names
from sim.report.style import DISPLAY_NAMES, arm_name
from sim.simulate import resolve_config
from sim.sweeps.experiment import arm_label
from tests.conftest import ROOT

#: The interventions each province's package switches on (the issue's list, from the source article).
PACKAGES = {
    "yunnan": {"warning_education"},
    "qinghai": {"warning_education", "risk_screening"},
    "hunan": {"warning_education", "pledges_talks"},
    "guangxi": {"risk_screening", "team_inspection"},
    "liaoning": {"risk_screening", "team_inspection"},
    "jiangxi": {"candidate_vetting"},
    "inner_mongolia": {"candidate_vetting"},
    "shanxi": {"tipoff_resolution"},
    "anhui": {"team_inspection", "pledges_talks"},
    "shaanxi": {"pledges_talks"},
}

#: Short calendar and small congresses: every mechanism at work, a run in a fraction of a second.
FAST = {
    "schedule.campaign_days": 10,
    "schedule.post_election_days": 5,
    "investigation.direct_days": 5,
    "investigation.supervised_days": 5,
    "world.delegates_per_township": 8.0,
}

PRESETS = [(group, name) for group in ("policy", "scenario", "province") for name in preset_names(group)]


def hydra_compose(*overrides: str):
    """The configuration the command line composes for ``overrides`` (Hydra, the package's conf)."""
    from hydra import compose, initialize_config_dir

    from sim.cli.schema import register_schema

    register_schema()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose(config_name="config", overrides=list(overrides), return_hydra_config=True)


def cli_config(*overrides: str):
    """The validated simulation configuration of a command line."""
    from sim.cli.configs import validated

    cfg = hydra_compose(*overrides)
    with open_dict(cfg):
        del cfg["hydra"]
    return validated(cfg)


def _stable(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k != "runtime_s" and not k.startswith("time_")}


@pytest.mark.parametrize(("group", "name"), PRESETS, ids=[f"{g}={n}" for g, n in PRESETS])
def test_every_preset_composes_and_runs_the_same_from_the_command_line_and_from_simulate(group, name):
    assert to_dict(cli_config(f"{group}={name}")) == to_dict(resolve_config({group: name}))
    fast = [f"{k}={v}" for k, v in FAST.items()]
    from_cli = simulate(cli_config(f"{group}={name}", "seed=5", *fast))
    from_api = simulate({group: name}, seed=5, **FAST)
    assert _stable(from_cli.summary) == _stable(from_api.summary)


def test_the_command_line_runs_a_province_on_its_own_world(tmp_path):
    fast = [f"{k}={v}" for k, v in FAST.items()]
    cmd = [
        sys.executable,
        str(ROOT / "experiments" / "run.py"),
        f"hydra.run.dir={tmp_path}",
        "province=shanxi",
        "seed=2",
    ]
    proc = subprocess.run([*cmd, *fast], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert (
        summary["scenario"] == "shanxi"
        and summary["townships"] == 984
        and summary["interventions"] == "tipoff_resolution"
    )
    assert _stable(summary) == _stable(json.loads(json.dumps(simulate({"province": "shanxi"}, seed=2, **FAST).summary)))


@pytest.mark.parametrize("province", sorted(PACKAGES))
def test_each_province_switches_on_its_own_measures_only(province):
    assert set(resolve_config({"policy": province}).enabled_interventions()) == PACKAGES[province]


def test_a_province_runs_its_package_on_its_own_world_and_a_named_choice_wins():
    worlds = {p: resolve_config({"province": p}) for p in PACKAGES}
    assert {
        p: (c.scenario, c.world.n_counties, c.world.n_townships) for p, c in worlds.items() if c.scenario != "province"
    } == {
        "guangxi": ("guangxi", 100, 841),
        "liaoning": ("liaoning", 100, 841),
        "shaanxi": ("shaanxi", 107, 900),
        "shanxi": ("shanxi", 117, 984),
    }
    for p, c in worlds.items():
        assert set(c.enabled_interventions()) == PACKAGES[p]
    assert resolve_config({"province": "shanxi", "policy": "none"}).enabled_interventions() == []
    assert resolve_config({"province": "shanxi", "scenario": "city"}).world.n_townships == 100
    assert cli_config("province=shanxi", "policy=none").enabled_interventions() == []


def test_world_presets_hold_the_record_sizes():
    sizes = {s: resolve_config({"scenario": s}).world for s in ("liaoning", "guangxi", "shaanxi", "shanxi")}
    assert sizes["liaoning"].n_townships == round(318 / 0.378)  # article line 11
    assert (sizes["shaanxi"].n_cities, sizes["shaanxi"].n_counties) == (11, 107)  # article line 8
    assert sizes["guangxi"].n_cities == 14  # article line 6
    assert (sizes["shanxi"].n_cities, sizes["shanxi"].n_counties) == (11, 117)  # public record


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_every_number_of_a_province_preset_is_explained_by_a_comment(name):
    lines = (CONF_DIR / "policy" / f"{name}.yaml").read_text().splitlines()
    assert re.search(r"article line \d+", "\n".join(lines)), "the preset cites the article's line"
    for i, line in enumerate(lines):
        if re.match(r"\s+\w+: -?[\d.]+\s*(#.*)?$", line):
            assert "#" in line or lines[i - 1].strip().startswith("#"), f"{name}.yaml line {i + 1}: {line.strip()}"


def test_guangxi_share_is_the_field_presence_of_its_eight_groups():
    # 1 + 7 supervision groups (article line 6): the share set in the preset makes as many visits as
    # eight fixed teams make on the default province, and keeps that share on a city.
    eight = simulate(
        {"scenario": "province", "policy": "team_inspection"}, seed=1, **{"interventions.team_inspection.n_teams": 8}
    )
    preset = simulate({"scenario": "province", "policy": "guangxi"}, seed=1)
    assert preset.summary["township_visits"] == eight.summary["township_visits"] == 72
    assert simulate({"scenario": "city", "policy": "guangxi"}, seed=1).summary["township_visits"] == 9


def test_shanxi_capacity_beyond_the_basic_hotline_buys_nothing_at_the_tip_volume():
    # The preset's reason for capacity_multiplier 1.0: more investigators change no outcome, only the cost.
    keys = ("bought_seat_rate_final", "tips", "tips_substantiated", "detections", "winners_unseated")
    for seed in range(3):
        basic = simulate({"scenario": "city", "policy": "shanxi"}, seed=seed).summary
        six = simulate(
            {"scenario": "city", "policy": "shanxi"},
            seed=seed,
            **{"interventions.tipoff_resolution.capacity_multiplier": 6.0},
        ).summary
        assert {k: basic[k] for k in keys} == {k: six[k] for k in keys}
        assert six["cost_total"] > 4 * basic["cost_total"]


def test_arms_and_display_names_are_the_provinces():
    assert arm_label(["province=shanxi", "replicates=3"]) == "shanxi"
    assert arm_label(["policy=inner_mongolia"]) == "inner_mongolia"
    for province in PACKAGES:
        name = arm_name(province)
        assert name.startswith(province.replace("_", " ").title() + " (") and province in DISPLAY_NAMES
    for name in preset_names("province"):
        assert name in DISPLAY_NAMES, f"province={name} has no name in words"


def test_cost_per_100_townships_is_the_same_for_a_per_township_cost_at_any_size():
    # Risk screening costs (1 + 5 x 0.2) units x 2 staff-days = 4 staff-days a township: 400 per
    # 100 townships whatever the size, while the total grows with the province.
    for townships, counties in ((12, 1), (24, 3), (100, 10)):
        s = simulate(
            {"policy": "risk_screening", "world": {"n_townships": townships, "n_counties": counties}}, **FAST
        ).summary
        assert s["cost_total"] == pytest.approx(4.0 * townships)
        assert s["cost_per_100_townships"] == pytest.approx(400.0)
    assert simulate({}, **FAST).summary["cost_per_100_townships"] == 0.0
    two_terms = simulate({"policy": "risk_screening", "schedule": {"terms": 2}}, **FAST).summary
    assert two_terms["cost_per_100_townships"] == pytest.approx(800.0)  # summed over the terms, as cost_total


def _plan(experiment: str, *overrides: str):
    """The plan the sweep callback writes for an experiment (every arm composed as its job will be)."""
    from hydra import initialize_config_dir
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from sim.cli.jobs import make_plan

    cfg = hydra_compose(f"experiment={experiment}", *overrides)
    with open_dict(cfg):
        cfg.hydra.mode = RunMode.MULTIRUN
        cfg.hydra.overrides.task = [f"experiment={experiment}", *overrides]
    HydraConfig.instance().set_config(cfg)
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return make_plan(cfg)


def test_experiment_provinces_runs_every_package_and_none_on_one_city():
    plan = _plan("provinces")
    assert set(plan.arms) == {"none", *PACKAGES} and plan.replicates == 30
    worlds = {json.dumps({k: v for k, v in a["inputs"].items() if k.startswith("world.")}) for a in plan.arms.values()}
    assert len(worlds) == 1 and '"world.n_townships": 100' in worlds.pop()
    for arm, spec in plan.arms.items():
        enabled = {k.split(".")[1] for k, v in spec["inputs"].items() if k.endswith(".enabled") and v}
        assert enabled == PACKAGES.get(arm, set())


def test_experiment_provinces_own_world_puts_each_package_on_its_world_with_a_reference_there():
    plan = _plan("provinces_own_world")
    townships = {arm: spec["inputs"]["world.n_townships"] for arm, spec in plan.arms.items()}
    assert townships == {
        **dict.fromkeys(["none_on_province", "yunnan", "qinghai", "hunan", "guangxi", "liaoning"], 841),
        **dict.fromkeys(["jiangxi", "inner_mongolia", "anhui"], 841),
        "none_on_shaanxi": 900,
        "shaanxi": 900,
        "none_on_shanxi": 984,
        "shanxi": 984,
    }


def test_experiment_provinces_own_world_runs_in_one_folder_and_reports_each_world(tmp_path):
    # Run from another folder without naming the sweep's folder: every job must find the one the
    # experiment names, although each arm chooses its own world (scenario).
    fast = [f"{k}={v}" for k, v in FAST.items()]
    cmd = [sys.executable, str(ROOT / "experiments" / "run.py"), "-m", "experiment=provinces_own_world", "replicates=2"]
    proc = subprocess.run([*cmd, *fast], capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    folder = tmp_path / "results" / "provinces_own_world" / "worlds"
    runs = pd.read_parquet(folder / "runs.parquet")
    assert runs.groupby("arm").townships.first().to_dict() == {
        **dict.fromkeys(["none_on_province", *(p for p in PACKAGES if p not in ("shaanxi", "shanxi"))], 841),
        "none_on_shaanxi": 900,
        "shaanxi": 900,
        "none_on_shanxi": 984,
        "shanxi": 984,
    }
    answer = (folder / "report" / "report.md").read_text().split("## Comparison")[0]
    # Long arm names keep their province in the table; what the package is goes to a footnote.
    assert "13 arms on 3 worlds" in answer and "Shanxi" in answer and "fast tip-off resolution" in answer


def test_a_sweep_whose_arms_would_write_into_different_folders_is_refused(tmp_path):
    cmd = [sys.executable, str(ROOT / "experiments" / "run.py"), "-m", "province=shanxi,yunnan", "replicates=1"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 2 and "would look for the sweep in results/single/shanxi" in proc.stderr
    assert not list(tmp_path.glob("results/**/DONE"))


def test_shaanxi_talks_to_candidates_and_signs_no_pledges():
    # Shaanxi records talks, no pledges (article line 8): the schema's 0.5 of delegates must not sneak in.
    s = simulate({"policy": "shaanxi"}, seed=1, **FAST).summary
    standing = (
        s["townships"] * resolve_config({"policy": "shaanxi"}).world.candidates_per_township
    )  # reserves never stand
    assert s["pledges_talks_pledges"] == 0 and s["pledges_talks_talks"] == standing


def test_a_mistyped_province_is_refused_naming_the_key_and_the_choices():
    from sim.config import ConfigError

    with pytest.raises(ConfigError, match=r"province='shanxy' is not a preset; choose one of: anhui, .*shanxi"):
        simulate({"province": "shanxy"})
    with pytest.raises(ConfigError, match=r"province=3 is not a preset"):
        simulate({}, province=3)
