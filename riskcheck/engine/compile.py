"""Compiling a rule into one set-oriented SQL query over the store.

Each variable in `match` becomes a table in a join (an optional one a LEFT JOIN that keeps the
first candidate), `let` values become columns, and every condition becomes a column holding
true, false or NULL (unknown). Rows where some condition is false are dropped in SQL; for the rest
the status is decided in SQL too: unknown conditions make a finding `undetermined`, and for duties
the first status clause that holds wins. Python only touches the rows that are findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from riskcheck.engine.expr import ExprError, Scope, Val, as_condition, compile_expr
from riskcheck.registry.schema import Schema
from riskcheck.sqlio import lit, q
from riskcheck.grammar.errors import RuleError
from riskcheck.grammar.model import Rule
from riskcheck.grammar.vocabulary import STATUS_ORDER


ESTABLISHED_MEANS = ("the family link is established (reported or confirmed), not only alleged or inferred")


@dataclass
class Check:
    """A condition of the rule, kept with its wording for the report."""

    text: str
    means: str | None
    column: str
    kind: str = "condition"  # or scope, exemption, contested (how the report words it)
    law: str | None = None
    reason: str | None = None
    relations: tuple[tuple[str, str], ...] = ()  # (kinship variable, relations parameter) read by listed()


@dataclass
class Clause:
    status: str
    text: str
    means: str | None
    column: str


@dataclass
class CompiledRule:
    rule: Rule
    sql: str
    var_types: dict[str, str]
    optional_vars: set[str]
    lets: dict[str, str]  # let name -> kind (date, text, int, bool, list)
    checks: list[Check]
    clauses: list[Clause]
    params_used: set[str] = field(default_factory=set)
    fields_used: set[tuple[str, str]] = field(default_factory=set)  # (variable, field) named in expressions
    kinship_vars: list[str] = field(default_factory=list)  # whose every path is listed (column p__<var>)


def compile_rule(rule: Rule, schema: Schema, kinship_relation: str = "kinship") -> CompiledRule:
    """The rule as one SQL query over the registry's store, with what its findings need to be worded.

    `kinship_relation` is the table or view the rule's kinship bindings read: another one gives the same rule
    over other links (riskcheck.rules.what_if runs it over the kinship hints taken as reported links)."""
    problems: list[tuple[tuple, str]] = []
    params_used: set[str] = set()
    variables = {}
    var_types: dict[str, str] = {}
    for name, binding in rule.match.items():
        rtype = schema.record_type(binding.from_)
        if rtype is None:
            known = ", ".join(list(schema.types) + list(schema.derived))
            problems.append((("match", name, "from"), f"{binding.from_!r} is not a record type ({known})"))
            continue
        variables[name] = rtype
        var_types[name] = binding.from_
    if problems:
        raise RuleError(problems)

    def param_ref(pname: str) -> str:
        params_used.add(pname)
        return "$" + pname

    ptypes = {n: p.type for n, p in rule.parameters.items()}
    scope = Scope(schema, variables, ptypes, {}, param_ref)

    def compiled(text: str, loc: tuple, visible: list[str] | None = None) -> Val | None:
        try:
            val = compile_expr(text, scope)
        except ExprError as exc:
            problems.append((loc, str(exc)))
            return None
        if visible is not None:
            later = [v for v in variables if v not in visible and f'{q(v)}.' in _sql_of(val)]
            if later:
                problems.append((loc, f"in {text!r}: {', '.join(later)} is bound later in `match`; "
                                      "a binding may use only the variables before it"))
                return None
        return val

    for name, text in rule.let.items():
        val = compiled(text, ("let", name))
        if val is not None:
            if val.kind == "record":
                problems.append((("let", name), f"{text!r} is a record; bind records in `match`"))
            scope.lets[name] = val

    checks: list[Check] = []
    conditions: list[str] = []

    def condition_sql(text: str, loc: tuple, visible=None) -> str | None:
        val = compiled(text, loc, visible)
        if val is None:
            return None
        try:
            sql = as_condition(val, text)
        except ExprError as exc:
            problems.append((loc, str(exc)))
            return None
        return sql

    joins: list[str] = []
    optional_vars: set[str] = set()
    order_by: list[str] = []
    for i, (name, binding) in enumerate(rule.match.items()):
        visible = list(rule.match)[: i + 1]
        table = f"{q(kinship_relation if binding.from_ == 'kinship' else binding.from_)} AS {q(name)}"
        on_sql = []
        for fname, text in binding.on.items():
            if fname not in variables[name].fields:
                problems.append((("match", name, "on", fname),
                                 f"{binding.from_} have no field {fname!r}"))
                continue
            val = compiled(text, ("match", name, "on", fname), visible[:-1])
            if val is not None:
                if val.kind not in ("text", "record"):
                    problems.append((("match", name, "on", fname), f"{text!r} must name a record or an id"))
                    continue
                on_sql.append(f"{q(name)}.{q(fname)} = {val.sql}")
        own = []
        for j, cond in enumerate(binding.where):
            sql = condition_sql(cond.check, ("match", name, "where", j), visible)
            if sql is None:
                continue
            if binding.optional:
                own.append(f"({sql}) IS NOT FALSE")
            else:
                col = f"c__{len(checks)}"
                checks.append(Check(cond.check, cond.means, col, relations=_relations_read(scope, cond.check)))
                conditions.append(sql)
        if binding.from_ == "kinship" and not binding.optional:
            # Engine-wide reading, not a rule's choice: a rumour never establishes a finding. A link below
            # `reported` that a rule admits leaves the finding undetermined, naming the weak link.
            checks.append(Check(f"established({name})", ESTABLISHED_MEANS, f"c__{len(checks)}"))
            conditions.append(f"(CASE WHEN {q(name)}.status_rank >= {schema.status_rank('reported')} "
                              "THEN TRUE END)")
        if binding.optional:
            optional_vars.add(name)
            if i == 0:
                problems.append((("match", name, "optional"), "the first binding cannot be optional"))
            joins.append(f"LEFT JOIN {table} ON {' AND '.join(on_sql + own) or 'TRUE'}")
            if binding.first_by:
                val = compiled(binding.first_by, ("match", name, "first_by"), visible)
                if val is not None:
                    order_by.append(val.lo if val.kind == "date" else val.sql)
            order_by.append(f"{q(name)}.id")
        elif i == 0:
            joins.append(f"FROM {table}")
        else:
            joins.append(f"JOIN {table} ON {' AND '.join(on_sql) or 'TRUE'}")

    for j, cond in enumerate(rule.where):
        sql = condition_sql(cond.check, ("where", j))
        if sql is not None:
            checks.append(Check(cond.check, cond.means, f"c__{len(checks)}", relations=_relations_read(scope, cond.check)))
            conditions.append(sql)

    for j, limit in enumerate(rule.scope):
        sql = condition_sql(limit.check, ("scope", j))
        if sql is not None:
            checks.append(Check(limit.check, limit.means, f"c__{len(checks)}", "scope", limit.law))
            conditions.append(sql)
    for j, ex in enumerate(rule.exemptions):
        # An exemption holds the finding back where it applies: the check is "the exemption does not apply",
        # unknown where the data cannot tell. A contested one never decides: where it applies, or may, the
        # finding is undetermined (the check is unknown), and it stands only where it surely does not apply.
        sql = condition_sql(ex.applies, ("exemptions", j, "applies"))
        if sql is None:
            continue
        sql = f"(NOT ({sql}))" if ex.effect == "exempt" else f"(CASE WHEN ({sql}) IS FALSE THEN TRUE END)"
        kind = "exemption" if ex.effect == "exempt" else "contested"
        checks.append(Check(ex.applies, ex.means, f"c__{len(checks)}", kind, ex.law, ex.reason))
        conditions.append(sql)

    if rule.effective:
        eff = rule.effective
        # The event date is compiled on its own and must be a date: it is never pasted into other text
        # before it has parsed whole, so `x) or (true` cannot widen the condition around it.
        event = compiled(eff.date, ("effective", "date"))
        if event is not None and event.kind != "date":
            problems.append((("effective", "date"), f"{eff.date!r} must be a date (e.g. tenure.start)"))
            event = None
        for bound, op, word in ((eff.from_, ">=", "on or after"), (eff.until, "<=", "on or before")):
            if bound is None or event is None:
                continue
            text = f"({eff.date}) {op} date('{bound.isoformat()}')"
            sql = condition_sql(text, ("effective",))
            if sql is not None:
                checks.append(Check(text, f"the rule is in force for events {word} {bound.isoformat()}",
                                    f"c__{len(checks)}"))
                conditions.append(sql)

    clauses: list[Clause] = []
    clause_sql: list[str] = []
    for j, clause in enumerate(rule.status):
        sql = condition_sql(clause.when, ("status", j))
        if sql is not None:
            clauses.append(Clause(clause.status, clause.when, clause.means, f"s__{j}"))
            clause_sql.append(sql)

    for name in rule.related:
        if var_types.get(name) != "persons" or name in optional_vars:
            problems.append((("related",), f"related {name!r} must be a (non-optional) persons variable"))
    if var_types.get(rule.subject) != "persons" or rule.subject in optional_vars:
        problems.append((("subject",), f"subject {rule.subject!r} must be a (non-optional) persons variable"))
    if problems:
        raise RuleError(problems)

    select = [f"{q(v)}.id AS {q('v__' + v)}" for v in rule.match]
    lets: dict[str, str] = {}
    for name, val in scope.lets.items():
        lets[name] = val.kind
        if val.kind == "date":
            select += [f"{val.lo} AS {q('l__' + name + '__lo')}", f"{val.hi} AS {q('l__' + name + '__hi')}"]
        else:
            select.append(f"{val.sql} AS {q('l__' + name)}")
    select += [f"{sql} AS {c.column}" for sql, c in zip(conditions, checks)]
    select += [f"{sql} AS {c.column}" for sql, c in zip(clause_sql, clauses)]
    where = " AND ".join(f"({c}) IS NOT FALSE" for c in conditions) or "TRUE"
    required = [f"{q(v)}.id" for v in rule.match if v not in optional_vars]
    qualify = ""
    if optional_vars:
        qualify = (f"QUALIFY row_number() OVER (PARTITION BY {', '.join(required)} "
                   f"ORDER BY {', '.join(o + ' NULLS LAST' for o in order_by)}) = 1")

    unknown = " OR ".join(f"{c.column} IS NULL" for c in checks)
    decide = [f"WHEN {unknown} THEN 'undetermined'"] if unknown else []
    for c in clauses:
        decide += [f"WHEN {c.column} THEN {lit(c.status)}", f"WHEN {c.column} IS NULL THEN 'undetermined'"]
    default = "'flagged'" if not clauses else "NULL"
    # A rule with no conditions at all (every match is a lead) has nothing to decide: no empty CASE.
    status = f"CASE {' '.join(decide)} ELSE {default} END" if decide else default
    ids = ", ".join(q("v__" + v) for v in rule.match)
    kin_vars = [v for v in rule.match if var_types[v] == "kinship" and v not in optional_vars]
    if kin_vars:
        # Several kinship paths between the same two people (a recorded `relative` and a sibling-in-law
        # derived through a spouse) are one situation: one finding, the most serious path deciding its
        # status, every path listed in its evidence.
        others = ", ".join(q("v__" + v) for v in rule.match if v not in kin_vars) or "TRUE"
        rank = "CASE status " + " ".join(f"WHEN {lit(s)} THEN {n}" for s, n in STATUS_ORDER.items()) + " END"
        paths = ", ".join(f"list(DISTINCT {q('v__' + v)}) OVER (PARTITION BY {others}) AS {q('p__' + v)}"
                          for v in kin_vars)
        sql = (f"WITH m AS (SELECT {', '.join(select)} {' '.join(joins)} WHERE {where} {qualify}), "
               f"d AS (SELECT *, {status} AS status FROM m), "
               f"g AS (SELECT *, {paths}, row_number() OVER (PARTITION BY {others} ORDER BY {rank}, {ids}) "
               f"AS g__rank FROM d WHERE status IS NOT NULL) "
               f"SELECT * EXCLUDE (g__rank) FROM g WHERE g__rank = 1 ORDER BY {ids}")
    else:
        sql = (f"WITH m AS (SELECT {', '.join(select)} {' '.join(joins)} WHERE {where} {qualify}), "
               f"d AS (SELECT *, {status} AS status FROM m) "
               f"SELECT * FROM d WHERE status IS NOT NULL ORDER BY {ids}")
    texts = [*rule.let.values(), *(c.check for c in rule.where), *(c.when for c in rule.status),
             *(t for b in rule.match.values() for t in [*b.on.values(), *(c.check for c in b.where)])]
    if rule.effective:
        texts.append(rule.effective.date)
    texts += [c.check for c in rule.scope] + [e.applies for e in rule.exemptions]
    fields_used = {(m[1], m[2]) for t in texts for m in _FIELD_REF.finditer(t) if m[1] in variables}
    for var, rtype in variables.items():  # during(x, ...) reads x's period
        if rtype.period and any(re.search(rf"during\(\s*{var}\b", t) for t in texts):
            fields_used |= {(var, rtype.period[0]), (var, rtype.period[1])}
    return CompiledRule(rule, sql, var_types, optional_vars, lets, checks, clauses, params_used, fields_used,
                        kin_vars)


def _relations_read(scope: Scope, text: str) -> tuple[tuple[str, str], ...]:
    """The (kinship variable, relations parameter) pairs a condition reads through listed()."""
    return tuple(dict.fromkeys((v, p) for v, p in scope.relation_uses
                               if re.search(rf"listed\(\s*{v}\s*,\s*\${p}\b", text)))


_FIELD_REF = re.compile(r"\b([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)\b")


def _sql_of(val: Val) -> str:
    return val.sql + " " + val.hi
