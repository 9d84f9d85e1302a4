"""The stages of a run, in order: load the rules, then for each case load, evaluate, report.

This is the only module that knows the order; the CLI calls it and the stages do not call each
other. Whatever goes wrong in a case (its data, a rule, a bug, writing its files) becomes that case's
problem, so the others still run; its earlier report is kept (the report writer marks it out of
date), never overwritten by a half-made one.
"""

from __future__ import annotations

import threading
import time
from contextlib import ExitStack, contextmanager
from datetime import date
from pathlib import Path
from typing import Callable, Iterator

from riskcheck.engine.compile import CompiledRule
from riskcheck.engine.evaluate import RecordLookup, resolve_params
from riskcheck.engine.findings import Finding
from riskcheck.errors import Problem, ProblemError, failure_words
from riskcheck.i18n import speaking
from riskcheck.indicators.compile import CompiledIndicator, override_problem
from riskcheck.indicators.workers import units_tested
from riskcheck.registry.cases import CaseMeta, discover_cases, display_path, read_case_meta
from riskcheck.registry.kept_identity import KeptIdentity
from riskcheck.registry.kept_store import KeptStore
from riskcheck.registry.load import Registry, load_sources
from riskcheck.registry.read_ahead import ReadAhead
from riskcheck.registry.schema import Schema, load_schema
from riskcheck.results import CaseResult, CaseView, RunOptions
from riskcheck.reuse import CaseCache
from riskcheck.review.decisions import DecisionLog
from riskcheck.review.events import ReviewError, evidence_of, reviews_path
from riskcheck.review.evidence import prefetch_evidence, reuse_evidence, review_evidence
from riskcheck.review.links import current_links, hints_to_check
from riskcheck.rules.jurisdictions import (case_jurisdictions, judged_here, organization_jurisdictions,
                                            rules_for_case)
from riskcheck.rules.evaluation import Matched, findings_of, match_loaded, naming_the_rule, prefetch_matched
from riskcheck.rules.reach import Earlier, Reach
from riskcheck.rules.loader import LoadedRule
from riskcheck.rules.what_if import WhatIf
from riskcheck.grammar.parameters import coerce_param

Progress = Callable[[str, int, int], None]  # (case, done, total): one call per case
Stage = Callable[[str, str], None]  # (case, what has just been done, with counts)


@contextmanager
def watch_progress(registry: Registry, report: Callable[[float], None], first: float = 3.0,
                   every: float = 10.0) -> Iterator[None]:
    """While a rule's query runs, report how far it is after `first` seconds and then every `every`."""
    done = threading.Event()
    registry.conn.execute("SET enable_progress_bar = true")

    def watch() -> None:
        wait = first
        while not done.wait(wait):
            progress = registry.conn.query_progress()
            if progress >= 0:
                report(progress)
            wait = every

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()
        registry.conn.execute("SET enable_progress_bar = false")


@contextmanager
def hearing_units(report: Callable[[int, int], None], first: float = 3.0, every: float = 10.0) -> Iterator[None]:
    """While a unit indicator tests its units, report how many it has tested (done, of) after `first` seconds
    and then every `every`, and once more when it is done if it was reported before."""
    due, told = time.monotonic() + first, False

    def hear(done: int, of: int) -> None:
        nonlocal due, told
        now = time.monotonic()
        if now >= due or (told and done == of):
            report(done, of)
            due, told = now + every, True

    token = units_tested.set(hear)
    try:
        yield
    finally:
        units_tested.reset(token)


def parse_param_overrides(items: list[str], rules: list[LoadedRule]) -> dict[str, dict]:
    """Turn `RULE.NAME=VALUE` strings into typed overrides; raise ValueError with a plain message."""
    by_id = {r.id: r for r in rules}
    out: dict[str, dict] = {}
    for item in items:
        key, sep, value = item.partition("=")
        rule_id, dot, name = key.rpartition(".")
        if not sep or not dot:
            raise ValueError(f"--param {item!r}: write RULE.NAME=VALUE, e.g. "
                             "subordinate-corruption-resignation.days_to_resign=10")
        if rule_id not in by_id:
            raise ValueError(f"--param {item!r}: no rule {rule_id!r} (rules: {', '.join(by_id)})")
        params = by_id[rule_id].rule.parameters
        if name not in params:
            raise ValueError(f"--param {item!r}: rule {rule_id} has no parameter {name!r} "
                             f"(parameters: {', '.join(params) or 'none'})")
        try:
            out.setdefault(rule_id, {})[name] = coerce_param(params[name].type, value)
        except ValueError as exc:
            raise ValueError(f"--param {item!r}: {exc}") from None
        compiled = by_id[rule_id].compiled
        wrong = override_problem(compiled, name, out[rule_id][name]) \
            if isinstance(compiled, CompiledIndicator) else None
        if wrong:
            raise ValueError(f"--param {item!r}: {wrong}")
    return out


