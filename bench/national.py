"""National-scale benchmark: generate synthetic registries and time `riskcheck run` on each.

Prints, per size: the registry's shape, wall time and peak memory of `riskcheck run` (a separate
process, measured with wait4) beside the peer (bench/peer.py: the four rules as plain DuckDB SQL, as an
analyst would write them without riskcheck, run the same way), findings per rule, whether every
planted violation was found and whether any finding was not in the ground truth, identity resolution's
figures, and how time grows with N. Then the cost of kinship by degree: a rule asking for relatives up to
the third degree (bench/rules/degree-three-subordination.yaml, derived links included) run on its own; and
the cost of the unit indicators (rules/signals): the Kazakh pack run again with them, and what they found
of the planted family units.

    python bench/national.py                      # 10k, 100k and 1M persons
    python bench/national.py --sizes 10000 100000 # a quicker run
    python bench/national.py --keep /tmp/bench    # keep the generated registries (reused next time)
    python bench/national.py --sizes 1000000 10000000 --no-extras --with-signals --keep /work/scale-cache
                                                  # ten million: only the Kazakh pack and indicators beside the twin
    python bench/national.py --sizes 1000000 --no-extras --no-cache  # a million, riskcheck keeping nothing as the twin
    python bench/national.py --against REGISTRY REPORTS  # a finished run's findings beside the ground truth

How long and how much memory (2 cores, 24 GB; one process at a time, so the peak is the largest one's):
- the default sizes: about 5 minutes with generation; a million persons' run peaks at about 2.5 GB, the
  twin's at 1.3 GB, `riskcheck synth --persons 1000000` at 3.0 GB.
- ten million persons: generation, if --keep holds no registry yet, 789 s and 3.0 GB (3.2 GB of CSV);
  riskcheck with the Kazakh pack and the unit indicators (--with-signals) 462 s and 11.4 GB; the twin, held to
  riskcheck's store budget (12 GB on this machine, beyond which it spills to disk: up to 16 GB under TMPDIR),
  51 s and 10.4 GB (README.md quotes the lines as printed). Leave 16 GB free, and some 20 GB of disk for
  spills.
- RISKCHECK_MEMORY_LIMIT sets the budget of both riskcheck's store and the twin (bench/peer.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

from measuring import measure_cpu

REPO = Path(__file__).resolve().parent.parent
DEGREE_RULE = REPO / "bench" / "rules" / "degree-three-subordination.yaml"
SIGNALS = REPO / "rules" / "signals"
DEGREE_WORDS = re.compile(r"\d+\w\w degree, \w+ line|spouse, no degree")


def riskcheck(*args: str) -> list[str]:
    return [sys.executable, "-m", "riskcheck", *args]


def measure(cmd: list[str], log: Path | None = None) -> tuple[float, float, int]:
    """Run cmd; return (wall seconds, peak resident MB, exit code). Its stderr goes to `log` if given."""
    return measure_cpu(cmd, log)[:3]


def finding_key(f: dict) -> tuple:
    return (f["rule"], f["person"], tuple(f["related"]), f["status"])


def beside_twin(found: list[dict], twin: set[tuple]) -> dict:
    """riskcheck's findings on the twin's four rules beside the twin's, each difference with its reason.

    Two differences are the twin's by design and are counted apart: a finding riskcheck leaves undetermined
    (the twin keeps only rows the data decides, so it has none), and one that rests on an identity link
    riskcheck made that the twin did not (the twin links only a Cyrillic record of another source to the one
    Latin record with the same name, birth date and gender). Any
    other difference, either way, is the two sides reading a rule differently, and is counted as such; a
    twin finding riskcheck decides otherwise (flagged beside undetermined) is one of those.
    """
    from peer import RULES  # bench/ is on the path: this file is run as a script beside peer.py

    mine: dict[tuple, list[dict]] = {}
    for f in found:
        if f["rule"] in RULES:
            mine.setdefault(finding_key(f), []).append(f)
    only_mine = set(mine) - twin
    undetermined = {k for k in only_mine if k[3] == "undetermined"}
    identity = {k for k in only_mine - undetermined if all(f.get("identity_links") for f in mine[k])}
    differ = only_mine - undetermined - identity
    return {"only_riskcheck": len(differ), "only_twin": len(twin - set(mine)), "twin_total": len(twin),
            "undetermined_apart": len(undetermined), "identity_apart": len(identity),
            "listed": {"only riskcheck": sorted(differ), "only twin": sorted(twin - set(mine)),
                       "undetermined in riskcheck, no row in the twin": sorted(undetermined),
                       "resting on an identity link riskcheck made": sorted(identity)}}


def compare_side_by_side(registry: Path, case: str, out: Path, rules: tuple[Path, ...] = (REPO / "rules" / "kz",),
                         no_cache: bool = False) -> dict:
    """The twin and `riskcheck run` on one registry, one after the other in this run, each measured with wait4;
    riskcheck's findings compared with the generator's ground truth and with the twin's (the four rules it has).
    `no_cache`: riskcheck keeps nothing for a later run (`--no-cache`), as the twin keeps nothing; by default it
    runs as a first run does, keeping its store and results beside the reports."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    twin_keys = out.parent / f"{out.name}.twin.json"
    peer_wall, peer_peak, peer_code, peer_cpu = measure_cpu([sys.executable, str(REPO / "bench" / "peer.py"),
                                                             str(registry / case), str(twin_keys)])
    rule_args = [arg for rule in rules for arg in ("--rules", str(rule))]
    # Its stage lines go to a log beside the reports: a national run says where it is while it runs.
    cache = ["--no-cache"] if no_cache else []
    wall, peak, code, cpu = measure_cpu(riskcheck("run", str(registry), *rule_args, *cache, "--out", str(out),
                                                  "--progress"), out.parent / f"{out.name}.log")
    truth = json.loads((registry / "ground-truth.json").read_text())
    doc = json.loads((out / case / "findings.json").read_text()) if code == 0 else {}
    found = [f for f in doc.get("findings", []) if not f.get("unit")]
    twin = {(r, p, tuple(rel), st) for r, p, rel, st in json.loads(twin_keys.read_text())} if peer_code == 0 else set()
    beside = beside_twin(found, twin)
    # every difference and its reason, beside the reports, for a reader to look up
    (out.parent / f"{out.name}.beside-twin.json").write_text(json.dumps(beside["listed"], indent=1))
    return {"persons": truth["counts"]["persons"], "counts": truth["counts"], "wall": wall, "peak": peak, "code": code,
            "peer_wall": peer_wall, "peer_peak": peer_peak, "peer_code": peer_code,
            "cpu": cpu, "peer_cpu": peer_cpu, "found": found, "doc": doc, **against_truth(truth, found),
            **{k: v for k, v in beside.items() if k != "listed"},
            "quiet": sum(truth.get("planted_without_finding", {}).values())}


