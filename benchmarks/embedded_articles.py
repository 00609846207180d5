"""Per-article figures on the embedded model: seconds, tokens, record counts, grounding.

Run: python benchmarks/embedded_articles.py [ARTICLES_DIR] [--published-from-text]
Prints one row per article, then the latency of a cache hit through HTTP.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from schemas.contract import ExtractRequest  # noqa: E402
from service.api import create_app  # noqa: E402
from service.extractor import Extractor  # noqa: E402
from service.settings import Settings  # noqa: E402
from tests.servers import serve  # noqa: E402


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "evals/suites/sco/articles"
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(cache_dir=Path(tmp) / "cache", provider="local")
        extractor = Extractor(settings)
        extractor.providers.get().load()  # type: ignore[attr-defined]
        print("| article | s | prompt tok | completion tok | tok/s | entities | events | quotes "
              "| positions | spans exact / fuzzy / none |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for path in sorted(folder.glob("*.txt")):
            text = path.read_text(encoding="utf-8")
            started = time.perf_counter()
            r = extractor.extract(ExtractRequest(text=text))
            seconds = time.perf_counter() - started
            groundings = [q.grounding for q in r.quotes]
            groundings += [x.evidence.grounding for x in [*r.events, *r.positions]]
            counts = {g: groundings.count(g) for g in ("exact", "fuzzy", "none")}
            u = r.meta.usage
            print(f"| {path.stem[:12]} | {seconds:.1f} | {u.prompt_tokens} | "
                  f"{u.completion_tokens} | {u.completion_tokens / seconds:.1f} | "
                  f"{len(r.entities)} | {len(r.events)} | {len(r.quotes)} | {len(r.positions)} | "
                  f"{counts['exact']} / {counts['fuzzy']} / {counts['none']} |")
        text = next(iter(sorted(folder.glob("*.txt")))).read_text(encoding="utf-8")
        with serve(create_app(settings, extractor)) as base, httpx.Client(base_url=base) as c:
            c.post("/extract", json={"text": text}).raise_for_status()
            times = []
            for _ in range(50):
                t0 = time.perf_counter()
                body = c.post("/extract", json={"text": text}).json()
                times.append((time.perf_counter() - t0) * 1000)
                assert body["meta"]["cached"] is True
        times.sort()
        print(f"\ncache hit through HTTP (50 requests, 1 client): p50 "
              f"{statistics.median(times):.1f} ms, p99 {times[int(len(times) * 0.99) - 1]:.1f} ms")


if __name__ == "__main__":
    main()
