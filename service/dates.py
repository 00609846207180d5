"""Resolve dates as Arabic news writes them against the publication date.

Handles explicit dates ("4 يوليو/تموز 2024", "٠٣ يونيو ٢٠٢٠", "يومي 17 و18 نوفمبر"), months and
years ("أواخر تموز/ يوليو", "في العام 2001"), and relative days ("أمس", "اليوم", "غدا",
"يوم الثلاثاء") when a publication date is known. Anything it cannot read stays unresolved
(``None``) rather than guessed.
"""

from __future__ import annotations

import datetime as dt
import re

from service.normalize import normalize

# Both month-name systems in use (Egyptian/Gulf transliterations and Levantine/Iraqi names),
# in normalised spelling. Two-word names come first so "تشرين الثاني" is not read as a lone word.
_MONTHS: list[tuple[str, int]] = [
    ("كانون الثاني", 1), ("تشرين الاول", 10), ("تشرين الثاني", 11), ("كانون الاول", 12),
    ("يناير", 1), ("فبراير", 2), ("شباط", 2), ("مارس", 3), ("اذار", 3), ("ابريل", 4),
    ("نيسان", 4), ("مايو", 5), ("ايار", 5), ("يونيو", 6), ("يونيه", 6), ("حزيران", 6),
    ("يوليو", 7), ("يوليه", 7), ("تموز", 7), ("اغسطس", 8), ("اب", 8), ("سبتمبر", 9),
    ("ايلول", 9), ("اكتوبر", 10), ("نوفمبر", 11), ("ديسمبر", 12),
]
_WEEKDAYS = {"الاثنين": 0, "الثلاثاء": 1, "الاربعاء": 2, "الخميس": 3, "الجمعه": 4,
             "السبت": 5, "الاحد": 6}
_RELATIVE = {"امس": -1, "البارحه": -1, "اليوم": 0, "غدا": 1, "الغد": 1}

_MONTH_ALT = "|".join(re.escape(name) for name, _ in _MONTHS)
# "ب" and "و" are clitics glued to a month name in running text ("وتموز"), hence the prefix.
_MONTH_RE = re.compile(rf"(?<![^\s/(\-])[وب]?({_MONTH_ALT})(?![^\s/)\-،,.])")
_YEAR_RE = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")
_DAY_RE = re.compile(r"(?<!\d)([0-3]?\d)(?!\d)")


def _month_number(name: str) -> int:
    return dict(_MONTHS)[name]


def _iso(year: int | None, month: int | None = None, day: int | None = None) -> str | None:
    if year is None:
        return None
    if month is None:
        return f"{year:04d}"
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return f"{year:04d}-{month:02d}"


def _infer_year(month: int, text: str, published: dt.date | None) -> int | None:
    if published is None:
        return None
    if "القادم" in text or "المقبل" in text:
        return published.year + (1 if month < published.month else 0)
    if "الماضي" in text:
        return published.year - (1 if month > published.month else 0)
    return published.year


def resolve_date(text: str, published: dt.date | None) -> tuple[str | None, str | None]:
    """``(value, end)`` as ISO date/month/year strings for a date phrase, or ``(None, None)``."""
    norm = normalize(text)
    months = [(m.start(), _month_number(m.group(1))) for m in _MONTH_RE.finditer(norm)]
    years = [int(y) for y in _YEAR_RE.findall(norm)]
    year = years[0] if years else None

    if months:
        first_at, month = months[0]
        # Days are the numbers before the first month name that are not years.
        days = [int(d) for d in _DAY_RE.findall(_YEAR_RE.sub(" ", norm[:first_at]))
                if 1 <= int(d) <= 31]
        if year is None:
            year = _infer_year(month, norm, published)
        if len(days) >= 2:
            return _iso(year, month, days[0]), _iso(year, month, days[-1])
        if len(days) == 1:
            return _iso(year, month, days[0]), None
        return _iso(year, month), None

    if year is not None:
        return _iso(year), (_iso(years[1]) if len(years) > 1 and "-" in norm else None)

    if published is None:
        return None, None
    words = norm.replace("،", " ").split()
    for word in words:
        bare = word[1:] if word[:1] in "وب" and word[1:] in _RELATIVE else word
        if bare in _RELATIVE:
            return (published + dt.timedelta(days=_RELATIVE[bare])).isoformat(), None
    for word in words:
        bare = word[1:] if word[:1] in "وب" and word[1:] in _WEEKDAYS else word
        if bare in _WEEKDAYS:
            # News reports a weekday within the past week: the latest such day up to publication.
            back = (published.weekday() - _WEEKDAYS[bare]) % 7
            return (published - dt.timedelta(days=back)).isoformat(), None
    return None, None
