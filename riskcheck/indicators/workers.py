"""The units of a run tested on every core the process may use.

Each unit is tested on its own, with a random stream seeded by the rule's seed and the unit's id
(riskcheck.indicators.null), so the units can be tested in any order, at once, and give the same figures: the
results are taken back in unit order, and a run on one core or on several writes the same report byte for byte.

Threads, not processes: a unit's draws are NumPy's sorting, sampling and counting over arrays of a hundred
thousand draws at a time, which run without Python's lock, and threads share the pools and the links that a
process would have to copy (at ten million persons, hundreds of megabytes).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from contextvars import ContextVar
from typing import Callable, Iterator, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MAX_WORKERS = 8

# Who hears how many of a rule's units are tested, as (done, of): set by a caller around one rule (a run's
# progress lines: at ten million persons a unit indicator tests for minutes without a query DuckDB could
# report on); None when nobody listens.
units_tested: ContextVar[Callable[[int, int], None] | None] = ContextVar("units_tested", default=None)


def workers() -> int:
    """The cores this process may run on (fewer when a scheduler or a container gives it fewer), at most
    MAX_WORKERS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(MAX_WORKERS, cores))


def in_unit_order(test: Callable[[T], R], units: Sequence[T], threads: int | None = None) -> list[R]:
    """`test(unit)` for every unit, in the order given, run on `threads` threads (every core by default); each
    result taken back is told to whoever hears `units_tested`."""
    threads = workers() if threads is None else threads
    hear = units_tested.get()
    results: list[R] = []
    with ExitStack() as stack:
        if threads > 1 and len(units) > 1:
            pool = stack.enter_context(ThreadPoolExecutor(min(threads, len(units))))
            made: Iterator[R] = pool.map(test, units)  # in unit order, each once it and those before it are done
        else:
            made = map(test, units)
        for result in made:
            results.append(result)
            if hear:
                hear(len(results), len(units))
    return results
