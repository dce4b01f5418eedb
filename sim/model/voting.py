"""Congress day: every delegate marks up to ``S`` candidates; seats go to the top ``S``.

Honest delegates mark the ``S`` candidates they judge best (merit plus noise).  A delegate may
hold bribes from several candidates (each buys one of the delegate's marks); for each candidate
still on the ballot the mark is delivered with probability ``compliance``: the secret ballot lets
the others take the money and vote their judgement.  A delegate who delivers marks only the
candidates who paid with probability ``bullet_vote`` (leaving rivals off), otherwise fills the
remaining marks by judgement.  A candidate needs the
votes of more than half of the delegates present to be elected in the first round; seats left
unfilled go to the next-ranked candidates in a runoff (modelled as the same ranking), as election
rules provide for a second round.  A winner unseated later is replaced by the best-placed
defeated candidate still in good standing (a by-election).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.agents import CandidateStatus

if TYPE_CHECKING:
    from sim.model.election import ElectionModel


def hold_congress(model: ElectionModel) -> None:
    """Cast and count every congress's ballots and declare the winners."""
    w, cfg = model.world, model.cfg
    k, seats = cfg.world.candidates_per_township, cfg.world.seats_per_township
    rng = model.streams.voting
    n_del = w.n_delegates
    noise = rng.normal(0.0, cfg.voting.merit_noise, (n_del, k))
    u_comply = rng.random(len(w.tie_delegate))
    u_bullet = rng.random(n_del)

    town = w.township
    on_ballot = (model.cand_status == CandidateStatus.NOMINATED).reshape(-1, k)
    score = w.cand_merit.reshape(-1, k)[town] + noise
    score[~on_ballot[town]] = -np.inf

    # Every live bribe for a candidate still on the ballot is a mark owed; the secret ballot lets
    # the delegate keep the money and not deliver (each bribe complies with ``compliance``).
    client = model.contract_client[w.tie_contract]
    held = model.live_bribes() & (model.cand_status[np.maximum(client, 0)] == CandidateStatus.NOMINATED)
    held_ties = np.flatnonzero(held)
    complies = held_ties[u_comply[held_ties] < cfg.voting.compliance]
    hd, hc = w.tie_delegate[complies], client[complies] % k
    bullet = np.unique(hd[u_bullet[hd] < cfg.voting.bullet_vote])
    score[bullet] = -np.inf  # marks nobody but the candidates who paid (set just below)
    score[hd, hc] = np.inf

    marked = np.argsort(-score, axis=1, kind="stable")[:, :seats]
    valid = np.take_along_axis(score, marked, axis=1) > -np.inf
    cand = town[:, None] * k + marked
    votes = np.bincount(cand[valid], minlength=w.n_candidates)
    model.votes = votes
    marked_mask = np.zeros((n_del, k), dtype=bool)
    np.put_along_axis(marked_mask, marked, valid, axis=1)
    delivered = marked_mask[w.tie_delegate[held_ties], client[held_ties] % k]

    # Rank candidates within each township by votes, then merit (ties are broken by merit).
    key = np.where(on_ballot.ravel(), votes + 1e-6 * (w.cand_merit - w.cand_merit.min()), -1.0).reshape(-1, k)
    rank = np.argsort(np.argsort(-key, axis=1, kind="stable"), axis=1).ravel()
    nominated = on_ballot.ravel()
    elected = nominated & (rank < seats)
    model.cand_status[elected] = CandidateStatus.ELECTED
    model.cand_status[nominated & ~elected] = CandidateStatus.DEFEATED
    model.elected_on_day = elected.copy()

    majority = votes > w.town_size[w.cand_township] / 2.0
    model.results.update(
        ballots=int(n_del),
        delegates_present=int(n_del),
        seats_filled=int(elected.sum()),
        seats_first_round=int((elected & majority).sum()),
        seats_vacant=int(w.n_townships * seats - elected.sum()),
        seats_captured=int((elected & model.vote_buyers()).sum()),
        bought_votes_held=len(held_ties),
        bought_votes_delivered=int(delivered.sum()),
        defections=int((~delivered).sum()),
        delegates_holding_bribes=len(np.unique(w.tie_delegate[held_ties])),
    )


def refill_seats(model: ElectionModel, townships: np.ndarray) -> None:
    """Give each vacated seat to the best-placed defeated candidate of its township."""
    k = model.cfg.world.candidates_per_township
    for t in np.asarray(townships, dtype=np.int64):
        block = slice(t * k, (t + 1) * k)
        standing = model.cand_status[block] == CandidateStatus.DEFEATED
        if not standing.any():
            model.count("seats_left_vacant", 1)
            continue
        votes = np.where(standing, model.votes[block], -1)
        best = t * k + int(np.argmax(votes))
        model.cand_status[best] = CandidateStatus.ELECTED
        model.count("seats_refilled", 1)
