"""The organisation hierarchy in the store: which organizations each one lies within (`org_within`).

A table built once per case so a rule can ask for "the agency and everything under it" with one join.
"""

from __future__ import annotations

import duckdb

MAX_ORG_DEPTH = 50  # deeper than any real hierarchy; a parent_id cycle stops here instead of running forever


def create_org_within(conn: duckdb.DuckDBPyConnection) -> None:
    """`org_within`: each organization with itself (depth 0) and every organization above it (parent_id),
    so a rule can ask for "the agency and everything under it" with one join."""
    conn.execute(f"""
        CREATE TABLE org_within AS
        WITH RECURSIVE up(organization_id, within_id, depth) AS (
            SELECT id, id, 0 FROM organizations
            UNION ALL
            SELECT u.organization_id, o.parent_id, u.depth + 1
            FROM up u JOIN organizations o ON o.id = u.within_id
            WHERE o.parent_id IS NOT NULL AND u.depth < {MAX_ORG_DEPTH}
        )
        SELECT organization_id || '<' || within_id AS id, organization_id, within_id, min(depth) AS depth
        FROM up GROUP BY organization_id, within_id ORDER BY id
    """)
