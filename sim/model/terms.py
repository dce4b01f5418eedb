"""Repeated terms: nomination and the slate, patronage while in office, and what the next election inherits.

One election is one *term* of the province (``schedule.terms`` run in sequence).  This module
holds the steps that belong to no single day:

- **Nomination** (:func:`fill_from_reserves`): each township nominates ``candidates_per_township``
  for ``seats_per_township`` deputy posts (seats + 1 to 3 candidates: Organic Law of Local
  People's Congresses and Governments, 2022, art. 27) and keeps ``reserves_per_township`` in
  reserve; a candidate excluded before nomination (vetting) is replaced by the next reserve.
- **Patronage while serving** (:func:`serve_term`): a seated winner who paid brokers recoups by
  selling posts (a Poisson number, ``patronage.posts_per_patron``, at ``patronage.post_price``
  yuan each); the rents and the posts are explicit.  Township posts sold for about 10,000–30,000
  yuan on average in the county-level office-selling cases (Lushi, Henan 1997–2001; Suihua,
  Heilongjiang 1993–2002).
- **The next election** (:func:`prepare_next_term`): part of each congress is renewed (sanctioned
  delegates always), and those who took money stay known as prior acceptors; seated winners may
  stand again, patrons with part of their rents in their war chest; appointees enter the next
  election as candidates, brokers or delegates of the patron's township; brokers whose clients
  won are rewarded (they grow their networks into dormant ties, skim more, and some are put on
  the next slate), brokers whose clients lost skim less; sanctioned brokers' places are rebuilt
  at ``terms.broker_rebuild``; each township starts with ``terms.belief_carryover`` of the excess
  perceived risk it lived with on average during the term, and the hotline keeps
  ``terms.trust_carryover`` of the trust it gained.

Every draw here comes from the ``terms`` stream in fixed-size arrays (per delegate, candidate,
broker, tie and post slot), so arms stay in lock-step term by term (common random numbers) and a
single-term run never touches the stream's results.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import ndtr

from sim.model.agents import CandidateStatus
from sim.model.network import broker_ties, group_offsets
from sim.model.world import World, reservation_prices

if TYPE_CHECKING:
    from sim.config import SimConfig
    from sim.model.election import ElectionModel

#: The most posts a patron can sell in one term (the Poisson draw is capped here, far in its tail).
MAX_POSTS = 12


def add_dormant_ties(world: World, cfg: SimConfig, rng: np.random.Generator) -> World:
    """Give every broker dormant ties it may grow into over later terms.

    Each broker gets a Poisson number of extra ties (``terms.dormant_ties`` times its kind's mean),
    laid out as its first ties are; they carry nothing until activated.  Ties are re-sorted by
    broker and delegate (so contracts stay contiguous) and the contracts recomputed.

    Returns:
        A new world whose ``tie_active_at_start`` marks the ties in use at the start.
    """
    w = cfg.world
    n_extra = rng.poisson(np.asarray(w.broker_ties)[world.broker_kind] * cfg.terms.dormant_ties)
    xb, xd = broker_ties(
        world.broker_township,
        n_extra,
        np.asarray(w.cross_township_share)[world.broker_kind],
        world.town_start,
        world.town_size,
        world.county_start,
        world.county_size,
        world.town_county,
        rng,
    )
    tb = np.concatenate([world.tie_broker, xb])
    td = np.concatenate([world.tie_delegate, xd])
    active = np.concatenate([np.ones(len(world.tie_broker), dtype=bool), np.zeros(len(xb), dtype=bool)])
    order = np.lexsort((~active, td, tb))  # by broker, delegate; an active copy of a pair first
    tb, td, active = tb[order], td[order], active[order]
    keep = np.concatenate([[True], (tb[1:] != tb[:-1]) | (td[1:] != td[:-1])])
    tb, td, active = tb[keep], td[keep], active[keep]
    n_town = world.n_townships
    contract_key, tie_contract = np.unique(tb * n_town + world.township[td], return_inverse=True)
    return dataclasses.replace(
        world,
        tie_broker=tb,
        tie_delegate=td,
        tie_contract=tie_contract.astype(np.int64),
        contract_broker=(contract_key // n_town).astype(np.int64),
        contract_town=(contract_key % n_town).astype(np.int64),
        tie_active_at_start=active,
    )


def draw_leanings(model: ElectionModel) -> np.ndarray:
    """Each delegate's prior preference: a local candidate of the ballot, or -1 (none).

    A share ``delegates.lean_share`` leans to one of the ballot's candidates, chosen uniformly.
    """
    w, cfg = model.world, model.cfg
    rng = model.streams["terms"]
    u_lean, u_pick = rng.random(w.n_delegates), rng.random(w.n_delegates)
    pick = (u_pick * cfg.world.candidates_per_township).astype(np.int64)
    return np.where(u_lean < cfg.delegates.lean_share, pick, -1)


def fill_from_reserves(model: ElectionModel) -> None:
    """Fill each ballot that exclusions before nomination left short with the township's next reserves.

    A ballot is filled up to ``candidates_per_township`` while reserves last; called again it
    promotes only for exclusions made since (vetting calls it between its rounds).
    """
    w = model.world
    k_slots = w.slots_per_township
    nominated = (model.cand_status == CandidateStatus.NOMINATED).reshape(-1, k_slots).sum(axis=1)
    wanted = np.maximum(model.cfg.world.candidates_per_township - nominated, 0)
    reserve = (model.cand_status == CandidateStatus.RESERVE).reshape(-1, k_slots)
    if not reserve.any() or not wanted.any():
        return
    rank = np.cumsum(reserve, axis=1) - 1  # order of each reserve in its township
    promoted = reserve & (rank < wanted[:, None])
    model.cand_status[promoted.ravel()] = CandidateStatus.NOMINATED
    model.count("reserves_nominated", model.count_mask("candidate", promoted.ravel()))


def patrons(model: ElectionModel) -> np.ndarray:
    """Mask of seated winners who paid brokers for votes: the officials who sell posts."""
    return (model.cand_status == CandidateStatus.ELECTED) & model.vote_buyers()


def serve_term(model: ElectionModel) -> None:
    """Seated vote buyers recoup while in office: posts sold, and the rents they bring."""
    p = model.cfg.patronage
    rng = model.streams["terms"]
    n_posts = np.minimum(rng.poisson(p.posts_per_patron, model.world.n_candidates), MAX_POSTS)
    model.posts_sold = np.where(patrons(model), n_posts, 0)
    model.count("patrons", model.count_mask("candidate", patrons(model)))
    posts = model.count_items("candidate", np.arange(len(model.posts_sold)), model.posts_sold)
    model.count("posts_sold", posts if np.ndim(posts) else int(posts))
    model.count("patronage_rents", posts * p.post_price if np.ndim(posts) else float(posts * p.post_price))


def _take_slots(town: np.ndarray, wanted: np.ndarray, free: np.ndarray) -> np.ndarray:
    """Match ``wanted[t]`` requests per township to the free slots (mask) of that township, in index order.

    Returns:
        The slot indices given (at most ``wanted[t]`` per township, fewer if not enough are free).
    """
    slots = np.flatnonzero(free)
    rank = group_offsets(np.bincount(town[slots], minlength=len(wanted)))
    order = np.argsort(town[slots], kind="stable")
    ranked = np.empty(len(slots), dtype=np.int64)
    ranked[order] = rank
    return slots[ranked < wanted[town[slots]]]


@dataclasses.dataclass(frozen=True)
class TermDraws:
    """Every draw the step to the next term needs, made up front in fixed-size arrays (in this order)."""

    renew: np.ndarray
    prior: np.ndarray
    integrity: np.ndarray
    risk_aversion: np.ndarray
    reciprocity: np.ndarray
    role: np.ndarray
    renominate: np.ndarray
    merit: np.ndarray
    cand_integrity: np.ndarray
    ambition: np.ndarray
    budget: np.ndarray
    taint: np.ndarray
    rebuild: np.ndarray
    to_slate: np.ndarray
    grow: np.ndarray
    reservation: np.ndarray


def term_draws(model: ElectionModel) -> TermDraws:
    """The ``terms`` stream's draws for one step to the next term (sizes fixed by the world)."""
    cfg, w = model.cfg, model.world
    dc, cc = cfg.delegates, cfg.candidates
    rng = model.streams["terms"]
    n_del, n_cand, n_brok = w.n_delegates, w.n_candidates, w.n_brokers
    sd = cc.budget_sd_log
    return TermDraws(
        renew=rng.random(n_del),
        prior=rng.random(n_del),
        integrity=rng.normal(dc.integrity_mean, dc.integrity_sd, n_del),
        risk_aversion=rng.lognormal(-0.045, 0.3, n_del),
        reciprocity=rng.beta(2.0, 5.0, n_del),
        role=rng.random((n_cand, MAX_POSTS)),
        renominate=rng.random(n_cand),
        merit=rng.normal(0.0, 1.0, n_cand),
        cand_integrity=rng.normal(0.0, 1.0, n_cand),
        ambition=rng.random(n_cand),
        budget=rng.lognormal(np.log(max(cc.budget_mean, 1e-9)) - sd * sd / 2, sd, n_cand),
        taint=rng.random(n_cand),
        rebuild=rng.random(n_brok),
        to_slate=rng.random(n_brok),
        grow=rng.random(len(w.tie_broker)),
        reservation=reservation_prices(cfg, rng.standard_normal(n_del)),
    )


def prepare_next_term(model: ElectionModel) -> None:
    """Turn the end of one term into the province of the next election (see the module docstring)."""
    draws = term_draws(model)
    patron = patrons(model)
    as_candidate, as_broker, as_delegate = appointees(model, draws)
    renew_delegates(model, draws, as_delegate)
    won, income = reward_brokers(model, draws, patron, as_broker)
    to_slate = won & model.broker_active & (draws.to_slate < model.cfg.patronage.broker_to_slate)
    nominate_next_slate(model, draws, patron, income, to_slate, as_candidate)
    carry_memory(model)


def _by_township(model: ElectionModel, per_candidate: np.ndarray) -> np.ndarray:
    """A per-candidate count summed over each township."""
    w = model.world
    return np.bincount(w.cand_township, weights=per_candidate, minlength=w.n_townships).astype(np.int64)


def appointees(model: ElectionModel, draws: TermDraws) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each post sold is one appointee, with a role in the patron's township.

    Returns:
        Per candidate (patron), how many appointees enter the next election as candidates, as
        brokers and as delegates.
    """
    pc = model.cfg.patronage
    roles = np.arange(MAX_POSTS)[None, :] < model.posts_sold[:, None]
    cum = np.cumsum([pc.appointee_candidate, pc.appointee_broker, pc.appointee_delegate])
    as_candidate = (roles & (draws.role < cum[0])).sum(axis=1)
    as_broker = (roles & (draws.role >= cum[0]) & (draws.role < cum[1])).sum(axis=1)
    as_delegate = (roles & (draws.role >= cum[1]) & (draws.role < cum[2])).sum(axis=1)
    return as_candidate, as_broker, as_delegate


def renew_delegates(model: ElectionModel, draws: TermDraws, as_delegate: np.ndarray) -> None:
    """Part of each congress is renewed, sanctioned delegates always.

    Appointees take renewed seats of their patron's township; those who took money stay known to
    brokers.
    """
    w, tc, dc = model.world, model.cfg.terms, model.cfg.delegates
    renew = (draws.renew < tc.delegate_renewal) | ~model.del_present
    w.prior_acceptor |= model.del_ever_bought & ~renew
    w.integrity[renew] = draws.integrity[renew]
    w.risk_aversion[renew] = draws.risk_aversion[renew]
    w.reciprocity[renew] = draws.reciprocity[renew]
    w.reservation_price[renew] = draws.reservation[renew]
    w.prior_acceptor[renew] = draws.prior[renew] < dc.prior_acceptor_share  # as the first congress
    appointed = _take_slots(w.township, _by_township(model, as_delegate), renew)
    w.integrity[appointed] -= dc.integrity_sd  # they paid for office: less restrained
    w.prior_acceptor[appointed] = True
    model.inherited = {"patronage_delegates": len(appointed)}


def reward_brokers(
    model: ElectionModel, draws: TermDraws, patron: np.ndarray, as_broker: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Brokers whose clients won grow their networks and skim more; those whose clients lost skim less.

    Sanctioned brokers' places are rebuilt; appointees take further empty places in their
    patron's township, or grow its brokers' networks where there is none.

    Returns:
        Which brokers worked for a patron (rewarded), and each broker's income (its cut) this term.
    """
    w, tc = model.world, model.cfg.terms
    n_brok, n_town = w.n_brokers, w.n_townships
    seated = model.cand_status == CandidateStatus.ELECTED
    worked = model.contract_client >= 0
    client = np.maximum(model.contract_client, 0)
    won = np.zeros(n_brok, dtype=bool)
    lost = np.zeros(n_brok, dtype=bool)
    won[w.contract_broker[worked & patron[client]]] = True
    lost[w.contract_broker[worked & model.vote_buyers()[client] & ~seated[client]]] = True
    lost &= ~won
    step = model.cfg.brokers.skim_step
    model.broker_cut = np.clip(model.broker_cut + step * won - step * lost, 0.0, 0.9)
    income = np.bincount(w.contract_broker, weights=model.contract_cut, minlength=n_brok)
    grow = ~model.tie_active & won[w.tie_broker] & (draws.grow < tc.broker_growth)
    rebuilt = ~model.broker_active & (draws.rebuild < tc.broker_rebuild)
    model.broker_cut[rebuilt] = w.broker_cut[rebuilt]
    model.broker_active |= rebuilt
    wanted = _by_township(model, as_broker)
    taken = _take_slots(w.broker_township, wanted, ~model.broker_active)
    model.broker_active[taken] = True
    model.broker_cut[taken] = w.broker_cut[taken]
    short = np.maximum(wanted - np.bincount(w.broker_township[taken], minlength=n_town), 0)
    grow |= ~model.tie_active & (short[w.broker_township[w.tie_broker]] > 0) & (draws.grow < tc.broker_growth)
    model.tie_active |= grow
    model.inherited.update(
        patronage_brokers=int(wanted.sum()), ties_grown=int(grow.sum()), brokers_rebuilt=int(rebuilt.sum())
    )
    return won, income


def nominate_next_slate(
    model: ElectionModel,
    draws: TermDraws,
    patron: np.ndarray,
    income: np.ndarray,
    to_slate: np.ndarray,
    as_candidate: np.ndarray,
) -> None:
    """The next slate: incumbents who stand again, brokers put on it, appointees, then new people.

    Brokers put on the slate stop brokering.  Incumbents keep what is left of their war chest plus
    part of their rents (the patronage loop's money); brokers bring their income.
    """
    cfg, w = model.cfg, model.world
    pc, tc = cfg.patronage, cfg.terms
    n_cand, n_town, k_slots = w.n_candidates, w.n_townships, w.slots_per_township
    seated = model.cand_status == CandidateStatus.ELECTED
    rents = model.posts_sold * pc.post_price
    t_cand = w.cand_township
    stand_again = seated & (draws.renominate < tc.incumbent_renomination)
    carried_town = np.concatenate([t_cand[stand_again], w.broker_township[to_slate], np.repeat(t_cand, as_candidate)])
    n_inc, n_brk = int(stand_again.sum()), int(to_slate.sum())
    kind = np.concatenate([np.zeros(n_inc), np.ones(n_brk), np.full(int(as_candidate.sum()), 2)]).astype(np.int64)
    source = np.concatenate(
        [np.flatnonzero(stand_again), np.flatnonzero(to_slate), np.zeros(len(kind) - n_inc - n_brk, int)]
    )
    order = np.lexsort((np.arange(len(carried_town)), carried_town))
    carried_town, kind, source = carried_town[order], kind[order], source[order]
    rank = group_offsets(np.bincount(carried_town, minlength=n_town))
    # Those carried stand on the ballot; the reserve slots keep fresh nominees drawn by the same
    # rule as the first term's (a carried candidate put in a reserve slot would never stand, and
    # vetting would promote the patronage networks' people first).
    fits = rank < cfg.world.candidates_per_township
    slot = carried_town[fits] * k_slots + rank[fits]
    kind, source = kind[fits], source[fits]

    merit, integrity, ambition, budget = draws.merit, draws.cand_integrity, draws.ambition, draws.budget
    tainted = draws.taint < np.clip(cfg.world.tainted_share * 2.0 * ndtr(-draws.cand_integrity), 0.0, 1.0)
    old = {name: getattr(w, name).copy() for name in ("cand_merit", "cand_integrity", "cand_ambition", "cand_budget")}
    old_tainted = w.cand_tainted.copy()
    inc = kind == 0
    src = source[inc]
    merit[slot[inc]] = old["cand_merit"][src]
    integrity[slot[inc]] = old["cand_integrity"][src]
    ambition[slot[inc]] = old["cand_ambition"][src]
    left = np.maximum(old["cand_budget"] - model.cand_spent + model.cand_returned, 0.0)
    budget[slot[inc]] = left[src] + pc.recoup_share * rents[src]
    tainted[slot[inc]] = old_tainted[src] | patron[src]  # a patron who sold posts has a record to hide
    brk = kind == 1
    budget[slot[brk]] += income[source[brk]]
    model.broker_active[source[brk]] = False
    model.contract_active = np.bincount(w.tie_contract[model.tie_active], minlength=w.n_contracts) > 0
    via_network = kind >= 1
    integrity[slot[via_network]] -= 1.0  # brokers and office buyers: less restrained (one sd)
    tainted[slot[via_network]] = True
    ambition[slot[via_network]] = np.maximum(ambition[slot[via_network]], 0.5)
    w.cand_merit[:] = merit
    w.cand_integrity[:] = integrity
    w.cand_ambition[:] = ambition
    w.cand_budget[:] = budget
    w.cand_tainted[:] = tainted
    model.cand_patronage = np.zeros(n_cand, dtype=bool)
    model.cand_patronage[slot[via_network | (inc & patron[source])]] = True
    model.inherited.update(
        incumbents_standing=int(inc.sum()), brokers_on_slate=int(brk.sum()), appointees_on_slate=int((kind == 2).sum())
    )


def carry_memory(model: ElectionModel) -> None:
    """The next election remembers the enforcement each township lived with, and some of the hotline's trust.

    Each township starts with ``terms.belief_carryover`` of the excess perceived risk it lived with
    on average during the term, and the hotline keeps ``terms.trust_carryover`` of what it gained.
    """
    tc = model.cfg.terms
    model.town_risk = tc.belief_carryover * model.town_risk_sum / model.term_days
    initial = model.cfg.reporting.trust_initial
    model.trust = initial + tc.trust_carryover * (model.trust - initial)
