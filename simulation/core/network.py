"""The citizens' social network: a homophilous random graph kept as sorted edge arrays.

The generator is a stochastic block model with G groups drawn stub by stub in numpy: each
citizen sends ``mean_degree / 2`` ties, a share ``homophily`` of them to a random member of
its own group and the rest to a random member of another group. It builds no Python object
per tie, so a 650,000-citizen municipality takes about a second; networkx remains the
interface for analysis and export (:func:`to_networkx`).

Ties are undirected and stored once, as ``u < v`` with weight ``w``, sorted by the key
``u * n + v``. Sorted keys make "does this tie exist?" a binary search, so new ties can be
added and weak ones dropped in time linear in the number of ties. The same sorted arrays
are, without copying, the upper triangle U of the tie matrix in scipy's CSR layout (row
pointers from ``u``, column indices ``v``, values ``w``), and U's transpose in CSC layout,
so sums over neighbours are two compiled sparse products, U x + U^T x.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


class Ties:
    """Undirected weighted ties between citizens, sorted by key ``u * n + v`` with ``u < v``.

    Change the structure (``u``, ``v``) only by assigning new arrays or through :meth:`keep`
    and :meth:`add`, never in place: the tie set keeps what depends on the structure alone
    -- each citizen's degree, and which ties cross between groups -- up to date as ties come
    and go, instead of recounting millions of ties every month. (``u`` and ``v`` are not
    flagged read-only because numpy's bincount copies read-only input.) ``w`` may be
    replaced or changed freely.
    """

    def __init__(self, n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> None:
        self.n = n
        self._u = self._v = np.zeros(0, np.int64)
        self.u, self.v, self.w = u, v, w

    def __repr__(self) -> str:
        return f"Ties(n={self.n}, ties={len(self)})"

    @property
    def u(self) -> np.ndarray:
        """Lower endpoint of each tie (int64; replace, do not change in place)."""
        return self._u

    @u.setter
    def u(self, value: np.ndarray) -> None:
        self._u = np.ascontiguousarray(value, dtype=np.int64)
        self._forget_structure()

    @property
    def v(self) -> np.ndarray:
        """Higher endpoint of each tie (int64; replace, do not change in place)."""
        return self._v

    @v.setter
    def v(self, value: np.ndarray) -> None:
        self._v = np.ascontiguousarray(value, dtype=np.int64)
        self._forget_structure()

    def _forget_structure(self) -> None:
        self._degree: np.ndarray | None = None
        self._crossing: tuple[np.ndarray, np.ndarray] | None = None  # (labels it was made for, mask)
        self._crossing_index: np.ndarray | None = None  # positions where that mask is true
        self._row_count: np.ndarray | None = None  # ties where citizen i is the lower end
        self._indptr: np.ndarray | None = None  # CSR row pointers of U: those ties are [indptr[i], indptr[i+1])
        self._matrices: tuple[sp.csr_matrix, sp.csc_matrix] | None = None

    @property
    def keys(self) -> np.ndarray:
        """Sort keys of the ties (``u * n + v``)."""
        return self.u * self.n + self.v

    def __len__(self) -> int:
        return len(self.u)

    def _row_pointers(self) -> np.ndarray:
        if self._indptr is None:
            if self._row_count is None:
                self._row_count = _read_only(_count(self.u, self.n))
            self._indptr = _read_only(_pointers(self._row_count))
        return self._indptr

    def upper(self, weighted: bool = True) -> tuple[sp.csr_matrix, sp.csc_matrix]:
        """The tie matrix's upper triangle U (CSR) and its transpose (CSC), sharing the tie arrays.

        Values are the current ``w`` (or ones); the matrices are views, valid until the ties
        change. Together they are the symmetric tie matrix: ``U @ x + U.T @ x``.
        """
        if self._matrices is None:
            n, indptr, indices = self.n, self._row_pointers(), self.v
            if n < _INT32_LIMIT and len(indices) < _INT32_LIMIT:
                # 32-bit indices halve what a product reads per tie for the indices (the product is
                # memory-bound: ~15 % faster at 650,000 citizens); the sums are the same.
                indptr, indices = indptr.astype(np.int32), indices.astype(np.int32)
            # Set the arrays directly: scipy's constructors would check and copy them.
            upper, lower = sp.csr_matrix((n, n)), sp.csc_matrix((n, n))
            upper.indptr = lower.indptr = indptr
            upper.indices = lower.indices = indices
            self._matrices = (upper, lower)
        upper, lower = self._matrices
        upper.data = lower.data = np.ascontiguousarray(self.w, dtype=np.float64) if weighted else np.ones(len(self))
        return upper, lower

    def neighbour_sum(self, x: np.ndarray, weighted: bool = True) -> np.ndarray:
        """For every citizen i, the sum over its ties of ``w_ij * x_j`` (or ``x_j``).

        One sparse matrix-vector product with the symmetric tie matrix, done as ``U x``
        (the ties where i is the lower end, in tie order) plus ``U^T x`` (where i is the
        higher end, in tie order): the same sums, added in the same order, as
        ``bincount(u, w * x[v]) + bincount(v, w * x[u])``, in about 60 % of the time.
        ``x`` may also be an ``(n, k)`` array: k sums in one pass over the ties, each
        column the same numbers as on its own (e.g. a column of ones gives :meth:`strength`).
        """
        upper, lower = self.upper(weighted)
        x = np.ascontiguousarray(x, dtype=np.float64)
        return upper @ x + lower @ x

    def strength(self) -> np.ndarray:
        """Sum of tie weights of every citizen."""
        return np.bincount(self.u, self.w, minlength=self.n) + np.bincount(self.v, self.w, minlength=self.n)

    def degree(self) -> np.ndarray:
        """Number of ties of every citizen (a read-only array, kept up to date by :meth:`keep` and :meth:`add`)."""
        if self._degree is None:
            self._degree = _read_only(_count(self.u, self.n) + _count(self.v, self.n))
        return self._degree

    def crossing(self, labels: np.ndarray) -> np.ndarray:
        """Whether each tie joins two citizens with different ``labels`` (e.g. groups: bridging ties).

        A read-only boolean array aligned with the ties, kept up to date by :meth:`keep` and
        :meth:`add` while ``labels`` stays the same (checked on every call; a change of
        labels recomputes it).
        """
        cached = self._crossing
        if cached is None or not np.array_equal(cached[0], labels):
            labels = np.array(labels)
            self._crossing = cached = (labels, _read_only(labels[self.u] != labels[self.v]))
            self._crossing_index = None
        return cached[1]

    def crossing_index(self, labels: np.ndarray) -> np.ndarray:
        """Positions of the ties that :meth:`crossing` marks, ascending.

        ``w[crossing_index(g)]`` holds the same values in the same order as
        ``w[crossing(g)]``, several times faster: numpy's boolean indexing stumbles over an
        irregular mask (branch misprediction), a gather by position does not.
        """
        mask = self.crossing(labels)
        if self._crossing_index is None:
            self._crossing_index = _read_only(np.flatnonzero(mask))
        return self._crossing_index

    def keep(self, mask: np.ndarray) -> None:
        """Drop the ties where ``mask`` is false (order, hence sorting, is preserved)."""
        mask = np.asarray(mask, dtype=bool)
        drop = np.flatnonzero(~mask)
        if len(drop) == 0:
            return
        caches = self._degree, self._row_count, self._crossing
        gone_u, gone_v = self.u[drop], self.v[drop]
        self.u, self.v, self.w = self.u[mask], self.v[mask], self.w[mask]
        self._carry_over(*caches, gone_u, gone_v, -1, keep=mask)

    def add(self, a: np.ndarray, b: np.ndarray, weight: float) -> int:
        """Add ties between ``a[k]`` and ``b[k]`` that do not exist yet; return how many were new."""
        lo, hi = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
        ok = lo != hi
        new_keys = _sorted_unique(lo[ok] * self.n + hi[ok])
        if len(new_keys) == 0:
            return 0
        new_u, new_v = new_keys // self.n, new_keys % self.n
        pos, exists = self._find(new_u, new_v)
        if exists.all():
            return 0
        new = ~exists
        new_keys, new_u, new_v, pos = new_keys[new], new_u[new], new_v[new], pos[new]
        caches = self._degree, self._row_count, self._crossing
        self.u = np.insert(self.u, pos, new_u)
        self.v = np.insert(self.v, pos, new_v)
        self.w = np.insert(self.w, pos, np.full(len(new_keys), weight))
        self._carry_over(*caches, new_u, new_v, +1, insert_at=pos)
        return len(new_keys)

    def _find(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where ties ``a[k] < b[k]`` are, or would be inserted in key order, and whether they exist.

        A binary search inside each citizen's row of U (a handful of ties), all rows at
        once: the same positions as ``searchsorted(keys, a * n + b)`` without building the
        keys of every tie.
        """
        indptr, v = self._row_pointers(), self.v
        lo, end = indptr[a], indptr[a + 1]
        hi = end.copy()
        last = max(len(v) - 1, 0)
        while True:
            active = lo < hi
            if not active.any():
                break
            mid = (lo + hi) >> 1
            right = active & (v[np.minimum(mid, last)] < b) if len(v) else active
            lo = np.where(right, mid + 1, lo)
            hi = np.where(active & ~right, mid, hi)
        exists = (lo < end) & (v[np.minimum(lo, last)] == b) if len(v) else np.zeros(len(a), bool)
        return lo, exists

    def _carry_over(self, degree, row_count, crossing, eu, ev, sign, keep=None, insert_at=None) -> None:
        """Carry the structure caches over a change of ties: ``eu``-``ev`` added (+1) or dropped (-1).

        Counts change only where ties changed (a few thousand a month), so they are updated
        there instead of recounted over millions of ties.
        """
        if degree is not None:
            degree = degree.copy()
            np.add.at(degree, eu, sign)
            np.add.at(degree, ev, sign)
            self._degree = _read_only(degree)
        if row_count is not None:
            row_count = row_count.copy()
            np.add.at(row_count, eu, sign)
            self._row_count = _read_only(row_count)
        if crossing is not None:
            labels, mask = crossing
            mask = mask[keep] if keep is not None else np.insert(mask, insert_at, labels[eu] != labels[ev])
            self._crossing = (labels, _read_only(mask))
            self._crossing_index = None


#: Index arrays below this size and citizen counts below it fit scipy's 32-bit sparse indices.
_INT32_LIMIT = 2**31 - 1


def _read_only(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    a.flags.writeable = False
    return a


def _count(index: np.ndarray, n: int) -> np.ndarray:
    """How often each of 0..n-1 occurs in ``index``."""
    return np.bincount(index, minlength=n)


def _pointers(counts: np.ndarray) -> np.ndarray:
    """CSR-style pointers: 0, then the running total of ``counts``."""
    out = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=out[1:])
    return out


def _sorted_unique(keys: np.ndarray) -> np.ndarray:
    """``np.unique`` of integer keys by one sort (numpy 2.3+'s hash-based unique is ~100x slower here)."""
    keys = np.sort(keys)
    if len(keys) < 2:
        return keys
    first = np.empty(len(keys), dtype=bool)
    first[0] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    return keys[first]


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
                     rng: np.random.Generator, *, weight_min: float) -> Ties:
    """Draw the initial network: a stochastic block model with a share ``homophily`` of ties within groups.

    Each citizen sends ``floor(mean_degree / 2)`` ties, plus one more with the remaining
    probability, so the mean degree is ``mean_degree`` before duplicate and self ties are
    removed. A tie stays in the sender's group with probability ``homophily``; otherwise it
    goes to a random member of a uniformly drawn other group. Initial weights are uniform on
    [weight_min, 1].
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
    lo, hi = np.minimum(src, dst), np.maximum(src, dst)
    ok = lo != hi
    keys = _sorted_unique(lo[ok] * n + hi[ok])
    return Ties(n=n, u=keys // n, v=keys % n, w=weight_min + (1.0 - weight_min) * rng.random(len(keys)))
