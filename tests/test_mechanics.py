"""Mechanics that once were wrong: each test sets up the case that exposed the defect."""

from __future__ import annotations

import numpy as np
import pytest

from sim import ConfigError, build_config, simulate
from sim.model.agents import TieState
from sim.model.investigation import culprit_broker_per_township
from sim.model.streams import CORE_STREAMS
from sim.simulate import build_model
from tests.conftest import with_intervention

INTERVENTIONS = (
    "warning_education",
    "risk_screening",
    "candidate_vetting",
    "tipoff_resolution",
    "team_inspection",
    "pledges_talks",
)


def test_acceptance_is_behaviour_not_cash(small):
    # The price is capped (max_bribe binds in both), so delegates see the same offers; only the
    # brokers' cash differs.  A yes the broker cannot pay is not a refusal.
    same_price = {"max_bribe": 300.0, "budget_sd_log": 0.0}
    rich = {**small, "candidates": {**same_price, "budget_mean": 1e6}}
    poor = {**small, "candidates": {**same_price, "budget_mean": 11000.0}}
    a = [simulate(rich, seed=s).summary for s in range(4)]
    b = [simulate(poor, seed=s).summary for s in range(4)]
    assert sum(s["offers_unpaid"] for s in b) > 0
    rate = lambda runs: sum(s["offers_accepted"] for s in runs) / sum(s["offers"] for s in runs)  # noqa: E731
    assert rate(b) == pytest.approx(rate(a), abs=0.05)


def test_an_unpaid_yes_leaves_the_tie_untried(small):
    cfg = build_config(
        {**small, "candidates": {"max_bribe": 300.0, "budget_sd_log": 0.0, "budget_mean": 11000.0}}, seed=2
    )
    model = build_model(cfg)
    model.run()
    c = model.counters
    assert c["offers_unpaid"] > 0
    # Every refused tie is a "no"; unpaid yeses are neither refused nor accepted.
    assert (model.tie_state == TieState.REFUSED).sum() == c["offers"] - c["offers_accepted"]


def test_core_streams_stay_in_lock_step_across_arms(small):
    # Common random numbers: an intervention may change what happens, never how many draws a core
    # process makes.  After the run, each core stream's next draw is the same in every arm.
    def next_draws(cfg):
        model = build_model(build_config(cfg, seed=9))
        model.run()
        return {name: model.streams[name].random() for name in CORE_STREAMS}

    base = next_draws(small)
    for name in INTERVENTIONS:
        assert next_draws(with_intervention(small, name)) == base, name


def test_the_implicate_draw_of_a_broker_is_the_same_in_every_arm(small):
    a = build_model(build_config(small, seed=4))
    b = build_model(build_config(with_intervention(small, "team_inspection"), seed=4))
    assert np.array_equal(a.broker_implicate_u, b.broker_implicate_u)
    assert np.array_equal(a.del_sanction_u, b.del_sanction_u)


def test_intent_without_payment_is_not_vote_buying(small):
    # No brokers: candidates may intend to buy but can never pay, so nothing is vote buying.
    small["world"]["brokers_per_township"] = 0.0
    small["interventions"] = {name: {"enabled": True} for name in INTERVENTIONS}
    for seed in range(4):
        s = simulate(small, seed=seed, keep_model=True)
        assert s.model.cand_buyer.sum() > 0  # the intent is there
        assert s.summary["buyers"] == 0
        assert s.summary["tips_true"] == 0
        assert s.summary["buyers_removed"] == 0 and s.summary["detections"] == 0


def test_a_93_candidate_ballot_keeps_one_bribe_per_delegate_and_candidate():
    # A Hengyang-sized congress: 93 candidates for 76 seats, 527 delegates, dense brokers.
    cfg = build_config(
        {
            "world": {
                "n_townships": 1,
                "delegates_per_township": 527.0,
                "delegates_spread": 0.0,
                "seats_per_township": 76,
                "candidates_per_township": 93,
                "brokers_per_township": 120.0,
            },
            # Few buyers, each with many brokers: the same candidate reaches a delegate twice.
            "candidates": {"buy_intercept": -3.0},
        },
        seed=1,
    )
    model = build_model(cfg)
    for _ in range(cfg.schedule.campaign_days):
        model.step()
    w = model.world
    held = np.flatnonzero(model.tie_state == TieState.ACCEPTED)
    pairs = w.tie_delegate[held] * 1000 + model.contract_client[w.tie_contract[held]]
    high = model.contract_client[w.tie_contract[held]] % 93 >= 64
    assert high.sum() > 0  # bribes from candidates beyond the 64th are in play
    assert len(np.unique(pairs)) == len(pairs)


