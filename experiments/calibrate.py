"""Calibrate the free parameters by ABC-SMC, check the posterior against every target, validate on held-out ones.

    python experiments/calibrate.py            # city scale (~25 min on 2 cores)
    python experiments/calibrate.py --quick    # county scale, small budget (~2 min; CI)

Steps (sim.calibration.inference; targets in sim.calibration.targets; docs/VALIDATION.md):
1. replenishment ABC-SMC on every target: the posterior (``posterior.parquet``), its marginal and
   pairwise plots, the identifiability table;
2. posterior predictive checks of every target and of the mechanics, on fresh seeds;
3. held-out validation: ABC-SMC on the 2021 monitoring records only, then the 90% predictive
   interval of the held-out unchecked-case figures;
4. seed noise of the distance at the posterior median, against the final threshold.
Outputs go to ``--out`` (default results/calibration/abc/<scale>/); a full run also refreshes
docs/calibration_fit.json and docs/calibration_posterior.parquet (the posterior sweeps draw from).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.calibration.diagnostics import identifiability, posterior_predictive, predictive_table  # noqa: E402
from sim.calibration.figures import marginals_plot, pairs_plot, predictive_plot  # noqa: E402
from sim.calibration.inference import Posterior, posterior_median, run_abc, seed_noise  # noqa: E402
from sim.calibration.settings import Design  # noqa: E402
from sim.calibration.targets import MECHANICS, MONITORING, TARGETS, by_group  # noqa: E402

FULL = Design(scale="city", replicates=4, population=200, generations=12, max_simulations=5000, predictive_draws=50)
QUICK = Design(
    scale="county", replicates=2, population=20, generations=2, max_simulations=120, max_attempts=3, predictive_draws=8
)


def save_posterior(posterior: Posterior, path: Path) -> None:
    """The weighted sample, on the priors' scales and in configuration units, as Parquet."""
    values = posterior.values().drop(columns="weight")
    pd.concat([posterior.sample, values], axis=1).to_parquet(path, index=False)


