"""Hostile and malformed requests: each gets a clear 4xx or valid contract JSON, never a 5xx."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import jsonschema
import pytest

from schemas.contract import ExtractionResponse
from service.api import create_app
from service.settings import Settings
from tests.conftest import DRAFT_003
from tests.hostile_inputs import CASES, Case, _article
from tests.openai_server import OpenAIServer, answer
from tests.servers import serve

RESPONSE_SCHEMA = ExtractionResponse.model_json_schema()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, object]]:
    fake = OpenAIServer(default=answer(DRAFT_003))
    with serve(fake.app()) as model_url:
        settings = Settings(cache_dir=tmp_path_factory.mktemp("cache"),
                            provider="openai:test-model", openai_base_url=f"{model_url}/v1",
                            request_timeout_s=10.0, max_chars=50_000)
        app = create_app(settings)
        with serve(app) as base, httpx.Client(base_url=base, timeout=60) as client:
            yield client, app


def _prompt_lines(app: object) -> list[str]:
    extractor = app.state.extractor  # type: ignore[attr-defined]
    prompts = extractor.prompts_for(extractor.providers.get())  # what the provider is asked
    return [line.strip() for line in prompts.system.splitlines() if len(line.strip()) > 40]


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_each_hostile_request_gets_a_clear_4xx_or_contract_json(api, case: Case) -> None:
    client, app = api
    response = client.post("/extract", content=case.body,
                           headers={"content-type": case.content_type})
    assert response.status_code == case.status, response.text[:500]
    assert response.headers["x-request-id"]
    body = response.json()
    if case.status == 200:
        jsonschema.validate(body, RESPONSE_SCHEMA)
        ExtractionResponse.model_validate(body)
        dumped = response.text
        assert not any(line in dumped for line in _prompt_lines(app))
    else:
        error = body["error"]
        assert error["request_id"] == response.headers["x-request-id"]
        assert case.says.lower() in error["message"].lower()
        assert "Traceback" not in error["message"]


@pytest.fixture(scope="module")
def rules_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    settings = Settings(cache_dir=tmp_path_factory.mktemp("rules-cache"), provider="rules",
                        request_timeout_s=10.0, max_chars=50_000)
    with serve(create_app(settings)) as base, httpx.Client(base_url=base, timeout=60) as client:
        yield client


@pytest.mark.parametrize("case", [c for c in CASES.values() if c.status == 200],
                         ids=[k for k, c in CASES.items() if c.status == 200])
def test_the_default_rules_provider_answers_hostile_articles_with_contract_json(
        rules_api: httpx.Client, case: Case) -> None:
    response = rules_api.post("/extract", content=case.body,
                              headers={"content-type": case.content_type})
    assert response.status_code == 200, response.text[:500]
    body = response.json()
    jsonschema.validate(body, RESPONSE_SCHEMA)
    parsed = ExtractionResponse.model_validate(body)
    assert parsed.meta.provider == "rules"


def test_a_model_that_obeys_an_injection_does_not_leak_the_prompt(
        settings: Settings, openai_server: tuple[OpenAIServer, str]) -> None:
    fake, url = openai_server
    app = create_app(settings.model_copy(update={"openai_base_url": url,
                                                 "provider": "openai:test-model"}))
    extractor = app.state.extractor  # type: ignore[attr-defined]
    system = extractor.prompts_for(extractor.providers.get()).system
    obeying = {**DRAFT_003, "events": [{**DRAFT_003["events"][0], "summary_en": system[:190]}],
               "positions": [{**DRAFT_003["positions"][0], "topic_en": system[-60:]}]}
    fake.push(answer(obeying))
    with serve(app) as base:
        response = httpx.post(f"{base}/extract", json={"text": _article("injection_en.txt")},
                              timeout=30)
    assert response.status_code == 200
    body = response.json()
    assert body["events"] == [] and body["positions"] == []
    assert any("repeated the service's instructions" in w for w in body["meta"]["warnings"])
    assert not any(line in response.text for line in _prompt_lines(app))
