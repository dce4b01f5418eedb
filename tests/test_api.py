"""The Python API is as strict as the command line and gives the same results."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tracemalloc

import numpy as np
import pandas as pd
import pytest

from sim import ConfigError, build_config, load_results, simulate
from sim.config import iter_params
from sim.simulate import resolve_config
from tests.conftest import ROOT, run_sweep

VOLATILE = ("runtime_s", "time_build_s", "time_loop_s", "time_vote_s", "time_setup_s")
SHORT_CLI = ("investigation.direct_days=5", "investigation.supervised_days=5")
SHORT = {
    "schedule": {"campaign_days": 10, "post_election_days": 5},
    "investigation": {"direct_days": 5, "supervised_days": 5},
}


def _cli_summary(tmp_path, *args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "experiments" / "run.py"), f"hydra.run.dir={tmp_path}", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads((tmp_path / "summary.json").read_text())


def _stable(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k not in VOLATILE}


@pytest.mark.parametrize(
    ("mapping", "cli"),
    [
        ({"policy": "all"}, ["policy=all"]),
        (
            {"scenario": "city", "policy": "as_deployed", "world": {"n_townships": 20, "n_counties": 2}},
            ["scenario=city", "policy=as_deployed", "world.n_townships=20", "world.n_counties=2"],
        ),
    ],
    ids=["county-all", "city-as-deployed"],
)
def test_presets_give_the_same_summary_as_the_command_line(tmp_path, mapping, cli):
    expected = _cli_summary(
        tmp_path, *cli, "seed=3", "schedule.campaign_days=10", "schedule.post_election_days=5", *SHORT_CLI
    )
    actual = simulate({**mapping, **SHORT}, seed=3).summary
    assert _stable(json.loads(json.dumps(actual))) == _stable(expected)


def test_named_presets_are_loaded():
    province = resolve_config({"scenario": "province"})
    assert province.scenario == "province" and province.world.n_townships == 841
    assert resolve_config({"policy": "all"}).enabled_interventions() == [
        "warning_education",
        "risk_screening",
        "candidate_vetting",
        "tipoff_resolution",
        "team_inspection",
        "pledges_talks",
    ]
    assert resolve_config({"policy": "team_inspection"}).enabled_interventions() == ["team_inspection"]
    assert resolve_config({}).enabled_interventions() == []


@pytest.mark.parametrize(
    ("config", "overrides", "fragment"),
    [
        ({"sead": 5}, {}, "sead=5: unknown key"),
        ({"interventoins": {}}, {}, "interventoins"),
        ({"world": {"n_townshps": 3}}, {}, "world.n_townshps=3: unknown key"),
        ({"interventions": {"team_inspection": {"n_team": 3}}}, {}, "interventions.team_inspection.n_team=3"),
        ({"interventions": {"bribe_amnesty": {"enabled": True}}}, {}, "interventions.bribe_amnesty"),
        ({}, {"world.n_townshps": 3}, "world.n_townshps=3: unknown key"),
        ({}, {"sead": 5}, "sead=5: unknown key"),
        ({"scenario": "provnce"}, {}, "scenario='provnce' is not a preset"),
        ({"policy": "everything"}, {}, "policy='everything' is not a preset"),
        ({"world": 5}, {}, "world=5 must be a mapping"),
        ({"world": {"n_townships": "many"}}, {}, "world.n_townships"),
        ({"interventions": {"team_inspection": {"enabled": "maybe"}}}, {}, "interventions.team_inspection.enabled"),
        ({}, {"world.broker_ties": [1.0, "x", 2.0]}, "world.broker_ties"),
        ({}, {"seed": -1}, "seed=-1"),
    ],
)
def test_bad_input_is_rejected_naming_the_key(config, overrides, fragment):
    with pytest.raises(ConfigError) as err:
        simulate(config, **overrides)
    assert fragment in str(err.value)


@pytest.mark.parametrize("bad", [[1, 2, 3], "county", 5, 2.5])
def test_a_config_that_is_not_a_mapping_is_named(bad):
    with pytest.raises(ConfigError, match=r"config=.* must be a mapping"):
        simulate(bad)


def test_numpy_scalars_are_accepted():
    cfg = resolve_config(
        {"voting": {"compliance": np.float64(0.5)}, "world": {"n_townships": np.int64(6)}},
        seed=np.int64(4),
        **{"interventions.team_inspection.enabled": np.bool_(True), "world.broker_ties": np.array([1.0, 2.0, 3.0])},
    )
    assert cfg.voting.compliance == 0.5 and type(cfg.voting.compliance) is float
    assert cfg.world.n_townships == 6 and type(cfg.world.n_townships) is int
    assert cfg.seed == 4 and cfg.interventions.team_inspection.enabled is True
    assert cfg.world.broker_ties == [1.0, 2.0, 3.0]
    # A typed configuration holding numpy values is converted, not rejected or passed unchecked.
    typed = build_config(None)
    typed.voting.compliance = np.float64(0.6)  # type: ignore[assignment]
    assert type(build_config(typed).voting.compliance) is float
    typed.voting.compliance = np.float64(1.6)  # type: ignore[assignment]
    with pytest.raises(ConfigError, match="voting.compliance=1.6"):
        build_config(typed)


def _numeric_params() -> list[tuple[str, object, dict]]:
    return [
        (key, default, meta)
        for key, default, meta in iter_params()
        if isinstance(default, int | float) and not isinstance(default, bool)
    ]


NUMERIC = _numeric_params()


@pytest.mark.parametrize(("key", "default", "meta"), NUMERIC, ids=[k for k, _, _ in NUMERIC])
def test_every_numeric_parameter_rejects_non_finite_strings_and_out_of_bounds(key, default, meta):
    bad = [math.nan, math.inf, -math.inf, "lots"]
    if meta.get("lo") is not None:
        bad.append(meta["lo"] - 1)
    if meta.get("hi") is not None:
        bad.append(meta["hi"] + 1)
    if isinstance(default, int):
        bad.append(1e300)  # not an integer value
    for value in bad:
        with pytest.raises(ConfigError) as err:
            build_config(None, **{key: value})
        assert key in str(err.value), (key, value, str(err.value))
    ok = build_config(None, **{key: np.float64(default) if isinstance(default, float) else np.int64(default)})
    assert ok == build_config(None)


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"world.n_townships": 100_000_000}, "world.n_townships=100000000"),
        ({"world.delegates_per_township": 1e12}, "world.delegates_per_township=1000000000000.0"),
        ({"world.candidates_per_township": 1_000_000_000}, "world.candidates_per_township=1000000000"),
        ({"world.brokers_per_township": 1e9}, "world.brokers_per_township=1000000000.0"),
        ({"schedule.campaign_days": 1_000_000_000}, "schedule.campaign_days=1000000000"),
        ({"reporting.false_tips_per_township_day": 1e9}, "reporting.false_tips_per_township_day=1000000000.0"),
    ],
)
def test_runs_too_big_for_memory_are_refused_at_once_naming_the_key(overrides, fragment):
    tracemalloc.start()
    try:
        with pytest.raises(ConfigError) as err:
            build_config(None, **overrides)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20  # refused from the estimate, before anything of that size is allocated
    assert fragment in str(err.value) and "GiB of memory" in str(err.value)


def test_a_peer_degree_beyond_the_congress_is_refused():
    with pytest.raises(ConfigError, match="world.peer_degree=1000 exceeds the largest congress"):
        build_config(None, **{"world.peer_degree": 1000})


def test_size_check_names_key_and_estimate():
    from sim.config import check_size

    cfg = build_config(None)
    check_size(cfg)  # the default world fits
    with pytest.raises(
        ConfigError, match=r"world.n_townships=12, .* GiB of memory \(delegates: .*this machine has 0.0 GiB"
    ):
        check_size(cfg, available=1)


def test_time_series_counts_and_days_are_integers():
    ts = simulate({**SHORT}, seed=1).timeseries
    for column in ("day", "offers", "tips", "detections"):
        assert ts[column].dtype == "int64", column


def test_load_results_returns_the_tidy_tables(tmp_path):
    run_sweep(
        tmp_path,
        "scenario=county",
        "schedule.campaign_days=10",
        "schedule.post_election_days=5",
        *SHORT_CLI,
        "report.enabled=false",
        "policy=none,team_inspection",
        "replicates=2",
        "hydra/launcher=basic",
    )
    runs, ts = load_results(tmp_path)
    assert len(runs) == 4 and list(runs.columns[:5]) == ["arm", "policy", "sample", "replicate", "seed"]
    assert runs["team_inspection"].dtype == bool and runs.groupby("arm")["team_inspection"].first().to_dict() == {
        "none": False,
        "team_inspection": True,
    }
    assert set(runs.policy) == {"none", "team_inspection"}
    assert runs["seats"].dtype == "int64" and runs["tips"].dtype == "int64"
    assert list(runs["in.world.broker_ties"].iloc[0]) == [14.0, 22.0, 10.0]
    columns = list(runs.columns)
    first_in = min(i for i, c in enumerate(columns) if c.startswith("in."))
    last_in = max(i for i, c in enumerate(columns) if c.startswith("in."))
    timings = [i for i, c in enumerate(columns) if c == "runtime_s" or c.startswith("time_")]
    assert all(c.startswith("in.") for c in columns[first_in : last_in + 1])  # inputs together
    assert min(timings) > last_in and columns[-len(timings) :] == [columns[i] for i in timings]  # timings last
    assert ts["day"].dtype == "int64" and len(ts) == 4 * 16
    assert isinstance(runs, pd.DataFrame)


def test_load_results_of_a_folder_without_a_sweep_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="manifest.json"):
        load_results(tmp_path)


def test_presets_named_as_keywords_are_loaded():
    assert resolve_config(None, scenario="city").world.n_townships == 100
    assert resolve_config({"scenario": "county"}, scenario="city").world.n_townships == 100
    assert resolve_config(None, policy="all").interventions.team_inspection.enabled
