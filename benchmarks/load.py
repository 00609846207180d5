"""Load: thousands of requests at 50 concurrent connections against a real ``khabar serve``
process, whose provider is the fault-injecting OpenAI-protocol server with realistic latency.

Run: python benchmarks/load.py [--requests 3000] [--concurrency 50] [--distinct 300]
                               [--workers 1] [--fault-rate 0.03]

Everything listens on 127.0.0.1 and the run stops by itself. It prints the status counts, the
faults the provider injected, latency percentiles, lost / duplicated / mixed-up results, the
cache's entry count, and the service's memory over time (RSS of all its processes), then
exits 1 if any 5xx other than the documented 503 back-pressure, a lost or mixed-up result or a
wrong cache count was seen.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import diskcache
import httpx
import psutil
import typer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.openai_server import Action, OpenAIServer  # noqa: E402
from tests.processes import khabar_process  # noqa: E402
from tests.servers import serve  # noqa: E402

ARTICLES = sorted((ROOT / "evals/suites/sco/articles").glob("*.txt"))


def _draft_for(text: str) -> dict[str, Any]:
    """A plausible answer: the article's first sentence as a quote and an event's evidence."""
    first = text.strip().split("\n")[0][:300].strip() or text[:300]
    return {"entities": [{"name": "منظمة شنغهاي للتعاون", "type": "organization",
                          "name_en": "Shanghai Cooperation Organization"}],
            "events": [{"evidence": first, "type": "CONSULT", "mode": "meet",
                        "summary_en": "A meeting.", "participants": [], "date": None,
                        "location": None, "status": "occurred"}],
            "quotes": [{"speaker": "منظمة شنغهاي للتعاون", "cue": "قال", "kind": "indirect",
                        "text": first}],
            "positions": []}


class FaultyProvider:
    """Answers after a random realistic latency; a share of calls fail the ways providers do."""

    def __init__(self, fault_rate: float, seed: int = 7):
        self.random = random.Random(seed)
        self.fault_rate = fault_rate
        self.injected: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.server = OpenAIServer(chooser=self.choose)

    def choose(self) -> Action:
        with self.lock:
            roll = self.random.random()
            latency = self.random.uniform(0.15, 0.6)
            if roll < self.fault_rate / 3:
                self.injected["500"] += 1
                return Action(status=500, delay_s=latency / 3)
            if roll < 2 * self.fault_rate / 3:
                self.injected["429 Retry-After 0.2"] += 1
                return Action(status=429, retry_after=0.2)
            if roll < self.fault_rate:
                self.injected["dropped connection"] += 1
                return Action(drop=True, delay_s=latency / 3)
            self.injected["answered"] += 1
            return Action(content=None, delay_s=latency)


def main(requests: Annotated[int, typer.Option()] = 3000,
         concurrency: Annotated[int, typer.Option()] = 50,
         distinct: Annotated[int, typer.Option(help="distinct articles; the rest are hits")] = 300,
         workers: Annotated[int, typer.Option()] = 1,
         fault_rate: Annotated[float, typer.Option(help="share of provider calls that fail")]
         = 0.03) -> None:
    provider = FaultyProvider(fault_rate)
    bases = [p.read_text(encoding="utf-8") for p in ARTICLES]
    texts = {f"load-{i:04d}": f"{bases[i % len(bases)]}\n\n(نسخة {i})" for i in range(distinct)}
    draft = json.dumps(_draft_for(bases[0]), ensure_ascii=False)
    rng = random.Random(11)
    order = list(texts)  # every article once (a miss) ...
    order += [rng.choice(list(texts)) for _ in range(requests - len(order))]  # ... then mostly hits
    rng.shuffle(order)

    with tempfile.TemporaryDirectory() as tmp, serve(provider.server.app()) as provider_url:
        # The provider's dropped connections are deliberate; their tracebacks are not news.
        logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)
        # Every successful provider answer carries the same draft: what is measured here is
        # the service, not the answer.
        provider.server.chooser = lambda: _with_content(provider.choose(), draft)
        cache_dir = Path(tmp) / "cache"
        env = {"KHABAR_CACHE_DIR": str(cache_dir), "KHABAR_PROVIDER": "openai:load-model",
               "KHABAR_OPENAI_BASE_URL": f"{provider_url}/v1", "OPENAI_API_KEY": "sk-load",
               "KHABAR_PROVIDER_RETRIES": "4", "KHABAR_REQUEST_TIMEOUT_S": "30"}
        with khabar_process(env, workers=workers) as service:
            root = psutil.Process(service.process.pid)
            memory: list[tuple[float, float]] = []
            stop = threading.Event()

            def sample() -> None:
                started = time.monotonic()
                while not stop.is_set():
                    procs = [root, *root.children(recursive=True)]
                    rss = sum(p.memory_info().rss for p in procs if p.is_running())
                    memory.append((time.monotonic() - started, rss / 2**20))
                    stop.wait(0.5)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            started = time.monotonic()
            results = asyncio.run(_drive(service.url, order, texts, concurrency))
            elapsed = time.monotonic() - started
            stop.set()
            sampler.join()
            log = service.log()

        with diskcache.Cache(str(cache_dir)) as cache:
            entries = len(cache)

    _report(results, order, texts, provider, memory, elapsed, entries, concurrency, log)


def _with_content(action: Action, draft: str) -> Action:
    if action.status == 200 and not action.drop and action.content is None:
        action.content = draft
    return action


async def _drive(url: str, order: list[str], texts: dict[str, str], concurrency: int
                 ) -> list[dict[str, Any]]:
    gate = asyncio.Semaphore(concurrency)
    # Idle connections are dropped before the server would close them (uvicorn: 5 s), so a
    # request is never sent on a connection the server is closing.
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency,
                          keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        async def one(index: int, article_id: str) -> dict[str, Any]:
            async with gate:
                started = time.perf_counter()
                try:
                    response = await client.post("/extract", json={
                        "id": article_id, "text": texts[article_id]})
                except httpx.HTTPError as exc:
                    return {"index": index, "id": article_id, "status": None,
                            "error": f"{type(exc).__name__}: {exc}"[:120], "ms": 0.0}
                ms = (time.perf_counter() - started) * 1000
                body = response.json()
                return {"index": index, "id": article_id, "status": response.status_code,
                        "ms": ms, "answered_id": body.get("article", {}).get("id"),
                        "cached": body.get("meta", {}).get("cached"),
                        "quotes": body.get("quotes"),
                        "retry_after": response.headers.get("retry-after"),
                        "request_id": response.headers.get("x-request-id")}
        return await asyncio.gather(*(one(i, a) for i, a in enumerate(order)))


def _report(results: list[dict[str, Any]], order: list[str], texts: dict[str, str],
            provider: FaultyProvider, memory: list[tuple[float, float]], elapsed: float,
            entries: int, concurrency: int, log: str) -> None:
    statuses = Counter(str(r["status"]) for r in results)
    ok = [r for r in results if r["status"] == 200]
    lost = len(order) - len(results) + sum(r["status"] is None for r in results)
    duplicated = len(results) - len({r["index"] for r in results})
    mixed_up = sum(r["answered_id"] != r["id"] for r in ok)
    by_article: dict[str, list[Any]] = {}
    for r in ok:
        by_article.setdefault(r["id"], []).append(r["quotes"])
    inconsistent = sum(any(q != qs[0] for q in qs) for qs in by_article.values())
    unexpected_5xx = sum(r["status"] is not None and r["status"] >= 500 and r["status"] != 503
                         for r in results)
    request_ids = [r["request_id"] for r in results if r.get("request_id")]
    latencies = sorted(r["ms"] for r in ok)
    hits = [r["ms"] for r in ok if r["cached"]]
    misses = [r["ms"] for r in ok if not r["cached"]]

    def pct(values: list[float], q: float) -> float:
        return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else float("nan")

    print(f"requests {len(order)} at {concurrency} concurrent connections in {elapsed:.1f} s "
          f"({len(order) / elapsed:.0f} req/s); {len(texts)} distinct articles")
    print(f"statuses: {dict(statuses)}")
    errors = Counter(r["error"] for r in results if r["status"] is None)
    if errors:
        print(f"transport errors (no HTTP answer): {dict(errors)}")
    print(f"provider calls: {dict(provider.injected)}; faults injected "
          f"{sum(v for k, v in provider.injected.items() if k != 'answered')}")
    print(f"cache hits {len(hits)}, misses {len(misses)}; cache entries {entries} "
          f"(expected {len(by_article)})")
    if latencies:
        print(f"latency ms: all p50 {pct(latencies, 50):.1f} p99 {pct(latencies, 99):.1f}; "
              f"hits p50 {pct(hits, 50):.1f} p99 {pct(hits, 99):.1f}; "
              f"misses p50 {pct(misses, 50):.1f} p99 {pct(misses, 99):.1f}")
    print(f"lost {lost}, duplicated {duplicated}, answered to the wrong request {mixed_up}, "
          f"articles with differing answers {inconsistent}, "
          f"duplicate request ids {len(request_ids) - len(set(request_ids))}")
    print(f"unexpected 5xx: {unexpected_5xx}; 'Traceback' in service log: {'Traceback' in log}")
    complaints = Counter(line.split(" ", 3)[-1][:150] for line in log.splitlines()
                         if " WARNING " in line or " ERROR " in line or "WARNING:" in line
                         or "ERROR:" in line)
    for line, count in complaints.most_common(5):
        print(f"service log x{count}: {line}")
    if memory:
        rss = [m for _, m in memory]
        half = len(rss) // 2
        quarters = " / ".join(f"{rss[min(len(rss) - 1, len(rss) * q // 4)]:.0f}"
                              for q in (1, 2, 3, 4))
        print(f"service RSS MiB: start {rss[0]:.0f}, at each quarter of the run {quarters}, "
              f"peak {max(rss):.0f}; growth over the second half {rss[-1] - rss[half]:+.1f} "
              f"(samples every 0.5 s: {len(rss)})")
    failed = unexpected_5xx or lost or duplicated or mixed_up or inconsistent \
        or entries != len(by_article)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    typer.run(main)
