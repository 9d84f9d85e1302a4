"""Collecting a case's records: inline in case.yaml, in record files beside it, and from includes.

YAML records and Excel workbooks are read here into raw rows (text values with their lines or rows). CSV files are only
located: the store reads them in bulk, so a million-row file never becomes a million Python objects.
Every path goes through riskcheck.registry.confine first: only regular files inside the cases folder
are read, each once however it is reached (folder scan, include, a link to it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from riskcheck.errors import Problem
from riskcheck.registry.cases import META_KEYS, READ_SUFFIXES, RECORD_LIKE, CaseMeta, display_path
from riskcheck.registry.confine import Refused, admit
from riskcheck.registry.raw_row import RawRow
from riskcheck.registry.schema import Schema
from riskcheck.registry.workbook import read_workbook
from riskcheck.yamlio import YList, YMap, load_yaml_file


@dataclass
class CaseSources:
    rows: dict[str, list[RawRow]] = field(default_factory=dict)
    csv_files: list[tuple[str, Path, str]] = field(default_factory=list)  # (type, path, display)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def collect_sources(meta: CaseMeta, root: Path, schema: Schema) -> CaseSources:
    """Gather every record source of the case; problems found on the way are kept in `problems`.

    A file that is not valid YAML raises ProblemError at once (nothing in it can be checked further).
    """
    out = CaseSources()
    reader = _Reader(root, schema, out)
    shown = f"{meta.display}/case.yaml"
    reader.records_from_mapping(meta.document, shown, skip=META_KEYS)
    reader.visited.add(meta.folder.resolve())
    reader.visited.add((meta.folder / "case.yaml").resolve())
    reader.folder(meta.folder, skip_case_yaml=True)
    for target, line in meta.include:
        reader.include(meta.folder, target, shown, line)
    return out


def collect_document(doc: YMap, shown: str, schema: Schema) -> CaseSources:
    """Gather the records of one YAML mapping (a rule test's fragment or fixture): no files, no includes."""
    out = CaseSources()
    _Reader(Path("/nonexistent"), schema, out).records_from_mapping(doc, shown, skip=set())
    return out


class _Reader:
    def __init__(self, root: Path, schema: Schema, out: CaseSources):
        self.root, self.schema, self.out = root, schema, out
        self.visited: set[Path] = set()  # resolved folders and files already read
        self.records_seen: set[tuple[str, int]] = set()  # (file, YAML node): an alias may not repeat a record

    def problem(self, file: str, line: int | None, message: str, **kw) -> None:
        self.out.problems.append(Problem(file, line, message, **kw))

    def include(self, base: Path, target: str, shown: str, line: int) -> None:
        # The path is taken literally (no globs, no ~); `..` is judged before links are followed, then again after.
        path = Path(os.path.normpath(base / target))
        if path != self.root and self.root not in path.parents:
            self.problem(shown, line, f"include {target!r} lies outside the cases folder", field="include")
            return
        try:
            resolved = admit(path, self.root)
        except Refused as why:
            self.problem(shown, line, f"include {target!r} {why}", field="include")
            return
        if resolved.is_dir():
            if resolved not in self.visited:
                self.visited.add(resolved)
                self.folder(resolved)
        else:
            self.file(resolved, display_path(path, self.root), include_allowed=True)

    def folder(self, folder: Path, skip_case_yaml: bool = False) -> None:
        for path in sorted(folder.iterdir()):
            if path.name == "case.yaml" and skip_case_yaml:
                continue
            if path.suffix not in READ_SUFFIXES:
                if path.suffix.lower() in RECORD_LIKE and not path.name.startswith("."):
                    self.out.warnings.append(Problem(display_path(path, self.root), None, (
                        "is not read: riskcheck reads record files named <type>.yaml, .yml, .csv or .xlsx "
                        f"(lower case); save this one as {path.stem}.xlsx or {path.stem}.csv")))
                continue
            shown = display_path(path, self.root)
            try:
                resolved = admit(path, self.root)
            except Refused as why:
                self.problem(shown, None, str(why))
                continue
            if not resolved.is_dir():
                self.file(resolved, shown, include_allowed=False)

    def file(self, path: Path, shown: str, include_allowed: bool) -> None:
        """Read one admitted (resolved, confined, regular) file, unless it was read already."""
        if path in self.visited:
            return
        self.visited.add(path)
        stem = Path(shown).stem
        if path.suffix == ".xlsx":
            records, errors, warnings = read_workbook(path, shown, self.schema)
            for type_name, rows in records.items():
                self.out.rows.setdefault(type_name, []).extend(rows)
            self.out.problems += errors
            self.out.warnings += warnings
            return
        if path.suffix == ".csv":
            if stem in self.schema.types:
                self.out.csv_files.append((stem, path, shown))
            else:
                self.problem(shown, None, f"{stem!r} is not a record type ({', '.join(self.schema.types)})")
            return
        doc = load_yaml_file(path, shown)
        if stem in self.schema.types:
            self.record_list(stem, doc, shown, getattr(doc, "line", 1))
        elif isinstance(doc, YMap):
            self.records_from_mapping(doc, shown, skip={"include"} if include_allowed else set())
            if include_allowed and doc.get("include"):
                targets = doc["include"] if isinstance(doc["include"], YList) else [doc["include"]]
                for target in targets:
                    if isinstance(target, str):
                        self.include(path.parent, target, shown, doc.line_of("include"))
                    else:
                        self.problem(shown, doc.line_of("include"), "an include is a path (text)", field="include")
        else:
            self.problem(shown, None, "a records file must be named after its record type "
                                      "(persons.yaml, tenures.csv, ...) or map record types to lists")

    def records_from_mapping(self, doc: YMap | None, shown: str, skip: set[str]) -> None:
        if doc is None:
            return
        for key, value in doc.items():
            if key in skip:
                continue
            if key not in self.schema.types:
                self.problem(shown, doc.line_of(key), f"unknown key {key!r}; record types are "
                                                      f"{', '.join(self.schema.types)}")
                continue
            self.record_list(key, value, shown, doc.line_of(key))

    def record_list(self, type_name: str, value, shown: str, line: int) -> None:
        if value is None:
            return
        if not isinstance(value, YList):
            self.problem(shown, line, f"{type_name} must be a list of records")
            return
        rtype = self.schema.types[type_name]
        rows = self.out.rows.setdefault(type_name, [])
        for item, item_line in zip(value, value.lines):
            if not isinstance(item, YMap):
                self.problem(shown, item_line, f"a {type_name} record must be a mapping of fields")
                continue
            if (shown, item.origin) in self.records_seen:
                self.problem(shown, item_line, f"this {type_name} record is repeated through a YAML alias "
                                               "(*name); write each record once",
                             record=item["id"] if isinstance(item.get("id"), str) else None)
                continue
            self.records_seen.add((shown, item.origin))
            values: dict = {}
            record_id = item.get("id") if isinstance(item.get("id"), str) else None
            for key, raw in item.items():
                spec = rtype.fields.get(key)
                if spec is None:
                    self.problem(shown, item.line_of(key), f"unknown field; {type_name} have "
                                 f"{', '.join(rtype.fields)}", record=record_id, field=key)
                    continue
                if spec.is_list:
                    if isinstance(raw, str):
                        raw = [part.strip() for part in raw.split(";") if part.strip()]
                    if raw is not None and not (isinstance(raw, list) and all(isinstance(x, str) for x in raw)):
                        self.problem(shown, item.line_of(key), "must be a list of texts",
                                     record=record_id, field=key)
                        continue
                elif raw is not None and not isinstance(raw, str):
                    self.problem(shown, item.line_of(key), "must be a single value, not a list or mapping",
                                 record=record_id, field=key)
                    continue
                values[key] = list(raw) if isinstance(raw, list) else raw
            rows.append(RawRow(shown, item.line, values, dict(item.lines)))
