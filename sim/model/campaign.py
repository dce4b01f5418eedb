"""The campaign's buying side: who buys, which brokers they hire, the daily offers and decisions.

All rules run as array operations over every candidate, broker, tie or delegate at once.  Each
function draws a fixed number of variates from its stream every day (one per tie, one per
candidate), whatever the state, so that two arms run with the same seed consume their streams in
lock-step (common random numbers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import expit

from sim.model.agents import CandidateStatus, DelegateState, TieState

if TYPE_CHECKING:
    from sim.model.election import ElectionModel


def buy_utility(model: ElectionModel) -> np.ndarray:
    """Each candidate's logit of buying votes if no rival bought, given what it perceives now.

    Ambition, prior taint, integrity, perceived risk x sanction and commitment (talks).
    """
    w, c = model.world, model.cfg.candidates
    return (
        c.buy_intercept
        + c.ambition_weight * w.cand_ambition
        + c.tainted_weight * w.cand_tainted
        - c.integrity_weight * w.cand_integrity
        - c.risk_weight * model.candidate_perceived_risk() * c.sanction
        - model.cand_commitment
    )


def buy_propensity(model: ElectionModel) -> np.ndarray:
    """Each candidate's probability of buying votes if no rival bought (what a screen could see)."""
    return expit(buy_utility(model))


def buying_decision(model: ElectionModel) -> np.ndarray:
    """Which nominated candidates would buy votes, as things stand now (each with its own draw).

    An arms race: the more rivals on one's ballot buy, the more one must.  Iterated best responses
    from "nobody else buys" converge (monotonically) to the lowest equilibrium.
    """
    w, c = model.world, model.cfg.candidates
    u_buy = model.cand_u_buy
    nominated = model.cand_status == CandidateStatus.NOMINATED
    k = model.world.slots_per_township
    base = buy_utility(model)
    rivals_on_ballot = np.maximum(nominated.reshape(-1, k).sum(axis=1) - 1, 1)[w.cand_township]
    buyer = nominated & (u_buy < expit(base))
    for _ in range(k + 1):
        rivals_buying = buyer.reshape(-1, k).sum(axis=1)[w.cand_township] - buyer
        updated = nominated & (u_buy < expit(base + c.rival_weight * rivals_buying / rivals_on_ballot))
        if np.array_equal(updated, buyer):
            break
        buyer = updated
    return buyer


def decide_buyers(model: ElectionModel) -> None:
    """Each nominated candidate decides once, at the start of the campaign, whether to buy votes.

    Sets ``cand_buyer``, the price per vote, how fast the war chest is spent and the risk each
    buyer tolerates before quitting.  Competition on the ballot raises the price
    (``price_competition``) and makes buyers spend earlier (``timing_competition``): with every
    rival buying, a buyer pays ``1 + price_competition`` times the price and spends its war chest
    in ``1 - timing_competition`` of the campaign.
    """
    w, c = model.world, model.cfg.candidates
    k = w.slots_per_township
    model.cand_buyer = buyer = buying_decision(model)
    nominated = model.cand_status == CandidateStatus.NOMINATED
    rivals = np.maximum(nominated.reshape(-1, k).sum(axis=1) - 1, 1)[w.cand_township]
    rivals_buying = (buyer.reshape(-1, k).sum(axis=1)[w.cand_township] - buyer) / rivals
    congress = w.town_size[w.cand_township].astype(float)
    price = w.cand_budget / (c.vote_target_share * congress) * (1.0 + c.price_competition * rivals_buying)
    model.cand_price = np.minimum(price, c.max_bribe)
    days = float(model.cfg.schedule.campaign_days)
    # Whole days, so that the daily payments add up to the war chest exactly.
    model.cand_funding_days = np.maximum(np.round(days * (1.0 - c.timing_competition * rivals_buying)), 1.0)
    model.cand_quit_at = c.quit_risk_tolerance * (0.5 + model.cand_u_quit)


