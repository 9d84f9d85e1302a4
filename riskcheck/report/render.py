"""Rendering a case's findings to findings.json and report.html, and all cases to index.html.

Output is deterministic: no clock, no machine paths, findings and records in a fixed order, so the
same data and rules give byte-identical files that a newsroom can diff between runs.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, NamedTuple, Sequence, cast

from jinja2 import pass_context
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from riskcheck import __version__
from riskcheck.engine.evaluate import RecordLookup
from riskcheck.engine.facts import describe
from riskcheck.engine.findings import Finding
from riskcheck.grammar.model import Rule, UnitRule
from riskcheck.grammar.translations import basis_text, parameter_text, rule_text
from riskcheck.i18n import HTML_LANG, N_, NATIVE_NAMES, _, current, format_number, format_percent, speaking
from riskcheck.grammar.vocabulary import LEAD_STATUSES, SEVERITIES, STATUSES, severity_rank
from riskcheck.registry.load import Registry
from riskcheck.results import CaseResult
from riskcheck.reuse import PageReuse
from riskcheck.report.drawing import Drawing, drawing_of
from riskcheck.report.drawing_situation import people_of
from riskcheck.report.identity import identity_context, identity_document
from riskcheck.report.json_text import indented_json
from riskcheck.report.setting_words import description_words, setting_markup, setting_source, setting_words
from riskcheck.report.second_process import SecondProcess
from riskcheck.report.output import (SAFE_NAME, case_folder, link_staged, safe_path, write_staged,
                                     write_text)
from riskcheck.registry.dates import time_words
from riskcheck.review.evidence import prefetch_evidence, review_evidence
from riskcheck.review.state import ReviewState, desk_counts, review_counts
from riskcheck.rules.loader import LoadedRule
from riskcheck.templating import page_environment
from riskcheck.textsafety import http_url

MAX_LISTED_RELATIONS = 300
MAX_FINDINGS_ON_ONE_PAGE = 100  # beyond this, report.html is an index linking one page per person
MAX_LISTED_SOURCES = 500


KIND_WORDS = {"risk_indicator": N_("risk indicator"), "legal_duty": N_("legal duty"), "unit_indicator": N_("unit indicator")}


def kind_words(kind: str) -> str:
    """A rule's kind as the first words of a line: 'Risk indicator', 'Индикатор риска'."""
    words = _(KIND_WORDS[kind]) if kind in KIND_WORDS else kind.replace("_", " ")
    return words[:1].upper() + words[1:]


# The record types as the "What the data holds" table names them (the data contract's names are English words).
RECORD_TYPE_WORDS = {"sources": N_("sources"), "persons": N_("persons"), "organizations": N_("organizations"),
                     "positions": N_("positions"), "tenures": N_("tenures"), "relations": N_("relations"),
                     "verdicts": N_("verdicts"), "resignations": N_("resignations"), "programs": N_("programs"),
                     "memberships": N_("memberships")}


def record_type_words(type_name: str) -> str:
    return _(RECORD_TYPE_WORDS[type_name]) if type_name in RECORD_TYPE_WORDS else type_name


def rule_words(rule: Rule | UnitRule, field: str = "title") -> str:
    """A text of a rule (its title, description ...) in the language being written, else its English."""
    return rule_text(rule, field, current())[0]


def rule_in_english(rule: Rule | UnitRule, field: str = "title") -> bool:
    """Whether `rule_words` fell back to English, so the page can mark it."""
    return rule_text(rule, field, current())[1]


def law_words(rule: Rule | UnitRule, english: str) -> tuple[str, bool]:
    """A legal basis's title or note in the language being written, and whether it fell back to English."""
    return basis_text(rule, english, current())


def parameter_words(rule: Rule | UnitRule, name: str) -> str:
    """A setting's description in the language being written, else its English."""
    return parameter_text(rule, name, current())[0]


