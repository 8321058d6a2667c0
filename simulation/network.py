"""The citizens' social network: a homophilous random graph kept as sorted edge arrays.

The generator is a stochastic block model with G groups drawn stub by stub in numpy: each
citizen sends ``mean_degree / 2`` ties, a share ``homophily`` of them to a random member of
its own group and the rest to a random member of another group. It builds no Python object
per tie, so a 650,000-citizen municipality takes about a second; networkx remains the
interface for analysis and export (:func:`to_networkx`).

Ties are undirected and stored once, as ``u < v`` with weight ``w``, sorted by the key
``u * n + v``. Sorted keys make "does this tie exist?" a binary search, so new ties can be
added and weak ones dropped in time linear in the number of ties.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Ties:
    """Undirected weighted ties between citizens, sorted by key ``u * n + v`` with ``u < v``."""

    n: int
    u: np.ndarray  # int64, lower endpoint
    v: np.ndarray  # int64, higher endpoint
    w: np.ndarray  # float64 weight in (0, 1]

    @property
    def keys(self) -> np.ndarray:
        """Sort keys of the ties (``u * n + v``)."""
        return self.u * self.n + self.v

    def __len__(self) -> int:
        return len(self.u)

    def neighbour_sum(self, x: np.ndarray, weighted: bool = True) -> np.ndarray:
        """For every citizen i, the sum over its ties of ``w_ij * x_j`` (or ``x_j``).

        This is one sparse matrix-vector product with the symmetric tie matrix, done as two
        weighted bincounts over the edge arrays.
        """
        wu = self.w * x[self.v] if weighted else x[self.v]
        wv = self.w * x[self.u] if weighted else x[self.u]
        return np.bincount(self.u, wu, minlength=self.n) + np.bincount(self.v, wv, minlength=self.n)

    def strength(self) -> np.ndarray:
        """Sum of tie weights of every citizen."""
        return np.bincount(self.u, self.w, minlength=self.n) + np.bincount(self.v, self.w, minlength=self.n)

    def degree(self) -> np.ndarray:
        """Number of ties of every citizen."""
        return np.bincount(self.u, minlength=self.n) + np.bincount(self.v, minlength=self.n)

    def keep(self, mask: np.ndarray) -> None:
        """Drop the ties where ``mask`` is false (order, hence sorting, is preserved)."""
        self.u, self.v, self.w = self.u[mask], self.v[mask], self.w[mask]

    def add(self, a: np.ndarray, b: np.ndarray, weight: float) -> int:
        """Add ties between ``a[k]`` and ``b[k]`` that do not exist yet; return how many were new."""
        lo, hi = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
        ok = lo != hi
        new_keys = np.unique(lo[ok] * self.n + hi[ok])
        if len(new_keys) == 0:
            return 0
        keys = self.keys
        pos = np.searchsorted(keys, new_keys)
        exists = (pos < len(keys)) & (keys[np.minimum(pos, len(keys) - 1)] == new_keys) if len(keys) else np.zeros(len(new_keys), bool)
        new_keys, pos = new_keys[~exists], pos[~exists]
        if len(new_keys) == 0:
            return 0
        self.u = np.insert(self.u, pos, new_keys // self.n)
        self.v = np.insert(self.v, pos, new_keys % self.n)
        self.w = np.insert(self.w, pos, np.full(len(new_keys), weight))
        return len(new_keys)


@dataclass(frozen=True)
class GroupIndex:
    """Members of a pool sorted by group, to draw random members of given groups fast.

    Build it once for a pool whose groups do not change (citizens, associations).
    """

    order: np.ndarray  # pool indices sorted by group
    start: np.ndarray  # first position of each group in ``order``
    size: np.ndarray  # members of each group

    @classmethod
    def of(cls, pool_group: np.ndarray, n_groups: int | None = None) -> GroupIndex:
        """Index the pool whose k-th member is in group ``pool_group[k]``."""
        n_groups = max(n_groups or 0, int(pool_group.max(initial=-1)) + 1)
        size = np.bincount(pool_group, minlength=n_groups)
        start = np.concatenate(([0], np.cumsum(size)[:-1]))
        return cls(order=np.argsort(pool_group, kind="stable"), start=start, size=size)

    def draw(self, wanted: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A uniformly random member of each wanted group (of the whole pool where a group is empty)."""
        n_groups = len(self.size)
        known = wanted < n_groups
        size = np.where(known, self.size[np.minimum(wanted, n_groups - 1)], 0)
        start = self.start[np.minimum(wanted, n_groups - 1)]
        u = rng.random(len(wanted))
        in_group = self.order[np.minimum(start + (u * size).astype(np.int64), len(self.order) - 1)]
        return np.where(size > 0, in_group, (u * len(self.order)).astype(np.int64))


def homophilous_ties(group: np.ndarray, n_groups: int, mean_degree: float, homophily: float,
                     rng: np.random.Generator) -> Ties:
    """Draw the initial network: a stochastic block model with a share ``homophily`` of ties within groups.

    Each citizen sends ``floor(mean_degree / 2)`` ties, plus one more with the remaining
    probability, so the mean degree is ``mean_degree`` before duplicate and self ties are
    removed. A tie stays in the sender's group with probability ``homophily``; otherwise it
    goes to a random member of a uniformly drawn other group. Initial weights are uniform on
    [0.2, 1].
    """
    n = len(group)
    half = mean_degree / 2.0
    stubs = np.full(n, int(half), dtype=np.int64) + (rng.random(n) < half - int(half))
    src = np.repeat(np.arange(n, dtype=np.int64), stubs)
    g_src = group[src]
    if n_groups > 1:
        within = rng.random(len(src)) < homophily
        # another group: shift the sender's group by 1..G-1, uniformly among the other groups
        other = (g_src + 1 + rng.integers(0, n_groups - 1, len(src))) % n_groups
        g_dst = np.where(within, g_src, other)
    else:
        g_dst = g_src
    dst = GroupIndex.of(group, n_groups).draw(g_dst, rng)
    ties = Ties(n=n, u=np.zeros(0, np.int64), v=np.zeros(0, np.int64), w=np.zeros(0))
    lo, hi = np.minimum(src, dst), np.maximum(src, dst)
    ok = lo != hi
    keys = np.unique(lo[ok] * n + hi[ok])
    ties.u, ties.v = keys // n, keys % n
    ties.w = 0.2 + 0.8 * rng.random(len(keys))
    return ties