def against_truth(truth: dict, found: list[dict]) -> dict[str, int]:
    """A run's person findings beside the generator's ground truth: planted cases found, findings not expected,
    expected ones missing. Counted apart: plants a chance namesake makes undecidable (`planted_ambiguous`: a
    court record that fits two persons, which riskcheck lists for a reviewer and does not link); a finding on
    one of those, whatever its status, is neither unexpected nor missed, and is counted as linked."""
    apart = {(a["rule"], a["person"], tuple(a["related"])) for a in truth.get("planted_ambiguous", [])}
    linked = [f for f in found if finding_key(f)[:3] in apart]
    got = Counter(finding_key(f) for f in found if finding_key(f)[:3] not in apart)
    expected = Counter(map(finding_key, truth["expected"]))
    planted = Counter(finding_key(e) for e in truth["expected"] if e["planted"])
    return {"planted_found": sum((planted & got).values()), "planted": sum(planted.values()),
            "unexpected": sum((got - expected).values()), "missed": sum((expected - got).values()),
            "unexpected_undetermined": sum(n for k, n in (got - expected).items() if k[3] == "undetermined"),
            "ambiguous": len(apart), "ambiguous_linked": len({finding_key(f)[:3] for f in linked})}


def truth_line(side: dict) -> str:
    """The findings beside the ground truth, in words, with the plants counted apart."""
    return (f"{side['planted_found']}/{side['planted']} planted found, {side['unexpected']} unexpected"
            + (f" ({side['unexpected_undetermined']} of them undetermined)" if side["unexpected_undetermined"] else "")
            + f", "
            f"{side['missed']} missed; {side['ambiguous']} planted apart as a chance namesake fits its record "
            f"(expected not linked), {side['ambiguous_linked']} of them linked")


