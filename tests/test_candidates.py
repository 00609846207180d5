"""Span choices offered to a small model are exact stretches of the article."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas.draft import BoundedDraft, draft_with_spans
from service.candidates import candidate_spans
from tests.conftest import ARTICLES, article

A003 = article("003")


@pytest.mark.parametrize("path", sorted(ARTICLES.glob("*.txt")), ids=lambda p: p.stem[:3])
def test_every_candidate_is_an_exact_substring_without_ascii_quotes(path) -> None:
    text = path.read_text(encoding="utf-8")
    candidates = candidate_spans(text)
    assert candidates
    assert len(set(candidates)) == len(candidates)
    for c in candidates:
        assert c in text and '"' not in c and c == c.strip()


def test_candidates_include_quoted_words_clauses_and_reported_speech() -> None:
    candidates = candidate_spans(A003)
    assert "لكنني أود مناقشة كيفية تطور القضايا التي ناقشناها سابقا في إسلام أباد" in candidates
    assert "التقى وزير الخارجية الروسي سيرغي لافروف بنظيره وزير الخارجية الباكستاني شاه محمود " \
           "قريشي" in candidates
    assert any(c.startswith("الجانبين شدّدا على الحاجة") for c in candidates)


def test_a_draft_with_span_choices_accepts_only_those_texts() -> None:
    model = draft_with_spans(["التقى الوزيران في موسكو", "وقال الوزير إن المحادثات مثمرة"])
    quote = {"speaker": "الوزير", "cue": "قال", "kind": "direct"}
    assert model.model_validate({"quotes": [{**quote, "text": "التقى الوزيران في موسكو"}]})
    with pytest.raises(ValidationError):
        model.model_validate({"quotes": [{**quote, "text": "نص من خارج المقالة"}]})
    schema = model.model_json_schema()
    assert schema["$defs"]["DraftQuote"]["properties"]["text"]["enum"] == [
        "التقى الوزيران في موسكو", "وقال الوزير إن المحادثات مثمرة"]
    assert issubclass(model, BoundedDraft)
    assert draft_with_spans([]) is BoundedDraft
