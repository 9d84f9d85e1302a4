"""Reusing a case's last results when nothing it depends on changed: the cache beside the reports.

A run keeps, per case, what it found (`entry.json`: the CaseResult, the key it was computed under, the
report files it wrote) and what the review app shows (`view.json`: the names, sources and evidence its
findings cite). The key is made of content, never of clocks or paths: every input file's bytes, the rule
files' bytes, riskcheck's version and its own code, the options that change results (as-of date, rule
parameters, jurisdiction matching) and the reviewers' decisions on pairs of persons (they change who is
whom). A case whose key is unchanged is not loaded again.

The cache is never the only copy of anything: the inputs and the reports are the truth, and the cache can
be deleted at any time. Anything wrong with it (missing, unreadable, written by another version, a result
that does not read back exactly) means the case is checked afresh, with one line saying why. It is JSON
with a format number, never pickle: a cache file is as untrusted as any file in the output folder. Files
are written through a temporary file and renamed, so two runs sharing a cache leave the last one's entry
whole, never a mix.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import riskcheck
from riskcheck.atomic import write_atomic
from riskcheck.engine.findings import Finding, Step
from riskcheck.errors import Problem
from riskcheck.filehash import FileHashes
from riskcheck.registry.cases import CaseMeta
from riskcheck.registry.kept_identity import KeptIdentity
from riskcheck.registry.kept_store import KeptStore
from riskcheck.results import CaseResult, CaseView, RunOptions
from riskcheck.review.decisions import DecisionLog
from riskcheck.review.events import FILE_NAME as REVIEWS_FILE, Event, Unreadable
from riskcheck.review.links import current_links
from riskcheck.review.state import ReviewState
from riskcheck.rules.loader import LoadedRule

FORMAT = 2  # raised whenever what the files hold changes shape: an older cache is then read as no cache
ENTRY, VIEW = "entry.json", "view.json"
IDENTITY = "identity"  # the folder of a case's kept identity resolution (riskcheck.registry.kept_identity)
STORE = "store"  # the folder of a case's kept store (riskcheck.registry.kept_store)
HASHES = "_file-hashes.json"  # the files' hashes with their stamps (riskcheck.filehash); never a case's name
SAFE_CASE = re.compile(r"[a-z0-9][a-z0-9._-]{0,127}")
MAX_CACHE_FILE = 2 * 1024 ** 3  # a cache file larger than this is not read (it could not be ours)

Say = Callable[[str, str], None]  # (case, how its results were had: "reused", "re-ran (changed: ...)", "ran")


class CacheUnreadable(ValueError):
    """A cache file that cannot be used as it stands: the case is checked afresh."""


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of riskcheck's own files: a development checkout edited between runs is not trusted either."""
    package = Path(riskcheck.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".yaml", ".lark", ".html", ".css", ".txt", ".md"):
            digest.update(path.relative_to(package).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _engines() -> str:
    """The versions of the libraries whose behaviour shapes results and pages: a new DuckDB is a new engine."""
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in ("duckdb", "jinja2", "lark", "numpy", "anyascii", "rapidfuzz", "jellyfish", "pyyaml", "openpyxl"):
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} none")
    return ", ".join(found)


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class CaseKey:
    """What a case's results depend on: each input file's hash by its path in the cases folder, and the rest."""

    files: dict[str, str]
    parts: dict[str, str]  # "riskcheck version", "rules", "options", "link decisions" -> hash
    reviews: str  # this case's decisions on findings: they change the report, not the findings

    def to_json(self) -> dict:
        return {"files": self.files, "parts": self.parts, "reviews": self.reviews}

    def changes(self, earlier: "CaseKey") -> list[str]:
        """What changed since `earlier`, in words a user knows: file names first, then the rest."""
        names = sorted(set(self.files) | set(earlier.files))
        changed = [n for n in names if self.files.get(n) != earlier.files.get(n)]
        changed = [_short(n) for n in changed]
        changed += [p for p in self.parts if self.parts[p] != earlier.parts.get(p)]
        return changed


def _short(name: str) -> str:
    return name.rsplit("/", 1)[-1] if name.count("/") <= 1 else name