def report_environment() -> ImmutableSandboxedEnvironment:
    """The report's page environment with its filters and words; the review app renders its pages with it too."""
    env = page_environment()
    # The templates are the package's own and do not change while it runs: without this, every page and every
    # include of one (a source, a finding) asked the disk whether its template had changed.
    env.auto_reload = False
    env.filters["http_url"] = http_url
    env.filters["param"] = setting_markup
    env.filters["setting_source"] = setting_source
    env.filters["description_words"] = description_words
    env.filters["kind_words"] = kind_words
    env.filters["when"] = time_words
    env.filters["number"] = format_number
    env.filters["rule_words"] = rule_words
    env.filters["rule_in_english"] = rule_in_english
    env.filters["parameter_words"] = parameter_words
    env.filters["law_words"] = law_words
    env.globals["language_names"] = NATIVE_NAMES
    env.globals["percent"] = format_percent
    env.filters["record_type"] = record_type_words
    env.globals["version"] = __version__
    env.globals["statuses"] = STATUSES
    env.globals["severities"] = SEVERITIES
    env.globals["gettext"] = _words_once(cast("Callable[..., str]", env.globals["gettext"]))  # the i18n extension's
    return env


MAX_KEPT_WORDS = 20_000


def _words_once(gettext: Callable[..., str]) -> Callable[..., str]:
    """The pages' `_()`, keeping each sentence without placeholders in each language as written the first time:
    a national case's thousand pages say "Reasoning" and "Caveats" tens of thousands of times, and each took
    two sandboxed calls and a format. A sentence with placeholders is filled anew each time, as before."""
    said: dict[tuple[str, str, bool], str] = {}

    @pass_context
    def words(context: Context, message: str, **variables: Any) -> str:
        if variables:
            return gettext(context, message, **variables)
        key = (current(), message, context.eval_ctx.autoescape)
        found = said.get(key)
        if found is None:
            found = gettext(context, message)
            if len(said) < MAX_KEPT_WORDS:  # a page may translate a value of the data (a status): kept within bounds
                said[key] = found
        return found

    return words


_ENV = report_environment()


MAX_LINKS_PER_NAME = 20  # on the names page; a ministry can be in thousands of findings
NAME_KINDS = (N_("person"), N_("organization"))
  # what the names page says each name is, translated there


def findings_document(result: CaseResult, rules: list[LoadedRule], registry: Registry | None = None) -> dict:
    """findings.json: each finding with the evidence a reviewer's decision is made on (its steps and facts)."""
    if registry is not None:
        lookup = RecordLookup(registry)
        prefetch_evidence(result.findings, lookup)
        evidence = lambda f: review_evidence(f, lookup)  # noqa: E731
    else:
        evidence = lambda f: f.to_json()  # noqa: E731
    return {
        "case": result.id,
        "title": result.title,
        "as_of": result.as_of.isoformat() if result.as_of else None,
        "generator": f"riskcheck {__version__}",
        "rules": [{"id": r.id, "version": r.rule.version} for r in rules],
        "jurisdictions": result.jurisdictions,
        "counts": _status_counts(result),
        "findings": [_with_review(evidence(f), result.reviews.get(f.id)) for f in result.findings],
        "identity": identity_document(registry),
        **({"reviews": {"counts": _review_counts(result), "to_look_at": _desk_counts(result),
                        "no_longer_found": [{"finding": g.finding, **g.to_json()} for g in result.reviews_gone],
                        **({"unreadable": [{"finding": u.finding, "at": u.at, "reviewer": u.reviewer, "why": u.why}
                                           for u in result.reviews_unreadable]} if result.reviews_unreadable else {})}}
           if result.reviewing else {}),
    }


def _with_review(finding: dict, state: ReviewState | None) -> dict:
    if state is not None:
        finding["review"] = state.to_json()
    return finding


def _review_counts(result: CaseResult) -> dict[str, int]:
    return review_counts([f.id for f in result.findings], {k: s.decision for k, s in result.reviews.items()})


