"""Running compiled rules against a loaded case and turning result rows into reasoned findings.

The SQL query decides which rows are findings and their status; this module only builds, for each
finding, the evidence (every bound record with its sources, in the order of the rule's reasoning),
the computed values, the checks and what the data could not decide, and the explanation text.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from riskcheck.engine.compile import Check, CompiledRule
from riskcheck.engine.evidence import Evidence
from riskcheck.errors import RiskcheckError
from riskcheck.engine.findings import Finding, Step, finding_id, weak_facts
from riskcheck.registry.date_words import day_words, interval_words
from riskcheck.registry.load import Registry
from riskcheck.grammar.model import RuleCommon
from riskcheck.grammar.relations import reason as relation_reason, tokens as relation_tokens
from riskcheck.grammar.translations import finding_texts, means_text
from riskcheck.i18n import _, current
from riskcheck.templating import render_rule_text

MAX_FINDINGS_PER_RULE = 250_000  # a national registry gives about 15,000 for the busiest rule


class TooManyFindings(RiskcheckError):
    """A rule matched far more rows than any review could use: almost always a missing link in `match`."""


class RecordLookup:
    """Records by type and id, fetched from the store on first use and kept for the run.

    Every lookup of one registry shares what was read (`Registry.records_read`): the report reads again the
    records the rules' evidence named, and on a national registry each query for them costs a tenth of a second.
    """

    def __init__(self, registry: Registry):
        self.registry = registry
        read = registry.records_read
        self.cache: dict[str, dict[str, dict | None]] = read.setdefault("records", {})
        # how many levels of references were fetched with a record
        self.depth: dict[str, dict[str, int]] = read.setdefault("depth", {})

    def prefetch(self, type_name: str, ids: set[str], depth: int = 2) -> None:
        """Fetch records in one query, and (to `depth` levels) the records they reference.

        A record first fetched as a reference, with fewer levels, has its references fetched again when a
        deeper prefetch asks for it: otherwise they are fetched one query each while the evidence is written.
        """
        known = self.cache.setdefault(type_name, {})
        levels = self.depth.setdefault(type_name, {})
        missing = [i for i in ids if i is not None and i not in known]
        if missing:
            found = self.registry.records(type_name, missing)
            for i in missing:
                known[i] = found.get(i)
        deeper = [i for i in ids if i is not None and known.get(i) is not None and levels.get(i, -1) < depth]
        for i in deeper:
            levels[i] = depth
        if depth == 0 or not deeper:
            return
        refs: dict[str, set[str]] = {}
        for field in self.registry.schema.known_type(type_name).fields.values():
            if field.type == "ref" or (field.type == "reflist" and field.to == "sources"):
                for record in (known[i] for i in deeper):
                    value = (record or {}).get(field.name)  # `deeper` holds only ids whose record was found
                    for v in (value if isinstance(value, list) else [value]):
                        if v is not None and field.to is not None:  # a ref field always names its target
                            refs.setdefault(field.to, set()).add(v)
        for target, target_ids in sorted(refs.items()):
            self.prefetch(target, target_ids, depth - 1)

    def __call__(self, type_name: str, record_id: str | None) -> dict | None:
        if record_id is None:
            return None
        if record_id not in self.cache.get(type_name, {}):
            self.prefetch(type_name, {record_id})
        return self.cache[type_name][record_id]

    def known(self, type_name: str, record_id: str) -> dict:
        """A record another record of the store points to (a person of a kinship row, a relation of its
        path): the store refuses a dangling reference, so its absence is a defect, said by name."""
        record = self(type_name, record_id)
        if record is None:
            raise KeyError(f"{type_name} record {record_id!r} is referenced but not in the store")
        return record


class WithParameters(Protocol):
    """A compiled rule of either kind (a person rule, a unit indicator), as far as its parameters go."""

    @property
    def rule(self) -> RuleCommon: ...


def resolve_params(compiled: WithParameters, overrides: dict) -> dict:
    params = {name: p.default for name, p in compiled.rule.parameters.items()}
    params.update({k: v for k, v in overrides.items() if k in params})
    return params


def bind_params(compiled: CompiledRule, params: dict, as_of: date) -> dict:
    """The values the rule's query names: its parameters, and the as-of date where it is used."""
    types = {name: p.type for name, p in compiled.rule.parameters.items()}
    bind = {name: relation_tokens(params[name]) if types.get(name) == "relations" else params[name]
            for name in compiled.params_used if name != "as_of"}
    if "as_of" in compiled.params_used:
        bind["as_of"] = as_of
    return bind


