"""Repeated terms, patronage, the slate and strategic brokers, under common random numbers."""

from __future__ import annotations

import numpy as np
import pytest

from sim import build_config, simulate
from sim.model.agents import CandidateStatus
from sim.model.streams import CORE_STREAMS
from sim.simulate import build_model
from tests.conftest import with_intervention

SEEDS = range(8)


def runs(cfg: dict, seeds=SEEDS) -> list[dict]:
    return [simulate(cfg, seed=s).summary for s in seeds]


def term_mean(summaries: list[dict], t: int, key: str) -> float:
    return float(np.mean([s[f"term{t}_{key}"] for s in summaries]))


def test_a_single_term_is_one_election(small):
    r = simulate(small, seed=1)
    assert r.summary["term"] == 1 and "terms" not in r.summary
    assert len(r.terms) == 1 and r.terms["term"].tolist() == [1]
    assert r.terms["bought_seat_rate_final"].item() == r.summary["bought_seat_rate_final"]


def test_three_terms_give_a_row_a_term_and_horizon_totals(small):
    r = simulate({**small, "schedule": {"terms": 3}}, seed=2)
    s, t = r.summary, r.terms
    assert s["terms"] == 3 and t["term"].tolist() == [1, 2, 3]
    assert s["seats_bought_final"] == t["seats_bought_final"].sum()
    assert s["bought_seat_rate_final"] == pytest.approx(t["bought_seat_rate_final"].mean())
    assert s["patronage_rents"] == pytest.approx(t["patronage_rents"].sum())
    assert s["posts_sold"] * build_config(small).patronage.post_price == pytest.approx(s["patronage_rents"])
    ts = r.timeseries
    assert len(ts) == 3 * (30 + 1 + 45) and ts["term"].tolist()[::76] == [0, 1, 2]
    assert (ts["phase"] == "congress").sum() == 3


def test_costs_are_booked_to_the_term_they_are_spent_in(small):
    cfg = with_intervention({**small, "schedule": {"terms": 2}}, "team_inspection", active_terms=1)
    r = simulate(cfg, seed=3)
    assert r.terms["cost_total"].iloc[0] > 0 and r.terms["cost_total"].iloc[1] == 0
    assert r.summary["cost_total"] == pytest.approx(r.terms["cost_total"].sum())


def test_core_streams_stay_in_lock_step_across_arms_term_by_term(small):
    def next_draws(cfg):
        model = build_model(build_config({**cfg, "schedule": {"terms": 2}}, seed=9))
        model.run()
        return {name: model.streams[name].random() for name in (*CORE_STREAMS, "terms")}

    base = next_draws(small)
    for name in ("team_inspection", "candidate_vetting", "pledges_talks"):
        assert next_draws(with_intervention(small, name)) == base, name


ISOLATED = {
    "terms": {
        "delegate_renewal": 1.0,
        "incumbent_renomination": 0.0,
        "belief_carryover": 0.0,
        "trust_carryover": 0.0,
        "broker_rebuild": 1.0,
        "broker_growth": 0.0,
    },
    "patronage": {"posts_per_patron": 0.0, "broker_to_slate": 0.0},
    "brokers": {"skim_step": 0.0},
}


def test_without_patronage_or_carry_over_each_term_repeats_the_first(small):
    # Everything that links elections switched off: a new congress, new candidates, brokers
    # restored, no memory of sanctions or of the hotline, no posts sold.  Term 2 is then a fresh
    # draw of the same election.
    out = runs({**small, "schedule": {"terms": 2}, **ISOLATED}, range(16))
    assert all(s["posts_sold"] == 0 and s["term2_patronage_candidate_share"] == 0.0 for s in out)
    for key in ("bribed_share", "buyers", "payer_seat_rate_final", "broker_ties_active", "brokers_at_work"):
        one, two = term_mean(out, 1, key), term_mean(out, 2, key)
        assert two == pytest.approx(one, rel=0.1), key
    # With the links on, patronage networks reach the next slate.
    linked = runs({**small, "schedule": {"terms": 2}}, range(4))
    assert np.mean([s["term2_patronage_candidate_share"] for s in linked]) > 0.05


