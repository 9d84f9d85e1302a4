"""Running compiled rules against a loaded case and turning result rows into reasoned findings.

The SQL query decides which rows are findings and their status; this module only builds, for each
finding, the evidence (every bound record with its sources, in the order of the rule's reasoning),
the computed values, the checks and what the data could not decide, and the explanation text.
"""

from __future__ import annotations

from datetime import date

from riskcheck.engine.compile import Check, CompiledRule
from riskcheck.engine.facts import describe, step_flags
from riskcheck.engine.findings import Finding, Step, finding_id, weak_facts
from riskcheck.registry.dates import describe_interval
from riskcheck.registry.load import Registry
from riskcheck.rules.relations import reason as relation_reason, tokens as relation_tokens
from riskcheck.templating import degree_words, kinship_word, render_rule_text

MAX_FINDINGS_PER_RULE = 250_000  # a national registry gives about 15,000 for the busiest rule


class TooManyFindings(Exception):
    """A rule matched far more rows than any review could use: almost always a missing link in `match`."""


class RecordLookup:
    """Records by type and id, fetched from the store on first use and kept for the run."""

    def __init__(self, registry: Registry):
        self.registry = registry
        self.cache: dict[str, dict[str, dict | None]] = {}
        self.depth: dict[str, dict[str, int]] = {}  # how many levels of references were fetched with a record

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
        for field in self.registry.schema.record_type(type_name).fields.values():
            if field.type == "ref" or (field.type == "reflist" and field.to == "sources"):
                for record in (known[i] for i in deeper):
                    value = record.get(field.name)
                    for v in (value if isinstance(value, list) else [value]):
                        if v is not None:
                            refs.setdefault(field.to, set()).add(v)
        for target, target_ids in sorted(refs.items()):
            self.prefetch(target, target_ids, depth - 1)

    def __call__(self, type_name: str, record_id: str | None) -> dict | None:
        if record_id is None:
            return None
        if record_id not in self.cache.get(type_name, {}):
            self.prefetch(type_name, {record_id})
        return self.cache[type_name][record_id]


