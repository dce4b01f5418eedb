"""Bad input stops early with an error naming the key and the value."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sim import ConfigError, build_config, simulate
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"voting.compliance": 1.5}, "voting.compliance=1.5"),
        ({"delegates.base_detection_belief": -0.1}, "delegates.base_detection_belief=-0.1"),
        ({"world.n_townships": 0}, "world.n_townships=0"),
        ({"world.brokers_per_township": -2.0}, "world.brokers_per_township=-2.0"),
        ({"world.seats_per_township": 5}, "world.seats_per_township=5"),
        ({"world.peer_degree": 3}, "world.peer_degree=3"),
        ({"interventions.team_inspection.n_teams": -1}, "interventions.team_inspection.n_teams=-1"),
        ({"interventions.candidate_vetting.hit_rate": 2.0}, "interventions.candidate_vetting.hit_rate=2.0"),
        ({"world.broker_kind_shares": [0.5, 0.5, 0.5]}, "world.broker_kind_shares"),
    ],
)
def test_invalid_values_are_rejected_with_key_and_value(overrides, fragment):
    with pytest.raises(ConfigError) as err:
        build_config(None, **overrides)
    assert fragment in str(err.value)


def test_unknown_key_is_rejected():
    with pytest.raises(ConfigError, match="n_townshps"):
        build_config({"world": {"n_townshps": 3}})


def test_unknown_intervention_is_rejected():
    with pytest.raises(ConfigError, match="bribe_amnesty"):
        build_config({"interventions": {"bribe_amnesty": {"enabled": True}}})


def test_wrong_type_is_rejected():
    with pytest.raises(ConfigError, match="n_townships"):
        build_config({"world": {"n_townships": "many"}})


def test_simulate_validates_before_running():
    with pytest.raises(ConfigError, match="voting.compliance"):
        simulate({"voting": {"compliance": -1}})


def _run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "experiments" / "run.py"), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["voting.compliance=1.5"], "voting.compliance=1.5"),
        (["world.n_townshps=3"], "n_townshps"),
        (["scenario=metropolis"], "metropolis"),
        (["policy=amnesty"], "amnesty"),
        (["world.seats_per_township=7"], "world.seats_per_township=7"),
        (["replicates=0"], "replicates=0"),
    ],
)
def test_cli_rejects_bad_config_with_nonzero_exit(tmp_path, args, fragment):
    proc = _run_cli(*args, f"hydra.run.dir={tmp_path}")
    assert proc.returncode != 0
    assert fragment in proc.stderr + proc.stdout
    assert not (tmp_path / "summary.json").exists()
