"""Benchmark: single-run speed at each scale and sweep throughput, printed as tables.

    python experiments/benchmark.py            # everything (about two minutes)
    python experiments/benchmark.py --quick    # fewer repetitions
    python experiments/benchmark.py --against ../other-checkout   # a province run here and there, as a ratio

Reports, for a run with no interventions on one core: world building, the daily loop (and the
vote within it), delegate-days per second in the daily loop and peak memory; then sweep
throughput in runs per minute, serially and with the joblib launcher on every core, and the
per-run overhead of the sweep machinery.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim import build_config, simulate  # noqa: E402

SCALES = {
    "county": {"n_cities": 1, "n_counties": 1, "n_townships": 12, "delegates_per_township": 67.0},
    "city": {"n_cities": 1, "n_counties": 10, "n_townships": 100, "delegates_per_township": 80.0},
    "province": {"n_cities": 14, "n_counties": 100, "n_townships": 841, "delegates_per_township": 83.0},
}


def single_run(scale: str, repeats: int) -> dict[str, float]:
    """Best-of-``repeats`` timing of one run at ``scale``."""
    best: dict[str, float] | None = None
    for seed in range(repeats):
        s = simulate({"scenario": scale, "world": SCALES[scale]}, seed=seed).summary
        row = {
            "delegates": s["delegates"],
            "total_s": s["runtime_s"],
            "build_s": s["time_build_s"],
            "loop_s": s["time_loop_s"] - s["time_vote_s"],
            "vote_s": s["time_vote_s"],
        }
        if best is None or row["total_s"] < best["total_s"]:
            best = row
    assert best is not None
    schedule = build_config({}).schedule
    days = schedule.campaign_days + 1 + schedule.post_election_days
    best["delegate_days_per_s"] = best["delegates"] * days / best["loop_s"]
    return best


def sweep_throughput(scale: str, launcher: str, replicates: int) -> tuple[float, float]:
    """Runs per minute of a two-arm sweep, and wall time per run, with the given launcher."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    cmd = [
        sys.executable,
        str(ROOT / "experiments" / "run.py"),
        "-m",
        f"scenario={scale}",
        "policy=none,all",
        f"replicates={replicates}",
        "report.enabled=false",
        f"hydra.sweep.dir={tmp}",
        f"hydra/launcher={launcher}",
    ]
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    wall = time.perf_counter() - t0
    shutil.rmtree(tmp, ignore_errors=True)
    runs = 2 * replicates
    return runs / wall * 60, wall / runs


#: Times province runs (no intervention) of the ``sim`` under the checkout given first: the best
#: wall time and the best processor time of ``runs`` runs (processor time is what a shared,
#: loaded machine disturbs least).
TIMER = """
import sys, time
sys.path.insert(0, sys.argv[1])
from sim import simulate
world = {"n_cities": 14, "n_counties": 100, "n_townships": 841, "delegates_per_township": 83.0}
wall, cpu = [], []
for s in range(int(sys.argv[2])):
    t0 = time.process_time()
    wall.append(simulate({"scenario": "province", "world": world}, seed=s).summary["runtime_s"])
    cpu.append(time.process_time() - t0)
print(min(wall), min(cpu))
"""


