"""A rule's inline tests as the rule file writes them: the records (inline or a fixture), the date judged,
the parameters, and the findings expected, each about a person or a unit."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from pydantic import field_validator, model_validator

from riskcheck.grammar.strict import NAME, Strict
from riskcheck.grammar.vocabulary import Status
from riskcheck.registry.dates import FIRST_AS_OF, LAST_AS_OF


class ExpectedFinding(Strict):
    status: Status
    person: str | None = None
    unit: str | None = None  # for a unit indicator: the organization the finding is about
    related: list[str] | None = None

    @model_validator(mode="after")
    def about_someone(self) -> "ExpectedFinding":
        if (self.person is None) == (self.unit is None):
            raise ValueError("name the finding's `person` (a person rule) or its `unit` (a unit indicator)")
        return self

    @property
    def about(self) -> str:
        # about_someone() leaves exactly one of the two set, so without a unit there is a person
        return self.unit if self.unit is not None else cast(str, self.person)


class RuleTest(Strict):
    name: str
    description: str | None = None
    as_of: date
    params: dict[str, Any] = {}
    records: dict[str, Any] | None = None
    fixture: str | None = None
    expect: list[ExpectedFinding] = []
    known_gap: str | None = None

    @field_validator("name")
    @classmethod
    def name_is_identifier(cls, v: str) -> str:
        if not NAME.fullmatch(v):
            raise ValueError("a test name is lower_snake_case, saying what it shows "
                             "(flags_son_appointed_after_verdict)")
        return v

    @field_validator("as_of")
    @classmethod
    def judged_date(cls, v: date) -> date:
        if not FIRST_AS_OF <= v <= LAST_AS_OF:
            raise ValueError(f"{v} is outside the dates riskcheck judges ({FIRST_AS_OF} to {LAST_AS_OF})")
        return v

    @model_validator(mode="after")
    def has_data(self) -> "RuleTest":
        if self.records is None and self.fixture is None:
            raise ValueError("give `records` (inline), a `fixture` file, or both (the records add to it)")
        return self
