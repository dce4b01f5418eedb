"""Lawful ballots: more candidates than seats on every ballot that goes to the vote."""

from __future__ import annotations

import numpy as np
import pytest

from sim import build_config, simulate
from sim.model.agents import CandidateStatus
from sim.model.voting import contested_seats, tally
from sim.simulate import build_model
from tests.conftest import with_intervention

#: Vetting that excludes half of all candidates: ballots lose competition unless refilled.
HARSH = {"false_alarm_rate": 0.5, "hit_rate": 1.0, "completion": 1.0}


def test_a_ballot_with_no_more_candidates_than_seats_elects_one_seat_fewer_than_it_has_candidates():
    on_ballot = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0], [0, 0, 0, 0, 0]], dtype=bool)
    assert contested_seats(on_ballot, 3).tolist() == [3, 2, 0, 0]
    # Three candidates for three seats, everybody marks all three: only two are elected.
    score = np.tile([3.0, 2.0, 1.0, -np.inf, -np.inf], (9, 1))
    t = tally(score, on_ballot[1:2], np.zeros(9, dtype=np.int64), np.ones(9, dtype=bool), 3, np.zeros(5))
    assert t.elected.sum() == 2 and t.elected[:2].all() and t.contested.tolist() == [2]


def test_no_seat_is_elected_without_competition_and_the_rest_are_postponed(small):
    small["world"]["reserves_per_township"] = 0
    arm = with_intervention(small, "candidate_vetting", **HARSH)
    short = 0
    for seed in range(3):
        r = simulate(arm, seed=seed, keep_model=True)
        m, s = r.model, r.summary
        k, seats = m.world.slots_per_township, m.cfg.world.seats_per_township
        on_ballot = m.congress_slate.reshape(-1, k).sum(axis=1)
        elected = m.elected_on_day.reshape(-1, k).sum(axis=1)
        assert (elected <= np.maximum(on_ballot - 1, 0)).all()
        assert s["ballots_without_competition"] == int((on_ballot <= seats).sum())
        assert s["seats_postponed"] == int((seats - np.clip(on_ballot - 1, 0, seats)).sum())
        assert s["ballots_without_competition_share"] == s["ballots_without_competition"] / m.world.n_townships
        short += s["ballots_without_competition"]
    assert short > 0


def test_by_default_reserves_keep_every_ballot_full_under_vetting(small):
    arm = with_intervention(small, "candidate_vetting", false_alarm_rate=0.1)
    promoted = 0
    for seed in range(3):
        m = build_model(build_config(arm, seed=seed))  # the campaign opens: vetting, then nomination
        k, n_slate = m.world.slots_per_township, m.cfg.world.candidates_per_township
        excluded = (m.cand_status == CandidateStatus.EXCLUDED).reshape(-1, k).sum(axis=1)
        nominated = (m.cand_status == CandidateStatus.NOMINATED).reshape(-1, k).sum(axis=1)
        assert excluded.sum() > 0
        # Every candidate vetting spares can stand: the ballot is full unless it lost more than its reserves.
        assert (nominated == np.minimum(n_slate, k - excluded)).all()
        promoted += m.counters["reserves_nominated"]
    assert k - n_slate == 2 and promoted > 0


def test_postponed_seats_count_as_seats_removals_changed_and_cost_merit(small):
    small["world"]["reserves_per_township"] = 0
    base = build_model(build_config(small, seed=1))
    base.run()
    model = build_model(build_config(with_intervention(small, "candidate_vetting", **HARSH), seed=1))
    model.run()
    s = model.results
    assert s["seats_postponed"] > 0
    k = model.world.slots_per_township
    seated = (model.cf_elected.reshape(-1, k).sum(axis=1)).sum()
    assert seated <= model.world.n_townships * model.cfg.world.seats_per_township - s["seats_postponed"]
    assert s["seats_changed_by_removals"] >= s["seats_postponed"]


def test_vetting_checks_the_slate_and_only_the_reserves_it_promotes(small):
    arm = with_intervention(small, "candidate_vetting", false_alarm_rate=0.2)
    m = build_model(build_config(arm, seed=4))
    w, n_slate = m.world, m.cfg.world.candidates_per_township
    vetted = m.counters["candidates_vetted"]
    promoted = m.counters["reserves_nominated"]
    assert promoted > 0
    # Every candidate who stood was checked (coverage 1), and no reserve who was not needed.
    assert vetted == w.n_townships * n_slate + promoted
    assert (m.cand_status == CandidateStatus.RESERVE).sum() == w.n_candidates - vetted
    iv = next(iv for iv in m.interventions if iv.name == "candidate_vetting")
    assert iv.units == pytest.approx(vetted * 4 * m.cfg.interventions.candidate_vetting.completion)


def test_talks_are_held_with_the_candidates_standing_not_with_reserves(small):
    s = simulate(with_intervention(small, "pledges_talks", delegate_coverage=0.0), seed=2).summary
    assert s["pledges_talks_talks"] == small["world"]["n_townships"] * 5  # the slates, no reserve
    both = {**small, "interventions": {"pledges_talks": {"enabled": True}, "candidate_vetting": {"enabled": True}}}
    s = simulate(both, seed=2).summary
    assert s["reserves_nominated"] > 0
    assert s["pledges_talks_talks"] == small["world"]["n_townships"] * 5 - (
        s["vetting_removed"] - s["reserves_nominated"]
    )


@pytest.mark.parametrize("screening", [False, True])
def test_vetting_coverage_is_the_share_of_the_slate_vetted_with_or_without_screening(small, screening):
    # No check finds anything, so nobody is excluded and no reserve is promoted: every check is
    # of the slate.  Screening orders who is vetted first; it must not change how many.
    arm = with_intervention(small, "candidate_vetting", coverage=0.5, hit_rate=0.0, false_alarm_rate=0.0)
    arm["interventions"]["risk_screening"] = {"enabled": screening}
    m = build_model(build_config(arm, seed=3))
    n_slate = m.world.n_townships * m.cfg.world.candidates_per_township
    assert m.counters["reserves_nominated"] == 0
    assert m.counters["candidates_vetted"] == round(0.5 * n_slate)
    # Nearly the whole slate at 0.7 is still not all of it: the lever has no flat stretch.
    arm["interventions"]["candidate_vetting"]["coverage"] = 0.7
    m = build_model(build_config(arm, seed=3))
    assert m.counters["candidates_vetted"] == round(0.7 * n_slate) < n_slate
