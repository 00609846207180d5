"""Jobs beyond one process: throughput of a job on 1, 2 and 4 ``khabar worker`` processes, and
cache-hit latency through HTTP with Redis against diskcache.

Run: python benchmarks/jobs_throughput.py [--articles 1000] [--workers 1,2,4]
                                          [--latency-ms 200] [--concurrency 4]

Everything is real and on 127.0.0.1: Debian's redis-server (broker, job state, shared cache),
one ``khabar serve``, the workers, and the OpenAI-protocol test server answering every call
after ``--latency-ms``. Each worker extracts ``--concurrency`` articles at once (the per-worker
limit on calls in flight). Prints articles per second per worker count and the hit p50s.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import httpx
import typer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import DRAFT_003, article  # noqa: E402
from tests.openai_server import Action, OpenAIServer, answer  # noqa: E402
from tests.processes import khabar_process, khabar_worker  # noqa: E402
from tests.redis_server import running_redis  # noqa: E402
from tests.servers import serve  # noqa: E402

A003 = article("003")


def _env(redis_url: str, provider: str, cache: str, tmp: str) -> dict[str, str]:
    return {"KHABAR_BROKER_URL": redis_url, "KHABAR_CACHE_URL": cache,
            "KHABAR_CACHE_DIR": f"{tmp}/cache", "KHABAR_PROVIDER": "openai:bench-model",
            "KHABAR_OPENAI_BASE_URL": provider}


def job_rate(n_workers: int, articles: int, latency_s: float, concurrency: int,
             run: int) -> tuple[float, float]:
    """Articles per second for one job, and the seconds it took."""
    fake = OpenAIServer(default=Action(content=answer(DRAFT_003).content, delay_s=latency_s))
    with running_redis() as redis_server, serve(fake.app()) as upstream, \
            tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        env = _env(redis_server.url, f"{upstream}/v1", redis_server.url.replace("/0", "/1"),
                   tmp)
        service = stack.enter_context(khabar_process(env))
        for _ in range(n_workers):
            stack.enter_context(khabar_worker(env, concurrency=concurrency))
        items = [{"id": f"r{run}-{i}", "text": f"{A003}\n(نسخة {run}-{i})"}
                 for i in range(articles)]
        with httpx.Client(base_url=service.url, timeout=300) as client:
            started = time.perf_counter()
            job = client.post("/jobs", json=items).json()["id"]
            while client.get(f"/jobs/{job}").json()["state"] != "done":
                time.sleep(0.1)
            seconds = time.perf_counter() - started
            lines = client.get(f"/jobs/{job}/results").text.splitlines()
            assert len(lines) == articles and all(json.loads(x)["ok"] for x in lines)
    return articles / seconds, seconds


def hit_p50(cache: str, n: int = 300) -> float:
    """Median milliseconds of a cache hit through HTTP."""
    fake = OpenAIServer(default=answer(DRAFT_003))
    with running_redis() as redis_server, serve(fake.app()) as upstream, \
            tempfile.TemporaryDirectory() as tmp:
        where = redis_server.url.replace("/0", "/1") if cache == "redis" else f"file://{tmp}/c"
        with khabar_process(_env(redis_server.url, f"{upstream}/v1", where, tmp)) as service, \
                httpx.Client(base_url=service.url, timeout=60) as client:
            client.post("/extract", json={"text": A003})
            times = []
            for _ in range(n):
                t0 = time.perf_counter()
                assert client.post("/extract", json={"text": A003}).json()["meta"]["cached"]
                times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main(articles: Annotated[int, typer.Option()] = 1000,
         workers: Annotated[str, typer.Option()] = "1,2,4",
         latency_ms: Annotated[float, typer.Option()] = 200.0,
         concurrency: Annotated[int, typer.Option()] = 4) -> None:
    print(f"## Jobs on Celery workers ({articles} articles, provider latency {latency_ms:.0f} "
          f"ms, {concurrency} articles at once per worker)\n")
    print("| workers | articles/s | seconds | ideal articles/s (latency-bound) |")
    print("|---|---|---|---|")
    for run, n in enumerate(int(w) for w in workers.split(",")):
        rate, seconds = job_rate(n, articles, latency_ms / 1000, concurrency, run)
        ideal = n * concurrency / (latency_ms / 1000)
        print(f"| {n} | {rate:.1f} | {seconds:.1f} | {ideal:.1f} |")
    print("\n| cache | hit p50 through HTTP (ms) |\n|---|---|")
    for cache in ("diskcache", "redis"):
        print(f"| {cache} | {hit_p50(cache):.2f} |")


if __name__ == "__main__":
    typer.run(main)
