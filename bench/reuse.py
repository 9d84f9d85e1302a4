"""What reuse saves: a full run, a re-run with nothing changed, a re-run after one new verdict and one new tenure,
and `riskcheck serve` starting cold against starting from the last run's results. Prints figures, asserts
nothing but that the findings of every re-run equal a fresh run's. The re-run after the change is timed --repeat
times, each from the output folder as the run before left it; the median is its figure.

Each `riskcheck run` is a process of its own (wall time and peak memory by wait4), with the Kazakh pack, into
one output folder whose cache (OUT/.riskcheck-cache) the later runs find. The registry is `riskcheck synth`'s,
generated once into --keep and kept; the appended rows are taken out again afterwards.

    python bench/reuse.py                                   # 100k persons
    python bench/reuse.py --sizes 100000 1000000 --keep /work/reuse-cache
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
RULES = REPO / "rules" / "kz"

from measuring import measure_cpu  # noqa: E402 (bench/ is on the path: this file is run as a script)


def riskcheck(*args: str) -> list[str]:
    return [sys.executable, "-m", "riskcheck", *args]


def measure(cmd: list[str]) -> tuple[float, float, int, str, float]:
    """measure_cpu() (bench/measuring.py), with what the command printed on stderr: (wall seconds, peak MB,
    exit code, stderr, CPU seconds)."""
    with tempfile.TemporaryDirectory() as tmp:
        wall, peak, code, cpu = measure_cpu(cmd, Path(tmp) / "stderr")
        return wall, peak, code, (Path(tmp) / "stderr").read_text("utf-8", "replace"), cpu


def append_copy_of_first_row(path: Path, new_id: str) -> bytes:
    """Append a copy of the file's first record under a new id; return the file's bytes before."""
    before = path.read_bytes()
    rows = list(csv.reader(io.StringIO(before.decode("utf-8").split("\n", 2)[1])))
    row = rows[0]
    row[0] = new_id
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerow(row)
    with open(path, "ab") as fh:
        fh.write((b"" if before.endswith(b"\n") else b"\n") + text.getvalue().encode("utf-8"))
    return before


def findings_of(out: Path) -> list:
    return json.loads((out / "synthetic" / "findings.json").read_text())["findings"]


def files_of(out: Path) -> dict[str, str]:
    """Every report file by its path in the output folder, with its hash (the cache and the lock left out)."""
    import hashlib
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != ".riskcheck.lock" and ".riskcheck-cache" not in p.parts}


def how(said: str) -> str:
    """What the run said of the case: reused, re-ran (changed: ...) or ran, and whether its identity was kept."""
    lines = [line.split(": ", 1)[1] for line in said.splitlines() if line.startswith("synthetic: ")
             and not line.split(": ", 1)[1][:1].isdigit()]  # not the closing "65 flagged, ..." line
    return "; ".join(lines) or "?"


def serve_start(registry: Path, out: Path, cached: bool) -> tuple[float, str]:
    """Seconds until `riskcheck serve` would have its views, in a process of its own; and what it said."""
    code = ("import sys, time; from pathlib import Path; t = time.perf_counter();"
            "from riskcheck.cli.serve import starting_views; from riskcheck.rules.loader import load_rules;"
            f"starting_views(Path({str(registry)!r}), load_rules(Path({str(RULES)!r})), None, False,"
            f" Path({str(out)!r}), None, {not cached}); print(time.perf_counter() - t)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1]), done.stderr.strip().splitlines()[0]


def restore(snapshot: Path, out: Path) -> None:
    """The output folder as `snapshot` holds it, its files hashed into the cache's book and older than the book
    trusts (riskcheck.filehash.RACY_NS): as a re-run finds reports written long before, where copies just made
    would all be read again. The registry's files are left to the book as the earlier runs left it."""
    from riskcheck.filehash import RACY_NS, FileHashes

    shutil.rmtree(out)
    shutil.copytree(snapshot, out, symlinks=True)
    os.sync()
    time.sleep(RACY_NS / 1e9 + 1)
    book = FileHashes(out / ".riskcheck-cache" / "_file-hashes.json")
    for path in sorted(out.rglob("*")):
        if path.is_file() and not path.is_symlink() and path.name not in ("_file-hashes.json", ".riskcheck.lock"):
            book.sha256(path)
    book.save()
    time.sleep(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=Path("/work/reuse-cache"),
                        help="folder to keep (and reuse) the generated registries in")
    parser.add_argument("--repeat", type=int, default=3,
                        help="re-runs after the change, each from the output folder as the run before left it "
                             "(the median is the figure; each is printed)")
    parser.add_argument("--no-cold-serve", action="store_true",
                        help="skip serve's cold start (it checks the case: as long as a full run)")
    args = parser.parse_args()
    args.keep.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in args.sizes:
        registry = args.keep / f"n{n}"
        if not (registry / "ground-truth.json").exists():
            t0 = time.perf_counter()
            subprocess.run(riskcheck("synth", str(registry), "--persons", str(n), "--seed", str(args.seed)),
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            print(f"generated {n:,} persons in {time.perf_counter() - t0:.1f}s", flush=True)
        out, fresh = args.keep / f"out-n{n}", args.keep / f"fresh-n{n}"
        shutil.rmtree(out, ignore_errors=True)
        run = riskcheck("run", str(registry), "--rules", str(RULES), "--out", str(out))
        full = measure(run)
        first = findings_of(out)
        cache_mb = sum(p.stat().st_size for p in (out / ".riskcheck-cache").rglob("*") if p.is_file()) / 1e6
        cold_serve = (float("nan"), "") if args.no_cold_serve else serve_start(registry, out, cached=False)
        warm_serve = serve_start(registry, out, cached=True)
        same = measure(run)
        same_equal = findings_of(out) == first
        verdicts, tenures = registry / "synthetic" / "verdicts.csv", registry / "synthetic" / "tenures.csv"
        kept = {verdicts: append_copy_of_first_row(verdicts, "v-bench-new"),
                tenures: append_copy_of_first_row(tenures, "t-bench-new")}
        snapshot = args.keep / f"out-n{n}-before-change"
        shutil.rmtree(snapshot, ignore_errors=True)
        shutil.copytree(out, snapshot, symlinks=True)
        os.sync()
        try:
            times, written = [], []
            for i in range(max(1, args.repeat)):
                if i:
                    restore(snapshot, out)
                times.append(measure(run))
                written.append((findings_of(out), files_of(out)))
            changed = sorted(times, key=lambda t: t[0])[len(times) // 2]
            shutil.rmtree(fresh, ignore_errors=True)
            fresh_run = measure([*riskcheck("run", str(registry), "--rules", str(RULES), "--out", str(fresh)),
                                 "--no-cache"])
            changed_equal = all(w == (findings_of(fresh), files_of(fresh)) for w in written)
        finally:
            for path, data in kept.items():
                path.write_bytes(data)
            shutil.rmtree(snapshot, ignore_errors=True)
        rows.append((n, full, same, changed, fresh_run, same_equal, changed_equal, cache_mb, cold_serve, warm_serve,
                     times))
    print()
    for n, full, same, changed, fresh_run, same_equal, changed_equal, cache_mb, cold, warm, times in rows:
        print(f"{n:,} persons (Kazakh pack), cache {cache_mb:,.1f} MB:")
        print(f"  full run, writing the cache      {full[0]:7.1f} s  cpu {full[4]:7.1f} s  peak {full[1]:7,.0f} MB  "
              f"({how(full[3])})")
        print(f"  nothing changed                  {same[0]:7.1f} s  cpu {same[4]:7.1f} s  peak {same[1]:7,.0f} MB  "
              f"({how(same[3])}): "
              f"{same[0] / full[0]:.0%} of the full run; findings as before: {same_equal}")
        print(f"  one new verdict, one new tenure  {changed[0]:7.1f} s  cpu {changed[4]:7.1f} s  peak "
              f"{changed[1]:7,.0f} MB  ({how(changed[3])}): {changed[0] / full[0]:.0%} of the full run "
              f"({changed[4] / full[4]:.0%} of its CPU), {changed[0] / fresh_run[0]:.0%} of the fresh run beside "
              f"it ({changed[4] / fresh_run[4]:.0%} of its CPU); findings and report files equal to a fresh "
              f"run's (every re-run): {changed_equal}")
        if len(times) > 1:
            print(f"    the median of {len(times)} re-runs from the same folder: "
                  + ", ".join(f"{t[0]:.1f} s ({t[0] / full[0]:.0%})" for t in times))
        print(f"  fresh run with --no-cache        {fresh_run[0]:7.1f} s  cpu {fresh_run[4]:7.1f} s  peak "
              f"{fresh_run[1]:7,.0f} MB")
        if cold[1]:
            print(f"  serve start, cold (checks the case)          {cold[0]:7.1f} s")
        print(f"  serve start from the last run's results     {warm[0]:7.1f} s  ({warm[1]})")


if __name__ == "__main__":
    main()
