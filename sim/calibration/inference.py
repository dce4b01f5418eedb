"""Calibration as inference: ABC-SMC over the behavioural and enforcement parameters.

The simulator is stochastic and has no tractable likelihood, so the posterior is approximated by
sequential Monte Carlo approximate Bayesian computation: replenishment ABC-SMC with ABC-MCMC moves
(Drovandi & Pettitt 2011; :mod:`sim.calibration.sampler`, which says why not importance weights).
A particle is a parameter vector drawn from the priors below; it is simulated under each policy its
targets need, on the same replicate seeds for every particle (common random numbers), and its
distance to the record is the root mean square of the targets' scaled residuals
(:mod:`sim.calibration.targets`).  Every statistic is a mean over ``replicates`` runs so that seed
noise does not dominate the distance (checked by :func:`seed_noise`).

Reproducible: particles are simulated in parallel over ``n_jobs`` processes in a fixed order, every
random choice of the algorithm is seeded, and each particle's runs use fixed seeds; so the same
design and seed give the same posterior on any number of processes.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from omegaconf import OmegaConf

from sim.atomic_io import atomic_write_with
from sim.calibration.sampler import SMCSettings, replenishment_smc
from sim.calibration.settings import Design
from sim.calibration.targets import AT_LEAST, AT_MOST, TARGETS, Target, distance, mean_statistics
from sim.config import ConfigError, SimConfig, build_config, check_fields
from sim.model.streams import replicate_seed
from sim.presets import CONF_DIR
from sim.simulate import simulate_many


@dataclass(frozen=True)
class Prior:
    """A uniform prior on a parameter, on its natural or its log10 scale.

    Attributes:
        name: short name (a column of the posterior sample).
        key: dotted configuration key the value overrides.
        low: lower end (log10 of the value if ``log10``).
        high: upper end.
        log10: the prior is uniform in log10 of the value (for rates spanning decades).
        why: what the range rests on.
    """

    name: str
    key: str
    low: float
    high: float
    log10: bool
    why: str

    def value(self, x: float) -> float:
        """The configuration value of a point on the prior's scale."""
        return float(10**x) if self.log10 else float(x)

    def scale_of(self, value: float) -> float:
        """A configuration value on the prior's scale."""
        return math.log10(value) if self.log10 else float(value)

    @property
    def sd(self) -> float:
        """Standard deviation of the prior on its scale."""
        return (self.high - self.low) / math.sqrt(12)


#: Free behavioural and enforcement parameters and their priors.  The behavioural weights are the
#: ones the sensitivity experiment ranks first (RBD-FAST, sim/conf/experiment/sensitivity.yaml); ranges
#: are centred on the documented defaults (docs/PARAMETERS.md) and wide enough to include "no effect".
PRIORS: tuple[Prior, ...] = (
    Prior("integrity_mean", "delegates.integrity_mean", 0.5, 3.5, False, "moral cost, logit; default 2.0 +- 1.5"),
    Prior("money_weight", "delegates.money_weight", 1.0, 3.0, False, "logit per log-unit of money; sensitivity range"),
    Prior("norm_weight", "delegates.norm_weight", 0.0, 5.0, False, "peer norm, logit; 0 (no norm) to twice default"),
    Prior("risk_weight", "delegates.risk_weight", 0.0, 3.0, False, "delegates' risk weight; 0 to three times default"),
    Prior("buy_intercept", "candidates.buy_intercept", -3.0, 1.0, False, "candidates' propensity to buy, logit"),
    Prior("brokers", "world.brokers_per_township", 0.5, 5.0, False, "brokers a township; sensitivity range widened"),
    Prior("compliance", "voting.compliance", 0.3, 0.95, False, "delivery of a bought mark; Shaoyang 0.75 inside"),
    Prior("refuser_scale", "reporting.refuser_scale", -2.0, 0.5, True, "log10; refusers' reporting x0.01 to x3"),
    Prior("peer_scale", "reporting.peer_scale", -3.5, -1.0, True, "log10; default 0.03 near the top"),
    Prior(
        "false_tips",
        "reporting.false_tips_per_township_day",
        -3.5,
        -1.0,
        True,
        "log10 tips a township a day; 0.0003 to 0.1 (previous fit 0.0355)",
    ),
    Prior(
        "rival_campaign",
        "reporting.rival_campaign",
        -3.5,
        -1.0,
        True,
        "log10 daily chance a non-buying rival reports buying it sees; default 0.02 inside",
    ),
    Prior(
        "rival_after_vote",
        "reporting.rival_after_vote",
        -2.5,
        -0.3,
        True,
        "log10 chance a defeated candidate reports a buying winner; 0.3% to 50% (default 0.3)",
    ),
    Prior(
        "p_substantiate_true",
        "investigation.p_substantiate_true",
        -2.5,
        -0.3,
        True,
        "log10; 0.3% to 50% of true named tips proven",
    ),
    Prior(
        "detect_per_tie_day",
        "interventions.team_inspection.detect_per_tie_day",
        -4.0,
        -1.0,
        True,
        "log10 daily chance a team uncovers one bribe-carrying tie",
    ),
    Prior(
        "irregularity_rate",
        "interventions.team_inspection.irregularity_rate",
        0.0,
        1.0,
        False,
        "other irregularities a visit; 0 to twice Liaoning's 0.45",
    ),
)


