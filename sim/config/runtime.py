"""The time a run takes, estimated from its configuration before anything is built.

A run's time grows with its days (each day's rules over every delegate and every inspection
team), with its slates (the vote counts three elections over every pair of candidates) and with
the reserve lists (each reserve is drawn and ranked).  The constants are seconds measured on the
project's machine (2 cores, shared: load 1.3-2.0) from single runs of the county, city and
province presets and of runs with 10x the days, 10^6 teams, 1,000 candidates and 10^4-10^5
reserves a township (``experiments/benchmark.py`` measures the presets), rounded up, so the
estimate errs long: a province run is estimated at 0.7 s and took 0.4 s, a county run with 10^6
teams over 100 days at 10 s and took 7.3 s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sim.config.fields import ConfigError

#: Seconds of a run that do not grow with its size (building, setup, the summary).
SECONDS_FIXED = 0.1

#: Seconds of a day's fixed work (the day's processes, the series), per delegate-day, per team-day.
SECONDS_PER_DAY = 4e-4
SECONDS_PER_DELEGATE_DAY = 1e-7
SECONDS_PER_TEAM_DAY = 1e-7

#: Seconds per township per pair of candidates on its slate (three elections on congress day).
SECONDS_PER_CANDIDATE_PAIR = 1e-6

#: Seconds per reserve on a township's list (drawn, ranked and kept through the term).
SECONDS_PER_RESERVE = 4e-5

#: Runs (or sweeps) estimated to take longer than this are refused unless confirmed (``--yes``).
LONG_RUN_SECONDS = 600.0


class LongRunError(ConfigError):
    """A run or sweep is estimated to take longer than :data:`LONG_RUN_SECONDS`; confirm to proceed."""


def runtime_parts(value: Callable[[str], Any]) -> dict[str, tuple[float, tuple[str, ...]]]:
    """Estimated seconds of each part of one run, with the keys that size it (arithmetic only).

    Args:
        value: The value of a dotted key (``value("world.n_townships")``): from a configuration
            (:func:`runtime_estimate`) or from a sweep's flat inputs.
    """
    towns = float(value("world.n_townships"))
    delegates = towns * float(value("world.delegates_per_township")) * (1.0 + float(value("world.delegates_spread")))
    terms = float(value("schedule.terms"))
    days = (float(value("schedule.campaign_days")) + float(value("schedule.post_election_days")) + 1.0) * terms
    teams = float(value("interventions.team_inspection.n_teams")) * bool(value("interventions.team_inspection.enabled"))
    slate = float(value("world.candidates_per_township"))
    day_keys = ("schedule.campaign_days", "schedule.post_election_days", "schedule.terms")
    return {
        "days": (days * (SECONDS_PER_DAY + SECONDS_PER_DELEGATE_DAY * delegates), day_keys),
        "inspection teams": (
            days * teams * SECONDS_PER_TEAM_DAY,
            ("interventions.team_inspection.n_teams", *day_keys),
        ),
        "slates": (
            terms * towns * slate * slate * SECONDS_PER_CANDIDATE_PAIR,
            ("world.candidates_per_township", "world.n_townships"),
        ),
        "reserves": (
            terms * towns * float(value("world.reserves_per_township")) * SECONDS_PER_RESERVE,
            ("world.reserves_per_township", "world.n_townships"),
        ),
    }


def runtime_estimate(cfg: Any) -> float:
    """Estimated seconds of one run of ``cfg`` (a :class:`SimConfig`) on the project's machine."""
    return SECONDS_FIXED + sum(s for s, _ in runtime_parts(lambda key: _get(cfg, key)).values())


def flat_runtime_estimate(inputs: Mapping[str, Any]) -> float:
    """:func:`runtime_estimate` of a run given as flat dotted inputs (a sweep plan's arm)."""
    return SECONDS_FIXED + sum(s for s, _ in runtime_parts(inputs.__getitem__).values())


def describe_seconds(seconds: float) -> str:
    """A duration as people say it: ``"40 s"``, ``"12 min"``, ``"3.5 hours"``, ``"2.1 days"``."""
    if seconds < 1:
        return "under a second"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 86400:,.1f} days"


def check_runtime(cfg: Any, confirmed: bool = False) -> float:
    """Refuse a run estimated over :data:`LONG_RUN_SECONDS` unless ``confirmed``.

    Returns:
        The estimate, in seconds.

    Raises:
        LongRunError: Naming the keys that size the longest part, and how to confirm.
    """
    seconds = runtime_estimate(cfg)
    if seconds > LONG_RUN_SECONDS and not confirmed:
        parts = runtime_parts(lambda key: _get(cfg, key))
        what, (_, keys) = max(parts.items(), key=lambda item: item[1][0])
        values = ", ".join(f"{k}={_get(cfg, k)}" for k in keys)
        raise LongRunError(
            f"{values}: the run would take an estimated {describe_seconds(seconds)} ({what}); "
            "make it smaller, or confirm with --yes (simulate(..., allow_long=True) from Python)"
        )
    return seconds


def _get(cfg: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        cfg = getattr(cfg, part)
    return cfg
