"""Congress day: the vote as it happened, and the two counterfactual congresses that measure it.

Every delegate present marks up to ``S`` candidates (``S`` seats contested).  Honest delegates mark the
candidates they judge best (merit plus their own noise).  A delegate holding bribes owes one mark
to each paying candidate still on the ballot and delivers it with a probability set by
reciprocity, the broker's monitoring, pledges and education (:func:`delivery_probability`); one
who delivers marks only the paying candidates with probability ``bullet_vote``, otherwise fills
the remaining marks by judgement.

Election rule, for deputy posts elected by a local congress (Organic Law of Local People's
Congresses and Local People's Governments, 2022 revision, arts. 27 and 30): a candidate is elected
with the votes of more than half of all the congress's deputies (those still holding a seat: a
sanctioned delegate has lost it); if fewer than ``S`` reach a majority, the seats left are re-run
(另行选举) among the next candidates by first-round votes, as many as the seats left plus the
slate's margin (``candidates_per_township - seats_per_township``, within the law's one to three
more candidates than posts), and again a majority of all deputies is needed; a seat still unfilled
is left to a later session of the congress (vacant here).  No seat is elected without competition
(the same law, art. 27: more candidates than posts): a ballot that removals left with no more
candidates than seats elects one seat fewer than it has candidates, and the election of the
other seats is postponed to a later session (vacant here; :func:`contested_seats`).

Each township votes three times on the **same** noise and the same delivery draws:

1. as it happened;
2. with no bribe delivered (every delegate votes as if never approached), on the slate as it
   stood on congress day;
3. a clean election: the initial slate, nobody removed, no bribes.

Seats whose winner differs between 1 and 2 are the seats vote buying changed; between 2 and 3,
the seats removals (vetting, disqualification) changed.  A winner unseated later is replaced by
the best-placed defeated candidate still in good standing (a by-election); the counterfactual
congress 2 applies the same removal and the same refill rule to its own result, so the two stay
comparable to the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import expit, logit

from sim.model.agents import CandidateStatus

if TYPE_CHECKING:
    from sim.model.election import ElectionModel

#: More than half of all the congress's deputies, in both rounds (Organic Law, art. 30).
MAJORITY = 1 / 2


@dataclass
class Tally:
    """The result of one congress (all townships at once).

    Attributes:
        elected: Mask over candidates: won a seat.
        first_round: Mask over candidates: won in round one (with a majority).
        votes: Round-one votes per candidate (the ranking a by-election refill uses).
        marks: Delegates x local candidates: the round-one marks.
        contested: Seats each township elects (fewer than its seats where its ballot lost competition).
    """

    elected: np.ndarray
    first_round: np.ndarray
    votes: np.ndarray
    marks: np.ndarray
    contested: np.ndarray


def contested_seats(on_ballot: np.ndarray, seats: int) -> np.ndarray:
    """Seats each township may elect: all of them while its ballot has more candidates than seats.

    A ballot with ``n`` candidates and no more than ``seats`` elects ``n - 1`` seats (at least one
    candidate more than posts, Organic Law art. 27) and postpones the others.

    Args:
        on_ballot: Townships x local candidates: standing for election.
        seats: Seats per township.
    """
    return np.clip(on_ballot.sum(axis=1) - 1, 0, seats)


def _marks(score: np.ndarray, n_marks: np.ndarray) -> np.ndarray:
    """Each delegate's marks: its ``n_marks`` best-scored candidates among those scored above -inf."""
    order = np.argsort(-score, axis=1, kind="stable")
    marks = np.zeros(score.shape, dtype=bool)
    np.put_along_axis(marks, order, np.arange(score.shape[1]) < n_marks[:, None], axis=1)
    return marks & (score > -np.inf)


def _rank_in_township(key: np.ndarray) -> np.ndarray:
    """Rank (0 = first) of each candidate within its township by ``key`` (n_townships x k)."""
    return np.argsort(np.argsort(-key, axis=1, kind="stable"), axis=1)


