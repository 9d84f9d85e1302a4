"""The values of FollowTheMoney properties as the registry contract holds them: partial dates, identifiers.

An export's values are lists of text; these turn them into one date (or the interval spanning them) and
into identifiers with a scheme, keeping aside what is no date riskcheck can hold.
"""

from __future__ import annotations

import re
from datetime import date

from riskcheck.registry.dates import DateFormatError, parse_date, parse_exact_date


def first_value(props: dict, name: str) -> str | None:
    return next(iter(props.get(name, [])), None)


_DATE = re.compile(r"(\d{4}(?:-\d{2}(?:-\d{2})?)?)(?:T[0-9:.+\-Z]*)?")


def dates_of(values: list[str]) -> tuple[str | None, list[str]]:
    """One partial date for all the values (the most precise when they agree, else the interval spanning
    them), and the values that are no date riskcheck can hold: year 0000, a five-digit year, month 13."""
    dates: set[str] = set()
    odd: list[str] = []
    for value in values:
        m = _DATE.fullmatch(value.strip())
        try:
            if m is None:
                raise DateFormatError(value)
            parse_date(m.group(1))
            dates.add(m.group(1))
        except DateFormatError:
            odd.append(value)
    ordered = sorted(dates)
    if not ordered:
        return None, odd
    if all(ordered[-1].startswith(d) for d in ordered):
        return ordered[-1], odd
    return f"{ordered[0]}/{ordered[-1]}", odd


def lower_bound(text: str) -> str:
    return text.split("/")[0] if "/" in text else text


def upper_bound(text: str) -> str:
    return text.split("/")[-1] if "/" in text else text


def country_code(code: str | None) -> str:
    """An ISO alpha-2 code in lower case for an identifier's scheme, or xx (an identifier scheme is letters)."""
    return code.lower() if code and re.fullmatch(r"[A-Za-z]{2}", code) else "xx"


def scheme_word(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "id"


_NOT_IN_IDENTIFIER = re.compile(r"[\s;]+")


def identifier(scheme: str, value: str) -> str:
    return f"{scheme}:{_NOT_IN_IDENTIFIER.sub('', value)}"


def identifiers_of(props: dict) -> list[str]:
    country = country_code(first_value(props, "country") or first_value(props, "nationality"))
    out = []
    for prop, kind in (("idNumber", "id"), ("taxNumber", "tax"), ("passportNumber", "passport")):
        for value in props.get(prop, []):
            digits = re.sub(r"\s", "", value)
            scheme = "kz-iin" if country == "kz" and prop == "idNumber" and re.fullmatch(r"\d{12}", digits) \
                else f"{country}-{kind}"
            out.append(identifier(scheme, value))
    out += [identifier("ru-inn", v) for v in props.get("innCode", [])]
    return sorted(set(out))


def day_of(text: str) -> date | None:
    """A last_change timestamp as a day a case can be judged at, or None (99999-01-01, 0000-01-01)."""
    m = _DATE.fullmatch(text.strip())
    try:
        return parse_exact_date(m.group(1)) if m else None
    except DateFormatError:
        return None
