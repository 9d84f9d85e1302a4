"""The grammar of a rule file, as pydantic models.

A rule file is YAML; these models say which keys exist, what each holds and what is required, so
an unknown key or a value of the wrong type is reported with its file and line before any rule runs.
Expressions inside are checked separately by the compiler (riskcheck.engine.compile).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, ClassVar, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from riskcheck.registry.dates import FIRST_AS_OF, LAST_AS_OF
from riskcheck.grammar.parameters import Parameter
from riskcheck.grammar.rule_tests import RuleTest
from riskcheck.grammar.strict import NAME, Strict
from riskcheck.grammar.translations import RuleTranslation, language_keys, means_tables
from riskcheck.grammar.vocabulary import STATUSES, Severity, Status
from riskcheck.textsafety import http_url

RULE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


class LegalBasis(Strict):
    """What a rule rests on. `quote` is the article in its original language, as published, and `quote_en` an
    English rendering of it; `url` is the official publication. Where the official text could not be read,
    there is no quote, and `note` says so and what the rule rests on instead."""

    title: str
    url: str | None = None
    quote: str | None = None
    quote_en: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def rendered(self) -> "LegalBasis":
        if (self.quote is None) != (self.quote_en is None):
            raise ValueError("give `quote` (the original text) and `quote_en` (its English rendering) together")
        return self

    @field_validator("url")
    @classmethod
    def http_only(cls, v: str | None) -> str | None:
        if v is not None and http_url(v) is None:
            raise ValueError("must be an http(s) address with no space, control or invisible character")
        return v


class Effective(Strict):
    """The period a rule is in force, and the event date that must fall inside it."""

    from_: date | None = Field(None, alias="from")
    until: date | None = None
    date: str

    @model_validator(mode="after")
    def ordered(self) -> "Effective":
        for bound in (self.from_, self.until):
            if bound is not None and not FIRST_AS_OF <= bound <= LAST_AS_OF:
                raise ValueError(f"{bound} is outside the dates riskcheck judges ({FIRST_AS_OF} to {LAST_AS_OF})")
        if self.from_ and self.until and self.until < self.from_:
            raise ValueError("`until` is before `from`")
        return self


class ScopeCondition(Strict):
    """What the law covers: a situation for which `check` is false is outside it (no finding); one the data
    cannot place is undetermined, naming what could not be told."""

    check: str
    means: str
    law: str | None = None  # the article that sets the limit, e.g. "5 U.S.C. § 3110(a)(1)"


class Exemption(Strict):
    """A case the law excepts from its rule. `applies` true: no finding; unknown: undetermined, naming the
    exemption; false: the finding stands. A `contested` exemption is one the courts have not settled: where it
    applies, or may, the finding is undetermined with `reason`, never dropped and never flagged."""

    name: str
    applies: str
    means: str
    law: str | None = None
    effect: Literal["exempt", "contested"] = "exempt"
    reason: str | None = None

    @field_validator("name")
    @classmethod
    def name_is_identifier(cls, v: str) -> str:
        if not NAME.fullmatch(v):
            raise ValueError("an exemption's name is lower_snake_case (elected_status)")
        return v

    @model_validator(mode="after")
    def contested_has_reason(self) -> "Exemption":
        if self.effect == "contested" and not self.reason:
            raise ValueError("a contested exemption needs a `reason`: why the law is unsettled")
        return self


class Condition(Strict):
    check: str
    means: str | None = None

    @model_validator(mode="before")
    @classmethod
    def from_text(cls, v: Any) -> Any:
        return {"check": v} if isinstance(v, str) else v


class Binding(Strict):
    from_: str = Field(alias="from")
    on: dict[str, str] = {}
    where: list[Condition] = []
    optional: bool = False
    first_by: str | None = None
    means: str | None = None
    # False for a record bound only to read more of one already bound (the body a post belongs to, for a
    # scope or an exemption): it does not tell one situation from another, so it stays out of the finding's
    # id, and adding it to a rule keeps the ids (and the reviews attached to them) of its findings.
    key: bool = True

    @model_validator(mode="after")
    def first_by_needs_optional(self) -> "Binding":
        if self.first_by and not self.optional:
            raise ValueError("first_by is for optional bindings (it picks one of several candidates)")
        return self


class StatusClause(Strict):
    status: Status
    when: str
    means: str | None = None

    @model_validator(mode="before")
    @classmethod
    def from_short_form(cls, v: Any) -> Any:
        if isinstance(v, dict) and "status" not in v:
            keys = [k for k in v if k in STATUSES]
            if len(keys) != 1:
                raise ValueError(f"write one of {', '.join(STATUSES)} as the key, e.g. `- flagged: <condition>`")
            out = {k: val for k, val in v.items() if k != keys[0]}
            out.update(status=keys[0], when=v[keys[0]])
            return out
        return v


class RuleCommon(Strict):
    """What every rule file says, whatever it judges: who it is, why, its settings, its words, its tests."""

    id: str
    version: str
    title: str
    severity: Severity
    jurisdiction: str | None = None
    description: str
    rationale: str
    exclusions: list[str] = []
    parameters: dict[str, Parameter] = {}
    summary: str
    explanation: str
    tests: list[RuleTest] = []
    # The rule's texts in other languages (riskcheck.grammar.translations); the texts above are English.
    translations: dict[str, RuleTranslation] = {}
    _means: dict[str, dict[str, str]] = PrivateAttr(default_factory=dict)

    @field_validator("translations", mode="before")
    @classmethod
    def known_languages(cls, v: Any) -> Any:
        return language_keys(v)

    @model_validator(mode="after")
    def translation_tables(self) -> "RuleCommon":
        self._means = means_tables(self.translations)
        return self

    def means_tables(self) -> dict[str, dict[str, str]]:
        """Each language's translations of the rule's wordings, keyed by the English as a reader sees it."""
        return self._means

    @property
    def languages(self) -> list[str]:
        """The languages the rule is written in: English, and those it translates."""
        return ["en", *self.translations]

    @field_validator("id")
    @classmethod
    def id_is_slug(cls, v: str) -> str:
        if not RULE_ID.fullmatch(v):
            raise ValueError("a rule id is lower-case letters, digits and '-'")
        return v

    @field_validator("parameters")
    @classmethod
    def parameter_names(cls, v: dict) -> dict:
        return usable_names(v)


def usable_names(v: dict) -> dict:
    for name in v:
        if not NAME.fullmatch(name) or name == "as_of":
            raise ValueError(f"{name!r} is not a usable name (lower_snake_case, not as_of)")
    return v


class Rule(RuleCommon):
    """A rule about persons: records bound in `match`, compiled to one query."""

    kind: Literal["risk_indicator", "legal_duty"]
    legal_basis: list[LegalBasis]
    effective: Effective | None = None
    scope: list[ScopeCondition] = []
    exemptions: list[Exemption] = []
    subject: str
    related: list[str] = []
    match: dict[str, Binding]
    let: dict[str, str] = {}
    where: list[Condition] = []
    status: list[StatusClause] = []

    @field_validator("match", "let")
    @classmethod
    def names_are_identifiers(cls, v: dict) -> dict:
        return usable_names(v)

    @model_validator(mode="after")
    def coherent(self) -> "Rule":
        if not self.match:
            raise ValueError("`match` must bind at least one variable")
        if self.kind == "legal_duty" and not self.status:
            raise ValueError("a legal_duty needs `status` clauses (complied, pending, flagged ...)")
        clash = set(self.match) & set(self.let)
        if clash:
            raise ValueError(f"{', '.join(sorted(clash))} bound in both `match` and `let`")
        for name in [self.subject, *self.related]:
            if name not in self.match:
                raise ValueError(f"subject/related {name!r} is not a variable in `match`")
        names = [e.name for e in self.exemptions]
        if len(names) != len(set(names)):
            raise ValueError("two exemptions share a name")
        return self


# -- unit indicators -----------------------------------------------------------------------------------
# A unit indicator's subject is an organizational unit, not a person: it measures the unit's staff as a
# whole against what chance would give. Its settings are values or `$parameter` names; the methods are
# riskcheck's (riskcheck.indicators), chosen and configured by the rule, never written in it.

PARAM_REF = re.compile(r"\$([a-z_][a-z0-9_]*)")
STRATA_FIELD = re.compile(r"(organization|position)\.([a-z_][a-z0-9_]*)")


class UnitScope(Strict):
    include_units_under: bool | str = True
    min_staff: int | str = 2


class StaffScope(Strict):
    within_months: int | str = 0
    exclude_categories: list[str] | str = []


class Measure(Strict):
    """The method that measures the unit, named as the only key, with its settings as the file writes them.

    The grammar keeps them as data: the methods are riskcheck's (riskcheck.indicators.methods), which sit
    above the grammar, and the method named checks its settings, with their lines, when the rule compiles."""

    method: str
    settings: dict[str, Any] = {}

    @model_validator(mode="before")
    @classmethod
    def from_key(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        if len(v) != 1:
            raise ValueError("name exactly one measure: the method as the key, its settings under it "
                             "(same_surname_pairs: {names: surname})")
        ((method, settings),) = v.items()
        if not isinstance(settings, dict):
            raise ValueError(f"{method}: the method's settings are a mapping ({{}} for its defaults)")
        return {"method": method, "settings": settings}


class UnitRule(RuleCommon):
    """A unit indicator: about an organizational unit as a whole, measured by a method riskcheck provides."""

    kind: Literal["unit_indicator"]
    what_it_cannot_show: str
    legal_basis: list[LegalBasis] = []
    references: list[LegalBasis] = []  # the research a statistical method comes from
    unit: UnitScope = UnitScope()
    staff: StaffScope = StaffScope()
    measure: Measure

    @model_validator(mode="after")
    def settings_name_parameters(self) -> "UnitRule":
        for part in (self.unit, self.staff, self.measure.settings.items()):
            for name, value in part:
                ref = PARAM_REF.fullmatch(value) if isinstance(value, str) else None
                if ref and ref.group(1) not in self.parameters:
                    raise ValueError(f"{name}: unknown parameter ${ref.group(1)} "
                                     f"(declared: {', '.join('$' + p for p in self.parameters) or 'none'})")
        return self

    # What the rest of riskcheck asks of any rule.
    subject: ClassVar[str] = "unit"
    related: ClassVar[list[str]] = []


def rule_model(doc: Any) -> type[Rule] | type[UnitRule]:
    """The model a rule file is read with: its `kind` says whether it judges persons or units."""
    return UnitRule if isinstance(doc, dict) and doc.get("kind") == "unit_indicator" else Rule