def input_files(folder: Path, root: Path, meta: CaseMeta) -> list[Path]:
    """Every file a case may read: its own folder's, and the cases folder's shared ones (loose files and
    `_` folders), never the review log (its decisions are keyed apart). When an include may reach further
    (case.yaml naming a path elsewhere, or another YAML file including), every file of the cases folder."""
    reviews = {REVIEWS_FILE, REVIEWS_FILE + "-wal", REVIEWS_FILE + "-shm", REVIEWS_FILE + "-journal"}
    own = [p for p in folder.rglob("*") if p.is_file()]
    shared = [p for p in root.iterdir() if p.is_file() and p.name not in reviews]
    for sub in root.iterdir():
        if sub.is_dir() and sub.name.startswith("_"):
            shared += [p for p in sub.rglob("*") if p.is_file()]
    allowed = [folder.resolve(), *(s.resolve() for s in root.iterdir() if s.is_dir() and s.name.startswith("_"))]
    reaches = any(not _inside_any((folder / target).resolve(), allowed) for target, _ in meta.include)
    reaches = reaches or any(p.suffix in (".yaml", ".yml") and p.name != "case.yaml" and b"include" in p.read_bytes()
                             for p in own + shared)
    if reaches:
        return sorted(p for p in root.rglob("*") if p.is_file() and not (p.parent == root and p.name in reviews))
    return sorted(set(own + shared))


def _inside_any(path: Path, folders: list[Path]) -> bool:
    return any(path == f or f in path.parents for f in folders)


def case_key(folder: Path, root: Path, meta: CaseMeta, rules: list[LoadedRule], options: RunOptions,
             log: DecisionLog | None, hashes: FileHashes) -> CaseKey:
    files = {p.relative_to(root).as_posix(): hashes.sha256(p) for p in input_files(folder, root, meta)}
    rule_files = sorted({r.path.resolve() for r in rules})
    rules_hash = _text_hash("\n".join(f"{r.id}" for r in sorted(rules, key=lambda r: r.id)) + "\n" +
                            "\n".join(hashes.sha256(p) for p in rule_files))
    chosen = {"as_of": options.as_of.isoformat() if options.as_of else None,
              "params": {rid: {k: _plain(v) for k, v in sorted(ps.items())} for rid, ps in sorted(options.params.items())},
              "match_jurisdiction": options.match_jurisdiction, "language": options.language}
    links = [asdict(d) for d in current_links(log, meta.id)] if log is not None else []
    reviews: Any = []
    if log is not None:
        events, unreadable = log.read(meta.id)
        reviews = [[asdict(e) for e in events], [asdict(u) for u in unreadable]]
    return CaseKey(files, {
        "riskcheck version": _text_hash(f"{riskcheck.__version__}\n{code_fingerprint()}\n{_engines()}"),
        "rules": rules_hash,
        "options": _text_hash(json.dumps(chosen, sort_keys=True, default=str)),
        "link decisions": _text_hash(json.dumps(links, sort_keys=True, default=list)),
        "folder name": _text_hash(meta.display),  # messages and pages name files by it ("cases/x/case.yaml")
    }, _text_hash(json.dumps(reviews, sort_keys=True, default=list)))


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


# CaseResult to JSON and back, exactly


def result_to_json(result: CaseResult) -> dict:
    return {
        "id": result.id, "display": result.display, "title": result.title, "summary": result.summary,
        "as_of": result.as_of.isoformat() if result.as_of else None,
        "problems": [asdict(p) for p in result.problems], "warnings": [asdict(p) for p in result.warnings],
        "findings": [_finding_json(f) for f in result.findings], "counts": result.counts,
        "reviews": {k: _state_json(s) for k, s in result.reviews.items()},
        "reviews_gone": [_state_json(s) for s in result.reviews_gone],
        "reviews_unreadable": [asdict(u) for u in result.reviews_unreadable],
        "reviewing": result.reviewing, "hints_to_check": result.hints_to_check,
        "rules": None if result.rules is None else [r.id for r in result.rules],
        "jurisdictions": result.jurisdictions, "rules_why": result.rules_why, "language": result.language,
        "what_if": result.what_if,
    }


