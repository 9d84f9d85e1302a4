"""Reviewers' decisions on findings: kept in SQLite beside the cases, appended, never overwritten."""
