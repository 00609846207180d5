"""Time per article of the default provider (``rules``): the language layer alone and the
whole request path (analysis, resolver, grounding, mentions), on every suite article, on
articles grown to 50,000 characters, and on hostile text built to trip backtracking patterns.

Run: python benchmarks/rules_speed.py
Targets (issue 12): default ≤ 2 s p50 per 5,000-character article, rules ≤ 50 ms; a 50,000-
character article well under 0.5 s for the analysis.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from schemas.contract import ExtractRequest  # noqa: E402
from service.arabic.analysis import analyze  # noqa: E402
from service.arabic.lexicon import load  # noqa: E402
from service.extractor import Extractor  # noqa: E402
from service.settings import Settings  # noqa: E402

SUITES = ROOT / "evals" / "suites"
REPEATS = 5
LAST: dict[str, Any] = {}  # the figures of the last measure(), for run.py


def _articles() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(SUITES.glob("*/articles/*.txt"))]


def _best_of(fn: Any, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def measure() -> dict[str, Any]:
    started = time.perf_counter()
    load()
    lexicon_s = time.perf_counter() - started
    texts = _articles()
    extractor = Extractor(Settings(provider="rules", cache_dir=Path(tempfile.mkdtemp())))

    def request(text: str) -> None:
        extractor.extract(ExtractRequest(text=text, options={"use_cache": False}))

    analysis_ms = [_best_of(lambda t=t: analyze(t)) * 1000 for t in texts]
    request_ms = [_best_of(lambda t=t: request(t)) * 1000 for t in texts]
    per_5k = [ms * 5000 / len(t) for ms, t in zip(request_ms, texts)]

    body = "\n".join(texts)
    growth = []
    for size in (5_000, 10_000, 20_000, 50_000):
        text = (body * (size // len(body) + 1))[:size]
        growth.append((size, _best_of(lambda: analyze(text), 3) * 1000,
                       _best_of(lambda: request(text), 3) * 1000))

    hostile = {
        "repeated cues and open quotes": ("وقال الوزير «" * 5000)[:50_000],
        "title chains": ("الرئيس الأمين العام نائب رئيس الوزراء " * 2000)[:50_000],
        "one 50,000-character word": "ا" * 50_000,
        "cue + أن without end": ("أكد أن " * 8000)[:50_000],
        "one trigger word repeated": ("التقى " * 9000)[:50_000],
        "stance and cue words alternating": ("رحب قال " * 7000)[:50_000],
        "one state repeated": ("روسيا " * 9000)[:50_000],
        "4,000 distinct ministries": " ".join(
            f"وزارة ال{chr(0x628 + i % 20)}{chr(0x628 + i // 20 % 20)}"
            f"{chr(0x628 + i // 400 % 20)}" for i in range(4000))[:50_000],
    }
    hostile_ms = {name: _best_of(lambda t=t: request(t), 2) * 1000
                  for name, t in hostile.items()}
    LAST.clear()
    LAST.update({"lexicon_s": lexicon_s, "articles": len(texts),
                 "chars": [len(t) for t in texts], "analysis_ms": analysis_ms,
                 "request_ms": request_ms, "per_5k_ms": per_5k, "growth": growth,
                 "hostile_ms": hostile_ms,
                 "request_p50_ms": statistics.median(request_ms),
                 "per_5k_p50_ms": statistics.median(per_5k)})
    return LAST


def report(f: dict[str, Any]) -> None:
    print("## Default provider (rules): time per article\n")
    print(f"Lexicons loaded once per process in {f['lexicon_s'] * 1000:.0f} ms. "
          f"{f['articles']} suite articles, {min(f['chars']):,}–{max(f['chars']):,} characters; "
          f"best of {REPEATS} runs each, cache off.\n")
    print("| measure | p50 | p90 | max |")
    print("|---|---|---|---|")
    for name, values in (("analysis (service.arabic), ms", f["analysis_ms"]),
                         ("whole request (rules → contract JSON), ms", f["request_ms"]),
                         ("whole request per 5,000 characters, ms", f["per_5k_ms"])):
        ordered = sorted(values)
        p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
        print(f"| {name} | {statistics.median(values):.1f} | {p90:.1f} | {max(values):.1f} |")
    print("\nGrowth with article length (suite text repeated):\n")
    print("| characters | analysis ms | whole request ms |")
    print("|---|---|---|")
    for size, analysis_ms, request_ms in f["growth"]:
        print(f"| {size:,} | {analysis_ms:.0f} | {request_ms:.0f} |")
    print("\nHostile text, 50,000 characters, whole request:\n")
    print("| input | ms |")
    print("|---|---|")
    for name, ms in f["hostile_ms"].items():
        print(f"| {name} | {ms:.0f} |")


if __name__ == "__main__":
    report(measure())