def evaluate_case(registry: Registry, rules: list[LoadedRule], as_of: date,
                  overrides: dict[str, dict], stage: Stage | None = None,
                  scope_by_organization: bool = False, earlier: Earlier | None = None
                  ) -> tuple[list[Finding], dict[str, list[dict]]]:
    """Every rule's findings on one case, and the rows of the rules over the kinship hints (riskcheck.rules.what_if,
    kept for a re-run). With `scope_by_organization`, a finding of a country's rule about bodies that all state
    another country's jurisdiction is left out (see riskcheck.rules.jurisdictions). With `earlier` (a re-run on
    the last run's store with a few records changed), a person rule, and a rule over the hints, is asked only
    about the persons a change can reach, and the others keep their last findings (riskcheck.rules.reach)."""
    lookup = RecordLookup(registry)
    org_law = organization_jurisdictions(registry) if scope_by_organization else {}
    matches: list[Matched] = []
    kept: dict[str, list[Finding]] = {}  # rule id -> the last run's findings of the persons no change reaches
    reach = Reach(registry, earlier) if earlier is not None else None
    # The rules over the kinship hints, asked beside the rules (riskcheck.rules.what_if), marked after them.
    what_if = WhatIf(registry, rules, as_of, overrides, earlier)
    try:
        try:
            for loaded in rules:
                params = resolve_params(loaded.compiled, overrides.get(loaded.id, {}))

                def still_running(pct: float, rid: str = loaded.id) -> None:
                    if stage:
                        stage(registry.meta.id, f"rule {rid}: still running, {pct:.0f}% of its query done")

                def still_testing(done: int, of: int, rid: str = loaded.id) -> None:
                    if stage:
                        stage(registry.meta.id, f"rule {rid}: {done:,} of {of:,} units tested")

                with naming_the_rule(loaded), watch_progress(registry, still_running), hearing_units(still_testing):
                    again = reach.rows(loaded.compiled, params, as_of) \
                        if reach is not None and isinstance(loaded.compiled, CompiledRule) else None
                    if again is not None:
                        matches.append(Matched(loaded, params, rows=again[0]))
                        kept[loaded.id] = again[1]
                    else:
                        matches.append(match_loaded(loaded, registry, as_of, params, lookup))
        finally:
            if reach is not None:
                reach.close()
        # The records every rule's evidence names, in one query per record type rather than one per rule.
        with naming_the_rule(None):
            prefetch_matched(matches, lookup)
        findings: list[Finding] = []
        for matched in matches:
            loaded = matched.loaded
            with naming_the_rule(loaded):
                found = findings_of(matched, as_of, lookup)
            if org_law and loaded.rule.jurisdiction:
                found = [f for f in found if judged_here(loaded, f, org_law, lookup)]
            if loaded.id in kept:  # the last run's, already judged so
                if earlier is not None:
                    earlier.kept += kept[loaded.id]
                if stage:
                    stage(registry.meta.id, f"rule {loaded.id}: asked again about {len(matched.rows):,} rows of the "
                                            "persons a change reaches; the others' findings kept")
                found = kept[loaded.id] + found
            findings += found
            if stage:
                stage(registry.meta.id, f"rule {loaded.id}: {len(found):,} findings")
        what_if.mark(findings)
    except BaseException:
        what_if.close()  # its thread done before the store may be closed
        raise
    subjects = set(registry.meta.subjects)
    if subjects:
        findings = [f for f in findings if f.person in subjects or subjects & set(f.related)]
    return sorted(findings, key=Finding.sort_key), what_if.rows()


