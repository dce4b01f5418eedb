"""Failures a user can meet, said in one line: the operating system's refusals and a killed worker."""

from __future__ import annotations

import errno
from pathlib import Path

_WRITABLE = "choose a folder you may write (hydra.run.dir=... or hydra.sweep.dir=...)"

#: What to do about each refusal of the operating system that a user can meet.
_ADVICE = {
    errno.EACCES: ("permission denied", _WRITABLE),
    errno.EPERM: ("operation not permitted", _WRITABLE),
    errno.EROFS: ("read-only file system", "choose a folder on a writable file system"),
    errno.ENOSPC: ("no space left on the device", "free some space and rerun the command: finished runs are kept"),
    errno.EDQUOT: ("disk quota exceeded", "free some space and rerun the command: finished runs are kept"),
}


def os_error_line(exc: OSError, where: Path | str | None = None) -> str:
    """One line for an operating system's refusal: the path, what went wrong, what to do.

    Args:
        exc: The error (``PermissionError``, ``OSError(ENOSPC)`` ...).
        where: The folder being used, named when the error does not name a file.

    Returns:
        For example ``cannot write results/x/summary.json: permission denied; choose a folder ...``.
    """
    path = exc.filename or where or "?"
    what, advice = _ADVICE.get(exc.errno or -1, (exc.strerror or type(exc).__name__, ""))
    verb = "cannot read" if isinstance(exc, FileNotFoundError) else "cannot write"
    return f"{verb} {path}: {what}" + (f"; {advice}" if advice else "")


def failure_line(exc: BaseException, where: Path | str | None = None) -> tuple[str, int]:
    """What went wrong, in one line, and the exit status, for a failure that reached the command.

    Args:
        exc: The exception Hydra's run let through.
        where: The folder in use (a sweep's), named when an operating system's error names no file.

    Returns:
        The line (without ``error:``) and the status: 2 for a refusal of the operating system or a
        bad configuration, 130 for an interruption, 1 otherwise.
    """
    name = type(exc).__name__
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted; the finished runs are kept: rerun the same command to resume", 130
    if type(exc).__module__.startswith(("hydra.", "omegaconf.")):  # a bad command line, said by Hydra
        return hydra_line(exc), 2
    if isinstance(exc, OSError):
        return os_error_line(exc, where), 2
    if name == "TerminatedWorkerError":  # joblib: a worker was killed (kill -9, out of memory)
        codes = str(exc).split("exit codes of the workers are", 1)[-1].split("\n")[0].strip(" .{}")
        return (
            f"a worker process was killed ({codes or 'signal unknown'}) while running the sweep; the finished "
            "runs are kept: rerun the same command to resume"
        ), 1
    first = (str(exc).splitlines() or [""])[0]
    return f"{name}: {first} (set HYDRA_FULL_ERROR=1 to see where)", 1


def hydra_line(exc: BaseException) -> str:
    """Hydra's refusal of a command line in one line (its message spans several, with a search path)."""
    cause = exc.__cause__
    first = (str(exc).splitlines() or [""])[0]
    if first.startswith("Could not override") and type(cause).__name__ in ("ConfigKeyError", "ConfigAttributeError"):
        key = first.split("'")[1] if "'" in first else first
        known = str(cause).splitlines()[0].rsplit(" in ", 1)[-1]
        return f"{key}: unknown key (not in {known}; docs/PARAMETERS.md lists the keys)"
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    lines = lines[: next((i for i, ln in enumerate(lines) if ln.startswith("Config search path")), len(lines))]
    options = next((i for i, ln in enumerate(lines) if ln.startswith("Available options")), None)
    if options is not None:
        lines = [*lines[:options], f"choose one of: {', '.join(lines[options + 1 :])}"]
    if cause is not None and type(cause).__module__.startswith("omegaconf."):
        lines.append(str(cause).splitlines()[0])
    return "; ".join(lines) or type(exc).__name__
