"""Reviewers' decisions on pairs of persons, applied to a case's store as data a reader can tell apart.

Applied in two moments of loading (riskcheck.registry.load): before identity resolution, a confirmed
relation becomes an ordinary relation row of status `reported` whose source is the decision (who, when,
the note), and `same_as` / `not_same_as` are added to the person record as the data would write them; after
resolution, `not_related` drops the kinship hint between the two. Kinship is then derived from the rows as
from any others, so nothing downstream needs to know a reviewer was involved except to say so.

Data always wins over a decision it contradicts: a reviewer's `same_as` against a recorded `not_same_as`
(or the reverse), or a relation where the data records one already. Such a decision is not applied, and a
warning says which and why; so does a decision naming a person the case no longer has.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from riskcheck.errors import Problem
from riskcheck.sqlio import q
from riskcheck.registry.dates import time_words
from riskcheck.registry.schema import Schema

FILE_NAME = "reviews.sqlite"  # the reviewers' decision log in the cases folder (riskcheck.review.decisions)
SOURCE_PREFIX = "reviewer-decision-"  # the id of a decision's source record; steps and caveats look for it

RELATION_WORDS = {"not_related": "not related", "same_as": "the same person", "not_same_as": "not the same person",
                  "unsure": "unsure"}


@dataclass(frozen=True)
class LinkDecision:
    """The current decision on one pair: `relative` is `person`'s `decision` (or not related, same, ...)."""

    person: str
    relative: str
    decision: str
    reviewer: str
    at: str
    note: str
    uid: str
    imported: bool = False
    hint: tuple[str, ...] = ()  # what the run said of the pair when the reviewer decided (empty from the CLI)

    def changed(self, now_said: list[str]) -> bool:
        """Whether what the run says of the pair now differs from what the reviewer saw."""
        return bool(self.hint) and list(self.hint) != list(now_said)

    @property
    def words(self) -> str:
        """The decision in words: 'parent', 'not related', 'the same person', ... (callers name the persons)."""
        return RELATION_WORDS.get(self.decision, self.decision.replace("_", " "))

    def cited(self) -> str:
        """Who decided, when, and their note: what a step, a caveat and a source title say."""
        text = f"{self.reviewer}, {time_words(self.at)}"
        return text + (f": {self.note}" if self.note else "")


def source_id(decision: LinkDecision) -> str:
    return SOURCE_PREFIX + decision.uid[:16]


def _names(conn: duckdb.DuckDBPyConnection, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    found = conn.execute("SELECT id, name FROM persons WHERE id IN (SELECT unnest(?))", [sorted(ids)]).fetchall()
    return dict(found)


def _recorded(conn: duckdb.DuckDBPyConnection, a: str, b: str) -> list[str]:
    """The kinds of the relations the data records between a and b, either way."""
    rows = conn.execute("SELECT DISTINCT kind FROM relations WHERE (person_id = ? AND relative_id = ?) "
                        "OR (person_id = ? AND relative_id = ?) ORDER BY kind", [a, b, b, a]).fetchall()
    return [r[0] for r in rows]


# An identity decision, the person field it is added to, and the field that says the opposite (with its words):
# the data's own same_as / not_same_as wins over a reviewer's contrary decision.
_OPPOSITE = {"same_as": ("not_same_as", "not the same person"), "not_same_as": ("same_as", "the same person")}


def _listed(conn: duckdb.DuckDBPyConnection, column: str, a: str, b: str) -> bool:
    """Whether a's or b's record lists the other in `column` (same_as or not_same_as)."""
    col = q(column)
    return conn.execute(f"SELECT count(*) FROM persons WHERE (id = ? AND list_contains({col}, ?)) "
                        f"OR (id = ? AND list_contains({col}, ?))", [a, b, b, a]).fetchall()[0][0] > 0


def _warn(decision: LinkDecision, names: dict[str, str], why: str) -> Problem:
    a, b = (f"{names.get(x, x)} ({x})" for x in (decision.person, decision.relative))
    said = (f"that {b} is the {decision.words} of {a}" if decision.decision not in
            ("not_related", "same_as", "not_same_as") else f"that {a} and {b} are {decision.words}")
    return Problem(FILE_NAME, None, f"the reviewer's decision {said} ({decision.cited()}) is not applied: {why}")


def apply_before_resolution(conn: duckdb.DuckDBPyConnection, schema: Schema,
                            decisions: list[LinkDecision]) -> list[Problem]:
    """Relations and same/not-same decisions into the typed tables; returns the warnings of those not applied."""
    warnings: list[Problem] = []
    names = _names(conn, {x for d in decisions for x in (d.person, d.relative)})
    relation_kinds = set(schema.types["relations"].fields["kind"].values)
    sources, relations = [], []
    for d in decisions:
        if d.decision == "unsure":
            continue
        missing = [x for x in (d.person, d.relative) if x not in names]
        if missing:
            warnings.append(_warn(d, names, f"the case has no person {', '.join(repr(m) for m in missing)}"))
            continue
        if d.decision in relation_kinds:
            recorded = _recorded(conn, d.person, d.relative)
            if recorded:
                warnings.append(_warn(d, names, "the data records a relation between them already "
                                                f"({', '.join(recorded)}), and the data is used"))
                continue
            sources.append([source_id(d), f"Decision of the reviewer {d.reviewer}, {d.at[:10]}",
                            "other", d.cited(), FILE_NAME, 0])
            relations.append(["reviewer-relation-" + d.uid[:16], d.person, d.relative, d.decision,
                              "reported", f"Recorded by the reviewer {d.cited()}", [source_id(d)],
                              schema.status_rank("reported"), FILE_NAME, 0])
        elif d.decision in _OPPOSITE:
            opposite, opposite_words = _OPPOSITE[d.decision]
            if _listed(conn, opposite, d.person, d.relative):
                warnings.append(_warn(d, names, f"the data records them as {opposite_words} ({opposite}), "
                                                "and the data wins"))
                continue
            col = q(d.decision)
            conn.execute(f"UPDATE persons SET {col} = list_append(coalesce({col}, []::VARCHAR[]), ?) WHERE id = ?",
                         [d.relative, d.person])
    if sources:
        conn.executemany("INSERT INTO sources (id, title, kind, notes, _file, _line) VALUES (?, ?, ?, ?, ?, ?)",
                         sources)
        conn.executemany("INSERT INTO relations (id, person_id, relative_id, kind, status, notes, sources, "
                         "status_rank, _file, _line) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", relations)
    return warnings


def apply_after_resolution(conn: duckdb.DuckDBPyConnection, decisions: list[LinkDecision],
                           canonical: dict[str, str]) -> list[Problem]:
    """`not_related` drops the kinship hint between the two (by the ids they were merged into, if any)."""
    warnings: list[Problem] = []
    for d in decisions:
        if d.decision != "not_related":
            continue
        a, b = canonical.get(d.person, d.person), canonical.get(d.relative, d.relative)
        recorded = _recorded(conn, a, b)
        if recorded:
            warnings.append(_warn(d, _names(conn, {a, b}), "the data records a relation between them "
                                                          f"({', '.join(recorded)}), and the data wins; "
                                                          "'not related' only drops a hint from names"))
        conn.execute("DELETE FROM nk_hints WHERE (child = ? AND parent = ?) OR (child = ? AND parent = ?)",
                     [a, b, b, a])
    return warnings
