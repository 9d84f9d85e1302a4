"""Checking a unit indicator against the schema when it loads, and reading its settings for a run."""

from __future__ import annotations

from dataclasses import dataclass

from riskcheck.registry.schema import Schema, load_schema
from riskcheck.grammar.errors import RuleError
from riskcheck.grammar.model import PARAM_REF, STRATA_FIELD, UnitRule, coerce_param

# The type a setting's value must have, whether written in the rule or named as a `$parameter`.
SETTING_TYPES = {
    "include_units_under": "bool", "min_staff": "int", "within_months": "int", "exclude_categories": "list",
    "names": "text", "alpha": "number", "min_pairs": "int", "permutations": "int", "seed": "int",
    "close_relatives": "list", "min_relation_status": "status", "min_group": "int", "correction": "text",
    "weighting": "text",
    "strata": "list",  # and each one checked against the schema
}
STRATA_TABLES = {"organization": "organizations", "position": "positions"}


@dataclass
class CompiledIndicator:
    rule: UnitRule
    var_types: dict[str, str]  # what the finding binds: the unit, an organization


def compile_indicator(rule: UnitRule, schema: Schema) -> CompiledIndicator:
    problems: list[tuple[tuple, str]] = []
    measure = rule.measure.method
    for section, part in (("unit", rule.unit), ("staff", rule.staff), (("measure", measure), rule.measure.settings)):
        loc = section if isinstance(section, tuple) else (section,)
        for name, value in part:
            ref = PARAM_REF.fullmatch(value) if isinstance(value, str) else None
            want = SETTING_TYPES[name]
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
        for setting, param_name in _named_settings(rule):
            if param_name == name:
                problems += _meaning_problems(("parameters", name, "default"), setting, p.default, schema)
    if problems:
        raise RuleError(problems)
    return CompiledIndicator(rule, {"unit": "organizations"})


def _named_settings(rule: UnitRule):
    for part in (rule.unit, rule.staff, rule.measure.settings):
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
        known = set(schema.kinship.degrees)
        unknown = [k for k in value if k not in known]
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
    for setting, name in _named_settings(compiled.rule):
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
    out = {}
    for part in (rule.unit, rule.staff, rule.measure.settings):
        for name, value in part:
            ref = PARAM_REF.fullmatch(value) if isinstance(value, str) else None
            value = params[ref.group(1)] if ref else value
            want = SETTING_TYPES[name]
            out[name] = value if want == "text" else coerce_param(want, value)
            problems = _meaning_problems((name,), name, out[name], load_schema())
            if problems:  # a --param override the rule file could not check
                raise ValueError(f"{name}: {problems[0][1]}")
    return out