def _desk_counts(result: CaseResult) -> dict[str, int]:
    return desk_counts([f.id for f in result.findings], result.reviews, result.reviews_gone)


def _status_counts(result: CaseResult) -> dict[str, int]:
    counts = Counter(f.status for f in result.findings)
    return {s: counts.get(s, 0) for s in STATUSES}


def _severity_counts(result: CaseResult) -> dict[str, int]:
    counts = Counter(f.severity for f in result.findings if f.status in LEAD_STATUSES)
    return {s: counts[s] for s in sorted(counts, key=severity_rank)}


def _rules_context(rules: Sequence[LoadedRule | RuleRef], findings: list, every_rule: bool = True) -> dict:
    """The rules a page explains once (every rule on a case report, those of its findings on a person's
    page), how many findings each gave, and the settings they ran with. The rules that found something come
    first, so that on paper the rules that found nothing follow as a list of one line each."""
    counts = Counter(f.rule for f in findings)
    params: dict[str, dict] = {}
    for f in findings:
        params.setdefault(f.rule, f.params)
    shown = sorted((r.rule for r in rules if every_rule or counts[r.id]), key=lambda rule: counts[rule.id] == 0)
    return {"rules_shown": shown, "rule_counts": counts, "rule_params": params}


class RulesApplied:
    """The "Rules applied" section of person pages, rendered once for each set of rules, counts and settings.

    A national case has a thousand person pages, nearly all about one or two rules found once: the section
    (each rule's legal basis, quotes and settings) is the same on most of them, and rendering it anew took a
    fifth of the time to write them. Kept for one case's pages, which share a language."""

    def __init__(self) -> None:
        self.template = _ENV.get_template("_rules_applied.html")
        self.rendered: dict[str, Markup] = {}

    def __call__(self, context: dict) -> Markup:
        counts, params = context["rule_counts"], context["rule_params"]
        # repr tells apart what the page would show apart (1 from '1', a list from a tuple); a settings dict
        # written in another order is only rendered once more
        key = repr([(rule.id, counts[rule.id], params.get(rule.id)) for rule in context["rules_shown"]])
        if key not in self.rendered:
            self.rendered[key] = Markup(self.template.render(**context))
        return self.rendered[key]


class CitedSources:
    """Each source a case's person pages cite, as _source.html writes it, rendered once per source (`cited` in
    _finding.html, in place of the include). A national case's findings cite a handful of sources thousands of
    times: a register, a court's records. Kept for one case's pages, which share a language and their sources,
    and number no citation (a person page has no list of sources)."""

    def __init__(self, sources: dict[str, dict]) -> None:
        self.template = _ENV.get_template("_source.html")
        self.sources = sources
        self.rendered: dict[str, Markup] = {}

    def __call__(self, source_id: Any) -> Markup:
        if not isinstance(source_id, str):  # not an id the data can give: rendered as it is, not kept
            return self._render(source_id)
        if source_id not in self.rendered:
            self.rendered[source_id] = self._render(source_id)
        return self.rendered[source_id]

    def _render(self, source_id: Any) -> Markup:
        return Markup(self.template.render(sources=self.sources, source_id=source_id))


def _case_info(result: CaseResult) -> dict:
    return {"id": result.id, "title": result.title, "summary": result.summary,
            "as_of": result.as_of.isoformat() if result.as_of else "",
            "jurisdictions": result.jurisdictions, "rules_why": result.rules_why}


def _person_namer(lookup: RecordLookup) -> Callable[[str], str]:
    """A person's name for templates, falling back to the id."""
    return lambda pid: (lookup("persons", pid) or {}).get("name") or pid


