"""A cache directory that is unusable, fills up or is corrupted costs the cache, never the
answer: the service keeps answering, says so in /healthz and the log, and recovers. Two worker
processes sharing one cache directory store and read it correctly under concurrent load."""

from __future__ import annotations

import concurrent.futures
import json
import re
import resource
import signal
from collections import Counter
from pathlib import Path

import diskcache
import httpx

from schemas.draft import Draft
from tests.conftest import DRAFT_003, article
from tests.openai_server import Action, OpenAIServer, answer
from tests.processes import khabar_process

A003 = article("003")


def _env(cache_dir: Path, provider_url: str) -> dict[str, str]:
    return {"KHABAR_CACHE_DIR": str(cache_dir), "KHABAR_PROVIDER": "openai:test-model",
            "KHABAR_OPENAI_BASE_URL": provider_url, "OPENAI_API_KEY": "sk-test",
            "KHABAR_RETRY_BACKOFF_S": "0.01"}


def _ignore_file_size_signal() -> None:
    # A process over its file-size limit gets SIGXFSZ, which kills it by default; ignored,
    # the write fails with EFBIG instead, as it would with ENOSPC on a full disk.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _extract(client: httpx.Client, text: str, article_id: str | None = None) -> dict:
    response = client.post("/extract", json={"text": text, "id": article_id})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_disk_that_fills_up_costs_the_cache_not_the_answers(
        tmp_path: Path, openai_server: tuple[OpenAIServer, str]) -> None:
    fake, url = openai_server
    fake.default = answer(DRAFT_003)
    with khabar_process(_env(tmp_path / "cache", url),
                        preexec_fn=_ignore_file_size_signal) as service, \
            httpx.Client(base_url=service.url, timeout=30) as client:
        assert client.get("/healthz").json()["cache"] == "ok"

        # The disk is full from here on: no file of the process may grow.
        resource.prlimit(service.process.pid, resource.RLIMIT_FSIZE,
                         (0, resource.RLIM_INFINITY))
        first = _extract(client, A003)
        again = _extract(client, A003)
        assert first["meta"]["cached"] is False and again["meta"]["cached"] is False
        assert first["quotes"] == again["quotes"]
        health = client.get("/healthz").json()
        assert health["status"] == "ok"  # the service itself is fine
        assert health["cache"].startswith("cache write failed")
        assert "cache write failed" in service.log()

        # Space again: the next answer is stored, and the one after comes from the cache.
        resource.prlimit(service.process.pid, resource.RLIMIT_FSIZE,
                         (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        assert _extract(client, A003)["meta"]["cached"] is False
        assert client.get("/healthz").json()["cache"] == "ok"
        assert _extract(client, A003)["meta"]["cached"] is True


def test_a_corrupted_cache_database_is_reported_and_bypassed(
        tmp_path: Path, openai_server: tuple[OpenAIServer, str]) -> None:
    fake, url = openai_server
    fake.default = answer(DRAFT_003)
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    (cache_dir / "cache.db").write_bytes(b"this is not a database\x00" * 512)
    with khabar_process(_env(cache_dir, url)) as service, \
            httpx.Client(base_url=service.url, timeout=30) as client:
        health = client.get("/healthz").json()
        assert health["status"] == "ok"
        assert "cache unavailable" in health["cache"]
        body = _extract(client, A003)
        assert body["meta"]["cached"] is False and body["quotes"]
        assert "cache unavailable" in service.log()


def test_a_cache_path_that_cannot_be_a_directory_is_reported_and_bypassed(
        tmp_path: Path, openai_server: tuple[OpenAIServer, str]) -> None:
    fake, url = openai_server
    fake.default = answer(DRAFT_003)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with khabar_process(_env(blocker / "cache", url)) as service, \
            httpx.Client(base_url=service.url, timeout=30) as client:
        assert "cache unavailable" in client.get("/healthz").json()["cache"]
        assert _extract(client, A003)["meta"]["cached"] is False


def test_two_workers_share_one_cache_directory_under_concurrent_load(
        tmp_path: Path, openai_server: tuple[OpenAIServer, str]) -> None:
    fake, url = openai_server
    fake.default = Action(content=answer(DRAFT_003).content, delay_s=0.05)
    cache_dir = tmp_path / "cache"
    texts = {f"copy-{i}": f"{A003}\n\n(نسخة {i})" for i in range(40)}
    requests = [list(texts)[i % len(texts)] for i in range(240)]

    with khabar_process(_env(cache_dir, url), workers=2) as service, \
            httpx.Client(base_url=service.url, timeout=60,
                         limits=httpx.Limits(max_connections=16, max_keepalive_connections=0)
                         ) as client:
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            bodies = list(pool.map(lambda i: _extract(client, texts[i], i), requests))
        # Every article again: now each one is a hit, whichever worker answers.
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            second = list(pool.map(lambda i: _extract(client, texts[i], i), texts))
        log = service.log()

    assert all(body["meta"]["cached"] for body in second)
    by_text: dict[str, list[dict]] = {}
    for article_id, body in zip(requests + list(texts), bodies + second):
        assert body["article"]["id"] == article_id  # every answer reached its own caller
        by_text.setdefault(article_id, []).append({k: v for k, v in body.items()
                                                   if k != "meta"})
    for answers in by_text.values():
        assert all(a == answers[0] for a in answers)

    # One entry per article: nothing lost, nothing doubled, every entry a valid answer.
    with diskcache.Cache(str(cache_dir)) as cache:
        assert len(cache) == len(texts)
        for key in cache.iterkeys():
            Draft.model_validate(json.loads(cache[key])["value"])
    workers = Counter(re.findall(r"POST /extract 200 [\d.]+ms worker=(\d+)", log))
    assert len(workers) == 2, f"requests were not spread over two workers: {workers}"
    assert len(fake.requests) >= len(texts)
