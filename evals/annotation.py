"""Turn a hand-written annotation into a gold file with exact offsets.

Annotators write spans as the text they read (copied from the article), not as offsets:
counting code points in Arabic by hand is where labelling goes wrong. This module finds every
span in the article, refuses anything that is not there verbatim or is ambiguous, and emits a
contract-shaped gold document. Entity mentions (contract 1.1) are found from the names and aliases the annotator wrote.
Pure logic: no files, no model.

Annotation shape — the contract without offsets, ids written by the annotator:
  quotes:    {"id", "speaker", "kind", "cue", "text", "occurrence"?}
  events:    {..., "evidence": "clause"} or {"evidence": {"text": "...", "occurrence": 2}}
  positions: {..., "evidence": ...} as for events
``occurrence`` (1-based) picks among repeated strings; without it a repeated span is an error.
"""

from __future__ import annotations

from typing import Any

from rapidfuzz import fuzz

from schemas.contract import SCHEMA_VERSION, ExtractionResponse
from service.arabic.mentions import spans_of


class AnnotationError(ValueError):
    """Every problem found in one annotation, so an annotator fixes them in one pass."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _closest(article: str, text: str) -> str:
    if not text:
        return ""
    hit = fuzz.partial_ratio_alignment(text, article)
    return article[hit.dest_start:hit.dest_end] if hit.score >= 60 else ""


def locate(article: str, text: str, occurrence: int | None) -> tuple[int, int] | str:
    """Offsets of ``text`` in ``article`` or a message saying why they cannot be chosen."""
    if not text or text != text.strip():
        return f"span {text!r} is empty or starts/ends with whitespace"
    starts, at = [], article.find(text)
    while at != -1:
        starts.append(at)
        at = article.find(text, at + 1)
    if not starts:
        near = _closest(article, text)
        return f"span not in the article verbatim: {text!r}" + (
            f"; closest passage: {near!r}" if near else "")
    if occurrence is None:
        if len(starts) > 1:
            return (f"span occurs {len(starts)} times, add \"occurrence\" (1..{len(starts)}): "
                    f"{text!r}")
        occurrence = 1
    if not 1 <= occurrence <= len(starts):
        return f"occurrence {occurrence} asked but span occurs {len(starts)} times: {text!r}"
    start = starts[occurrence - 1]
    return start, start + len(text)


def _span(article: str, value: Any, where: str, problems: list[str]) -> dict:
    text, occurrence = (value.get("text", ""), value.get("occurrence")) \
        if isinstance(value, dict) else (value, None)
    found = locate(article, text if isinstance(text, str) else "", occurrence)
    if isinstance(found, str):
        problems.append(f"{where}: {found}")
        return {"text": text, "start": -1, "end": -1, "grounding": "none"}
    return {"text": text, "start": found[0], "end": found[1], "grounding": "exact"}


def with_mentions(article: str, entities: list[dict]) -> list[dict]:
    """Entities with ``mentions``: every place the article writes the name or an alias (a
    joined و/ب/ل left outside the span). The annotator checks them in the report; an alias
    two entities share would be found for both, so the guide keeps bare shared titles out."""
    found = spans_of(article, {n: [e.get("name", ""), *e.get("aliases", [])]
                               for n, e in enumerate(entities)})
    return [{**e, "mentions": [{"text": article[a:b], "start": a, "end": b,
                                "grounding": "exact"} for a, b in found[n]]}
            for n, e in enumerate(entities)]


def resolve(article_id: str, article: str, annotation: dict, annotator: str = "gold"
            ) -> dict:
    """A validated gold document, or ``AnnotationError`` listing every problem."""
    problems: list[str] = []
    quotes = []
    for q in annotation.get("quotes", []):
        q = dict(q)
        span = _span(article, {"text": q.get("text", ""), "occurrence": q.pop("occurrence",
                                                                              None)},
                     f"quote {q.get('id')}", problems)
        quotes.append({**q, "text": span["text"], "start": span["start"], "end": span["end"],
                       "grounding": span["grounding"]})
    events = [{**e, "evidence": _span(article, e.get("evidence", ""), f"event {e.get('id')}",
                                      problems)}
              for e in annotation.get("events", [])]
    positions = [{**p, "evidence": _span(article, p.get("evidence", ""),
                                         f"position {p.get('id')}", problems)}
                 for p in annotation.get("positions", [])]
    entities = with_mentions(article, annotation.get("entities", []))
    document = {
        "schema_version": SCHEMA_VERSION,
        "article": {"id": article_id, "language": "ar", **annotation.get("article", {})},
        "entities": entities,
        "events": events, "quotes": quotes, "positions": positions,
        "meta": {"provider": "gold", "model": annotator, "prompt_version": "guide-1",
                 "cached": False, "latency_ms": 0,
                 "usage": {"prompt_tokens": 0, "completion_tokens": 0}, "warnings": []},
    }
    if problems:
        raise AnnotationError(problems)
    try:
        return ExtractionResponse.model_validate(document).model_dump(mode="json")
    except ValueError as exc:
        raise AnnotationError([str(exc)]) from exc