def write_case(out_dir: Path, result: CaseResult, registry: Registry, rules: list[LoadedRule],
               pages: PageReuse | None = None, second_process: bool = False) -> None:
    """Write findings.json and report.html for one checked case (and person pages for a large one).

    `pages`: the person pages the last run wrote, copied where what they are made of is unchanged.
    `second_process`: a case of PAGES_BESIDE person pages or more to render may have some rendered in a second
    process (report.second_process: only a program whose main module starts nothing when imported may ask)."""
    rules = result.rules if result.rules is not None else rules  # the packs this case was judged by
    # Not while the store is being kept for the next run: that copy has the other core then (a first run
    # measured no faster with both). A re-run on the kept store keeps only the rows it changed.
    other_core_free = second_process and (registry.keeping is None or registry.changed_records is not None)
    pages_beside = other_core_free and len(result.findings) > MAX_FINDINGS_ON_ONE_PAGE \
        and _pages_to_render(result, pages) >= PAGES_BESIDE
    json_beside = other_core_free and len(result.findings) >= FINDINGS_BESIDE
    # The second process is started first, so that it is ready when the pages are, and done before the staging
    # folder it writes into is swapped in or removed.
    with case_folder(out_dir, result.id) as folder, _second_process(pages_beside or json_beside) as beside:
        doc = findings_document(result, rules, registry)
        written = beside.submit(write_findings_json, str(folder), doc) if beside is not None and json_beside \
            else None
        if written is None:
            write_findings_json(str(folder), doc)
        facts = {f["id"]: f.get("facts") or {} for f in doc["findings"]}
        if len(result.findings) > MAX_FINDINGS_ON_ONE_PAGE:
            _write_large_case(folder, result, registry, rules, facts, pages, beside if pages_beside else None)
        else:
            write_text(folder / "report.html", render_case_html(result, registry, rules, facts))
        if written is not None:
            try:
                written.result()
            except Exception:  # whatever kept it from the file (it died, the document would not pickle): here
                write_findings_json(str(folder), doc)


def write_findings_json(folder: str, doc: dict) -> None:
    """A case's findings.json in its (staging) folder, here or in a second process (see write_case)."""
    write_text(Path(folder) / "findings.json", indented_json(doc) + "\n")


PAGES_BESIDE = 600  # person pages to render from which a second process renders some of them (fewer: slower)
# Findings from which findings.json is written in a second process while this one writes the pages: its text is
# made in pure Python, 0.3 s for a national case's thousand findings (15 MB); the document is sent pickled,
# a fifth of that, and the process starts on the core a re-run leaves idle.
FINDINGS_BESIDE = 500


@contextmanager
def _second_process(wanted: bool) -> Iterator[SecondProcess | None]:
    """A second process for the person pages and findings.json (write_case), started if `wanted`."""
    beside = SecondProcess.start(_ready_for_pages) if wanted else None
    try:
        yield beside
    finally:
        if beside is not None:
            beside.close()


def _pages_to_render(result: CaseResult, pages: PageReuse | None) -> int:
    """How many person pages the report will render: every one on a first run, few on a re-run (most copied)."""
    return len({subject_of(f) for f in result.findings}) if pages is None or not pages.keys else 0


def finding_address(result: CaseResult, finding: Finding) -> str:
    """Where `write_case` puts a finding, relative to the reports folder: its report, or its person's page."""
    page = ("report.html" if len(result.findings) <= MAX_FINDINGS_ON_ONE_PAGE
            else f"persons/{person_page_name(subject_of(finding))}")
    return f"{result.id}/{page}#{finding.id}"


def subject_of(finding: Finding) -> str:
    """What a finding is about: its person, or for a unit indicator its unit (an organization id)."""
    return finding.unit if finding.unit is not None else finding.person


def person_page_name(person_id: str) -> str:
    """A file name for any id: readable where it can be, unique always, never a path."""
    readable = re.sub(r"[^a-z0-9-]+", "-", person_id.lower()).strip("-")[:40] or "person"
    return f"{readable}-{hashlib.sha256(person_id.encode('utf-8')).hexdigest()[:10]}.html"


