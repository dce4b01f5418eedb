"""Money matters: no money buys no vote, acceptance rises with the bribe, and the money is accounted for."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from sim import build_config, simulate
from sim.model.agents import TieState
from sim.simulate import build_model
from tests.conftest import with_intervention

SEEDS = range(4)


def test_one_yuan_budgets_buy_no_seat(small):
    # War chests of about one yuan: every offer is a fraction of a yuan, below every delegate's
    # reservation price.  Candidates still intend to buy and brokers still make offers.
    poor = {**small, "candidates": {"budget_mean": 1.0}}
    for seed in SEEDS:
        s = simulate(poor, seed=seed).summary
        assert s["offers"] > 0 and s["buyers"] > 0
        assert s["offers_accepted"] == 0 and s["bribes_paid"] == 0
        assert s["seats_bought"] == s["seats_bought_final"] == s["seats_captured_final"] == 0


def test_acceptance_goes_to_zero_with_the_bribe_and_never_falls_as_it_rises(small):
    # The price per vote is capped at max_bribe, which binds below the budgeted ~300 yuan a vote.
    rates = []
    for cap in (1.0, 20.0, 60.0, 150.0, 400.0):
        runs = [simulate({**small, "candidates": {"max_bribe": cap}}, seed=s).summary for s in SEEDS]
        rates.append(sum(r["offers_accepted"] for r in runs) / sum(r["offers"] for r in runs))
    assert rates[0] == 0.0
    assert all(b >= a for a, b in itertools.pairwise(rates)), rates
    assert rates[-1] > rates[1] + 0.2


def test_a_delegate_never_takes_a_bribe_below_its_reservation_price(small):
    model = build_model(build_config(small, seed=2))
    w = model.world
    w.reservation_price[::2] = np.inf  # every other delegate: no price is enough
    model.run()
    accepted = np.isin(model.tie_state, (TieState.ACCEPTED, TieState.VOIDED))
    assert accepted.any()
    assert not np.isin(w.tie_delegate[accepted], np.arange(0, w.n_delegates, 2)).any()


def test_reservation_prices_are_one_draw_shared_by_every_arm_and_scaled_by_their_median(small):
    a = build_model(build_config(small, seed=5))
    b = build_model(build_config(with_intervention(small, "warning_education"), seed=5))
    c = build_model(build_config({**small, "delegates": {"reservation_price": 300.0}}, seed=5))
    assert np.array_equal(a.world.reservation_price, b.world.reservation_price)
    # Drawn last: the median moves every price in proportion and leaves the rest of the province alone.
    assert np.allclose(c.world.reservation_price, 3.0 * a.world.reservation_price)
    for name in ("integrity", "cand_budget", "tie_delegate", "broker_kind"):
        assert np.array_equal(getattr(a.world, name), getattr(c.world, name)), name
    # Median 100 yuan, 90% within about 30-300 yuan (the recorded township prices).
    low, mid, high = np.quantile(a.world.reservation_price, [0.05, 0.5, 0.95])
    assert 25 < low < 40 and 85 < mid < 115 and 250 < high < 400


def test_brokers_earn_a_commission_on_bribes_paid_and_hand_back_the_rest(small):
    model = build_model(build_config(small, seed=1))
    model.run()
    w = model.world
    assert model.contract_funds.sum() == 0.0  # nothing left with brokers after the campaign
    # Each contract's commission is its cut of the price of the bribes it paid, no more.
    paid = np.isin(model.tie_state, (TieState.ACCEPTED, TieState.VOIDED))
    offer = model.contract_offer()
    bribes = np.bincount(w.tie_contract[paid], weights=offer[w.tie_contract[paid]], minlength=w.n_contracts)
    cut = model.broker_cut[w.contract_broker]
    assert np.allclose(model.contract_cut, bribes * cut / (1.0 - cut))
    s = simulate(small, seed=1).summary
    assert s["money_returned"] > 0
    assert s["money_handed"] == pytest.approx(s["money_returned"] + s["money_spent"])
    assert s["money_spent"] == pytest.approx(s["broker_cut"] + s["bribe_money"] + s["money_seized"])
    assert s["broker_cut"] < s["bribe_money"]  # a commission, not most of the money


def test_prices_per_vote_and_per_seat_divide_what_was_spent(small):
    s = simulate(small, seed=3).summary
    assert s["yuan_per_bribe"] == pytest.approx(s["bribe_money"] / s["bribes_paid"])
    assert s["yuan_per_delivered_vote"] == pytest.approx(s["money_spent"] / s["bought_votes_delivered"])
    assert s["yuan_per_bought_seat"] == pytest.approx(s["money_spent"] / s["seats_bought_final"])
    # The record's township prices: 50-500 yuan a vote (Xiushui 2002, Feitian 2006, Qidong 2007).
    assert 50 <= s["yuan_per_bribe"] <= 500
    assert s["yuan_per_bribe"] < s["yuan_per_delivered_vote"] <= 2000
    none = simulate({**small, "candidates": {"budget_mean": 1.0}}, seed=3).summary
    assert none["yuan_per_delivered_vote"] == none["yuan_per_bought_seat"] == 0.0  # nothing to divide by
