"""Kinship hints as a reviewer reads them: the hints found in the store (nk_hints) worded, and those listed.

The hints are found in SQL (riskcheck.names.candidates.kinship_hints); a national registry has hundreds of
thousands, so they are worded only when asked for.
"""

from __future__ import annotations

import duckdb

from riskcheck.names.records import PairResult, Resolution
from riskcheck.sqlio import bulk_insert


def hint_results(conn: duckdb.DuckDBPyConnection, pairs: list[tuple[str, str]] | None = None) -> list[PairResult]:
    """The kinship hints in nk_hints (those of `pairs`, or all) as PairResults, worded, by (child, parent)."""
    where = ""
    if pairs is not None:
        if not pairs:
            return []
        conn.execute("CREATE OR REPLACE TEMP TABLE nk_wanted (child VARCHAR, parent VARCHAR)")
        bulk_insert(conn, "nk_wanted", pairs)
        where = "WHERE (h.child, h.parent) IN (SELECT (child, parent) FROM nk_wanted)"
    rows = conn.execute(f"""
        SELECT h.child, h.parent, h.fit, h.gap_lo, h.gap_hi, h.written, h.rank, c.name, p.name
        FROM nk_hints h JOIN persons c ON c.id = h.child JOIN persons p ON p.id = h.parent {where}
        ORDER BY h.child, h.parent""").fetchall()
    out = []
    for child, parent, fit, gap_lo, gap_hi, written, rank, child_name, parent_name in rows:
        gap = f"{gap_lo}" if gap_lo == gap_hi else f"{gap_lo}-{gap_hi}"
        fitting = round(1 / fit)
        out.append(PairResult(child, parent, "hint", float(fit), [
            f"patronymic {written} is made from the given name of {parent_name}",
            f"same surname stem: {child_name} / {parent_name}",
            f"{parent_name} is {gap} years older",
        ] + ([f"{fitting} persons fit; each is listed"] if fitting > 1 else []), rank=int(rank)))
    return out


def listed_hints(res: Resolution) -> list[PairResult]:
    """The hints a reviewer is shown: those that would change a finding if true, most telling first."""
    return sorted((h for h in res.hints if h.changes), key=lambda h: h.rank)