def evaluate_rule(compiled: CompiledRule, registry: Registry, as_of: date, params: dict,
                  lookup: RecordLookup | None = None) -> list[Finding]:
    """Findings of one rule over one loaded case, as of a date."""
    lookup = lookup or RecordLookup(registry)
    return findings_of_rows(compiled, match_rule(compiled, registry, as_of, params), lookup, params, as_of)


def match_rule(compiled: CompiledRule, registry: Registry, as_of: date, params: dict) -> list[dict]:
    """The rows of the rule's query: one per finding, with its records' ids, lets, checks and status."""
    cursor = registry.conn.execute(compiled.sql, bind_params(compiled, params, as_of))
    columns = [d[0] for d in cursor.description]
    rows = [dict(zip(columns, r)) for r in cursor.fetchmany(MAX_FINDINGS_PER_RULE + 1)]
    if len(rows) > MAX_FINDINGS_PER_RULE:
        raise TooManyFindings(f"more than {MAX_FINDINGS_PER_RULE:,} findings on this case; no reader can review "
                              "that many (does a binding in `match` lack an `on` link to the ones before it?)")
    return rows


def kinship_links_of(compiled: CompiledRule, rows: list[dict]) -> set[str]:
    """The kinship links the rows name. `kinship` is a view with no cheap lookup by id (each lookup scans
    every link), so a run fetches the links of all its rules' rows at once (riskcheck.pipeline)."""
    ids = {r["v__" + var] for var, t in compiled.var_types.items() if t == "kinship" for r in rows}
    ids |= {k for var in compiled.kinship_vars for r in rows for k in r["p__" + var]}
    return ids - {None}


def prefetch_kinship(lookup: RecordLookup, ids: set[str]) -> None:
    """Fetch kinship links, and the relations behind them, in one query each."""
    lookup.prefetch("kinship", ids)
    links = [lookup("kinship", k) for k in ids]
    lookup.prefetch("relations", {rel for k in links if k for rel in k["relations"] or ()})


def prefetch_rows(lookup: RecordLookup, matched: list[tuple[CompiledRule, list[dict]]]) -> None:
    """Fetch the records the rows of one or more rules name, one query per record type for all of them
    (and one per type for the records those reference): each lookup of a national registry's table costs a
    tenth of a second, whatever the number of ids."""
    prefetch_kinship(lookup, {k for compiled, rows in matched for k in kinship_links_of(compiled, rows)})
    wanted: dict[str, set[str]] = {}
    for compiled, rows in matched:
        for var, type_name in compiled.var_types.items():
            wanted.setdefault(type_name, set()).update(r["v__" + var] for r in rows)
    for type_name, ids in sorted(wanted.items()):
        lookup.prefetch(type_name, ids)


def findings_of_rows(compiled: CompiledRule, rows: list[dict], lookup: RecordLookup, params: dict,
                     as_of: date) -> list[Finding]:
    """The findings, with their evidence, of the rows match_rule gave."""
    prefetch_rows(lookup, [(compiled, rows)])
    return [_finding(compiled, row, lookup, params, as_of) for row in rows]


