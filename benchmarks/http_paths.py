"""The service's own cost over HTTP: cache hits, and misses against a provider of fixed latency.

Run: python benchmarks/http_paths.py [--workers 1]
A real ``khabar serve`` process; its provider is an OpenAI-protocol server on 127.0.0.1 that
answers every call after exactly 200 ms.
1. Cache hits: p50 / p99 latency and requests/s with 1 client and with 32 concurrent clients.
2. Misses: Khabar end to end against a direct call of the provider with the very payload Khabar
   sent, at 1 client; then 32 concurrent misses against one alone.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import DRAFT_003, article  # noqa: E402
from tests.openai_server import Action, OpenAIServer, answer  # noqa: E402
from tests.processes import khabar_process  # noqa: E402
from tests.servers import serve  # noqa: E402

PROVIDER_LATENCY_S = 0.2
A003 = article("003")


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def _hammer(url: str, body: dict[str, Any], clients: int, total: int
                  ) -> tuple[list[float], float]:
    """``total`` POSTs from ``clients`` keep-alive connections; latencies (ms) and wall time.

    A bare HTTP/1.1 client on asyncio streams: a full client library costs more CPU per
    request than the service's own cache hit, and on two cores would measure itself.
    """
    host, port = url.removeprefix("http://").split(":")
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = (f"POST /extract HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n"
               f"content-length: {len(payload)}\r\n\r\n").encode("ascii") + payload
    latencies: list[float] = []
    queue = iter(range(total))

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            for _ in queue:
                started = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length")))
                answer = await reader.readexactly(length)
                latencies.append((time.perf_counter() - started) * 1000)
                if not head.startswith(b"HTTP/1.1 200") or b'"cached":true' not in answer:
                    raise RuntimeError(f"not a cache hit: {head[:40]!r}")
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(clients)))
    return latencies, time.perf_counter() - started


def cache_hits(url: str) -> list[dict[str, Any]]:
    body = {"text": A003}
    httpx.post(f"{url}/extract", json=body, timeout=60).raise_for_status()
    rows = []
    for clients, total in ((1, 1000), (32, 4000)):
        asyncio.run(_hammer(url, body, clients, 100))  # warm connections and code paths
        latencies, wall = asyncio.run(_hammer(url, body, clients, total))
        rows.append({"clients": clients, "requests": total, "p50_ms": pct(latencies, 50),
                     "p99_ms": pct(latencies, 99), "rps": total / wall})
    return rows


def misses(url: str, provider_url: str) -> dict[str, Any]:
    client = httpx.Client(timeout=60, limits=httpx.Limits(max_connections=64,
                                                          max_keepalive_connections=64))

    def khabar_miss(i: int) -> float:
        started = time.perf_counter()
        response = client.post(f"{url}/extract",
                               json={"text": f"{A003}\n(miss {i} {time.time()})"})
        elapsed = time.perf_counter() - started
        assert response.status_code == 200 and not response.json()["meta"]["cached"], \
            response.text
        return elapsed * 1000

    khabar_miss(-1)  # warm
    payload = client.get(f"{provider_url}/_requests/last").json()

    def direct(_: int) -> float:
        started = time.perf_counter()
        client.post(f"{provider_url}/v1/chat/completions", json=payload,
                    headers={"authorization": "Bearer sk-bench"}).raise_for_status()
        return (time.perf_counter() - started) * 1000

    khabar_ms, direct_ms = [], []
    for i in range(20):  # interleaved so drift on a shared machine hits both alike
        direct_ms.append(direct(i))
        khabar_ms.append(khabar_miss(i))
    single = statistics.median(khabar_ms)

    def storm(call: Any) -> float:
        threads = [threading.Thread(target=call, args=(1000 + i,)) for i in range(32)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return (time.perf_counter() - started) * 1000

    direct_wall = storm(direct)
    wall = storm(khabar_miss)
    return {"direct_p50_ms": statistics.median(direct_ms), "khabar_p50_ms": single,
            "overhead": single / statistics.median(direct_ms) - 1,
            "concurrent_32_wall_ms": wall, "concurrent_ratio": wall / single,
            "direct_32_wall_ms": direct_wall}


def _provider_process(queue: Any) -> None:
    """The 200 ms provider, in its own process so it never competes with the client for a GIL."""
    fake = OpenAIServer(default=Action(content=answer(DRAFT_003).content,
                                       delay_s=PROVIDER_LATENCY_S))
    with serve(fake.app()) as url:
        queue.put(url)
        threading.Event().wait()


def measure(workers: int = 1) -> dict[str, Any]:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    provider = context.Process(target=_provider_process, args=(queue,), daemon=True)
    provider.start()
    provider_url = queue.get(timeout=30)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {"KHABAR_CACHE_DIR": f"{tmp}/cache", "KHABAR_PROVIDER": "openai:bench-model",
                   "KHABAR_OPENAI_BASE_URL": f"{provider_url}/v1", "OPENAI_API_KEY": "sk-bench"}
            with khabar_process(env, workers=workers) as service:
                hits = cache_hits(service.url)
                miss = misses(service.url, provider_url)
    finally:
        provider.terminate()
        provider.join()
    return {"hits": hits, "misses": miss}


def report(figures: dict[str, Any]) -> None:
    print("| cache hit via HTTP | p50 ms | p99 ms | requests/s |")
    print("|---|---|---|---|")
    for row in figures["hits"]:
        print(f"| {row['clients']} client(s), {row['requests']} requests | {row['p50_ms']:.2f} "
              f"| {row['p99_ms']:.2f} | {row['rps']:.0f} |")
    m = figures["misses"]
    print(f"\nmiss, 1 client: direct call p50 {m['direct_p50_ms']:.1f} ms, Khabar p50 "
          f"{m['khabar_p50_ms']:.1f} ms, overhead {m['overhead'] * 100:+.1f}%")
    print(f"32 concurrent misses: all done in {m['concurrent_32_wall_ms']:.0f} ms = "
          f"{m['concurrent_ratio']:.2f} x one miss (32 concurrent direct calls of the provider: "
          f"{m['direct_32_wall_ms']:.0f} ms)")


def main(workers: Annotated[int, typer.Option()] = 1) -> None:
    report(measure(workers))


if __name__ == "__main__":
    typer.run(main)
