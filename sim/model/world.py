"""The province: its hierarchy, delegates, candidates, brokers and their networks, as arrays.

Everything here is drawn from the ``world`` stream only, so every intervention arm run with the
same seed sees exactly the same province and the same agents.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import ndtr

from sim.config import SimConfig
from sim.model.agents import BrokerKind
from sim.model.network import broker_ties, clustered_peer_network


def _beta_with_mean(rng: np.random.Generator, mean: float, n: int, concentration: float = 4.0) -> np.ndarray:
    """Beta draws with a given mean (and a fixed concentration a + b)."""
    mean = min(max(mean, 1e-6), 1 - 1e-6)
    return rng.beta(mean * concentration, (1 - mean) * concentration, n)


def _split_evenly(n_items: int, n_groups: int) -> np.ndarray:
    """Group index of each of ``n_items`` items split into ``n_groups`` contiguous, near-equal groups."""
    return (np.arange(n_items) * n_groups) // n_items


@dataclass
class World:
    """The static province of one run (agents' traits and ties; dynamic state lives on the model).

    Delegates are laid out contiguously by township and townships contiguously by county, so a
    township's or a county's delegates are a slice.
    """

    # Hierarchy
    town_county: np.ndarray
    county_city: np.ndarray
    town_start: np.ndarray
    town_size: np.ndarray
    county_start: np.ndarray
    county_size: np.ndarray
    # Delegates
    township: np.ndarray
    integrity: np.ndarray
    risk_aversion: np.ndarray
    reciprocity: np.ndarray
    report_propensity: np.ndarray
    retaliation_fear: np.ndarray
    base_belief: np.ndarray
    prior_acceptor: np.ndarray
    reservation_price: np.ndarray
    peers: sp.csr_matrix
    peer_count: np.ndarray
    # Candidates: ``slots_per_township`` per township, township-major (the ballot's
    # ``candidates_per_township`` first, then the reserves)
    slots_per_township: int
    cand_township: np.ndarray
    cand_merit: np.ndarray
    cand_integrity: np.ndarray
    cand_ambition: np.ndarray
    cand_budget: np.ndarray
    cand_tainted: np.ndarray
    # Brokers
    broker_township: np.ndarray
    broker_kind: np.ndarray
    broker_cut: np.ndarray
    # Broker -> delegate ties, sorted by broker, then delegate
    tie_broker: np.ndarray
    tie_delegate: np.ndarray
    # Contracts: a broker working one township (home, or another of its county) for one client.
    # Ties are grouped by contract in the same order.
    tie_contract: np.ndarray
    contract_broker: np.ndarray
    contract_town: np.ndarray
    # With repeated terms, ties a broker may grow into later (see sim.model.terms): those in use.
    tie_active_at_start: np.ndarray | None = None

    @property
    def n_delegates(self) -> int:
        """Delegates in the province."""
        return len(self.township)

    @property
    def n_townships(self) -> int:
        """Townships (congresses) in the province."""
        return len(self.town_size)

    @property
    def n_candidates(self) -> int:
        """Candidates on all ballots."""
        return len(self.cand_township)

    @property
    def n_brokers(self) -> int:
        """Brokers in the province."""
        return len(self.broker_township)

    @property
    def n_contracts(self) -> int:
        """(broker, township) pairs along which offers can be made."""
        return len(self.contract_broker)

    @cached_property
    def delegate_county(self) -> np.ndarray:
        """County of each delegate."""
        return self.town_county[self.township]


def build_world(cfg: SimConfig, rng: np.random.Generator) -> World:
    """Draw a province from the configuration.

    The ``world`` stream is read in a fixed order: township sizes, delegates and their peer
    network, candidates, brokers and their ties, and last the delegates' reservation prices.

    Args:
        cfg: Validated configuration.
        rng: The ``world`` stream.

    Returns:
        The province.
    """
    places = draw_townships(cfg, rng)
    delegates = draw_delegates(cfg, rng, places)
    candidates = draw_candidates(cfg, rng)
    brokers = draw_brokers(cfg, rng, places)
    # Gang figures intimidate the delegates they reach: those fear retaliation more.
    gang_tied = np.zeros(len(places["township"]), dtype=bool)
    gang_tied[brokers["tie_delegate"][brokers["broker_kind"][brokers["tie_broker"]] == BrokerKind.GANG]] = True
    delegates["retaliation_fear"] = np.minimum(
        1.0, delegates["retaliation_fear"] + cfg.world.gang_intimidation * gang_tied
    )
    # Drawn last, so that the rest of the province is the same draw with or without it.
    delegates["reservation_price"] = reservation_prices(cfg, rng.standard_normal(len(places["township"])))
    return World(**places, **delegates, **candidates, **brokers)


def reservation_prices(cfg: SimConfig, z: np.ndarray) -> np.ndarray:
    """Delegates' reservation prices (yuan) from standard normal draws: lognormal around the median.

    A bribe below a delegate's reservation price is refused whatever else it weighs
    (:func:`sim.model.campaign.make_offers`), so acceptance goes to zero as the bribe does.
    """
    d = cfg.delegates
    return d.reservation_price * np.exp(d.reservation_price_sd_log * z)


def draw_townships(cfg: SimConfig, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Counties, cities, and each township's congress size; delegates numbered township by township."""
    w = cfg.world
    n_town = w.n_townships
    town_county = _split_evenly(n_town, w.n_counties)
    county_city = _split_evenly(w.n_counties, w.n_cities)
    lo = max(2.0, w.delegates_per_township * (1 - w.delegates_spread))
    hi = max(lo, w.delegates_per_township * (1 + w.delegates_spread))
    town_size = np.maximum(
        np.round(lo + rng.random(n_town) * (hi - lo)).astype(np.int64), w.candidates_per_township
    ).astype(np.int64)
    town_start = np.concatenate([[0], np.cumsum(town_size)[:-1]]).astype(np.int64)
    county_size = np.bincount(town_county, weights=town_size, minlength=w.n_counties).astype(np.int64)
    county_start = np.concatenate([[0], np.cumsum(county_size)[:-1]]).astype(np.int64)
    return {
        "town_county": town_county,
        "county_city": county_city,
        "town_start": town_start,
        "town_size": town_size,
        "county_start": county_start,
        "county_size": county_size,
        "township": np.repeat(np.arange(n_town), town_size),
    }


def draw_delegates(cfg: SimConfig, rng: np.random.Generator, places: dict[str, np.ndarray]) -> dict[str, Any]:
    """Delegates' traits and their clustered peer network within each township."""
    w, d = cfg.world, cfg.delegates
    n_del = len(places["township"])
    out: dict[str, Any] = {
        "integrity": rng.normal(d.integrity_mean, d.integrity_sd, n_del),
        "risk_aversion": rng.lognormal(-0.045, 0.3, n_del),  # mean ~1
        "reciprocity": rng.beta(2.0, 5.0, n_del),
        "report_propensity": _beta_with_mean(rng, d.report_propensity_mean, n_del),
        "retaliation_fear": _beta_with_mean(rng, d.retaliation_fear_mean, n_del),
        "base_belief": _beta_with_mean(rng, d.base_detection_belief, n_del, concentration=20.0),
        "prior_acceptor": rng.random(n_del) < d.prior_acceptor_share,
    }
    peers = clustered_peer_network(places["town_start"], places["town_size"], w.peer_degree, w.peer_rewire, rng)
    out["peers"] = peers
    out["peer_count"] = np.asarray(peers.sum(axis=1)).ravel()
    return out


def draw_candidates(cfg: SimConfig, rng: np.random.Generator) -> dict[str, Any]:
    """Each township's slate and reserves: merit, integrity, ambition, war chest and a hidden record."""
    w, c = cfg.world, cfg.candidates
    k = w.candidates_per_township + w.reserves_per_township
    n_cand = w.n_townships * k
    cand_traits = {
        "cand_merit": rng.normal(0.0, 1.0, n_cand),
        "cand_integrity": rng.normal(0.0, 1.0, n_cand),
        "cand_ambition": rng.random(n_cand),
    }
    sd = c.budget_sd_log
    cand_budget = rng.lognormal(np.log(max(c.budget_mean, 1e-9)) - sd * sd / 2, sd, n_cand)
    # Prior problems are likelier in candidates of low integrity; 2 * Phi(-z) has mean 1, so the
    # share of tainted candidates stays at ``tainted_share`` on average.
    p_taint = np.clip(w.tainted_share * 2.0 * ndtr(-cand_traits["cand_integrity"]), 0.0, 1.0)
    return {
        "slots_per_township": k,
        "cand_township": np.repeat(np.arange(w.n_townships), k),
        **cand_traits,
        "cand_budget": cand_budget,
        "cand_tainted": rng.random(n_cand) < p_taint,
    }


def draw_brokers(cfg: SimConfig, rng: np.random.Generator, places: dict[str, np.ndarray]) -> dict[str, Any]:
    """Brokers of each township by kind, their cut, their ties to delegates, and the contracts they make."""
    w = cfg.world
    n_town = w.n_townships
    n_brokers_town = rng.poisson(w.brokers_per_township, n_town)
    broker_township = np.repeat(np.arange(n_town), n_brokers_town)
    n_brok = len(broker_township)
    broker_kind = rng.choice(len(BrokerKind), size=n_brok, p=np.asarray(w.broker_kind_shares))
    n_ties = rng.poisson(np.asarray(w.broker_ties)[broker_kind])
    tie_broker, tie_delegate = broker_ties(
        broker_township,
        n_ties,
        np.asarray(w.cross_township_share)[broker_kind],
        places["town_start"],
        places["town_size"],
        places["county_start"],
        places["county_size"],
        places["town_county"],
        rng,
    )
    pair = tie_broker * n_town + places["township"][tie_delegate]
    contract_key, tie_contract = np.unique(pair, return_inverse=True)
    return {
        "broker_township": broker_township,
        "broker_kind": broker_kind,
        "broker_cut": np.asarray(w.broker_cut)[broker_kind],
        "tie_broker": tie_broker,
        "tie_delegate": tie_delegate,
        "tie_contract": tie_contract.astype(np.int64),
        "contract_broker": (contract_key // n_town).astype(np.int64),
        "contract_town": (contract_key % n_town).astype(np.int64),
    }
