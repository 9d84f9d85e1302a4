"""One way to run any loaded rule on a case: a person rule through its compiled query, a unit indicator
through riskcheck.indicators. The pipeline and the rule tests both call this, so they cannot disagree."""

from __future__ import annotations

from datetime import date

from riskcheck.engine.evaluate import RecordLookup, evaluate_rule
from riskcheck.engine.findings import Finding
from riskcheck.indicators.evaluate import evaluate_indicator
from riskcheck.registry.load import Registry
from riskcheck.rules.loader import LoadedRule


def evaluate_loaded(loaded: LoadedRule, registry: Registry, as_of: date, params: dict,
                    lookup: RecordLookup | None = None) -> list[Finding]:
    if loaded.is_unit_indicator:
        return evaluate_indicator(loaded.compiled, registry, as_of, params, lookup)
    return evaluate_rule(loaded.compiled, registry, as_of, params, lookup)
