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
from test_json_text import FLOATS, KEYS, LEAVES, SCALARS, TEXT, random_value


def _random_value(rng: random.Random):
    """A random document of what a cached result may hold: json's values but NaN and infinities (refused), and
    dates, tagged, beside plain dicts that look like a tagged date."""
    return random_value(rng, text=TEXT + "$", scalars=(*SCALARS, date(2024, 2, 29)),
                        floats=tuple(f for f in FLOATS if f == f and abs(f) != float("inf")),
                        leaves=(*LEAVES, {"$date": "2020-01-01"}), keys=(*KEYS, "$date"))


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