def print_side_by_side(rows: list[dict], what: str, no_cache: bool = False) -> None:
    """One line a registry: riskcheck beside the twin (wall, peak, ratio; CPU seconds and their ratio, which a
    loaded machine changes far less), and its findings beside the ground truth and the twin's."""
    print(f"\nriskcheck beside the SQL twin (bench/peer.py) on {what}, measured one after the other in this run:")
    print("  riskcheck ran with --no-cache, keeping nothing for a later run, as the twin keeps nothing (bench/reuse.py "
          "measures\n  what keeping its store costs a first run, and what it saves the next)" if no_cache else
          "  riskcheck ran as a first run does, keeping its store and results for a later run, which the twin does not\n"
          "  (--no-cache compares the two doing the same work)")
    print(f"{'persons':>11} {'wall s':>7} {'peak MB':>8} {'twin s':>7} {'twin MB':>8} {'x twin':>6} "
          f"{'cpu s':>6} {'twin cpu':>8} {'x cpu':>5} {'planted found':>14} {'unexpected':>10} {'missed':>6} "
          f"{'same as twin':>13} {'apart: undetermined, identity':>30}")
    for r in rows:
        same = ("yes" if r["only_riskcheck"] == r["only_twin"] == 0
                else f"{r['only_riskcheck']} only rc, {r['only_twin']} only twin")
        print(f"{r['persons']:>11,} {r['wall']:>7.1f} {r['peak']:>8,.0f} {r['peer_wall']:>7.1f} {r['peer_peak']:>8,.0f} "
              f"{r['wall'] / r['peer_wall']:>6.1f} {r['cpu']:>6.1f} {r['peer_cpu']:>8.1f} "
              f"{r['cpu'] / max(r['peer_cpu'], 0.01):>5.1f} {str(r['planted_found']) + '/' + str(r['planted']):>14} "
              f"{r['unexpected']:>10} {r['missed']:>6} {same:>13} "
              f"{str(r['undetermined_apart']) + ', ' + str(r['identity_apart']):>30}"
              + ("" if r["code"] == 0 else f"  (exit {r['code']})") + ("" if r["peer_code"] == 0 else
                                                                       f"  (twin exit {r['peer_code']})"))
    print("  same as twin: every finding of the twin's four rules that riskcheck decides (flagged, complied, pending)\n"
          "  is the twin's too, and the reverse. Counted apart, as the twin cannot give them: findings riskcheck\n"
          "  leaves undetermined (a partial date, a kinship the record does not name), where the twin keeps no row;\n"
          "  and findings that rest on an identity link riskcheck made and the twin did not. Each difference is\n"
          "  listed in REPORT.beside-twin.json; bench/README.md says what made them differ before.")


# Issue 29's target for a whole country: ten million persons (Kazakh pack and unit indicators) checked within
# 15 minutes and 16 GB on a 2-core, 24 GB machine, the findings those the generator planted.
NATIONAL_PERSONS, NATIONAL_SECONDS, NATIONAL_MB = 10_000_000, 15 * 60, 16 * 1024


