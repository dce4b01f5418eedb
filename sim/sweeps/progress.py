"""Progress of a sweep: jobs append one line per finished run; the launching process shows a bar.

Jobs may run in this process (basic launcher), in worker processes (joblib) or on other machines
(submitit, SLURM), so they report through the sweep folder: each finished run appends one short
line to ``SWEEP_DIR/.progress``.  The launching process reads only the bytes added since its last
look, so the cost per finished run stays constant whatever the size of the sweep, and draws one
``tqdm`` bar: runs done / planned, rate and time left counted on the runs done by this
invocation (resumed runs are shown apart and do not flatter the rate).
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from tqdm import tqdm

EVENTS = ".progress"


def record_event(sweep_dir: Path, run: str, status: str) -> None:
    """Append ``run status`` to the sweep's progress file (one small append: atomic on POSIX)."""
    line = f"{run} {status}\n".encode()
    fd = os.open(Path(sweep_dir) / EVENTS, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


class ProgressMonitor:
    """A thread that turns the progress file's new lines into a ``tqdm`` bar."""

    def __init__(self, sweep_dir: Path, total: int, resumed: int, interval: float = 0.5, clear: bool = True) -> None:
        self.path = Path(sweep_dir) / EVENTS
        self.total, self.resumed, self.interval = total, resumed, interval
        self.failed = 0
        self._seen: set[str] = set()
        self._offset = 0
        self._partial = b""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sweep-progress", daemon=True)
        if clear:  # events of an earlier invocation are not this one's (False: cleared before this one's began)
            self.path.unlink(missing_ok=True)
        self.bar = tqdm(
            total=total,
            initial=resumed,
            desc="sweep",
            unit="run",
            file=sys.stderr,
            mininterval=interval,
            dynamic_ncols=True,
        )
        self._postfix()

    def start(self) -> None:
        """Start watching."""
        self._thread.start()

    def stop(self) -> None:
        """Read the last events and close the bar."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self.poll()
        self.bar.close()

    @property
    def done(self) -> int:
        """Runs finished by this invocation (failed ones included)."""
        return len(self._seen)

    def poll(self) -> None:
        """Read the bytes added since the last call and advance the bar."""
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self._offset)
                chunk = fh.read()
        except FileNotFoundError:
            return
        self._offset += len(chunk)
        *lines, self._partial = (self._partial + chunk).split(b"\n")
        advanced = 0
        for raw in lines:
            run, _, status = raw.decode(errors="replace").rpartition(" ")
            if not run or run in self._seen:
                continue
            self._seen.add(run)
            self.failed += status == "failed"
            advanced += 1
        if advanced:
            self.bar.update(min(advanced, max(self.total - self.bar.n, 0)))
            self._postfix()

    def _postfix(self) -> None:
        self.bar.set_postfix_str(f"resumed {self.resumed}, failed {self.failed}", refresh=False)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.poll()
