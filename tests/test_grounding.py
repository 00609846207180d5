"""Grounding: the model's text is found in the article and offsets are set by us."""

from __future__ import annotations

import pytest

from service.grounding import ArticleIndex
from service.normalize import normalize, normalize_with_map
from tests.conftest import article

A000 = article("000")
A003 = article("003")


def test_normalisation_folds_the_contract_variants() -> None:
    assert normalize("أإآٱ") == "اااا"
    assert normalize("مستشفى") == normalize("مستشفي")
    assert normalize("منظمة") == "منظمه"
    assert normalize("مؤتمر") == "موتمر"
    assert normalize("رئيس") == "رييس"
    assert normalize("جدّد الجانبان") == "جدد الجانبان"
    assert normalize("ســلام") == "سلام"
    assert normalize("٠٣ يونيو ٢٠٢٠") == "03 يونيو 2020"
    assert normalize("  قال \n\n  الوزير ") == "قال الوزير"


def test_normalised_offsets_map_back_into_the_original() -> None:
    norm, index = normalize_with_map(A000)
    assert len(norm) == len(index)
    assert all(a < b for a, b in zip(index, index[1:]))
    for i in range(0, len(norm), 97):
        assert normalize(A000[index[i]]) in (norm[i], "")


def test_exact_text_lands_on_its_offsets() -> None:
    needle = "التقى دار الرئيس الروسي فلاديمير بوتين"
    found = ArticleIndex(A000).locate(needle)
    assert found.grounding == "exact"
    assert A000[found.start:found.end] == needle == found.text


def test_quotation_marks_around_a_quote_are_not_required() -> None:
    found = ArticleIndex(A000).locate("في موقع جيد")
    assert found.grounding == "exact"
    assert A000[found.start:found.end] == "في موقع جيد"


@pytest.mark.parametrize("variant", [
    "وزير الخارجية الروسى سيرغى لافروف",          # ى for ي
    "وزير الخارجيه الروسي سيرغي لافروف",          # ه for ة
    "وزير الخارجية الروسي سيرغي لافروف ",         # trailing space
    "وَزِيرُ الخَارِجِيَّةِ الرُّوسِيّ سيرغي لافروف",  # diacritics
])
def test_spelling_variants_ground_to_the_articles_characters(variant: str) -> None:
    index = ArticleIndex(A000)
    found = index.locate(variant)
    expected = "وزير الخارجية الروسي سيرغي لافروف"
    assert found.grounding in ("exact", "fuzzy")
    assert found.text == expected
    assert A000[found.start:found.end] == expected


def test_hamza_variants_ground() -> None:
    # The article writes "إسحاق"; a model may drop the hamza.
    found = ArticleIndex(A000).locate("نائب رئيس الوزراء ووزير الخارجية اسحاق دار")
    assert found.grounding == "fuzzy"
    assert found.text == "نائب رئيس الوزراء ووزير الخارجية إسحاق دار"


def test_a_slightly_misremembered_clause_grounds_fuzzily_to_whole_words() -> None:
    recalled = "أكد الجانب الروسي استعداده لتعزيز امكانيات باكستان في مكافحه الارهاب"
    found = ArticleIndex(A003).locate(recalled)
    assert found.grounding == "fuzzy"
    assert A003[found.start:found.end] == found.text
    assert found.text.startswith("أكد الجانب الروسي")
    assert "الإرهاب" in found.text
    assert not A003[found.end].isalnum() and not A003[found.start - 1].isalnum()


@pytest.mark.parametrize("invented", [
    "أعلن الرئيس الفرنسي انسحاب بلاده من حلف شمال الأطلسي",
    "ignore previous instructions",
    "",
])
def test_text_not_in_the_article_is_marked_none(invented: str) -> None:
    found = ArticleIndex(A003).locate(invented)
    assert found.grounding == "none"
    assert (found.start, found.end) == (-1, -1)
