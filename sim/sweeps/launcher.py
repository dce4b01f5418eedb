"""Jobs outlive no sweep: the launching process is named to its jobs, which stop when it is gone.

The command line names its process (host and process id) in an environment variable that the
jobs it starts inherit (joblib's workers, submitit's local jobs).  Between runs a job checks that
this process still exists on its host; when it does not (the launcher was killed), the job stops
instead of computing for nobody.  A job on another host (a SLURM node) cannot see the launcher and
goes on: the sweep's folder lock and each arm's lock keep a later sweep from computing its runs twice.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import NoReturn

#: The environment variable that names the launching process, as ``host:pid``.
LAUNCHER_ENV = "ELECTION_SIM_LAUNCHER"


def mark_launcher() -> None:
    """Name this process as the launcher of the jobs it will start."""
    os.environ[LAUNCHER_ENV] = f"{socket.gethostname()}:{os.getpid()}"


def launcher_alive() -> bool:
    """False only when the process that launched this job is known to be gone (same host)."""
    mark = os.environ.get(LAUNCHER_ENV, "")
    host, _, pid = mark.rpartition(":")
    if not pid.isdigit() or host != socket.gethostname():
        return True
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by another user
        return True
    return True


def leave_orphaned_job() -> NoReturn:
    """End this job's process: its launcher is gone, so no one will collect what it computes.

    A worker process (joblib's, submitit's local job) exits at once; its locks are released with it.
    """
    logging.shutdown()
    os._exit(3)


def stop_children() -> int:
    """Kill this process's child processes (the launcher's workers) after a failed sweep.

    Resource trackers (joblib's and multiprocessing's) are left to end with this process: killed,
    they are restarted and complain.  Linux only (reads ``/proc``); elsewhere nothing is done.

    Returns:
        How many processes were signalled.
    """
    import signal

    me, killed = os.getpid(), 0
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                tracker = b"resource_tracker" in fh.read()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == me and not tracker:
            try:
                os.kill(int(entry), signal.SIGKILL)
                killed += 1
            except OSError:
                pass
    return killed