def test_tip_outcomes_count_every_tip_received(small):
    # A hotline too thin to work off its queue: most tips are still open at the end (peers and
    # refusers report ten times as often as the calibrated defaults, so the queue builds up).
    cfg = {
        **small,
        "investigation": {"capacity_per_day": 0.3},
        "reporting": {"peer_scale": 0.03, "refuser_scale": 1.0},
    }
    s = simulate(cfg, seed=1).summary
    assert s["tips_open_at_end"] > s["tips"] / 2
    assert s["substantiation_rate"] == pytest.approx(s["tips_substantiated"] / s["tips"])
    assert s["substantiation_rate"] < s["substantiation_rate_closed"] or s["tips_substantiated"] == 0
    assert s["direct_within_deadline"] < s["direct_within_deadline_closed"]


def test_the_post_election_window_must_outlast_the_slowest_deadline(small):
    with pytest.raises(ConfigError, match="schedule.post_election_days=30"):
        build_config({**small, "schedule": {"post_election_days": 30}})
    build_config({**small, "schedule": {"post_election_days": 0}})  # no aftermath at all is allowed
    cfg = build_config(small)
    assert cfg.schedule.post_election_days >= cfg.investigation.supervised_days


def test_every_township_with_live_bribes_has_a_culprit_who_paid_there(small):
    # Brokers work across township lines (cross_township_share), so where a broker lives and
    # where it paid differ.
    small["world"]["cross_township_share"] = [0.6, 0.6, 0.6]
    model = build_model(build_config(small, seed=3))
    w = model.world
    checked = 0
    for _ in range(model.congress_day):
        model.step()
        live = model.live_bribes()
        town_with_bribes = np.unique(w.township[w.tie_delegate[live]])
        culprit = culprit_broker_per_township(model)
        assert np.all(culprit[town_with_bribes] >= 0)
        for t in town_with_bribes:
            paid_here = live & (w.township[w.tie_delegate] == t) & (w.tie_broker == culprit[t])
            assert paid_here.any()
        checked += len(town_with_bribes)
    assert checked > 0


def test_screening_grades_against_actual_buying(small):
    # A perfect screen with room to grade everyone flagged: graded high or medium exactly when
    # set to buy.  (Boosts off, so the screen does not deter anyone and buying is as screened.)
    cfg = with_intervention(
        small,
        "risk_screening",
        sensitivity=1.0,
        specificity=1.0,
        high_share=0.5,
        medium_share=0.5,
        high_risk_boost=0.0,
        medium_risk_boost=0.0,
    )
    model = build_model(build_config(cfg, seed=6))
    assert model.cand_buyer.any() and not model.cand_buyer.all()
    assert np.array_equal(model.cand_grade > 0, model.cand_buyer)


# ------------------------------------------------------------------ delivery and delegates' sanctions
def mean_over(cfg: dict, key: str, seeds=range(10)) -> float:
    return float(np.mean([simulate(cfg, seed=s).summary[key] for s in seeds]))


def test_delivery_probability_moves_the_right_way_on_each_term(small):
    from sim.model.voting import delivery_probability

    model = build_model(build_config(with_intervention(small, "pledges_talks", delegate_coverage=1.0), seed=1))
    w = model.world
    ties = np.arange(len(w.tie_broker))
    base = delivery_probability(model, ties)
    # Reciprocity: more of it, more delivery.
    w.reciprocity[:] += 0.2
    assert np.all(delivery_probability(model, ties) > base)
    w.reciprocity[:] -= 0.2
    # A pledge lowers delivery (the offers are small enough for it to bite).
    model.del_pledge[:] = 0.0
    no_pledge = delivery_probability(model, ties)
    assert np.all(no_pledge > base)
    # Education lowers it.
    model.del_moral_extra[:] = 0.8
    assert np.all(delivery_probability(model, ties) < no_pledge)
    # Gang brokers watch more closely than political brokers.
    gang = w.broker_kind[w.tie_broker] == 2
    political = w.broker_kind[w.tie_broker] == 0
    model.del_moral_extra[:] = 0.0
    p = delivery_probability(model, ties)
    same_delegate_traits = np.isclose(w.reciprocity[w.tie_delegate], 2 / 7, atol=0.02)
    assert p[gang & same_delegate_traits].min() > p[political & same_delegate_traits].max()


