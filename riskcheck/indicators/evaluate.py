"""A unit indicator over one case: each unit's figures, and a finding for each unit the rule flags.

The finding is about the unit. People appear in it only as the pairs or the group behind the unit's
figure, each with the records (and their sources) that put them there; the rule's `what_it_cannot_show`
stands in the finding itself, so no reader takes a shared surname for a family tie.
"""

from __future__ import annotations

from datetime import date

from riskcheck.engine.evaluate import RecordLookup
from riskcheck.engine.facts import describe, step_flags
from riskcheck.engine.findings import Finding, Step, finding_id, weak_facts
from riskcheck.indicators.compile import CompiledIndicator, resolve_settings
from riskcheck.indicators.kin_groups import KinLink, groups, staff_links
from riskcheck.indicators.null import KinNull, SurnameNull, bounded_draws, curtailed_stop, pairs_of
from riskcheck.indicators.staff import StaffMember, period_start, unit_staff
from riskcheck.indicators.surnames import name_stems
from riskcheck.registry.load import Registry
from riskcheck.templating import kinship_word, render_rule_text

MAX_PAIRS_SHOWN = 50  # stems listed in a finding; the figures count all of them


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
    if rule.measure.method == "same_surname_pairs":
        found = _surname_units(registry, by_unit, settings, strata, rule.id)
    else:
        found = _kin_group_units(registry, by_unit, settings, start, as_of, rule.id)
    # Every record the findings will show, fetched in a few queries: one query per finding cost seconds at
    # national scale (a family-cluster finding for each planted unit and each unit above it).
    lookup.prefetch("organizations", {unit for unit, *_ in found})
    lookup.prefetch("tenures", {t for *_, steps_for in found for t in steps_for.tenures})
    kinship = {k for *_, steps_for in found for k in steps_for.kinship}
    if kinship:
        lookup.prefetch("kinship", kinship)
        lookup.prefetch("relations", {r for k in kinship for r in (lookup("kinship", k) or {}).get("relations") or ()})
    return [_finding(compiled, unit, status, figures, steps_for, lookup, params, settings, as_of, start)
            for unit, status, figures, steps_for in found]


# -- same-surname pairs ----------------------------------------------------------------------------------

def _surname_units(registry: Registry, by_unit: dict[str, list[StaffMember]], settings: dict, strata: list[str],
                   rule_id: str):
    which = settings["names"]
    persons = {m.person for members in by_unit.values() for m in members}
    stems = name_stems(registry, persons, which)
    # A stratum's pool is everyone serving in it (a person holding posts in two strata is in both), and a
    # unit's staff are drawn from the pools of the strata they serve the unit in: so a body that holds the
    # whole of its strata, as a region's akimat holds the region, is its own null and is never flagged.
    # (With one stratum per person, the region's people holding a second post in a ministry were drawn from
    # the nation's names, and a region's akimat looked clustered against them.)
    in_stratum = sorted({(m.stratum, m.person) for members in by_unit.values() for m in members if m.person in stems})
    pools: dict[tuple, list[str]] = {}
    for stratum, person in in_stratum:
        pools.setdefault(stratum, []).append(stems[person][0])
    null = SurnameNull(pools)
    named = {unit: [m for m in members if m.person in stems] for unit, members in by_unit.items()}
    tested = sorted(u for u, members in named.items() if sum(m.certain for m in members) >= settings["min_staff"])
    alpha, correction = settings["alpha"], settings["correction"]
    factor = max(1, len(tested)) if correction == "bonferroni" else 1
    max_draws = bounded_draws(rule_id, len(tested), alpha, correction, settings["permutations"])
    stop_after = curtailed_stop(alpha / factor, max_draws)
    out = []
    for unit in tested:
        members = named[unit]
        result = None
        for with_possible in (False, True):
            group = [m for m in members if m.certain or with_possible]
            if with_possible and len(group) == len([m for m in members if m.certain]):
                break
            group_stems = [stems[m.person][0] for m in group]
            if pairs_of(group_stems) < settings["min_pairs"]:
                continue
            composition: dict[tuple, int] = {}
            for m in group:
                composition[m.stratum] = composition.get(m.stratum, 0) + 1
            test = null.test(composition, group_stems, unit, settings["seed"], max_draws,
                             weighted=settings["weighting"] == "rarity", stop_after=stop_after)
            adjusted = min(1.0, test.p_value * factor)
            if adjusted <= alpha:
                result = ("flagged" if not with_possible else "undetermined", group, test, adjusted)
                break
        if result is None:
            continue
        status, group, test, adjusted = result
        figures = {
            "staff": sum(m.certain for m in by_unit[unit]), "possible_staff": sum(not m.certain for m in by_unit[unit]),
            "staff_named": len(group), "staff_unnamed": len(by_unit[unit]) - len(members),
            "observed": test.observed, "expected": round(test.expected, 2),
            "ratio": round(test.observed / test.expected, 1) if test.expected else None,
            "p_value": test.p_value, "p_adjusted": adjusted, "units_tested": len(tested), "draws": test.draws,
            "correction": correction, "alpha": alpha, "strata": strata, "names": which,
            "weighting": settings["weighting"],
        }
        if test.score is not None:
            figures.update(score=round(test.score, 2), expected_score=round(test.expected_score, 2))
        out.append((unit, status, figures, _surname_steps(group, stems, strata, figures)))
    return out


