"""Global sensitivity of an outcome to the sampled uncertain parameters, and which policy wins where."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.stats.outcomes import HEADLINE, outcome


# ------------------------------------------------------------------------------------ sensitivity
def sensitivity_parameters(runs: pd.DataFrame, meta_parameters: list[str]) -> list[str]:
    """The sampled parameters present as input columns."""
    return [p for p in meta_parameters if f"in.{p}" in runs.columns and runs[f"in.{p}"].nunique() > 1]


def sensitivity_indices(runs: pd.DataFrame, outcome_key: str, parameters: list[str], seed: int = 0) -> pd.DataFrame:
    """First-order sensitivity indices (RBD-FAST, SALib) of ``outcome_key`` for each arm.

    Replicates of a sample are averaged first, so the indices speak of the parameters, not of
    the seeds.
    """
    from SALib.analyze import rbd_fast

    rows = []
    for arm, group in runs[runs["sample"] >= 0].groupby("arm", sort=False):
        per_sample = group.groupby("sample")[[f"in.{p}" for p in parameters] + [outcome_key]].mean()
        x = per_sample[[f"in.{p}" for p in parameters]].to_numpy()
        y = per_sample[outcome_key].to_numpy()
        bounds = [[float(x[:, i].min()), float(x[:, i].max())] for i in range(len(parameters))]
        problem = {"num_vars": len(parameters), "names": parameters, "bounds": bounds}
        harmonics = 4 if len(y) >= 64 else 2  # fewer harmonics for small samples (SALib's bias correction)
        res = rbd_fast.analyze(problem, x, y, M=harmonics, num_resamples=200, conf_level=0.95, seed=seed)
        for p, s1, conf in zip(parameters, res["S1"], res["S1_conf"], strict=True):
            rows.append({"arm": arm, "parameter": p, "S1": float(s1), "S1_conf": float(conf)})
    return pd.DataFrame(rows)


def policy_wins(runs: pd.DataFrame, outcome_key: str = HEADLINE, better: str | None = None) -> pd.DataFrame:
    """Share of uncertainty samples in which each arm is best on ``outcome_key``.

    An arm is best in a sample when its mean over the sample's replicates is the lowest (or highest,
    for outcomes where higher is better); arms tied for best share that sample equally, so the
    shares add up to one and no arm wins a tie by its name.
    """
    better = better or outcome(outcome_key).better
    per = runs[runs["sample"] >= 0].groupby(["sample", "arm"])[outcome_key].mean().unstack("arm")
    values = per.to_numpy(dtype=float)
    best = np.nanmin(values, axis=1) if better == "lower" else np.nanmax(values, axis=1)
    tied = np.isclose(values, best[:, None], rtol=1e-12, atol=1e-12)
    credit = tied / tied.sum(axis=1, keepdims=True)
    share = credit.mean(axis=0)
    return (
        pd.DataFrame({"arm": per.columns, "win_share": share, "samples": len(per)})
        .sort_values("win_share", ascending=False, kind="stable")
        .reset_index(drop=True)
    )
