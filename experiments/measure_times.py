"""Time the commands the README quotes, on this machine, and write the table to docs/TIMES.md.

Each command runs from a fresh folder (nothing to resume) with the machine's 1-minute load average
recorded before and after, since other work on a shared machine slows every figure.

Usage:
    python experiments/measure_times.py                 # every command (about 6 minutes on 2 cores)
    python experiments/measure_times.py --quick         # the single runs and the small sweeps only
    python experiments/measure_times.py --out docs/TIMES.md
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: (what, arguments of election-sim, in --quick too)
COMMANDS = [
    ("one run, county (~800 delegates)", [], True),
    ("one run, city (~8,000 delegates)", ["scenario=city", "seed=3"], True),
    ("one run, province (~70,000 delegates), every intervention", ["scenario=province", "policy=all"], True),
    (
        "comparison, county, 3 replicates (try it small)",
        ["-m", "experiment=compare", "replicates=3", "scenario=county"],
        True,
    ),
    ("comparison, city, 30 replicates (the main job)", ["-m", "experiment=compare"], False),
    ("factorial, 64 arms, county, 10 replicates", ["-m", "experiment=factorial"], False),
    ("dose-response, inspection teams 0..32, city", ["-m", "experiment=dose_response"], False),
    ("three terms: none, all, all first term only", ["-m", "experiment=terms"], False),
]


def load() -> float:
    """The 1-minute load average (0 where the system does not say)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0


def measure(args: list[str], work: Path) -> tuple[float, float, float, int]:
    """Seconds, load before and after, and exit status of ``election-sim ARGS`` run in ``work``."""
    cmd = [sys.executable, str(ROOT / "experiments" / "run.py"), *args]
    before = load()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    return seconds, before, load(), proc.returncode


def main(argv: list[str] | None = None) -> int:
    """Run the commands and write the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="only the single runs and the small sweep")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "TIMES.md")
    args = parser.parse_args(argv)
    rows = []
    for what, cmd, quick in COMMANDS:
        if args.quick and not quick:
            continue
        work = Path(tempfile.mkdtemp(prefix="times-"))
        try:
            seconds, before, after, status = measure(cmd, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        shown = " ".join(["election-sim", *cmd])
        took = f"{seconds:,.0f} s" + (" (failed)" if status else "")
        rows.append(f"| {what} | `{shown}` | {took} | {before:.1f} / {after:.1f} |")
        print(rows[-1], flush=True)
    lines = [
        "# How long the commands take",
        "",
        f"Measured by `python experiments/measure_times.py` on {time.strftime('%Y-%m-%d')}: "
        f"{os.cpu_count()}-core machine, Python {platform.python_version()}, each command from a fresh folder "
        "(nothing to resume), reports included. The load is the 1-minute load average before and after each "
        "command: on a shared machine other work slows every figure; on an idle one expect less.",
        "",
        "| what | command | time | load before / after |",
        "|---|---|---|---|",
        *rows,
        "",
    ]
    args.out.write_text("\n".join(lines))
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
