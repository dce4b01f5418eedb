"""Signed pledges and heart-to-heart talks (Hunan, Anhui, Shaanxi)."""

from __future__ import annotations

from typing import TYPE_CHECKING, override

import numpy as np

from sim.config import PledgesTalksConfig
from sim.interventions.base import Intervention
from sim.model.agents import CandidateStatus

if TYPE_CHECKING:
    from sim.model.election import ElectionModel


class PledgesTalks(Intervention):
    """Pledges commit delegates; talks commit candidates.

    A delegate who signed a pledge adds ``commitment x exp(-bribe / bribe_scale)`` to the moral
    cost of taking a bribe: strong against small bribes, fading against large ones (a promise is
    cheap to break when the price is high).  A candidate standing who is talked to loses
    ``candidate_commitment`` from the logit of deciding to buy.  Cost: pledges and talks.
    """

    name = "pledges_talks"
    order = 40
    unit = "pledges and talks"

    def __init__(self, config: PledgesTalksConfig) -> None:
        super().__init__(config)
        self.config: PledgesTalksConfig = config

    @override
    def carry_over(self, model: ElectionModel) -> None:
        # A pledge is signed for one election; talks are with that election's candidates.
        model.del_pledge[:] = 0.0

    @override
    def initialize(self, model: ElectionModel) -> None:
        cfg, w = self.config, model.world
        rng = self.rng(model)
        signs = rng.random(w.n_delegates) < cfg.delegate_coverage
        # Talks are held with the candidates standing (reserves promoted by vetting included), not
        # with reserves who never stand.
        standing = model.cand_status == CandidateStatus.NOMINATED
        talked = (rng.random(w.n_candidates) < cfg.candidate_coverage) & standing
        model.del_pledge = np.where(signs, cfg.commitment, 0.0)
        model.pledge_bribe_scale = cfg.bribe_scale
        model.cand_commitment += np.where(talked, cfg.candidate_commitment, 0.0)
        n_signs, n_talks = model.count_mask("delegate", signs), model.count_mask("candidate", talked)
        self.spend(n_signs, cfg.staff_days_per_pledge)
        self.spend(n_talks, cfg.staff_days_per_talk)
        self.outcomes = {"pledges": n_signs * 1.0, "talks": n_talks * 1.0}