def _finding(compiled: CompiledRule, row: dict, lookup: RecordLookup, params: dict, as_of: date) -> Finding:
    """One row of the rule's query as a finding: its evidence in the order of the rule's reasoning (records,
    computed values, checks, decision), then the texts and the ids a report and an export read."""
    rule = compiled.rule
    bound = {var: row["v__" + var] for var in rule.match}
    records = {var: lookup(compiled.var_types[var], rid) for var, rid in bound.items()}
    lets = _let_words(compiled, row)
    status = row["status"]
    evidence = Evidence(lookup)
    evidence.bound_records(compiled, row, records)
    steps = evidence.steps
    steps += _value_steps(compiled, row, lets)
    undecided = _check_steps(compiled, row, records, params, steps)
    steps.append(Step("decision", _decision(compiled, row, status)))

    context: dict[str, Any] = {var: _template_record(rec) for var, rec in records.items()}
    context.update(lets)
    context.update(status=status, params=params, as_of=as_of.isoformat(), rule=rule)
    texts, in_english = finding_texts(rule, current())
    summary = render_rule_text(texts["summary"], context)
    explanation = render_rule_text(texts["explanation"], context)

    person = bound[rule.subject]
    related = sorted({bound[v] for v in rule.related if bound[v] and bound[v] != person})
    sources = sorted({s for step in steps for s in step.sources})
    key = {var: rid for var, rid in bound.items()
           if var not in compiled.kinship_vars and rule.match[var].key}
    return Finding(
        id=finding_id(rule.id, key), records=_records_json(compiled, row, bound, lookup), rule=rule.id,
        rule_version=rule.version, rule_title=texts["title"],
        kind=rule.kind, status=status, severity=rule.severity, person=person, related=related,
        summary=summary, explanation=explanation, steps=steps, sources=sources,
        caveats=list(dict.fromkeys(evidence.caveats)), undecided=undecided, params=params, bound=bound,
        identity_links=evidence.used_links, weak_facts=weak_facts(steps), in_english=in_english,
    )


def _let_words(compiled: CompiledRule, row: dict) -> dict:
    """The `let` values of a row as a template and a reader see them (a date as the interval it may be)."""
    lets = {}
    for name, kind in compiled.lets.items():
        if kind == "date":
            lets[name] = interval_words(row[f"l__{name}__lo"], row[f"l__{name}__hi"])
        else:
            lets[name] = row[f"l__{name}"]
    return lets


def _value_steps(compiled: CompiledRule, row: dict, lets: dict) -> list[Step]:
    """A step for each computed value, saying so where a date is an interval because its inputs are partial."""
    steps = []
    for name, kind in compiled.lets.items():
        words = lets[name]
        if kind == "date" and words not in ("unknown",) and row[f"l__{name}__lo"] != row[f"l__{name}__hi"]:
            words += _(" (not a single day, because a date it is worked out from is recorded only in part)")
        label = means_text(compiled.rule, name.replace("_", " ").capitalize(), current())
        steps.append(Step("value", f"{label}: {words}.", formula=compiled.rule.let[name],
                          value=_plain_value(row, name, kind)))
    return steps


def _plain_value(row: dict, name: str, kind: str) -> str | None:
    """A computed value in no language: a date as its ISO interval ("2021-01-01..2021-12-31"), else as stored."""
    if kind == "date":
        lo, hi = row[f"l__{name}__lo"], row[f"l__{name}__hi"]
        return None if lo is None and hi is None else (str(lo) if lo == hi else f"{lo}..{hi}")
    value = row[f"l__{name}"]
    return None if value is None else str(value)