def _finding_json(finding: Finding) -> dict:
    """asdict(finding) without its deep copy of every value (most of the time of keeping a thousand findings):
    the dict is written as JSON at once, and a result is kept only if it reads back equal."""
    out = {name: getattr(finding, name) for name in _FIELDS[Finding]}
    out["steps"] = [{name: getattr(step, name) for name in _FIELDS[Step]} for step in finding.steps]
    return out


_FIELDS = {kind: [f.name for f in fields(kind)] for kind in (Finding, Step)}


def _state_json(state: ReviewState) -> dict:
    return {"finding": state.finding, "history": [asdict(e) for e in state.history], "changed": state.changed,
            "gone": state.gone}


def _state(data: dict) -> ReviewState:
    return ReviewState(data["finding"], [Event(**e) for e in data["history"]], data["changed"], data["gone"])


def result_from_json(data: dict, rules: list[LoadedRule]) -> CaseResult:
    """The CaseResult `result_to_json` wrote; its rules are the loaded ones of the same ids (they are keyed)."""
    by_id = {r.id: r for r in rules}
    chosen = data["rules"]
    if chosen is not None and not all(rid in by_id for rid in chosen):
        raise CacheUnreadable("it names rules this run does not load")
    findings = [Finding(**{**f, "steps": [Step(**s) for s in f["steps"]]}) for f in data["findings"]]
    return CaseResult(
        id=data["id"], display=data["display"], title=data["title"], summary=data["summary"],
        as_of=date.fromisoformat(data["as_of"]) if data["as_of"] else None,
        problems=[Problem(**p) for p in data["problems"]], warnings=[Problem(**p) for p in data["warnings"]],
        findings=findings, counts=data["counts"],
        reviews={k: _state(s) for k, s in data["reviews"].items()},
        reviews_gone=[_state(s) for s in data["reviews_gone"]],
        reviews_unreadable=[Unreadable(**u) for u in data["reviews_unreadable"]],
        reviewing=data["reviewing"], hints_to_check=data["hints_to_check"],
        rules=None if chosen is None else [by_id[rid] for rid in chosen],
        jurisdictions=data["jurisdictions"], rules_why=data["rules_why"], language=data["language"],
        what_if=data["what_if"])


def _view_json(view: CaseView) -> dict:
    return {"names": view.names, "sources": view.sources, "evidence": view.evidence, "pairs": view.pairs}


# The cache on disk


DATE_TAG = "$date"  # a date inside a finding (a date parameter, a computed value) is written {"$date": "..."}


def _tag(value: Any) -> Any:
    if isinstance(value, date):
        return {DATE_TAG: value.isoformat()}
    raise TypeError(f"{type(value).__name__} is not kept in the cache")


def _untag(obj: dict) -> Any:
    if len(obj) == 1 and DATE_TAG in obj and isinstance(obj[DATE_TAG], str):
        return date.fromisoformat(obj[DATE_TAG])
    return obj


def _dump(data: dict) -> bytes:
    # Keys in the order they were made: a page iterates a dict (record counts, figures) in that order.
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_tag).encode()


def _load(data: bytes) -> Any:
    return json.loads(data, object_hook=_untag)


def _read_json(path: Path) -> dict:
    try:
        if path.is_symlink() or not path.is_file():
            raise CacheUnreadable(f"{path.name} is missing")
        if path.stat().st_size > MAX_CACHE_FILE:
            raise CacheUnreadable(f"{path.name} is larger than a cache file may be")
        data = _load(path.read_bytes())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CacheUnreadable(f"{path.name} cannot be read ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise CacheUnreadable(f"{path.name} is not a cache file")
    if data.get("format") != FORMAT:
        raise CacheUnreadable(f"{path.name} was written by another version of riskcheck")
    return data


def folder_hashes(folder: Path, hashes: FileHashes) -> dict[str, str]:
    """Each file under a case's report folder by its path in it, with its hash."""
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): hashes.sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


CHANGEABLE_FILE = re.compile(r"(^|/)(tenures|verdicts|resignations|memberships)\.csv$")


