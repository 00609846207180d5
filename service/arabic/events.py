"""What happened: trigger words in narration become events with a PLOVER type and mode, the
clause that reports them, participants with roles, a date, a place and a status.

Happenings told only inside a person's words are not events (evals/GUIDE.md); a body's relayed
statement that narrates ("قالت الوزارة إن الوزير عقد اجتماعات …") is narration and counts, and so
is a schedule anyone announces ("أعلن المتحدث أن الوزير سيزور …").
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from service.arabic.lexicon import Lexicon, Match, Trigger, nisba_country
from service.arabic.mentions import Actor, Mention, Mentions
from service.arabic.speech import SPEAKING_SIDES, Quote
from service.arabic.text import Region, Sentence, Token, bases, fold, trim_span
from service.arabic.when import find_date, find_place

# Verbs whose event is named by the noun after them: عقد اجتماعاً، أجرى اتصالاً هاتفياً.
_NEEDS_NOUN = {"عقد", "عقدت", "يعقد", "تعقد", "عقدا", "عقدوا", "يعقدون", "يعقدان", "تعقدان",
               "اجري", "اجرت", "يجري", "تجري", "اجريا", "اجروا", "يجرون"}
_LIGHT = _NEEDS_NOUN | {"بحث", "بحثت", "يبحث", "بحثا", "اجتمع", "اجتمعت", "يجتمع", "تجتمع",
                        "اجتمعا", "اجتمعوا", "يجتمعون"}
# A gathering still to come is a new happening even when the article names it with the
# article ("الاجتماع المقبل", "الجولة المقبلة من المباحثات").
_NEXT = {"المقبل", "المقبله", "القادم", "القادمه", "المرتقب", "المرتقبه", "المزمع", "المزمعه"}
_CLAUSE_OPENERS = {"حيث", "فيما", "بينما", "كما", "اذ"}
_MULTILATERAL = {"مجلس", "وزراء", "رؤساء", "قاده", "الدول", "الاعضاء"}
_WITH = {"مع", "بين"}
# What a gathering does, dated as the gathering when the text gives no date of its own.
_AT_A_GATHERING = {"adopt_declaration", "agree", "assign_task", "sign_agreement",
                   "pledge_support", "adopt_resolution", "invite"}
# The word that opens reported content: أن، إن، بأن، and with a pronoun (أنه، أنهما …).
_THAT = re.compile(r"(?:^|\s)[وب]?[أإا]ن(?:ه|ها|هما|هم)?\s*$")
# Reporting verbs that announce: what they introduce is narration as well as speech. (Verbs
# only: the cue entry's noun "إعلان" reports a declaration's words, not a schedule.)
_ANNOUNCING = {"اعلن", "اعلنت", "يعلن", "تعلن", "اعلنا"}
# Happenings told apart by what they are about, not only by who takes part.
_BY_CONTENT = {"agree"}
_ASIDES = {"وبحسب", "وحسب", "ووفقا", "وفقا", "بحسب"}
# Two sides acting together: the subjects speech knows, their other cases, and dual verbs.
_JOINT = SPEAKING_SIDES | {"وزيرا", "الجانبين", "الطرفين", "الوزيرين", "اتفقا", "وتعهدا",
                           "تعهدا", "اتفقتا", "الزعيمين"}


@dataclass
class Event:
    type: str
    mode: str
    status: str
    start: int
    end: int
    participants: list[tuple[Actor, str]] = field(default_factory=list)
    date: tuple[str, str | None, str | None] | None = None
    location: tuple[str, str | None] | None = None


def _definite(norm: str) -> str:
    """The word with conjunctions and prepositions off, keeping its article (وبالقمة → القمة)."""
    for b, _ in bases(norm):
        if b.startswith("ال"):
            return b
    return norm


class Clauses:
    """Clauses of sentences: a sentence splits at a comma or semicolon followed by a joined
    و-word or a clause opener (حيث، فيما، كما), but not inside a list of actors ("مع الرئيس
    التركي …، والرئيس المنغولي …"). Each sentence's breaks are found once."""

    def __init__(self, text: str, tokens: list[Token],
                 listed: Callable[[int], bool] | None = None):
        self.text, self.tokens, self.listed = text, tokens, listed
        self._breaks: dict[tuple[int, int], list[int]] = {}

    def _is_break(self, k: int, hi: int) -> bool:
        tokens = self.tokens
        gap = self.text[tokens[k - 1].end:tokens[k].start]
        if not any(c in gap for c in "،,;؛"):
            return False
        t = tokens[k].norm
        listed = self.listed
        if t in _ASIDES or (listed is not None and ";" not in gap and "؛" not in gap and (
                listed(k) or t in ("وكذلك", "وكذا") and k + 1 < hi and listed(k + 1))):
            return False
        return t in _CLAUSE_OPENERS or (t.startswith("و") and len(t) > 3) or t in ("و",)

    def around(self, lo: int, hi: int, at: int) -> tuple[int, int]:
        """Token range of the clause holding token ``at`` in the sentence [lo, hi)."""
        breaks = self._breaks.get((lo, hi))
        if breaks is None:
            breaks = [k for k in range(lo + 1, hi) if self._is_break(k, hi)]
            self._breaks[(lo, hi)] = breaks
        n = bisect.bisect_right(breaks, at)
        a = breaks[n - 1] if n else lo
        b = breaks[n] if n < len(breaks) else hi
        if b - a < 4:
            return lo, hi
        return a, b


def strip_lead(text: str, start: int) -> int:
    """Evidence starts at the clause's first word: a separate leading "و" or "كما" is
    dropped (evals/GUIDE.md)."""
    for lead in ("و ", "كما "):
        if text.startswith(lead, start):
            return start + len(lead)
    return start


def _status(lex: Lexicon, tokens: list[Token], lo: int, hi: int, trig: Match[Trigger]
            ) -> str:
    for name in ("postponed", "ongoing", "planned"):
        matcher = lex.status[name]
        if any(matcher.at(tokens, k) for k in range(lo, hi)):
            return {"postponed": "postponed_or_cancelled"}.get(name, name)
    if trig.payload.kind != "verb":
        return "occurred"
    word = tokens[trig.start].norm
    for b, _ in bases(word):
        if b.startswith("س") and len(b) > 3 and b[1] in "يتن":
            return "planned"
    return "occurred"


def _roles(mode: str, mentions: list[Mention], trigger_char: int) -> list[tuple[Actor, str]]:
    seen: list[Actor] = []
    for m in mentions:
        if m.actor not in seen:
            seen.append(m.actor)
    out: list[tuple[Actor, str]] = []
    people = [a for a in seen if a.type in ("person", "country")]
    orgs = [a for a in seen if a.type == "organization"]
    if mode in ("summit",):
        out += [(o, "host") for o in orgs]
        out += [(p, "attendee") for p in people]
        return out
    if mode in ("join_organization", "found_organization", "apply_membership"):
        out += [(p, "actor") for p in people if p.type == "country"] or \
            [(p, "actor") for p in people]
        out += [(o, "target") for o in orgs]
        return out
    if mode in ("deliver_weapons", "deliver_aid", "withdraw_troops", "seize_territory",
                "impose_sanctions"):
        actors = orgs + people if mode in ("withdraw_troops", "seize_territory") else seen
        if actors:
            out.append((actors[0], "actor"))
            out += [(a, "target") for a in seen if a is not actors[0]][:3]
        return out
    if mode == "visit":
        if seen:
            out.append((seen[0], "actor"))
            out += [(a, "host") for a in seen[1:] if a.type == "country"][:6]
        return out
    if seen:
        out.append((seen[0], "actor"))
        out += [(a, "counterpart") for a in seen[1:] if a.type != "organization" or
                mode in ("sign_agreement", "agree")][:6]
    return out


class _Finder:
    def __init__(self, text: str, tokens: list[Token], mentions: Mentions, lex: Lexicon,
                 published: dt.date | None, contents: list[tuple[int, int]]):
        self.text, self.tokens, self.mentions, self.lex = text, tokens, mentions, lex
        self.published = published
        self.events: list[Event] = []
        self.seen: set[tuple[str, str, frozenset[str], tuple[str, ...]]] = set()
        self.pair: tuple[Actor, Actor] | None = None
        self.used: set[tuple[int, int]] = set()
        self.clauses = Clauses(text, tokens, self._listed)
        self.last_summit: Event | None = None
        # Reported content (start, end): a happening it reports starts where the content does,
        # after "أن", not at the reporting verb.
        self.contents = contents

    def _trigger(self, i: int, hi: int, object_of_light: bool = False
                 ) -> tuple[Match[Trigger], int] | None:
        tokens, lex = self.tokens, self.lex
        m = lex.triggers.at(tokens, i)
        if m is None or m.cut > 2:
            return None
        t = m.payload
        if t.needs and not any(b in t.needs for k in range(m.end, min(m.end + 4, hi))
                               for b, _ in bases(tokens[k].norm)):
            return None
        if t.unless and m.end < hi and tokens[m.end].norm in t.unless:
            return None
        if t.kind == "noun" and not object_of_light and self._anaphoric(m, i, hi):
            return None
        light = any(b in _LIGHT for b, _ in bases(tokens[i].norm))
        if light:
            # "عقد الرئيس يوم أمس سلسلة من المحادثات": the noun may come a few words later.
            for k in range(m.end, min(m.end + 10, hi)):
                nm = lex.triggers.at(tokens, k)
                # "عقد اجتماعه المقبل": a possessed noun after the light verb is a new one.
                if nm is not None and nm.payload.kind == "noun" and nm.payload.type == "CONSULT" \
                        and (nm.payload.owned or not self._anaphoric(nm, k, hi)):
                    if nm.payload.needs and not any(
                            b in nm.payload.needs for q in range(nm.end, min(nm.end + 3, hi))
                            for b, _ in bases(tokens[q].norm)):
                        continue
                    merged = Match(m.start, nm.end, m.cut, nm.payload)
                    return merged, nm.end
            if any(b in _NEEDS_NOUN for b, _ in bases(tokens[i].norm)):
                return None
        return m, m.end

    def _listed(self, k: int) -> bool:
        """Token ``k`` continues a list of actors: "والرئيس …" or a joined name."""
        if self.lex.titles.at(self.tokens, k) is not None:
            return True
        m = self.mentions.covering(k)
        return m is not None and m.first == k and m.actor.type in ("person", "country")

    def _anaphoric(self, m: Match[Trigger], i: int, hi: int) -> bool:
        """A noun with the article usually points back ("اللقاء", "القمة", "المحادثات"),
        unless it names a particular gathering ("القمة العربية") or is what was put off."""
        tokens, lex = self.tokens, self.lex
        pointing = _definite(tokens[i].norm).startswith("ال") or m.payload.owned
        if not pointing or m.payload.mode in ("withdraw_troops", "seize_territory"):
            return False
        named = m.end < hi and (nisba_country(lex, tokens[m.end].norm) is not None or (
            (mm := self.mentions.covering(m.end)) is not None and mm.first == m.end))
        put_off = any(lex.status["postponed"].at(tokens, k) is not None
                      for k in range(max(0, i - 2), i))
        # "المحادثات الثنائية مع …": parties of its own make it a new happening.
        # A possessed noun takes its party at once ("زيارته مع"); "خلال زيارته أجرى محادثات
        # مع …" gives the "مع" to the verb after it.
        reach = 1 if m.payload.owned else 3
        with_party = any(tokens[k].norm in _WITH for k in range(m.end, min(m.end + reach, hi)))
        to_come = any(tokens[k].norm in _NEXT
                      for k in range(max(0, i - 3), min(m.end + 2, hi)) if k != i)
        return not named and not put_off and not with_party and not to_come

    def _mode(self, m: Match[Trigger], hi: int) -> str:
        mode = m.payload.mode
        if mode == "meet" and m.payload.kind == "noun":
            window = range(m.end, min(m.end + 5, hi))
            if any(self.tokens[k].norm in _MULTILATERAL for k in window) or any(
                    (mm := self.mentions.covering(k)) is not None and
                    mm.actor.type == "organization" for k in window):
                if not any(self.tokens[k].norm in ("ثنائيا", "ثنائي", "الثنائي", "ثنائية")
                           for k in window):
                    return "summit"
        return mode

    def read(self, sentence: Sentence, lo: int, hi: int, blocked: bytearray,
             topic: Actor | None) -> None:
        tokens = self.tokens
        i = lo
        while i < hi:
            if blocked[tokens[i].start]:
                i += 1
                continue
            found = self._trigger(i, hi)
            if found is None:
                i += 1
                continue
            m, after = found
            mode = self._mode(m, hi)
            a, b = self.clauses.around(lo, hi, i)
            if (a, b) in self.used:  # one happening per clause: later triggers are its detail
                i = max(after, i + 1)
                continue
            self.used.add((a, b))
            colon = self.text.find(":", tokens[a].start, tokens[b - 1].end)
            # Inside reported content, the happening's parties are the content's, not the
            # speaker's ("أعلنت الوزارة أن الوزير سيزور …": the minister visits).
            opens = max([tokens[a].start, *(cs for cs, ce in self.contents
                                            if tokens[a].start < cs <= tokens[i].start < ce)])
            mentions = [mm for mm in self.mentions.in_range(a, b)
                        if not blocked[mm.start] and (colon < 0 or mm.start < colon)
                        and mm.start >= opens]
            participants = _roles(mode, mentions, tokens[i].start)
            joint = any(bb in _JOINT for k in range(a, min(b, i + 3))
                        for bb, _ in bases(tokens[k].norm))
            if joint and self.pair and mode not in ("summit",):
                pair = [(self.pair[0], "actor"), (self.pair[1], "counterpart")]
                participants = pair + [(p, "target") for p, _ in participants
                                       if p not in self.pair]
            # A verb with no subject of its own continues the sentence before it.
            subject_named = any(i < mm.first <= m.end + 1 for mm in mentions) or any(
                mm.first < i for mm in mentions)
            if (topic is not None and m.payload.kind == "verb" and not subject_named
                    and mode not in ("summit", "found_organization", "join_organization")
                    and all(p is not topic for p, _ in participants)):
                participants = [(topic, "actor")] + [
                    (p, "counterpart" if r == "actor" else r) for p, r in participants]
            place = find_place(self.lex, tokens, a, b)
            if mode == "visit" and place is not None:
                code = next((c for c, en in ((k.country, k.name_en) for k in
                                             self.mentions.actors) if en == place[2]), None)
                host = self.mentions.by_key.get(f"country:{code}") if code else None
                if host is not None and all(p is not host for p, _ in participants):
                    participants.append((host, "host"))
            s, e = trim_span(self.text, tokens[a].start, tokens[b - 1].end)
            s = strip_lead(self.text, max(s, opens))
            # The clause's own date, else the sentence's ("اختتمت اليوم الأربعاء القمة …،
            # وأقرت بيانا"), else, for what is done at a gathering, the gathering's.
            date = find_date(self.text, tokens, a, b, self.published) or \
                find_date(self.text, tokens, lo, hi, self.published)
            if date is None and mode in _AT_A_GATHERING and self.last_summit is not None:
                date = self.last_summit.date
            status = _status(self.lex, tokens, a, b, m)
            if mode == "summit" and status == "occurred" and self.last_summit is not None and \
                    not any(r == "host" for _, r in participants):
                # Someone attending, or the gathering told again: the summit already reported.
                known = self.last_summit.participants
                known += [(p, "attendee") for p, _ in participants
                          if all(p is not q for q, _ in known)]
                i = max(after, i + 1)
                continue
            split = self._split_counterparts(m, mode, participants)
            # Two sides agreeing twice agree on two things ("اتفقا على تكثيف …" then "اتفقا على
            # مواصلة …"): what follows the verb tells them apart; a meeting told twice is one.
            content = tuple(t.norm for t in tokens[m.end:min(m.end + 3, b)]) \
                if mode in _BY_CONTENT else ()
            for parts in split:
                key = (m.payload.type, mode, frozenset(p.key for p, _ in parts), content)
                if parts and key in self.seen:
                    continue
                self.seen.add(key)
                roles = dict((r, p) for p, r in parts)
                if mode in ("meet", "phone_call") and "actor" in roles and \
                        "counterpart" in roles:
                    self.pair = (roles["actor"], roles["counterpart"])
                self.events.append(Event(
                    m.payload.type, mode, status, s, e, parts,
                    date, (self.text[place[0]:place[1]], place[2]) if place else None))
                if mode == "summit":
                    self.last_summit = self.events[-1]
            i = max(after, i + 1)

    @staticmethod
    def _split_counterparts(m: Match[Trigger], mode: str, parts: list[tuple[Actor, str]]
                            ) -> list[list[tuple[Actor, str]]]:
        """Several bilateral talks in one sentence are one event each, and so is a visit to
        several states."""
        if mode == "visit":
            actor = [p for p in parts if p[1] == "actor"]
            hosts = [p for p in parts if p[0].type == "country" and p[1] != "actor"]
            if actor and len(hosts) >= 2:
                return [[actor[0], (h, "host")] for h, _ in hosts]
            return [parts]
        if mode == "join_organization":
            joiners = [p for p in parts if p[1] == "actor" and p[0].type == "country"]
            rest = [p for p in parts if p not in joiners]
            if len(joiners) >= 2 and m.payload.kind == "noun":  # an invitation to several
                return [[j, *rest] for j in joiners]
            return [parts]
        if mode not in ("meet", "phone_call"):
            return [parts]
        actor = [p for p in parts if p[1] == "actor"]
        others = [p for p in parts if p[1] == "counterpart" and p[0].type == "person"]
        if len(actor) == 1 and len(others) >= 3:
            return [[actor[0], o] for o in others]
        return [parts]


def find_events(text: str, tokens: list[Token], sentences: list[Sentence],
                token_ranges: list[tuple[int, int]], regions: list[Region],
                quotes: list[Quote], mentions: Mentions, lex: Lexicon,
                published: dt.date | None, skip: set[int]) -> list[Event]:
    # Content opened by "أن/إن" is a clause of its own; content after a preposition ("دعا …
    # إلى") is not where a happening's clause begins. What "يُذكر أن" introduces is narration
    # whose clause starts after the formula.
    contents = [(q.start, q.end) for q in quotes
                if _THAT.search(text, max(0, q.start - 12), q.start)]
    contents += [(tokens[m.end].start, len(text)) for m in lex.narration.scan(tokens)
                 if m.end < len(tokens)]
    finder = _Finder(text, tokens, mentions, lex, published, contents)
    # Words a person speaks are not narration; a body's relayed statement is, and so is a
    # schedule anyone announces ("أعلن المتحدث أن الوزير سيزور …": a planned event and a quote).
    # One flag per character: inside words a person speaks (a long quotation, or reported
    # speech of a person), where no trigger opens an event.
    blocked = bytearray(len(text) + 1)
    spans = [(r.start, r.end) for r in regions if len(text[r.start:r.end].split()) >= 4]
    spans += [(q.start, q.end) for q in quotes
              if (q.speaker is None or q.speaker.type == "person")
              and fold(q.cue).removeprefix("و") not in _ANNOUNCING]
    for s, e in spans:
        blocked[s:e] = b"\x01" * (e - s)
    topic: Actor | None = None
    for n, (sentence, (lo, hi)) in enumerate(zip(sentences, token_ranges)):
        if n in skip or hi <= lo:
            continue
        finder.read(sentence, lo, hi, blocked, topic)
        # The subject a later verb without one continues: this sentence's first actor.
        actors = [m.actor for m in mentions.in_range(lo, hi)
                  if m.actor.type in ("person", "organization") and m.kind != "place"]
        if actors:
            topic = actors[0]
    return finder.events