def drawings_of(findings: list[Finding], facts: dict[str, dict], lookup: RecordLookup) -> dict[str, Drawing]:
    """Each finding's drawing (report.drawing), from the records its evidence states (`facts`: finding id ->
    findings.json's facts), every person it names fetched at once."""
    lookup.prefetch("persons", {p for f in findings for p in people_of(f, facts.get(f.id) or {})})
    return _drawings(findings, facts, _person_namer(lookup))


def _drawings(findings: list[Finding], facts: dict[str, dict], name: Callable[[str], str]) -> dict[str, Drawing]:
    """Each finding's drawing that has one, the people in it named by `name`."""
    out = {}
    for f in findings:
        drawing = drawing_of(f, facts.get(f.id) or {}, name)
        if drawing is not None:
            out[f.id] = drawing
    return out


def _write_large_case(folder: Path, result: CaseResult, registry: Registry, rules: list[LoadedRule],
                      facts: dict[str, dict], earlier: PageReuse | None = None,
                      beside: SecondProcess | None = None) -> None:
    """An index page (grouped, counted, filterable without scripts) and one page per person concerned; with
    `beside`, a share of the pages is rendered there."""
    lookup = RecordLookup(registry)
    by_person: dict[str, list] = {}
    for f in result.findings:
        by_person.setdefault(subject_of(f), []).append(f)
    units = {f.unit for f in result.findings if f.unit is not None}
    lookup.prefetch("persons", (set(by_person) - units) | {r for f in result.findings for r in f.related})
    lookup.prefetch("organizations", units, depth=0)
    lookup.prefetch("sources", {s for f in result.findings for s in f.sources})
    sources = {sid: rec for sid, rec in lookup.cache.get("sources", {}).items() if rec}
    rule_models = {r.id: r.rule for r in rules}
    pages = {pid: f"persons/{person_page_name(pid)}" for pid in by_person}

    named = _person_namer(lookup)

    def person_name(pid: str) -> str:  # the name of a finding's subject: a person, or a unit indicator's unit
        if pid in units:
            return (lookup("organizations", pid) or {}).get("name", pid)
        return named(pid)

    case = _case_info(result)
    reviews = repr(_review_context(result))
    persons = safe_path(folder, "persons")  # in the case's staging folder: its pages written in place
    persons.mkdir(exist_ok=True)
    todo: list[tuple[str, str, list[Finding]]] = []  # (person, page, findings) to render
    for pid, findings in sorted(by_person.items()):
        name = pages[pid].split("/")[1]
        if earlier is not None:  # made of: the case, the person, their findings and facts, the decisions
            same = earlier.earlier(name, earlier.key([current(), case, pid, person_name(pid), reviews,
                                                      [(repr(f), facts.get(f.id)) for f in findings]]))
            if same is not None:
                link_staged(earlier.folder / "persons" / name, persons, name, same)
                continue
        todo.append((pid, name, findings))
    # Every name a page may show, fetched at once (the drawings' people too: they were a query a page).
    drawn = {p for _, _, findings in todo for f in findings for p in people_of(f, facts.get(f.id) or {})}
    lookup.prefetch("persons", drawn)
    context = PageContext(current(), case, [RuleRef(r.id, r.rule) for r in rules], rule_models, sources,
                          _review_context(result), facts, {pid: named(pid) for pid in drawn | set(by_person) - units},
                          {u: person_name(u) for u in units})
    # Three pages in five to the second process: this one writes the index and the names page after its own.
    theirs = [job for i, job in enumerate(todo) if i % 5 < 3] if beside is not None else []
    future = beside.submit(render_pages, str(persons), context, theirs) if theirs and beside is not None else None
    render_pages(str(persons), context, [job for i, job in enumerate(todo) if future is None or i % 5 >= 3], named)
    grid = {r.id: {s: 0 for s in STATUSES} for r in rules}
    for f in result.findings:
        grid[f.rule][f.status] += 1
    people = [{"id": pid, "name": person_name(pid),
               "counts": {s: sum(1 for f in fs if f.status == s) for s in STATUSES}}
              for pid, fs in sorted(by_person.items(), key=lambda kv: (person_name(kv[0]), kv[0]))]
    html = _ENV.get_template("report_index.html").render(
        case=case, findings=result.findings, rules=rule_models, grid=grid, people=people,
        person_pages=pages, person_name=person_name, subject=subject_of, status_counts=_status_counts(result),
        rule_index={r.id: i for i, r in enumerate(rules, start=1)},
        counts={k: v for k, v in result.counts.items() if v}, warnings=[str(w) for w in result.warnings[:200]],
        identity=identity_context(registry), **_review_context(result))
    write_text(folder / "report.html", html)
    write_text(folder / "names.html", _names_page(case, result, lookup, pages, person_name))
    if future is not None:
        try:
            future.result()
        except Exception:  # whatever kept it from them (it died, a name it was not given): rendered here, the same
            render_pages(str(persons), context, theirs, named)