def run_cases(cases_path: Path, rules: list[LoadedRule], options: RunOptions,
              on_case: Callable[[CaseResult, Registry], None] | None = None,
              progress: Progress | None = None, stage: Stage | None = None,
              cache: CaseCache | None = None, only: set[str] | None = None,
              ahead: ReadAhead | None = None) -> list[CaseResult]:
    """Load, check and evaluate every case; call `on_case` (e.g. the report writer) for each.

    With a `cache`, a case nothing of which changed since the cache's entry is not loaded: its result is
    read back (and `on_case` not called: its report is there as written); every case checked is kept in
    it. `only`: the ids of the cases to check (the others are left out). `ahead`: a case's sources being read
    since the program started (riskcheck.registry.read_ahead), taken by that case's load."""
    schema = load_schema()
    root, folders = discover_cases(cases_path)
    if only is not None:
        folders = [f for f in folders if f.name in only]
    results: list[CaseResult] = []
    try:  # reviewers' decisions on pairs of persons are applied as the cases load
        log = DecisionLog.open_existing(reviews_path(root))
    except ReviewError:  # a linked log: the report's review pass says so, and no decision is applied
        log = None
    try:
        for i, folder in enumerate(folders):
            results.append(_run_case(folder, root, schema, rules, options, log, on_case, stage,
                                     progress, i, len(folders), cache, ahead))
    finally:
        if log is not None:
            log.close()
        if cache is not None:
            cache.save_hashes()
    if progress:
        progress("", len(folders), len(folders))
    return results


def _run_case(folder: Path, root: Path, schema: Schema, rules: list[LoadedRule], options: RunOptions,
              log: DecisionLog | None, on_case: Callable[[CaseResult, Registry], None] | None,
              stage: Stage | None, progress: Progress | None, i: int, total: int,
              cache: CaseCache | None = None, ahead: ReadAhead | None = None) -> CaseResult:
    """One case, start to report: whatever goes wrong is this case's problem alone."""
    if progress:
        progress(folder.name, i, total)
    result = CaseResult(id=folder.name, display=display_path(folder, root))
    registry = None
    words = ExitStack()  # the case's language, from when its case.yaml is read until its report is written
    try:
        meta = read_case_meta(folder, root)
        result.language = words.enter_context(speaking(options.language or meta.language))
        result.title, result.summary = meta.title, meta.summary
        if cache is not None and (kept := _reused(cache, folder, root, meta, rules, options, log)) is not None:
            return kept
        result.as_of = options.as_of or meta.as_of
        undated = [] if result.as_of else [Problem(
            f"{meta.display}/case.yaml", None, "no as_of date: the case is judged as of a stated date; add "
            "`as_of: YYYY-MM-DD` or run with --as-of", field="as_of")]
        identity = _kept_identity(cache, meta.id)
        kept_store = _kept_store(cache, meta.id, root)
        if cache is not None and kept_store is not None:
            cache.read_evidence_ahead(meta.id)  # taken if the kept store is (_reuse_evidence)
        try:  # the data's own problems are listed with a missing as_of, not hidden behind it
            registry = load_sources(meta, root, schema, stage, current_links(log, folder.name), identity, kept_store,
                                    ahead)
        except ProblemError as exc:
            raise ProblemError(exc.problems + undated) from None
        finally:
            if cache is not None and kept_store is not None and kept_store.said:
                cache.note(meta.id, kept_store.said)
            if cache is not None and identity is not None and identity.said:
                cache.note(meta.id, identity.said)
        if result.as_of is None:  # then `undated` says so
            raise ProblemError(undated)
        result.jurisdictions = case_jurisdictions(registry)
        result.rules, notes, result.rules_why = rules_for_case(
            rules, result.jurisdictions, options.match_jurisdiction, f"{meta.display}/case.yaml")
        result.warnings = registry.warnings + notes
        result.counts = registry.counts()
        if stage:
            stage(meta.id, f"built the store: {sum(result.counts.values()):,} records "
                           f"({result.counts['persons']:,} persons, {result.counts['relations']:,} relations, "
                           f"{result.counts['tenures']:,} tenures)")
        earlier = _earlier(cache, kept_store, registry, result.rules)
        result.findings, result.what_if = evaluate_case(
            registry, result.rules, result.as_of, options.params, stage,
            scope_by_organization=options.match_jurisdiction, earlier=earlier)
        if cache is not None and earlier is not None:
            _reuse_evidence(cache, registry, earlier)
            full = f"; run in full: {', '.join(earlier.in_full)}" if earlier.in_full else ""
            cache.note(meta.id, f"rules asked again only about the {len(earlier.reached):,} persons the changed "
                                f"records reach{full}")
        if cache is not None:
            cache.drop_evidence(meta.id)  # read ahead and not taken: nothing was kept from the last run
        result.hints_to_check = hints_to_check(registry.identity.resolution, registry.reviewed)
    except ProblemError as exc:
        result.problems = exc.problems
    except Exception as exc:  # any failure is this case's alone: the others still run
        result.problems = [Problem(result.display, None, f"could not be checked: {failure_words(exc)}")]
    try:
        if on_case and result.ok and registry is not None:  # a case checked has its store
            on_case(result, registry)
        if cache is not None and result.ok and registry is not None:
            _keep(cache, result, registry, stage)
    except Exception as exc:
        result.problems = [Problem(result.display, None, f"the report could not be written: "
                                                         f"{failure_words(exc)}")]
    finally:
        words.close()
        if registry is not None:
            registry.close()
    return result


