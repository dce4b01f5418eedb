"""The election model: one province, one campaign, one congress day and its aftermath.

Schedule of a day (fixed; documented in docs/MODEL.md):

Campaign days ``0 .. campaign_days - 1``
    1. buyers fund their brokers; 2. brokers make offers and delegates decide; 3. reports are filed;
    4. the investigation queue advances and sanctions are applied; 5. interventions act;
    6. beliefs decay and the day is recorded.
Congress day (``campaign_days``)
    brokers hand back what they could not place, the vote, defeated rivals' reports,
    investigations, interventions, decay, record.
Post-election days
    reports, investigations (late findings unseat winners), interventions, decay, record.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from time import perf_counter
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from sim.config import SimConfig, WorldConfig
from sim.model.agents import Broker, Candidate, CandidateStatus, DelegateState, DelegateView, TieState
from sim.model.campaign import (
    assign_brokers,
    decide_buyers,
    fund_brokers,
    make_offers,
    peer_bought_share,
    record_refusals,
    return_unspent_funds,
    settle_acceptances,
)
from sim.model.investigation import HotlineSettings, process_queue
from sim.model.metrics import TimeSeries, summarize
from sim.model.reporting import file_tips, rivals_report_winners
from sim.model.streams import RandomStreams
from sim.model.terms import add_dormant_ties, draw_leanings, fill_from_reserves, prepare_next_term, serve_term
from sim.model.tips import TipBook
from sim.model.voting import hold_congress, merit_tie_break
from sim.model.world import World, build_world

if TYPE_CHECKING:
    from sim.model.hooks import InterventionHooks

# Mesa logs every step at INFO; at tens of thousands of runs that floods every log.
logging.getLogger("MESA").setLevel(logging.WARNING)


def draw_world(cfg: SimConfig, streams: RandomStreams) -> World:
    """The run's province from its ``world`` stream, with dormant ties when terms repeat."""
    world = build_world(cfg, streams.world)
    if cfg.schedule.terms > 1:
        # drawn from their own stream, so a single term is untouched
        world = add_dormant_ties(world, cfg, streams["terms"])
    return world


