"""Congress day: every delegate marks up to ``S`` candidates; seats go to the top ``S``.

Honest delegates mark the ``S`` candidates they judge best (merit plus noise).  A delegate holding
a bribe for a candidate still on the ballot marks that candidate with probability ``compliance``;
the secret ballot lets the others take the money and vote their judgement.  A candidate needs the
votes of more than half of the delegates present to be elected in the first round; seats left
unfilled go to the next-ranked candidates in a runoff (modelled as the same ranking), as election
rules provide for a second round.  A winner unseated later is replaced by the best-placed
defeated candidate still in good standing (a by-election).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.agents import CandidateStatus, DelegateState

if TYPE_CHECKING:
    from sim.model import ElectionModel


def hold_congress(model: ElectionModel) -> None:
    """Cast and count every congress's ballots and declare the winners."""
    w, cfg = model.world, model.cfg
    k, seats = cfg.world.candidates_per_township, cfg.world.seats_per_township
    rng = model.streams.voting
    n_del = w.n_delegates
    noise = rng.normal(0.0, cfg.voting.merit_noise, (n_del, k))
    u_comply = rng.random(n_del)
    u_bullet = rng.random(n_del)

    town = w.township
    on_ballot = (model.cand_status == CandidateStatus.NOMINATED).reshape(-1, k)
    score = w.cand_merit.reshape(-1, k)[town] + noise
    score[~on_ballot[town]] = -np.inf

    buyer = model.del_buyer
    holds = (model.del_state == DelegateState.BOUGHT) & (buyer >= 0)
    holds &= model.cand_status[np.maximum(buyer, 0)] == CandidateStatus.NOMINATED
    complies = holds & (u_comply < cfg.voting.compliance)
    bullet = np.flatnonzero(complies & (u_bullet < cfg.voting.bullet_vote))
    score[bullet] = -np.inf  # marks nobody but the buyer (set just below)
    rows = np.flatnonzero(complies)
    score[rows, buyer[rows] - town[rows] * k] = np.inf

    marked = np.argsort(-score, axis=1, kind="stable")[:, :seats]
    valid = np.take_along_axis(score, marked, axis=1) > -np.inf
    cand = town[:, None] * k + marked
    votes = np.bincount(cand[valid], minlength=w.n_candidates)
    model.votes = votes
    voted_for_buyer = (cand == buyer[:, None]).any(axis=1)

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
        bought_votes_held=int(holds.sum()),
        bought_votes_delivered=int((holds & voted_for_buyer).sum()),
        defections=int((holds & ~voted_for_buyer).sum()),
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
