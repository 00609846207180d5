"""Two drafts of one article as one: the union, a record both found kept once.

Pure logic. Records are the same when their texts overlap after normalisation (quotes: the
quoted words; events and positions: the evidence) and they agree on what matters (an event's
type, a position's holder); entities when a normalised name or alias is shared.
"""

from __future__ import annotations

from schemas.draft import Draft
from service.normalize import normalize


def _overlaps(a: str, b: str) -> bool:
    na, nb = normalize(a), normalize(b)
    return bool(na and nb) and (na in nb or nb in na)


def merge_drafts(first: Draft, second: Draft) -> Draft:
    """``first`` whole, then what ``second`` adds. Entities are simply put together: the
    resolver merges those sharing a name or alias, keeping every form of each."""
    entities = [*first.entities, *second.entities]
    quotes = list(first.quotes) + [q for q in second.quotes
                                   if not any(_overlaps(q.text, p.text) for p in first.quotes)]
    events = list(first.events) + [
        v for v in second.events
        if not any(v.type == w.type and _overlaps(v.evidence, w.evidence) for w in first.events)]
    positions = list(first.positions) + [
        p for p in second.positions
        if not any(normalize(p.holder) == normalize(r.holder) and _overlaps(p.evidence, r.evidence)
                   for r in first.positions)]
    return Draft.model_construct(entities=entities, events=events, quotes=quotes,
                                 positions=positions)
