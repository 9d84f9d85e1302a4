"""The unit indicator methods riskcheck provides, one module each, looked up by the name a rule's `measure:`
gives. A rule chooses and configures a method; it never writes one (see docs/extending.md to add one)."""

from __future__ import annotations

from riskcheck.indicators.methods.base import IndicatorMethod
from riskcheck.indicators.methods.close_kin_group import CloseKinGroup
from riskcheck.indicators.methods.same_surname_pairs import SameSurnamePairs

METHODS: dict[str, IndicatorMethod] = {m.name: m for m in (SameSurnamePairs(), CloseKinGroup())}


def method_named(name: str) -> IndicatorMethod | None:
    return METHODS.get(name)
