"""A unit's staff against a permutation null: same-surname pairs, after Grilli & Allesina (PNAS, 2017), and
groups of close relatives.

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

Groups of close relatives (`KinNull`) are tested against the same null with the families kept: the pools
hold people, not names, and the recorded links between them go with them, so a unit's draw may hold
relatives by chance, as often as the families serving in its strata make it likely. The statistic is the
number of staff in groups of at least `min_group` relatives. Its expectation has no closed form: it is the
mean of the draws.

No unit draws more than MAX_DRAWS times: a setting that would need more (alpha=1e-300 with the correction)
is refused, naming the rule, rather than run for ever.
"""

from __future__ import annotations

import functools
import math
import zlib
from dataclasses import dataclass
from typing import cast

import numpy as np

FIRST_BATCH = 200
MAX_BATCH_CELLS = 4_000_000  # draws x staff held in memory at once
STOP_AFTER = 20
PAIRWISE = 12  # a sample of up to this many finds its repeats by comparing its places pairwise
MAX_DRAWS = 10_000_000  # per unit: a p-value of 1e-7 before the correction; beyond that a setting is refused


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
        q = cast(np.ndarray, sum(composition[t] * self.shares[t] / len(self.pools[t]) for t in composition) / staff)
        out = np.zeros(len(self.codes))
        out[q > 0] = -np.log(q[q > 0])
        return out

    def test(self, composition: dict[tuple, int], stems: list[str], key: str, seed: int, max_draws: int,
             weighted: bool = False, stop_after: int = STOP_AFTER) -> PairTest:
        by_stem = self._expected_by_stem(composition)
        expected, observed = float(by_stem.sum()), pairs_of(stems)
        weights = self.rarity(composition) if weighted else None
        score = expected_score = None
        statistic: float = observed
        if weights is not None:
            counts: dict[int, int] = {}
            for s in stems:
                counts[self.codes[s]] = counts.get(self.codes[s], 0) + 1
            score = float(sum(weights[c] * (k - 1) for c, k in counts.items()))
            statistic = score - 1e-9 * max(1.0, score)  # a draw equal to it, to rounding, reaches it
        if observed == 0:
            return PairTest(0, expected, 1.0, 0, score, expected_score)
        rng = np.random.default_rng([seed, zlib.crc32(key.encode("utf-8"))])
        run = sequential_p(lambda size: self._statistic(self._draw_labels(rng, composition, size), weights),
                           statistic, sum(composition.values()), max_draws, stop_after)
        expected_score = run.total / run.draws if weights is not None and run.draws else None
        return PairTest(observed, expected, run.p_value, run.draws, score, expected_score)

    def _draw_labels(self, rng: np.random.Generator, composition: dict[tuple, int], size: int) -> np.ndarray:
        columns = []
        for stratum in sorted(composition):
            pool, n = self.pools[stratum], composition[stratum]
            columns.append(pool[_sample(rng, len(pool), n, size)])
        return np.concatenate(columns, axis=1)

    @staticmethod
    def _statistic(labels: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Per row, from the sorted labels: the pairs (over runs of equal labels, the k-th member of a run
        makes k - 1 new pairs); or, with weights, the weight of every member that repeats the one before.

        For the pairs, only the places that repeat the one before are looked at (a few in a row of dozens): found in one
        pass over the sorted rows, they are numbered within their runs (consecutive places of one row), so no
        running sum goes along every row."""
        rows, n = labels.shape
        dtype = np.int64 if weights is None else np.float64
        if n < 2:
            return np.zeros(rows, dtype=dtype)
        s = np.sort(labels, axis=1)
        repeat = s[:, 1:] == s[:, :-1]
        if weights is not None:  # summed along the rows as ever, so the scores keep their last bits
            return (repeat * weights[s[:, 1:]]).sum(axis=1)
        at = np.flatnonzero(repeat)  # in the rows x (n - 1) grid of places after the first
        if at.size == 0:
            return np.zeros(rows, dtype=dtype)
        row = at // (n - 1)
        # A repeat starts a new run unless it follows the place before it in the same row.
        new_run = np.ones(at.size, dtype=bool)
        np.not_equal(at[1:], at[:-1] + 1, out=new_run[1:])
        new_run[1:] |= row[1:] != row[:-1]
        number = np.arange(at.size)
        first = np.maximum.accumulate(np.where(new_run, number, 0))
        return np.bincount(row, weights=number - first + 1, minlength=rows).astype(np.int64)


@dataclass(frozen=True)
class SequentialRun:
    p_value: float
    draws: int   # the draws the p-value rests on
    total: float  # the null statistic summed over those draws
    mean: float  # the null statistic's mean over every draw made (the last batch in full): no stopping bias


def sequential_p(draw, statistic: float, staff: int, max_draws: int, stop_after: int) -> SequentialRun:
    """P(null >= statistic) from batches of `draw(size)` (an array of null statistics), stopped once
    `stop_after` draws reach the statistic (Besag and Clifford) or at `max_draws`. Batches grow fourfold
    from FIRST_BATCH, and hold no more than MAX_BATCH_CELLS draws x staff."""
    done = exceed = made = 0
    total = every = 0.0
    batch = FIRST_BATCH
    while done < max_draws:
        size = min(batch, max_draws - done, max(1, MAX_BATCH_CELLS // max(staff, 1)))
        null = draw(size)
        made += size
        every += float(null.sum())
        hits = np.flatnonzero(null >= statistic)
        if exceed + len(hits) >= stop_after:
            stopped_at = done + int(hits[stop_after - exceed - 1]) + 1
            total += float(null[:stopped_at - done].sum())
            return SequentialRun(stop_after / stopped_at, stopped_at, total, every / made)
        total += float(null.sum())
        exceed += len(hits)
        done += size
        batch *= 4
    return SequentialRun((exceed + 1) / (done + 1), done, total, every / made if made else 0.0)


@dataclass(frozen=True)
class GroupTest:
    observed: int      # staff in groups of at least min_group relatives
    expected: float    # the mean of the draws
    p_value: float
    draws: int


class KinNull:
    """The pools (for each stratum, the people serving in it) and the close-kin links among them, as an
    adjacency list over people numbered once across all pools: each family (the people joined by links,
    directly or through each other) numbered together, so a draw's people of one family sit side by side
    once sorted."""

    def __init__(self, pools: dict[tuple, list[str]], links: list[tuple[str, str]]):
        everyone = {p for members in pools.values() for p in members}
        family = _families(everyone, links)
        people = sorted(everyone, key=lambda p: (family.get(p, p), p))
        self.index = {p: i for i, p in enumerate(people)}
        self.family = np.array([self.index[family.get(p, p)] for p in people], dtype=np.int64)
        self.size = len(people)
        self.pools = {k: np.array([self.index[p] for p in v], dtype=np.int64) for k, v in pools.items()}
        pairs = sorted({(self.index[a], self.index[b]) for a, b in links
                        if a in self.index and b in self.index and a != b})
        ends = np.array(pairs, dtype=np.int64).reshape(-1, 2)
        src = np.concatenate([ends[:, 0], ends[:, 1]])
        dst = np.concatenate([ends[:, 1], ends[:, 0]])
        order = np.lexsort((dst, src))
        self.neighbours = dst[order]
        self.start = np.searchsorted(src[order], np.arange(self.size + 1))
        self.degree = np.diff(self.start)
        self._reach: dict[tuple, bool] = {}
        self._linked: dict[tuple, np.ndarray] = {}

    def in_groups(self, people: list[str], min_group: int) -> int:
        """Staff of `people` in groups of at least `min_group` joined by the links (the observed figure)."""
        drawn = np.array([[self.index[p] for p in people]], dtype=np.int64).reshape(1, -1)
        return int(self._statistic(drawn, min_group)[0])

    def can_reach(self, strata: list[tuple], min_group: int) -> bool:
        """Whether the people of these strata hold a group of `min_group` at all: if not, no unit drawing
        from them can show one, and it is not counted among the units tested."""
        key = (tuple(strata), min_group)
        if key not in self._reach:
            everyone = np.unique(np.concatenate([self.pools[s] for s in strata])) if strata else np.zeros(0, np.int64)
            self._reach[key] = bool(self._statistic(everyone.reshape(1, -1), min_group)[0])
        return self._reach[key]

    def test(self, composition: dict[tuple, int], people: list[str], key: str, seed: int, max_draws: int,
             min_group: int, stop_after: int = STOP_AFTER) -> GroupTest:
        observed = self.in_groups(people, min_group)
        if observed == 0:
            return GroupTest(0, 0.0, 1.0, 0)
        rng = np.random.default_rng([seed, zlib.crc32(key.encode("utf-8"))])

        def draw(size: int) -> np.ndarray:
            rows, people = self._draw_linked(rng, composition, size, max(min_group, 2))
            return self._groups_of(size, rows, people, min_group)

        run = sequential_p(draw, observed, sum(composition.values()), max_draws, stop_after)
        return GroupTest(observed, run.mean, run.p_value, run.draws)

    def _draw_linked(self, rng: np.random.Generator, composition: dict[tuple, int], size: int,
                     need: int) -> tuple[np.ndarray, np.ndarray]:
        """The people with a link in `size` draws of a unit's staff, as (row, person), for the rows holding at
        least `need` of them (the others hold no group).

        Only people with a link can be in a group, so only they are drawn one by one. In a simple random sample
        of n from a stratum of N people, K of them linked, the number of linked people drawn is hypergeometric
        (K, N - K, n), and given that number k every k-subset of the K is equally likely, by symmetry; the
        strata are drawn independently. So drawing k per row from the hypergeometric, then a simple random
        sample of k of the stratum's linked people, gives the linked people of a draw with exactly the
        distribution drawing all n gave (and the unlinked, who add nothing to any group, are never drawn).
        Without a link in the unit's strata, the unit's draws are not made at all: most of a flagged unit's
        draws hold no group, and cost a uniform number per stratum with linked people.
        """
        counts = []
        total = np.zeros(size, dtype=np.int64)
        for s in sorted(composition):
            linked, n, pool = self._linked_in(s), composition[s], len(self.pools[s])
            if linked.size == 0:
                continue
            k = _hypergeometric(rng, linked.size, pool - linked.size, min(n, pool), size)
            counts.append((linked, k))
            total += k
        kept = np.flatnonzero(total >= need)
        rows, people = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
        for linked, k in counts:
            k = k[kept]
            for many in _distinct(np.sort(k)):
                if many == 0:
                    continue
                these = kept[k == many]
                rows.append(np.repeat(these, many))
                people.append(linked[_sample(rng, linked.size, int(many), these.size)].ravel())
        return np.concatenate(rows), np.concatenate(people)

    def _statistic(self, drawn: np.ndarray, min_group: int) -> np.ndarray:
        """Per row of person numbers (a person drawn twice counts once): the people in connected groups of at
        least `min_group` joined by links between two of that row. Only people with a link are looked at;
        the groups are found for all rows at once by hooking each to its smallest-numbered neighbour and
        following pointers until nothing moves."""
        r, c = np.nonzero(self.degree[drawn] > 0)
        return self._groups_of(drawn.shape[0], r, drawn[r, c], min_group)

    def _linked_in(self, stratum: tuple) -> np.ndarray:
        """The people of a stratum's pool who have a link at all, in pool order."""
        if stratum not in self._linked:
            pool = self.pools[stratum]
            self._linked[stratum] = pool[self.degree[pool] > 0]
        return self._linked[stratum]

    def _groups_of(self, rows: int, r: np.ndarray, people: np.ndarray, min_group: int) -> np.ndarray:
        """_statistic, given the drawn people who have a link, each with the row it was drawn in."""
        out = np.zeros(rows, dtype=np.int64)
        if r.size == 0:
            return out
        key = _distinct(np.sort(r.astype(np.int64) * self.size + people))  # (row, person), sorted, once each
        # A row with fewer linked people than a group needs holds none: most draws, left out before the links
        # are followed (groups never reach across rows).
        row = key // self.size
        key = key[np.bincount(row, minlength=rows)[row] >= max(min_group, 2)]
        if key.size == 0:
            return out
        # Nor can fewer than that many of one family: a group lies within a family, and a family's people are
        # numbered together, so they are runs of the sorted keys. Most rows that hold enough linked people
        # hold them from several families, and are left out here before the links are followed.
        row, family = key // self.size, self.family[key % self.size]
        new = np.ones(key.size, dtype=bool)
        new[1:] = (row[1:] != row[:-1]) | (family[1:] != family[:-1])
        starts = np.flatnonzero(new)
        length = np.diff(np.append(starts, key.size))
        key = key[np.repeat(length >= max(min_group, 2), length)]
        if key.size == 0:
            return out
        row, person = key // self.size, key % self.size
        deg = self.degree[person]
        node = np.repeat(np.arange(key.size), deg)
        offset = np.arange(int(deg.sum())) - np.repeat(np.cumsum(deg) - deg, deg)
        other = row[node] * self.size + self.neighbours[np.repeat(self.start[person], deg) + offset]
        at = np.minimum(np.searchsorted(key, other), key.size - 1)
        present = key[at] == other
        a, b = node[present], at[present]
        label = np.arange(key.size)
        while True:
            low = np.minimum(label[a], label[b])
            hooked = label.copy()
            np.minimum.at(hooked, a, low)
            np.minimum.at(hooked, b, low)
            hooked = hooked[hooked]
            if np.array_equal(hooked, label):
                break
            label = hooked
        sizes = np.bincount(label, minlength=key.size)
        roots = np.flatnonzero(sizes >= max(min_group, 2))
        np.add.at(out, row[roots], sizes[roots])
        return out


def _families(people: set[str], links: list[tuple[str, str]]) -> dict[str, str]:
    """person -> the first (by id) of their family, the people joined to them by links, directly or through
    each other; for every person with a link among `people`."""
    first: dict[str, str] = {}

    def find(x: str) -> str:
        while first[x] != x:
            first[x] = first[first[x]]
            x = first[x]
        return x

    for a, b in links:
        if a in people and b in people and a != b:
            first.setdefault(a, a)
            first.setdefault(b, b)
            ra, rb = find(a), find(b)
            if ra != rb:
                first[max(ra, rb)] = min(ra, rb)
    return {p: find(p) for p in first}


def _hypergeometric(rng: np.random.Generator, good: int, bad: int, n: int, rows: int) -> np.ndarray:
    """`rows` draws of how many of `good` marked items a simple random sample of `n` of `good + bad` holds.

    By inversion: a uniform number per row, looked up in the distribution's cumulative table (computed once
    for each `good`, `bad`, `n`, from log-factorials, in double precision as NumPy's own samplers are). This is
    the hypergeometric distribution to rounding, several times cheaper than NumPy's sampler for the few dozen
    outcomes a unit's stratum has, which a flagged unit draws hundreds of thousands of times.
    """
    low, high = max(0, n - bad), min(good, n)
    if low == high:
        return np.full(rows, low, dtype=np.int64)
    return low + np.searchsorted(_hypergeometric_table(good, bad, n), rng.random(rows), side="right")


@functools.lru_cache(maxsize=4096)
def _hypergeometric_table(good: int, bad: int, n: int) -> np.ndarray:
    """P(count <= low + i) for i = 0 .. high - low - 1 (the last, 1, left out: every uniform number below it
    falls at or before the last outcome)."""
    low, high = max(0, n - bad), min(good, n)
    k = np.arange(low, high + 1)
    log_p = (_log_choose(good, k) + _log_choose(bad, n - k)) - _log_choose(good + bad, np.array([n]))
    p = np.exp(log_p - log_p.max())
    return np.cumsum(p / p.sum())[:-1]


def _log_choose(n: int, k: np.ndarray) -> np.ndarray:
    return np.array([math.lgamma(n + 1) - math.lgamma(int(i) + 1) - math.lgamma(n - int(i) + 1) for i in k])


def _sample(rng: np.random.Generator, size: int, n: int, rows: int) -> np.ndarray:
    """`rows` simple random samples of `n` of range(size), without replacement (rows x n indices).

    Small samples are drawn with replacement and their repeats drawn again until none is left: the
    procedure treats every index alike, so each n-subset is equally likely. Samples of more than half
    the pool take the n smallest of random keys.

    The indices are drawn as 32-bit integers: NumPy draws a range below 2**32 from the same 32-bit stream
    whatever the type asked for, so the samples are the ones 64-bit integers gave, and finding their repeats
    is several times faster (at ten million persons a flagged unit draws hundreds of thousands of samples). A
    sample is a set: its row comes in no particular order, as every caller reads it.
    """
    if n >= size:
        return np.broadcast_to(np.arange(size), (rows, size))
    if 2 * n > size:
        chunk = max(1, MAX_BATCH_CELLS // size)
        parts = [rng.random((min(chunk, rows - i), size)).argpartition(n - 1, axis=1)[:, :n]
                 for i in range(0, rows, chunk)]
        return np.concatenate(parts)
    small = size <= np.iinfo(np.int32).max
    kind = np.uint32 if small else np.int64
    idx = rng.integers(0, size, (rows, n), dtype=kind)
    idx = idx.view(np.int32) if small else idx
    # The rows that drew an index twice, redrawn until none does: only they are read again, in row order, so
    # the redraws fall where a pass over every row puts them. Which copy of an index is redrawn does not change
    # the sample, a set.
    repeat = _repeats(idx)
    again = _distinct(np.flatnonzero(repeat) // n)  # repeats are few: cheaper than any() along each short row
    repeat = repeat[again]
    while again.size:
        part = idx[again]
        fresh = rng.integers(0, size, int(repeat.sum()), dtype=kind)
        part[repeat] = fresh.view(np.int32) if small else fresh
        repeat = _repeats(part)
        idx[again] = part
        still = repeat.any(axis=1)
        again, repeat = again[still], repeat[still]
    return idx


def _distinct(ordered: np.ndarray) -> np.ndarray:
    """The distinct values of a sorted array, in order: what np.unique gives, without its hashing, which NumPy 2
    uses for integers and which took most of a draw's time at ten million persons."""
    if ordered.size < 2:
        return ordered
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def _repeats(idx: np.ndarray) -> np.ndarray:
    """Where a row holds an index an earlier place of it holds too. Rows of up to PAIRWISE places compare their
    places pairwise, a column against each column before it (the columns copied apart first, so each
    comparison runs along memory); longer ones are sorted in place first (NumPy sorts rows of a few one by
    one, slowly; at a dozen places the pairs cost as much as the sort)."""
    rows, n = idx.shape
    if n > PAIRWISE:
        idx.sort(axis=1)
        out = np.zeros(idx.shape, dtype=bool)
        out[:, 1:] = idx[:, 1:] == idx[:, :-1]
        return out
    columns = np.ascontiguousarray(idx.T)
    found = np.zeros((n, rows), dtype=bool)
    for j in range(1, n):
        here = found[j]
        for i in range(j):
            here |= columns[i] == columns[j]
    return found.T


def curtailed_stop(threshold: float, max_draws: int) -> int:
    """How many draws reaching the observed count make p <= threshold impossible within max_draws: after
    that many, p = (exceed + 1) / (max_draws + 1) > threshold whatever the remaining draws give."""
    return max(1, min(STOP_AFTER, math.floor(threshold * (max_draws + 1))))


def draws_needed(units: int, alpha: float, correction: str) -> int:
    """Enough draws that a unit no draw reaches can pass the correction: p = 1/(R+1) <= alpha / units / 2."""
    tests = units if correction == "bonferroni" else 1
    return max(999, math.ceil(2 * tests / alpha))


def bounded_draws(rule_id: str, units: int, alpha: float, correction: str, permutations: int) -> int:
    """The draws per unit for a run: `permutations`, or as many as the correction needs; refused, naming the
    rule, when that is more than MAX_DRAWS (a setting that would otherwise draw for ever)."""
    want = permutations or draws_needed(units, alpha, correction)
    if want <= MAX_DRAWS:
        return want
    if permutations:
        raise ValueError(f"rule {rule_id}: permutations={permutations:,} is more than the {MAX_DRAWS:,} random "
                         "draws per unit riskcheck makes; set it lower, or 0 to draw what alpha needs")
    raise ValueError(f"rule {rule_id}: alpha={alpha:g} with the {correction} correction over {units:,} units "
                     f"needs {want:.3g} random draws per unit, more than the {MAX_DRAWS:,} riskcheck makes; "
                     "raise alpha (or set correction to none)")
