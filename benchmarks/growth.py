"""Cost growth: one request's time and memory as the article grows from 2,000 to 50,000 characters.

Run: python benchmarks/growth.py
The service's own work, in-process (``Extractor``), against the OpenAI-protocol test server on
127.0.0.1 answering at once with a draft whose 12 quotes and evidence come from the article
(a third verbatim, a third respelt, a third with a word dropped), so grounding does real work.
For each size: a miss (model call, validation, grounding, cache write), a hit, and the peak of
Python memory allocated during the miss (tracemalloc). Articles are the five SCO articles'
paragraphs repeated. Long articles are not chunked (that is a separate feature); the embedded
model's context (8,192 tokens) holds about 10,000 characters of Arabic plus the prompt.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.pure_paths import _respell, long_article  # noqa: E402
from schemas.contract import ExtractRequest  # noqa: E402
from service.extractor import Extractor  # noqa: E402
from service.settings import Settings  # noqa: E402
from tests.openai_server import OpenAIServer, answer  # noqa: E402
from tests.servers import serve  # noqa: E402

SIZES = (2_000, 5_000, 10_000, 20_000, 50_000)


def draft_for(text: str, seed: int = 1) -> dict[str, Any]:
    rng = random.Random(seed)
    words = text.split()
    spans = []
    for i in range(12):
        at = rng.randrange(0, max(1, len(words) - 16))
        phrase = " ".join(words[at:at + 12])
        if i % 3 == 1:
            phrase = _respell(phrase)
        elif i % 3 == 2:
            parts = phrase.split()
            del parts[5]
            phrase = " ".join(parts)
        spans.append(phrase[:390])
    return {"entities": [{"name": "منظمة شنغهاي للتعاون", "type": "organization"},
                         {"name": "روسيا", "type": "country", "country": "RU"}],
            "events": [{"evidence": spans[i], "type": "CONSULT", "mode": "meet",
                        "summary_en": "A meeting.", "status": "occurred",
                        "participants": [{"name": "روسيا", "role": "actor"}]}
                       for i in range(4)],
            "quotes": [{"speaker": "روسيا", "cue": "قال", "kind": "indirect", "text": s}
                       for s in spans[4:10]],
            "positions": [{"holder": "روسيا", "stance": "support", "topic_en": "cooperation",
                           "evidence": s} for s in spans[10:12]]}


def measure() -> list[dict[str, Any]]:
    rows = []
    base = long_article(max(SIZES))
    fake = OpenAIServer()
    with serve(fake.app()) as url, tempfile.TemporaryDirectory() as tmp:
        extractor = Extractor(Settings(cache_dir=Path(tmp) / "cache", provider="openai:growth",
                                       openai_base_url=f"{url}/v1", openai_api_key="sk-growth",
                                       max_chars=max(SIZES)))
        # Warm the client, instructor and the validators before timing anything.
        fake.default = answer(draft_for(base[:1500]))
        extractor.extract(ExtractRequest(text=base[:1500]))
        for size in SIZES:
            text = base[:size]
            fake.default = answer(draft_for(text))
            started = time.perf_counter()
            response = extractor.extract(ExtractRequest(text=text))
            miss_ms = (time.perf_counter() - started) * 1000
            hits = []
            for _ in range(5):
                started = time.perf_counter()
                assert extractor.extract(ExtractRequest(text=text)).meta.cached
                hits.append((time.perf_counter() - started) * 1000)
            # Memory on its own pass: tracing allocations slows them down too much to time.
            tracemalloc.start()
            extractor.extract(ExtractRequest(text=text, options={"use_cache": False}))
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            spans = [q.grounding for q in response.quotes] + \
                [r.evidence.grounding for r in [*response.events, *response.positions]]
            rows.append({"chars": size, "miss_ms": miss_ms, "hit_ms": sorted(hits)[2],
                         "peak_mib": peak / 2**20,
                         "grounded": f"{sum(g == 'exact' for g in spans)} exact / "
                                     f"{sum(g == 'fuzzy' for g in spans)} fuzzy / "
                                     f"{sum(g == 'none' for g in spans)} none"})
    return rows


def main() -> list[dict[str, Any]]:
    rows = measure()
    print("| article chars | miss ms (provider answers at once) | hit ms | peak Python memory "
          "MiB (miss) | spans |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['chars']:,} | {r['miss_ms']:.1f} | {r['hit_ms']:.2f} | "
              f"{r['peak_mib']:.1f} | {r['grounded']} |")
    return rows


if __name__ == "__main__":
    main()
