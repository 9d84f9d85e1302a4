"""One way to run any loaded rule on a case: a person rule through its compiled query, a unit indicator
through riskcheck.indicators. The pipeline and the rule tests both call this, so they cannot disagree.

A run takes two steps, so that what every rule's evidence needs can be fetched at once between them:
`match_loaded` (the rule's query) and `findings_of` (the findings with their evidence).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from riskcheck.engine.evaluate import RecordLookup, findings_of_rows, match_rule, prefetch_rows
from riskcheck.engine.findings import Finding
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


def match_loaded(loaded: LoadedRule, registry: Registry, as_of: date, params: dict,
                 lookup: RecordLookup) -> Matched:
    if loaded.is_unit_indicator:
        return Matched(loaded, params, findings=evaluate_indicator(loaded.compiled, registry, as_of, params, lookup))
    return Matched(loaded, params, rows=match_rule(loaded.compiled, registry, as_of, params))


def prefetch_matched(matches: list[Matched], lookup: RecordLookup) -> None:
    """The records every rule's rows name, fetched in one query per record type instead of one per rule."""
    prefetch_rows(lookup, [(m.loaded.compiled, m.rows) for m in matches if m.findings is None])


def findings_of(matched: Matched, as_of: date, lookup: RecordLookup) -> list[Finding]:
    if matched.findings is not None:
        return matched.findings
    return findings_of_rows(matched.loaded.compiled, matched.rows, lookup, matched.params, as_of)


def evaluate_loaded(loaded: LoadedRule, registry: Registry, as_of: date, params: dict,
                    lookup: RecordLookup | None = None) -> list[Finding]:
    lookup = lookup or RecordLookup(registry)
    return findings_of(match_loaded(loaded, registry, as_of, params, lookup), as_of, lookup)
