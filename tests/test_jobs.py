"""Jobs on Celery and Redis: many articles queued over HTTP, extracted by ``khabar worker``
processes, nothing lost or duplicated when a worker dies mid-job.

Real parts: Debian's redis-server (broker, job state and the shared cache), ``khabar serve``,
``khabar worker`` processes, and the fault-injecting OpenAI-protocol server as the provider.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.settings import Settings
from tests.conftest import DRAFT_003, article
from tests.openai_server import Action, OpenAIServer, answer
from tests.processes import ROOT, khabar_process, khabar_worker
from tests.redis_server import RedisServer, running_redis
from tests.servers import serve

A003 = article("003")


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    with running_redis() as server:
        yield server


def _env(redis: RedisServer, provider_url: str, tmp_path: Path) -> dict[str, str]:
    return {"KHABAR_BROKER_URL": redis.url,
            "KHABAR_CACHE_URL": redis.url.replace("/0", "/1"),
            "KHABAR_CACHE_DIR": str(tmp_path / "unused"),
            "KHABAR_PROVIDER": "openai:test-model", "KHABAR_OPENAI_BASE_URL": provider_url,
            "KHABAR_RETRY_BACKOFF_S": "0.01", "KHABAR_PROVIDER_RETRIES": "4",
            # A task held by a dead worker is handed out again this soon.
            "KHABAR_JOB_VISIBILITY_TIMEOUT_S": "4"}


def _articles(n: int) -> list[dict]:
    # Distinct texts: distinct cache keys, so every article is a provider call.
    return [{"id": f"a{i:03d}", "text": f"{A003}\n(نسخة {i})"} for i in range(n)]


def _wait_done(client: httpx.Client, job_id: str, timeout_s: float) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        status = client.get(f"/jobs/{job_id}").json()
        if status["state"] == "done":
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.2)


def test_a_job_survives_a_worker_killed_mid_job_with_nothing_lost_or_duplicated(
        redis_server: RedisServer, tmp_path: Path) -> None:
    rng = random.Random(7)
    # Latency and injected faults: one call in ten fails with a 500 or a 429 and is retried.
    fake = OpenAIServer(chooser=lambda: rng.choice(
        [Action(status=500), Action(status=429, retry_after=0.05)] +
        [Action(content=answer(DRAFT_003).content, delay_s=0.05)] * 18))
    with serve(fake.app()) as upstream:
        # Above 50 articles, workers publish the tasks: the fan-out is in the test's path too.
        env = {**_env(redis_server, f"{upstream}/v1", tmp_path), "KHABAR_JOB_FANOUT": "50"}
        with khabar_process(env) as service, khabar_worker(env) as doomed, \
                khabar_worker(env) as survivor, \
                httpx.Client(base_url=service.url, timeout=60) as client:
            created = client.post("/jobs", json=_articles(200))
            assert created.status_code == 202, created.text
            job_id = created.json()["id"]
            assert created.headers["location"] == f"/jobs/{job_id}"
            deadline = time.monotonic() + 60
            while client.get(f"/jobs/{job_id}").json()["done"] < 30:
                assert time.monotonic() < deadline, "the workers never got going"
                time.sleep(0.05)
            os.killpg(doomed.process.pid, signal.SIGKILL)  # mid-job, articles in hand
            status = _wait_done(client, job_id, 180)
            lines = [json.loads(x) for x in client.get(f"/jobs/{job_id}/results").text
                     .splitlines()]
            assert survivor.process.poll() is None
    assert status["total"] == status["done"] == 200
    ids = [line["id"] for line in lines]
    assert len(lines) == 200 and len(set(ids)) == 200  # 0 lost, 0 duplicated
    assert ids == sorted(ids)  # in the job's order
    assert status["failed"] == sum(not line["ok"] for line in lines)
    assert all(line["result"]["quotes"] for line in lines if line["ok"])


def test_khabar_batch_remote_submits_a_folder_and_follows_the_job(
        redis_server: RedisServer, tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    for item in _articles(12):
        (folder / f"{item['id']}.txt").write_text(item["text"], encoding="utf-8")
    (folder / "blank.txt").write_text("   ", encoding="utf-8")  # unreadable: an error line
    fake = OpenAIServer(default=answer(DRAFT_003))
    out = tmp_path / "results.jsonl"
    with serve(fake.app()) as upstream:
        env = _env(redis_server, f"{upstream}/v1", tmp_path)
        with khabar_process(env) as service, khabar_worker(env, concurrency=2):
            done = subprocess.run(
                [sys.executable, "-m", "service.cli", "batch", str(folder), "--out", str(out),
                 "--remote", service.url], cwd=ROOT, capture_output=True, text=True,
                timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    # Every key of the job expires (the result lines too, which appear after submission).
    keys = redis_server.client().keys("khabar:job:*")
    # ("failed" appears only when an article fails on the service; the blank one failed here.)
    assert {k.decode().rsplit(":", 1)[1] for k in keys} == {"meta", "items", "lines"}
    assert all(redis_server.client().ttl(k) > 0 for k in keys)
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(line["id"] for line in lines) == sorted(
        [f"a{i:03d}" for i in range(12)] + ["blank"])
    assert [line["ok"] for line in lines].count(False) == 1
    assert "13 articles: 12 extracted, 1 failed" in " ".join(done.stderr.split())


def test_bad_jobs_get_clear_errors_and_unknown_jobs_404(
        redis_server: RedisServer, tmp_path: Path) -> None:
    from service.api import create_app

    settings = Settings(cache_dir=tmp_path, broker_url=redis_server.url)
    with serve(create_app(settings)) as base, httpx.Client(base_url=base) as client:
        empty = client.post("/jobs", json=[])
        twice = client.post("/jobs", json=[{"id": "x", "text": "نص"}, {"id": "x", "text": "آخر"}])
        blank = client.post("/jobs", json=[{"text": "  "}])
        jsonl = client.post("/jobs", content="not json\n",
                            headers={"content-type": "application/x-ndjson"})
        unknown = client.get("/jobs/0123456789abcdef")
    assert empty.status_code == 422 and "non-empty" in empty.json()["error"]["message"]
    assert twice.status_code == 422 and "appears twice" in twice.json()["error"]["message"]
    assert blank.status_code == 422 and "article 1: text" in blank.json()["error"]["message"]
    assert jsonl.status_code == 422 and "JSONL" in jsonl.json()["error"]["message"]
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "job_not_found"


def test_without_a_broker_jobs_are_refused_with_what_to_do(tmp_path: Path) -> None:
    from service.api import create_app

    with serve(create_app(Settings(cache_dir=tmp_path))) as base:
        refused = httpx.post(f"{base}/jobs", json=[{"text": "نص"}])
    assert refused.status_code == 503
    assert "KHABAR_BROKER_URL" in refused.json()["error"]["message"]
