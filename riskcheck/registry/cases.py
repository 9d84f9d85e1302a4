"""Finding case folders and reading each case's metadata from its case.yaml."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from riskcheck.errors import Problem, ProblemError
from riskcheck.i18n import UnknownLanguage, language
from riskcheck.registry.confine import Refused, admit
from riskcheck.registry.dates import DateFormatError, parse_exact_date
from riskcheck.yamlio import YList, YMap, load_yaml_file

CASE_ID = re.compile(r"[a-z0-9-]{1,64}")
META_KEYS = {"id", "title", "summary", "as_of", "subjects", "include", "jurisdiction", "language"}
# A jurisdiction is named by its ISO 3166-1 alpha-2 code (KZ, US, BR ...), as rule packs are.
JURISDICTION = re.compile(r"[A-Za-z]{2}")
READ_SUFFIXES = (".yaml", ".yml", ".csv", ".xlsx")
# Files that look like records but are not read, so a case saved as a workbook is not taken as empty.
RECORD_LIKE = {".yaml", ".yml", ".csv", ".tsv", ".txt", ".xlsx", ".xls", ".ods", ".json", ".jsonl"}


@dataclass
class CaseMeta:
    """What case.yaml says about the case itself (its records are read by the reader)."""

    id: str
    folder: Path
    display: str  # how messages name the folder, e.g. "cases/imanaliev-appointment"
    title: str = ""
    summary: str = ""
    as_of: date | None = None
    subjects: list[str] = field(default_factory=list)
    jurisdictions: list[str] = field(default_factory=list)  # upper-case ISO codes case.yaml states
    language: str | None = None  # the language its report is written in (riskcheck.i18n), when case.yaml says
    include: list[tuple[str, int]] = field(default_factory=list)  # (path, line in case.yaml)
    document: YMap | None = None  # the parsed case.yaml, for its inline records


def discover_cases(path: Path) -> tuple[Path, list[Path]]:
    """Return (root, case folders). `path` is a folder of cases or one case folder."""
    path = path.resolve()
    if not path.is_dir():
        raise ProblemError([Problem(str(path), None, "is not a folder of cases")])
    if (path / "case.yaml").is_file():
        return path.parent, [path]
    folders = sorted(p for p in path.iterdir()
                     if p.is_dir() and not p.name.startswith(("_", ".")))
    if not folders:
        records = sorted(p.name for p in path.iterdir() if p.is_file() and p.suffix.lower() in RECORD_LIKE)
        hint = (f"; it holds {', '.join(records[:3])}{' ...' if len(records) > 3 else ''}: to make it one case, "
                "add a case.yaml with `id: <folder name>` and `as_of: YYYY-MM-DD`") if records else ""
        raise ProblemError([Problem(path.name, None, "holds no case folders (a case is a folder with a "
                                                     f"case.yaml){hint}")])
    return path, folders


def display_path(path: Path, root: Path) -> str:
    """Name a file for messages and reports without depending on the working directory."""
    # Links are not followed: a file is named where it stands in the case, never where it points.
    try:
        return f"{root.name}/{Path(os.path.abspath(path)).relative_to(root).as_posix()}"
    except ValueError:
        return path.name


def read_case_meta(folder: Path, root: Path) -> CaseMeta:
    display = display_path(folder, root)
    meta_file = folder / "case.yaml"
    shown = f"{display}/case.yaml"
    try:
        admit(folder, root, want_dir=True)
    except Refused as why:
        raise ProblemError([Problem(display, None, str(why))]) from None
    if not meta_file.is_symlink() and not meta_file.exists():
        raise ProblemError([Problem(display, None, "has no case.yaml (a folder of shared records must "
                                                   "start with '_')")])
    try:
        meta_file = admit(meta_file, root)
    except Refused as why:
        raise ProblemError([Problem(shown, None, str(why))]) from None
    doc = load_yaml_file(meta_file, shown)
    if not isinstance(doc, YMap):
        raise ProblemError([Problem(shown, getattr(doc, "line", 1), "must be a mapping of case fields")])
    problems: list[Problem] = []
    meta = CaseMeta(id=folder.name, folder=folder, display=display, document=doc)

    if not CASE_ID.fullmatch(folder.name):
        problems.append(Problem(display, None, "a case folder name must be lower-case letters, digits and "
                                               "'-', at most 64 characters"))
    case_id = doc.get("id")
    if case_id is None:
        problems.append(Problem(shown, doc.line, "'id' is required and must equal the folder name", field="id"))
    elif case_id != folder.name:
        problems.append(Problem(shown, doc.line_of("id"), f"id {case_id!r} must equal the folder name "
                                                          f"{folder.name!r}", field="id"))
    for key in ("title", "summary"):
        value = doc.get(key)
        if value is not None and not isinstance(value, str):
            problems.append(Problem(shown, doc.line_of(key), "must be text", field=key))
        else:
            setattr(meta, key, value or "")
    if doc.get("as_of") is not None:
        try:
            meta.as_of = parse_exact_date(str(doc["as_of"]))
        except (DateFormatError, TypeError) as exc:
            problems.append(Problem(shown, doc.line_of("as_of"), str(exc), field="as_of"))
    if doc.get("language") is not None:
        try:
            meta.language = language(doc["language"])
        except UnknownLanguage as exc:
            problems.append(Problem(shown, doc.line_of("language"), str(exc), field="language"))
    for key in ("subjects", "include", "jurisdiction"):
        value = doc.get(key)
        if value is None:
            continue
        if isinstance(value, str):
            value = YList([value])
            value.lines = [doc.line_of(key)]
        if not isinstance(value, YList) or not all(isinstance(v, str) for v in value):
            problems.append(Problem(shown, doc.line_of(key), "must be a list of texts", field=key))
            continue
        if key == "subjects":
            meta.subjects = list(value)
        elif key == "jurisdiction":
            bad = [v for v in value if not JURISDICTION.fullmatch(v)]
            if bad:
                problems.append(Problem(shown, doc.line_of(key), f"{bad[0]!r} is not a two-letter ISO country "
                                                                 "code (KZ, US, BR, RU, UA, UZ ...)", field=key))
            meta.jurisdictions = sorted({v.upper() for v in value if v not in bad})
        else:
            meta.include = list(zip(value, value.lines or [doc.line_of(key)] * len(value)))
    if problems:
        raise ProblemError(problems)
    return meta
