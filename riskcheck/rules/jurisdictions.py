"""Which law judges what: the jurisdictions a case and its organizations state, the rule packs that apply,
and whether a finding is about bodies under the law of its rule.

A jurisdiction is an ISO 3166-1 alpha-2 code (KZ, US, BR ...), as rule packs are named. A case states it in
case.yaml; an organization may state its own, which the bodies under it (parent_id) share.
"""

from __future__ import annotations

from riskcheck.engine.evaluate import RecordLookup
from riskcheck.engine.findings import Finding
from riskcheck.errors import Problem
from riskcheck.registry.load import Registry
from riskcheck.rules.loader import LoadedRule


def case_jurisdictions(registry: Registry) -> list[str]:
    """The jurisdictions a case states: in case.yaml and on its organizations (ISO codes, upper case)."""
    stated = {row[0].strip().upper() for row in registry.conn.execute(
        "SELECT DISTINCT jurisdiction FROM organizations WHERE jurisdiction IS NOT NULL").fetchall()}
    return sorted(stated | set(registry.meta.jurisdictions))


def rules_for_case(rules: list[LoadedRule], jurisdictions: list[str], match: bool = True,
                   case_file: str = "case.yaml") -> tuple[list[LoadedRule], list[Problem], str]:
    """The rules a case is judged by, warnings about the choice, and a sentence saying how it was made.

    A rule bound to no jurisdiction always applies. A rule of a pack applies where the case (or one of its
    organizations) states that jurisdiction; a case that states none is judged by every pack loaded, and
    told so. Rules picked by hand (--rules) all apply.
    """
    packs = sorted({r.rule.jurisdiction.upper() for r in rules if r.rule.jurisdiction})
    if not match:
        return rules, [], "the rules chosen for this run (--rules), whatever jurisdiction the case states"
    if not jurisdictions:
        notes = []
        if len(packs) > 1:
            notes.append(Problem(case_file, None, f"states no jurisdiction, so the rules of every pack loaded "
                                 f"({', '.join(packs)}) were applied; state it (`jurisdiction: KZ`) to apply "
                                 "only that country's law", field="jurisdiction"))
        return rules, notes, "every rule pack loaded, as the case states no jurisdiction"
    chosen = [r for r in rules if not r.rule.jurisdiction or r.rule.jurisdiction.upper() in jurisdictions]
    notes = [Problem(case_file, None, f"jurisdiction {j} has no rule pack among the rules loaded "
                                        f"({', '.join(packs) or 'none'}); nothing of its law was checked",
                     field="jurisdiction") for j in jurisdictions if j not in packs]
    return chosen, notes, f"the rule packs of {', '.join(jurisdictions)}, the jurisdiction(s) the case states"


def organization_jurisdictions(registry: Registry) -> dict[str, str]:
    """Each organization's jurisdiction: its own, else the nearest stated above it, else the case's when the
    case states exactly one. Empty when no organization states one (nothing to scope by)."""
    # org_within (the store's) already pairs each body with itself and every body above it, with the depth.
    rows = registry.conn.execute("""
        SELECT w.organization_id, arg_min(upper(trim(o.jurisdiction)), w.depth)
        FROM org_within w JOIN organizations o ON o.id = w.within_id
        WHERE o.jurisdiction IS NOT NULL GROUP BY w.organization_id
    """).fetchall()
    if not rows:
        return {}
    default = registry.meta.jurisdictions[0] if len(registry.meta.jurisdictions) == 1 else None
    out = {oid: default for (oid,) in registry.conn.execute("SELECT id FROM organizations").fetchall()} \
        if default else {}
    out.update(dict(rows))
    return out


def judged_here(loaded: LoadedRule, finding: Finding, org_law: dict[str, str], lookup: RecordLookup) -> bool:
    """A finding of a country's rule stands unless every body it is about states another jurisdiction.

    The bodies are those of the organizations, posts and tenures the finding binds. One body under the
    rule's law, or one whose jurisdiction is not known, keeps it: a lead is dropped only on what the data
    says, never on what it leaves out.
    """
    if loaded.rule.jurisdiction is None:
        return True  # a rule of no one country is judged wherever its case is
    law = loaded.rule.jurisdiction.upper()
    bodies: set[str | None] = set()
    for var, type_name in loaded.compiled.var_types.items():
        rid = finding.bound.get(var)
        if rid is None:
            continue
        if type_name == "tenures":
            rid, type_name = (lookup("tenures", rid) or {}).get("position_id"), "positions"
        if type_name == "positions" and rid is not None:
            bodies.add((lookup("positions", rid) or {}).get("organization_id"))
        elif type_name == "organizations":
            bodies.add(rid)
    if not bodies:
        return True
    return any(b is None or org_law.get(b) in (None, law) for b in bodies)