def assign_brokers(model: ElectionModel) -> None:
    """Each contract (a broker working one township) goes to a buyer of that township.

    The buyer is chosen with odds proportional to war chest; a contract in a township without a
    buyer stays idle.  A broker may thus work for a client at home and for others elsewhere in its
    county.
    """
    w = model.world
    u = model.streams.candidates.random(w.n_contracts)
    k = model.world.slots_per_township
    budget = np.where(model.cand_buyer, w.cand_budget, 0.0).reshape(w.n_townships, k)
    total = budget.sum(axis=1)
    cum = np.cumsum(budget, axis=1)
    t = w.contract_town
    local = (cum[t] <= (u * total[t])[:, None]).sum(axis=1)
    local = np.minimum(local, k - 1)
    model.contract_client = np.where((total[t] > 0) & model.contract_active, t * k + local, -1)


def contract_live(model: ElectionModel) -> np.ndarray:
    """Contracts whose broker is active and whose client is a buyer still on the ballot."""
    w = model.world
    client = model.contract_client
    safe = np.maximum(client, 0)
    return (
        (client >= 0)
        & model.contract_active
        & model.broker_active[w.contract_broker]
        & (model.cand_status[safe] == CandidateStatus.NOMINATED)
    )


def fund_brokers(model: ElectionModel) -> None:
    """Buyers still campaigning hand a day's share of their war chest to their live contracts.

    The money is held for bribes; a broker earns its commission on each bribe it pays
    (:func:`settle_acceptances`) and hands back what it could not place at the end of the campaign
    (:func:`return_unspent_funds`).  A buyer whose perceived risk has risen above its tolerance
    stops funding (deterrence acting on candidates).
    """
    w = model.world
    client = np.maximum(model.contract_client, 0)
    funding = model.buyers_funding() & (model.day < model.cand_funding_days)
    working = contract_live(model) & funding[client]
    n_contracts = np.bincount(client[working], minlength=w.n_candidates)
    daily = np.where(n_contracts > 0, w.cand_budget / model.cand_funding_days, 0.0)
    share = np.where(working, daily[client] / np.maximum(n_contracts[client], 1), 0.0)
    model.cand_spent += daily
    model.contract_funds += share


def return_unspent_funds(model: ElectionModel) -> None:
    """At the end of the campaign brokers hand back to their clients the money they could not place.

    Brokers are paid by results: a commission on the bribes they pay, not on the money they hold
    (Stokes et al. 2013, ch. 3: brokers are imperfectly monitored agents whom candidates judge by
    the votes they deliver; Szwarcberg 2015: by the turnout they show; the recorded township deals
    were priced per deputy, e.g. Xiushui 2002, 50 yuan a deputy).  A sanctioned broker's funds are
    seized with it.  What comes
    back stays in the candidate's war chest, and so reaches the next election when
    ``schedule.terms`` > 1 (:func:`sim.model.terms.nominate_next_slate`).
    """
    w = model.world
    funds = model.contract_funds
    held = (model.contract_client >= 0) & (funds > 0)
    back = held & model.broker_active[w.contract_broker]
    model.cand_returned += np.bincount(model.contract_client[back], weights=funds[back], minlength=w.n_candidates)
    seized = held & ~back
    model.count("money_returned", model.count_items("contract", np.flatnonzero(back), funds[back]))
    model.count("money_seized", model.count_items("contract", np.flatnonzero(seized), funds[seized]))
    model.contract_funds = np.zeros(w.n_contracts)


def peer_bought_share(model: ElectionModel) -> np.ndarray:
    """Share of each delegate's peers who currently hold a bribe (sparse mat-vec).

    Recomputed only when someone's state changed since the last call (after the vote, rarely).
    """
    w = model.world
    bought = model.del_state == DelegateState.BOUGHT
    cached = model._peer_share_cache
    if cached is not None and np.array_equal(cached[0], bought):
        return cached[1]
    share = (w.peers @ bought.astype(np.float64)) / np.maximum(w.peer_count, 1.0)
    model._peer_share_cache = (bought, share)
    return share