class RuleRef(NamedTuple):
    """A rule as a person page needs it (a LoadedRule's id and model): what a second process is given."""
    id: str
    rule: Rule | UnitRule


class PageContext(NamedTuple):
    """What every person page of a case is made of besides its own findings, as plain data a second process can
    be given: the language, the case, the rules, the sources, the reviews, each finding's facts, and the name of
    every person (and unit) a page may show."""
    language: str
    case: dict
    rules: list[RuleRef]
    rule_models: dict[str, Rule | UnitRule]
    sources: dict[str, dict]
    reviews: dict
    facts: dict[str, dict]
    names: dict[str, str]       # person id -> the name a page shows
    unit_names: dict[str, str]  # a unit indicator's unit -> its name


def _ready_for_pages() -> None:
    """In a second process, before its pages come: the person page's templates compiled."""
    _ENV.get_template("person.html")


class MissingName(Exception):
    """A page named someone whose name it was not given: rendered by the caller instead."""


def render_pages(folder: str, context: PageContext, jobs: list[tuple[str, str, list[Finding]]],
                 fallback: Callable[[str], str] | None = None) -> None:
    """Render and write the person pages `jobs` (person, page, findings) into `folder`, here or in a second
    process. A name the context does not hold is `fallback`'s (the store's); with none, MissingName."""
    def named(pid: str) -> str:
        if pid in context.names:
            return context.names[pid]
        if fallback is None:
            raise MissingName(pid)
        return fallback(pid)

    def person_name(pid: str) -> str:
        return context.unit_names[pid] if pid in context.unit_names else named(pid)

    page = _ENV.get_template("person.html")
    applied = RulesApplied()
    cited = CitedSources(context.sources)
    persons = Path(folder)
    with speaking(context.language):
        for pid, name, findings in jobs:
            rules_context = _rules_context(context.rules, findings, every_rule=False)
            html = page.render(
                case=context.case, person={"id": pid, "name": person_name(pid)}, findings=findings,
                rules=context.rule_models, drawings=_drawings(findings, context.facts, named),
                sources=context.sources, cited=cited,
                person_name=person_name, rules_page="", rules_applied=applied(rules_context),
                **rules_context, **context.reviews)
            write_staged(persons, name, html.encode("utf-8"))


def _names_page(case: dict, result: CaseResult, lookup: RecordLookup, pages: dict[str, str],
                person_name: Callable[[str], str]) -> str:
    """Every person and organization in a large case's findings, A to Z, each linked to where it appears:
    finding a name needs no script and no network, only the browser's own find or the letter links."""
    entries: dict[tuple[str, str], dict] = {}

    def add(kind: str, rid: str, name: str, finding: Finding) -> None:
        entry = entries.setdefault((kind, rid), {"kind": kind, "id": rid, "name": name, "links": [], "more": 0})
        if len(entry["links"]) < MAX_LINKS_PER_NAME:
            entry["links"].append({"href": f"{pages[subject_of(finding)]}#{finding.id}", "rule": finding.rule_title,
                                   "status": finding.status})
        else:
            entry["more"] += 1

    orgs = {s.record_id for f in result.findings for s in f.steps if s.record_type == "organizations"
            and s.record_id is not None}
    lookup.prefetch("organizations", orgs, depth=0)
    for f in result.findings:
        for pid in [f.person, *f.related] if f.unit is None else []:
            add("person", pid, person_name(pid), f)
        for step in f.steps:
            if step.record_type == "organizations" and step.record_id:
                add("organization", step.record_id,
                    (lookup("organizations", step.record_id) or {}).get("name") or step.record_id, f)
    letters: dict[str, list[dict]] = {}
    for entry in sorted(entries.values(), key=lambda e: (e["name"].casefold(), e["kind"], e["id"])):
        first = entry["name"][:1].upper()
        letters.setdefault(first if first.isalpha() else "#", []).append(entry)
    return _ENV.get_template("names.html").render(case=case, letters=letters, pages=pages)


