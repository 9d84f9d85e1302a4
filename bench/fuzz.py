"""Mutation fuzzing of everything riskcheck reads from strangers: cases, FollowTheMoney files, workbooks.

    python bench/fuzz.py                                  # 2,000 inputs to each target
    python bench/fuzz.py --inputs 100000 --workers 2      # at length
    python bench/fuzz.py --target ftm --target workbook   # some targets only
    python bench/fuzz.py --target load                    # loaders and validator only, about 20x faster than run

Targets (TARGETS below; a new reader joins by adding one):
- run: a shipped case with one to four mutations in its files (a value replaced by a hostile one: year
  0000, an open date, a huge number, an alias, a control or bidi character, a path, a long string ...; a line
  deleted, doubled, truncated or re-indented; a character inserted) goes through what `riskcheck run` does
  (load, validate, evaluate every shipped rule, write the report and the index).
- load: the same inputs through the loaders and the validator only (`riskcheck validate`).
- ftm: the FollowTheMoney test file with its entities damaged (values replaced by hostile ones, nested
  deeply, ids shared across schemata, dates out of range, bytes that are not UTF-8, lines cut) goes through
  `riskcheck import ftm`, and the case it writes through `riskcheck validate`.
- workbook: a small registry workbook with hostile cell values, formulas with and without saved values,
  and its XML damaged (cell types, shared string indexes, declared sizes), read as a case.
- reviews-import: a file of real decisions (made on a shipped case, then exported) with its events damaged
  (fields replaced by hostile values, evidence that is not the finding, times far ahead, deep JSON, lines cut,
  bytes that are not UTF-8) goes through `riskcheck reviews import`; then `riskcheck run` must still write the
  case's report and `riskcheck export findings` its sheet, whatever was imported.

Any exception that escapes, any file written outside the output folder, or an outcome other than "checked"
or "refused with a message" is counted as a failure, with its signature and the seed that reproduces it.
tests/test_fuzz.py drives the same mutations with hypothesis in CI.
"""

from __future__ import annotations

import argparse
import json
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
from typing import Callable

REPO = Path(__file__).resolve().parent.parent
CASES = REPO / "cases"
RULES = REPO / "rules" / "kz"
FTM_SEED = REPO / "tests" / "data" / "ftm" / "fictional-peps.ftm.json"

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
    from riskcheck.pipeline import run_cases
    from riskcheck.results import RunOptions
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
    from riskcheck.pipeline import run_cases
    from riskcheck.results import RunOptions

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


# ---------------------------------------------------------------------------------------------- FollowTheMoney

FTM_OPS = ("value", "value", "date", "nest", "collide", "fragment", "drop_key", "line")
FTM_VALUES: list = [None, True, 0, -1, 1e308, "", "x" * 3000, {}, [], [[[]]], {"id": "n", "schema": "Person"},
                    "0000", "99999", "0000-01-01", "99999-01-01", "2021-13-45", "1961-04", "2024-05-01T10:00:00",
                    "\u202e", "\x00", "\ud800", "javascript:alert(1)", "https://example.org/O'Brien\u2028",
                    "Organization", "Person", "Thing", "LegalEntity", "ftm-p-father", "ftm-min-demo"]
FTM_DATES = ["0000", "99999", "0000-01-01", "99999-01-01", "2021-02-30", "1961", "1961-04", "1961-04-02T00:00:00",
             "../2021", "2021/2020", "", "9999-12-31", "0001-01-01", "1000-01-01", "2024-5-1"]


