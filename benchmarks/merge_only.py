"""Scores of the merge-only composition: the rules' draft united with the embedded model's own
draft (no candidates in its prompt), from the model answers an earlier run left in the cache.

Run `khabar evals run SUITE --provider local` first with KHABAR_CACHE_DIR=DIR, then
    python benchmarks/merge_only.py DIR [SUITE …]
Articles whose model answer is not in the cache are reported and left out.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evals.scoring import score_article, suite_summary  # noqa: E402
from evals.suite import load_suite  # noqa: E402
from schemas.contract import Article, ExtractionResponse, ExtractRequest, Meta  # noqa: E402
from schemas.draft import Draft  # noqa: E402
from service.arabic.analysis import analyze  # noqa: E402
from service.arabic.drafting import to_draft  # noqa: E402
from service.arabic.merge import merge_drafts  # noqa: E402
from service.extractor import Extractor  # noqa: E402
from service.resolver import resolve  # noqa: E402
from service.settings import Settings  # noqa: E402


def main(cache_dir: Path, suites: list[Path]) -> None:
    extractor = Extractor(Settings(provider="local", cache_dir=cache_dir))
    for folder in suites:
        suite = load_suite(folder)
        scores: dict[str, list] = {}
        missing: list[str] = []
        for article in suite.articles:
            key = extractor.key_for(ExtractRequest(text=article.text, provider="local"))
            cached = extractor.cache.get(key, Draft)
            if cached is None or article.gold is None:
                missing.append(article.id)
                continue
            ours = to_draft(analyze(article.text))
            for name, draft in (("rules", ours), ("rules ∪ local", merge_drafts(ours,
                                                                              cached.value))):
                resolved = resolve(draft, article.text, published=article.published)
                response = ExtractionResponse(
                    article=Article(id=article.id), entities=resolved.entities,
                    events=resolved.events, quotes=resolved.quotes,
                    positions=resolved.positions,
                    meta=Meta(provider=name, model="merge-only", prompt_version="-"))
                scores.setdefault(name, []).append(
                    score_article(article.gold, response.model_dump(mode="json")))
        print(f"## {suite.name}: {len(scores.get('rules', []))} articles"
              + (f"; no cached model answer for {', '.join(missing)}" if missing else ""))
        print("| composition | entities | events | quotes | positions |\n|---|---|---|---|---|")
        for name, kept in scores.items():
            kinds = suite_summary(kept)["kinds"]
            print(f"| {name} | " + " | ".join(
                f"{c['precision']:.2f} / {c['recall']:.2f} / {c['f1']:.2f}"
                for c in kinds.values()) + " |")
        print()


if __name__ == "__main__":
    folders = [Path(p) for p in sys.argv[2:]] or sorted(
        p for p in (ROOT / "evals" / "suites").iterdir() if (p / "suite.toml").is_file())
    main(Path(sys.argv[1]), folders)
