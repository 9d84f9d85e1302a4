"""Partial dates as intervals.

The contract writes dates at the precision the source gives: `2021` is some day in 2021, never
silently 1 January. A date is therefore an interval [lo, hi] of days. riskcheck also accepts the
ISO 8601 / EDTF interval form `A/B` (some day between the start of A and the end of B) with `..`
for an open end, for facts like "appointed on 15 October of a year the source does not give".
The same grammar is implemented in SQL by `riskcheck.engine.store` (the macros `pd_lo`/`pd_hi`);
tests check the two agree.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

from riskcheck.errors import RiskcheckError

# The open ends of intervals. Kept inside DuckDB's and Python's date range so arithmetic never overflows.
MIN_DAY = date(1, 1, 1)
MAX_DAY = date(9999, 12, 31)

_POINT = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


class DateFormatError(RiskcheckError, ValueError):
    """The text is not a date in one of the accepted forms."""


@dataclass(frozen=True)
class PartialDate:
    """A date known to lie in [lo, hi]; `text` is how the source wrote it."""

    text: str
    lo: date
    hi: date

    @property
    def exact(self) -> bool:
        return self.lo == self.hi

    @property
    def open_start(self) -> bool:
        return self.lo == MIN_DAY

    @property
    def open_end(self) -> bool:
        return self.hi == MAX_DAY

    def __str__(self) -> str:
        return self.text


def _point(text: str) -> tuple[date, date]:
    m = _POINT.fullmatch(text)
    if not m:
        raise DateFormatError(f"{text!r} is not a date (write 2021, 2021-10 or 2021-10-15)")
    year, month, day = int(m[1]), m[2], m[3]
    try:
        if month is None:
            return date(year, 1, 1), date(year, 12, 31)
        if day is None:
            last = calendar.monthrange(year, int(month))[1]
            return date(year, int(month), 1), date(year, int(month), last)
        d = date(year, int(month), int(day))
        return d, d
    except ValueError as exc:
        raise DateFormatError(f"{text!r} is not a real date ({exc})") from exc


def parse_date(text: str) -> PartialDate:
    """Parse `2021`, `2021-10`, `2021-10-15`, or an interval `A/B` (`..` or empty for an open end)."""
    text = text.strip()
    if "/" in text:
        left, _, right = text.partition("/")
        if "/" in right:
            raise DateFormatError(f"{text!r} has more than one '/'")
        lo = MIN_DAY if left.strip() in ("", "..") else _point(left.strip())[0]
        hi = MAX_DAY if right.strip() in ("", "..") else _point(right.strip())[1]
    elif text == "..":
        lo, hi = MIN_DAY, MAX_DAY
    else:
        lo, hi = _point(text)
    if lo > hi:
        raise DateFormatError(f"{text!r} ends before it starts")
    return PartialDate(text, lo, hi)


# An as-of date is judged against open ends (0001-01-01, 9999-12-31): it must lie well inside them.
FIRST_AS_OF, LAST_AS_OF = date(1000, 1, 1), date(9998, 12, 31)


def parse_exact_date(text: str) -> date:
    """Parse a full day, as an as-of date must be."""
    pd = parse_date(text)
    if not pd.exact:
        raise DateFormatError(f"{text!r} is not a single day (write YYYY-MM-DD)")
    if not FIRST_AS_OF <= pd.lo <= LAST_AS_OF:
        raise DateFormatError(f"{text!r} is outside the dates riskcheck judges ({FIRST_AS_OF} to {LAST_AS_OF})")
    return pd.lo


def add_months(d: date, months: int) -> date:
    """The same day `months` later (earlier, if negative), or the month's last day where it has no such day
    (31 March + 1 month is 30 April), as the law counts a period of months."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def parse_time(text: str) -> datetime | None:
    """An event's time, or None when it is not a full ISO 8601 time with its zone."""
    try:
        when = datetime.fromisoformat(text)
    except (ValueError, TypeError):
        return None
    return when if when.tzinfo is not None else None


def time_words(text: str) -> str:
    """An event's time as the pages show it: '2026-01-05 09:00 UTC' (41 decisions on one day stay apart)."""
    when = parse_time(text)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if when else text