def mutate_ftm(lines: list[str], rng: random.Random) -> bytes:
    """The FtM file with one to four entities damaged; returns the file's bytes (maybe not UTF-8)."""
    entities = [json.loads(line) for line in lines]
    raw_tail = b""
    for _ in range(rng.randint(1, 4)):
        op = rng.choice(FTM_OPS)
        entity = rng.choice(entities)
        props = entity.setdefault("properties", {})
        if op == "value":
            where = rng.choice(["id", "schema", "datasets", "last_change", "properties", "prop", "prop", "prop"])
            value = rng.choice(FTM_VALUES)
            if where == "prop" and isinstance(props, dict) and props:
                props[rng.choice(sorted(props))] = rng.choice([value, [value], [value, value]])
            else:
                entity[where] = value
        elif op == "date":
            prop = rng.choice(["birthDate", "startDate", "endDate", "last_change"])
            date = rng.choice(FTM_DATES)
            if prop == "last_change":
                entity[prop] = date
            elif isinstance(props, dict):
                props[prop] = [date] * rng.randint(1, 2) + ([rng.choice(FTM_DATES)] if rng.random() < 0.5 else [])
        elif op == "nest":
            nested = {"id": f"deep-{rng.randrange(100)}", "schema": "Person", "properties": {"name": ["Deep"]}}
            for level in range(rng.choice([2, 30, 40, 200])):
                nested = {"id": f"n{level}", "schema": "Family", "properties": {"relative": [nested]}}
            if isinstance(props, dict):
                props["relative"] = [nested]
        elif op == "collide":
            other = dict(rng.choice(entities))
            other["schema"] = rng.choice(["Organization", "Person", "Company", "LegalEntity", "Thing", "Note"])
            entities.append(other)
        elif op == "fragment":
            entities += [{"id": entity.get("id"), "schema": entity.get("schema"),
                          "properties": {"alias": [f"A{i}"]}} for i in range(rng.choice([2, 50, 2000]))]
        elif op == "drop_key":
            entity.pop(rng.choice(["id", "schema", "properties", "datasets"]), None)
        elif op == "line":
            raw_tail += rng.choice([b"\xff\xfe", b"\xc3", b"{", b"[" * 5000, b"null", b"\x00", b"\r\n\r\n",
                                    "Ærø".encode("latin-1"), b"\xef\xbb\xbf{}"]) + b"\n"
    text = "".join(json.dumps(e, ensure_ascii=rng.random() < 0.5) + "\n" for e in entities)
    data = text.encode("utf-8", "surrogatepass")
    if rng.random() < 0.2:
        data = data[: rng.randrange(len(data) + 1)]
    return data + raw_tail


def check_ftm(data: bytes, workdir: Path, validate: bool = True) -> str:
    """`riskcheck import ftm`, then (with `validate`) `riskcheck validate` of what it wrote: "checked", "refused"
    or "FAILURE: ..."."""
    from riskcheck.errors import ProblemError
    from riskcheck.importers.ftm import import_ftm
    from riskcheck.registry.load import load_case

    source = workdir / "input.ftm.json"
    source.write_bytes(data)
    out = workdir / "cases" / "imported"
    try:
        import_ftm(source, out)
    except ProblemError:
        return "case refused"
    except Exception as exc:
        return "FAILURE: " + _signature(exc)
    if not validate:
        return "checked"
    try:
        load_case(out, workdir / "cases").close()
    except ProblemError as exc:
        return f"FAILURE: the imported case does not validate: {exc.problems[0].message[:60]}"
    except Exception as exc:
        return "FAILURE: " + _signature(exc)
    return "checked"


# ---------------------------------------------------------------------------------------------- workbooks

WORKBOOK_CELLS: list = ["=A2", '=IF(TRUE,"Someone Else")', "=1/0", "#REF!", 1e308, -1, 0, True, "", " ", None,
                        "x" * 3000, "\u202e", "2021-13-45", "0000", "p1", "p2", "s1", "parent", "spouse"]
WORKBOOK_XML = [('t="inlineStr"', 't="e"'), ('t="inlineStr"', 't="s"'), ('t="inlineStr"', 't="b"'),
                ('t="inlineStr"', 't="d"'), ('t="inlineStr"', 't="n"'), ("<v />", ""), ("<v />", "<v>x</v>"),
                ("<v />", "<v>1e999</v>"), ('<dimension ref="', '<dimension ref="A1:XFD1048576" x="'),
                ('r="A2"', 'r="XFD1048576"'), ('r="A2"', 'r="A0"'), ('r="B2"', 'r="B"'), ("<row ", "<row r=\"0\" "),
                ("</sheetData>", '<row r="9"><c r="A9" t="s"><v>99</v></c></row></sheetData>'),
                ("<f>", "<f t=\"shared\" si=\"0\">"), ("</c>", ""), ("<is>", "")]


