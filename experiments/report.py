"""Write the report of a collected sweep (or of an optimisation, experiment=optimise) into SWEEP_DIR/report/.

Usage:
    python experiments/report.py SWEEP_DIR
    python experiments/report.py SWEEP_DIR --outcome bought_seat_rate_final --harm-weight 3

The report ranks arms by the sweep's ``report.outcome`` and weighs harm by its ``report.harm_weight``
(as the sweep was run); ``--outcome`` and ``--harm-weight`` override them for this report.

Exits 2 when the report cannot be written (or the folder is not a sweep folder), 3 when a sweep (or a
collection) is using the folder.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.cli.folder import NotASweepError, SweepBusyError, holding_sweep
from sim.config import ConfigError
from sim.optimise.report import is_optimisation, write_optimise_report
from sim.report.html import ReportError
from sim.report.write import write_report
from sim.sweeps.experiment import RANKING_OUTCOMES


def main(argv: list[str] | None = None) -> int:
    """Write the report; print a clear message instead of a traceback when it cannot."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sweep_dir", type=Path)
    parser.add_argument("--outcome", choices=RANKING_OUTCOMES, help="rank arms by this outcome (report.outcome)")
    parser.add_argument(
        "--harm-weight", type=float, help="captured seats one honest candidate removed is worth (report.harm_weight)"
    )
    args = parser.parse_args(argv)
    try:
        with holding_sweep(args.sweep_dir):
            if is_optimisation(args.sweep_dir):
                path = write_optimise_report(args.sweep_dir)
            else:
                path = write_report(args.sweep_dir, outcome=args.outcome, harm_weight=args.harm_weight)
    except (ReportError, NotASweepError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SweepBusyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    print(f"report: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
