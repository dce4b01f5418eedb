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
        w = model.world
        rng = self.rng(model)
        u_order = rng.random(w.n_townships)
        self.route = np.lexsort((u_order, -model.town_grade.astype(np.int64)))
        self.next_stop = 0
        self.n_teams = self.teams_needed(w.n_townships, model.cfg.schedule.campaign_days)
        # With a coverage target, teams stop once that many townships have been visited.
        target = self.config.coverage_target
        self.visit_quota = round(target * w.n_townships) if target > 0 else None
        self.team_town = np.full(self.n_teams, -1, dtype=np.int64)
        self.days_left = np.zeros(self.n_teams, dtype=np.int64)
        self.visited = np.zeros(w.n_townships, dtype=bool)
        self.outcomes = {"teams": float(self.n_teams)}

    @override
    def apply(self, model: ElectionModel) -> None:
        cfg, w = self.config, model.world
        if model.day < cfg.start_day or model.day > model.congress_day or self.n_teams == 0:
            return
        rng = self.rng(model)
        u_detect = rng.random(self.n_teams)
        n_problems = rng.poisson(cfg.irregularity_rate, self.n_teams)
        moving = np.flatnonzero(self.days_left == 0)
        if self.visit_quota is not None:
            left = max(self.visit_quota - int(model.counters["township_visits"]), 0)
            finished = moving[left:]
            self.team_town[finished] = -1  # this team's work is done
            self.days_left[finished] = -1
            moving = moving[:left]
        if len(moving):
            stops = (self.next_stop + np.arange(len(moving))) % w.n_townships
            self.next_stop = (self.next_stop + len(moving)) % w.n_townships
            towns = self.route[stops]
            self.team_town[moving] = towns
            self.days_left[moving] = cfg.visit_days
            self.visited[towns] = True
            model.count("township_visits", len(moving))
            model.count("problems_found", int(n_problems[moving].sum()))
            raise_risk(model, towns, cfg.visit_risk_jump, cfg.visit_risk_jump_county)
        model.counters["townships_visited"] = int(self.visited.sum())

        # Bribe-carrying ties in each team's township (where the bribes were paid).
        live = model.live_bribes()
        in_field = self.team_town >= 0
        ties_here = np.bincount(w.township[w.tie_delegate[live]], minlength=w.n_townships)
        active = np.where(in_field, ties_here[self.team_town], 0)
        # Brokers who lie low while a team is in town (brokers.lie_low) stop meeting the delegates
        # they paid: their ties leave fewer traces for the team to find.
        visible = active * (1.0 - model.cfg.brokers.lie_low)
        p_find = 1.0 - (1.0 - cfg.detect_per_tie_day) ** visible
        found = np.flatnonzero(u_detect < p_find)
        if len(found):
            from sim.model.investigation import culprit_broker_per_township

            culprit = culprit_broker_per_township(model)[self.team_town[found]]
            culprit = np.unique(culprit[culprit >= 0])
            model.count("problems_found", len(culprit))
            model.count("vote_buying_found_by_inspection", len(culprit))
            sanction_brokers(model, culprit, self.name)
        self.days_left[in_field] -= 1
        self.spend(int(in_field.sum()), cfg.team_members)
        # Brokers know where the teams are (strategic brokers lie low there: brokers.lie_low).
        model.town_team_present[:] = False
        model.town_team_present[self.team_town[(self.team_town >= 0) & (self.days_left > 0)]] = True