def make_workbook(path: Path, rng: random.Random) -> None:
    """A small registry workbook with hostile cells, its XML then damaged in one to three places."""
    import io
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    book.active.title = rng.choice(["persons", "Sheet1", "relations"])
    rows = [["id", "name", "birth_date"], ["p1", "Father", 1961], ["p2", "Son", "1990-03"]]
    for _ in range(rng.randint(1, 4)):
        row = rng.randrange(len(rows))
        col = rng.randrange(4)
        while len(rows[row]) <= col:
            rows[row].append(None)
        rows[row][col] = rng.choice(WORKBOOK_CELLS)
    for row in rows:
        book.active.append(row)
    if rng.random() < 0.3:
        book.create_sheet(rng.choice(["tenures", "Notes", "persons "])).append(["id", "person_id"])
    buf = io.BytesIO()
    book.save(buf)
    source = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    edits = [rng.choice(WORKBOOK_XML) for _ in range(rng.randint(0, 3))]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                text = data.decode()
                for old, new in edits:
                    text = text.replace(old, new, 1)
                data = text.encode()
            out.writestr(item, data)


def check_workbook(path: Path, root: Path, validate: bool = True) -> str:
    """The workbook read as a case's record file (with `validate`, the whole case loaded and validated; else
    the workbook reader alone): "checked", "refused" or "FAILURE: ..."."""
    from riskcheck.errors import ProblemError
    from riskcheck.registry.load import load_case
    from riskcheck.registry.schema import load_schema
    from riskcheck.registry.workbook import read_workbook

    try:
        if validate:
            load_case(path.parent, root).close()
            return "checked"
        _, errors, warnings = read_workbook(path, f"cases/book/{path.name}", load_schema())
    except ProblemError as exc:
        errors, warnings = exc.problems, []
    except Exception as exc:
        return "FAILURE: " + _signature(exc)
    if any(str(root) in str(p) for p in errors + warnings):
        return "FAILURE: a message names the absolute path"
    return "case refused" if errors else "checked"


# ---------------------------------------------------------------------------------------------- review logs

REVIEW_CASE = "fictional-ministry-family"
REVIEW_VALUES: list = ["", "x" * 70_000, "\ud800", "\u202e", None, 0, 1e309, [], {}, [1], "not json", "9999-12-31",
                       "9999-12-31T23:59:59+00:00", "0000-01-01T00:00:00", "2020-01-01T00:00:00+00:00", "confirmed",
                       "dismissed", "unsure", "maybe", "no-such-case", "../../etc", "=2+5", "Nurlan;=2+5;Zhaksylykov"]
REVIEW_FIELDS = ("case_id", "finding", "decision", "note", "reviewer", "at", "fingerprint", "evidence", "kind",
                 "batch", "uid")


def review_seed() -> list[str]:
    """Decisions of every kind on the findings of a shipped case, as `riskcheck reviews export` writes them."""
    from click.testing import CliRunner
    from riskcheck.cli import main

    runner = CliRunner()
    with tempfile.TemporaryDirectory(prefix="riskcheck-fuzz-seed-") as tmp:
        cases = Path(tmp) / "cases"
        shutil.copytree(CASES / REVIEW_CASE, cases / REVIEW_CASE)
        runner.invoke(main, ["run", str(cases), "--out", str(Path(tmp) / "out")], catch_exceptions=False)
        findings = json.loads((Path(tmp) / "out" / REVIEW_CASE / "findings.json").read_text(encoding="utf-8"))
        for finding, decision in zip(findings["findings"], ("confirmed", "dismissed", "unsure") * 3):
            runner.invoke(main, ["reviews", "decide", str(cases), finding["id"], "--decision", decision,
                                 "--reviewer", "Анна", "--note", "seen in the court's register",
                                 "--reports", str(Path(tmp) / "out")],
                          catch_exceptions=False)
        runner.invoke(main, ["reviews", "export", str(cases), "--out", str(Path(tmp) / "seed.jsonl")],
                      catch_exceptions=False)
        return (Path(tmp) / "seed.jsonl").read_text(encoding="utf-8").splitlines()