def _keep(cache: CaseCache, result: CaseResult, registry: Registry, stage: Stage | None) -> None:
    """Keep the case's results for the next run; a cache that cannot be written costs that reuse, never the run."""
    try:
        why_not = cache.keep(result, case_view(result, registry) if cache.views else None)
    except Exception as exc:
        why_not = failure_words(exc)
    if why_not and stage:
        stage(result.id, f"not cached: {why_not}")
    store_not_kept = registry.kept()
    if store_not_kept and stage:
        stage(result.id, f"store not kept for the next run: {store_not_kept}")


def _reuse_evidence(cache: CaseCache, registry: Registry, earlier: Earlier) -> None:
    """The last run's evidence of the findings a re-run kept, so their records are not read again for
    findings.json, the review pass and the app's view (riskcheck.review.evidence.reuse_evidence)."""
    if not earlier.kept:
        return
    try:
        last = cache.earlier_evidence(registry.meta.id)
        if last:
            reuse_evidence(earlier.kept, last, registry)
    except Exception:  # the cache is never needed: the evidence is made afresh
        registry.evidence_made.clear()


def _earlier(cache: CaseCache | None, kept_store: KeptStore | None, registry: Registry,
             rules: list[LoadedRule]) -> Earlier | None:
    """What a re-run on the kept store starts from: the last run's findings of that store and the records
    changed since; None (every rule runs in full) when the store was loaded afresh or the last findings are
    of anything else."""
    if cache is None or kept_store is None or registry.changed_records is None:
        return None
    try:
        last = cache.earlier_result(registry.meta.id, kept_store.before, rules)
    except Exception:  # the cache is never needed
        return None
    return Earlier(last.findings, registry.changed_records, what_if=last.what_if) if last is not None else None


def _kept_identity(cache: CaseCache | None, case_id: str) -> KeptIdentity | None:
    """Where the case's identity resolution is kept between runs; a cache that fails here is passed by."""
    try:
        return cache.kept_identity(case_id) if cache is not None else None
    except Exception:
        return None


def _kept_store(cache: CaseCache | None, case_id: str, root: Path) -> KeptStore | None:
    """Where the case's store is kept between runs; a cache that fails here is passed by."""
    try:
        return cache.kept_store(case_id, root) if cache is not None else None
    except Exception:
        return None


def _reused(cache: CaseCache, folder: Path, root: Path, meta: CaseMeta, rules: list[LoadedRule],
            options: RunOptions, log: DecisionLog | None) -> CaseResult | None:
    """The case's cached result if it can be reused; a cache that fails in any way is passed by."""
    try:
        return cache.reuse(folder, root, meta, rules, options, log)
    except Exception as exc:  # the cache is never needed: the case is checked afresh
        cache.told(meta.id, f"ran (the cache could not be used: {failure_words(exc)})")
        return None


