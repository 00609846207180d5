"""Turn a model's draft into contract records: ids, linked actors, grounded spans, dates.

Pure logic, no I/O. The draft names actors as written; here they become entity ids. Every
verbatim text is located in the article (``service.grounding``), dates are resolved against the
publication date (``service.dates``), duplicates are folded, and anything doubtful is reported
as a warning rather than silently kept or dropped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from schemas.contract import (Entity, Event, EventDate, Location, Participant, Position, Quote,
                              Span)
from schemas.draft import Draft, DraftEntity
from service.arabic.mentions import spans_of
from service.dates import resolve_date
from service.grounding import ArticleIndex, Located
from service.normalize import normalize


@dataclass
class Resolved:
    entities: list[Entity] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    positions: list[Position] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Actor:
    entity: DraftEntity
    forms: list[str]  # normalised name and aliases
    referenced: bool = False


class _Actors:
    """Entities merged by normalised name, and the lookup from any written form to one."""

    def __init__(self, warnings: list[str]):
        self._warnings = warnings
        self.actors: list[_Actor] = []
        self._by_form: dict[str, _Actor] = {}  # normalised name or alias → its actor

    def add(self, draft: DraftEntity) -> None:
        forms = [f for f in dict.fromkeys(normalize(n) for n in [draft.name, *draft.aliases]) if f]
        existing = self._find_exact(forms)
        if existing is not None:
            known = existing.entity
            merged = known.model_copy(update={
                "aliases": [*known.aliases, *(n for n in [draft.name, *draft.aliases]
                                              if normalize(n) not in existing.forms)],
                "name_en": known.name_en or draft.name_en, "title": known.title or draft.title,
                "country": known.country or draft.country,
                "spans": [*known.spans, *draft.spans]})
            existing.entity = merged
            existing.forms = list(dict.fromkeys([*existing.forms, *forms]))
            for form in forms:
                self._by_form.setdefault(form, existing)
            return
        self.actors.append(_Actor(draft, forms))
        for form in forms:
            self._by_form.setdefault(form, self.actors[-1])

    def _find_exact(self, forms: list[str]) -> _Actor | None:
        # The actor listed first among those that have one of the forms.
        found = [self._by_form[f] for f in forms if f in self._by_form]
        return min(found, key=self.actors.index) if len(found) > 1 else (
            found[0] if found else None)

    def link(self, name: str, *, default_type: str = "other") -> _Actor:
        """The actor a written name refers to, creating one if the model never listed it."""
        form = normalize(name)
        actor = self._find_exact([form])
        if actor is None and form:
            # "لافروف" names the same man as "سيرغي لافروف": match on whole words contained.
            words = set(form.split())
            contained = [a for a in self.actors
                         if any(words <= set(f.split()) or set(f.split()) <= words
                                for f in a.forms)]
            if len(contained) == 1:
                actor = contained[0]
        if actor is None and form:
            scored = [(max(fuzz.ratio(form, f) for f in a.forms), a) for a in self.actors
                      if a.forms]
            best = max(scored, key=lambda pair: pair[0], default=(0.0, None))
            if best[0] >= 90 and best[1] is not None:
                actor = best[1]
        if actor is None:
            self._warnings.append(f"'{name}' was not among the listed entities; added it")
            self.add(DraftEntity(name=name, type=default_type))  # type: ignore[arg-type]
            actor = self.actors[-1]
        actor.referenced = True
        return actor


def _span(located: Located) -> Span:
    return Span(text=located.text, start=located.start, end=located.end,
                grounding=located.grounding)


def resolve(draft: Draft, text: str, *, published: dt.date | None = None,
            strict_grounding: bool = False, fuzzy_threshold: float = 85.0) -> Resolved:
    out = Resolved()
    index = ArticleIndex(text, fuzzy_threshold=fuzzy_threshold)
    actors = _Actors(out.warnings)
    for entity in draft.entities:
        actors.add(entity)

    def grounded(kind: str, needle: str, at: tuple[int, int] | None = None) -> Located | None:
        # Offsets a reader of the article supplied are used when the text really is there
        # (a repeated sentence is then the right occurrence); otherwise the text is searched.
        if at is not None and 0 <= at[0] < at[1] <= len(text) and text[at[0]:at[1]] == needle:
            return Located(needle, at[0], at[1], "exact")
        located = index.locate(needle)
        if located.grounding == "none":
            if strict_grounding:
                out.warnings.append(f"dropped {kind}: text not found in the article: "
                                    f"{needle[:80]!r}")
                return None
            out.warnings.append(f"{kind} text not found in the article: {needle[:80]!r}")
        return located

    events: list[tuple[Located, object]] = []
    seen_events: set[tuple[object, ...]] = set()
    for ev in draft.events:
        located = grounded("event", ev.evidence, ev.at)
        if located is None:
            continue
        participants: list[tuple[_Actor, str]] = []
        for p in ev.participants:
            actor = actors.link(p.name)
            if all(a is not actor or r != p.role for a, r in participants):
                participants.append((actor, p.role))
        # Several talks reported in one sentence share their evidence (evals/GUIDE.md): the
        # same clause is the same event only with the same participants too.
        key = (located.start, located.end, ev.type, ev.mode,
               frozenset((id(a), r) for a, r in participants))
        if located.grounding != "none" and key in seen_events:
            continue
        seen_events.add(key)
        date = None
        if ev.date:
            value, end = resolve_date(ev.date, published)
            date = (ev.date, value, end)
        events.append((located, (ev, participants, date)))

    quotes: list[tuple[Located, object]] = []
    seen_quotes: set[tuple[int, int, int]] = set()
    for q in draft.quotes:
        located = grounded("quote", q.text, q.at)
        if located is None:
            continue
        speaker = actors.link(q.speaker, default_type="person")
        if located.grounding != "none":
            # The same words said twice by two people are two quotes.
            if (located.start, located.end, id(speaker)) in seen_quotes:
                continue
            seen_quotes.add((located.start, located.end, id(speaker)))
        quotes.append((located, (q, speaker)))

    positions: list[tuple[Located, object]] = []
    for p in draft.positions:
        located = grounded("position", p.evidence, p.at)
        if located is None:
            continue
        holder = actors.link(p.holder)
        target = actors.link(p.target) if p.target else None
        positions.append((located, (p, holder, target)))

    # Entities: keep what the article names (decided with the mentions below, which read
    # clitics: "للعراق" names Iraq) or what a kept record points at.
    ids: dict[int, str] = {}
    for actor in actors.actors:
        e = actor.entity
        ids[id(actor)] = f"E{len(ids) + 1}"
        name = e.name
        located = index.locate(name)
        if located.grounding != "none" and normalize(located.text) == normalize(name):
            name = located.text  # the article's own spelling
        aliases = [a for a in dict.fromkeys(e.aliases) if normalize(a) != normalize(name)]
        out.entities.append(Entity(id=ids[id(actor)], type=e.type, name=name, aliases=aliases,
                                   name_en=e.name_en, title=e.title, country=e.country))

    known_spans = {ids[id(a)]: a.entity.spans for a in actors.actors if id(a) in ids}
    referenced = {ids[id(a)] for a in actors.actors if a.referenced}
    dropped = _attach_mentions(out, text, strict_grounding, known_spans, referenced)

    for n, (located, (ev, participants, date)) in enumerate(events, start=1):  # type: ignore[misc]
        out.events.append(Event(
            id=f"V{n}", type=ev.type, mode=ev.mode, summary_en=ev.summary_en,
            participants=[Participant(entity=ids[id(a)], role=r) for a, r in participants
                          if ids[id(a)] not in dropped],
            date=EventDate(text=date[0], value=date[1], end=date[2]) if date else None,
            location=Location(text=ev.location, name_en=ev.location_en) if ev.location else None,
            status=ev.status, evidence=_span(located)))
    quotes = [(loc, (q, sp)) for loc, (q, sp) in quotes  # type: ignore[misc]
              if ids[id(sp)] not in dropped]
    positions = [(loc, (p, h, t)) for loc, (p, h, t) in positions  # type: ignore[misc]
                 if ids[id(h)] not in dropped and (t is None or ids[id(t)] not in dropped)]
    for n, (located, (q, speaker)) in enumerate(quotes, start=1):  # type: ignore[misc]
        out.quotes.append(Quote(id=f"Q{n}", speaker=ids[id(speaker)], kind=q.kind, cue=q.cue,
                                text=located.text, start=located.start, end=located.end,
                                grounding=located.grounding))
    for n, (located, (p, holder, target)) in enumerate(positions, start=1):  # type: ignore[misc]
        out.positions.append(Position(id=f"P{n}", holder=ids[id(holder)], stance=p.stance,
                                      topic_en=p.topic_en,
                                      target=ids[id(target)] if target else None,
                                      evidence=_span(located)))
    if dropped:
        # Ids stay dense and in order of first mention after entities are dropped.
        _renumber(out)
    return out


def _attach_mentions(out: Resolved, text: str, strict: bool,
                     known: dict[str, list[tuple[int, int]]], referenced: set[str]
                     ) -> set[str]:
    """Fill ``Entity.mentions`` (where the article writes the name or an alias, and the spans
    a reader of the article already gave, such as "بلاده" for the speaker's state). An entity
    the article never names is dropped when nothing points at it; when something does it is
    flagged, and dropped with what points at it under ``strict``. Returns the ids dropped."""
    found = spans_of(text, {n: [e.name, *e.aliases] for n, e in enumerate(out.entities)})
    dropped: set[str] = set()
    kept: list[Entity] = []
    for n, entity in enumerate(out.entities):
        given = [(a, b) for a, b in known.get(entity.id, []) if 0 <= a < b <= len(text)]
        spans = [Span(text=text[s:e], start=s, end=e, grounding="exact")
                 for s, e in sorted(set(found[n]) | set(given))]
        if not spans and entity.id not in referenced:
            out.warnings.append(f"dropped entity not found in the article: "
                                f"{entity.name[:80]!r}")
            dropped.add(entity.id)
            continue
        if not spans:
            if strict:
                out.warnings.append(f"dropped entity {entity.id} ({entity.name[:80]!r}) and "
                                    "every record that points at it: the article never names it")
                dropped.add(entity.id)
                continue
            out.warnings.append(f"entity {entity.id} ({entity.name[:80]!r}) is never named in "
                                "the article: no mention found")
        kept.append(entity.model_copy(update={"mentions": spans}))
    out.entities = kept
    return dropped


def _renumber(out: Resolved) -> None:
    new = {e.id: f"E{n}" for n, e in enumerate(out.entities, start=1)}
    out.entities = [e.model_copy(update={"id": new[e.id]}) for e in out.entities]
    out.events = [v.model_copy(update={"participants": [
        p.model_copy(update={"entity": new[p.entity]}) for p in v.participants]})
        for v in out.events]
    out.quotes = [q.model_copy(update={"speaker": new[q.speaker]}) for q in out.quotes]
    out.positions = [p.model_copy(update={"holder": new[p.holder],
                                          "target": new[p.target] if p.target else None})
                     for p in out.positions]