def tally(
    score: np.ndarray,
    on_ballot: np.ndarray,
    town: np.ndarray,
    present: np.ndarray,
    seats: int,
    merit: np.ndarray,
    margin: int = 2,
    tie_break: np.ndarray | None = None,
) -> Tally:
    """Hold every township's congress (a round and a re-run) on the delegates' scores.

    Args:
        score: Delegates x local candidates; ``-inf`` where a delegate will not mark a candidate,
            ``+inf`` for an owed mark.  Rows of absent delegates are ignored.
        on_ballot: Townships x local candidates: standing for election.
        town: Each delegate's township.
        present: Mask of delegates who vote.
        seats: Seats per township.
        merit: Candidates' merit, which breaks ties in votes.
        margin: Candidates in the re-run beyond the seats left.
        tie_break: The tie-break added to votes (default: ``merit`` scaled to [0, 1e-6]).

    Returns:
        The tally.
    """
    n_town, k = on_ballot.shape
    seats_town = contested_seats(on_ballot, seats)
    ballots = np.bincount(town[present], minlength=n_town).astype(float)
    if tie_break is None:
        tie_break = merit_tie_break(merit)
    ballot = on_ballot[town] & present[:, None]
    score = np.where(ballot, score, -np.inf)

    def count(marks: np.ndarray) -> np.ndarray:
        rows, cols = np.nonzero(marks)
        return np.bincount(town[rows] * k + cols, minlength=n_town * k).reshape(n_town, k)

    marks1 = _marks(score, seats_town[town])
    votes1 = count(marks1)
    key1 = np.where(on_ballot, votes1 + tie_break.reshape(n_town, k), -1.0)
    first = on_ballot & (_rank_in_township(key1) < seats_town[:, None]) & (votes1 > MAJORITY * ballots[:, None])
    open_seats = seats_town - first.sum(axis=1)

    # The re-run, for the seats still open (only where some are), among the next candidates by
    # first-round votes: the seats left plus the margin.
    standing = on_ballot & ~first
    rerun = standing & (_rank_in_township(np.where(standing, key1, -1.0)) < (open_seats + margin)[:, None])
    voting_again = np.flatnonzero(open_seats[town] > 0)
    score2 = np.where(rerun[town[voting_again]], score[voting_again], -np.inf)
    rows, cols = np.nonzero(_marks(score2, open_seats[town[voting_again]]))
    votes2 = np.bincount(town[voting_again[rows]] * k + cols, minlength=n_town * k).reshape(n_town, k)
    key2 = np.where(rerun, votes2 + tie_break.reshape(n_town, k), -1.0)
    second = rerun & (_rank_in_township(key2) < open_seats[:, None]) & (votes2 > MAJORITY * ballots[:, None])
    return Tally(
        elected=(first | second).ravel(),
        first_round=first.ravel(),
        votes=votes1.ravel(),
        marks=marks1,
        contested=seats_town,
    )


def delivery_probability(model: ElectionModel, ties: np.ndarray) -> np.ndarray:
    """Chance that the delegate on each bribe-carrying tie delivers the mark it was paid for.

    A logit around ``voting.compliance`` (the delivery probability of a delegate of average
    reciprocity, bought by a broker of average monitoring, with no pledge and no education):
    reciprocity raises it (Finan & Schechter 2012), a broker who can check a delegation's count
    raises it (clan and gang brokers more than political ones; Stokes 2005), a signed pledge and
    a warning session lower it (Vicente 2014: a campaign changes how people vote, not only whether
    they take money).  ``compliance`` 0 and 1 are exact: nobody or everybody delivers.
    """
    w, v = model.world, model.cfg.voting
    d = w.tie_delegate[ties]
    monitoring = np.asarray(v.monitoring_by_kind)[w.broker_kind[w.tie_broker[ties]]]
    bribe = model.contract_offer()[w.tie_contract[ties]]
    pledge = model.del_pledge[d] * np.exp(-bribe / model.pledge_bribe_scale)  # fades with the bribe
    shift = (
        v.reciprocity_weight * (w.reciprocity[d] - model.mean_reciprocity)
        + v.monitoring_weight * (monitoring - model.mean_monitoring)
        - v.pledge_weight * pledge
        - v.education_weight * model.del_moral_extra[d]
    )
    with np.errstate(divide="ignore"):
        return expit(logit(v.compliance) + shift)


def merit_tie_break(merit: np.ndarray) -> np.ndarray:
    """Merit scaled to [0, 1e-6]: breaks ties in votes, never outweighs a vote."""
    return 1e-6 * (merit - merit.min()) / max(float(np.ptp(merit)), 1e-12)


