"""Warning and deterrence education (Yunnan, Qinghai, Hunan in the source report)."""

from __future__ import annotations

from typing import TYPE_CHECKING, override

import numpy as np

from sim.config import WarningEducationConfig
from sim.interventions.base import Intervention

if TYPE_CHECKING:
    from sim.model.election import ElectionModel


class WarningEducation(Intervention):
    """Sessions (warning films, publicised cases) held over a roll-out period.

    A share ``coverage`` of delegates attends one session, on a day spread uniformly over
    ``rollout_days`` from ``start_day``.  From the day after, an attendee's moral cost of taking a
    bribe rises by ``moral_boost`` and their detection belief by ``risk_boost``; both decay with
    ``half_life_days``.  Publicised cases also raise every candidate's perceived risk before they
    decide whether to buy, by ``candidate_risk_boost`` times ``coverage`` (every effect scales with
    the programme's reach, so a coverage of 0 does nothing and costs nothing).  Cost: sessions, of
    ``attendees_per_session`` attendees each (Yunnan: 85,455 attendances in 9,321 sessions).
    """

    name = "warning_education"
    order = 30
    unit = "sessions"

    def __init__(self, config: WarningEducationConfig) -> None:
        super().__init__(config)
        self.config: WarningEducationConfig = config

    @override
    def initialize(self, model: ElectionModel) -> None:
        cfg, w = self.config, model.world
        rng = self.rng(model)
        u_attend, u_day = rng.random(w.n_delegates), rng.random(w.n_delegates)
        attends = u_attend < cfg.coverage
        self.attend_day = np.where(attends, cfg.start_day + (u_day * cfg.rollout_days).astype(np.int64), -1)
        attendees = np.bincount(w.township[attends], minlength=w.n_townships)
        sessions = np.ceil(attendees / cfg.attendees_per_session)
        self.spend(model.count_items("township", np.arange(w.n_townships), sessions), cfg.staff_days_per_session)
        self.outcomes = {"attendees": model.count_mask("delegate", attends) * 1.0}
        self.moral = np.zeros(w.n_delegates)
        self.risk = np.zeros(w.n_delegates)
        self.decay = 0.5 ** (1.0 / cfg.half_life_days)
        # Cases publicised reach candidates as far as the programme reaches: no sessions, no effect.
        model.cand_risk_extra += cfg.candidate_risk_boost * cfg.coverage

    @override
    def carry_over(self, model: ElectionModel) -> None:
        # A session's effect has a half-life of days (half_life_days); a term lasts years: nothing
        # of it is left at the next election.
        if hasattr(self, "moral"):
            model.del_moral_extra -= self.moral
            self.moral[:] = 0.0
            self.risk[:] = 0.0
            model.del_edu_risk = self.risk

    @override
    def apply(self, model: ElectionModel) -> None:
        cfg = self.config
        model.del_moral_extra -= self.moral
        self.moral *= self.decay
        self.risk *= self.decay
        today = self.attend_day == model.day
        self.moral[today] += cfg.moral_boost
        self.risk[today] += cfg.risk_boost
        model.del_moral_extra += self.moral
        model.del_edu_risk = self.risk
