"""Provider faults, injected by a real OpenAI-protocol server on 127.0.0.1, as a caller sees them.

Whatever the provider does, the caller gets contract JSON or a JSON error with a request id;
nothing failed or invalid reaches the cache, and the next healthy call succeeds.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import diskcache
import httpx
import pytest

from service.api import create_app
from service.settings import Settings
from tests.conftest import DRAFT_003, article
from tests.openai_server import Action, OpenAIServer, answer
from tests.servers import serve

A003 = article("003")
FAULTS = {
    "hang past the deadline": Action(delay_s=3.0),
    "HTTP 500": Action(status=500),
    "HTTP 503": Action(status=503),
    "429 with Retry-After": Action(status=429, retry_after=0.05),
    "dropped connection": Action(drop=True),
    "a body that is not JSON": Action(raw_body="<html>Bad gateway</html>"),
    "JSON that violates the schema": answer({"entities": [{"name": 7, "type": "planet"}]}),
    "prose instead of JSON": Action(content="Here are the entities you asked for: ..."),
}


@pytest.fixture
def service(settings: Settings, openai_server: tuple[OpenAIServer, str]
            ) -> Iterator[tuple[httpx.Client, OpenAIServer, Path]]:
    fake, url = openai_server
    app = create_app(settings.model_copy(update={
        "openai_base_url": url, "provider": "openai:test-model", "request_timeout_s": 1.0}))
    with serve(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client, fake, settings.cache_dir


def _cached_entries(cache_dir: Path) -> int:
    with diskcache.Cache(str(cache_dir)) as cache:
        return len(cache)


def _assert_clean_error(response: httpx.Response, statuses: set[int]) -> None:
    assert response.status_code in statuses, response.text
    error = response.json()["error"]
    assert error["request_id"] == response.headers["x-request-id"]
    assert error["message"] and "Traceback" not in error["message"]


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
def test_a_persistent_fault_is_a_clean_error_nothing_is_cached_and_recovery_follows(
        service, fault: Action) -> None:
    client, fake, cache_dir = service
    fake.default = fault
    failed = client.post("/extract", json={"text": A003})
    _assert_clean_error(failed, {502, 503, 504})
    assert _cached_entries(cache_dir) == 0

    fake.default = Action(status=500)
    fake.push(answer(DRAFT_003))
    healthy = client.post("/extract", json={"text": A003})
    assert healthy.status_code == 200, healthy.text
    assert healthy.json()["meta"]["cached"] is False
    assert _cached_entries(cache_dir) == 1


@pytest.mark.parametrize("fault", [FAULTS["HTTP 500"], FAULTS["HTTP 503"],
                                   FAULTS["dropped connection"],
                                   FAULTS["429 with Retry-After"]],
                         ids=["500", "503", "drop", "429"])
def test_a_transient_fault_is_retried_and_the_caller_never_sees_it(service, fault: Action
                                                                   ) -> None:
    client, fake, _ = service
    fake.push(fault, answer(DRAFT_003))
    response = client.post("/extract", json={"text": A003})
    assert response.status_code == 200, response.text
    assert len(fake.requests) == 2


def test_retry_after_is_honoured_before_the_next_attempt(service) -> None:
    client, fake, _ = service
    fake.push(Action(status=429, retry_after=0.6), answer(DRAFT_003))
    started = time.monotonic()
    assert client.post("/extract", json={"text": A003}).status_code == 200
    assert time.monotonic() - started >= 0.6


def test_rate_limiting_that_outlasts_the_budget_is_503_with_retry_after(service) -> None:
    client, fake, _ = service
    fake.default = Action(status=429, retry_after=0.05)
    response = client.post("/extract", json={"text": A003})
    _assert_clean_error(response, {503})
    assert int(response.headers["retry-after"]) >= 1


def test_the_deadline_bounds_the_whole_request_not_each_attempt(service) -> None:
    client, fake, _ = service
    fake.default = Action(delay_s=0.7, status=500)  # each attempt alone fits in 1 s
    started = time.monotonic()
    response = client.post("/extract", json={"text": A003})
    elapsed = time.monotonic() - started
    _assert_clean_error(response, {502, 504})
    assert elapsed < 2.5  # three attempts of 0.7 s plus back-off would take longer
    assert len(fake.requests) <= 2


def test_a_hung_provider_is_504_after_the_deadline(service) -> None:
    client, fake, _ = service
    fake.default = Action(delay_s=5.0)
    started = time.monotonic()
    response = client.post("/extract", json={"text": A003})
    _assert_clean_error(response, {504})
    assert time.monotonic() - started < 3.0
    assert "deadline" in response.json()["error"]["message"] or \
        "in time" in response.json()["error"]["message"]


def test_schema_violations_are_asked_again_then_reported_never_returned(service) -> None:
    client, fake, cache_dir = service
    fake.default = FAULTS["JSON that violates the schema"]
    response = client.post("/extract", json={"text": A003})
    _assert_clean_error(response, {502})
    assert response.json()["error"]["code"] == "invalid_model_output"
    assert len(fake.requests) == 2  # the first answer and one re-ask (max_retries=1)
    assert _cached_entries(cache_dir) == 0


def test_quotes_not_in_the_article_are_flagged_and_strict_grounding_drops_them(service
                                                                              ) -> None:
    client, fake, _ = service
    invented = {**DRAFT_003, "quotes": [
        {"speaker": "لافروف", "cue": "قال", "kind": "direct",
         "text": "سنرسل قوات حفظ سلام إلى المريخ في العام المقبل"}]}
    fake.push(answer(invented))
    loose = client.post("/extract", json={"text": A003}).json()
    assert loose["quotes"][0]["grounding"] == "none"
    assert loose["quotes"][0]["start"] == -1
    assert any("not found" in w or "ungrounded" in w for w in loose["meta"]["warnings"])
    strict = client.post("/extract", json={"text": A003,
                                           "options": {"strict_grounding": True}}).json()
    assert strict["quotes"] == []  # served from the cache, grounded again, and dropped