def pairwise_names(table: pd.DataFrame, limit: int = 6) -> list[str]:
    """Parameters for the pairwise plot: the most constrained, then partners in trade-offs."""
    ordered = table.sort_values("shrinkage", ascending=False)
    names = list(ordered.parameter[: limit // 2])
    for partners in ordered.trades_off_with:
        for item in filter(None, partners.split("; ")):
            name = item.split(" ")[0]
            if name not in names and len(names) < limit:
                names.append(name)
    for name in ordered.parameter:
        if len(names) >= limit:
            break
        if name not in names:
            names.append(name)
    return names


def say(line: str) -> None:
    """One progress line, flushed at once (a full fit runs for about half an hour)."""
    print(f"[calibrate] {line}", flush=True)


def main() -> None:
    """Run the calibration and write every output."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="county scale, small budget (CI)")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--population", type=int)
    parser.add_argument("--max-simulations", type=int)
    parser.add_argument("--replicates", type=int)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--no-docs", action="store_true", help="do not refresh docs/ (implied by --quick)")
    args = parser.parse_args()

    design = replace(QUICK if args.quick else FULL, seed=args.seed, n_jobs=args.jobs)
    for key in ("population", "max_simulations", "replicates"):
        if getattr(args, key) is not None:
            design = replace(design, **{key: getattr(args, key)})
    out = args.out or ROOT / "results" / "calibration" / "abc" / design.scale
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    checks = TARGETS + MECHANICS

    print(f"[calibrate] ABC-SMC on all {len(TARGETS)} targets, {design.scale} scale, budget {design.max_simulations}")
    post = run_abc(TARGETS, design, db_dir=out, progress=say)
    print(f"[calibrate] {post.simulations} simulations in {post.seconds:.0f} s; thresholds {post.epsilons}")
    print(
        f"[calibrate] threshold floor {post.epsilon_floor:.3f}; stopped: {post.stopped}; "
        f"effective sample (Kish over distinct particles) {post.effective_sample_size:.0f}"
    )
    print(post.record.to_string(index=False))
    save_posterior(post, out / "posterior.parquet")
    ident = identifiability(post)
    ident.to_csv(out / "identifiability.csv", index=False)
    ppc = posterior_predictive(post, checks, design)
    ppc.to_csv(out / "predictive_draws.csv", index=False)
    table = predictive_table(ppc, checks, TARGETS)
    table.to_csv(out / "predictive.csv", index=False)
    noise = seed_noise(posterior_median(post), design, TARGETS, repeats=3 if args.quick else 5)

    print(f"[calibrate] held out: ABC-SMC on the {MONITORING} targets only")
    fit_group = by_group(MONITORING)
    held_design = replace(design, max_simulations=int(0.6 * design.max_simulations))
    held_post = run_abc(fit_group, held_design, db_dir=out / "heldout", progress=say)
    save_posterior(held_post, out / "posterior_monitoring_only.parquet")
    held_ppc = posterior_predictive(held_post, TARGETS, design)
    held_ppc.to_csv(out / "heldout_draws.csv", index=False)
    held = predictive_table(held_ppc, TARGETS, fit_group)
    held.to_csv(out / "heldout.csv", index=False)
    held_ident = identifiability(held_post)
    held_ident.to_csv(out / "identifiability_monitoring_only.csv", index=False)

    for name, fig in (
        ("marginals", marginals_plot(post, ident)),
        ("pairs", pairs_plot(post, pairwise_names(ident))),
        ("predictive", predictive_plot(ppc, checks, table)),
        ("heldout", predictive_plot(held_ppc, TARGETS, held)),
    ):
        fig.savefig(out / f"{name}.png", dpi=110)

    seconds = time.perf_counter() - t0
    fit = {
        "procedure": {
            "method": "replenishment ABC-SMC with ABC-MCMC moves (Drovandi & Pettitt 2011), "
            "distance = RMS of tolerance-scaled residuals",
            "design": asdict(design),
            "targets": [t.statistic for t in TARGETS],
            "heldout_fit_targets": [t.statistic for t in fit_group],
        },
        "simulations": {"all_targets": post.simulations, "monitoring_only": held_post.simulations},
        "effective_sample_size": {
            "all_targets": post.effective_sample_size,
            "monitoring_only": held_post.effective_sample_size,
            "population": design.population,
        },
        "epsilons": {"all_targets": post.epsilons, "monitoring_only": held_post.epsilons},
        "generations": {
            "all_targets": post.record.to_dict(orient="records"),
            "monitoring_only": held_post.record.to_dict(orient="records"),
        },
        "stopped": {"all_targets": post.stopped, "monitoring_only": held_post.stopped},
        "epsilon_floor": {"all_targets": post.epsilon_floor, "monitoring_only": held_post.epsilon_floor},
        "seed_noise_of_distance_at_posterior_median": {
            "mean": float(np.mean(noise)),
            "sd": float(np.std(noise, ddof=1)),
            "final_epsilon": post.epsilons[-1],
        },
        "identifiability": ident.to_dict(orient="records"),
        "predictive": table.to_dict(orient="records"),
        "heldout": held.to_dict(orient="records"),
        "seconds": seconds,
    }
    (out / "fit.json").write_text(json.dumps(fit, indent=2, default=float) + "\n")
    if not (args.quick or args.no_docs):
        (ROOT / "docs" / "calibration_fit.json").write_text(json.dumps(fit, indent=2, default=float) + "\n")
        save_posterior(post, ROOT / "docs" / "calibration_posterior.parquet")

    pd.set_option("display.width", 200)
    print(ident[["parameter", "posterior_median", "posterior_q05", "posterior_q95", "shrinkage", "verdict"]])
    print(table[["statistic", "role", "observed", "predictive_q05", "predictive_q95", "covered"]])
    print(held[["statistic", "role", "observed", "predictive_q05", "predictive_q95", "covered"]])
    sd = np.std(noise, ddof=1)
    print(f"[calibrate] seed noise of the distance: sd {sd:.3f} vs final threshold {post.epsilons[-1]:.3f}")
    print(f"[calibrate] done in {seconds:.0f} s -> {out}")


if __name__ == "__main__":
    main()
