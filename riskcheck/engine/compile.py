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
from typing import Mapping

from riskcheck.i18n import N_
from riskcheck.engine.expr import ExprError, Scope, Val, as_condition, compile_expr
from riskcheck.registry.date_words import day_words
from riskcheck.registry.kinship import NOT_ANCHORING, kinship_sql
from riskcheck.registry.schema import Schema
from riskcheck.sqlio import lit, q
from riskcheck.grammar.errors import RuleError
from riskcheck.grammar.model import Rule
from riskcheck.grammar.vocabulary import STATUS_ORDER


ESTABLISHED_MEANS = N_("the family link is established (reported or confirmed), not only alleged or inferred")


@dataclass
class Check:
    """A condition of the rule, kept with its wording for the report."""

    text: str
    means: str | None
    column: str
    kind: str = "condition"  # or scope, exemption, contested, in_force_from/in_force_until (how the report words it)
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
    kinship_relation: str = "kinship"  # what its kinship bindings read (compile_rule)


def compile_rule(rule: Rule, schema: Schema, kinship_relation: str = "kinship",
                 reading: Mapping[str, str] | None = None) -> CompiledRule:
    """One query for the rule, or every problem found in it at once (RuleError).

    `kinship_relation` is the table or view the rule's kinship bindings read: another one gives the same rule
    over other links (riskcheck.rules.what_if runs it over the kinship hints taken as reported links).
    `reading`: variable -> the table a binding reads in place of its type's (a table of the same columns):
    the same rule asked about some records alone (riskcheck.rules.reach asks it about the changed ones). The
    people a kinship binding's links are narrowed to are then read from that table too.

    The steps follow the rule file's reasoning: its variables, `let` values, the joins of `match`, then
    `where`, scope, exemptions and the period the rule is in force, then the status clauses. The order of
    the checks is the order the report gives them in, and their column names (c__0, c__1, ...) follow it.
    """
    compiler = _RuleCompiler(rule, schema, kinship_relation, reading)
    compiler.bind_variables()
    compiler.compile_lets()
    compiler.compile_match()
    compiler.compile_where()
    compiler.compile_scope()
    compiler.compile_exemptions()
    compiler.compile_effective()
    compiler.compile_status()
    compiler.check_people()
    return compiler.result()


