"""Agent types: enumerated states, and thin agent views over the model's arrays.

The model owns all agent state as numpy arrays, because the daily rules run over tens of
thousands of delegates at once.  Candidates and brokers are registered ``mesa.Agent``s whose
attributes read and write those arrays by index; a delegate is a view built on demand
(``model.delegate(i)``), so a province of 70,000 delegates does not cost 70,000 Python objects.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from sim.model.election import ElectionModel


class BrokerKind(IntEnum):
    """The three kinds of influence broker named in the source report."""

    POLITICAL = 0  # political brokers (政治掮客)
    CLAN = 1  # clan forces (家族勢力)
    GANG = 2  # gang forces (黑惡勢力)


class DelegateState(IntEnum):
    """Where a delegate stands with respect to vote buying."""

    UNTOUCHED = 0
    REFUSED = 1  # refused at least one offer and holds none
    BOUGHT = 2  # holds at least one bribe (possibly from several candidates)
    EXPOSED = 3  # took bribes that investigations have since voided


class TieState(IntEnum):
    """What has passed along a broker-delegate tie."""

    UNTRIED = 0
    REFUSED = 1
    ACCEPTED = 2  # the delegate holds this broker's bribe
    VOIDED = 3  # accepted, then voided by the broker's sanction


class CandidateStatus(IntEnum):
    """A candidate's standing through nomination, the vote and its aftermath."""

    NOMINATED = 0
    EXCLUDED = 1  # removed by vetting before nomination
    DISQUALIFIED = 2  # sanctioned before the vote
    ELECTED = 3
    DEFEATED = 4
    UNSEATED = 5  # elected, then removed by a late finding
    RESERVE = 6  # a reserve who replaces a candidate excluded before nomination


class TipKind(IntEnum):
    """How a tip is handled: direct checks are quick, supervised cases slower."""

    DIRECT = 0
    SUPERVISED = 1


class Candidate(mesa.Agent):
    """A candidate for a township seat (a view over ``model.cand_*`` arrays).

    Args:
        model: The election model.
        index: Position in the candidate arrays.
    """

    def __init__(self, model: ElectionModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def township(self) -> int:
        """Township whose ballot the candidate is on."""
        return int(self.model.world.cand_township[self.index])

    @property
    def merit(self) -> float:
        """Merit (z-score) that honest delegates judge with noise."""
        return float(self.model.world.cand_merit[self.index])

    @property
    def tainted(self) -> bool:
        """Whether the candidate carries an undisclosed prior problem."""
        return bool(self.model.world.cand_tainted[self.index])

    @property
    def buys_votes(self) -> bool:
        """Whether the candidate decided to buy votes."""
        return bool(self.model.cand_buyer[self.index])

    @property
    def status(self) -> CandidateStatus:
        """Current standing."""
        return CandidateStatus(int(self.model.cand_status[self.index]))

    @property
    def spent(self) -> float:
        """Money handed to brokers so far."""
        return float(self.model.cand_spent[self.index])


class Broker(mesa.Agent):
    """An influence broker (a view over ``model.broker_*`` arrays).

    Args:
        model: The election model.
        index: Position in the broker arrays.
    """

    def __init__(self, model: ElectionModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def kind(self) -> BrokerKind:
        """Political broker, clan head or gang figure."""
        return BrokerKind(int(self.model.world.broker_kind[self.index]))

    @property
    def township(self) -> int:
        """Home township."""
        return int(self.model.world.broker_township[self.index])

    @property
    def client(self) -> int:
        """Index of the candidate the broker works for at home, or -1."""
        return int(self.model.broker_client[self.index])

    @property
    def active(self) -> bool:
        """False once the broker has been sanctioned."""
        return bool(self.model.broker_active[self.index])

    @property
    def funds(self) -> float:
        """Money in hand for bribes."""
        return float(self.model.broker_funds[self.index])


class DelegateView:
    """A read-only view of one delegate, built on demand.

    Args:
        model: The election model.
        index: Position in the delegate arrays.
    """

    __slots__ = ("index", "model")

    def __init__(self, model: ElectionModel, index: int) -> None:
        self.model = model
        self.index = index

    @property
    def township(self) -> int:
        """Township whose congress the delegate sits in."""
        return int(self.model.world.township[self.index])

    @property
    def state(self) -> DelegateState:
        """Current state."""
        return DelegateState(int(self.model.del_state[self.index]))

    @property
    def bought_by(self) -> list[int]:
        """Candidates whose bribes the delegate holds through brokers still at work."""
        m, w = self.model, self.model.world
        ties = np.flatnonzero((w.tie_delegate == self.index) & m.live_bribes())
        return sorted({int(c) for c in m.contract_client[w.tie_contract[ties]]})

    @property
    def perceived_risk(self) -> float:
        """Current belief that a bribe is detected."""
        return float(self.model.perceived_risk()[self.index])

    @property
    def peers(self) -> list[int]:
        """Indices of the delegate's peers."""
        adj = self.model.world.peers
        return adj.indices[adj.indptr[self.index] : adj.indptr[self.index + 1]].tolist()

    def __repr__(self) -> str:
        return f"Delegate({self.index}, township={self.township}, state={self.state.name})"
