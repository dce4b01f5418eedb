"""The memory a run needs, estimated from its configuration before anything is built."""

from __future__ import annotations

import os
from typing import Any

from sim.config.fields import ConfigError
from sim.config.schema import SimConfig

#: Bytes a run needs per delegate and per network tie (measured peak resident memory of runs
#: from 13,000 to 200,000 delegates: about 450 bytes per delegate with 8 peer ties; rounded up),
#: per candidate, per day (the daily series), per tip, and for the interpreter and libraries.
BYTES_PER_DELEGATE = 600


BYTES_PER_TIE = 40


BYTES_PER_CANDIDATE = 200


BYTES_PER_DAY = 400


BYTES_PER_TIP = 100


BYTES_FIXED = 200 * 2**20

#: Bytes per inspection team: its township, days left, and each day's two draws (8 bytes each),
#: with the day's temporary arrays (sim/interventions/team_inspection.py).
BYTES_PER_TEAM = 64


def memory_parts(cfg: SimConfig) -> dict[str, tuple[float, tuple[str, ...]]]:
    """Estimated bytes of each part of a run, with the keys that size it (arithmetic only: instant)."""
    w, s = cfg.world, cfg.schedule
    towns = float(w.n_townships)
    delegates = towns * float(w.delegates_per_township) * (1.0 + float(w.delegates_spread))
    brokers = towns * float(w.brokers_per_township)
    days = (float(s.campaign_days) + float(s.post_election_days) + 1.0) * float(s.terms)
    teams = cfg.interventions.team_inspection
    peer = min(float(w.peer_degree), float(w.delegates_per_township) * (1.0 + float(w.delegates_spread)))
    return {
        "delegates": (delegates * BYTES_PER_DELEGATE, ("world.n_townships", "world.delegates_per_township")),
        "peer ties": (delegates * peer * BYTES_PER_TIE, ("world.peer_degree",)),
        "broker ties": (
            brokers * (BYTES_PER_DELEGATE + float(max(w.broker_ties)) * BYTES_PER_TIE),
            ("world.brokers_per_township", "world.broker_ties"),
        ),
        "candidates": (
            towns * (float(w.candidates_per_township) + float(w.reserves_per_township)) * BYTES_PER_CANDIDATE,
            ("world.candidates_per_township", "world.reserves_per_township"),
        ),
        "inspection teams": (
            float(teams.n_teams) * BYTES_PER_TEAM * teams.enabled,
            ("interventions.team_inspection.n_teams",),
        ),
        "days": (days * BYTES_PER_DAY, ("schedule.campaign_days", "schedule.post_election_days", "schedule.terms")),
        "false tips": (
            towns * float(cfg.reporting.false_tips_per_township_day) * days * BYTES_PER_TIP,
            ("reporting.false_tips_per_township_day",),
        ),
    }


def memory_estimate(cfg: SimConfig) -> tuple[float, float]:
    """Delegates and bytes of memory a run of ``cfg`` needs (arithmetic only: instant)."""
    w = cfg.world
    delegates = float(w.n_townships) * float(w.delegates_per_township) * (1.0 + float(w.delegates_spread))
    return delegates, BYTES_FIXED + sum(b for b, _ in memory_parts(cfg).values())


def available_memory() -> int:
    """Bytes of memory this machine can give a run (MemAvailable, else physical memory)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 2**62


def check_size(cfg: SimConfig, available: int | None = None) -> None:
    """Refuse a world too big for this machine's memory before building it.

    Raises:
        ConfigError: Naming the keys that size the largest part, the estimate and the memory.
    """
    _, need = memory_estimate(cfg)
    have = available_memory() if available is None else available
    if need > have:
        parts = memory_parts(cfg)
        what, (size, keys) = max(parts.items(), key=lambda item: item[1][0])
        values = ", ".join(f"{k}={_get(cfg, k)}" for k in keys)
        if what == "delegates" or what == "peer ties":
            values = f"world.n_townships={cfg.world.n_townships}, " * (what == "peer ties") + values
        elif "world.n_townships" not in values and what not in ("days", "inspection teams"):
            values += f" (with world.n_townships={cfg.world.n_townships})"
        raise ConfigError(
            f"{values}: the run would need an estimated {need / 2**30:,.1f} GiB of memory "
            f"({what}: {size / 2**30:,.1f} GiB); this machine has {have / 2**30:,.1f} GiB available: make it smaller"
        )


def _get(cfg: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        cfg = getattr(cfg, part)
    return cfg