class ElectionModel(mesa.Model):
    """A province's township congress elections under vote buying and the interventions against it.

    Args:
        cfg: A validated configuration (see :func:`sim.config.build_config`).
        interventions: Intervention objects to run (:class:`sim.model.hooks.InterventionHooks`); by default
            those enabled in ``cfg``.
    """

    def __init__(self, cfg: SimConfig, interventions: Sequence[InterventionHooks] | None = None) -> None:
        super().__init__(rng=cfg.seed)
        t0 = perf_counter()
        self.cfg = cfg
        self.streams = RandomStreams(cfg.seed)
        self.world = draw_world(cfg, self.streams)
        self._setup(interventions, t0)

    def _setup(self, interventions: Sequence[InterventionHooks] | None, t0: float) -> None:
        """Everything after the world is drawn: the state, the interventions, the campaign's start."""
        cfg, w = self.cfg, self.world
        n_del, n_cand, n_brok = w.n_delegates, w.n_candidates, w.n_brokers
        # Ties and contracts in use: every one, unless repeated terms give brokers dormant ties to
        # grow into (drawn from their own stream, so a single term is untouched).
        self.tie_active = np.ones(len(w.tie_broker), dtype=bool)
        if cfg.schedule.terms > 1:
            self.tie_active = w.tie_active_at_start.copy()
        self.contract_active = np.bincount(w.tie_contract[self.tie_active], minlength=w.n_contracts) > 0

        # The calendar: ``terms`` elections, each a campaign, congress day and aftermath.  ``day``
        # counts days within the current term; ``row`` counts days since the start of the run.
        self.n_terms = cfg.schedule.terms
        self.term_days = cfg.schedule.campaign_days + 1 + cfg.schedule.post_election_days
        self.n_days = self.n_terms * self.term_days
        self.congress_day = cfg.schedule.campaign_days
        self.term = 0
        self.day = 0

        # State that lasts across terms.
        self.trust = np.full(len(w.county_size), cfg.reporting.trust_initial)
        self.town_risk = np.zeros(w.n_townships)  # excess detection belief after enforcement
        self.broker_active = np.ones(n_brok, dtype=bool)
        self.broker_bought = np.zeros(n_brok, dtype=np.int64)
        self.broker_cut = w.broker_cut.copy()  # brokers adjust their cut between terms
        self.del_moral_extra = np.zeros(n_del)  # moral cost added by interventions
        self.del_edu_risk = np.zeros(n_del)  # detection belief added by education (decays)
        self.del_pledge = np.zeros(n_del)  # pledge commitment against small bribes
        self.pledge_bribe_scale = 1.0
        self.cand_patronage = np.zeros(n_cand, dtype=bool)  # on the slate through a patronage network
        self.inherited: dict[str, float] = {}  # what this election inherited from the last (terms.py)
        self.series = TimeSeries(self.n_days)
        self.term_summaries: list[dict[str, float]] = []
        # Draws fixed per agent for the whole run, so that the same event has the same consequence
        # in every arm (common random numbers): whether a sanctioned broker implicates its
        # clients; whether a delegate whose bribe comes to light is sanctioned.
        self.broker_implicate_u = self.streams.enforcement.random(n_brok)
        self.del_sanction_u = self.streams.enforcement.random(n_del)
        # Centring points of the delivery logit (sim.model.voting.delivery_probability): the mean
        # reciprocity (Beta(2, 5), see world.py) and the monitoring of the default mix of brokers,
        # fixed so that a province with more gang brokers gets more marks delivered.
        self.mean_reciprocity = 2.0 / 7.0
        self.mean_monitoring = float(np.dot(WorldConfig().broker_kind_shares, cfg.voting.monitoring_by_kind))

        self._reset_election_state()
        self._make_agents()

        if interventions is None:
            # The model layer does not import the interventions; they are handed in (see
            # sim.simulate.build_model), so refuse a configuration that asks for some silently.
            enabled = cfg.enabled_interventions()
            if enabled:
                raise ValueError(
                    f"interventions enabled in the configuration ({', '.join(enabled)}) but none handed in: "
                    "build the model with sim.simulate.build_model(cfg), or pass "
                    "interventions=sim.interventions.build_interventions(cfg.interventions)"
                )
            interventions = ()
        self.interventions = sorted(interventions, key=lambda iv: iv.order)
        self.timing = {"build_s": perf_counter() - t0, "loop_s": 0.0, "vote_s": 0.0, "setup_s": 0.0}

        t1 = perf_counter()
        self._open_campaign()
        self.timing["setup_s"] = perf_counter() - t1
        self.running = True

    def _make_agents(self) -> None:
        """Mesa agents for candidates and brokers: thin views over the model's arrays."""
        self.candidate_agents = [Candidate(self, i) for i in range(self.world.n_candidates)]
        self.broker_agents = [Broker(self, i) for i in range(self.world.n_brokers)]

    def _reset_election_state(self) -> None:
        """The state of one election: a fresh slate, untouched delegates, an empty case book."""
        cfg, w = self.cfg, self.world
        n_del, n_cand = w.n_delegates, w.n_candidates
        # Delegates
        self.del_state = np.zeros(n_del, dtype=np.int8)
        # del_held[d, c]: delegate d holds a bribe of its township's candidate c (any ballot size)
        self.del_held = np.zeros((n_del, w.slots_per_township), dtype=bool)
        self.del_present = np.ones(n_del, dtype=bool)  # still holds its seat in the congress
        self.del_money = np.zeros(n_del)
        self.del_ever_bought = np.zeros(n_del, dtype=bool)
        # Ties and contracts
        self.tie_state = np.zeros(len(w.tie_broker), dtype=np.int8)  # a TieState
        self.contract_client = np.full(w.n_contracts, -1, dtype=np.int64)
        self.contract_funds = np.zeros(w.n_contracts)
        self.contract_cut = np.zeros(w.n_contracts)
        # Places
        self.town_watch = np.zeros(w.n_townships)  # standing supervision (screening grades)
        self.town_grade = np.full(w.n_townships, -1, dtype=np.int8)  # screening grade, -1 unscreened
        self.case_credit = np.zeros(len(w.county_size))
        self.town_team_present = np.zeros(w.n_townships, dtype=bool)  # an inspection team is in town
        self.town_risk_sum = np.zeros(w.n_townships)  # excess perceived risk summed over the term's days
        # Candidates: the ballot's slots nominated, the rest in reserve.
        local = np.arange(n_cand) % w.slots_per_township
        self.cand_status = np.where(
            local < cfg.world.candidates_per_township, CandidateStatus.NOMINATED, CandidateStatus.RESERVE
        ).astype(np.int8)
        self.initial_slate = self.cand_status == CandidateStatus.NOMINATED  # the clean congress's slate
        self.cand_buyer = np.zeros(n_cand, dtype=bool)
        self.cand_price = np.zeros(n_cand)
        self.cand_quit_at = np.ones(n_cand)
        self.cand_funding_days = np.full(n_cand, float(cfg.schedule.campaign_days))
        self.cand_spent = np.zeros(n_cand)  # handed to brokers
        self.cand_returned = np.zeros(n_cand)  # handed back unspent at the end of the campaign
        self.cand_risk_extra = np.zeros(n_cand)
        self.cand_commitment = np.zeros(n_cand)
        self.cand_grade = np.full(n_cand, -1, dtype=np.int8)
        self.cand_removed_by = np.full(n_cand, "", dtype="<U24")
        self.votes = np.zeros(n_cand, dtype=np.int64)
        self.elected_on_day = np.zeros(n_cand, dtype=bool)
        self.posts_sold = np.zeros(n_cand, dtype=np.int64)
        # The counterfactual congresses (see sim.model.voting): without bribes, and clean.
        self.congress_slate = np.zeros(n_cand, dtype=bool)
        self.cf_elected = np.zeros(n_cand, dtype=bool)
        self.cf_elected_on_day = np.zeros(n_cand, dtype=bool)
        self.cf_votes = np.zeros(n_cand, dtype=np.int64)
        self.clean_elected = np.zeros(n_cand, dtype=bool)

        self.tips = TipBook()
        self.hotline = HotlineSettings.basic(cfg.investigation, cfg.reporting)
        self.counters: dict[str, float] = defaultdict(float)
        self.results: dict[str, float] = {}
        self.offers_today = 0
        self.accepted_today = 0
        self._peer_share_cache: tuple[np.ndarray, np.ndarray] | None = None  # see peer_bought_share
        # Draws fixed per candidate for this election (new people each term): the inclination to
        # buy and the risk each tolerates; each delegate's prior preference on the ballot.
        self.cand_u_buy = self.streams.candidates.random(n_cand)
        self.cand_u_quit = self.streams.candidates.random(n_cand)
        self.del_lean = draw_leanings(self)

    def _open_campaign(self) -> None:
        """Nomination and the campaign's start: interventions act, reserves fill, buyers decide."""
        for iv in self.interventions:
            iv.start_term(self)
        fill_from_reserves(self)
        decide_buyers(self)
        assign_brokers(self)

    # ------------------------------------------------------------------ views and helpers
    def delegate(self, index: int) -> DelegateView:
        """A view of delegate ``index``."""
        return DelegateView(self, index)

    @property
    def phase(self) -> str:
        """``campaign``, ``congress`` or ``post`` for the current day."""
        if self.day < self.congress_day:
            return "campaign"
        return "congress" if self.day == self.congress_day else "post"

    def perceived_risk(self) -> np.ndarray:
        """Each delegate's current belief that taking a bribe is detected."""
        w = self.world
        excess = self.town_risk + self.town_watch
        return np.clip(w.base_belief + excess[w.township] + self.del_edu_risk, 0.0, 1.0)

    def candidate_perceived_risk(self) -> np.ndarray:
        """Each candidate's current belief that buying is detected."""
        base = self.cfg.delegates.base_detection_belief
        excess = (self.town_risk + self.town_watch)[self.world.cand_township]
        return np.clip(base + excess + self.cand_risk_extra, 0.0, 1.0)

    def contract_price(self) -> np.ndarray:
        """What the client pays through each contract for one bribe paid (0 without a client)."""
        return np.where(self.contract_client >= 0, self.cand_price[np.maximum(self.contract_client, 0)], 0.0)

    def contract_offer(self) -> np.ndarray:
        """The bribe each contract offers a delegate: the client's price less the broker's commission."""
        return self.contract_price() * (1.0 - self.broker_cut[self.world.contract_broker])

    @property
    def broker_client(self) -> np.ndarray:
        """Each broker's client in its home township (-1 if none)."""
        w = self.world
        client = np.full(w.n_brokers, -1, dtype=np.int64)
        home = w.contract_town == w.broker_township[w.contract_broker]
        client[w.contract_broker[home]] = self.contract_client[home]
        return client

    @property
    def broker_funds(self) -> np.ndarray:
        """Money each broker holds for bribes."""
        w = self.world
        return np.bincount(w.contract_broker, weights=self.contract_funds, minlength=w.n_brokers)

    def count(self, name: str, n: Any) -> None:
        """Add ``n`` (from :meth:`count_items` or :meth:`count_mask`) to the counter ``name``."""
        self.counters[name] += n

    def count_items(self, entity: str, items: np.ndarray, weights: np.ndarray | None = None) -> Any:
        """How many ``items`` (indices of ``entity``) there are, or the sum of their ``weights``.

        A batch of runs (:class:`sim.model.batch.ElectionBatch`) answers each run's total apart.
        """
        return len(items) if weights is None else float(weights.sum())

    def count_mask(self, entity: str, mask: np.ndarray) -> Any:
        """How many items of ``entity`` ``mask`` marks (each run's, in a batch)."""
        return int(mask.sum())

    @property
    def n_units(self) -> int:
        """Runs simulated together (1; see :class:`sim.model.batch.ElectionBatch`)."""
        return 1

    def unit_blocks(self, entity: str) -> list[slice]:
        """Each run's items of ``entity`` (one run: all of them)."""
        sizes = {"candidate": self.world.n_candidates, "township": self.world.n_townships}
        return [slice(0, sizes[entity])]

    def unit_rng(self, unit: int, name: str) -> np.random.Generator:
        """Run ``unit``'s stream ``name`` (one run: the model's own)."""
        return self.streams[name]

    def unit_of(self, entity: str) -> np.ndarray:
        """The run each item of ``entity`` belongs to (all 0: one run)."""
        sizes = {"candidate": self.world.n_candidates, "township": self.world.n_townships}
        return np.zeros(sizes[entity], dtype=np.int64)

    def running_sum(self, values: np.ndarray, entity: str, items: np.ndarray) -> np.ndarray:
        """The cumulative sum of ``values`` (one per item of ``entity``, ascending), run by run in a batch."""
        return np.cumsum(values)

    def merit_tie_break(self) -> np.ndarray:
        """Each candidate's tie-break in the tally: merit scaled to [0, 1e-6] over the province."""
        return merit_tie_break(self.world.cand_merit)

    def count_detection(self, n: Any, cause: str) -> None:
        """Record ``n`` vote-buying actors (brokers or candidates) caught by ``cause``."""
        if np.all(np.asarray(n) <= 0):
            return
        self.count(f"detections_{cause}", n)
        self.count("detections", n)
        if self.day < self.congress_day:
            self.count("detected_before_vote", n)

    # ------------------------------------------------------------------ the schedule
    @property
    def row(self) -> int:
        """Days since the start of the run (the row of the daily series)."""
        return self.term * self.term_days + self.day

    def step(self) -> None:
        """Advance one day; at the end of a term, close it and open the next election."""
        t0 = perf_counter()
        self.offers_today = self.accepted_today = 0
        if self.day < self.congress_day:
            offers_before = self.counters["offers"]
            fund_brokers(self)
            peer_share = peer_bought_share(self)
            refused, paid = make_offers(self, peer_share)
            settle_acceptances(self, paid)
            record_refusals(self, refused)
            offers = self.counters["offers"] - offers_before
            self.offers_today = int(offers) if np.ndim(offers) == 0 else offers
            self.accepted_today = self.count_items("tie", paid)
            self.count("bribes_paid", self.accepted_today)
            file_tips(self, refused, peer_share, campaign=True)
        elif self.day == self.congress_day:
            return_unspent_funds(self)
            tv = perf_counter()
            hold_congress(self)
            self.timing["vote_s"] += perf_counter() - tv
            rivals_report_winners(self)
        else:
            file_tips(self, np.zeros(0, dtype=np.int64), peer_bought_share(self), campaign=False)
        process_queue(self)
        for iv in self.interventions:
            if iv.active:
                iv.apply(self)
        self._decay_beliefs()
        self._record()
        self.day += 1
        if self.day == self.term_days:
            self._close_term()
        self.timing["loop_s"] += perf_counter() - t0

    def _close_term(self) -> None:
        """Winners serve (and some sell posts); record the term; then the next election, or the end."""
        serve_term(self)
        self._summarize_term()
        if self.term + 1 < self.n_terms:
            prepare_next_term(self)
            self.term += 1
            self.day = 0
            self._reset_election_state()
            self._open_campaign()
        else:
            for iv in self.interventions:
                iv.finalize(self)
            self.running = False

    def _record(self) -> None:
        """Fill the day's row of the daily series."""
        self.series.record(self)

    def _summarize_term(self) -> None:
        """Keep the finished term's outcomes."""
        self.term_summaries.append(summarize(self, 0.0))

    def _decay_beliefs(self) -> None:
        self.town_risk_sum += np.minimum(self.town_risk, 1.0)  # the term's average is remembered
        self.town_risk *= 0.5 ** (1.0 / self.cfg.beliefs.half_life_days)

    def run(self) -> None:
        """Run every day of every term's calendar, then finalize the interventions."""
        while self.running:
            self.step()

    # ------------------------------------------------------------------ read-outs
    def live_bribes(self) -> np.ndarray:
        """Ties carrying an accepted bribe whose broker is still at work."""
        w = self.world
        return (self.tie_state == TieState.ACCEPTED) & self.broker_active[w.tie_broker]

    def holds_live_bribe(self) -> np.ndarray:
        """Mask of delegates holding at least one bribe paid through a broker still at work."""
        w = self.world
        return np.bincount(w.tie_delegate[self.live_bribes()], minlength=w.n_delegates) > 0

    def buyers_funding(self) -> np.ndarray:
        """Mask of buyers still on the ballot whose perceived risk is below their tolerance."""
        return (
            self.cand_buyer
            & (self.cand_status == CandidateStatus.NOMINATED)
            & (self.candidate_perceived_risk() < self.cand_quit_at)
        )

    def vote_buyers(self) -> np.ndarray:
        """Mask of candidates who actually paid brokers for votes (intent alone does not count)."""
        return self.cand_buyer & (self.cand_spent > 0)

    def currently_bribed(self) -> int:
        """Delegates holding a bribe now."""
        return int((self.del_state == DelegateState.BOUGHT).sum())

    def removed_candidates(self) -> np.ndarray:
        """Mask of candidates excluded, disqualified or unseated."""
        return np.isin(
            self.cand_status, (CandidateStatus.EXCLUDED, CandidateStatus.DISQUALIFIED, CandidateStatus.UNSEATED)
        )
