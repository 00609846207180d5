"""One article in, everything the language layer finds out: mentions, quotes, events and
positions, with exact offsets. Pure: no I/O, no model."""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass

from service.arabic.events import Event, find_events
from service.arabic.lexicon import Lexicon, load
from service.arabic.mentions import Actor, Mention, Mentions, find_mentions
from service.arabic.speech import Quote, find_quotes
from service.arabic.stances import Position, find_positions
from service.arabic.text import Region, Sentence, Token, quoted_regions, sentences, tokenize

_FURNITURE = ("المصدر", "الصورة", "تصوير", "اقرأ أيضا", "اقرأ أيضاً", "مجموعة الرؤية")


@dataclass
class Analysis:
    text: str
    tokens: list[Token]
    sentences: list[Sentence]
    regions: list[Region]
    mentions: Mentions
    quotes: list[Quote]
    events: list[Event]
    positions: list[Position]

    @property
    def actors(self) -> list[Actor]:
        return self.mentions.actors


def _token_ranges(tokens: list[Token], sents: list[Sentence]) -> list[tuple[int, int]]:
    starts = [t.start for t in tokens]
    return [(bisect.bisect_left(starts, s.start), bisect.bisect_left(starts, s.end))
            for s in sents]


def _headline(text: str, sents: list[Sentence]) -> int | None:
    """The first line is a headline when it is short, has no final stop and more follows."""
    if len(sents) < 3:
        return None
    first = sents[0]
    line_end = text.find("\n")
    if line_end == -1 or first.end > line_end:
        return None
    line = text[:line_end].rstrip()
    if len(line) > 160 or line.endswith((".", "。")):
        return None
    return 0


def _furniture(text: str, sents: list[Sentence]) -> set[int]:
    """Page furniture: a source line, a photo credit, a short "label: value" line, but never
    a line that quotes someone ("قال بوتين: «…»")."""
    out = set()
    for n, s in enumerate(sents):
        chunk = text[s.start:s.end]
        labelled = len(chunk) < 40 and ":" in chunk[:12] and not any(
            mark in chunk for mark in "«“\"")
        if chunk.startswith(_FURNITURE) or labelled:
            out.add(n)
    return out


def _own_states(mentions: Mentions) -> dict[str, Actor]:
    """Every state an actor speaks for, so that "بلاده" can point at it."""
    out: dict[str, Actor] = {a.country: a for a in mentions.actors
                             if a.type == "country" and a.country}
    return out


def analyze(text: str, published: dt.date | None = None, lex: Lexicon | None = None
            ) -> Analysis:
    lex = lex or load()
    tokens = tokenize(text)
    regions = quoted_regions(text)
    sents = sentences(text, regions)
    ranges = _token_ranges(tokens, sents)
    mentions = find_mentions(text, tokens, lex)
    head = _headline(text, sents)
    skip = _furniture(text, sents) | ({head} if head is not None else set())
    body = [(s, r) for n, (s, r) in enumerate(zip(sents, ranges)) if n not in skip]
    quotes = find_quotes(text, tokens, [s for s, _ in body], [r for _, r in body], regions,
                         mentions, lex)
    events = find_events(text, tokens, sents, ranges, regions, quotes, mentions, lex,
                         published, skip)
    countries = _own_states(mentions)
    _add_own_state_mentions(text, tokens, quotes, mentions, lex, countries)
    positions = find_positions(text, tokens, sents, ranges, quotes, mentions, lex, countries,
                               skip)
    return Analysis(text, tokens, sents, regions, mentions, quotes, events, positions)


def _add_own_state_mentions(text: str, tokens: list[Token], quotes: list[Quote],
                            mentions: Mentions, lex: Lexicon, countries: dict[str, Actor]
                            ) -> None:
    """"بلاده" in a speaker's words names the speaker's state: make sure that state is an
    actor with that mention, so a stance held by it points at a named entity."""
    from service.arabic.stances import _KINGDOM, _KINGDOMS, _OWN_STATE

    starts = [t.start for t in tokens]
    for q in quotes:
        if q.speaker is None or not q.speaker.country:
            continue
        for i in range(bisect.bisect_left(starts, q.start - 60), bisect.bisect_left(starts, q.end)):
            t = tokens[i]
            if t.norm not in _OWN_STATE and not (t.norm in _KINGDOM and
                                                 q.speaker.country in _KINGDOMS):
                continue
            code = q.speaker.country
            base = lex.countries.get(code)
            if base is None:
                continue
            actor = countries.get(code) or mentions.actor(
                base.key, Actor(base.key, "country", base.name, base.en, None, code, True))
            countries[code] = actor
            mentions.add(Mention(i, i + 1, t.start, t.end, actor, "ref"))
