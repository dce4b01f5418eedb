"""One sweep at a time per folder: the folder's lock, and what marks a folder as a sweep's."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from sim.sweeps.manifest import (
    MANIFEST,
)

#: The lock that lets one sweep at a time use a folder, and the one a job holds while it runs an arm.
SWEEP_LOCK, ARM_LOCK = ".sweep.lock", ".arm.lock"


#: What only a sweep folder holds: its plan (an optimisation's too), its runs, or their collected table.
SWEEP_MARKS = (MANIFEST, "optimise.json", "runs", "runs.parquet")


class SweepBusyError(RuntimeError):
    """Another process (a sweep, a collection or a report) holds the sweep folder."""


class NotASweepError(ValueError):
    """The folder given does not exist, or is not a sweep folder."""


def check_sweep_folder(sweep_dir: Path) -> None:
    """Make sure ``sweep_dir`` is an existing sweep folder (it holds one of :data:`SWEEP_MARKS`).

    Raises:
        NotASweepError: It does not exist, or holds none of a sweep's files.
    """
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise NotASweepError(f"{sweep_dir} does not exist")
    if not any((sweep_dir / mark).exists() for mark in SWEEP_MARKS):
        raise NotASweepError(
            f"{sweep_dir} is not a sweep folder (it holds none of {', '.join(SWEEP_MARKS)}); "
            "give the folder a sweep wrote (hydra.sweep.dir)"
        )


@contextlib.contextmanager
def holding_sweep(sweep_dir: Path) -> Iterator[None]:
    """Hold the sweep folder's lock, so a manual collection or report never races a running sweep.

    The folder is checked first (:func:`check_sweep_folder`): a mistyped path is neither created nor
    given a lock file.

    Raises:
        NotASweepError: The folder does not exist or is not a sweep folder.
        SweepBusyError: The lock is held; the message names the folder and the lock file.
    """
    check_sweep_folder(sweep_dir)
    lock = FileLock(str(Path(sweep_dir) / SWEEP_LOCK), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise SweepBusyError(
            f"another process is using {sweep_dir} (a sweep, collection or report holds "
            f"{Path(sweep_dir) / SWEEP_LOCK}); wait for it to end"
        ) from None
    try:
        yield
    finally:
        lock.release()