def test_gang_brokers_get_more_marks_delivered_than_political_ones(small):
    political = {**small, "world": {**small["world"], "broker_kind_shares": [1.0, 0.0, 0.0]}}
    gang = {**small, "world": {**small["world"], "broker_kind_shares": [0.0, 0.0, 1.0]}}
    same_cut = {"broker_cut": [0.2, 0.2, 0.2], "broker_ties": [14.0, 14.0, 14.0], "gang_intimidation": 0.0}
    political["world"].update(same_cut)
    gang["world"].update(same_cut)
    assert mean_over(gang, "defection_rate") < mean_over(political, "defection_rate") - 0.05


def test_education_lowers_delivery(small):
    taught = with_intervention(small, "warning_education", coverage=1.0, rollout_days=5)
    strong = {**taught, "voting": {"education_weight": 1.0}}
    none = {**taught, "voting": {"education_weight": 0.0}}
    assert mean_over(strong, "defection_rate") > mean_over(none, "defection_rate") + 0.02


def test_pledges_lower_delivery(small):
    pledged = with_intervention(small, "pledges_talks", delegate_coverage=1.0, candidate_coverage=0.0)
    strong = {**pledged, "voting": {"pledge_weight": 1.0}}
    none = {**pledged, "voting": {"pledge_weight": 0.0}}
    assert mean_over(strong, "defection_rate") > mean_over(none, "defection_rate") + 0.02


def test_delegates_whose_bribes_come_to_light_lose_their_seat(small):
    inspected = with_intervention(small, "team_inspection", n_teams=8, detect_per_tie_day=0.2)
    always = [simulate({**inspected, "investigation": {"expose_delegate": 1.0}}, seed=s).summary for s in range(3)]
    never = [simulate({**inspected, "investigation": {"expose_delegate": 0.0}}, seed=s).summary for s in range(3)]
    assert sum(s["delegates_sanctioned"] for s in always) > 0
    for s in always:  # those sanctioned before congress day cast no ballot
        assert s["ballots"] == s["delegates"] - (s["delegates_sanctioned"] - s["delegates_sanctioned_after_vote"])
    assert all(s["delegates_sanctioned"] == 0 and s["ballots"] == s["delegates"] for s in never)
    assert any(s["ballots"] < s["delegates"] for s in always)


def test_money_is_in_yuan_at_the_scale_of_township_cases(small):
    # Township cases paid 50-500 yuan a vote (Xiushui 2002, Feitian 2006, Qidong 2007).
    s = simulate(small, seed=1).summary
    per_bribe = s["bribe_money"] / s["bribes_paid"]
    assert 50.0 <= per_bribe <= 1000.0


def test_a_delegates_sanction_raises_perceived_risk_in_its_county(small):
    from sim.model.enforcement import sanction_delegates

    model = build_model(build_config({**small, "investigation": {"expose_delegate": 1.0}}, seed=2))
    w = model.world
    before = model.town_risk.copy()
    hit = np.flatnonzero(w.township == 0)[:3]
    sanction_delegates(model, hit, "hotline")
    assert not model.del_present[hit].any() and model.counters["delegates_sanctioned"] == 3
    assert model.counters["delegates_sanctioned_hotline"] == 3
    county = w.town_county == w.town_county[0]
    assert model.town_risk[0] > before[0] and np.all(model.town_risk[county] > before[county])
    assert np.all(model.town_risk[~county] == before[~county])


def test_the_clean_congress_counts_every_delegate_and_removals_include_delegates(small):
    # Delegates sanctioned before the vote are the only removal: no candidate is removed.
    from sim.model.agents import CandidateStatus
    from sim.model.voting import tally

    cfg = build_config(small, seed=6)
    model = build_model(cfg)
    for _ in range(model.congress_day):
        model.step()
    gone = np.flatnonzero(model.world.township < 6)[::2]
    model.del_present[gone] = False
    model.step()  # congress day
    assert not (model.cand_status == CandidateStatus.DISQUALIFIED).any()
    w, k = model.world, model.world.slots_per_township
    # Recount the clean congress with everyone present and compare.
    rng_noise = np.random.Generator(np.random.PCG64(0))  # any scores: only presence differs
    score = rng_noise.normal(size=(w.n_delegates, k))
    everyone = tally(
        score, model.initial_slate.reshape(-1, k), w.township, np.ones(w.n_delegates, bool), 3, w.cand_merit
    )
    absent = tally(score, model.initial_slate.reshape(-1, k), w.township, model.del_present, 3, w.cand_merit)
    assert not np.array_equal(everyone.votes, absent.votes)
    assert model.results["seats_changed_by_removals"] >= 0
    ballots = model.results["ballots"]
    assert ballots == w.n_delegates - len(gone)