def resolve_params(compiled: CompiledRule, overrides: dict) -> dict:
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
    rule = compiled.rule
    bound = {var: row["v__" + var] for var in rule.match}
    records = {var: lookup(compiled.var_types[var], rid) for var, rid in bound.items()}
    lets = {}
    for name, kind in compiled.lets.items():
        if kind == "date":
            lets[name] = describe_interval(row[f"l__{name}__lo"], row[f"l__{name}__hi"])
        else:
            lets[name] = row[f"l__{name}"]
    status = row["status"]

    steps: list[Step] = []
    caveats: list[str] = []
    used_links: list[dict] = []
    shown: set[tuple[str, str]] = set()
    schema = lookup.registry.schema
    identity = lookup.registry.identity
    reviewed_same = {frozenset((d.person, d.relative)): d for d in getattr(lookup.registry, "reviewed", ())
                     if d.decision == "same_as"}

    def fact(type_name: str, record: dict | None, used: set[str]) -> None:
        if record is None or (type_name, record["id"]) in shown:
            return
        shown.add((type_name, record["id"]))
        sources, flags, notes = step_flags(type_name, record, len(steps) + 1, lookup, schema, used)
        caveats.extend(notes)
        steps.append(Step("fact", describe(type_name, record, lookup), type_name, record["id"], sources, flags))
        for original in identity.rewritten.get((type_name, record["id"]), {}).values():
            identity_step(original if isinstance(original, list) else [original])

    def identity_step(recorded_ids: list[str]) -> None:
        for merged_id in recorded_ids:
            if merged_id not in identity.resolution.canonical or ("link", merged_id) in shown:
                continue
            shown.add(("link", merged_id))
            canonical = identity.resolution.canonical[merged_id]
            merged = identity.merged_records.get(merged_id, {})
            link = identity.link_of(merged_id)
            decided = reviewed_same.get(frozenset((link.left, link.right))) if link and link.kind == "same_as" else None
            if decided is not None:
                why = f"a reviewer decided so ({decided.cited()})"
                caveats.append(f"Step {len(steps) + 1}: the two records are one person by a reviewer's decision, "
                               "not by the case's data.")
            elif link is None or link.kind == "same_as":
                why = "the registry says so (same_as)"
            elif link.kind == "identifier":
                why = link.explanation[0]
            else:
                why = "; ".join(link.explanation[:1] + [x for x in link.explanation if "birth" in x or "source" in x])
            used_links.append({"record": merged_id, "taken_as": canonical, "how": link.kind if link else "same_as",
                               "evidence": list(link.explanation) if link else []})
            number = len(steps) + 1
            caveats.append(f"Step {number}: two person records are taken as one human by riskcheck; "
                           "check the identity link before relying on it.")
            steps.append(Step("fact", f"The record above names {merged.get('name', merged_id)} ({merged_id}), "
                                      f"which riskcheck links to {lookup('persons', canonical)['name']} "
                                      f"({canonical}) as the same person: {why}.", "persons", merged_id,
                              list(merged.get("sources") or []), ["identity link"]))

    def kin_path(record: dict, dated: bool) -> None:
        if record["id"].startswith("hint:"):
            child, parent = ((record["person_id"], record["relative_id"]) if record["kind"] == "parent"
                             else (record["relative_id"], record["person_id"]))
            hint = identity.hint(child, parent)
            number = len(steps) + 1
            caveats.append(f"Step {number}: the family link is inferred from names, not recorded; "
                           "it is a lead to check, not a fact.")
            steps.append(Step("fact", f"{lookup('persons', parent)['name']} may be the parent of "
                                      f"{lookup('persons', child)['name']}: inferred from names, not recorded"
                                      f" ({'; '.join(hint.explanation) if hint else 'kinship hint'}).",
                              "kinship", record["id"], [], ["inferred"]))
            return
        for rel_id in record["relations"]:
            fact("relations", lookup("relations", rel_id), {"start", "end"} if dated else set())
        through = record.get("through") or ([record["via"]] if record.get("via") else [])
        if through:
            people = ", then ".join(lookup("persons", p)["name"] for p in through)
            steps.append(Step("fact", f"So {lookup('persons', record['relative_id'])['name']} is the "
                                      f"{kinship_word(record['kind'])} of "
                                      f"{lookup('persons', record['person_id'])['name']} "
                                      f"({degree_words(record)}), through {people} (derived from the "
                                      "records above).", "kinship", record["id"]))
        elif record.get("line") or record.get("degree") is not None:
            steps.append(Step("fact", f"Counted as civil law counts kinship: "
                                      f"{lookup('persons', record['relative_id'])['name']} is the "
                                      f"{kinship_word(record['kind'])} of "
                                      f"{lookup('persons', record['person_id'])['name']}, "
                                      f"{degree_words(record)}.", "kinship", record["id"]))

    for var, binding in rule.match.items():
        type_name = compiled.var_types[var]
        record = records[var]
        if record is None:
            if var in compiled.optional_vars:
                steps.append(Step("fact", f"No {binding.means or type_name[:-1]} matching the rule is recorded "
                                          f"({var}).", outcome="none"))
            continue
        used = {f for v, f in compiled.fields_used if v == var}
        if type_name == "kinship":
            paths = [record] + [lookup("kinship", k) for k in row.get("p__" + var) or [] if k != record["id"]]
            if len(paths) > 1:
                ways = "; ".join(_path_words(k, lookup) for k in paths)
                steps.append(Step("fact", f"{lookup('persons', record['person_id'])['name']} and "
                                          f"{lookup('persons', record['relative_id'])['name']} are related in "
                                          f"{len(paths)} ways, each shown below: {ways}. The most serious "
                                          "outcome among them decides the finding.", "kinship", record["id"]))
            for path in paths:
                kin_path(path, bool(used))
            continue
        if type_name == "org_within" and record["depth"] == 0:
            continue  # "the body is itself" is no fact a reader needs
        fact(type_name, record, used)
        for fname, f in schema.record_type(type_name).fields.items():
            if f.type == "ref" and f.to == "organizations" and record.get(fname):
                fact("organizations", lookup("organizations", record[fname]), set())

    for name, kind in compiled.lets.items():
        words = lets[name]
        if kind == "date" and words not in ("unknown",) and row[f"l__{name}__lo"] != row[f"l__{name}__hi"]:
            words += " (not a single day, because a date it is worked out from is recorded only in part)"
        steps.append(Step("value", f"{name.replace('_', ' ').capitalize()}: {words}.", formula=rule.let[name]))
    undecided = []
    for check in compiled.checks:
        value = row[check.column]
        holds, unknown = _check_words(check)
        if value is None:
            why = [w for var, pname in check.relations
                   if (w := relation_reason(params[pname], (records.get(var) or {}).get("kind")))]
            if why:
                unknown += " (" + "; ".join(why) + ")"
            undecided.append(unknown)
            steps.append(Step("check", f"Cannot be decided from the data: {unknown}.", outcome="unknown",
                              formula=check.text if check.means else None))
        else:
            steps.append(Step("check", f"{holds[0].upper()}{holds[1:]}.", outcome="holds",
                              formula=check.text if check.means else None))
    if status == "undetermined" and not undecided:
        # Every check held, so a status clause could not be decided: name it.
        for clause in compiled.clauses:
            if row[clause.column] is None:
                wording = clause.means or clause.text
                undecided.append(f"whether {wording}")
                steps.append(Step("check", f"Cannot be decided from the data: whether {wording}.",
                                  outcome="unknown"))
                break
            if row[clause.column]:
                break
    decision = _decision(compiled, row, status)
    steps.append(Step("decision", decision))

    context = {var: _template_record(rec) for var, rec in records.items()}
    context.update(lets)
    context.update(status=status, params=params, as_of=as_of.isoformat(), rule=rule)
    summary = render_rule_text(rule.summary, context)
    explanation = render_rule_text(rule.explanation, context)

    person = bound[rule.subject]
    related = sorted({bound[v] for v in rule.related if bound[v] and bound[v] != person})
    sources = sorted({s for step in steps for s in step.sources})
    records_json = {var: rid for var, rid in bound.items() if rid is not None}
    for var in compiled.kinship_vars:
        paths = [lookup("kinship", k) for k in row["p__" + var]]
        records_json[var] = sorted({r for k in paths for r in (k["relations"] or [k["id"]])})
    key = {var: rid for var, rid in bound.items()
           if var not in compiled.kinship_vars and rule.match[var].key}
    return Finding(
        id=finding_id(rule.id, key), records=records_json, rule=rule.id, rule_version=rule.version, rule_title=rule.title,
        kind=rule.kind, status=status, severity=rule.severity, person=person, related=related,
        summary=summary, explanation=explanation, steps=steps, sources=sources,
        caveats=list(dict.fromkeys(caveats)), undecided=undecided, params=params, bound=bound,
        identity_links=used_links, weak_facts=weak_facts(steps),
    )