def person_pairs(registry: Registry) -> list[dict]:
    """Each listed hint and possible same-person pair with its names, reasons and the decisions it may take.

    A hint reads "right may be left's parent" (riskcheck.names.resolve), so its relation kind is `parent`."""
    from riskcheck.names.resolve import listed_hints

    res = registry.identity.resolution
    hints, possible = listed_hints(res), list(res.possible)
    # Only their names: a national case lists tens of thousands of persons here, and reading each whole record
    # with the records it cites took a second of a re-run.
    names = registry.person_names(i for x in hints + possible for i in (x.left, x.right))

    def name(pid: str) -> str:
        return names.get(pid) or pid

    out = [{"kind": "hint", "person": h.left, "relative": h.right, "relation": "parent", "rank": h.rank,
            "person_name": name(h.left), "relative_name": name(h.right), "why": list(h.explanation),
            "changes": list(h.changes)} for h in hints]
    out += [{"kind": "possible", "person": p.left, "relative": p.right, "relation": "", "rank": None,
             "person_name": name(p.left), "relative_name": name(p.right), "why": list(p.explanation),
             "changes": list(p.changes or [])} for p in possible]
    return out


def check_cases(cases: Path, rules: list[LoadedRule], as_of: date | None,
                match_jurisdiction: bool = True, only: set[str] | None = None,
                language: str | None = None) -> dict[str, CaseView]:
    views: dict[str, CaseView] = {}

    def keep(result: CaseResult, registry: Registry) -> None:
        views[result.id] = case_view(result, registry)

    options = RunOptions(as_of, {}, match_jurisdiction=match_jurisdiction, language=language)
    for result in run_cases(cases, rules, options, keep, only=only):
        if result.id not in views:
            views[result.id] = CaseView(result)
    return views


def case_view(result: CaseResult, registry: Registry) -> CaseView:
    """A checked case as the app shows it: the names, sources and evidence its findings cite, copied out."""
    lookup = RecordLookup(registry)
    people = {f.person for f in result.findings} | {r for f in result.findings for r in f.related}
    lookup.prefetch("persons", people)
    cited = {s for f in result.findings for s in f.sources} | \
            {s for f in result.findings for step in f.steps for s in step.sources}
    lookup.prefetch("sources", cited)
    prefetch_evidence(result.findings, lookup)
    evidence = {f.id: review_evidence(f, lookup) for f in result.findings}
    # Everyone a finding's drawing names: the people its facts refer to, and a step's group of staff.
    people |= {value for e in evidence.values() for fact in e["facts"].values() for key, value in fact.items()
               if key in ("person_id", "relative_id", "appointed_by") and isinstance(value, str)}
    people |= {p for f in result.findings for step in f.steps for p in step.people}
    lookup.prefetch("persons", people)
    # In id order, so that the view kept in the cache is the same bytes on every run (sets iterate in an order
    # that changes from process to process).
    return CaseView(
        result, {pid: (lookup("persons", pid) or {}).get("name") or pid for pid in sorted(people)},
        {sid: rec for sid in sorted(cited) if (rec := lookup("sources", sid))},
        {fid: evidence_of(e) for fid, e in evidence.items()}, person_pairs(registry))


def cached_views(cases: Path, rules: list[LoadedRule], as_of: date | None, match_jurisdiction: bool,
                 cache: CaseCache, language: str | None = None
                 ) -> tuple[dict[str, CaseView], dict[str, str], dict[str, str]]:
    """The views the cache holds for the cases: (views, case id -> why its view is stale, case id -> why there
    is none). A stale view is still given; a case without one is for the caller to check."""
    root, folders = discover_cases(cases)
    options = RunOptions(as_of, {}, match_jurisdiction=match_jurisdiction, language=language)
    views: dict[str, CaseView] = {}
    stale: dict[str, str] = {}
    missing: dict[str, str] = {}
    log = None
    try:
        try:
            log = DecisionLog.open_existing(reviews_path(root))
        except ReviewError:
            log = None
        for folder in folders:
            try:
                meta = read_case_meta(folder, root)
                view, why = cache.view(folder, root, meta, rules, options, log)
            except Exception as exc:  # a case that cannot be read is checked, and says so then
                view, why = None, failure_words(exc)
            if view is None:
                missing[folder.name] = why
                continue
            views[folder.name] = view
            if why:
                stale[folder.name] = why
    finally:
        if log is not None:
            log.close()
        cache.save_hashes()
    return views, stale, missing