def against(other: Path, rounds: int) -> dict[str, tuple[float, float]]:
    """Province run time of this checkout and of ``other``, measured in alternation (same load).

    Each round times both checkouts in fresh processes, one after the other (best of two runs each),
    so that the ratio compares them under the same conditions of a shared machine.

    Returns:
        For ``wall`` and ``cpu`` seconds: ``(this, other)``, the medians over rounds of each
        checkout's best run.
    """
    times: dict[Path, list[tuple[float, float]]] = {ROOT: [], other: []}
    for _ in range(rounds):
        for root in (ROOT, other):
            out = subprocess.run(
                [sys.executable, "-c", TIMER, str(root), "2"], capture_output=True, text=True, check=True
            )
            wall, cpu = out.stdout.strip().splitlines()[-1].split()
            times[root].append((float(wall), float(cpu)))
    median = lambda xs: float(sorted(xs)[len(xs) // 2])  # noqa: E731
    return {
        what: (median([t[i] for t in times[ROOT]]), median([t[i] for t in times[other]]))
        for i, what in enumerate(("wall", "cpu"))
    }


#: Times ``R`` replicates (seeds 1000..) of one configuration under the checkout given first, one at
#: a time (``simulate``) or together (``simulate_many``): processor and wall seconds per run, and
#: the peak memory the runs added, per run.
REPLICATES = """
import resource, sys, time
sys.path.insert(0, sys.argv[1])
from sim.simulate import resolve_config, simulate
import sim.simulate
S = sys.modules["sim.simulate"]
scale, policy, terms, n, mode = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
data = {"scenario": scale, "policy": policy, "schedule": {"terms": terms}}
cfgs = [resolve_config(data, seed=1000 + i) for i in range(n)]
simulate(cfgs[0])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0, c0 = time.perf_counter(), time.process_time()
if mode == "batched":
    S.simulate_many(cfgs)
else:
    for cfg in cfgs:
        simulate(cfg)
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
added = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
print(cpu / n, wall / n, added / (n if mode == "batched" else 1))
"""


def replicates(root: Path, scale: str, policy: str, terms: int, n: int, mode: str) -> tuple[float, float, float]:
    """Processor and wall seconds per run and added peak MB per run of ``n`` replicates (see REPLICATES)."""
    args = [sys.executable, "-c", REPLICATES, str(root), scale, policy, str(terms), str(n), mode]
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    cpu, wall, mb = out.stdout.strip().splitlines()[-1].split()
    return float(cpu), float(wall), float(mb)


def batched_table(other: Path | None, quick: bool) -> None:
    """Replicates one at a time against together, here and (``other``) in the code before batching.

    Each case runs in fresh processes, this checkout and the other in alternation (same load);
    the figures are the best of the rounds.
    """
    rounds = 1 if quick else 3
    cases = [("county", "none", 1, 100), ("county", "all", 1, 100), ("city", "none", 1, 20), ("city", "all", 1, 20)]
    cases += [("province", "none", 1, 2), ("province", "none", 3, 2)]
    print(f"Replicates of one configuration: processor ms per run (best of {rounds}); MB added per run")
    head = f"{'scale':<9}{'policy':<7}{'terms':>6}{'runs':>5}{'one at a time':>15}{'together':>10}{'ratio':>7}"
    print(head + (f"{'before':>9}{'ratio':>7}" if other else "") + f"{'MB lone':>9}{'MB each':>9}")
    for scale, policy, terms, n in cases:
        n = max(2, n // 4) if quick else n
        best: dict[str, tuple[float, float, float]] = {}
        for _ in range(rounds):
            for key, root, mode in (("lone", ROOT, "lone"), ("batched", ROOT, "batched"), ("before", other, "lone")):
                if root is None:
                    continue
                got = replicates(root, scale, policy, terms, n, mode)
                best[key] = min(best.get(key, got), got)
        lone, batched = best["lone"], best["batched"]
        line = f"{scale:<9}{policy:<7}{terms:>6}{n:>5}{lone[0] * 1e3:>15.1f}{batched[0] * 1e3:>10.1f}"
        line += f"{lone[0] / batched[0]:>6.1f}x"
        if other:
            line += f"{best['before'][0] * 1e3:>9.1f}{best['before'][0] / batched[0]:>6.1f}x"
        print(line + f"{lone[2]:>9.1f}{batched[2]:>9.1f}")


def main() -> None:
    """Print the benchmark tables."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--against", type=Path, help="another checkout: time a province run of both, in alternation, and their ratio"
    )
    parser.add_argument(
        "--batched", action="store_true", help="replicates one at a time against together (with --against: before too)"
    )
    args = parser.parse_args()
    if args.batched:
        print(f"load: {os.getloadavg()[0]:.1f} (1 min), {os.cpu_count()} cores\n")
        batched_table(args.against.resolve() if args.against else None, args.quick)
        return
    if args.against is not None:
        rounds = 3 if args.quick else 7
        print(f"province run, no intervention (median of {rounds} rounds, best of 2 runs each):")
        for what, (mine, theirs) in against(args.against.resolve(), rounds).items():
            print(f"  {what:>4}: this checkout {mine:.3f} s; {args.against} {theirs:.3f} s; ratio {mine / theirs:.2f}")
        return
    repeats = 2 if args.quick else 3
    print(f"machine: {os.cpu_count()} cores; one run uses one core\n")
    print(f"Single run, no interventions (best of {repeats})")
    print(f"{'scale':<9}{'delegates':>10}{'total s':>9}{'build s':>9}{'loop s':>9}{'vote s':>9}{'delegate-days/s':>17}")
    for scale in SCALES:
        r = single_run(scale, repeats)
        print(
            f"{scale:<9}{r['delegates']:>10,}{r['total_s']:>9.3f}{r['build_s']:>9.3f}{r['loop_s']:>9.3f}"
            f"{r['vote_s']:>9.3f}{r['delegate_days_per_s']:>17.2e}"
        )
    print(f"\nRepeated terms, province, no interventions (best of {repeats})")
    print(f"{'terms':<9}{'total s':>9}{'per term s':>12}")
    for terms in (1, 3):
        best = min(
            simulate(
                {"scenario": "province", "world": SCALES["province"], "schedule": {"terms": terms}}, seed=s
            ).summary["runtime_s"]
            for s in range(repeats)
        )
        print(f"{terms:<9}{best:>9.3f}{best / terms:>12.3f}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process (all runs above): {peak_mb:,.0f} MB\n")

    print("Sweep throughput (2 arms; includes Hydra start-up, collection)")
    print(f"{'scale':<9}{'launcher':<10}{'runs':>6}{'runs/min':>10}{'s/run':>8}")
    plan = {"city": 10 if args.quick else 20, "province": 3 if args.quick else 5}
    per_run = {}
    for scale, reps in plan.items():
        for launcher in ("basic", "joblib"):
            rpm, spr = sweep_throughput(scale, launcher, reps)
            per_run[(scale, launcher)] = spr
            print(f"{scale:<9}{launcher:<10}{2 * reps:>6}{rpm:>10.1f}{spr:>8.3f}")
    # Marginal cost of a run in a serial sweep, from two sweep sizes: what the store, the config
    # handling and the progress line add to a run, apart from Hydra's fixed start-up.
    small, large = (5, 15) if args.quick else (10, 30)
    t_small = 2 * small / sweep_throughput("city", "basic", small)[0] * 60
    t_large = 2 * large / sweep_throughput("city", "basic", large)[0] * 60
    marginal = (t_large - t_small) / (2 * (large - small))
    fixed = t_small - 2 * small * marginal
    city = single_run("city", 3)["total_s"]
    print(
        f"\nserial sweep at city scale: {marginal:.3f} s per run (simulation alone {city:.3f} s, so "
        f"{marginal - city:+.3f} s of overhead per run) plus {fixed:.1f} s fixed start-up and collection"
    )


if __name__ == "__main__":
    main()
