"""Experiments: arms (levers), sampled uncertainties, replicates (seeds) and how runs are planned.

Following the EMA Workbench's separation: *levers* are what analysts choose (which interventions,
at what intensity: one arm each), *uncertainties* are behavioural and network parameters nobody
knows (sampled by Latin hypercube in a sensitivity experiment), *replications* are seeds.  Every
arm uses the same seeds and the same uncertainty samples, so arms can be compared pair by pair.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.config import SEED_RANGE, ConfigError, check_fields, setting
from sim.model.streams import replicate_seed
from sim.sweeps.assumptions import LAYERS, assumption_design

#: Override keys that describe how a sweep is run, not what distinguishes its arms.
NON_ARM_KEYS = ("experiment", "replicates", "scenario", "base_seed", "seed", "report", "sensitivity", "sweep", "hydra")


@dataclass
class SensitivityConfig:
    """Uncertain parameters sampled by Latin hypercube (off when ``n_samples`` is 0).

    ``parameters`` maps a dotted configuration key to its ``[low, high]`` range.  With
    ``posterior`` set (a Parquet file written by ``experiments/calibrate.py``), the samples are
    ``n_samples`` draws from that posterior instead (``parameters`` is then unused).  With
    ``assumptions``, each sample also draws every assumed range of the schema
    (:mod:`sim.sweeps.assumptions`); with ``layers``, the sweep plans the three layers of draws
    (seeds; + posterior; + assumptions) that the report's claim probabilities compare.
    """

    n_samples: int = setting(
        0, lo=0, hi=1_000_000, unit="samples", doc="uncertainty samples per arm (0: none; each runs every replicate)"
    )
    seed: int = setting(
        12345, unit="integer", doc="seed of the Latin hypercube (or of the posterior draws)", **SEED_RANGE
    )
    posterior: str = setting(
        "", doc="a posterior (Parquet, experiments/calibrate.py) to draw the samples from instead of the ranges"
    )
    assumptions: bool = setting(
        False,
        unit="on/off",
        doc="also draw every assumed range of the schema (docs/PARAMETERS.md, Latin hypercube) beside the samples",
    )
    layers: bool = setting(
        False,
        unit="on/off",
        doc="plan each draw three times on its own seeds: (a) defaults, (b) + posterior, (c) + assumptions "
        "(docs/ASSUMPTIONS.md)",
    )
    parameters: dict[str, list[float]] = setting(
        {
            "delegates.integrity_mean": [1.0, 3.0],
            "delegates.norm_weight": [0.5, 4.0],
            "delegates.money_weight": [1.0, 3.0],
            "world.brokers_per_township": [1.0, 5.0],
            "voting.compliance": [0.5, 0.95],
            "candidates.buy_intercept": [-2.0, 0.0],
            "reporting.refuser_scale": [0.5, 2.0],
            "beliefs.half_life_days": [5.0, 20.0],
            # How strongly the interventions act is uncertain too.
            "interventions.pledges_talks.commitment": [0.3, 2.5],
            "interventions.pledges_talks.candidate_commitment": [0.0, 1.5],
            "interventions.team_inspection.detect_per_tie_day": [0.005, 0.05],
            # How often a delivering bought delegate marks only its payers decides how many bought
            # marks split a majority (vacated seats); fitted to nothing, so the whole range.
            "voting.bullet_vote": [0.0, 1.0],
            # Delegates' reservation prices: median 50-200 yuan around the record's township prices.
            "delegates.reservation_price": [50.0, 200.0],
        },
        doc="uncertain parameters sampled by Latin hypercube: dotted key -> [low, high]",
    )


@dataclass
class SweepOptions:
    """How a sweep treats its folder.

    ``on_change`` says what to do when the folder holds another plan (other inputs, another
    code version, fewer replicates or arms): ``refuse`` (stop before running anything),
    ``archive`` (move the old plan's files to ``archive/<time>/``) or ``discard`` (delete them).
    ``workers`` is how many forked processes compute the runs under Hydra's basic launcher
    (:mod:`sim.cli.pool`).
    """

    on_change: str = setting(
        "refuse",
        choices=("refuse", "archive", "discard"),
        doc="what a rerun does when the folder holds another plan: refuse, archive the old one, or discard it",
    )
    workers: int = setting(
        0,
        lo=0,
        hi=1024,
        unit="processes",
        doc="processes computing the runs under the basic launcher (0: every core; 1: the jobs, one at a time)",
    )


#: Outcomes a sweep's report may rank arms by (``report.outcome``): shares of seats, so that an
#: effect times the seats is seats prevented.  The same list as :data:`sim.stats.outcomes.RANKABLE`
#: (this package may not import the statistics; a test keeps the two equal).
RANKING_OUTCOMES = (
    "captured_seat_rate_final",
    "vacated_seat_rate_final",
    "displaced_seat_rate_final",
    "bought_seat_rate_final",
    "payer_seat_rate_final",
)


@dataclass
class ReportSettings:
    """What the sweep's report ranks arms by, and how it weighs harm against benefit.

    ``harm_weight`` is how many captured seats one honest candidate removed is worth.  The
    default, 1, weighs the two wrongs alike: a captured seat puts a vote buyer in a seat the
    congress would have given to someone else, and removing an honest candidate takes a place on
    the ballot (and, when the candidate would have won, a seat) from someone who did nothing
    wrong; each overturns one rightful result.  An analyst who holds a false accusation worse
    (or better) says so here; the report gives the weight at which its choice of arm flips.
    """

    enabled: bool = setting(True, unit="on/off", doc="write the report when the sweep is collected")
    outcome: str = setting(
        RANKING_OUTCOMES[0],
        choices=RANKING_OUTCOMES,
        doc="the outcome arms are ranked by: seats captured by vote buyers (won by a payer who would have lost "
        "without bribes), vacated (no majority because bought marks split it), displaced (another candidate won), "
        "all seats buying changed, or seats held by payers; after unseating",
    )
    harm_weight: float = setting(
        1.0,
        lo=0.0,
        hi=1000.0,
        unit="seats per candidate",
        doc="how many captured seats one honest candidate removed is worth, in the net benefit of an arm "
        "(seats prevented less this weight times the extra honest candidates removed)",
    )


@dataclass
class SweepSettings:
    """How a sweep is run: its name, replicates, base seed, uncertainty samples, folder rules, report.

    The command line's schema (:class:`sim.cli.schema.RunConfig`) is a simulation configuration
    plus these settings, so ``replicates=30`` and ``base_seed=7`` are top-level keys.
    """

    experiment_name: str = setting("single", doc="the experiment's name (the sweep folder's first part)")
    replicates: int = setting(
        1, lo=1, hi=1_000_000, unit="seeds", doc="replicates (seeds) per arm, the same in every arm"
    )
    base_seed: int = setting(2021, unit="integer", doc="the seed replicate seeds derive from", **SEED_RANGE)
    sensitivity: SensitivityConfig = field(default_factory=SensitivityConfig)
    sweep: SweepOptions = field(default_factory=SweepOptions)
    report: ReportSettings = field(default_factory=ReportSettings)


@dataclass
class PlannedRun:
    """One run of a sweep job: which replicate and uncertainty sample, with which seed."""

    run_id: str
    replicate: int
    seed: int
    sample: int = -1
    overrides: dict[str, Any] = field(default_factory=dict)

    def keys(self, arm: str) -> dict[str, Any]:
        """Identifiers stored with the run's outputs."""
        return {"arm": arm, "sample": self.sample, "replicate": self.replicate, "seed": self.seed}


#: Most runs one sweep may plan (a typo such as replicates=1000000 stops before planning).
MAX_RUNS = 1_000_000


def validate_run_config(
    replicates: int, sensitivity: SensitivityConfig, base_seed: int = 0, report: ReportSettings | None = None
) -> None:
    """Check the keys that describe a sweep (the simulation keys are checked by ``validate``).

    Each setting against its declaration (:class:`SweepSettings`), then the rules between them.

    Raises:
        ConfigError: Naming the key and the value.
    """
    check_fields(
        SweepSettings(
            replicates=replicates, base_seed=base_seed, sensitivity=sensitivity, report=report or ReportSettings()
        )
    )
    if replicates * max(sensitivity.n_samples, 1) > MAX_RUNS:
        raise ConfigError(
            f"replicates={replicates} x sensitivity.n_samples={sensitivity.n_samples} is more than {MAX_RUNS:,} "
            "runs per arm"
        )
    if (sensitivity.layers or sensitivity.assumptions) and sensitivity.n_samples < 1:
        which = "layers" if sensitivity.layers else "assumptions"
        raise ConfigError(f"sensitivity.{which}=true needs sensitivity.n_samples >= 1 (the number of draws)")
    if sensitivity.posterior:
        from sim.calibration.posterior import resolve

        if sensitivity.n_samples < 1:
            raise ConfigError("sensitivity.posterior needs sensitivity.n_samples >= 1 (the number of draws)")
        if not resolve(sensitivity.posterior).is_file():
            raise ConfigError(f"sensitivity.posterior={sensitivity.posterior} is not a file")
    for key, bounds in sensitivity.parameters.items():
        if len(bounds) != 2 or not all(math.isfinite(b) for b in bounds) or not bounds[0] < bounds[1]:
            raise ConfigError(f"sensitivity.parameters.{key}={list(bounds)} must be [low, high] with finite low < high")


def sensitivity_design(sensitivity: SensitivityConfig) -> tuple[list[str], np.ndarray]:
    """The Latin hypercube of uncertain parameters (identical in every job of a sweep).

    Returns:
        Parameter names and an ``n_samples x n_parameters`` matrix: the posterior's draws (or the
        ranges' hypercube), then, with ``assumptions`` or ``layers``, the assumed ranges' draws.
    """
    names, design, _ = design_parts(sensitivity)
    return names, design


def design_parts(sensitivity: SensitivityConfig) -> tuple[list[str], np.ndarray, int]:
    """:func:`sensitivity_design` and how many of its first columns are the posterior's (or the ranges')."""
    if sensitivity.posterior:
        from sim.calibration.posterior import posterior_design

        names, design = posterior_design(sensitivity.posterior, sensitivity.n_samples, sensitivity.seed)
    else:
        from SALib.sample import latin

        names = list(sensitivity.parameters)
        problem = {"num_vars": len(names), "names": names, "bounds": [list(sensitivity.parameters[k]) for k in names]}
        design = latin.sample(problem, sensitivity.n_samples, seed=sensitivity.seed)
    if not (sensitivity.assumptions or sensitivity.layers):
        return names, design, len(names)
    extra, values = assumption_design(sensitivity.n_samples, sensitivity.seed, exclude=names)
    return names + extra, np.hstack([design, values]), len(names)


def plan_runs(base_seed: int, replicates: int, sensitivity: SensitivityConfig) -> list[PlannedRun]:
    """Every run one arm needs: replicates, crossed with uncertainty samples if any."""
    seeds = [replicate_seed(base_seed, r) for r in range(replicates)]
    if sensitivity.n_samples <= 0:
        return [PlannedRun(f"r{r:03d}", r, s) for r, s in enumerate(seeds)]
    names, design, n_drawn = design_parts(sensitivity)
    if sensitivity.layers:
        return layered_runs(base_seed, replicates, names, design, n_drawn)
    runs = []
    for i, row in enumerate(design):
        values = {k: float(v) for k, v in zip(names, row, strict=True)}
        runs.extend(PlannedRun(f"s{i:03d}_r{r:03d}", r, s, i, values) for r, s in enumerate(seeds))
    return runs


def layered_runs(
    base_seed: int, replicates: int, names: list[str], design: np.ndarray, n_drawn: int
) -> list[PlannedRun]:
    """Each draw planned in three layers on the same seeds (:mod:`sim.sweeps.assumptions`).

    Sample ``L * n + i`` is draw ``i`` of layer ``L`` (0: defaults, 1: the first ``n_drawn``
    columns, the posterior's or the ranges', 2: every column); its replicate ``r`` runs on
    ``replicate_seed(base_seed, i * replicates + r)`` in every layer and arm.
    """
    n = len(design)
    runs = []
    for layer in range(len(LAYERS)):
        for i, row in enumerate(design):
            values = {k: float(v) for k, v in zip(names, row, strict=True)}
            kept = dict(list(values.items())[: (0, n_drawn, len(names))[layer]])
            sample = layer * n + i
            for r in range(replicates):
                seed = replicate_seed(base_seed, i * replicates + r)
                runs.append(PlannedRun(f"s{sample:03d}_r{r:03d}", r, seed, sample, kept))
    return runs


def arm_label(task_overrides: list[str]) -> str:
    """A short, readable name for an arm from the overrides that define it.

    ``policy=all`` gives ``all`` (and ``province=shanxi`` gives ``shanxi``: a preset names its arm);
    ``interventions.team_inspection.enabled=true`` gives
    ``team_inspection``; ``interventions.team_inspection.n_teams=8`` gives
    ``team_inspection.n_teams=8``; no distinguishing override gives ``none``.
    """
    parts = []
    for item in task_overrides:
        key, _, value = item.lstrip("+~").partition("=")
        if key.split(".")[0] in NON_ARM_KEYS:
            continue
        if key in ("policy", "province"):
            parts.append(value)
        elif key.endswith(".enabled"):
            if value.lower() == "true":
                parts.append(key.split(".")[-2])
        else:
            parts.append(".".join(key.split(".")[-2:]) + f"={value}")
    return "+".join(parts) if parts else "none"
