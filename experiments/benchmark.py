"""Benchmark: what a run costs, one at a time and in batches, and what sweeps add, in one report.

    python experiments/benchmark.py            # everything (several minutes)
    python experiments/benchmark.py --quick    # CI-size: county sweeps, fewer repetitions
    python experiments/benchmark.py --only config,overhead   # some sections
    python experiments/benchmark.py --against ../other-checkout   # a province run here and there, as a ratio

Sections (each prints a table; the load average of the machine is printed beside every timing,
since the cores may be shared):

* ``config``: composing a configuration from presets and overrides, directly and through
  OmegaConf (the path every configuration took before), and their ratio;
* ``overhead``: what :func:`sim.simulate` and :func:`sim.simulate_many` add to the model, and
  what a sweep job adds to a run (configuration, fingerprint, writing and checksumming its files,
  progress);
* ``single``: one run per scale (world building, daily loop, vote), three terms at province
  scale, and peak memory;
* ``batch``: R replicates one at a time (:func:`sim.simulate`) beside the batch
  (:func:`sim.simulate_many`), and the ratio;
* ``sweep``: ``experiment=compare`` serially and on every core (the basic launcher's fork pool,
  ``sweep.workers``), and with the joblib launcher, with the ratios.

A new section is a function taking the parsed arguments, registered in :data:`SECTIONS`.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sim.config.build as config_build  # noqa: E402
from sim import build_config, simulate, simulate_many  # noqa: E402
from sim.config import flatten, to_dict  # noqa: E402
from sim.simulate import resolve_config  # noqa: E402
from sim.sweeps.manifest import code_id, fingerprint  # noqa: E402
from sim.sweeps.progress import record_event  # noqa: E402
from sim.sweeps.store import write_run  # noqa: E402

SCALES = {
    "county": {"n_cities": 1, "n_counties": 1, "n_townships": 12, "delegates_per_township": 67.0},
    "city": {"n_cities": 1, "n_counties": 10, "n_townships": 100, "delegates_per_township": 80.0},
    "province": {"n_cities": 14, "n_counties": 100, "n_townships": 841, "delegates_per_township": 83.0},
}


def load() -> str:
    """The machine's load average over the last minute, to print beside a timing."""
    return f"load {os.getloadavg()[0]:.1f}"


def best_ms(fn: Callable[[], Any], n: int) -> float:
    """The best of ``n`` timings of ``fn()`` in milliseconds (after one untimed call)."""
    fn()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times) * 1e3


