"""The anthropic provider, against a real Messages-API HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from schemas.contract import ExtractRequest
from service.errors import InvalidModelOutput, ProviderBusy
from service.extractor import Extractor
from service.settings import Settings
from tests.anthropic_server import AnthropicServer
from tests.conftest import DRAFT_003, article
from tests.openai_server import Action, answer
from tests.servers import serve

A003 = article("003")


@pytest.fixture
def anthropic_server() -> Iterator[tuple[AnthropicServer, str]]:
    fake = AnthropicServer()
    with serve(fake.app()) as url:
        yield fake, url


def _extractor(settings: Settings, url: str, **changes: object) -> Extractor:
    return Extractor(settings.model_copy(update={
        "anthropic_base_url": url, "provider": "anthropic:claude-test", **changes}))


def test_a_tool_answer_becomes_contract_json_with_its_usage(
        settings: Settings, anthropic_server: tuple[AnthropicServer, str]) -> None:
    fake, url = anthropic_server
    fake.push(answer(DRAFT_003))
    response = _extractor(settings, url).extract(ExtractRequest(text=A003))
    assert response.meta.provider == "anthropic:claude-test"
    assert response.meta.usage.prompt_tokens == 100
    assert response.meta.usage.completion_tokens == 20
    assert response.meta.prompt_version.startswith("guided-")
    assert A003[response.quotes[0].start:response.quotes[0].end] == response.quotes[0].text
    sent = fake.requests[0]
    assert sent["max_tokens"] == settings.remote_max_tokens
    assert sent["tool_choice"]["name"] == sent["tools"][0]["name"]


def test_the_key_comes_from_anthropic_api_key_and_travels_in_the_sdks_header(
        settings: Settings, anthropic_server: tuple[AnthropicServer, str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    fake, url = anthropic_server
    fake.push(answer(DRAFT_003))
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-env")
    from_env = Settings(cache_dir=settings.cache_dir)
    _extractor(from_env, url).extract(ExtractRequest(text=A003))
    headers = fake.headers[0]
    # The SDK chooses the header (x-api-key, or a bearer token in recent releases).
    assert "sk-ant-from-env" in (headers.get("x-api-key"),
                                 headers.get("authorization", "").removeprefix("Bearer "))
    assert fake.headers[0]["anthropic-version"]


def test_overload_and_rate_limits_are_retried(
        settings: Settings, anthropic_server: tuple[AnthropicServer, str]) -> None:
    fake, url = anthropic_server
    fake.push(Action(status=529), Action(status=429, retry_after=0.05), answer(DRAFT_003))
    response = _extractor(settings, url).extract(ExtractRequest(text=A003))
    assert len(fake.requests) == 3 and response.events


def test_a_schema_violation_is_asked_again_then_accepted(
        settings: Settings, anthropic_server: tuple[AnthropicServer, str]) -> None:
    fake, url = anthropic_server
    fake.push(answer({"entities": [{"name": "لافروف", "type": "planet"}]}), answer(DRAFT_003))
    response = _extractor(settings, url).extract(ExtractRequest(text=A003))
    assert len(fake.requests) == 2
    assert "planet" in json.dumps(fake.requests[1]["messages"], ensure_ascii=False)
    assert response.entities


def test_a_provider_that_keeps_refusing_is_a_clear_error(
        settings: Settings, anthropic_server: tuple[AnthropicServer, str]) -> None:
    fake, url = anthropic_server
    fake.default = Action(status=429)
    with pytest.raises(ProviderBusy, match="rate-limiting"):
        _extractor(settings, url).extract(ExtractRequest(text=A003))
    fake.default = Action(content="I cannot help with that.")
    with pytest.raises(InvalidModelOutput):
        _extractor(settings, url).extract(ExtractRequest(text=A003 + " "))
