"""Where actors stand: stance cues (رحب، أيد، دعا إلى، رفض، أدان، قلق …) with their holder,
target and the clause that carries them.

Inside reported speech the holder is the speaker, or the state the speaker names as his own
("بلاده"), or a state the content opens with ("باكستان راضية عن …"). In narration it is the
subject after the cue verb. Courtesies (thanks, condolences) are not positions.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass

from service.arabic.events import Clauses, strip_lead
from service.arabic.lexicon import Lexicon
from service.arabic.mentions import Actor, Mention, Mentions
from service.arabic.speech import Quote
from service.arabic.text import Sentence, Token, bases, fold, trim_span

# Stance words that only count inside reported speech or right after a reporting cue.
_WEAK = {"اهميه", "ضروره", "الحاجه", "دعم", "دعمه", "دعمها", "تاييد", "تاييده", "مسانده",
         "رغبه", "امل", "التزام", "حرص", "تطلع", "قلق", "القلق"}
_OWN_STATE = {"بلاده", "بلادها", "لبلاده", "لبلادها", "وبلاده"}
# "المملكة" in the words of a kingdom's official is his state, as "بلاده" is.
_KINGDOM = {"المملكه", "والمملكه"}
_KINGDOMS = {"SA", "MA", "JO", "BH"}


@dataclass
class Position:
    holder: Actor
    stance: str
    topic_en: str
    target: Actor | None
    start: int
    end: int


class _Finder:
    def __init__(self, text: str, tokens: list[Token], mentions: Mentions, lex: Lexicon,
                 quotes: list[Quote], countries: dict[str, Actor]):
        self.text, self.tokens, self.mentions, self.lex = text, tokens, mentions, lex
        self.quotes = quotes
        self.countries = countries
        self.out: list[Position] = []
        self.starts = [t.start for t in tokens]
        self.clauses = Clauses(text, tokens)
        self._quote_starts = [q.start for q in quotes]
        self.seen: set[tuple[str, int, int]] = set()

    def quote_at(self, char: int) -> Quote | None:
        # Quotes rarely nest; the few that start just before ``char`` are the candidates.
        last = bisect.bisect_right(self._quote_starts, char) - 1
        for k in range(last, max(-1, last - 4), -1):
            if self.quotes[k].start <= char < self.quotes[k].end:
                return self.quotes[k]
        return None

    def _own_state(self, speaker: Actor, lo: int, hi: int) -> Actor | None:
        for k in range(lo, hi):
            norm = self.tokens[k].norm
            if speaker.country and (norm in _OWN_STATE or norm in _KINGDOM and
                                    speaker.country in _KINGDOMS):
                return self.countries.get(speaker.country)
        return None

    def _agent_after(self, cue_tok: int, hi: int) -> Actor | None:
        """"رفض الجزائر …"، "قلق بكين …"، "تدعم الصين …": a state or body right after the
        stance word, with no preposition, is who takes the stance."""
        k = cue_tok + 1
        if k >= hi:
            return None
        m = self.mentions.covering(k)
        if m is None or m.first != k or m.actor.type not in ("country", "organization"):
            return None
        if self.tokens[k].norm[:1] in "بل" and self.tokens[k].text[:1] in "بل" and \
                not self.tokens[k].text.startswith("ال"):
            return None  # "رحب بالقرار"، "دعمها لمصر": the object, not the agent
        return m.actor

    def _holder_in_quote(self, q: Quote, cue_tok: int) -> Actor | None:
        if q.speaker is None:
            return None
        tokens = self.tokens
        first = bisect.bisect_left(self.starts, q.start)
        if first >= len(tokens):
            return q.speaker
        own = self._own_state(q.speaker, max(first, cue_tok - 3), cue_tok + 1)
        if own is not None:
            return own
        m = self.mentions.covering(first)
        if m is not None and m.first == first and m.actor.type == "country" and \
                cue_tok - first <= 6:
            return m.actor
        return q.speaker

    def _holder_in_narration(self, cue_tok: int, a: int, b: int) -> Actor | None:
        for k in range(cue_tok + 1, min(cue_tok + 5, b)):
            m = self.mentions.covering(k)
            if m is not None and m.first == k:
                return m.actor
        before = [m for m in self.mentions.in_range(a, cue_tok)]
        if before:
            return before[-1].actor
        # No subject in the clause ("اتفق الوزيران على دعم …"): the last person named.
        mentions = self.mentions.mentions
        for k in range(self.mentions.count_before(self.tokens[cue_tok].start) - 1, -1, -1):
            if mentions[k].actor.type == "person":
                return mentions[k].actor
        return None

    def _target(self, cue_tok: int, b: int, holder: Actor) -> Actor | None:
        for k in range(cue_tok + 1, min(cue_tok + 5, b)):
            m: Mention | None = self.mentions.covering(k)
            if m is not None and m.first == k and m.actor is not holder:
                return m.actor
        return None

    def read(self, lo: int, hi: int, cue_sites: set[int]) -> None:
        tokens, lex = self.tokens, self.lex
        for i in range(lo, hi):
            m = lex.stances.at(tokens, i)
            if m is None or m.cut > 2:
                continue
            reading = next((b for b, c in bases(tokens[i].norm) if c == m.cut), tokens[i].norm)
            if i + 1 < hi and tokens[i + 1].norm in lex.courtesies:
                continue
            q = self.quote_at(tokens[i].start)
            near_cue = any(i - k in cue_sites for k in (1, 2, 3))
            if reading in _WEAK and q is None and not near_cue:
                continue
            agent = self._agent_after(i, hi)
            if q is not None:
                holder = agent or self._holder_in_quote(q, i)
                s, e = q.start, q.end
                a, b = lo, hi
            else:
                a, b = self.clauses.around(lo, hi, i)
                holder = agent or self._holder_in_narration(i, a, b)
                s, e = trim_span(self.text, tokens[a].start, tokens[b - 1].end)
                s = strip_lead(self.text, s)
            if holder is None:
                continue
            key = (holder.key, s, e)
            if key in self.seen:
                continue
            self.seen.add(key)
            target = self._target(i, min(b, hi), holder)
            obj = (target.name_en or target.name) if target else "the issue raised"
            topic = m.payload.topic.format(object=obj)
            self.out.append(Position(holder, m.payload.stance, topic, target, s, e))


# Reporting cues whose content is, in this genre, a stance of the speaker (or of the state
# the content opens with): what a minister "stresses", "calls for" or "warns of".
_STANCE_CUES = {"شدد", "دعا", "طالب", "حذر", "اكد", "جدد", "اعتبر", "راي", "اعرب", "ابدي",
                "مشددا", "داعيا", "مطالبا", "محذرا", "مؤكدا", "معتبرا", "معربا"}
_NEGATIONS = {"لا", "لن", "لم", "ليس", "ليست", "يرفض", "ترفض", "تعارض", "يعارض"}


def _quote_positions(finder: _Finder, lex: Lexicon) -> None:
    """A statement carried by a stance-bearing cue is a position even without a stance word:
    its holder as for stance words, its stance from the content (negation → oppose)."""
    tokens = finder.tokens
    # Stretches already carrying a stance word's position, merged, to test overlap by bisection.
    spans = sorted((p.start, p.end) for p in finder.out)
    starts = [s for s, _ in spans]
    reach = list(itertools.accumulate((e for _, e in spans), max))
    for q in finder.quotes:
        k = bisect.bisect_left(starts, q.end)  # positions starting before the quote ends
        if q.speaker is None or (k and reach[k - 1] > q.start):
            continue
        if not any(b in _STANCE_CUES for b, _ in bases(fold(q.cue))):
            continue
        inside = list(range(bisect.bisect_left(finder.starts, q.start),
                            bisect.bisect_left(finder.starts, q.end)))
        if not inside or any(tokens[k].norm in lex.courtesies for k in inside[:3]):
            continue
        stance = "support"
        if fold(q.cue).startswith(("حذر", "محذر")) or any(
                tokens[k].norm in _NEGATIONS for k in inside[:6]):
            stance = "oppose"
        if any(tokens[k].norm in ("قلق", "قلقه", "قلقها") for k in inside):
            stance = "concern"
        holder = finder._holder_in_quote(q, inside[0])
        if holder is None:
            continue
        finder.out.append(Position(holder, stance, "stated position", None, q.start, q.end))
    finder.out.sort(key=lambda p: p.start)


def find_positions(text: str, tokens: list[Token], sentences: list[Sentence],
                   token_ranges: list[tuple[int, int]], quotes: list[Quote],
                   mentions: Mentions, lex: Lexicon, countries: dict[str, Actor],
                   skip: set[int]) -> list[Position]:
    cue_sites = {k for k in range(len(tokens)) if lex.cues.at(tokens, k) is not None or (
        (t := lex.triggers.at(tokens, k)) is not None and t.payload.mode in ("agree",
                                                                               "pledge_support"))}
    finder = _Finder(text, tokens, mentions, lex, quotes, countries)
    for n, (lo, hi) in enumerate(token_ranges):
        if n not in skip and hi > lo:
            finder.read(lo, hi, cue_sites)
    _quote_positions(finder, lex)
    return finder.out
