"""Who served in each unit: at the as-of date, or at any time in the months before it.

A person counts once per unit, however many posts they held in it. A tenure whose recorded dates
(partial, or an interval) may or may not cover the period makes its holder a *possible* member, kept
apart from the certain ones, so that a figure never rests on a guess about dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from riskcheck.registry.dates import add_months
from riskcheck.registry.load import Registry
from riskcheck.sqlio import lit, q


@dataclass
class StaffMember:
    unit: str
    person: str
    tenure: str  # the tenure that puts the person in the unit (the earliest id among the surest)
    certain: bool
    stratum: tuple  # the values of the rule's strata for the post held ('unknown' where not recorded)


def period_start(as_of: date, within_months: int) -> date:
    """The first day of the period a unit's staff are counted over: the as-of date itself, or that many
    months before it."""
    return add_months(as_of, -within_months) if within_months > 0 else as_of


def unit_staff(registry: Registry, settings: dict, as_of: date, strata: list[str]) -> list[StaffMember]:
    """Staff of every unit in the period, ordered by unit and person (so the run is reproducible)."""
    start = period_start(as_of, settings["within_months"])
    excluded = settings["exclude_categories"]
    where_category = (f"AND (pos.category IS NULL OR pos.category NOT IN ({', '.join(map(lit, excluded))}))"
                      if excluded else "")
    if settings["include_units_under"]:
        unit_join, unit_col = "JOIN org_within uw ON uw.organization_id = pos.organization_id", "uw.within_id"
    else:
        unit_join, unit_col = "", "pos.organization_id"
    stratum_cols, stratum_joins = [], []
    for i, item in enumerate(strata):
        table, field = item.split(".")
        if table == "position":
            stratum_cols.append(f"coalesce(CAST(pos.{q(field)} AS VARCHAR), 'unknown')")
        else:  # an organization's field, or the nearest body above it that records one
            stratum_joins.append(f"""LEFT JOIN (
                SELECT w.organization_id, arg_min(CAST(o.{q(field)} AS VARCHAR), w.depth) AS value
                FROM org_within w JOIN organizations o ON o.id = w.within_id
                WHERE o.{q(field)} IS NOT NULL GROUP BY w.organization_id) s{i}
                ON s{i}.organization_id = pos.organization_id""")
            stratum_cols.append(f"coalesce(s{i}.value, 'unknown')")
    stratum = f"[{', '.join(stratum_cols)}]::VARCHAR[]" if stratum_cols else "[]::VARCHAR[]"
    rows = registry.conn.execute(f"""
        WITH served AS (
            SELECT {unit_col} AS unit, t.person_id AS person, t.id AS tenure, {stratum} AS stratum,
                   (t.start__hi <= $p_end AND (t."end" IS NULL OR t.end__lo >= $p_start)) AS certain
            FROM tenures t
            JOIN positions pos ON pos.id = t.position_id
            {unit_join}
            {' '.join(stratum_joins)}
            WHERE t.start__lo <= $p_end AND (t."end" IS NULL OR t.end__hi >= $p_start) {where_category}
        )
        SELECT unit, person, arg_min(tenure, (NOT certain, tenure)), bool_or(certain),
               arg_min(stratum, (NOT certain, tenure))
        FROM served GROUP BY unit, person ORDER BY unit, person
    """, {"p_start": start, "p_end": as_of}).fetchall()
    return [StaffMember(u, p, t, c, tuple(s)) for u, p, t, c, s in rows]