def _surname_steps(group: list[StaffMember], stems: dict, strata: list[str], figures: dict):
    def steps_for(fact, lookup: RecordLookup) -> list[Step]:
        by_stem: dict[str, list[StaffMember]] = {}
        for m in group:
            by_stem.setdefault(stems[m.person][0], []).append(m)
        shared = sorted(((s, ms) for s, ms in by_stem.items() if len(ms) > 1), key=lambda x: (-len(x[1]), x[0]))
        lookup.prefetch("tenures", {m.tenure for _, ms in shared for m in ms})
        steps = []
        for stem, ms in shared[:MAX_PAIRS_SHOWN]:
            people = "; ".join(f"{(lookup('persons', m.person) or {}).get('name', m.person)} "
                               f"(written {stems[m.person][1]}), {_post_words(m, lookup)}" +
                               ("" if m.certain else ", dates partial: may not have served then") for m in ms)
            sources = sorted({s for m in ms for s in (lookup("tenures", m.tenure) or {}).get("sources") or []})
            flags = ["unsourced"] if any(not (lookup("tenures", m.tenure) or {}).get("sources") for m in ms) else []
            steps.append(Step("fact", f"{len(ms)} staff share the {figures['names']} stem '{stem}' "
                                      f"({len(ms) * (len(ms) - 1) // 2} pairs): {people}.",
                              "tenures", ms[0].tenure, sources, flags))
        if len(shared) > MAX_PAIRS_SHOWN:
            steps.append(Step("fact", f"{len(shared) - MAX_PAIRS_SHOWN} more shared stems are counted in the "
                                      "figures but not listed here."))
        return steps
    steps_for.tenures = {m.tenure for m in group}
    steps_for.kinship = set()
    return steps_for


def _post_words(m: StaffMember, lookup: RecordLookup) -> str:
    tenure = lookup("tenures", m.tenure) or {}
    post = lookup("positions", tenure.get("position_id")) or {}
    return f"{post.get('title', tenure.get('position_id'))}, tenure {m.tenure}"


# -- groups of close relatives ---------------------------------------------------------------------------