def _check_words(check: Check) -> tuple[str, str]:
    """How a check reads when it holds, and when the data cannot decide it. A scope limit or an exemption
    names the law that sets it, so a reader sees which part of the article was weighed."""
    wording = check.means or check.text
    law = f" ({check.law})" if check.law else ""
    if check.kind == "scope":
        return f"within the law's scope: {wording}{law}", f"whether the law covers this: {wording}{law}"
    if check.kind == "exemption":
        return (f"the law's exemption does not apply: {wording}{law}",
                f"whether the law's exemption applies: {wording}{law}")
    if check.kind == "contested":
        return (f"the contested exception does not apply: {wording}{law}",
                f"the law is unsettled where {wording}{law}: {check.reason.strip()}")
    return wording, wording


def _path_words(kin: dict, lookup: RecordLookup) -> str:
    words = kinship_word(kin["kind"])
    through = kin.get("through") or ([kin["via"]] if kin.get("via") else [])
    if through:
        words += " through " + ", then ".join(lookup("persons", p)["name"] for p in through)
    return f"{words} ({degree_words(kin)}; {kin['status']})"


def _decision(compiled: CompiledRule, row: dict, status: str) -> str:
    if status == "undetermined":
        return "Status: undetermined - the data cannot decide at least one condition above."
    for clause in compiled.clauses:
        if row[clause.column]:
            return f"Status: {status}, because {clause.means or clause.text}."
    if compiled.rule.kind == "risk_indicator":
        return f"Status: {status} - every condition of the rule holds."
    return f"Status: {status}."  # pragma: no cover - a clause always decides a duty's status


def _template_record(record: dict | None) -> dict:
    """What a template sees of a record: its fields as written (empty for a missing optional one)."""
    if record is None:
        return {}
    return {k: v for k, v in record.items() if not k.endswith(("__lo", "__hi"))}
