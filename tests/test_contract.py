"""The response contract: shape, published schema, and references between records."""

from __future__ import annotations

import datetime as dt

import jsonschema
import pytest
from pydantic import ValidationError

from schemas.contract import ExtractionResponse, ExtractRequest
from schemas.draft import Draft
from service.resolver import resolve
from tests.conftest import DRAFT_003, article

A003 = article("003")


def _response(**overrides: object) -> dict:
    resolved = resolve(Draft.model_validate(DRAFT_003), A003, published=dt.date(2021, 7, 14))
    body = {
        "schema_version": "1",
        "article": {"id": "a1", "title": None, "published": "2021-07-14", "source": "تاس",
                    "language": "ar"},
        "entities": [e.model_dump() for e in resolved.entities],
        "events": [e.model_dump() for e in resolved.events],
        "quotes": [q.model_dump() for q in resolved.quotes],
        "positions": [p.model_dump() for p in resolved.positions],
        "meta": {"provider": "local", "model": "m", "prompt_version": "p", "cached": False,
                 "latency_ms": 1, "usage": {"prompt_tokens": 1, "completion_tokens": 1},
                 "warnings": resolved.warnings},
    }
    body.update(overrides)
    return body


def test_a_resolved_response_validates_against_the_published_json_schema() -> None:
    body = ExtractionResponse.model_validate(_response()).model_dump(mode="json")
    jsonschema.validate(body, ExtractionResponse.model_json_schema())
    assert body["quotes"][0]["grounding"] == "exact"
    assert body["events"][0]["date"] == {"text": "14 يوليو/تموز 2021", "value": "2021-07-14",
                                         "end": None}


def test_every_grounded_span_is_the_articles_own_text() -> None:
    body = ExtractionResponse.model_validate(_response())
    spans = [(q.text, q.start, q.end, q.grounding) for q in body.quotes]
    spans += [(r.evidence.text, r.evidence.start, r.evidence.end, r.evidence.grounding)
              for r in [*body.events, *body.positions]]
    assert spans
    for text, start, end, grounding in spans:
        assert grounding != "none"
        assert A003[start:end] == text


def test_actors_named_by_alias_link_to_one_entity() -> None:
    body = ExtractionResponse.model_validate(_response())
    lavrov = next(e for e in body.entities if e.name_en == "Sergey Lavrov")
    assert body.quotes[0].speaker == lavrov.id
    assert body.events[0].participants[0].entity == lavrov.id
    russia = next(e for e in body.entities if e.name_en == "Russia")
    assert body.positions[0].holder == russia.id


def test_a_reference_to_a_missing_entity_is_rejected() -> None:
    body = _response()
    body["quotes"][0]["speaker"] = "E99"
    with pytest.raises(ValidationError, match="unknown entity E99"):
        ExtractionResponse.model_validate(body)


def test_duplicate_ids_are_rejected() -> None:
    body = _response()
    body["entities"].append(dict(body["entities"][0]))
    with pytest.raises(ValidationError, match="unique"):
        ExtractionResponse.model_validate(body)


def test_event_types_are_plover_root_categories() -> None:
    body = _response()
    body["events"][0]["type"] = "MEETING"
    with pytest.raises(ValidationError):
        ExtractionResponse.model_validate(body)


def test_blank_article_text_is_refused_with_a_readable_message() -> None:
    with pytest.raises(ValidationError, match="text is empty"):
        ExtractRequest(text=" \n\t ")


def test_hallucinated_records_are_flagged_or_dropped() -> None:
    draft = Draft.model_validate({
        "entities": [{"name": "فريدون أحمدوف", "type": "person"}],
        "quotes": [{"speaker": "لافروف", "cue": "قال", "kind": "direct",
                    "text": "هذا كلام لم يرد في المقالة إطلاقا"}],
    })
    kept = resolve(draft, A003)
    assert kept.quotes[0].grounding == "none"
    assert [e.name for e in kept.entities] == ["لافروف"]  # the unnamed invention is dropped
    assert any("not found" in w for w in kept.warnings)
    strict = resolve(draft, A003, strict_grounding=True)
    assert strict.quotes == [] and strict.entities == []
