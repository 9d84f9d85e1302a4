"""Running a rule's inline tests: each test is a tiny registry and the findings it must give.

`riskcheck test rules/` and pytest (tests/test_shipped_rules.py) both run tests through here, so a
rule author sees the same verdict either way. A test marked `known_gap` records a limitation
without failing the suite, as semgrep's `todoruleid` does; it fails if the gap is ever closed,
so the mark does not outlive the limitation.
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

from riskcheck.engine.evaluate import resolve_params
from riskcheck.engine.findings import Finding
from riskcheck.errors import ProblemError, failure_words
from riskcheck.registry.load import Registry, load_documents
from riskcheck.rules.evaluation import RuleFailed, evaluate_loaded, naming_the_rule
from riskcheck.rules.loader import LoadedRule, locate
from riskcheck.grammar.parameters import coerce_param
from riskcheck.grammar.rule_tests import RuleTest
from riskcheck.i18n import speaking
from riskcheck.yamlio import load_yaml_file


@dataclass
class TestResult:
    rule: str
    name: str
    passed: bool
    message: str = ""
    known_gap: str | None = None
    line: int | None = None
    # The findings the test's records gave, in full: what a caller checks beyond their statuses.
    findings: list[Finding] = field(default_factory=list)

    __test__ = False  # not a pytest class


def run_rule_tests(loaded: LoadedRule, keyword: str | None = None) -> list[TestResult]:
    """Run a rule's inline tests; with `keyword`, only those whose "rule-id test_name" contains it. Then, for
    each language the rule translates into, its findings written in that language (`in_<language>`)."""
    results = [run_rule_test(loaded, i, test) for i, test in enumerate(loaded.rule.tests)
               if keyword is None or keyword in f"{loaded.id} {test.name}"]
    return results + [run_language_check(loaded, lang) for lang in loaded.rule.translations
                      if keyword is None or keyword in f"{loaded.id} in_{lang}"]


def run_language_check(loaded: LoadedRule, lang: str) -> TestResult:
    """The rule's findings written in `lang`: one test of each status it expects, so every branch of its
    translated templates (`{% if status == "pending" %}`) renders, with the names and fields the data gives."""
    chosen: dict[str, int] = {}
    for i, test in enumerate(loaded.rule.tests):
        for e in test.expect if not test.known_gap else []:
            chosen.setdefault(e.status, i)
    result = TestResult(loaded.id, f"in_{lang}", True, line=locate(loaded.document, ("translations",)))
    for i in sorted(set(chosen.values())):
        test = loaded.rule.tests[i]
        try:
            with speaking(lang):
                test_findings(loaded, i, test)
        except (RuleFailed, ProblemError, ValueError) as exc:
            result.passed = False
            result.message = f"writing the findings of test {test.name} in {lang} failed: " \
                             f"{exc.words if isinstance(exc, RuleFailed) else exc}"
            break
    return result


def run_rule_test(loaded: LoadedRule, index: int, test: RuleTest) -> TestResult:
    line = locate(loaded.document, ("tests", index))
    result = TestResult(loaded.id, test.name, False, known_gap=test.known_gap, line=line)
    try:
        result.findings = test_findings(loaded, index, test)
    except RuleFailed as exc:  # the rule failed as it was evaluated, as `riskcheck run` would report it
        # A ValueError is a setting the rule refuses (a test's parameter), already in words of its own.
        refused = exc.__cause__ if isinstance(exc.__cause__, ValueError) else None
        result.message = f"the test could not run: {refused or exc.words}"
        return result
    except (ProblemError, ValueError) as exc:  # the test's own records, fixture or parameters are wrong
        result.message = f"the test could not run: {exc}"
        return result
    actual = [(f.status, f.unit if f.unit is not None else f.person, tuple(f.related)) for f in result.findings]
    expected = Counter((e.status, e.about, tuple(sorted(e.related)) if e.related is not None else None)
                       for e in test.expect)
    got: Counter[tuple] = Counter()
    unmatched = Counter(actual)
    for key, count in expected.items():
        for _ in range(count):
            match = next((a for a in unmatched if unmatched[a] and a[0] == key[0] and a[1] == key[1]
                          and (key[2] is None or a[2] == key[2])), None)
            if match is None:
                break
            unmatched[match] -= 1
            got[key] += 1
    missing = expected - got
    extra = +unmatched
    passed = not missing and not extra
    if test.known_gap:
        result.passed = not passed
        result.message = ("known gap: " + test.known_gap) if not passed else \
            "marked known_gap but now passes: remove the mark"
        return result
    result.passed = passed
    if not passed:
        parts = []
        if missing:
            parts.append("expected but not found: " + _list(missing))
        if extra:
            parts.append("found but not expected: " + _list(extra))
        result.message = "; ".join(parts)
    return result


def test_findings(loaded: LoadedRule, index: int, test: RuleTest) -> list[Finding]:
    """The findings a rule's inline test gives, in full (for checks beyond the expected statuses)."""
    with loading_the_records():
        registry, overrides = _test_registry(loaded, index, test)
    try:
        with naming_the_rule(loaded):
            return evaluate_loaded(loaded, registry, test.as_of, resolve_params(loaded.compiled, overrides))
    finally:
        registry.close()


setattr(test_findings, "__test__", False)  # not a pytest test (a function has no such attribute to mypy)


def _test_registry(loaded: LoadedRule, index: int, test: RuleTest) -> tuple[Registry, dict]:
    """The test's registry (its fixture and its own records) and its parameters, typed."""
    shown = f"{loaded.path} test {test.name!r}"
    docs = []
    if test.fixture is not None:
        fixture = (loaded.path.parent / test.fixture).resolve()
        if loaded.path.parent.resolve() not in fixture.parents:
            raise ValueError(f"fixture {test.fixture!r} must lie in the rule's folder")
        docs.append((load_yaml_file(fixture, str(fixture)), str(fixture)))
    if test.records is not None:
        docs.append((loaded.document["tests"][index]["records"], shown))
    overrides = {}
    for name, value in test.params.items():
        if name not in loaded.rule.parameters:
            raise ValueError(f"unknown parameter {name!r}")
        overrides[name] = coerce_param(loaded.rule.parameters[name].type, value)
    return load_documents(docs), overrides


@contextmanager
def loading_the_records():
    """A failure while the test's records load (not a problem of the records, which loading words itself: a
    fixture that cannot be read, a bug) is the test's, in one line, as `riskcheck run` makes it a case's: a rule
    from a stranger may fail a test, never print a traceback."""
    try:
        yield
    except (ProblemError, ValueError):
        raise
    except Exception as exc:
        raise ValueError(failure_words(exc)) from exc


def _list(items: Counter) -> str:
    return ", ".join(f"{status} for {person}" + (f" (related {', '.join(rel)})" if rel else "")
                     for (status, person, rel), n in sorted(items.items(), key=str) for _ in range(n))