def _kin_group_units(registry: Registry, by_unit: dict[str, list[StaffMember]], settings: dict, start: date,
                     end: date, rule_id: str):
    persons = {m.person for members in by_unit.values() for m in members}
    links = staff_links(registry, persons, settings["close_relatives"], settings["min_relation_status"], start, end)
    linked = {p for k in links for p in (k.a, k.b)}
    need = settings["min_group"]
    # The null keeps the families and the units' sizes: everyone serving in a stratum is its pool, as for
    # surnames, and the links between people go with them. Established links make the null of the certain
    # group; every admitted link that of the possible one.
    pools: dict[tuple, list[str]] = {}
    for stratum, person in sorted({(m.stratum, m.person) for members in by_unit.values() for m in members}):
        pools.setdefault(stratum, []).append(person)
    admitted = {True: [k for k in links if k.certain], False: links}
    nulls = {sure: KinNull(pools, [(k.a, k.b) for k in these]) for sure, these in admitted.items()}
    doubtful = [k for k in links if not k.certain]
    pooled = {stratum: set(people) for stratum, people in pools.items()}
    tested = [u for u in sorted(by_unit) if _testable(by_unit[u], pooled, nulls[False], need)]
    alpha, correction = settings["alpha"], settings["correction"]
    factor = max(1, len(tested)) if correction == "bonferroni" else 1
    max_draws = bounded_draws(rule_id, len(tested), alpha, correction, settings["permutations"])
    stop_after = curtailed_stop(alpha / factor, max_draws)
    out = []
    for unit in tested:
        if sum(m.person in linked for m in by_unit[unit]) < need:
            continue
        result = None
        here = {m.person for m in by_unit[unit]}
        in_doubt = (any(not m.certain for m in by_unit[unit])
                    or any(k.a in here and k.b in here for k in doubtful))
        for sure in (True, False) if in_doubt else (True,):
            counted = [m for m in by_unit[unit] if m.certain or not sure]
            found = groups([m.person for m in counted if m.person in linked], admitted[sure])
            if not found or len(found[0][0]) < need:
                continue
            composition: dict[tuple, int] = {}
            for m in counted:
                composition[m.stratum] = composition.get(m.stratum, 0) + 1
            test = nulls[sure].test(composition, [m.person for m in counted], unit, settings["seed"], max_draws,
                                    need, stop_after=stop_after)
            adjusted = min(1.0, test.p_value * factor)
            if adjusted <= alpha:
                result = ("flagged" if sure else "undetermined", found, test, adjusted)
                break
        if result is None:
            continue
        status, found, test, adjusted = result
        people, inside = found[0]
        staff = sum(m.certain for m in by_unit[unit])
        figures = {"staff": staff, "possible_staff": sum(not m.certain for m in by_unit[unit]),
                   "group": len(people), "share": round(100 * len(people) / max(staff, 1)),
                   "other_groups": sum(1 for g in found[1:] if len(g[0]) >= need), "min_group": need,
                   "in_groups": test.observed, "expected": round(test.expected, 2), "p_value": test.p_value,
                   "p_adjusted": adjusted, "units_tested": len(tested), "draws": test.draws,
                   "correction": correction, "alpha": alpha, "strata": settings.get("strata", [])}
        member_of = {m.person: m for m in by_unit[unit]}
        out.append((unit, status, figures, _group_steps(people, inside, member_of)))
    return out


def _testable(members: list[StaffMember], pools: dict[tuple, set[str]], null: KinNull, need: int) -> bool:
    """Whether a unit could be flagged at all, and so counts among the units tested: it has `need` staff, it
    does not hold everyone of its strata (a body that does, as a region's akimat holds the region, is its own
    null: every draw is its staff), and its strata's people hold a group of `need` relatives."""
    if len(members) < need:
        return False
    strata = sorted({m.stratum for m in members})
    if len(members) >= max(len(pools[s]) for s in strata):  # else some of a stratum's people serve elsewhere
        here = {m.person for m in members}
        if all(pools[s] <= here for s in strata):
            return False
    return null.can_reach(strata, need)


