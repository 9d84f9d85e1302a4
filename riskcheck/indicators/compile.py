"""Checking a unit indicator against the schema when it loads, and reading its settings for a run.

The rule grammar keeps a measure's settings as written; here the method the rule names
(riskcheck.indicators.methods) reads them with its own model, so a wrong setting is reported with its file,
line and field as any other mistake in a rule file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from riskcheck.indicators.methods import METHODS, IndicatorMethod, method_named
from riskcheck.indicators.methods.base import MethodSettings
from riskcheck.registry.schema import Schema, load_schema
from riskcheck.grammar.errors import RuleError, validation_problem
from riskcheck.grammar.model import PARAM_REF, STRATA_FIELD, UnitRule
from riskcheck.grammar.parameters import coerce_param

# The type a setting of every unit indicator must have, whether written in the rule or named as a
# `$parameter`; a method's own are its `setting_types`.
COMMON_SETTING_TYPES = {"include_units_under": "bool", "min_staff": "int", "within_months": "int",
                        "exclude_categories": "list"}
STRATA_TABLES = {"organization": "organizations", "position": "positions"}


@dataclass
class CompiledIndicator:
    rule: UnitRule
    var_types: dict[str, str]  # what the finding binds: the unit, an organization
    method: IndicatorMethod
    settings: MethodSettings  # the measure's settings as written, read with the method's model


def compile_indicator(rule: UnitRule, schema: Schema) -> CompiledIndicator:
    method = method_named(rule.measure.method)
    if method is None:
        raise RuleError([(("measure", rule.measure.method), f"{rule.measure.method!r} is not a method "
                                                                 f"riskcheck provides: {' or '.join(METHODS)}")])
    settings = _read_settings(method, rule)
    compiled = CompiledIndicator(rule, {"unit": "organizations"}, method, settings)
    problems: list[tuple[tuple, str]] = []
    types = setting_types(method)
    for loc, part in ((("unit",), rule.unit), (("staff",), rule.staff), (("measure", method.name), settings)):
        for name, value in part:
            ref = PARAM_REF.fullmatch(value) if isinstance(value, str) else None
            want = types[name]
            if ref:
                have = rule.parameters[ref.group(1)].type
                if have != want and not (want == "number" and have == "int"):
                    problems.append((loc + (name,), f"${ref.group(1)} is a {have} parameter; {name} needs a {want}"))
                continue
            try:
                value = coerce_param(want, value) if want != "text" else value
            except ValueError as exc:
                problems.append((loc + (name,), str(exc)))
                continue
            problems += _meaning_problems(loc + (name,), name, value, schema)
    for name, p in rule.parameters.items():
        for setting, param_name in _named_settings(compiled):
            if param_name == name:
                problems += _meaning_problems(("parameters", name, "default"), setting, p.default, schema)
    if problems:
        raise RuleError(problems)
    return compiled


def setting_types(method: IndicatorMethod) -> dict[str, str]:
    return {**COMMON_SETTING_TYPES, **method.setting_types}


def _read_settings(method: IndicatorMethod, rule: UnitRule) -> MethodSettings:
    """The measure's settings read with the method's model; its complaints located as the loader locates
    the grammar's (an unknown key, a required setting left out, a stratum that is no field)."""
    try:
        return method.Settings.model_validate(rule.measure.settings)
    except ValidationError as exc:
        raise RuleError([_settings_problem(method, err) for err in exc.errors()]) from None


def _settings_problem(method: IndicatorMethod, err: ErrorDetails) -> tuple[tuple, str]:
    loc, message = validation_problem(err)
    return ("measure", method.name, *loc), message


def _named_settings(compiled: CompiledIndicator):
    """(setting, parameter) for each setting written as a `$parameter`."""
    for part in (compiled.rule.unit, compiled.rule.staff, compiled.settings):
        for name, value in part:
            ref = PARAM_REF.fullmatch(value) if isinstance(value, str) else None
            if ref:
                yield name, ref.group(1)


def _meaning_problems(loc: tuple, name: str, value, schema: Schema) -> list[tuple[tuple, str]]:
    """Values a type alone does not rule out: an unknown kinship kind, a probability outside (0, 1)."""
    out = []
    if name == "strata":
        for item in value:
            found = STRATA_FIELD.fullmatch(item)
            table = STRATA_TABLES[found.group(1)] if found else None
            usable = _usable(schema, table) if table else []
            if not found or found.group(2) not in usable:
                out.append((loc, f"{item!r}: a stratum is organization.FIELD or position.FIELD, one of "
                                 f"{', '.join('organization.' + f for f in _usable(schema, 'organizations'))}, "
                                 f"{', '.join('position.' + f for f in _usable(schema, 'positions'))}"))
    elif name == "close_relatives":
        kinds = set(schema.kinship.degrees)
        unknown = [k for k in value if k not in kinds]
        if unknown:
            out.append((loc, f"not kinship kinds: {', '.join(unknown)}"))
    elif name == "exclude_categories":
        known = schema.types["positions"].fields["category"].values
        unknown = [k for k in value if k not in known]
        if unknown:
            out.append((loc, f"not post categories ({', '.join(known)}): {', '.join(unknown)}"))
    elif name == "names" and value not in ("surname", "patronymic", "surname_and_patronymic"):
        out.append((loc, f"{value!r} is not one of surname, patronymic, surname_and_patronymic"))
    elif name == "weighting" and value not in ("none", "rarity"):
        out.append((loc, f"{value!r} is not none or rarity"))
    elif name == "correction" and value not in ("bonferroni", "none"):
        out.append((loc, f"{value!r} is not bonferroni or none"))
    elif name == "alpha" and not 0 < value < 1:
        out.append((loc, f"{value} is not a probability between 0 and 1"))
    elif name in ("min_staff", "min_group", "min_pairs") and value < 1:
        out.append((loc, "must be at least 1"))
    elif name in ("within_months", "permutations") and value < 0:
        out.append((loc, "must not be negative"))
    return out


def override_problem(compiled: CompiledIndicator, param: str, value) -> str | None:
    """What is wrong with a parameter value given on the command line, for the settings that name it."""
    for setting, name in _named_settings(compiled):
        if name == param:
            problems = _meaning_problems((setting,), setting, value, load_schema())
            if problems:
                return problems[0][1]
    return None


def _usable(schema: Schema, table: str) -> list[str]:
    return [f for f in schema.types[table].fields if f not in ("id", "notes", "sources", "name", "title")]


def resolve_settings(compiled: CompiledIndicator, params: dict) -> dict:
    """Every setting of the rule as a value for this run (a `$parameter` replaced by its value)."""
    rule = compiled.rule
    types = setting_types(compiled.method)
    out = {}
    for part in (rule.unit, rule.staff, compiled.settings):
        for name, value in part:
            ref = PARAM_REF.fullmatch(value) if isinstance(value, str) else None
            value = params[ref.group(1)] if ref else value
            want = types[name]
            out[name] = value if want == "text" else coerce_param(want, value)
            problems = _meaning_problems((name,), name, out[name], load_schema())
            if problems:  # a --param override the rule file could not check
                raise ValueError(f"{name}: {problems[0][1]}")
    return out