def render_case_html(result: CaseResult, registry: Registry, rules: list[LoadedRule],
                     facts: dict[str, dict] | None = None) -> str:
    """report.html of a case; `facts` (finding id -> the records its evidence states, as findings.json holds
    them) are what its drawings are made of, read anew when not given."""
    lookup = RecordLookup(registry)
    if facts is None:
        prefetch_evidence(result.findings, lookup)
        facts = {f.id: review_evidence(f, lookup)["facts"] for f in result.findings}
    person_ids = {f.person for f in result.findings} | {r for f in result.findings for r in f.related}
    lookup.prefetch("persons", person_ids)
    cited = sorted({s for f in result.findings for s in f.sources})
    lookup.prefetch("sources", set(cited))
    sample, more_sources = registry.sample("sources", MAX_LISTED_SOURCES)
    rel_sample, rel_total = registry.sample("relations", MAX_LISTED_RELATIONS)
    lookup.prefetch("persons", {r["person_id"] for r in rel_sample} | {r["relative_id"] for r in rel_sample})
    relations = [{"text": describe("relations", rel, lookup), "status": rel.get("status") or "reported",
                  "sources": rel.get("sources") or []} for rel in rel_sample]
    # Sources cited by findings first (in citation order), then the case's other sources.
    source_list = [found for s in cited if (found := lookup("sources", s))]
    source_list += [s for s in sample if s["id"] not in set(cited)]
    all_sources = {s["id"]: s for s in source_list}

    person_name = _person_namer(lookup)
    return _ENV.get_template("report.html").render(
        case=_case_info(result),
        findings=result.findings,
        status_counts=_status_counts(result),
        severity_counts=_severity_counts(result),
        counts={k: v for k, v in result.counts.items() if v},
        relations=relations,
        relations_hidden=max(0, rel_total - MAX_LISTED_RELATIONS),
        sources_hidden=max(0, more_sources - len(sample)),
        warnings=[str(w) for w in result.warnings],
        sources=all_sources,
        source_list=source_list,
        source_numbers={s["id"]: n for n, s in enumerate(source_list, 1)},  # a citation on paper: its number
        rules={r.id: r.rule for r in rules},
        rules_page="",
        **_rules_context(rules, result.findings),
        person_name=person_name,
        drawings=drawings_of(result.findings, facts, lookup),
        identity=identity_context(registry),
        **_review_context(result),
    )


def _review_context(result: CaseResult) -> dict:
    return {"reviews": result.reviews, "reviewing": result.reviewing,
            "reviews_gone": [{"state": g, "evidence": g.was} for g in result.reviews_gone],
            "reviews_unreadable": result.reviews_unreadable}