def _group_steps(people: list[str], inside: list[KinLink], member_of: dict[str, StaffMember]):
    def steps_for(fact, lookup: RecordLookup) -> list[Step]:
        lookup.prefetch("tenures", {member_of[p].tenure for p in people})
        lookup.prefetch("kinship", {k.kinship_id for k in inside})
        steps = []
        for p in people:
            fact(steps, "tenures", lookup("tenures", member_of[p].tenure))
            if not member_of[p].certain:
                steps.append(Step("check", "Cannot be decided from the data: whether this tenure covered the "
                                           "period (its dates are recorded only in part).", outcome="unknown"))
        for k in inside:
            kin = lookup("kinship", k.kinship_id) or {}
            for rel_id in kin.get("relations") or []:
                fact(steps, "relations", lookup("relations", rel_id))
            name = lambda pid: (lookup("persons", pid) or {}).get("name", pid)
            through = kin.get("through") or []
            words = ""
            if through:
                words = (f"So {name(kin.get('relative_id', k.b))} is the {kinship_word(k.kind)} of "
                         f"{name(kin.get('person_id', k.a))}, through {', then '.join(name(x) for x in through)}. ")
            if not k.certain:
                words += (f"The link between {name(k.a)} and {name(k.b)} is not established for the period (its "
                          "status or its dates), so it cannot make the group certain.")
            if words:
                steps.append(Step("fact", words.strip(), "kinship", k.kinship_id,
                                  outcome=None if k.certain else "unknown"))
        return steps
    steps_for.tenures = {member_of[p].tenure for p in people}
    steps_for.kinship = {k.kinship_id for k in inside}
    return steps_for


# -- the finding -------------------------------------------------------------------------------------------

