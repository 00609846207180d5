"""Inter-annotator agreement: one labelling scored against another with the eval scorer.

The result has the shape of a suite run (``results.json``), with the second annotator in the
place of the provider, so the same table, markdown and HTML reports show where two people
following the guide parted ways. F1 is symmetric: swapping the two labellings swaps precision
and recall and leaves F1 unchanged.
"""

from __future__ import annotations

from typing import Any

from evals.scoring import article_summary, score_article, suite_summary
from schemas.contract import SCHEMA_VERSION


def agreement(first: dict[str, dict[str, Any]], second: dict[str, dict[str, Any]]
              ) -> dict[str, Any]:
    """Score ``second`` against ``first`` on the articles both labelled."""
    shared = sorted(set(first) & set(second))
    if not shared:
        raise ValueError("the two labellings share no article")
    articles, scores = [], []
    for article_id in shared:
        score = score_article(first[article_id], second[article_id])
        scores.append(score)
        articles.append({"id": article_id, "seconds": 0.0, "error": None,
                         "prediction": second[article_id], "usage": None, "cached": None,
                         "scores": article_summary(score), "matches": score.matches})

    def who(docs: dict[str, dict[str, Any]]) -> str:
        return ", ".join(sorted({d.get("meta", {}).get("model", "?") for d in docs.values()}))

    return {
        "suite": "agreement", "provider": who({k: second[k] for k in shared}),
        "model": f"against {who({k: first[k] for k in shared})}",
        "prompt_version": "guide", "schema_version": SCHEMA_VERSION, "finished": None,
        "seconds": 0.0, "tokens": {"prompt": 0, "completion": 0},
        "overall": suite_summary(scores), "articles": articles,
    }
