"""One provider call per article at a time within a process, with or without a cache."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from schemas.contract import ExtractRequest
from service.errors import ProviderUnavailable
from service.extractor import Extractor
from service.settings import Settings
from service.singleflight import SingleFlight
from tests.conftest import DRAFT_003, article
from tests.openai_server import Action, OpenAIServer, answer
from tests.servers import serve

A003 = article("003")


def test_callers_that_arrive_during_a_call_share_its_result_and_its_failure() -> None:
    flights = SingleFlight()
    started, release = threading.Event(), threading.Event()
    calls = []

    def slow(value: str) -> str:
        calls.append(value)
        started.set()
        release.wait(5)
        return value

    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(flights.do, "k", lambda: slow("one"))
        started.wait(5)
        later = [pool.submit(flights.do, "k", lambda: slow("two")) for _ in range(3)]
        release.set()
        assert first.result() == ("one", False)
        assert [f.result() for f in later] == [("one", True)] * 3
    assert calls == ["one"]

    def broken() -> str:
        raise ValueError("provider down")
    with pytest.raises(ValueError):
        flights.do("k", broken)
    assert flights.do("k", lambda: "fresh") == ("fresh", False)  # a failure is not kept


@pytest.mark.parametrize("cache_enabled", [True, False], ids=["cache", "no cache"])
def test_concurrent_identical_requests_make_one_provider_call(tmp_path: Path,
                                                              cache_enabled: bool) -> None:
    fake = OpenAIServer(default=Action(content=answer(DRAFT_003).content, delay_s=0.5))
    with serve(fake.app()) as url:
        extractor = Extractor(Settings(cache_dir=tmp_path, cache_enabled=cache_enabled,
                                       provider="openai:test-model",
                                       openai_base_url=f"{url}/v1"))
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda _: extractor.extract(ExtractRequest(text=A003)),
                                    range(8)))
    assert len(fake.requests) == 1
    assert len({r.model_dump_json(exclude={"meta"}) for r in results}) == 1
    assert sorted(r.meta.cached for r in results) == [False] + [True] * 7


def test_a_failed_call_fails_its_waiters_once_and_the_next_request_tries_again(
        tmp_path: Path) -> None:
    fake = OpenAIServer(default=Action(status=500, delay_s=0.3))
    with serve(fake.app()) as url:
        extractor = Extractor(Settings(cache_dir=tmp_path, provider="openai:test-model",
                                       openai_base_url=f"{url}/v1", provider_retries=1))
        with ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(extractor.extract, ExtractRequest(text=A003))
                       for _ in range(4)]
            errors = [f.exception() for f in futures]
        assert all(isinstance(e, ProviderUnavailable) for e in errors)
        assert len(fake.requests) == 1
        fake.default = answer(DRAFT_003)
        assert extractor.extract(ExtractRequest(text=A003)).meta.cached is False
