"""`same_surname_pairs`: staff sharing a surname (or patronymic) stem, after Grilli & Allesina (PNAS, 2017).

The figure is the number of pairs of a unit's staff whose stems agree, folded across gender, script and the
-uly/-kyzy and -ov/-ev forms (riskcheck.indicators.surnames); the null shuffles stems within strata
(riskcheck.indicators.null.SurnameNull). A shared surname is not a family tie: the finding says so, and
lists the pairs so a reader can check them.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Literal

from riskcheck.engine.evaluate import RecordLookup
from riskcheck.engine.findings import Step
from riskcheck.indicators.methods.base import (IndicatorMethod, StrataTestSettings, Testing, UnitResult,
                                               composition_of, floor_reached, p_words, strata_words)
from riskcheck.indicators.staff import StaffMember
from riskcheck.indicators.surnames import name_stems
from riskcheck.indicators.workers import in_unit_order
from riskcheck.registry.load import Registry

if TYPE_CHECKING:
    from riskcheck.indicators.null import SurnameNull

MAX_PAIRS_SHOWN = 50  # stems listed in a finding; the figures count all of them


class SurnamePairs(StrataTestSettings):
    names: Literal["surname", "patronymic", "surname_and_patronymic"] | str = "surname"
    weighting: Literal["none", "rarity"] | str = "none"
    min_pairs: int | str = 2


class SameSurnamePairs(IndicatorMethod):
    name = "same_surname_pairs"
    Settings = SurnamePairs
    setting_types = {"names": "text", "strata": "list", "alpha": "number", "correction": "text",
                     "weighting": "text", "min_pairs": "int", "permutations": "int", "seed": "int"}
    undetermined_why = "staff whose tenures' dates are recorded only in part"
    doc_steps = [
        "1. **Staff.** Everyone holding a post in the unit on the as-of date (or in the `within_months` before it), "
        "with the units under it when `include_units_under` is set; a person counts once. A tenure whose partial "
        "dates may or may not cover the date makes a *possible* member, kept apart.",
        "2. **Stems.** Each person's surname (or the part `names` chooses: the patronymic, or surname and "
        "patronymic together) is read with riskcheck's names module and folded to its stem across gender, script "
        "and the -uly/-kyzy and -ov/-ev forms.",
        "3. **Observed.** The pairs of staff sharing a stem: the sum over stems of k(k-1)/2.",
        "4. **Null.** Stems are shuffled among everyone serving in the same stratum ({strata}) across the case: a "
        "unit's staff in each stratum are a random sample, without replacement, of that stratum's people. The "
        "expected number of pairs is computed exactly; the p-value, P(pairs >= observed), from random draws "
        "seeded by the rule's `seed` and the unit's id, stopped early once 20 draws reach the observed count "
        "(Besag and Clifford).",
        "5. **Correction.** The p-value is multiplied by the number of units tested ({correction}).",
        "6. **Status.** *flagged* when the corrected p-value is at most `alpha` and the unit has at least "
        "`min_pairs` pairs; *undetermined* when that holds only if possible members are counted. Other units give "
        "no finding.",
    ]

    def units(self, registry: Registry, by_unit: dict[str, list[StaffMember]], settings: dict, start: date,
              end: date, rule_id: str) -> list[UnitResult]:
        # Imported here, with numpy, only once a unit is tested: a run without unit indicators never loads it.
        from riskcheck.indicators.null import SurnameNull
        persons = {m.person for members in by_unit.values() for m in members}
        stems = name_stems(registry, persons, settings["names"])
        null = SurnameNull(_pools(by_unit, stems))
        named = {unit: [m for m in members if m.person in stems] for unit, members in by_unit.items()}
        tested = sorted(u for u, members in named.items()
                        if sum(m.certain for m in members) >= settings["min_staff"])
        testing = Testing.of(rule_id, len(tested), settings)
        out = []
        results = in_unit_order(lambda unit: _test_unit(unit, named[unit], stems, null, settings, testing), tested)
        for unit, result in zip(tested, results):
            if result is None:
                continue
            status, group, test, adjusted = result
            figures = {
                "staff": sum(m.certain for m in by_unit[unit]),
                "possible_staff": sum(not m.certain for m in by_unit[unit]),
                "staff_named": len(group), "staff_unnamed": len(by_unit[unit]) - len(named[unit]),
                "observed": test.observed, "expected": round(test.expected, 2),
                "ratio": round(test.observed / test.expected, 1) if test.expected else None,
                "p_value": test.p_value, "p_adjusted": adjusted, "units_tested": len(tested), "draws": test.draws,
                "correction": settings["correction"], "alpha": settings["alpha"],
                "strata": settings.get("strata", []), "names": settings["names"], "weighting": settings["weighting"],
            }
            if test.score is not None:
                figures.update(score=round(test.score, 2), expected_score=round(test.expected_score, 2))
            out.append(UnitResult(unit, status, figures, _surname_steps(group, stems, figures),
                                  tenures={m.tenure for m in group}, kinship=set()))
        return out

    def figure_steps(self, figures: dict) -> tuple[list[Step], str]:
        steps = []
        if figures["staff_unnamed"]:
            steps.append(Step("value", f"{figures['staff_unnamed']} staff have no {figures['names']} riskcheck can "
                                       "read; they are left out of the pairs and of the null."))
        steps.append(Step("value", f"Same-{figures['names']} pairs: {figures['observed']} observed among "
                                   f"{figures['staff_named']} staff; {figures['expected']} expected if staff were drawn "
                                   f"at random within the same strata ({strata_words(figures)})."))
        rarity = figures["weighting"] == "rarity"
        if rarity:
            steps.append(Step("value", f"Rarity score: {figures['score']} observed, about {figures['expected_score']} "
                                       "expected (the mean of the random draws). Each person who shares a stem with "
                                       "someone before them adds -ln(q), where q is the chance that one of this "
                                       "unit's staff drawn at random bears that stem: five bearers of a rare name "
                                       "outweigh a dozen of the region's commonest. The test below is on this "
                                       "score."))
        what = "score" if rarity else f"{figures['observed']} pairs"
        floor = (f"; no draw reached {'the score' if rarity else what}, and "
                 f"{p_words(figures['p_value'])} is the smallest p-value {figures['draws']:,} draws can give"
                 if floor_reached(figures) else "")
        steps.append(Step("value", f"P-value: {p_words(figures['p_value'])} ({figures['draws']:,} random draws of "
                                   f"this unit's staff from the pools{floor}); corrected for the "
                                   f"{figures['units_tested']:,} units tested ({figures['correction']}): "
                                   f"{p_words(figures['p_adjusted'])}."))
        check = (f"the corrected p-value {p_words(figures['p_adjusted'])} is at most {figures['alpha']}: so many "
                 "pairs would rarely arise by chance in a unit of this size and make-up")
        return steps, check


def _pools(by_unit: dict[str, list[StaffMember]], stems: dict) -> dict[tuple, list[str]]:
    """Each stratum's pool of stems.

    A stratum's pool is everyone serving in it (a person holding posts in two strata is in both), and a
    unit's staff are drawn from the pools of the strata they serve the unit in: so a body that holds the
    whole of its strata, as a region's akimat holds the region, is its own null and is never flagged.
    (With one stratum per person, the region's people holding a second post in a ministry were drawn from
    the nation's names, and a region's akimat looked clustered against them.)"""
    in_stratum = sorted({(m.stratum, m.person) for members in by_unit.values() for m in members if m.person in stems})
    pools: dict[tuple, list[str]] = {}
    for stratum, person in in_stratum:
        pools.setdefault(stratum, []).append(stems[person][0])
    return pools


def _test_unit(unit: str, members: list[StaffMember], stems: dict, null: SurnameNull, settings: dict,
               testing: Testing):
    """(status, staff counted, test, corrected p) for a unit that passes: on its certain staff (flagged), or
    only once its possible staff are counted (undetermined); None for a unit that passes neither way."""
    # Imported here, with numpy, only once a unit is tested: a run without unit indicators never loads it.
    from riskcheck.indicators.null import pairs_of
    for with_possible in (False, True):
        group = [m for m in members if m.certain or with_possible]
        if with_possible and len(group) == len([m for m in members if m.certain]):
            break
        group_stems = [stems[m.person][0] for m in group]
        if pairs_of(group_stems) < settings["min_pairs"]:
            continue
        test = null.test(composition_of(group), group_stems, unit, settings["seed"], testing.max_draws,
                         weighted=settings["weighting"] == "rarity", stop_after=testing.stop_after)
        adjusted = min(1.0, test.p_value * testing.factor)
        if adjusted <= settings["alpha"]:
            return ("flagged" if not with_possible else "undetermined", group, test, adjusted)
    return None


def _surname_steps(group: list[StaffMember], stems: dict, figures: dict):
    """The shared stems behind a unit's figure, largest first, each with the staff who bear it."""
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
                              "tenures", ms[0].tenure, sources, flags, people=[m.person for m in ms]))
        if len(shared) > MAX_PAIRS_SHOWN:
            steps.append(Step("fact", f"{len(shared) - MAX_PAIRS_SHOWN} more shared stems are counted in the "
                                      "figures but not listed here."))
        return steps
    return steps_for


def _post_words(m: StaffMember, lookup: RecordLookup) -> str:
    tenure = lookup("tenures", m.tenure) or {}
    post = lookup("positions", tenure.get("position_id")) or {}
    return f"{post.get('title', tenure.get('position_id'))}, tenure {m.tenure}"
