"""Groups of close relatives among a unit's staff: people joined, directly or through each other, by
recorded family links in force during the period.

A link counts when its kind is a close relative's and its status is at least the rule's minimum; a link
that is weaker than established (alleged, inferred), or whose dates may or may not reach the period, and a
member whose tenure may or may not cover it, are kept apart: a group that reaches the rule's size only
with them is `undetermined`, never flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from riskcheck.registry.load import Registry

ESTABLISHED = "reported"


@dataclass(frozen=True)
class KinLink:
    kinship_id: str
    a: str
    b: str
    kind: str
    certain: bool  # established (reported or better), and surely in force on a day of the period


def staff_links(registry: Registry, persons: set[str], kinds: list[str], min_status: str, start: date,
                end: date) -> list[KinLink]:
    """Close-kin links between any two of `persons`, one per pair."""
    if not persons or not kinds:
        return []
    schema = registry.schema
    min_rank = schema.status_rank(min_status)
    established = schema.status_rank(ESTABLISHED)
    conn = registry.conn
    conn.execute("CREATE OR REPLACE TEMP TABLE ind_kin_people AS SELECT unnest($ids) AS id", {"ids": sorted(persons)})
    rows = conn.execute("""
        SELECT k.id, k.person_id, k.relative_id, k.kind, k.status_rank,
               coalesce(k.valid_from__hi <= $p_end AND (k.valid_to__lo IS NULL OR k.valid_to__lo >= $p_start),
                        FALSE) AS in_force
        FROM kinship k
        JOIN ind_kin_people a ON a.id = k.person_id
        JOIN ind_kin_people b ON b.id = k.relative_id
        WHERE list_contains($kinds, k.kind) AND k.status_rank >= $min_rank
          AND (k.valid_from__lo IS NULL OR k.valid_from__lo <= $p_end)
          AND (k.valid_to__hi IS NULL OR k.valid_to__hi >= $p_start)
        ORDER BY k.person_id, k.relative_id, k.kind, k.id
    """, {"kinds": kinds, "p_start": start, "p_end": end, "min_rank": min_rank}).fetchall()
    conn.execute("DROP TABLE ind_kin_people")
    # Each pair once (a link is read from both sides, and a pair may be joined several ways): the surest way.
    best: dict[tuple[str, str], KinLink] = {}
    for kid, a, b, kind, rank, in_force in rows:
        link = KinLink(kid, a, b, kind, bool(in_force) and rank >= established)
        pair = (min(a, b), max(a, b))
        if pair not in best or (link.certain and not best[pair].certain):
            best[pair] = link
    return [best[pair] for pair in sorted(best)]


def groups(members: list[str], links: list[KinLink]) -> list[tuple[list[str], list[KinLink]]]:
    """Connected groups of two or more among `members`, largest first, each with the links inside it."""
    parent = {m: m for m in members}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    inside = [k for k in links if k.a in parent and k.b in parent]
    for k in inside:
        ra, rb = find(k.a), find(k.b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    by_root: dict[str, list[str]] = {}
    for m in members:
        by_root.setdefault(find(m), []).append(m)
    out = []
    for people in by_root.values():
        if len(people) >= 2:
            these = set(people)
            out.append((sorted(people), [k for k in inside if k.a in these]))
    return sorted(out, key=lambda g: (-len(g[0]), g[0]))
