"""What every unit indicator method is: one small contract the compiler and the evaluator hold to.

A method (riskcheck.indicators.methods.same_surname_pairs, close_kin_group) owns everything that differs
between ways of measuring a unit: the settings it reads and their model, how it tests each unit against
chance, the steps that give the unit's figures in words, and the lines `riskcheck docs` prints about it.
The rest (who counts as staff, the finding's frame, the settings that name parameters) is common and stays
in riskcheck.indicators.compile and riskcheck.indicators.evaluate, so adding a method is adding one module
here and one line to the table in riskcheck.indicators.methods.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from riskcheck.engine.evaluate import RecordLookup
from riskcheck.engine.findings import Step
from riskcheck.indicators.staff import StaffMember
from riskcheck.registry.load import Registry
from riskcheck.grammar.model import STRATA_FIELD


class MethodSettings(BaseModel):
    """A method's settings as the rule file writes them: each a value or a `$parameter` name (so every field
    also admits a text), an unknown key an error."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class StrataTestSettings(MethodSettings):
    """The settings of a test against chance within strata, which every method so far is: the strata whose
    people make a unit's null, the level, the correction for the units tested, and the draws (0: as many as
    the correction needs to reach alpha) with their seed."""

    strata: list[str] | str = []
    alpha: float | str = 0.05
    correction: Literal["bonferroni", "none"] | str = "bonferroni"
    permutations: int | str = 0
    seed: int | str = 1

    @field_validator("strata")
    @classmethod
    def strata_fields(cls, v: list[str] | str) -> list[str] | str:
        return strata_fields(v)


@dataclass(frozen=True)
class UnitResult:
    """A unit the method flags (or cannot decide), with the figures its finding shows and the steps that put
    people behind them. `steps_for(fact, lookup)` is called once the records are fetched; `tenures` and
    `kinship` are the ids it will show, so the evaluator fetches every finding's records in a few queries."""

    unit: str
    status: str
    figures: dict[str, Any]
    steps_for: Callable[[Callable, RecordLookup], list[Step]]
    tenures: set[str]
    kinship: set[str]


@dataclass(frozen=True)
class Testing:
    """How hard each unit is tested, shared by every unit of one run: the correction's factor, the most draws
    a unit may take and the count of draws reaching the observed figure at which a unit stops."""

    factor: int
    max_draws: int
    stop_after: int

    @classmethod
    def of(cls, rule_id: str, units_tested: int, settings: dict) -> "Testing":
        # Imported here, with numpy, only once a unit is tested: a run without unit indicators never loads it.
        from riskcheck.indicators.null import bounded_draws, curtailed_stop
        alpha, correction = settings["alpha"], settings["correction"]
        factor = max(1, units_tested) if correction == "bonferroni" else 1
        max_draws = bounded_draws(rule_id, units_tested, alpha, correction, settings["permutations"])
        return cls(factor, max_draws, curtailed_stop(alpha / factor, max_draws))


class IndicatorMethod(ABC):
    """One way of measuring a unit's staff against chance, named in a rule's `measure:` by `name`.

    `Settings` is the pydantic model of its settings (checked when the rule loads, with the file's lines);
    `setting_types` the type each setting's value must have, whether written or named as a `$parameter`
    (the types of riskcheck.grammar's parameters: int, number, text, list, status ...); `doc_steps` the
    numbered lines `riskcheck docs` writes about the method, formatted with `{strata}` and `{correction}`;
    `undetermined_why` what, counted, makes a finding hold only in doubt.
    """

    name: ClassVar[str]
    Settings: ClassVar[type[MethodSettings]]
    setting_types: ClassVar[dict[str, str]]
    doc_steps: ClassVar[list[str]]
    undetermined_why: ClassVar[str]

    @abstractmethod
    def units(self, registry: Registry, by_unit: dict[str, list[StaffMember]], settings: dict, start: date,
              end: date, rule_id: str) -> list[UnitResult]:
        """The units the method flags, or cannot decide, in unit order; the others give nothing."""

    @abstractmethod
    def figure_steps(self, figures: dict) -> tuple[list[Step], str]:
        """The steps that give a unit's figures in words, and the condition it was flagged on (lower case, no
        full stop: the finding writes it as a check that holds, or as the one the data cannot decide)."""


def strata_words(figures: dict) -> str:
    return ", ".join(s.replace(".", " ") for s in figures["strata"]) or "none (the whole registry is one pool)"


def floor_reached(figures: dict) -> bool:
    """Whether no draw reached the observed figure: the p-value is then the smallest the draws can give."""
    return figures["p_value"] * (figures["draws"] + 1) <= 1.000001


def p_words(p: float) -> str:
    return "1" if p >= 1 else f"{p:.2g}" if p >= 0.0001 else f"{p:.1e}"


def how_often(p: float) -> str:
    """A p-value in words: 'about once in 2,500 draws'."""
    return "in most draws" if p >= 0.5 else f"about once in {round(1 / p):,} draws"


def composition_of(members: list[StaffMember]) -> dict[tuple, int]:
    """How many of a unit's staff serve it in each stratum: what a draw under the null keeps."""
    out: dict[tuple, int] = {}
    for m in members:
        out[m.stratum] = out.get(m.stratum, 0) + 1
    return out


def strata_fields(v: list[str] | str) -> list[str] | str:
    """A `strata` setting written as a list: each item a field of the organization or of the post."""
    for item in ([] if isinstance(v, str) else v):
        if not STRATA_FIELD.fullmatch(item):
            raise ValueError(f"{item!r}: a stratum is organization.FIELD or position.FIELD "
                             "(organization.region, position.rank)")
    return v
