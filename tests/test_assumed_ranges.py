"""Every parameter nobody fitted that sets an intervention's strength or a key mechanism has a documented range."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.calibration.posterior import load_posterior
from sim.config import ConfigError, assumed_ranges, iter_params, param

ROOT = Path(__file__).resolve().parent.parent

#: The strengths and mechanisms the comparison's ranking rests on (the ones the review named).
MUST_BE_ASSUMED = (
    "interventions.pledges_talks.candidate_commitment",
    "interventions.pledges_talks.commitment",
    "interventions.warning_education.moral_boost",
    "interventions.warning_education.candidate_risk_boost",
    "interventions.candidate_vetting.hit_rate",
    "interventions.candidate_vetting.false_alarm_rate",
    "interventions.team_inspection.visit_risk_jump",
    "interventions.tipoff_resolution.substantiation_gain",
    "interventions.tipoff_resolution.trust_gain_multiplier",
    "voting.bullet_vote",
    "candidates.quit_risk_tolerance",
    "candidates.rival_weight",
    "delegates.reservation_price",
)


def test_the_named_strengths_and_mechanisms_carry_an_assumed_range_with_its_reason():
    ranges = assumed_ranges()
    missing = [k for k in MUST_BE_ASSUMED if k not in ranges]
    assert not missing
    assert all(len(ranges[k]["reason"]) > 20 for k in ranges)


def test_each_assumed_range_holds_its_default_and_lies_inside_the_declared_bounds():
    for key, default, meta in iter_params():
        if "assumed" not in meta:
            continue
        a = meta["assumed"]
        assert a["low"] <= default <= a["high"], key
        assert meta["lo"] is None or a["low"] >= meta["lo"], key
        assert meta["hi"] is None or a["high"] <= meta["hi"], key


def test_no_fitted_parameter_is_also_assumed():
    fitted = set(load_posterior(ROOT / "docs" / "calibration_posterior.parquet").columns) - {"weight"}
    assert not fitted & set(assumed_ranges())


@pytest.mark.parametrize(
    "kwargs",
    [
        {"assumed": (0.0, 1.0)},  # no reason
        {"assumed": (0.6, 1.0), "reason": "x"},  # does not hold the default 0.5
        {"assumed": (1.0, 0.0), "reason": "x"},  # reversed
        {"assumed": (0.0, 1.0), "log": True, "reason": "x"},  # log from 0
    ],
)
def test_a_malformed_assumed_range_is_refused(kwargs):
    with pytest.raises(ConfigError, match="assumed range"):
        param(0.5, **kwargs)


def test_parameters_md_lists_every_assumed_range_as_assumed():
    text = (ROOT / "docs" / "PARAMETERS.md").read_text()
    for key in assumed_ranges():
        assert f"| `{key}` | " in text and "*assumed*" in text.split(f"| `{key}` | ")[-1].split("\n")[0], key