class _RuleCompiler:
    """The state of one rule's compilation: the problems found so far, and the checks and joins written so far.

    Every step records its problems and goes on, so a rule's author sees all of them in one run; the query is
    written only when there are none.
    """

    scope: Scope  # the names expressions may use, made by bind_variables

    def __init__(self, rule: Rule, schema: Schema, kinship_relation: str = "kinship",
                 reading: Mapping[str, str] | None = None):
        self.rule, self.schema = rule, schema
        self.kinship_relation = kinship_relation
        self.reading = dict(reading or {})
        self.problems: list[tuple[tuple, str]] = []
        self.params_used: set[str] = set()
        self.variables: dict = {}
        self.var_types: dict[str, str] = {}
        self.checks: list[Check] = []
        self.conditions: list[str] = []  # the SQL of each check, in the same order
        self.joins: list[str] = []
        self.optional_vars: set[str] = set()
        self.order_by: list[str] = []  # which candidate an optional binding keeps
        self.clauses: list[Clause] = []
        self.clause_sql: list[str] = []
        # Columns every match has equal, from the `on` of bindings that are not optional: ((var, field), (var,
        # field)); and where each kinship binding's table is named in `joins` (see _narrowed_kinship).
        self.equal_columns: list[tuple[tuple[str, str], tuple[str, str]]] = []
        self.kinship_tables: dict[str, int] = {}

    def bind_variables(self) -> None:
        """The record type of each `match` variable; nothing else can be compiled while one is unknown."""
        for name, binding in self.rule.match.items():
            rtype = self.schema.record_type(binding.from_)
            if rtype is None:
                known = ", ".join(list(self.schema.types) + list(self.schema.derived))
                self.problems.append((("match", name, "from"),
                                      f"{binding.from_!r} is not a record type ({known})"))
                continue
            self.variables[name] = rtype
            self.var_types[name] = binding.from_
        if self.problems:
            raise RuleError(self.problems)
        ptypes = {n: p.type for n, p in self.rule.parameters.items()}
        self.scope = Scope(self.schema, self.variables, ptypes, {}, self._param_ref)

    def _param_ref(self, pname: str) -> str:
        self.params_used.add(pname)
        return "$" + pname

    def compiled(self, text: str, loc: tuple, visible: list[str] | None = None) -> Val | None:
        """An expression compiled, or None with its problem recorded. With `visible`, an expression that names
        a variable bound later in `match` is a problem: a join can use only the tables before it."""
        try:
            val = compile_expr(text, self.scope)
        except ExprError as exc:
            self.problems.append((loc, str(exc)))
            return None
        if visible is not None:
            later = [v for v in self.variables if v not in visible and f'{q(v)}.' in _sql_of(val)]
            if later:
                self.problems.append((loc, f"in {text!r}: {', '.join(later)} is bound later in `match`; "
                                           "a binding may use only the variables before it"))
                return None
        return val

    def condition_sql(self, text: str, loc: tuple, visible=None) -> str | None:
        """A condition compiled to SQL that is true, false or NULL, or None with its problem recorded."""
        val = self.compiled(text, loc, visible)
        if val is None:
            return None
        try:
            sql = as_condition(val, text)
        except ExprError as exc:
            self.problems.append((loc, str(exc)))
            return None
        return sql

    def column(self) -> str:
        """The column of the next check, named by its place among the checks (c__<n>)."""
        return f"c__{len(self.checks)}"

    def add_check(self, sql: str, check: Check) -> None:
        self.checks.append(check)
        self.conditions.append(sql)

    def _relation(self, var: str, type_name: str) -> str:
        """The table or view a variable's records are read from."""
        if var in self.reading:
            return self.reading[var]
        return self.kinship_relation if type_name == "kinship" else type_name

    def compile_lets(self) -> None:
        """The `let` values, each visible by name in what follows it."""
        for name, text in self.rule.let.items():
            val = self.compiled(text, ("let", name))
            if val is not None:
                if val.kind == "record":
                    self.problems.append((("let", name), f"{text!r} is a record; bind records in `match`"))
                self.scope.lets[name] = val

    def compile_match(self) -> None:
        """The FROM and JOIN clauses of `match`, each binding's `where` a check of the finding (or, for an
        optional binding, a condition of its join)."""
        for i, (name, binding) in enumerate(self.rule.match.items()):
            visible = list(self.rule.match)[: i + 1]
            table = f"{q(self._relation(name, binding.from_))} AS {q(name)}"
            if binding.from_ == "kinship" and not binding.optional:
                self.kinship_tables[name] = len(self.joins)
            on_sql = self._join_on(name, binding, visible)
            own = self._binding_where(name, binding, visible)
            if binding.from_ == "kinship" and not binding.optional:
                # Engine-wide reading, not a rule's choice: a rumour never establishes a finding. A link below
                # `reported` that a rule admits leaves the finding undetermined, naming the weak link.
                self.add_check(f"(CASE WHEN {q(name)}.status_rank >= {self.schema.status_rank('reported')} "
                               "THEN TRUE END)",
                               Check(f"established({name})", ESTABLISHED_MEANS, self.column()))
            if binding.optional:
                self.optional_vars.add(name)
                if i == 0:
                    self.problems.append((("match", name, "optional"), "the first binding cannot be optional"))
                self.joins.append(f"LEFT JOIN {table} ON {' AND '.join(on_sql + own) or 'TRUE'}")
                if binding.first_by:
                    val = self.compiled(binding.first_by, ("match", name, "first_by"), visible)
                    if val is not None:
                        self.order_by.append(val.lo if val.kind == "date" else val.sql)
                self.order_by.append(f"{q(name)}.id")
            elif i == 0:
                self.joins.append(f"FROM {table}")
            else:
                self.joins.append(f"JOIN {table} ON {' AND '.join(on_sql) or 'TRUE'}")

    def _join_on(self, name: str, binding, visible: list[str]) -> list[str]:
        """The equalities of a binding's `on`: each a field of its record equal to a record or id bound before."""
        on_sql = []
        for fname, text in binding.on.items():
            if fname not in self.variables[name].fields:
                self.problems.append((("match", name, "on", fname), f"{binding.from_} have no field {fname!r}"))
                continue
            val = self.compiled(text, ("match", name, "on", fname), visible[:-1])
            if val is not None:
                if val.kind not in ("text", "record"):
                    self.problems.append((("match", name, "on", fname), f"{text!r} must name a record or an id"))
                    continue
                on_sql.append(f"{q(name)}.{q(fname)} = {val.sql}")
                column = self._column_of(val.sql)
                if column is not None and not binding.optional and column[0] not in self.optional_vars:
                    self.equal_columns.append(((name, fname), column))
        return on_sql

    def _column_of(self, sql: str) -> tuple[str, str] | None:
        """The (variable, field) an `on` value names when it is one bound record's id or field, else None."""
        for var in self.variables:
            for fname in ("id", *self.variables[var].fields):
                if sql in (f"{q(var)}.{q(fname)}", f"{q(var)}.{fname}"):
                    return var, fname
        return None

    def _binding_where(self, name: str, binding, visible: list[str]) -> list[str]:
        """A binding's own conditions: checks of the finding, or (optional binding) conditions of its join,
        returned, where an unknown one keeps the candidate."""
        own = []
        for j, cond in enumerate(binding.where):
            sql = self.condition_sql(cond.check, ("match", name, "where", j), visible)
            if sql is None:
                continue
            if binding.optional:
                own.append(f"({sql}) IS NOT FALSE")
            else:
                self.add_check(sql, Check(cond.check, cond.means, self.column(),
                                          relations=_relations_read(self.scope, cond.check)))
        return own

    def compile_where(self) -> None:
        """The rule's own conditions."""
        for j, cond in enumerate(self.rule.where):
            sql = self.condition_sql(cond.check, ("where", j))
            if sql is not None:
                self.add_check(sql, Check(cond.check, cond.means, self.column(),
                                          relations=_relations_read(self.scope, cond.check)))

    def compile_scope(self) -> None:
        """The limits of the law's scope, each worded with the law that sets it."""
        for j, limit in enumerate(self.rule.scope):
            sql = self.condition_sql(limit.check, ("scope", j))
            if sql is not None:
                self.add_check(sql, Check(limit.check, limit.means, self.column(), "scope", limit.law))

    def compile_exemptions(self) -> None:
        """The exemptions, each a check that it does not apply."""
        for j, ex in enumerate(self.rule.exemptions):
            # An exemption holds the finding back where it applies: the check is "the exemption does not apply",
            # unknown where the data cannot tell. A contested one never decides: where it applies, or may, the
            # finding is undetermined (the check is unknown), and it stands only where it surely does not apply.
            sql = self.condition_sql(ex.applies, ("exemptions", j, "applies"))
            if sql is None:
                continue
            sql = f"(NOT ({sql}))" if ex.effect == "exempt" else f"(CASE WHEN ({sql}) IS FALSE THEN TRUE END)"
            kind = "exemption" if ex.effect == "exempt" else "contested"
            self.add_check(sql, Check(ex.applies, ex.means, self.column(), kind, ex.law, ex.reason))

    def compile_effective(self) -> None:
        """The period the rule is in force, as checks on the date of the event it judges."""
        if not self.rule.effective:
            return
        eff = self.rule.effective
        # The event date is compiled on its own and must be a date: it is never pasted into other text
        # before it has parsed whole, so `x) or (true` cannot widen the condition around it.
        event = self.compiled(eff.date, ("effective", "date"))
        if event is not None and event.kind != "date":
            self.problems.append((("effective", "date"), f"{eff.date!r} must be a date (e.g. tenure.start)"))
            event = None
        for bound, op, word, kind in ((eff.from_, ">=", "on or after", "in_force_from"),
                                      (eff.until, "<=", "on or before", "in_force_until")):
            if bound is None or event is None:
                continue
            text = f"({eff.date}) {op} date('{bound.isoformat()}')"
            sql = self.condition_sql(text, ("effective",))
            if sql is not None:
                self.add_check(sql, Check(text, f"the rule is in force for events {word} {day_words(bound)}",
                                          self.column(), kind, reason=bound.isoformat()))

    def compile_status(self) -> None:
        """A duty's status clauses, each a column (s__<n>) the query's CASE reads in order."""
        for j, clause in enumerate(self.rule.status):
            sql = self.condition_sql(clause.when, ("status", j))
            if sql is not None:
                self.clauses.append(Clause(clause.status, clause.when, clause.means, f"s__{j}"))
                self.clause_sql.append(sql)

    def check_people(self) -> None:
        """The subject and the related are persons every finding has; then any problem found stops here."""
        rule = self.rule
        for name in rule.related:
            if self.var_types.get(name) != "persons" or name in self.optional_vars:
                self.problems.append((("related",), f"related {name!r} must be a (non-optional) persons variable"))
        if self.var_types.get(rule.subject) != "persons" or rule.subject in self.optional_vars:
            self.problems.append((("subject",), f"subject {rule.subject!r} must be a (non-optional) persons variable"))
        if self.problems:
            raise RuleError(self.problems)

    def result(self) -> CompiledRule:
        """The compiled rule, its query written from the parts compiled."""
        kin_vars = [v for v in self.rule.match if self.var_types[v] == "kinship" and v not in self.optional_vars]
        lets = {name: val.kind for name, val in self.scope.lets.items()}
        return CompiledRule(self.rule, self._query(kin_vars), self.var_types, self.optional_vars, lets,
                            self.checks, self.clauses, self.params_used, self._fields_used(), kin_vars,
                            self.kinship_relation)

    def _select(self) -> list[str]:
        """The columns: each bound record's id (v__), each let value (l__, a date as its bounds), each check
        (c__) and each status clause (s__)."""
        select = [f"{q(v)}.id AS {q('v__' + v)}" for v in self.rule.match]
        for name, val in self.scope.lets.items():
            if val.kind == "date":
                select += [f"{val.lo} AS {q('l__' + name + '__lo')}", f"{val.hi} AS {q('l__' + name + '__hi')}"]
            else:
                select.append(f"{val.sql} AS {q('l__' + name)}")
        select += [f"{sql} AS {c.column}" for sql, c in zip(self.conditions, self.checks)]
        select += [f"{sql} AS {c.column}" for sql, c in zip(self.clause_sql, self.clauses)]
        return select

    def _status(self) -> str:
        """The SQL that decides a row's status: undetermined where a check is unknown, then the first status
        clause that holds (a duty), else flagged; NULL where no clause holds, so the row is no finding."""
        unknown = " OR ".join(f"{c.column} IS NULL" for c in self.checks)
        decide = [f"WHEN {unknown} THEN 'undetermined'"] if unknown else []
        for c in self.clauses:
            decide += [f"WHEN {c.column} THEN {lit(c.status)}", f"WHEN {c.column} IS NULL THEN 'undetermined'"]
        default = "'flagged'" if not self.clauses else "NULL"
        # A rule with no conditions at all (every match is a lead) has nothing to decide: no empty CASE.
        return f"CASE {' '.join(decide)} ELSE {default} END" if decide else default

    def _query(self, kin_vars: list[str]) -> str:
        """The whole query: the matches (m), their status (d), and, where the rule binds kinship, one row per
        situation (g)."""
        rule = self.rule
        where = " AND ".join(f"({c}) IS NOT FALSE" for c in self.conditions) or "TRUE"
        required = [f"{q(v)}.id" for v in rule.match if v not in self.optional_vars]
        qualify = ""
        if self.optional_vars:
            qualify = (f"QUALIFY row_number() OVER (PARTITION BY {', '.join(required)} "
                       f"ORDER BY {', '.join(o + ' NULLS LAST' for o in self.order_by)}) = 1")
        status = self._status()
        ids = ", ".join(q("v__" + v) for v in rule.match)
        joins, narrowed = list(self.joins), []
        for var, at in self.kinship_tables.items():
            ctes = self._narrowed_kinship(var)
            if ctes:
                narrowed += ctes
                joins[at] = joins[at].replace(f"{q(self._relation(var, 'kinship'))} AS {q(var)}", f"{q('k__' + var)} AS {q(var)}", 1)
        matches = (f"WITH {''.join(c + ', ' for c in narrowed)}"
                   f"m AS (SELECT {', '.join(self._select())} {' '.join(joins)} WHERE {where} {qualify}), ")
        if not kin_vars:
            return (matches + f"d AS (SELECT *, {status} AS status FROM m) "
                    f"SELECT * FROM d WHERE status IS NOT NULL ORDER BY {ids}")
        # Several kinship paths between the same two people (a recorded `relative` and a sibling-in-law
        # derived through a spouse) are one situation: one finding, the most serious path deciding its
        # status, every path listed in its evidence.
        others = ", ".join(q("v__" + v) for v in rule.match if v not in kin_vars) or "TRUE"
        rank = "CASE status " + " ".join(f"WHEN {lit(s)} THEN {n}" for s, n in STATUS_ORDER.items()) + " END"
        paths = ", ".join(f"list(DISTINCT {q('v__' + v)}) OVER (PARTITION BY {others}) AS {q('p__' + v)}"
                          for v in kin_vars)
        return (matches + f"d AS (SELECT *, {status} AS status FROM m), "
                f"g AS (SELECT *, {paths}, row_number() OVER (PARTITION BY {others} ORDER BY {rank}, {ids}) "
                f"AS g__rank FROM d WHERE status IS NOT NULL) "
                f"SELECT * EXCLUDE (g__rank) FROM g WHERE g__rank = 1 ORDER BY {ids}")

    def _narrowed_kinship(self, var: str) -> list[str]:
        """A kinship binding's links narrowed to the people the match's other records name, as the query's
        first parts (`k__<var>` the links, `n__<var>__<field>` the people); none when nothing narrows them.

        Where the joins make a link's `person_id` (or `relative_id`) equal to a person reference of another
        record bound (a tenure's `person_id`, through the person bound on it), only links of the people those
        records name can match, so the links are read for them alone. It never changes which rows match, only
        the work: a national registry's kinship holds millions of links, of which a rule over tenures needs
        the few between people who hold one; unnarrowed, DuckDB made every link and joined them to every
        tenure (millions of rows hashed) before the chain of command narrowed them.
        """
        groups: dict[tuple[str, str], set[tuple[str, str]]] = {}
        for a, b in self.equal_columns:  # columns equal in every match, grouped (few: a rule's `on` fields)
            group = groups.get(a, {a}) | groups.get(b, {b})
            for column in group:
                groups[column] = group
        ctes: list[str] = []
        among: list[str | None] = []
        anchored = True  # every set of people below is named by records that make them people of interest
        sides = {}
        for fname in ("person_id", "relative_id"):
            sides[fname] = {(v, f) for v, f in groups.get((var, fname), ())
                            if v != var and v not in self.optional_vars and self.var_types[v] in self.schema.types
                            and self.variables[v].fields.get(f) is not None
                            and self.variables[v].fields[f].type == "ref"}
        # A side named by a binding that reads another table (`reading`: a re-run's few changed records) narrows
        # the links to a handful; the other side's people, those of every record of its table, would cost more to
        # list than the few links they would filter, so they are left to the joins.
        few = {f for f, named in sides.items() if any(v in self.reading for v, _ in named)}
        for fname, named in sides.items():
            sources = sorted({self._people_named(v, f) for v, f in named})
            anchored = anchored and all(self.var_types[v] not in NOT_ANCHORING for v, _ in named)
            if not sources or (few and fname not in few):
                among.append(None)
                anchored = anchored and bool(sources)
                continue
            name = f"n__{var}__{fname}"
            # each person once: DuckDB sizes the joins by these rows (with a tenure's every person_id, it chose
            # to hash the relations instead, millions of rows)
            ctes.append(f"{q(name)} AS MATERIALIZED ({' INTERSECT '.join(sources)})")
            among.append(name)
        if not ctes:
            return []
        if self.kinship_relation == "kinship":
            links = kinship_sql(self.schema, (among[0], among[1]), anchored=anchored)
        else:  # another relation of links (what_if): filtered as a whole
            kept = [f"{f} IN (SELECT id FROM {q(n)})" for f, n in zip(("person_id", "relative_id"), among) if n]
            links = f"SELECT * FROM {q(self.kinship_relation)} WHERE {' AND '.join(kept)}"
        return ctes + [f"{q('k__' + var)} AS ({links})"]

    def _people_named(self, var: str, fname: str) -> str:
        """SQL of the people a bound record's person reference (`var`.`fname`) can name in a match, for
        _narrowed_kinship: those of every record of its table, or, where the rule's checks read that record or
        records joined to it one each (by their own id: a tenure's post, the post's organization), those of the
        records no check rules out. An unknown check keeps its record, as the match does; only checks that read
        nothing but these records are used, so the people are never fewer than the matches name.

        A rule on the relatives in an organization's governing body reads the kinship of the few who sit in one,
        not of everyone holding any post (at a million persons: 0.06 s where it took 0.45 s)."""
        plain = f"SELECT DISTINCT {q(fname)} AS id FROM {q(self._relation(var, self.var_types[var]))} " \
                f"WHERE {q(fname)} IS NOT NULL"
        # The records joined one each to `var`, however far: each with the column of the record it hangs from.
        parent: dict[str, tuple[str, str] | None] = {var: None}
        frontier = [var]
        while frontier:
            at = frontier.pop(0)
            for pair in self.equal_columns:
                for (b, fb), (a, fa) in (pair, pair[::-1]):
                    if a == at and fb == "id" and b not in parent and b not in self.optional_vars \
                            and self.var_types[b] != "kinship":
                        parent[b] = (a, fa)
                        frontier.append(b)

        def mentions(sql: str) -> set[str]:  # the variables a condition's SQL names (each written quoted)
            return {v for v in self.variables if q(v) in sql}

        checks = [c for c in self.conditions if mentions(c) <= set(parent)]
        if not checks:
            return plain
        needed = {var}  # the records the checks read, and those each hangs from, up to `var`
        for b in set().union(*map(mentions, checks)):
            step: str | None = b
            while step is not None and step not in needed:
                needed.add(step)
                up = parent[step]
                step = up[0] if up is not None else None
        joins = [f"FROM {q(self._relation(var, self.var_types[var]))} AS {q(var)}"]
        for b, up in parent.items():  # in the order found: each after the record it hangs from
            if b in needed and up is not None:
                joins.append(f"JOIN {q(self._relation(b, self.var_types[b]))} AS {q(b)} "
                             f"ON {q(b)}.id = {q(up[0])}.{q(up[1])}")
        where = " AND ".join([f"{q(var)}.{q(fname)} IS NOT NULL"] + [f"({c}) IS NOT FALSE" for c in checks])
        return f"SELECT DISTINCT {q(var)}.{q(fname)} AS id {' '.join(joins)} WHERE {where}"

    def _fields_used(self) -> set[tuple[str, str]]:
        """The (variable, field) pairs the rule's expressions read, so the evidence shows those facts' sources."""
        rule = self.rule
        texts = [*rule.let.values(), *(c.check for c in rule.where), *(c.when for c in rule.status),
                 *(t for b in rule.match.values() for t in [*b.on.values(), *(c.check for c in b.where)])]
        if rule.effective:
            texts.append(rule.effective.date)
        texts += [c.check for c in rule.scope] + [e.applies for e in rule.exemptions]
        fields_used = {(m[1], m[2]) for t in texts for m in _FIELD_REF.finditer(t) if m[1] in self.variables}
        for var, rtype in self.variables.items():  # during(x, ...) reads x's period
            if rtype.period and any(re.search(rf"during\(\s*{var}\b", t) for t in texts):
                fields_used |= {(var, rtype.period[0]), (var, rtype.period[1])}
        return fields_used


def _relations_read(scope: Scope, text: str) -> tuple[tuple[str, str], ...]:
    """The (kinship variable, relations parameter) pairs a condition reads through listed()."""
    return tuple(dict.fromkeys((v, p) for v, p in scope.relation_uses
                               if re.search(rf"listed\(\s*{v}\s*,\s*\${p}\b", text)))


_FIELD_REF = re.compile(r"\b([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)\b")


def _sql_of(val: Val) -> str:
    return val.sql + " " + val.hi
