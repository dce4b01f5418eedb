"""Candidate vetting before nomination: the four mandatory checks (Jiangxi, Inner Mongolia)."""

from __future__ import annotations

from typing import TYPE_CHECKING, override

import numpy as np

from sim.config import CandidateVettingConfig
from sim.interventions.base import Intervention
from sim.model.agents import CandidateStatus
from sim.model.terms import fill_from_reserves

if TYPE_CHECKING:
    from sim.model.election import ElectionModel


class CandidateVetting(Intervention):
    """Checks run before nomination remove tainted candidates, and some honest ones by mistake.

    A share ``coverage`` of the slate is vetted, and the same share of the reserves should they be
    promoted: when risk screening ran, the highest graded first (then at random), otherwise at
    random.  A vetted tainted candidate is excluded with
    probability ``completion x hit_rate`` (a check not completed cannot find anything; Jiangxi
    completed 54% to 100% of the four checks); a vetted honest one with ``false_alarm_rate``.
    Vetting runs in rounds: the slate first, then the reserves promoted into the places of those
    excluded (:func:`sim.model.terms.fill_from_reserves`), so a reserve who is never needed is
    never checked.  Cost: checks (``checks_per_candidate x completion`` per vetted candidate).
    """

    name = "candidate_vetting"
    order = 20
    unit = "checks"

    def __init__(self, config: CandidateVettingConfig) -> None:
        super().__init__(config)
        self.config: CandidateVettingConfig = config

    @override
    def initialize(self, model: ElectionModel) -> None:
        cfg, w = self.config, model.world
        rng = self.rng(model)
        u_order, u_check = rng.random(w.n_candidates), rng.random(w.n_candidates)
        # Who would be vetted if they stood: the first ``coverage`` of the slate by priority (high
        # grade first), and the first ``coverage`` of the reserves, fixed before any round so that
        # every arm vets the same people.  The share is taken of each group on its own: reserves
        # are never graded, so a quota over slate and reserves together would vet the whole slate
        # at a coverage of 5/7 whenever screening ran.  Each run of a batch ranks its own candidates.
        unit = model.unit_of("candidate")
        n_units = int(unit[-1]) + 1 if len(unit) else 1
        priority = np.lexsort((u_order, -model.cand_grade.astype(np.int64), unit))
        selected = np.zeros(w.n_candidates, dtype=bool)
        for group in (model.cand_status == CandidateStatus.NOMINATED, model.cand_status == CandidateStatus.RESERVE):
            ranked = priority[group[priority]]  # the group's members, run by run, in priority order
            per_unit = np.bincount(unit[ranked], minlength=n_units)
            rank = np.arange(len(ranked)) - np.concatenate([[0], np.cumsum(per_unit)[:-1]])[unit[ranked]]
            quota = np.array([round(cfg.coverage * n) for n in per_unit])
            selected[ranked[rank < quota[unit[ranked]]]] = True
        p_exclude = np.where(w.cand_tainted, cfg.completion * cfg.hit_rate, cfg.false_alarm_rate)
        vetted = np.zeros(w.n_candidates, dtype=bool)
        for _ in range(w.slots_per_township - model.cfg.world.candidates_per_township + 1):
            fill_from_reserves(model)  # reserves take the places of those excluded so far
            due = selected & ~vetted & (model.cand_status == CandidateStatus.NOMINATED)
            vetted |= due
            excluded = due & (u_check < p_exclude)
            model.cand_status[excluded] = CandidateStatus.EXCLUDED
            model.cand_removed_by[excluded] = self.name
        n_vet = model.count_mask("candidate", vetted)
        model.count("candidates_vetted", n_vet)
        self.spend(n_vet * cfg.checks_per_candidate * cfg.completion, cfg.staff_days_per_check)
        excluded = model.cand_status == CandidateStatus.EXCLUDED
        self.outcomes = {
            "excluded": model.count_mask("candidate", excluded) * 1.0,
            "excluded_tainted": model.count_mask("candidate", excluded & w.cand_tainted) * 1.0,
        }