def test_unseating_a_winner_both_congresses_seated_refills_the_counterfactual_too(small):
    from sim.model.agents import CandidateStatus
    from sim.model.enforcement import sanction_candidates

    model = build_model(build_config(small, seed=3))
    while model.day <= model.congress_day:
        model.step()
    held = model.cand_status == CandidateStatus.ELECTED
    both = np.flatnonzero(held & model.cf_elected)
    c = int(both[0])
    t, k = c // model.world.slots_per_township, model.world.slots_per_township
    block = slice(t * k, (t + 1) * k)
    standing = model.congress_slate[block] & ~model.cf_elected[block]
    expected = t * k + int(np.argmax(np.where(standing, model.cf_votes[block], -1)))
    sanction_candidates(model, np.array([c]), "test")
    assert not model.cf_elected[c]
    assert model.cf_elected[expected]
    assert model.cf_elected[block].sum() == model.cf_elected_on_day[block].sum()


def test_the_same_sanction_implicates_the_same_clients_in_every_arm(small):
    from sim.model.enforcement import sanction_brokers

    implicated = []
    # Arms that leave the campaign's start untouched (same buyers, same contracts).
    for cfg in (small, with_intervention(small, "team_inspection"), with_intervention(small, "tipoff_resolution")):
        model = build_model(build_config(cfg, seed=4))
        for _ in range(3):  # the clients pay; neither intervention has acted yet
            model.step()
        brokers = np.flatnonzero(model.contract_client >= 0)[:6]
        brokers = np.unique(model.world.contract_broker[brokers])
        before = model.cand_status.copy()
        sanction_brokers(model, brokers, "hotline")
        implicated.append(np.flatnonzero(model.cand_status != before).tolist())
    assert implicated[0] and implicated[0] == implicated[1] == implicated[2]


def test_false_tips_name_only_candidates_who_stood_and_a_wrong_finding_falls_on_one(small):
    # Many false tips and every one wrongly substantiated; two reserves per township who never stand.
    from sim.model.agents import CandidateStatus
    from sim.model.tips import TipSource, TipTarget

    cfg = {
        **small,
        "reporting": {"false_tips_per_township_day": 0.2},
        "investigation": {"p_substantiate_false": 1.0, "capacity_per_day": 50.0},
    }
    named = wrong = 0
    for seed in range(3):
        m = simulate(cfg, seed=seed, keep_model=True).model
        t = m.tips
        on_cand = (t.source == TipSource.FALSE) & (t.target_type == TipTarget.CANDIDATE)
        assert on_cand.sum() > 20
        assert not (m.cand_status[t.target[on_cand]] == CandidateStatus.RESERVE).any()
        named += int(on_cand.sum())
        # A false township tip found against someone (all of them here) removes a candidate who stood.
        wrong += int((m.cand_removed_by == "hotline").sum())
        assert not ((m.cand_removed_by != "") & (m.cand_status == CandidateStatus.RESERVE)).any()
    assert named > 0 and wrong > 0


def test_a_sanctioned_broker_implicates_only_clients_who_paid(small):
    from sim.model.enforcement import sanction_brokers

    cfg = {**small, "investigation": {"implicate_candidate": 1.0}}
    model = build_model(build_config(cfg, seed=4))
    hired = np.flatnonzero(model.contract_client >= 0)
    brokers = np.unique(model.world.contract_broker[hired])
    assert len(brokers) and not model.vote_buyers().any()  # the campaign opens: nobody has paid yet
    before = model.cand_status.copy()
    sanction_brokers(model, brokers[:3], "hotline")
    assert (model.cand_status == before).all()
    # Once clients pay, the same sanction implicates them, and only them.
    model = build_model(build_config(cfg, seed=4))
    for _ in range(3):
        model.step()
    before = model.cand_status.copy()
    sanction_brokers(model, brokers[:3], "hotline")
    hit = np.flatnonzero(model.cand_status != before)
    assert len(hit) and model.vote_buyers()[hit].all()
