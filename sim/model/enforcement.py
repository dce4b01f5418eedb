"""Sanctions and their visible consequences.

A sanction removes a broker (voiding the bribes it paid), disqualifies a candidate before the vote
or unseats a winner after it, and raises the perceived detection risk in its township and, less,
in the rest of its county (deterrence spills over).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.agents import CandidateStatus, DelegateState, TieState

if TYPE_CHECKING:
    from sim.model.election import ElectionModel


def raise_risk(model: ElectionModel, townships: np.ndarray, local: float, county: float) -> None:
    """Raise the excess perceived risk after visible enforcement in ``townships``.

    Each event adds ``local`` in its township and ``county`` in every other township of its county.
    """
    townships = np.asarray(townships, dtype=np.int64)
    if len(townships) == 0:
        return
    w = model.world
    per_county = np.bincount(w.town_county[townships], minlength=len(w.county_size))
    model.town_risk += county * per_county[w.town_county]
    np.add.at(model.town_risk, townships, local - county)


def sanction_brokers(model: ElectionModel, brokers: np.ndarray, cause: str) -> None:
    """Remove brokers, void the bribes they paid, expose the delegates who took them, implicate clients.

    Every random decision here reads a draw fixed per broker or per delegate for the whole run
    (``model.broker_implicate_u``, ``model.del_sanction_u``), so a sanction of the same broker has
    the same consequences in every arm that makes it, whichever process made it and whatever else
    was sanctioned that day (common random numbers).
    """
    brokers = np.unique(np.asarray(brokers, dtype=np.int64))
    brokers = brokers[model.broker_active[brokers]]
    if len(brokers) == 0:
        return
    w = model.world
    model.broker_active[brokers] = False
    removed = np.zeros(w.n_brokers, dtype=bool)
    removed[brokers] = True
    # The bribes these brokers paid are voided; a delegate left with none is exposed.
    voided = (model.tie_state == TieState.ACCEPTED) & removed[w.tie_broker]
    model.tie_state[voided] = TieState.VOIDED
    k = model.world.slots_per_township
    model.del_held[w.tie_delegate[voided], model.contract_client[w.tie_contract[voided]] % k] = False
    exposed = (model.del_state == DelegateState.BOUGHT) & ~model.holds_live_bribe()
    model.del_state[exposed] = DelegateState.EXPOSED
    n_brokers = model.count_items("broker", brokers)
    model.count("brokers_removed", n_brokers)
    model.count(f"brokers_removed_{cause}", n_brokers)
    model.count("delegates_exposed", model.count_mask("delegate", exposed))
    sanction_delegates(model, np.unique(w.tie_delegate[voided]), cause)
    of_removed = removed[w.contract_broker]
    working = np.bincount(w.contract_broker[of_removed & (model.contract_client >= 0)], minlength=w.n_brokers)
    model.count_detection(model.count_items("broker", brokers[working[brokers] > 0]), cause)
    b = model.cfg.beliefs
    raise_risk(model, w.broker_township[brokers], b.sanction_jump_local, b.sanction_jump_county)
    # Each sanctioned broker may implicate its clients (one draw per broker, for all of them).
    implicating = np.zeros(w.n_brokers, dtype=bool)
    implicating[brokers[model.broker_implicate_u[brokers] < model.cfg.investigation.implicate_candidate]] = True
    client = model.contract_client[implicating[w.contract_broker]]
    implicated = client[client >= 0]
    # Only a client who paid brokers can be implicated: intent alone is invisible (a buyer who quit
    # before handing over any money left nothing for the broker to reveal).
    implicated = implicated[model.vote_buyers()[implicated]]
    sanction_candidates(model, implicated, cause)


def sanction_delegates(model: ElectionModel, delegates: np.ndarray, cause: str) -> None:
    """Delegates whose bribes came to light (through ``cause``) are sanctioned with ``investigation.expose_delegate``.

    A sanctioned delegate loses its seat in the congress (it casts no ballot), and the delegates of
    its county see it: their perceived risk rises as after any visible sanction.
    """
    delegates = np.asarray(delegates, dtype=np.int64)
    hit = delegates[
        model.del_present[delegates] & (model.del_sanction_u[delegates] < model.cfg.investigation.expose_delegate)
    ]
    if len(hit) == 0:
        return
    model.del_present[hit] = False
    n_hit = model.count_items("delegate", hit)
    model.count("delegates_sanctioned", n_hit)
    model.count(f"delegates_sanctioned_{cause}", n_hit)
    if model.day >= model.congress_day:  # on congress day, sanctions follow the vote
        model.count("delegates_sanctioned_after_vote", n_hit)
    b = model.cfg.beliefs
    raise_risk(model, np.unique(model.world.township[hit]), b.sanction_jump_local, b.sanction_jump_county)


def sanction_candidates(model: ElectionModel, candidates: np.ndarray, cause: str) -> None:
    """Disqualify nominated candidates; unseat elected ones and refill their seats."""
    from sim.model.voting import refill_seats

    candidates = np.unique(np.asarray(candidates, dtype=np.int64))
    if len(candidates) == 0:
        return
    status = model.cand_status[candidates]
    pre = candidates[status == CandidateStatus.NOMINATED]
    post = candidates[status == CandidateStatus.ELECTED]
    model.cand_status[pre] = CandidateStatus.DISQUALIFIED
    model.cand_status[post] = CandidateStatus.UNSEATED
    model.cand_removed_by[pre] = cause
    model.cand_removed_by[post] = cause
    hit = np.concatenate([pre, post])
    if len(hit) == 0:
        return
    model.count("candidates_disqualified", model.count_items("candidate", pre))
    model.count("winners_unseated", model.count_items("candidate", post))
    model.count(f"candidates_sanctioned_{cause}", model.count_items("candidate", hit))
    model.count_detection(model.count_items("candidate", hit[model.vote_buyers()[hit]]), cause)
    b = model.cfg.beliefs
    raise_risk(model, model.world.cand_township[hit], b.sanction_jump_local, b.sanction_jump_county)
    if len(post):
        refill_seats(model, post)
