"""An :class:`Analysis` as the :class:`~schemas.draft.Draft` every provider fills, so the
resolver, grounding, cache, chunking, batch, review page and evals treat it like any answer."""

from __future__ import annotations

from collections import Counter

from schemas.draft import (Draft, DraftEntity, DraftEvent, DraftParticipant, DraftPosition,
                           DraftQuote)
from service.arabic.analysis import Analysis
from service.arabic.events import Event
from service.arabic.mentions import Actor
from service.arabic.text import fold

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


def _only_placed(analysis: Analysis, actor: Actor) -> bool:
    """A state that only locates things ("في تونس"): a place, not an actor (evals/GUIDE.md)."""
    kinds = [m.kind for m in analysis.mentions.mentions if m.actor is actor]
    return actor.type == "country" and bool(kinds) and all(k == "place" for k in kinds)


def _only_quoted(analysis: Analysis, actor: Actor) -> bool:
    """A state or body named only in passing inside someone's words."""
    if actor.type == "person":
        return False
    spans = [(q.start, q.end) for q in analysis.quotes]
    return all(any(s <= a < e for s, e in spans) for a, _ in actor.mentions)


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
    actors = [a for a in analysis.actors if a.mentions and (
        a.key in referenced or not (_listed_only(analysis, a) and a.type == "country"
                                    or _only_placed(analysis, a) or _only_quoted(analysis, a)))]
    # A form two actors share ("الوزير") would merge them downstream: keep it for neither.
    counts = Counter(fold(f) for a in actors for f in {fold(x) for x in [a.name, *a.forms]})
    names = {fold(a.name) for a in actors}
    entities = []
    for a in actors:
        aliases = [f for f in a.forms if counts[fold(f)] == 1 and fold(f) not in names
                   and fold(f) != fold(a.name)]
        entities.append(DraftEntity(name=a.name, type=a.type, name_en=a.name_en,  # type: ignore[arg-type]
                                    title=a.title, country=a.country,
                                    aliases=list(dict.fromkeys(aliases))))
    kept = {a.key for a in actors}
    events = [DraftEvent(
        evidence=text[e.start:e.end], type=e.type, mode=e.mode,  # type: ignore[arg-type]
        summary_en=summary(e),
        participants=[DraftParticipant(name=a.name, role=r)  # type: ignore[arg-type]
                      for a, r in e.participants if a.key in kept],
        date=e.date[0] if e.date else None,
        location=e.location[0] if e.location else None,
        location_en=e.location[1] if e.location else None,
        status=e.status) for e in analysis.events]  # type: ignore[arg-type]
    quotes = [DraftQuote(speaker=q.speaker.name, cue=q.cue or "قال", kind=q.kind,  # type: ignore[arg-type]
                         text=text[q.start:q.end])
              for q in analysis.quotes if q.speaker is not None and q.speaker.key in kept]
    positions = [DraftPosition(holder=p.holder.name, stance=p.stance,  # type: ignore[arg-type]
                               topic_en=p.topic_en,
                               target=p.target.name if p.target and p.target.key in kept
                               else None, evidence=text[p.start:p.end])
                 for p in analysis.positions if p.holder.key in kept]
    return Draft(entities=entities, events=events, quotes=quotes, positions=positions)
