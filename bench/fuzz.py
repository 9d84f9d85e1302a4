"""Mutation fuzzing of whole runs: shipped cases, damaged the ways strangers' files are damaged.

    python bench/fuzz.py                      # 2,000 mutated cases through the whole run
    python bench/fuzz.py --inputs 100000 --workers 2
    python bench/fuzz.py --level load         # loaders and validator only, about 20x faster

Each input is one shipped case with one to four mutations in its files: a value replaced by a
hostile one (year 0000, an open date, a huge number, an alias, a control or bidi character, a path,
a long string ...), a line deleted, doubled, truncated or re-indented, a character inserted. The
case goes through what `riskcheck run` does (load, validate, evaluate every shipped rule, write the
report and the index). Any exception that escapes, any file written outside the output folder, or
an exit other than "checked" or "case failed" is counted as a failure, with its signature and the
seed that reproduces it. tests/test_fuzz.py drives the same mutations with hypothesis in CI.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CASES = REPO / "cases"
RULES = REPO / "rules" / "kz"

TOKENS = [
    "0000", "0000-01-01", "9999-12-31", "9999", "0001-01-01", "2024-05/..", "../2021", "..", "/", "2021-13-45",
    "2021-02-29", "2000-02-29", "2024-00", "-1", "0", "99999999999", "1e309", "NaN", "", "~", "null", "true",
    "no", "&anchor x", "*anchor", "!!python/object/apply:os.system ['true']", "!!binary aGk=", "<script>x</script>",
    "'; DROP TABLE persons; --", "\u202eevil\u202c", "\u200b", "\x1b[31m", "\x00", "\x07", "x" * 5000,
    "../../etc/passwd", "**", "*.csv", "{a: b}", "[x, y]", "[]", "{}", "%s%n", "\\", "\"", "'", ":", "- ",
    "p-son", "p1", "s1", "convicted", "corruption", "parent", "spouse", "alleged", "inferred", "resigned",
    "Жақсыбекова Дана", "https://example.org/x", "javascript:alert(1)", "||", "<<: *a",
]
# Valid but unusual dates: they pass validation and reach the rules, where open and partial dates matter.
DATES = ["2021", "2021-10", "2021-10/2022", "../2021", "2024-05/..", "..", "2023-03-01", "2024-06-10", "1950",
         "2024-02-29", "2023-12/2024-01", "2024-06-01/2024-06-20", "0001-01-01", "9999-12-31", "1000"]
_DATE = re.compile(r"\b\d{4}(?:-\d{2}){0,2}\b")
OPS = ("replace_date", "replace_date", "replace_date", "replace_value", "delete_line", "double_line", "truncate", "indent", "insert_char", "swap_lines")


@dataclass(frozen=True)
class Mutation:
    op: str
    position: int  # any non-negative number; taken modulo what the file offers
    token: str


def mutate(text: str, mutation: Mutation) -> str:
    """Apply one mutation to a file's text; always returns some text (maybe empty)."""
    lines = text.split("\n")
    at = mutation.position % max(len(lines), 1)
    if mutation.op == "replace_date":
        found = list(_DATE.finditer(text))
        if not found:
            return text
        m = found[mutation.position % len(found)]
        return text[: m.start()] + DATES[mutation.position % len(DATES)] + text[m.end():]
    if mutation.op == "replace_value":
        line = lines[at]
        cut = line.find(": ")
        if cut < 0:
            cut = line.find(",")
        lines[at] = (line[: cut + 2] + mutation.token) if cut >= 0 else mutation.token
    elif mutation.op == "delete_line":
        del lines[at]
    elif mutation.op == "double_line":
        lines.insert(at, lines[at])
    elif mutation.op == "truncate":
        return text[: mutation.position % (len(text) + 1)]
    elif mutation.op == "indent":
        lines[at] = " " * (mutation.position % 5) + lines[at].lstrip()
    elif mutation.op == "insert_char":
        line = lines[at]
        col = mutation.position % (len(line) + 1)
        lines[at] = line[:col] + (mutation.token[:1] or "\x00") + line[col:]
    elif mutation.op == "swap_lines":
        other = (at * 7 + 3) % max(len(lines), 1)
        lines[at], lines[other] = lines[other], lines[at]
    return "\n".join(lines)


def seed_cases() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def build_input(workdir: Path, case: str, mutations: list[tuple[int, Mutation]]) -> Path:
    """Copy the shipped cases folder into workdir (shared folders too) and mutate files of one case."""
    root = workdir / "cases"
    shutil.copytree(CASES / case, root / case)
    for shared in CASES.glob("_*"):
        shutil.copytree(shared, root / shared.name)
    files = sorted(p for p in (root / case).iterdir() if p.is_file())
    for which, mutation in mutations:
        target = files[which % len(files)]
        target.write_text(mutate(target.read_text(encoding="utf-8"), mutation), encoding="utf-8")
    return root


