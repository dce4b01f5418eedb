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