@functools.cache
def _preset(scale: str, policy: str, world: tuple[tuple[str, Any], ...]) -> SimConfig:
    cfg = OmegaConf.merge(
        OmegaConf.load(CONF_DIR / "scenario" / f"{scale}.yaml"),
        OmegaConf.load(CONF_DIR / "policy" / f"{policy}.yaml"),
    )
    out: dict[str, Any] = OmegaConf.to_container(cfg)  # type: ignore[assignment]
    out.setdefault("world", {}).update(dict(world))
    return build_config(out)


def base_config(scale: str, policy: str, world: dict[str, Any] | None = None) -> SimConfig:
    """A scenario under a policy (the conf/ presets), typed and validated."""
    return _preset(scale, policy, tuple(sorted((world or {}).items())))


def overrides(theta: dict[str, float], priors: Sequence[Prior]) -> dict[str, float]:
    """Configuration overrides of a particle (values on the priors' scales)."""
    return {p.key: p.value(theta[p.name]) for p in priors if p.name in theta}


def with_values(cfg: SimConfig, values: dict[str, Any]) -> SimConfig:
    """A copy of a typed configuration with dotted-key values set, validated.

    Faster than merging through OmegaConf for every run (the calibration makes thousands).
    """
    out = copy.deepcopy(cfg)
    for key, value in values.items():
        *path, leaf = key.split(".")
        node = out
        for part in path:
            node = getattr(node, part)
        if not hasattr(node, leaf):
            raise ConfigError(f"unknown key {key}")
        setattr(node, leaf, type(getattr(node, leaf))(value))
    return build_config(out)


def _runs(cfg: SimConfig, seeds: Sequence[int], values: dict[str, Any]) -> list[dict[str, float]]:
    """The summaries of one configuration with ``values`` set, one per seed, run as one batch."""
    results = simulate_many([with_values(cfg, {**values, "seed": seed}) for seed in seeds])
    return [{**r.summary, "counties": cfg.world.n_counties} for r in results]


def replicate_seeds(design: Design, offset: int = 0) -> list[int]:
    """The replicate seeds every particle shares (``offset`` gives a fresh set)."""
    return [replicate_seed(design.seed + offset, r) for r in range(design.replicates)]


def simulate_statistics(
    theta: dict[str, float],
    design: Design,
    targets: Sequence[Target],
    priors: Sequence[Prior] = PRIORS,
    seed_offset: int = 0,
) -> dict[str, float]:
    """Each target's statistic for one parameter vector: means over the design's replicates.

    Only the policies the targets need are simulated, each policy's replicates as one batch
    (:func:`sim.simulate.simulate_many`) in this process (the callers run particles or draws in
    parallel; a city run takes about 0.1 s, less than what dispatching it to another process costs).
    """
    values = {**design.fixed, **overrides(theta, priors)}
    policies = sorted({t.policy for t in targets})
    seeds = replicate_seeds(design, seed_offset)
    out: dict[str, float] = {}
    for pol in policies:
        cfg = base_config(design.scale, pol, design.world)
        runs = _runs(cfg, seeds, values)
        out.update(mean_statistics(runs, [t for t in targets if t.policy == pol]))
    return out