def test_a_fresh_congress_has_as_many_prior_acceptors_as_the_first(small):
    cfg = build_config({**small, "schedule": {"terms": 2}, **ISOLATED}, seed=1)
    model = build_model(cfg)
    first = model.world.prior_acceptor.mean()
    while model.term == 0:
        model.step()
    assert model.world.prior_acceptor.mean() == pytest.approx(first, abs=0.03)
    assert model.world.prior_acceptor.mean() == pytest.approx(cfg.delegates.prior_acceptor_share, abs=0.03)


def test_every_summary_key_combines_over_terms_by_its_rule(small):
    from sim.model.metrics import combine_rule, per_term_costs

    r = simulate(with_intervention({**small, "schedule": {"terms": 3}}, "team_inspection"), seed=1, keep_model=True)
    rows = per_term_costs(r.model.term_summaries)
    s = r.summary
    for key, value in s.items():
        if key == "terms" or (key.startswith("term") and key[4:5].isdigit()) or key.startswith(("runtime", "time_")):
            continue
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            continue
        if key not in rows[0]:  # units_/cost_ of interventions not in the arm: 0
            assert value == 0, key
            continue
        values = [row[key] for row in rows]
        expected = {"last": values[-1], "mean": np.mean(values), "sum": np.sum(values)}[combine_rule(key)]
        assert value == pytest.approx(expected), key
    # The rules themselves, on the keys that matter.
    assert combine_rule("tips_closed") == "sum" and combine_rule("seats_changed_by_removals") == "sum"
    assert combine_rule("brokers_at_work") == "last" and combine_rule("term") == "last"
    assert combine_rule("bought_seat_rate_final") == "mean" and combine_rule("substantiation_rate_closed") == "mean"
    assert s["seats"] == 3 * rows[0]["seats"] and s["term"] == 3


def test_an_intervention_that_stopped_reports_zero_outcomes(small):
    cfg = with_intervention({**small, "schedule": {"terms": 2}}, "candidate_vetting", active_terms=1)
    r = simulate(cfg, seed=2, keep_model=True)
    first, second = r.model.term_summaries
    assert first["candidate_vetting_excluded"] > 0 and second["candidate_vetting_excluded"] == 0
    assert r.summary["candidate_vetting_excluded"] == first["candidate_vetting_excluded"]


def close_first_term(cfg: dict, seed: int = 1):
    """A model run to the last day of its first term, with the term's end not yet processed."""
    from sim.model import terms

    model = build_model(build_config({**cfg, "schedule": {"terms": 2}}, seed=seed))
    while model.day < model.term_days - 1:
        model.step()
    return model, terms


def test_patrons_recoup_what_is_left_and_part_of_their_rents(small):
    cfg = {
        **small,
        "terms": {"incumbent_renomination": 1.0},
        "patronage": {"posts_per_patron": 4.0, "recoup_share": 0.5},
    }
    model, terms = close_first_term(cfg)
    terms.serve_term(model)
    w, k = model.world, model.world.slots_per_township
    patron = terms.patrons(model)
    seated = model.cand_status == CandidateStatus.ELECTED
    # What brokers handed back unspent at the end of the campaign stays in the war chest.
    assert (model.cand_returned[seated] > 0).any()
    left = w.cand_budget - model.cand_spent + model.cand_returned
    expected = np.maximum(left, 0) + 0.5 * model.posts_sold * 20000.0
    standing = np.flatnonzero(seated)
    terms.prepare_next_term(model)
    # Incumbents take their township's first slots, in order.
    towns = standing // k
    rank = np.concatenate([np.arange(n) for n in np.bincount(towns)[np.unique(towns)]])
    slots = towns * k + rank
    assert patron.any()
    assert np.allclose(w.cand_budget[slots], expected[standing])


