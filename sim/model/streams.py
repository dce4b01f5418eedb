"""Named random streams, one per process, all derived from the run's seed.

Each process (building the world, brokers' offers, delegates' decisions, reporting, investigation,
voting, each intervention) draws from its own generator.  A stream's seed depends only on the run
seed and the stream's *name* (through a stable CRC32 of the name, never Python's salted ``hash``),
so adding a stream, or switching an intervention on, never shifts the draws of another process:
this is what makes intervention arms comparable seed by seed (common random numbers).
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

#: The processes of the core model.  Interventions get streams named after themselves.
CORE_STREAMS = (
    "world",
    "candidates",
    "offers",
    "decisions",
    "reporting",
    "investigation",
    "enforcement",
    "voting",
)


def uniforms(rng: Any, *draws: tuple[str, int]) -> list[np.ndarray]:
    """Consecutive uniform draws: the same numbers as one ``rng.random(size)`` call per draw.

    One generator call instead of several (generating doubles one after another is what
    ``random`` does, so the numbers do not depend on how the calls are cut).

    Args:
        rng: A stream (a batch's streams split each draw by run, see :mod:`sim.model.batch`).
        *draws: ``(entity, size)`` per draw: what each number is drawn for, and how many.

    Returns:
        One array per draw.
    """
    if hasattr(rng, "uniforms"):  # a batch's stream
        return rng.uniforms(*draws)
    sizes = [int(n) for _, n in draws]
    return np.split(rng.random(sum(sizes)), np.cumsum(sizes)[:-1])


def stream_seed(seed: int, name: str) -> np.random.SeedSequence:
    """The seed sequence of stream ``name`` in a run seeded with ``seed``."""
    return np.random.SeedSequence(entropy=int(seed), spawn_key=(zlib.crc32(name.encode("utf-8")),))


class RandomStreams:
    """Lazily created, independent generators keyed by process name.

    Args:
        seed: The run's seed.
    """

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._generators: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        gen = self._generators.get(name)
        if gen is None:
            gen = np.random.Generator(np.random.PCG64(stream_seed(self.seed, name)))
            self._generators[name] = gen
        return gen

    def __getattr__(self, name: str) -> np.random.Generator:
        if name in CORE_STREAMS:
            return self[name]
        raise AttributeError(name)


def replicate_seed(base_seed: int, replicate: int) -> int:
    """The seed of replicate ``replicate`` of a sweep with base seed ``base_seed``.

    Every arm of a sweep uses the same replicate seeds, so arms can be compared pair by pair.
    """
    state = np.random.SeedSequence(entropy=int(base_seed), spawn_key=(int(replicate),)).generate_state(1)
    return int(state[0] & 0x7FFFFFFF)