def mutate_reviews(lines: list[str], rng: random.Random) -> bytes:
    """The exported decisions with one to four events damaged; returns the file's bytes (maybe not UTF-8)."""
    events = [json.loads(line) for line in lines]
    raw_tail = b""
    for _ in range(rng.randint(1, 4)):
        event = rng.choice(events)
        op = rng.choice(("value", "value", "evidence", "copy", "drop", "line"))
        if op == "value":
            event[rng.choice(REVIEW_FIELDS)] = rng.choice(REVIEW_VALUES)
        elif op == "evidence" and isinstance(event.get("evidence"), str):
            try:
                evidence = json.loads(event["evidence"])
            except ValueError:
                continue
            if isinstance(evidence, dict) and evidence:
                evidence[rng.choice(sorted(evidence))] = rng.choice(REVIEW_VALUES)
            event["evidence"] = json.dumps(evidence)
            if rng.random() < 0.5:  # a forger who also mends the fingerprint
                from riskcheck.review.events import fingerprint
                event["fingerprint"] = fingerprint(event["evidence"])
        elif op == "copy":
            events.append(dict(event, at=rng.choice(REVIEW_VALUES[9:14])))
        elif op == "drop":
            event.pop(rng.choice(REVIEW_FIELDS), None)
        else:
            raw_tail += rng.choice([b"\xff\xfe", b"\xc3", b"{", b"[" * 5000, b"null", b"\x00", b"[1]", b'"not json"',
                                    b"\xef\xbb\xbf{}"]) + b"\n"
    data = "".join(json.dumps(e, ensure_ascii=rng.random() < 0.5) + "\n" for e in events).encode("utf-8", "surrogatepass")
    if rng.random() < 0.2:
        data = data[: rng.randrange(len(data) + 1)]
    return data + raw_tail


def check_reviews(data: bytes, tmp: Path) -> str:
    """`riskcheck reviews import`, then `run` and `export findings` of the case: "checked", "case refused" (the
    import refused in words; the run and the export must work all the same) or "FAILURE: ..."."""
    from click.testing import CliRunner
    from riskcheck.cli import main

    runner = CliRunner()
    cases = tmp / "cases"
    shutil.copytree(CASES / REVIEW_CASE, cases / REVIEW_CASE)
    (tmp / "in.jsonl").write_bytes(data)
    imported = runner.invoke(main, ["reviews", "import", str(cases), str(tmp / "in.jsonl")])
    if imported.exception is not None and not isinstance(imported.exception, SystemExit):
        return "FAILURE: import: " + _signature(imported.exception)
    ran = runner.invoke(main, ["run", str(cases), "--out", str(tmp / "out")])
    if ran.exception is not None and not isinstance(ran.exception, SystemExit) or ran.exit_code != 0:
        return "FAILURE: run after the import: " + (_signature(ran.exception) if ran.exception else ran.output[-60:])
    if not (tmp / "out" / REVIEW_CASE / "report.html").is_file():
        return "FAILURE: no report after the import"
    exported = runner.invoke(main, ["export", "findings", str(cases), "--out", str(tmp / "desk.xlsx"),
                                    "--reports", str(tmp / "out")])
    if exported.exit_code != 0:
        return "FAILURE: export after the import: " + (_signature(exported.exception) if exported.exception
                                                       else exported.output[-60:])
    if any(p.is_file() and tmp not in p.resolve().parents for p in tmp.rglob("*")):
        return "FAILURE: a file written outside the work folder"
    return "checked" if imported.exit_code == 0 else "case refused"


def _reviews_check(n: int, lines, tmp: Path) -> str:
    return check_reviews(mutate_reviews(lines, random.Random(f"reviews-{n}")), tmp)


# ---------------------------------------------------------------------------------------------- targets

@dataclass(frozen=True)
class Target:
    """One reader to fuzz: `prepare` loads what every input shares (once per worker), `check` runs input n."""

    name: str
    prepare: Callable[[], object]
    check: Callable[[int, object, Path], str]


def _case_check(level: str) -> Callable[[int, object, Path], str]:
    def check(n: int, rules, tmp: Path) -> str:
        case, mutations = random_input(random.Random(n))
        root = build_input(tmp, case, mutations)
        return check_run(root, tmp / "out", rules) if level == "run" else check_load(root)
    return check


def _shipped_rules():
    from riskcheck.rules.loader import load_rules

    return load_rules(RULES)


def _ftm_check(validate: bool) -> Callable[[int, object, Path], str]:
    def check(n: int, lines, tmp: Path) -> str:
        return check_ftm(mutate_ftm(lines, random.Random(f"ftm-{n}")), tmp, validate)
    return check