def check_run(root: Path, out: Path, rules) -> str:
    """Run as `riskcheck run` does; return the outcome: "checked", "case refused", or "FAILURE: <signature>"."""
    from riskcheck.errors import ProblemError
    from riskcheck.pipeline import RunOptions, run_cases
    from riskcheck.report.output import output_lock, tidy
    from riskcheck.report.render import write_case, write_index

    try:
        with output_lock(out):
            tidy(out)
            results = run_cases(root, rules, RunOptions(), lambda r, reg: write_case(out, r, reg, rules))
            write_index(out, results, rules)
    except ProblemError:
        return "case refused"  # the whole folder refused with a message: a handled outcome
    except Exception as exc:
        return "FAILURE: " + _signature(exc)
    outside = [p for p in out.parent.rglob("*") if p.is_file() and out not in p.parents and root not in p.parents]
    if outside:
        return f"FAILURE: wrote outside the output folder: {outside[0].name}"
    return "checked" if all(r.ok for r in results) else "case refused"


def _signature(exc: BaseException) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1]
    return f"{type(exc).__name__} at {Path(frame.filename).name}:{frame.lineno}"


def check_load(root: Path) -> str:
    """Only the loaders and the validator (what `riskcheck validate` does); outcomes as check_run's."""
    from datetime import date

    from riskcheck.errors import ProblemError
    from riskcheck.pipeline import RunOptions, run_cases

    try:
        results = run_cases(root, [], RunOptions(as_of=date(2025, 1, 1)))
    except ProblemError:
        return "case refused"
    except Exception as exc:
        return "FAILURE: " + _signature(exc)
    return "checked" if all(r.ok for r in results) else "case refused"


def random_input(rng: random.Random) -> tuple[str, list[tuple[int, Mutation]]]:
    case = rng.choice(seed_cases())
    mutations = [(rng.randrange(10**6), Mutation(rng.choice(OPS), rng.randrange(10**6), rng.choice(TOKENS)))
                 for _ in range(rng.randint(1, 3))]
    return case, mutations


def fuzz_slice(args: tuple[int, int, str]) -> tuple[int, Counter, dict]:
    """Run inputs [start, stop) of the seeded sequence; each input's seed is its number."""
    start, stop, level = args
    from riskcheck.rules.loader import load_rules

    rules = load_rules(RULES)
    outcomes: Counter = Counter()
    examples: dict[str, int] = {}
    for n in range(start, stop):
        case, mutations = random_input(random.Random(n))
        with tempfile.TemporaryDirectory(prefix="riskcheck-fuzz-") as tmp:
            root = build_input(Path(tmp), case, mutations)
            outcome = check_run(root, Path(tmp) / "out", rules) if level == "run" else check_load(root)
        outcomes[outcome] += 1
        examples.setdefault(outcome, n)
    return stop - start, outcomes, examples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inputs", type=int, default=2000)
    parser.add_argument("--first", type=int, default=0, help="number of the first input (its seed)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--level", choices=("run", "load"), default="run")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    started = time.perf_counter()
    chunk = 200
    slices = [(s, min(s + chunk, args.first + args.inputs), args.level)
              for s in range(args.first, args.first + args.inputs, chunk)]
    tried, outcomes, examples = 0, Counter(), {}
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        for done, found, seen in pool.map(fuzz_slice, slices):
            tried += done
            outcomes.update(found)
            for k, v in seen.items():
                examples.setdefault(k, v)
            print(f"  {tried:,} inputs, {_failures(outcomes)} failures, "
                  f"{time.perf_counter() - started:,.0f} s", file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - started
    print(f"level: {args.level}; inputs {args.first:,} to {args.first + args.inputs - 1:,}")
    print(f"inputs tried: {tried:,} in {elapsed:,.0f} s ({tried / elapsed:,.1f} a second, {args.workers} worker(s))")
    print(f"checked: {outcomes['checked']:,}; refused with a message: {outcomes['case refused']:,}")
    failures = {k: v for k, v in outcomes.items() if k.startswith("FAILURE")}
    print(f"unhandled failures: {_failures(outcomes)} ({len(failures)} signatures)")
    for signature, count in sorted(failures.items(), key=lambda kv: -kv[1]):
        print(f"  {count:6}  {signature[9:]}  (first: input {examples[signature]})")
    return 1 if failures else 0


def _failures(outcomes: Counter) -> int:
    return sum(v for k, v in outcomes.items() if k.startswith("FAILURE"))


if __name__ == "__main__":
    sys.exit(main())
