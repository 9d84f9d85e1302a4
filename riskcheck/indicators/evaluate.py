"""A unit indicator over one case: each unit's figures, and a finding for each unit the rule flags.

The finding is about the unit. People appear in it only as the pairs or the group behind the unit's
figure, each with the records (and their sources) that put them there; the rule's `what_it_cannot_show`
stands in the finding itself, so no reader takes a shared surname for a family tie. What differs between
methods (the test, the figures in words) is the method's (riskcheck.indicators.methods); the frame every
unit finding shares is here.
"""

from __future__ import annotations

from datetime import date

from riskcheck.engine.evaluate import RecordLookup
from riskcheck.engine.facts import describe, step_flags
from riskcheck.registry.date_words import day_words
from riskcheck.engine.findings import Finding, Step, finding_id, weak_facts
from riskcheck.indicators.compile import CompiledIndicator, resolve_settings
from riskcheck.indicators.methods.base import UnitResult
from riskcheck.indicators.staff import StaffMember, period_start, unit_staff
from riskcheck.registry.load import Registry
from riskcheck.grammar.translations import finding_texts
from riskcheck.i18n import _, current
from riskcheck.templating import render_rule_text


def evaluate_indicator(compiled: CompiledIndicator, registry: Registry, as_of: date, params: dict,
                       lookup: RecordLookup | None = None) -> list[Finding]:
    lookup = lookup or RecordLookup(registry)
    rule = compiled.rule
    settings = resolve_settings(compiled, params)
    strata = settings.get("strata", [])
    staff = unit_staff(registry, settings, as_of, strata)
    by_unit: dict[str, list[StaffMember]] = {}
    for member in staff:
        by_unit.setdefault(member.unit, []).append(member)
    start = period_start(as_of, settings["within_months"])
    found = compiled.method.units(registry, by_unit, settings, start, as_of, rule.id)
    # Every record the findings will show, fetched in a few queries: one query per finding cost seconds at
    # national scale (a family-cluster finding for each planted unit and each unit above it).
    lookup.prefetch("organizations", {r.unit for r in found})
    lookup.prefetch("tenures", {t for r in found for t in r.tenures})
    kinship = {k for r in found for k in r.kinship}
    if kinship:
        lookup.prefetch("kinship", kinship)
        lookup.prefetch("relations", {r for k in kinship for r in (lookup("kinship", k) or {}).get("relations") or ()})
    return [_finding(compiled, result, lookup, params, settings, as_of, start) for result in found]


def _finding(compiled: CompiledIndicator, result: UnitResult, lookup: RecordLookup, params: dict, settings: dict,
             as_of: date, start: date) -> Finding:
    """The finding about one unit: its staff, the people behind its figure, the figures in the method's words,
    the condition, and the rule's own summary and explanation."""
    rule, unit, status = compiled.rule, result.unit, result.status
    steps: list[Step] = []
    caveats: list[str] = []
    shown: set[tuple[str, str]] = set()

    def fact(into: list[Step], type_name: str, record: dict | None) -> None:
        if record is None or (type_name, record["id"]) in shown:
            return
        shown.add((type_name, record["id"]))
        sources, flags, notes = step_flags(type_name, record, len(steps) + len(into) + 1, lookup,
                                           lookup.registry.schema)
        caveats.extend(notes)
        into.append(Step("fact", describe(type_name, record, lookup), type_name, record["id"], sources, flags))

    org = lookup("organizations", unit) or {"id": unit, "name": unit}
    figures = {"unit_name": org["name"], **result.figures}
    fact(steps, "organizations", org)
    when = (_("on %(day)s") % {"day": day_words(as_of)} if start == as_of
            else _("at any time from %(start)s to %(end)s") % {"start": day_words(start), "end": day_words(as_of)})
    staff = (_("Staff: %(staff)s people served in %(unit)s and the units under it %(when)s")
             if settings["include_units_under"] else _("Staff: %(staff)s people served in %(unit)s %(when)s")) \
        % {"staff": figures["staff"], "unit": org["name"], "when": when}
    if figures["possible_staff"]:
        staff += _("; %(more)s more may have (their tenures' dates are recorded only in part)") \
            % {"more": figures["possible_staff"]}
    steps.append(Step("value", staff + "."))
    steps += result.steps_for(fact, lookup)
    figure_steps, check = compiled.method.figure_steps(figures)
    steps += figure_steps
    undecided = []
    if status == "undetermined":
        why = compiled.method.undetermined_why
        undecided.append(_("whether %(check)s: it holds only when %(why)s are counted") % {"check": check, "why": why})
        steps.append(Step("check", _("Cannot be decided from the data: whether %(check)s; it holds only when "
                                     "%(why)s are counted.") % {"check": check, "why": why}, outcome="unknown"))
        steps.append(Step("decision", _("Status: undetermined - the data cannot decide the condition above.")))
    else:
        steps.append(Step("check", f"{check[0].upper()}{check[1:]}.", outcome="holds"))
        steps.append(Step("decision", _("Status: %(status)s - a lead about the unit, not a finding about any "
                                        "person in it.") % {"status": _(status)}))

    context = {"unit": {k: v for k, v in org.items() if not k.endswith(("__lo", "__hi"))}, "m": figures,
               "status": status, "params": params, "as_of": as_of.isoformat(), "rule": rule}
    texts, in_english = finding_texts(rule, current())
    summary = render_rule_text(texts["summary"], context)
    explanation = render_rule_text(texts["explanation"], context)
    people = sorted({s.record_id for s in steps if s.record_type == "tenures" and s.record_id})
    return Finding(
        id=finding_id(rule.id, {"unit": unit}), rule=rule.id, rule_version=rule.version, rule_title=texts["title"],
        kind=rule.kind, status=status, severity=rule.severity, person="", related=[], unit=unit,
        summary=summary, explanation=explanation, steps=steps,
        sources=sorted({s for step in steps for s in step.sources}), caveats=list(dict.fromkeys(caveats)),
        undecided=undecided, params=params, bound={"unit": unit}, records={"unit": unit, "tenures": people},
        weak_facts=weak_facts(steps), figures=figures, limits=" ".join(texts["what_it_cannot_show"].split()),
        in_english=in_english,
    )

