"""Vectorised builders for the delegates' peer network and the brokers' ties.

Both networks are built with numpy from edge arrays (no networkx generators, which take seconds
at province scale) and the peer network is stored as a scipy CSR adjacency matrix.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def group_offsets(counts: np.ndarray) -> np.ndarray:
    """Position of each element inside its group, for elements laid out group after group.

    ``group_offsets([2, 3])`` is ``[0, 1, 0, 1, 2]``.
    """
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total, dtype=np.int64) - starts


def clustered_peer_network(
    town_start: np.ndarray, town_size: np.ndarray, degree: int, rewire: float, rng: np.random.Generator
) -> sp.csr_matrix:
    """A Watts-Strogatz small world inside each township, none across townships.

    Each delegate is tied to the ``degree / 2`` next delegates around a ring of its township
    (capped for small townships); each tie is rewired to a random delegate of the same township
    with probability ``rewire``.  The result is symmetric, unweighted and without self-ties.

    Args:
        town_start: Index of each township's first delegate (delegates are contiguous by township).
        town_size: Delegates per township.
        degree: Ties per delegate before rewiring (even).
        rewire: Probability that a tie is rewired.
        rng: The world-building stream.

    Returns:
        The ``D x D`` adjacency matrix.
    """
    n_total = int(town_size.sum())
    township = np.repeat(np.arange(len(town_size)), town_size)
    pos = group_offsets(town_size)
    size = town_size[township]
    start = town_start[township]
    src_parts, dst_parts = [], []
    for j in range(1, degree // 2 + 1):
        ok = j <= (size - 1) // 2 if j > 1 else size > 1
        src = np.flatnonzero(ok)
        dst = start[src] + (pos[src] + j) % size[src]
        src_parts.append(src)
        dst_parts.append(dst)
    if not src_parts:
        return sp.csr_matrix((n_total, n_total), dtype=np.float64)
    src = np.concatenate(src_parts)
    dst = np.concatenate(dst_parts)
    rewired = rng.random(len(src)) < rewire
    dst = dst.copy()
    dst[rewired] = start[src[rewired]] + (rng.random(int(rewired.sum())) * size[src[rewired]]).astype(np.int64)
    keep = dst != src
    src, dst = src[keep], dst[keep]
    adj = sp.coo_matrix((np.ones(len(src)), (src, dst)), shape=(n_total, n_total)).tocsr()
    adj = (adj + adj.T).tocsr()
    adj.data[:] = 1.0
    return adj


def broker_ties(
    broker_town: np.ndarray,
    n_ties: np.ndarray,
    cross_share: np.ndarray,
    town_start: np.ndarray,
    town_size: np.ndarray,
    county_start: np.ndarray,
    county_size: np.ndarray,
    town_county: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Ties from brokers to delegates: a clustered arc at home, a few across the county.

    A broker's home ties are consecutive delegates on the township's ring (so they are peers of
    one another: brokers work a clique, a clan, a village); a share ``cross_share`` of ties go to
    random delegates of the other townships of the same county.

    Returns:
        ``(tie_broker, tie_delegate)``, sorted by broker, without duplicate pairs.
    """
    n_brokers = len(broker_town)
    size = town_size[broker_town]
    county = town_county[broker_town]
    other_size = county_size[county] - size
    n_cross = rng.binomial(n_ties, cross_share)
    n_cross = np.where(other_size > 0, n_cross, 0)
    n_local = np.minimum(n_ties - n_cross, size)

    arc_start = (rng.random(n_brokers) * size).astype(np.int64)
    b_local = np.repeat(np.arange(n_brokers), n_local)
    off = group_offsets(n_local)
    d_local = town_start[broker_town[b_local]] + (arc_start[b_local] + off) % size[b_local]

    b_cross = np.repeat(np.arange(n_brokers), n_cross)
    u = (rng.random(len(b_cross)) * other_size[b_cross]).astype(np.int64)
    d_cross = county_start[county[b_cross]] + u
    own_start = town_start[broker_town[b_cross]]
    d_cross = np.where(d_cross >= own_start, d_cross + size[b_cross], d_cross)

    tie_b = np.concatenate([b_local, b_cross])
    tie_d = np.concatenate([d_local, d_cross])
    n_del = int(town_size.sum())
    key = np.unique(tie_b.astype(np.int64) * n_del + tie_d)
    return (key // n_del).astype(np.int64), (key % n_del).astype(np.int64)