@pytest.mark.parametrize("role", ["appointee_candidate", "appointee_broker", "appointee_delegate"])
def test_appointees_take_the_role_drawn_in_their_patrons_township(small, role):
    roles = dict.fromkeys(("appointee_candidate", "appointee_broker", "appointee_delegate"), 0.0)
    roles[role] = 1.0
    cfg = {
        **small,
        "patronage": {"posts_per_patron": 3.0, "broker_to_slate": 0.0, **roles},
        "terms": {"delegate_renewal": 1.0},
        "delegates": {"prior_acceptor_share": 0.0},
    }
    model, terms = close_first_term(cfg)
    terms.serve_term(model)
    patron_towns = np.unique(model.world.cand_township[terms.patrons(model)])
    terms.prepare_next_term(model)
    got = model.inherited
    assert (got["appointees_on_slate"] > 0) == (role == "appointee_candidate")
    assert (got["patronage_brokers"] > 0) == (role == "appointee_broker")
    assert (got["patronage_delegates"] > 0) == (role == "appointee_delegate")
    if role == "appointee_delegate":  # the only prior acceptors of a fresh congress here
        appointed = np.flatnonzero(model.world.prior_acceptor)
        assert len(appointed) == got["patronage_delegates"]
        assert set(np.unique(model.world.township[appointed])) <= set(patron_towns)


def test_a_broker_put_on_the_slate_stops_brokering(small):
    model, terms = close_first_term({**small, "patronage": {"broker_to_slate": 1.0}})
    terms.serve_term(model)
    client = np.maximum(model.contract_client, 0)
    won = np.unique(model.world.contract_broker[(model.contract_client >= 0) & terms.patrons(model)[client]])
    active_before = model.broker_active[won].copy()
    terms.prepare_next_term(model)
    placed = model.inherited["brokers_on_slate"]
    assert active_before.any() and 0 < placed <= active_before.sum()
    # Those who got a place stopped brokering; those the slate had no room for go on.
    assert (~model.broker_active[won][active_before]).sum() == placed


def test_remembered_risk_after_a_crackdown_deters_buyers_next_term(small):
    crackdown = with_intervention(
        {**small, "schedule": {"terms": 2}}, "team_inspection", active_terms=1, n_teams=12, detect_per_tie_day=0.1
    )
    forget = runs({**crackdown, "terms": {"belief_carryover": 0.0}})
    remember = runs({**crackdown, "terms": {"belief_carryover": 1.0}})
    assert term_mean(remember, 1, "buyers") == term_mean(forget, 1, "buyers")
    assert term_mean(remember, 2, "buyers") < term_mean(forget, 2, "buyers")


def test_education_does_not_outlast_its_election(small):
    taught = with_intervention({**small, "schedule": {"terms": 2}}, "warning_education", active_terms=1)
    model = build_model(build_config(taught, seed=1))
    while model.term == 0:
        model.step()
    assert model.del_moral_extra.max() == 0.0 and model.del_edu_risk.max() == 0.0


def test_spending_never_exceeds_the_war_chest(small):
    for timing in (0.5, 0.9, 1.0):
        model = build_model(build_config({**small, "candidates": {"timing_competition": timing}}, seed=3))
        model.run()
        assert np.all(model.cand_spent <= model.world.cand_budget * (1 + 1e-9)), timing


def test_a_crackdown_in_term_one_lowers_buying_in_term_two(small):
    base = {**small, "schedule": {"terms": 2}}
    crackdown = with_intervention(base, "team_inspection", active_terms=1, n_teams=12, detect_per_tie_day=0.1)
    off, on = runs(base), runs(crackdown)
    assert term_mean(on, 1, "bribed_share") < term_mean(off, 1, "bribed_share")
    # Inspection is gone in term 2; sanctioned brokers (not all rebuilt), remembered risk and
    # fewer patrons leave less buying.
    assert term_mean(on, 2, "brokers_at_work") < term_mean(off, 2, "brokers_at_work")
    assert term_mean(on, 2, "bribed_share") < term_mean(off, 2, "bribed_share")


