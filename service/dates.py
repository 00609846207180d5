"""Resolve dates as Arabic news writes them against the publication date.

Handles explicit dates ("4 يوليو/تموز 2024", "٠٣ يونيو ٢٠٢٠", "يومي 17 و18 نوفمبر"), days
written as ordinals ("في العاشر من مايو"), months and years ("أواخر تموز/ يوليو", "في العام
2001"), and, when a publication date is known, relative days ("أمس", "اليوم", "غدا", "يوم
الثلاثاء"), months and years ("الشهر المقبل", "مطلع العام الجاري", "السنة الماضية"). Weeks and
spans ("الأسبوع المقبل", "خلال أسبوعين") name no day, month or year and stay unresolved. Anything it cannot read stays unresolved
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

# Relative months and years: the unit, then how far from the publication date.
_UNITS = {"الشهر": "month", "العام": "year", "السنه": "year"}
_SHIFTS = {"الجاري": 0, "الحالي": 0, "الجاريه": 0, "الحاليه": 0, "المقبل": 1, "القادم": 1,
           "المقبله": 1, "القادمه": 1, "الماضي": -1, "الماضيه": -1, "المنصرم": -1,
           "المنصرمه": -1}


def _ordinal_days() -> list[tuple[str, int]]:
    units = ["الاول", "الثاني", "الثالث", "الرابع", "الخامس", "السادس", "السابع", "الثامن",
             "التاسع"]
    out = [(w, n) for n, w in enumerate(units, 1)] + [("العاشر", 10), ("العشرين", 20),
                                                      ("الثلاثين", 30)]
    # 11-19 put the unit before "عشر" (11 has its own form); 21-29 and 31 join it with "و".
    teens = ["الحادي", *units[1:]]
    out += [(f"{w} عشر", n) for n, w in enumerate(teens, 11)]
    out += [(f"{w} والعشرين", n) for n, w in enumerate(teens, 21)]
    out.append(("الحادي والثلاثين", 31))
    return sorted(out, key=lambda pair: -len(pair[0]))  # longest first: "الثاني عشر" over "الثاني"


_ORDINALS = _ordinal_days()
_ORDINAL_RE = re.compile(r"(?<!\S)(?:[وفب]?)(" + "|".join(re.escape(w) for w, _ in _ORDINALS)
                         + r")(?!\S)")

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
        if not days:  # "في العاشر من مايو"
            days = [dict(_ORDINALS)[m.group(1)] for m in _ORDINAL_RE.finditer(norm[:first_at])]
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
    for unit, shift in zip(words, words[1:]):
        if unit in _UNITS and shift in _SHIFTS:
            if _UNITS[unit] == "year":
                return _iso(published.year + _SHIFTS[shift]), None
            index = published.year * 12 + published.month - 1 + _SHIFTS[shift]
            return _iso(index // 12, index % 12 + 1), None
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
