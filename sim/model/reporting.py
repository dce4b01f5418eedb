"""Who reports to the hotline: refusers, peers of bought delegates, losing rivals, and false tips.

A tip's ``evidence`` draw is made when it is filed, so its fate at investigation does not depend
on how many other tips happen to be in the queue (common random numbers across arms).  Each
reporter draws one uniform ``u`` a day; it reports if ``u < p``, and then ``u / p`` is itself a
uniform draw independent of that decision, which serves as the tip's evidence draw.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.agents import CandidateStatus, DelegateState
from sim.model.streams import uniforms
from sim.model.tips import TipSource, TipTarget

if TYPE_CHECKING:
    from sim.model.election import ElectionModel


def buying_by_candidate(model: ElectionModel) -> np.ndarray:
    """Delegates currently holding each candidate's bribe through an active broker."""
    w = model.world
    live = model.live_bribes()
    return np.bincount(model.contract_client[w.tie_contract[live]], minlength=w.n_candidates)


def top_buyer_per_township(model: ElectionModel) -> tuple[np.ndarray, np.ndarray]:
    """For each township, the candidate holding most bribed votes and how many it holds."""
    k = model.world.slots_per_township
    held = buying_by_candidate(model).reshape(-1, k)
    local = held.argmax(axis=1)
    return np.arange(held.shape[0]) * k + local, held.max(axis=1)


def nth_standing_candidate(model: ElectionModel, towns: np.ndarray, u: np.ndarray) -> np.ndarray:
    """For each township in ``towns``, the candidate who stood there picked by the uniform draw ``u``.

    A candidate *stood* when it was put on the ballot (standing, elected, defeated, or removed
    since); reserves who were never nominated are not candidates, so nobody names them.  The draw
    is one per tip whatever the state, so the same tip names the same slot of the standing list in
    every arm (common random numbers).
    """
    k = model.world.slots_per_township
    reserve = (model.cand_status == CandidateStatus.RESERVE).reshape(-1, k)
    slots = np.argsort(reserve, axis=1, kind="stable")  # the slots who stood first, in slot order
    n_stood = k - reserve.sum(axis=1)
    pick = np.minimum((u * n_stood[towns]).astype(np.int64), np.maximum(n_stood[towns] - 1, 0))
    return towns * k + slots[towns, pick]


def file_tips(model: ElectionModel, refused_ties: np.ndarray, peer_share: np.ndarray, campaign: bool) -> None:
    """File the day's tips.

    Args:
        model: The election model.
        refused_ties: Ties whose offer was refused today.
        peer_share: Share of each delegate's peers holding a bribe.
        campaign: True before congress day (rivals report what they see during the campaign).
    """
    w, r = model.world, model.cfg.reporting
    rng = model.streams.reporting
    day = model.day
    tips = model.tips
    n_del, n_cand, n_town = w.n_delegates, w.n_candidates, w.n_townships

    # False and malicious tips: their number never depends on the state of the run.
    n_false = rng.poisson(r.false_tips_per_township_day, n_town)
    towns = np.repeat(np.arange(n_town), n_false)
    # Then fixed-size draws for the state-dependent reporters: refusers, peers, rivals.
    u_target, u_pick, ev_false, u_ref, u_peer, u_rival = uniforms(
        rng,
        ("false_tip", len(towns)),
        ("false_tip", len(towns)),
        ("false_tip", len(towns)),
        ("delegate", n_del),
        ("delegate", n_del),
        ("candidate", n_cand),
    )

    top_buyer, top_held = top_buyer_per_township(model)
    town_buying = top_held > 0
    names_candidate = u_target < 0.5
    cand = nth_standing_candidate(model, towns, u_pick)
    ct = towns[names_candidate]
    tips.add(
        day,
        TipSource.FALSE,
        TipTarget.CANDIDATE,
        cand[names_candidate],
        ct,
        w.town_county[ct],
        model.vote_buyers()[cand[names_candidate]],  # true only if the named candidate paid
        ev_false[names_candidate],
    )
    tv = towns[~names_candidate]
    tips.add(
        day, TipSource.FALSE, TipTarget.TOWNSHIP, tv, tv, w.town_county[tv], town_buying[tv], ev_false[~names_candidate]
    )

    trust = model.trust[w.delegate_county]
    willing = trust * (1.0 - w.retaliation_fear)

    # Refusers name the broker who approached them.
    d_ref, first = np.unique(w.tie_delegate[refused_ties], return_index=True)
    b_ref = w.tie_broker[refused_ties][first]
    clean_hands = model.del_state[d_ref] != DelegateState.BOUGHT  # one who took money keeps quiet
    d_ref, b_ref = d_ref[clean_hands], b_ref[clean_hands]
    p_ref = w.report_propensity[d_ref] * willing[d_ref] * r.refuser_scale
    rep = u_ref[d_ref] < p_ref
    d_rep = d_ref[rep]
    tips.add(
        day,
        TipSource.REFUSER,
        TipTarget.BROKER,
        b_ref[rep],
        w.township[d_rep],
        w.delegate_county[d_rep],
        np.ones(len(d_rep), dtype=bool),
        u_ref[d_rep] / p_ref[rep],
        d_rep,
    )

    # Peers who see bribes around them report the township.
    clean = model.del_state != DelegateState.BOUGHT
    p_peer = np.minimum(1.0, r.peer_scale * peer_share * willing)
    d_peer = np.flatnonzero(clean & (u_peer < p_peer))
    tp = w.township[d_peer]
    ev_peer = u_peer[d_peer] / p_peer[d_peer]
    tips.add(day, TipSource.PEER, TipTarget.TOWNSHIP, tp, tp, w.town_county[tp], town_buying[tp], ev_peer, d_peer)

    # Rivals who are not buying report the township's biggest buyer.
    if campaign:
        t_c = w.cand_township
        rival = (model.cand_status == CandidateStatus.NOMINATED) & ~model.vote_buyers() & town_buying[t_c]
        p_rival = r.rival_campaign * model.trust[w.town_county[t_c]]
        c_rep = np.flatnonzero(rival & (u_rival < p_rival))
        tr = t_c[c_rep]
        tips.add(
            day,
            TipSource.RIVAL,
            TipTarget.CANDIDATE,
            top_buyer[tr],
            tr,
            w.town_county[tr],
            np.ones(len(c_rep), dtype=bool),
            u_rival[c_rep] / p_rival[c_rep],
        )


def rivals_report_winners(model: ElectionModel) -> None:
    """After the vote, defeated candidates report a winner who bought votes in their township."""
    w, r = model.world, model.cfg.reporting
    rng = model.streams.reporting
    u = rng.random(w.n_candidates)
    k = model.world.slots_per_township
    paid = model.vote_buyers()  # intent alone is invisible to rivals; payment through brokers is not
    won_bought = (model.cand_status == CandidateStatus.ELECTED) & paid
    # the buying winner with most votes in each township
    score = np.where(won_bought, model.votes + 1, 0).reshape(-1, k)
    target = np.arange(score.shape[0]) * k + score.argmax(axis=1)
    has_target = score.max(axis=1) > 0
    t_c = w.cand_township
    reporter = (model.cand_status == CandidateStatus.DEFEATED) & ~paid & has_target[t_c]
    c_rep = np.flatnonzero(reporter & (u < r.rival_after_vote))
    tr = t_c[c_rep]
    model.tips.add(
        model.day,
        TipSource.RIVAL,
        TipTarget.CANDIDATE,
        target[tr],
        tr,
        w.town_county[tr],
        np.ones(len(c_rep), dtype=bool),
        u[c_rep] / r.rival_after_vote,
    )
