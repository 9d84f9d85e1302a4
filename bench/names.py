"""Name-matching benchmark: accuracy on two labelled pair sets, scoring speed, identity resolution at scale.

    python bench/names.py                   # everything, resolution of 1,000,000 persons
    python bench/names.py --persons 100000  # a quicker resolution run
    python bench/names.py --misses          # also list the pairs the matcher gets wrong

1. nomenklatura's public name-pair set (shared/bench/names, MIT): the Person rows, against logic-v2's
   frozen scores on the same rows.
2. riskcheck's own Central Asian set (tests/data/central_asian_name_pairs.csv).
3. Scoring speed on one core: names already parsed (as in a run, where each record is parsed once),
   and cold (parsing and transliteration included, every cache emptied).
4. Identity resolution of a synthetic registry (riskcheck's generator) with planted records of the same
   people written in Cyrillic (same birth date: must be linked) and namesakes (another birth date: must
   not be).
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import resource
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from riskcheck.names import compare as compare_module  # noqa: E402
from riskcheck.names import parse as parse_module  # noqa: E402
from riskcheck.names import skeleton as skeleton_module  # noqa: E402
from riskcheck.names.compare import DEFAULT_THRESHOLD, compare_parsed  # noqa: E402
from riskcheck.names.parse import parse_name  # noqa: E402
from riskcheck.names.resolve import PersonNames, name_forms, resolve  # noqa: E402

SHARED = REPO.parent / "shared" / "bench" / "names"
OWN = REPO / "tests" / "data" / "central_asian_name_pairs.csv"


def prf(rows: list[tuple[bool, bool]]) -> tuple[float, float, float, int, int, int]:
    tp = sum(1 for got, want in rows if got and want)
    fp = sum(1 for got, want in rows if got and not want)
    fn = sum(1 for got, want in rows if want and not got)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0), tp, fp, fn


def line(label: str, rows) -> str:
    p, r, f, tp, fp, fn = prf(rows)
    return f"  {label:<34} precision {p:.3f}  recall {r:.3f}  F1 {f:.3f}   (TP {tp}, FP {fp}, FN {fn})"


def score(a: str, b: str) -> float:
    return compare_parsed(parse_name(a), parse_name(b), explain=False).score


def accuracy(show_misses: bool) -> None:
    print(f"\n1. nomenklatura name pairs, Person rows (threshold {DEFAULT_THRESHOLD:.2f})")
    cases = [r for r in csv.DictReader(open(SHARED / "name_bench_cases.csv", encoding="utf-8")) if r["schema"] == "Person"]
    ours = [(score(r["name1"], r["name2"]) >= DEFAULT_THRESHOLD, r["is_match"] == "true") for r in cases]
    frozen = [r for r in csv.DictReader(open(SHARED / "logicv2-frozen.csv", encoding="utf-8")) if r["schema"] == "Person"]
    theirs = [(r["predicted_match"] == "true", r["is_match"] == "true") for r in frozen]
    print(f"  {len(cases)} pairs ({sum(w for _, w in ours)} matches)")
    print(line("riskcheck", ours))
    print(line("logic-v2 (frozen scores, 0.70)", theirs))
    if show_misses:
        misses(cases)

    print("\n2. riskcheck's Central Asian pairs (tests/data)")
    own = list(csv.DictReader(open(OWN, encoding="utf-8")))
    got = [(score(r["name1"], r["name2"]) >= DEFAULT_THRESHOLD, r["is_match"] == "true") for r in own]
    print(f"  {len(own)} pairs ({sum(w for _, w in got)} matches, {len(own) - sum(w for _, w in got)} hard negatives)")
    print(line("riskcheck", got))
    by_category: dict[str, list] = {}
    for r, g in zip(own, got):
        by_category.setdefault(r["category"].split("+")[0], []).append(g)
    wrong = {c: sum(1 for x, w in rows if x != w) for c, rows in sorted(by_category.items())}
    print("  wrong by category: " + ", ".join(f"{c} {n}/{len(by_category[c])}" for c, n in wrong.items()))
    if show_misses:
        misses(own)


def misses(rows: list[dict]) -> None:
    for r in rows:
        s = score(r["name1"], r["name2"])
        if (s >= DEFAULT_THRESHOLD) != (r["is_match"] == "true"):
            print(f"    {s:.2f} labelled {r['is_match']:<5} {r['name1']} | {r['name2']}")


def clear_caches() -> None:
    for fn in (skeleton_module.latin, skeleton_module.fold, parse_module.parse_name, parse_module.patronymic_key,
               parse_module.surname_form, parse_module._part, parse_module._surname_part, name_forms):
        fn.cache_clear()
    compare_module._PAIRS.clear()
    compare_module._metaphone.cache_clear()


def speed() -> None:
    print("\n3. scoring speed, one core")
    rows = list(csv.DictReader(open(SHARED / "name_bench_cases.csv", encoding="utf-8")))
    rows += list(csv.DictReader(open(OWN, encoding="utf-8")))
    pairs = [(r["name1"], r["name2"]) for r in rows]
    clear_caches()
    start = time.perf_counter()
    for a, b in pairs:
        score(a, b)
    cold = len(pairs) / (time.perf_counter() - start)
    parsed = [(parse_name(a), parse_name(b)) for a, b in pairs] * 100
    start = time.perf_counter()
    for a, b in parsed:
        compare_parsed(a, b, explain=False)
    warm = len(parsed) / (time.perf_counter() - start)
    start = time.perf_counter()
    for a, b in parsed[:len(pairs) * 10]:
        compare_parsed(a, b)
    explained = len(pairs) * 10 / (time.perf_counter() - start)
    print(f"  names parsed once (as in a run):      {warm:>9,.0f} pairs/s")
    print(f"  with the explanation worded:          {explained:>9,.0f} pairs/s")
    print(f"  cold (transliterate and parse too):   {cold:>9,.0f} pairs/s   ({len(pairs):,} distinct pairs, caches empty)")


_CYRILLIC = [("zh", "ж"), ("kh", "х"), ("sh", "ш"), ("ch", "ч"), ("ya", "я"), ("yu", "ю"), ("ye", "е"),
             ("uly", "ұлы"), ("kyzy", "қызы")] + list(zip("abdefghijklmnopqrstuvyz", "абдефгхижклмнопқрстувыз"))


def to_cyrillic(text: str) -> str:
    """A crude Kazakh-Cyrillic spelling of a synthetic Latin name (for planting, not for matching)."""
    out = []
    for word in text.split():
        low, res, i = word.lower(), "", 0
        while i < len(low):
            for latin, cyr in _CYRILLIC:
                if low.startswith(latin, i):
                    res, i = res + cyr, i + len(latin)
                    break
            else:
                res, i = res + low[i], i + 1
        out.append(res[:1].upper() + res[1:])
    return " ".join(out)


def resolution(n: int, seed: int) -> None:
    from riskcheck.synth.families import build_families
    from riskcheck.synth.writer import AS_OF
    print(f"\n4. identity resolution of a synthetic registry ({n:,} persons)")
    t0 = time.perf_counter()
    fam = build_families(n, random.Random(seed), AS_OF.year - 1)

    def interval(birth: str) -> tuple[date, date]:
        if len(birth) == 10:
            d = date.fromisoformat(birth)
            return d, d
        return date(int(birth), 1, 1), date(int(birth), 12, 31)

    # The registry is one source; the planted Cyrillic records come from a court register, another one.
    persons = [PersonNames(p.id, p.name, [], p.surname, p.given_name, p.patronymic, *interval(p.birth), p.gender,
                           sources=["s-registry"]) for p in fam.persons]
    rng = random.Random(seed)
    same, namesakes = [], []
    for p in rng.sample([p for p in fam.persons if len(p.birth) == 10], max(10, n // 2000)):
        lo, hi = interval(p.birth)
        same.append((p.id, f"cyr-{p.id}"))
        persons.append(PersonNames(f"cyr-{p.id}", to_cyrillic(p.name), birth_lo=lo, birth_hi=hi, sources=["s-court"]))
        other = date(lo.year + 3, lo.month, lo.day)
        namesakes.append(f"nms-{p.id}")
        persons.append(PersonNames(f"nms-{p.id}", to_cyrillic(p.name), birth_lo=other, birth_hi=other,
                                   sources=["s-court"]))
    print(f"  generated in {time.perf_counter() - t0:.1f}s; planted {len(same)} Cyrillic records of the same "
          f"people (same birth date) and {len(namesakes)} namesakes (another birth date)")
    clear_caches()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    res = resolve(persons, progress=lambda text: print(f"    {time.perf_counter() - start:6.1f}s  {text}"))
    wall = time.perf_counter() - start
    linked = {tuple(sorted((x.left, x.right))) for x in res.links}
    found = sum(1 for a, b in same if tuple(sorted((a, b))) in linked)
    wrong = [x for x in res.links if x.left.startswith("nms-") or x.right.startswith("nms-")]
    other = len(res.links) - found - len(wrong)
    # A planted namesake whose name and birth day are, by chance, another registry person's cannot be told
    # from that person by any evidence: the benchmark says so rather than call the link right or wrong.
    by_id = {p.id: p for p in persons}
    registry_name = {p.id: (p.name, p.birth) for p in fam.persons}

    def coincides(link) -> bool:
        nms, other_id = (link.left, link.right) if link.left.startswith("nms-") else (link.right, link.left)
        source = registry_name.get(nms[4:])
        return source is not None and registry_name.get(other_id, (None, None))[0] == source[0] \
            and by_id[nms].birth_lo == by_id[other_id].birth_lo
    same_as_another = [x for x in wrong if coincides(x)]
    wrong = [x for x in wrong if not coincides(x)]
    print(f"  resolved {len(persons):,} person records in {wall:.1f}s "
          f"(peak memory of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB, "
          f"{before:,.0f} MB before)")
    print(f"  planted same-person links found: {found}/{len(same)}; namesakes linked: {len(wrong)}; "
          f"other links: {other}")
    if same_as_another:
        print(f"  planted namesakes that have another registry person's exact name and birth day, and were linked "
              f"to that person: {len(same_as_another)}")
    for link in same_as_another + wrong:
        a, b = by_id[link.left], by_id[link.right]
        label = "same name and day as a registry person" if link in same_as_another else "NAMESAKE LINKED"
        print(f"    {label}: {a.id} {a.name} {a.birth_lo} ~ {b.id} {b.name} {b.birth_lo} ({link.explanation[-1]})")
    if res.refused:
        print("  name and birth date agreed but not linked: "
              + ", ".join(f"{why} {count:,}" for why, count in sorted(res.refused.items())))
    print(f"  possible same person (for review): {len(res.possible):,} (and {res.possible_not_compared:,} not "
          f"compared); kinship hints: {res.hints_total:,}; patronymics too common to hint: "
          f"{res.ambiguous_patronymics:,}; blocks skipped: {len(res.skipped_blocks)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1_000_000, help="size of the registry to resolve")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--misses", action="store_true", help="list the pairs the matcher gets wrong")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    accuracy(args.misses)
    speed()
    resolution(args.persons, args.seed)


if __name__ == "__main__":
    main()
