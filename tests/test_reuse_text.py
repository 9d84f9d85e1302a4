"""The cache keeps a case's results as JSON only if they read back equal; json's own text reads back to itself."""

from __future__ import annotations

import dataclasses
import random
from datetime import date

from riskcheck.pipeline import run_cases
from riskcheck.results import RunOptions
from riskcheck.reuse import ENTRY, CaseCache, _dump, _load
from riskcheck.rules.loader import load_rules

from conftest import RULES, minimal_case


def _random_value(rng: random.Random, depth: int = 0):
    kind = rng.randrange(9 if depth < 4 else 6)
    if kind == 0:
        return "".join(rng.choice('aЖ"\\\n\t\x00\x1f\u2028\U0001f600 <>&$') for _ in range(rng.randrange(6)))
    if kind == 1:
        return rng.choice([None, True, False, date(2024, 2, 29)])
    if kind == 2:
        return rng.randrange(-2**70, 2**70)
    if kind == 3:
        return rng.choice([1e-05, 1e16, 0.1, -0.0, 5e-324, rng.random() * 10 ** rng.randrange(-12, 25)])
    if kind in (4, 5):
        return rng.choice(["", 0, 1.5, {"$date": "2020-01-01"}])
    if kind == 6:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if kind == 7:
        return tuple(_random_value(rng, depth + 1) for _ in range(rng.randrange(3)))
    keys = ["id", "ключ", 3, 2.5, True, None, "", 'a"b', "$date"]
    return {rng.choice(keys): _random_value(rng, depth + 1) for _ in range(rng.randrange(5))}


def test_a_text_the_cache_wrote_reads_back_to_the_same_text():
    # Why keeping checks only that a result reads back equal: what json reads from its own text it writes as
    # that text again, whatever the text held (keys made text, tuples made lists, dates tagged).
    # (A text it cannot read, a "$date" that is no date, is refused by keeping as it is read back.)
    rng = random.Random(29)
    read = 0
    for _ in range(3000):
        text = _dump(_random_value(rng))
        try:
            back = _load(text)
        except ValueError:
            continue
        read += 1
        assert _dump(back) == text
    assert read > 2000


def test_a_result_that_would_not_read_back_equal_is_not_kept_and_the_run_says_why(write_case, tmp_path):
    root = write_case("small", {"case.yaml": minimal_case("small")})
    rules = load_rules(RULES)
    cache = CaseCache(tmp_path / "cache", views=False)
    (result,) = run_cases(root, rules, RunOptions(), cache=cache)
    assert result.findings and (tmp_path / "cache" / "small" / ENTRY).is_file()
    (tmp_path / "cache" / "small" / ENTRY).unlink()
    # A tuple is written as a list, and read back as one: not the result that was found.
    changed = dataclasses.replace(result, findings=[dataclasses.replace(
        result.findings[0], related=tuple(result.findings[0].related))] + result.findings[1:])
    assert changed != result
    assert cache.keep(changed) == "its results do not read back exactly, so they are not kept"
    assert not (tmp_path / "cache" / "small" / ENTRY).exists()
    assert cache.keep(result) is None and (tmp_path / "cache" / "small" / ENTRY).is_file()
