"""A pyabc sampler that evaluates particles in parallel and still gives the same posterior.

pyabc's own multicore samplers reseed their workers from the operating system and keep whichever
particles finish first, so two runs of the same calibration differ.  This sampler fixes both:

* proposal *i* of sampling call *c* draws its parameters from a numpy stream seeded by
  ``(seed, c, i)``, whichever process evaluates it;
* particles are evaluated in batches on forked workers and kept in index order up to the
  ``n``-th accepted one; evaluations past it are discarded and not counted.

So the accepted particles, their number of evaluations and therefore the whole ABC-SMC history are
the same for any number of processes and any batch size (``test_abc_sampler_*``).  Forking shares
the ``simulate_one`` closure pyabc builds with the workers without pickling it.
"""

from __future__ import annotations

import multiprocessing
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from pyabc.sampler import Sampler

_SIMULATE_ONE: Callable[[], Any] | None = None


def _evaluate(entropy: tuple[int, int, int]) -> Any:
    """Evaluate one proposal on its own seeded stream (runs in a forked worker or in-process)."""
    np.random.seed(np.random.SeedSequence(list(entropy)).generate_state(4))
    assert _SIMULATE_ONE is not None
    return _SIMULATE_ONE()


class SeededParallelSampler(Sampler):
    """Parallel, reproducible sampling for ABC-SMC.

    Args:
        n_procs: worker processes (1 evaluates in this process).
        seed: base seed of every proposal's stream.
        batch: proposals evaluated per round (default four per process); it changes only how
            many evaluations are wasted past the last accepted particle, never the result.
    """

    def __init__(self, n_procs: int = 1, seed: int = 0, batch: int | None = None):
        super().__init__()
        if n_procs < 1:
            raise ValueError(f"n_procs={n_procs!r} must be at least 1")
        self.n_procs = n_procs
        self.seed = seed
        self.batch = batch or 4 * n_procs
        self.calls = 0

    def sample_until_n_accepted(
        self,
        n: int,
        simulate_one: Callable[[], Any],
        t: int,
        *,
        max_eval: float = np.inf,
        all_accepted: bool = False,
        ana_vars: Any = None,
    ) -> Any:
        """Evaluate proposals in index order until ``n`` are accepted (see the module docstring)."""
        global _SIMULATE_ONE
        _SIMULATE_ONE = simulate_one
        call = self.calls
        self.calls += 1
        sample = self._create_empty_sample()
        accepted = evaluated = index = 0
        pool = None
        if self.n_procs > 1:
            with warnings.catch_warnings():
                # Python warns on forking a process with threads (numpy's BLAS, sqlite); the workers
                # only evaluate the model and return, as in pyabc's own multicore samplers, which fork too.
                warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
                pool = multiprocessing.get_context("fork").Pool(self.n_procs)
        try:
            while accepted < n:
                entropy = [(self.seed, call, i) for i in range(index, index + self.batch)]
                index += self.batch
                particles = pool.map(_evaluate, entropy, chunksize=1) if pool else [_evaluate(e) for e in entropy]
                for particle in particles:
                    sample.append(particle)
                    evaluated += 1
                    accepted += bool(particle.accepted)
                    if accepted == n:
                        break
        finally:
            if pool is not None:
                pool.close()
                pool.join()
            _SIMULATE_ONE = None
        self.nr_evaluations_ = evaluated
        return sample
