"""Calibration and detection of the unit indicators (rules/signals) on synthetic registries.

For each seed, `riskcheck synth` makes a registry whose background hiring is random within regions (no
relative is ever hired beside another; surnames cluster by region, as real ones do) and plants family units
(a father, his siblings and children in one district akimat). Then, printed:

- calibration: of the background units tested (no planted family in them or under them, and not the
  directorate that holds the person rules' planted pairs), the share whose raw p-value is at most 5%, with
  the strata the rule ships with, and with no strata (surnames shuffled nationwide, the mistake Ferlazzo
  and Sdoia describe); and how many background units the shipped rule (Bonferroni) flags: the family-wise
  error, which should stay near or under 5% of registries;
- detection: the share of planted family units each indicator flags, by family size;
- time: the indicators' wall time beside the Kazakh pack's on the same registry.

    python bench/signals.py                          # 5 registries of 100,000 persons
    python bench/signals.py --persons 20000 --seeds 1 2 3
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SIGNALS = REPO / "rules" / "signals"
KZ = REPO / "rules" / "kz"
RAW = ["--param", "surname-clustering.correction=none", "--param", "surname-clustering.min_pairs=1"]


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
    raw_strat, raw_flat, bonf = Counter(), Counter(), Counter()
    families = defaultdict(Counter)  # size -> {planted, family-cluster, surname-clustering}
    wrong_cluster = 0
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
                            ("shipped", [])):
            out = work / f"out-{name}-s{seed}"
            wall = riskcheck("run", str(registry), "--rules", str(SIGNALS), "--out", str(out), *extra)
            runs[name] = findings(out)
            if name == "shipped":
                kz_wall = riskcheck("run", str(registry), "--rules", str(KZ), "--out", str(work / f"out-kz-s{seed}"))
                times.append((wall, kz_wall))
        for name, counter in (("stratified", raw_strat), ("flat", raw_flat)):
            found = [f for f in runs[name] if f["rule"] == "surname-clustering"]
            tested = units_tested(found) or 0
            counter["units"] += tested - len(not_null & set(_tested_units(registry)))
            counter["p<=0.05"] += sum(1 for f in found if f["unit"] not in not_null and f["status"] == "flagged")
        shipped = runs["shipped"]
        false = {f["unit"] for f in shipped if f["rule"] == "surname-clustering" and f["unit"] not in not_null}
        bonf["registries"] += 1
        bonf["with a false flag"] += bool(false)
        bonf["false units"] += len(false)
        by_rule = defaultdict(set)
        for f in shipped:
            if f.get("unit") and f["status"] == "flagged":
                by_rule[f["rule"]].add(f["unit"])
        wrong_cluster += len(by_rule["family-cluster"] - not_null)
        for p in planted:
            row = families[p["size"]]
            row["planted"] += 1
            row["family-cluster"] += p["unit"] in by_rule["family-cluster"]
            row["surname-clustering"] += p["unit"] in by_rule["surname-clustering"]
    print(f"{len(args.seeds)} registries of {args.persons:,} persons (seeds {', '.join(map(str, args.seeds))})\n")
    print("calibration of surname-clustering on background units (random hiring within regions, no relatives):")
    for label, c in (("strata region and rank (shipped)", raw_strat), ("no strata (shuffled nationwide)", raw_flat)):
        share = c["p<=0.05"] / c["units"] if c["units"] else 0
        print(f"  {label:<34} raw p <= 0.05 in {c['p<=0.05']:>4} of {c['units']:>5} units tested: {share:6.1%}")
    print(f"  shipped rule (Bonferroni, alpha 0.05): {bonf['false units']} background units flagged; registries "
          f"with any: {bonf['with a false flag']} of {bonf['registries']}")
    print(f"  family-cluster on background units: {wrong_cluster} flagged (background never hires two relatives)")
    print("\ndetection of planted family units (a father, his siblings and grown children in one district akimat):")
    print(f"  {'family size':>11} {'planted':>8} {'family-cluster':>15} {'surname-clustering':>19}")
    total = Counter()
    for size in sorted(families):
        row = families[size]
        total.update(row)
        print(f"  {size:>11} {row['planted']:>8} {row['family-cluster'] / row['planted']:>15.0%} "
              f"{row['surname-clustering'] / row['planted']:>19.0%}")
    if total["planted"]:
        print(f"  {'all':>11} {total['planted']:>8} {total['family-cluster'] / total['planted']:>15.0%} "
              f"{total['surname-clustering'] / total['planted']:>19.0%}")
    print("\ntime (riskcheck run, whole process):")
    for seed, (signals, kz) in zip(args.seeds, times):
        print(f"  seed {seed}: the two indicators {signals:.1f} s; the Kazakh pack {kz:.1f} s")


def _tested_units(registry: Path) -> set[str]:
    """Every organization id of the registry (the planted ones among them are taken out of the count)."""
    import csv
    with open(registry / "synthetic" / "organizations.csv", encoding="utf-8") as fh:
        return {row["id"] for row in csv.DictReader(fh)}


if __name__ == "__main__":
    main()
