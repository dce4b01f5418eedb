"""Each intervention moves what it acts on, in the right direction, under common random numbers."""

from __future__ import annotations

import numpy as np
import pytest

from sim import simulate
from sim.interventions import INTERVENTION_NAMES
from tests.conftest import with_intervention

SEEDS = range(10)


def paired(base: dict, arm: dict, key: str, seeds=SEEDS) -> tuple[float, float]:
    """Mean of ``key`` without and with the arm, over the same seeds."""
    off = [simulate(base, seed=s).summary[key] for s in seeds]
    on = [simulate(arm, seed=s).summary[key] for s in seeds]
    return float(np.mean(off)), float(np.mean(on))


def test_warning_education_reduces_acceptances(small):
    arm = with_intervention(small, "warning_education")
    off, on = paired(small, arm, "offers_accepted")
    assert on < 0.95 * off
    off, on = paired(small, arm, "acceptance_rate")  # each offer is less likely to be taken
    assert on < off - 0.02


def test_vetting_removes_tainted_and_some_honest_candidates(small):
    arm = with_intervention(small, "candidate_vetting", false_alarm_rate=0.1)
    off, on = paired(small, arm, "vetting_removed")
    assert off == 0 and on > 0
    tainted = np.mean([simulate(arm, seed=s).summary["candidate_vetting_excluded_tainted"] for s in SEEDS])
    honest = np.mean([simulate(arm, seed=s).summary["honest_removed"] for s in SEEDS])
    assert tainted > 0 and honest > 0


def test_fast_resolution_is_faster_and_detects_more_before_the_vote(small):
    # A busy hotline (peers and refusers report ten times as often as the calibrated defaults): the
    # calibrated volume leaves a small world about one tip a township, too few for detections
    # before the vote to differ between arms.
    busy = {**small, "reporting": {"peer_scale": 0.03, "refuser_scale": 1.0}}
    arm = with_intervention(busy, "tipoff_resolution")
    off, on = paired(busy, arm, "mean_resolution_days")
    assert on < off / 2
    off, on = paired(busy, arm, "detected_before_vote")
    assert on > off


def test_inspection_visits_finds_problems_and_detects(small):
    arm = with_intervention(small, "team_inspection")
    off, on = paired(small, arm, "township_visits")
    assert off == 0 and on > 0
    off, on = paired(small, arm, "problems_found")
    assert off == 0 and on > 0
    off, on = paired(small, arm, "detections")
    assert on > off


def test_screening_makes_inspection_find_more_per_visit(small):
    # Detection-only problems (no background irregularities) isolate the effect of targeting.
    # One team sees a third of the townships: where it goes matters.
    insp = {"irregularity_rate": 0.0, "n_teams": 1, "detect_per_tie_day": 0.01}
    random = with_intervention(small, "team_inspection", **insp)
    screen = {"high_risk_boost": 0.0, "medium_risk_boost": 0.0, "sensitivity": 0.95, "specificity": 0.95}
    targeted = with_intervention(random, "risk_screening", **screen)
    seeds = range(16)
    per_visit_random = np.mean([simulate(random, seed=s).summary["problems_per_visit"] for s in seeds])
    per_visit_targeted = np.mean([simulate(targeted, seed=s).summary["problems_per_visit"] for s in seeds])
    assert per_visit_targeted > per_visit_random


def test_pledges_work_better_against_small_bribes(small):
    def effect(budget: float) -> float:
        base = {**small, "candidates": {"budget_mean": budget, "max_bribe": 100_000.0}}
        pledge = with_intervention(base, "pledges_talks", candidate_coverage=0.0, delegate_coverage=1.0)
        off, on = paired(base, pledge, "acceptance_rate")
        return off - on

    small_bribes, large_bribes = effect(4_000.0), effect(120_000.0)  # ~100 and ~3,000 yuan a vote
    assert small_bribes > 0
    assert small_bribes > large_bribes + 0.03


