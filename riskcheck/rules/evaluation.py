"""One way to run any loaded rule on a case: a person rule through its compiled query, a unit indicator
through riskcheck.indicators. The pipeline and the rule tests both call this, so they cannot disagree.

A run takes two steps, so that what every rule's evidence needs can be fetched at once between them:
`match_loaded` (the rule's query) and `findings_of` (the findings with their evidence).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from riskcheck.engine.compile import CompiledRule
from riskcheck.engine.evaluate import RecordLookup, findings_of_rows, match_rule, prefetch_rows
from riskcheck.engine.findings import Finding
from riskcheck.errors import Problem, ProblemError, RiskcheckError, failure_words
from riskcheck.indicators.compile import CompiledIndicator
from riskcheck.indicators.evaluate import evaluate_indicator
from riskcheck.registry.load import Registry
from riskcheck.rules.loader import LoadedRule


@dataclass
class Matched:
    """A rule's matches on a case: the query's rows (a person rule) or the findings (a unit indicator)."""

    loaded: LoadedRule
    params: dict
    rows: list[dict] = field(default_factory=list)
    findings: list[Finding] | None = None


# The slowest shipped rule's query takes seconds on a national registry of a million persons (README); a rule
# whose bindings are not linked to each other makes every combination of records and would run for hours.
MAX_QUERY_SECONDS = 300.0
# ...per this many persons: a rule's query grows with the registry, and ten million persons on a busy 2-core
# machine took the shipped rules' queries past 300 s each. A query whose bindings are not linked still
# grows with the square of the registry or worse, so it is stopped all the same.
PERSONS_PER_BUDGET = 1_000_000


class QueryTooSlow(RiskcheckError):
    """A rule's queries ran beyond MAX_QUERY_SECONDS and were cancelled."""


@contextmanager
def query_budget(registry: Registry, seconds: float):
    """Cancel the registry's query in progress (DuckDB's interrupt: it stops, it is not left running) once
    `seconds` have passed, and say so in words."""
    done, stopped = threading.Event(), threading.Event()

    def stop() -> None:
        if not done.wait(seconds):
            stopped.set()
            registry.conn.interrupt()

    timer = threading.Thread(target=stop, daemon=True)
    timer.start()
    try:
        yield
    except Exception as exc:
        if stopped.is_set():
            raise QueryTooSlow(f"its query ran longer than {seconds:g} s and was stopped (does a binding in `match` "
                               "lack an `on` link to the ones before it, so that every combination of records is "
                               "tried?)") from exc
        raise
    finally:
        done.set()
        timer.join()


class RuleFailed(ProblemError):
    """A rule that failed while it was evaluated (a bug, a budget, a query stopped): the case's problem,
    naming the rule. `words` is the failure in one line, for a rule's inline test to show."""

    def __init__(self, problem: Problem, words: str):
        super().__init__([problem])
        self.words = words


def rule_display(loaded: LoadedRule) -> str:
    return f"rule {loaded.id} ({loaded.path.name})"


@contextmanager
def naming_the_rule(loaded: LoadedRule | None):
    """A failure while a rule is evaluated is a problem of the case that names the rule (or, between the
    rules, says so), with no traceback and no path of the machine. A run and a rule's inline tests both
    evaluate within this, so they catch the same failures and word them alike."""
    try:
        yield
    except ProblemError:
        raise
    except Exception as exc:
        words = failure_words(exc)
        if loaded is None:
            raise RuleFailed(Problem("rules", None, "the records the rules' evidence names could not be read on "
                                     f"this case: {words}"), words) from exc
        raise RuleFailed(Problem(rule_display(loaded), None, "the rule could not be evaluated on this case: "
                                 f"{words}"), words) from exc


def query_seconds(registry: Registry) -> float:
    """A rule's time on this registry: MAX_QUERY_SECONDS for each PERSONS_PER_BUDGET persons (or fewer) it holds."""
    return MAX_QUERY_SECONDS * max(1, -(-registry.counts_of("persons") // PERSONS_PER_BUDGET))


def match_loaded(loaded: LoadedRule, registry: Registry, as_of: date, params: dict,
                 lookup: RecordLookup) -> Matched:
    with query_budget(registry, query_seconds(registry)):
        compiled = loaded.compiled
        if isinstance(compiled, CompiledIndicator):
            return Matched(loaded, params, findings=evaluate_indicator(compiled, registry, as_of, params, lookup))
        return Matched(loaded, params, rows=match_rule(compiled, registry, as_of, params))


def prefetch_matched(matches: list[Matched], lookup: RecordLookup) -> None:
    """The records every rule's rows name, fetched in one query per record type instead of one per rule."""
    # a person rule's matches are rows (a unit indicator's come as findings)
    prefetch_rows(lookup, [(m.loaded.compiled, m.rows) for m in matches if isinstance(m.loaded.compiled, CompiledRule)])


def findings_of(matched: Matched, as_of: date, lookup: RecordLookup) -> list[Finding]:
    compiled = matched.loaded.compiled
    if matched.findings is not None or not isinstance(compiled, CompiledRule):
        return matched.findings or []  # a unit indicator's findings came with its match
    return findings_of_rows(compiled, matched.rows, lookup, matched.params, as_of)


def evaluate_loaded(loaded: LoadedRule, registry: Registry, as_of: date, params: dict,
                    lookup: RecordLookup | None = None) -> list[Finding]:
    lookup = lookup or RecordLookup(registry)
    return findings_of(match_loaded(loaded, registry, as_of, params, lookup), as_of, lookup)
