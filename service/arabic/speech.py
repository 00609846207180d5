"""Who said what: direct quotes in quotation marks or after a colon, and reported speech after
a cue with أن/إن or the cue's own preposition, each with its speaker.

The speaker is the actor named right after the cue (verb–subject order), the source after
"عن" in a relayed statement, the owner of a "بيان", or — for a bare وأضاف/وتابع — the previous
speaker; a feminine verb without a subject goes back to the last state or body. Content runs to
the end of the sentence, or stops where a participle cue (، مؤكداً …) or a new joined verb cue
starts the next statement.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass

from service.arabic.lexicon import Cue, Lexicon, Match
from service.arabic.mentions import Actor, Mentions
from service.arabic.text import Region, Sentence, Token, bases, chars_for, trim_span

# أن / إن with an attached pronoun, folded; ب + أن as well ("بأن").
OPENERS = {"ان", "انه", "انها", "انهما", "انهم", "اننا", "انني", "انكم", "بان", "بانه",
           "بانها", "بانهما", "فان", "وان"}
_STATEMENT = {"بيان", "البيان", "بيانا", "بيانها", "بيانه", "بلاغ", "تصريح", "تصريحات", "القرار",
              "الاعلان", "البلاغ", "قرار", "اعلان"}
# Unnamed sources: their words are not quotes (evals/GUIDE.md, section 7).
_UNNAMED = {"مصادر", "مصدر", "مراقبون", "محللون", "دبلوماسيون", "مسوولون", "اوساط", "وسايل",
            "خبراء", "تقارير", "انباء"}
# Two sides speaking together; only the nominative: "الطرفين" after a verb is its object.
SPEAKING_SIDES = {"الجانبان", "الطرفان", "الوزيران", "البلدان", "الزعيمان", "الرئيسان"}
_FEMININE_VERB_END = "ت"
WINDOW = 12


@dataclass
class Quote:
    speaker: Actor | None
    cue: str
    kind: str
    start: int
    end: int
    sentence: Sentence


def _is_boundary(text: str, tokens: list[Token], m: Match[Cue]) -> bool:
    """A cue inside reported content that starts a new statement of its own."""
    i = m.start
    if i == 0:
        return True
    gap = text[tokens[i - 1].end:tokens[i].start]
    comma = "،" in gap or "," in gap
    return comma and (m.payload.role == "participle" or m.cut >= 1)


def _dual(word: str, lex: Lexicon) -> bool:
    """A dual verb (أكدا، شددا، يعتقدان): two sides speak together. "دعا" ends in alef too,
    so a final alef counts only where the form without it is itself a cue (أكد → أكدا)."""
    for bare, _ in bases(word):
        if bare.endswith("ا") and not bare.endswith("ها") and len(bare) >= 4 and \
                bare[:-1] in lex.cues:
            return True
        if bare.startswith(("ي", "ت")) and bare.endswith("ان") and len(bare) >= 6:
            return True
    return False


class _Reader:
    def __init__(self, text: str, tokens: list[Token], regions: list[Region],
                 mentions: Mentions, lex: Lexicon):
        self.text, self.tokens, self.regions = text, tokens, regions
        self.mentions, self.lex = mentions, lex
        self.quotes: list[Quote] = []
        self.last_speaker: Actor | None = None
        self._region_starts = [r.start for r in regions]
        self._token_starts = [t.start for t in tokens]

    def region_at(self, char: int) -> Region | None:
        k = bisect.bisect_right(self._region_starts, char) - 1
        if k >= 0 and self.regions[k].start <= char < self.regions[k].end:
            return self.regions[k]
        return None

    def region_opening_after(self, char: int, limit: int) -> Region | None:
        """The region whose opening mark lies in [char, limit]."""
        k = bisect.bisect_left(self._region_starts, char + 1)
        if k < len(self.regions) and self.regions[k].start - 1 <= limit:
            return self.regions[k]
        return None

    def _mention_at(self, j: int):
        m = self.mentions.covering(j)
        return m if m is not None and m.first == j else None

    def _statement_owner(self, j: int, hi: int) -> tuple[Actor | None, int]:
        for k in range(j, min(j + 4, hi)):
            m = self._mention_at(k)
            if m is not None:
                return m.actor, m.last
        return None, j

    def _joint_speaker(self, sentence: Sentence) -> Actor | None:
        """"الجانبان" speak as the first-named side: the first actor of the latest stretch
        that names two of them."""
        for kinds in (("person",), ("person", "country")):
            before = [m for m in self.mentions.before(sentence.end, last=40)
                      if m.actor.type in kinds]
            for k in range(len(before) - 1, 0, -1):
                a, b = before[k - 1], before[k]
                if a.actor is not b.actor and b.start - a.end < 200:
                    return a.actor
        return None

    def _last(self, before: int, wanted: Callable[[Actor], bool]) -> Actor | None:
        """The actor last named before character ``before`` that ``wanted`` accepts."""
        mentions = self.mentions.mentions
        for k in range(self.mentions.count_before(before) - 1, -1, -1):
            if wanted(mentions[k].actor):
                return mentions[k].actor
        return None

    def _last_body(self, before: int) -> Actor | None:
        return self._last(before, lambda a: a.type == "organization")

    def _last_feminine(self, before: int) -> Actor | None:
        return self._last(before, lambda a: a.feminine)

    def _subject(self, i: int, hi: int, sentence: Sentence) -> tuple[Actor | None, int]:
        """The actor named after the cue at ``i`` and the token after it; a person named
        in the subject phrase wins over the body his title names ("رئيس مجلس الجامعة، وزير
        الخارجية … فلان")."""
        first = self._subject_scan(i, hi, sentence)
        if first[0] is None or first[0].type == "person":
            return first
        j = first[1]
        for k in range(j, min(j + 8, hi)):
            gap = self.text[self.tokens[k - 1].end:self.tokens[k].start]
            if self.tokens[k].norm in OPENERS or ":" in gap or any(c in gap for c in "«“\""):
                break
            m = self._mention_at(k)
            if m is not None and m.actor.type == "person":
                return m.actor, m.last
            if self.lex.cues.at(self.tokens, k) or self.lex.triggers.at(self.tokens, k):
                break
        return first

    def _subject_scan(self, i: int, hi: int, sentence: Sentence) -> tuple[Actor | None, int]:
        tokens = self.tokens
        for j in range(i, min(i + 6, hi)):
            t = tokens[j]
            if t.norm in OPENERS or any(ch in ":«“\"" for ch in
                                        self.text[tokens[j - 1].end:t.start]) and j > i:
                return None, i
            if t.norm in SPEAKING_SIDES:
                return self._joint_speaker(sentence), j + 1
            if t.norm in _STATEMENT:
                owner, after = self._statement_owner(j + 1, hi)
                if owner is not None:
                    return owner, after
                # "وأكد البيان الختامي أن …": the statement of the body last named.
                body = self._last_body(tokens[j].start)
                if body is not None:
                    return body, j + 1 + int(j + 1 < hi and tokens[j + 1].norm in (
                        "الختامي", "المشترك", "الصادر"))
                continue
            led = self.mentions.by_lead.get(j)
            if led is not None:  # a title phrase, however long, then the person's name
                return led.actor, led.last
            m = self._mention_at(j)
            if m is not None:
                return m.actor, m.last
            if self.lex.cues.at(tokens, j) or self.lex.triggers.at(tokens, j):
                break
        return None, i

    def _opener(self, j: int, hi: int, cue: Cue) -> tuple[int | None, Region | None]:
        """Where the content starts (a character offset), and the quote region if direct."""
        tokens, text = self.tokens, self.text
        for k in range(j, min(j + WINDOW, hi)):
            gap = text[tokens[k - 1].end:tokens[k].start] if k else ""
            if ":" in gap:
                r = self.region_opening_after(tokens[k - 1].end, tokens[k].start)
                return tokens[k].start, r
            if any(ch in "«“\"" for ch in gap):
                r = self.region_opening_after(tokens[k - 1].end, tokens[k].start)
                if r is not None:
                    return r.start, r
            t = tokens[k]
            if t.norm in OPENERS:
                if k + 1 < len(tokens):
                    nxt_gap_end = tokens[k + 1].start
                    r = self.region_opening_after(t.end, nxt_gap_end)
                    return (r.start, r) if r is not None else (tokens[k + 1].start, None)
                return None, None
            for opening in cue.opens:
                n = len(opening)
                if tuple(tokens[k + x].norm for x in range(n) if k + x < len(tokens)) == opening:
                    if k + n < len(tokens) and tokens[k + n].norm in OPENERS:
                        n += 1  # "أشار إلى أن …": the content starts after أن
                    if k + n < len(tokens):
                        r = self.region_opening_after(tokens[k + n - 1].end, tokens[k + n].start)
                        return (r.start, r) if r is not None else (tokens[k + n].start, None)
            if k > j and (self.lex.cues.at(tokens, k) is not None):
                break
        return None, None

    def read(self, sentence: Sentence, lo: int, hi: int) -> None:
        tokens, text, lex = self.tokens, self.text, self.lex
        cues: list[Match[Cue]] = []
        i = lo
        while i < hi:
            told = lex.narration.at(tokens, i)
            if told is not None:  # "يُذكر أن …": the writer's narration, no one's words
                i = told.end
                continue
            if self.region_at(tokens[i].start) is None:
                m = lex.cues.at(tokens, i)
                if m is not None and m.cut <= 1:
                    cues.append(m)
                    i = m.end
                    continue
            i += 1
        # Where each statement must stop: the next cue that starts one of its own (found in
        # one backward pass, so a sentence with thousands of cues stays linear).
        stops = [sentence.end] * len(cues)
        boundary = [_is_boundary(text, tokens, m) for m in cues]
        next_stop = sentence.end
        for n_cue in range(len(cues) - 1, -1, -1):
            stops[n_cue] = next_stop
            if boundary[n_cue]:
                next_stop = tokens[cues[n_cue].start].start
        taken_until = -1
        for n_cue, m in enumerate(cues):
            cue = m.payload
            cue_start = tokens[m.start].start + chars_for(tokens[m.start].text, m.cut)
            if tokens[m.start].start < taken_until and not boundary[n_cue]:
                continue
            stop_char = stops[n_cue]
            found = self._read_cue(m, cue, lo, hi, sentence, stop_char)
            if found is None:
                continue
            found.cue = text[cue_start:tokens[m.end - 1].end] if cue.role != "relay" \
                else found.cue
            self.quotes.append(found)
            if found.speaker is not None:
                self.last_speaker = found.speaker
            taken_until = found.end

    def _read_cue(self, m: Match[Cue], cue: Cue, lo: int, hi: int, sentence: Sentence,
                  stop_char: int) -> Quote | None:
        tokens, text = self.tokens, self.text
        i = m.end
        speaker: Actor | None = None
        cue_text = ""
        if cue.role == "source":
            if m.start - lo > 1:
                return None  # an aside inside narration is not a quote
            speaker, after = self._subject(i, hi, sentence)
            if speaker is None:
                return None
            start = tokens[after].start if after < hi else None
            if start is None:
                return None
            s, e = trim_span(text, start, stop_char)
            return self._make(speaker, "indirect", s, e, sentence) if e - s > 8 else None
        if cue.role == "relay":
            about = next((k for k in range(i, min(i + 8, hi)) if tokens[k].norm == "عن"), None)
            if about is None:
                return None
            speaker, after = self._subject(about + 1, hi, sentence)
            nominal = lex_nominal = None
            for k in range(after, min(after + 3, hi)):
                nm = self.lex.cues.at(tokens, k)
                if nm is not None and nm.payload.role == "nominal":
                    nominal, lex_nominal = k, nm
                    break
            if nominal is not None and lex_nominal is not None:
                cue_text = tokens[nominal].text
                start, region = self._opener(lex_nominal.end, hi, lex_nominal.payload)
                if start is None:
                    start = tokens[lex_nominal.end].start if lex_nominal.end < hi else None
            else:
                start, region = self._opener(after, hi, cue)
            if start is None or speaker is None:
                return None
            q = self._content(speaker, start, region, sentence, stop_char)
            if q is not None:
                q.cue = cue_text or text[tokens[m.start].start:tokens[m.end - 1].end]
            return q
        if cue.role == "nominal":
            return None
        if i < hi and any(b in _UNNAMED for b, _ in bases(tokens[i].norm)):
            return None  # "قالت مصادر مطلعة إن …"
        # A participle continues its sentence's speaker: what follows it is content.
        speaker, after = (None, i) if cue.role == "participle" else \
            self._subject(i, hi, sentence)
        if speaker is None and tokens[m.start].norm.startswith("ف"):
            speaker = self._topic_before(m.start, lo)  # "أما فلان فقال إن …"
        if speaker is None and cue.role == "verb" and _dual(tokens[m.start].norm, self.lex):
            speaker = self._joint_speaker(sentence)
        start, region = self._opener(after, hi, cue)
        if start is None and cue.bare and after > i and after < hi:
            start, region = tokens[after].start, None
        if start is None and cue.bare and cue.role == "participle" and i < hi:
            start, region = tokens[i].start, None
        if start is None:
            return None
        if speaker is None:
            speaker = self._continued_speaker(m, sentence)
        return self._content(speaker, start, region, sentence, stop_char)

    def _continued_speaker(self, m: Match[Cue], sentence: Sentence) -> Actor | None:
        """Who speaks through a cue with no subject of its own: the speaker already quoted
        in this sentence; else the subject of the sentence's first clause ("وصف فلان … وقال",
        "اعتمد المجلس قرارا …، ويدعو إلى"); else, for a feminine verb, the last state or body
        named, and for any other the speaker just quoted or the last person named."""
        at = self.tokens[m.start].start
        if self.quotes and self.quotes[-1].sentence is sentence:
            return self.last_speaker
        first = next((mm.actor for mm in self.mentions.before(at, last=30)
                      if sentence.start <= mm.start and mm.kind != "place"
                      and mm.actor.type in ("person", "organization")), None)
        if first is not None:
            return first
        if m.payload.role != "participle" and \
                self.tokens[m.start].norm.endswith(_FEMININE_VERB_END):
            if self.last_speaker is not None and self.last_speaker.feminine:
                return self.last_speaker
            return self._last_feminine(at)
        recent = self.quotes and self.quotes[-1].sentence.start >= sentence.start - 400
        return (self.last_speaker if recent else None) or self._nearest_actor(at)

    def _topic_before(self, i: int, lo: int) -> Actor | None:
        for k in range(i - 1, max(lo, i - 12) - 1, -1):
            if self.tokens[k].norm in ("اما", "واما"):
                for j in range(k + 1, i):
                    m = self._mention_at(j)
                    if m is not None:
                        return m.actor
        return None

    def _nearest_actor(self, before: int) -> Actor | None:
        return self._last(before, lambda a: a.type == "person")

    def _content(self, speaker: Actor | None, start: int, region: Region | None,
                 sentence: Sentence, stop_char: int) -> Quote | None:
        if region is not None and region.start == start:
            s, e = trim_span(self.text, region.start, region.end)
            return self._make(speaker, "direct", s, e, sentence) if e - s > 3 else None
        s, e = trim_span(self.text, start, min(stop_char, sentence.end))
        if e - s < 6:
            return None
        return self._make(speaker, "indirect", s, e, sentence)

    def _make(self, speaker: Actor | None, kind: str, s: int, e: int,
              sentence: Sentence) -> Quote:
        return Quote(speaker, "", kind, s, e, sentence)

    def orphans(self, sentences: list[Sentence]) -> None:
        """Quoted stretches no cue introduced, attributed by a cue right after them
        («…»، قال الوزير) or by the actor before a colon."""
        tokens = self.tokens
        taken = [(q.start, q.end) for q in self.quotes]
        for r in self.regions:
            if any(s <= r.start < e or r.start <= s < r.end for s, e in taken):
                continue
            if len(self.text[r.start:r.end].split()) < 4:
                continue
            after = bisect.bisect_right(self._token_starts, r.end)
            if after >= len(tokens):
                continue
            m = self.lex.cues.at(tokens, after)
            if m is None or m.payload.role not in ("verb", "source"):
                continue
            sentence = next((s for s in sentences if s.start <= r.start < s.end + 1), None)
            if sentence is None:
                continue
            speaker, _ = self._subject(m.end, len(tokens), sentence)
            speaker = speaker or self.last_speaker
            s, e = trim_span(self.text, r.start, r.end)
            q = self._make(speaker, "direct", s, e, sentence)
            q.cue = self.text[tokens[m.start].start + chars_for(tokens[m.start].text, m.cut):
                              tokens[m.end - 1].end]
            self.quotes.append(q)
        self.quotes.sort(key=lambda q: q.start)


def find_quotes(text: str, tokens: list[Token], sentences: list[Sentence],
                token_ranges: list[tuple[int, int]], regions: list[Region],
                mentions: Mentions, lex: Lexicon) -> list[Quote]:
    reader = _Reader(text, tokens, regions, mentions, lex)
    for sentence, (lo, hi) in zip(sentences, token_ranges):
        if hi > lo:
            reader.read(sentence, lo, hi)
    reader.orphans(sentences)
    return reader.quotes