def test_brokers_lying_low_reduce_inspection_finds(small):
    inspected = with_intervention(small, "team_inspection", n_teams=6)
    bold = runs(inspected)
    low = runs({**inspected, "brokers": {"lie_low": 0.9}})
    found = lambda rs: sum(s["vote_buying_found_by_inspection"] for s in rs)  # noqa: E731
    assert found(bold) > 0 and found(low) < found(bold)


def test_brokers_targeting_swing_delegates_buy_fewer_loyalists(small):
    cfg = {**small, "delegates": {"lean_share": 0.6, "lean_strength": 2.0}}

    def loyal_share(target: float) -> float:
        shares = []
        for seed in range(4):
            model = build_model(build_config({**cfg, "brokers": {"target_swing": target}}, seed=seed))
            model.run()
            w = model.world
            bought = np.flatnonzero(model.tie_state >= 2)  # accepted or voided: bribes paid
            local = model.contract_client[w.tie_contract[bought]] % w.slots_per_township
            shares.append(np.mean(model.del_lean[w.tie_delegate[bought]] == local))
        return float(np.mean(shares))

    assert loyal_share(3.0) < loyal_share(0.0) < loyal_share(-3.0)


def test_a_reserve_candidate_fills_a_vetting_exclusion(small):
    cfg = with_intervention(
        {**small, "world": {**small["world"], "reserves_per_township": 2}}, "candidate_vetting", false_alarm_rate=0.3
    )
    model = build_model(build_config(cfg, seed=4))
    k_slots, k = model.world.slots_per_township, 5
    assert k_slots == 7 and model.counters["reserves_nominated"] > 0
    status = model.cand_status.reshape(-1, k_slots)
    nominated = (status == CandidateStatus.NOMINATED).sum(axis=1)
    excluded = (status[:, :k] == CandidateStatus.EXCLUDED).sum(axis=1)
    reserves_left = (status[:, k:] != CandidateStatus.EXCLUDED).sum(axis=1)  # reserves are vetted too
    # Each exclusion is filled while reserves last.
    assert np.array_equal(nominated, k - excluded + np.minimum(excluded, reserves_left))
    assert (excluded > 0).any()
    # The clean congress still runs on the initial slate, reserves not on it.
    assert not model.initial_slate.reshape(-1, k_slots)[:, k:].any()


def test_competition_raises_prices_and_front_loads_spending(small):
    plain = build_model(build_config(small, seed=5))
    keen = build_model(
        build_config({**small, "candidates": {"price_competition": 1.0, "timing_competition": 0.5}}, seed=5)
    )
    buyers = plain.cand_buyer
    assert np.array_equal(buyers, keen.cand_buyer)
    capped = keen.cand_price >= build_config(small).candidates.max_bribe
    assert np.all(keen.cand_price[buyers & ~capped] >= plain.cand_price[buyers & ~capped])
    assert np.any(keen.cand_funding_days[buyers] < 30.0)


