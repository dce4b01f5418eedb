"""The hotline's case book: every tip as a row of parallel arrays.

Tips are few next to delegates (hundreds a day at province scale), so they are stored as growing
arrays appended once a day, and every operation on them is vectorised.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from sim.model.agents import TipKind


class TipTarget(IntEnum):
    """What a tip names."""

    BROKER = 0  # a named broker (a refuser knows who approached them)
    TOWNSHIP = 1  # "votes are being bought in our township" (vague)
    CANDIDATE = 2  # a named candidate


class TipStatus(IntEnum):
    """Where a tip is in the queue."""

    QUEUED = 0
    OPEN = 1
    CLOSED = 2


class TipSource(IntEnum):
    """Who filed the tip."""

    REFUSER = 0
    PEER = 1
    RIVAL = 2
    FALSE = 3  # false or malicious


_FIELDS = {
    "day": np.int64,
    "source": np.int8,
    "target_type": np.int8,
    "target": np.int64,
    "township": np.int64,
    "county": np.int64,
    "kind": np.int8,
    "is_true": bool,
    "evidence": np.float64,
    "status": np.int8,
    "open_day": np.int64,
    "close_day": np.int64,
    "substantiated": bool,
    "reporter": np.int64,
}


class TipBook:
    """All tips of a run, in order of arrival."""

    def __init__(self) -> None:
        for name, dtype in _FIELDS.items():
            setattr(self, name, np.zeros(0, dtype=dtype))

    def __len__(self) -> int:
        return len(self.day)  # type: ignore[attr-defined]

    def add(
        self,
        day: int,
        source: TipSource,
        target_type: TipTarget,
        target: np.ndarray,
        township: np.ndarray,
        county: np.ndarray,
        is_true: np.ndarray,
        evidence: np.ndarray,
        reporter: np.ndarray | None = None,
    ) -> None:
        """Append a batch of tips filed the same day by the same kind of source.

        ``reporter`` is the reporting delegate's index where a delegate reported (else -1).
        """
        n = len(target)
        if n == 0:
            return
        kind = TipKind.SUPERVISED if target_type == TipTarget.CANDIDATE else TipKind.DIRECT
        new = {
            "day": np.full(n, day),
            "source": np.full(n, int(source)),
            "target_type": np.full(n, int(target_type)),
            "target": target,
            "township": township,
            "county": county,
            "kind": np.full(n, int(kind)),
            "is_true": is_true,
            "evidence": evidence,
            "status": np.full(n, int(TipStatus.QUEUED)),
            "open_day": np.full(n, -1),
            "close_day": np.full(n, -1),
            "substantiated": np.zeros(n, dtype=bool),
            "reporter": np.full(n, -1) if reporter is None else reporter,
        }
        for name, dtype in _FIELDS.items():
            setattr(self, name, np.concatenate([getattr(self, name), np.asarray(new[name], dtype=dtype)]))
