"""The investigation queue: limited capacity, delays, substantiation and the trust it builds.

Each county office opens queued tips in order of arrival as its capacity allows (capacity accrues
daily, so fractional capacities work), closes each after a fixed handling time (direct checks and
supervised cases differ), substantiates it with a probability that depends on whether the tip is
true and how specific it is, and publishes the outcome, which builds trust in the hotline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.config import InvestigationConfig, ReportingConfig
from sim.model.agents import CandidateStatus, TipKind
from sim.model.enforcement import sanction_brokers, sanction_candidates
from sim.model.network import group_offsets
from sim.model.reporting import nth_standing_candidate
from sim.model.tips import TipStatus, TipTarget

if TYPE_CHECKING:
    from sim.model.election import ElectionModel


@dataclass
class HotlineSettings:
    """How tips are handled; the basic hotline by default, changed by fast resolution."""

    capacity_per_day: float
    direct_days: int
    supervised_days: int
    p_true: float
    p_vague: float
    p_false: float
    trust_gain: float

    @classmethod
    def basic(cls, inv: InvestigationConfig, rep: ReportingConfig) -> HotlineSettings:
        """The slow hotline that exists without any intervention."""
        return cls(
            capacity_per_day=inv.capacity_per_day,
            direct_days=inv.direct_days,
            supervised_days=inv.supervised_days,
            p_true=inv.p_substantiate_true,
            p_vague=inv.p_substantiate_vague,
            p_false=inv.p_substantiate_false,
            trust_gain=rep.trust_gain,
        )


def culprit_broker_per_township(model: ElectionModel) -> np.ndarray:
    """In each township, the active broker holding most bribes paid *there* (-1 if none).

    Bribes are located where they were paid (the bribed delegate's township), not where the broker
    lives: a broker working a neighbouring township is found there.  Ties between brokers go to
    the lower index.
    """
    w = model.world
    live = np.flatnonzero(model.live_bribes())
    culprit = np.full(w.n_townships, -1, dtype=np.int64)
    if len(live) == 0:
        return culprit
    pair = w.township[w.tie_delegate[live]] * w.n_brokers + w.tie_broker[live]
    pairs, count = np.unique(pair, return_counts=True)
    town, broker = pairs // w.n_brokers, pairs % w.n_brokers
    order = np.lexsort((broker, -count, town))
    first = np.concatenate([[True], town[order][1:] != town[order][:-1]])
    culprit[town[order][first]] = broker[order][first]
    return culprit


def process_queue(model: ElectionModel) -> None:
    """Open what capacity allows, close what is due, act on substantiated findings."""
    tips, hot, w = model.tips, model.hotline, model.world
    day = model.day
    n_counties = len(w.county_size)
    model.case_credit += hot.capacity_per_day

    queued = np.flatnonzero(tips.status == TipStatus.QUEUED)
    if len(queued):
        county = tips.county[queued]
        order = np.argsort(county, kind="stable")
        rank = np.empty(len(queued), dtype=np.int64)
        rank[order] = group_offsets(np.bincount(county, minlength=n_counties))
        opened = queued[rank < np.floor(model.case_credit[county])]
        model.case_credit -= np.bincount(tips.county[opened], minlength=n_counties)
        tips.status[opened] = TipStatus.OPEN
        tips.open_day[opened] = day
        handling = np.where(tips.kind[opened] == TipKind.SUPERVISED, hot.supervised_days, hot.direct_days)
        tips.close_day[opened] = day + handling
    # Unused capacity does not pile up beyond one day's worth plus a case.
    model.case_credit = np.minimum(model.case_credit, hot.capacity_per_day + 1.0)

    due = np.flatnonzero((tips.status == TipStatus.OPEN) & (tips.close_day <= day))
    if len(due) == 0:
        return
    tips.status[due] = TipStatus.CLOSED
    target_type = tips.target_type[due]
    p = np.where(tips.is_true[due], np.where(target_type == TipTarget.TOWNSHIP, hot.p_vague, hot.p_true), hot.p_false)
    found = tips.evidence[due] < np.minimum(p, 1.0)

    on_town = due[found & (target_type == TipTarget.TOWNSHIP)]
    true_town = on_town[tips.is_true[on_town]]
    false_town = on_town[~tips.is_true[on_town]]
    # A true vague tip is only substantiated if there is still someone to find.
    if len(true_town):
        town_broker = culprit_broker_per_township(model)[tips.target[true_town]]
    else:
        town_broker = np.zeros(0, dtype=np.int64)
    tips.substantiated[due[found & (target_type != TipTarget.TOWNSHIP)]] = True
    tips.substantiated[true_town[town_broker >= 0]] = True
    # A false vague tip "substantiated" by mistake falls on a random candidate who stood there.
    if len(false_town):
        # Given that a tip was substantiated (evidence < p), evidence / p is a uniform draw of its
        # own, fixed when the tip was filed: it picks the candidate, whatever else is in the queue.
        p_found = np.minimum(hot.p_false, 1.0)
        wrongly = nth_standing_candidate(model, tips.target[false_town], tips.evidence[false_town] / p_found)
        tips.substantiated[false_town] = True
        sanction_candidates(model, wrongly, "hotline")

    brokers = np.concatenate(
        [tips.target[due[found & (target_type == TipTarget.BROKER)]], town_broker[town_broker >= 0]]
    )
    sanction_brokers(model, brokers, "hotline")
    cands = tips.target[due[found & (target_type == TipTarget.CANDIDATE)]]
    cands = cands[np.isin(model.cand_status[cands], (CandidateStatus.NOMINATED, CandidateStatus.ELECTED))]
    sanction_candidates(model, cands, "hotline")

    # Every closed case is answered; answers build trust in the county's hotline.
    closed = np.bincount(tips.county[due], minlength=n_counties)
    model.trust = 1.0 - (1.0 - model.trust) * (1.0 - hot.trust_gain) ** closed