def statistics_of_many(
    thetas: Sequence[dict[str, float]],
    design: Design,
    targets: Sequence[Target],
    priors: Sequence[Prior] = PRIORS,
    seed_offsets: Sequence[int] | int = 0,
) -> list[dict[str, float]]:
    """:func:`simulate_statistics` of several parameter vectors, in parallel over ``design.n_jobs``.

    Args:
        thetas: parameter vectors (prior scales).
        design: simulation design.
        targets: the statistics wanted.
        priors: the free parameters.
        seed_offsets: one seed offset for all, or one per vector.

    Returns:
        The statistics of each vector, in order (independent of the number of processes).
    """
    offsets = [seed_offsets] * len(thetas) if isinstance(seed_offsets, int) else list(seed_offsets)
    jobs = (
        delayed(simulate_statistics)(dict(theta), design, tuple(targets), tuple(priors), off)
        for theta, off in zip(thetas, offsets, strict=True)
    )
    return list(Parallel(n_jobs=design.n_jobs)(jobs))


@dataclass
class Posterior:
    """A weighted posterior sample and how it was obtained."""

    sample: pd.DataFrame  # one column per prior (its scale), plus ``weight``
    epsilons: list[float]
    simulations: int
    seconds: float
    targets: tuple[Target, ...]
    priors: tuple[Prior, ...]
    record: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row per generation (see run_abc)
    stopped: str = ""
    epsilon_floor: float = float("nan")  # the lowest threshold allowed (Design.min_epsilon)

    @property
    def effective_sample_size(self) -> float:
        """Distinct particles, weighted by Kish's formula (``1 / sum(w^2)`` over distinct points).

        Replenishment ABC-SMC gives equal weights, so duplicates left by copies that never moved
        are what shrinks the sample; with unequal weights this is Kish's effective sample size.
        """
        from sim.calibration.posterior import effective_sample_size

        return effective_sample_size(self.sample[[p.name for p in self.priors] + ["weight"]])

    def values(self) -> pd.DataFrame:
        """The sample in configuration units (dotted keys), with weights."""
        out = pd.DataFrame({p.key: [p.value(x) for x in self.sample[p.name]] for p in self.priors})
        out["weight"] = self.sample["weight"].to_numpy()
        return out


