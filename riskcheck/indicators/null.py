"""Same-surname pairs in a unit against a permutation null, after Grilli & Allesina (PNAS, 2017).

The null hypothesis is that a unit's staff were drawn at random, within each stratum (region, level of
the post ...), from everyone who served in that stratum: surnames shuffled among posts of the same kind
in the same place. Shuffling within strata is what keeps regional name clustering (Ferlazzo & Sdoia,
2012) from looking like nepotism. Under that null a unit's draw in each stratum is a simple random sample
without replacement from the stratum's pool, so each unit is tested on its own:

- the expected number of pairs is exact (computed from the pools' stem counts, not simulated);
- the p-value is a Monte Carlo one, P(pairs >= observed), with the sequential stop of Besag & Clifford
  (1991): draws stop once `stop_after` of them reach the observed count, or at `max_draws`, enough for the
  smallest p-value the correction for the number of units needs. The caller sets `stop_after` no higher
  than the count at which the unit can no longer pass its threshold (`curtailed_stop`), so an ordinary unit
  costs a few hundred draws even when a thousand units are tested.

Each unit's draws come from its own seed (the rule's seed and the unit's id), so the figures do not
depend on which other units a case holds or the order they come in: the same input gives the same report.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np

FIRST_BATCH = 200
MAX_BATCH_CELLS = 4_000_000  # draws x staff held in memory at once
STOP_AFTER = 20


@dataclass(frozen=True)
class PairTest:
    observed: int
    expected: float
    p_value: float
    draws: int
    # With rarity weighting, the statistic tested instead of the pairs: each member of the unit who shares a
    # stem with another counts -ln(q) for each one after the first, q the chance that a member drawn under the
    # null bears the stem - how surprising the shared names are, so five bearers of a rare name outweigh a
    # dozen of the region's commonest. Its expectation is the mean of the draws.
    score: float | None = None
    expected_score: float | None = None


def pairs_of(stems: list) -> int:
    """Unordered pairs of people sharing a stem: sum over stems of C(count, 2)."""
    counts: dict = {}
    for s in stems:
        counts[s] = counts.get(s, 0) + 1
    return sum(c * (c - 1) // 2 for c in counts.values())


class SurnameNull:
    """The pools: for each stratum, the stems of everyone who served in it (coded as integers)."""

    def __init__(self, pools: dict[tuple, list[str]]):
        codes: dict[str, int] = {}
        for stems in pools.values():
            for s in stems:
                codes.setdefault(s, len(codes))
        self.codes = codes
        self.pools = {k: np.array([codes[s] for s in v], dtype=np.int32) for k, v in pools.items()}
        self.shares = {}
        for k, arr in self.pools.items():
            self.shares[k] = np.bincount(arr, minlength=len(codes)).astype(np.float64)

    def _expected_by_stem(self, composition: dict[tuple, int]) -> np.ndarray:
        """E[pairs sharing each stem] for a unit with `composition[stratum]` staff drawn from each stratum."""
        within = np.zeros(len(self.codes))
        mean = np.zeros(len(self.codes))     # expected bearers of each stem, over all strata
        squares = np.zeros(len(self.codes))  # the same, stratum by stratum, squared
        for stratum in sorted(composition):
            n, counts, size = composition[stratum], self.shares[stratum], len(self.pools[stratum])
            if n >= 2 and size >= 2:
                within += n * (n - 1) / 2 * counts * (counts - 1) / (size * (size - 1))
            bearers = n * counts / size
            mean += bearers
            squares += bearers * bearers
        # Pairs across two strata are drawn independently: sum over s < t of m_s * m_t = (sum^2 - sum of squares) / 2.
        return within + (mean * mean - squares) / 2

    def expected(self, composition: dict[tuple, int]) -> float:
        """E[pairs] for a unit with `composition[stratum]` staff in each stratum, drawn without replacement."""
        return float(self._expected_by_stem(composition).sum())

    def rarity(self, composition: dict[tuple, int]) -> np.ndarray:
        """-ln(q) per stem, q the share of the stem among the unit's staff expected under the null."""
        staff = sum(composition.values())
        q = sum(composition[t] * self.shares[t] / len(self.pools[t]) for t in composition) / staff
        out = np.zeros(len(self.codes))
        out[q > 0] = -np.log(q[q > 0])
        return out

    def test(self, composition: dict[tuple, int], stems: list[str], key: str, seed: int, max_draws: int,
             weighted: bool = False, stop_after: int = STOP_AFTER) -> PairTest:
        by_stem = self._expected_by_stem(composition)
        expected, observed = float(by_stem.sum()), pairs_of(stems)
        weights = self.rarity(composition) if weighted else None
        score = expected_score = None
        statistic = observed
        if weights is not None:
            counts: dict[int, int] = {}
            for s in stems:
                counts[self.codes[s]] = counts.get(self.codes[s], 0) + 1
            score = float(sum(weights[c] * (k - 1) for c, k in counts.items()))
            statistic = score - 1e-9 * max(1.0, score)  # a draw equal to it, to rounding, reaches it
        if observed == 0:
            return PairTest(0, expected, 1.0, 0, score, expected_score)
        rng = np.random.default_rng([seed, zlib.crc32(key.encode("utf-8"))])
        staff = sum(composition.values())
        done = exceed = 0
        total = 0.0  # of the null statistic over the draws, for the expected score
        batch = FIRST_BATCH
        while done < max_draws:
            size = min(batch, max_draws - done, max(1, MAX_BATCH_CELLS // max(staff, 1)))
            null = self._statistic(self._draw_labels(rng, composition, size), weights)
            hits = np.flatnonzero(null >= statistic)
            if exceed + len(hits) >= stop_after:
                stopped_at = done + int(hits[stop_after - exceed - 1]) + 1
                total += float(null[:stopped_at - done].sum())
                expected_score = total / stopped_at if weights is not None else None
                return PairTest(observed, expected, stop_after / stopped_at, stopped_at, score, expected_score)
            total += float(null.sum())
            exceed += len(hits)
            done += size
            batch *= 4
        expected_score = total / done if weights is not None and done else None
        return PairTest(observed, expected, (exceed + 1) / (done + 1), done, score, expected_score)

    def _draw_labels(self, rng: np.random.Generator, composition: dict[tuple, int], size: int) -> np.ndarray:
        columns = []
        for stratum in sorted(composition):
            pool, n = self.pools[stratum], composition[stratum]
            columns.append(pool[_sample(rng, len(pool), n, size)])
        return np.concatenate(columns, axis=1)

    @staticmethod
    def _statistic(labels: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Per row, from the sorted labels: the pairs (over runs of equal labels, the k-th member of a run
        makes k - 1 new pairs); or, with weights, the weight of every member that repeats the one before."""
        if labels.shape[1] < 2:
            return np.zeros(labels.shape[0], dtype=np.int64 if weights is None else np.float64)
        s = np.sort(labels, axis=1)
        eq = s[:, 1:] == s[:, :-1]
        if weights is not None:
            return (eq * weights[s[:, 1:]]).sum(axis=1)
        c = np.cumsum(eq, axis=1)
        reset = np.maximum.accumulate(np.where(eq, 0, c), axis=1)
        return (c - reset).sum(axis=1)


def _sample(rng: np.random.Generator, size: int, n: int, rows: int) -> np.ndarray:
    """`rows` simple random samples of `n` of range(size), without replacement (rows x n indices).

    Small samples are drawn with replacement and their repeats drawn again until none is left: the
    procedure treats every index alike, so each n-subset is equally likely. Samples of more than half
    the pool take the n smallest of random keys.
    """
    if n >= size:
        return np.broadcast_to(np.arange(size), (rows, size))
    if 2 * n > size:
        chunk = max(1, MAX_BATCH_CELLS // size)
        parts = [rng.random((min(chunk, rows - i), size)).argpartition(n - 1, axis=1)[:, :n]
                 for i in range(0, rows, chunk)]
        return np.concatenate(parts)
    idx = np.sort(rng.integers(0, size, (rows, n)), axis=1)
    while True:
        repeat = np.zeros(idx.shape, dtype=bool)
        repeat[:, 1:] = idx[:, 1:] == idx[:, :-1]
        count = int(repeat.sum())
        if not count:
            return idx
        idx[repeat] = rng.integers(0, size, count)
        idx.sort(axis=1)


def curtailed_stop(threshold: float, max_draws: int) -> int:
    """How many draws reaching the observed count make p <= threshold impossible within max_draws: after
    that many, p = (exceed + 1) / (max_draws + 1) > threshold whatever the remaining draws give."""
    return max(1, min(STOP_AFTER, math.floor(threshold * (max_draws + 1))))


def draws_needed(units: int, alpha: float, correction: str) -> int:
    """Enough draws that a unit no draw reaches can pass the correction: p = 1/(R+1) <= alpha / units / 2."""
    tests = units if correction == "bonferroni" else 1
    return max(999, math.ceil(2 * tests / alpha))