def national_line(side: dict, rules: str) -> str:
    """A national run against its target: time, memory and findings, each said within or over; the twin
    beside it (its time, memory and ratios, or its exit code if it did not finish)."""
    def judged(ok: bool) -> str:
        return "within" if ok else "OVER"
    same = side["code"] == 0 and side["unexpected"] == 0 and side["missed"] == 0
    if side["peer_code"] == 0:
        twin = (f"the SQL twin beside it: {side['peer_wall']:,.0f} s, peak {side['peer_peak']:,.0f} MB "
                f"({side['wall'] / side['peer_wall']:.1f}x wall, {side['cpu'] / max(side['peer_cpu'], 0.01):.1f}x CPU)")
    else:
        twin = (f"the SQL twin beside it did not finish: exit {side['peer_code']} after {side['peer_wall']:,.0f} s, "
                f"peak {side['peer_peak']:,.0f} MB")
    return (f"\n{side['persons']:,} persons ({rules}) against issue 29's target: {side['wall']:,.0f} s of "
            f"{NATIONAL_SECONDS:,} ({judged(side['wall'] <= NATIONAL_SECONDS)}), peak {side['peak']:,.0f} MB of "
            f"{NATIONAL_MB:,} ({judged(side['peak'] <= NATIONAL_MB)}), findings "
            f"{'equal to' if same else 'NOT equal to'} the ground truth ({truth_line(side)})"
            + ("" if side["code"] == 0 else f"; exit {side['code']}") + f";\n  {twin}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="folder to keep (and reuse) generated registries in")
    parser.add_argument("--no-extras", dest="extras", action="store_false",
                        help="only the Kazakh pack beside the twin: no third-degree run, no unit-indicator run")
    parser.add_argument("--with-signals", action="store_true",
                        help="the run beside the twin has the unit indicators too (rules/signals), as a national "
                             "desk would run it; the ratio then includes their cost")
    parser.add_argument("--no-cache", action="store_true",
                        help="riskcheck keeps nothing for a later run (riskcheck run --no-cache), as the twin keeps "
                             "nothing: the two then do the same work")
    parser.add_argument("--against", nargs=2, type=Path, metavar=("REGISTRY", "REPORTS"),
                        help="only compare the findings of a finished run (REPORTS/<case>/findings.json) with "
                             "REGISTRY's ground truth, counting apart the plants it lists apart, and stop")
    args = parser.parse_args()
    if args.against:
        truth = json.loads((args.against[0] / "ground-truth.json").read_text())
        doc = json.loads((args.against[1] / truth["case"] / "findings.json").read_text())
        print(truth_line(against_truth(truth, [f for f in doc["findings"] if not f.get("unit")])))
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="riskcheck-bench-"))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}")
    rows, identity_rows, degree_rows, signal_rows, made = [], [], [], [], []
    for n in args.sizes:
        registry = work / f"n{n}-s{args.seed}"
        if not (registry / "ground-truth.json").exists():
            made.append((n, *measure(riskcheck("synth", str(registry), "--persons", str(n), "--seed", str(args.seed)))))
            print(f"generated {n:,} persons in {made[-1][1]:.1f}s, peak {made[-1][2]:,.0f} MB")
        out = work / f"report-n{n}"
        side = compare_side_by_side(registry, "synthetic", out,
                                    (REPO / "rules" / "kz", *((SIGNALS,) if args.with_signals else ())), args.no_cache)
        wall, peak, code, found, doc = side["wall"], side["peak"], side["code"], side["found"], side["doc"]
        ident = doc.get("identity", {})
        identity_rows.append((n, len(ident.get("links", [])), len(ident.get("possible", [])),
                              ident.get("possible_not_compared", 0), len(ident.get("hints", [])),
                              ident.get("hints_not_listed", 0), ident.get("ambiguous_patronymics", 0),
                              ident.get("not_linked", {})))
        biggest = max((p.stat().st_size for p in out.rglob("*.html")), default=0)
        rows.append((n, side["counts"], wall, peak, code, Counter(f["rule"] for f in found),
                     side["planted_found"], side["planted"], side["unexpected"], side["missed"], biggest,
                     side["peer_wall"], side["peer_peak"], side["quiet"], side))
        if not args.extras:
            continue
        truth = json.loads((registry / "ground-truth.json").read_text())
        deg_out = work / f"report-degree3-n{n}"
        shutil.rmtree(deg_out, ignore_errors=True)
        deg_wall, deg_peak, deg_code = measure(riskcheck("run", str(registry), "--rules", str(DEGREE_RULE),
                                                         "--out", str(deg_out)))
        deg_found = json.loads((deg_out / "synthetic" / "findings.json").read_text())["findings"] if deg_code == 0 else []
        by_degree = Counter(m[0] if (m := DEGREE_WORDS.search(f["summary"])) else "degree unknown" for f in deg_found)
        degree_rows.append((n, deg_wall, deg_peak, deg_code, len(deg_found), by_degree))
        sig_out = work / f"report-signals-n{n}"
        shutil.rmtree(sig_out, ignore_errors=True)
        sig_wall, sig_peak, sig_code = measure(riskcheck("run", str(registry), "--rules", str(REPO / "rules" / "kz"),
                                                         "--rules", str(SIGNALS), "--out", str(sig_out)))
        sig_found = json.loads((sig_out / "synthetic" / "findings.json").read_text())["findings"] if sig_code == 0 else []
        units = {(f["rule"], f["unit"]) for f in sig_found if f.get("unit") and f["status"] == "flagged"}
        families = truth.get("planted_family_units", [])
        allowed = {u for p in families for u in [p["unit"], *p["units_above"]]}
        signal_rows.append((n, wall, sig_wall, sig_peak, sig_code, len(families),
                            sum(("family-cluster", p["unit"]) in units for p in families),
                            sum(("surname-clustering", p["unit"]) in units for p in families),
                            Counter(rule for rule, unit in units),
                            sum(1 for _, u in units if u not in allowed and not u.endswith("o-planted"))))
    print()
    print(f"{'persons':>10} {'relations':>10} {'positions':>9} {'tenures':>8} {'verdicts':>8} "
          f"{'wall s':>7} {'peak MB':>8} {'peer s':>7} {'peer MB':>8} {'x peer':>6} "
          f"{'planted found':>14} {'unexpected':>10} {'missed':>6} {'largest html':>12}")
    for (n, c, wall, peak, code, per_rule, hit, planted, extra, missed, biggest, peer_wall, peer_peak,
         quiet, _) in rows:
        print(f"{c['persons']:>10,} {c['relations']:>10,} {c['positions']:>9,} {c['tenures']:>8,} {c['verdicts']:>8,} "
              f"{wall:>7.1f} {peak:>8,.0f} {peer_wall:>7.1f} {peer_peak:>8,.0f} {wall / peer_wall:>6.1f} "
              f"{f'{hit}/{planted}':>14} {extra:>10} {missed:>6} {biggest / 1e6:>10.2f}MB"
              + ("" if code == 0 else f"  (exit {code})"))
    print_side_by_side([row[14] for row in rows], "riskcheck synth's registry", args.no_cache)
    for row in rows:
        if row[0] >= NATIONAL_PERSONS:
            print(national_line(row[14], "Kazakh pack" + (" and unit indicators" if args.with_signals else "")))
    if made:
        print("\nriskcheck synth: " + ", ".join(f"{n:,} persons {wall:.1f} s, peak {peak:,.0f} MB"
                                               + ("" if code == 0 else f" (exit {code})") for n, wall, peak, code in made))
    print("\nplanted to give no finding (a rumoured link, a namesake born the same day; a finding for one would "
          "count as unexpected): " + ", ".join(f"{row[0]:,}: {row[13]}" for row in rows))
    print("planted apart, as a chance namesake drawn in another shard fits the record the finding rests on (expected "
          "as a pair not linked, not as a finding): " + ", ".join(f"{row[0]:,}: {row[14]['ambiguous']} "
                                                                  f"({row[14]['ambiguous_linked']} linked)" for row in rows))
    print("\nfindings per rule:")
    for row in rows:
        print(f"  {row[0]:>9,}: " + ", ".join(f"{rule} {count}" for rule, count in sorted(row[5].items())))
    print("\nidentity resolution (part of the wall time above):")
    for n, links, possible, uncompared, hints, unlisted, ambiguous, not_linked in identity_rows:
        print(f"  {n:>9,}: {links:,} records linked, {possible:,} possible same person listed "
              f"({uncompared:,} more not compared); kinship hints: {hints:,} listed (would change a finding), "
              f"{unlisted:,} counted; {ambiguous:,} patronymics too common to hint")
        if not_linked:
            print(f"  {'':>9}  name and birth date agreed but not linked: "
                  + ", ".join(f"{why} {count:,}" for why, count in not_linked.items()))
    if degree_rows:
        print("\nkinship to the third degree (one rule, kin.degree <= 3, over recorded and derived links; "
              "a run of its own):")
        for n, deg_wall, deg_peak, deg_code, total, by_degree in degree_rows:
            print(f"  {n:>9,}: {deg_wall:.1f} s, peak {deg_peak:,.0f} MB, {total:,} findings"
                  + (f" ({', '.join(f'{k} {v:,}' for k, v in sorted(by_degree.items()))})" if by_degree else "")
                  + ("" if deg_code == 0 else f"  (exit {deg_code})"))
    if signal_rows:
        print("\nunit indicators (rules/signals) added to the Kazakh pack (one more run; bench/signals.py calibrates them):")
        for n, wall, sig_wall, sig_peak, sig_code, planted, by_cluster, by_surname, per_rule, outside in signal_rows:
            extra = sig_wall - wall
            print(f"  {n:>9,}: {sig_wall:.1f} s with them, {wall:.1f} s without: +{extra:.1f} s, "
                  f"{max(extra, 0) / sig_wall:.0%} of the run; peak {sig_peak:,.0f} MB; units flagged "
                  + (", ".join(f"{rule} {count}" for rule, count in sorted(per_rule.items())) or "none")
                  + f"; planted family units {planted}: family-cluster found {by_cluster}, surname-clustering "
                  f"{by_surname}; flagged outside planted units and the planted directorate: {outside}"
                  + ("" if sig_code == 0 else f"  (exit {sig_code})"))
    if len(rows) > 1:
        print("\ngrowth:")
        for before, after in zip(rows, rows[1:]):
            print(f"  {before[0]:,} -> {after[0]:,} persons (x{after[0] / before[0]:.0f}): "
                  f"wall time x{after[2] / before[2]:.1f}")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