def make_offers(model: ElectionModel, peer_share: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Brokers approach delegates along their ties; delegates accept or refuse by a logit choice.

    A broker makes up to ``approaches_per_day`` offers it can pay for, to untried ties, favouring
    reciprocal delegates and those known to have taken money before (:func:`choose_approaches`);
    a delegate approached refuses a bribe below its reservation price (drawn once per run,
    :func:`sim.model.world.reservation_prices`) and otherwise says yes with the probability of
    :func:`acceptance_utility`.  A
    delegate may take one bribe from each candidate (it sells one mark to each); of two offers for
    the same candidate the same day it takes the larger.  A broker cannot pay out more than it
    holds (:func:`payable_yeses`).

    Returns:
        ``(refused, paid)``: indices into the tie arrays of the offers refused, and of those
        accepted and paid.  An accepted offer the contract cannot pay stays untried.
    """
    w = model.world
    n_ties = len(w.tie_broker)
    u_offer = model.streams.offers.random(n_ties)
    u_decide = model.streams.decisions.random(n_ties)
    if n_ties == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    open_ties, picked = choose_approaches(model, u_offer)
    approached = open_ties[picked]
    model.count("offers", model.count_items("tie", approached))
    if len(approached) == 0:
        return approached, approached
    ct = w.tie_contract[open_ties]
    offer = model.contract_offer()[ct]
    delegates, bribe = w.tie_delegate[approached], offer[picked]
    utility = acceptance_utility(model, delegates, bribe, peer_share)
    # Below its own reservation price a delegate refuses whatever else it weighs: no money, no vote.
    said = (bribe >= w.reservation_price[delegates]) & (u_decide[approached] < expit(utility))
    said_yes = approached[said]
    model.count("offers_accepted", model.count_items("tie", said_yes))
    yes = open_ties[payable_yeses(model, open_ties, picked[said])]
    # A yes that was not paid (the contract ran out of cash, or the same candidate's other broker
    # paid more) is no refusal: the tie stays untried and the delegate has nothing to report.
    model.count("offers_unpaid", model.count_items("tie", said_yes) - model.count_items("tie", yes))
    refused = np.setdiff1d(approached, said_yes, assume_unique=True)
    model.tie_state[refused] = TieState.REFUSED
    model.tie_state[yes] = TieState.ACCEPTED
    return refused, yes


def choose_approaches(model: ElectionModel, u_offer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which ties brokers approach today.

    The rules run on the ties that could carry an offer at all (untried, in use, of a live
    contract); the draws are made for every tie, so arms stay in lock-step.  A broker's daily
    approaches are shared among its contracts by eligible weight, and a contract makes no more
    offers than its funds can pay for.

    Returns:
        ``(open_ties, picked)``: the tie indices that could carry an offer, and the positions in
        ``open_ties`` approached (ascending).
    """
    w, cfg = model.world, model.cfg
    open_ties = np.flatnonzero(
        model.tie_active & (model.tie_state == TieState.UNTRIED) & contract_live(model)[w.tie_contract]
    )
    d, ct = w.tie_delegate[open_ties], w.tie_contract[open_ties]
    c_price = model.contract_price()
    offer = model.contract_offer()[ct]
    local = np.maximum(model.contract_client[ct], 0) % w.slots_per_township
    # A delegate can sell a mark to several candidates (one bribe from each), but not twice to
    # the same one; one whose bribes were voided is known to investigators and left alone.
    holds_this = model.del_held[d, local]
    eligible = (
        (model.del_state[d] != DelegateState.EXPOSED)
        & model.del_present[d]  # a sanctioned delegate has lost its seat: nothing to sell
        & ~holds_this
        & (offer > 0)
    )
    weight = (0.5 + w.reciprocity[d]) * np.where(w.prior_acceptor[d], cfg.delegates.prior_acceptor_weight, 1.0)
    # Strategic brokers: favour delegates not already leaning to the client (or loyalists, with a
    # negative weight), and hold back while an inspection team is in the delegate's township;
    # what they hold back goes to their contracts elsewhere (approaches are shared by weight).
    br = cfg.brokers
    if br.target_swing:
        weight = weight * np.exp(br.target_swing * (model.del_lean[d] != local))
    if br.lie_low:
        weight = weight * np.where(model.town_team_present[w.township[d]], 1.0 - br.lie_low, 1.0)
    weight = np.where(eligible, weight, 0.0)
    w_contract = np.bincount(ct, weights=weight, minlength=w.n_contracts)
    w_broker = np.bincount(w.contract_broker, weights=w_contract, minlength=w.n_brokers)
    affordable = np.floor(model.contract_funds / np.where(c_price > 0, c_price, np.inf))
    quota = np.minimum(
        cfg.brokers.approaches_per_day * w_contract / np.maximum(w_broker[w.contract_broker], 1e-12), affordable
    )
    p_approach = np.minimum(1.0, quota[ct] * weight / np.maximum(w_contract[ct], 1e-12))
    picked = np.flatnonzero(eligible & (u_offer[open_ties] < p_approach))
    return open_ties, picked


def acceptance_utility(
    model: ElectionModel, delegates: np.ndarray, bribe: np.ndarray, peer_share: np.ndarray
) -> np.ndarray:
    """The acceptance logit of each approached delegate for the bribe offered.

    ``a0 + b_money log(1 + bribe / reference) + b_recip reciprocity + b_norm peer_share
    - (integrity + extra moral cost + pledge(bribe)) - b_risk risk_aversion belief sanction``.
    """
    w, dc = model.world, model.cfg.delegates
    pledge = model.del_pledge[delegates] * np.exp(-bribe / model.pledge_bribe_scale)
    moral = w.integrity[delegates] + model.del_moral_extra[delegates] + pledge
    risk = model.perceived_risk()[delegates]
    return (
        dc.accept_intercept
        + dc.money_weight * np.log1p(bribe / dc.bribe_reference)
        + dc.reciprocity_weight * w.reciprocity[delegates]
        + dc.norm_weight * peer_share[delegates]
        - moral
        - dc.risk_weight * w.risk_aversion[delegates] * risk * dc.sanction
    )


def payable_yeses(model: ElectionModel, open_ties: np.ndarray, yes: np.ndarray) -> np.ndarray:
    """The yeses that are paid: one bribe per delegate and candidate, within the contract's funds.

    Args:
        model: The model.
        open_ties: Tie indices that could carry an offer today.
        yes: Positions in ``open_ties`` of the delegates who said yes (ascending).

    Returns:
        Positions in ``open_ties`` of the yeses paid (ascending).
    """
    if len(yes) == 0:
        return yes
    w = model.world
    d, ct = w.tie_delegate[open_ties], w.tie_contract[open_ties]
    offer, price = model.contract_offer()[ct], model.contract_price()[ct]
    local = np.maximum(model.contract_client[ct], 0) % w.slots_per_township
    # Of two offers for the same candidate, the larger.
    key = d[yes] * w.slots_per_township + local[yes]
    order = np.lexsort((-offer[yes], key))
    yes, key = yes[order], key[order]
    first = np.concatenate([[True], key[1:] != key[:-1]])
    yes = np.sort(yes[first])
    # A contract pays out at most what it holds, bribe and commission (ties are grouped by contract).
    yc = ct[yes]
    # Running totals restart with each run of a batch (contracts of different runs never share a
    # group); the value at the group's first tie is carried by index, which equals the running
    # maximum because the totals never decrease.
    paid = model.running_sum(price[yes], "tie", open_ties[yes])
    group_start = np.concatenate([[True], yc[1:] != yc[:-1]])
    first_of_group = np.maximum.accumulate(np.where(group_start, np.arange(len(yes)), 0))
    before_group = (paid - price[yes])[first_of_group]
    return yes[paid - before_group <= model.contract_funds[yc] + 1e-9]


def settle_acceptances(model: ElectionModel, accepted: np.ndarray) -> None:
    """Pay the accepted bribes (the broker keeps its commission on each) and record who holds whose money."""
    w = model.world
    b, d, ct = w.tie_broker[accepted], w.tie_delegate[accepted], w.tie_contract[accepted]
    bribe, price = model.contract_offer()[ct], model.contract_price()[ct]
    model.contract_funds -= np.bincount(ct, weights=price, minlength=w.n_contracts)
    model.contract_cut += np.bincount(ct, weights=price - bribe, minlength=w.n_contracts)
    model.broker_bought += np.bincount(b, minlength=w.n_brokers)
    np.add.at(model.del_money, d, bribe)  # a delegate may take several bribes the same day
    model.del_state[d] = DelegateState.BOUGHT
    local = model.contract_client[ct] % w.slots_per_township
    model.del_held[d, local] = True
    model.del_ever_bought[d] = True


def record_refusals(model: ElectionModel, refused: np.ndarray) -> None:
    """Mark delegates who refused an offer today and hold no bribe."""
    d = model.world.tie_delegate[refused]
    untouched = model.del_state[d] == DelegateState.UNTOUCHED
    model.del_state[d[untouched]] = DelegateState.REFUSED
