"""An :class:`Analysis` as the :class:`~schemas.draft.Draft` every provider fills, so the
resolver, grounding, cache, chunking, batch, review page and evals treat it like any answer."""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from schemas.draft import Draft, DraftEntity, DraftEvent, DraftPosition, DraftQuote
from service.arabic.analysis import Analysis
from service.arabic.events import Event
from service.arabic.mentions import Actor
from service.arabic.text import fold

M = TypeVar("M", bound=BaseModel)
MAX_RECORDS = 2000  # the draft's list bound
# States and bodies named only that way are not actors: "في تونس" only locates; a body named
# in passing inside someone's words is not presented acting (evals/GUIDE.md).

_VERBS = {
    "meet": "met", "phone_call": "held a phone call with", "visit": "visited",
    "sign_agreement": "signed an agreement with", "agree": "agreed with",
    "adopt_declaration": "adopted a declaration", "join_organization": "joined",
    "found_organization": "founded", "apply_membership": "applied to join",
    "deliver_weapons": "delivered weapons to", "deliver_aid": "delivered aid to",
    "withdraw_troops": "withdrew troops from", "seize_territory": "took control in",
    "impose_sanctions": "imposed sanctions on", "pledge_support": "pledged support to",
    "veto": "vetoed a draft resolution", "adopt_resolution": "adopted a resolution",
}


def _label(actor: Actor) -> str:
    return actor.name_en or actor.name


def summary(event: Event) -> str:
    by_role: dict[str, list[str]] = {}
    for actor, role in event.participants:
        by_role.setdefault(role, []).append(_label(actor))
    actors = by_role.get("actor") or by_role.get("attendee") or []
    others = by_role.get("counterpart") or by_role.get("target") or by_role.get("host") or []
    when = {"planned": " (planned)", "postponed_or_cancelled": " (postponed or cancelled)",
            "ongoing": " (ongoing)"}.get(event.status, "")
    place = f" in {event.location[1] or event.location[0]}" if event.location else ""
    if event.mode == "summit":
        host = " and ".join(by_role.get("host", [])) or "a multilateral"
        who = f" attended by {', '.join(actors)}" if actors else ""
        return f"A {host} meeting{place}{who}{when}."
    subject = " and ".join(actors) or "The parties"
    verb = _VERBS.get(event.mode, event.mode.replace("_", " "))
    obj = " and ".join(others)
    return f"{subject} {verb}{' ' + obj if obj else ''}{place}{when}."


def _listed_only(analysis: Analysis, actor: Actor) -> bool:
    """A state named only in an enumeration after a colon ("… 5 دول هي: إيران والصين …")."""
    text = analysis.text
    for start, _ in actor.mentions:
        line_start = max(text.rfind("\n", 0, start), text.rfind(".", 0, start)) + 1
        if ":" not in text[line_start:start]:
            return False
    return bool(actor.mentions)


def _valid(model: type[M], **fields: Any) -> M | None:
    """The record, or None when it breaks the draft's bounds (a "name" of hundreds of
    characters read from hostile text): it is left out rather than failing the article."""
    try:
        return model.model_validate(fields)
    except ValidationError:
        return None


def _kept(records: Iterable[M | None]) -> list[M]:
    return [r for r in records if r is not None][:MAX_RECORDS]


def to_draft(analysis: Analysis) -> Draft:
    text = analysis.text
    referenced: set[str] = set()
    for q in analysis.quotes:
        if q.speaker is not None:
            referenced.add(q.speaker.key)
    for e in analysis.events:
        referenced.update(a.key for a, _ in e.participants)
    for p in analysis.positions:
        referenced.add(p.holder.key)
        if p.target is not None:
            referenced.add(p.target.key)
    quoted = sorted((q.start, q.end) for q in analysis.quotes)
    kinds: dict[str, set[str]] = {}
    for m in analysis.mentions.mentions:
        kinds.setdefault(m.actor.key, set()).add(m.kind)
    actors = [a for a in analysis.actors if a.mentions and (
        a.key in referenced or not (_listed_only(analysis, a) and a.type == "country"
                                    or a.type == "country" and kinds.get(a.key) == {"place"}
                                    or a.type != "person" and _inside(a.mentions, quoted)))]
    # A form two actors share ("الوزير") would merge them downstream: keep it for neither.
    counts = Counter(fold(f) for a in actors for f in {fold(x) for x in [a.name, *a.forms]})
    names = {fold(a.name) for a in actors}
    entities = []
    for a in actors:
        aliases = [f for f in a.forms if counts[fold(f)] == 1 and fold(f) not in names
                   and fold(f) != fold(a.name)]
        entity = _valid(DraftEntity, name=a.name, type=a.type, name_en=a.name_en,
                        title=a.title, country=a.country, spans=a.mentions,
                        aliases=[f for f in dict.fromkeys(aliases) if len(f) <= 300])
        if entity is not None:
            entities.append(entity)
    entities = entities[:MAX_RECORDS]
    kept = {fold(e.name) for e in entities}
    keys = {a.key for a in actors if fold(a.name) in kept}
    events = _kept(_valid(
        DraftEvent, evidence=text[e.start:e.end], type=e.type, mode=e.mode,
        summary_en=summary(e)[:2000],
        participants=[{"name": a.name, "role": r} for a, r in e.participants if a.key in keys],
        date=e.date[0] if e.date else None,
        location=e.location[0] if e.location else None,
        location_en=e.location[1] if e.location else None,
        status=e.status, at=(e.start, e.end)) for e in analysis.events)
    quotes = _kept(_valid(DraftQuote, speaker=q.speaker.name, cue=q.cue or "قال", kind=q.kind,
                          text=text[q.start:q.end], at=(q.start, q.end))
                   for q in analysis.quotes if q.speaker is not None and q.speaker.key in keys)
    positions = _kept(_valid(
        DraftPosition, holder=p.holder.name, stance=p.stance, topic_en=p.topic_en[:1000],
        target=p.target.name if p.target and p.target.key in keys else None,
        evidence=text[p.start:p.end], at=(p.start, p.end))
        for p in analysis.positions if p.holder.key in keys)
    return Draft(entities=entities, events=events, quotes=quotes, positions=positions)


def _inside(spans: list[tuple[int, int]], quoted: list[tuple[int, int]]) -> bool:
    """Every span starts inside one of the (sorted) quoted stretches."""
    starts = [s for s, _ in quoted]
    for a, _ in spans:
        k = bisect.bisect_right(starts, a) - 1
        if k < 0 or not quoted[k][0] <= a < quoted[k][1]:
            return False
    return True
