"""The ``election-sim-collect`` and ``election-sim-report`` commands (``experiments/collect.py``, ``report.py``).

Each prints one line, never a traceback, for what a user can cause or meet (a folder that is not a
sweep's, a busy folder, a folder it may not write, a full disk, corrupt files) and exits with a status
that says which: 0 done, 1 a planned run failed or is missing, 2 the folder cannot be used, 3 busy.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli.callback import finish_sweep
from sim.cli.folder import NotASweepError, SweepBusyError, holding_sweep
from sim.sweeps.store import changed_note, changed_since_collection

COLLECT_DOC = """Collect a sweep's planned runs into runs.parquet and timeseries.parquet by hand.

Exits 1 when a planned run failed, is missing or corrupt, or the report failed; 2 when the folder is not a
sweep folder or cannot be written; 3 when a sweep (or another collection) is using the folder.
"""

REPORT_DOC = """Write the report of a collected sweep (or of an optimisation) into SWEEP_DIR/report/.

Exits 2 when the report cannot be written (the folder is not a sweep folder, cannot be written, or its
runs are corrupt), 3 when a sweep (or a collection) is using the folder.
"""


def collect_main(argv: list[str] | None = None) -> int:
    """Collect (and by default report) the sweep in the given directory."""
    parser = argparse.ArgumentParser(
        prog="election-sim-collect", description=COLLECT_DOC, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("sweep_dir", type=Path)
    parser.add_argument("--no-report", action="store_true", help="collect only, do not write the report")
    args = parser.parse_args(argv)
    if (args.sweep_dir / "optimise.json").exists():
        return _fail(
            f"{args.sweep_dir} holds an optimisation (experiment=optimise): rerun its command to resume or "
            f"finish it, or election-sim-report {args.sweep_dir} to rewrite its report",
            2,
        )
    if not (args.sweep_dir / "runs").is_dir():
        return _fail(f"{args.sweep_dir} holds no runs/ folder: is it a sweep directory?", 2)
    try:
        with holding_sweep(args.sweep_dir):
            outcome = finish_sweep(args.sweep_dir, report=not args.no_report)
    except NotASweepError as exc:
        return _fail(str(exc), 2)
    except SweepBusyError as exc:
        return _fail(str(exc), 3)
    except OSError as exc:
        return _fail(_os_message(exc, args.sweep_dir), 2)
    return 0 if outcome["ok"] else 1


def report_main(argv: list[str] | None = None) -> int:
    """Write the report; print one line instead of a traceback when it cannot."""
    from sim.config import ConfigError
    from sim.optimise.report import is_optimisation, write_optimise_report
    from sim.report.html import ReportError
    from sim.report.write import write_report
    from sim.sweeps.experiment import RANKING_OUTCOMES

    parser = argparse.ArgumentParser(
        prog="election-sim-report", description=REPORT_DOC, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("sweep_dir", type=Path)
    parser.add_argument("--outcome", choices=RANKING_OUTCOMES, help="rank arms by this outcome (report.outcome)")
    parser.add_argument(
        "--harm-weight", type=float, help="captured seats one honest candidate removed is worth (report.harm_weight)"
    )
    args = parser.parse_args(argv)
    changed: list[str] = []
    try:
        with holding_sweep(args.sweep_dir):
            if is_optimisation(args.sweep_dir):
                path = write_optimise_report(args.sweep_dir)
            else:
                path = write_report(args.sweep_dir, outcome=args.outcome, harm_weight=args.harm_weight)
                changed = changed_since_collection(args.sweep_dir)
    except (ReportError, NotASweepError, ConfigError) as exc:
        return _fail(str(exc), 2)
    except SweepBusyError as exc:
        return _fail(str(exc), 3)
    except OSError as exc:
        return _fail(_os_message(exc, args.sweep_dir), 2)
    except Exception as exc:  # an unreadable table (truncated runs.parquet ...): said in one line
        first = (str(exc).splitlines() or [""])[0]
        return _fail(
            f"cannot read the sweep in {args.sweep_dir} ({type(exc).__name__}: {first}); "
            f"collect it again: election-sim-collect {args.sweep_dir}",
            2,
        )
    print(f"report: {path}")
    if changed:
        print(f"warning: {changed_note(args.sweep_dir, changed)}", file=sys.stderr)
    return 0


def _fail(message: str, status: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return status


def _os_message(exc: OSError, folder: Path) -> str:
    """An operating system's refusal in one line: what could not be done, where, and why."""
    from sim.cli.errors import os_error_line

    return os_error_line(exc, folder)