def write_index(out_dir: Path, results: list[CaseResult], rules: list[LoadedRule]) -> None:
    """The index of every case with a report in the output folder: this run's, then earlier runs' (marked)."""
    cases: list[dict[str, Any]] = []  # each case as the index template reads it, as _earlier_reports gives it
    for r in sorted(results, key=lambda r: r.id):
        previous = False
        if not r.ok:
            try:
                previous = mark_kept_report(safe_path(out_dir, r.id), r)
            except ValueError:
                previous = False
        cases.append({"id": r.id, "display": r.display, "title": r.title, "ok": r.ok,
                      "as_of": r.as_of.isoformat() if r.as_of else "", "problems": [str(p) for p in r.problems],
                      "status_counts": _status_counts(r), "severity_counts": _severity_counts(r),
                      "review_counts": _review_counts(r) if r.reviewing else None,
                      "desk_counts": _desk_counts(r) if r.reviewing else None,
                      "hints_to_check": r.hints_to_check, "language": r.language,
                      "previous": previous, "earlier": False})
    earlier = _earlier_reports(out_dir, {r.id for r in results})
    cases = sorted(cases + earlier, key=lambda c: c["id"])
    html = _ENV.get_template("index.html").render(cases=cases, rules=rules, checked=len(results),
                                                  earlier=len(earlier),
                                                  reviewing=any(c.get("review_counts") for c in cases))
    write_text(safe_path(out_dir, "index.html"), html)


def _earlier_reports(out_dir: Path, checked: set[str]) -> list[dict]:
    """Cases in the output folder that this run did not check (`checked`: the ids it did), read back from their
    findings.json. A case this run checked is not read at all: a national case's findings.json is megabytes."""
    out: list[dict[str, Any]] = []
    for folder in sorted(out_dir.iterdir()) if out_dir.is_dir() else []:
        doc_path = folder / "findings.json"
        if not (folder.name not in checked and folder.is_dir() and SAFE_NAME.fullmatch(folder.name)
                and (folder / "report.html").is_file() and doc_path.is_file()):
            continue
        try:
            doc = json.loads(doc_path.read_text(encoding="utf-8"))
            counts = {s: int(doc["counts"].get(s, 0)) for s in STATUSES}
            severities = Counter(f.get("severity") for f in doc["findings"] if f.get("status") in LEAD_STATUSES)
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # not a report riskcheck wrote: not listed
        out.append({"id": folder.name, "display": folder.name, "title": str(doc.get("title") or ""), "ok": True,
                    "as_of": str(doc.get("as_of") or ""), "problems": [], "status_counts": counts,
                    "severity_counts": {s: severities[s] for s in SEVERITIES},
                    "review_counts": (doc.get("reviews") or {}).get("counts"),
                    "desk_counts": (doc.get("reviews") or {}).get("to_look_at"), "previous": False, "earlier": True,
                    "language": _page_language(folder / "report.html")})
    return out


_PAGE_LANG = re.compile(r'<html lang="([A-Za-z-]+)"')


def _page_language(page: Path) -> str | None:
    """The language a report riskcheck wrote is in, read from its `<html lang>` (None when it says none)."""
    try:
        with page.open(encoding="utf-8") as fh:
            found = _PAGE_LANG.search(fh.read(400))
    except (OSError, UnicodeDecodeError):
        return None
    return next((lang for lang, tag in HTML_LANG.items() if found and tag == found[1]), None)


STALE_MARK = "<!-- riskcheck: kept from an earlier run -->"


def mark_kept_report(folder: Path, result: CaseResult) -> bool:
    """Mark the pages of a report the latest run could not replace; return whether there is one."""
    pages = [folder / "report.html", *sorted((folder / "persons").glob("*.html"))]
    if not pages[0].is_file():
        return False
    try:
        as_of = json.loads((folder / "findings.json").read_text(encoding="utf-8")).get("as_of") or ""
    except (OSError, ValueError, AttributeError):
        as_of = ""
    with speaking(_page_language(pages[0])):  # the banner in the language the kept report is written in
        banner = _ENV.get_template("_stale.html").render(as_of=as_of, problems=len(result.problems))
    for page in pages:
        html = page.read_text(encoding="utf-8")
        if STALE_MARK in html or "<body>" not in html:
            continue
        write_text(page, html.replace("<body>", "<body>\n" + STALE_MARK + "\n" + banner, 1))
    return True
