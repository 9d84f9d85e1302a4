"""Partial dates are intervals, in Python and in SQL alike."""

from datetime import date

import pytest

from riskcheck.registry.dates import MAX_DAY, MIN_DAY, DateFormatError, add_months, parse_date, parse_exact_date
from riskcheck.registry.store import connect

CASES = {
    "2021": (date(2021, 1, 1), date(2021, 12, 31)),
    "2020-02": (date(2020, 2, 1), date(2020, 2, 29)),
    "2021-10-15": (date(2021, 10, 15), date(2021, 10, 15)),
    "2021-10-15/2025-10-15": (date(2021, 10, 15), date(2025, 10, 15)),
    "2021/2022-06": (date(2021, 1, 1), date(2022, 6, 30)),
    "../2021": (MIN_DAY, date(2021, 12, 31)),
    "2024-05-24/..": (date(2024, 5, 24), MAX_DAY),
    "..": (MIN_DAY, MAX_DAY),
}
INVALID = ["2021-13", "2021-02-30", "21", "2021-1-5", "October 15", "2022/2021", "2021/2022/2023", ""]


@pytest.mark.parametrize("text,bounds", CASES.items())
def test_partial_date_is_the_interval_it_allows(text, bounds):
    pd = parse_date(text)
    assert (pd.lo, pd.hi) == bounds
    assert str(pd) == text


@pytest.mark.parametrize("text", INVALID)
def test_malformed_dates_are_refused(text):
    with pytest.raises(DateFormatError):
        parse_date(text)


def test_sql_macros_agree_with_python():
    """The store's SQL reads dates as Python does; what Python refuses, SQL leaves empty or inverted."""
    conn = connect()
    for text in [*CASES, *INVALID]:
        lo, hi = conn.execute("SELECT pd_lo(?), pd_hi(?)", [text, text]).fetchall()[0]
        try:
            pd = parse_date(text)
        except DateFormatError:
            assert lo is None or hi is None or lo > hi, text
        else:
            assert (lo, hi) == (pd.lo, pd.hi), text


def test_as_of_must_be_a_single_day():
    assert parse_exact_date("2025-11-01") == date(2025, 11, 1)
    with pytest.raises(DateFormatError, match="single day"):
        parse_exact_date("2025-11")


def test_a_period_of_months_ends_on_the_same_day_or_the_months_last():
    assert add_months(date(2021, 3, 31), 1) == date(2021, 4, 30)      # April has no 31st
    assert add_months(date(2020, 2, 29), 12) == date(2021, 2, 28)     # nor February 2021 a 29th
    assert add_months(date(2021, 1, 15), -2) == date(2020, 11, 15)    # back across a year
    assert add_months(date(2021, 5, 31), -3) == date(2021, 2, 28)
    assert add_months(date(2021, 12, 10), 3) == date(2022, 3, 10)


@pytest.mark.parametrize("text, words", [
    ("2021-10-15", "15 October 2021"),
    ("2021-10", "some day in October 2021"),
    ("2021", "some day in 2021"),
    ("2021-10-15/2025-10-15", "some day between 15 October 2021 and 15 October 2025"),
    ("../2021", "some day in or before 2021"),
    ("2020-03-01/..", "some day on or after 1 March 2020"),
    ("2024-05/..", "some day in or after May 2024"),
    ("..", "a date not recorded"),
    (None, "date not recorded"),
    ("not a date", "not a date"),  # shown as the data wrote it
])
def test_a_recorded_date_reads_in_words(text, words):
    from riskcheck.registry.date_words import date_words
    assert date_words(text) == words


def test_a_computed_interval_reads_in_words_and_the_locale_is_a_parameter():
    from riskcheck.registry.date_words import interval_words
    assert interval_words(date(2021, 3, 11), date(2021, 4, 10)) == "between 11 March 2021 and 10 April 2021"
    assert interval_words(date(2024, 5, 11), MAX_DAY) == "on or after 11 May 2024"
    assert interval_words(MIN_DAY, MAX_DAY) == "on a date the data does not give"
    assert interval_words(date(2021, 3, 11), date(2021, 3, 11), locale="ru").startswith("11 марта 2021")
