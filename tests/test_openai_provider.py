"""The openai provider, against a real OpenAI-protocol HTTP server on 127.0.0.1."""

from __future__ import annotations

import json

import pytest

from schemas.contract import ExtractRequest
from service.errors import InvalidModelOutput, ProviderBusy, ProviderUnavailable
from service.extractor import Extractor
from service.settings import Settings
from tests.conftest import DRAFT_003, article
from tests.openai_server import Action, OpenAIServer, answer

A003 = article("003")


def _extractor(settings: Settings, url: str, **changes: object) -> Extractor:
    return Extractor(settings.model_copy(update={"openai_base_url": url,
                                                 "provider": "openai:test-model", **changes}))


def test_a_valid_answer_becomes_contract_json(settings: Settings,
                                              openai_server: tuple[OpenAIServer, str]) -> None:
    fake, url = openai_server
    fake.push(answer(DRAFT_003))
    response = _extractor(settings, url).extract(ExtractRequest(text=A003))
    assert response.meta.provider == "openai:test-model"
    assert response.meta.usage.prompt_tokens == 100
    assert response.quotes[0].grounding == "exact"
    assert A003[response.quotes[0].start:response.quotes[0].end] == response.quotes[0].text
    sent = fake.requests[0]
    assert sent["model"] == "test-model"
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["temperature"] == 0.0 and sent["seed"] == 0
    # System instructions, few-shot turns from prompts/, then the article.
    assert sent["messages"][0]["role"] == "system"
    assert [m["role"] for m in sent["messages"][1:3]] == ["user", "assistant"]
    assert A003 in sent["messages"][-1]["content"]


def test_json_mode_puts_the_schema_in_the_prompt(settings: Settings,
                                                 openai_server: tuple[OpenAIServer, str]) -> None:
    fake, url = openai_server
    fake.push(answer(DRAFT_003))
    _extractor(settings, url, openai_mode="json").extract(ExtractRequest(text=A003))
    assert fake.requests[0]["response_format"] == {"type": "json_object"}
    assert "json_schema" in fake.requests[0]["messages"][0]["content"]


def test_a_schema_violation_is_asked_again_then_accepted(
        settings: Settings, openai_server: tuple[OpenAIServer, str]) -> None:
    fake, url = openai_server
    fake.push(answer({"entities": [{"name": "لافروف", "type": "planet"}]}), answer(DRAFT_003))
    response = _extractor(settings, url).extract(ExtractRequest(text=A003))
    assert len(fake.requests) == 2
    assert "planet" in json.dumps(fake.requests[1]["messages"], ensure_ascii=False)
    assert response.entities


def test_output_that_never_validates_is_an_error_and_is_not_cached(
        settings: Settings, openai_server: tuple[OpenAIServer, str]) -> None:
    fake, url = openai_server
    fake.default = Action(content="this is not JSON")
    extractor = _extractor(settings, url)
    with pytest.raises(InvalidModelOutput, match="did not match the schema"):
        extractor.extract(ExtractRequest(text=A003))
    assert len(fake.requests) == settings.max_retries + 1
    fake.default = Action(status=500)
    fake.push(answer(DRAFT_003))
    later = extractor.extract(ExtractRequest(text=A003))
    assert later.meta.cached is False


def test_transient_failures_are_retried(settings: Settings,
                                        openai_server: tuple[OpenAIServer, str]) -> None:
    fake, url = openai_server
    fake.push(Action(status=503), Action(status=429, retry_after=0.05), answer(DRAFT_003))
    response = _extractor(settings, url).extract(ExtractRequest(text=A003))
    assert len(fake.requests) == 3
    assert response.quotes


def test_failures_past_the_retry_budget_are_reported(
        settings: Settings, openai_server: tuple[OpenAIServer, str]) -> None:
    fake, url = openai_server
    fake.default = Action(status=500)
    with pytest.raises(ProviderUnavailable, match="HTTP 500"):
        _extractor(settings, url).extract(ExtractRequest(text=A003))
    assert len(fake.requests) == settings.provider_retries


def test_rate_limiting_past_the_budget_asks_the_caller_to_come_back(
        settings: Settings, openai_server: tuple[OpenAIServer, str]) -> None:
    fake, url = openai_server
    fake.default = Action(status=429, retry_after=0.05)
    with pytest.raises(ProviderBusy) as caught:
        _extractor(settings, url).extract(ExtractRequest(text=A003))
    assert caught.value.retry_after is not None


def test_an_unreachable_endpoint_is_reported(settings: Settings) -> None:
    extractor = _extractor(settings, "http://127.0.0.1:9/v1")
    with pytest.raises(ProviderUnavailable, match="could not connect"):
        extractor.extract(ExtractRequest(text=A003))


def test_the_same_request_again_is_served_from_the_cache(
        settings: Settings, openai_server: tuple[OpenAIServer, str]) -> None:
    fake, url = openai_server
    fake.push(answer(DRAFT_003))
    extractor = _extractor(settings, url)
    first = extractor.extract(ExtractRequest(text=A003))
    second = extractor.extract(ExtractRequest(text=A003))
    assert (first.meta.cached, second.meta.cached) == (False, True)
    assert len(fake.requests) == 1
    assert second.quotes == first.quotes
    fake.push(answer(DRAFT_003))
    bypass = extractor.extract(ExtractRequest(text=A003, options={"use_cache": False}))
    assert bypass.meta.cached is False
    assert len(fake.requests) == 2
