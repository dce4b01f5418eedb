"""The optimisation's settings (``optimise.*``): search, re-evaluation on fresh seeds, robustness.

Every setting is declared once, here, with its bounds and meaning (:func:`sim.config.setting`):
:func:`sim.config.check_fields` checks them as it checks the model's parameters, and
``python experiments/param_table.py`` lists them in ``docs/PARAMETERS.md``.  The rules that tie
settings to each other, to the levers or to the model are in :mod:`sim.optimise.checks`.

Upper bounds stop a typo (``population=100000000``) before anything runs instead of exhausting
memory or running for days; the whole plan is capped by :data:`sim.sweeps.experiment.MAX_RUNS`,
as grid sweeps are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.config import SEED_RANGE, setting

#: Replicate-index offsets of the three seed sets: ``replicate_seed(base_seed, offset + r)``.
#: The search uses the seeds of every other sweep with the same base seed; the fresh and the
#: robustness seeds are disjoint from them.
SEARCH_OFFSET, FRESH_OFFSET, ROBUST_OFFSET = 0, 100_000, 200_000


@dataclass
class ReevaluateConfig:
    """Re-evaluation of the search's Pareto set on fresh seeds (the winner's curse).

    ``replicates`` fresh seeds per portfolio (disjoint from the search's), shared by the fixed arms
    of ``experiment=compare``; at most ``max_portfolios`` Pareto portfolios are re-evaluated (those
    on the cost / bought-seat frontier first, then the rest by crowding distance).
    """

    replicates: int = setting(
        20,
        lo=2,
        hi=ROBUST_OFFSET - FRESH_OFFSET,
        unit="seeds",
        doc="fresh seeds per re-evaluated portfolio (disjoint from the search's)",
        why=f" (the fresh seeds are replicate indices {FRESH_OFFSET:,} to {ROBUST_OFFSET - 1:,}; more would reuse "
        f"the robustness seeds, from {ROBUST_OFFSET:,}; intervals need two)",
    )
    max_portfolios: int = setting(
        24, lo=1, hi=10_000, unit="portfolios", doc="most Pareto portfolios re-evaluated (frontier first)"
    )


@dataclass
class RobustnessConfig:
    """Evaluation of the recommended portfolios across parameter uncertainty.

    ``source`` says where the uncertain parameters come from: ``posterior`` (``draws`` weighted
    draws of the calibration's posterior, read when the run starts), ``ranges`` (a Latin hypercube
    of ``draws`` samples over ``sensitivity.parameters``), or ``auto`` (the posterior if its
    effective sample size is at least ``min_ess``, else the ranges; the report says which and why).
    Each sampled world runs ``replicates`` seeds, the same for every portfolio.  A portfolio meets
    the target in a world when its bought-seat rate there is below ``target``; PRIM looks for the
    worlds where a recommended portfolio does not (needs EMA Workbench, the ``ema`` extra).
    """

    source: str = setting(
        "auto",
        choices=("auto", "posterior", "ranges"),
        doc="where the sampled worlds come from: the calibration's posterior, the sensitivity ranges, or auto",
    )
    posterior: str = setting(
        "docs/calibration_posterior.parquet", doc="the posterior file (relative paths from the repository)"
    )
    min_ess: float = setting(
        20.0, lo=1.0, unit="particles", doc="smallest effective sample size for which auto takes the posterior"
    )
    draws: int = setting(
        60, lo=0, hi=100_000, unit="worlds", doc="sampled worlds (0 skips robustness; the design is built in memory)"
    )
    replicates: int = setting(
        2,
        lo=1,
        hi=ROBUST_OFFSET - FRESH_OFFSET,
        unit="seeds",
        doc="seeds per sampled world, the same for every portfolio",
        why=f" (a seed set holds {ROBUST_OFFSET - FRESH_OFFSET:,} replicate indices)",
    )
    seed: int = setting(12345, unit="integer", doc="seed of the sample of worlds", **SEED_RANGE)
    max_portfolios: int = setting(12, lo=1, hi=10_000, unit="portfolios", doc="most portfolios evaluated per world")
    target: float = setting(
        0.05, above=0.0, below=1.0, unit="share", doc="bought-seat rate below which a portfolio meets the target"
    )
    prim: bool = setting(True, unit="on/off", doc="look for the worlds where a pick fails with PRIM (EMA Workbench)")
    assumptions: bool = setting(
        True,
        unit="on/off",
        doc="each world also draws every assumed range of the schema (docs/PARAMETERS.md, Latin hypercube) "
        "beside its posterior draw or ranges",
    )


@dataclass
class OptimiseConfig:
    """The optimisation of ``experiment=optimise`` (see :mod:`sim.optimise`).

    NSGA-II (Optuna, seeded) searches ``levers`` (empty: every lever of :data:`sim.levers.LEVERS`),
    each over its schema range or the ``ranges`` given by intervention and lever
    (``+optimise.ranges.team_inspection.n_teams=[0,32]`` on the command line), minimising bought seats, cost and honest
    candidates removed: ``population`` portfolios a generation for ``generations`` generations,
    each evaluated on the same ``replicates`` seeds.  ``budgets`` (staff-days) are the budgets the
    report finds the best portfolio for.  ``jobs`` is the number of launcher jobs a batch of runs is
    split into (0: as many as the launcher runs at once).  ``job`` and ``chunk`` are set by the
    optimiser for the jobs it launches; leave them empty.
    """

    levers: list[str] = setting([], doc="levers searched, as intervention.lever (empty: every lever)")
    ranges: dict[str, dict[str, list[float]]] = setting(
        {}, doc="narrower [low, high] of some levers, by intervention and lever"
    )
    population: int = setting(
        24,
        lo=4,
        hi=10_000,
        unit="portfolios",
        doc="portfolios a generation (a generation is sorted in time growing with its square)",
        why=" (NSGA-II needs parents; its sorting grows with the square of the population)",
    )
    generations: int = setting(24, lo=1, hi=10_000, unit="generations", doc="generations of the search")
    replicates: int = setting(
        8,
        lo=2,
        hi=FRESH_OFFSET - SEARCH_OFFSET,
        unit="seeds",
        doc="seeds every portfolio of the search is evaluated on (common random numbers)",
        why=f" (intervals need two; the search's seeds are replicate indices {SEARCH_OFFSET} to "
        f"{FRESH_OFFSET - SEARCH_OFFSET - 1:,}; more would reuse the fresh seeds, from {FRESH_OFFSET:,})",
    )
    seed: int = setting(2021, unit="integer", doc="seed of the search's sampler", **SEED_RANGE)
    budgets: list[float] = setting(
        [250.0, 1000.0, 3000.0, 6000.0],
        above=0.0,
        hi=10_000_000,
        unit="staff-days",
        doc="budgets the report finds the best portfolio for",
        why=" (a positive number of staff-days; all six interventions at full strength cost a few thousand in a city)",
    )
    jobs: int = setting(
        0, lo=0, unit="jobs", doc="launcher jobs a batch of runs is split into (0: as many as run at once)"
    )
    reevaluate: ReevaluateConfig = field(default_factory=ReevaluateConfig)
    robustness: RobustnessConfig = field(default_factory=RobustnessConfig)
    job: str = setting("", doc="set by the optimiser for the jobs it launches; leave it empty")
    chunk: int = setting(-1, lo=-1, doc="set by the optimiser for the jobs it launches; leave it at -1")