def hold_congress(model: ElectionModel) -> None:
    """Hold every congress three times (as it happened, without bribes, clean) and declare the winners."""
    w, cfg = model.world, model.cfg
    k, seats = w.slots_per_township, cfg.world.seats_per_township
    rng = model.streams.voting
    n_del = w.n_delegates
    noise = rng.normal(0.0, cfg.voting.merit_noise, (n_del, k))
    u_comply = rng.random(len(w.tie_delegate))
    u_bullet = rng.random(n_del)

    town = w.township
    judged = w.cand_merit.reshape(-1, k)[town] + noise
    leaning = np.flatnonzero(model.del_lean >= 0)  # a prior preference adds to the judgement
    judged[leaning, model.del_lean[leaning]] += cfg.delegates.lean_strength
    slate = (model.cand_status == CandidateStatus.NOMINATED).reshape(-1, k)
    present = model.del_present

    # Every live bribe for a candidate still on the ballot is a mark owed; the secret ballot lets
    # the delegate keep the money and not deliver.
    client = model.contract_client[w.tie_contract]
    held = model.live_bribes() & (model.cand_status[np.maximum(client, 0)] == CandidateStatus.NOMINATED)
    held &= present[w.tie_delegate]
    held_ties = np.flatnonzero(held)
    complies = held_ties[u_comply[held_ties] < delivery_probability(model, held_ties)]
    hd, hc = w.tie_delegate[complies], client[complies] % k
    bullet = np.unique(hd[u_bullet[hd] < cfg.voting.bullet_vote])
    bought_score = judged.copy()
    bought_score[bullet] = -np.inf  # marks nobody but the candidates who paid (set just below)
    bought_score[hd, hc] = np.inf

    margin = cfg.world.candidates_per_township - seats
    tb = model.merit_tie_break()
    actual = tally(bought_score, slate, town, present, seats, w.cand_merit, margin, tb)
    no_bribes = tally(judged, slate, town, present, seats, w.cand_merit, margin, tb)
    initial = model.initial_slate.reshape(-1, k)
    clean = tally(judged, initial, town, np.ones(n_del, dtype=bool), seats, w.cand_merit, margin, tb)

    nominated = slate.ravel()
    model.cand_status[actual.elected] = CandidateStatus.ELECTED
    model.cand_status[nominated & ~actual.elected] = CandidateStatus.DEFEATED
    model.votes = actual.votes
    model.elected_on_day = actual.elected.copy()
    model.congress_slate = nominated.copy()
    model.cf_elected = no_bribes.elected.copy()
    model.cf_votes = no_bribes.votes
    model.cf_elected_on_day = no_bribes.elected.copy()
    model.clean_elected = clean.elected

    # Marks the bribed delegates cast for those who paid them, delivered or by their own judgement.
    marked_payer = actual.marks[w.tie_delegate[held_ties], client[held_ties] % k]
    model.results.update(congress_results(model, actual, no_bribes, clean, slate, held_ties, complies, marked_payer))


def congress_results(
    model: ElectionModel,
    actual: Tally,
    no_bribes: Tally,
    clean: Tally,
    slate: np.ndarray,
    held_ties: np.ndarray,
    complies: np.ndarray,
    marked_payer: np.ndarray,
) -> dict[str, Any]:
    """Congress day's counts (``model.results``), per run of a batch."""
    w = model.world
    k, seats = w.slots_per_township, model.cfg.world.seats_per_township
    per_town = model.count_mask
    ballots = per_town("delegate", model.del_present)
    n_seats = model.count_mask("township", np.ones(w.n_townships, dtype=bool)) * seats
    bought = split_bought_seats(actual.elected, no_bribes.elected, model.vote_buyers(), k, model.count_items)
    held_delegates = np.unique(w.tie_delegate[held_ties])
    return dict(
        ballots=ballots,
        delegates_present=ballots,
        seats_filled=per_town("candidate", actual.elected),
        seats_first_round=per_town("candidate", actual.first_round),
        seats_vacant=n_seats - per_town("candidate", actual.elected),
        seats_postponed=_town_total(model, seats - actual.contested),
        ballots_without_competition=per_town("township", slate.sum(axis=1) <= seats),
        seats_bought=_town_total(model, seats_differing(actual.elected, no_bribes.elected, k)),
        **{f"seats_{part}": n for part, n in bought.items()},
        seats_changed_by_removals=_town_total(model, seats_differing(no_bribes.elected, clean.elected, k)),
        payer_seats=per_town("candidate", actual.elected & model.vote_buyers()),
        bought_votes_held=model.count_items("tie", held_ties),
        bought_votes_delivered=model.count_items("tie", complies),
        defections=model.count_items("tie", held_ties) - model.count_items("tie", complies),
        bribed_marks_for_payers=model.count_items("tie", held_ties[marked_payer]),
        delegates_holding_bribes=model.count_items("delegate", held_delegates),
    )


