"""Collect a sweep's planned runs into runs.parquet and timeseries.parquet by hand.

Exits 1 when a planned run failed, is missing or corrupt, or the report failed; 2 when the folder is not a
sweep folder; 3 when a sweep (or another collection) is using the folder.

Usage:
    python experiments/collect.py SWEEP_DIR [--no-report]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.cli.callback import finish_sweep
from sim.cli.folder import NotASweepError, SweepBusyError, holding_sweep


def main(argv: list[str] | None = None) -> int:
    """Collect (and by default report) the sweep in the given directory."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sweep_dir", type=Path)
    parser.add_argument("--no-report", action="store_true", help="collect only, do not write the report")
    args = parser.parse_args(argv)
    if (args.sweep_dir / "optimise.json").exists():
        print(
            f"error: {args.sweep_dir} holds an optimisation (experiment=optimise): rerun its command to resume or "
            f"finish it, or python experiments/report.py {args.sweep_dir} to rewrite its report",
            file=sys.stderr,
        )
        return 2
    if not (args.sweep_dir / "runs").is_dir():
        print(f"error: {args.sweep_dir} holds no runs/ folder: is it a sweep directory?", file=sys.stderr)
        return 2
    try:
        with holding_sweep(args.sweep_dir):
            outcome = finish_sweep(args.sweep_dir, report=not args.no_report)
    except NotASweepError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SweepBusyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    return 0 if outcome["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
