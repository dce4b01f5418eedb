"""The calibration's posterior as a file: where it is, how to read it, and draws from it for sweeps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.stats.intervals import kish

#: The checkout's root (the folder holding ``sim/``), where relative paths were always taken from.
ROOT = Path(__file__).resolve().parents[2]

#: The name sweeps and the optimiser give the stored posterior (their default setting).
DEFAULT_NAME = "docs/calibration_posterior.parquet"

#: The copy shipped inside the package (a link to ``docs/`` in a checkout, the file itself in a wheel),
#: so an installed package finds the default posterior without a checkout.
PACKAGED_POSTERIOR = Path(__file__).resolve().parent / "data" / "calibration_posterior.parquet"

#: The stored posterior sample sweeps draw from by default.
DEFAULT_POSTERIOR = ROOT / DEFAULT_NAME if (ROOT / DEFAULT_NAME).is_file() else PACKAGED_POSTERIOR


def resolve(path: str | Path) -> Path:
    """Where a posterior file is: an absolute path as it is; a relative one from the checkout's root.

    The default name (``docs/calibration_posterior.parquet``) falls back to the copy shipped with
    the package when there is no checkout (an installed wheel); any other relative path is also
    looked for in the current folder.

    Args:
        path: The path as configured (``sensitivity.posterior``, ``optimise.robustness.posterior``).

    Returns:
        The first existing candidate, else the checkout's (for the error message to name).
    """
    p = Path(path)
    if p.is_absolute():
        return p
    candidates = [ROOT / p, Path.cwd() / p]
    if p.as_posix() == DEFAULT_NAME:
        candidates.append(PACKAGED_POSTERIOR)
    return next((c for c in candidates if c.is_file()), candidates[0])


def load_posterior(path: str | Path = DEFAULT_POSTERIOR) -> pd.DataFrame:
    """The stored weighted posterior sample: configuration keys (dotted) and ``weight``.

    Raises:
        FileNotFoundError: no posterior at that path (run ``python experiments/calibrate.py``).
        ValueError: the file has no weight or no configuration keys.
    """
    df = pd.read_parquet(resolve(path))
    keys = [c for c in df.columns if "." in c]
    if "weight" not in df or not keys:
        raise ValueError(f"{path} is not a posterior sample (needs dotted configuration keys and 'weight')")
    w = df["weight"].to_numpy(dtype=float)
    if not (np.isfinite(w).all() and (w >= 0).all() and w.sum() > 0):
        raise ValueError(f"{path}: weights must be finite, non-negative and not all zero")
    return df[[*keys, "weight"]]


def effective_sample_size(sample: pd.DataFrame) -> float:
    """Kish's effective sample size over the sample's distinct parameter sets.

    Kish (1965): ``(sum w)^2 / sum w^2``, with the weights of identical rows summed first.
    Replenishment ABC-SMC gives equal weights and leaves duplicates (copies whose moves were
    refused), so 200 particles with 163 distinct points are not 200 independent draws.

    Not ArviZ's autocorrelation-aware ESS: ``arviz-stats`` (1.3.3) installs beside the pinned stack,
    but its ESS reads the draws of a chain in order, and a particle population has no order (the
    posterior file keeps no lineage of which copy came from which parent). On the stored posterior
    it measured the file's order, not the particles' dependence: its smallest bulk ESS over the
    parameters was 101 in file order and 112 to 163 (5th to 95th percentile) over 20 shuffles of
    the same particles. Near-copies moved a few MCMC steps from one parent are still counted as
    distinct here; an ESS that sees them needs the sampler to record each copy's parent.

    Args:
        sample: parameter columns and ``weight``.
    """
    keys = [c for c in sample.columns if c != "weight"]
    w = sample.groupby(keys, sort=False)["weight"].sum().to_numpy(dtype=float) if keys else sample["weight"].to_numpy()
    return kish(w)


def posterior_design(path: str | Path, n: int, seed: int) -> tuple[list[str], np.ndarray]:
    """``n`` posterior draws as a design matrix (the shape of the sensitivity experiment's design).

    Draws are a multinomial resample of the weighted sample with a generator seeded by ``seed``, so
    every job of a sweep (and every arm) gets the same draws.

    Returns:
        Configuration keys and an ``n x keys`` matrix of values.
    """
    df = load_posterior(path)
    keys = [c for c in df.columns if c != "weight"]
    w = df["weight"].to_numpy(dtype=float)
    idx = np.random.default_rng(seed).choice(len(df), size=n, replace=True, p=w / w.sum())
    return keys, df[keys].to_numpy(dtype=float)[idx]


def posterior_overrides(path: str | Path, i: int, n: int, seed: int) -> dict[str, float]:
    """The configuration overrides of posterior draw ``i`` of ``n`` (seeded as in :func:`posterior_design`)."""
    if not 0 <= i < n:
        raise IndexError(f"draw {i} is not among {n} draws")
    keys, design = posterior_design(path, n, seed)
    return {k: float(v) for k, v in zip(keys, design[i], strict=True)}