def run_abc(
    targets: Sequence[Target],
    design: Design,
    priors: Sequence[Prior] = PRIORS,
    db_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> Posterior:
    """Replenishment ABC-SMC (:mod:`sim.calibration.sampler`) over ``priors`` against ``targets``.

    Args:
        targets: the figures to fit.
        design: simulation design and budget.
        priors: the free parameters.
        db_dir: if given, where ``generations.csv`` (the record of each generation) is written.
        progress: called with a line after each generation (e.g. ``print``).

    Returns:
        The final population (equal weights, with each particle's distance) and the run's record.
    """
    check_fields(design)
    targets, priors = tuple(targets), tuple(priors)

    def evaluate(thetas: np.ndarray) -> np.ndarray:
        rows = [dict(zip((p.name for p in priors), map(float, row), strict=True)) for row in thetas]
        return np.array([distance(st, targets) for st in statistics_of_many(rows, design, targets, priors)])

    floor = design.min_epsilon
    if floor is None:
        centre = {p.name: (p.low + p.high) / 2 for p in priors}
        floor = epsilon_floor(targets, statistic_noise(centre, design, targets, priors), seed=design.seed)
    settings = SMCSettings(
        population=design.population,
        keep=design.keep,
        min_epsilon=floor,
        max_generations=design.generations,
        max_simulations=design.max_simulations,
        max_attempts=design.max_attempts,
        seed=design.seed,
    )
    low = np.array([p.low for p in priors])
    high = np.array([p.high for p in priors])
    result = replenishment_smc(evaluate, low, high, settings, progress)
    sample = pd.DataFrame(result.particles, columns=[p.name for p in priors])
    sample["distance"] = result.distances
    sample["weight"] = 1.0 / len(sample)
    gens = len(result.epsilons)
    record = pd.DataFrame(
        {
            "generation": range(gens),
            "epsilon": result.epsilons,
            "simulations": result.simulations,
            "mcmc_attempts_per_copy": [0, *result.attempts],
            "mcmc_acceptance": [np.nan, *result.acceptance],
            "copies_moved": [np.nan, *result.moved],
            "distinct_particles": result.distinct,
        }
    )
    if db_dir is not None:
        Path(db_dir).mkdir(parents=True, exist_ok=True)
        atomic_write_with(Path(db_dir) / "generations.csv", lambda f: record.to_csv(f, index=False))
    return Posterior(
        sample=sample,
        epsilons=result.epsilons,
        simulations=result.total_simulations,
        seconds=result.seconds,
        targets=targets,
        priors=priors,
        record=record,
        stopped=result.stopped,
        epsilon_floor=floor,
    )


def weighted_moments(sample: pd.DataFrame, names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Weighted means and covariance matrix of the named columns."""
    x = sample[list(names)].to_numpy(dtype=float)
    w = sample["weight"].to_numpy(dtype=float)
    mean = np.average(x, axis=0, weights=w)
    cov = np.atleast_2d(np.cov(x, rowvar=False, aweights=w))
    return mean, cov


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """Quantiles of a weighted sample (inverse of the weighted empirical distribution)."""
    order = np.argsort(x)
    cw = np.cumsum(w[order]) / np.sum(w)
    return np.interp(q, cw - w[order] / (2 * np.sum(w)), x[order])


def seed_noise(
    theta: dict[str, float],
    design: Design,
    targets: Sequence[Target],
    priors: Sequence[Prior] = PRIORS,
    repeats: int = 5,
) -> np.ndarray:
    """Distance of one parameter vector on ``repeats`` independent sets of replicate seeds."""
    stats = statistics_of_many([theta] * repeats, design, targets, priors, [5000 + k for k in range(repeats)])
    return np.array([distance(st, targets) for st in stats])


def statistic_noise(
    theta: dict[str, float],
    design: Design,
    targets: Sequence[Target],
    priors: Sequence[Prior] = PRIORS,
    repeats: int = 6,
) -> dict[str, float]:
    """Standard deviation of each target's statistic across independent sets of replicate seeds."""
    stats = statistics_of_many([theta] * repeats, design, targets, priors, [9000 + k for k in range(repeats)])
    return {t.statistic: float(np.nanstd([t.scale_value(s[t.statistic]) for s in stats], ddof=1)) for t in targets}


def epsilon_floor(
    targets: Sequence[Target], noise_sd: dict[str, float], quantile: float = 0.95, draws: int = 20_000, seed: int = 0
) -> float:
    """The distance below which an ABC threshold would reject the true parameters too often.

    Monte Carlo of the distance the true parameters would have: a two-sided figure is off by its
    own error (normal, two standard deviations = the tolerance, as the observation models state)
    plus the seed noise of the simulated statistic; a bound is taken as met exactly by the truth, so
    only seed noise can push the statistic across it.  The ``quantile`` of that distance is where
    ABC with a uniform kernel stops: going lower treats the record and the seeds as exact
    (Wilkinson 2013: ABC is exact inference under the error its kernel encodes).

    Args:
        targets: the figures fitted.
        noise_sd: seed noise of each statistic (on the target's scale), from :func:`statistic_noise`.
        quantile: share of the true parameters' distances the threshold must keep.
        draws: Monte Carlo draws.
        seed: seed of the draws.
    """
    rng = np.random.default_rng(seed)
    sq = np.zeros(draws)
    for t in targets:
        seed_err = rng.normal(0.0, np.nan_to_num(noise_sd.get(t.statistic, 0.0)), draws)
        if t.sense in (AT_MOST, AT_LEAST):
            excess = seed_err if t.sense == AT_MOST else -seed_err
            r = np.maximum(excess, 0.0) / t.tolerance
        else:
            r = (rng.normal(0.0, t.tolerance / 2, draws) + seed_err) / t.tolerance
        sq += r**2
    return float(np.quantile(np.sqrt(sq / len(targets)), quantile))


def posterior_median(posterior: Posterior) -> dict[str, float]:
    """The weighted posterior median of every parameter (prior scales)."""
    w = posterior.sample["weight"].to_numpy()
    return {
        p.name: float(weighted_quantile(posterior.sample[p.name].to_numpy(), w, [0.5])[0]) for p in posterior.priors
    }


def all_targets() -> tuple[Target, ...]:
    """Every calibration target (both groups)."""
    return TARGETS
