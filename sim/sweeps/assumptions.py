"""Draws of the schema's assumed ranges, and the three layers of draws a decision sweep may plan.

The parameters nobody fitted carry a documented prior range in the schema
(``param(..., assumed=...)``, :func:`sim.config.assumed_ranges`).  A decision sweep draws them by
Latin hypercube (scipy.stats.qmc; uniform, or log-uniform where the range is a factor), the same
rows for every arm, beside the posterior's draws of the fitted parameters.

With ``sensitivity.layers`` a sweep plans each draw three times, on the same seeds:

* layer ``a``: the default parameters (what varies between draws is the seeds alone);
* layer ``b``: the draw's posterior parameters (seeds + calibrated parameters);
* layer ``c``: the draw's posterior parameters and its assumed values (+ assumptions).

Draw ``i`` of every layer runs on seeds of its own (``replicate_seed(base_seed, i * replicates + r)``),
shared by every arm and every layer, so a claim's probability across the draws of a layer is the
probability under that layer's uncertainty, and the layers differ only by what they add.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import qmc

from sim.config import assumed_ranges

#: The layers of a layered sweep, in order, and what each adds.
LAYERS = {"a": "seed noise", "b": "+ calibrated parameters", "c": "+ assumptions"}


def assumption_design(n: int, seed: int, exclude: tuple[str, ...] | list[str] = ()) -> tuple[list[str], np.ndarray]:
    """``n`` Latin-hypercube draws of every assumed range (keys in ``exclude`` left out).

    Args:
        n: Number of draws (rows).
        seed: Seed of the hypercube (the sweep's ``sensitivity.seed``), so every arm gets the same rows.
        exclude: Keys drawn otherwise (the posterior's), never drawn twice.

    Returns:
        Configuration keys and an ``n x keys`` matrix of values.
    """
    ranges = {k: v for k, v in assumed_ranges().items() if k not in set(exclude)}
    names = list(ranges)
    if n <= 0 or not names:
        return names, np.empty((max(n, 0), len(names)))
    u = qmc.LatinHypercube(d=len(names), rng=np.random.default_rng([int(seed), 26])).random(n)
    cols = []
    for j, key in enumerate(names):
        a = ranges[key]
        if a["log"]:
            cols.append(np.exp(np.log(a["low"]) + u[:, j] * (np.log(a["high"]) - np.log(a["low"]))))
        else:
            cols.append(a["low"] + u[:, j] * (a["high"] - a["low"]))
    return names, np.column_stack(cols)


def layer_of(sample: np.ndarray, n_draws: int) -> np.ndarray:
    """The layer (``a``, ``b``, ``c``) of each sample index of a layered sweep of ``n_draws`` draws."""
    idx = np.asarray(sample, dtype=int) // max(int(n_draws), 1)
    return np.array(list(LAYERS))[np.clip(idx, 0, len(LAYERS) - 1)]
