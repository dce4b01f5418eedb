"""Figures of a calibration: marginal posteriors against priors, pairwise posteriors, predictive checks."""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.calibration.inference import Posterior
from sim.calibration.targets import AT_LEAST, AT_MOST, Target

matplotlib.use("Agg")


def _label(posterior: Posterior, name: str) -> str:
    prior = next(p for p in posterior.priors if p.name == name)
    return f"log10 {name}" if prior.log10 else name


def marginals_plot(posterior: Posterior, table: pd.DataFrame) -> Figure:
    """One panel per parameter: weighted posterior histogram over the (flat) prior's range."""
    n = len(posterior.priors)
    cols = 4
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows), squeeze=False)
    w = posterior.sample["weight"].to_numpy()
    verdicts = dict(zip(table.parameter, table.verdict, strict=True))
    shrink = dict(zip(table.parameter, table.shrinkage, strict=True))
    for ax, p in zip(axes.flat, posterior.priors, strict=False):
        bins = np.linspace(p.low, p.high, 21)
        ax.hist(posterior.sample[p.name], bins=bins, weights=w, density=True, color="#3b6ea8", alpha=0.8)
        ax.axhline(1 / (p.high - p.low), color="0.3", ls="--", lw=1, label="prior")
        ax.set_xlim(p.low, p.high)
        ax.set_xlabel(_label(posterior, p.name), fontsize=10)
        ax.set_title(f"{verdicts[p.name]} (shrinkage {shrink[p.name]:.2f})", fontsize=9)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=8)
    fig.suptitle("Posterior (bars) against the prior (dashed), each on the prior's scale", fontsize=12)
    fig.tight_layout()
    return fig


def pairs_plot(posterior: Posterior, names: Sequence[str]) -> Figure:
    """Pairwise posterior scatter (point size ~ weight) of the named parameters, prior ranges as axes."""
    names = list(names)
    k = len(names)
    priors = {p.name: p for p in posterior.priors}
    fig, axes = plt.subplots(k, k, figsize=(2.4 * k + 1, 2.4 * k + 1), squeeze=False)
    w = posterior.sample["weight"].to_numpy()
    size = 60 * w / w.max()
    for i, yi in enumerate(names):
        for j, xj in enumerate(names):
            ax = axes[i, j]
            if j > i:
                ax.set_visible(False)
                continue
            px, py = priors[xj], priors[yi]
            if i == j:
                ax.hist(posterior.sample[xj], bins=np.linspace(px.low, px.high, 16), weights=w, color="#3b6ea8")
                ax.set_yticks([])
            else:
                ax.scatter(posterior.sample[xj], posterior.sample[yi], s=size, alpha=0.5, color="#3b6ea8", lw=0)
                ax.set_ylim(py.low, py.high)
                c = np.cov(posterior.sample[xj], posterior.sample[yi], aweights=w)
                rho = c[0, 1] / np.sqrt(c[0, 0] * c[1, 1])
                ax.text(0.03, 0.9, f"r={rho:+.2f}", transform=ax.transAxes, fontsize=8)
            ax.set_xlim(px.low, px.high)
            ax.tick_params(labelsize=7)
            if i == k - 1:
                ax.set_xlabel(_label(posterior, xj), fontsize=9)
            if j == 0 and i > 0:
                ax.set_ylabel(_label(posterior, yi), fontsize=9)
    fig.suptitle("Pairwise posterior (axes span the prior)", fontsize=12)
    fig.tight_layout()
    return fig


def predictive_plot(ppc: pd.DataFrame, targets: Sequence[Target], table: pd.DataFrame) -> Figure:
    """One panel per target: the posterior predictive distribution of its statistic and the figure."""
    targets = [t for t in targets if t.statistic in ppc and t.statistic in set(table.statistic)]
    cols = 3
    rows = math.ceil(len(targets) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.0 * cols, 3.0 * rows), squeeze=False)
    covered = dict(zip(table.statistic, table.covered, strict=True))
    role = dict(zip(table.statistic, table.role, strict=True))
    for ax, t in zip(axes.flat, targets, strict=False):
        x = ppc[t.statistic].to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        if t.log10:
            x = np.log10(np.maximum(x, 1e-6))
        obs = math.log10(t.observed) if t.log10 else t.observed
        ax.hist(x, bins=20, color="#3b6ea8", alpha=0.8)
        if t.sense == AT_MOST:
            ax.axvspan(obs, max(obs, x.max()) + t.tolerance, color="#c0392b", alpha=0.15, label="excluded")
        elif t.sense == AT_LEAST:
            ax.axvspan(min(obs, x.min()) - t.tolerance, obs, color="#c0392b", alpha=0.15, label="excluded")
        else:
            ax.axvspan(obs - t.tolerance, obs + t.tolerance, color="#27ae60", alpha=0.15, label="tolerance")
        ax.axvline(obs, color="k", lw=1.5, label="record")
        if not t.log10:  # the bands stop where the statistic must: at 0, and at 1 for a share
            left, right = ax.get_xlim()
            pad = 0.02 * (right - left)
            ax.set_xlim(max(left, -pad), min(right, t.upper + pad))
        ok = "covered" if covered[t.statistic] else "MISSED"
        ax.set_title(f"{t.name}\n[{role[t.statistic]}, {ok}]", fontsize=8.5)
        ax.set_xlabel(("log10 " if t.log10 else "") + t.statistic, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(targets) :]:
        ax.set_visible(False)
    fig.suptitle("Posterior predictive checks (simulated statistic over posterior draws, fresh seeds)", fontsize=12)
    fig.tight_layout()
    return fig
