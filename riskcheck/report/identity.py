"""Identity resolution as a report shows it: in full in findings.json, by name and cut to a page's worth in
report.html (riskcheck.names decides the links; this only words them)."""

from __future__ import annotations

from riskcheck.names.records import PairResult
from riskcheck.names.resolve import listed_hints
from riskcheck.registry.load import Registry

MAX_LISTED_IDENTITY = 200  # possible pairs and hints in the HTML; findings.json has them all


def identity_document(registry: Registry | None) -> dict:
    """Identity resolution in full for findings.json: every link, possible pair and hint, and what was not
    compared or linked, so a reviewer's tools see what the page lists only in part."""
    res = registry.identity.resolution if registry is not None else None
    if res is None:
        return {"links": [], "possible": [], "hints": []}

    def rows(items: list[PairResult]) -> list[dict]:
        return [{"left": x.left, "right": x.right, "kind": x.kind, "score": round(x.score, 4),
                 "explanation": x.explanation} for x in items]
    listed = listed_hints(res)
    hints = [dict(row, rank=h.rank, would_change=h.changes) for row, h in zip(rows(listed), listed)]
    return {"links": rows(res.links), "possible": rows(res.possible), "hints": hints,
            "hints_not_listed": res.hints_total - len(hints),
            "possible_not_compared": res.possible_not_compared,
            "not_linked": dict(sorted(res.refused.items())),
            "skipped_blocks": [{"block": b, "records": n} for b, n in res.skipped_blocks],
            "ambiguous_patronymics": res.ambiguous_patronymics}


def identity_context(registry: Registry) -> dict:
    """The page's lists of same persons, possible pairs and kinship hints, with names for record ids, cut to
    a page's worth."""
    res = registry.identity.resolution
    # Every link is shown (each merged records in the rules); the review lists are cut to a page's worth.
    hints = listed_hints(res)
    shown = {"links": res.links, "possible": res.possible[:MAX_LISTED_IDENTITY], "hints": hints[:MAX_LISTED_IDENTITY]}
    ends = {i for items in shown.values() for x in items for i in (x.left, x.right)}
    names = registry.person_names(ends | {res.canonical[i] for i in ends if i in res.canonical})

    def name(pid: str) -> str:
        return names.get(pid) or pid

    def rows(items: list[PairResult]) -> list[dict]:
        return [{"left": x.left, "right": x.right, "left_name": name(x.left), "right_name": name(x.right),
                 "score": x.score, "why": x.explanation, "changes": x.changes} for x in items]

    def merged_first(x: PairResult) -> dict:  # a link reads "this record is taken as that person"
        merged = x.left if x.left in res.canonical else x.right
        return {"left": merged, "right": res.canonical[merged], "left_name": name(merged),
                "right_name": name(res.canonical[merged]), "score": x.score, "why": x.explanation}
    more = len(res.possible) - len(shown["possible"]) + len(hints) - len(shown["hints"])
    return {"links": [merged_first(x) for x in shown["links"]], "possible": rows(shown["possible"]), "hints": rows(shown["hints"]),
            "more": more, "hints_not_listed": res.hints_total - len(hints),
            "possible_not_compared": res.possible_not_compared, "skipped": sorted(res.skipped_blocks, key=lambda b: (-b[1], b[0])),
            "ambiguous": res.ambiguous_patronymics}