# ------------------------------------------------------------------------------------ config
def section_config(args: argparse.Namespace) -> None:
    """Composing a configuration: the direct construction against the OmegaConf path."""
    n = 10 if args.quick else 30
    typed = resolve_config({"scenario": "city"})
    cases = {
        "resolve_config(scenario=county)": lambda: resolve_config({"scenario": "county"}, seed=3),
        "resolve_config(scenario=city, policy=all)": lambda: resolve_config(
            {"scenario": "city", "policy": "all"}, seed=3
        ),
        "resolve_config(scenario=province)": lambda: resolve_config({"scenario": "province"}, seed=3),
        "resolve_config(province=shanxi)": lambda: resolve_config({"province": "shanxi"}, seed=3),
        "build_config(typed, seed, world override)": lambda: build_config(typed, seed=4, **{"world.n_townships": 50}),
    }
    print(f"Composing a configuration (best of {n}; target <= 5 ms)")
    print(f"{'call':<44}{'direct ms':>11}{'OmegaConf ms':>14}{'ratio':>8}")
    real = config_build._build_direct
    for name, fn in cases.items():
        direct = best_ms(fn, n)
        config_build._build_direct = lambda source, overrides: None  # the path every call took before
        try:
            omegaconf = best_ms(fn, max(3, n // 5))
        finally:
            config_build._build_direct = real
        print(f"{name:<44}{direct:>11.2f}{omegaconf:>14.1f}{omegaconf / direct:>7.0f}x  ({load()})")
    print()


# ---------------------------------------------------------------------------------- overhead
def section_overhead(args: argparse.Namespace) -> None:
    """What simulate() adds to its model, and what a sweep job adds to a run."""
    n = 10 if args.quick else 40
    print("simulate() and simulate_many([one]) beyond the model (best of 5; the model's own time is runtime_s)")
    beyond = {}
    for scale in ("county", "city"):
        cfg = resolve_config({"scenario": scale, "world": SCALES[scale]}, seed=1)
        extra: dict[str, list[float]] = {"simulate": [], "simulate_many": []}
        for s in range(5):
            t0 = time.perf_counter()
            r = simulate(dataclasses.replace(cfg, seed=s))
            extra["simulate"].append(time.perf_counter() - t0 - r.summary["runtime_s"])
            t0 = time.perf_counter()
            r = simulate_many([dataclasses.replace(cfg, seed=s)])[0]
            extra["simulate_many"].append(time.perf_counter() - t0 - r.summary["runtime_s"])
        beyond[scale] = min(extra["simulate_many"]) * 1e3
        print(
            f"  {scale:<9}simulate {min(extra['simulate']) * 1e3:>5.2f} ms, simulate_many {beyond[scale]:>5.2f} ms"
            f"  ({load()})"
        )
    base = resolve_config({"scenario": "city"})
    result = simulate(dataclasses.replace(base, seed=3))
    code = code_id()
    folder = Path(tempfile.mkdtemp(prefix="bench-store-"))
    count = iter(range(10**9))

    def config_and_fingerprint() -> None:
        cfg = dataclasses.replace(base, seed=4)  # as a job does (simulate_many checks it)
        fingerprint(flatten(to_dict(cfg)), code)

    inputs = flatten(to_dict(base))
    parts = {
        "configuration, inputs and fingerprint": config_and_fingerprint,
        "write_run (files, checksums, DONE)": lambda: write_run(
            folder / "runs" / str(next(count)),
            result.summary,
            result.timeseries,
            inputs,
            {"replicate": 0},
            "f",
            to_dict(base),
        ),
        "progress event": lambda: record_event(folder, "arm/run", "done"),
    }
    print(f"A sweep job's work per run beyond simulate_many (best of {n}; target <= 5 ms with simulate()'s)")
    total = 0.0
    for name, fn in parts.items():
        ms = best_ms(fn, n)
        total += ms
        print(f"  {name:<40}{ms:>7.2f} ms")
    print(f"  {'total':<40}{total:>7.2f} ms  ({load()})")
    for scale, ms in beyond.items():
        print(f"  per-run sweep overhead at {scale}, with simulate_many's: {total + ms:.2f} ms (target <= 5 ms)")
    print()
    shutil.rmtree(folder, ignore_errors=True)


# ------------------------------------------------------------------------------------ single
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


def section_single(args: argparse.Namespace) -> None:
    """One run per scale, three terms at province scale, and peak memory."""
    repeats = 2 if args.quick else 3
    print(f"Single run, no interventions (best of {repeats})")
    print(f"{'scale':<9}{'delegates':>10}{'total s':>9}{'build s':>9}{'loop s':>9}{'vote s':>9}{'delegate-days/s':>17}")
    for scale in SCALES:
        r = single_run(scale, repeats)
        print(
            f"{scale:<9}{r['delegates']:>10,}{r['total_s']:>9.3f}{r['build_s']:>9.3f}{r['loop_s']:>9.3f}"
            f"{r['vote_s']:>9.3f}{r['delegate_days_per_s']:>17.2e}  ({load()})"
        )
    print(f"Repeated terms, province, no interventions (best of {repeats})")
    print(f"{'terms':<9}{'total s':>9}{'per term s':>12}")
    for terms in (1, 3):
        best = min(
            simulate(
                {"scenario": "province", "world": SCALES["province"], "schedule": {"terms": terms}}, seed=s
            ).summary["runtime_s"]
            for s in range(repeats)
        )
        print(f"{terms:<9}{best:>9.3f}{best / terms:>12.3f}  ({load()})")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process (all runs above): {peak_mb:,.0f} MB\n")


# ------------------------------------------------------------------------------------- batch
def section_batch(args: argparse.Namespace) -> None:
    """R replicates one at a time beside the batch, per scale."""
    plan = {"county": 10 if args.quick else 40, "city": 4 if args.quick else 16}
    print("Replicates one at a time (simulate) beside the batch (simulate_many), seconds per replicate")
    print(f"{'scale':<9}{'R':>5}{'one at a time':>15}{'batch':>9}{'ratio':>8}")
    for scale, r in plan.items():
        cfg = resolve_config({"scenario": scale, "world": SCALES[scale]})
        configs = [dataclasses.replace(cfg, seed=s) for s in range(r)]
        t0 = time.perf_counter()
        for c in configs:
            simulate(c)
        alone = (time.perf_counter() - t0) / r
        t0 = time.perf_counter()
        simulate_many(configs)
        batch = (time.perf_counter() - t0) / r
        print(f"{scale:<9}{r:>5}{alone:>15.4f}{batch:>9.4f}{alone / batch:>7.2f}x  ({load()})")
    print()


# ------------------------------------------------------------------------------------- sweep
def sweep_seconds(overrides: list[str]) -> float:
    """Wall seconds of ``experiments/run.py -m experiment=compare`` with ``overrides`` (fresh folder)."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    cmd = [sys.executable, str(ROOT / "experiments" / "run.py"), "-m", "experiment=compare", "report.enabled=false"]
    cmd += [f"hydra.sweep.dir={tmp}", *overrides]
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    wall = time.perf_counter() - t0
    shutil.rmtree(tmp, ignore_errors=True)
    return wall


def section_sweep(args: argparse.Namespace) -> None:
    """experiment=compare serially and on every core (whole command: start-up, runs, collection)."""
    size = ["scenario=county", "replicates=10"] if args.quick else ["scenario=city", "replicates=30"]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"experiment=compare, {' '.join(size)}, 8 arms, report off ({cores} cores; whole command)")
    print(f"{'launcher':<34}{'wall s':>8}{'s/run':>8}{'vs serial':>11}")
    runs = 8 * int(size[1].split("=")[1])
    serial = None
    for name, overrides in (
        ("basic, sweep.workers=1 (serial)", ["hydra/launcher=basic", "sweep.workers=1"]),
        (f"basic, sweep.workers={cores} (fork pool)", ["hydra/launcher=basic", f"sweep.workers={cores}"]),
        ("joblib (every core)", ["hydra/launcher=joblib"]),
    ):
        before = load()
        wall = sweep_seconds([*size, *overrides])
        serial = serial or wall
        print(f"{name:<34}{wall:>8.1f}{wall / runs:>8.3f}{serial / wall:>10.2f}x  ({before} before, {load()} after)")
    print()


#: The benchmark's sections, in the order they run.
SECTIONS: dict[str, Callable[[argparse.Namespace], None]] = {
    "config": section_config,
    "overhead": section_overhead,
    "single": section_single,
    "batch": section_batch,
    "sweep": section_sweep,
}


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
    """Print the benchmark's tables."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="CI-size: county sweeps, fewer repetitions")
    parser.add_argument("--only", default="", help=f"comma-separated sections of: {', '.join(SECTIONS)}")
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
    chosen = [s for s in args.only.split(",") if s] or list(SECTIONS)
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown sections {unknown}; choose from {', '.join(SECTIONS)}")
    print(f"machine: {os.cpu_count()} cores, {load()}; one run uses one core\n")
    for name in chosen:
        SECTIONS[name](args)


if __name__ == "__main__":
    main()
