"""A capable model's answer reaches the user whole, over real HTTP.

Loopback servers speaking the OpenAI protocol (``json_schema`` and ``json`` modes) and
Anthropic's Messages API answer every request with the draft a perfect model would write for
the article in the prompt (its gold, as ``evals.oracle`` turns it into a draft). ``POST /extract``
through ``khabar serve``'s app must then give back what the scorer rates 1.00 on every suite.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from evals.oracle import OracleProvider
from evals.scoring import score_article, suite_summary
from evals.suite import Suite, load_suite
from service.api import create_app
from service.settings import Settings
from tests.anthropic_server import AnthropicServer
from tests.openai_server import Action, OpenAIServer
from tests.servers import serve

SUITES = sorted(p for p in (Path(__file__).resolve().parent.parent / "evals" / "suites")
                .iterdir() if (p / "suite.toml").is_file())
_HIDDEN = {"at", "spans"}  # offsets only the rules fill; a model never sees these fields


def _as_model_writes(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _as_model_writes(v) for k, v in value.items() if k not in _HIDDEN}
    if isinstance(value, list):
        return [_as_model_writes(v) for v in value]
    return value


def _article_in(body: dict[str, Any]) -> str:
    """The article (or chunk) of a request: the last user turn, after "Article:"."""
    last = [m for m in body["messages"] if m["role"] == "user"][-1]["content"]
    if isinstance(last, list):  # Anthropic content blocks
        last = "".join(block.get("text", "") for block in last)
    return last.split("Article:\n", 1)[1]


def perfect_model(suite: Suite) -> Callable[[dict[str, Any]], Action]:
    oracle = OracleProvider({a.text: a.gold for a in suite.articles if a.gold})

    def respond(body: dict[str, Any]) -> Action:
        draft = oracle.draft_for(_article_in(body)).value
        return Action(content=json.dumps(_as_model_writes(draft.model_dump(mode="json")),
                                         ensure_ascii=False))
    return respond


def _extract_suite(client: httpx.Client, suite: Suite, provider: str) -> dict[str, Any]:
    scores = []
    for item in suite.articles:
        response = client.post("/extract", json={
            "text": item.text, "id": item.id,
            "published": item.published.isoformat() if item.published else None,
            "provider": provider, "options": {"use_cache": False}})
        assert response.status_code == 200, (item.id, response.text)
        scores.append(score_article(item.gold, response.json()))
    return suite_summary(scores)


def _assert_whole(overall: dict[str, Any]) -> None:
    assert {k: c["f1"] for k, c in overall["kinds"].items()} == {
        "entities": 1.0, "events": 1.0, "quotes": 1.0, "positions": 1.0}
    assert overall["grounding_rate"] == 1.0 and overall["schema_validity"] == 1.0
    # As in the oracle check (tests/test_oracle.py): the event date's value is resolved from
    # the phrase, and a few gold dates were reasoned beyond what the phrase says.
    assert {k: v for k, v in overall["fields"].items() if v < 1.0 and k != "event.date"} == {}


@pytest.fixture(params=SUITES, ids=lambda p: p.name)
def suite(request: pytest.FixtureRequest) -> Suite:
    return load_suite(request.param)


def _app(settings: Settings, **changes: Any) -> Any:
    # Long articles go in chunks, as they would to a model with a small context window.
    return create_app(settings.model_copy(update={"chunk_chars": 3_000,
                                                  "chunk_overlap_chars": 300, **changes}))


@pytest.mark.parametrize("mode", ["json_schema", "json"])
def test_a_perfect_openai_answer_is_scored_whole(settings: Settings, suite: Suite,
                                                 mode: str) -> None:
    fake = OpenAIServer(responder=perfect_model(suite))
    with serve(fake.app()) as upstream, \
            serve(_app(settings, openai_base_url=f"{upstream}/v1", openai_mode=mode)) as base, \
            httpx.Client(base_url=base, timeout=60) as client:
        overall = _extract_suite(client, suite, "openai:perfect-model")
    _assert_whole(overall)
    sent = fake.requests[0]
    assert sent["model"] == "perfect-model"
    assert (sent["response_format"]["type"] == "json_schema") == (mode == "json_schema")
    # The remote prompt is the labelling guide, not the embedded model's short one.
    assert "The labelling guide" in sent["messages"][0]["content"]
    assert sent["max_tokens"] == settings.remote_max_tokens


def test_a_perfect_anthropic_answer_is_scored_whole(settings: Settings, suite: Suite) -> None:
    fake = AnthropicServer(responder=perfect_model(suite))
    with serve(fake.app()) as upstream, \
            serve(_app(settings, anthropic_base_url=upstream)) as base, \
            httpx.Client(base_url=base, timeout=60) as client:
        overall = _extract_suite(client, suite, "anthropic:perfect-model")
    _assert_whole(overall)
    sent = fake.requests[0]
    assert sent["model"] == "perfect-model"
    # The system prompt travels as Anthropic's top-level "system", not as a message.
    assert "The labelling guide" in json.dumps(sent["system"], ensure_ascii=False)
    assert all(m["role"] in ("user", "assistant") for m in sent["messages"])
    assert sent["tool_choice"]["type"] == "tool" and sent["tools"][0]["input_schema"]
