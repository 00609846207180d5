"""A model composed with the rules (``rules+openai:MODEL``), against a real OpenAI-protocol
server on 127.0.0.1: the rules' findings reach the model's prompt, and the two drafts merge."""

from __future__ import annotations

from schemas.contract import ExtractRequest
from service.extractor import Extractor
from service.settings import Settings
from tests.openai_server import OpenAIServer, answer

ARTICLE = ("قال وزير الخارجية المغربي يوسف أمين الطاهري إن الرباط تدعم الحل السياسي في "
           "المنطقة.\nووقع الطاهري مع نظيره السنغالي عمر با اتفاقية للتعاون في مجال الطاقة.")

# What a model could add: a record the rules did not produce, and one they did.
MODEL_DRAFT = {
    "entities": [{"name": "يوسف أمين الطاهري", "type": "person", "country": "MA"},
                 {"name": "عمر با", "type": "person", "country": "SN"}],
    "events": [{"evidence": "ووقع الطاهري مع نظيره السنغالي عمر با اتفاقية للتعاون في مجال "
                            "الطاقة",
                "type": "AGREE", "mode": "sign_agreement", "summary_en": "A signing.",
                "participants": [{"name": "يوسف أمين الطاهري", "role": "actor"}],
                "status": "occurred"}],
    "quotes": [],
    "positions": [{"holder": "يوسف أمين الطاهري", "stance": "support",
                   "topic_en": "a political solution",
                   "evidence": "الرباط تدعم الحل السياسي في المنطقة"},
                  {"holder": "عمر با", "stance": "support", "topic_en": "energy cooperation",
                   "evidence": "اتفاقية للتعاون في مجال الطاقة"}],
}


def _composed(settings: Settings, url: str) -> Extractor:
    return Extractor(settings.model_copy(update={"openai_base_url": url,
                                                 "provider": "rules+openai:test-model"}))


def test_the_rules_findings_are_in_the_models_prompt_and_the_drafts_merge(
        settings: Settings, openai_server: tuple[OpenAIServer, str]) -> None:
    fake, url = openai_server
    fake.push(answer(MODEL_DRAFT))
    result = _composed(settings, url).extract(ExtractRequest(text=ARTICLE))
    prompt = fake.requests[0]["messages"][-1]["content"]
    assert "Candidates found in the article" in prompt
    assert "actor: يوسف أمين الطاهري (person, MA)" in prompt
    assert ARTICLE in prompt
    assert result.meta.provider == "rules+openai:test-model"
    # The rules' quote stays; the model's extra position is added; the signing both found is
    # kept once.
    assert [q.text for q in result.quotes] == ["الرباط تدعم الحل السياسي في المنطقة"]
    assert len([v for v in result.events if v.mode == "sign_agreement"]) == 1
    assert any(p.evidence.text == "اتفاقية للتعاون في مجال الطاقة" for p in result.positions)
    names = [e.name for e in result.entities]
    assert names.count("يوسف أمين الطاهري") == 1 and "عمر با" in names


def test_a_failing_model_fails_the_composed_request_with_its_error(
        settings: Settings, openai_server: tuple[OpenAIServer, str]) -> None:
    import pytest

    from service.errors import ProviderUnavailable

    fake, url = openai_server  # the server's default answer is HTTP 500
    with pytest.raises(ProviderUnavailable):
        _composed(settings, url).extract(ExtractRequest(text=ARTICLE,
                                                        options={"use_cache": False}))
