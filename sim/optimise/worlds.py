"""The sampled parameter worlds of the robustness stage: posterior draws or a Latin hypercube of ranges."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import numpy as np

from sim.optimise.settings import OptimiseConfig
from sim.sweeps.assumptions import assumption_design
from sim.sweeps.experiment import SensitivityConfig


# ------------------------------------------------------------------------------------ worlds
def robustness_worlds(
    opt: OptimiseConfig, sens: SensitivityConfig
) -> tuple[list[tuple[str, int, dict[str, float]]], dict[str, Any]]:
    """The worlds the robustness stage samples (:func:`sampled_worlds`), each with its assumed values.

    With ``robustness.assumptions``, draw ``k`` also takes row ``k`` of a Latin hypercube of every
    assumed range of the schema (:func:`sim.sweeps.assumptions.assumption_design`, seeded by
    ``robustness.seed``; keys the posterior or the ranges already draw are left to them), so a
    portfolio's probability of meeting the target covers what nobody fitted.  A world is then named
    by all its values, so a posterior particle drawn twice is two worlds when its assumed values differ.
    """
    worlds, info = sampled_worlds(opt, sens)
    if not opt.robustness.assumptions or not worlds:
        return worlds, info
    names, design = assumption_design(len(worlds), opt.robustness.seed, exclude=list(worlds[0][2]))
    out = []
    for (_, k, world), row in zip(worlds, design, strict=True):
        full = {**world, **{key: float(v) for key, v in zip(names, row, strict=True)}}
        tag = hashlib.sha256(json.dumps(full, sort_keys=True).encode()).hexdigest()[:10]
        out.append((f"w{tag}", k, full))
    info.update(parameters=[*info.get("parameters", []), *names], assumed=names, distinct=len({w[0] for w in out}))
    return out, info


def sampled_worlds(
    opt: OptimiseConfig, sens: SensitivityConfig
) -> tuple[list[tuple[str, int, dict[str, float]]], dict[str, Any]]:
    """The worlds the robustness stage samples, and where they come from.

    With the posterior, ``draws`` weighted draws with replacement of its distinct particles
    (identical rows merged, their weights summed; seeded by ``robustness.seed``), so the share of
    draws in which a portfolio meets the target estimates its posterior probability.  A world drawn
    twice is one world (named by its values) run once and counted twice; the analysis counts it
    once where independence matters (PRIM, the tests across worlds) and uses the effective number
    of distinct worlds (Kish) for the interval of the probability
    (:func:`sim.optimise.robustness.robustness_table`).  With the ranges, a
    Latin hypercube of ``draws`` samples over ``sensitivity.parameters`` (SALib, seeded).
    ``auto`` takes the posterior when its Kish effective sample size over distinct particles
    (:func:`sim.calibration.posterior.effective_sample_size`) is at least ``min_ess``.

    Returns:
        ``(worlds, info)``: worlds as ``(world id, index, parameter values)`` in draw order, and
        ``info`` with ``source``, ``reason``, ``parameters``, and for the posterior ``path``,
        ``sha256``, ``particles``, ``ess``.
    """
    rob = opt.robustness
    info: dict[str, Any] = {"source": rob.source, "reason": "", "draws": rob.draws}
    use_posterior = rob.source == "posterior"
    if rob.source in ("auto", "posterior"):
        from sim.calibration.posterior import effective_sample_size, load_posterior, resolve

        path = resolve(rob.posterior)
        if path.is_file():
            post = load_posterior(path)
            ess = effective_sample_size(post)
            info.update(
                path=str(rob.posterior),
                sha256=hashlib.sha256(path.read_bytes()).hexdigest()[:16],
                modified=time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(path.stat().st_mtime)),
                particles=len(post),
                ess=ess,
            )
            if rob.source == "auto":
                use_posterior = ess >= rob.min_ess
                info["reason"] = (
                    ""  # the sentence gives the effective sample size
                    if use_posterior
                    else f"the posterior's effective sample size is {ess:.1f}, below {rob.min_ess:g}: its draws would "
                    "repeat a few parameter sets, so the sensitivity design's ranges are used instead"
                )
        elif rob.source == "auto":
            info["reason"] = f"no posterior at {rob.posterior}: the sensitivity design's ranges are used"
    if use_posterior:
        keys = [c for c in post.columns if c != "weight"]
        merged = post.groupby(keys, sort=True)["weight"].sum().reset_index()
        w = merged["weight"].to_numpy(dtype=float)
        rng = np.random.default_rng(rob.seed)
        idx = rng.choice(len(merged), size=rob.draws, replace=True, p=w / w.sum())
        values = merged[keys].to_numpy(dtype=float)
        worlds = []
        for k, i in enumerate(idx):
            world = {key: float(v) for key, v in zip(keys, values[i], strict=True)}
            tag = hashlib.sha256(json.dumps(world, sort_keys=True).encode()).hexdigest()[:10]
            worlds.append((f"p{tag}", k, world))  # named by its values: the same set is the same world
        info.update(
            source="posterior", parameters=keys, distinct=len({w[0] for w in worlds}), distinct_particles=len(merged)
        )
        return worlds, info
    from SALib.sample import latin

    names = list(sens.parameters)
    problem = {"num_vars": len(names), "names": names, "bounds": [list(sens.parameters[k]) for k in names]}
    design = latin.sample(problem, rob.draws, seed=rob.seed)
    tag = hashlib.sha256(json.dumps([problem, rob.draws, rob.seed]).encode()).hexdigest()[:6]
    worlds = [
        (f"l{tag}{k:03d}", k, {key: float(v) for key, v in zip(names, row, strict=True)})
        for k, row in enumerate(design)
    ]
    info.update(source="ranges", parameters=names, ranges={k: list(v) for k, v in sens.parameters.items()})
    info["distinct"] = len(worlds)
    return worlds, info
