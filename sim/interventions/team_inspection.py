"""Inspection teams visiting townships (Liaoning, Guangxi, Anhui)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, override

import numpy as np

from sim.config import TeamInspectionConfig
from sim.interventions.base import Intervention
from sim.model.enforcement import raise_risk, sanction_brokers

if TYPE_CHECKING:
    from sim.model.election import ElectionModel


class TeamInspection(Intervention):
    """Teams stay ``visit_days`` in a township, then move to the next on their list.

    The list is random, or, when risk screening ran, high-risk townships first, then medium, then
    low (random within a grade).  No township is visited twice before all have been.  Each day a
    team uncovers each active vote-buying tie in its township with probability
    ``detect_per_tie_day``; a find sanctions the broker holding most bribes there.  Each visit also
    turns up other irregularities (Poisson, ``irregularity_rate`` per visit), so the problems found
    can be set against Liaoning's 142 in 318 visits.  A visit raises perceived risk in the township
    and, less, in its county.  Teams work from ``start_day`` up to congress day.  Cost: team-days
    x ``team_members`` staff-days.
    """

    name = "team_inspection"
    order = 60
    unit = "team-days"

    def __init__(self, config: TeamInspectionConfig) -> None:
        super().__init__(config)
        self.config: TeamInspectionConfig = config

    def teams_needed(self, n_townships: int, campaign_days: int) -> int:
        """Teams to field: ``n_teams``, or enough to reach ``coverage_target`` if that is set."""
        cfg = self.config
        if cfg.coverage_target <= 0:
            return cfg.n_teams
        active_days = max(1, campaign_days + 1 - cfg.start_day)
        visits_per_team = max(1, math.ceil(active_days / cfg.visit_days))
        return math.ceil(cfg.coverage_target * n_townships / visits_per_team)

    @override
    def initialize(self, model: ElectionModel) -> None:
        # Each run of a batch fields its own teams on its own route (townships are a block per run).
        self.blocks = model.unit_blocks("township")
        n_town = self.blocks[0].stop - self.blocks[0].start
        self.n_teams = self.teams_needed(n_town, model.cfg.schedule.campaign_days)
        # With a coverage target, teams stop once that many townships have been visited.
        target = self.config.coverage_target
        self.visit_quota = round(target * n_town) if target > 0 else None
        self.route, self.next_stop = [], []
        for u, block in enumerate(self.blocks):
            u_order = model.unit_rng(u, f"intervention.{self.name}").random(n_town)
            self.route.append(block.start + np.lexsort((u_order, -model.town_grade[block].astype(np.int64))))
            self.next_stop.append(0)
        n_units = len(self.blocks)
        self.team_town = np.full((n_units, self.n_teams), -1, dtype=np.int64)
        self.days_left = np.zeros((n_units, self.n_teams), dtype=np.int64)
        self.visited = np.zeros(model.world.n_townships, dtype=bool)
        self.outcomes = {"teams": float(self.n_teams)}

    def _move(self, model: ElectionModel, unit: int, n_problems: np.ndarray) -> tuple[int, int]:
        """Teams of run ``unit`` whose visit ended move on; returns (visits started, problems found)."""
        cfg = self.config
        team_town, days_left = self.team_town[unit], self.days_left[unit]
        moving = np.flatnonzero(days_left == 0)
        if self.visit_quota is not None:
            visits = model.counters["township_visits"]
            left = max(self.visit_quota - int(visits[unit] if np.ndim(visits) else visits), 0)
            finished = moving[left:]
            team_town[finished] = -1  # this team's work is done
            days_left[finished] = -1
            moving = moving[:left]
        if not len(moving):
            return 0, 0
        n_town = len(self.route[unit])
        stops = (self.next_stop[unit] + np.arange(len(moving))) % n_town
        self.next_stop[unit] = (self.next_stop[unit] + len(moving)) % n_town
        towns = self.route[unit][stops]
        team_town[moving] = towns
        days_left[moving] = cfg.visit_days
        self.visited[towns] = True
        raise_risk(model, towns, cfg.visit_risk_jump, cfg.visit_risk_jump_county)
        return len(moving), int(n_problems[moving].sum())

    @override
    def apply(self, model: ElectionModel) -> None:
        cfg = self.config
        if model.day < cfg.start_day or model.day > model.congress_day or self.n_teams == 0:
            return
        n_units = len(self.blocks)
        u_detect = np.empty((n_units, self.n_teams))
        moved = np.zeros((2, n_units), dtype=np.int64)
        for u in range(n_units):
            rng = model.unit_rng(u, f"intervention.{self.name}")
            u_detect[u] = rng.random(self.n_teams)
            n_problems = rng.poisson(cfg.irregularity_rate, self.n_teams)
            moved[:, u] = self._move(model, u, n_problems)
        if moved[0].any():
            lone = model.n_units == 1
            model.count("township_visits", int(moved[0, 0]) if lone else moved[0])
            model.count("problems_found", int(moved[1, 0]) if lone else moved[1])
        model.counters["townships_visited"] = model.count_mask("township", self.visited)
        self._inspect(model, u_detect)
        in_field = self.team_town >= 0
        self.days_left[in_field] -= 1
        self.spend(in_field.sum(axis=1)[0] if model.n_units == 1 else in_field.sum(axis=1), cfg.team_members)
        # Brokers know where the teams are (strategic brokers lie low there: brokers.lie_low).
        model.town_team_present[:] = False
        model.town_team_present[self.team_town[(self.team_town >= 0) & (self.days_left > 0)]] = True

    def _inspect(self, model: ElectionModel, u_detect: np.ndarray) -> None:
        """Teams in the field uncover bribe-carrying ties; a find sanctions the township's culprit broker."""
        cfg, w = self.config, model.world
        # Bribe-carrying ties in each team's township (where the bribes were paid).
        live = model.live_bribes()
        in_field = self.team_town >= 0
        ties_here = np.bincount(w.township[w.tie_delegate[live]], minlength=w.n_townships)
        active = np.where(in_field, ties_here[self.team_town], 0)
        # Brokers who lie low while a team is in town (brokers.lie_low) stop meeting the delegates
        # they paid: their ties leave fewer traces for the team to find.
        visible = active * (1.0 - model.cfg.brokers.lie_low)
        p_find = 1.0 - (1.0 - cfg.detect_per_tie_day) ** visible
        found = u_detect < p_find
        if not found.any():
            return
        from sim.model.investigation import culprit_broker_per_township

        by_town = culprit_broker_per_township(model)
        per_run = (by_town[town[hit]] for town, hit in zip(self.team_town, found, strict=True))
        culprit = np.concatenate([np.unique(c[c >= 0]) for c in per_run])
        n_found = model.count_items("broker", culprit)
        model.count("problems_found", n_found)
        model.count("vote_buying_found_by_inspection", n_found)
        sanction_brokers(model, culprit, self.name)
