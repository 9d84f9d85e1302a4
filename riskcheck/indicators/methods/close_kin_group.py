"""`close_kin_group`: groups of staff joined by recorded or derived close-kin links, against chance.

The figure is the number of a unit's staff in groups of at least `min_group` relatives
(riskcheck.indicators.kin_groups); the null fills the unit's posts at random within strata from everyone
serving there, each person keeping their family links (riskcheck.indicators.null.KinNull). Established
links make the certain group; an alleged link, or one whose dates may not reach the period, can only make
a finding undetermined.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from riskcheck.engine.evaluate import RecordLookup
from riskcheck.engine.findings import Step
from riskcheck.indicators.kin_groups import KinLink, groups, staff_links
from riskcheck.indicators.methods.base import (IndicatorMethod, StrataTestSettings, Testing, UnitResult,
                                               composition_of, floor_reached, how_often, p_words, strata_words)
from riskcheck.indicators.staff import StaffMember
from riskcheck.indicators.workers import in_unit_order
from riskcheck.registry.load import Registry
from riskcheck.templating import kinship_word

if TYPE_CHECKING:
    from riskcheck.indicators.null import KinNull


class KinGroup(StrataTestSettings):
    """The null: staff shuffled within strata, the families kept (riskcheck.indicators.null.KinNull)."""

    close_relatives: list[str] | str
    min_relation_status: str = "reported"
    min_group: int | str = 3


class CloseKinGroup(IndicatorMethod):
    name = "close_kin_group"
    Settings = KinGroup
    setting_types = {"close_relatives": "list", "min_relation_status": "status", "min_group": "int",
                     "strata": "list", "alpha": "number", "correction": "text", "permutations": "int", "seed": "int"}
    undetermined_why = "members or family links the data does not establish for the period"
    doc_steps = [
        "1. **Staff.** Everyone holding a post in the unit on the as-of date (or in the `within_months` before it), "
        "with the units under it when `include_units_under` is set.",
        "2. **Links.** Recorded and derived kinship (see the rule language) of a kind in `close_relatives` and a "
        "status of at least `min_relation_status`, between two of the unit's staff, in force during the period.",
        "3. **Observed.** Staff joined to each other by such links, directly or through another member, form a "
        "group; the figure tested is the number of staff in groups of at least `min_group`.",
        "4. **Null.** The unit's posts filled at random from everyone serving in the same stratum ({strata}) "
        "across the case, each person keeping their family links: the families and the units' sizes are kept. "
        "The expected figure is the mean of the draws; the p-value, P(figure >= observed), comes from random "
        "draws seeded by the rule's `seed` and the unit's id, stopped early once 20 draws reach the observed "
        "figure (Besag and Clifford) or the unit can no longer pass its corrected threshold.",
        "5. **Correction.** The p-value is multiplied by the number of units tested ({correction}): units with at "
        "least `min_group` staff whose strata's people hold a group of `min_group` relatives. A unit that holds "
        "every post of its strata (a region's akimat, when the region is a stratum) is its own null, is not "
        "tested and gives no finding.",
        "6. **Status.** *flagged* when the largest group of certain members joined by established links "
        "(reported or confirmed, surely in force) has at least `min_group` people and the corrected p-value is at "
        "most `alpha`; *undetermined* when that holds only with a member whose tenure may not cover the date, or "
        "a link that is alleged or whose dates may not reach it. Other units give no finding.",
    ]

    def units(self, registry: Registry, by_unit: dict[str, list[StaffMember]], settings: dict, start: date,
              end: date, rule_id: str) -> list[UnitResult]:
        # Imported here, with numpy, only once a unit is tested: a run without unit indicators never loads it.
        from riskcheck.indicators.null import KinNull
        persons = {m.person for members in by_unit.values() for m in members}
        links = staff_links(registry, persons, settings["close_relatives"], settings["min_relation_status"],
                            start, end)
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
        testing = Testing.of(rule_id, len(tested), settings)
        out = []

        def test_one(unit: str):
            if sum(m.person in linked for m in by_unit[unit]) < need:
                return None
            return _test_unit(unit, by_unit[unit], linked, admitted, nulls, doubtful, settings, testing)

        for unit, result in zip(tested, in_unit_order(test_one, tested)):
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
                       "correction": settings["correction"], "alpha": settings["alpha"],
                       "strata": settings.get("strata", [])}
            member_of = {m.person: m for m in by_unit[unit]}
            out.append(UnitResult(unit, status, figures, _group_steps(people, inside, member_of),
                                  tenures={member_of[p].tenure for p in people},
                                  kinship={k.kinship_id for k in inside}))
        return out

    def figure_steps(self, figures: dict) -> tuple[list[Step], str]:
        steps = [Step("value", f"Largest group of close relatives: {figures['group']} of {figures['staff']} "
                               f"staff ({figures['share']}%)"
                               + (f"; {figures['other_groups']} more groups of {figures['min_group']} or more"
                                  if figures["other_groups"] else "") + "."),
                 Step("value", f"Staff in groups of {figures['min_group']} or more close relatives: "
                               f"{figures['in_groups']} observed; about {figures['expected']} expected (the mean "
                               "of the random draws) had the same posts been filled at random from everyone "
                               f"serving in the same strata ({strata_words(figures)}), each with their family "
                               "links.")]
        if floor_reached(figures):
            often = (f"none put {figures['in_groups']} or more staff in such groups, and "
                     f"{p_words(figures['p_value'])} is the smallest p-value that many draws can give")
        else:
            often = f"{figures['in_groups']} or more staff were in such groups {how_often(figures['p_value'])}"
        steps.append(Step("value", f"P-value: {p_words(figures['p_value'])}: in {figures['draws']:,} random draws "
                                   f"of this unit's staff, {often}; corrected for the {figures['units_tested']:,} "
                                   f"units tested ({figures['correction']}): {p_words(figures['p_adjusted'])}."))
        check = (f"the corrected p-value {p_words(figures['p_adjusted'])} is at most {figures['alpha']}: a group of "
                 f"{figures['group']} close relatives would rarely arise by chance in a unit of this size and "
                 "make-up")
        return steps, check


def _test_unit(unit: str, members: list[StaffMember], linked: set[str], admitted: dict[bool, list[KinLink]],
               nulls: dict[bool, KinNull], doubtful: list[KinLink], settings: dict, testing: Testing):
    """(status, groups, test, corrected p) for a unit that passes: on its certain members and established
    links (flagged), or only once the doubtful ones are counted (undetermined); None otherwise."""
    need = settings["min_group"]
    here = {m.person for m in members}
    in_doubt = any(not m.certain for m in members) or any(k.a in here and k.b in here for k in doubtful)
    for sure in (True, False) if in_doubt else (True,):
        counted = [m for m in members if m.certain or not sure]
        found = groups([m.person for m in counted if m.person in linked], admitted[sure])
        if not found or len(found[0][0]) < need:
            continue
        test = nulls[sure].test(composition_of(counted), [m.person for m in counted], unit, settings["seed"],
                                testing.max_draws, need, stop_after=testing.stop_after)
        adjusted = min(1.0, test.p_value * testing.factor)
        if adjusted <= settings["alpha"]:
            return ("flagged" if sure else "undetermined", found, test, adjusted)
    return None


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
    """The group behind a unit's figure: each member's tenure, and each link with the records it rests on."""
    def steps_for(fact, lookup: RecordLookup) -> list[Step]:
        lookup.prefetch("tenures", {member_of[p].tenure for p in people})
        lookup.prefetch("kinship", {k.kinship_id for k in inside})
        steps: list[Step] = []
        for p in people:
            fact(steps, "tenures", lookup("tenures", member_of[p].tenure))
            if not member_of[p].certain:
                steps.append(Step("check", "Cannot be decided from the data: whether this tenure covered the "
                                           "period (its dates are recorded only in part).", outcome="unknown"))
        for k in inside:
            kin = lookup("kinship", k.kinship_id) or {}
            for rel_id in kin.get("relations") or []:
                fact(steps, "relations", lookup("relations", rel_id))
            words = _link_words(k, kin, lookup)
            if words:
                steps.append(Step("fact", words.strip(), "kinship", k.kinship_id,
                                  outcome=None if k.certain else "unknown"))
        return steps
    return steps_for


def _link_words(k: KinLink, kin: dict, lookup: RecordLookup) -> str:
    """A derived link said through whom it runs, and a doubtful one said to be so."""
    def name(pid: str) -> str:
        return (lookup("persons", pid) or {}).get("name", pid)

    through = kin.get("through") or []
    words = ""
    if through:
        words = (f"So {name(kin.get('relative_id', k.b))} is the {kinship_word(k.kind)} of "
                 f"{name(kin.get('person_id', k.a))}, through {', then '.join(name(x) for x in through)}. ")
    if not k.certain:
        words += (f"The link between {name(k.a)} and {name(k.b)} is not established for the period (its "
                  "status or its dates), so it cannot make the group certain.")
    return words