@dataclass
class PageReuse:
    """A large case's person pages as the last run wrote them, for the report writer to copy rather than render
    again where what a page is made of is unchanged.

    A page is made of its findings and their facts, the names and sources they cite and the rules (what
    `base` hashes: every input but the files of records that reach a page only through findings, and
    everything else the case's results depend on); `key` adds the page's own parts. A page is copied only if
    its key is the last run's and its file is as the last run wrote it (its hash in the cache's entry)."""

    folder: Path  # the case's report folder as the last run left it
    base: str
    keys: dict[str, str]  # page name -> its key in the last run
    hashes: dict[str, str]  # file under the case's report folder -> its hash when the last run wrote it
    made: dict[str, str] = field(default_factory=dict)  # page name -> its key in this run
    copied: int = 0

    def key(self, parts: Any) -> str:
        return _text_hash(self.base + "\n" + json.dumps(parts, ensure_ascii=False, sort_keys=True, default=repr))

    def earlier(self, page: str, key: str) -> bytes | None:
        """The page as the last run wrote it, if it was made of the same and is still as written."""
        self.made[page] = key
        if self.keys.get(page) != key or f"persons/{page}" not in self.hashes:
            return None
        path = self.folder / "persons" / page
        try:
            if path.is_symlink() or not path.is_file():
                return None
            data = path.read_bytes()
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != self.hashes[f"persons/{page}"]:
            return None
        self.copied += 1
        return data


