"""Partial dates in SQL: the DuckDB macros that turn a date as written into the bounds of its interval.

They are created on every connection (riskcheck.registry.store.connect) and used by the typed tables and
the compiled rules; riskcheck.registry.dates.parse_date is their twin in Python.
"""

from __future__ import annotations

from datetime import date

from riskcheck.registry.dates import MAX_DAY, MIN_DAY


def _interval_end(name: str, part: int, open_day: date, point: str) -> str:
    """The macro for one end of a date as written (`part` 1 of an interval `a/b` is its start, 2 its end): an
    open end ('..' or empty) is `open_day`, a point is read by the `point` macro of that end, and text with
    more than one '/' is no date."""
    return f"""CREATE OR REPLACE MACRO {name}(s) AS CASE
  WHEN length(s) - length(replace(s, '/', '')) > 1 THEN NULL
  WHEN trim(s) = '..' THEN DATE '{open_day}'
  WHEN contains(s, '/') THEN CASE WHEN trim(split_part(s, '/', {part})) IN ('', '..') THEN DATE '{open_day}'
                                  ELSE {point}(trim(split_part(s, '/', {part}))) END
  ELSE {point}(trim(s)) END;"""


# Partial dates in SQL: the twin of riskcheck.registry.dates.parse_date (tests keep them in step).
# pd_lo/pd_hi give NULL for text that is no date; an interval that ends before it starts (lo > hi) is
# caught by validation. They are kept small because DuckDB plans every use of a macro afresh.
DATE_MACROS = f"""
CREATE OR REPLACE MACRO pd_point_lo(s) AS CASE
  WHEN starts_with(s, '0000') THEN NULL
  WHEN regexp_full_match(s, '\\d{{4}}') THEN try_cast(s || '-01-01' AS DATE)
  WHEN regexp_full_match(s, '\\d{{4}}-\\d{{2}}') THEN try_cast(s || '-01' AS DATE)
  WHEN regexp_full_match(s, '\\d{{4}}-\\d{{2}}-\\d{{2}}') THEN try_cast(s AS DATE) END;
CREATE OR REPLACE MACRO pd_point_hi(s) AS CASE
  WHEN starts_with(s, '0000') THEN NULL
  WHEN regexp_full_match(s, '\\d{{4}}') THEN try_cast(s || '-12-31' AS DATE)
  WHEN regexp_full_match(s, '\\d{{4}}-\\d{{2}}') THEN last_day(try_cast(s || '-01' AS DATE))
  WHEN regexp_full_match(s, '\\d{{4}}-\\d{{2}}-\\d{{2}}') THEN try_cast(s AS DATE) END;
{_interval_end("pd_lo_raw", 1, MIN_DAY, "pd_point_lo")}
{_interval_end("pd_hi_raw", 2, MAX_DAY, "pd_point_hi")}
CREATE OR REPLACE MACRO pd_day(s) AS CASE WHEN NOT starts_with(s, '0000') AND regexp_full_match(s, '\\d{{4}}-\\d{{2}}-\\d{{2}}') THEN try_cast(s AS DATE) END;
-- Date arithmetic: an open end stays open, and no result leaves the range Python and reports can show.
CREATE OR REPLACE MACRO pd_shift(d, delta) AS CASE
  WHEN d <= DATE '{MIN_DAY}' THEN DATE '{MIN_DAY}' WHEN d >= DATE '{MAX_DAY}' THEN DATE '{MAX_DAY}'
  ELSE greatest(DATE '{MIN_DAY}', least(DATE '{MAX_DAY}', CAST(d + delta AS DATE))) END;
-- An empty value is read first: most of a national registry's dates are empty (a relation's start and end),
-- and DuckDB would otherwise run every test of the readings above on each of them.
CREATE OR REPLACE MACRO pd_lo(s) AS CASE WHEN s IS NOT NULL THEN coalesce(pd_day(s), pd_lo_raw(s)) END;
CREATE OR REPLACE MACRO pd_hi(s) AS CASE WHEN s IS NOT NULL THEN coalesce(pd_day(s), pd_hi_raw(s)) END;
"""

