"""Bearer-token auth, and what the logs may and may not carry."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr

from service.api import create_app
from service.settings import Settings
from tests.conftest import DRAFT_003, article
from tests.openai_server import Action, OpenAIServer, answer
from tests.servers import serve

A003 = article("003")
TOKENS = ("alpha-7f3c9d2e1b", "beta-0a8e6c4f2d")
PROVIDER_KEY = "sk-khabar-test-key-5e1d9c"


@pytest.fixture
def guarded(settings: Settings, openai_server: tuple[OpenAIServer, str]
            ) -> Iterator[tuple[httpx.Client, OpenAIServer]]:
    fake, url = openai_server
    app = create_app(settings.model_copy(update={
        "openai_base_url": url, "provider": "openai:test-model",
        "openai_api_key": SecretStr(PROVIDER_KEY), "api_tokens": SecretStr(",".join(TOKENS))}))
    with serve(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client, fake


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


@pytest.mark.parametrize("headers", [{}, bearer("alpha-7f3c9d2e1"), {"authorization": "Bearer"},
                                     {"authorization": f"Basic {TOKENS[0]}"},
                                     {"authorization": TOKENS[0]}],
                         ids=["none", "a prefix of a token", "empty", "basic", "no scheme"])
def test_without_a_valid_token_the_api_answers_401(guarded, headers) -> None:
    client, fake = guarded
    for method, path in (("POST", "/extract"), ("GET", "/schema"), ("GET", "/docs")):
        response = client.request(method, path, json={"text": A003}, headers=headers)
        assert response.status_code == 401, (path, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
        error = response.json()["error"]
        assert error["code"] == "unauthorized"
        assert error["request_id"] == response.headers["x-request-id"]
    assert fake.requests == []  # refused before anything reached the provider


@pytest.mark.parametrize("token", TOKENS)
def test_any_configured_token_is_accepted(guarded, token: str) -> None:
    client, fake = guarded
    fake.push(answer(DRAFT_003))
    response = client.post("/extract", json={"text": A003}, headers=bearer(token))
    assert response.status_code == 200, response.text
    assert client.get("/schema", headers=bearer(token)).status_code == 200


def test_healthz_stays_open_for_probes(guarded) -> None:
    client, _ = guarded
    assert client.get("/healthz").status_code == 200


def test_without_tokens_configured_no_auth_is_asked(settings, openai_server) -> None:
    fake, url = openai_server
    fake.push(answer(DRAFT_003))
    app = create_app(settings.model_copy(update={"openai_base_url": url,
                                                 "provider": "openai:test-model"}))
    with serve(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        assert client.post("/extract", json={"text": A003}).status_code == 200


def _article_fragments(message: str, width: int = 24) -> list[str]:
    return [message[i:i + width] for i in range(max(0, len(message) - width + 1))
            if message[i:i + width] in A003]


def test_info_logs_carry_request_ids_but_no_secret_and_no_article_text(
        guarded, caplog: pytest.LogCaptureFixture) -> None:
    client, fake = guarded
    # A model that echoes the article where the schema wants something else is the likeliest
    # way for article text to reach an error message.
    echo = answer({"entities": [{"name": A003[:400], "type": A003[400:600]}]})
    fake.push(answer(DRAFT_003), echo, echo, echo, echo, Action(status=500))
    fake.default = Action(status=500)
    caplog.set_level(logging.INFO)

    responses = [
        client.post("/extract", json={"text": A003}, headers=bearer(TOKENS[0])),       # 200
        client.post("/extract", json={"text": A003 + " "}, headers=bearer(TOKENS[1])),  # 502
        client.post("/extract", json={"text": A003}, headers=bearer("wrong")),         # 401
        client.post("/extract", json={"text": A003, "published": "yesterday"},
                    headers=bearer(TOKENS[0])),                                        # 422
    ]
    assert [r.status_code for r in responses] == [200, 502, 401, 422]

    messages = [record.getMessage() for record in caplog.records
                if record.levelno >= logging.INFO]
    text = "\n".join(messages)
    for secret in (*TOKENS, PROVIDER_KEY, "wrong"):
        assert secret not in text
    assert [m for m in messages if _article_fragments(m)] == []
    for response in responses:
        request_id = response.headers["x-request-id"]
        assert any(request_id in m for m in messages), f"no log line for {request_id}"
    # The provider did receive the key: it was used, only never logged.
    assert fake.requests, "the provider was never called"


def test_a_caller_supplied_request_id_is_kept_and_a_hostile_one_replaced(guarded) -> None:
    client, _ = guarded
    kept = client.get("/healthz", headers={"x-request-id": "batch-42-item-7"})
    assert kept.headers["x-request-id"] == "batch-42-item-7"
    hostile = "<script>alert(1)</script>; a=b"
    replaced = client.get("/healthz", headers={"x-request-id": hostile})
    assert replaced.headers["x-request-id"] != hostile
    assert replaced.headers["x-request-id"].isalnum()