# ------------------------------------------------------------------ the report's terms section
def synthetic_terms(effect_term2: float, seed: int, n: int = 10):
    """Runs of a baseline and a first-term-only arm over 3 terms, with a planted term-2 effect."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n):
        level = rng.normal(0.1, 0.03, 3)  # seed-level variation shared by both arms
        for arm, limit in (("none", 0), ("crackdown", 1)):
            row = {"arm": arm, "seed": s, "in.interventions.team_inspection.enabled": arm != "none"}
            row["in.interventions.team_inspection.active_terms"] = limit
            for t in (1, 2, 3):
                shift = {1: -0.05, 2: effect_term2, 3: 0.0}[t] if arm == "crackdown" else 0.0
                row[f"term{t}_bought_seat_rate_final"] = level[t - 1] + shift + rng.normal(0, 0.01)
                row[f"term{t}_patronage_rents"] = 1e5 + rng.normal(0, 1e4)
            rows.append(row)
    return pd.DataFrame(rows)


def test_the_report_says_an_effect_outlives_a_crackdown_only_when_it_does():
    from sim.report.terms import outlives_sentences
    from sim.stats.terms import term_effects

    lasting = synthetic_terms(-0.03, seed=1)
    text = outlives_sentences(term_effects(lasting, "none"), lasting, {})
    assert len(text) == 1 and "outlives it: in term 2" in text[0]
    # Pure noise after the crackdown: no such claim in at least 95% of seeded trials.
    claims = 0
    for seed in range(100):
        noise = synthetic_terms(0.0, seed=seed)
        text = outlives_sentences(term_effects(noise, "none"), noise, {})
        claims += any("outlives" in line for line in text)
    assert claims <= 5  # the later terms are tested together (Bonferroni): at most 5% false claims


def test_a_later_term_difference_the_same_on_few_seeds_is_not_distinguishable():
    # Every seed one seat apart in every term: no spread, and nothing in it bounds the mean but the range.
    from sim.stats.terms import term_effects

    def flat(n: int):
        runs = synthetic_terms(0.0, seed=2, n=n)
        for t in (1, 2, 3):
            col = f"term{t}_bought_seat_rate_final"
            base = runs.loc[runs.arm == "none", col].to_numpy()
            runs.loc[runs.arm == "crackdown", col] = base - 1 / 36
        return term_effects(runs, "none").query("arm == 'crackdown' and outcome == 'bought_seat_rate_final'")

    # One seat fewer on every seed bounds only the share of seeds that could differ: the mean's
    # interval is wide and holds zero, never [x, x], at 2 seeds as at 10.
    for n in (2, 10):
        effects = flat(n)
        assert not effects.distinguishable.any() and (effects.p_value > 0.5).all()
        assert ((effects.ci_low < -1 / 36) & (effects.ci_high > 0)).all()


def test_one_replicate_leaves_whether_an_effect_lasts_untested():
    from sim.report.terms import outlives_sentences
    from sim.stats.terms import term_effects

    one = synthetic_terms(0.0, seed=3, n=1)
    text = outlives_sentences(term_effects(one, "none"), one, {})
    assert len(text) == 1 and "not tested" in text[0] and "one replicate" in text[0]
    assert "not distinguishable" not in text[0]  # absence of evidence is not claimed from one replicate
    ten = synthetic_terms(0.0, seed=3, n=10)
    text = outlives_sentences(term_effects(ten, "none"), ten, {})
    assert "not distinguishable from no intervention" in text[0] and "not tested" not in text[0]


def test_candidates_carried_to_the_next_election_stand_and_leave_the_reserves_fresh(small):
    # Patrons sell many posts and every appointee wants to stand: more are carried to some
    # townships than the ballot holds.  Those carried stand; the reserve slots stay fresh nominees.
    cfg = {
        **small,
        "terms": {"incumbent_renomination": 1.0},
        "patronage": {"posts_per_patron": 6.0, "appointee_candidate": 1.0, "appointee_broker": 0.0},
    }
    model, _ = close_first_term(cfg)
    model.step()  # the term closes: winners serve, the next slate is drawn, the campaign opens
    k, n_ballot = model.world.slots_per_township, model.cfg.world.candidates_per_township
    carried = np.flatnonzero(model.cand_patronage)
    per_town = np.bincount(carried // k, minlength=model.world.n_townships)
    assert per_town.max() == n_ballot  # the case: a ballot filled by those carried
    assert (carried % k < n_ballot).all()
    assert not (model.cand_status[carried] == CandidateStatus.RESERVE).any()
    assert model.inherited["appointees_on_slate"] + model.inherited["incumbents_standing"] >= len(carried)