def _workbook_check(validate: bool) -> Callable[[int, object, Path], str]:
    def check(n: int, _, tmp: Path) -> str:
        folder = tmp / "cases" / "book"
        folder.mkdir(parents=True)
        (folder / "case.yaml").write_text("id: book\nas_of: 2024-01-01\nsources: [{id: s1, title: Register}]\n")
        make_workbook(folder / "registry.xlsx", random.Random(f"workbook-{n}"))
        return check_workbook(folder / "registry.xlsx", tmp / "cases", validate)
    return check


def _ftm_seed() -> list[str]:
    return FTM_SEED.read_text(encoding="utf-8").splitlines()


# The readers alone are fast (hundreds of inputs a second); a `-case` target also loads and validates the case
# the input makes (DuckDB: about a second an input on a busy machine), as `run` and `load` do.
TARGETS = {
    "run": Target("run", _shipped_rules, _case_check("run")),
    "load": Target("load", lambda: None, _case_check("load")),
    "ftm": Target("ftm", _ftm_seed, _ftm_check(validate=False)),
    "ftm-case": Target("ftm-case", _ftm_seed, _ftm_check(validate=True)),
    "workbook": Target("workbook", lambda: None, _workbook_check(validate=False)),
    "workbook-case": Target("workbook-case", lambda: None, _workbook_check(validate=True)),
    "reviews-import": Target("reviews-import", review_seed, _reviews_check),
}
DEFAULT_TARGETS = ("ftm", "workbook")


def fuzz_slice(args: tuple[int, int, str]) -> tuple[str, int, Counter, dict]:
    """Run inputs [start, stop) of one target's seeded sequence; each input's seed is its number."""
    start, stop, name = args
    sys.path.insert(0, str(REPO))
    target = TARGETS[name]
    shared = target.prepare()
    outcomes: Counter = Counter()
    examples: dict[str, int] = {}
    for n in range(start, stop):
        with tempfile.TemporaryDirectory(prefix="riskcheck-fuzz-") as tmp:
            outcome = target.check(n, shared, Path(tmp))
        outcomes[outcome] += 1
        examples.setdefault(outcome, n)
    return name, stop - start, outcomes, examples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inputs", type=int, default=2000, help="inputs to each target")
    parser.add_argument("--first", type=int, default=0, help="number of the first input (its seed)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--target", action="append", choices=sorted(TARGETS),
                        help=f"a target to fuzz (repeatable; default: {', '.join(DEFAULT_TARGETS)})")
    parser.add_argument("--level", choices=("run", "load"), help="the case target only: the same as --target LEVEL")
    args = parser.parse_args(argv)
    targets = args.target or ([args.level] if args.level else list(DEFAULT_TARGETS))
    sys.path.insert(0, str(REPO))
    started = time.perf_counter()
    chunk = 100
    slices = [(s, min(s + chunk, args.first + args.inputs), name)
              for s in range(args.first, args.first + args.inputs, chunk) for name in targets]
    tried, outcomes, examples = Counter(), {t: Counter() for t in targets}, {t: {} for t in targets}
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        for name, done, found, seen in pool.map(fuzz_slice, slices):
            tried[name] += done
            outcomes[name].update(found)
            for k, v in seen.items():
                examples[name].setdefault(k, v)
            print(f"  {sum(tried.values()):,} inputs, {sum(_failures(o) for o in outcomes.values())} failures, "
                  f"{time.perf_counter() - started:,.0f} s", file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - started
    total = sum(tried.values())
    print(f"inputs {args.first:,} to {args.first + args.inputs - 1:,} of each target: {', '.join(targets)}")
    print(f"inputs tried: {total:,} in {elapsed:,.0f} s ({total / elapsed:,.1f} a second, {args.workers} worker(s))")
    any_failure = False
    for name in targets:
        found = outcomes[name]
        failures = {k: v for k, v in found.items() if k.startswith("FAILURE")}
        any_failure = any_failure or bool(failures)
        print(f"{name}: {tried[name]:,} inputs; checked: {found['checked']:,}; refused with a message: "
              f"{found['case refused']:,}; unhandled failures: {_failures(found)} ({len(failures)} signatures)")
        for signature, count in sorted(failures.items(), key=lambda kv: -kv[1]):
            print(f"  {count:6}  {signature[9:]}  (first: --target {name} --first {examples[name][signature]} "
                  "--inputs 1)")
    return 1 if any_failure else 0


def _failures(outcomes: Counter) -> int:
    return sum(v for k, v in outcomes.items() if k.startswith("FAILURE"))


if __name__ == "__main__":
    sys.exit(main())
