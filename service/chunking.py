"""Long articles: cut into overlapping chunks on paragraph and sentence boundaries, and the
chunks' drafts put back together.

Pure logic. Chunks are stretches of the article (offsets into it), so whatever is found in a
chunk is found again, by grounding, in the whole article. The overlap repeats the end of one
chunk at the start of the next, so a sentence on a seam is whole in at least one of them;
the records it yields twice are removed when the merged draft is resolved (identical spans)
and by :func:`drop_overlap_duplicates` (spans that overlap most of each other).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from schemas.contract import Event, Position, Quote
from schemas.draft import Draft, DraftEntity, DraftEvent, DraftPosition, DraftQuote

# Where a cut may fall, best first: a paragraph break, the end of a sentence, any space.
_PARAGRAPH = re.compile(r"\n\s*")
_SENTENCE = re.compile(r"[.!?؟۔…]+[\"'”»)]*\s+")
_SPACE = re.compile(r"\s+")


R = TypeVar("R", Quote, Event, Position)


@dataclass(frozen=True)
class Chunk:
    start: int
    end: int


def _last_break(text: str, lo: int, hi: int) -> int | None:
    """The last boundary in ``text[lo:hi]`` (the offset just after it), best kind first."""
    for pattern in (_PARAGRAPH, _SENTENCE, _SPACE):
        found = None
        for match in pattern.finditer(text, lo, hi):
            found = match.end()
        if found is not None and found > lo:
            return found
    return None


def split(text: str, max_chars: int, overlap_chars: int = 0) -> list[Chunk]:
    """Chunks of at most ``max_chars`` covering ``text``, consecutive ones sharing about
    ``overlap_chars`` (started at a boundary too)."""
    if max_chars <= 0:
        raise ValueError("max_chars must be positive")
    overlap_chars = max(0, min(overlap_chars, max_chars // 2))
    chunks: list[Chunk] = []
    start = 0
    while start < len(text):
        hard_end = min(len(text), start + max_chars)
        end = hard_end
        if hard_end < len(text):
            # Cut at a boundary in the second half of the window, never in the first.
            end = _last_break(text, start + max_chars // 2, hard_end) or hard_end
        chunks.append(Chunk(start, end))
        if end >= len(text):
            break
        # The next chunk starts at a boundary inside the overlap, or right at ``end``.
        back = _last_break(text, max(start + 1, end - overlap_chars), end - 1) \
            if overlap_chars else None
        start = back if back is not None and back > start else end
    return chunks


def merge_drafts(drafts: list[Draft]) -> Draft:
    """One draft holding every chunk's records, in chunk order. Built without validation:
    together they may exceed the per-call list bounds that only exist for the model's sake."""
    return Draft.model_construct(
        entities=[e for d in drafts for e in d.entities],
        events=[e for d in drafts for e in d.events],
        quotes=[q for d in drafts for q in d.quotes],
        positions=[p for d in drafts for p in d.positions])


def unbounded_draft(data: dict[str, object]) -> Draft:
    """A merged draft rebuilt from its dump (after the prompt-echo screen): each record is
    validated, the list lengths are not."""
    kinds = {"entities": DraftEntity, "events": DraftEvent, "quotes": DraftQuote,
             "positions": DraftPosition}
    return Draft.model_construct(**{
        kind: [model.model_validate(r) for r in data.get(kind, [])]  # type: ignore[union-attr]
        for kind, model in kinds.items()})


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> float:
    if a[0] < 0 or b[0] < 0:
        return 0.0
    inter = min(a[1], b[1]) - max(a[0], b[0])
    return inter / min(a[1] - a[0], b[1] - b[0]) if inter > 0 else 0.0


def drop_overlap_duplicates(quotes: list[Quote], events: list[Event], positions: list[Position],
                            threshold: float = 0.8) -> tuple[list[Quote], list[Event],
                                                              list[Position]]:
    """Drop a record whose span lies mostly within an earlier one's of the same kind and
    actor (the same sentence read twice, once in each of two overlapping chunks)."""
    def keep(records: list[R], span: Callable[[R], tuple[int, int]],
             same: Callable[[R, R], bool]) -> list[R]:
        kept: list[R] = []
        for record in records:
            if not any(same(record, k) and _overlap(span(record), span(k)) >= threshold
                       for k in kept):
                kept.append(record)
        return kept

    return (keep(quotes, lambda q: (q.start, q.end), lambda a, b: a.speaker == b.speaker),
            keep(events, lambda e: (e.evidence.start, e.evidence.end),
                 # Several talks told in one sentence share it: the same only with the same
                 # mode and participants too (evals/GUIDE.md).
                 lambda a, b: a.type == b.type and a.mode == b.mode and
                 {(p.entity, p.role) for p in a.participants} ==
                 {(p.entity, p.role) for p in b.participants}),
            keep(positions, lambda p: (p.evidence.start, p.evidence.end),
                 lambda a, b: a.holder == b.holder and a.stance == b.stance))
