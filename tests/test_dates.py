"""Dates as Arabic news writes them, resolved against the publication date."""

from __future__ import annotations

import datetime as dt

import pytest

from service.dates import resolve_date

THURSDAY = dt.date(2024, 7, 4)


@pytest.mark.parametrize(("text", "expected"), [
    ("4 يوليو/تموز 2024", ("2024-07-04", None)),
    ("٠٣ يونيو ٢٠٢٠", ("2020-06-03", None)),
    ("في 14 يوليو/تموز 2021", ("2021-07-14", None)),
    ("يومي 6 و7 ابريل/ نيسان 2021", ("2021-04-06", "2021-04-07")),
    ("تشرين الثاني/ نوفمبر 2014", ("2014-11", None)),
    ("كانون الثاني 2020", ("2020-01", None)),
    ("في العام 2001", ("2001", None)),
    ("للأعوام 2023 - 2024", ("2023", "2024")),
])
def test_explicit_dates(text: str, expected: tuple[str | None, str | None]) -> None:
    assert resolve_date(text, THURSDAY) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("يومي 17 و18 نوفمبر", ("2024-11-17", "2024-11-18")),   # year from publication
    ("أمس", ("2024-07-03", None)),
    ("يوم أمس الأربعاء", ("2024-07-03", None)),
    ("اليوم الخميس", ("2024-07-04", None)),
    ("يوم الثلاثاء", ("2024-07-02", None)),                  # the latest Tuesday
    ("أواخر يناير القادم", ("2025-01", None)),
])
def test_relative_dates_use_the_publication_date(text: str,
                                                 expected: tuple[str | None, str | None]) -> None:
    assert resolve_date(text, THURSDAY) == expected


def test_relative_dates_stay_unresolved_without_a_publication_date() -> None:
    assert resolve_date("يوم الثلاثاء", None) == (None, None)
    assert resolve_date("يومي 17 و18 نوفمبر", None) == (None, None)


def test_phrases_without_a_date_are_not_guessed() -> None:
    assert resolve_date("الخريف المقبل", THURSDAY) == (None, None)
    assert resolve_date("في الوقت المناسب", THURSDAY) == (None, None)


@pytest.mark.parametrize(("text", "expected"), [
    ("في الثالث من أغسطس", ("2024-08-03", None)),
    ("في الخامس عشر من شباط الماضي", ("2024-02-15", None)),
    ("الحادي والثلاثين من كانون الأول 2019", ("2019-12-31", None)),
    ("الشهر الجاري", ("2024-07", None)),
    ("الشهر الماضي", ("2024-06", None)),
    ("أواخر الشهر المقبل", ("2024-08", None)),
    ("مطلع العام المقبل", ("2025", None)),
    ("خلال السنة الماضية", ("2023", None)),
])
def test_ordinal_days_and_relative_months_and_years(
        text: str, expected: tuple[str | None, str | None]) -> None:
    assert resolve_date(text, THURSDAY) == expected


@pytest.mark.parametrize("text", ["الأسبوع المقبل", "خلال أسبوعين", "في الأول من الشهر نفسه",
                                  "حينها"])
def test_weeks_spans_and_anaphora_stay_unresolved(text: str) -> None:
    # A week or a span names no day, month or year; "the same month" needs the sentence before.
    assert resolve_date(text, THURSDAY) == (None, None)


def test_relative_months_and_years_need_a_publication_date() -> None:
    assert resolve_date("الشهر المقبل", None) == (None, None)
