"""Several service processes on one Redis: a shared cache, and one provider call per article.

Real parts throughout: Debian's redis-server on a loopback port, ``khabar serve`` processes,
and the fault-injecting OpenAI-protocol server as the provider.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import DRAFT_003, article
from tests.openai_server import Action, OpenAIServer, answer
from tests.processes import khabar_process
from tests.redis_server import RedisServer, running_redis
from tests.servers import serve

A003 = article("003")


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    with running_redis() as server:
        yield server


def _env(redis_url: str, provider_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"KHABAR_CACHE_URL": redis_url, "KHABAR_CACHE_DIR": str(tmp_path / "unused"),
            "KHABAR_PROVIDER": "openai:test-model", "KHABAR_OPENAI_BASE_URL": provider_url,
            "KHABAR_RETRY_BACKOFF_S": "0.01", **extra}


def _extract(url: str, text: str = A003) -> dict:
    response = httpx.post(f"{url}/extract", json={"text": text}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def _records(body: dict) -> dict:
    return {k: body[k] for k in ("entities", "events", "quotes", "positions")}


def test_an_answer_made_through_one_replica_is_a_hit_through_another(
        redis_server: RedisServer, openai_server: tuple[OpenAIServer, str],
        tmp_path: Path) -> None:
    fake, url = openai_server
    fake.default = answer(DRAFT_003)
    env = _env(redis_server.url, url, tmp_path)
    with khabar_process(env) as first, khabar_process(env) as second:
        made = _extract(first.url)
        again = _extract(second.url)
        health = httpx.get(f"{second.url}/healthz").json()
    assert made["meta"]["cached"] is False and again["meta"]["cached"] is True
    assert _records(again) == _records(made)
    assert len(fake.requests) == 1
    assert health["cache"] == "ok"
    assert redis_server.client().keys("khabar:answer:*")


def test_redis_going_away_costs_the_cache_not_the_answers_and_caching_resumes(
        redis_server: RedisServer, openai_server: tuple[OpenAIServer, str],
        tmp_path: Path) -> None:
    fake, url = openai_server
    fake.default = answer(DRAFT_003)
    with khabar_process(_env(redis_server.url, url, tmp_path)) as service:
        assert _extract(service.url)["meta"]["cached"] is False
        redis_server.stop()
        down = [_extract(service.url) for _ in range(3)]  # answered, uncached
        health = httpx.get(f"{service.url}/healthz")
        assert [d["meta"]["cached"] for d in down] == [False, False, False]
        assert health.status_code == 200 and health.json()["cache"].startswith(
            "cache unreachable")
        redis_server.start()  # an empty Redis, as after a restart without persistence
        deadline = time.monotonic() + 20
        while httpx.get(f"{service.url}/healthz").json()["cache"] != "ok":
            assert time.monotonic() < deadline, "the cache never came back"
            time.sleep(0.2)
        _extract(service.url, A003 + " ")
        assert _extract(service.url, A003 + " ")["meta"]["cached"] is True


@pytest.mark.parametrize("backend", ["redis", "diskcache"])
def test_32_concurrent_identical_requests_over_two_replicas_make_one_provider_call(
        redis_server: RedisServer, tmp_path: Path, backend: str) -> None:
    # A slow provider: every request arrives while the first call is still out. The two
    # replicas share Redis, or (two processes on one host) a cache directory.
    fake = OpenAIServer(default=Action(content=answer(DRAFT_003).content, delay_s=1.5))
    where = redis_server.url if backend == "redis" else f"file://{tmp_path / 'shared'}"
    with serve(fake.app()) as upstream:
        env = _env(where, f"{upstream}/v1", tmp_path)
        with khabar_process(env) as first, khabar_process(env) as second, \
                ThreadPoolExecutor(32) as pool:
            targets = [first.url, second.url] * 16
            bodies = list(pool.map(_extract, targets))
    assert len(fake.requests) == 1
    assert all(_records(b) == _records(bodies[0]) for b in bodies)
    assert sum(not b["meta"]["cached"] for b in bodies) == 1


def test_a_holder_killed_mid_call_frees_the_article_after_its_lease(
        redis_server: RedisServer, tmp_path: Path) -> None:
    fake = OpenAIServer(default=answer(DRAFT_003))
    fake.push(Action(content=answer(DRAFT_003).content, delay_s=30))  # the holder's call hangs
    with serve(fake.app()) as upstream:
        env = _env(redis_server.url, f"{upstream}/v1", tmp_path,
                   KHABAR_SINGLE_FLIGHT_LEASE_S="1")
        with khabar_process(env) as doomed, khabar_process(env) as survivor, \
                ThreadPoolExecutor(1) as pool:
            pool.submit(lambda: httpx.post(f"{doomed.url}/extract", json={"text": A003},
                                           timeout=60))
            deadline = time.monotonic() + 20
            while not fake.requests:
                assert time.monotonic() < deadline, "the first call never reached the provider"
                time.sleep(0.05)
            os.killpg(doomed.process.pid, signal.SIGKILL)
            started = time.monotonic()
            body = _extract(survivor.url)
            waited = time.monotonic() - started
    assert body["meta"]["cached"] is False and body["quotes"]
    assert len(fake.requests) == 2
    assert waited < 10  # the lease (1 s) lapsed; not the 300 s wait bound


def test_redis_entries_expire_after_the_ttl_and_stop_at_the_size_bound(
        redis_server: RedisServer) -> None:
    from schemas.draft import Draft
    from service.cache import CachedAnswer, ResultCache

    answer_ = CachedAnswer(Draft.model_validate(DRAFT_003), "m", 10, 5)
    expiring = ResultCache(url=redis_server.url, ttl_s=1)
    expiring.set("k", answer_)
    assert expiring.get("k", Draft) is not None
    assert 0 < redis_server.client().ttl("khabar:answer:k") <= 1
    time.sleep(1.5)
    assert expiring.get("k", Draft) is None

    full = ResultCache(url=redis_server.url, max_bytes=1)  # any Redis uses more than a byte
    full.set("k2", answer_)
    assert redis_server.client().get("khabar:answer:k2") is None
    assert "KHABAR_CACHE_MAX_BYTES" in full.status  # reachable, but not taking writes