def _check_steps(compiled: CompiledRule, row: dict, records: dict, params: dict, steps: list[Step]) -> list[str]:
    """A step for each check, holding or undecided, added to `steps`; returns what the data could not decide
    (with why, where a relations parameter cannot tell the kind of a link), in words."""
    undecided = []
    for check in compiled.checks:
        value = row[check.column]
        holds, unknown = _check_words(check, compiled.rule)
        if value is None:
            why = [w for var, pname in check.relations
                   if (w := relation_reason(params[pname], (records.get(var) or {}).get("kind")))]
            if why:
                unknown += " (" + "; ".join(why) + ")"
            undecided.append(unknown)
            steps.append(Step("check", _("Cannot be decided from the data: %(what)s.") % {"what": unknown},
                              outcome="unknown",
                              formula=check.text if check.means else None))
        else:
            steps.append(Step("check", f"{holds[0].upper()}{holds[1:]}.", outcome="holds",
                              formula=check.text if check.means else None))
    if row["status"] == "undetermined" and not undecided:
        # Every check held, so a status clause could not be decided: name it.
        for clause in compiled.clauses:
            if row[clause.column] is None:
                wording = means_text(compiled.rule, clause.means, current()) or clause.text
                undecided.append(_("whether %(condition)s") % {"condition": wording})
                steps.append(Step("check", _("Cannot be decided from the data: %(what)s.")
                                  % {"what": undecided[-1]}, outcome="unknown"))
                break
            if row[clause.column]:
                break
    return undecided


def _records_json(compiled: CompiledRule, row: dict, bound: dict, lookup: RecordLookup) -> dict:
    """The ids of the records a finding rests on, by variable; for kinship, the relations of every path."""
    records_json = {var: rid for var, rid in bound.items() if rid is not None}
    for var in compiled.kinship_vars:
        # a kinship id of a row is one the store derived, so its record is there
        paths = [lookup("kinship", k) or {} for k in row["p__" + var]]
        records_json[var] = sorted({r for k in paths for r in (k["relations"] or [k["id"]])})
    return records_json


def _check_words(check: Check, rule: RuleCommon) -> tuple[str, str]:
    """How a check reads when it holds, and when the data cannot decide it. A scope limit or an exemption
    names the law that sets it, so a reader sees which part of the article was weighed."""
    lang = current()
    if check.kind in ("in_force_from", "in_force_until") and lang != "en":
        wording = (_("the rule is in force for events on or after %(day)s") if check.kind == "in_force_from"
                   else _("the rule is in force for events on or before %(day)s")) % {
                       "day": day_words(date.fromisoformat(check.reason or ""))}
        return wording, wording
    law = means_text(rule, check.law, lang)
    # the rule's own wording in its translation, else riskcheck's own (a check it adds) from the catalogs
    means = means_text(rule, check.means, lang)
    if means is not None and means == check.means and lang != "en":
        means = _(means)
    said = {"means": means or check.text, "law": f" ({law})" if law else ""}
    if check.kind == "scope":
        return (_("within the law's scope: %(means)s%(law)s") % said,
                _("whether the law covers this: %(means)s%(law)s") % said)
    if check.kind == "exemption":
        return (_("the law's exemption does not apply: %(means)s%(law)s") % said,
                _("whether the law's exemption applies: %(means)s%(law)s") % said)
    if check.kind == "contested":
        said["reason"] = " ".join((means_text(rule, check.reason, lang) or "").split()) if lang != "en" \
            else (check.reason or "").strip()  # the grammar requires a contested reason
        return (_("the contested exception does not apply: %(means)s%(law)s") % said,
                _("the law is unsettled where %(means)s%(law)s: %(reason)s") % said)
    return said["means"], said["means"]


def _decision(compiled: CompiledRule, row: dict, status: str) -> str:
    if status == "undetermined":
        return _("Status: undetermined - the data cannot decide at least one condition above.")
    for clause in compiled.clauses:
        if row[clause.column]:
            return _("Status: %(status)s, because %(condition)s.") % {
                "status": _(status), "condition": means_text(compiled.rule, clause.means, current()) or clause.text}
    if compiled.rule.kind == "risk_indicator":
        return _("Status: %(status)s - every condition of the rule holds.") % {"status": _(status)}
    return _("Status: %(status)s.") % {"status": _(status)}  # pragma: no cover - a clause always decides a duty's status


def _template_record(record: dict | None) -> dict:
    """What a template sees of a record: its fields as written (empty for a missing optional one)."""
    if record is None:
        return {}
    return {k: v for k, v in record.items() if not k.endswith(("__lo", "__hi"))}
