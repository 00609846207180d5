"""The HTTP API as a caller sees it, over a real socket."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import jsonschema
import pytest

from service.api import create_app
from service.settings import Settings
from tests.conftest import DRAFT_003, article
from tests.openai_server import Action, OpenAIServer, answer
from tests.servers import serve

A003 = article("003")


@pytest.fixture
def api(settings: Settings, openai_server: tuple[OpenAIServer, str]
        ) -> Iterator[tuple[httpx.Client, OpenAIServer]]:
    fake, url = openai_server
    app = create_app(settings.model_copy(update={
        "openai_base_url": url, "provider": "openai:test-model", "max_chars": 20_000}))
    with serve(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client, fake


def test_extract_returns_contract_json_valid_against_the_published_schema(api) -> None:
    client, fake = api
    fake.push(answer(DRAFT_003))
    response = client.post("/extract", json={"text": A003, "published": "2021-07-14",
                                             "source": "تاس"})
    assert response.status_code == 200, response.text
    body = response.json()
    jsonschema.validate(body, client.get("/schema").json())
    assert body["article"]["source"] == "تاس"
    assert body["meta"]["cached"] is False
    assert response.headers["x-request-id"]
    again = client.post("/extract", json={"text": A003, "published": "2021-07-14"}).json()
    assert again["meta"]["cached"] is True


@pytest.mark.parametrize("text", ["", "   \n\t  "])
def test_empty_text_is_422_with_a_readable_message(api, text: str) -> None:
    client, _ = api
    response = client.post("/extract", json={"text": text})
    assert response.status_code == 422
    assert "text is empty" in response.json()["error"]["message"]


def test_text_over_the_limit_is_413(api) -> None:
    client, fake = api
    response = client.post("/extract", json={"text": "خبر " * 6000})
    assert response.status_code == 413
    assert "limit is 20,000" in response.json()["error"]["message"]
    assert fake.requests == []


def test_a_body_far_over_the_limit_is_refused_before_parsing(api) -> None:
    client, _ = api
    response = client.post("/extract", content=b'{"text": "' + b"a" * 1_000_000 + b'"}',
                           headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_unknown_provider_is_422(api) -> None:
    client, _ = api
    response = client.post("/extract", json={"text": A003, "provider": "gpt5-magic"})
    assert response.status_code == 422
    assert "unknown provider" in response.json()["error"]["message"]


def test_malformed_published_date_is_422(api) -> None:
    client, _ = api
    response = client.post("/extract", json={"text": A003, "published": "04/07/2024"})
    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith("published")


def test_provider_failure_is_a_clean_502_with_the_request_id(api) -> None:
    client, fake = api
    fake.default = Action(status=500)
    response = client.post("/extract", json={"text": A003},
                           headers={"x-request-id": "trace-123"})
    assert response.status_code == 502
    error = response.json()["error"]
    assert error["request_id"] == "trace-123" == response.headers["x-request-id"]
    assert "Traceback" not in response.text


def test_health_schema_and_docs_are_served(api) -> None:
    client, _ = api
    health = client.get("/healthz").json()
    assert health["provider"] == "openai:test-model" and health["cache"] == "ok"
    schema = client.get("/schema").json()
    assert set(schema["properties"]) >= {"schema_version", "article", "entities", "events",
                                         "quotes", "positions", "meta"}
    assert client.get("/docs").status_code == 200
    assert "/extract" in client.get("/openapi.json").json()["paths"]
