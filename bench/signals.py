"""Calibration and detection of the unit indicators (rules/signals) on synthetic registries.

For each seed, `riskcheck synth` makes a registry whose background hiring is random within regions (no
relative is ever hired beside another; surnames cluster by region, as real ones do) and plants family units
(a father, his siblings and children in one district akimat). Then, printed:

- calibration: of the background units tested (no planted family in them or under them, and not the
  directorate that holds the person rules' planted pairs), the share whose raw p-value is at most 5%, with
  the strata the rule ships with, and with no strata (surnames shuffled nationwide, the mistake Ferlazzo
  and Sdoia describe); and how many background units the shipped rule (Bonferroni) flags: the family-wise
  error, which should stay near or under 5% of registries;
- calibration of family-cluster: each planted family's members swapped onto posts drawn at random among
  the current posts of their region and rank (a registry drawn from the rule's own null); the share of
  units tested whose raw p-value is at most 5%, and how many units the shipped rule flags;
- detection: the share of planted family units each indicator flags, by family size (family-cluster and
  surname-clustering as shipped, the latter on pairs and with `weighting=rarity`; in brackets, before the
  correction);
- time: the indicators' wall time beside the Kazakh pack's on the same registry.

    python bench/signals.py                          # 5 registries of 100,000 persons
    python bench/signals.py --persons 20000 --seeds 1 2 3
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SIGNALS = REPO / "rules" / "signals"
KZ = REPO / "rules" / "kz"
RAW = ["--param", "surname-clustering.correction=none", "--param", "surname-clustering.min_pairs=1",
       "--param", "family-cluster.correction=none"]
CLUSTER = SIGNALS / "family-cluster.yaml"
RARITY = ["--param", "surname-clustering.weighting=rarity"]


def riskcheck(*args: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "riskcheck", *args], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def findings(out: Path) -> list[dict]:
    return json.loads((out / "synthetic" / "findings.json").read_text(encoding="utf-8"))["findings"]


def units_tested(found: list[dict]) -> int | None:
    return next((f["figures"]["units_tested"] for f in found if f["rule"] == "surname-clustering"), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--keep", type=Path, default=None, help="folder to keep (and reuse) the registries in")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="riskcheck-signals-"))
    raw = defaultdict(Counter)  # configuration -> units, p<=0.05
    bonf = defaultdict(Counter)  # weighting -> registries, with a false flag, false units
    families = defaultdict(Counter)  # size -> {planted, family-cluster, surname-clustering}
    wrong_cluster = 0
    placed = Counter()  # family-cluster on registries whose families were placed at random
    times = []
    for seed in args.seeds:
        registry = work / f"n{args.persons}-s{seed}"
        if not (registry / "ground-truth.json").exists():
            riskcheck("synth", str(registry), "--persons", str(args.persons), "--seed", str(seed))
        truth = json.loads((registry / "ground-truth.json").read_text(encoding="utf-8"))
        planted = truth["planted_family_units"]
        not_null = {"o-planted"} | {u for p in planted for u in [p["unit"], *p["units_above"]]}
        runs = {}
        for name, extra in (("stratified", RAW), ("flat", RAW + ["--param", "surname-clustering.strata="]),
                            ("stratified, rarity", RAW + RARITY), ("shipped", []), ("shipped, rarity", RARITY)):
            out = work / f"out-{name}-s{seed}"
            wall = riskcheck("run", str(registry), "--rules", str(SIGNALS), "--out", str(out), *extra)
            runs[name] = findings(out)
            if name == "shipped":
                kz_wall = riskcheck("run", str(registry), "--rules", str(KZ), "--out", str(work / f"out-kz-s{seed}"))
                times.append((wall, kz_wall))
        for name in ("stratified", "flat", "stratified, rarity"):
            found = [f for f in runs[name] if f["rule"] == "surname-clustering"]
            tested = units_tested(found) or 0
            raw[name]["units"] += tested - len(not_null & set(_tested_units(registry)))
            raw[name]["p<=0.05"] += sum(1 for f in found if f["unit"] not in not_null and f["status"] == "flagged")
        flagged = {}
        for name in ("shipped", "shipped, rarity"):
            flagged[name] = defaultdict(set)
            for f in runs[name]:
                if f.get("unit") and f["status"] == "flagged":
                    flagged[name][f["rule"]].add(f["unit"])
            false = flagged[name]["surname-clustering"] - not_null
            bonf[name]["registries"] += 1
            bonf[name]["with a false flag"] += bool(false)
            bonf[name]["false units"] += len(false)
        wrong_cluster += len(flagged["shipped"]["family-cluster"] - not_null)
        at_random = place_families_at_random(registry, work / f"placed-n{args.persons}-s{seed}", planted, seed)
        for name, extra in (("raw", ["--param", "family-cluster.correction=none"]), ("shipped", [])):
            out = work / f"out-placed-{name}-s{seed}"
            riskcheck("run", str(at_random), "--rules", str(CLUSTER), "--out", str(out), *extra)
            found = [f for f in findings(out) if f["rule"] == "family-cluster" and f["status"] == "flagged"]
            placed[f"{name} flagged"] += len(found)
            placed[f"{name} registries with any"] += bool(found)
        # The units tested are those of the registry as generated: the families stay in their strata.
        placed["units tested"] += next((f["figures"]["units_tested"] for f in runs["shipped"]
                                        if f["rule"] == "family-cluster"), 0)
        raw_cluster = {f["unit"] for f in runs["stratified"]
                       if f["rule"] == "family-cluster" and f["status"] == "flagged"}
        for p in planted:
            row = families[p["size"]]
            row["planted"] += 1
            row["family-cluster"] += p["unit"] in flagged["shipped"]["family-cluster"]
            row["cluster raw"] += p["unit"] in raw_cluster
            row["pairs"] += p["unit"] in flagged["shipped"]["surname-clustering"]
            row["rarity"] += p["unit"] in flagged["shipped, rarity"]["surname-clustering"]
            for name, column in (("stratified", "pairs raw"), ("stratified, rarity", "rarity raw")):
                row[column] += any(f["unit"] == p["unit"] and f["rule"] == "surname-clustering"
                                   and f["status"] == "flagged" for f in runs[name])
    print(f"{len(args.seeds)} registries of {args.persons:,} persons (seeds {', '.join(map(str, args.seeds))})\n")
    print("calibration of surname-clustering on background units (random hiring within regions, no relatives):")
    for label, name in (("pairs, strata region and rank (shipped)", "stratified"),
                        ("pairs, no strata (shuffled nationwide)", "flat"),
                        ("rarity score, strata region and rank", "stratified, rarity")):
        c = raw[name]
        share = c["p<=0.05"] / c["units"] if c["units"] else 0
        print(f"  {label:<40} raw p <= 0.05 in {c['p<=0.05']:>4} of {c['units']:>5} units tested: {share:6.1%}")
    for label, name in (("pairs", "shipped"), ("rarity score", "shipped, rarity")):
        b = bonf[name]
        print(f"  {label}, as shipped (Bonferroni, alpha 0.05): {b['false units']} background units flagged; "
              f"registries with any: {b['with a false flag']} of {b['registries']}")
    print(f"  family-cluster on background units: {wrong_cluster} flagged (background never hires two relatives)")
    print("\ncalibration of family-cluster, each planted family's members moved to posts drawn at random among the "
          "current posts of their region and rank:")
    tested = placed["units tested"]
    print(f"  raw p <= 0.05 in {placed['raw flagged']} of {tested:,} units tested"
          + (f": {placed['raw flagged'] / tested:.1%}" if tested else ""))
    print(f"  as shipped (Bonferroni, alpha 0.05): {placed['shipped flagged']} units flagged; registries with any: "
          f"{placed['shipped registries with any']} of {len(args.seeds)}")
    print("\ndetection of planted family units (a father, his siblings and grown children in one district akimat):")
    print("  (as shipped, Bonferroni over the units tested; and, in brackets, the share whose raw p-value is at "
          "most 5%, the power before the correction)")
    print(f"  {'family size':>11} {'planted':>8} {'family-cluster':>20} {'surname pairs':>20} {'surname rarity':>20}")
    total = Counter()
    for size, row in [*sorted(families.items()), ("all", total)]:
        if size != "all":
            total.update(row)
        if row["planted"]:
            n = row["planted"]
            print(f"  {size:>11} {n:>8} {row['family-cluster'] / n:>11.0%} ({row['cluster raw'] / n:>4.0%}) "
                  f"{row['pairs'] / n:>11.0%} ({row['pairs raw'] / n:>4.0%}) "
                  f"{row['rarity'] / n:>11.0%} ({row['rarity raw'] / n:>4.0%})")
    print("\ntime (riskcheck run, whole process):")
    for seed, (signals, kz) in zip(args.seeds, times):
        print(f"  seed {seed}: the two indicators {signals:.1f} s; the Kazakh pack {kz:.1f} s")


def place_families_at_random(registry: Path, into: Path, planted: list[dict], seed: int) -> Path:
    """A copy of the registry in which each planted family member's post is swapped with that of someone
    holding a current post of the same region and rank, drawn at random: the families and the units' sizes
    are kept, and where they serve is what the rule's null says random hiring gives."""
    source, target = registry / "synthetic", into / "synthetic"
    if (target / "tenures.csv").exists():
        return into
    target.mkdir(parents=True, exist_ok=True)
    for f in source.iterdir():
        if f.name != "tenures.csv":
            shutil.copy(f, target / f.name)
    rows = lambda name: list(csv.DictReader(open(source / f"{name}.csv", encoding="utf-8")))
    orgs = {o["id"]: o for o in rows("organizations")}

    def region(oid: str) -> str:
        while oid and not orgs[oid]["region"]:
            oid = orgs[oid]["parent_id"]
        return orgs[oid]["region"] if oid else ""

    stratum = {p["id"]: (region(p["organization_id"]), p["rank"]) for p in rows("positions")}
    with open(source / "tenures.csv", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields, tenures = reader.fieldnames, list(reader)
    members = {m for p in planted for m in p["members"]}
    current = [t for t in tenures if not t["end"]]
    by_stratum: dict[tuple, list[dict]] = defaultdict(list)
    for t in current:
        if t["person_id"] not in members:
            by_stratum[stratum[t["position_id"]]].append(t)
    rng = random.Random(seed)
    for t in current:
        if t["person_id"] in members and "-fam" in t["position_id"]:
            pool = by_stratum[stratum[t["position_id"]]]
            other = pool.pop(rng.randrange(len(pool)))  # each post swapped once
            t["position_id"], other["position_id"] = other["position_id"], t["position_id"]
    with open(target / "tenures.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(tenures)
    return into


def _tested_units(registry: Path) -> set[str]:
    """Every organization id of the registry (the planted ones among them are taken out of the count)."""
    import csv
    with open(registry / "synthetic" / "organizations.csv", encoding="utf-8") as fh:
        return {row["id"] for row in csv.DictReader(fh)}


if __name__ == "__main__":
    main()
