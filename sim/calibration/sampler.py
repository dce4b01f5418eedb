"""Replenishment ABC-SMC (Drovandi & Pettitt 2011): equal weights, moves by ABC-MCMC.

Why not importance-weighted ABC-SMC (Toni et al. 2009; Beaumont et al. 2009; pyabc): with fifteen
parameters, most of them only bounded by the data, the target of a generation is close to flat
over a region of the prior, while every perturbation kernel is peaked; the importance weights
``prior / proposal`` then vary over orders of magnitude, and the effective sample collapses
(measured on this model with pyabc 0.13: 3.4 of 100 particles after four generations with its
default Gaussian kernels and 23 of 200 after one generation with local kernels, at city scale; 1.2
of 100 after four generations with an independent Student-t proposal, at county scale).

Replenishment ABC-SMC never weights: each generation keeps the better half of the particles (the
threshold is the largest distance kept), copies kept particles into the places of the dropped
ones, and moves every copy by ABC-MCMC at the new threshold (Marjoram et al. 2003): a Gaussian
random-walk proposal with the kept particles' covariance times 2.38^2 / d, accepted when it lies in the prior
and its simulated distance is within the threshold (a uniform prior and a symmetric proposal leave
no other Metropolis-Hastings factor).  The threshold never falls below ``min_epsilon``: the last
generation moves its copies at exactly that threshold.  Each copy makes ``R`` attempts, ``R``
chosen from the acceptance rate so that a copy would fail to move with probability at most ``c``
(0.01), but at most ``max_attempts``: at the acceptance rates seen here (0.1-0.2) that cap binds, and
20-30% of the copies keep their parent's position for a generation (``SMCResult.moved``).  The run stops
when the acceptance rate falls below ``p_min`` (the threshold can hardly fall further), when the
threshold reaches ``min_epsilon``, or before a generation would exceed the simulation budget.

The ABCpy library implements the same algorithm (``RSMCABC``) but cannot be installed beside this
project's pinned numerical stack (it requires the withdrawn ``sklearn`` package, ``glmnet`` and
``mpi4py``), so it is written here on the project's own parallel, seeded evaluation.

Reproducible: every random choice comes from a numpy generator seeded by ``(seed, generation)``,
and particles are simulated in a fixed order by :func:`evaluate` (any number of processes
gives the same result).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sim.config import SEED_RANGE, ConfigError, check_fields, setting


@dataclass
class SMCSettings:
    """How a replenishment ABC-SMC run proceeds.

    Attributes:
        population: particles.
        keep: share of particles kept each generation (their largest distance is the threshold).
        min_epsilon: stop once the threshold is at most this.
        max_generations: most generations after the first (prior) one.
        max_simulations: simulation budget; a generation that would exceed it is not started.
        p_min: stop when the MCMC acceptance rate falls below this (Drovandi & Pettitt: 0.015).
        c: accepted chance that a copy never moves in a generation (sets the number of attempts).
        max_attempts: most MCMC attempts per copy in one generation.
        seed: base seed of every random choice.
    """

    population: int = setting(200, lo=4, hi=1_000_000, unit="particles", doc="particles per generation")
    keep: float = setting(
        0.5, above=0.0, below=1.0, unit="share", doc="share of particles kept each generation (sets the threshold)"
    )
    min_epsilon: float = setting(0.3, lo=0.0, unit="distance", doc="the threshold at which the run stops")
    max_generations: int = setting(10, lo=0, hi=10_000, unit="generations", doc="most generations after the prior's")
    max_simulations: int = setting(
        5000, lo=1, hi=100_000_000, unit="simulations", doc="simulation budget (a generation past it is not started)"
    )
    p_min: float = setting(
        0.015, lo=0.0, below=1.0, unit="share", doc="stop when the MCMC acceptance rate falls below this"
    )
    c: float = setting(
        0.01, above=0.0, below=1.0, unit="probability", doc="accepted chance that a copy never moves in a generation"
    )
    max_attempts: int = setting(10, lo=1, hi=10_000, unit="attempts", doc="most MCMC attempts per copy a generation")
    seed: int = setting(0, unit="integer", doc="base seed of every random choice", **SEED_RANGE)


@dataclass
class SMCResult:
    """The final population and the record of the run."""

    particles: np.ndarray  # (population, parameters), prior scales
    distances: np.ndarray
    epsilons: list[float] = field(default_factory=list)  # threshold of each generation (first: the prior's)
    acceptance: list[float] = field(default_factory=list)  # MCMC acceptance rate of each generation
    attempts: list[int] = field(default_factory=list)  # MCMC attempts per copy in each generation
    moved: list[float] = field(default_factory=list)  # share of copies that moved at least once
    distinct: list[int] = field(default_factory=list)  # distinct particles at the end of each generation
    simulations: list[int] = field(default_factory=list)  # simulations of each generation
    stopped: str = ""
    seconds: float = 0.0

    @property
    def total_simulations(self) -> int:
        """Simulations of the whole run."""
        return int(sum(self.simulations))


def replenishment_smc(
    evaluate: Callable[[np.ndarray], np.ndarray],
    low: np.ndarray,
    high: np.ndarray,
    settings: SMCSettings,
    progress: Callable[[str], None] | None = None,
) -> SMCResult:
    """Run replenishment ABC-SMC on a box prior (uniform on ``[low, high]`` in each coordinate).

    Args:
        evaluate: distances of a batch of parameter vectors (rows), in order; must be deterministic.
        low: lower ends of the prior.
        high: upper ends of the prior.
        settings: population, thresholds and budget.
        progress: called with one line after the prior's generation and after each later one.

    Returns:
        The final population (equal weights) and the run's record.
    """
    start = time.perf_counter()
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    n, dim = settings.population, len(low)
    check_settings(settings)
    if not np.all(high > low):
        raise ValueError(f"every prior needs high > low (low={low.tolist()}, high={high.tolist()})")
    n_keep = int(settings.keep * n)
    # A floor under the random walk's covariance, a thousandth of each prior's variance: with fewer
    # distinct kept particles than parameters their covariance is singular, and copies would only
    # ever move inside the flat subspace the kept particles span.
    floor = np.diag(((high - low) / np.sqrt(12)) ** 2) * 1e-3
    rng = np.random.default_rng([settings.seed, 0])
    theta = low + (high - low) * rng.random((n, dim))
    dist = _finite(np.asarray(evaluate(theta), dtype=float))
    out = SMCResult(theta, dist, epsilons=[float(np.max(dist))], simulations=[n], distinct=[n])
    say = progress or (lambda line: None)
    say(
        f"generation 0 (prior): {n} simulations, {time.perf_counter() - start:.0f} s; median distance "
        f"{float(np.median(dist)):.2f}, stopping at threshold {settings.min_epsilon:.3f}"
    )
    p_acc = 0.5  # before any move: a guess, used only to budget the first generation
    for gen in range(1, settings.max_generations + 1):
        order = np.argsort(dist, kind="stable")
        theta, dist = theta[order], dist[order]
        if out.epsilons[-1] <= settings.min_epsilon:
            out.stopped = f"threshold reached min_epsilon {settings.min_epsilon}"
            break
        # The threshold never goes below min_epsilon: the last generation keeps every particle
        # within it and moves the copies at exactly that threshold.
        if not np.isfinite(dist[n_keep - 1]):
            raise ValueError(
                f"fewer than {n_keep} of {n} particles have a finite distance: the targets cannot be "
                "computed for most of the prior (a statistic undefined, e.g. no bought vote to deliver)"
            )
        eps = max(float(dist[n_keep - 1]), settings.min_epsilon)
        n_alive = max(n_keep, int(np.searchsorted(dist, eps, side="right")))
        if n_alive >= n:  # every particle is within min_epsilon already: nothing to replenish
            out.particles, out.distances = theta.copy(), dist.copy()
            out.stopped = f"every particle within min_epsilon {settings.min_epsilon}"
            break
        n_keep_gen = n_alive
        n_copies = n - n_keep_gen
        planned = min(settings.max_attempts, _attempts_for(p_acc, settings.c))
        if out.total_simulations + n_copies * planned > settings.max_simulations:
            out.stopped = f"budget: another generation would exceed {settings.max_simulations} simulations"
            break
        rng = np.random.default_rng([settings.seed, gen])
        copies = rng.integers(0, n_keep_gen, size=n_copies)
        theta[n_keep_gen:], dist[n_keep_gen:] = theta[copies], dist[copies]
        budget = settings.max_simulations - out.total_simulations
        sims, accepted, rounds, moved = move_copies(
            evaluate, theta, dist, n_keep_gen, eps, (low, high, floor), rng, settings, p_acc, budget
        )
        # the acceptance rate counts proposals outside the prior as rejected (they are)
        p_acc = accepted / (n_copies * rounds)
        out.epsilons.append(eps)
        out.acceptance.append(p_acc)
        out.attempts.append(rounds)
        out.moved.append(float(moved.mean()))
        out.simulations.append(sims)
        out.distinct.append(len(np.unique(theta, axis=0)))
        out.particles, out.distances = theta.copy(), dist.copy()
        say(
            f"generation {gen}: threshold {eps:.3f} (floor {settings.min_epsilon:.3f}), {sims} simulations "
            f"({out.total_simulations} of {settings.max_simulations}), {rounds} attempts a copy, acceptance "
            f"{p_acc:.2f}, {out.distinct[-1]} distinct particles, {time.perf_counter() - start:.0f} s"
        )
        if p_acc < settings.p_min:
            out.stopped = f"MCMC acceptance {p_acc:.3f} below {settings.p_min}"
            break
    else:
        out.stopped = f"{settings.max_generations} generations"
    out.seconds = time.perf_counter() - start
    return out


def move_copies(
    evaluate: Callable[[np.ndarray], np.ndarray],
    theta: np.ndarray,
    dist: np.ndarray,
    n_keep: int,
    eps: float,
    box: tuple[np.ndarray, np.ndarray, np.ndarray],
    rng: np.random.Generator,
    settings: SMCSettings,
    p_acc: float,
    budget: int,
) -> tuple[int, int, int, np.ndarray]:
    """Move the copies (``theta[n_keep:]``, in place) by ABC-MCMC at threshold ``eps``.

    A Gaussian random walk with the kept particles' covariance times 2.38^2 / d (Roberts, Gelman &
    Gilks 1997): Drovandi & Pettitt's twice the covariance, fitted to a few parameters, accepts ~3%
    of moves in ten dimensions, so most copies never move.  Attempts continue until a copy would
    stay put with chance at most ``c``, judged on this generation's acceptance so far (Drovandi &
    Pettitt 2011, section 3), at most ``max_attempts``, and within ``budget`` simulations.

    Args:
        evaluate: Distances of a batch of parameter vectors.
        theta: Particles, the kept ones first (changed in place).
        dist: Their distances (changed in place).
        n_keep: How many particles are kept (the rest are the copies to move).
        eps: The generation's threshold.
        box: The prior's lower and upper ends, and the floor under the walk's covariance.
        rng: The generation's generator.
        settings: The run's settings.
        p_acc: The acceptance rate of the last generation (to budget the first attempt).
        budget: Simulations left.

    Returns:
        Simulations, accepted moves, attempts per copy, and which copies moved.
    """
    low, high, floor = box
    n_copies, dim = len(theta) - n_keep, theta.shape[1]
    cov = 2.38**2 / dim * np.atleast_2d(np.cov(theta[:n_keep], rowvar=False))
    chol = np.linalg.cholesky(cov + floor)
    moved = np.zeros(n_copies, dtype=bool)
    sims = accepted = rounds = 0
    while rounds < min(
        settings.max_attempts, _attempts_for(accepted / (rounds * n_copies) if rounds else p_acc, settings.c)
    ) and (sims + n_copies <= budget):
        step = rng.standard_normal((n_copies, dim)) @ chol.T
        proposal = theta[n_keep:] + step
        inside = np.all((proposal >= low) & (proposal <= high), axis=1)
        idx = np.flatnonzero(inside)
        new_d = _finite(np.asarray(evaluate(proposal[idx]), dtype=float)) if len(idx) else np.zeros(0)
        sims += len(idx)
        ok = idx[new_d <= eps]
        theta[n_keep + ok], dist[n_keep + ok] = proposal[ok], new_d[new_d <= eps]
        moved[ok] = True
        accepted += len(ok)
        rounds += 1
    return sims, accepted, rounds, moved


def check_settings(settings: SMCSettings) -> None:
    """Refuse settings the algorithm cannot run with, naming the setting and its value.

    Each setting against its declaration, then the rules between them.

    Raises:
        ConfigError: A setting is out of its range (a ``ValueError``).
    """
    check_fields(settings)
    if int(settings.keep * settings.population) < 2:
        raise ConfigError(
            f"keep={settings.keep} keeps {int(settings.keep * settings.population)} of population="
            f"{settings.population} particles: keep at least 2"
        )
    if settings.max_simulations < settings.population:
        raise ConfigError(
            f"max_simulations={settings.max_simulations} must be at least the population ({settings.population})"
        )


def _finite(d: np.ndarray) -> np.ndarray:
    """Distances with NaN (a statistic the run could not compute) as +inf: never accepted."""
    return np.where(np.isnan(d), np.inf, d)


def _attempts_for(p_acc: float, c: float) -> int:
    """MCMC attempts so that a copy stays where it was with probability at most ``c``."""
    if p_acc <= 0.0:
        return 10**6
    if p_acc >= 1.0:
        return 1
    return max(1, math.ceil(math.log(c) / math.log(1.0 - p_acc)))
