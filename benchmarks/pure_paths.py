"""Grounding and scoring on large inputs (pure code, no I/O).

Run: python benchmarks/pure_paths.py
- grounding 200 quotes in a 50,000-character article built from the five articles' paragraphs:
  a quarter verbatim, a quarter respelt (diacritics, hamza and ta-marbuta variants), a quarter
  with words dropped (fuzzy), a quarter not in the article;
- scoring a 100-article suite: the five gold files repeated, each scored against a prediction
  that drops and changes records.
Prints one markdown row per path (best of 3 runs) and returns the figures to ``run.py``.
"""

from __future__ import annotations

import copy
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evals.scoring import _normalized, score_article, suite_summary  # noqa: E402
from service.grounding import ArticleIndex  # noqa: E402

SUITE = ROOT / "evals" / "suites" / "sco"


def long_article(chars: int = 50_000) -> str:
    paragraphs = [p.strip() for path in sorted((SUITE / "articles").glob("*.txt"))
                  for p in path.read_text(encoding="utf-8").split("\n") if len(p.strip()) > 40]
    out: list[str] = []
    i = 0
    while sum(len(p) + 2 for p in out) < chars:
        out.append(paragraphs[i % len(paragraphs)])
        i += 1
    return "\n\n".join(out)[:chars]


def _respell(text: str) -> str:
    return (text.replace("أ", "ا").replace("إ", "ا").replace("ة ", "ه ")
            .replace("ى ", "ي ").replace(" ال", " الْ"))


def needles(article: str, count: int = 200, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    words = article.split()
    out = []
    for i in range(count):
        at = rng.randrange(0, len(words) - 20)
        phrase = " ".join(words[at:at + rng.randint(6, 18)])
        kind = i % 4
        if kind == 1:
            phrase = _respell(phrase)
        elif kind == 2:
            parts = phrase.split()
            del parts[len(parts) // 2]
            phrase = " ".join(parts)
        elif kind == 3:
            phrase = "قال المتحدث إن الاجتماع المقبل سيعقد في مدينة لم يذكرها أحد من قبل " \
                     f"رقم {i}"
        out.append(phrase)
    return out


def bench_grounding() -> dict[str, Any]:
    article = long_article()
    quotes = needles(article)
    best = float("inf")
    found: dict[str, int] = {}
    for _ in range(3):
        started = time.perf_counter()
        index = ArticleIndex(article)
        results = [index.locate(q) for q in quotes]
        best = min(best, time.perf_counter() - started)
        found = {g: sum(r.grounding == g for r in results) for g in ("exact", "fuzzy", "none")}
    return {"path": f"ground 200 quotes in a {len(article):,}-char article", "seconds": best,
            "detail": found}


def _perturb(gold: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    pred = copy.deepcopy(gold)
    for kind in ("entities", "events", "quotes", "positions"):
        records = pred[kind]
        if records and kind != "entities":
            del records[rng.randrange(len(records))]
    for event in pred["events"]:
        event["type"] = rng.choice(["CONSULT", "AGREE", "COOPERATE"])
    return pred


def bench_scoring(articles: int = 100) -> dict[str, Any]:
    golds = [json.loads(p.read_text(encoding="utf-8"))
             for p in sorted((SUITE / "gold").glob("*.json"))]
    rng = random.Random(5)
    pairs = [(golds[i % len(golds)], _perturb(golds[i % len(golds)], rng))
             for i in range(articles)]
    best = float("inf")
    summary: dict[str, Any] = {}
    for _ in range(3):
        _normalized.cache_clear()  # each run starts cold
        started = time.perf_counter()
        summary = suite_summary([score_article(g, p) for g, p in pairs])
        best = min(best, time.perf_counter() - started)
    f1 = {k: round(summary["kinds"][k]["f1"], 2) for k in summary["kinds"]} \
        if "kinds" in summary else {}
    return {"path": f"score a {articles}-article suite", "seconds": best, "detail": f1}


def main() -> list[dict[str, Any]]:
    rows = [bench_grounding(), bench_scoring()]
    print("| path | seconds (best of 3) | detail |")
    print("|---|---|---|")
    for row in rows:
        print(f"| {row['path']} | {row['seconds']:.3f} | {row['detail']} |")
    return rows


if __name__ == "__main__":
    main()