def _finding(compiled: CompiledIndicator, unit: str, status: str, figures: dict, steps_for, lookup: RecordLookup,
             params: dict, settings: dict, as_of: date, start: date) -> Finding:
    rule = compiled.rule
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
    figures = {"unit_name": org["name"], **figures}
    fact(steps, "organizations", org)
    when = f"on {as_of}" if start == as_of else f"at any time from {start} to {as_of}"
    under = " and the units under it" if settings["include_units_under"] else ""
    steps.append(Step("value", f"Staff: {figures['staff']} people served in {org['name']}{under} {when}"
                               + (f"; {figures['possible_staff']} more may have (their tenures' dates are recorded "
                                  "only in part)" if figures["possible_staff"] else "") + "."))
    steps += steps_for(fact, lookup)
    undecided = []
    if rule.measure.method == "same_surname_pairs":
        strata = ", ".join(s.replace(".", " ") for s in figures["strata"]) or "none (the whole registry is one pool)"
        if figures["staff_unnamed"]:
            steps.append(Step("value", f"{figures['staff_unnamed']} staff have no {figures['names']} riskcheck can "
                                       "read; they are left out of the pairs and of the null."))
        steps.append(Step("value", f"Same-{figures['names']} pairs: {figures['observed']} observed among "
                                   f"{figures['staff_named']} staff; {figures['expected']} expected if staff were drawn "
                                   f"at random within the same strata ({strata})."))
        if figures["weighting"] == "rarity":
            steps.append(Step("value", f"Rarity score: {figures['score']} observed, about {figures['expected_score']} "
                                       "expected (the mean of the random draws). Each person who shares a stem with "
                                       "someone before them adds -ln(q), where q is the chance that one of this "
                                       "unit's staff drawn at random bears that stem: five bearers of a rare name "
                                       "outweigh a dozen of the region's commonest. The test below is on this "
                                       "score."))
        what = "score" if figures["weighting"] == "rarity" else f"{figures['observed']} pairs"
        floor = (f"; no draw reached {'the score' if figures['weighting'] == 'rarity' else what}, and "
                 f"{_p(figures['p_value'])} is the smallest p-value {figures['draws']:,} draws can give"
                 if figures["p_value"] * (figures["draws"] + 1) <= 1.000001 else "")
        steps.append(Step("value", f"P-value: {_p(figures['p_value'])} ({figures['draws']:,} random draws of this "
                                   f"unit's staff from the pools{floor}); corrected for the "
                                   f"{figures['units_tested']:,} units tested ({figures['correction']}): "
                                   f"{_p(figures['p_adjusted'])}."))
        check = (f"the corrected p-value {_p(figures['p_adjusted'])} is at most {figures['alpha']}: so many pairs "
                 "would rarely arise by chance in a unit of this size and make-up")
    else:
        strata = ", ".join(s.replace(".", " ") for s in figures["strata"]) or "none (the whole registry is one pool)"
        steps.append(Step("value", f"Largest group of close relatives: {figures['group']} of {figures['staff']} "
                                   f"staff ({figures['share']}%)"
                                   + (f"; {figures['other_groups']} more groups of {figures['min_group']} or more"
                                      if figures["other_groups"] else "") + "."))
        steps.append(Step("value", f"Staff in groups of {figures['min_group']} or more close relatives: "
                                   f"{figures['in_groups']} observed; about {figures['expected']} expected (the mean "
                                   "of the random draws) had the same posts been filled at random from everyone "
                                   f"serving in the same strata ({strata}), each with their family links."))
        if figures["p_value"] * (figures["draws"] + 1) <= 1.000001:
            often = (f"none put {figures['in_groups']} or more staff in such groups, and {_p(figures['p_value'])} is "
                     "the smallest p-value that many draws can give")
        else:
            often = (f"{figures['in_groups']} or more staff were in such groups {_how_often(figures['p_value'])}")
        steps.append(Step("value", f"P-value: {_p(figures['p_value'])}: in {figures['draws']:,} random draws of "
                                   f"this unit's staff, {often}; corrected for the {figures['units_tested']:,} units "
                                   f"tested ({figures['correction']}): {_p(figures['p_adjusted'])}."))
        check = (f"the corrected p-value {_p(figures['p_adjusted'])} is at most {figures['alpha']}: a group of "
                 f"{figures['group']} close relatives would rarely arise by chance in a unit of this size and make-up")
    if status == "undetermined":
        why = ("staff whose tenures' dates are recorded only in part" if rule.measure.method == "same_surname_pairs"
               else "members or family links the data does not establish for the period")
        undecided.append(f"whether {check}: it holds only when {why} are counted")
        steps.append(Step("check", f"Cannot be decided from the data: whether {check}; it holds only when {why} "
                                   "are counted.", outcome="unknown"))
        steps.append(Step("decision", "Status: undetermined - the data cannot decide the condition above."))
    else:
        steps.append(Step("check", f"{check[0].upper()}{check[1:]}.", outcome="holds"))
        steps.append(Step("decision", f"Status: {status} - a lead about the unit, not a finding about any person "
                                      "in it."))

    context = {"unit": {k: v for k, v in org.items() if not k.endswith(("__lo", "__hi"))}, "m": figures,
               "status": status, "params": params, "as_of": as_of.isoformat(), "rule": rule}
    summary = render_rule_text(rule.summary, context)
    explanation = render_rule_text(rule.explanation, context)
    people = sorted({s.record_id for s in steps if s.record_type == "tenures" and s.record_id})
    return Finding(
        id=finding_id(rule.id, {"unit": unit}), rule=rule.id, rule_version=rule.version, rule_title=rule.title,
        kind=rule.kind, status=status, severity=rule.severity, person="", related=[], unit=unit,
        summary=summary, explanation=explanation, steps=steps,
        sources=sorted({s for step in steps for s in step.sources}), caveats=list(dict.fromkeys(caveats)),
        undecided=undecided, params=params, bound={"unit": unit}, records={"unit": unit, "tenures": people},
        weak_facts=weak_facts(steps), figures=figures, limits=" ".join(rule.what_it_cannot_show.split()),
    )


def _p(p: float) -> str:
    return "1" if p >= 1 else f"{p:.2g}" if p >= 0.0001 else f"{p:.1e}"


def _how_often(p: float) -> str:
    """A p-value in words: 'about once in 2,500 draws'."""
    return "in most draws" if p >= 0.5 else f"about once in {round(1 / p):,} draws"
