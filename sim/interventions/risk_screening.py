"""Risk screening with high / medium / low grading (Guangxi, Qinghai, Liaoning)."""

from __future__ import annotations

from typing import TYPE_CHECKING, override

import numpy as np

from sim.config import RiskScreeningConfig
from sim.interventions.base import Intervention
from sim.model.agents import CandidateStatus
from sim.model.campaign import buy_propensity, buying_decision

if TYPE_CHECKING:
    from sim.model.election import ElectionModel

LOW, MEDIUM, HIGH = 0, 1, 2


def grade(truly_risky: np.ndarray, score: np.ndarray, u: np.ndarray, cfg: RiskScreeningConfig) -> np.ndarray:
    """Grade items high / medium / low from a noisy screen.

    An item that is truly risky is flagged with probability ``sensitivity``; a clean one is
    flagged with probability ``1 - specificity``.  Flagged items are ranked by ``score``: the top
    ``high_share`` of all items are graded high, the next ``medium_share`` medium, the rest low.
    """
    flagged = np.where(truly_risky, u < cfg.sensitivity, u >= cfg.specificity)
    n = len(score)
    order = np.lexsort((-score, ~flagged))  # flagged first, then by score
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    grades = np.full(n, LOW, dtype=np.int8)
    n_high = round(cfg.high_share * n)
    n_med = round(cfg.medium_share * n)
    grades[flagged & (rank < n_high + n_med)] = MEDIUM
    grades[flagged & (rank < n_high)] = HIGH
    return grades


class RiskScreening(Intervention):
    """A noisy risk score per township and candidate before the campaign, graded in three levels.

    The screen's score of a candidate is its propensity to buy votes; a township's is the expected
    number of buyers who have brokers to work with.  A candidate set to buy votes (and a township
    where one is, with brokers) is flagged with ``sensitivity``; any other with
    ``1 - specificity``; flagged items are graded by score.  High-risk townships are supervised
    directly (delegates and candidates there perceive ``high_risk_boost`` more risk, and
    inspection and vetting go there first), medium ones are tracked (``medium_risk_boost``), low
    ones are left to the lower level.  Reserves are not screened (they are not standing).  Cost:
    screening units per township and per candidate on the slate.
    """

    name = "risk_screening"
    order = 10
    unit = "screening units"

    def __init__(self, config: RiskScreeningConfig) -> None:
        super().__init__(config)
        self.config: RiskScreeningConfig = config

    @override
    def initialize(self, model: ElectionModel) -> None:
        cfg, w = self.config, model.world
        rng = self.rng(model)
        u_town, u_cand = rng.random(w.n_townships), rng.random(w.n_candidates)
        noise_town, noise_cand = rng.normal(0, 0.5, w.n_townships), rng.normal(0, 0.5, w.n_candidates)
        # The screen scores what it can see (propensities) of the candidates on the slate (reserves
        # are not standing); whether it is right is judged against what candidates are actually set
        # to do: buy votes, in a township with brokers to buy through.
        slate = model.cand_status == CandidateStatus.NOMINATED
        p_buy = np.where(slate, buy_propensity(model), 0.0)
        will_buy = buying_decision(model)
        has_brokers = np.bincount(w.broker_township, minlength=w.n_townships) > 0
        town_risk = np.bincount(w.cand_township, weights=p_buy, minlength=w.n_townships) * has_brokers
        town_buying = (np.bincount(w.cand_township, weights=will_buy, minlength=w.n_townships) > 0) & has_brokers
        # Each run of a batch grades its own province (shares and spreads are the province's).
        towns, cands = model.unit_blocks("township"), model.unit_blocks("candidate")
        for t, c in zip(towns, cands, strict=True):
            model.town_grade[t] = grade(
                town_buying[t], town_risk[t] + noise_town[t] * town_risk[t].std(), u_town[t], cfg
            )
            on_slate, p = slate[c], p_buy[c]
            score = p + noise_cand[c] * p[on_slate].std() if on_slate.any() else p
            model.cand_grade[c][on_slate] = grade(will_buy[c][on_slate], score[on_slate], u_cand[c][on_slate], cfg)
        boost = np.array([0.0, cfg.medium_risk_boost, cfg.high_risk_boost])
        model.town_watch += boost[model.town_grade]
        n_towns = model.count_mask("township", np.ones(w.n_townships, dtype=bool))
        units = n_towns * cfg.units_per_township + model.count_mask("candidate", slate) * cfg.units_per_candidate
        self.spend(units, cfg.staff_days_per_unit)
        self.outcomes = {
            "high_townships": model.count_mask("township", model.town_grade == HIGH) * 1.0,
            "medium_townships": model.count_mask("township", model.town_grade == MEDIUM) * 1.0,
        }
