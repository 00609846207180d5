"""Schemathesis generates requests from the service's own OpenAPI schema and sends them over
real HTTP: whatever it sends, the service never answers with a 5xx, and every answer it gives
conforms to what the schema promises.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings as hypothesis_settings

from service.api import create_app
from service.settings import Settings
from tests.conftest import DRAFT_003
from tests.openai_server import OpenAIServer, answer
from tests.redis_server import running_redis
from tests.servers import serve


@pytest.fixture(scope="module")
def khabar_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    fake = OpenAIServer(default=answer(DRAFT_003))
    cache_dir: Path = tmp_path_factory.mktemp("fuzz-cache")
    # A real Redis as the jobs' broker: generated jobs are queued (no worker takes them).
    with serve(fake.app()) as provider_url, running_redis() as redis_server:
        # Per-request providers are limited to the OpenAI-protocol kind so that a generated
        # "local" never loads the embedded model; everything else takes its normal path.
        settings = Settings(cache_dir=cache_dir, provider="openai:test-model",
                            openai_base_url=f"{provider_url}/v1", request_providers="openai:*",
                            provider_retries=1, retry_backoff_s=0.01, request_timeout_s=5.0,
                            broker_url=redis_server.url)
        with serve(create_app(settings)) as url:
            yield url


# The schema is the app's own; building it needs no provider and no cache.
SCHEMA = schemathesis.openapi.from_dict(
    create_app(Settings(cache_dir=Path("/nonexistent-khabar-cache"))).openapi())


@pytest.mark.parametrize("mode", [schemathesis.GenerationMode.POSITIVE,
                                  schemathesis.GenerationMode.NEGATIVE], ids=str)
def test_no_generated_request_gets_a_server_error(khabar_url: str,
                                                  mode: schemathesis.GenerationMode) -> None:
    seen: list[int] = []

    @given(case=SCHEMA.as_strategy(mode))
    @hypothesis_settings(max_examples=60, deadline=None, database=None,
                         suppress_health_check=list(HealthCheck))
    def fuzz(case: schemathesis.Case) -> None:
        seen.append(case.call_and_validate(base_url=khabar_url).status_code)

    fuzz()
    assert seen and all(status < 500 for status in seen)
    if mode == schemathesis.GenerationMode.POSITIVE:
        assert 200 in seen, "no generated request reached the extraction path"