@dataclass
class CaseCache:
    """The cache of one run (or one start of the app): reads entries, decides reuse, writes what a run found.

    `reports` is the output folder when a run writes reports there: a case is reused only if its report
    files are there as written, else it is checked again (its report needs the store to be rendered)."""

    folder: Path
    reports: Path | None = None
    say: Say | None = None
    views: bool = True  # keep each case's view for the app too (it costs a pass over the findings' evidence)
    keys: dict[str, CaseKey] = field(default_factory=dict)  # case id -> the key this run computed
    earlier: dict[str, dict] = field(default_factory=dict)  # case id -> its last entry, when it is checked again
    pages: dict[str, PageReuse] = field(default_factory=dict)  # case id -> its person pages, this run and last
    how: dict[str, str] = field(default_factory=dict)  # case id -> reused | re-ran (changed: ...) | ran (...)
    hashes: FileHashes = field(init=False)  # every file this cache reads is hashed through it
    # case id -> the last run's evidence being read in a thread (read_evidence_ahead), until earlier_evidence takes it
    evidence_ahead: dict[str, Future] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.hashes = FileHashes(self.folder / HASHES)

    def save_hashes(self) -> None:
        """Keep the hashes of the files read for the next run (riskcheck.filehash)."""
        self.hashes.save()

    def case_dir(self, case_id: str) -> Path:
        if not SAFE_CASE.fullmatch(case_id):
            raise CacheUnreadable(f"{case_id!r} is not a name the cache keeps")
        return self.folder / case_id

    def told(self, case_id: str, how: str) -> None:
        self.how[case_id] = how
        if self.say:
            self.say(case_id, how)

    def note(self, case_id: str, how: str) -> None:
        """A second line on how a case was checked (its identity kept or resolved afresh, and why)."""
        self.how[case_id] = f"{self.how.get(case_id, '')}; {how}"
        if self.say:
            self.say(case_id, how)

    def kept_identity(self, case_id: str) -> KeptIdentity | None:
        """Where the case's identity resolution is kept, salted with what else it depends on (riskcheck
        itself, the reviewers' link decisions, the folder's name); None before `reuse` computed its key."""
        key = self.keys.get(case_id)
        if key is None:
            return None
        salt = _text_hash(json.dumps({p: key.parts.get(p) for p in ("riskcheck version", "link decisions",
                                                                     "folder name")}, sort_keys=True))
        return KeptIdentity(self.case_dir(case_id) / IDENTITY, salt, hashes=self.hashes)

    def kept_store(self, case_id: str, root: Path) -> KeptStore | None:
        """Where the case's store is kept, salted with what it depends on beside its input files (riskcheck
        itself, the options, the link decisions, the folder's name: not the rules, which only read it)."""
        key = self.keys.get(case_id)
        if key is None:
            return None
        salt = _text_hash(json.dumps({p: h for p, h in key.parts.items() if p != "rules"}, sort_keys=True))
        return KeptStore(self.case_dir(case_id) / STORE, salt, dict(key.files), root, hashes=self.hashes)

    def entry(self, case_id: str) -> tuple[dict | None, str]:
        """The case's entry as written (None with why when there is none that can be used)."""
        try:
            data = _read_json(self.case_dir(case_id) / ENTRY)
            CaseKey(**data["key"])
            return data, ""
        except CacheUnreadable as exc:
            if "is missing" in str(exc):
                return None, "no earlier results"
            return None, f"the cache could not be used: {exc}"
        except (KeyError, TypeError):
            return None, "the cache could not be used: its entry is not whole"

    def reuse(self, folder: Path, root: Path, meta: CaseMeta, rules: list[LoadedRule], options: RunOptions,
              log: DecisionLog | None) -> CaseResult | None:
        """The case's last result if nothing it depends on changed and its report files are as written."""
        key = case_key(folder, root, meta, rules, options, log, self.hashes)
        self.keys[meta.id] = key
        data, why = self.entry(meta.id)
        if data is None:
            self.told(meta.id, f"ran ({why})")
            return None
        self.earlier[meta.id] = data
        changed = key.changes(CaseKey(**data["key"]))
        if key.reviews != data["key"]["reviews"] and self.reports is not None:
            changed.append("review decisions")
        if changed:
            self.told(meta.id, f"re-ran (changed: {', '.join(changed)})")
            return None
        if self.reports is not None and folder_hashes(self.reports / meta.id, self.hashes) != data.get("reports"):
            self.told(meta.id, "re-ran (its report files are missing or were changed)")
            return None
        try:
            result = result_from_json(data["result"], rules)
        except (CacheUnreadable, KeyError, TypeError, ValueError) as exc:
            self.told(meta.id, f"ran (the cache could not be used: {exc or 'its entry is not whole'})")
            return None
        self.told(meta.id, "reused")
        return result

    def page_reuse(self, case_id: str) -> PageReuse | None:
        """What the report writer needs to copy the case's unchanged person pages (riskcheck.report.render);
        None when the case was not checked against an earlier entry. This run's page keys are kept with it."""
        key = self.keys.get(case_id)
        if key is None or self.reports is None:
            return None
        data = self.earlier.get(case_id) or {}
        base = _text_hash(json.dumps({"parts": key.parts, "files": {
            n: h for n, h in key.files.items() if not CHANGEABLE_FILE.search(n)}}, sort_keys=True))
        pages, hashes = data.get("pages"), data.get("reports")
        pages = pages if isinstance(pages, dict) else {}
        hashes = hashes if isinstance(hashes, dict) else {}
        reuse = PageReuse(self.reports / case_id, base, {str(k): str(v) for k, v in pages.items()},
                          {str(k): str(v) for k, v in hashes.items()})
        self.pages[case_id] = reuse
        return reuse

    def read_evidence_ahead(self, case_id: str) -> None:
        """Start reading the case's earlier_evidence in a thread. A re-run on the kept store loads that store
        meanwhile, in DuckDB, which works without Python's lock; the file is 15 MB of JSON at a million persons,
        read after the rules on one core otherwise. `drop_evidence` forgets it when no re-run takes it."""
        if case_id in self.evidence_ahead or case_id not in self.earlier:
            return
        future: Future = Future()

        def read() -> None:
            try:
                future.set_result(self._read_evidence(case_id))
            except BaseException as exc:  # raised where it is taken, as if read there
                future.set_exception(exc)

        self.evidence_ahead[case_id] = future
        threading.Thread(target=read, name="riskcheck-evidence", daemon=True).start()

    def drop_evidence(self, case_id: str) -> None:
        self.evidence_ahead.pop(case_id, None)

    def earlier_evidence(self, case_id: str) -> dict[str, dict] | None:
        """Each finding's evidence as the last run's findings.json holds it (finding id -> evidence, without its
        review), when the file is the one the case's last entry names (its hash); None otherwise."""
        ahead = self.evidence_ahead.pop(case_id, None)
        return ahead.result() if ahead is not None else self._read_evidence(case_id)

    def _read_evidence(self, case_id: str) -> dict[str, dict] | None:
        data = self.earlier.get(case_id)
        if data is None or self.reports is None or not isinstance(data.get("reports"), dict):
            return None
        path = self.reports / case_id / "findings.json"
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_CACHE_FILE:
            return None
        text = path.read_bytes()
        if hashlib.sha256(text).hexdigest() != data["reports"].get("findings.json"):
            return None
        doc = json.loads(text)
        return {f["id"]: {k: v for k, v in f.items() if k != "review"} for f in doc.get("findings", [])
                if isinstance(f, dict) and isinstance(f.get("id"), str)}

    def earlier_result(self, case_id: str, before: dict[str, str], rules: list[LoadedRule]) -> CaseResult | None:
        """The result of the case's last run, when its findings are those of the store a re-run applied its changed
        rows to: every part of the key the same (riskcheck, the rules, the options, the link decisions), every
        input file the same but the changeable ones, and those as the kept store held them (`before`: path ->
        hash, riskcheck.registry.kept_store.KeptStore.before), the same rules applied. None otherwise: then
        every rule runs in full."""
        key, data = self.keys.get(case_id), self.earlier.get(case_id)
        if key is None or data is None or not before:
            return None
        try:
            last = CaseKey(**data["key"])
            if last.parts != key.parts or set(last.files) != set(key.files):
                return None
            if any(last.files[n] != before.get(n, key.files[n]) for n in key.files):
                return None
            result = result_from_json(data["result"], rules)
        except (CacheUnreadable, KeyError, TypeError, ValueError):
            return None
        if not result.ok or result.rules is None or [r.id for r in result.rules] != [r.id for r in rules]:
            return None
        return result

    def keep(self, result: CaseResult, view: CaseView | None = None) -> str | None:
        """Write the case's entry (and view), unless its result would not read back exactly; say why not."""
        key = self.keys.get(result.id)
        if key is None or not result.ok:
            return None
        rules = result.rules or []
        try:
            # The result is written as JSON once and read back once: a national case's is 15 MB. Equal is enough:
            # what is read back is in the text's order, which is the result's, and json writes what it read from
            # its own text as that text (tests/test_reuse_text.py), so writing `back` again would only repeat it.
            result_text = _dump(result_to_json(result))
            back = result_from_json(_load(result_text), rules)
            if back != result:
                return "its results do not read back exactly, so they are not kept"
            pages = self.pages.get(result.id)
            # The entry {"format", "key", "result", "reports", "pages"} in that order, the result's text set in.
            head = _dump({"format": FORMAT, "key": key.to_json()})
            tail = _dump({"reports": folder_hashes(self.reports / result.id, self.hashes) if self.reports else None,
                          "pages": pages.made if pages is not None else {}})
            text = head[:-1] + b',"result":' + result_text + b"," + tail[1:]
            view_text = _dump({"format": FORMAT, "key": key.to_json(), "view": _view_json(view)}) if view else None
        except (TypeError, ValueError) as exc:
            return f"its results cannot be written as JSON ({exc})"
        case_dir = self.case_dir(result.id)
        if view_text is not None:
            write_atomic(case_dir / VIEW, view_text)
        write_atomic(case_dir / ENTRY, text)  # last: an entry names a whole set
        return None

    def view(self, folder: Path, root: Path, meta: CaseMeta, rules: list[LoadedRule], options: RunOptions,
             log: DecisionLog | None) -> tuple[CaseView | None, str]:
        """The case's last view for the app, and "" when it is current or why it is stale.

        A stale view is still given: the app shows it, says so, and checks the case again."""
        key = case_key(folder, root, meta, rules, options, log, self.hashes)
        self.keys[meta.id] = key
        data, why = self.entry(meta.id)
        if data is None:
            return None, why
        try:
            view_data = _read_json(self.case_dir(meta.id) / VIEW)
            if view_data["key"] != data["key"]:
                return None, "the cache's view is of another run"
            result = result_from_json(data["result"], rules)
            v = view_data["view"]
            view = CaseView(result, v["names"], v["sources"], v["evidence"], v["pairs"])
        except CacheUnreadable as exc:
            return None, f"the cache could not be used: {exc}"
        except (KeyError, TypeError, ValueError):
            return None, "the cache could not be used: its entry is not whole"
        changed = key.changes(CaseKey(**data["key"]))
        return view, (f"changed since the last run ({', '.join(changed)})" if changed else "")
