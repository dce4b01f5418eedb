"""Fast tip-off resolution: 12380 hotline plus joint investigation with deadlines (Shanxi)."""

from __future__ import annotations

from typing import TYPE_CHECKING, override

import numpy as np

from sim.config import TipoffResolutionConfig
from sim.interventions.base import Intervention
from sim.model.tips import TipStatus

if TYPE_CHECKING:
    from sim.model.election import ElectionModel


class TipoffResolution(Intervention):
    """Joint investigation closes direct checks in 5 working days and supervised cases in 10.

    Replaces the basic hotline's handling times with the deadlines, multiplies its capacity,
    substantiates true tips more often (discipline, organisation, legal and petition bodies
    together) and, because outcomes are answered quickly and visibly, builds trust in reporting
    ``trust_gain_multiplier`` times faster, which raises reporting and, through earlier sanctions,
    deterrence.  Cost: investigator-days, ``staff_days_per_case_day`` for each open case each day;
    the joint team is staffed for at least its daily capacity in every county whether or not tips
    come in.
    """

    name = "tipoff_resolution"
    order = 50
    unit = "investigator-days"

    def __init__(self, config: TipoffResolutionConfig) -> None:
        super().__init__(config)
        self.config: TipoffResolutionConfig = config

    @override
    def initialize(self, model: ElectionModel) -> None:
        cfg, hot = self.config, model.hotline
        hot.direct_days = cfg.direct_days
        hot.supervised_days = cfg.supervised_days
        hot.capacity_per_day *= cfg.capacity_multiplier
        hot.p_true = min(1.0, hot.p_true * cfg.substantiation_gain)
        hot.p_vague = min(1.0, hot.p_vague * cfg.substantiation_gain)
        hot.trust_gain = min(1.0, hot.trust_gain * cfg.trust_gain_multiplier)

    @override
    def apply(self, model: ElectionModel) -> None:
        tips = model.tips
        open_cases = model.count_items("county", tips.county[tips.status == TipStatus.OPEN])
        standing = model.hotline.capacity_per_day * model.count_mask(
            "county", np.ones(len(model.world.county_size), dtype=bool)
        )
        self.spend(np.maximum(open_cases, standing) * self.config.staff_days_per_case_day, 1.0)