def _town_total(model: ElectionModel, per_township: np.ndarray) -> Any:
    """A whole number per township summed over the run (each run's, in a batch)."""
    total = model.count_items("township", np.arange(len(per_township)), per_township)
    return int(total) if np.ndim(total) == 0 else total


def seats_differing(a: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    """Per township, the seats whose holder differs between two results (masks over candidates).

    With ``S`` seat slots, a seat differs when it is held by someone not elected in the other
    result, or left vacant there: the larger of the two one-sided differences.
    """
    only_a = (a & ~b).reshape(-1, k).sum(axis=1)
    only_b = (b & ~a).reshape(-1, k).sum(axis=1)
    return np.maximum(only_a, only_b)


def split_bought_seats(
    actual: np.ndarray, no_bribes: np.ndarray, paid: np.ndarray, k: int, count_items: Any = None
) -> dict[str, Any]:
    """Split the seats buying changed by what became of them.

    ``captured``: won by a candidate who paid brokers and would not have won without bribes;
    ``vacated``: filled without bribes but left vacant with them (bought marks split the
    majority); ``displaced``: the rest (won by a candidate who did not pay, marks having shifted).
    The three add up to :func:`seats_differing`.  ``count_items`` (a model's) sums the
    townships of each run of a batch apart.
    """
    gained = (actual & ~no_bribes).reshape(-1, k)
    captured = (gained & paid.reshape(-1, k)).sum(axis=1)
    total = seats_differing(actual, no_bribes, k)
    vacated = np.maximum(no_bribes.reshape(-1, k).sum(axis=1) - actual.reshape(-1, k).sum(axis=1), 0)
    parts = {"captured": captured, "vacated": vacated, "displaced": total - captured - vacated}
    if count_items is None:
        return {part: int(n.sum()) for part, n in parts.items()}
    towns = np.arange(len(total))
    return {part: _whole(count_items("township", towns, n)) for part, n in parts.items()}


def _whole(total: Any) -> Any:
    return int(total) if np.ndim(total) == 0 else total


def refill(elected: np.ndarray, standing: np.ndarray, votes: np.ndarray, townships: np.ndarray, k: int) -> np.ndarray:
    """For each vacated seat, the best-placed standing candidate of its township (-1 if none).

    Args:
        elected: Mask of seated candidates (updated in place with the refills).
        standing: Mask of candidates who may take a vacated seat (updated in place).
        votes: Ranking of candidates (round-one votes).
        townships: One entry per vacated seat.
        k: Candidates per township.

    Returns:
        The candidate given each seat, or -1 where nobody was left.
    """
    picks = np.full(len(townships), -1, dtype=np.int64)
    for i, t in enumerate(np.asarray(townships, dtype=np.int64)):  # a handful of by-elections a run
        block = slice(t * k, (t + 1) * k)
        if not standing[block].any():
            continue
        best = t * k + int(np.argmax(np.where(standing[block], votes[block], -1)))
        elected[best], standing[best] = True, False
        picks[i] = best
    return picks


def refill_seats(model: ElectionModel, unseated: np.ndarray) -> None:
    """Give each seat vacated by ``unseated`` winners to the best-placed defeated candidate.

    The counterfactual congress without bribes loses the same candidates (a removal is the
    enforcement's doing, not the buying's) and refills by the same rule from its own ranking.
    """
    k = model.world.slots_per_township
    unseated = np.asarray(unseated, dtype=np.int64)
    towns = unseated // k
    elected = model.cand_status == CandidateStatus.ELECTED
    standing = model.cand_status == CandidateStatus.DEFEATED
    picks = refill(elected, standing, model.votes, towns, k)
    model.cand_status[picks[picks >= 0]] = CandidateStatus.ELECTED
    model.count("seats_refilled", model.count_items("candidate", unseated[picks >= 0]))
    model.count("seats_left_vacant", model.count_items("candidate", unseated[picks < 0]))

    # The counterfactual: those of the unseated it had seated leave it too.
    cf_vacated = unseated[model.cf_elected[unseated]]
    model.cf_elected[cf_vacated] = False
    removed = model.removed_candidates()
    cf_standing = model.congress_slate & ~model.cf_elected & ~removed
    refill(model.cf_elected, cf_standing, model.cf_votes, cf_vacated // k, k)