def test_pledges_and_talks_deter_candidates(small):
    arm = with_intervention(small, "pledges_talks", delegate_coverage=0.0, candidate_coverage=1.0)
    off, on = paired(small, arm, "buyers")
    assert on < off


@pytest.mark.parametrize("name", INTERVENTION_NAMES)
def test_each_intervention_alone_lowers_bought_seats_or_bribery(small, name):
    off, on = paired(small, with_intervention(small, name), "bribed_share")
    cap_off, cap_on = paired(small, with_intervention(small, name), "bought_seat_rate_final")
    if name == "candidate_vetting":
        # Vetting acts on the slate: it keeps tainted candidates (likelier buyers) off the ballot.
        # With full ballots (reserves stand in for those excluded, and some reserves buy) it need
        # not lower the seats buying changes; it must lower the buying itself.
        buyers_off, buyers_on = paired(small, with_intervention(small, name), "buyers")
        assert on < off and buyers_on < buyers_off
        return
    assert on <= off + 1e-12 and cap_on <= cap_off + 1e-12
    assert (on < off) or (cap_on < cap_off)


def test_disabled_interventions_cost_nothing_and_change_nothing(small):
    explicit_off = {**small, "interventions": {n: {"enabled": False, **_any_params(n)} for n in INTERVENTION_NAMES}}
    a = simulate(small, seed=3).summary
    b = simulate(explicit_off, seed=3).summary
    drop = lambda s: {k: v for k, v in s.items() if not k.startswith("time_") and k != "runtime_s"}  # noqa: E731
    assert drop(a) == drop(b)
    assert all(b[f"cost_{n}"] == 0.0 for n in INTERVENTION_NAMES) and b["cost_total"] == 0.0


def _any_params(name: str) -> dict:
    """Non-default parameters for a disabled intervention (which must still change nothing)."""
    return {
        "warning_education": {"coverage": 1.0},
        "risk_screening": {"sensitivity": 0.99},
        "candidate_vetting": {"hit_rate": 1.0},
        "tipoff_resolution": {"direct_days": 2},
        "team_inspection": {"n_teams": 30},
        "pledges_talks": {"commitment": 5.0},
    }[name]


def test_policy_all_costs_the_sum_of_its_parts(small):
    arm = {**small, "interventions": {n: {"enabled": True} for n in INTERVENTION_NAMES}}
    s = simulate(arm, seed=1).summary
    assert s["cost_total"] == pytest.approx(sum(s[f"cost_{n}"] for n in INTERVENTION_NAMES))
    assert all(s[f"cost_{n}"] > 0 for n in INTERVENTION_NAMES)


@pytest.mark.parametrize(
    ("name", "key", "low", "high"),
    [
        ("team_inspection", "n_teams", 2, 8),
        ("warning_education", "coverage", 0.2, 0.9),
        ("candidate_vetting", "coverage", 0.3, 1.0),
        ("pledges_talks", "delegate_coverage", 0.2, 0.9),
        ("tipoff_resolution", "capacity_multiplier", 2.0, 10.0),
    ],
)
def test_cost_grows_with_intensity(small, name, key, low, high):
    lo = simulate(with_intervention(small, name, **{key: low}), seed=2).summary[f"cost_{name}"]
    hi = simulate(with_intervention(small, name, **{key: high}), seed=2).summary[f"cost_{name}"]
    assert hi > lo > 0


def test_common_random_numbers_keep_untouched_processes_identical(small):
    # Vetting acts before the campaign; the world and every candidate it does not remove are the same.
    a = simulate(small, seed=9, keep_model=True).model
    b = simulate(
        with_intervention(small, "candidate_vetting", hit_rate=0.0, false_alarm_rate=0.0), seed=9, keep_model=True
    ).model
    assert np.array_equal(a.cand_buyer, b.cand_buyer)
    assert np.array_equal(a.del_ever_bought, b.del_ever_bought)
