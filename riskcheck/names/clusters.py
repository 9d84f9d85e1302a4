"""Linking records into persons: union-find over the proposed links, refusing what the data keeps apart.

The one place a link is made or refused; the resolver (riskcheck.names.resolve) proposes, this decides.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

from riskcheck.names.evidence import identifier
from riskcheck.names.records import PairResult, PersonNames


def cluster_links(persons: list[PersonNames], by_id: dict[str, int], proposed: list[PairResult]
              ) -> tuple[list[PairResult], dict[str, str], list[tuple[PairResult, str | None]]]:
    """Union-find over the proposed links, strongest evidence first, refusing any union that would put
    into one person two records `not_same_as` keeps apart or two different identifiers of one scheme.

    Returns the links made, every merged id -> the smallest id of its cluster, and the links refused
    with the reason (None where `not_same_as` refused it: the data has settled that pair already).
    """
    order = {"same_as": 0, "identifier": 1, "name_and_birth": 2}
    parent: dict[str, str] = {}
    members: dict[str, list[str]] = {}
    schemes: dict[str, dict[str, set[str]]] = {}
    apart = {p.id: set(p.not_same_as or ()) for p in persons if p.not_same_as}
    for p in persons:
        for other in p.not_same_as or ():
            apart.setdefault(other, set()).add(p.id)

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def scheme_values(root: str) -> dict[str, set[str]]:
        if root not in schemes:
            found: dict[str, set[str]] = {}
            for scheme, value in map(identifier, persons[by_id[root]].identifiers or ()):
                found.setdefault(scheme, set()).add(value)
            schemes[root] = found
        return schemes[root]

    # A record whose name and birth date fit several records that are not themselves linked by the same
    # evidence (a court record and two namesakes of one registry) cannot say which it is: it links to none.
    partners: dict[str, set[str]] = defaultdict(set)
    for link in proposed:
        if link.kind == "name_and_birth":
            partners[link.left].add(link.right)
            partners[link.right].add(link.left)
    ambiguous = {x for x, ps in partners.items() if len(ps) > 1
                 and any(b not in partners[a] for a, b in combinations(sorted(ps), 2))}

    def sources(ids: list[str]) -> set[str]:
        return {s for x in ids for s in persons[by_id[x]].sources or ()}

    made: list[PairResult] = []
    refused: list[tuple[PairResult, str | None]] = []
    for link in sorted(proposed, key=lambda x: (order[x.kind], x.left, x.right)):
        ra, rb = find(link.left), find(link.right)
        if ra == rb:
            made.append(link)
            continue
        ma, mb = members.get(ra, [ra]), members.get(rb, [rb])
        if any(apart.get(x, set()) & set(mb) for x in ma):
            refused.append((link, None))
            continue
        if link.kind == "name_and_birth":
            if link.left in ambiguous or link.right in ambiguous:
                one = link.left if link.left in ambiguous else link.right
                refused.append((link, f"the name and birth date of {one} fit {len(partners[one])} records that "
                                      "are not known to be one person"))
                continue
            if sources(ma) & sources(mb):
                refused.append((link, "the link would join two records of one source, presumed two people"))
                continue
        va, vb = scheme_values(ra), scheme_values(rb)
        clash = sorted(s for s in set(va) & set(vb) if va[s].isdisjoint(vb[s]))
        if clash:
            refused.append((link, f"the records carry different {clash[0]} identifiers, so they are two people"))
            continue
        keep, gone = (ra, rb) if ra < rb else (rb, ra)
        parent[gone] = keep
        members[keep] = ma + mb
        members.pop(gone, None)
        for scheme, values in scheme_values(gone).items():
            scheme_values(keep).setdefault(scheme, set()).update(values)
        made.append(link)
    canonical = {x: find(x) for x in list(parent) if find(x) != x}
    return made, canonical, refused
