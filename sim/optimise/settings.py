"""The optimisation's settings (``optimise.*``): search, re-evaluation on fresh seeds, robustness."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ReevaluateConfig:
    """Re-evaluation of the search's Pareto set on fresh seeds (the winner's curse).

    ``replicates`` fresh seeds per portfolio (disjoint from the search's), shared by the fixed arms
    of ``experiment=compare``; at most ``max_portfolios`` Pareto portfolios are re-evaluated (those
    on the cost / bought-seat frontier first, then the rest by crowding distance).
    """

    replicates: int = 20
    max_portfolios: int = 24


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

    source: str = "auto"
    posterior: str = "docs/calibration_posterior.parquet"
    min_ess: float = 20.0
    draws: int = 60
    replicates: int = 2
    seed: int = 12345
    max_portfolios: int = 12
    target: float = 0.05
    prim: bool = True


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

    levers: list[str] = field(default_factory=list)
    ranges: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    population: int = 24
    generations: int = 24
    replicates: int = 8
    seed: int = 2021
    budgets: list[float] = field(default_factory=lambda: [250.0, 1000.0, 3000.0, 6000.0])
    jobs: int = 0
    reevaluate: ReevaluateConfig = field(default_factory=ReevaluateConfig)
    robustness: RobustnessConfig = field(default_factory=RobustnessConfig)
    job: str = ""
    chunk: int = -1
